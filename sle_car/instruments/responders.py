"""SLE Responder Index (SRI-k) and BILAG-based Composite Lupus Assessment (BICLA).

SRI source: Furie RA, Petri MA, Wallace DJ, et al. Novel evidence-based SLE responder index.
Arthritis Rheum 2009;61:1143-1151 (doi:10.1002/art.24698): ≥ 4-point SLEDAI reduction, no new
BILAG A or ≤ 1 new BILAG B, no PGA worsening ≥ 0.3. BICLA source: Wallace D et al. Arthritis
Rheum 2011;63(Suppl):S894 (ePROVIDE definition); TULIP operationalisation of PGA worsening
as ≥ 0.3 (Morand EF et al. N Engl J Med 2020;382:211-221). instruments.md §4.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import check_choice, cmp, require_columns
from sle_car.instruments._evaluable import reason_not_evaluable
from sle_car.instruments.bilag import SYSTEMS
from sle_car.sap import DEFAULTS


def _pga_worse(rule: str, threshold: float) -> pl.Expr:
    chg = (pl.col("PGA").round(2) - pl.col("PGA_BL").round(2)).round(2)
    if rule == "absolute":
        return cmp(chg, ">=", threshold)
    # "relative": worsening of 10 % or more of the baseline value (BICLA original wording)
    return cmp(chg, ">=", pl.col("PGA_BL") * threshold)


def _sledai_not_worse(df: pl.DataFrame, ok: pl.Expr) -> pl.Expr:
    """``ok`` (a SLEDAI-2K comparison that an incomplete current score could only make look
    better) is null when the current SLEDAI-2K is incomplete (``SLEDAI_COMPLETE`` false) and
    ``ok`` holds: missing descriptors count 0 in the sum, so only a failure is certain."""
    if "SLEDAI_COMPLETE" not in df.columns:
        return ok
    return pl.when(ok & pl.col("SLEDAI_COMPLETE").not_().fill_null(True)).then(None).otherwise(ok)


def _common_reasons(df: pl.DataFrame) -> dict[str, pl.Expr]:
    out = {
        "SLEDAI-2K missing": pl.col("SLEDAI2K").is_null() | pl.col("SLEDAI_BL").is_null(),
    }
    if "SLEDAI_COMPLETE" in df.columns:
        out["SLEDAI-2K incomplete"] = pl.col("SLEDAI_COMPLETE").not_()
    out["BILAG-2004 grades missing"] = pl.col("NEWA").is_null() | pl.col("NEWB").is_null()
    out["PGA missing"] = pl.col("PGA").is_null() | pl.col("PGA_BL").is_null()
    return out


def sri(
    df: pl.DataFrame,
    *,
    reduction: int = DEFAULTS.sri.reduction,
    pga_worsening: float = DEFAULTS.sri.pga_worsening,
    max_new_b: int = DEFAULTS.sri.max_new_b,
) -> pl.DataFrame:
    """Add ``SRI`` (boolean; null when not evaluable: an input is missing and no criterion is
    known to fail) and ``SRI_NE`` (why it is null). The SAP's non-responder imputation is
    applied downstream, not here.

    Inputs: ``SLEDAI2K`` and ``SLEDAI_BL`` (SLEDAI version per protocol: SLEDAI-2K here;
    SELENA-SLEDAI in the original), ``NEWA``, ``NEWB`` (:func:`bilag_new_flares`), ``PGA``,
    ``PGA_BL``; optionally ``SLEDAI_COMPLETE`` (an incomplete current SLEDAI-2K cannot show
    a reduction, only its absence). ``reduction=5..8`` gives SRI-5 ... SRI-8.
    """
    require_columns(df, ["SLEDAI2K", "SLEDAI_BL", "NEWA", "NEWB", "PGA", "PGA_BL"], "sri")
    reduced = _sledai_not_worse(df, (pl.col("SLEDAI_BL") - pl.col("SLEDAI2K")) >= reduction)
    ok = (
        reduced
        & (pl.col("NEWA") == 0)
        & (pl.col("NEWB") <= max_new_b)
        & _pga_worse("absolute", pga_worsening).not_()
    )
    return df.with_columns(ok.alias("SRI")).with_columns(
        reason_not_evaluable(pl.col("SRI"), _common_reasons(df)).alias("SRI_NE")
    )


def bicla(
    df: pl.DataFrame,
    *,
    pga_rule: str = DEFAULTS.bicla.pga_rule,
    pga_worsening: float = DEFAULTS.bicla.pga_worsening,
    systems: list[str] | None = DEFAULTS.bicla.systems,
    base_suffix: str = "_BL",
) -> pl.DataFrame:
    """Add ``BICLA`` (boolean; null when not evaluable: an input is missing and no criterion
    is known to fail; a system without a grade now or at baseline is never "improved") and
    ``BICLA_NE`` (why it is null).

    Inputs: BILAG grades per system now and at baseline (``<system>``, ``<system>_BL``),
    ``NEWA``, ``NEWB``, ``SLEDAI2K``, ``SLEDAI_BL``, ``PGA``, ``PGA_BL``, ``TRTFAIL``.
    Rules: every system A at baseline improves to B/C/D and every B to C/D; no new A and at
    most one new B; SLEDAI-2K not worse than baseline; no PGA worsening (``pga_rule``
    "absolute": change ≥ 0.3 as in TULIP; "relative" with ``pga_worsening=0.1``: ≥ 10 %); no
    treatment failure.
    """
    check_choice("pga_rule", pga_rule, ("absolute", "relative"))
    cols = systems or SYSTEMS
    require_columns(
        df,
        [
            *cols,
            *[c + base_suffix for c in cols],
            "NEWA",
            "NEWB",
            "SLEDAI2K",
            "SLEDAI_BL",
            "PGA",
            "PGA_BL",
            "TRTFAIL",
        ],
        "bicla",
    )
    improved = []
    for c in cols:
        b, v = pl.col(c + base_suffix), pl.col(c)
        improved.append(
            pl.when(b.is_null() | v.is_null())
            .then(pl.lit(None, dtype=pl.Boolean))
            .when(b == "A")
            .then(v.is_in(["B", "C", "D"]))
            .when(b == "B")
            .then(v.is_in(["C", "D"]))
            .otherwise(True)
        )
    all_improved = pl.lit(True)
    for e in improved:  # Kleene AND: one known failure decides, a missing grade leaves null
        all_improved = all_improved & e
    ok = (
        all_improved
        & (pl.col("NEWA") == 0)
        & (pl.col("NEWB") <= 1)
        & _sledai_not_worse(df, pl.col("SLEDAI2K") <= pl.col("SLEDAI_BL"))
        & _pga_worse(pga_rule, pga_worsening).not_()
        & pl.col("TRTFAIL").not_()
    )
    reasons = _common_reasons(df) | {"treatment failure unknown": pl.col("TRTFAIL").is_null()}
    return df.with_columns(ok.alias("BICLA")).with_columns(
        reason_not_evaluable(pl.col("BICLA"), reasons).alias("BICLA_NE")
    )
