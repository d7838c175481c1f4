"""Validation and cleaning in batches of subjects (issue #19): the batched engine gives the
same validation report, the same rows set aside, the same reconciliation and the same clean
Parquet bytes as one pass (``validate_study`` + ``clean_study`` + ``write_clean``), for a
batch of one subject and for one batch holding everyone, on clean and on damaged cuts."""

from __future__ import annotations

import hashlib
import inspect
import json
import shutil
import threading
import time
from pathlib import Path

import polars as pl
import pytest

from data_schemas import RAW_DOMAINS
from sle_car import batched
from sle_car.batched import validate_clean
from sle_car.clean import clean_study, write_clean
from sle_car.io import DataFileError, scan_domain
from sle_car.paths import synthetic_dir
from sle_car.simulate import simulate, write_cohort
from sle_car.validate import validate_study


def _bytes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _assert_same(data: Path, tmp: Path, batch_sizes=(1, 2, 10_000), workers=(None,)) -> None:
    """``workers``: worker processes (None: the default) for every batch size."""
    one = clean_study(data, validate_study(data))
    write_clean(one, tmp / "one")
    for size, n in [(size, n) for size in batch_sizes for n in workers]:
        out = tmp / f"batched{size}-{n}"
        got = validate_clean(data, out, batch_size=size, workers=n)
        write_clean(got, out)
        assert got.validation.report.equals(one.validation.report), size
        assert got.quarantine.equals(one.quarantine), size
        assert got.set_aside.equals(one.set_aside), size
        assert got.reconciliation.equals(one.reconciliation), size
        assert got.reconciliation["balanced"].all()
        assert _bytes(out) == _bytes(tmp / "one"), size
        assert not list(out.glob(".batches-*")), "the engine's temporary files are removed"


def _edit(path: Path, row: int, column: str, value: str | None) -> None:
    """Set one cell (``row`` as a spreadsheet shows it, header = 1) of a CSV domain."""
    df = pl.read_csv(path, infer_schema=False)
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == row - 2)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(column))
        .alias(column)
    )
    df.write_csv(path)


@pytest.mark.slow  # issue 19: the engine 4 times over the whole bundled cohort; the damaged 3-patient cut below stays in make test
def test_bundled_cohort_batched_equals_one_pass(tmp_path: Path) -> None:
    _assert_same(synthetic_dir(), tmp_path)


@pytest.mark.slow  # issue 19: simulates a messy cohort, then the engine 3 times over it
def test_messy_cohort_batched_equals_one_pass(tmp_path: Path) -> None:
    data = tmp_path / "messy"
    write_cohort(simulate(6, seed=4, messy=True), data)
    one = validate_study(data).report
    assert set(one["severity"]) >= {"error", "repairable", "warning"}  # a real test
    _assert_same(data, tmp_path / "out", batch_sizes=(1, 4))


