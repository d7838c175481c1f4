"""Validation of a raw data export against the data contract (``data_schemas``).

Every problem becomes one row of a report with the file, the spreadsheet row (header = 1),
the column, the value, the rule and a plain-language fix. All problems are collected; the
validation never stops at the first one.

Severity
--------
- ``error``: the row cannot be used as it is; cleaning sets it aside (quarantine).
- ``repairable``: a known export defect (stray whitespace, decimal comma, exact duplicate row)
  that cleaning repairs by a documented rule; the data manager should still fix the source.
- ``warning``: kept for the analysis but worth a query (e.g. a visit outside its window).

What belongs to the study rather than to the code (study ID, subject-ID pattern, sites, race
and ethnic groups, required baseline measurements) comes from the study configuration
(:mod:`sle_car.study`); lab unit conversions from ``data_schemas/unit_conversions.csv``.
Every value validation cannot represent faithfully (text in a number column, NaN, infinity,
overflow, a whole number beyond 64 bits) is an ``error`` naming the cell, never a silent
missing value; a cell holding only whitespace is missing (:func:`sle_car.io.read_domain`).
A data file differing from its SHA-256 in ``manifest.json`` is an ``error`` unless accepted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from data_schemas import RAW_DOMAINS
from data_schemas import codelists as cl
from sle_car import crosschecks, schema_screen
from sle_car.io import (
    ROW,
    DataFileError,
    EmptyDomainFile,
    domain_file,
    read_domain,
    read_manifest,
    sha256,
)
from sle_car.schema_screen import key_repeated
from sle_car.study import StudyConfig, load_study_config

REPORT_COLUMNS = {
    "file": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "value": pl.String,
    "rule": pl.String,
    "severity": pl.String,
    "message": pl.String,
}
BLANK = "(blank)"
"""The report's value of a required cell that is empty or held only whitespace."""
_DECIMAL_COMMA = r"^[-+]?\d+,\d+$"
_THOUSANDS_COMMA = r"^[-+]?\d{1,3}(,\d{3})+$"
"""A comma followed by groups of exactly three digits ("1,280"): a thousands separator as
readily as a decimal comma (1280 or 1.28), so never repaired by guessing: an error."""
_AMBIGUOUS_MESSAGE = (
    "comma followed by three digits: a thousands separator (1,280 = 1280) or a decimal comma "
    "(1,280 = 1.28)? Write the number without a thousands separator and with '.' for decimals"
)


def _decimal_comma(text: pl.Expr) -> pl.Expr:
    """A decimal comma that can only be one (rule R2): not :data:`_THOUSANDS_COMMA`."""
    return text.str.contains(_DECIMAL_COMMA) & text.str.contains(_THOUSANDS_COMMA).not_()


_EMPTY_REPORT = pl.DataFrame(schema=REPORT_COLUMNS)


def empty_report() -> pl.DataFrame:
    """A report with no rows (a copy of one built once: about 1 µs instead of 90 µs, and
    validating one study asks for about a hundred)."""
    return _EMPTY_REPORT.clone()


def _issues(
    file: str,
    rows: pl.DataFrame,
    column: str | None,
    rule: str,
    severity: str,
    message: str | pl.Expr,
    value: pl.Expr | None = None,
) -> pl.DataFrame:
    """Report rows for every row of ``rows`` (which carries ``_ROW``)."""
    if rows.height == 0:
        return empty_report()
    value_expr = value if value is not None else (pl.col(column) if column else pl.lit(None))
    msg = message if isinstance(message, pl.Expr) else pl.lit(message)
    return rows.select(
        pl.lit(file).alias("file"),
        pl.col(ROW).cast(pl.Int64).alias("row"),
        pl.lit(column, dtype=pl.String).alias("column"),
        value_expr.cast(pl.String).alias("value"),
        pl.lit(rule).alias("rule"),
        pl.lit(severity).alias("severity"),
        msg.cast(pl.String).alias("message"),
    )


def _polars_dtype(model: type[pa.DataFrameModel], column: str) -> pl.DataType:
    return model.to_schema().columns[column].dtype.type


def _explain(check: str, column: str, model_name: str) -> str:
    """Plain-language fix for a pandera check name."""
    if check.startswith("isin("):
        allowed = check[5:-1]
        if len(allowed) > 160:
            allowed = allowed[:160] + " …]"
        return f"{column} must be one of {allowed} (see the data dictionary); correct the value"
    m = re.match(
        r"(greater_than_or_equal_to|less_than_or_equal_to|greater_than|less_than)\((.*)\)", check
    )
    if m:
        words = {
            "greater_than_or_equal_to": "at least",
            "less_than_or_equal_to": "at most",
            "greater_than": "greater than",
            "less_than": "less than",
        }[m.group(1)]
        return f"{column} must be {words} {m.group(2)}; check the value and its unit in the source"
    if check.startswith("str_matches"):
        return f"{column} does not have the required format {check[12:-1]}; correct it"
    if check == "not_nullable":
        return f"{column} is required but empty; fill it in the source"
    if check == "multiple_fields_uniqueness":
        return (
            f"the same key appears more than once in {model_name}; keep one record per key "
            "and delete or correct the others"
        )
    if check.startswith("field_uniqueness"):
        return f"{column} must be unique; remove the repeated record"
    if check.startswith("dtype("):
        return f"{column} has the wrong type {check}; re-export it"
    if check == "visit_name":
        return (
            "VISIT and VISITNUM do not name the same visit: a protocol visit has its number and "
            "name from the schedule (e.g. 1004 WEEK 4); an unscheduled visit has VISIT "
            "'UNSCHEDULED n.m' (or 'UNSCHEDULED') and a VISITNUM n.m that is no protocol "
            "visit's; correct VISIT or VISITNUM"
        )
    if check == "end_after_start":
        return "the end day is before the onset day; correct one of them"
    if check == "scale_matches_category":
        return "CRS and ICANS are graded with ASTCT 2019, other events with CTCAE V5.0; correct AETOXGRV"
    from sle_car.crosschecks import explain_check

    return explain_check(model_name, check) or f"fails the rule '{check}'; correct the value"


