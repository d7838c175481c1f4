"""Unit variants of real exports are converted explicitly from one table
(``data_schemas/unit_conversions.csv``); an unknown unit stays an error listing the accepted
ones."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from data_schemas import codelists as cl
from sle_car.clean import clean_study, standardise_lb
from sle_car.validate import validate_study


def test_conversion_table_agrees_with_the_tests_standard_units() -> None:
    table = pl.read_csv(Path(cl.__file__).with_name("unit_conversions.csv"), infer_schema=False)
    for r in table.iter_rows(named=True):
        test = cl.LAB_TESTS[(r["LBTESTCD"], r["LBSPEC"])]
        assert r["standard_unit"] == test.unit, r
        assert float(r["factor"]) > 0 and r["unit"] != test.unit, r
        assert r["source"], r
    assert table.select("LBTESTCD", "LBSPEC", "unit").is_duplicated().sum() == 0


@pytest.mark.parametrize(
    ("test", "spec", "value", "unit", "expected"),
    [
        ("PROTCRT", "URINE", "500", "mg/g", 0.5),  # the usual European unit
        ("PROTCRT", "URINE", "56.56", "mg/mmol", 0.5),  # 56.56 / 113.12
        ("PROTCRT", "URINE", "0.5", "g/g", 0.5),
        ("CREAT", "SERUM", "1", "mg/dL", 88.42),
        ("C3", "SERUM", "90", "mg/dL", 0.9),
        ("C4", "SERUM", "150", "mg/L", 0.15),
        ("CRP", "SERUM", "2.5", "mg/dL", 25.0),
        ("IGG", "SERUM", "1200", "mg/dL", 12.0),
        ("BLYCE", "BLOOD", "3", "/uL", 3.0),
        ("BLYCE", "BLOOD", "3", "/\u00b5L", 3.0),  # micro sign
        ("BLYCE", "BLOOD", "3", "cells/\u03bcL", 3.0),  # Greek mu
        ("BLYCE", "BLOOD", "0.003", "10^9/L", 3.0),
        ("LYM", "BLOOD", "1500", "cells/uL", 1.5),
        ("LYM", "BLOOD", "1.5", "G/L", 1.5),
    ],
)
def test_standardise_converts_each_unit_variant(
    test: str, spec: str, value: str, unit: str, expected: float
) -> None:
    lb = pl.DataFrame(
        {
            "LBTESTCD": [test],
            "LBSPEC": [spec],
            "LBORRES": [value],
            "LBORRESU": [unit],
            "LBORNRLO": [None],
            "LBORNRHI": [None],
        },
        schema_overrides={"LBORNRLO": pl.Float64, "LBORNRHI": pl.Float64},
    )
    out = standardise_lb(lb).row(0, named=True)
    assert out["LBSTRESN"] == pytest.approx(expected, rel=1e-9)
    assert out["LBSTRESU"] == cl.LAB_TESTS[(test, spec)].unit


def _set_unit(data: Path, test: str, factor: float, unit: str) -> int:
    """Rewrite every ``test`` result of lb.csv in ``unit`` (value / factor); return the count."""
    path = data / "lb.csv"
    lb = pl.read_csv(path, infer_schema=False)
    hit = pl.col("LBTESTCD") == test
    num = pl.col("LBORRES").cast(pl.Float64)
    lb.with_columns(
        pl.when(hit).then((num / factor).round(4).cast(pl.String)).otherwise("LBORRES"),
        pl.when(hit).then(pl.lit(unit)).otherwise("LBORRESU").alias("LBORRESU"),
        *(
            pl.when(hit)
            .then((pl.col(c).cast(pl.Float64) / factor).round(4).cast(pl.String))
            .otherwise(c)
            .alias(c)
            for c in ("LBORNRLO", "LBORNRHI")
        ),
    ).write_csv(path)
    return lb.filter(hit).height


def test_upcr_in_mg_g_is_converted_with_a_warning(data_copy: Path) -> None:
    before = clean_study(data_copy).domains["lb"].filter(pl.col("LBTESTCD") == "PROTCRT")
    n = _set_unit(data_copy, "PROTCRT", 0.001, "mg/g")
    v = validate_study(data_copy)
    assert v.ok, v.report
    assert v.report["rule"].to_list() == ["unit_variant"] * n
    after = clean_study(data_copy, v).domains["lb"].filter(pl.col("LBTESTCD") == "PROTCRT")
    assert after["LBSTRESU"].unique().to_list() == ["g/g"]
    assert after["LBSTRESN"].to_list() == pytest.approx(before["LBSTRESN"].to_list(), abs=1e-4)


def test_b_cells_per_microlitre_are_the_standard_count_without_a_warning(
    data_copy: Path,
) -> None:
    _set_unit(data_copy, "BLYCE", 1.0, "cells/\u00b5L")
    v = validate_study(data_copy)
    assert v.report.height == 0, v.report


def test_unknown_unit_is_an_error_listing_the_accepted_ones(data_copy: Path) -> None:
    _set_unit(data_copy, "PROTCRT", 1.0, "mg/day")
    hit = validate_study(data_copy).report.filter(pl.col("rule") == "unit_not_allowed")
    assert hit.height > 0 and (hit["severity"] == "error").all()
    assert "g/g, mg/mmol, mg/g, mg/mg" in hit["message"][0]
