"""ADTTE: time-to-event analysis dataset (ADaM BDS-TTE), one row per subject and parameter."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas._base import describe


class ADTTE(pa.DataFrameModel):
    """``CNSR`` 0 = event, 1 = censored; ``AVAL`` in days from the origin ``STARTDY``."""

    STUDYID: str = pa.Field(**describe("Study identifier"))
    USUBJID: str = pa.Field(**describe("Subject identifier"))
    PARAMCD: str = pa.Field(
        str_length={"min_value": 1, "max_value": 8}, **describe("Parameter code")
    )
    PARAM: str = pa.Field(**describe("Parameter"))
    AVAL: float = pa.Field(ge=0, **describe("Time to event or censoring", unit="days"))
    AVALU: str = pa.Field(isin=["DAYS"], **describe("Unit of AVAL"))
    STARTDY: int = pa.Field(**describe("Origin (study day)", unit="study day"))
    ADY: int = pa.Field(**describe("Day of event or censoring", unit="study day"))
    CNSR: int = pa.Field(isin=[0, 1], **describe("0 = event, 1 = censored"))
    EVNTDESC: str = pa.Field(nullable=True, **describe("Event description"))
    CNSDTDSC: str = pa.Field(nullable=True, **describe("Censoring description"))
    SRCDOM: str = pa.Field(nullable=True, **describe("Source dataset"))

    class Config:
        name = "ADTTE"
        strict = True
        unique = ["USUBJID", "PARAMCD"]