def _structure(file: str, df: pl.DataFrame, model: type[pa.DataFrameModel]) -> pl.DataFrame:
    """The file's columns against the contract: a missing required column is an ``error``
    (the domain cannot be read as the contract says: it is set aside as a whole); a column
    the contract does not know (e.g. ``COMMENT`` in dm.csv) is a ``warning``: it is dropped
    (:func:`validate_domain` keeps the contract's columns only) and the domain kept. Dropping
    is the safe side: an unknown column is often free text (a comment), and no free text may
    reach the outputs; before the data review of issue 18 one stray column set the whole
    domain aside."""
    expected = list(model.to_schema().columns)
    present = [c for c in df.columns if c != ROW]
    # a column differing from the contract's only in case ("xptestcd"): say so on both sides
    by_case = {c.upper(): c for c in present if c not in expected}
    case_of = {by_case[c.upper()]: c for c in expected if c not in present and c.upper() in by_case}
    rows = []
    for col in expected:
        if col not in present:
            fix = (
                f"column '{by_case[col.upper()]}' differs from the contract's '{col}' only in "
                f"case: rename it '{col}'"
                if col.upper() in by_case and by_case[col.upper()] in case_of
                else "add it to the export"
            )
            rows.append(
                (
                    file,
                    None,
                    col,
                    None,
                    "missing_column",
                    "error",
                    f"required column {col} is missing; {fix}",
                )
            )
    for col in present:
        if col not in expected:
            hint = (
                f" (column '{col}' differs from the contract's '{case_of[col]}' only in case: "
                f"rename it '{case_of[col]}')"
                if col in case_of
                else ""
            )
            rows.append(
                (
                    file,
                    None,
                    col,
                    None,
                    "unknown_column",
                    "warning",
                    f"column {col} is not part of the {model.Config.name} contract{hint}: it is "
                    "dropped and the rest of the file kept (an extra column may hold free "
                    "text, which never reaches the outputs); remove it from the export, or "
                    "rename it to the data dictionary's name if it is one of its columns",
                )
            )
    return pl.DataFrame(rows, schema=REPORT_COLUMNS, orient="row") if rows else empty_report()


def repair_text(df: pl.DataFrame, columns: list[str] | None = None) -> pl.DataFrame:
    """Cleaning rule R1: strip leading and trailing whitespace from every text value (of
    ``columns``, default all text columns)."""
    cols = [c for c in df.columns if c != ROW and df.schema[c] == pl.String]
    if columns is not None:
        cols = [c for c in cols if c in columns]
    return df.with_columns(pl.col(cols).str.strip_chars()) if cols else df


def _flagged(df: pl.DataFrame, checks: dict[tuple[str, str], pl.Expr]) -> dict:
    """The checks that hit at least one row: all evaluated in one parallel pass, so that only
    the few columns with a problem are filtered for the report."""
    if not checks:
        return {}
    hits = df.select(
        [e.fill_null(False).any().alias(f"{c}\x1f{r}") for (c, r), e in checks.items()]
    ).row(0)
    return {key: e for (key, e), hit in zip(checks.items(), hits, strict=True) if hit}


_NUMBER_RULES = {
    "decimal_comma": (
        "decimal_comma",
        "repairable",
        "decimal comma in a number; cleaning reads it as a decimal point, "
        "set the export to use '.'",
    ),
    "malformed_number": (
        "malformed_number",
        "error",
        "{col} must be {kind}; correct the value in the source",
    ),
    "ambiguous_comma": ("ambiguous_comma", "error", _AMBIGUOUS_MESSAGE),
    "not_finite": (
        "malformed_number",
        "error",
        "{col} must be a finite number, not NaN, infinity or a number too large to store; "
        "correct the value in the source",
    ),
    "out_of_range": (
        "malformed_number",
        "error",
        "{col} is too large to store as {kind}; correct the value in the source",
    ),
    "fraction": ("malformed_number", "error", "{col} must be a whole number; correct the value"),
}
"""Report rule, severity and message of each number check of :func:`_number_checks`."""


def _number_checks(col: str, dtype: pl.DataType) -> dict[str, pl.Expr]:
    """The checks of one numeric text column, in the order they are reported: a decimal comma
    (R2, repairable), an ambiguous comma, text that is no number, and a number that reads but
    has no faithful value of the column's type: NaN, infinity, an overflow (1e400, a
    100,000-digit number) or, in a whole-number column, beyond the 64-bit range or with a
    fraction. Never silently missing: each is an error."""
    text = pl.col(col)
    value = text.str.replace(",", ".").cast(pl.Float64, strict=False)
    parsed = _parse_number(text, dtype)
    ambiguous = text.str.contains(_THOUSANDS_COMMA)
    checks = {
        "decimal_comma": _decimal_comma(text),
        "ambiguous_comma": ambiguous,
        "malformed_number": text.is_not_null() & value.is_null(),
        "not_finite": value.is_not_null() & value.is_finite().not_(),
        "out_of_range": value.is_finite() & parsed.is_null() & text.is_not_null(),
    }
    if dtype.is_integer():
        checks["fraction"] = value.is_finite() & (value != value.round(0))
        checks["out_of_range"] &= checks["fraction"].not_()
    # one message per cell: an ambiguous comma ("1,234", "12,345,678") is that, not also a
    # malformed number or a fraction (its comma read as a decimal point)
    return {
        k: e if k in ("decimal_comma", "ambiguous_comma") else e & ambiguous.not_()
        for k, e in checks.items()
    }


def _spaced(df: pl.DataFrame, columns: list[str]) -> list[str]:
    """The text columns of ``columns`` with at least one value with stray whitespace around
    it, found in one parallel pass over ``df``."""
    cols = [c for c in columns if df.schema[c] == pl.String]
    if not cols:
        return []
    hits = df.select((pl.col(c) != pl.col(c).str.strip_chars()).any().alias(c) for c in cols).row(0)
    return [c for c, hit in zip(cols, hits, strict=True) if hit]


