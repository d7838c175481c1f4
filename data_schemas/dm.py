"""DM: demographics and baseline characteristics, one row per subject (SDTM DM)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe


class DM(SubjectRecord):
    """Demographics. Identifiers are study codes; no name, national ID or date of birth."""

    DOMAIN: str = pa.Field(isin=["DM"], **describe("Domain code 'DM'"))
    SUBJID: str = pa.Field(**describe("Subject number within the study"))
    SITEID: str = pa.Field(str_matches=r"^\d{2}$", **describe("Study site number"))
    AGE: int = pa.Field(ge=18, le=80, **describe("Age at informed consent", unit="years"))
    AGEU: str = pa.Field(isin=["YEARS"], **describe("Age unit"))
    SEX: str = pa.Field(isin=list(cl.SEX), **describe("Sex (CDISC C66731: F, M)"))
    RACE: str = pa.Field(isin=list(cl.RACE), **describe("Race (CDISC C74457)"))
    ETHGRP: str = pa.Field(
        isin=list(cl.ETHNIC_GROUPS_MY),
        **describe("Ethnic group as used in Malaysia (sponsor list)", source="SPONSOR"),
    )
    WEIGHTBL: float = pa.Field(ge=25, le=250, **describe("Weight at baseline", unit="kg"))
    HEIGHTBL: float = pa.Field(ge=120, le=220, **describe("Height at baseline", unit="cm"))
    DIAGDY: int = pa.Field(
        ge=-36500, le=-30, **describe("Study day of SLE diagnosis (negative)", unit="study day")
    )
    LNFL: str = pa.Field(isin=["Y", "N"], **describe("Biopsy-proven lupus nephritis (Y/N)"))
    NPRIORTX: int = pa.Field(
        ge=0, le=20, **describe("Number of prior immunosuppressive or biologic therapies failed")
    )

    class Config:
        name = "DM"
        strict = True
        unique = ["USUBJID"]
