"""Shared fixtures: small simulated cohorts written to temporary directories. (The set-up
for nbval and pytest-xdist is in the repository's top-level ``conftest.py``.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

# sle_car (and polars) are imported inside the fixtures: this module is also imported by the
# pytest-xdist controller, which runs no test and starts the workers only after it (issue 19:
# 1.5 s of imports before any worker could start)


@pytest.fixture(scope="session")
def cohort_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean 3-patient cohort (read-only: copy it before damaging it)."""
    from sle_car.simulate import simulate, write_cohort

    out = tmp_path_factory.mktemp("cohort3")
    write_cohort(simulate(3, seed=11), out)
    return out


@pytest.fixture(scope="session")
def built3(cohort_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """``build_study`` of the 3-patient cohort: the output folder and the analysis datasets
    (read-only: copy the folder before writing into it). Shared, as several tests derive the
    unchanged cohort (issue 19)."""
    from sle_car.derive.build import build_study

    out = tmp_path_factory.mktemp("built3") / "out"
    return out, build_study(cohort_dir, out)


@pytest.fixture
def data_copy(cohort_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the 3-patient cohort, free to corrupt."""
    dst = tmp_path / "data"
    shutil.copytree(cohort_dir, dst)
    (dst / "manifest.json").unlink()  # damaged copies would otherwise also fail the manifest
    return dst
