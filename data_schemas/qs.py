"""QS: questionnaires and clinician ratings — SLEDAI-2K descriptors, BILAG-2004 system
grades, physician global assessment, SLICC/ACR damage index, FACIT-Fatigue items and ICE
score items (SDTM QS; sponsor codes where CDISC has none, see codelists)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import VisitRecord, describe, study_day


class QS(VisitRecord):
    """One row per item and visit. ``QSSTRESN`` is the numeric item value: SLEDAI-2K
    descriptor weight when present else 0; BILAG grade A=1 ... E=5 (letter in
    ``QSORRES``); PGA 0-3; SDI system score; FACIT item response 0-4 as ticked (before
    reverse scoring); ICE item points. Missing answers are rows with QSSTAT = NOT DONE."""

    DOMAIN: str = pa.Field(isin=["QS"], **describe("Domain code 'QS'"))
    QSSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    QSCAT: str = pa.Field(isin=list(cl.QS_CATEGORIES), **describe("Instrument"))
    QSTESTCD: str = pa.Field(isin=list(cl.qs_items()), **describe("Item code"))
    QSTEST: str = pa.Field(**describe("Item name"))
    QSORRES: str = pa.Field(nullable=True, **describe("Answer as collected"))
    QSSTRESN: float = pa.Field(nullable=True, **describe("Numeric item value (see above)"))
    QSSTAT: str = pa.Field(nullable=True, isin=["NOT DONE"], **describe("Completion status"))
    QSDY: int = study_day("Day of assessment")

    class Config:
        name = "QS"
        strict = True
        unique = ["USUBJID", "QSTESTCD", "VISITNUM"]
