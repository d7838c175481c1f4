"""Serologic remission (CAR-T SLE convention; no consensus definition exists).

Operational definition of instruments.md §13: anti-dsDNA negative (below the assay's
positivity cut-off: a value equal to the cut-off is positive, SERO-T03; BLISS: positive
≥ 30 IU/mL, Furie 2014) and complement C3 and C4 at or above the laboratory's lower limit of
normal; optionally CH50. Mackensen A et al. Nat Med 2022;28:2124-2132 report seroconversion
of anti-dsDNA with complement normalisation after CD19 CAR-T.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import require_columns
from sle_car.instruments._evaluable import reason_not_evaluable


def serologic_remission(df: pl.DataFrame, *, require_ch50: bool = False) -> pl.DataFrame:
    """Add ``SEROREM`` (boolean; null when not evaluable: a value is missing and no measured
    one already fails) and ``SEROREM_NE`` (which test was not measured).

    Inputs: ``DSDNA`` and its cut-off ``DSDNA_CUT``; ``C3``, ``C3_LLN``, ``C4``, ``C4_LLN``
    (same unit as their limits); with ``require_ch50`` also ``CH50``, ``CH50_LLN``."""
    cols = ["DSDNA", "DSDNA_CUT", "C3", "C3_LLN", "C4", "C4_LLN"]
    if require_ch50:
        cols += ["CH50", "CH50_LLN"]
    require_columns(df, cols, "serologic_remission", "sle_car.derive (from ADLB)")
    ok = (
        (pl.col("DSDNA") < pl.col("DSDNA_CUT"))
        & (pl.col("C3") >= pl.col("C3_LLN"))
        & (pl.col("C4") >= pl.col("C4_LLN"))
    )
    if require_ch50:
        ok = ok & (pl.col("CH50") >= pl.col("CH50_LLN"))
    reasons = {
        "anti-dsDNA not measured": pl.col("DSDNA").is_null() | pl.col("DSDNA_CUT").is_null(),
        "C3 not measured": pl.col("C3").is_null() | pl.col("C3_LLN").is_null(),
        "C4 not measured": pl.col("C4").is_null() | pl.col("C4_LLN").is_null(),
    }
    if require_ch50:
        reasons["CH50 not measured"] = pl.col("CH50").is_null() | pl.col("CH50_LLN").is_null()
    return df.with_columns(ok.alias("SEROREM")).with_columns(
        reason_not_evaluable(pl.col("SEROREM"), reasons).alias("SEROREM_NE")
    )