def blanks_and_spaced(raw: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """:func:`sle_car.io.blanks_missing` of ``raw`` (text as exported, blanks not yet
    missing) and the columns :func:`_spaced` finds in its result, in one pass over the cells:
    both strip every value, and the strip is computed once (issue 19: the blank cells and the
    stray whitespace were two passes). Give the columns to :func:`validate_domain_copies`."""
    cols = [c for c in raw.columns if c != ROW]
    stripped = raw.lazy().with_columns(pl.col(c).str.strip_chars().alias(f"{c}\x1e") for c in cols)
    kept = {c: pl.col(f"{c}\x1e").str.len_bytes() > 0 for c in cols}  # not blank
    marked = stripped.select(
        *[
            pl.col(c) if c == ROW else pl.when(kept[c]).then(pl.col(c)).alias(c)
            for c in raw.columns
        ],
        *[(kept[c] & (pl.col(c) != pl.col(f"{c}\x1e"))).alias(f"{c}\x1f") for c in cols],
    ).collect()
    flags = [f"{c}\x1f" for c in cols]
    hits = marked.select(pl.col(flags).any()).row(0) if cols else ()
    spaced = [c for c, hit in zip(cols, hits, strict=True) if hit]
    # blank cells are missing already: only the rows with no value left are dropped
    rows = marked.drop(flags)
    return rows.filter(pl.any_horizontal(pl.exclude(ROW).is_not_null())), spaced


def _coerce(
    file: str,
    df: pl.DataFrame,
    model: type[pa.DataFrameModel],
    spaced: list[str] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Strip whitespace, repair decimal commas, cast to the schema types; report each.

    Vectorised for speed (issue 19): each numeric column is cast once as it stands; a cell is
    only examined by the rules of :func:`_number_checks` (and read by :func:`_parse_number`)
    when that cast fails, gives a non-finite value, or the text holds a comma: any other cell
    is a plain number none of the rules can flag, and its value is the cast's. The report
    (rows, order, messages) is that of every check on every cell
    (``tests/test_validate_pinned.py``). ``spaced``: the columns with stray whitespace
    when known (:func:`blanks_and_spaced`); otherwise they are looked for here."""
    issues = [empty_report()]
    text_cols = [c for c in df.columns if c != ROW]
    if spaced is None:
        spaced = _spaced(df, text_cols)
    else:
        spaced = [c for c in text_cols if c in spaced and df.schema[c] == pl.String]
    for col in spaced:
        hit = pl.col(col).is_not_null() & (pl.col(col) != pl.col(col).str.strip_chars())
        issues.append(
            _issues(
                file,
                df.filter(hit),
                col,
                "whitespace",
                "repairable",
                "stray whitespace around the value; cleaning strips it, fix the export template",
                value=pl.concat_str([pl.lit('"'), pl.col(col), pl.lit('"')]),
            )
        )
    df = repair_text(df, spaced)
    numeric = {c: _polars_dtype(model, c) for c in text_cols}
    numeric = {c: t for c, t in numeric.items() if t != pl.String}
    if not numeric:
        return df, pl.concat(issues)
    exprs = []
    for col, dtype in numeric.items():
        plain = pl.col(col).cast(dtype if dtype.is_integer() else pl.Float64, strict=False)
        other = plain.is_null() | pl.col(col).str.contains(",", literal=True)
        if not dtype.is_integer():
            other |= plain.is_finite().not_()
        exprs += [
            plain.cast(dtype).alias(col),
            (pl.col(col).is_not_null() & other).alias(f"{col}\x1f"),
        ]
    cast = df.select(exprs)
    suspects = cast.select(pl.col(f"{c}\x1f").sum() for c in numeric).row(0)
    typed = {}
    for (col, dtype), n in zip(numeric.items(), suspects, strict=True):
        values = cast.get_column(col)
        if n:
            where = cast.get_column(f"{col}\x1f").arg_true()
            cells = df.select(ROW, col)[where]
            values = values.scatter(
                where, cells.select(_parse_number(pl.col(col), dtype)).to_series()
            )
            kind = "a whole number" if dtype.is_integer() else "a number"
            checks = _number_checks(col, dtype)
            hits = cells.select(e.fill_null(False).alias(k) for k, e in checks.items())
            for check in checks:
                hit = hits.get_column(check)
                if hit.any():
                    rule, severity, message = _NUMBER_RULES[check]
                    issues.append(
                        _issues(
                            file,
                            cells.filter(hit),
                            col,
                            rule,
                            severity,
                            message.format(col=col, kind=kind),
                        )
                    )
        typed[col] = values
    return df.with_columns(typed.values()), pl.concat(issues)


_WHOLE = r"^[-+]?\d+$"


def _parse_number(text: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """The value of a numeric text cell in ``dtype``, null when it has no faithful value there.

    A decimal comma reads as a decimal point (rule R2). Whole numbers are read digit by digit,
    not through a float, so that no 64-bit integer loses a digit; ``"3.0"`` is the whole
    number 3. Non-finite values (NaN, infinity, overflow) and integers beyond the 64-bit range
    give null here and an error in :func:`_coerce`."""
    text = (
        pl.when(text.str.contains(_THOUSANDS_COMMA))
        .then(None)
        .when(text.str.contains(_DECIMAL_COMMA))
        .then(text.str.replace(",", "."))
        .otherwise(text)
    )
    value = text.cast(pl.Float64, strict=False)
    finite = pl.when(value.is_finite()).then(value)
    if not dtype.is_integer():
        return finite.cast(dtype)
    whole = text.str.strip_prefix("+").cast(dtype, strict=False)
    via_float = pl.when(finite == finite.round(0)).then(finite)
    return (
        pl.when(text.str.contains(_WHOLE))
        .then(whole)
        .otherwise(pl.when(via_float.abs() < 2.0**53).then(via_float).cast(dtype, strict=False))
    )


def _schema_issues(
    file: str,
    typed: pl.DataFrame,
    model: type[pa.DataFrameModel],
    repeated: pl.Series | None = None,
) -> pl.DataFrame:
    data = typed.drop(ROW)
    try:
        schema_screen.validate_model(model, data, repeated, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
    else:
        return empty_report()
    rows = typed.select(ROW).with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
    fc = fc.with_columns(pl.col("index").cast(pl.Int64)).join(rows, on="index", how="left")
    name = model.Config.name
    out = fc.select(
        pl.lit(file).alias("file"),
        pl.col(ROW).alias("row"),
        pl.when(pl.col("column") == name).then(None).otherwise(pl.col("column")).alias("column"),
        # a required cell that is empty (or held only whitespace, read as empty) says so:
        # "(blank)", not a bare null that reads like the text "null"
        pl.when(pl.col("check").cast(pl.String) == "not_nullable")
        .then(pl.lit(BLANK))
        .otherwise(pl.col("failure_case").cast(pl.String))
        .alias("value"),
        # a codelist check is named "codelist", not by its whole list of allowed values
        # ("isin(['ACLIGG', 'ALB', ...])"); the message still lists them
        pl.when(pl.col("check").cast(pl.String).str.starts_with("isin("))
        .then(pl.lit("codelist"))
        .otherwise(pl.col("check").cast(pl.String))
        .alias("rule"),
        pl.lit("error").alias("severity"),
        pl.struct("check", "column")
        .map_elements(
            lambda s: _explain(str(s["check"]), str(s["column"]), name), return_dtype=pl.String
        )
        .alias("message"),
    )
    return out


def _no_copies(typed: pl.DataFrame) -> pl.DataFrame:
    """What :func:`exact_copies` gives when ``typed`` has no exact copy: no row, its columns
    with ``_FIRST`` (the type of ``_ROW``) and ``_N`` (the type of a count)."""
    return pl.DataFrame(
        schema={**typed.schema, "_FIRST": typed.schema[ROW], "_N": pl.get_index_type()}
    )


def exact_copies(typed: pl.DataFrame, repeated: pl.Series | None = None) -> pl.DataFrame:
    """Rows that are exact copies of another row, with ``_FIRST`` (the first copy's row) and
    ``_N`` (copies in the group). A 64-bit row hash finds candidates in one pass; equality
    is then confirmed on the candidates alone, so no hash collision can merge two rows.
    ``repeated`` (:func:`key_repeated`): the rows whose key hash is repeated, when the domain
    has a key: exact copies have the same key, so only those rows can be copies (the others
    are not hashed again)."""
    cols = [c for c in typed.columns if c != ROW]
    if repeated is not None:
        if not repeated.any():  # no key repeated: no copy (the common case, at no query)
            return _no_copies(typed)
        typed = typed.filter(repeated)
    hashed = typed.select(cols).hash_rows().is_duplicated()
    if not hashed.any():
        return _no_copies(typed)
    candidates = typed.filter(hashed)
    return candidates.with_columns(
        pl.col(ROW).min().over(cols).alias("_FIRST"), pl.len().over(cols).alias("_N")
    ).filter(pl.col("_N") > 1)


def _exact_duplicates(file: str, copies: pl.DataFrame) -> pl.DataFrame:
    if copies.height == 0:
        return empty_report()
    later = copies.filter(pl.col(ROW) != pl.col("_FIRST"))
    return _issues(
        file,
        later,
        None,
        "duplicate_row",
        "repairable",
        pl.format(
            "exact copy of row {}; cleaning keeps the first, delete the copy in the source",
            pl.col("_FIRST"),
        ),
        value=pl.lit(None),
    )


def _lab_rules(file: str, lb: pl.DataFrame) -> pl.DataFrame:
    """LB: unit allowed for the test, result numeric (or an allowed qualitative value) and
    physiologically possible in the standard unit.

    The rules are evaluated in one lazy pass over the five columns they read, joined to the
    small tables of tests, units (``codelists.unit_factors``: a unit is allowed when it has a
    factor) and qualitative values; only rows with a problem are materialised."""
    tests = pl.DataFrame(
        [
            {
                "LBTESTCD": t.code,
                "LBSPEC": t.specimen,
                "_UNIT": t.unit,
                "_UNITS": ", ".join(t.allowed_units),
                "_QUALS": ", ".join(t.qualitative),
                "_NUMERIC": not t.qualitative,
                "_LOW": float(t.low),
                "_HIGH": float(t.high),
            }
            for t in cl.LAB_TESTS.values()
        ]
    )
    qual_ok = pl.DataFrame(
        [
            {"LBTESTCD": t.code, "LBSPEC": t.specimen, "LBORRES": v, "_QOK": True}
            for t in cl.LAB_TESTS.values()
            for v in t.qualitative
        ]
    )
    res, unit = pl.col("LBORRES"), pl.col("LBORRESU")
    value = res.str.replace(",", ".").cast(pl.Float64, strict=False)
    numeric = pl.col("_NUMERIC").fill_null(False)
    rules = {
        "test_specimen": pl.col("_UNIT").is_null() & pl.col("LBTESTCD").is_in(cl.LB_TESTCODES),
        "qualitative_result": pl.col("_NUMERIC").not_().fill_null(False)
        & res.is_not_null()
        & pl.col("_QOK").is_null(),
        "unit_not_allowed": numeric & res.is_not_null() & pl.col("_F").is_null(),
        # a unit whose factor is 1 (e.g. /uL for 10^6/L, ng/mL for ug/L) changes no number:
        # only a real conversion is worth a warning
        "unit_variant": numeric
        & pl.col("_F").is_not_null()
        & (unit != pl.col("_UNIT"))
        & (pl.col("_F") != 1.0),
        "decimal_comma": numeric & _decimal_comma(res).fill_null(False),
        "ambiguous_comma": numeric & res.str.contains(_THOUSANDS_COMMA).fill_null(False),
        # NaN, infinity and overflow (1e400) are no result either
        "malformed_number": numeric & res.is_not_null() & value.is_finite().not_().fill_null(True),
        "implausible_value": numeric
        & res.str.contains(_THOUSANDS_COMMA).not_().fill_null(True)
        & value.is_finite().fill_null(False)
        & ((pl.col("_SI") < pl.col("_LOW")) | (pl.col("_SI") > pl.col("_HIGH"))).fill_null(False),
    }
    keys = ["LBTESTCD", "LBSPEC"]
    x = (
        lb.lazy()
        .select(ROW, *keys, "LBORRES", "LBORRESU")
        .join(tests.lazy(), on=keys, how="left")
        .join(
            cl.unit_factors().lazy().select(*keys, "LBORRESU", "_F"),
            on=[*keys, "LBORRESU"],
            how="left",
        )
        .join(qual_ok.lazy(), on=[*keys, "LBORRES"], how="left")
        .with_columns((value * pl.col("_F")).alias("_SI"))
        .with_columns(**rules)
        .filter(pl.any_horizontal(list(rules)))
        .collect()
    )
    spec = {
        "test_specimen": (
            "LBSPEC",
            "error",
            pl.format(
                "test {} is not collected on specimen {}; correct LBSPEC",
                pl.col("LBTESTCD"),
                pl.col("LBSPEC"),
            ),
        ),
        "qualitative_result": (
            "LBORRES",
            "error",
            pl.format(
                "result of {} must be one of {}; correct it", pl.col("LBTESTCD"), pl.col("_QUALS")
            ),
        ),
        "unit_not_allowed": (
            "LBORRESU",
            "error",
            pl.format(
                "unit not allowed for {}; use one of: {}", pl.col("LBTESTCD"), pl.col("_UNITS")
            ),
        ),
        "unit_variant": (
            "LBORRESU",
            "warning",
            pl.format(
                "{} reported in {}: cleaning converts it to {}",
                pl.col("LBTESTCD"),
                pl.col("LBORRESU"),
                pl.col("_UNIT"),
            ),
        ),
        "decimal_comma": (
            "LBORRES",
            "repairable",
            "decimal comma in a number; cleaning reads it as a decimal point, "
            "set the export to use '.'",
        ),
        "malformed_number": (
            "LBORRES",
            "error",
            pl.format("result of {} must be a finite number; correct it", pl.col("LBTESTCD")),
        ),
        "ambiguous_comma": ("LBORRES", "error", _AMBIGUOUS_MESSAGE),
        "implausible_value": (
            "LBORRES",
            "error",
            pl.format(
                "{} {} {} is outside the possible range {}-{} {}; check the value and its unit",
                pl.col("LBTESTCD"),
                pl.col("LBORRES"),
                pl.col("LBORRESU"),
                pl.col("_LOW"),
                pl.col("_HIGH"),
                pl.col("_UNIT"),
            ),
        ),
    }
    return pl.concat(
        [
            _issues(file, x.filter(rule), column, rule, severity, message)
            for rule, (column, severity, message) in spec.items()
        ]
    )


def _vs_rules(file: str, vs: pl.DataFrame) -> pl.DataFrame:
    tests = pl.DataFrame(
        [
            {
                "VSTESTCD": v.code,
                "_UNIT": v.unit,
                "_QUAL": list(v.qualitative),
                "_LOW": float(v.low),
                "_HIGH": float(v.high),
            }
            for v in cl.VITAL_SIGNS.values()
        ]
    )
    x = vs.join(tests, on="VSTESTCD", how="inner")
    qual = x.filter(pl.col("_QUAL").list.len() > 0)
    num = x.filter(pl.col("_QUAL").list.len() == 0)
    value = pl.col("VSORRES").str.replace(",", ".").cast(pl.Float64, strict=False)
    issues = [
        _issues(
            file,
            qual.filter(pl.col("VSORRES").is_in(pl.col("_QUAL")).not_()),
            "VSORRES",
            "qualitative_result",
            "error",
            pl.format("{} must be one of {}", pl.col("VSTESTCD"), pl.col("_QUAL").list.join(", ")),
        ),
        _issues(
            file,
            num.filter(_decimal_comma(pl.col("VSORRES"))),
            "VSORRES",
            "decimal_comma",
            "repairable",
            "decimal comma in a number; cleaning reads it as a decimal point",
        ),
        _issues(
            file,
            num.filter(value.is_finite().not_().fill_null(True)),
            "VSORRES",
            "malformed_number",
            "error",
            pl.format("{} must be a number; correct it", pl.col("VSTESTCD")),
        ),
        _issues(
            file,
            num.filter(pl.col("VSORRESU").fill_null("") != pl.col("_UNIT")),
            "VSORRESU",
            "unit_not_allowed",
            "error",
            pl.format("unit of {} must be {}", pl.col("VSTESTCD"), pl.col("_UNIT")),
        ),
        _issues(
            file,
            num.filter(value.is_finite() & ((value < pl.col("_LOW")) | (value > pl.col("_HIGH")))),
            "VSORRES",
            "implausible_value",
            "error",
            pl.format(
                "{} {} is outside the possible range {}-{} {}",
                pl.col("VSTESTCD"),
                pl.col("VSORRES"),
                pl.col("_LOW"),
                pl.col("_HIGH"),
                pl.col("_UNIT"),
            ),
        ),
    ]
    return pl.concat(issues)


def _visit_window(file: str, df: pl.DataFrame, day_col: str) -> pl.DataFrame:
    visits = pl.DataFrame(
        {
            "VISITNUM": [float(v.visitnum) for v in cl.VISITS],
            "_NOM": [v.day for v in cl.VISITS],
            "_WIN": [v.window for v in cl.VISITS],
        }
    )
    out = (
        df.lazy()
        .select(ROW, "VISITNUM", "VISIT", day_col)
        .join(visits.lazy(), on="VISITNUM", how="inner")
        .filter((pl.col(day_col) - pl.col("_NOM")).abs() > pl.col("_WIN"))
        .collect()
    )
    return _issues(
        file,
        out,
        day_col,
        "visit_window",
        "warning",
        pl.format(
            "day {} is outside the window of {} (day {} ± {}); confirm the date or the visit",
            pl.col(day_col),
            pl.col("VISIT"),
            pl.col("_NOM"),
            pl.col("_WIN"),
        ),
    )


@dataclass
class Validation:
    """The outcome of validating a data directory."""

    report: pl.DataFrame
    """One row per problem: file, row, column, value, rule, severity, message."""
    domains: dict[str, pl.DataFrame]
    """Each domain with repaired text and schema types, plus ``_ROW`` (problems included)."""
    files: dict[str, str]
    """Domain name -> file name."""
    cleaned: object | None = None
    """The batched engine's :class:`~sle_car.clean.Cleaned` (:func:`sle_car.batched.
    validate_clean` validates and cleans in one pass over the data; ``domains`` is then
    empty); ``clean_study`` returns it instead of cleaning again."""

    @property
    def n_errors(self) -> int:
        return self.report.filter(pl.col("severity") != "warning").height

    @property
    def ok(self) -> bool:
        return self.n_errors == 0


def _cross_domain(v_files: dict[str, str], domains: dict[str, pl.DataFrame]) -> pl.DataFrame:
    issues = []
    dm = domains.get("dm")
    if dm is not None and "USUBJID" in dm.columns:
        subjects = dm.get_column("USUBJID").drop_nulls().unique()
        for name, df in domains.items():
            if name == "dm" or "USUBJID" not in df.columns:
                continue
            bad = df.filter(pl.col("USUBJID").is_in(subjects.implode()).not_())
            issues.append(
                _issues(
                    v_files[name],
                    bad,
                    "USUBJID",
                    "unknown_subject",
                    "error",
                    "subject is not in DM; correct the identifier or add the subject to DM",
                )
            )
    ex = domains.get("ex")
    if ex is not None and {"EXTRT", "EXSTDY", "USUBJID"} <= set(ex.columns):
        inf = ex.filter(pl.col("EXTRT") == "CD19 CAR T CELLS")
        many = inf.filter(pl.len().over("USUBJID") > 1)
        issues.append(
            _issues(
                v_files["ex"],
                many,
                "EXTRT",
                "one_infusion",
                "error",
                "more than one CAR-T infusion for this subject; the protocol "
                "gives one, keep the real one",
            )
        )
        notday0 = inf.filter(pl.col("EXSTDY") != 0)
        issues.append(
            _issues(
                v_files["ex"],
                notday0,
                "EXSTDY",
                "infusion_day0",
                "error",
                "the CAR-T infusion defines study day 0; recompute study days "
                "from the infusion date",
            )
        )
    for name, day in (("lb", "LBDY"), ("vs", "VSDY"), ("qs", "QSDY")):
        df = domains.get(name)
        if df is not None and {"VISITNUM", day, "VISIT"} <= set(df.columns):
            issues.append(_visit_window(v_files[name], df, day))
    issues.append(crosschecks.milestone_rules(v_files, domains))
    return pl.concat(issues)


def study_rules(file: str, name: str, typed: pl.DataFrame, study: StudyConfig) -> pl.DataFrame:
    """The rules the study configuration (``sle_car/config/study.yaml``) sets: STUDYID is the
    study's (``study_id``), USUBJID matches ``subject_id_pattern``; in DM, SITEID, RACE and
    ETHGRP are among the configured codes, a required baseline measurement is present
    (``baseline_required``, error) and an optional one is noted when missing
    (``baseline_missing``, warning: the values derived from it are missing, never imputed).
    Empty identifiers are the schema's ``not_nullable`` errors, not repeated here."""
    where = f"the study configuration {study.source}"
    other = "or validate this cut with its own --study-config"
    checks: list[tuple[str, str, str, pl.Expr, str]] = [
        (
            "STUDYID",
            "study_id",
            "error",
            pl.col("STUDYID") != study.study_id,
            f"STUDYID must be {study.study_id} ({where}); correct it, {other}",
        ),
        (
            "USUBJID",
            "subject_id_format",
            "error",
            pl.col("USUBJID").str.contains(study.subject_id_pattern).not_(),
            f"USUBJID does not have the study's format {study.subject_id_pattern} ({where}); "
            f"correct it, {other}",
        ),
    ]
    if name == "dm":
        for col, rule, codes in (
            ("SITEID", "site", study.sites),
            ("RACE", "race", study.race),
            ("ETHGRP", "ethnic_group", study.ethnic_groups),
        ):
            checks.append(
                (
                    col,
                    rule,
                    "error",
                    pl.col(col).is_in(list(codes)).not_(),
                    f"{col} must be one of {list(codes)} ({where}); correct it, {other}",
                )
            )
        for col in study.baseline_required:
            checks.append(
                (
                    col,
                    "baseline_required",
                    "error",
                    pl.col(col).is_null(),
                    f"{col} is a required baseline measurement ({where}) but empty; fill it "
                    "in the source",
                )
            )
        for col in study.baseline_optional:
            checks.append(
                (
                    col,
                    "baseline_missing",
                    "warning",
                    pl.col(col).is_null(),
                    f"{col} is not recorded (optional in {where}); what is derived from it "
                    "(e.g. body surface area) is missing",
                )
            )
    checks = [c for c in checks if c[0] in typed.columns]
    hits = _flagged(typed, {(col, rule): expr for col, rule, _, expr, _ in checks})
    return pl.concat(
        [empty_report()]
        + [
            _issues(file, typed.filter(hits[(col, rule)]), col, rule, severity, message)
            for col, rule, severity, _, message in checks
            if (col, rule) in hits
        ]
    )


def validate_domain(
    name: str, raw: pl.DataFrame, file: str, study: StudyConfig | None = None
) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Validate one domain read by :func:`sle_car.io.read_domain` against the contract and
    the study configuration (default: :func:`sle_car.study.load_study_config`).

    Returns the typed frame (``None`` when its columns do not match the contract) and the
    report rows of this domain alone.
    """
    typed, report, _ = validate_domain_copies(name, raw, file, study)
    return typed, report


def validate_domain_copies(
    name: str,
    raw: pl.DataFrame,
    file: str,
    study: StudyConfig | None = None,
    spaced: list[str] | None = None,
) -> tuple[pl.DataFrame | None, pl.DataFrame, pl.DataFrame | None]:
    """:func:`validate_domain`, plus the exact copies (:func:`exact_copies`) of the typed
    frame it returns, so that :func:`drop_copies` need not find them again; None when there
    is no typed frame or an invalid descriptive value was blanked in it after they were found
    (:func:`sle_car.crosschecks.soften_descriptive`: the copies may then differ).
    ``spaced``: the columns of ``raw`` with stray whitespace (:func:`blanks_and_spaced`)."""
    study = study or load_study_config()
    model = RAW_DOMAINS[name]
    raw, absent = _add_optional_columns(name, raw)
    structure = pl.concat([_structure(file, raw, model), _columns_not_collected(file, absent)])
    if structure.height and structure.filter(pl.col("rule") == "missing_column").height:
        return None, structure, None
    raw = raw.select([ROW, *[c for c in model.to_schema().columns]])
    typed, coercion = _coerce(file, raw, model, spaced)
    repeated = key_repeated(model, typed)
    schema = _schema_issues(file, typed, model, repeated)
    # exact copies are reported once, as repairable duplicates, not as key conflicts
    copies = exact_copies(typed, repeated)
    if schema.height and copies.height:
        schema = schema.filter(
            (pl.col("rule") != "multiple_fields_uniqueness")
            | pl.col("row").is_in(copies[ROW].implode()).not_()
        )
    # a cell that cannot be read as a number is reported once, not again as "required but
    # empty" (nor as a missing baseline measurement) because it has no typed value
    study_issues = study_rules(file, name, typed, study)
    unread = (  # malformed_number, ambiguous_comma ("1,000" has no value either)
        coercion.filter(pl.col("severity") == "error").select("row", "column").unique()
        if coercion.height
        else coercion
    )
    if unread.height:
        schema = schema.join(
            unread.with_columns(pl.lit("not_nullable").alias("rule")),
            on=["row", "column", "rule"],
            how="anti",
            nulls_equal=False,
        )
        study_issues = study_issues.join(unread, on=["row", "column"], how="anti")
    parts = [structure, coercion, schema, _exact_duplicates(file, copies), study_issues]
    if name == "lb":
        parts.append(_lab_rules(file, typed))
    if name == "vs":
        parts.append(_vs_rules(file, typed))
    parts.append(crosschecks.domain_rules(name, file, typed))
    softened, report = crosschecks.soften_descriptive(name, typed, pl.concat(parts))
    return softened, report, copies if softened is typed else None


def sort_report(report: pl.DataFrame) -> pl.DataFrame:
    """Deterministic order: file, row, column, rule."""
    return report.unique().sort(["file", "row", "column", "rule", "value"], nulls_last=True)


def domain_not_collected(file: str, name: str) -> pl.DataFrame:
    """The warning for an optional domain (:data:`OPTIONAL_DOMAINS`) the cut has no file for:
    it is analysed as an empty domain and what needs it is shown as not collected."""
    return pl.DataFrame(
        [
            (
                file,
                None,
                None,
                None,
                "domain_not_collected",
                "warning",
                f"no {name.upper()} file in this cut: it is analysed as an empty "
                "domain, and what needs it is shown as not collected",
            )
        ],
        schema=REPORT_COLUMNS,
        orient="row",
    )


def manifest_issues(
    data_dir: Path,
    files: dict[str, str],
    not_collected: list[str],
    accept: bool,
    digest: Callable[[str], str] | None = None,
) -> list[pl.DataFrame]:
    """The manifest rule, for each domain file of ``files`` (domain -> file name) the cut has
    (not those in ``not_collected``): a file whose SHA-256 differs from the one
    ``manifest.json`` lists for it is an ``error``, or a ``warning`` when the change is
    accepted (``accept``: ``--accept-changed-files``); a file the manifest does not list, when
    it lists files, is a ``warning``. No manifest, no rule. ``digest``: the SHA-256 of a file
    of ``data_dir`` by name (default: :func:`sle_car.io.sha256` of its bytes now; the batched
    engine gives the hashes it computed in the background)."""
    manifest = read_manifest(data_dir).get("files", {})
    if digest is None:

        def digest(fname: str) -> str:
            return sha256(data_dir / fname)

    parts = []
    for fname in files.values():
        if fname in not_collected:
            continue
        expected = manifest.get(fname)
        if manifest and expected is None:
            problem, severity = "file is not listed in manifest.json; regenerate it", "warning"
        elif expected and expected != digest(fname):
            problem = (
                "file differs from its SHA-256 in manifest.json: the data changed since "
                "the manifest was written (a truncated or edited file?); restore the "
                "exported file, or accept the change explicitly (--accept-changed-files)"
            )
            severity = "warning" if accept else "error"
        else:
            continue
        parts.append(
            pl.DataFrame(
                [(fname, None, None, None, "manifest", severity, problem)],
                schema=REPORT_COLUMNS,
                orient="row",
            )
        )
    return parts


def validate_study(
    data_dir: Path | str,
    *,
    accept_changed_files: bool = False,
    study_config: StudyConfig | Path | str | None = None,
) -> Validation:
    """Validate every domain of ``data_dir`` and the rules across domains.

    The rules across domains (subject in DM, one CAR-T infusion on day 0, visit windows) are
    counted on the data as cleaning repairs it: exact copies of a row (rule R3) are dropped
    first, so that a duplicated infusion row is one infusion, not two.

    A file that differs from its SHA-256 in ``manifest.json`` is an ``error`` (the data
    changed since the export was written, e.g. a file truncated at a row boundary); with
    ``accept_changed_files`` the user accepts the change explicitly and it is a ``warning``.
    A file not listed in the manifest is a ``warning``.

    ``study_config``: the study configuration (a :class:`~sle_car.study.StudyConfig` or the
    path of its YAML file); default ``SLE_CAR_STUDY_CONFIG`` or the bundled file.

    Raises :class:`~sle_car.io.DataFileError` when a file, the manifest or the study
    configuration cannot be read.
    """
    study = (
        study_config if isinstance(study_config, StudyConfig) else load_study_config(study_config)
    )
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataFileError(data_dir, "no such data directory")
    read_manifest(data_dir)  # an unreadable manifest stops the run before any file is read
    domains: dict[str, pl.DataFrame] = {}
    copies: dict[str, pl.DataFrame | None] = {}  # exact copies (R3) found by validation
    files: dict[str, str] = {}
    parts = []
    not_collected = []
    for name in RAW_DOMAINS:
        path = _optional_domain_file(data_dir, name)
        if path is None:  # an optional domain this cut did not collect: an empty table
            files[name] = f"{name}.csv"
            not_collected.append(files[name])
            raw = _empty_raw(list(RAW_DOMAINS[name].to_schema().columns))
            typed, issues = validate_domain(name, raw, files[name], study)
            parts.append(issues)
            parts.append(domain_not_collected(files[name], name))
            domains[name] = typed
            continue
        files[name] = path.name
        try:
            raw = read_domain(path)
        except EmptyDomainFile as err:  # an optional domain with no records: zero rows
            if name not in OPTIONAL_DOMAINS:
                raise
            raw = _empty_raw(err.columns)
            parts.append(crosschecks.no_rows(path.name, name))
        typed, issues, copies[name] = validate_domain_copies(name, raw, path.name, study)
        parts.append(issues)
        if typed is not None:
            domains[name] = typed
    nocopies = {n: drop_copies(d, copies.get(n)) for n, d in domains.items()}
    parts.append(_cross_domain(files, nocopies))
    parts.append(_not_collected_items(files, domains))
    ds = domains.get("ds")
    parts.append(
        crosschecks.subjects_without_disposition(
            files.get("ds"),
            domains.get("dm"),
            ds.get_column("USUBJID") if ds is not None and "USUBJID" in ds.columns else None,
        )
    )
    parts.append(_screening_block(data_dir, domains.get("dm")))
    parts += manifest_issues(data_dir, files, not_collected, accept_changed_files)
    return Validation(sort_report(pl.concat(parts)), domains, files)


OPTIONAL_DOMAINS = ("ae", "vs", "cm", "ds", "xp")
"""Domains a cut may lack: without them the analysis runs and says what it cannot show
(adverse events, vital signs, medications, disposition, product characteristics). DM, EX, LB
and QS are required: the population, the infusion (day 0) and the disease assessments."""

OPTIONAL_COLUMNS = {"dm": ("LNCLASS", "LNBXDY")}
"""Columns of a domain a cut may lack (issue #18): a missing one is read as empty, with one
``column_not_collected`` warning, so that the analysis says it was not collected."""


def _add_optional_columns(name: str, raw: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """``raw`` with every missing optional column of ``name`` added as empty text, and the
    names of those columns."""
    absent = [c for c in OPTIONAL_COLUMNS.get(name, ()) if c not in raw.columns]
    if not absent:
        return raw, []
    return raw.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in absent), absent


def _columns_not_collected(file: str, columns: list[str]) -> pl.DataFrame:
    rows = [
        (
            file,
            None,
            c,
            None,
            "column_not_collected",
            "warning",
            f"optional column {c} is not in this cut: it is read as empty, and what needs it "
            "is shown as not collected",
        )
        for c in columns
    ]
    return pl.DataFrame(rows, schema=REPORT_COLUMNS, orient="row") if rows else empty_report()


def _screening_block(data_dir: Path, dm: pl.DataFrame | None = None) -> pl.DataFrame:
    """The manifest's optional ``screening`` block (:func:`sle_car.cut.screening_log`): an
    error naming the key when it has another shape, or when its counts do not add up with the
    patients enrolled (the subjects of ``dm``): screened = enrolled + not enrolled (the
    screening log counts everyone screened, enrolled or not); nothing when absent or right."""
    from sle_car.cut import ManifestError, screening_log

    def error(message: str, value: str | None = None) -> pl.DataFrame:
        row = ("manifest.json", None, "screening", value, "screening_log", "error", message)
        return pl.DataFrame([row], schema=REPORT_COLUMNS, orient="row")

    try:
        log = screening_log(data_dir)
    except ManifestError as err:
        return error(str(err))
    if log is None or dm is None or "USUBJID" not in dm.columns:
        return empty_report()
    enrolled = dm.get_column("USUBJID").drop_nulls().n_unique()
    screened = int(log["screened"])
    not_enrolled = sum(int(v) for v in (log.get("not_enrolled") or {}).values())
    if screened != enrolled + not_enrolled:
        return error(
            f"the screening log does not add up: screened {screened}, but {enrolled} "
            f"enrolled (subjects in DM) + {not_enrolled} not enrolled = "
            f"{enrolled + not_enrolled}; correct the counts in manifest.json's 'screening'",
            str(screened),
        )
    return empty_report()


def _not_collected_items(v_files: dict[str, str], domains: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """One warning per optional item of issue #18 a cut did not collect: autoantibodies of
    the panel (``data_schemas/autoantibody_panel.csv``) without any LB row, and the protocol
    milestones of the flow without any DS row (when DS is present)."""
    rows = []
    lb = domains.get("lb")
    if lb is not None and "LBTESTCD" in lb.columns:
        have = set(lb.get_column("LBTESTCD").unique().to_list())
        missing = [c for c in cl.autoantibody_panel()["LBTESTCD"] if c not in have]
        if missing:
            rows.append(
                (
                    v_files["lb"],
                    None,
                    "LBTESTCD",
                    ", ".join(missing),
                    "test_not_collected",
                    "warning",
                    "autoantibodies of the panel with no result in this cut: they are shown as "
                    "not collected",
                )
            )
    ds = domains.get("ds")
    if ds is not None and ds.height and "DSDECOD" in ds.columns:
        have = set(ds.get_column("DSDECOD").unique().to_list())
        missing = [m for m in cl.DS_MILESTONES if m not in have and "FAILED" not in m]
        if missing:
            rows.append(
                (
                    v_files["ds"],
                    None,
                    "DSDECOD",
                    ", ".join(missing),
                    "milestone_not_collected",
                    "warning",
                    "protocol milestones with no DS record in this cut: the flow shows them as "
                    "not collected",
                )
            )
    return pl.DataFrame(rows, schema=REPORT_COLUMNS, orient="row") if rows else empty_report()


def _empty_raw(columns: list[str]) -> pl.DataFrame:
    """A domain read with ``columns`` and no row, as :func:`~sle_car.io.read_domain` gives it."""
    return pl.DataFrame(schema={ROW: pl.Int64, **dict.fromkeys(columns, pl.String)})


def _optional_domain_file(data_dir: Path, name: str) -> Path | None:
    """The file of ``name`` in ``data_dir``, or None for an optional domain that has none
    (:data:`OPTIONAL_DOMAINS`); a required domain without a file is a :class:`DataFileError`."""
    if name in OPTIONAL_DOMAINS and not any(
        (data_dir / f"{name}.{ext}").exists() for ext in ("csv", "parquet")
    ):
        return None
    return domain_file(data_dir, name)


def drop_copies(typed: pl.DataFrame, copies: pl.DataFrame | None = None) -> pl.DataFrame:
    """``typed`` without the later exact copies of a row (cleaning rule R3 keeps the first);
    ``copies``: its :func:`exact_copies` when known (:func:`validate_domain_copies`)."""
    if copies is None:
        copies = exact_copies(typed)
    if copies.height == 0:
        return typed
    later = copies.filter(pl.col(ROW) != pl.col("_FIRST"))[ROW]
    return typed.filter(pl.col(ROW).is_in(later.implode()).not_())


def summary_by_rule(report: pl.DataFrame) -> pl.DataFrame:
    """Problems counted by severity and rule: ``severity, rule, n`` (errors first, then
    repairable, then warnings; most frequent rule first)."""
    order = {"error": 0, "repairable": 1, "warning": 2}
    return (
        report.group_by("severity", "rule")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .with_columns(pl.col("severity").replace_strict(order, default=3).alias("_o"))
        .sort("_o", pl.col("n"), "rule", descending=[False, True, False])
        .drop("_o")
    )


def validation_report(data_dir: Path | str) -> pl.DataFrame:
    """The validation report of ``data_dir`` as a polars DataFrame (for the notebooks)."""
    return validate_study(data_dir).report
