"""SLICC/ACR Damage Index (SDI).

Source: Gladman D, Ginzler E, Goldsmith C, et al. The development and initial validation of
the SLICC/ACR Damage Index for SLE. Arthritis Rheum 1996;39:363-369. Per-system maxima sum
to 47 (instruments.md §7); damage is cumulative, so the score never decreases.
"""

from __future__ import annotations

import polars as pl

from data_schemas.codelists import SDI_ITEMS
from sle_car._checks import require_columns


def sdi_score(
    df: pl.DataFrame, *, by: str = "USUBJID", order: str = "ADY", non_decreasing: bool = True
) -> pl.DataFrame:
    """Add ``SDITOT``: the sum of the organ-system scores (``SDIOCUL`` ... ``SDIMALIG``),
    each capped at its maximum, and ``SDI_NMISS`` (systems not scored). An assessment with
    a system not scored is not evaluable (``SDITOT`` null, never a sum counting it as 0);
    with ``non_decreasing`` (default, the SDI convention), each subject's evaluable total is
    the running maximum over ``order``, so damage once scored stays."""
    cols = list(SDI_ITEMS)
    require_columns(
        df, [by, order, *cols], "sdi_score", "sle_car.derive.datasets.qs_wide (from QS)"
    )
    capped = [pl.col(c).clip(0, SDI_ITEMS[c][1]) for c in cols]
    nmiss = pl.sum_horizontal([pl.col(c).is_null().cast(pl.Int64) for c in cols])
    out = df.with_columns(
        pl.when(nmiss == 0).then(pl.sum_horizontal(capped)).alias("SDITOT"),
        nmiss.alias("SDI_NMISS"),
    )
    if non_decreasing:
        out = out.with_columns(pl.col("SDITOT").cum_max().over(by, order_by=order).alias("SDITOT"))
    return out
