"""Issue #18 data contract: the autoantibody panel, disposition milestones, product
characteristics (XP), nephritis class (DM) and the screening log — each optional, simulated
from its own random stream without changing any existing record."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from data_schemas import codelists as cl
from sle_car.cut import ManifestError, screening_log
from sle_car.simulate import load_config, simulate
from sle_car.simulate.cohort import _simulate_chunk
from sle_car.simulate.core import _values
from sle_car.validate import validate_study
from tests.foreign import foreign_cut

PANEL_CODES = [
    "ANATITER",
    "DDNAIGAB",
    "SMAB",
    "U1RNPAB",
    "RO60AB",
    "TRIM21",
    "LAAB",
    "C1QAB",
    "NUCLEOAB",
    "ACLIGG",
    "B2GP1IGG",
]
NEW_ITEMS = dict(
    drop_lb=tuple(c for c in PANEL_CODES if c not in ("DDNAIGAB", "SMAB", "TRIM21")),
    drop_domains=("xp",),
    drop_dm_columns=("LNCLASS", "LNBXDY"),
    drop_dsdecod=tuple(m for m in cl.DS_MILESTONES if m != "INFORMED CONSENT OBTAINED"),
)


# --- the contract ---------------------------------------------------------------------------
def test_panel_codes_order_and_cutoffs() -> None:
    panel = cl.autoantibody_panel()
    assert panel["LBTESTCD"].to_list() == PANEL_CODES
    assert panel["ORDER"].to_list() == list(range(1, 12))
    assert all(c in cl.LB_TESTCODES and len(c) <= 8 for c in PANEL_CODES)
    cut = dict(zip(panel["LBTESTCD"], panel["CUTOFF"], strict=True))
    assert cut["DDNAIGAB"] == 30  # the repository's anti-dsDNA cut-off
    assert cut["ANATITER"] == 80  # EULAR/ACR 2019 entry criterion 1:80
    assert cut["ACLIGG"] == 40  # Sydney criteria: > 40 GPL
    direction = dict(zip(panel["LBTESTCD"], panel["CUTOFF_DIRECTION"], strict=True))
    assert direction["DDNAIGAB"] == ">=" and direction["ACLIGG"] == ">"
    assert panel["CUTOFF_SOURCE"].str.len_chars().min() > 20
    units = dict(zip(panel["LBTESTCD"], panel["UNIT"], strict=True))
    assert all(units[c] == cl.LAB_TESTS[(c, "SERUM")].unit for c in PANEL_CODES)


def test_trim21_is_ro52() -> None:
    name = cl.LAB_TESTS[("TRIM21", "SERUM")].name
    assert "Ro52" in name and "SS-A" not in name


# --- the simulator: new data from its own stream ----------------------------------------------
@pytest.fixture(scope="module")
def big() -> dict[str, pl.DataFrame]:
    return simulate(60, seed=7).domains


def test_existing_records_unchanged_by_issue18_stream() -> None:
    p = _values(load_config())
    old, truth_old = _simulate_chunk(0, 6, 3, np.random.default_rng([3, 0]), p)
    new, truth_new = _simulate_chunk(
        0, 6, 3, np.random.default_rng([3, 0]), p, np.random.default_rng([3, 0, 18])
    )
    assert truth_new.equals(truth_old)
    for name in ("ae", "cm", "ex", "qs", "vs"):
        assert new[name].equals(old[name]), name
    assert new["dm"].select(old["dm"].columns).equals(old["dm"])
    assert new["dm"].columns[-2:] == ["LNCLASS", "LNBXDY"]
    from sle_car.simulate.extended import CYTOKINE_VISITS

    # IL-6 and ferritin at day 28 are new records of tests that existed (appended, issue #18)
    day28 = pl.col("LBTESTCD").is_in(["INTLK6", "FERRITIN"]) & pl.col("VISIT").is_in(
        list(CYTOKINE_VISITS)
    )
    lb = new["lb"].filter(
        pl.col("LBTESTCD").is_in(old["lb"]["LBTESTCD"].unique().implode()) & day28.not_()
    )
    assert lb.equals(old["lb"])
    assert (
        new["lb"].filter(day28).height
        == 2
        * new["lb"]
        .filter((pl.col("LBTESTCD") == "CRP") & pl.col("VISIT").is_in(list(CYTOKINE_VISITS)))
        .height
    )  # with the routine CRP of that visit
    ds = new["ds"].filter(pl.col("DSSEQ") <= pl.col("DSSEQ").max().over("USUBJID") - 5)
    assert ds.equals(old["ds"])
    assert "xp" in new and "xp" not in old


def test_autoantibodies_fall_or_persist_by_antibody(big: dict[str, pl.DataFrame]) -> None:
    lb = big["lb"].with_columns(pl.col("LBORRES").cast(pl.Float64, strict=False).alias("V"))
    panel = cl.autoantibody_panel()
    cut = dict(zip(panel["LBTESTCD"], panel["CUTOFF"], strict=True))
    ratio = (
        lb.filter(pl.col("LBTESTCD").is_in(["NUCLEOAB", "C1QAB", "RO60AB", "ACLIGG"]))
        .sort("LBDY")
        .group_by("USUBJID", "LBTESTCD")
        .agg(pl.col("V").first().alias("BL"), pl.col("V").last().alias("LAST"), pl.len())
        .filter(
            (pl.col("len") >= 6)
            & (pl.col("BL") >= 1.5 * pl.col("LBTESTCD").replace_strict(cut, default=None))
        )
        .with_columns((pl.col("LAST") / pl.col("BL")).alias("R"))
        .group_by("LBTESTCD")
        .agg(pl.col("R").median(), pl.len().alias("n"))
    )
    r = dict(zip(ratio["LBTESTCD"], ratio["R"], strict=True))
    assert ratio["n"].min() >= 5
    assert r["NUCLEOAB"] < 0.35 and r["C1QAB"] < 0.45  # fall with the plasmablasts
    assert r["RO60AB"] > 0.75  # long-lived plasma cells (CD19-negative)
    assert 0.4 < r["ACLIGG"] < 1.1  # antiphospholipid: partly persisting
    positive = lb.filter((pl.col("LBTESTCD") == "RO60AB") & (pl.col("LBDY") < 0))
    share = (positive["V"] >= 20).mean()
    assert 0.15 < share < 0.6  # not everyone has every antibody


def test_ana_titre_is_a_dilution(big: dict[str, pl.DataFrame]) -> None:
    ana = big["lb"].filter(pl.col("LBTESTCD") == "ANATITER")
    allowed = {"0"} | {str(80 * 2**k) for k in range(10)}
    assert set(ana["LBORRES"].unique().to_list()) <= allowed
    assert ana["LBORRESU"].unique().to_list() == ["titre"]
    assert ana.filter(pl.col("LBDY") < 0)["LBORRES"].cast(pl.Int64).median() >= 320


def test_milestones_in_order_and_product_consistent(big: dict[str, pl.DataFrame]) -> None:
    ds = big["ds"].filter(pl.col("DSCAT") == "PROTOCOL MILESTONE")
    wide = ds.pivot(on="DSDECOD", index="USUBJID", values="DSSTDY")
    order = [m for m in cl.DS_MILESTONES if m != "CAR T MANUFACTURING FAILED"]
    assert wide.height == 60
    for a, b in itertools.pairwise(order):
        bad = wide.filter(pl.col(a) >= pl.col(b))
        assert bad.height == 0, (a, b, bad)
    assert (wide["CAR T CELLS INFUSED"] == 0).all()
    assert (wide["LYMPHODEPLETION STARTED"] == -5).all()
    xp = big["xp"].pivot(on="XPTESTCD", index="USUBJID", values="XPSTRESN")
    check = xp.join(wide, on="USUBJID").join(big["dm"], on="USUBJID")
    assert (check["V2VDUR"] == -check["APHERESIS PERFORMED"]).all()
    dose = big["ex"].filter(pl.col("EXTRT") == "CD19 CAR T CELLS").select("USUBJID", "EXDOSE")
    check = check.join(dose, on="USUBJID")
    assert ((check["TOTCART"] - check["EXDOSE"] * check["WEIGHTBL"]).abs() <= 0.0501).all()
    assert check["VIABLE"].is_between(70, 100).all()


def test_nephritis_class_only_with_nephritis(big: dict[str, pl.DataFrame]) -> None:
    dm = big["dm"]
    assert (dm["LNCLASS"].is_not_null() == (dm["LNFL"] == "Y")).all()
    assert set(dm["LNCLASS"].drop_nulls().to_list()) <= set(cl.LN_CLASSES)
    with_ln = dm.filter(pl.col("LNFL") == "Y")
    assert (with_ln["LNBXDY"] >= with_ln["DIAGDY"]).all() and (with_ln["LNBXDY"] < 0).all()


def test_bundled_cohort_carries_every_new_item() -> None:
    from sle_car.paths import synthetic_dir

    src = synthetic_dir()
    dm = pl.read_csv(src / "dm.csv", infer_schema=False)
    assert dm["LNCLASS"].null_count() == 0 and (dm["LNFL"] == "Y").all()
    lb = pl.read_csv(src / "lb.csv", infer_schema=False)
    assert set(PANEL_CODES) <= set(lb["LBTESTCD"].to_list())
    xp = pl.read_csv(src / "xp.csv", infer_schema=False)
    assert xp.height == 5 * len(cl.PRODUCT_TESTS)
    log = screening_log(src)
    assert log is not None and log["screened"] == 5 + sum(log["not_enrolled"].values())


# --- the screening log ------------------------------------------------------------------------
def _manifest(tmp: Path, block: object) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "manifest.json").write_text(json.dumps({"files": {}, "screening": block}))
    return tmp


def test_screening_log_read_and_absent(tmp_path: Path) -> None:
    d = _manifest(tmp_path / "a", {"screened": 9, "not_enrolled": {"SCREEN FAILURE": 4}})
    assert screening_log(d) == {
        "screened": 9,
        "not_enrolled": {"SCREEN FAILURE": 4},
        "source": "screening log",
    }
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "manifest.json").write_text('{"files": {}}')
    assert screening_log(tmp_path / "b") is None
    assert screening_log(tmp_path / "nothing") is None


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ({"screened": "nine"}, "'screened'"),
        ({"screened": 3, "not_enrolled": {"BORED": 1}}, "BORED"),
        ({"screened": 3, "not_enrolled": {"SCREEN FAILURE": -1}}, "SCREEN FAILURE"),
        ({"screened": 3, "not_enrolled": {"SCREEN FAILURE": 4}}, "4 patients not enrolled"),
        ([1, 2], "not an object"),
    ],
)
def test_screening_log_malformed_names_the_key(tmp_path: Path, block: object, named: str) -> None:
    with pytest.raises(ManifestError, match=named):
        screening_log(_manifest(tmp_path, block))


def test_malformed_screening_block_is_a_validation_error(tmp_path: Path) -> None:
    cut = foreign_cut(tmp_path / "cut")
    path = cut / "manifest.json"
    body = json.loads(path.read_text())
    body["screening"] = {"screened": 2, "not_enrolled": {"SCREEN FAILURE": 3}}
    path.write_text(json.dumps(body))
    report = validate_study(cut).report
    hit = report.filter(pl.col("rule") == "screening_log")
    assert hit["severity"].to_list() == ["error"] and hit["file"].to_list() == ["manifest.json"]
    assert "3 patients not enrolled of 2 screened" in hit["message"][0]


# --- validation: optional, and checked when present ---------------------------------------------
def test_cut_without_any_issue18_item_validates_with_warnings(tmp_path: Path) -> None:
    cut = foreign_cut(tmp_path / "cut", **NEW_ITEMS)
    report = validate_study(cut).report
    assert report.filter(pl.col("severity") == "error").height == 0, report
    rules = set(report["rule"].to_list())
    assert {"domain_not_collected", "column_not_collected", "test_not_collected"} <= rules
    assert "milestone_not_collected" in rules
    missing = report.filter(pl.col("rule") == "test_not_collected")["value"][0]
    assert "RO60AB" in missing and "DDNAIGAB" not in missing
    assert screening_log(cut) is None


def test_bundled_cut_has_no_not_collected_warning(tmp_path: Path) -> None:
    cut = foreign_cut(tmp_path / "cut")
    report = validate_study(cut).report
    assert report.filter(pl.col("rule").str.ends_with("not_collected")).height == 0, report


@pytest.mark.parametrize(
    ("file", "column", "value", "rule", "severity"),
    [
        # optional descriptive columns: blanked with a warning, the record kept (crosschecks)
        ("xp", "XPORRES", "OK", "result_ok", "warning"),
        ("xp", "XPTESTCD", "POTENCY", "codelist", "error"),
        ("dm", "LNCLASS", "VII", "codelist", "warning"),
        ("dm", "LNBXDY", "5", "less_than_or_equal_to", "warning"),
        ("ds", "DSDECOD", "ENROLLED", "codelist", "error"),
    ],
)
def test_new_items_are_checked(
    tmp_path: Path, file: str, column: str, value: str, rule: str, severity: str
) -> None:
    cut = foreign_cut(tmp_path / "cut", manifest="none")
    path = cut / f"{file}.csv"
    df = pl.read_csv(path, infer_schema=False)
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )
    df.write_csv(path)
    report = validate_study(cut).report
    hit = report.filter(
        (pl.col("file") == f"{file}.csv")
        & pl.col("rule").str.starts_with(rule)
        & (pl.col("severity") == severity)
    )
    assert hit.height >= 1, report
    assert hit["row"].to_list()[0] == 2  # spreadsheet row of the first record


def test_xp_numeric_out_of_range(tmp_path: Path) -> None:
    cut = foreign_cut(tmp_path / "cut", manifest="none")
    path = cut / "xp.csv"
    df = pl.read_csv(path, infer_schema=False)
    row = df.with_row_index().filter(pl.col("XPTESTCD") == "VIABLE")["index"][0]
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit("120"))
        .otherwise(pl.col("XPSTRESN"))
        .alias("XPSTRESN")
    )
    df.write_csv(path)
    report = validate_study(cut).report
    assert report.filter((pl.col("file") == "xp.csv") & (pl.col("rule") == "result_ok")).height


def test_new_items_change_no_existing_derived_record(tmp_path: Path) -> None:
    """A cut with the issue-#18 items and the same cut without them derive the same analysis
    datasets, except the new ADLB parameters: the new data add, never change."""
    from sle_car.derive.build import build_study

    full = build_study(foreign_cut(tmp_path / "full"), tmp_path / "out_full")
    bare = build_study(foreign_cut(tmp_path / "bare", **NEW_ITEMS), tmp_path / "out_bare")
    for name in ("adsl", "adqs", "adae", "adrs", "adtte"):
        assert full[name].equals(bare[name]), name
    new = pl.col("PARAMCD").is_in(list(NEW_ITEMS["drop_lb"]))
    assert full["adlb"].filter(new).height > 0 and bare["adlb"].filter(new).height == 0
    assert full["adlb"].filter(~new).equals(bare["adlb"])


def test_il6_and_ferritin_peak_with_crs_ferritin_after_il6() -> None:
    cohort = simulate(40, seed=5)
    truth = cohort.truth.select("USUBJID", "CRSGRADE", "CRSONDY")
    lb = cohort.domains["lb"].filter(pl.col("LBTESTCD").is_in(["INTLK6", "FERRITIN"]))
    peaks = (
        lb.with_columns(pl.col("LBORRES").cast(pl.Float64).alias("V"))
        .sort("LBDY")
        .group_by("USUBJID", "LBTESTCD")
        .agg(pl.col("LBDY").get(pl.col("V").arg_max()).alias("PKDY"), pl.col("V").max())
        .pivot(on="LBTESTCD", index="USUBJID", values=["PKDY", "V"])
        .join(truth, on="USUBJID")
    )
    crs = peaks.filter(pl.col("CRSGRADE") > 0)
    none = peaks.filter(pl.col("CRSGRADE") == 0)
    assert crs.height >= 10 and none.height >= 3
    assert (crs["PKDY_INTLK6"] >= crs["CRSONDY"]).all()  # IL-6 peaks in CRS, days 1-14
    assert crs["PKDY_INTLK6"].is_between(1, 14).all()
    assert (crs["PKDY_FERRITIN"] >= crs["PKDY_INTLK6"]).all()  # ferritin lags IL-6
    assert (crs["V_INTLK6"] > 100).all() and (none["V_INTLK6"] < 20).all()


@pytest.mark.parametrize(
    ("test", "column", "value"),
    [
        ("VIABLE", "XPORRESU", "fraction"),  # a unit with no conversion defined
        ("V2VDUR", "XPORRESU", "weeks"),
        ("VIABLE", "XPORRES", "92%"),  # text that is not the numeric result
        ("CD4CD8", "XPSTRESN", ""),  # a number in XPORRES, none in XPSTRESN
    ],
)
def test_product_units_and_results_are_checked(tmp_path, test, column, value) -> None:
    """A product characteristic in another unit, or whose text result disagrees with its
    number, is never read as the contract's unit nor silently blank: its result is blanked
    with a warning naming the row (XP is descriptive: the record is kept, issue #18 item 1)."""
    import shutil

    from sle_car.paths import synthetic_dir
    from sle_car.validate import validate_study

    cut = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), cut)
    xp = pl.read_csv(cut / "xp.csv", infer_schema=False)
    first = xp.with_row_index("_i").filter(pl.col("XPTESTCD") == test)["_i"][0]
    xp = xp.with_columns(
        pl.when(pl.int_range(pl.len()) == first)
        .then(pl.lit(value or None))
        .otherwise(pl.col(column))
        .alias(column)
    )
    xp.write_csv(cut / "xp.csv")
    from sle_car.clean import clean_study

    cleaned = clean_study(cut, validate_study(cut, accept_changed_files=True))
    report = cleaned.validation.report.filter(pl.col("file") == "xp.csv")
    assert report.filter(pl.col("severity") == "error").height == 0, report
    hit = report.filter(pl.col("message").str.contains("blanked"))
    assert hit["row"].to_list() == [first + 2], report
    assert hit["severity"].to_list() == ["warning"]
    kept = cleaned.domains["xp"].with_row_index("_i").filter(pl.col("_i") == first)
    assert kept["XPSTRESN"].to_list() == [None]  # no number read in a unit it is not in


@pytest.mark.parametrize("screened", [3, 8])
def test_a_screening_log_that_does_not_add_up_is_an_error(tmp_path, screened) -> None:
    """Screened = enrolled (subjects in DM) + not enrolled; fewer screened than enrolled, or
    counts that do not add up, would draw an impossible flow. Both engines say so."""
    import shutil

    from sle_car.batched import validate_clean
    from sle_car.paths import synthetic_dir
    from sle_car.validate import validate_study

    cut = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), cut)
    manifest = json.loads((cut / "manifest.json").read_text())
    manifest["screening"]["screened"] = screened  # 5 enrolled + 7 not enrolled = 12
    (cut / "manifest.json").write_text(json.dumps(manifest))
    one = validate_study(cut).report.filter(pl.col("rule") == "screening_log")
    batched = validate_clean(cut, tmp_path / "clean").validation.report
    for report in (one, batched.filter(pl.col("rule") == "screening_log")):
        assert report.height == 1 and report["severity"][0] == "error"
        if screened == 8:  # 3 is already refused by the shape check (7 not enrolled > 3)
            assert "screened 8, but 5 enrolled" in report["message"][0]
