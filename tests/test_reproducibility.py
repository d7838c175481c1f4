"""Reproducibility: raw data untouched, derived data and executed notebooks byte-identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sle_car.derive.build import build_study
from sle_car.io import read_manifest, sha256
from sle_car.paths import notebooks_dir, synthetic_dir
from sle_car.pipeline import execute_notebook


def test_raw_data_matches_its_manifest() -> None:
    """`make test` runs every notebook (nbval) before this test: the raw files are unchanged."""
    files = read_manifest(synthetic_dir())["files"]
    for name, digest in files.items():
        assert sha256(synthetic_dir() / name) == digest, (
            f"{name} changed since the manifest was written"
        )
    on_disk = {p.name for p in synthetic_dir().iterdir() if p.suffix in {".csv", ".parquet"}}
    assert on_disk == set(files)


def test_deriving_twice_gives_identical_files_including_clean_data(
    cohort_dir: Path, built3: tuple[Path, dict], tmp_path: Path
) -> None:
    first = built3[0]  # the first derivation (shared fixture, tests/conftest.py)
    build_study(cohort_dir, tmp_path / "b")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) >= 15
    for rel in files:
        assert (first / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel
    again = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert [p for p in again if (tmp_path / "b" / p).is_file()] == files


@pytest.mark.slow
def test_executing_a_notebook_twice_gives_identical_files(tmp_path: Path) -> None:
    src = notebooks_dir() / "02_endpoint_derivation.ipynb"
    outs = []
    for name in ("a.ipynb", "b.ipynb"):
        dst = tmp_path / name
        shutil.copy(src, dst)
        execute_notebook(dst)
        outs.append(dst.read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] == src.read_bytes(), "the committed notebook is not what executing it gives"
