"""Issue #18 validation rules (sle_car/crosschecks.py): descriptive columns blanked with a
warning, milestones/product/infusion agreement, LNCLASS without nephritis, row checks in
words, optional domain files with no rows; the same outcome in both engines."""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl
import pytest

from data_schemas import CHECK_COLUMNS, DM, RAW_DOMAINS, XP, descriptive_columns
from sle_car.clean import clean_study
from sle_car.validate import validate_study
from tests.foreign import foreign_cut
from tests.test_batched import _assert_same

P1 = "SLECAR01-01-001"


def _cut(tmp_path: Path) -> Path:
    return foreign_cut(tmp_path / "cut", manifest="none")


def _set(path: Path, where: pl.Expr, column: str, value: str | None) -> None:
    """Set ``column`` to ``value`` in the rows of a CSV domain matching ``where``."""
    df = pl.read_csv(path, infer_schema=False)
    assert df.filter(where).height, "the edit hits no row"
    df.with_columns(
        pl.when(where).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(column)).alias(column)
    ).write_csv(path)


def _drop(path: Path, where: pl.Expr) -> None:
    df = pl.read_csv(path, infer_schema=False)
    df.filter(where.not_()).write_csv(path)


def _rule(report: pl.DataFrame, rule: str) -> pl.DataFrame:
    return report.filter(pl.col("rule").str.starts_with(rule))


def _subject(usubjid: str) -> pl.Expr:
    return pl.col("USUBJID") == usubjid


# _ONE_SUBJECT_PER_BATCH: rule-specific "both engines" checks compare one pass with batches of
# one subject, where a rule that looks across subjects or at a whole domain could differ. One
# batch of every subject (batch size 10,000, the engine's path for a small cut) is compared,
# with batches of 1 and 2, in test_batched_engine_gives_the_same_outcome (issue 19: each engine
# run over the cut costs about 0.7 CPU s).


# --- metadata ----------------------------------------------------------------------------------
def test_descriptive_columns_are_defined_once_in_the_schemas() -> None:
    assert descriptive_columns(DM) == ("LNCLASS", "LNBXDY")
    assert descriptive_columns(XP) == ("XPTEST", "XPORRES", "XPORRESU", "XPSTRESN", "XPDY")
    # verbatim terms: every table names an event or milestone by its coded term
    assert descriptive_columns(RAW_DOMAINS["ae"]) == ("AETERM",)
    assert descriptive_columns(RAW_DOMAINS["ds"]) == ("DSTERM",)
    # endpoint, population and safety inputs stay strict
    for name in ("ex", "lb", "qs", "vs", "cm"):
        assert descriptive_columns(RAW_DOMAINS[name]) == (), name


def test_every_row_check_has_its_columns_registered() -> None:
    for model in RAW_DOMAINS.values():
        schema = model.to_schema()
        checks = {c.name for c in schema.checks}
        registered = CHECK_COLUMNS.get(model.Config.name, {})
        assert checks == set(registered), model.Config.name
        for cols in registered.values():
            assert set(cols) <= set(schema.columns), (model.Config.name, cols)


# --- 1. descriptive columns: blank, keep, warn -------------------------------------------------
@pytest.mark.parametrize(("column", "value"), [("LNCLASS", "VII"), ("LNBXDY", "abc")])
def test_invalid_descriptive_dm_value_is_blanked_and_the_patient_kept(
    tmp_path: Path, column: str, value: str
) -> None:
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), column, value)
    cleaned = clean_study(cut)
    report = cleaned.validation.report
    hit = report.filter(pl.col("column") == column)
    assert hit.select("file", "row", "value", "severity").rows() == [
        ("dm.csv", 2, value, "warning")
    ]
    assert "blanked" in hit["message"][0] and "record kept" in hit["message"][0]
    assert report.filter(pl.col("severity") == "error").height == 0
    dm = cleaned.domains["dm"]
    assert dm.height == 5 and dm.filter(_subject(P1))[column].to_list() == [None]
    assert cleaned.quarantine.height == 0  # no row of the patient set aside (no R6)
    assert cleaned.reconciliation["balanced"].all()


def test_descriptive_error_beside_an_endpoint_error_stays_an_error(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), "LNCLASS", "VII")
    _set(cut / "dm.csv", _subject(P1), "AGE", "-4")
    cleaned = clean_study(cut)
    hit = cleaned.validation.report.filter(pl.col("column") == "LNCLASS")
    assert hit["severity"].to_list() == ["error"]  # the record is set aside: nothing blanked
    assert P1 not in cleaned.domains["dm"]["USUBJID"].to_list()


