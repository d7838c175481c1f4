"""Build, write and cache the analysis datasets.

``build_study(data_dir, out_dir)`` validates and cleans the raw export, derives every analysis
dataset, validates each against its schema and writes Parquet plus ``derivation_log.json``
(inputs' manifest hash, package version, options, row counts, reconciliation). Same inputs,
same bytes. ``load_study()`` returns the datasets to notebooks and rebuilds only when the data
manifest, the package version or the package's code changed.

``derive_to_dir(clean_dir, out_dir)`` is the derivation step on its own: it reads the clean
Parquet in batches of subjects and appends each batch's datasets to the output files, so its
memory is that of one batch however large the cohort (``make bench``).
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import polars as pl

from sle_car import __version__

LOG = "derivation_log.json"
VALIDATION = "validation.csv"
"""The validation listing, written beside the clean domains (``clean/``)."""
DATASETS = ("adsl", "adlb", "adqs", "adae", "adrs", "adtte")
BATCH_SIZE = 1000
"""Subjects per batch in ``derive_to_dir``: the run's peak memory is about 1 GB with 1,000
(``benchmarks/results/``); the 5-patient study is one batch."""


DOMAIN_USE = {
    "dm": "every analysis dataset: no subject is left to derive",
    "ex": "the CAR-T infusion and lymphodepletion (safety population SAFFL, doses, ADTTE)",
    "ae": "ADAE: every adverse event, including CRS, ICANS and infections",
    "lb": "ADLB, and the laboratory parts of ADRS and ADTTE (serology, renal response, "
    "B-cell aplasia, SLEDAI laboratory descriptors)",
    "vs": "the vital-sign days in ADSL's last day known alive (LSTALVDY)",
    "qs": "ADQS, and the clinical scores of ADRS and ADTTE (SLEDAI-2K, BILAG, PGA, DORIS, LLDAS)",
    "cm": "glucocorticoid and immunosuppressant use (DORIS, LLDAS, medication listings)",
    "ds": "disposition (completion, death, withdrawal) in ADSL and ADTTE censoring",
}
"""What each collected domain feeds: stated in the derivation log when a domain is set aside
as a whole, so that an empty analysis dataset is never mistaken for 'no events'."""


def set_aside_statement(reconciliation: list[dict]) -> dict[str, str]:
    """For each domain set aside as a whole (rows in, none kept): what its loss removes."""
    return {
        r["domain"]: (
            f"{r['domain'].upper()} was set aside as a whole ({r['rows_in']} rows; see "
            f"clean/quarantine.csv): derived without {DOMAIN_USE.get(r['domain'], 'it')}"
        )
        for r in reconciliation
        if r["rows_in"] > 0 and r["rows_kept"] == 0
    }


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


def _cache_key(data_dir: Path, options: dict, study_config: Path | str | None = None) -> dict:
    from dataclasses import asdict

    from sle_car.io import manifest_hash
    from sle_car.study import load_study_config

    study = asdict(load_study_config(study_config))
    study.pop("source")  # the same configuration from another path is the same study
    return {
        "data_manifest_sha256": manifest_hash(data_dir),
        "package_version": __version__,
        "code_sha256": code_hash(),
        "options": options,
        "study_config": {k: list(v) if isinstance(v, tuple) else v for k, v in study.items()},
    }


def subject_batches(clean_dir: Path | str, batch_size: int = BATCH_SIZE) -> list[tuple[str, str]]:
    """(first, last) ``USUBJID`` of consecutive batches of ``batch_size`` subjects of the clean
    ``dm.parquet``, in sorted order."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive number of subjects, not {batch_size}")
    ids = pl.read_parquet(Path(clean_dir) / "dm.parquet", columns=["USUBJID"], glob=False)[
        "USUBJID"
    ].sort()
    return [
        (ids[i], ids[min(i + batch_size, len(ids)) - 1]) for i in range(0, len(ids), batch_size)
    ]


def domains_not_collected(clean_dir: Path | str) -> frozenset[str]:
    """The optional domains the cut has no file for (``domain_not_collected``) or a file with a
    header and no rows (``domain_no_rows``, which the validation report says is "treated as not
    collected"), from the validation listing written beside the clean domains; empty when there
    is no listing. An empty ``cm.csv`` must not read as "no glucocorticoid" (DORIS, LLDAS)."""
    listing = Path(clean_dir) / VALIDATION
    if not listing.exists():
        return frozenset()
    files = (
        pl.read_csv(listing, infer_schema=False, glob=False)
        .filter(pl.col("rule").is_in(["domain_not_collected", "domain_no_rows"]))["file"]
        .to_list()
    )
    return frozenset(Path(f).stem for f in files)


