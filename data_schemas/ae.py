"""AE: adverse events, including CRS and ICANS with their ASTCT grade (SDTM AE)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe, study_day


class AE(SubjectRecord):
    """One row per adverse event. CRS and ICANS are graded by ASTCT 2019 (Lee 2019), all
    other events by CTCAE v5.0; AETOXGRV names the scale."""

    DOMAIN: str = pa.Field(isin=["AE"], **describe("Domain code 'AE'"))
    AESEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    AETERM: str = pa.Field(
        **describe("Reported term (verbatim; never free-text identifiers)", descriptive=True)
    )
    AEDECOD: str = pa.Field(**describe("Dictionary-derived term (MedDRA preferred term)"))
    AEBODSYS: str = pa.Field(**describe("Body system or organ class (MedDRA SOC)"))
    AECAT: str = pa.Field(isin=list(cl.AE_CATEGORIES), **describe("Category of event"))
    AETOXGR: int = pa.Field(ge=1, le=5, **describe("Toxicity grade (1-5)"))
    AETOXGRV: str = pa.Field(
        isin=list(cl.AE_GRADING_SCALES), **describe("Grading scale and version")
    )
    AESER: str = pa.Field(isin=["Y", "N"], **describe("Serious event (Y/N)"))
    AEREL: str = pa.Field(isin=list(cl.AE_RELATIONSHIP), **describe("Relationship to CAR-T"))
    AEACN: str = pa.Field(isin=list(cl.AE_ACTION), **describe("Action taken"))
    AEOUT: str = pa.Field(isin=list(cl.AE_OUTCOME), **describe("Outcome (CDISC C66768)"))
    AESTDY: int = study_day("Onset day")
    AEENDY: int = study_day("End day; empty while ongoing", nullable=True)

    class Config:
        name = "AE"
        strict = True
        unique = ["USUBJID", "AESEQ"]

    @pa.dataframe_check(description="the end day is not before the onset day")
    @classmethod
    def end_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("AEENDY").is_null() | (pl.col("AEENDY") >= pl.col("AESTDY"))).alias("ok")
        )

    @pa.dataframe_check(description="CRS and ICANS use ASTCT 2019, other events CTCAE v5.0")
    @classmethod
    def scale_matches_category(cls, data: pa.PolarsData) -> pl.LazyFrame:
        astct = pl.col("AECAT").is_in(["CRS", "ICANS"])
        return data.lazyframe.select(
            pl.when(astct)
            .then(pl.col("AETOXGRV") == "ASTCT 2019")
            .otherwise(pl.col("AETOXGRV") == "CTCAE V5.0")
            .alias("ok")
        )
