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


def _grade_term(rows: pl.DataFrame, crit: pl.DataFrame, term_col: str) -> pl.Expr:
    """The grade expression for the rows of one term, built from its criteria rows (data,
    not code branches): the highest grade whose condition holds; 0 when every applicable
    condition can be evaluated and none holds; null when the value, or a reference that could
    decide the grade, is missing."""
    abnormal = pl.coalesce(
        pl.col("BNRIND").is_in(["HIGH"]), pl.col("BASE") > pl.col("ANRHI"), pl.lit(False)
    )
    true_grades, undecided = [], []
    for c in crit.iter_rows(named=True):
        if c["BASIS"] == "ABS":
            factor = pl.when(pl.col("AVALU") == c["UNIT"]).then(1.0)
            for (src, dst), f in _TO_SI.items():
                if dst == c["UNIT"]:
                    factor = factor.when(pl.col("AVALU") == src).then(f)
            bad = rows.filter(pl.col("AVAL").is_not_null() & factor.otherwise(None).is_null())
            if bad.height:
                r = bad.row(0, named=True)
                raise CTCAEUnitError(
                    f"grade_lab: row {r['_r']} ({c['TERM']}) has AVALU {r['AVALU']!r}; CTCAE "
                    f"criteria are in {c['UNIT']}. Convert the value (known conversions: "
                    f"{sorted(_TO_SI)})."
                )
            value, ref = pl.col("AVAL") * factor.otherwise(None), pl.lit(1.0)
        else:
            value = pl.col("AVAL")
            ref = pl.col({"LLN": "ANRLO", "ULN": "ANRHI", "BASE": "BASE"}[c["BASIS"]])
        applies = {
            "ANY": pl.lit(True),
            "ABNORMAL": abnormal,
            "NORMAL": abnormal.not_(),
        }[c["BASELINE"]]
        v, thr = value.round(6), (c["FACTOR"] * ref).round(6)
        cond = {"<": v < thr, "<=": v <= thr, ">": v > thr, ">=": v >= thr}[c["OP"]]
        live = applies
        true_grades.append(pl.when(live & cond).then(pl.lit(c["GRADE"])))
        undecided.append(live & cond.is_null())
    best = pl.max_horizontal(true_grades)
    return (
        pl.when(pl.col("AVAL").is_null())
        .then(None)
        .when(best.is_not_null())
        .then(best)
        .when(pl.any_horizontal(undecided))
        .then(None)
        .otherwise(0)
        .cast(pl.String)
    )


def _grade_direction(df: pl.DataFrame, crit: pl.DataFrame, term_col: str) -> pl.DataFrame:
    """``_r`` -> grade for the rows with a term in ``term_col``, term by term."""
    rows = df.filter(pl.col(term_col).is_not_null()).select(
        "_r", term_col, "AVAL", "AVALU", "ANRLO", "ANRHI", "BASE", "BNRIND"
    )
    unknown = sorted(set(rows[term_col].unique().to_list()) - set(crit["TERM"].to_list()))
    if unknown:
        raise ValueError(
            f"grade_lab: {term_col} term(s) {unknown} are not graded by CTCAE v5.0 laboratory "
            f"criteria; known terms: {terms()}"
        )
    parts = [pl.DataFrame(schema={"_r": pl.UInt32, "GRADE": pl.String})]
    for (term,), sub in sorted(rows.partition_by(term_col, as_dict=True).items()):
        expr = _grade_term(sub, crit.filter(pl.col("TERM") == term), term_col)
        parts.append(sub.select("_r", expr.alias("GRADE")))
    return pl.concat(parts)


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
    grades = {}
    for direction, term_col, new in (("L", "ATOXDSCL", "ATOXGRL"), ("H", "ATOXDSCH", "ATOXGRH")):
        g = _grade_direction(base, crit.filter(pl.col("DIRECTION") == direction), term_col)
        # place each grade at its row (no join: a join would copy the whole frame)
        grades[new] = pl.Series(new, [None] * df.height, dtype=pl.String).scatter(
            g["_r"], g["GRADE"]
        )
    return df.with_columns(**grades)
