"""EX: exposure to lymphodepletion and the CAR-T infusion (SDTM EX)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe, study_day


class EX(SubjectRecord):
    """One row per administration: fludarabine (days -5 to -3), cyclophosphamide (day -3),
    CD19 CAR T cells (day 0)."""

    DOMAIN: str = pa.Field(isin=["EX"], **describe("Domain code 'EX'"))
    EXSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    EXTRT: str = pa.Field(isin=list(cl.EX_TREATMENTS), **describe("Treatment administered"))
    EXDOSE: float = pa.Field(gt=0, le=5000, **describe("Dose per administration", unit="EXDOSU"))
    EXDOSU: str = pa.Field(
        isin=sorted(set(cl.EX_TREATMENTS.values())),
        **describe("Dose unit: mg/m2 for chemotherapy, 10^6/kg CAR T cells per kg"),
    )
    EXROUTE: str = pa.Field(isin=["INTRAVENOUS"], **describe("Route of administration"))
    EXSTDY: int = study_day("Day of administration")

    class Config:
        name = "EX"
        strict = True
        unique = ["USUBJID", "EXTRT", "EXSTDY"]

    @pa.dataframe_check(description="EXDOSU is the unit of EXTRT")
    @classmethod
    def unit_matches_treatment(cls, data: pa.PolarsData):
        import polars as pl

        expected = pl.col("EXTRT").replace_strict(cl.EX_TREATMENTS, default=None)
        return data.lazyframe.select(pl.col("EXDOSU").eq(expected).fill_null(False))
