"""Physician global assessment (0-3 visual analogue scale).

Source: PISCOS consensus, Piga M et al., Lancet Rheumatol 2022: 0-3 VAS of SLE activity in
the preceding month; categories mild ≥ 0.5 to 1, moderate > 1 to ≤ 2, severe > 2 to 3.
Downstream thresholds: DORIS < 0.5, LLDAS ≤ 1, SRI/BICLA worsening ≥ +0.3. instruments.md §6.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import cmp, require_columns
from sle_car.sap import DEFAULTS


class PGAValueError(ValueError):
    """A PGA value outside 0-3."""


def pga_category(df: pl.DataFrame, *, column: str = "PGA") -> pl.DataFrame:
    """Add ``PGACAT``: "none (<0.5)", "mild", "moderate", "severe" (PISCOS). Values outside
    0-3 raise :class:`PGAValueError` naming the rows."""
    require_columns(df, [column], "pga_category")
    bad = df.with_row_index("_r").filter((pl.col(column) < 0) | (pl.col(column) > 3))
    if bad.height:
        raise PGAValueError(
            f"PGA must lie in 0-3; rows {bad['_r'].to_list()} have {bad[column].to_list()}"
        )
    x = pl.col(column)
    cat = (
        pl.when(x.is_null())
        .then(None)
        .when(cmp(x, "<", 0.5))
        .then(pl.lit("none (<0.5)"))
        .when(cmp(x, "<=", 1.0))
        .then(pl.lit("mild"))
        .when(cmp(x, "<=", 2.0))
        .then(pl.lit("moderate"))
        .otherwise(pl.lit("severe"))
    )
    return df.with_columns(cat.alias("PGACAT"))


def pga_change(
    df: pl.DataFrame,
    *,
    column: str = "PGA",
    base: str = "PGA_BL",
    worsening: float = DEFAULTS.sri.pga_worsening,
) -> pl.DataFrame:
    """Add ``PGACHG`` (rounded to 2 decimals) and ``PGAWORSE`` (change ≥ ``worsening``),
    computed on rounded values so that 0.4 → 0.7 is a worsening of exactly 0.3."""
    require_columns(df, [column, base], "pga_change")
    chg = (pl.col(column).round(2) - pl.col(base).round(2)).round(2)
    return df.with_columns(chg.alias("PGACHG"), cmp(chg, ">=", worsening).alias("PGAWORSE"))
