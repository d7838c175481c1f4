"""Issue 14: bad data never crashes and never silently changes a result. One test (or one
parametrised family) per defect class found by seeded damage to copies of the cohort."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from sle_car.clean import clean_study, set_aside_summary, write_clean
from sle_car.cli import main
from sle_car.derive.build import write_study
from sle_car.io import DataFileError, read_domain
from sle_car.paths import default_report_dir, repo_root
from sle_car.validate import validate_study


def _set(data: Path, domain: str, row: int, column: str, value: str | None) -> None:
    """Set one cell (spreadsheet row: header = 1) of ``domain``.csv, keeping other bytes."""
    path = data / f"{domain}.csv"
    df = pl.read_csv(path, infer_schema=False)
    df.with_columns(
        pl.when(pl.int_range(pl.len()) == row - 2)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    ).write_csv(path)


def _validate(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str):
    status = main(["validate", str(data), "--report-dir", str(tmp_path / "rep"), *extra])
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    return status, out


# --- 1. a domain set aside as a whole --------------------------------------------------------
def _add_notes(b: bytes) -> bytes:
    header, *rows = b.rstrip(b"\n").split(b"\n")
    return b"\n".join([header + b",NOTES", *(r + b",x" for r in rows)]) + b"\n"


WHOLE = {
    "wrong-case column": lambda b: b.replace(b"DSTERM", b"dsterm", 1),
    "missing column": None,
    "double byte-order mark": lambda b: b"\xef\xbb\xbf\xef\xbb\xbf" + b,
}


def _damage_ds(data: Path, case: str) -> int:
    """Damage ds.csv as ``WHOLE[case]`` says; the number of rows it holds."""
    path = data / "ds.csv"
    if WHOLE[case] is None:
        pl.read_csv(path, infer_schema=False).drop("DSSTDY").write_csv(path)
    else:
        path.write_bytes(WHOLE[case](path.read_bytes()))
    return read_domain(path).height


@pytest.mark.parametrize("case", list(WHOLE))
def test_domain_set_aside_as_a_whole_is_an_empty_table_with_its_schema(
    case: str, data_copy: Path
) -> None:
    n_rows = _damage_ds(data_copy, case)
    cleaned = clean_study(data_copy)
    rec = cleaned.reconciliation.filter(pl.col("domain") == "ds").row(0, named=True)
    assert (rec["rows_in"], rec["rows_kept"], rec["rows_set_aside"]) == (n_rows, 0, n_rows)
    # an empty clean table with the schema's columns and types, not a missing file
    assert cleaned.domains["ds"].height == 0
    assert cleaned.domains["ds"].schema["DSSTDY"] == pl.Int64
    summary = set_aside_summary(cleaned.validation, cleaned).filter(pl.col("domain") == "ds")
    assert summary["rows"].max() == n_rows


# Whatever set DS aside, the cleaned DS is the same empty table (test above): derivation is
# run on one case in `make test`, on every case in `make test-slow` (issue 19).
@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=[] if c == "missing column" else pytest.mark.slow) for c in WHOLE],
)
def test_domain_set_aside_as_a_whole_still_derives(
    case: str, data_copy: Path, tmp_path: Path
) -> None:
    _damage_ds(data_copy, case)
    log = write_study(data_copy, tmp_path / "out")
    assert pl.read_parquet(tmp_path / "out" / "clean" / "ds.parquet").height == 0
    assert "DS was set aside as a whole" in log["set_aside_domains"]["ds"]
    assert "disposition" in log["set_aside_domains"]["ds"]
    assert log["rows"]["adsl"] == 3  # every subject is still derived


def test_an_extra_column_is_dropped_and_the_domain_kept(data_copy: Path, tmp_path: Path) -> None:
    """An extra column (free text, NOTES) was a whole domain set aside before issue 18's data
    review; now it is dropped with a warning and every row kept."""
    path = data_copy / "ds.csv"
    path.write_bytes(_add_notes(path.read_bytes()))
    n_rows = read_domain(path).height
    cleaned = clean_study(data_copy)
    rec = cleaned.reconciliation.filter(pl.col("domain") == "ds").row(0, named=True)
    assert (rec["rows_in"], rec["rows_kept"], rec["rows_set_aside"]) == (n_rows, n_rows, 0)
    assert "NOTES" not in cleaned.domains["ds"].columns
    hit = cleaned.validation.report.filter(pl.col("rule") == "unknown_column")
    assert hit.select("file", "column", "severity").rows() == [("ds.csv", "NOTES", "warning")]
    log = write_study(data_copy, tmp_path / "out")
    assert "ds" not in log["set_aside_domains"]


# --- 2. a manifest of the wrong shape -------------------------------------------------------------
@pytest.mark.parametrize(
    "manifest", ["[]", "null", '{"files": []}', '{"files": {"dm.csv": 3}}', "7"]
)
def test_manifest_of_the_wrong_shape_is_a_usage_error(
    manifest: str, cohort_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    shutil.copytree(cohort_dir, data)
    (data / "manifest.json").write_text(manifest)
    status, out = _validate(data, tmp_path, capsys)
    assert status == 2
    assert "manifest.json" in out.err and "regenerate" in out.err


# --- 3. Parquet columns that are not single values ---------------------------------------------
@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (pl.Series("NOTES", [[1, 2]] * 3), "List"),
        (pl.Series("NOTES", [[1, 2]] * 3, dtype=pl.Array(pl.Int64, 2)), "Array"),
        (pl.Series("NOTES", [1, 2, 3], dtype=pl.Duration("us")), "Duration"),
    ],
    ids=["list", "array", "duration"],
)
def test_parquet_with_nested_or_duration_column_is_a_usage_error(
    column: pl.Series,
    expected: str,
    data_copy: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dm = pl.read_csv(data_copy / "dm.csv", infer_schema=False)
    (data_copy / "dm.csv").unlink()
    dm.with_columns(column).write_parquet(data_copy / "dm.parquet")
    status, out = _validate(data_copy, tmp_path, capsys)
    assert status == 2
    assert "dm.parquet" in out.err and "NOTES" in out.err and expected in out.err
    with pytest.raises(DataFileError, match="NOTES"):
        validate_study(data_copy)


# --- 4. numbers with no faithful value are errors naming the cell --------------------------------
@pytest.mark.parametrize(
    ("domain", "column", "value"),
    [
        ("ae", "AEENDY", "NaN"),
        ("ae", "AEENDY", "inf"),
        ("ae", "AEENDY", "1e20"),
        ("ae", "AEENDY", str(2**63)),
        ("ae", "AEENDY", "9" * 100_000),
        ("cm", "CMENDY", "-inf"),
        ("cm", "CMDOSE", "1e400"),
        ("lb", "LBORNRLO", "nan"),
        ("cm", "CMSEQ", "9223372036854775808"),
    ],
    ids=lambda v: v if len(v) < 30 else "100000-digits",
)
def test_unrepresentable_number_is_an_error_not_missing(
    domain: str, column: str, value: str, data_copy: Path
) -> None:
    _set(data_copy, domain, 3, column, value)
    v = validate_study(data_copy)
    hit = v.report.filter(
        (pl.col("file") == f"{domain}.csv") & (pl.col("row") == 3) & (pl.col("column") == column)
    )
    assert hit["rule"].to_list() == ["malformed_number"], v.report
    assert hit["severity"][0] == "error"
    assert hit["value"][0] == value
    cleaned = clean_study(data_copy, v)
    assert 3 in cleaned.quarantine.filter(pl.col("domain") == domain)["row"].to_list()


def test_a_large_whole_number_keeps_every_digit(data_copy: Path) -> None:
    _set(data_copy, "cm", 2, "CMSEQ", "9007199254740993")  # 2^53 + 1: a float would round it
    v = validate_study(data_copy)
    assert v.report.height == 0, v.report
    assert v.domains["cm"].filter(pl.col("_ROW") == 2)["CMSEQ"][0] == 2**53 + 1


# --- 5. an exact duplicate of the infusion row -------------------------------------------------
def test_duplicated_infusion_row_keeps_the_subject_in_the_safety_population(
    data_copy: Path, tmp_path: Path
) -> None:
    path = data_copy / "ex.csv"
    lines = path.read_text().splitlines(keepends=True)
    infusion = next(line for line in lines if "CD19 CAR T CELLS" in line)
    subject = infusion.split(",")[2]
    path.write_text("".join([*lines, infusion]))
    v = validate_study(data_copy)
    assert v.report.filter(pl.col("rule") == "one_infusion").height == 0, v.report
    assert v.report["rule"].to_list() == ["duplicate_row"]
    log = write_study(data_copy, tmp_path / "out")
    assert log["rows"]["adsl"] == 3
    adsl = pl.read_parquet(tmp_path / "out" / "adsl.parquet")
    assert adsl.filter(pl.col("USUBJID") == subject)["SAFFL"][0] == "Y"


# --- 6. whitespace only means missing ----------------------------------------------------------
def test_whitespace_only_cells_are_missing_and_change_nothing(
    data_copy: Path, built3: tuple[Path, dict], tmp_path: Path
) -> None:
    before = pl.read_parquet(built3[0] / "adqs.parquet")  # the same cohort, derived unchanged
    for domain, column in [
        ("qs", "QSSTAT"),
        ("cm", "CMENDY"),
        ("cm", "CMPREDEQ"),
        ("lb", "LBORNRLO"),
    ]:
        df = pl.read_csv(data_copy / f"{domain}.csv", infer_schema=False)
        row = df.with_row_index().filter(pl.col(column).is_null())["index"][0] + 2
        _set(data_copy, domain, row, column, "   ")
    v = validate_study(data_copy)
    assert v.report.height == 0, v.report
    write_study(data_copy, tmp_path / "after")
    assert pl.read_parquet(tmp_path / "after" / "adqs.parquet").equals(before)


def test_whitespace_only_in_a_required_cell_is_required_but_empty(data_copy: Path) -> None:
    _set(data_copy, "dm", 2, "SEX", " \t ")
    hit = validate_study(data_copy).report.filter(pl.col("column") == "SEX")
    assert hit["rule"].to_list() == ["not_nullable"]
    assert hit["value"].to_list() == ["(blank)"]  # never a bare null


# --- the rest: DM cascade, truncation, checksum, summary, listing location ------------------------
def test_file_truncated_at_a_row_boundary_is_an_error_unless_accepted(
    cohort_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "d"
    shutil.copytree(cohort_dir, data)
    path = data / "lb.csv"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: len(lines) // 2]))  # ends cleanly after a row
    status, out = _validate(data, tmp_path, capsys)
    assert status == 1
    assert "1 error: manifest 1" in out.out
    report = pl.read_csv(tmp_path / "rep" / "validation.csv")
    hit = report.filter(pl.col("rule") == "manifest")
    assert hit["file"].to_list() == ["lb.csv"] and hit["severity"][0] == "error"
    with pytest.raises(DataFileError, match=r"lb\.csv"):
        write_study(data, tmp_path / "out")
    status, _ = _validate(data, tmp_path, capsys, "--accept-changed-files")
    assert status == 0
    log = write_study(data, tmp_path / "out", accept_changed_files=True)
    assert log["rows"]["adsl"] == 3
    # a changed file never sets rows aside by itself
    assert clean_study(data).quarantine.height == 0


def test_summary_line_counts_by_severity_and_rule(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _set(data_copy, "dm", 2, "WEIGHTBL", "sixty")
    _set(data_copy, "dm", 3, "WEIGHTBL", "61,5")
    _set(data_copy, "ae", 2, "AEENDY", "inf")
    status, out = _validate(data_copy, tmp_path, capsys)
    assert status == 1
    assert "2 error: malformed_number 2" in out.out
    assert "1 repairable: decimal_comma 1" in out.out


def test_default_listing_of_a_cut_outside_the_repository_is_beside_it(
    data_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLE_CAR_OUTPUT", raising=False)
    target = default_report_dir(data_copy)
    assert target == data_copy.parent.resolve() / "data.data-issues"
    assert repo_root() not in target.parents
    inside = default_report_dir(repo_root() / "data" / "synthetic")
    assert inside == repo_root() / "reports" / "data-issues" / "synthetic"
    status = main(["validate", str(data_copy)])
    assert status == 0
    assert (target / "validation.csv").is_file()


def test_set_aside_summary_counts_rows_per_domain_and_rule(data_copy: Path) -> None:
    dm = pl.read_csv(data_copy / "dm.csv", infer_schema=False)
    gone = dm["USUBJID"][0]
    _set(data_copy, "dm", 2, "SEX", "Z")
    cleaned = clean_study(data_copy)
    s = set_aside_summary(cleaned.validation, cleaned)
    assert s.columns == ["domain", "rule", "severity", "rows"]
    dm_rule = s.filter(pl.col("domain") == "dm")
    assert dm_rule.rows() == [("dm", "codelist", "error", 1)]  # a short name, not isin([...])
    lb_rows = pl.read_csv(data_copy / "lb.csv", infer_schema=False).filter(
        pl.col("USUBJID") == gone
    )
    lb = s.filter((pl.col("domain") == "lb") & (pl.col("rule") == "subject_set_aside"))
    assert lb["rows"].to_list() == [lb_rows.height]
    # the written clean tables hold nothing of the subject
    write_clean(cleaned, data_copy.parent / "clean")
    for p in (data_copy.parent / "clean").glob("*.parquet"):
        assert pl.read_parquet(p).filter(pl.col("USUBJID") == gone).height == 0, p.name


def test_raw_json_manifest_is_still_read(cohort_dir: Path) -> None:
    manifest = json.loads((cohort_dir / "manifest.json").read_text())
    assert isinstance(manifest["files"], dict)
    assert validate_study(cohort_dir).ok


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize(("domain", "column"), [("lb", "LBORRES"), ("vs", "VSORRES")])
def test_non_finite_result_text_is_malformed(
    domain: str, column: str, value: str, data_copy: Path
) -> None:
    df = pl.read_csv(data_copy / f"{domain}.csv", infer_schema=False)
    numeric = df.with_row_index().filter(
        pl.col(column).cast(pl.Float64, strict=False).is_not_null()
    )
    row = numeric["index"][0] + 2
    _set(data_copy, domain, row, column, value)
    hit = validate_study(data_copy).report.filter(pl.col("row") == row)
    assert hit.select("column", "rule", "severity").rows() == [
        (column, "malformed_number", "error")
    ]


def test_unreadable_file_is_a_usage_error(
    data_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every file")
    (data_copy / "cm.csv").chmod(0)
    status, out = _validate(data_copy, tmp_path, capsys)
    assert status == 2 and "cm.csv" in out.err and "cannot open" in out.err


def test_dm_set_aside_as_a_whole_stops_derive_with_a_clear_message(
    data_copy: Path, tmp_path: Path
) -> None:
    path = data_copy / "dm.csv"
    pl.read_csv(path, infer_schema=False).drop("AGE").write_csv(path)  # a required column
    cleaned = clean_study(data_copy)
    assert all(df.height == 0 for df in cleaned.domains.values())
    assert cleaned.reconciliation["balanced"].all()
    s = set_aside_summary(None, cleaned)
    lb_in = cleaned.reconciliation.filter(pl.col("domain") == "lb")["rows_in"][0]
    assert s.filter((pl.col("domain") == "lb") & (pl.col("rule") == "subject_set_aside"))[
        "rows"
    ].to_list() == [lb_in]
    with pytest.raises(DataFileError, match="no subjects; nothing to derive"):
        write_study(data_copy, tmp_path / "out")


@pytest.mark.parametrize(("column", "value"), [("WEIGHTBL", "sixty"), ("DIAGDY", "1e400")])
def test_a_malformed_baseline_cell_is_reported_once(
    column: str, value: str, data_copy: Path
) -> None:
    _set(data_copy, "dm", 2, column, value)
    hit = validate_study(data_copy).report.filter(pl.col("column") == column)
    assert hit.select("row", "rule", "severity").rows() == [(2, "malformed_number", "error")]


def test_a_row_one_field_short_is_refused_naming_the_line_in_both_engines(
    data_copy: Path, tmp_path: Path
) -> None:
    """A data row with its last field dropped was padded with a missing AEENDY (the event read
    as unresolved) and validation said "no problems": it is refused as a row with a field too
    many is, naming file, line and the field counts (attack of session 6)."""
    from sle_car.batched import validate_clean

    path = data_copy / "ae.csv"
    lines = path.read_bytes().split(b"\n")
    n_header = lines[0].count(b",") + 1
    lines[4] = lines[4].rsplit(b",", 1)[0]  # line 5 loses its last field
    path.write_bytes(b"\n".join(lines))
    expected = f"line 5 has {n_header - 1} fields, the header has {n_header}"
    with pytest.raises(DataFileError, match=expected) as err:
        validate_study(data_copy)
    assert err.value.file.endswith("ae.csv")
    with pytest.raises(DataFileError, match=expected):
        validate_clean(data_copy, tmp_path / "clean", batch_size=1)


def test_a_thousands_comma_in_a_required_whole_number_is_one_message(data_copy: Path) -> None:
    """'1,000' in LBDY is an ambiguous comma, not also "(blank) LBDY is required but empty"
    because it has no typed value: one message per cell."""
    _set(data_copy, "lb", 3, "LBDY", "1,000")
    report = validate_study(data_copy).report.filter(
        (pl.col("file") == "lb.csv") & (pl.col("row") == 3)
    )
    assert report.select("column", "value", "rule", "severity").rows() == [
        ("LBDY", "1,000", "ambiguous_comma", "error")
    ]


def test_a_lowercase_header_names_the_case_difference(data_copy: Path) -> None:
    """A header written in lower case: each missing column says which present one differs
    from it only in case (instead of n missing + n unknown columns with no link)."""
    path = data_copy / "ae.csv"
    head, rest = path.read_text().split("\n", 1)
    path.write_text(head.replace("AETERM", "aeterm") + "\n" + rest)
    report = validate_study(data_copy).report.filter(pl.col("file") == "ae.csv")
    missing = report.filter(pl.col("rule") == "missing_column")
    assert missing.select("column", "message").rows() == [
        (
            "AETERM",
            "required column AETERM is missing; column 'aeterm' differs from the contract's "
            "'AETERM' only in case: rename it 'AETERM'",
        )
    ]
    unknown = report.filter(pl.col("rule") == "unknown_column")["message"][0]
    assert "'aeterm' differs from the contract's 'AETERM' only in case" in unknown


def test_a_column_named_as_the_internal_row_number_is_refused_plainly(data_copy: Path) -> None:
    path = data_copy / "ex.csv"
    head, rest = path.read_text().split("\n", 1)
    path.write_text(head + ",_ROW\n" + "".join(r + ",7\n" for r in rest.splitlines()))
    with pytest.raises(DataFileError, match="a name reserved for the spreadsheet row number"):
        validate_study(data_copy)
