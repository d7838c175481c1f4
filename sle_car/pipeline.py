"""The one pipeline: every data cut, the bundled synthetic cohort included, goes through it.

Steps, in the order :func:`run` calls them (each a named function below)::

    check locations -> describe the cut (manifest) -> validate -> clean -> set-aside gate
    -> derive -> execute notebooks -> export figures and tables -> write site inputs
    -> render (when Quarto is installed) -> privacy scan -> publish

``make report`` runs it on the bundled cohort with the repository as output root (Quarto
profile ``synthetic``); ``make report-real DATA=… OUT=…`` on any other cut with ``OUT`` as
output root (profiles ``real`` plus the cut's kind). Both are :func:`run` with a different
:class:`Run`.

**Once per run.** Validation and cleaning run once, here. Notebooks never re-validate: the
pipeline hands them the cut and its analysis datasets through the environment
(:data:`sle_car.paths.ENV_DATA`, :data:`~sle_car.paths.ENV_OUTPUT`,
:data:`~sle_car.paths.ENV_OPTIONS`), so ``load_study()`` in a notebook finds the datasets the
pipeline wrote (same manifest, code and options) and reads them. In a bare JupyterLab session
the same ``load_study()`` builds what it needs.

**Executed once per change.** A notebook whose inputs (cells, data, derived datasets, code,
options, software, environment: :mod:`sle_car.notebook_cache`) are the same as in an earlier
successful run is not executed again; its executed copy and figures come from the cache
(``--no-cache`` executes everything). The others run one per core, the longest first.

**Never stale.** Everything is built in a staging folder (``<output root>/.sle-car-staging``)
and replaces the previous outputs only when every step succeeded. A failed step raises
:class:`StepFailed`: the command prints one message naming the step (for a notebook: the
notebook, the cell and the exception's last line, and the partly executed copy kept for
inspection) and exits non-zero; the previous outputs stay untouched.

**Exit status.** 0 done; 1 a step failed, or validation errors set rows aside and
``accept_quarantine`` was not given; 2 usage (locations, manifest, unreadable files).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sle_car import notebook_cache
from sle_car.cut import Cut, ManifestError, describe_cut
from sle_car.paths import (
    ENV_DATA,
    ENV_OPTIONS,
    ENV_OUTPUT,
    ENV_PIPELINE,
    ENV_ROOT,
    repo_root,
    synthetic_dir,
)
from sle_car.study import ENV_STUDY_CONFIG

STAGING = ".sle-car-staging"
SITE_SOURCES = (
    "_quarto.yml",
    "_quarto-real.yml",
    "index.qmd",
    "manuscript.qmd",
    "reproducibility.qmd",
    "changelog.qmd",
    "requirements.lock",
    "study",
)
"""What Quarto needs beside the notebooks and the generated site inputs. For a simulated cut
the pipeline adds ``_quarto-simulated.yml`` and the repository's ``CHANGELOG.md``; a real
cut's site gets neither (its change log names the release it was analysed with), so nothing
in a real run's outputs speaks of simulated data."""
SITE_INPUTS = (
    "reports/data-dictionary.md",
    "reports/schedule.md",
    "reports/versions.md",
    "reports/analysis-options.md",
    "reports/data-note.md",
    "_variables.yml",
)


class UsageError(Exception):
    """The run cannot start (locations, manifest, unreadable files): exit status 2."""


class StepFailed(Exception):
    """A step failed; the message is the one line the user sees (exit status 1)."""

    def __init__(self, step: str, message: str) -> None:
        self.step = step
        super().__init__(f"step '{step}' failed: {message}")


class QuarantineRefused(StepFailed):
    """Validation errors set rows aside and the user did not accept it (exit status 1)."""


def _say(text: str) -> None:
    print(f"==> {text}", flush=True)


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