def derive_to_dir(
    clean_dir: Path | str,
    out_dir: Path | str,
    *,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    **options,
) -> dict[str, int]:
    """Derive every analysis dataset from the clean Parquet in ``clean_dir`` and write
    ``<out_dir>/<name>.parquet``; return the rows written per dataset.

    Every derivation works within a subject, and every dataset is sorted by ``USUBJID`` first,
    so deriving consecutive batches of subjects (``subject_batches``) and appending them gives
    the same rows in the same order as one pass over the whole cohort, in the memory of one
    batch. Each batch is validated against the schemas (``derive_all``). Every clean row must
    belong to a subject of ``dm.parquet``, so that it is read by exactly one batch; a row that
    does not stops the run before anything is written (cleaning sets such rows aside).
    Files are written under temporary names and renamed when complete: a failed run leaves
    the previous outputs as they were. ``options`` go to ``derive_all``. Same inputs and
    ``batch_size``, same bytes.
    """
    import pyarrow.parquet as pq
    from tqdm import tqdm

    from sle_car.derive.datasets import INPUT_COLUMNS, derive_all, read_clean
    from sle_car.io import DataFileError

    clean_dir, out_dir = Path(clean_dir), Path(out_dir)
    batches = subject_batches(clean_dir, batch_size)
    if not batches:
        raise DataFileError(
            clean_dir / "dm.parquet",
            "no subjects; nothing to derive (cleaning set every DM row aside, or DM as a whole: "
            "the reasons are in quarantine.csv beside it and in the validation listing)",
        )
    dm = pl.scan_parquet(clean_dir / "dm.parquet", glob=False).select("USUBJID")
    for name in [n for n in INPUT_COLUMNS if n != "dm"]:  # so each row is in exactly one batch
        path = clean_dir / f"{name}.parquet"
        orphans = (
            pl.scan_parquet(path, glob=False)
            .select("USUBJID")
            .join(dm, on="USUBJID", how="anti")
            .select(pl.len(), pl.col("USUBJID").min())
            .collect()
        )
        if orphans["len"][0]:
            raise DataFileError(
                path,
                f"{orphans['len'][0]} rows belong to subjects not in dm.parquet (first: "
                f"{orphans['USUBJID'][0]}); this clean folder was not written by sle-car's "
                "cleaning, which sets such rows aside (rule R6): derive from the raw data "
                "with `sle-car derive`",
            )
    not_collected = domains_not_collected(clean_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = {name: out_dir / f".{name}.parquet.partial" for name in DATASETS}
    rows = dict.fromkeys(DATASETS, 0)
    writers: dict[str, pq.ParquetWriter] = {}

    def write(datasets: dict[str, pl.DataFrame]) -> None:
        for name in DATASETS:
            table = datasets[name].rechunk().to_arrow()  # bytes independent of threads
            if name not in writers:
                writers[name] = pq.ParquetWriter(partial[name], table.schema, compression="zstd")
            writers[name].write_table(table.cast(writers[name].schema))
            rows[name] += table.num_rows

    # One batch is written in a thread while the next is derived (pyarrow's encoding and
    # compression release the GIL: about a seventh of the time at 10,000 patients). At most
    # one write is pending, so at most two batches' datasets are held, and the batches are
    # written in order: the bytes are those of writing each batch in turn.
    writer = ThreadPoolExecutor(1, thread_name_prefix="sle-car-write")
    pending: Future | None = None
    try:
        for first, last in tqdm(batches, desc="derive", unit="batch", disable=not progress):
            domains = read_clean(clean_dir, first=first, last=last)
            datasets = derive_all(domains, not_collected=not_collected, **options)
            del domains
            if pending is not None:
                pending.result()
            pending = writer.submit(write, datasets)
            del datasets
        if pending is not None:
            pending.result()
    except BaseException:
        writer.shutdown(wait=True, cancel_futures=True)  # no write still running
        for w in writers.values():
            w.close()
        for f in partial.values():
            f.unlink(missing_ok=True)
        raise
    writer.shutdown(wait=True)
    for name, w in writers.items():  # complete files only, each in place in one step
        w.close()
        partial[name].replace(out_dir / f"{name}.parquet")
    return rows


def check_unchanged(validation, data_dir: Path | str) -> None:
    """Raise :class:`~sle_car.io.DataFileError` when validation found a data file that differs
    from its SHA-256 in the manifest (and the user did not accept the change)."""
    from sle_car.io import DataFileError

    changed = validation.report.filter(
        (pl.col("rule") == "manifest") & (pl.col("severity") == "error")
    )
    if changed.height:
        raise DataFileError(
            Path(data_dir) / "manifest.json",
            f"{', '.join(changed['file'].to_list())} differ(s) from the SHA-256 in the "
            "manifest: the data changed since it was exported (a truncated or edited file?). "
            "Restore the exported files, or accept the change explicitly "
            "(--accept-changed-files)",
        )


def write_study(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    cleaned=None,
    set_aside: list[dict] | None = None,
    accept_changed_files: bool = False,
    study_config: Path | str | None = None,
    **options,
) -> dict:
    """Validate and clean ``data_dir`` in batches of ``batch_size`` subjects
    (:func:`sle_car.batched.validate_clean`) unless ``cleaned`` (the result of
    :func:`sle_car.clean.clean_study` or of ``validate_clean``) is given: the pipeline
    validates and cleans once), write
    the clean domains with the validation listing, derive (``derive_to_dir``) and write the
    analysis datasets and ``derivation_log.json``; return the log. ``set_aside`` (rows set
    aside per file and rule, from the pipeline) is recorded in the log. Nothing is read back
    into memory: row and subject counts come from a streaming scan of the written files.

    A data file that differs from its SHA-256 in ``manifest.json`` stops the run with a
    :class:`~sle_car.io.DataFileError` unless ``accept_changed_files`` (the user accepts the
    change explicitly; :func:`check_unchanged`). ``study_config``: the cut's study
    configuration file (default ``SLE_CAR_STUDY_CONFIG``, else the bundled one). The log's
    ``set_aside_domains`` states what each domain set aside as a whole removes from the
    analysis."""
    from sle_car.batched import validate_clean
    from sle_car.clean import write_clean

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    (out_dir / LOG).unlink(missing_ok=True)  # an interrupted build is never taken as current
    if cleaned is None:  # in batches of subjects: memory flat in the number of patients
        cleaned = validate_clean(
            data_dir,
            out_dir / "clean",
            batch_size=batch_size,
            accept_changed_files=accept_changed_files,
            study_config=study_config,
        )
        check_unchanged(cleaned.validation, data_dir)
    write_clean(cleaned, out_dir / "clean")
    cleaned.validation.report.write_csv(out_dir / "clean" / VALIDATION)
    problems = cleaned.validation.report.group_by("severity").len().sort("severity").rows()
    reconciliation = cleaned.reconciliation.rows(named=True)
    del cleaned
    import warnings

    from sle_car.instruments.ctcae import CTCAEGradingWarning

    with warnings.catch_warnings(record=True) as caught:  # recorded in the log, then re-shown
        warnings.simplefilter("always", CTCAEGradingWarning)
        derive_to_dir(
            out_dir / "clean", out_dir, batch_size=batch_size, progress=progress, **options
        )
    grading = sorted({str(w.message) for w in caught if w.category is CTCAEGradingWarning})
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    counts = {
        name: pl.scan_parquet(out_dir / f"{name}.parquet", glob=False)
        .select(pl.len().alias("rows"), pl.col("USUBJID").n_unique().alias("subjects"))
        .collect()
        .row(0, named=True)
        for name in DATASETS
    }
    log = {
        **_cache_key(data_dir, options, study_config),
        "data_dir": data_dir.name,
        "validation_problems": problems,
        "set_aside": set_aside or [],
        "ctcae_null_grades": grading,
        "reconciliation": reconciliation,
        "set_aside_domains": set_aside_statement(reconciliation),
        "rows": {name: c["rows"] for name, c in counts.items()},
        "subjects": {name: c["subjects"] for name, c in counts.items()},
    }
    (out_dir / LOG).write_text(json.dumps(log, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return log


def build_study(
    data_dir: Path | str,
    out_dir: Path | str,
    *,
    batch_size: int = BATCH_SIZE,
    progress: bool = False,
    **options,
) -> dict[str, pl.DataFrame]:
    """``write_study``, then return the analysis datasets (read from the written files)."""
    write_study(data_dir, out_dir, batch_size=batch_size, progress=progress, **options)
    return {
        name: pl.read_parquet(Path(out_dir) / f"{name}.parquet", glob=False) for name in DATASETS
    }


def _default_options() -> dict:
    """The options of the pipeline run this process belongs to (``SLE_CAR_OPTIONS``), else
    none (every default)."""
    import os

    from sle_car.paths import ENV_OPTIONS

    path = os.environ.get(ENV_OPTIONS)
    if not path:
        return {}
    from sle_car.derive.options import read_options

    return read_options(path)


def _locations(data_dir: Path | str | None, out_dir: Path | str | None) -> tuple[Path, Path]:
    from sle_car.paths import derived_dir, study_data_dir

    data_dir = Path(data_dir) if data_dir else study_data_dir()
    out_dir = Path(out_dir) if out_dir else derived_dir() / data_dir.name
    return data_dir, out_dir


def load_study(
    data_dir: Path | str | None = None, out_dir: Path | str | None = None, **options
) -> dict[str, pl.DataFrame]:
    """The analysis datasets of ``data_dir`` (default: ``SLE_CAR_DATA`` or the bundled
    synthetic cohort), read from ``out_dir`` (default ``data/derived/<name>`` under the output
    root) when they were built from the same data manifest, package version, code and options;
    rebuilt otherwise. Without ``options``, those of the pipeline run (``SLE_CAR_OPTIONS``)
    apply, so a notebook executed by the pipeline reads what the pipeline derived."""
    data_dir, out_dir = _locations(data_dir, out_dir)
    options = options or _default_options()
    log = out_dir / LOG
    if log.is_file():
        previous = json.loads(log.read_text(encoding="utf-8"))
        current = _cache_key(data_dir, options)
        if all(previous.get(k) == v for k, v in current.items()) and all(
            (out_dir / f"{n}.parquet").is_file() for n in DATASETS
        ):
            return {n: pl.read_parquet(out_dir / f"{n}.parquet", glob=False) for n in DATASETS}
    import os

    from sle_car.paths import ENV_PIPELINE

    if os.environ.get(ENV_PIPELINE) and out_dir.is_relative_to(
        Path(os.environ.get("SLE_CAR_OUTPUT", "/nonexistent"))
    ):
        raise RuntimeError(
            f"the datasets in {out_dir} do not match this run's data, code, options or study "
            "configuration; the pipeline derives once and notebooks never derive again"
        )
    return build_study(data_dir, out_dir, **options)


def load_clean(
    data_dir: Path | str | None = None, out_dir: Path | str | None = None
) -> dict[str, pl.DataFrame]:
    """The clean collected domains written beside the analysis datasets (building them first
    when needed): for listings that need the collected record, such as medications."""
    data_dir, out_dir = _locations(data_dir, out_dir)
    load_study(data_dir, out_dir)
    return {
        p.stem: pl.read_parquet(p, glob=False)
        for p in sorted((out_dir / "clean").glob("*.parquet"))
    }


def load_checks(
    data_dir: Path | str | None = None, out_dir: Path | str | None = None
) -> dict[str, pl.DataFrame]:
    """What validation and cleaning found for the analysed cut, as the build recorded it
    (building first when needed; nothing is validated again): ``validation`` (the listing),
    ``quarantine`` (rows set aside with their reasons) and ``reconciliation`` (rows in = kept
    + set aside, per domain)."""
    data_dir, out_dir = _locations(data_dir, out_dir)
    load_study(data_dir, out_dir)
    from sle_car.validate import REPORT_COLUMNS

    clean = out_dir / "clean"
    return {
        "validation": pl.read_csv(clean / VALIDATION, schema=REPORT_COLUMNS, glob=False),
        "quarantine": pl.read_csv(clean / "quarantine.csv", infer_schema_length=None, glob=False),
        "reconciliation": pl.read_csv(clean / "reconciliation.csv", glob=False),
    }


def simulation_cache_dir() -> Path:
    """Where simulated cohorts are cached: ``$SLE_CAR_CACHE``, else ``$XDG_CACHE_HOME/sle-car``
    or ``~/.cache/sle-car`` — outside the repository and outside any run's outputs."""
    import os

    env = os.environ.get("SLE_CAR_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sle-car"


def load_simulated(n_patients: int, seed: int) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """The analysis datasets and the latent truth of a simulated cohort (``n_patients``,
    ``seed``), simulated and derived once and then read from :func:`simulation_cache_dir`. The
    cache key is the package code (simulator, its configuration and the derivation rules), so a
    changed rule simulates and derives again; a half-written cohort is never used."""
    import hashlib
    import shutil
    import tempfile

    from sle_car.simulate import simulate_to_dir

    key = hashlib.sha256(f"{code_hash()}:{n_patients}:{seed}".encode()).hexdigest()[:16]
    target = simulation_cache_dir() / f"cohort-{n_patients}-{seed}-{key}"
    if not (target / "raw" / "truth.csv").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".partial-"))
        simulate_to_dir(n_patients, seed, tmp / "raw")
        try:
            tmp.rename(target)
        except OSError:  # another process finished the same cohort first
            shutil.rmtree(tmp, ignore_errors=True)
    datasets = load_study(target / "raw", target / "derived")
    return datasets, pl.read_csv(target / "raw" / "truth.csv", glob=False)
