"""Static checks of the committed notebooks (nbval, run by `make test`, compares their outputs
with an execution of them, a new one or make report's cached one under the same key, and
conftest.py checks the figures they export; these tests check what nbval does not)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from sle_car.figures import file_sha256
from sle_car.paths import notebooks_dir, repo_root, reports_dir

NOTEBOOKS = sorted(notebooks_dir().glob("[0-9][0-9]_*.ipynb"))


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def test_the_numbered_notebooks_exist_in_order() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05", "06", "07", "08"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_fully_executed_in_order_without_errors(path: Path) -> None:
    counts = [c["execution_count"] for c in _code_cells(path)]
    assert None not in counts, "a code cell was not executed: run `make report`"
    assert counts == list(range(1, len(counts) + 1)), f"cells executed out of order: {counts}"
    for c in _code_cells(path):
        assert not any(o["output_type"] == "error" for o in c["outputs"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_absolute_path_of_the_machine_in_outputs(path: Path) -> None:
    text = json.dumps([c["outputs"] for c in _code_cells(path)])
    for needle in (str(repo_root()), "/tmp/", "/root/", "/home/"):
        assert needle not in text, f"{needle} appears in the outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_opens_with_a_header_saying_what_it_reads_and_produces(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    first = "".join(nb["cells"][0]["source"])
    assert first.startswith("# ") and "**Reads**" in first and "**Produces**" in first
    assert nb["metadata"]["kernelspec"]["name"] == "sle-car"


def _figure_cells() -> list[tuple[Path, str, dict]]:
    out = []
    for path in NOTEBOOKS:
        for c in _code_cells(path):
            m = re.search(r"^#\| label: (fig-[\w-]+)", "".join(c["source"]), re.M)
            if m:
                out.append((path, m.group(1), c))
    return out


def test_figure_cells_are_labelled_captioned_and_unique() -> None:
    cells = _figure_cells()
    labels = [label for _, label, _ in cells]
    assert len(labels) == len(set(labels)) >= 9
    for path, label, c in cells:
        src = "".join(c["source"])
        assert "#| fig-cap:" in src and "#| fig-alt:" in src, f"{path.name}:{label}"


def test_stored_figure_outputs_are_the_exported_files() -> None:
    """The PNG a notebook shows is byte for byte the file in reports/figures."""
    for path, label, c in _figure_cells():
        pngs = [o["data"]["image/png"] for o in c["outputs"] if "image/png" in o.get("data", {})]
        assert len(pngs) == 1, f"{path.name}:{label} shows no single PNG"
        exported = reports_dir() / "figures" / f"{label}.png"
        assert base64.b64decode(pngs[0]) == exported.read_bytes(), label


def test_exported_figures_match_their_recorded_hashes() -> None:
    """reports/figures/SHA256SUMS is written by `make report` and agrees with the committed
    figures. (In `make test` nbval re-executes the notebooks into each worker's own output
    root; the "exported figures" item after each notebook, conftest.py, compares what they
    exported with these sums, so a figure whose pixels changed fails there.)"""
    sums = (reports_dir() / "figures" / "SHA256SUMS").read_text().split("\n")
    recorded = dict(reversed(line.split("  ")) for line in sums if line)
    files = sorted(
        p.name for p in (reports_dir() / "figures").iterdir() if p.suffix in {".png", ".svg"}
    )
    assert sorted(recorded) == files
    for name, digest in recorded.items():
        assert file_sha256(reports_dir() / "figures" / name) == digest, name
