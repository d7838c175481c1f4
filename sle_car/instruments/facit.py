"""FACIT-Fatigue (13 items, version 4).

Source: FACIT-Fatigue scoring guidelines (FACIT.org), as implemented openly in the R package
FACTscorer ``scoreFACIT_Fatigue()``: 11 negatively worded items are reversed (4 - response);
the total (0-52, higher = less fatigue) is prorated as mean × 13 when more than half of the
items (≥ 7) are answered, else missing. CDISC items FAC07001-FAC07013 (codelist C147544).
Minimal important difference 3-6 points in SLE (Lai JS et al., J Rheumatol 2011;38:672-679).
instruments.md §8.
"""

from __future__ import annotations

import polars as pl

from data_schemas.codelists import FACIT_ITEMS
from sle_car._checks import require_columns

ITEMS = list(FACIT_ITEMS)


def facit_fatigue(df: pl.DataFrame, *, min_answered: int = 7) -> pl.DataFrame:
    """Add ``FACITTOT`` (prorated total, unrounded), ``FACIT_NANS`` (items answered) and
    ``FACIT_PRORATED`` from one response column (0-4 as ticked, null if unanswered) per item
    ``FAC07001`` ... ``FAC07013``. Responses outside 0-4 are treated as missing (FACTscorer
    treats codes 8/9 so)."""
    require_columns(df, ITEMS, "facit_fatigue", "sle_car.derive.datasets.qs_wide (from QS)")
    scores = []
    for code in ITEMS:
        x = pl.col(code).cast(pl.Float64)
        x = pl.when(x.is_between(0, 4)).then(x)
        scores.append(4 - x if FACIT_ITEMS[code][2] else x)
    n = pl.sum_horizontal([s.is_not_null().cast(pl.Int64) for s in scores])
    total = pl.sum_horizontal([s.fill_null(0) for s in scores]) * 13 / n
    return df.with_columns(
        pl.when(n >= min_answered).then(total.round(6)).alias("FACITTOT"),
        n.alias("FACIT_NANS"),
        ((n >= min_answered) & (n < 13)).alias("FACIT_PRORATED"),
    )
