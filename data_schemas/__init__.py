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
from data_schemas.xp import CHECK_COLUMNS as _XP_CHECK_COLUMNS
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

_VISIT = {"visit_name": ("VISIT", "VISITNUM")}
CHECK_COLUMNS = {
    "AE": {
        "end_after_start": ("AESTDY", "AEENDY"),
        "scale_matches_category": ("AECAT", "AETOXGRV"),
    },
    "CM": {
        "end_after_start": ("CMSTDY", "CMENDY"),
        "gc_has_pred_equivalent": ("CMCLAS", "CMPREDEQ"),
    },
    "EX": {"unit_matches_treatment": ("EXTRT", "EXDOSU")},
    "LB": _VISIT,
    "QS": _VISIT,
    "VS": _VISIT,
    "XP": _XP_CHECK_COLUMNS,
}
"""Schema name -> row check (``pa.dataframe_check``) -> the columns it reads, so that the
validation report names them (issue #18, item 4). A test keeps it complete."""


def descriptive_columns(model: type) -> tuple[str, ...]:
    """The optional descriptive columns of ``model`` (``metadata["role"] == "descriptive"``,
    set once in the schema with ``describe(..., descriptive=True)``): an invalid value there is
    blanked with a warning and the record kept (:mod:`sle_car.crosschecks`)."""
    from data_schemas._base import DESCRIPTIVE

    return tuple(
        name
        for name, col in model.to_schema().columns.items()
        if (col.metadata or {}).get("role") == DESCRIPTIVE
    )


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
    "CHECK_COLUMNS",
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
    "descriptive_columns",
]
