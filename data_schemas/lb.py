"""LB: laboratory results, including complement, autoantibodies, urinalysis and flow
cytometry of CD19+ B cells and CAR T cells (SDTM LB).

The raw export carries results as collected (``LBORRES`` text, ``LBORRESU``, the testing
laboratory's normal range). Cleaning converts every numeric result to the test's standard
unit (``LBSTRESN``/``LBSTRESU``/``LBSTNRLO``/``LBSTNRHI``, see :class:`LBClean`) with the
factors in :mod:`data_schemas.codelists`.
"""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import VisitRecord, describe, study_day


class LB(VisitRecord):
    """Laboratory results as exported (one row per subject, test, specimen and visit)."""

    DOMAIN: str = pa.Field(isin=["LB"], **describe("Domain code 'LB'"))
    LBSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    LBTESTCD: str = pa.Field(
        isin=list(cl.LB_TESTCODES), **describe("Test code (CDISC LBTESTCD C65047 or sponsor)")
    )
    LBTEST: str = pa.Field(**describe("Test name"))
    LBCAT: str = pa.Field(isin=list(cl.LB_CATEGORIES), **describe("Category of test"))
    LBSPEC: str = pa.Field(isin=list(cl.LB_SPECIMENS), **describe("Specimen type"))
    LBMETHOD: str = pa.Field(nullable=True, **describe("Method (e.g. CD19 FLOW CYTOMETRY)"))
    LBORRES: str = pa.Field(nullable=True, **describe("Result as collected (text)"))
    LBORRESU: str = pa.Field(nullable=True, **describe("Unit as collected"))
    LBORNRLO: float = pa.Field(nullable=True, **describe("Laboratory's lower limit of normal"))
    LBORNRHI: float = pa.Field(nullable=True, **describe("Laboratory's upper limit of normal"))
    LBDY: int = study_day("Day of specimen collection")

    class Config:
        name = "LB"
        strict = True
        unique = ["USUBJID", "LBTESTCD", "LBSPEC", "VISITNUM"]


class LBClean(LB):
    """LB after cleaning: standard (SI) numeric results and normal ranges added."""

    LBSTRESN: float = pa.Field(nullable=True, **describe("Numeric result in standard unit"))
    LBSTRESC: str = pa.Field(nullable=True, **describe("Result in standard format (text)"))
    LBSTRESU: str = pa.Field(nullable=True, **describe("Standard unit"))
    LBSTNRLO: float = pa.Field(nullable=True, **describe("Lower limit of normal, standard unit"))
    LBSTNRHI: float = pa.Field(nullable=True, **describe("Upper limit of normal, standard unit"))

    class Config:
        name = "LB (clean)"
        strict = True
        unique = ["USUBJID", "LBTESTCD", "LBSPEC", "VISITNUM"]
