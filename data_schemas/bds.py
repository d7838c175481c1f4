"""BDS analysis datasets: ADLB (laboratory values with CTCAE grades) and ADQS (scores of
SLEDAI-2K, clinical SLEDAI, BILAG-2004, PGA, SDI, FACIT-Fatigue, ICE), one row per subject,
parameter and analysis visit (ADaM Basic Data Structure)."""

from __future__ import annotations

import pandera.polars as pa

from data_schemas._base import describe


class BDS(pa.DataFrameModel):
    """Columns every BDS dataset carries."""

    STUDYID: str = pa.Field(**describe("Study identifier"))
    USUBJID: str = pa.Field(**describe("Subject identifier"))
    PARAMCD: str = pa.Field(
        str_length={"min_value": 1, "max_value": 8}, **describe("Parameter code (<= 8 characters)")
    )
    PARAM: str = pa.Field(**describe("Parameter description, with unit"))
    AVAL: float = pa.Field(nullable=True, **describe("Analysis value"))
    AVALC: str = pa.Field(nullable=True, **describe("Analysis value (character)"))
    AVALU: str = pa.Field(nullable=True, **describe("Analysis value unit"))
    ADY: int = pa.Field(**describe("Analysis study day", unit="study day"))
    AVISIT: str = pa.Field(**describe("Analysis visit (from visit windows)"))
    AVISITN: int = pa.Field(**describe("Analysis visit number"))
    ABLFL: str = pa.Field(nullable=True, isin=["Y"], **describe("Baseline record flag"))
    BASE: float = pa.Field(nullable=True, **describe("Baseline value"))
    CHG: float = pa.Field(nullable=True, **describe("Change from baseline"))
    ANL01FL: str = pa.Field(
        nullable=True, isin=["Y"], **describe("Analysis flag: the record used for its visit")
    )


class ADLB(BDS):
    """Laboratory analysis dataset with CTCAE v5.0 or v6.0 grades (admiral derive_var_atoxgr)."""

    ANRLO: float = pa.Field(nullable=True, **describe("Normal range lower limit"))
    ANRHI: float = pa.Field(nullable=True, **describe("Normal range upper limit"))
    ANRIND: str = pa.Field(
        nullable=True, isin=["LOW", "NORMAL", "HIGH"], **describe("Reference range indicator")
    )
    BNRIND: str = pa.Field(
        nullable=True,
        isin=["LOW", "NORMAL", "HIGH"],
        **describe("Baseline reference range indicator"),
    )
    ATOXDSCL: str = pa.Field(nullable=True, **describe("CTCAE term, low direction"))
    ATOXDSCH: str = pa.Field(nullable=True, **describe("CTCAE term, high direction"))
    ATOXGRL: str = pa.Field(
        nullable=True, isin=["0", "1", "2", "3", "4"], **describe("CTCAE grade, low direction")
    )
    ATOXGRH: str = pa.Field(
        nullable=True, isin=["0", "1", "2", "3", "4"], **describe("CTCAE grade, high direction")
    )
    ATOXGR: str = pa.Field(
        nullable=True,
        isin=["-4", "-3", "-2", "-1", "0", "1", "2", "3", "4"],
        **describe("CTCAE grade, both directions: -k low, k high (admiral derive_var_atoxgr)"),
    )
    ATOXVER: str = pa.Field(
        nullable=True, isin=["CTCAE v5.0", "CTCAE v6.0"], **describe("CTCAE version graded with")
    )
    WGRLOFL: str = pa.Field(
        nullable=True, isin=["Y"], **describe("Worst post-baseline low-direction grade flag")
    )
    WGRHIFL: str = pa.Field(
        nullable=True, isin=["Y"], **describe("Worst post-baseline high-direction grade flag")
    )

    class Config:
        name = "ADLB"
        strict = True
        unique = ["USUBJID", "PARAMCD", "ADY"]


class ADQS(BDS):
    """Scores of the clinical instruments by visit. ``DTYPE`` marks prorated totals."""

    PARCAT1: str = pa.Field(**describe("Instrument"))
    DTYPE: str = pa.Field(nullable=True, **describe("Derivation type (e.g. PRORATED)"))
    COMPLFL: str = pa.Field(isin=["Y", "N"], **describe("All items of the instrument present"))

    class Config:
        name = "ADQS"
        strict = True
        unique = ["USUBJID", "PARAMCD", "ADY"]
