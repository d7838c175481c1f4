"""Shared pieces of every schema: identifiers, study day, visit, and schema metadata helpers."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from data_schemas import codelists as cl

DESCRIPTIVE = "descriptive"
"""``metadata["role"]`` of an optional descriptive column: one no endpoint, population or
safety count is derived from (e.g. the nephritis class, product characteristics). An invalid
value there is blanked with a warning and the record kept (``sle_car.crosschecks``), instead
of setting the record (and, in DM, the whole patient) aside."""


def describe(
    text: str, unit: str | None = None, source: str | None = None, descriptive: bool = False
) -> dict:
    """Field keyword arguments carrying a description and, where it has one, a unit;
    ``descriptive=True`` marks an optional descriptive column (:data:`DESCRIPTIVE`)."""
    meta: dict[str, str] = {}
    if unit:
        meta["unit"] = unit
    if source:
        meta["source"] = source
    if descriptive:
        meta["role"] = DESCRIPTIVE
    return {"description": text, "metadata": meta or None}


class SubjectRecord(pa.DataFrameModel):
    """Columns every collected domain carries."""

    STUDYID: str = pa.Field(
        **describe("Study identifier: the study configuration's study_id (SLECAR01)")
    )
    DOMAIN: str = pa.Field(**describe("Two-letter SDTM domain code"))
    USUBJID: str = pa.Field(
        **describe(
            "Unique subject identifier matching the study configuration's subject_id_pattern: "
            "SLECAR01-<site>-<subject> (a study code, never a name)"
        ),
    )


def study_day(text: str, nullable: bool = False, descriptive: bool = False) -> object:
    """A study-day field: day 0 is the CAR-T infusion, inside the protocol window."""
    return pa.Field(
        ge=cl.STUDY_DAY_MIN,
        le=cl.STUDY_DAY_MAX,
        nullable=nullable,
        **describe(
            f"{text} (day 0 = CAR-T infusion; no calendar dates)",
            unit="study day",
            descriptive=descriptive,
        ),
    )


UNSCHEDULED = "UNSCHEDULED"
"""VISIT of an unscheduled visit (SDTM convention): ``UNSCHEDULED`` or ``UNSCHEDULED n.m``,
with a VISITNUM that is no protocol visit's, usually the previous visit's number plus a
decimal (``UNSCHEDULED 1004.1`` after WEEK 4, VISITNUM 1004.1)."""


def visitnum_field() -> object:
    return pa.Field(
        **describe(
            "Visit number: a protocol visit's number (schedule of assessments), or a decimal "
            "number for an unscheduled visit (SDTM, e.g. 1004.1)"
        ),
    )


def visit_field() -> object:
    return pa.Field(
        **describe(
            "Visit name: the protocol visit's name, or 'UNSCHEDULED' / 'UNSCHEDULED n.m' "
            "(n.m = VISITNUM) for an unscheduled visit"
        )
    )


def visit_matches_visitnum(data: pa.PolarsData) -> pl.LazyFrame:
    """VISIT and VISITNUM name the same visit: a protocol visit's number and name, or an
    unscheduled visit (SDTM): VISITNUM that is no protocol visit's number, VISIT
    ``UNSCHEDULED`` or ``UNSCHEDULED n.m`` with n.m equal to VISITNUM. Analysis windowing
    assigns every record, unscheduled or not, by its study day."""
    names = pl.DataFrame(
        {
            "VISITNUM": [float(v.visitnum) for v in cl.VISITS],
            "_VNAME": [v.name for v in cl.VISITS],
        }
    )
    number = pl.col("VISIT").str.extract(rf"^{UNSCHEDULED} (\d+(?:\.\d+)?)$", 1)
    unscheduled = pl.col("_VNAME").is_null() & (
        (pl.col("VISIT") == UNSCHEDULED) | (number.cast(pl.Float64) == pl.col("VISITNUM"))
    )
    lf = data.lazyframe
    return (
        lf.with_row_index("_i")
        .with_columns(pl.col("VISITNUM").cast(pl.Float64))
        .join(names.lazy(), on="VISITNUM", how="left")
        .sort("_i")
        .select((pl.col("VISIT").eq(pl.col("_VNAME")) | unscheduled).fill_null(False).alias("ok"))
    )


class VisitRecord(SubjectRecord):
    """Columns of every domain collected at visits (LB, VS, QS): protocol visits and
    unscheduled visits (SDTM ``UNSCHEDULED n.m`` with a decimal VISITNUM)."""

    VISITNUM: float = visitnum_field()
    VISIT: str = visit_field()

    @pa.dataframe_check(description="VISIT is the name of VISITNUM")
    @classmethod
    def visit_name(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return visit_matches_visitnum(data)
