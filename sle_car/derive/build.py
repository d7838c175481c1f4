"""Build, write and cache the analysis datasets.

``build_study(data_dir, out_dir)`` validates and cleans the raw export, derives every analysis
dataset, validates each against its schema and writes Parquet plus ``derivation_log.json``
(inputs' manifest hash, package version, options, row counts, reconciliation). Same inputs,
same bytes. ``load_study()`` returns the datasets to notebooks and rebuilds only when the data
manifest, the package version or the package's code changed.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from sle_car import __version__

LOG = "derivation_log.json"
DATASETS = ("adsl", "adlb", "adqs", "adae", "adrs", "adtte")


def code_hash() -> str:
    """SHA-256 over the source of ``sle_car`` and ``data_schemas``: a changed rule rebuilds the
    cache even before the version number moves."""
    import hashlib

    from sle_car.paths import repo_root

    h = hashlib.sha256()
    for pkg in ("sle_car", "data_schemas"):
        for p in sorted((repo_root() / pkg).rglob("*")):
            if p.suffix in {".py", ".csv", ".yaml"}:
                h.update(p.relative_to(repo_root()).as_posix().encode())
                h.update(p.read_bytes())
    return h.hexdigest()


def _cache_key(data_dir: Path, options: dict) -> dict:
    from sle_car.io import manifest_hash

    return {
        "data_manifest_sha256": manifest_hash(data_dir),
        "package_version": __version__,
        "code_sha256": code_hash(),
        "options": options,
    }


def build_study(data_dir: Path | str, out_dir: Path | str, **options) -> dict[str, pl.DataFrame]:
    """Validate, clean, derive and write; return the analysis datasets."""
    from sle_car.clean import clean_study, write_clean
    from sle_car.derive.datasets import derive_all

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    cleaned = clean_study(data_dir)
    datasets = derive_all(cleaned.domains, **options)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_clean(cleaned, out_dir / "clean")
    for name, df in datasets.items():
        df.write_parquet(out_dir / f"{name}.parquet", statistics=False)
    log = {
        **_cache_key(data_dir, options),
        "data_dir": data_dir.name,
        "validation_problems": cleaned.validation.report.group_by("severity")
        .len()
        .sort("severity")
        .rows(),
        "reconciliation": cleaned.reconciliation.rows(named=True),
        "rows": {name: df.height for name, df in datasets.items()},
        "subjects": {name: df["USUBJID"].n_unique() for name, df in datasets.items()},
    }
    (out_dir / LOG).write_text(json.dumps(log, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return datasets


def load_study(
    data_dir: Path | str | None = None, out_dir: Path | str | None = None, **options
) -> dict[str, pl.DataFrame]:
    """The analysis datasets of ``data_dir`` (default: ``SLE_CAR_DATA`` or the bundled
    synthetic cohort), read
    from ``out_dir`` (default ``data/derived/<name>``) when they were built from the same
    data manifest, package version, code and options; rebuilt otherwise."""
    from sle_car.paths import derived_dir, study_data_dir

    data_dir = Path(data_dir) if data_dir else study_data_dir()
    out_dir = Path(out_dir) if out_dir else derived_dir() / data_dir.name
    log = out_dir / LOG
    if log.is_file():
        previous = json.loads(log.read_text(encoding="utf-8"))
        current = _cache_key(data_dir, options)
        if all(previous.get(k) == v for k, v in current.items()) and all(
            (out_dir / f"{n}.parquet").is_file() for n in DATASETS
        ):
            return {n: pl.read_parquet(out_dir / f"{n}.parquet") for n in DATASETS}
    return build_study(data_dir, out_dir, **options)


def load_clean(
    data_dir: Path | str | None = None, out_dir: Path | str | None = None
) -> dict[str, pl.DataFrame]:
    """The clean collected domains written beside the analysis datasets (building them first
    when needed): for listings that need the collected record, such as medications."""
    from sle_car.paths import derived_dir, study_data_dir

    data_dir = Path(data_dir) if data_dir else study_data_dir()
    out_dir = Path(out_dir) if out_dir else derived_dir() / data_dir.name
    load_study(data_dir, out_dir)
    return {p.stem: pl.read_parquet(p) for p in sorted((out_dir / "clean").glob("*.parquet"))}
