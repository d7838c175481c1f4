"""Kidney function and lupus-nephritis response.

eGFR: Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to
estimate GFR without race. N Engl J Med 2021;385:1737-1749 (CKD-EPI 2021, race-free).
Renal response: Bertsias GK et al. Joint EULAR/ERA-EDTA recommendations for lupus nephritis.
Ann Rheum Dis 2012;71:1771-1782 (complete response UPCR < 50 mg/mmol with (near-)normal GFR);
Fanouriakis A et al. 2019 update, Ann Rheum Dis 2020;79:713-723 (< 0.5-0.7 g/24 h).
instruments.md §12.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import check_choice, cmp, require_columns
from sle_car.instruments._evaluable import reason_not_evaluable
from sle_car.sap import DEFAULTS

CREAT_UMOL_PER_MG_DL = 88.4
"""µmol/L per mg/dL used by the CKD-EPI authors (NKF calculator)."""
UPCR_MG_MMOL_PER_G_G = 113.12
"""mg/mmol per g/g (creatinine 113.12 g/mol)."""


def egfr_ckd_epi_2021(df: pl.DataFrame, *, creat_unit: str = "umol/L") -> pl.DataFrame:
    """Add ``EGFR`` (mL/min/1.73 m², unrounded) from ``CREAT``, ``AGE`` (years) and ``SEX``.

    eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^-1.200 × 0.9938^age × 1.012 [female], with
    Scr in mg/dL, κ 0.7 (F) / 0.9 (M), α -0.241 (F) / -0.302 (M). Round only for display.
    """
    check_choice("creat_unit", creat_unit, ("umol/L", "mg/dL"))
    require_columns(df, ["CREAT", "AGE", "SEX"], "egfr_ckd_epi_2021")
    scr = pl.col("CREAT") / (CREAT_UMOL_PER_MG_DL if creat_unit == "umol/L" else 1.0)
    female = pl.col("SEX") == "F"
    kappa = pl.when(female).then(0.7).otherwise(0.9)
    alpha = pl.when(female).then(-0.241).otherwise(-0.302)
    ratio = scr / kappa
    egfr = (
        142
        * ratio.clip(None, 1.0).pow(alpha)
        * ratio.clip(1.0, None).pow(-1.200)
        * pl.lit(0.9938).pow(pl.col("AGE"))
        * pl.when(female).then(1.012).otherwise(1.0)
    )
    return df.with_columns(egfr.alias("EGFR"))


def renal_response(
    df: pl.DataFrame,
    *,
    cr_threshold: float = DEFAULTS.renal.cr_threshold,
    cr_unit: str = DEFAULTS.renal.cr_unit,
    pr_reduction: float = DEFAULTS.renal.pr_reduction,
    nephrotic_g_g: float = DEFAULTS.renal.nephrotic_g_g,
    gfr_tolerance: float = DEFAULTS.renal.gfr_tolerance,
    active_upcr_g_g: float = DEFAULTS.renal.active_upcr_g_g,
) -> pl.DataFrame:
    """Add ``RENALCR`` (complete) and ``RENALPR`` (partial, not complete) renal response,
    and ``RENAL_NE`` (why they are null).

    A response needs active nephritis to respond from: only assessments whose baseline UPCR
    is at least ``active_upcr_g_g`` (g/g; default 0.5, the proteinuria threshold of active
    lupus nephritis in SLEDAI-2K and the ACR/EULAR renal criteria) are evaluable; the others
    are null with the reason "no active nephritis at baseline" (a baseline UPCR of 0.14 g/g
    is no nephritis to respond, and must not count as a complete response).

    Inputs: ``UPCR`` and ``UPCR_BL`` (g/g), ``EGFR`` and ``EGFR_BL``. Complete: UPCR below
    ``cr_threshold`` in ``cr_unit`` (default 50 mg/mmol, EULAR/ERA-EDTA 2012; 2019 update:
    ``cr_threshold=0.7, cr_unit="g/g"`` or 0.5) with eGFR ≥ (1 - ``gfr_tolerance``) ×
    baseline. Partial: ≥ ``pr_reduction`` fall of UPCR to below ``nephrotic_g_g`` with the same
    GFR condition. The threshold is applied in the unit the guideline states it in.
    """
    check_choice("cr_unit", cr_unit, ("mg/mmol", "g/g"))
    require_columns(df, ["UPCR", "UPCR_BL", "EGFR", "EGFR_BL"], "renal_response")
    upcr = pl.col("UPCR") * (UPCR_MG_MMOL_PER_G_G if cr_unit == "mg/mmol" else 1.0)
    gfr_ok = cmp(pl.col("EGFR"), ">=", pl.col("EGFR_BL") * (1 - gfr_tolerance))
    complete = cmp(upcr, "<", cr_threshold) & gfr_ok
    fall = 1 - pl.col("UPCR") / pl.col("UPCR_BL")
    partial = cmp(fall, ">=", pr_reduction) & cmp(pl.col("UPCR"), "<", nephrotic_g_g) & gfr_ok
    active = cmp(pl.col("UPCR_BL"), ">=", active_upcr_g_g)
    reasons = {
        "baseline UPCR not measured": pl.col("UPCR_BL").is_null(),
        f"no active nephritis at baseline (UPCR < {active_upcr_g_g:g} g/g)": active.not_(),
        "UPCR not measured": pl.col("UPCR").is_null(),
        "eGFR or baseline eGFR missing": pl.col("EGFR").is_null() | pl.col("EGFR_BL").is_null(),
    }
    return df.with_columns(
        pl.when(active.fill_null(False)).then(complete).alias("RENALCR"),
        pl.when(active.fill_null(False)).then(partial & complete.not_()).alias("RENALPR"),
    ).with_columns(reason_not_evaluable(pl.col("RENALCR"), reasons).alias("RENAL_NE"))
