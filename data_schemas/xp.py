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
    # the numeric result is there, inside its range, and says what XPORRES says ("92%" or a
    # blank XPSTRESN beside a number is never read silently). A blank XPORRES beside a valid
    # XPSTRESN contradicts nothing: the number is kept (XPORRES's own not_nullable warning
    # asks for the text), never thrown away for the missing copy (session 6 data review)
    ok_num = (
        v.is_not_null()
        & (v >= low)
        & (v <= high)
        & (
            pl.col("XPORRES").is_null()
            | (pl.col("XPORRES").cast(pl.Float64, strict=False) == v).fill_null(False)
        )
    )
    return data.lazyframe.select(
        pl.when(code.is_in(list(quali))).then(ok_quali).otherwise(ok_num).alias("ok")
    )


def _unit_ok(data: pa.PolarsData) -> pl.LazyFrame:
    """The unit of a numeric characteristic is the contract's (10^6 cells, %, ratio, days;
    :data:`data_schemas.codelists.PRODUCT_TESTS`): no conversion is defined for product
    characteristics, so another unit (a fraction, weeks, 10^8 cells) is an error, never read
    as if it were the contract's."""
    unit = {c: t.unit for c, t in cl.PRODUCT_TESTS.items() if not t.qualitative}
    want = pl.col("XPTESTCD").replace_strict(unit, default=None, return_dtype=pl.String)
    return data.lazyframe.select(
        (want.is_null() | (pl.col("XPORRESU") == want).fill_null(False)).alias("ok")
    )


CHECK_COLUMNS = {
    "result_ok": ("XPORRES", "XPSTRESN"),
    "unit_is_the_contract_unit": ("XPORRESU", "XPORRES", "XPSTRESN"),
}
"""The columns each row check of :class:`XP` reads: named in the validation report, and
blanked together when the check fails (all are descriptive: the record is kept). A result in
another unit is blanked with its unit, never kept as if it were in the contract's unit."""


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
    XPTEST: str = pa.Field(**describe("Product characteristic name", descriptive=True))
    XPORRES: str = pa.Field(**describe("Result as collected (text)", descriptive=True))
    XPORRESU: str = pa.Field(
        nullable=True,
        **describe("Unit (10^6 cells, %, ratio, days; empty for MFGRES)", descriptive=True),
    )
    XPSTRESN: float = pa.Field(
        nullable=True,
        **describe("Numeric result (empty for the manufacturing result)", descriptive=True),
    )
    XPDY: int = study_day(
        "Day of product release (or of the manufacturing failure)", True, descriptive=True
    )

    @pa.dataframe_check(
        description="result allowed for the characteristic (MFGRES: SUCCESS or FAILURE; "
        "numbers in XPSTRESN, equal to XPORRES and inside the plausible range)"
    )
    @classmethod
    def result_ok(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _qualitative_ok(data)

    @pa.dataframe_check(
        description="unit of a numeric characteristic: 10^6 cells (TOTCART), % (VIABLE, "
        "TRANSEFF), ratio (CD4CD8), days (V2VDUR); no other unit is converted"
    )
    @classmethod
    def unit_is_the_contract_unit(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return _unit_ok(data)

    class Config:
        name = "XP"
        strict = True
        unique = ["USUBJID", "XPTESTCD"]
