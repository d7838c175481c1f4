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

import polars as pl
import pytest

from sle_car.batched import validate_clean

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
