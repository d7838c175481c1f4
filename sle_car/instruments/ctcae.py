"""CTCAE v5.0 laboratory grading, with the criteria held as data.

Source: National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE)
Version 5.0, 27 Nov 2017; grade text as in the machine-readable CTCAE v5 metadata of
pharmaverse admiral (``ncictcaev5.json``), whose ``derive_var_atoxgr`` this follows:
``ATOXDSCL``/``ATOXDSCH`` name the term for the low/high direction, results are ``ATOXGRL``
/``ATOXGRH`` as "0"-"4", null where a value cannot be graded. instruments.md §9.

The criteria live in ``ctcae_v5_lab.csv`` beside this module: one row per (term, grade,
condition), a condition being ``AVAL OP FACTOR × reference`` with reference 1 (absolute, in
``UNIT``), the lower or upper limit of normal, or the baseline; ``BASELINE`` restricts a row
to subjects with a normal or abnormal baseline (``BNRIND``). The grade is the highest grade
whose condition holds; both sides are rounded to 6 decimals before comparing, so 1.05 is not
above 1.5 × 0.7 (CTC-T09). Grades needing clinical information (e.g. anaemia grade 4,
"transfusion indicated") are not derived from laboratory values.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import polars as pl

from sle_car._checks import check_choice, require_columns

_TO_SI = {
    ("10^3/uL", "10^9/L"): 1.0,
    ("g/dL", "g/L"): 10.0,
    ("mg/dL", "g/L"): 0.01,
}
"""Explicit conversions of conventional units into the SI units of absolute criteria."""


class CTCAEUnitError(ValueError):
    """A value is in a unit that cannot be graded."""


@cache
def criteria(version: str = "5.0") -> pl.DataFrame:
    """The grading criteria of CTCAE ``version`` as a table (see the module docstring)."""
    check_choice("version", version, ("5.0",))
    text = resources.files("sle_car.instruments").joinpath("ctcae_v5_lab.csv").read_bytes()
    return pl.read_csv(text, schema_overrides={"FACTOR": pl.Float64, "GRADE": pl.Int64})


def terms(version: str = "5.0") -> list[str]:
    """The CTCAE terms that can be graded from laboratory values."""
    return sorted(criteria(version)["TERM"].unique().to_list())


def _grade_direction(df: pl.DataFrame, crit: pl.DataFrame, term_col: str) -> pl.DataFrame:
    """Grades for one direction: ``_r`` (row id) -> ``GRADE`` (Int64, null when ungradable)."""
    rows = df.filter(pl.col(term_col).is_not_null())
    unknown = rows.filter(pl.col(term_col).is_in(crit["TERM"].implode()).not_())
    if unknown.height:
        raise ValueError(
            f"grade_lab: {term_col} term(s) {sorted(set(unknown[term_col].to_list()))} are not "
            f"graded by CTCAE v5.0 laboratory criteria; known terms: {terms()}"
        )
    x = rows.join(crit, left_on=term_col, right_on="TERM", how="inner")
    # units of absolute criteria: convert explicitly or reject
    conv = pl.DataFrame(
        {
            "AVALU": [u for u, _ in _TO_SI],
            "UNIT": [t for _, t in _TO_SI],
            "_F": list(_TO_SI.values()),
        }
    )
    x = x.join(conv, on=["AVALU", "UNIT"], how="left").with_columns(
        pl.when(pl.col("AVALU") == pl.col("UNIT")).then(1.0).otherwise(pl.col("_F")).alias("_F")
    )
    bad = x.filter(
        (pl.col("BASIS") == "ABS") & pl.col("_F").is_null() & pl.col("AVAL").is_not_null()
    )
    if bad.height:
        r = bad.row(0, named=True)
        raise CTCAEUnitError(
            f"grade_lab: row {r['_r']} ({r[term_col]}) has AVALU {r['AVALU']!r}; CTCAE criteria "
            f"are in {r['UNIT']}. Convert the value (known conversions: {sorted(_TO_SI)})."
        )
    x = x.with_columns(
        pl.when(pl.col("BASIS") == "ABS")
        .then(pl.col("AVAL") * pl.col("_F"))
        .otherwise(pl.col("AVAL"))
        .alias("_V")
    )
    ref = (
        pl.when(pl.col("BASIS") == "ABS")
        .then(pl.lit(1.0))
        .when(pl.col("BASIS") == "LLN")
        .then(pl.col("ANRLO"))
        .when(pl.col("BASIS") == "ULN")
        .then(pl.col("ANRHI"))
        .otherwise(pl.col("BASE"))
    )
    abnormal = pl.coalesce(
        pl.col("BNRIND").is_in(["HIGH"]), pl.col("BASE") > pl.col("ANRHI"), pl.lit(False)
    )
    applies = (
        (pl.col("BASELINE") == "ANY")
        | ((pl.col("BASELINE") == "ABNORMAL") & abnormal)
        | ((pl.col("BASELINE") == "NORMAL") & abnormal.not_())
    )
    thr = (pl.col("FACTOR") * ref).round(6)
    v = pl.col("_V").round(6)
    cond = (
        pl.when(pl.col("OP") == "<")
        .then(v < thr)
        .when(pl.col("OP") == "<=")
        .then(v <= thr)
        .when(pl.col("OP") == ">")
        .then(v > thr)
        .otherwise(v >= thr)
    )
    x = x.filter(applies).with_columns(cond.alias("_OK"))
    return x.group_by("_r").agg(
        pl.when(pl.col("_V").first().is_null())
        .then(None)
        .when(pl.col("_OK").fill_null(False).any())
        .then(pl.col("GRADE").filter(pl.col("_OK").fill_null(False)).max())
        .when(pl.col("_OK").is_null().any())
        .then(None)
        .otherwise(0)
        .alias("GRADE")
    )


def grade_lab(df: pl.DataFrame, version: str = "5.0") -> pl.DataFrame:
    """Add ``ATOXGRL`` and ``ATOXGRH`` ("0"-"4" or null) from ``ATOXDSCL``/``ATOXDSCH``,
    ``AVAL``, ``AVALU``, ``ANRLO``, ``ANRHI``, ``BASE`` and ``BNRIND`` (see module docstring).

    A row whose term for a direction is null gets a null grade for that direction. Values in
    a unit without an explicit conversion raise :class:`CTCAEUnitError`."""
    require_columns(
        df,
        ["ATOXDSCL", "ATOXDSCH", "AVAL", "AVALU", "ANRLO", "ANRHI", "BASE", "BNRIND"],
        "grade_lab",
        "sle_car.derive.derive_adlb",
    )
    crit = criteria(version)
    base = df.with_row_index("_r")
    out = base
    for direction, term_col, new in (("L", "ATOXDSCL", "ATOXGRL"), ("H", "ATOXDSCH", "ATOXGRH")):
        g = _grade_direction(base, crit.filter(pl.col("DIRECTION") == direction), term_col)
        out = out.join(g.rename({"GRADE": new}), on="_r", how="left").with_columns(
            pl.col(new).cast(pl.String)
        )
    return out.sort("_r").drop("_r")
