"""pandera schemas (polars backend) of the study data: the contract between the export and
the analysis. Raw domains in SDTM form, analysis datasets in ADaM form.

``RAW_DOMAINS`` maps each collected domain to its model; ``ANALYSIS_DATASETS`` maps each
analysis dataset to its model. The data dictionary on the website is generated from these.
"""

from __future__ import annotations

from data_schemas.adae import ADAE
from data_schemas.adrs import ADRS
from data_schemas.adsl import ADSL
from data_schemas.adtte import ADTTE
from data_schemas.ae import AE
from data_schemas.bds import ADLB, ADQS
from data_schemas.cm import CM
from data_schemas.dm import DM
from data_schemas.ds import DS
from data_schemas.ex import EX
from data_schemas.lb import LB, LBClean
from data_schemas.qs import QS
from data_schemas.vs import VS
from data_schemas.xp import XP

RAW_DOMAINS = {
    "dm": DM,
    "ex": EX,
    "ae": AE,
    "lb": LB,
    "vs": VS,
    "qs": QS,
    "cm": CM,
    "ds": DS,
    "xp": XP,
}
"""Collected domains, by file stem (``dm.csv`` or ``dm.parquet``)."""

ANALYSIS_DATASETS = {
    "adsl": ADSL,
    "adlb": ADLB,
    "adqs": ADQS,
    "adae": ADAE,
    "adrs": ADRS,
    "adtte": ADTTE,
}

__all__ = [
    "ADAE",
    "ADLB",
    "ADQS",
    "ADRS",
    "ADSL",
    "ADTTE",
    "AE",
    "ANALYSIS_DATASETS",
    "CM",
    "DM",
    "DS",
    "EX",
    "LB",
    "QS",
    "RAW_DOMAINS",
    "VS",
    "XP",
    "LBClean",
]