@dataclass(frozen=True)
class Run:
    """One run of the pipeline: which data, where its outputs go, which Quarto profile."""

    data_dir: Path
    out_root: Path
    """Where complete outputs go: the repository (bundled cohort) or ``OUT``."""
    cut: Cut
    in_repository: bool
    accept_quarantine: bool = False
    accept_changed_files: bool = False
    study_config: Path | None = None
    options_file: Path | None = None
    options: dict = field(default_factory=dict)
    notebooks: tuple[Path, ...] = ()
    use_cache: bool = True
    """Reuse executed notebooks from :mod:`sle_car.notebook_cache` (``--no-cache``: never)."""
    cache_entries: dict = field(default_factory=dict, compare=False)
    """Cache entries this run staged (stored once the run succeeded, discarded otherwise)."""

    @property
    def staging(self) -> Path:
        return self.out_root / STAGING

    @property
    def project(self) -> Path:
        """The Quarto project (notebooks and site sources) inside the staging folder: the
        staging folder itself for the repository, ``project/`` under ``OUT``."""
        return self.staging if self.in_repository else self.staging / "project"

    @property
    def derived(self) -> Path:
        return self.staging / "data" / "derived" / self.data_dir.name

    @property
    def listing_dir(self) -> Path:
        return self.staging / "reports" / "data-issues" / self.data_dir.name

    @property
    def profiles(self) -> str:
        """Quarto profiles: ``simulated`` for the bundled cohort; ``real`` (output outside the
        repository) for every other cut, plus ``simulated`` when its manifest says so."""
        if self.in_repository:
            return "simulated"
        return "real,simulated" if self.cut.synthetic else "real"

    def env(self) -> dict[str, str]:
        """The environment the notebooks (and Quarto) run in: the cut, the output root and
        the analysis options of this run."""
        env = {
            **os.environ,
            ENV_DATA: str(self.data_dir),
            ENV_OUTPUT: str(self.staging),
            ENV_ROOT: str(repo_root()),
            "SLE_CAR_GIT_COMMIT": git_commit(),
            ENV_PIPELINE: "1",
        }
        for name, value in (
            (ENV_OPTIONS, self.options_file),
            (ENV_STUDY_CONFIG, self.study_config),
        ):
            if value:
                env[name] = str(value)
            else:
                env.pop(name, None)
        return env

    def published(self) -> list[str]:
        """Paths (relative to the output root) this run replaces when it succeeds."""
        if not self.in_repository:  # OUT's report is this run's; other cuts' data stay
            return [
                "project",
                f"data/derived/{self.data_dir.name}",
                f"reports/data-issues/{self.data_dir.name}",
                "reports/figures",
                "reports/tables",
                "site",
            ]
        return [
            *[f"notebooks/{p.name}" for p in self.notebooks],
            "reports/figures",
            "reports/tables",
            *SITE_INPUTS,
            f"data/derived/{self.data_dir.name}",
            f"reports/data-issues/{self.data_dir.name}",
            "reports/site",
        ]


