"""XP: CAR-T product characteristics, a sponsor-defined findings domain (issue #18).

SDTMIG reserves domain codes beginning with X, Y or Z for sponsor-defined domains; no SDTM
domain holds the release characteristics of an autologous cell product. One row per subject
and characteristic (:data:`data_schemas.codelists.PRODUCT_TESTS`). The infused dose per kg
stays in EX (``EXDOSE``, 10^6/kg) and is not repeated here. Optional: a cut without ``xp.csv``
runs and says that product characteristics were not collected.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from data_schemas import codelists as cl
from data_schemas._base import SubjectRecord, describe, study_day


def _qualitative_ok(data: pa.PolarsData) -> pl.LazyFrame:
    """A qualitative characteristic (MFGRES) has one of its allowed results and no numeric
    value; a numeric one has a numeric value inside its plausible range."""
    quali = {c: list(t.qualitative) for c, t in cl.PRODUCT_TESTS.items() if t.qualitative}
    lo = {c: float(t.low) for c, t in cl.PRODUCT_TESTS.items() if not t.qualitative}
    hi = {c: float(t.high) for c, t in cl.PRODUCT_TESTS.items() if not t.qualitative}
    code = pl.col("XPTESTCD")
    allowed = [v for values in quali.values() for v in values]
    ok_quali = pl.col("XPORRES").is_in(allowed) & pl.col("XPSTRESN").is_null()
    low = code.replace_strict(lo, default=None, return_dtype=pl.Float64)
    high = code.replace_strict(hi, default=None, return_dtype=pl.Float64)
    v = pl.col("XPSTRESN")
    ok_num = v.is_null() | ((v >= low) & (v <= high))
    return data.lazyframe.select(
        pl.when(code.is_in(list(quali))).then(ok_quali).otherwise(ok_num).alias("ok")
    )


class XP(SubjectRecord):
    """CAR-T product characteristics (sponsor-defined findings domain), one row per subject
    and characteristic: manufacturing result, total CAR+ T cells infused, viability, CD4:CD8
    ratio, transduction efficiency, vein-to-vein time."""

    DOMAIN: str = pa.Field(isin=["XP"], **describe("Domain code 'XP' (sponsor-defined)"))
    XPSEQ: int = pa.Field(ge=1, **describe("Sequence number within subject"))
    XPTESTCD: str = pa.Field(
        isin=list(cl.PRODUCT_TESTS),
        **describe("Product characteristic code (sponsor-defined)", source="SPONSOR"),
    )
    XPTEST: str = pa.Field(**describe("Product characteristic name"))
    XPORRES: str = pa.Field(**describe("Result as collected (text)"))
    XPORRESU: str = pa.Field(
        nullable=True, **describe("Unit (10^6 cells, %, ratio, days; empty for MFGRES)")
    )
    XPSTRESN: float = pa.Field(
        nullable=True, **describe("Numeric result (empty for the manufacturing result)")
    )
    XPDY: int = study_day("Day of product release (or of the manufacturing failure)", True)

    @pa.dataframe_check(
        description="result allowed for the characteristic (MFGRES: SUCCESS or FAILURE; "
        "numbers inside the plausible range)"
    )
    @classmethod
    def result_ok(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _qualitative_ok(data)

    class Config:
        name = "XP"
        strict = True
        unique = ["USUBJID", "XPTESTCD"]
