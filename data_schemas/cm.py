"""CM: concomitant and SLE medications — glucocorticoids with prednisolone-equivalent dose,
antimalarials, immunosuppressants, biologics, tocilizumab, vasopressors (SDTM CM)."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe, study_day


class CM(SubjectRecord):
    """One row per medication period at a constant dose. ``CMENDY`` empty = ongoing.
    Periods that started before screening carry the screening day as start."""

    DOMAIN: str = pa.Field(isin=["CM"], **describe("Domain code 'CM'"))
    CMSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    CMTRT: str = pa.Field(**describe("Medication name (generic)"))
    CMCLAS: str = pa.Field(isin=list(cl.CM_CLASSES), **describe("Medication class"))
    CMDOSE: float = pa.Field(ge=0, nullable=True, **describe("Dose", unit="CMDOSU"))
    CMDOSU: str = pa.Field(nullable=True, **describe("Dose unit"))
    CMDOSFRQ: str = pa.Field(nullable=True, **describe("Dosing frequency (QD, BID, ONCE ...)"))
    CMPREDEQ: float = pa.Field(
        ge=0,
        le=2000,
        nullable=True,
        **describe("Prednisolone-equivalent daily dose (glucocorticoids only)", unit="mg/day"),
    )
    CMSTDY: int = pa.Field(
        ge=-36500,
        le=cl.STUDY_DAY_MAX,
        **describe("Start day (may precede screening for long-standing therapy)", unit="study day"),
    )
    CMENDY: int = study_day("End day; empty while ongoing", nullable=True)

    class Config:
        name = "CM"
        strict = True
        unique = ["USUBJID", "CMTRT", "CMSTDY"]

    @pa.dataframe_check(description="the end day is not before the start day")
    @classmethod
    def end_after_start(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            (pl.col("CMENDY").is_null() | (pl.col("CMENDY") >= pl.col("CMSTDY"))).alias("ok")
        )

    @pa.dataframe_check(description="glucocorticoids carry a prednisolone-equivalent dose")
    @classmethod
    def gc_has_pred_equivalent(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(
            ((pl.col("CMCLAS") != "GLUCOCORTICOID") | pl.col("CMPREDEQ").is_not_null()).alias("ok")
        )