def git_commit() -> str:
    """The repository's commit (short), with ``-dirty`` when the work tree has changes; for
    the reproducibility page (``SLE_CAR_GIT_COMMIT``)."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=repo_root(), capture_output=True, text=True, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return head + ("-dirty" if dirty else "")


# --- steps ------------------------------------------------------------------------------------


def plan(
    data_dir: Path | str,
    out_root: Path | str | None = None,
    *,
    accept_quarantine: bool = False,
    accept_changed_files: bool = False,
    study_config: Path | str | None = None,
    options_file: Path | str | None = None,
    notebooks: list[Path] | None = None,
    use_cache: bool = True,
) -> Run:
    """Check the locations and the manifest and return the :class:`Run`.

    ``out_root`` None means the repository, which is allowed only for the bundled synthetic
    cohort (``make report``); any other cut needs an ``out_root`` outside the repository and
    outside the data directory (``make report-real``), and the data must be outside the
    repository too."""
    from sle_car.paths import notebooks_dir

    data_dir = Path(data_dir).expanduser().resolve()
    root = repo_root()
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir}: no such data directory")
    if out_root is None:
        if data_dir != synthetic_dir().resolve():
            raise UsageError(
                f"`make report` analyses the bundled synthetic cohort only, not {data_dir}; for "
                "any other data cut run `make report-real DATA=<cut> OUT=<folder outside the "
                "repository>`"
            )
        out, in_repo = root, True
    else:
        out, in_repo = Path(out_root).expanduser().resolve(), False
        if _inside(out, root):
            raise UsageError(
                f"{out} is inside the repository; real-data outputs must stay outside git"
            )
        if _inside(data_dir, root):
            raise UsageError(
                f"{data_dir} is inside the repository; real data must never enter git (copy "
                "the bundled cohort elsewhere to try it)"
            )
        if _inside(root, out):
            raise UsageError(f"{out} contains the repository; choose an output folder outside it")
        if out.exists() and not out.is_dir():
            raise UsageError(f"{out} is a file, not a folder; choose an output folder")
        if _inside(out, data_dir) or _inside(data_dir, out):
            raise UsageError(
                f"OUT {out} and DATA {data_dir} must be separate folders (neither inside the "
                "other): raw data is read-only and outputs must not mix with it"
            )
    try:
        cut = describe_cut(data_dir)
    except ManifestError as err:
        raise UsageError(str(err)) from None
    from sle_car.privacy import NamesFileError, load_names, scan_text

    try:  # the final privacy scan needs it: a bad names file fails now, not after the work
        names = load_names()
    except NamesFileError as err:
        raise UsageError(str(err)) from None
    if scan_text(cut.caption + "\n" + cut.site_note, "manifest label", names):
        raise UsageError(
            f"the label or cut date in {data_dir / 'manifest.json'} reads like an identifier "
            "(a calendar date or a name) and would appear on every output; choose another "
            "label (`sle-car manifest` writes the manifest)"
        )
    study_config = study_config or os.environ.get(ENV_STUDY_CONFIG) or None
    options: dict = {}
    if options_file:
        from sle_car._checks import ChoiceError
        from sle_car.derive.options import read_options

        options_file = Path(options_file).expanduser().resolve()
        try:
            options = read_options(options_file)
        except (ChoiceError, OSError, ValueError) as err:
            raise UsageError(f"{options_file}: {err}") from None
    if study_config:
        from sle_car.study import StudyConfigError, load_study_config

        study_config = Path(study_config).expanduser().resolve()
        try:
            load_study_config(study_config)
        except (StudyConfigError, OSError) as err:
            raise UsageError(str(err)) from None
    nbs = (
        tuple(notebooks)
        if notebooks is not None
        else tuple(sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb")))
    )
    return Run(
        data_dir,
        out,
        cut,
        in_repo,
        accept_quarantine=accept_quarantine,
        accept_changed_files=accept_changed_files,
        study_config=study_config or None,
        options_file=options_file,
        options=options,
        notebooks=nbs,
        use_cache=use_cache,
    )


def prepare_staging(run: Run) -> None:
    """An empty staging folder holding a copy of the notebooks and the site sources."""
    if run.staging.exists():
        shutil.rmtree(run.staging)
    run.project.mkdir(parents=True)
    root = repo_root()
    for name in SITE_SOURCES:
        src = root / name
        if src.is_dir():
            shutil.copytree(src, run.project / name)
        elif src.is_file():
            shutil.copy2(src, run.project / name)
    if run.cut.synthetic:
        shutil.copy2(root / "_quarto-simulated.yml", run.project / "_quarto-simulated.yml")
        shutil.copy2(root / "CHANGELOG.md", run.project / "CHANGELOG.md")
    else:
        from sle_car import __version__

        (run.project / "CHANGELOG.md").write_text(
            f"# Changes\n\nThis site reports the data cut {run.cut.label} analysed with sle-car "
            f"{__version__}; the software's history is in the repository's CHANGELOG.md.\n",
            encoding="utf-8",
        )
    (run.project / "notebooks").mkdir()
    for nb in run.notebooks:
        shutil.copy2(nb, run.project / "notebooks" / nb.name)


def validate(run: Run):
    """Validate the raw cut once; write the listing under the run's output root."""
    from sle_car.batched import validate_clean
    from sle_car.derive.build import check_unchanged
    from sle_car.io import DataFileError

    try:  # validated and cleaned in batches of subjects; the clean step takes the outcome
        validation = validate_clean(
            run.data_dir,
            run.derived / "clean",
            accept_changed_files=run.accept_changed_files,
            study_config=run.study_config,
        ).validation
        check_unchanged(validation, run.data_dir)
    except DataFileError as err:
        raise UsageError(str(err)) from None
    run.listing_dir.mkdir(parents=True, exist_ok=True)
    listing = validation.report
    if not run.in_repository:  # a listing outside the repository shows no identifying value
        from sle_car.privacy import mask_listing
        from sle_car.study import load_study_config

        pattern = load_study_config(run.study_config).subject_id_pattern
        listing = mask_listing(listing, subject_id_pattern=pattern)
    listing.write_csv(run.listing_dir / "validation.csv")
    counts = validation.report.group_by("severity").len().sort("severity").rows()
    summary = ", ".join(f"{n} {sev}" for sev, n in counts) or "no problems"
    print(f"    {summary} (listing: {_shown(run, run.listing_dir / 'validation.csv')})")
    return validation


