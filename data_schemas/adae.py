"""ADAE: adverse events analysis dataset (ADaM OCCDS), one row per event."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas._base import describe


class ADAE(pa.DataFrameModel):
    """Adverse events with treatment-emergence, CRS/ICANS timing and worst-grade flags."""

    STUDYID: str = pa.Field(**describe("Study identifier"))
    USUBJID: str = pa.Field(**describe("Subject identifier"))
    AESEQ: int = pa.Field(ge=1, **describe("Sequence number"))
    AEDECOD: str = pa.Field(**describe("Preferred term"))
    AEBODSYS: str = pa.Field(**describe("System organ class"))
    AECAT: str = pa.Field(**describe("Category"))
    ATOXGR: int = pa.Field(ge=1, le=5, **describe("Analysis toxicity grade"))
    AETOXGRV: str = pa.Field(**describe("Grading scale"))
    AESER: str = pa.Field(isin=["Y", "N"], **describe("Serious"))
    AREL: str = pa.Field(**describe("Relationship to CAR T cells"))
    ASTDY: int = pa.Field(**describe("Analysis start day", unit="study day"))
    AENDY: int = pa.Field(nullable=True, **describe("Analysis end day", unit="study day"))
    ADURN: int = pa.Field(
        nullable=True, ge=1, **describe("Duration (end - start + 1)", unit="days")
    )
    TRTEMFL: str = pa.Field(
        nullable=True,
        isin=["Y"],
        **describe("Treatment-emergent: onset on or after lymphodepletion"),
    )
    POSTINFL: str = pa.Field(
        nullable=True, isin=["Y"], **describe("Onset on or after the CAR-T infusion")
    )
    AOCCIFL: str = pa.Field(
        nullable=True,
        isin=["Y"],
        **describe("Worst grade of the category per subject (first such event)"),
    )

    class Config:
        name = "ADAE"
        strict = True
        unique = ["USUBJID", "AESEQ"]
