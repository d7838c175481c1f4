"""nbval's checks of a committed notebook against an execution that already exists (issue #19).

``make test`` compares every committed notebook's outputs with an execution of it. When the
notebook cache of ``make report`` holds an execution under the key the notebook has NOW (same
notebook input, data, published derived data, code, options, software and environment:
:func:`sle_car.notebook_cache.report_keys`), executing again would give those outputs byte for
byte (tests/test_reproducibility.py), so the root ``conftest.py`` compares with the cached one
instead. The checks are nbval's own, run on the cached outputs instead of a kernel's: a cell
that raised (unless tagged ``raises-exception``) fails, a reference cell that was not run must
have no outputs, and :meth:`nbval.plugin.IPyNbCell.compare_outputs` compares the outputs with
the same sanitisers (``tests/nbval_sanitize.cfg``) and the same keys skipped (images unless
``--nbdime``: the "exported figures" item compares the figure files).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from pathlib import Path

from nbval.plugin import IPyNbCell, IPyNbFile, coalesce_streams, get_sanitize_patterns, nocolors

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")


class CellMismatch(Exception):
    """One cell fails nbval's checks against the cached execution."""

    def __init__(self, message: str, detail: str = "") -> None:
        self.message, self.detail = message, detail
        super().__init__(f"{message}\n{detail}".strip())


class Comparer:
    """The part of an nbval cell item its output comparison uses (nbval's own methods)."""

    colors = nocolors
    sanitize = IPyNbCell.sanitize
    compare_outputs = IPyNbCell.compare_outputs
    format_output_compare = IPyNbCell.format_output_compare

    config = None

    class ihook:  # outside pytest: nbval's own fallback description of a difference
        @staticmethod
        def pytest_assertrepr_compare(**_) -> list:
            return []

    def __init__(self, parent) -> None:
        self.parent = parent  # sanitize_patterns, skip_compare


def skip_compare(nbdime: bool = False) -> tuple[str, ...]:
    """The output keys nbval does not compare (as ``IPyNbFile.__init__`` sets them)."""
    keys = (
        "metadata",
        "traceback",
        "prompt_number",
        "output_type",
        "name",
        "execution_count",
        "application/vnd.jupyter.widget-view+json",
    )
    return keys if nbdime else (*keys, "image/png", "image/jpeg")


def check_cell(comparer, cell, executed, options) -> None:
    """nbval's checks of committed ``cell`` (options: nbval's per-cell options) given the
    ``executed`` cell's outputs; raise :class:`CellMismatch` when they fail."""
    if executed is None or executed.source != cell.source:
        raise CellMismatch("the cached execution does not match this notebook's cells")
    outs = coalesce_streams(copy.deepcopy(executed.outputs))
    for out in outs:
        if out.output_type == "error" and not options["check_exception"]:
            raise CellMismatch(
                "Cell execution caused an exception", "\n".join(out.get("traceback", []))
            )
    unrun = cell.execution_count is None
    if unrun and cell.outputs:
        raise CellMismatch("Unrun reference cell has outputs")
    ref = coalesce_streams(copy.deepcopy(cell.outputs))
    if options["check"] and not unrun and not comparer.compare_outputs(outs, ref):
        raise CellMismatch(
            "Cell outputs differ from the cached execution of the same inputs",
            "\n".join(comparer.comparison_traceback),
        )


def compare_notebooks(committed: Path, executed: Path, nbdime: bool = False) -> list[str]:
    """Every failure of nbval's checks of the committed notebook against an executed copy
    (``"Cell <n>: <message>"``), outside pytest: what the cached cells of ``make test`` do."""
    from collections import defaultdict

    import nbformat
    from nbval.plugin import find_comment_markers, find_metadata_tags

    parent = type("Parent", (), {})()
    parent.sanitize_patterns = OrderedDict(get_sanitize_patterns(SANITIZE.read_text()))
    parent.skip_compare = skip_compare(nbdime)
    comparer = Comparer(parent)
    ref = [c for c in nbformat.read(committed, as_version=4).cells if c.cell_type == "code"]
    new = [c for c in nbformat.read(executed, as_version=4).cells if c.cell_type == "code"]
    failures = []
    for i, cell in enumerate(ref):
        options = defaultdict(bool, find_metadata_tags(cell.metadata))
        options.update(dict(find_comment_markers(cell.source)))
        options.setdefault("check", True)
        if options["skip"]:
            continue
        try:
            check_cell(comparer, cell, new[i] if i < len(new) else None, options)
        except CellMismatch as err:
            failures.append(f"Cell {i}: {err}")
    return failures


def nbval_classes():
    """The collector and item ``conftest.py`` puts in place of nbval's for a cached notebook."""

    class CachedNotebook(IPyNbFile):
        """A notebook whose execution under its current inputs is cached: no kernel."""

        entry: Path

        def setup(self) -> None:
            import nbformat

            self.kernel = None
            self.setup_sanitize_files()
            executed = nbformat.read(self.entry / "notebook.ipynb", as_version=4)
            self.executed_cells = [c for c in executed.cells if c.cell_type == "code"]

        def collect(self):
            for item in super().collect():
                yield CachedCell.from_parent(
                    self,
                    name=item.name,
                    cell_num=item.cell_num,
                    cell=item.cell,
                    options=item.options,
                )

        def teardown(self) -> None:
            pass

    class CachedCell(IPyNbCell):
        """nbval's checks of one cell against the cached execution (:func:`check_cell`)."""

        def runtest(self) -> None:
            import pytest

            if self.options["skip"]:
                pytest.skip()
            executed = self.parent.executed_cells
            try:
                check_cell(
                    self,
                    self.cell,
                    executed[self.cell_num] if self.cell_num < len(executed) else None,
                    self.options,
                )
            except CellMismatch as err:
                self.raise_cell_error(err.message, err.detail)

        def reportinfo(self):
            path, line, description = super().reportinfo()
            return path, line, f"{description} (cached execution)"

    return CachedNotebook, CachedCell
