"""Content-addressed cache of executed notebooks and the figures they export (issue #19).

A warm ``make report`` (nothing changed since the last run) re-executes no notebook: the
pipeline reuses the executed notebook and its figure files from a cache entry whose key is a
hash of everything that can change them. Any change to any of these re-executes the notebook:

- the notebook's own input: every cell's type, source and metadata and the notebook metadata
  (stored outputs and execution counts are not input: execution replaces them; the outputs of
  an empty code cell, which is not executed, are kept and therefore hashed);
- the data: every file of the raw cut (not only its manifest: a cut accepted with
  ``--accept-changed-files`` differs from it) and every file the pipeline derived from it in
  this run (analysis datasets, clean domains, derivation log);
- the code: every file of ``sle_car`` and ``data_schemas`` (rules, configuration, schemas,
  study configuration, simulator: notebook 07's cohort is keyed by the same code);
- the run: the analysis options (values and the options file's bytes), the study
  configuration's bytes, the output root and the data location the notebooks see;
- the software: ``requirements.lock``, ``pyproject.toml``, the Python version and executable,
  every installed distribution and version, the kernel specification the notebook names, and
  matplotlib's font list (the fonts a figure can be drawn with);
- the environment variables that can change an output (``SLE_CAR_*``, ``POLARS_*``,
  ``PANDERA_*``, ``MPL*``, ``PYTHON*``, thread counts, locale, time zone,
  ``SOURCE_DATE_EPOCH``, ``XDG_CACHE_HOME``). ``SLE_CAR_GIT_COMMIT`` is deliberately not in
  the key: only the reproducibility page (rendered by Quarto from the environment, never
  cached) shows it, and a notebook must not print it.

Entries live outside the repository (``$SLE_CAR_CACHE/notebooks``, default
``~/.cache/sle-car/notebooks``). An entry is written under a temporary name and renamed into
place only after the whole pipeline run succeeded (:func:`commit`); a failed run discards its
entries (:func:`discard`). Each entry records the SHA-256 of its files and is checked when
read: a damaged entry is a miss (and removed), never an output. ``sle-car report --no-cache``
(``make report FRESH=1``) re-executes every notebook and refreshes the cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

FORMAT = 1
"""Layout version of an entry; part of every key."""
KEEP_PER_NOTEBOOK = 8
"""Entries kept per notebook name (most recently used first); older ones are removed."""
ENV_PREFIXES = (
    "SLE_CAR_",
    "POLARS_",
    "PANDERA_",
    "MPL",
    "PYTHON",
    "OMP_",
    "OPENBLAS_",
    "MKL_",
    "NUMEXPR_",
    "LC_",
)
ENV_NAMES = ("LANG", "TZ", "SOURCE_DATE_EPOCH", "XDG_CACHE_HOME", "HOME", "JUPYTER_PATH")
ENV_NOT_KEYED = ("SLE_CAR_GIT_COMMIT", "SLE_CAR_NOTEBOOK_CACHE")
ENV_CACHE = "SLE_CAR_NOTEBOOK_CACHE"
"""Where the entries live instead of the default (the tests use a temporary folder)."""
MANIFEST = "entry.json"


def cache_root() -> Path:
    """``notebooks/`` under the cache folder of simulated cohorts (``$SLE_CAR_CACHE``, else
    ``$XDG_CACHE_HOME/sle-car`` or ``~/.cache/sle-car``): outside the repository and outside
    any run's outputs; ``$SLE_CAR_NOTEBOOK_CACHE`` when set."""
    from sle_car.derive.build import simulation_cache_dir

    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    return simulation_cache_dir() / "notebooks"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_digest(path: Path) -> str:
    """SHA-256 over every file under ``path`` (relative name and bytes), in sorted order;
    byte-code caches excluded. A missing path hashes as such."""
    h = hashlib.sha256()
    if not path.exists():
        h.update(b"<missing>")
        return h.hexdigest()
    if path.is_file():
        h.update(path.read_bytes())
        return h.hexdigest()
    for p in sorted(path.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc":
            h.update(p.relative_to(path).as_posix().encode() + b"\0")
            h.update(_sha(p.read_bytes()).encode())
    return h.hexdigest()


def notebook_input_digest(path: Path) -> str:
    """SHA-256 of what executing the notebook reads from it: notebook metadata and format,
    and every cell without the outputs and execution count a run replaces."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = []
    for cell in nb.get("cells", []):
        c = dict(cell)
        source = "".join(c.get("source", ""))
        if c.get("cell_type") == "code" and source.strip():
            c.pop("outputs", None)
            c.pop("execution_count", None)
        cells.append(c)
    body = {k: v for k, v in nb.items() if k != "cells"}
    body["cells"] = cells
    return _sha(json.dumps(body, sort_keys=True, ensure_ascii=False).encode())


def _installed() -> list[str]:
    """Every installed distribution and its version: the names of the ``*.dist-info`` and
    ``*.egg-info`` folders on ``sys.path`` (``name-version``; what ``importlib.metadata``
    finds, without parsing 450 metadata files: 4 s on a loaded machine, for every key)."""
    found = set()
    for entry in dict.fromkeys(sys.path):
        folder = Path(entry)
        if entry and folder.is_dir():  # not "" (the working folder): no package lives there
            found.update(
                p.name for pattern in ("*.dist-info", "*.egg-info") for p in folder.glob(pattern)
            )
    return sorted(found)


def _kernel_spec(name: str) -> dict:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec(name)
    except Exception as err:  # no such kernel: execution will say so; the key still differs
        return {"name": name, "error": type(err).__name__}
    return {"name": name, "argv": spec.argv, "env": spec.env, "dir": spec.resource_dir}


def _font_list() -> str:
    """Digest of matplotlib's cache folder, where its font list lives. A machine whose first
    kernel has not yet built the list gets it built here first: otherwise the first run would
    key its notebooks without the list and the second with it, and execute everything twice."""
    base = Path(
        os.environ.get("MPLCONFIGDIR")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "matplotlib"
    )
    if not list(base.glob("fontlist-*.json")):
        import matplotlib.font_manager as fm

        base.mkdir(parents=True, exist_ok=True)
        fm.json_dump(fm.fontManager, base / f"fontlist-v{fm.FontManager.__version__}.json")
    return tree_digest(base)


def keyed_environment(env: dict[str, str]) -> dict[str, str]:
    """The environment variables that can change a notebook's outputs (see the module)."""
    return {
        k: v
        for k, v in sorted(env.items())
        if (k.startswith(ENV_PREFIXES) or k in ENV_NAMES) and k not in ENV_NOT_KEYED
    }


def run_fingerprint(run, env: dict[str, str], derived: Path | None = None) -> dict:
    """Everything the notebooks of ``run`` (a :class:`sle_car.pipeline.Run`) share in their
    keys, computed once per run. ``derived``: where the run's derived data is (default
    ``run.derived``, the staging folder; :func:`report_keys` passes the published copy)."""
    from sle_car.paths import repo_root

    root = repo_root()
    return {
        "format": FORMAT,
        "data": tree_digest(run.data_dir),
        "derived": tree_digest(derived if derived is not None else run.derived),
        "code": {pkg: tree_digest(root / pkg) for pkg in ("sle_car", "data_schemas")},
        "lock": tree_digest(root / "requirements.lock"),
        "pyproject": tree_digest(root / "pyproject.toml"),
        "options": json.dumps(run.options, sort_keys=True, default=str),
        "options_file": tree_digest(Path(run.options_file)) if run.options_file else None,
        "study_config": tree_digest(Path(run.study_config)) if run.study_config else None,
        "staging": str(run.staging),
        "in_repository": run.in_repository,
        "python": [sys.version, sys.executable, sys.platform],
        "installed": _installed(),
        "fonts": _font_list(),
        "env": keyed_environment(env),
    }


def notebook_key(fingerprint: dict, notebook: Path, env: dict[str, str]) -> str:
    """The cache key of one notebook: the run's fingerprint, the notebook's name and input,
    the kernel it names and the environment it is executed with."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    kernel = nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3")
    body = {
        **fingerprint,
        "notebook": notebook.name,
        "input": notebook_input_digest(notebook),
        "kernel": _kernel_spec(kernel),
        "notebook_env": keyed_environment(env),
    }
    return _sha(json.dumps(body, sort_keys=True, default=str).encode())


def entry_dir(name: str, key: str, root: Path | None = None) -> Path:
    return (root if root is not None else cache_root()) / f"{Path(name).stem}-{key[:32]}"


def lookup(name: str, key: str, root: Path | None = None) -> Path | None:
    """The complete, intact entry of ``name`` under ``key`` (in ``root``, default
    :func:`cache_root`), or None. An entry whose files do not match its recorded hashes is
    removed and is a miss."""
    d = entry_dir(name, key, root)
    try:
        meta = json.loads((d / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = meta.get("files", {})
    ok = meta.get("key") == key and all(
        (d / rel).is_file() and _sha((d / rel).read_bytes()) == digest
        for rel, digest in files.items()
    )
    if not ok or "notebook.ipynb" not in files:
        shutil.rmtree(d, ignore_errors=True)
        return None
    os.utime(d)  # most recently used: kept by prune()
    return d


def restore(entry: Path, notebook_dst: Path, figures_dst: Path) -> list[str]:
    """Copy an entry's executed notebook to ``notebook_dst`` and its figures into
    ``figures_dst``; return the figure names."""
    shutil.copyfile(entry / "notebook.ipynb", notebook_dst)
    figures_dst.mkdir(parents=True, exist_ok=True)
    names = []
    for p in sorted((entry / "figures").glob("*")):
        shutil.copyfile(p, figures_dst / p.name)
        names.append(p.name)
    return names


def seconds(entry: Path) -> float | None:
    """How long the notebook of an entry took to execute."""
    try:
        return float(json.loads((entry / MANIFEST).read_text(encoding="utf-8"))["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def stage(name: str, key: str, notebook: Path, figures: list[Path], secs: float) -> Path:
    """Write an entry under a temporary name (``.partial-…``) in the cache folder; it becomes
    visible only through :func:`commit`."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".partial-"))
    (tmp / "figures").mkdir()
    shutil.copyfile(notebook, tmp / "notebook.ipynb")
    for f in figures:
        shutil.copyfile(f, tmp / "figures" / f.name)
    files = {
        p.relative_to(tmp).as_posix(): _sha(p.read_bytes())
        for p in sorted(tmp.rglob("*"))
        if p.is_file()
    }
    meta = {"key": key, "notebook": name, "seconds": round(secs, 3), "files": files}
    (tmp / MANIFEST).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return tmp


def commit(staged: dict[Path, tuple[str, str]]) -> None:
    """Move staged entries (temporary folder -> (notebook name, key)) into place, then prune."""
    for tmp, (name, key) in staged.items():
        target = entry_dir(name, key)
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        try:
            tmp.rename(target)
        except OSError:  # another run stored the same entry first
            shutil.rmtree(tmp, ignore_errors=True)
    names = {name for name, _ in staged.values()}
    for name in names:
        prune(name)


def discard(staged: dict[Path, tuple[str, str]]) -> None:
    """Remove staged entries of a run that failed: a failed run never populates the cache."""
    for tmp in staged:
        shutil.rmtree(tmp, ignore_errors=True)


def prune(name: str, keep: int = KEEP_PER_NOTEBOOK) -> None:
    """Keep the ``keep`` most recently used entries of notebook ``name``."""
    entries = sorted(
        cache_root().glob(f"{Path(name).stem}-*"),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in entries[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def last_seconds(name: str) -> float | None:
    """The most recent execution time recorded for notebook ``name`` (any key): used to start
    the longest notebooks first."""
    best: tuple[float, float] | None = None
    for d in cache_root().glob(f"{Path(name).stem}-*"):
        s = seconds(d)
        if s is not None:
            m = d.stat().st_mtime
            if best is None or m > best[0]:
                best = (m, s)
    return best[1] if best else None


def report_keys(notebooks: list[Path] | None = None) -> dict[str, str]:
    """The key ``make report`` would give each committed notebook now (notebook name ->
    key): the bundled cohort, the repository as output root, default options and study
    configuration, this process's environment, and as derived data the published
    ``data/derived/<cut>`` (what that run derived and published; any change to it, to the
    code, the data or the software is a different key). Used by ``make test`` to compare the
    committed outputs with a cached execution of the same inputs instead of executing again
    (``conftest.py``). Empty when the bundled cohort cannot be planned (its manifest is
    damaged): every notebook is then executed."""
    from sle_car import pipeline
    from sle_car.paths import repo_root, synthetic_dir

    try:
        run = pipeline.plan(synthetic_dir(), notebooks=notebooks)
    except pipeline.UsageError:
        return {}
    env = run.env()
    published = repo_root() / "data" / "derived" / run.data_dir.name
    fingerprint = run_fingerprint(run, env, derived=published)
    return {nb.name: notebook_key(fingerprint, nb, env) for nb in run.notebooks}
