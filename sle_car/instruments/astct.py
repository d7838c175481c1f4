"""ASTCT consensus grading of cytokine release syndrome (CRS) and immune effector
cell-associated neurotoxicity syndrome (ICANS), and the ICE score.

Source: Lee DW, Santomasso BD, Locke FL, et al. ASTCT consensus grading for cytokine release
syndrome and neurologic toxicity associated with immune effector cells. Biol Blood Marrow
Transplant 2019;25:625-638, Tables 6 (CRS), 7 (ICE) and 8 (ICANS). instruments.md §10.
"""

from __future__ import annotations

import polars as pl

from data_schemas.codelists import ICE_ITEMS
from sle_car._checks import cmp, require_columns

LOW_FLOW = ("LOW-FLOW NASAL CANNULA", "BLOW-BY")
HIGH_FLOW = ("HIGH-FLOW NASAL CANNULA", "FACE MASK", "NON-REBREATHER MASK", "VENTURI MASK")
POSITIVE_PRESSURE = ("CPAP", "BIPAP", "MECHANICAL VENTILATION")
CONSCIOUSNESS = {
    "NORMAL": 0,
    "AWAKENS SPONTANEOUSLY": 1,
    "AWAKENS TO VOICE": 2,
    "AWAKENS TO TOUCH": 3,
    "UNAROUSABLE": 4,
}
SEIZURE = {"NONE": 0, "RAPIDLY RESOLVING": 3, "PROLONGED": 4}
OEDEMA = {"NONE": 0, "FOCAL": 3, "DIFFUSE": 4}


def crs_grade(
    df: pl.DataFrame,
    *,
    fever_c: float = 38.0,
    sbp_hypotension: float = 90.0,
    low_flow_max_l_min: float = 6.0,
) -> pl.DataFrame:
    """Add ``CRSGR`` (0-4) per assessment (one row per patient-day, worst values of the day).

    Inputs: ``TEMP`` (°C), ``SYSBP`` (mmHg), ``NVASO`` (vasopressors other than vasopressin),
    ``O2DEV`` (device, see ``data_schemas.codelists.OXYGEN_DEVICES``), ``O2FLOW`` (L/min),
    ``FEVERMASKED`` (antipyretic or anti-cytokine therapy given: fever no longer required).

    Rules: fever = temperature ≥ ``fever_c`` (38.0, inclusive). Hypotension: systolic <
    ``sbp_hypotension`` (ASTCT gives no number; the SAP fixes it); grade 2 without vasopressor,
    3 with one vasopressor (vasopressin does not count as a second), 4 with several. Hypoxia:
    low-flow nasal cannula ≤ 6 L/min or blow-by grade 2; high-flow (> 6 L/min), face mask,
    non-rebreather or Venturi grade 3; positive pressure grade 4. The grade is the more severe
    of hypotension and hypoxia; with fever and neither, grade 1; without fever (and not masked
    by treatment), 0.
    """
    require_columns(
        df,
        ["TEMP", "SYSBP", "NVASO", "O2DEV", "O2FLOW", "FEVERMASKED"],
        "crs_grade",
        "sle_car.derive (VS + CM by day)",
    )
    fever = cmp(pl.col("TEMP"), ">=", fever_c).fill_null(False)
    nvaso = pl.col("NVASO").fill_null(0)
    hypotension = cmp(pl.col("SYSBP"), "<", sbp_hypotension).fill_null(False) | (nvaso > 0)
    hypo_g = (
        pl.when(nvaso >= 2).then(4).when(nvaso == 1).then(3).when(hypotension).then(2).otherwise(0)
    )
    dev = pl.col("O2DEV").fill_null("NONE")
    flow = pl.col("O2FLOW").fill_null(0.0)
    hypox_g = (
        pl.when(dev.is_in(POSITIVE_PRESSURE))
        .then(4)
        .when(dev.is_in(HIGH_FLOW) | (dev.is_in(LOW_FLOW) & cmp(flow, ">", low_flow_max_l_min)))
        .then(3)
        .when(dev.is_in(LOW_FLOW))
        .then(2)
        .otherwise(0)
    )
    worst = pl.max_horizontal(hypo_g, hypox_g)
    grade = (
        pl.when(fever)
        .then(pl.max_horizontal(worst, pl.lit(1)))
        .when(pl.col("FEVERMASKED").fill_null(False))
        .then(worst)
        .otherwise(0)
    )
    return df.with_columns(grade.cast(pl.Int64).alias("CRSGR"))


def ice_score(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``ICE`` (0-10, null if any item is missing) from the five item columns
    ``ICEORIEN`` (0-4), ``ICENAME`` (0-3), ``ICECOMM``, ``ICEWRITE``, ``ICEATTN`` (0-1)."""
    cols = list(ICE_ITEMS)
    require_columns(df, cols, "ice_score", "sle_car.derive.datasets.qs_wide (from QS)")
    items = [pl.col(c).clip(0, ICE_ITEMS[c][1]) for c in cols]
    total = pl.when(pl.all_horizontal([pl.col(c).is_not_null() for c in cols])).then(
        pl.sum_horizontal(items)
    )
    return df.with_columns(total.cast(pl.Int64).alias("ICE"))


def icans_grade(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``ICANSGR`` (0-4): the most severe of the five ASTCT domains.

    Inputs: ``ICE`` (0-10; null when the patient cannot perform it), ``LOC`` (one of
    ``CONSCIOUSNESS``), ``SEIZURE`` (``SEIZURE`` keys), ``MOTOR`` (deep focal motor weakness,
    boolean), ``OEDEMA`` (``OEDEMA`` keys). ICE 7-9 grade 1, 3-6 grade 2, 0-2 grade 3;
    ICE 0 because unarousable is grade 4 through the consciousness domain.
    """
    require_columns(df, ["ICE", "LOC", "SEIZURE", "MOTOR", "OEDEMA"], "icans_grade")
    ice = pl.col("ICE")
    ice_g = (
        pl.when(ice.is_null())
        .then(0)
        .when(ice <= 2)
        .then(3)
        .when(ice <= 6)
        .then(2)
        .when(ice <= 9)
        .then(1)
        .otherwise(0)
    )
    loc_g = pl.col("LOC").fill_null("NORMAL").replace_strict(CONSCIOUSNESS)
    sz_g = pl.col("SEIZURE").fill_null("NONE").replace_strict(SEIZURE)
    motor_g = pl.when(pl.col("MOTOR").fill_null(False)).then(4).otherwise(0)
    oed_g = pl.col("OEDEMA").fill_null("NONE").replace_strict(OEDEMA)
    grade = pl.max_horizontal(ice_g, loc_g, sz_g, motor_g, oed_g)
    return df.with_columns(grade.cast(pl.Int64).alias("ICANSGR"))
