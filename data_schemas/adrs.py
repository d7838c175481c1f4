"""ADRS: responses per subject, parameter and visit (DORIS, LLDAS, SRI-4, BICLA, serologic
remission, B-cell aplasia), plus subject-level derived parameters (sustained remission)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas._base import describe


class ADRS(pa.DataFrameModel):
    """``AVALC`` Y/N and ``AVAL`` 1/0; null when the response is not evaluable, and then
    ``NEREASON`` says why (an input missing, no active disease at baseline, ongoing)."""

    STUDYID: str = pa.Field(**describe("Study identifier"))
    USUBJID: str = pa.Field(**describe("Subject identifier"))
    PARAMCD: str = pa.Field(
        str_length={"min_value": 1, "max_value": 8}, **describe("Parameter code")
    )
    PARAM: str = pa.Field(**describe("Parameter"))
    AVAL: float = pa.Field(nullable=True, isin=[0.0, 1.0], **describe("1 = yes, 0 = no"))
    AVALC: str = pa.Field(nullable=True, isin=["Y", "N"], **describe("Y / N"))
    ADY: int = pa.Field(**describe("Analysis day", unit="study day"))
    AVISIT: str = pa.Field(**describe("Analysis visit"))
    AVISITN: int = pa.Field(**describe("Analysis visit number"))
    ANL01FL: str = pa.Field(nullable=True, isin=["Y"], **describe("Analysis record flag"))
    NEREASON: str = pa.Field(
        nullable=True, **describe("Reason not evaluable (null when AVALC is Y or N)")
    )

    class Config:
        name = "ADRS"
        strict = True
        unique = ["USUBJID", "PARAMCD", "AVISITN"]
