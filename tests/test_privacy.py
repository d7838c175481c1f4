"""The privacy guard: plant a leak of each kind and see it caught; the committed outputs are clean."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sle_car.paths import repo_root
from sle_car.privacy import check_provenance, scan_outputs, scan_text


def test_committed_outputs_carry_no_identifier() -> None:
    findings = scan_outputs()
    assert findings == [], "\n".join(map(str, findings))


def test_committed_outputs_come_from_the_bundled_synthetic_data() -> None:
    assert check_provenance() == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("patient 850314-14-5523 admitted", "nric"),
        ("IC 850314145523", "nric"),
        ("visit on 2025-03-14", "calendar_date"),
        ("seen 14/03/2025", "calendar_date"),
        ("seen 14 March 2025", "calendar_date"),
        ("DOB: 12-05-1990", "date_of_birth"),
        ("MRN 00123456", "record_number"),
    ],
)
def test_each_identifier_kind_is_caught(text: str, kind: str) -> None:
    assert kind in {f.kind for f in scan_text(text, "x")}


def test_study_days_and_codes_are_not_identifiers() -> None:
    text = "SLECAR01-01-003 on study day 84; SLEDAI-2K 4; 1.0 x 10^6 cells/kg; week 28; 2025-2028"
    assert scan_text(text, "x") == []


def test_names_and_free_text_are_caught() -> None:
    found = scan_text(
        "Reviewed by Tan Mei Ling Placeholder. Patient said she felt much better today",
        "x",
        names=["Tan Mei Ling Placeholder"],
        free_text=["Patient said she felt much better today"],
    )
    assert {f.kind for f in found} == {"name", "free_text"}


def _copy_outputs(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for folder in ("notebooks", "study"):
        shutil.copytree(repo_root() / folder, root / folder)
    (root / "reports").mkdir()
    return root


def test_leak_planted_in_a_notebook_output_is_caught(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path)
    nb_path = root / "notebooks" / "02_endpoint_derivation.ipynb"
    nb = json.loads(nb_path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and c["outputs"])
    code["outputs"].append(
        {"output_type": "stream", "name": "stdout", "text": ["IC 900101-10-1234\n"]}
    )
    nb_path.write_text(json.dumps(nb))
    found = scan_outputs(root)
    assert [(f.file, f.kind) for f in found] == [("notebooks/02_endpoint_derivation.ipynb", "nric")]


def test_leak_planted_in_a_figure_svg_is_caught(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path)
    (root / "reports" / "figures").mkdir()
    (root / "reports" / "figures" / "fig.svg").write_text(
        "<svg><text>Tan Mei Ling Placeholder</text></svg>"
    )
    assert {f.kind for f in scan_outputs(root)} == {"name"}


def test_outputs_from_other_data_fail_provenance(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path)
    nb_path = root / "notebooks" / "01_data_cleaning.ipynb"
    text = nb_path.read_text()
    import re

    nb_path.write_text(
        re.sub(r"data manifest hash: [0-9a-f]{16}", "data manifest hash: 0123456789abcdef", text)
    )
    assert check_provenance(root)[0].kind == "provenance"


def test_free_text_of_the_export_is_looked_for(tmp_path: Path) -> None:
    import polars as pl

    from sle_car.privacy import export_free_text

    pl.DataFrame(
        {"USUBJID": ["A"], "AECOMMENT": ["patient mentioned her sister works here"]}
    ).write_csv(tmp_path / "ae.csv")
    texts = export_free_text(tmp_path)
    assert texts == ["patient mentioned her sister works here"]
    root = _copy_outputs(tmp_path)
    (root / "reports" / "listing.md").write_text("AE: patient mentioned her sister works here")
    assert {f.kind for f in scan_outputs(root, free_text=texts)} == {"free_text"}
