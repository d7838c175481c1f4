"""Validation listings of a real cut without identifying or free-text values (``mask_listing``)
and the public-output option of banded ages and whole-year durations (``public_bands``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from sle_car.paths import synthetic_dir
from sle_car.privacy import (
    MASK,
    free_text_columns,
    mask_listing,
    public_bands,
    scan_tree,
    year_duration_columns,
)
from sle_car.validate import REPORT_COLUMNS, validate_study

NAMES = ["Tan Mei Ling Placeholder"]


def _listing(column: str, value: str | None, message: str = "fix it") -> pl.DataFrame:
    return pl.DataFrame(
        [("ae.csv", 2, column, value, "rule", "error", message)],
        schema=REPORT_COLUMNS,
        orient="row",
    )


def _masked(column: str, value: str | None, message: str = "fix it") -> dict:
    return mask_listing(_listing(column, value, message), names=NAMES).row(0, named=True)


def test_free_text_columns_come_from_the_schemas() -> None:
    assert free_text_columns() == {"AETERM", "CMTRT", "DSTERM"}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("AETERM", "Headache"),
        ("CMTRT", "PREDNISOLONE 5MG"),
        ("DSTERM", "moved to Johor"),
        ("AECOMMENT", "sister works on ward 3"),
        ("PATNAME", "Ali"),
        ("USUBJID", "850314-14-5523"),
        ("USUBJID", "Tan Mei Ling"),
        ("SUBJID", "A12"),
        ("AEBODSYS", "Infections 2025-03-14"),
        ("AECAT", "14 Mac 2025"),
        ("LBORRES", "850314145523"),
        ("LBORRESU", "MRN 00123456"),
        ("SEX", "tan mei ling placeholder"),
    ],
)
def test_identifying_and_free_text_values_are_masked(column: str, value: str) -> None:
    row = _masked(column, value)
    assert row["value"] == MASK
    assert (row["file"], row["row"], row["column"]) == ("ae.csv", 2, column)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("USUBJID", "SLECAR01-01-003"),
        ("USUBJID", '"SLECAR01-01-0031 "'),
        ("SUBJID", "003"),
        ("LBORRES", "12,5"),
        ("LBORRES", "abc"),
        ("AECAT", "CRS "),
        ("AESTDY", "-7"),
        ("VISITNUM", "10"),
        ("EXDOSE", "1.0"),
        ("LBORRESU", "10^9/L"),
    ],
)
def test_coded_values_and_look_alikes_stay_visible(column: str, value: str) -> None:
    assert _masked(column, value)["value"] == value


def test_null_values_stay_null_and_messages_lose_identifiers() -> None:
    assert _masked("AETERM", None)["value"] is None
    row = _masked("LBORRES", "abc", "seen 14 Mac 2025 by Tan Mei Ling Placeholder; SLECAR01-01-003")
    assert row["message"] == f"seen {MASK} by {MASK}; SLECAR01-01-003"
    assert _masked("AECAT", "X", "AECAT must be one of CRS, ICANS")["message"] == (
        "AECAT must be one of CRS, ICANS"
    )


def test_listing_of_a_cut_with_planted_identifiers_is_clean_once_masked(tmp_path: Path) -> None:
    data = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), data)
    dm = pl.read_csv(data / "dm.csv", infer_schema=False)
    dm = dm.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("850314-14-5523"))
        .otherwise(pl.col("USUBJID"))
        .alias("USUBJID"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit("Tan Mei Ling Placeholder"))
        .otherwise(pl.col("SEX"))
        .alias("SEX"),
    )
    dm.write_csv(data / "dm.csv")
    ae = pl.read_csv(data / "ae.csv", infer_schema=False)
    ae = ae.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit("14 Mac 2025"))
        .otherwise(pl.col("AECAT"))
        .alias("AECAT"),
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit(" Headache since 14/03/2025 "))
        .otherwise(pl.col("AETERM"))
        .alias("AETERM"),
    )
    ae.write_csv(data / "ae.csv")

    report = validate_study(data).report
    out = tmp_path / "out"
    out.mkdir()
    report.write_csv(out / "validation.csv")
    leaked = {f.kind for f in scan_tree(out, names=NAMES)}
    assert leaked == {"nric", "calendar_date", "name"}  # the unmasked listing leaks

    masked = mask_listing(report, names=NAMES)
    masked.write_csv(out / "validation.csv")
    assert scan_tree(out, names=NAMES) == []
    assert masked.select("file", "row", "column", "rule").equals(
        report.select("file", "row", "column", "rule")
    )


# --- public_bands ---------------------------------------------------------------------------


def test_duration_columns_come_from_schema_units() -> None:
    assert year_duration_columns() == ("DISDURY",)


def test_ages_are_banded_and_durations_rounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLE_CAR_EXACT_VALUES", raising=False)
    df = pl.DataFrame(
        {
            "USUBJID": ["a", "b", "c", "d", "e"],
            "AGE": [34, 35, 18, 80, None],
            "DISDURY": [2.5, 2.499, 0.4, 12.345, None],
            "ETHGRP": ["MALAY"] * 5,
        }
    )
    out = public_bands(df)
    assert out["AGE"].to_list() == ["30-34", "35-39", "15-19", "80-84", None]
    assert out["DISDURY"].to_list() == [3, 2, 0, 12, None]
    assert out["DISDURY"].dtype == pl.Int64
    assert out.select("USUBJID", "ETHGRP").equals(df.select("USUBJID", "ETHGRP"))
    assert public_bands(df, band_years=10)["AGE"].to_list()[:2] == ["30-39", "30-39"]


def test_exact_values_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    df = pl.DataFrame({"AGE": [34], "DISDURY": [2.345]})
    assert public_bands(df, exact=True).equals(df)
    monkeypatch.setenv("SLE_CAR_EXACT_VALUES", "1")
    assert public_bands(df).equals(df)
    assert public_bands(df, exact=False)["AGE"].to_list() == ["30-34"]
    monkeypatch.setenv("SLE_CAR_EXACT_VALUES", "maybe")
    with pytest.raises(ValueError, match="SLE_CAR_EXACT_VALUES"):
        public_bands(df)


def test_tables_without_the_columns_are_unchanged() -> None:
    df = pl.DataFrame({"USUBJID": ["a"], "ADY": [28]})
    assert public_bands(df, exact=False).equals(df)
