"""VS: vital signs and oxygen support, needed for ASTCT CRS grading (SDTM VS)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import VisitRecord, describe, study_day


class VS(VisitRecord):
    """Vital signs: the worst value of the day for daily monitoring (days 0-14), otherwise
    the visit measurement. Oxygen support is recorded as device (``O2DEV``) and flow."""

    DOMAIN: str = pa.Field(isin=["VS"], **describe("Domain code 'VS'"))
    VSSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    VSTESTCD: str = pa.Field(
        isin=list(cl.VITAL_SIGNS), **describe("Test code (CDISC VSTESTCD C66741 or sponsor)")
    )
    VSTEST: str = pa.Field(**describe("Test name"))
    VSORRES: str = pa.Field(**describe("Result as collected (text)"))
    VSORRESU: str = pa.Field(nullable=True, **describe("Unit as collected"))
    VSDY: int = study_day("Day of measurement")

    class Config:
        name = "VS"
        strict = True
        unique = ["USUBJID", "VSTESTCD", "VISITNUM"]
