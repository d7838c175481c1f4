"""The Quarto website, checked without the quarto binary (render tests skip without it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import sle_car
from sle_car.paths import repo_root
from sle_car.site import release, site_variables

ROOT = repo_root()
QUARTO = shutil.which("quarto")


def _config() -> dict:
    return yaml.safe_load((ROOT / "_quarto.yml").read_text())


@pytest.mark.parametrize(
    "name",
    [
        "_quarto.yml",
        "_quarto-simulated.yml",
        "_quarto-real.yml",
        "_variables.yml",
        "environment.yml",
        "CITATION.cff",
    ],
)
def test_yaml_parses(name: str) -> None:
    assert isinstance(yaml.safe_load((ROOT / name).read_text()), dict)


def test_every_page_and_notebook_in_the_site_exists() -> None:
    cfg = _config()
    render = cfg["project"]["render"]
    for item in render:
        assert (ROOT / item).is_file(), item
    notebooks = sorted(
        p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
    )
    assert [r for r in render if r.endswith(".ipynb")] == notebooks

    def hrefs(contents: list) -> list[str]:
        out = []
        for c in contents:
            if isinstance(c, str):
                out.append(c)
            elif "contents" in c:
                out += hrefs(c["contents"])
            else:
                out.append(c["href"])
        return out

    assert sorted(hrefs(cfg["website"]["sidebar"]["contents"])) == sorted(render)


def _labelled_cells() -> dict[tuple[str, str], dict]:
    cells = {}
    for nb in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"):
        for c in json.loads(nb.read_text())["cells"]:
            m = re.search(r"^#\| label: ([\w-]+)", "".join(c["source"]), re.M)
            if m:
                cells[(f"notebooks/{nb.name}", m.group(1))] = c
    return cells


def test_every_embed_resolves_to_a_labelled_cell_with_output() -> None:
    cells = _labelled_cells()
    embeds = []
    for page in ROOT.glob("*.qmd"):
        embeds += re.findall(r"\{\{< embed ([^#\s]+)#([\w-]+) >\}\}", page.read_text())
    assert len(embeds) >= 8
    for path, label in embeds:
        assert (path, label) in cells, f"{path}#{label} is not a labelled cell"
        assert cells[(path, label)]["outputs"], f"{path}#{label} has no stored output"


PAPER_ORDER = [
    ("Patients and product", ["tbl-baseline", "fig-flow", "tbl-product"]),
    ("Efficacy", ["tbl-endpoints-by-visit", "tbl-scores-by-visit", "tbl-remission-duration"]),
    ("Safety", ["tbl-ae-grade", "tbl-crs-icans", "tbl-aesi"]),
    (
        "Immunology",
        [
            "tbl-bcell-aplasia",
            "tbl-bcell-reconstitution",
            "fig-autoantibodies",
            "tbl-serologic-remission",
        ],
    ),
    ("Organ function", ["fig-renal"]),
    ("Quality of life", ["fig-facit", "tbl-facit-mid"]),
    ("Comparison with published cohorts", ["tbl-published", "fig-forest"]),
]
"""Issue #18: the manuscript page embeds the key tables and figures in the paper's order."""


def test_manuscript_embeds_the_key_outputs_in_paper_order() -> None:
    text = (ROOT / "manuscript.qmd").read_text()
    sections = re.findall(r"^## (.+)$", text, re.M)
    assert sections == [name for name, _ in PAPER_ORDER]
    embedded = re.findall(r"\{\{< embed [^#\s]+#([\w-]+) >\}\}", text)
    wanted = [label for _, labels in PAPER_ORDER for label in labels]
    missing = [label for label in wanted if label not in embedded]
    assert not missing, f"manuscript.qmd does not embed {missing}"
    positions = [embedded.index(label) for label in wanted]
    assert positions == sorted(positions), "manuscript embeds are not in paper order"


def test_labels_are_unique_across_notebooks() -> None:
    labels = [label for _, label in _labelled_cells()]
    assert len(labels) == len(set(labels))


def test_version_shown_equals_package_version() -> None:
    variables = yaml.safe_load((ROOT / "_variables.yml").read_text())
    assert variables["version"] == sle_car.__version__
    assert variables == site_variables(), (
        "run `sle-car site` (make report) to refresh _variables.yml"
    )
    footer = _config()["website"]["page-footer"]["left"]
    assert "{{< var version >}}" in footer and "{{< var data_cut >}}" in footer


def test_includes_resolve() -> None:
    """Quarto resolves an include relative to the including page's directory."""
    pages = [p for p in ROOT.rglob("*.qmd") if ".venv" not in p.parts and "_site" not in p.parts]
    found = 0
    for page in pages:
        for inc in re.findall(r"\{\{< include ([^\s]+) >\}\}", page.read_text()):
            found += 1
            assert (page.parent / inc).is_file(), f"{page.relative_to(ROOT)} includes missing {inc}"
    assert found >= 3  # changelog, versions, analysis options


def test_generated_site_pages_are_current() -> None:
    from sle_car.derive.options import options_markdown
    from sle_car.site import schedule_markdown

    for name, text in (
        ("analysis-options.md", options_markdown()),
        ("schedule.md", schedule_markdown()),
    ):
        assert (ROOT / "reports" / name).read_text(encoding="utf-8") == text, (
            f"reports/{name} is out of date: run `sle-car site` (make report)"
        )


def test_real_profile_writes_outside_the_repository() -> None:
    real = yaml.safe_load((ROOT / "_quarto-real.yml").read_text())
    assert real["project"]["output-dir"].startswith("../")


def test_release_records_version_and_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sle_car import site

    reports = tmp_path / "reports"
    (reports / "figures").mkdir(parents=True)
    (reports / "figures" / "fig-x.png").write_bytes(b"png")
    monkeypatch.setattr(site, "reports_dir", lambda: reports)
    monkeypatch.setattr(site, "quarto_available", lambda: False)
    target = release("0.1.0")
    release("0.2.0")
    assert (target / "figures" / "fig-x.png").read_bytes() == b"png"
    versions = json.loads((reports / "releases" / "versions.json").read_text())
    assert [v["version"] for v in versions] == ["0.1.0", "0.2.0"]
    index = (reports / "releases" / "index.md").read_text()
    assert index.index("0.2.0") < index.index("0.1.0")  # newest first


@pytest.mark.quarto
@pytest.mark.skipif(
    QUARTO is None, reason="the quarto binary is not on PATH (install Quarto to run render tests)"
)
def test_quarto_renders_pages_with_figures_and_version(tmp_path: Path) -> None:
    out = tmp_path / "site"
    subprocess.run(["quarto", "render", "--output-dir", str(out)], cwd=ROOT, check=True)
    manuscript = (out / "manuscript.html").read_text()
    assert manuscript.count("<img") >= 6
    for page in ("index.html", "manuscript.html", "notebooks/04_efficacy.html"):
        assert f"sle-car {sle_car.__version__}" in (out / page).read_text()
