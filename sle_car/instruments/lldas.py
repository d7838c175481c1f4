"""Lupus Low Disease Activity State (LLDAS).

Source: Franklyn K, Lau CS, Navarra SV, et al. Definition and initial validation of a Lupus
Low Disease Activity State (LLDAS). Ann Rheum Dis 2016;75:1615-1621, Table 1; standard
maintenance doses operationalised by Golder V et al., Arthritis Res Ther 2016;18.
instruments.md §3.
"""

from __future__ import annotations

import polars as pl

from data_schemas.codelists import SLEDAI_ITEMS
from sle_car._checks import cmp, require_columns
from sle_car.instruments._evaluable import reason_not_evaluable
from sle_car.sap import DEFAULTS

MAJOR_ORGAN = (
    "SEIZURE",
    "PSYCHOSIS",
    "OBS",
    "VISUAL",
    "CRANIALN",
    "LUPHEAD",
    "CVA",  # CNS
    "VASCULIT",
    "UCASTS",
    "HEMATUR",
    "PROTEIN",
    "PYURIA",  # vasculitis, renal
    "PLEURISY",
    "PERICARD",
    "FEVER",  # cardiopulmonary, fever
)
"""SLEDAI-2K descriptors counted as major-organ activity (instruments.md §3 mapping, a
derived list: marked ⚠ there)."""


STANDARD_MAINTENANCE_MAX = {
    "HYDROXYCHLOROQUINE": 400.0,
    "METHOTREXATE": 30.0,
    "AZATHIOPRINE": 200.0,
    "MYCOPHENOLATE MOFETIL": 3000.0,
    "MYCOPHENOLIC ACID": 2160.0,
    "LEFLUNOMIDE": 20.0,
}
"""Golder V et al. 2016 (LLDAS criterion 5): daily doses above these are not standard
maintenance (mg/day)."""


def lldas_inputs(
    state: pl.DataFrame, cm: pl.DataFrame, *, by: str = "USUBJID", day: str = "ADY"
) -> pl.DataFrame:
    """Add the LLDAS inputs that are not SLEDAI-2K scores (Franklyn 2016, Table 1):

    - ``NEWACT``: a SLEDAI-2K descriptor present now that was absent at the subject's
      previous assessment (the SAP's operationalisation of "no new features"); null when
      that cannot be told (a descriptor not assessed now or then) and none is known new;
    - ``HAEMOLYT``: haemolytic anaemia: false (not collected in this study: no SLEDAI-2K
      item, and the BILAG-2004 haematology grade is not specific to haemolysis; an SAP
      assumption stated here);
    - ``GIACT``: gastrointestinal activity: BILAG-2004 GI grade A-C; null when not graded;
    - ``NONSTDIS``: an immunosuppressant above the standard maintenance dose of
      :data:`STANDARD_MAINTENANCE_MAX` (Golder 2016) on the day, from CM (``CMTRT``,
      ``CMDOSE``, ``CMDOSFRQ``, ``CMSTDY``, ``CMENDY``).

    ``state``: one row per ``by`` and ``day`` with the 24 descriptor columns and ``BLGGI``.
    """
    desc = list(SLEDAI_ITEMS)
    require_columns(state, [by, day, "BLGGI", *desc], "lldas_inputs", "disease_state")
    require_columns(
        cm, [by, "CMTRT", "CMDOSE", "CMDOSFRQ", "CMSTDY", "CMENDY"], "lldas_inputs", "clean CM"
    )
    new = pl.lit(False)
    for d in desc:  # Kleene OR: one known new descriptor decides
        new = new | (pl.col(d) & pl.col(d).shift(1).over(by, order_by=day).not_())
    x = state.with_columns(
        new.alias("NEWACT"),
        pl.lit(False).alias("HAEMOLYT"),
        pl.when(pl.col("BLGGI").is_not_null())
        .then(pl.col("BLGGI").is_in(["A", "B", "C"]))
        .alias("GIACT"),
    )
    maxdose = pl.DataFrame(
        {"CMTRT": list(STANDARD_MAINTENANCE_MAX), "_MAX": list(STANDARD_MAINTENANCE_MAX.values())}
    )
    daily = pl.col("CMDOSE") * pl.when(pl.col("CMDOSFRQ") == "BID").then(2).otherwise(1)
    over = (
        x.select(by, day)
        .unique()
        .join(cm.join(maxdose, on="CMTRT"), on=by)
        .filter(
            (pl.col("CMSTDY") <= pl.col(day))
            & (pl.col("CMENDY").is_null() | (pl.col("CMENDY") >= pl.col(day)))
        )
        .group_by(by, day)
        .agg((daily > pl.col("_MAX")).any().alias("NONSTDIS"))
    )
    return x.join(over, on=[by, day], how="left", maintain_order="left").with_columns(
        pl.col("NONSTDIS").fill_null(False)  # no such drug on the day: standard
    )


