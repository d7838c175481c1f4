"""Validation and cleaning in batches of subjects, so that validate -> clean -> derive holds
its memory flat in the number of patients (issue #19).

:func:`validate_clean` gives the same validation report, the same rows set aside (with the
same reasons), the same reconciliation and the same clean Parquet bytes as one pass of
:func:`sle_car.validate.validate_study`, :func:`sle_car.clean.clean_study` and
:func:`sle_car.clean.write_clean` (``tests/test_batched.py``: batch size 1 and batch size
"everything" on the bundled cohort and on damaged cuts). It applies the same rules, through
the same functions, to a batch of subjects at a time:

1. every domain file is checked as a file (empty, binary, not UTF-8, header, no data row;
   :func:`sle_car.io.scan_domain`) and its columns against the contract;
2. DM (one row per subject, small) is validated and cleaned whole; its subjects, sorted,
   define consecutive batches of ``batch_size`` subjects;
3. every other domain is read once, streamed (polars' streaming engine), and written to a
   temporary Parquet file per batch, each row keeping its row number in the export
   (``_ROW``, the number a spreadsheet shows). Rows whose subject is not in DM (or empty) go to
   one last batch of their own;
4. per batch, each domain is validated (:func:`sle_car.validate.validate_domain`), the rules
   across domains run (:func:`sle_car.validate._cross_domain`, with the whole DM) and the
   cleaning rules R3-R6 apply (:func:`sle_car.clean.clean_rows`); the kept rows are written
   as parts of the clean domain (temporary Arrow IPC files), in subject order
   (:func:`sle_car.clean.clean_order`).
   Batches are independent: with ``$SLE_CAR_WORKERS`` above 1 (:data:`ENV_WORKERS`), that
   many worker processes stage the domains (step 3) and take the batches, and the outcomes
   are merged in batch order, so the report and the bytes do not depend on which worker
   finished first (by default everything runs in this process: :data:`WORKERS`);
5. the parts are concatenated into each clean domain (streamed; fixed row groups, so the bytes
   do not depend on the batches), unless a file-level error sets the domain aside as a whole.

Every rule of the contract is within one subject (each schema's unique key starts with
USUBJID; exact copies, one infusion per subject, visit windows and R6 are per subject or per
row), so a batch of whole subjects sees everything a rule needs. What stays in memory is DM,
one batch, and the listing of problems and rows set aside (one row per problem).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from data_schemas import RAW_DOMAINS
from sle_car.clean import (
    SET_ASIDE_COLUMNS,
    Cleaned,
    clean_order,
    clean_rows,
    empty_clean_domain,
    set_aside_whole,
    write_parquet,
)
from sle_car.crosschecks import no_rows, subjects_without_disposition
from sle_car.io import (
    ROW,
    DataFileError,
    EmptyDomainFile,
    blanks_missing,
    domain_read_error,
    read_manifest,
    scan_domain,
    sha256,
)
from sle_car.study import StudyConfig, load_study_config
from sle_car.validate import (
    OPTIONAL_DOMAINS,
    REPORT_COLUMNS,
    Validation,
    _cross_domain,
    _empty_raw,
    _not_collected_items,
    _optional_domain_file,
    _screening_block,
    blanks_and_spaced,
    domain_not_collected,
    drop_copies,
    manifest_issues,
    sort_report,
    validate_domain,
    validate_domain_copies,
)

BATCH_SIZE = 1000
"""Subjects per batch of validation and cleaning (the same default as derivation's
``sle_car.derive.build.BATCH_SIZE``): about 1 GB peak with 1,000 (``benchmarks/results.md``)."""
ORPHANS = -1
"""The batch of rows whose subject is not in DM (or is empty): validated and set aside (R6)."""
_B = "_BATCH"
WORKERS = 1
"""Worker processes over the batches by default: none (1: every batch in this process).
Polars' own threads already keep both cores of the reference machine busy within a batch, so
two worker processes bought no time (10,000 patients, four alternating pairs in session 11:
51.0 s in one process against 51.6 s with two, 91 against 100 CPU s) and doubled the peak
(1.0 against 1.9 GB). :data:`ENV_WORKERS` asks for more."""
ENV_WORKERS = "SLE_CAR_WORKERS"
"""Environment variable setting the number of worker processes when the caller does not
(default :data:`WORKERS`; each worker holds one batch, so the peak grows with them)."""
CHECK_THREADS = 2
"""Domain files checked at the same time (:func:`sle_car.io.scan_domain`: the checks of one
file are part Python, part polars; two files in threads overlap the two)."""
_G = "_GROUP"
MAX_STAGED_FILES = 16
"""At most this many staging files per domain are written at once. Polars' partitioned sink
keeps a buffer for every open file, so one file per batch grew with the cohort: staging a
7 GB lab file of 100,000 patients (100 batches) peaked at 1.3-1.9 GB against 0.7-0.8 GB for
10,000 (measured 2026-12-03). Above 16 batches, consecutive batches share a file."""
STAGE_ROW_GROUP = 20_000
"""Rows per row group of a staging file: small groups keep the sink's buffers small (1.29 GB
against 1.87 GB with polars' default at 100,000 patients) and let a batch's read skip the
other batches of its file."""


def _manifest_issues(
    data_dir: Path,
    files: dict[str, str],
    not_collected: list[str],
    accept: bool,
    hashes: dict[str, Future] | None = None,
) -> list[pl.DataFrame]:
    """:func:`sle_car.validate.manifest_issues`, taking the SHA-256 of a file from ``hashes``
    (:func:`_hash_listed`, by name) when the file's size and modification time are those it
    had when that hash started; otherwise (not hashed early, or changed since) its bytes now."""
    hashes = hashes or {}

    def digest(fname: str) -> str:
        path = data_dir / fname
        if fname in hashes:
            stamp, early = hashes[fname].result()
            if early is not None and _stamp(path) == stamp:
                return early
        return sha256(path)

    return manifest_issues(data_dir, files, not_collected, accept, digest)


def _stamp(path: Path) -> tuple[int, int]:
    """Size and modification time (ns) of a file: what changes when it is written to."""
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _stamped_sha256(path: Path, stop: threading.Event) -> tuple[tuple[int, int], str | None]:
    """:func:`_stamp` of ``path`` taken before it is read, and its SHA-256 (None if stopped)."""
    stamp = _stamp(path)
    return stamp, sha256(path, stop)


def _hash_listed(
    pool: ThreadPoolExecutor, data_dir: Path, stop: threading.Event
) -> dict[str, Future]:
    """Start the SHA-256 of every domain file the manifest lists (``dm.csv`` or
    ``dm.parquet`` ...; nothing else it names is read) in ``pool``: hashing reads every byte
    once more and holds no lock, so it runs beside the file checks and the staging instead
    of after them (issue 19: 1.9 s at 10,000 patients). :func:`_manifest_issues` takes the
    results; a file whose size or modification time changed after its hash was started is
    hashed again there, so a file changed during the run is found as before (when it was
    hashed last). ``stop``: set when the run ends, so that a failed run reads no further."""
    listed = read_manifest(data_dir).get("files", {})
    names = [f"{n}.{ext}" for n in RAW_DOMAINS for ext in ("csv", "parquet")]
    return {
        f: pool.submit(_stamped_sha256, data_dir / f, stop)
        for f in names
        if listed.get(f) and (data_dir / f).is_file()
    }


def _open_domain(
    data_dir: Path, name: str
) -> tuple[Path | None, pl.LazyFrame | None, EmptyDomainFile | None]:
    """The file of domain ``name`` (None for an optional domain not collected), its checked
    scan (:func:`sle_car.io.scan_domain`, blanks left as exported) and, for an optional
    domain exported with no record, the :class:`~sle_car.io.EmptyDomainFile` instead."""
    path = _optional_domain_file(data_dir, name)
    if path is None:
        return None, None, None
    try:
        return path, scan_domain(path, blanks=False), None  # blanks: blanks_and_spaced
    except EmptyDomainFile as err:  # an optional domain with no records: zero rows
        if name not in OPTIONAL_DOMAINS:
            raise
        return path, None, err


@contextmanager
def _threads(n: int) -> Iterator[ThreadPoolExecutor]:
    """A pool of ``n`` threads; on leaving, tasks not started are cancelled and those running
    are not waited for (an error is reported at once, not after every file was read; a file
    check already running finishes in the background: the process exits after it)."""
    pool = ThreadPoolExecutor(n, thread_name_prefix="sle-car")
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _errors(report: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Row errors (a manifest mismatch never sets rows aside) and exact copies (R3)."""
    errors = report.filter((pl.col("severity") == "error") & (pl.col("rule") != "manifest"))
    return errors, report.filter(pl.col("rule") == "duplicate_row")


