"""Test set-up for the whole repository (nbval's notebooks and ``tests/``): what lets
``make test`` run on every core (pytest-xdist, ``-n``) without two processes writing
the same file:

- the notebooks nbval re-executes write their derived data and figures into the worker's own
  output root (``SLE_CAR_OUTPUT`` = ``<worker's pytest temp>/nbval-output``), never into the
  repository; the item "exported figures" after each notebook's last cell checks that every
  figure the notebook exported is byte for byte the committed one (``reports/figures/
  SHA256SUMS``) and that every labelled figure was exported;
- the pipeline's notebook cache (``SLE_CAR_NOTEBOOK_CACHE``) is a temporary folder of the
  session: tests never read or fill the user's cache.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


def _is_notebook_item(item: pytest.Item) -> bool:
    return item.nodeid.split("::")[0].endswith(".ipynb")


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """A notebook cache of this session only (each xdist worker its own)."""
    factory = getattr(config, "_tmp_path_factory", None)
    if factory is not None and "SLE_CAR_NOTEBOOK_CACHE" not in os.environ:
        os.environ["SLE_CAR_NOTEBOOK_CACHE"] = str(factory.mktemp("notebook-cache"))


class NotebookFigures(pytest.Item):
    """After a notebook's cells: the figures it exported are the committed ones."""

    def runtest(self) -> None:
        from sle_car.figures import file_sha256
        from sle_car.paths import repo_root

        notebook = Path(str(self.parent.path))
        labels = re.findall(r"#\| label: (fig-[\w-]+)", notebook.read_text(encoding="utf-8"))
        exported = _nbval_output(self.config) / "reports" / "figures"
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
    if not _is_notebook_item(item) or isinstance(item, NotebookFigures):
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