def clean(run: Run, validation):
    """Apply the cleaning rules to the validated cut (no second validation; the batched
    engine of the validate step already did, and ``clean_study`` returns its outcome)."""
    from sle_car.clean import clean_study

    cleaned = clean_study(run.data_dir, validation)
    kept = int(cleaned.reconciliation["rows_kept"].sum())
    aside = int(cleaned.reconciliation["rows_set_aside"].sum())
    print(f"    {kept} rows kept, {aside} set aside (reconciled: in = kept + set aside)")
    return cleaned


def set_aside_by_error(cleaned) -> pl.DataFrame:
    """Rows set aside because of validation errors, per domain and rule
    (:func:`sle_car.clean.set_aside_summary`; with rule R6, the rows of a subject set aside in
    DM). Exact copies (R3) are repairs, not losses, and are not counted."""
    from sle_car.clean import set_aside_summary

    return set_aside_summary(None, cleaned).filter(pl.col("severity") != "repairable")


def gate_set_aside(cleaned, accept: bool, listing: Path | str) -> pl.DataFrame:
    """Stop (:class:`QuarantineRefused`) unless ``accept``, when validation errors set rows
    aside; list them per domain and rule either way. Used by the pipeline and
    ``sle-car derive``."""
    table = set_aside_by_error(cleaned)
    if table.height == 0:
        return table
    print("    set aside because of validation errors (domain, rule, rows):")
    for r in table.iter_rows(named=True):
        print(f"      {r['domain']:<4} {r['rule']:<40} {r['rows']} row(s)")
    if not accept:
        raise QuarantineRefused(
            "set-aside gate",
            f"validation errors set rows aside (listed above; every problem in {listing}); "
            "correct the export, or rerun with --accept-quarantine (make ... "
            "ACCEPT_QUARANTINE=1) to analyse without them",
        )
    print("    accepted (--accept-quarantine): the analysis runs without these rows")
    return table


def derive(run: Run, cleaned, set_aside: pl.DataFrame) -> dict:
    """Write the clean domains and the analysis datasets where the notebooks' ``load_study``
    looks for them in this run."""
    from sle_car.derive.build import write_study
    from sle_car.io import DataFileError

    try:
        log = write_study(
            run.data_dir,
            run.derived,
            cleaned=cleaned,
            set_aside=set_aside.to_dicts(),
            study_config=run.study_config,
            **run.options,
        )
    except DataFileError as err:  # e.g. every subject set aside: nothing to derive
        raise StepFailed("derive", str(err)) from None
    for name, rows in log["rows"].items():
        print(f"    {name}: {rows} rows, {log['subjects'][name]} subjects")
    for statement in log.get("set_aside_domains") or []:
        print(f"    {statement}")
    return log


