"""DS: disposition — consent, completion, withdrawal and death (SDTM DS)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe, study_day


class DS(SubjectRecord):
    """One row per disposition event. Every subject has exactly one DISPOSITION EVENT
    row: COMPLETED, or the reason follow-up ended (death, withdrawal, ...); an ongoing
    subject at a data cut has none yet and is censored at the last visit. PROTOCOL MILESTONE
    rows (optional, issue #18) record the steps of the CONSORT-style flow: consent, entry
    into the trial, apheresis, product manufactured (or manufacturing failed),
    lymphodepletion started, CAR T cells infused (day 0)."""

    DOMAIN: str = pa.Field(isin=["DS"], **describe("Domain code 'DS'"))
    DSSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    DSCAT: str = pa.Field(isin=list(cl.DS_CATEGORIES), **describe("Category"))
    DSDECOD: str = pa.Field(
        isin=list(cl.DS_DECOD),
        **describe(
            "Standardised term: CDISC PROTMLST milestone (sponsor-extended for the cell-therapy "
            "steps) or CDISC NCOMPLT reason"
        ),
    )
    DSTERM: str = pa.Field(**describe("Reported term", descriptive=True))
    DSSTDY: int = study_day("Day of the event")

    class Config:
        name = "DS"
        strict = True
        unique = ["USUBJID", "DSCAT", "DSDECOD"]
