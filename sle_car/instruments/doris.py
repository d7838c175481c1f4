"""DORIS 2021 definition of remission in SLE.

Source: van Vollenhoven RF, Bertsias G, Doria A, et al. 2021 DORIS definition of remission
in SLE: final recommendations from an international task force. Lupus Sci Med
2021;8:e000538 (doi:10.1136/lupus-2021-000538): "clinical SLEDAI = 0, Evaluator's Global
Assessment < 0.5 (0-3), prednisolone 5 mg/day or less, and stable antimalarials,
immunosuppressives, and biologics". Off-therapy and drug-free variants: the 2017 framework
(van Vollenhoven R et al., Ann Rheum Dis 2017;76:554-561). instruments.md §2.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import check_choice, cmp, require_columns
from sle_car.instruments._evaluable import reason_not_evaluable
from sle_car.sap import DEFAULTS


def doris_remission(
    df: pl.DataFrame,
    *,
    gc_max_mg: float = DEFAULTS.doris.gc_max_mg,
    gc_comparator: str = DEFAULTS.doris.gc_comparator,
    pga_max: float = DEFAULTS.doris.pga_max,
    antimalarial_allowed_drug_free: bool = DEFAULTS.doris.antimalarial_allowed_drug_free,
) -> pl.DataFrame:
    """Add ``DORIS`` (remission on treatment), ``DORISOFF`` (2017 remission off therapy) and
    ``DORISDF`` (drug-free remission) as booleans, null when not evaluable (an input is
    missing and no criterion is known to fail), and ``DORIS_NE``, ``DORISOFF_NE``, ``DORISDF_NE`` (why each is null).

    Input columns, one row per assessment:

    - ``CSLEDAI``: clinical SLEDAI-2K (:func:`~sle_car.instruments.sledai_2k`); optionally
      ``CSLEDAI_COMPLETE``: a clinical score of 0 with a clinical descriptor not assessed is
      not a known 0 (the serology items do not enter cSLEDAI, so complement or anti-dsDNA
      not measured never makes it incomplete);
    - ``PGA``: physician global assessment, 0-3;
    - ``PREDDOSE``: prednisolone-equivalent daily dose (mg/day) on the assessment day;
    - ``ISUNSTABLE``: an antimalarial, immunosuppressive or biologic was started or increased
      within the SAP's stability window before the assessment ("stable" is not quantified by
      DORIS; the window is chosen where ``ISUNSTABLE`` is derived);
    - ``ONIS``: on an immunosuppressive or biologic; ``ONAM``: on an antimalarial.

    Rules: cSLEDAI = 0; PGA < ``pga_max`` (strict); prednisolone ``gc_comparator``
    ``gc_max_mg`` (default ≤ 5 mg/day per the 2021 abstract; the web table says "< 5": set
    ``gc_comparator="<"``); no unstable therapy. Off therapy (2017): cSLEDAI = 0, PGA <
    ``pga_max``, no glucocorticoid, no immunosuppressive or biologic (maintenance antimalarials
    allowed). Drug-free: DORIS with no glucocorticoid, immunosuppressive or biologic, and no
    antimalarial unless ``antimalarial_allowed_drug_free``.
    """
    check_choice("gc_comparator", gc_comparator, ("<=", "<"))
    require_columns(
        df,
        ["CSLEDAI", "PGA", "PREDDOSE", "ISUNSTABLE", "ONIS", "ONAM"],
        "doris_remission",
        "sle_car.derive.datasets.disease_state",
    )
    zero = pl.col("CSLEDAI") == 0
    if "CSLEDAI_COMPLETE" in df.columns:
        zero = (
            pl.when(zero & pl.col("CSLEDAI_COMPLETE").not_().fill_null(True))
            .then(None)
            .otherwise(zero)
        )
    clinical = zero & cmp(pl.col("PGA"), "<", pga_max)
    gc_ok = cmp(pl.col("PREDDOSE"), gc_comparator, gc_max_mg)
    on_tx = clinical & gc_ok & pl.col("ISUNSTABLE").not_()
    no_gc = cmp(pl.col("PREDDOSE"), "==", 0.0)
    off = clinical & no_gc & pl.col("ONIS").not_()
    am_ok = pl.lit(True) if antimalarial_allowed_drug_free else pl.col("ONAM").not_()
    reasons = {"clinical SLEDAI missing": pl.col("CSLEDAI").is_null()}
    if "CSLEDAI_COMPLETE" in df.columns:
        reasons["clinical SLEDAI incomplete"] = pl.col("CSLEDAI_COMPLETE").not_()
    reasons |= {
        "PGA missing": pl.col("PGA").is_null(),
        "glucocorticoid dose unknown": pl.col("PREDDOSE").is_null(),
        "therapy stability unknown": pl.col("ISUNSTABLE").is_null(),
        "therapy unknown": pl.col("ONIS").is_null() | pl.col("ONAM").is_null(),
    }
    return df.with_columns(
        on_tx.alias("DORIS"),
        off.alias("DORISOFF"),
        (on_tx & no_gc & pl.col("ONIS").not_() & am_ok).alias("DORISDF"),
    ).with_columns(
        reason_not_evaluable(pl.col(c), reasons).alias(f"{c}_NE")
        for c in ("DORIS", "DORISOFF", "DORISDF")
    )