def _file_level(issues: pl.DataFrame) -> bool:
    """An error of the file as a whole (no row): the domain is set aside whole."""
    return _errors(issues)[0].filter(pl.col("row").is_null()).height > 0


@functools.lru_cache(maxsize=64)
def _header_outcome(
    name: str, columns: tuple[str, ...], file: str, study: StudyConfig
) -> tuple[pl.DataFrame, bool, pl.DataFrame | None]:
    """What a domain file's header alone gives, by validating and cleaning the domain with
    ``columns`` and no row: its report rows (columns missing, unknown or not collected),
    whether the domain is set aside whole (its columns do not match the contract, or a
    file-level error), and its clean table with no row (None when there is no typed frame).
    It depends only on the arguments, so one process computes it once per header (issue 19:
    the nine header validations were a third of ``validate_clean``'s time on a five-patient
    cut, and the tests validate the same headers hundreds of times). Callers take copies."""
    typed, issues = validate_domain(name, _empty_raw(list(columns)), file, study)
    whole = typed is None or _file_level(issues)
    if typed is None:
        return issues, whole, None
    empty, _, _ = clean_rows(name, file, typed, *_errors(issues), pl.Series([], dtype=pl.String))
    return issues, whole, empty


def _group_size(n_batches: int) -> int:
    """Consecutive batches per staging file, so that with the orphans' own file at most
    :data:`MAX_STAGED_FILES` are written at once."""
    return max(1, -(-n_batches // max(1, MAX_STAGED_FILES - 1)))


def _stage(path: Path, lf: pl.LazyFrame, keys: pl.DataFrame, dst: Path, group: int) -> None:
    """Stream one domain file into ``dst/_G=<g>/*.parquet``, one folder per ``group``
    consecutive batches of subjects (``keys``: stripped USUBJID -> batch), rows in file order
    with ``_ROW`` and their batch (``_BATCH``)."""
    if "USUBJID" in lf.collect_schema():
        lf = (
            lf.with_columns(pl.col("USUBJID").str.strip_chars().alias("_K"))
            .join(keys.lazy(), on="_K", how="left", maintain_order="left")
            .with_columns(pl.col(_B).fill_null(ORPHANS))
            .drop("_K")
        )
    else:  # the domain does not match the contract and is set aside whole: one batch
        lf = lf.with_columns(pl.lit(ORPHANS, dtype=pl.Int64).alias(_B))
    # the orphans (batch -1) stay a group of their own: -1 // group == -1
    lf = lf.with_columns((pl.col(_B) // group).alias(_G))
    try:
        with warnings.catch_warnings():  # PartitionBy is marked unstable in polars 2.1
            warnings.simplefilter("ignore")
            lf.sink_parquet(
                pl.PartitionBy(dst, key=_G, include_key=False),
                compression="lz4",
                row_group_size=STAGE_ROW_GROUP,
                mkdir=True,
            )
    except pl.exceptions.PolarsError as err:
        raise domain_read_error(path, err) from None
    except OSError as err:
        raise DataFileError(path, f"cannot read the file ({err.strerror})") from None


def _batch_rows(stage: Path, batch: int, group: int) -> pl.DataFrame | None:
    """The staged rows of one batch (in file order), or None when it has none. Its group's
    file is read with a filter on ``_BATCH``: row-group statistics skip the other batches'
    rows when the export is in subject order."""
    parts = sorted((stage / f"{_G}={batch // group}").glob("*.parquet"))
    if not parts:
        return None
    rows = pl.scan_parquet(parts, glob=False).filter(pl.col(_B) == batch).drop(_B).collect()
    if not rows.height:
        return None
    return rows if rows.get_column(ROW).is_sorted() else rows.sort(ROW)


@dataclass
class _Context:
    """What every batch needs, the same for all (sent once to each worker process)."""

    work: Path
    clean_dir: Path
    files: dict[str, str]
    others: list[str]
    whole: dict[str, bool]
    template: dict[str, pl.DataFrame]
    study: StudyConfig
    dm_nocopies: pl.DataFrame | None
    subjects: pl.Series
    group: int
    data_dir: Path
    batch_size: int


@dataclass
class _Outcome:
    """One batch's share of the report, rows set aside and counts (merged in batch order)."""

    report: pl.DataFrame
    counts: dict[str, list[int]]
    aside: dict[str, pl.DataFrame] = field(default_factory=dict)
    rules: dict[str, pl.DataFrame] = field(default_factory=dict)
    seen: dict[str, set] = field(default_factory=dict)
    ds_subjects: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)


_SEEN = {"lb": "LBTESTCD", "ds": "DSDECOD"}


def _one_batch(ctx: _Context, batch: int, direct: dict[str, pl.DataFrame] | None) -> _Outcome:
    """Validate, apply the rules across domains and clean one batch of subjects (``direct``:
    the domains of a cohort of one batch, read whole, each replaced by its row numbers once
    validated; else the batch's staged rows)."""
    single = direct is not None
    files, template = ctx.files, ctx.template
    out = _Outcome(pl.DataFrame(schema=REPORT_COLUMNS), {n: [0, 0, 0] for n in ctx.others})
    typed_b: dict[str, pl.DataFrame] = {}
    copies_b: dict[str, pl.DataFrame | None] = {}
    batch_parts = []
    for name in ctx.others:
        raw = direct.get(name) if single else _batch_rows(ctx.work / name, batch, ctx.group)
        if raw is None:
            continue
        raw, spaced = blanks_and_spaced(raw)
        if raw.height == 0 and not single:  # blank lines only
            continue
        out.counts[name][0] += raw.height
        typed, issues, copies_b[name] = validate_domain_copies(
            name, raw, files[name], ctx.study, spaced
        )
        if single:  # only the row numbers are needed again (a domain set aside whole)
            direct[name] = raw.select(ROW)
        del raw
        batch_parts.append(issues)
        if typed is not None:
            typed_b[name] = typed
            if name in _SEEN and _SEEN[name] in typed.columns:
                out.seen[name] = set(typed.get_column(_SEEN[name]).unique().to_list())
            if name == "ds" and "USUBJID" in typed.columns:
                out.ds_subjects = set(typed.get_column("USUBJID").unique().to_list())
    cross_in = {n: drop_copies(t, copies_b[n]) for n, t in typed_b.items()}
    if ctx.dm_nocopies is not None:
        cross_in = {"dm": ctx.dm_nocopies, **cross_in}
    batch_parts.append(_cross_domain(files, cross_in))
    del cross_in
    out.report = pl.concat(batch_parts)
    row_errors, dup = _errors(out.report)
    for name, typed in typed_b.items():
        if ctx.whole[name]:
            continue
        good, out.aside[name], out.rules[name] = clean_rows(
            name, files[name], typed, row_errors, dup, ctx.subjects
        )
        out.counts[name][1] += good.height
        out.counts[name][2] += out.aside[name].height
        if single:  # the clean domain itself: no part to write and read again
            out.written.add(name)
            write_parquet(
                pl.concat([template[name], clean_order(good).cast(template[name].schema)]),
                ctx.clean_dir / f"{name}.parquet",
            )
        elif good.height:
            # R6 sets every row of a subject not in DM aside
            if batch == ORPHANS:
                raise AssertionError("a row of a subject not in DM was kept")
            # a part is read once, whole, by step 5: Arrow IPC (lz4) writes in about half
            # the time of lz4 Parquet (no encoding), with the same types
            good = clean_order(good).cast(template[name].schema)
            good.write_ipc(ctx.work / f"{name}.{batch:09d}.part.arrow", compression="lz4")
    return out


_WORKER: dict[str, _Context] = {}
"""The context of a worker process (:func:`_init_worker`)."""


def _init_worker(ctx: _Context) -> None:
    _WORKER["ctx"] = ctx


def _worker_batch(batch: int) -> _Outcome:
    return _one_batch(_WORKER["ctx"], batch, None)


_MAIN_LOCK = threading.Lock()


@contextmanager
def _main_not_imported() -> Iterator[None]:
    """Worker processes started inside this block do not import the caller's main script
    (``spawn`` does, to find functions defined there; a script calling the engine without an
    ``if __name__ == "__main__"`` guard would then run again in each worker and fail). The
    workers run only this module's functions, so they need nothing from it."""
    with _MAIN_LOCK:  # one thread at a time changes and restores __main__
        main = sys.modules["__main__"]
        saved = {k: main.__dict__.pop(k) for k in ("__file__",) if k in main.__dict__}
        spec = getattr(main, "__spec__", None)
        main.__spec__ = None
        try:
            yield
        finally:
            main.__dict__.update(saved)
            main.__spec__ = spec


def _outcomes(
    ctx: _Context,
    batches: list[int],
    direct: dict[str, pl.DataFrame] | None,
    workers: int,
    staging: list[tuple],
) -> Iterator[_Outcome]:
    """Stage the domains (``staging``: the arguments of :func:`_stage`, one domain each),
    then give each batch's outcome, in the order of ``batches``: in this process for a
    cohort of one batch or ``workers`` 1, else in ``workers`` processes (``spawn``: polars'
    threads do not survive a fork), at most two batches per worker in flight. A domain that
    cannot be read raises the error of the first such domain in ``staging`` order."""
    if (
        direct is not None
        or workers <= 1
        or len(batches) <= 1
        or multiprocessing.current_process().daemon  # a daemon may not start processes
    ):
        for job in staging:
            _stage(*job)
        for batch in batches:
            yield _one_batch(ctx, batch, direct)
        return
    # every worker starts with the staging tasks, inside the guard: never more than them
    workers = min(workers, len(batches), max(len(staging), 1))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(ctx,)
    ) as pool:
        try:
            with _main_not_imported():  # the workers start with the first tasks
                staged = [pool.submit(_stage, *job) for job in staging]
            for future in staged:  # every domain staged before any batch is read
                _result(future, ctx)
            pending: deque = deque()
            todo = iter(batches)
            for batch in todo:  # keep the workers busy, never more than 2 per worker queued
                pending.append(pool.submit(_worker_batch, batch))
                if len(pending) >= 2 * workers:
                    break
            while pending:
                out = _result(pending.popleft(), ctx)
                for batch in todo:
                    pending.append(pool.submit(_worker_batch, batch))
                    break
                yield out
        except BaseException:  # an error, Ctrl-C or the caller stopping: no further task runs
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _result(future: Future, ctx: _Context):
    """A worker's result; its error re-raised as if raised here (without the worker's
    traceback chained to it); a worker process that died (killed, e.g. for lack of memory)
    named with what to do."""
    try:
        return future.result()
    except BrokenProcessPool:
        raise DataFileError(
            ctx.data_dir,
            "a worker process of validation and cleaning stopped before it finished (often: "
            f"the machine ran out of memory; each worker holds one batch of {ctx.batch_size:,} "
            f"subjects): run again with {ENV_WORKERS}=1 (no worker process) or smaller batches",
        ) from None
    except DataFileError as err:
        raise err from None


def _default_workers() -> int:
    """``$SLE_CAR_WORKERS`` when set, else :data:`WORKERS`."""
    text = os.environ.get(ENV_WORKERS, "").strip()
    if text:
        if not text.isdecimal() or int(text) < 1:
            raise DataFileError(
                ENV_WORKERS,
                f"{text!r} is not a number of worker processes: set a whole number of at "
                "least 1 (1: validate and clean in this process), or unset it",
            )
        return int(text)
    return WORKERS


def validate_clean(
    data_dir: Path | str,
    clean_dir: Path | str,
    *,
    batch_size: int = BATCH_SIZE,
    accept_changed_files: bool = False,
    study_config: StudyConfig | Path | str | None = None,
    workers: int | None = None,
) -> Cleaned:
    """Validate and clean ``data_dir`` in batches of ``batch_size`` subjects and write the
    clean domains to ``clean_dir`` (``<domain>.parquet``); return the
    :class:`~sle_car.clean.Cleaned` outcome with ``domains`` empty and ``clean_dir`` set
    (``write_clean`` then adds the quarantine list and reconciliation). The validation
    report, rows set aside and clean bytes are those of one pass (module docstring).

    ``workers``: processes validating batches at the same time when there is more than one
    batch (default: ``$SLE_CAR_WORKERS`` when set, else :data:`WORKERS`, i.e. none); each
    holds one batch, so the peak memory grows with them.

    Raises :class:`~sle_car.io.DataFileError` when a file, the manifest or the study
    configuration cannot be read, as :func:`sle_car.validate.validate_study` does."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive number of subjects, not {batch_size}")
    study = (
        study_config if isinstance(study_config, StudyConfig) else load_study_config(study_config)
    )
    data_dir, clean_dir = Path(data_dir), Path(clean_dir)
    if not data_dir.is_dir():
        raise DataFileError(data_dir, "no such data directory")
    read_manifest(data_dir)  # an unreadable manifest stops the run before any work
    if workers is None:
        workers = _default_workers()
    clean_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".batches-", dir=clean_dir))  # beside the outputs
    stop = threading.Event()  # the hashes still running stop reading when the run ends
    try:
        with _threads(1) as hasher, _threads(CHECK_THREADS) as checker:
            return _validate_clean(
                data_dir,
                clean_dir,
                work,
                batch_size,
                accept_changed_files,
                study,
                workers,
                _hash_listed(hasher, data_dir, stop),
                checker,
            )
    finally:
        stop.set()
        _remove(work)


def _remove(work: Path) -> None:
    """Remove the engine's temporary folder. When staging a file fails, polars' partitioned
    sink can still be closing the staging file it had open while the folder is being removed
    (polars 2.1, a file only the CSV reader refuses: the folder was left behind in 9 runs of
    80, each time still there right after the removal), so it is removed again while it
    exists, for at most about a second."""
    for _ in range(100):
        shutil.rmtree(work, ignore_errors=True)
        if not work.exists():
            return
        time.sleep(0.01)


def _validate_clean(
    data_dir: Path,
    clean_dir: Path,
    work: Path,
    batch_size: int,
    accept: bool,
    study: StudyConfig,
    workers: int,
    hashes: dict[str, Future],
    checker: ThreadPoolExecutor,
) -> Cleaned:
    files: dict[str, str] = {}
    not_collected: list[str] = []
    scans: dict[str, pl.LazyFrame] = {}
    parts: list[pl.DataFrame] = []  # report rows
    template: dict[str, pl.DataFrame] = {}  # each domain's clean table with no row
    whole: dict[str, bool] = {}  # domain whose columns do not match the contract
    # 1. every file checked as a file, its header against the contract (no row read yet);
    # the files are checked in threads, their outcomes taken (and the first error raised) in
    # the order of the domains
    opened = [checker.submit(_open_domain, data_dir, name) for name in RAW_DOMAINS]
    for name, future in zip(RAW_DOMAINS, opened, strict=True):
        path, scan, empty = future.result()
        if path is None:  # an optional domain this cut did not collect: an empty table
            files[name] = f"{name}.csv"
            not_collected.append(files[name])
            columns = list(RAW_DOMAINS[name].to_schema().columns)
            parts.append(domain_not_collected(files[name], name))
        else:
            files[name] = path.name
            if empty is None:
                scans[name] = scan
                columns = [c for c in scan.collect_schema() if c != ROW]
            else:
                columns = empty.columns
                parts.append(no_rows(path.name, name))
        issues, whole[name], empty_clean = _header_outcome(name, tuple(columns), files[name], study)
        parts.append(issues.clone())
        if empty_clean is not None:
            template[name] = empty_clean.clone()
    # 2. DM whole: its subjects define the batches
    aside: dict[str, list[pl.DataFrame]] = {name: [] for name in files}
    rules: dict[str, list[pl.DataFrame]] = {name: [] for name in files}
    counts = {name: [0, 0, 0] for name in files}  # rows in, kept, set aside
    dm_raw = dm_spaced = None
    if "dm" in scans:
        dm_raw, dm_spaced = blanks_and_spaced(_collect(data_dir / files["dm"], scans["dm"]))
    dm_typed = dm_copies = None
    subjects = pl.Series("USUBJID", [], dtype=pl.String)
    if dm_raw is not None:
        dm_typed, issues, dm_copies = validate_domain_copies(
            "dm", dm_raw, files["dm"], study, dm_spaced
        )
        parts.append(issues)
        whole["dm"] = whole["dm"] or dm_typed is None or _file_level(issues)
        if dm_typed is not None and not whole["dm"]:
            good, a, r = clean_rows("dm", files["dm"], dm_typed, *_errors(issues), None)
            subjects = good["USUBJID"].unique()
            aside["dm"].append(a)
            rules["dm"].append(r)
            counts["dm"] = [dm_typed.height, good.height, a.height]
            write_parquet(clean_order(good), clean_dir / "dm.parquet")
            del good
    ids = (
        dm_raw.select(pl.col("USUBJID").str.strip_chars().alias("_K")).drop_nulls().unique()
        if dm_raw is not None and "USUBJID" in dm_raw.columns
        else pl.DataFrame(schema={"_K": pl.String})
    )
    keys = ids.sort("_K").with_row_index(_B).with_columns((pl.col(_B) // batch_size).cast(pl.Int64))
    n_batches = -(-keys.height // batch_size)
    group = _group_size(n_batches)
    dm_nocopies = drop_copies(dm_typed, dm_copies) if dm_typed is not None else None
    # 3. every other domain streamed once into per-batch files (by the workers, when there
    # are; :func:`_outcomes`); a cohort of one batch is read as it is (every rule is within a
    # subject: the orphans need no batch of their own)
    others = [n for n in files if n != "dm" and n in scans]
    single = n_batches <= 1
    direct = {n: _collect(data_dir / files[n], scans[n]) for n in others} if single else {}
    staging = (
        [] if single else [(data_dir / files[n], scans[n], keys, work / n, group) for n in others]
    )
    # values the rules over a whole domain need (items of issue #18 not collected)
    seen: dict[str, tuple[str, set]] = {"lb": ("LBTESTCD", set()), "ds": ("DSDECOD", set())}
    ds_subjects: set[str] = set()  # every subject with a DS row (no_disposition)
    written: set[str] = set()  # clean domains written whole (a cohort of one batch)
    # 4. per batch: validate, rules across domains, clean; kept rows written as parts. The
    # batches are independent: with more than one, worker processes take them, and their
    # outcomes are merged in batch order, so that nothing depends on which finished first
    ctx = _Context(
        work,
        clean_dir,
        files,
        others,
        whole,
        template,
        study,
        dm_nocopies,
        subjects,
        group,
        data_dir,
        batch_size,
    )
    batches = [0] if single else [*range(n_batches), ORPHANS]
    for out in _outcomes(ctx, batches, direct if single else None, workers, staging):
        parts.append(out.report)
        for name in others:
            counts[name] = [a + b for a, b in zip(counts[name], out.counts[name], strict=True)]
        for name, a in out.aside.items():
            aside[name].append(a)
            rules[name].append(out.rules[name])
        for name, values in out.seen.items():
            seen[name][1].update(values)
        ds_subjects.update(out.ds_subjects)
        written.update(out.written)
    # a domain's values over all batches: what _not_collected_items reads of it
    summary = {
        name: pl.DataFrame({col: list(values)}, schema={col: pl.String})
        for name, (col, values) in seen.items()
        if name in template
    }
    parts.append(_not_collected_items(files, summary))
    parts.append(
        subjects_without_disposition(
            files.get("ds"),
            dm_typed,
            pl.Series(sorted(ds_subjects, key=str), dtype=pl.String) if "ds" in template else None,
        )
    )
    parts.append(_screening_block(data_dir, dm_typed))
    report = sort_report(
        pl.concat(parts + _manifest_issues(data_dir, files, not_collected, accept, hashes))
    )
    # 5. each clean domain from its parts, or set aside as a whole
    row_errors, _ = _errors(report)
    for name, file in files.items():
        file_errors = row_errors.filter((pl.col("file") == file) & pl.col("row").is_null())
        if whole[name] or file_errors.height:
            rows = (
                direct[name].select(ROW)
                if name in direct
                else _all_rows(data_dir / file, name, scans, dm_raw, work)
            )
            a, r = set_aside_whole(name, file, rows, file_errors)
            aside[name], rules[name] = [a], [r]
            counts[name] = [rows.height, 0, rows.height]
            write_parquet(empty_clean_domain(name), clean_dir / f"{name}.parquet")
            if name == "dm":
                subjects = pl.Series("USUBJID", [], dtype=pl.String)
            continue
        if (name == "dm" and dm_raw is not None) or name in written:
            continue  # written above
        pieces = sorted(work.glob(f"{name}.*.part.arrow"))
        lf = pl.concat(
            [template[name].lazy(), *[pl.scan_ipc(p, glob=False) for p in pieces]], how="vertical"
        )
        write_parquet(lf, clean_dir / f"{name}.parquet")
    quarantine = pl.concat([a for name in files for a in aside[name]]).sort("domain", "row")
    set_aside = (
        pl.concat([r.cast(SET_ASIDE_COLUMNS) for name in files for r in rules[name]])
        .unique()
        .sort("domain", "row", "rule")
    )
    reconciliation = pl.DataFrame(
        [(name, *counts[name]) for name in files],
        schema={
            "domain": pl.String,
            "rows_in": pl.Int64,
            "rows_kept": pl.Int64,
            "rows_set_aside": pl.Int64,
        },
        orient="row",
    ).with_columns(
        (pl.col("rows_in") == pl.col("rows_kept") + pl.col("rows_set_aside")).alias("balanced")
    )
    if not reconciliation["balanced"].all():  # a bug, never a data problem
        raise AssertionError(f"row counts do not reconcile:\n{reconciliation}")
    validation = Validation(report, {}, files)
    cleaned = Cleaned({}, quarantine, reconciliation, validation, set_aside, clean_dir)
    validation.cleaned = cleaned
    return cleaned


def _collect(path: Path, lf: pl.LazyFrame) -> pl.DataFrame:
    try:
        return lf.collect()
    except pl.exceptions.PolarsError as err:
        raise domain_read_error(path, err) from None


def _all_rows(
    path: Path, name: str, scans: dict, dm_raw: pl.DataFrame | None, work: Path
) -> pl.DataFrame:
    """``_ROW`` of every row of a domain set aside as a whole."""
    if name not in scans:
        return pl.DataFrame(schema={ROW: pl.Int64})
    if name == "dm":
        return dm_raw.select(ROW)
    staged = sorted((work / name).glob("*/*.parquet"))
    if not staged:
        return pl.DataFrame(schema={ROW: pl.Int64})
    # staged as exported, blank lines included: blanks_missing skips them, as one pass does
    rows = blanks_missing(pl.scan_parquet(staged, glob=False).drop(_B)).select(ROW)
    return rows.collect(engine="streaming").sort(ROW)
