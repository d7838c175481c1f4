"""B-cell aplasia and reconstitution after CD19 CAR-T (no single standard; parameters).

Sources: instruments.md §13 — aplasia as CD19+ B cells below a threshold in peripheral blood
("<1 % of ... on ≥ 2 time points"; absolute counts near the assay's limit), loss of aplasia
confirmed on a subsequent sample; reconstitution day = first of the confirming samples.
Mackensen A et al. Nat Med 2022: B cells reappeared after a mean of 110 ± 32 days.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import require_columns
from sle_car.sap import DEFAULTS


def bcell_aplasia_flag(
    df: pl.DataFrame,
    *,
    abs_max: float | None = DEFAULTS.bcell_abs_max,
    pct_max: float | None = None,
) -> pl.DataFrame:
    """Add ``BCAPL`` per sample: CD19+ B cells below ``abs_max`` cells/µL (``BCELL``, strict
    <) or below ``pct_max`` % of lymphocytes (``BCELLPCT``); with both thresholds set, either
    criterion suffices. Null when the criterion's value is missing."""
    if abs_max is None and pct_max is None:
        raise ValueError("set abs_max, pct_max or both")
    parts = []
    if abs_max is not None:
        require_columns(df, ["BCELL"], "bcell_aplasia_flag")
        parts.append(pl.col("BCELL") < abs_max)
    if pct_max is not None:
        require_columns(df, ["BCELLPCT"], "bcell_aplasia_flag")
        parts.append(pl.col("BCELLPCT") < pct_max)
    flag = parts[0] if len(parts) == 1 else pl.any_horizontal(parts)
    return df.with_columns(flag.alias("BCAPL"))


def bcell_reconstitution(
    df: pl.DataFrame,
    *,
    by: str = "USUBJID",
    confirm_n: int = DEFAULTS.bcell_confirm_n,
    start_day: int = 0,
) -> pl.DataFrame:
    """Per subject: ``APLDY`` (first day of ``confirm_n`` consecutive aplastic samples after
    ``start_day``), ``RECDY`` (first day of ``confirm_n`` consecutive non-aplastic samples after
    confirmed aplasia), ``LASTDY`` (last sample). Input: ``by``, ``ADY``, ``BCAPL``."""
    require_columns(df, [by, "ADY", "BCAPL"], "bcell_reconstitution", "bcell_aplasia_flag")
    d = df.filter((pl.col("ADY") >= start_day) & pl.col("BCAPL").is_not_null()).sort(by, "ADY")

    def confirmed(value: bool) -> pl.Expr:
        run = pl.col("BCAPL") == value
        ok = run
        for k in range(1, confirm_n):
            ok = ok & (pl.col("BCAPL").shift(-k).over(by) == value).fill_null(False)
        return ok

    d = d.with_columns(confirmed(True).alias("_apl"), confirmed(False).alias("_rec"))
    apl = d.filter("_apl").group_by(by).agg(pl.col("ADY").min().alias("APLDY"))
    d = d.join(apl, on=by, how="left")
    rec = (
        d.filter(pl.col("_rec") & (pl.col("ADY") > pl.col("APLDY")))
        .group_by(by)
        .agg(pl.col("ADY").min().alias("RECDY"))
    )
    last = d.group_by(by).agg(pl.col("ADY").max().alias("LASTDY"))
    return last.join(apl, on=by, how="left").join(rec, on=by, how="left").sort(by)
