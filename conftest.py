"""Test set-up for the whole repository (nbval's notebooks and ``tests/``): what lets
``make test`` run on every core (pytest-xdist, ``-n``) without two processes writing
the same file:

- the notebooks nbval re-executes write their derived data and figures into the worker's own
  output root (``SLE_CAR_OUTPUT`` = ``<worker's pytest temp>/nbval-output``), never into the
  repository; the item "exported figures" after each notebook's last cell checks that every
  figure the notebook exported is byte for byte the committed one (``reports/figures/
  SHA256SUMS``) and that every labelled figure was exported;
- the pipeline's notebook cache (``SLE_CAR_NOTEBOOK_CACHE``) is a temporary folder of the
  session: tests never fill the user's cache.

A warm ``make test`` executes no notebook whose execution is already known (issue #19): when the
user's notebook cache (filled by ``make report``, :mod:`sle_car.notebook_cache`) holds an
execution of a committed notebook under the key ``make report`` would give it NOW (same notebook
input, raw data, published derived data, code, options, software, environment:
:func:`sle_car.notebook_cache.report_keys`), re-executing it would produce those outputs again,
byte for byte (tests/test_reproducibility.py). Its nbval items then compare the committed
outputs with that cached execution, cell by cell, with nbval's own comparison and sanitisers
(``tests/cached_notebooks.py``), and its "exported figures" item checks the cached figures. Any other
notebook is executed by nbval as before. ``make test FRESH=1`` (``--no-notebook-cache``)
executes every notebook; CI's cold cache does the same. The cache is only read here.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Write byte-code caches for the repository's modules (tests/, sle_car/, data_schemas/, all
# git-ignored __pycache__ folders) even when PYTHONDONTWRITEBYTECODE is set in the
# environment: otherwise each xdist worker compiles them, and pytest rewrites every test
# module, again in every run (about 5 CPU s per process; issue 19). Only this process is
# changed, not the environment (a keyed variable of the notebook cache).
sys.dont_write_bytecode = False


def _is_notebook_item(item: pytest.Item) -> bool:
    return item.nodeid.split("::")[0].endswith(".ipynb")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-notebook-cache",
        action="store_true",
        help="execute every notebook (nbval) even when the notebook cache of `make report` "
        "holds an execution of it under its current key (make test FRESH=1)",
    )


USER_CACHE = "PYTEST_SLE_CAR_USER_NOTEBOOK_CACHE"
"""Where the user's notebook cache is, for the xdist workers (they inherit the controller's
environment, in which ``SLE_CAR_NOTEBOOK_CACHE`` already names the session's folder). Not a
keyed variable (:func:`sle_car.notebook_cache.keyed_environment`)."""


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """A notebook cache of this session only (each xdist worker its own); the user's cache,
    where ``make report`` stores its executions, is remembered to be read."""
    from sle_car.notebook_cache import cache_root

    if USER_CACHE not in os.environ:
        os.environ[USER_CACHE] = str(cache_root())
    config._sle_car_user_cache = Path(os.environ[USER_CACHE])
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None and "SLE_CAR_NOTEBOOK_CACHE" not in os.environ:
        os.environ["SLE_CAR_NOTEBOOK_CACHE"] = str(factory.mktemp("notebook-cache"))


def cached_execution(config: pytest.Config, notebook: Path) -> Path | None:
    """The user's cache entry holding an execution of ``notebook`` under the key ``make
    report`` would give it now, or None (then nbval executes it). Keys are computed once per
    process."""
    if config.getoption("--no-notebook-cache", default=False):
        return None
    from sle_car import notebook_cache

    keys = getattr(config, "_sle_car_report_keys", None)
    if keys is None:
        from sle_car.paths import notebooks_dir

        numbered = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
        keys = config._sle_car_report_keys = notebook_cache.report_keys(numbered)
    key = keys.get(notebook.name)
    if key is None:
        return None
    return notebook_cache.lookup(notebook.name, key, root=config._sle_car_user_cache)


@functools.cache
def _nbval_classes():
    from tests.cached_notebooks import nbval_classes

    return nbval_classes()


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Iterator[None]:
    """A notebook nbval collects whose current execution is cached becomes a
    ``CachedNotebook`` (see the module)."""
    outcome = yield
    if file_path.suffix != ".ipynb":
        return
    from nbval.plugin import IPyNbFile

    result = outcome.get_result()
    if not any(type(r) is IPyNbFile for r in result):
        return
    entry = cached_execution(parent.config, file_path)
    if entry is None:
        return
    CachedNotebook, _ = _nbval_classes()
    replaced = []
    for r in result:
        if type(r) is IPyNbFile:
            cached = CachedNotebook.from_parent(parent, path=file_path)
            cached.entry = entry
            replaced.append(cached)
        else:
            replaced.append(r)
    outcome.force_result(replaced)


class NotebookFigures(pytest.Item):
    """After a notebook's cells: the figures it exported are the committed ones."""

    def runtest(self) -> None:
        from sle_car.figures import file_sha256
        from sle_car.paths import repo_root

        notebook = Path(str(self.parent.path))
        labels = re.findall(r"#\| label: (fig-[\w-]+)", notebook.read_text(encoding="utf-8"))
        entry = getattr(self.parent, "entry", None)  # a cached execution's figures
        exported = (
            entry / "figures"
            if entry is not None
            else _nbval_output(self.config) / "reports" / "figures"
        )
        files = sorted(p for p in exported.glob("*") if p.is_file()) if exported.is_dir() else []
        committed = repo_root() / "reports" / "figures"
        sums = (committed / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        recorded = {name: digest for digest, name in (line.split("  ") for line in sums if line)}
        missing = [f"{label}.png" for label in labels if not (exported / f"{label}.png").is_file()]
        assert not missing, f"{notebook.name} did not export {missing}"
        changed = [p.name for p in files if recorded.get(p.name) != file_sha256(p)]
        assert not changed, (
            f"{notebook.name} exported figures that differ from reports/figures/SHA256SUMS: "
            f"{changed} (run `make report` and review the new figures)"
        )

    def reportinfo(self):
        return self.path, None, f"{self.name}: exported figures match reports/figures"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every nbval cell as a notebook test (``-m "not notebook"`` skips them); add the
    "exported figures" check after each notebook's last cell (same file: ``--dist loadfile``
    runs it on the worker that executed the notebook, after its cells)."""
    last: dict[str, int] = {}
    for i, item in enumerate(items):
        if _is_notebook_item(item):
            last[item.nodeid.split("::")[0]] = i
    for i in sorted(last.values(), reverse=True):
        check = NotebookFigures.from_parent(items[i].parent, name="exported figures")
        items.insert(i + 1, check)
    for item in items:
        if _is_notebook_item(item):
            item.add_marker(pytest.mark.notebook)


def _nbval_output(config: pytest.Config) -> Path:
    """The output root of the notebooks nbval executes in this process."""
    return config._tmp_path_factory.getbasetemp() / "nbval-output"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    """Start nbval's kernel with this worker's output root; empty its figure folder before a
    notebook's first cell so that the check after it sees that notebook's figures only. The
    analysis datasets the repository holds are copied in first: ``load_study`` reuses them
    when they are current and rebuilds them otherwise."""
    if (
        not _is_notebook_item(item)
        or isinstance(item, NotebookFigures)
        or getattr(item.parent, "entry", None) is not None
    ):
        yield
        return
    from sle_car.paths import repo_root

    repo_derived = repo_root() / "data" / "derived" / "synthetic"
    out = _nbval_output(item.config)
    first = item.parent is not getattr(item.config, "_nbval_parent", None)
    if first:
        item.config._nbval_parent = item.parent
        shutil.rmtree(out / "reports" / "figures", ignore_errors=True)
        seeded = out / "data" / "derived" / "synthetic"
        if not seeded.exists() and repo_derived.is_dir():
            shutil.copytree(repo_derived, seeded)
    saved = os.environ.get("SLE_CAR_OUTPUT")
    os.environ["SLE_CAR_OUTPUT"] = str(out)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SLE_CAR_OUTPUT", None)
        else:
            os.environ["SLE_CAR_OUTPUT"] = saved