@pytest.mark.parametrize("max_files", [None, 2])
def test_damaged_cut_batched_equals_one_pass(
    data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_files: int | None
) -> None:
    """With ``max_files`` = 2, batches share staging files (as at 100,000 patients).
    Rows of one subject far apart (file not sorted by subject), a subject set aside in DM
        (R6), a subject not in DM, a USUBJID with stray spaces, an empty USUBJID, an exact copy,
        a key conflict, a malformed number, a blank line, a domain with an unknown column (set
        aside whole), an optional domain not collected: batch size 1 gives one pass's bytes."""
    lb = data_copy / "lb.csv"
    df = pl.read_csv(lb, infer_schema=False)
    df = pl.concat([df.tail(40), df.head(df.height - 40)])  # subjects interleaved in the file
    df = pl.concat([df, df.slice(3, 1), df.slice(20, 1).with_columns(pl.lit("9").alias("LBORRES"))])
    df.write_csv(lb)
    with lb.open("a") as fh:
        fh.write(",,,,,,,,,,,,,,,\n")
    _edit(lb, 5, "USUBJID", "  " + df["USUBJID"][3] + " ")
    _edit(lb, 9, "USUBJID", None)
    _edit(lb, 11, "LBORRES", "1.2.3")
    dm = pl.read_csv(data_copy / "dm.csv", infer_schema=False)
    _edit(data_copy / "dm.csv", 2, "AGE", "-4")  # the first subject is set aside in DM: R6
    qs = pl.read_csv(data_copy / "qs.csv", infer_schema=False)
    qs = pl.concat([qs, qs.head(2).with_columns(pl.lit(dm["USUBJID"][0] + "9").alias("USUBJID"))])
    qs.write_csv(data_copy / "qs.csv")
    ds = pl.read_csv(data_copy / "ds.csv", infer_schema=False)
    ds.with_columns(pl.lit("x").alias("EXTRA")).write_csv(data_copy / "ds.csv")
    (data_copy / "cm.csv").unlink()
    rules = {r.split("(")[0] for r in validate_study(data_copy).report["rule"]}
    assert {"duplicate_row", "unknown_subject", "malformed_number", "unknown_column"} <= rules
    assert {"domain_not_collected", "greater_than_or_equal_to", "not_nullable"} <= rules
    assert {"multiple_fields_uniqueness"} <= rules
    if max_files is not None:
        monkeypatch.setattr(batched, "MAX_STAGED_FILES", max_files)
        assert batched._group_size(3) == 3  # all three batches in one file, orphans in another
    # batches validated by two worker processes (merged in batch order), and in this process
    # with batches sharing staging files (a small cut: no worker by default)
    _assert_same(
        data_copy,
        tmp_path,
        batch_sizes=(1,) if max_files is None else (1, 2),
        workers=(2,) if max_files is None else (None,),
    )


