"""DM: demographics and baseline characteristics, one row per subject (SDTM DM)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe


class DM(SubjectRecord):
    """Demographics. Identifiers are study codes; no name, national ID or date of birth."""

    DOMAIN: str = pa.Field(isin=["DM"], **describe("Domain code 'DM'"))
    SUBJID: str = pa.Field(**describe("Subject number within the study"))
    SITEID: str = pa.Field(**describe("Study site number (the study configuration's sites)"))
    AGE: int = pa.Field(ge=18, le=80, **describe("Age at informed consent", unit="years"))
    AGEU: str = pa.Field(isin=["YEARS"], **describe("Age unit"))
    SEX: str = pa.Field(isin=list(cl.SEX), **describe("Sex (CDISC C66731: F, M)"))
    RACE: str = pa.Field(
        **describe("Race (CDISC C74457; the codes of the study configuration's race)")
    )
    ETHGRP: str = pa.Field(
        **describe(
            "Ethnic group as used in Malaysia (sponsor list: the study configuration's "
            "ethnic_groups)",
            source="SPONSOR",
        ),
    )
    # Baseline measurements: the study configuration's `baseline` says which are required
    # (empty: error) and which optional (empty: warning); the schema checks their values.
    WEIGHTBL: float = pa.Field(
        ge=25, le=250, nullable=True, **describe("Weight at baseline", unit="kg")
    )
    HEIGHTBL: float = pa.Field(
        ge=120, le=220, nullable=True, **describe("Height at baseline", unit="cm")
    )
    DIAGDY: int = pa.Field(
        ge=-36500,
        le=-30,
        nullable=True,
        **describe("Study day of SLE diagnosis (negative)", unit="study day"),
    )
    LNFL: str = pa.Field(
        isin=["Y", "N"], nullable=True, **describe("Biopsy-proven lupus nephritis (Y/N)")
    )
    NPRIORTX: int = pa.Field(
        ge=0,
        le=20,
        nullable=True,
        **describe("Number of prior immunosuppressive or biologic therapies failed"),
    )
    # Optional columns (issue #18): a DM without them validates with a "not collected" warning
    # (sle_car.validate.OPTIONAL_COLUMNS) and they are read as empty.
    LNCLASS: str = pa.Field(
        isin=list(cl.LN_CLASSES),
        nullable=True,
        **describe(
            "Lupus nephritis class of the diagnostic kidney biopsy, ISN/RPS 2003 (I-VI, "
            "IV-S/IV-G, III+V, IV+V); empty without nephritis or when not recorded (optional "
            "column)",
            descriptive=True,
        ),
    )
    LNBXDY: int = pa.Field(
        ge=-36500,
        le=-1,
        nullable=True,
        **describe(
            "Study day of that kidney biopsy (before the infusion; optional column)",
            unit="study day",
            descriptive=True,
        ),
    )

    class Config:
        name = "DM"
        strict = True
        unique = ["USUBJID"]
