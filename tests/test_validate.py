"""Each validation rule, fed deliberately broken input: the report must name the right file,
row (spreadsheet row, header = 1), column and rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from sle_car.cli import main
from sle_car.io import DataFileError, read_domain
from sle_car.validate import validate_study


def _edit(data: Path, domain: str, row: int, column: str, value: str | None) -> str:
    """Set one cell (row = spreadsheet row) of ``domain``.csv; return the old value."""
    path = data / f"{domain}.csv"
    df = pl.read_csv(path, infer_schema=False)
    old = df[column][row - 2]
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == row - 2)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    )
    df.write_csv(path)
    return old


def _find(
    report: pl.DataFrame, file: str, row: int | None, column: str | None, rule: str
) -> pl.DataFrame:
    hit = report.filter(
        (pl.col("file") == file)
        & (pl.col("row").is_null() if row is None else pl.col("row") == row)
        & (pl.col("column").is_null() if column is None else pl.col("column") == column)
        & pl.col("rule").str.starts_with(rule)
    )
    assert hit.height >= 1, f"no {rule} at {file}:{row}:{column} in\n{report}"
    return hit


def test_clean_cohort_has_no_problem(cohort_dir: Path) -> None:
    result = validate_study(cohort_dir)
    assert result.report.height == 0, result.report
    assert result.ok


def test_range_rule_names_file_row_column(data_copy: Path) -> None:
    _edit(data_copy, "dm", 3, "AGE", "17")
    hit = _find(validate_study(data_copy).report, "dm.csv", 3, "AGE", "greater_than_or_equal_to")
    assert hit["value"][0] == "17"
    assert "at least 18" in hit["message"][0]


def test_malformed_number(data_copy: Path) -> None:
    _edit(data_copy, "dm", 2, "WEIGHTBL", "sixty")
    hit = _find(validate_study(data_copy).report, "dm.csv", 2, "WEIGHTBL", "malformed_number")
    assert hit["severity"][0] == "error"


def test_decimal_comma_is_repairable(data_copy: Path) -> None:
    _edit(data_copy, "dm", 2, "WEIGHTBL", "61,5")
    hit = _find(validate_study(data_copy).report, "dm.csv", 2, "WEIGHTBL", "decimal_comma")
    assert hit["severity"][0] == "repairable"


def test_stray_whitespace(data_copy: Path) -> None:
    _edit(data_copy, "dm", 4, "SEX", "F ")
    report = validate_study(data_copy).report
    _find(report, "dm.csv", 4, "SEX", "whitespace")
    # after stripping, the value is valid: no second error for the same cell
    assert report.filter((pl.col("row") == 4) & (pl.col("column") == "SEX")).height == 1


def test_unknown_test_code(data_copy: Path) -> None:
    _edit(data_copy, "lb", 10, "LBTESTCD", "CRAET")
    _find(validate_study(data_copy).report, "lb.csv", 10, "LBTESTCD", "codelist")


def test_unit_not_allowed(data_copy: Path) -> None:
    lb = pl.read_csv(data_copy / "lb.csv", infer_schema=False)
    row = lb.with_row_index().filter(pl.col("LBTESTCD") == "C3")["index"][0] + 2
    _edit(data_copy, "lb", row, "LBORRESU", "mmol/L")
    hit = _find(validate_study(data_copy).report, "lb.csv", row, "LBORRESU", "unit_not_allowed")
    assert "g/L" in hit["message"][0]


def test_unit_variant_is_a_warning(data_copy: Path) -> None:
    lb = pl.read_csv(data_copy / "lb.csv", infer_schema=False)
    row = lb.with_row_index().filter(pl.col("LBTESTCD") == "C4")["index"][0] + 2
    _edit(data_copy, "lb", row, "LBORRESU", "mg/dL")
    old = _edit(data_copy, "lb", row, "LBORRES", "20")
    assert old is not None
    hit = _find(validate_study(data_copy).report, "lb.csv", row, "LBORRESU", "unit_variant")
    assert hit["severity"][0] == "warning"


def test_implausible_value(data_copy: Path) -> None:
    lb = pl.read_csv(data_copy / "lb.csv", infer_schema=False)
    row = lb.with_row_index().filter(pl.col("LBTESTCD") == "SODIUM")["index"][0] + 2
    _edit(data_copy, "lb", row, "LBORRES", "14")
    _find(validate_study(data_copy).report, "lb.csv", row, "LBORRES", "implausible_value")


def test_visit_recorded_twice(data_copy: Path) -> None:
    lb = pl.read_csv(data_copy / "lb.csv", infer_schema=False)
    # give row 3 the visit of row 2 (same test? pick two rows of one test)
    crp = lb.with_row_index().filter(pl.col("LBTESTCD") == "CRP")
    r1, r2 = crp["index"][0] + 2, crp["index"][1] + 2
    _edit(data_copy, "lb", r2, "VISITNUM", lb["VISITNUM"][r1 - 2])
    _edit(data_copy, "lb", r2, "VISIT", lb["VISIT"][r1 - 2])
    _edit(data_copy, "lb", r2, "LBDY", lb["LBDY"][r1 - 2])
    report = validate_study(data_copy).report
    _find(report, "lb.csv", r1, None, "multiple_fields_uniqueness")
    _find(report, "lb.csv", r2, None, "multiple_fields_uniqueness")


def test_exact_duplicate_row_is_repairable(data_copy: Path) -> None:
    path = data_copy / "vs.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join([*lines, lines[5]]))  # copy of spreadsheet row 6
    report = validate_study(data_copy).report
    hit = _find(report, "vs.csv", len(lines) + 1, None, "duplicate_row")
    assert "row 6" in hit["message"][0]
    assert report.filter(pl.col("rule") == "multiple_fields_uniqueness").height == 0


def test_exact_copies_found_among_repeated_keys_only() -> None:
    """Issue 19: exact copies are looked for only among rows whose key hash is repeated (one
    hash serves the key check and R3); they must be those of the search over every row,
    including a key conflict that is no copy and copies with an empty key column."""
    from data_schemas import RAW_DOMAINS
    from sle_car.schema_screen import key_repeated, schema_for
    from sle_car.validate import drop_copies, exact_copies

    df = pl.DataFrame(
        {
            "_ROW": [2, 3, 4, 5, 6, 7, 8],
            "USUBJID": ["A", "A", "A", "B", "A", "B", "B"],
            "QSTESTCD": ["T1", "T1", "T1", "T1", "T1", "T2", "T2"],
            "VISITNUM": [1.0, 1.0, 1.0, 1.0, 1.0, None, None],
            "QSORRES": ["5", "5", "6", "5", "5", "x", "x"],
        }
    )
    qs = RAW_DOMAINS["qs"]
    repeated = key_repeated(qs, df)
    assert repeated.to_list() == [True, True, True, False, True, True, True]
    fast, slow = exact_copies(df, repeated), exact_copies(df)
    assert fast.equals(slow)
    assert fast.select("_ROW", "_FIRST").rows() == [(2, 2), (3, 2), (6, 2), (7, 7), (8, 7)]
    assert drop_copies(df, fast)["_ROW"].to_list() == [2, 4, 5, 7]
    assert schema_for(qs, df, repeated).unique == ["USUBJID", "QSTESTCD", "VISITNUM"]
    # no key repeated: no copy, and the futile key check is dropped
    once = df.filter(pl.col("_ROW").is_in([2, 5, 7]))
    assert not key_repeated(qs, once).any()
    assert exact_copies(once, key_repeated(qs, once)).height == 0
    assert schema_for(qs, once).unique is None


def test_blanks_and_spaced_is_blanks_missing_then_spaced_columns() -> None:
    """Issue 19: blank cells made missing and the columns with stray whitespace found in one
    pass give what the two passes gave (whitespace-only cells, a blank line, a tab)."""
    from sle_car.io import blanks_missing
    from sle_car.validate import _spaced, blanks_and_spaced

    raw = pl.DataFrame(
        {
            "_ROW": [2, 3, 4, 5, 6],
            "A": ["x", "  ", None, " ", "y"],
            "B": [" y", "z", None, "\t", "w"],
            "C": ["1", "2", None, "", "3 "],
            "D": ["a", "b", None, "", "c"],
        }
    )
    got, spaced = blanks_and_spaced(raw)
    want = blanks_missing(raw)
    assert got.equals(want)
    assert got["_ROW"].to_list() == [2, 3, 6]  # rows 4 and 5 hold no value
    assert got["A"].to_list() == ["x", None, "y"]
    assert spaced == _spaced(want, ["A", "B", "C", "D"]) == ["B", "C"]


def test_unknown_subject(data_copy: Path) -> None:
    _edit(data_copy, "ae", 2, "USUBJID", "SLECAR01-01-999")
    _find(validate_study(data_copy).report, "ae.csv", 2, "USUBJID", "unknown_subject")


def test_second_infusion(data_copy: Path) -> None:
    ex = pl.read_csv(data_copy / "ex.csv", infer_schema=False)
    row = ex.with_row_index().filter(pl.col("EXTRT") == "FLUDARABINE")["index"][0] + 2
    _edit(data_copy, "ex", row, "EXTRT", "CD19 CAR T CELLS")
    _edit(data_copy, "ex", row, "EXDOSU", "10^6/kg")
    _edit(data_copy, "ex", row, "EXDOSE", "1.0")
    report = validate_study(data_copy).report
    _find(report, "ex.csv", row, "EXTRT", "one_infusion")
    _find(report, "ex.csv", row, "EXSTDY", "infusion_day0")


def test_study_day_outside_protocol(data_copy: Path) -> None:
    _edit(data_copy, "vs", 2, "VSDY", "900")
    _find(validate_study(data_copy).report, "vs.csv", 2, "VSDY", "less_than_or_equal_to")


def test_visit_outside_window_is_a_warning(data_copy: Path) -> None:
    qs = pl.read_csv(data_copy / "qs.csv", infer_schema=False)
    row = qs.with_row_index().filter(pl.col("VISIT") == "WEEK 8")["index"][0] + 2
    _edit(data_copy, "qs", row, "QSDY", "90")
    hit = _find(validate_study(data_copy).report, "qs.csv", row, "QSDY", "visit_window")
    assert hit["severity"][0] == "warning"


def test_end_before_start(data_copy: Path) -> None:
    _edit(data_copy, "ae", 2, "AEENDY", "-40")
    _find(validate_study(data_copy).report, "ae.csv", 2, None, "end_after_start")


def test_missing_and_unknown_column(data_copy: Path) -> None:
    path = data_copy / "ds.csv"
    df = (
        pl.read_csv(path, infer_schema=False).drop("DSTERM").with_columns(pl.lit("x").alias("NAME"))
    )
    df.write_csv(path)
    report = validate_study(data_copy).report
    _find(report, "ds.csv", None, "DSTERM", "missing_column")
    _find(report, "ds.csv", None, "NAME", "unknown_column")


@pytest.mark.parametrize(("domain", "column"), [("dm", "COMMENT"), ("xp", "XPCOMMENT")])
def test_an_extra_column_is_dropped_with_a_warning_not_the_domain(
    data_copy: Path, domain: str, column: str
) -> None:
    from sle_car.clean import clean_study

    path = data_copy / f"{domain}.csv"
    df = pl.read_csv(path, infer_schema=False)
    df.with_columns(pl.lit("her sister is a nurse here").alias(column)).write_csv(path)
    v = validate_study(data_copy, accept_changed_files=True)
    hit = _find(v.report, f"{domain}.csv", None, column, "unknown_column")
    assert hit["severity"].to_list() == ["warning"]
    assert "dropped" in hit["message"][0]
    cleaned = clean_study(data_copy, v)
    assert cleaned.domains[domain].height == df.height  # every row kept
    assert column not in cleaned.domains[domain].columns


def test_manifest_mismatch(cohort_dir: Path, tmp_path: Path) -> None:
    import shutil

    dst = tmp_path / "d"
    shutil.copytree(cohort_dir, dst)
    assert validate_study(dst).report.height == 0
    _edit(dst, "dm", 2, "AGE", "40")  # a valid value, but the file no longer matches its hash
    hit = _find(validate_study(dst).report, "dm.csv", None, None, "manifest")
    assert "SHA-256" in hit["message"][0]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"STUDYID,DOMAIN,USUBJID\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("STUDYID,DOMAIN\nSLECAR01,D\xc9\n".encode("latin-1"), "not UTF-8"),
        (b"STUDYID,STUDYID\nA,B\n", "duplicated column"),
        (b"just one column\nvalue\n", "fewer than two columns"),
        (b"STUDYID,DOMAIN,\nA,B,\n", "column 3 of 3 has no name in the header row"),
        (b"STUDYID,,DOMAIN,\nA,,B,\n", "columns 2, 4 of 4 have no name"),
    ],
    ids=[
        "empty",
        "header-only",
        "binary",
        "latin-1",
        "duplicate-column",
        "not-csv",
        "trailing-comma",
        "two-unnamed",
    ],
)
def test_malformed_file_is_a_clear_usage_error(
    data_copy: Path, content: bytes, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (data_copy / "dm.csv").write_bytes(content)
    with pytest.raises(DataFileError, match=expected):
        read_domain(data_copy / "dm.csv")
    status = main(["validate", str(data_copy), "--report-dir", str(data_copy.parent / "rep")])
    assert status == 2
    err = capsys.readouterr().err
    assert "dm.csv" in err and expected in err
    assert "Traceback" not in err


def test_exit_status(cohort_dir: Path, data_copy: Path, tmp_path: Path) -> None:
    assert main(["validate", str(cohort_dir), "--report-dir", str(tmp_path / "a")]) == 0
    _edit(data_copy, "dm", 2, "SEX", "X")
    assert main(["validate", str(data_copy), "--report-dir", str(tmp_path / "b")]) == 1
    report = pl.read_csv(tmp_path / "b" / "validation.csv")
    assert report.filter(pl.col("column") == "SEX").height == 1
    assert main(["validate", str(tmp_path / "missing"), "--report-dir", str(tmp_path / "c")]) == 2


def test_report_never_written_inside_raw_data(data_copy: Path) -> None:
    before = sorted(p.name for p in data_copy.iterdir())
    assert main(["validate", str(data_copy), "--report-dir", str(data_copy / "issues")]) == 2
    assert sorted(p.name for p in data_copy.iterdir()) == before


def test_missing_domain_file(data_copy: Path) -> None:
    (data_copy / "qs.csv").unlink()  # required (CM is optional: test_pipeline)
    with pytest.raises(DataFileError, match="QS domain file is missing"):
        validate_study(data_copy)


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sle_car", "validate", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "no such data directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_visit_name_must_match_visit_number(data_copy: Path) -> None:
    qs = pl.read_csv(data_copy / "qs.csv", infer_schema=False)
    row = qs.with_row_index().filter(pl.col("VISIT") == "WEEK 8")["index"][0] + 2
    _edit(data_copy, "qs", row, "VISIT", "WEEK 12")
    _find(validate_study(data_copy).report, "qs.csv", row, None, "visit_name")


def test_a_comma_before_three_digits_is_ambiguous_and_an_error(tmp_path) -> None:
    """ "1,280" may be 1280 (thousands separator) or 1.28 (decimal comma): never guessed.
    "1,5" can only be a decimal comma: repairable as before."""
    import shutil

    from sle_car.paths import synthetic_dir
    from sle_car.validate import validate_study

    cut = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), cut)
    lb = pl.read_csv(cut / "lb.csv", infer_schema=False)
    ana = lb.with_row_index("_i").filter(pl.col("LBTESTCD") == "DDNAIGAB")["_i"].to_list()
    lb = lb.with_columns(
        pl.when(pl.int_range(pl.len()) == ana[0])
        .then(pl.lit("1,250"))
        .when(pl.int_range(pl.len()) == ana[1])
        .then(pl.lit("12,5"))
        .otherwise(pl.col("LBORRES"))
        .alias("LBORRES")
    )
    lb.write_csv(cut / "lb.csv")
    report = validate_study(cut, accept_changed_files=True).report
    amb = report.filter(pl.col("rule") == "ambiguous_comma")
    assert amb.height == 1 and amb["severity"][0] == "error"
    assert amb["row"][0] == ana[0] + 2 and amb["value"][0] == "1,250"
    dec = report.filter(pl.col("rule") == "decimal_comma")
    assert dec.height == 1 and dec["severity"][0] == "repairable"


def test_manifest_rule_file_by_file(tmp_path: Path) -> None:
    """The manifest rule both engines share (``manifest_issues``), on a hand-written folder:
    a listed file with another SHA-256 is an error (a warning when accepted), a file the
    manifest does not list is a warning, a listed file with its SHA-256 and a domain not
    collected give nothing, and without a manifest there is no rule. ``digest`` is what is
    compared: the batched engine passes the hashes it took in the background."""
    import hashlib
    import json

    from sle_car.validate import manifest_issues

    for name, text in [("dm.csv", "a\n1\n"), ("lb.csv", "b\n2\n"), ("qs.csv", "c\n3\n")]:
        (tmp_path / name).write_text(text)
    digest = {
        f: hashlib.sha256((tmp_path / f).read_bytes()).hexdigest() for f in ("dm.csv", "lb.csv")
    }
    listed = {"dm.csv": digest["dm.csv"], "lb.csv": "0" * 64}
    (tmp_path / "manifest.json").write_text(json.dumps({"files": listed}))
    files = {"dm": "dm.csv", "lb": "lb.csv", "qs": "qs.csv", "cm": "cm.csv"}

    def rows(accept: bool, digest=None) -> list[tuple]:
        parts = manifest_issues(tmp_path, files, ["cm.csv"], accept, digest)
        return [(p["file"][0], p["rule"][0], p["severity"][0]) for p in parts]

    assert rows(False) == [("lb.csv", "manifest", "error"), ("qs.csv", "manifest", "warning")]
    assert rows(True) == [("lb.csv", "manifest", "warning"), ("qs.csv", "manifest", "warning")]
    assert rows(False, lambda f: "0" * 64) == [
        ("dm.csv", "manifest", "error"),
        ("qs.csv", "manifest", "warning"),
    ]
    (tmp_path / "manifest.json").unlink()
    assert rows(False) == []


def test_exact_copies_without_a_copy_has_the_columns_of_one_with_copies() -> None:
    """``exact_copies`` answers "no copy" without a query when no key hash repeats (or no row
    hash does): no row, and the same columns and types as when there are copies (``_FIRST``
    the type of ``_ROW``, ``_N`` a count), so that callers need no special case."""
    from sle_car.validate import exact_copies

    typed = pl.DataFrame({"_ROW": [2, 3, 4], "A": ["x", "y", "x"], "B": [1.0, 2.0, 1.0]})
    found = exact_copies(typed)
    assert found["_ROW"].to_list() == [2, 4] and found["_FIRST"].to_list() == [2, 2]
    for none in (exact_copies(typed.head(2)), exact_copies(typed, pl.Series([False] * 3))):
        assert none.height == 0
        assert none.schema == found.schema
