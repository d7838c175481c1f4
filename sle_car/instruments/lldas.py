"""Lupus Low Disease Activity State (LLDAS).

Source: Franklyn K, Lau CS, Navarra SV, et al. Definition and initial validation of a Lupus
Low Disease Activity State (LLDAS). Ann Rheum Dis 2016;75:1615-1621, Table 1; standard
maintenance doses operationalised by Golder V et al., Arthritis Res Ther 2016;18.
instruments.md §3.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import cmp, require_columns

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


def lldas(
    df: pl.DataFrame,
    *,
    sledai_max: int = 4,
    pga_max: float = 1.0,
    gc_max_mg: float = 7.5,
) -> pl.DataFrame:
    """Add ``LLDAS`` (boolean; null where an input is missing).

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
        "sle_car.derive.derive_vars_disease_state",
    )
    major = pl.any_horizontal([pl.col(c).fill_null(False) for c in MAJOR_ORGAN])
    ok = (
        (pl.col("SLEDAI2K") <= sledai_max)
        & major.not_()
        & pl.col("HAEMOLYT").not_()
        & pl.col("GIACT").not_()
        & pl.col("NEWACT").not_()
        & cmp(pl.col("PGA"), "<=", pga_max)
        & cmp(pl.col("PREDDOSE"), "<=", gc_max_mg)
        & pl.col("NONSTDIS").not_()
    )
    return df.with_columns(ok.alias("LLDAS"))
