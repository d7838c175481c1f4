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
from sle_car.instruments.bilag import SYSTEMS


def _pga_worse(rule: str, threshold: float) -> pl.Expr:
    chg = (pl.col("PGA").round(2) - pl.col("PGA_BL").round(2)).round(2)
    if rule == "absolute":
        return cmp(chg, ">=", threshold)
    # "relative": worsening of 10 % or more of the baseline value (BICLA original wording)
    return cmp(chg, ">=", pl.col("PGA_BL") * threshold)


def sri(
    df: pl.DataFrame,
    *,
    reduction: int = 4,
    pga_worsening: float = 0.3,
    max_new_b: int = 1,
) -> pl.DataFrame:
    """Add ``SRI`` (boolean; null when an input is missing: the SAP's non-responder
    imputation is applied downstream, not here).

    Inputs: ``SLEDAI2K`` and ``SLEDAI_BL`` (SLEDAI version per protocol: SLEDAI-2K here;
    SELENA-SLEDAI in the original), ``NEWA``, ``NEWB`` (:func:`bilag_new_flares`), ``PGA``,
    ``PGA_BL``. ``reduction=5..8`` gives SRI-5 ... SRI-8.
    """
    require_columns(df, ["SLEDAI2K", "SLEDAI_BL", "NEWA", "NEWB", "PGA", "PGA_BL"], "sri")
    ok = (
        ((pl.col("SLEDAI_BL") - pl.col("SLEDAI2K")) >= reduction)
        & (pl.col("NEWA") == 0)
        & (pl.col("NEWB") <= max_new_b)
        & _pga_worse("absolute", pga_worsening).not_()
    )
    return df.with_columns(ok.alias("SRI"))


def bicla(
    df: pl.DataFrame,
    *,
    pga_rule: str = "absolute",
    pga_worsening: float = 0.3,
    systems: list[str] | None = None,
    base_suffix: str = "_BL",
) -> pl.DataFrame:
    """Add ``BICLA`` (boolean; null when an input is missing).

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
            pl.when(b == "A")
            .then(v.is_in(["B", "C", "D"]))
            .when(b == "B")
            .then(v.is_in(["C", "D"]))
            .otherwise(True)
        )
    ok = (
        pl.all_horizontal(improved)
        & (pl.col("NEWA") == 0)
        & (pl.col("NEWB") <= 1)
        & (pl.col("SLEDAI2K") <= pl.col("SLEDAI_BL"))
        & _pga_worse(pga_rule, pga_worsening).not_()
        & pl.col("TRTFAIL").not_()
    )
    return df.with_columns(ok.alias("BICLA"))