def lldas(
    df: pl.DataFrame,
    *,
    sledai_max: int = DEFAULTS.lldas.sledai_max,
    pga_max: float = DEFAULTS.lldas.pga_max,
    gc_max_mg: float = DEFAULTS.lldas.gc_max_mg,
) -> pl.DataFrame:
    """Add ``LLDAS`` (boolean; null when not evaluable: an input is missing and no criterion
    is known to fail) and ``LLDAS_NE`` (why it is null). With ``SLEDAI_COMPLETE`` present, an
    incomplete SLEDAI-2K at or below ``sledai_max`` is not a known pass (missing descriptors
    count 0 in the sum); a major-organ descriptor not assessed is not "absent".

    Input columns: the 24 descriptor columns and ``SLEDAI2K``; ``PGA``; ``PREDDOSE``;
    ``NEWACT`` (a descriptor present now that was absent at the previous assessment: the SAP's
    operationalisation of "no new features"); ``HAEMOLYT`` and ``GIACT`` (haemolytic anaemia,
    gastrointestinal activity: not SLEDAI items, e.g. from BILAG); ``NONSTDIS`` (immunosuppressive
    above standard maintenance dose, or an investigational drug).

    All five criteria, all inclusive: SLEDAI-2K ≤ 4 (serology may contribute) without major
    organ activity, haemolysis or GI activity; no new activity; PGA ≤ 1; prednisolone ≤ 7.5
    mg/day; standard maintenance immunosuppression.
    """
    require_columns(
        df,
        ["SLEDAI2K", "PGA", "PREDDOSE", "NEWACT", "HAEMOLYT", "GIACT", "NONSTDIS", *MAJOR_ORGAN],
        "lldas",
        "sle_car.derive.datasets.disease_state",
    )
    major = pl.lit(False)
    for c in MAJOR_ORGAN:  # Kleene OR: a present descriptor decides; one not assessed is unknown
        major = major | pl.col(c)
    low = pl.col("SLEDAI2K") <= sledai_max
    if "SLEDAI_COMPLETE" in df.columns:
        low = (
            pl.when(low & pl.col("SLEDAI_COMPLETE").not_().fill_null(True))
            .then(None)
            .otherwise(low)
        )
    ok = (
        low
        & major.not_()
        & pl.col("HAEMOLYT").not_()
        & pl.col("GIACT").not_()
        & pl.col("NEWACT").not_()
        & cmp(pl.col("PGA"), "<=", pga_max)
        & cmp(pl.col("PREDDOSE"), "<=", gc_max_mg)
        & pl.col("NONSTDIS").not_()
    )
    reasons = {"SLEDAI-2K missing": pl.col("SLEDAI2K").is_null()}
    if "SLEDAI_COMPLETE" in df.columns:
        reasons["SLEDAI-2K incomplete"] = pl.col("SLEDAI_COMPLETE").not_()
    reasons |= {
        "PGA missing": pl.col("PGA").is_null(),
        "glucocorticoid dose unknown": pl.col("PREDDOSE").is_null(),
        "other criteria unknown": pl.any_horizontal(
            [pl.col(c).is_null() for c in ("NEWACT", "HAEMOLYT", "GIACT", "NONSTDIS")]
        ),
    }
    return df.with_columns(ok.alias("LLDAS")).with_columns(
        reason_not_evaluable(pl.col("LLDAS"), reasons).alias("LLDAS_NE")
    )
