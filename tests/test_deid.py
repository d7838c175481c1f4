"""De-identification: dates become study days, identifiers go, leftovers stop the run."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sle_car.deid import DeidError, deidentify

IDS = {"UKM-0001": "SLECAR01-01-001", "UKM-0002": "SLECAR01-01-002"}


def _export(tmp_path: Path, comment: str = "stable") -> Path:
    raw = tmp_path / "raw"
    raw.mkdir()
    pl.DataFrame(
        {
            "USUBJID": ["UKM-0001", "UKM-0002"],
            "SUBJID": ["0001", "0002"],
            "PATNAME": ["Nur Aisyah Binti Placeholder", "Tan Mei Ling Placeholder"],
            "NRIC": ["850314-14-5523", "900101-10-1234"],
            "BRTHDTC": ["1985-03-14", "1990-01-01"],
            "SEX": ["F", "F"],
        }
    ).write_csv(raw / "dm.csv")
    pl.DataFrame(
        {
            "USUBJID": ["UKM-0001", "UKM-0002"],
            "EXTRT": ["CD19 CAR T CELLS"] * 2,
            "EXSTDTC": ["2025-03-10", "2025-06-01"],
        }
    ).write_csv(raw / "ex.csv")
    pl.DataFrame(
        {
            "USUBJID": ["UKM-0001", "UKM-0002"],
            "LBTESTCD": ["C3", "C3"],
            "LBORRES": ["0.8", "1.1"],
            "LBDTC": ["2025-06-08", "2025-05-25"],
            "LBCOMMENT": [comment, "ok"],
        }
    ).write_csv(raw / "lb.csv")
    return raw


def test_dates_become_study_days_and_identifiers_go(tmp_path: Path) -> None:
    rows = deidentify(_export(tmp_path), tmp_path / "out", IDS)
    assert rows == {"dm": 2, "ex": 2, "lb": 2}
    lb = pl.read_csv(tmp_path / "out" / "lb.csv")
    assert lb["LBDY"].to_list() == [90, -7]  # 2025-06-08 is day 90 after 2025-03-10
    assert "LBDTC" not in lb.columns and "LBCOMMENT" not in lb.columns
    dm = pl.read_csv(tmp_path / "out" / "dm.csv", infer_schema=False)
    assert dm.columns == ["USUBJID", "SUBJID", "SEX"]
    assert dm["USUBJID"].to_list() == list(IDS.values()) and dm["SUBJID"].to_list() == [
        "001",
        "002",
    ]
    ex = pl.read_csv(tmp_path / "out" / "ex.csv")
    assert ex["EXSTDY"].to_list() == [0, 0]


def test_refuses_when_an_identifier_remains_in_a_kept_column(tmp_path: Path) -> None:
    raw = _export(tmp_path)
    lb = pl.read_csv(raw / "lb.csv", infer_schema=False)
    lb.with_columns(pl.lit("850314-14-5523").alias("LBORRES")).write_csv(raw / "lb.csv")
    with pytest.raises(DeidError, match="nric"):
        deidentify(raw, tmp_path / "out", IDS)
    assert not (tmp_path / "out").exists()  # nothing written


def test_subject_without_study_code_stops(tmp_path: Path) -> None:
    with pytest.raises(DeidError, match="no study code"):
        deidentify(_export(tmp_path), tmp_path / "out", {"UKM-0001": "SLECAR01-01-001"})


def test_cli_deidentify(tmp_path: Path) -> None:
    from sle_car.cli import main

    raw = _export(tmp_path)
    ids = tmp_path / "ids.csv"
    pl.DataFrame({"original": list(IDS), "study_code": list(IDS.values())}).write_csv(ids)
    assert main(["deidentify", str(raw), "--out", str(tmp_path / "out"), "--id-map", str(ids)]) == 0
    assert (tmp_path / "out" / "lb.csv").is_file()
    from sle_car.paths import repo_root

    assert (
        main(
            ["deidentify", str(raw), "--out", str(repo_root() / "data" / "x"), "--id-map", str(ids)]
        )
        == 2
    )