def test_staging_writes_at_most_max_files_and_gives_each_batch_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Polars' partitioned sink buffers every open file, so staging caps the files it writes
    (``MAX_STAGED_FILES``) and a batch is read back from its group: same rows, file order."""
    monkeypatch.setattr(batched, "MAX_STAGED_FILES", 3)
    qs = synthetic_dir() / "qs.csv"
    raw = scan_domain(qs).collect()
    subjects = sorted(raw["USUBJID"].unique().to_list())
    assert len(subjects) == 5
    # subject 5 is left out of the keys: its rows are orphans (batch -1); batch 4 has no rows
    keys = pl.DataFrame({"_K": [*subjects[:4], "ZZZ"]}).with_row_index("_BATCH")
    keys = keys.with_columns(pl.col("_BATCH").cast(pl.Int64))
    group = batched._group_size(5)
    assert group == 3
    batched._stage(qs, scan_domain(qs), keys, tmp_path / "qs", group)
    assert len(list((tmp_path / "qs").iterdir())) == 3  # batches 0-2, 3-4 and the orphans
    for batch, subject in [*enumerate(subjects[:4]), (batched.ORPHANS, subjects[4])]:
        got = batched._batch_rows(tmp_path / "qs", batch, group)
        assert got.equals(raw.filter(pl.col("USUBJID") == subject)), batch
    assert batched._batch_rows(tmp_path / "qs", 4, group) is None  # its group has rows
    assert batched._batch_rows(tmp_path / "qs", 6, group) is None  # no file for its group


def test_batched_rows_keep_their_row_number_in_the_export(data_copy: Path, tmp_path) -> None:
    """A problem in the last batch is reported at its row of the file, not of the batch."""
    lb = data_copy / "lb.csv"
    df = pl.read_csv(lb, infer_schema=False)
    last = df["USUBJID"].max()
    row = int(df.with_row_index().filter(pl.col("USUBJID") == last)["index"][5]) + 2
    _edit(lb, row, "LBORRES", "abc")
    got = validate_clean(data_copy, tmp_path / "out", batch_size=1)
    hit = got.validation.report.filter(pl.col("rule") == "malformed_number")
    assert hit.select("file", "row", "column", "value").rows() == [
        ("lb.csv", row, "LBORRES", "abc")
    ]
    assert got.quarantine.filter(pl.col("domain") == "lb")["row"].to_list() == [row]


def test_parquet_domain_batched_equals_one_pass(data_copy: Path, tmp_path: Path) -> None:
    qs = pl.read_csv(data_copy / "qs.csv", infer_schema=False)
    qs.write_parquet(data_copy / "qs.parquet")
    (data_copy / "qs.csv").unlink()
    _assert_same(data_copy, tmp_path, batch_sizes=(1,))


def test_malformed_csv_is_a_clear_error(data_copy: Path, tmp_path: Path) -> None:
    with (data_copy / "lb.csv").open("a") as fh:
        fh.write('a,"b\n')
    with pytest.raises(DataFileError) as err:
        validate_clean(data_copy, tmp_path / "out", batch_size=1)
    assert "lb.csv" in str(err.value)
    with pytest.raises(DataFileError) as one:
        validate_study(data_copy)
    assert str(one.value) == str(err.value)


def test_batch_size_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="positive"):
        validate_clean(synthetic_dir(), tmp_path, batch_size=0)


def test_cleanup_after_an_error(data_copy: Path, tmp_path: Path) -> None:
    shutil.copy(data_copy / "dm.csv", data_copy / "dm.parquet")  # both: unreadable cut
    with pytest.raises(DataFileError):
        validate_clean(data_copy, tmp_path / "out")
    assert not list((tmp_path / "out").glob(".batches-*"))


def test_items_not_collected_are_judged_over_all_batches(tmp_path: Path) -> None:
    """Issue 18's 'not collected' warnings look at a whole domain: a panel test measured in
    one subject only is collected (no warning even with one subject per batch), a test
    measured in nobody is not; a DS milestone likewise."""
    data = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), data)
    (data / "manifest.json").unlink()
    lb = pl.read_csv(data / "lb.csv", infer_schema=False)
    first = lb["USUBJID"].min()
    lb = lb.filter(
        (pl.col("LBTESTCD") != "SMAB")
        & ((pl.col("LBTESTCD") != "DDNAIGAB") | (pl.col("USUBJID") == first))
    )
    lb.write_csv(data / "lb.csv")
    ds = pl.read_csv(data / "ds.csv", infer_schema=False)
    last = ds["USUBJID"].max()
    kept = ds.filter(pl.col("USUBJID") == last)["DSDECOD"].unique().to_list()
    ds.filter((pl.col("USUBJID") == last) | pl.col("DSDECOD").is_in(kept).not_()).write_csv(
        data / "ds.csv"
    )
    got = validate_clean(data, tmp_path / "out", batch_size=1).validation.report
    hit = got.filter(pl.col("rule") == "test_not_collected")
    assert hit.height == 1 and "SMAB" in hit["value"][0] and "DDNAIGAB" not in hit["value"][0]
    assert got.equals(validate_study(data).report)


def test_batches_run_in_this_process_unless_workers_are_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By default no worker process starts (polars' threads already use both cores, and each
    worker would hold a batch of its own); SLE_CAR_WORKERS asks for them."""
    seen = []

    class Stop(Exception):
        pass

    signature = inspect.signature(batched._validate_clean)

    def spy(*args):
        seen.append(signature.bind(*args).arguments["workers"])
        raise Stop

    monkeypatch.setattr(batched, "_validate_clean", spy)
    for env in (None, "3"):
        if env is not None:
            monkeypatch.setenv("SLE_CAR_WORKERS", env)
        with pytest.raises(Stop):
            validate_clean(synthetic_dir(), tmp_path / "out", batch_size=1)
    assert seen == [1, 3]


def test_workers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """SLE_CAR_WORKERS sets the number of worker processes (1: none); a value that is not a
    whole number >= 1 is refused, naming the variable."""
    monkeypatch.delenv("SLE_CAR_WORKERS", raising=False)
    assert batched._default_workers() == batched.WORKERS == 1
    monkeypatch.setenv("SLE_CAR_WORKERS", "1")
    assert batched._default_workers() == 1
    monkeypatch.setenv("SLE_CAR_WORKERS", " 3 ")
    assert batched._default_workers() == 3
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("SLE_CAR_WORKERS", bad)
        with pytest.raises(DataFileError, match=f"SLE_CAR_WORKERS: '{bad}' is not a number"):
            batched._default_workers()


