"""sle-car diff: planted changes between two data cuts are each reported."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl

from sle_car.cli import main
from sle_car.diff import diff_cuts


def test_identical_cuts_have_no_change(cohort_dir: Path) -> None:
    assert diff_cuts(cohort_dir, cohort_dir).height == 0


def test_planted_changes_are_reported(cohort_dir: Path, tmp_path: Path, capsys) -> None:
    new = tmp_path / "new"
    shutil.copytree(cohort_dir, new)
    lb = pl.read_csv(new / "lb.csv", infer_schema=False)
    target = lb.row(10, named=True)
    lb = lb.with_columns(
        pl.when(pl.int_range(pl.len()) == 10)
        .then(pl.lit("999"))
        .otherwise(pl.col("LBORRES"))
        .alias("LBORRES")
    ).filter(pl.int_range(pl.len()) != 20)
    lb.write_csv(new / "lb.csv")
    dm = pl.read_csv(new / "dm.csv", infer_schema=False)
    dm.filter(pl.col("USUBJID") != dm["USUBJID"][-1]).write_csv(new / "dm.csv")
    changes = diff_cuts(cohort_dir, new)
    changed = changes.filter(pl.col("change") == "changed")
    assert changed.select("domain", "column", "old", "new").rows() == [
        ("lb", "LBORRES", target["LBORRES"], "999")
    ]
    assert target["USUBJID"] in changed["key"][0] and target["LBTESTCD"] in changed["key"][0]
    assert changes.filter((pl.col("domain") == "lb") & (pl.col("change") == "removed")).height == 1
    assert changes.filter((pl.col("domain") == "dm") & (pl.col("change") == "removed")).height == 1
    assert main(["diff", str(cohort_dir), str(new), "--out", str(tmp_path / "changes.csv")]) == 0
    out = capsys.readouterr().out
    assert "subject removed" in out
    assert pl.read_csv(tmp_path / "changes.csv").height == changes.height


def test_missing_directory_is_a_usage_error(cohort_dir: Path, tmp_path: Path) -> None:
    assert main(["diff", str(cohort_dir), str(tmp_path / "nope")]) == 2