def test_endpoint_input_keeps_the_strict_rule(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), "LNFL", "maybe")
    cleaned = clean_study(cut)
    hit = cleaned.validation.report.filter(pl.col("column") == "LNFL")
    assert hit["severity"].to_list() == ["error"]
    assert P1 not in cleaned.domains["dm"]["USUBJID"].to_list()
    assert cleaned.quarantine.filter(pl.col("domain") == "lb").height > 0  # R6


def test_product_result_out_of_range_is_blanked_with_its_columns(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    where = _subject(P1) & (pl.col("XPTESTCD") == "VIABLE")
    _set(cut / "xp.csv", where, "XPSTRESN", "120")
    cleaned = clean_study(cut)
    hit = _rule(cleaned.validation.report, "result_ok")
    assert hit["severity"].to_list() == ["warning"] and hit["column"].to_list() == ["XPORRES"]
    viable = pl.read_csv(cut / "xp.csv", infer_schema=False).filter(where)["XPORRES"][0]
    assert hit["value"][0] == f"XPORRES={viable}, XPSTRESN=120.0"
    assert "XPORRES, XPSTRESN" in hit["message"][0]
    assert "result allowed for the characteristic" in hit["message"][0]  # the rule in words
    row = cleaned.domains["xp"].filter(_subject(P1) & (pl.col("XPTESTCD") == "VIABLE"))
    assert row.height == 1 and row["XPORRES"][0] is None and row["XPSTRESN"][0] is None
    assert row["XPORRESU"][0] == "%"  # only the check's columns are blanked


def test_blank_text_result_keeps_the_valid_numeric_result(tmp_path: Path) -> None:
    """XPORRES blank beside a valid XPSTRESN (TOTCART): the number, which the product table
    shows, is kept; XPORRES alone gets its warning, worded without a contradiction."""
    cut = _cut(tmp_path)
    where = _subject(P1) & (pl.col("XPTESTCD") == "TOTCART")
    value = float(pl.read_csv(cut / "xp.csv", infer_schema=False).filter(where)["XPSTRESN"][0])
    _set(cut / "xp.csv", where, "XPORRES", None)
    cleaned = clean_study(cut)
    report = cleaned.validation.report.filter(pl.col("file") == "xp.csv")
    assert report.select("column", "rule", "severity").rows() == [
        ("XPORRES", "not_nullable", "warning")
    ]
    message = report["message"][0]
    assert message.startswith("XPORRES is empty; fill it in the source.")
    assert "required" not in message and "optional" not in message
    assert cleaned.domains["xp"].filter(where)["XPSTRESN"].to_list() == [value]


def test_blank_manufacturing_result_is_worded_without_contradiction(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "xp.csv", _subject(P1) & (pl.col("XPTESTCD") == "MFGRES"), "XPORRES", None)
    report = validate_study(cut).report.filter(pl.col("file") == "xp.csv")
    assert report["rule"].to_list() == ["not_nullable"]
    for message in report["message"]:
        assert "required" not in message and "optional" not in message, message
        assert "'not recorded'" in message


def test_product_result_in_another_unit_loses_value_and_unit(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    where = _subject(P1) & (pl.col("XPTESTCD") == "V2VDUR")
    _set(cut / "xp.csv", where, "XPORRESU", "weeks")
    cleaned = clean_study(cut)
    hit = _rule(cleaned.validation.report, "unit_is_the_contract_unit")
    assert hit["severity"].to_list() == ["warning"]
    assert hit["value"][0].startswith("XPORRESU=weeks, ")
    row = cleaned.domains["xp"].filter(where)
    assert row.select("XPORRESU", "XPORRES", "XPSTRESN").row(0) == (None, None, None)


def test_empty_verbatim_term_keeps_the_adverse_event(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    ae = pl.read_csv(cut / "ae.csv", infer_schema=False)
    crs = _subject(P1) & (pl.col("AEDECOD") == "Cytokine release syndrome")
    assert ae.filter(crs).height == 1
    _set(cut / "ae.csv", crs, "AETERM", None)
    cleaned = clean_study(cut)
    hit = cleaned.validation.report.filter(pl.col("column") == "AETERM")
    assert hit.select("rule", "severity").rows() == [("not_nullable", "warning")]
    assert hit["value"].to_list() == ["(blank)"]
    assert hit["message"][0] == (
        "AETERM is empty; fill it in the source. The record is kept without it: AETERM is "
        "descriptive (no endpoint is derived from it; a table showing it reads 'not recorded')"
    )
    kept = cleaned.domains["ae"].filter(crs)
    assert kept.height == 1 and kept["AETERM"][0] is None  # the CRS is still counted


# --- 3. LNCLASS without nephritis -----------------------------------------------------------
def test_nephritis_class_without_nephritis_is_blanked(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), "LNFL", "N")  # LNCLASS stays IV
    cleaned = clean_study(cut)
    hit = _rule(cleaned.validation.report, "lnclass_without_nephritis").sort("column")
    biopsy = pl.read_csv(cut / "dm.csv", infer_schema=False).filter(_subject(P1))["LNBXDY"][0]
    assert biopsy is not None
    # the biopsy day goes with its class: both blanked, each with a warning
    assert hit.select("row", "column", "value", "severity").rows() == [
        (2, "LNBXDY", biopsy, "warning"),
        (2, "LNCLASS", "IV", "warning"),
    ]
    dm = cleaned.domains["dm"].filter(_subject(P1))
    assert dm["LNCLASS"].to_list() == [None] and dm["LNFL"].to_list() == ["N"]
    assert dm["LNBXDY"].to_list() == [None]


def test_biopsy_day_without_nephritis_or_class_is_blanked(tmp_path: Path) -> None:
    """LNFL = N, LNCLASS blank, LNBXDY filled: the biopsy day contradicts LNFL as a class
    would; it is blanked with a warning (it was kept unflagged)."""
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), "LNFL", "N")
    _set(cut / "dm.csv", _subject(P1), "LNCLASS", None)
    biopsy = pl.read_csv(cut / "dm.csv", infer_schema=False).filter(_subject(P1))["LNBXDY"][0]
    assert biopsy is not None
    cleaned = clean_study(cut)
    hit = _rule(cleaned.validation.report, "lnclass_without_nephritis")
    assert hit.select("row", "column", "value", "severity").rows() == [
        (2, "LNBXDY", biopsy, "warning")
    ]
    assert "and no class LNCLASS" in hit["message"][0]
    dm = cleaned.domains["dm"].filter(_subject(P1))
    assert dm["LNBXDY"].to_list() == [None] and dm["LNFL"].to_list() == ["N"]