def test_files_checked_in_threads_raise_the_first_domain_s_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The domain files are checked in threads (CHECK_THREADS), but a cut with several
    unreadable files gets the error of the first domain in the contract's order, as when
    they were checked one after another, even when a later file's check fails first (DM's
    check is slowed here: EX, binary, fails before it); and no temporary file is left. With
    DM readable, EX (binary) is named before the missing LB."""
    data = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), data)
    (data / "dm.csv").write_bytes(b"STUDYID,\x00\x02\n")
    (data / "ex.csv").write_bytes(b"STUDYID,\x00\x01\n")
    (data / "lb.csv").unlink()
    scan, failed = batched.scan_domain, []

    def slow_dm(path: Path, **kw):
        if path.name == "dm.csv":
            time.sleep(0.5)
        try:
            return scan(path, **kw)
        except DataFileError:
            failed.append(path.name)
            raise

    monkeypatch.setattr(batched, "scan_domain", slow_dm)
    with pytest.raises(DataFileError) as err:
        validate_clean(data, tmp_path / "out", batch_size=1)
    assert failed[:2] == ["ex.csv", "dm.csv"]  # EX failed first, DM is the error raised
    assert err.value.file == str(data / "dm.csv")
    assert not list((tmp_path / "out").glob(".batches-*"))
    shutil.copy(synthetic_dir() / "dm.csv", data / "dm.csv")
    with pytest.raises(DataFileError) as err:
        validate_clean(data, tmp_path / "out", batch_size=1)
    assert err.value.file == str(data / "ex.csv")
    (data / "ex.csv").unlink()
    with pytest.raises(DataFileError) as err:
        validate_clean(data, tmp_path / "out", batch_size=1)
    assert err.value.file == str(data / "ex.csv") and "missing" in err.value.message


def test_the_hashes_started_early_are_the_manifest_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SHA-256 of every domain file the manifest lists is computed beside the checks
    (_hash_listed), once, and those are the hashes the manifest rule compares: one more byte
    in QS is a manifest error on qs.csv alone; a file the manifest lists that is not a domain
    file (or does not exist) is never read. A file changed after its hash was taken (here:
    between the hash and the manifest rule) is hashed again, and the change is found."""
    data = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), data)
    manifest = json.loads((data / "manifest.json").read_text())
    listed = manifest.get("files", manifest)
    listed["../outside.csv"] = "0" * 64
    listed["notes.txt"] = "0" * 64
    (data / "manifest.json").write_text(json.dumps(manifest))
    domain_files = {f"{n}.csv" for n in RAW_DOMAINS} & set(listed)
    assert "qs.csv" in domain_files and "truth.csv" in listed and "truth.csv" not in domain_files
    hashed: list[str] = []
    sha256 = batched.sha256

    def spy(path: Path, stop=None):
        hashed.append(path.name)
        return sha256(path, stop)

    monkeypatch.setattr(batched, "sha256", spy)
    with (data / "qs.csv").open("a", encoding="utf-8") as f:
        f.write("\n")  # one more byte: a blank line, no record
    got = validate_clean(data, tmp_path / "out", batch_size=2).validation.report
    manifest_rows = got.filter(pl.col("rule") == "manifest")
    assert manifest_rows.select("file", "severity").rows() == [("qs.csv", "error")]
    assert sorted(hashed) == sorted(domain_files)  # each domain file once, nothing else
    # changed after it was hashed: hashed again when the rule runs
    shutil.copy(synthetic_dir() / "qs.csv", data / "qs.csv")
    with batched._threads(1) as pool:
        hashes = batched._hash_listed(pool, data, threading.Event())
        assert hashes["qs.csv"].result()[1] == listed["qs.csv"]
        for future in hashes.values():  # every early hash done before the spy is cleared
            future.result()
        with (data / "qs.csv").open("a", encoding="utf-8") as f:
            f.write("\n")
        hashed.clear()
        rows = batched._manifest_issues(data, {"qs": "qs.csv"}, [], False, hashes)
    assert hashed == ["qs.csv"]
    assert [r["file"][0] for r in rows] == ["qs.csv"]


