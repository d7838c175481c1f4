"""Locations inside the repository, found from any working directory.

Notebooks run from ``notebooks/``, tests from the repository root, and JupyterLab users
from wherever they opened it; every path the package uses is therefore built from
:func:`repo_root`, never from the current working directory.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

ENV_ROOT = "SLE_CAR_ROOT"
ENV_DATA = "SLE_CAR_DATA"
"""A data directory to analyse instead of the bundled synthetic cohort (a real data cut)."""
ENV_OUTPUT = "SLE_CAR_OUTPUT"
"""Where derived data, data-issue listings and figures go instead of the repository (set for
real-data runs, which must write only outside git)."""
ENV_PIPELINE = "SLE_CAR_PIPELINE"
"""Set by the pipeline for the notebooks it executes: ``load_study()`` then reads what the
pipeline derived and refuses to derive again (validation and cleaning run once per run)."""
ENV_OPTIONS = "SLE_CAR_OPTIONS"
"""An analysis options file (the SAP's choices) that ``load_study()`` applies when it is called
without options: the pipeline sets it so that notebooks read the datasets it derived."""


def _is_root(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    return pyproject.is_file() and 'name = "sle-car"' in pyproject.read_text(encoding="utf-8")


@cache
def repo_root() -> Path:
    """Return the repository root (the folder holding sle-car's ``pyproject.toml``).

    Looks in order at the ``SLE_CAR_ROOT`` environment variable, the folders above this
    module (an editable install lives inside the repository), then the folders above the
    current working directory.
    """
    env = os.environ.get(ENV_ROOT)
    if env:
        root = Path(env).expanduser().resolve()
        if not _is_root(root):
            raise FileNotFoundError(f"{ENV_ROOT}={env} is not the sle-car repository root")
        return root
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if _is_root(candidate):
                return candidate
    raise FileNotFoundError(
        "Cannot find the sle-car repository root (no pyproject.toml of sle-car above this "
        f"package or the working directory). Set {ENV_ROOT} to the repository folder."
    )


def data_dir() -> Path:
    """``data/``: the bundled synthetic cohort and (git-ignored) derived data."""
    return repo_root() / "data"


def synthetic_dir() -> Path:
    """``data/synthetic/``: the committed 5-patient synthetic cohort (raw SDTM-style domains)."""
    return data_dir() / "synthetic"


def study_data_dir() -> Path:
    """The data the notebooks analyse: ``SLE_CAR_DATA`` when set, else the synthetic cohort."""
    env = os.environ.get(ENV_DATA)
    return Path(env).expanduser().resolve() if env else synthetic_dir()


def output_root() -> Path:
    """Root of everything a run writes: ``SLE_CAR_OUTPUT`` when set, else the repository."""
    env = os.environ.get(ENV_OUTPUT)
    return Path(env).expanduser().resolve() if env else repo_root()


def derived_dir() -> Path:
    """``data/derived/`` under :func:`output_root`: analysis datasets (git-ignored)."""
    return output_root() / "data" / "derived"


def figures_dir() -> Path:
    """``reports/figures/`` under :func:`output_root`: exported manuscript figures."""
    return output_root() / "reports" / "figures"


def issues_dir() -> Path:
    """``reports/data-issues/`` under :func:`output_root`: validation listings (git-ignored)."""
    return output_root() / "reports" / "data-issues"


def default_report_dir(data_dir: Path | str) -> Path:
    """Where the validation listing of ``data_dir`` goes when no ``--report-dir`` is given.

    - ``SLE_CAR_OUTPUT`` set: ``<output>/reports/data-issues/<name>`` (a real-data run);
    - the data inside the repository (the bundled cohort): ``reports/data-issues/<name>``,
      git-ignored;
    - a data cut outside the repository: ``<name>.data-issues/`` beside the cut, so that a
      listing of real data never lands inside the repository (nor inside the read-only raw
      data directory).
    """
    data_dir = Path(data_dir).expanduser().resolve()
    if os.environ.get(ENV_OUTPUT):
        return issues_dir() / data_dir.name
    try:
        root = repo_root()
    except FileNotFoundError:
        root = None
    if root is not None and (data_dir == root or root in data_dir.parents):
        return issues_dir() / data_dir.name
    return data_dir.parent / f"{data_dir.name}.data-issues"


def reports_dir() -> Path:
    """``reports/``: figures, tables and the rendered website."""
    return repo_root() / "reports"


def notebooks_dir() -> Path:
    """``notebooks/``: the numbered analysis notebooks."""
    return repo_root() / "notebooks"