class NotebookFailed(Exception):
    def __init__(self, path: Path, cell: int | None, last_line: str) -> None:
        self.path, self.cell, self.last_line = path, cell, last_line
        where = f"cell {cell}" if cell is not None else "before any cell ran"
        super().__init__(f"{path.name}, {where}: {last_line}")


def join_split_streams(nb) -> None:
    """Join adjacent stream outputs of the same stream (stdout or stderr) of a cell into one.

    The kernel sends printed text in chunks when it flushes (every 0.2 s, or when busy), so a
    cell printing several lines on a loaded machine can store them as two outputs instead of
    one: same text, different bytes. Joining only adjacent ones keeps the order of text and
    displays as they were shown."""
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        joined: list = []
        for out in outputs:
            prev = joined[-1] if joined else None
            if (
                prev is not None
                and out.get("output_type") == "stream"
                and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")
            ):
                prev["text"] = "".join(prev["text"]) + "".join(out["text"])
            else:
                joined.append(out)
        cell["outputs"] = joined


def execute_notebook(path: Path, env: dict | None = None, timeout: int = 1200) -> None:
    """Execute a notebook in place (no cell timing metadata, so re-executed files differ only
    where outputs changed; adjacent chunks of printed text joined, :func:`join_split_streams`,
    so the bytes do not depend on the machine's load). On an error the partly executed notebook is written to ``path``
    and :class:`NotebookFailed` names the cell and the exception's last line."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    )
    try:
        # the kernel's own start-up chatter (a warning about TCP transport) is not ours to show
        client.execute(env=env if env is not None else dict(os.environ), stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
        join_split_streams(nb)
        nbformat.write(nb, path)
        cell = next(
            (
                i
                for i, c in enumerate(nb.cells)
                if any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ),
            None,
        )
        ename, evalue = getattr(err, "ename", type(err).__name__), getattr(err, "evalue", "")
        last = f"{ename}: {evalue}".strip().splitlines()[-1] if evalue else str(err).strip()
        raise NotebookFailed(path, cell, last.splitlines()[-1] if last else ename) from None
    join_split_streams(nb)
    nbformat.write(nb, path)


def _notebook_root(run: Run, path: Path) -> Path:
    """The output root one notebook writes to: its own folder in the staging area, whose
    ``data/derived`` is the run's (a link), so that the figures each notebook exports are
    known (for the cache) while every notebook reads the datasets the pipeline derived."""
    root = run.staging / ".notebooks" / path.stem
    (root / "data").mkdir(parents=True, exist_ok=True)
    link = root / "data" / "derived"
    if not link.exists():
        link.symlink_to(run.derived.parent, target_is_directory=True)
    return root


def execute_notebooks(run: Run, workers: int | None = None) -> None:
    """Execute the staged copies of the notebooks against this run's cut, ``workers`` at a
    time (default: one per core), the longest first (their last recorded times). They are
    independent once the datasets exist: each reads them and writes only its own figures, so
    the outputs do not depend on the order.

    A notebook whose cache entry (:mod:`sle_car.notebook_cache`: keyed by everything that can
    change its outputs) exists is not executed: its executed copy and figures are restored.
    Unless ``run.use_cache`` is False (``--no-cache``), which executes every notebook. The
    entries of executed notebooks are staged and stored only when the whole run succeeded
    (:func:`run_pipeline`)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from sle_car import notebook_cache as cache

    env = run.env()
    staged = [run.project / "notebooks" / nb.name for nb in run.notebooks]
    figures = run.staging / "reports" / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    fingerprint = cache.run_fingerprint(run, env)
    written: dict[str, str] = {}  # figure file -> notebook that wrote it

    def claim(names: list[str], notebook: str) -> None:
        for n in names:
            if n in written:
                raise StepFailed(
                    "execute notebooks",
                    f"{notebook} and {written[n]} both export the figure {n}; give one "
                    "of them another name",
                )
            written[n] = notebook

    todo: list[tuple[Path, str]] = []
    for path in staged:
        key = cache.notebook_key(fingerprint, path, env)
        entry = cache.lookup(path.name, key) if run.use_cache else None
        if entry is None:
            todo.append((path, key))
            continue
        claim(cache.restore(entry, path, figures), path.name)
        print(f"    {path.name}: unchanged, reused (executed in {cache.seconds(entry):.1f} s)")
    # longest first: a long notebook started last would leave the other worker idle
    todo.sort(key=lambda t: -(cache.last_seconds(t[0].name) or float("inf")))
    workers = workers or min(len(todo), os.cpu_count() or 1) or 1

    def one(item: tuple[Path, str]) -> tuple[Path, str, float, NotebookFailed | None]:
        path, key = item
        root = _notebook_root(run, path)
        start = time.perf_counter()
        try:
            execute_notebook(path, env={**env, ENV_OUTPUT: str(root)})
        except NotebookFailed as err:
            return path, key, time.perf_counter() - start, err
        secs = time.perf_counter() - start
        print(f"    {path.name}: executed in {secs:.1f} s", flush=True)
        return path, key, secs, None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, todo))
    failures = [err for _, _, _, err in results if err is not None]
    if failures:
        err = failures[0]
        more = f" ({len(failures) - 1} more notebook(s) failed too)" if len(failures) > 1 else ""
        raise StepFailed(
            "execute notebooks",
            f"{err}{more}. The partly executed notebook is kept for inspection at {err.path}",
        )
    for path, key, secs, _ in results:
        own = run.staging / ".notebooks" / path.stem / "reports" / "figures"
        files = sorted(p for p in own.glob("*") if p.is_file()) if own.is_dir() else []
        claim([f.name for f in files], path.name)
        for f in files:
            shutil.copyfile(f, figures / f.name)
        run.cache_entries[cache.stage(path.name, key, path, files, secs)] = (path.name, key)
    shutil.rmtree(run.staging / ".notebooks", ignore_errors=True)