def test_nephritis_class_with_nephritis_or_unknown_is_no_problem(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), "LNFL", None)  # not recorded: a warning of its own
    report = validate_study(cut).report
    assert _rule(report, "lnclass_without_nephritis").height == 0


# --- 2. milestones, product, infusion ---------------------------------------------------------
def _ds(cut: Path, decod: str) -> pl.Expr:
    return _subject(P1) & (pl.col("DSDECOD") == decod)


def test_milestones_out_of_protocol_order(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    ds = pl.read_csv(cut / "ds.csv", infer_schema=False)
    ld_day = int(ds.filter(_ds(cut, "LYMPHODEPLETION STARTED"))["DSSTDY"][0])
    _set(cut / "ds.csv", _ds(cut, "CAR T PRODUCT MANUFACTURED"), "DSSTDY", str(ld_day + 1))
    report = validate_study(cut).report
    hit = _rule(report, "milestone_order")
    assert hit["severity"].to_list() == ["warning"]
    assert hit["value"].to_list() == [str(ld_day)]  # lymphodepletion, before manufacturing
    assert "LYMPHODEPLETION STARTED" in hit["message"][0]
    assert "CAR T PRODUCT MANUFACTURED" in hit["message"][0]


def test_milestones_on_the_same_day_are_in_order(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    ds = pl.read_csv(cut / "ds.csv", infer_schema=False)
    day = ds.filter(_ds(cut, "LYMPHODEPLETION STARTED"))["DSSTDY"][0]
    _set(cut / "ds.csv", _ds(cut, "CAR T PRODUCT MANUFACTURED"), "DSSTDY", day)
    assert _rule(validate_study(cut).report, "milestone_order").height == 0


def test_infusion_milestone_not_on_day_0(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "ds.csv", _ds(cut, "CAR T CELLS INFUSED"), "DSSTDY", "1")
    hit = _rule(validate_study(cut).report, "milestone_infusion_day")
    assert hit.select("column", "value", "severity").rows() == [("DSSTDY", "1", "warning")]


def test_infusion_in_ex_without_the_milestone(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _drop(cut / "ds.csv", _ds(cut, "CAR T CELLS INFUSED"))
    hit = _rule(validate_study(cut).report, "infusion_without_milestone")
    assert hit.select("file", "column", "value", "severity").rows() == [
        ("ex.csv", "EXTRT", "CD19 CAR T CELLS", "warning")
    ]


@pytest.mark.parametrize("keep", [(), ("INFORMED CONSENT OBTAINED", "ENTERED INTO TRIAL")])
def test_cut_without_cell_therapy_milestones_is_not_asked_for_them(
    tmp_path: Path, keep: tuple[str, ...]
) -> None:
    from data_schemas.codelists import DS_MILESTONES

    drop = tuple(m for m in DS_MILESTONES if m not in keep)
    cut = foreign_cut(tmp_path / "cut", manifest="none", drop_dsdecod=drop)
    report = validate_study(cut).report
    assert _rule(report, "infusion_without_milestone").height == 0
    assert _rule(report, "milestone_not_collected").height == 1


def test_infusion_milestone_without_infusion_in_ex(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _drop(cut / "ex.csv", _subject(P1) & (pl.col("EXTRT") == "CD19 CAR T CELLS"))
    hit = _rule(validate_study(cut).report, "milestone_without_infusion")
    assert hit.select("file", "value", "severity").rows() == [
        ("ds.csv", "CAR T CELLS INFUSED", "warning")
    ]
    # the message says the patient leaves the analysis and what to add
    (message,) = hit["message"].to_list()
    assert "excluded from every analysis population" in message
    assert "add the infusion (EXTRT, EXDOSE, EXSTDY 0) to EX" in message


def test_manufacturing_failure_beside_an_infusion(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "xp.csv", _subject(P1) & (pl.col("XPTESTCD") == "MFGRES"), "XPORRES", "FAILURE")
    _set(
        cut / "ds.csv",
        _ds(cut, "CAR T PRODUCT MANUFACTURED"),
        "DSDECOD",
        "CAR T MANUFACTURING FAILED",
    )
    report = validate_study(cut).report
    hit = _rule(report, "failure_but_infused").sort("file")
    assert hit.select("file", "column", "value", "severity").rows() == [
        ("ds.csv", "DSDECOD", "CAR T MANUFACTURING FAILED", "warning"),
        ("xp.csv", "XPORRES", "FAILURE", "warning"),
    ]
    assert _rule(report, "manufacturing_disagrees").height == 0  # XP and DS agree


def test_manufacturing_result_disagrees_with_the_milestone(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "xp.csv", _subject(P1) & (pl.col("XPTESTCD") == "MFGRES"), "XPORRES", "FAILURE")
    hit = _rule(validate_study(cut).report, "manufacturing_disagrees")
    assert hit.select("file", "value", "severity").rows() == [("xp.csv", "FAILURE", "warning")]
    assert "CAR T PRODUCT MANUFACTURED" in hit["message"][0]


# --- 4. row checks in words -------------------------------------------------------------------
def test_row_check_message_names_its_columns_and_rule(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    cm = pl.read_csv(cut / "cm.csv", infer_schema=False)
    assert cm.filter(pl.col("CMCLAS") == "GLUCOCORTICOID").height
    _set(cut / "cm.csv", pl.col("CMCLAS") == "GLUCOCORTICOID", "CMPREDEQ", None)
    hit = _rule(validate_study(cut).report, "gc_has_pred_equivalent")
    assert hit.height and set(hit["severity"]) == {"error"}  # an analysis input: strict
    assert hit["message"][0].startswith("CMCLAS, CMPREDEQ: the rule 'glucocorticoids carry")
    assert "gc_has_pred_equivalent" not in hit["message"][0]


# --- 5. optional domain with a header and no rows ---------------------------------------------
def test_subject_without_any_ds_record_is_named_in_both_engines(tmp_path: Path) -> None:
    """A DM subject with no DS row while the others have DS: one warning naming DS and the
    subject (their end of study would read 'not recorded' unnoticed), identical in both
    engines; a cut whose every subject has DS gets none."""
    cut = _cut(tmp_path)
    assert _rule(validate_study(cut).report, "no_disposition").height == 0
    _drop(cut / "ds.csv", pl.col("USUBJID") == P1)
    hit = _rule(validate_study(cut).report, "no_disposition")
    assert hit.select("file", "row", "column", "value", "severity").rows() == [
        ("ds.csv", None, "USUBJID", P1, "warning")
    ]
    assert "end-of-study status will read 'not recorded'" in hit["message"][0]
    _assert_same(cut, tmp_path / "out", batch_sizes=(1,))  # see _ONE_SUBJECT_PER_BATCH


def test_header_only_optional_file_gives_one_warning(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    header = (cut / "xp.csv").read_text().splitlines()[0]
    (cut / "xp.csv").write_text(header + "\n")
    report = validate_study(cut).report
    hit = _rule(report, "domain_no_rows")
    assert hit.select("file", "severity", "message").rows() == [
        (
            "xp.csv",
            "warning",
            "xp.csv has no rows: product characteristics treated as not collected "
            "(results that need it are not evaluable)",
        )
    ]
    assert report.filter(pl.col("file") == "xp.csv").height == 1
    _assert_same(cut, tmp_path / "out", batch_sizes=(1,))  # see _ONE_SUBJECT_PER_BATCH


# --- both engines -----------------------------------------------------------------------------
def test_batched_engine_gives_the_same_outcome(tmp_path: Path) -> None:
    cut = _cut(tmp_path)
    _set(cut / "dm.csv", _subject(P1), "LNCLASS", "VII")
    _set(cut / "dm.csv", _subject("SLECAR01-01-002"), "LNFL", "N")
    _set(cut / "dm.csv", _subject("SLECAR01-01-003"), "LNBXDY", "x")
    _set(cut / "xp.csv", pl.col("XPTESTCD") == "VIABLE", "XPSTRESN", "101")
    _set(cut / "xp.csv", _subject(P1) & (pl.col("XPTESTCD") == "MFGRES"), "XPORRES", "FAILURE")
    _set(cut / "ds.csv", _ds(cut, "CAR T CELLS INFUSED"), "DSSTDY", "2")
    _drop(
        cut / "ds.csv", _subject("SLECAR01-01-004") & (pl.col("DSDECOD") == "CAR T CELLS INFUSED")
    )
    m5 = _subject("SLECAR01-01-005") & (pl.col("DSDECOD") == "CAR T PRODUCT MANUFACTURED")
    _set(cut / "ds.csv", m5, "DSSTDY", "5")
    report = validate_study(cut).report
    rules = set(report["rule"].str.replace(r"\(.*", ""))
    assert {
        "codelist",
        "lnclass_without_nephritis",
        "malformed_number",
        "result_ok",
        "failure_but_infused",
        "manufacturing_disagrees",
        "milestone_infusion_day",
        "milestone_order",
        "infusion_without_milestone",
    } <= rules
    assert report.filter(pl.col("severity") == "error").height == 0, report
    _assert_same(cut, tmp_path / "out", batch_sizes=(1, 2, 10_000))


def test_schema_check_names_are_pandera_checks() -> None:
    """CHECK_COLUMNS keys are the names pandera reports in failure cases."""
    with pytest.raises(pa.errors.SchemaErrors) as err:
        XP.validate(
            pl.DataFrame(
                {
                    "STUDYID": ["S"],
                    "DOMAIN": ["XP"],
                    "USUBJID": ["U"],
                    "XPSEQ": [1],
                    "XPTESTCD": ["VIABLE"],
                    "XPTEST": ["Viability"],
                    "XPORRES": ["92"],
                    "XPORRESU": ["%"],
                    "XPSTRESN": [120.0],
                    "XPDY": [-9],
                }
            ),
            lazy=True,
        )
    assert "result_ok" in set(err.value.failure_cases["check"].to_list())


def test_blanked_manufacturing_results_read_not_recorded_in_the_product_table(
    tmp_path: Path,
) -> None:
    from sle_car.population import product_table

    cut = _cut(tmp_path)
    _set(cut / "xp.csv", pl.col("XPTESTCD") == "MFGRES", "XPORRES", None)
    cleaned = clean_study(cut)
    xp = cleaned.domains["xp"]
    assert xp.filter(pl.col("XPTESTCD") == "MFGRES")["XPORRES"].null_count() == 5  # kept, blank
    adsl = pl.DataFrame({"SAFFL": ["Y"], "CARTDOSE": [1.0]})
    row = product_table(adsl, xp).filter(
        pl.col("Characteristic") == "Manufactured successfully, n (%)"
    )
    assert row.row(0) == (
        "Manufactured successfully, n (%)",
        "not recorded",
        "0 of 5 attempted with a recorded result",
    )
