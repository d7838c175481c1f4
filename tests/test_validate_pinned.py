"""Validation and cleaning of a messy cut give exactly what they gave before ``_coerce`` was
vectorised (issue 19): every numeric text form the rules know (decimal and thousands commas,
NaN, infinity, overflow, fractions in whole-number columns, integers beyond 64 bits, stray
spaces and tabs, a unicode minus, ...) in several domains. The expected outputs were recorded
from the unchanged code by ``tests/data/pinned_numbers/make_pinned.py``; the report's rows,
messages, severities and order, the typed domains, the rows set aside and the clean domains
must all be identical."""

from __future__ import annotations

import sys
from pathlib import Path

import pandera.polars as pa
import polars as pl
import pytest

from sle_car.batched import validate_clean
from sle_car.io import ROW

PINNED = Path(__file__).parent / "data" / "pinned_numbers"
sys.path.insert(0, str(PINNED))
from make_pinned import outputs, schemas  # noqa: E402


@pytest.fixture(scope="module")
def got() -> dict[str, pl.DataFrame]:
    return outputs(PINNED / "cut")


def test_the_cut_exercises_every_rule_of_coerce(got: dict[str, pl.DataFrame]) -> None:
    report = got["report"]
    rules = set(report.filter(pl.col("severity") != "warning")["rule"])
    assert {"whitespace", "decimal_comma", "ambiguous_comma", "malformed_number"} <= rules
    messages = report.filter(pl.col("rule") == "malformed_number")["message"].to_list()
    for words in ("must be a finite number", "too large to store", "must be a whole number"):
        assert any(words in m for m in messages), words


def test_outputs_identical_to_the_pinned_ones(got: dict[str, pl.DataFrame]) -> None:
    expected = sorted(p.stem for p in (PINNED / "expected").glob("*.csv"))
    assert sorted([*got, "schemas"]) == expected
    for name, df in got.items():
        want = (PINNED / "expected" / f"{name}.csv").read_text(encoding="utf-8")
        assert df.write_csv() == want, name
    want = (PINNED / "expected" / "schemas.csv").read_text(encoding="utf-8")
    assert schemas(got).write_csv() == want


def test_batched_engine_gives_the_pinned_report(tmp_path: Path) -> None:
    got = validate_clean(PINNED / "cut", tmp_path / "out", batch_size=1)
    want = (PINNED / "expected" / "report.csv").read_text(encoding="utf-8")
    assert got.validation.report.write_csv() == want
    want = (PINNED / "expected" / "quarantine.csv").read_text(encoding="utf-8")
    assert got.quarantine.write_csv() == want


def _reference_coerce(df: pl.DataFrame, dtype: pl.DataType) -> tuple[pl.Series, pl.DataFrame]:
    """What ``_coerce`` gave before issue 19 for one numeric column ``x`` with no stray
    whitespace: every check evaluated on every cell, and every cell read by _parse_number."""
    from sle_car.validate import _number_checks, _parse_number

    checks = _number_checks("x", dtype)
    hits = df.select(
        pl.col(ROW), *[e.fill_null(False).alias(k) for k, e in checks.items()]
    ).unpivot(index=ROW, variable_name="check")
    order = {k: i for i, k in enumerate(checks)}
    hits = hits.filter("value").with_columns(pl.col("check").replace_strict(order).alias("_o"))
    typed = df.select(_parse_number(pl.col("x"), dtype)).to_series()
    return typed, hits.sort("_o", ROW).select(ROW, "check")


class _INT(pa.DataFrameModel):
    x: int = pa.Field(nullable=True)


class _FLOAT(pa.DataFrameModel):
    x: float = pa.Field(nullable=True)


@pytest.mark.parametrize("dtype", [pl.Int64, pl.Float64])
def test_vectorised_coerce_equals_every_check_on_every_cell(dtype: pl.DataType) -> None:
    """Random number-like text (digits, signs, '.', ',', 'e', 'inf', 'nan', '_', 'x'): the
    cells ``_coerce`` skips (a plain cast reads them, finite, without a comma) are flagged by
    no check, and every value and flagged cell equals the check of every cell."""
    import random

    from sle_car.validate import _NUMBER_RULES, _coerce

    rng = random.Random(19)
    parts = ["0", "1", "5", "9", "00", "+", "-", ".", ",", "e", "E", "inf", "nan", "_", "x"]
    cells = {"".join(rng.choice(parts) for _ in range(rng.randint(1, 6))) for _ in range(20000)}
    cells |= {"9223372036854775807", "9223372036854775808", "1e400", "3.0", "1,234", "0,5"}
    df = pl.DataFrame({"x": sorted(cells)}).with_row_index(ROW, offset=2)
    df = df.with_columns(pl.col(ROW).cast(pl.Int64))

    typed, report = _coerce("f.csv", df, _INT if dtype == pl.Int64 else _FLOAT)
    want_typed, want_hits = _reference_coerce(df, dtype)
    assert typed["x"].equals(want_typed.alias("x"))
    rules = {k: v[0] for k, v in _NUMBER_RULES.items()}
    want = want_hits.select(
        pl.col(ROW).alias("row"), pl.col("check").replace_strict(rules).alias("rule")
    )
    assert report.select("row", "rule").equals(want)
    assert report.height > 1000  # a real test: many cells are flagged