def export_tables(run: Run) -> list[Path]:
    """Write every labelled table a notebook shows (``tbl-…``) to ``reports/tables/<id>.html``:
    the HTML of the stored output, byte for byte."""
    import json
    import re

    out = run.staging / "reports" / "tables"
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for nb in run.notebooks:
        cells = json.loads((run.project / "notebooks" / nb.name).read_text(encoding="utf-8"))
        for cell in cells["cells"]:
            for o in cell.get("outputs", []):
                html = o.get("data", {}).get("text/html")
                if not html:
                    continue
                html = "".join(html) if isinstance(html, list) else html
                m = re.search(r'<div id="(tbl-[\w-]+)"', html)
                if m:
                    path = out / f"{m.group(1)}.html"
                    path.write_text(html, encoding="utf-8")
                    written.append(path)
    return written


def export_figures(run: Run) -> int:
    """``reports/figures/SHA256SUMS``: the hash of every exported figure (tests compare them)."""
    from sle_car.figures import file_sha256

    figs = run.staging / "reports" / "figures"
    figs.mkdir(parents=True, exist_ok=True)
    files = sorted(figs.glob("*.png")) + sorted(figs.glob("*.svg"))
    lines = [f"{file_sha256(p)}  {p.name}" for p in files]
    (figs / "SHA256SUMS").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(files)


def write_site_inputs(run: Run) -> list[Path]:
    from sle_car.site import write_site_inputs as write

    return write(run.data_dir, root=run.project, options_file=run.options_file)


