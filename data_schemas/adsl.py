"""ADSL: subject-level analysis dataset, one row per subject (ADaM ADSL)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import describe


class ADSL(pa.DataFrameModel):
    """Population flags, treatment and baseline characteristics. Study days, not dates."""

    STUDYID: str = pa.Field(**describe("Study identifier"))
    USUBJID: str = pa.Field(**describe("Subject identifier"))
    SITEID: str = pa.Field(**describe("Site"))
    AGE: int = pa.Field(ge=18, le=80, **describe("Age", unit="years"))
    SEX: str = pa.Field(isin=list(cl.SEX), **describe("Sex"))
    ETHGRP: str = pa.Field(**describe("Ethnic group (the study configuration's codes)"))
    # baseline measurements the study configuration may make optional: missing, never imputed
    WEIGHTBL: float = pa.Field(gt=0, nullable=True, **describe("Baseline weight", unit="kg"))
    HEIGHTBL: float = pa.Field(gt=0, nullable=True, **describe("Baseline height", unit="cm"))
    BSABL: float = pa.Field(
        gt=0,
        nullable=True,
        **describe(
            "Baseline body surface area (Mosteller; missing without weight or height)", unit="m2"
        ),
    )
    DISDURY: float = pa.Field(
        ge=0, nullable=True, **describe("SLE disease duration at infusion", unit="years")
    )
    LNFL: str = pa.Field(isin=["Y", "N"], nullable=True, **describe("Lupus nephritis"))
    NPRIORTX: int = pa.Field(ge=0, nullable=True, **describe("Number of prior therapies failed"))
    ENRLFL: str = pa.Field(isin=["Y", "N"], **describe("Enrolled (consented) population flag"))
    LDFL: str = pa.Field(isin=["Y", "N"], **describe("Received any lymphodepletion"))
    SAFFL: str = pa.Field(isin=["Y", "N"], **describe("Safety population: received CAR T cells"))
    EFFFL: str = pa.Field(
        isin=["Y", "N"], **describe("Efficacy population: infused with >=1 post-baseline score")
    )
    CARTDOSE: float = pa.Field(
        nullable=True, gt=0, **describe("CAR T-cell dose", unit="10^6 cells/kg")
    )
    FLUTOT: float = pa.Field(
        nullable=True, ge=0, **describe("Total fludarabine dose", unit="mg/m2")
    )
    CYCTOT: float = pa.Field(
        nullable=True, ge=0, **describe("Total cyclophosphamide dose", unit="mg/m2")
    )
    SLEDAIBL: float = pa.Field(nullable=True, ge=0, le=105, **describe("Baseline SLEDAI-2K"))
    LSTALVDY: int = pa.Field(**describe("Last study day known alive", unit="study day"))
    EOSSTT: str = pa.Field(
        nullable=True,
        isin=["COMPLETED", "DISCONTINUED", "ONGOING"],
        **describe("End of study status (null: disposition not recorded for the subject)"),
    )
    DCSREAS: str = pa.Field(nullable=True, **describe("Reason for discontinuation"))
    DTHFL: str = pa.Field(
        nullable=True,
        isin=["Y", "N"],
        **describe("Death flag (null: disposition not recorded for the subject)"),
    )
    DTHDY: int = pa.Field(nullable=True, **describe("Day of death", unit="study day"))

    class Config:
        name = "ADSL"
        strict = True
        unique = ["USUBJID"]