def test_a_stopped_hash_reads_no_further(tmp_path: Path) -> None:
    """A hash running in the background for a run that has failed stops at its next block
    (``stop`` set) and gives None, never a digest of part of the file."""
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * (2 * (1 << 24) + 1))
    stop = threading.Event()
    assert batched.sha256(path, stop) == hashlib.sha256(path.read_bytes()).hexdigest()
    stop.set()
    assert batched.sha256(path, stop) is None


@pytest.mark.slow  # two worker processes start (about 4 CPU s)
def test_an_error_in_a_worker_is_raised_as_in_process(tmp_path: Path) -> None:
    """A file that only the reader can refuse (text after the closing quote of a value that
    spans lines) fails while a worker process stages it: the caller gets the same
    DataFileError as with no worker, without the worker's traceback chained to it, and the
    engine's temporary files are removed."""
    data = tmp_path / "cut"
    shutil.copytree(synthetic_dir(), data)
    lines = (data / "lb.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(5, '"x\ny"z' + "," * lines[0].count(",") + "\n")
    (data / "lb.csv").write_text("".join(lines), encoding="utf-8")
    messages = []
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        with pytest.raises(DataFileError) as err:
            validate_clean(data, out, batch_size=1, workers=n)
        assert err.value.file == str(data / "lb.csv")
        assert err.value.__cause__ is None
        assert not list(out.glob(".batches-*"))
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "not a well-formed CSV file" in messages[0]


def test_a_worker_that_died_is_named_with_what_to_do() -> None:
    """A worker process killed mid-run (e.g. by the out-of-memory killer) breaks the pool: the
    caller gets a DataFileError naming the data and SLE_CAR_WORKERS=1, not a traceback."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    future: Future = Future()
    future.set_exception(BrokenProcessPool("A process in the process pool was terminated"))
    ctx = batched._Context(
        *[None] * 10, data_dir=Path("/secure/cut"), batch_size=1000
    )  # only the data and the batch size are named
    with pytest.raises(DataFileError, match="SLE_CAR_WORKERS=1") as err:
        batched._result(future, ctx)
    assert err.value.file == "/secure/cut"
    assert "1,000 subjects" in str(err.value)


@pytest.mark.slow  # two whole builds, validation to derived datasets (about 5 s)
def test_folders_whose_names_look_like_patterns_are_read_as_named(tmp_path: Path) -> None:
    """A data or output folder whose name holds ``[``, ``]``, ``*`` or ``?`` (an export saved
    as ``cut [2027-01]``) is read as named: polars would otherwise expand such a path as a
    pattern, match nothing and report the file as "not a well-formed CSV". Validation,
    cleaning in batches, derivation and reading the results back give the bytes a plainly
    named folder gives."""
    from sle_car.derive.build import DATASETS, load_checks, load_clean, load_study, write_study

    outputs = {}
    for label, folder in (("plain", "plain"), ("pattern", "cut [2027-01] *?")):
        data = tmp_path / folder / "raw"
        shutil.copytree(synthetic_dir(), data)
        out = tmp_path / folder / "out [v1]"
        write_study(data, out, batch_size=2)
        datasets = load_study(data, out)
        assert set(datasets) == set(DATASETS) and datasets["adsl"].height == 5
        assert load_clean(data, out)["dm"].height == 5
        assert load_checks(data, out)["reconciliation"]["balanced"].all()
        outputs[label] = {
            p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.parquet"))
        }
    assert outputs["pattern"] == outputs["plain"]
    assert "clean/lb.parquet" in outputs["plain"] and "adlb.parquet" in outputs["plain"]


def test_every_file_read_by_the_package_is_read_as_named() -> None:
    """Every polars read or scan of a file in sle_car/ passes glob=False (a folder named
    ``cut [2027-01]`` would otherwise be expanded as a pattern); reads of bytes already in
    memory (the package's bundled tables) need none. Checked on the source, so that a new
    read cannot forget it."""
    import ast

    readers = {"read_csv", "scan_csv", "read_parquet", "scan_parquet", "scan_ipc", "read_ipc"}
    in_memory = {"raw", "text"}  # bytes read with importlib.resources
    missing, seen = [], 0
    for path in sorted((Path(batched.__file__).parent).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in readers
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "pl"
            ):
                continue
            seen += 1
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Name) and first.id in in_memory:
                continue
            glob = [k for k in node.keywords if k.arg == "glob"]
            if not (
                glob and isinstance(glob[0].value, ast.Constant) and glob[0].value.value is False
            ):
                missing.append(f"{path.name}:{node.lineno}")
    assert seen > 20  # the walk finds the reads
    assert missing == []


def test_each_header_is_judged_on_its_own_columns(data_copy: Path, tmp_path: Path) -> None:
    """Issue 19: a header's outcome is computed once per process (``_header_outcome``). A cut
    whose AE file gains a column, then one whose AE file loses a required column, validated
    after the unchanged cut in the same process, still get their own header's report: the
    unknown column as a warning, the missing column as an error setting AE aside whole."""
    batched._header_outcome.cache_clear()
    plain = validate_clean(data_copy, tmp_path / "plain").validation.report
    first = batched._header_outcome.cache_info().misses  # one per domain file
    ae = pl.read_csv(data_copy / "ae.csv", infer_schema=False)
    assert not plain.filter(
        pl.col("file") == "ae.csv", pl.col("rule").is_in(["unknown_column", "missing_column"])
    ).height
    ae.with_columns(pl.lit("x").alias("AENOTE")).write_csv(data_copy / "ae.csv")
    extra = validate_clean(data_copy, tmp_path / "extra")
    hit = extra.validation.report.filter(
        pl.col("file") == "ae.csv", pl.col("rule") == "unknown_column"
    )
    assert hit["column"].to_list() == ["AENOTE"]
    assert extra.reconciliation.filter(pl.col("domain") == "ae")["rows_kept"].item() == ae.height
    ae.drop("AETERM").write_csv(data_copy / "ae.csv")
    missing = validate_clean(data_copy, tmp_path / "missing")
    hit = missing.validation.report.filter(
        pl.col("file") == "ae.csv", pl.col("rule") == "missing_column"
    )
    assert hit["column"].to_list() == ["AETERM"]
    assert missing.reconciliation.filter(pl.col("domain") == "ae")["rows_kept"].item() == 0
    # the unchanged headers were taken from the cache; the two new AE headers were not
    assert batched._header_outcome.cache_info().misses == first + 2


def test_a_staging_file_closed_during_the_clean_up_is_removed_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a staging error, polars' sink can close its file while the engine's temporary
    folder is being removed (the slow worker test left it behind now and then): ``_remove``
    removes the folder again while it exists. Here the first removal is followed by the file
    reappearing, as it did."""
    work = tmp_path / ".batches-x"
    (work / "lb").mkdir(parents=True)
    real = shutil.rmtree
    calls: list[Path] = []

    def late(path, ignore_errors=False):
        calls.append(Path(path))
        real(path, ignore_errors=ignore_errors)
        if len(calls) == 1:  # the sink's file, closed after the folder was removed
            (Path(path) / "lb" / "_GROUP=0").mkdir(parents=True)
            (Path(path) / "lb" / "_GROUP=0" / "00000000.parquet").write_bytes(b"PAR1")

    monkeypatch.setattr(batched.shutil, "rmtree", late)
    batched._remove(work)
    assert calls == [work, work]
    assert not work.exists()