def render(run: Run) -> bool:
    """Render the site from the staged project when Quarto is installed."""
    if shutil.which("quarto") is None:
        print(
            "    Quarto site not rendered: `quarto` is not on PATH (install it from "
            "https://quarto.org, `conda env create -f environment.yml`, or "
            "`pip install 'sle-car[quarto]'`)."
        )
        return False
    result = subprocess.run(
        ["quarto", "render", "--profile", run.profiles],
        cwd=run.project,
        env=run.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no message"]
        raise StepFailed("render", f"quarto render exited {result.returncode}: {last[0]}")
    return True


def privacy_scan(run: Run) -> None:
    """Scan everything the run publishes (notebooks, site inputs, figures, tables, listings,
    the rendered site; not the analysis data, which stays private) for identifiers and for the
    export's free text (:func:`sle_car.privacy.scan_paths`); any finding stops the run before
    anything is published, naming file and place without echoing the identifier."""
    from sle_car.privacy import export_free_text, scan_paths

    targets = [run.staging / rel for rel in run.published() if not rel.startswith("data/")]
    targets = [t for t in targets if t.exists()]
    findings = scan_paths(targets, run.staging, free_text=export_free_text(run.data_dir))
    if findings:
        for f in findings[:20]:
            print(f"    {f}")
        more = " (first 20 shown)" if len(findings) > 20 else ""
        raise StepFailed(
            "privacy scan",
            f"{len(findings)} possible identifier(s) in the outputs{more}; nothing was "
            "published. Remove them from the export (or code the free text) and run again",
        )


def publish(run: Run) -> None:
    """Replace the previous outputs with the staged ones, path by path."""
    for rel in run.published():
        src, dst = run.staging / rel, run.out_root / rel
        if not src.exists():
            continue
        if dst.is_dir():
            shutil.rmtree(dst)
        elif dst.exists():
            dst.unlink()
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), str(dst))
    shutil.rmtree(run.staging)


def _shown(run: Run, path: Path) -> str:
    """Where ``path`` (in the staging folder) will be once the run is published, as the user
    should see it: relative to the repository when inside it."""
    final = run.out_root / path.relative_to(run.staging)
    return str(final.relative_to(repo_root())) if run.in_repository else str(final)


def run_pipeline(run: Run) -> int:
    """Every step in order; return the exit status (0, 1 or 2). An unexpected exception in a
    step becomes :class:`StepFailed` naming that step, never a traceback."""
    step = "prepare the staging folder"
    try:
        _say(f"data: {run.data_dir} — {run.cut.caption}")
        prepare_staging(run)
        step = "validate"
        _say(step)
        validation = validate(run)
        step = "clean"
        _say(step)
        cleaned = clean(run, validation)
        set_aside = gate_set_aside(
            cleaned, run.accept_quarantine, run.listing_dir / "validation.csv"
        )
        step = "derive"
        _say(f"derive -> {_shown(run, run.derived)}")
        derive(run, cleaned, set_aside)
        del cleaned, validation
        step = "execute notebooks"
        _say(f"execute {len(run.notebooks)} notebook(s)")
        execute_notebooks(run)
        step = "export figures and tables"
        _say(step)
        n_fig, n_tab = export_figures(run), len(export_tables(run))
        print(f"    {n_fig} figure files, {n_tab} tables")
        step = "write site inputs"
        _say(step)
        write_site_inputs(run)
        step = "render"
        _say("render the site")
        render(run)
        step = "privacy scan"
        _say(step)
        privacy_scan(run)
        step = "publish"
        publish(run)
    except (UsageError, StepFailed):
        notebook_cache.discard(run.cache_entries)
        raise
    except Exception as err:
        notebook_cache.discard(run.cache_entries)
        detail = f"{type(err).__name__}: {err}".strip().splitlines()[0]
        where = f"; what it wrote is in {run.staging}" if run.staging.exists() else ""
        raise StepFailed(step, f"{detail}{where}") from None
    notebook_cache.commit(run.cache_entries)  # only a run that succeeded fills the cache
    _say(f"done: outputs in {'the repository' if run.in_repository else run.out_root}")
    return 0


def run(
    data_dir: Path | str,
    out_root: Path | str | None = None,
    **settings,
) -> int:
    """Plan (``settings``: the keywords of :func:`plan`) and run the pipeline; print one
    message and return non-zero on failure."""
    try:
        r = plan(data_dir, out_root, **settings)
        return run_pipeline(r)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except StepFailed as err:
        kept = (
            f" The run's partial outputs are in {r.staging} for inspection."
            if r.staging.exists() and str(r.staging) not in str(err)
            else ""
        )
        print(f"error: {err}. Previous outputs are unchanged.{kept}", file=sys.stderr)
        return 1
