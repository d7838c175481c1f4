"""The privacy guard: plant a leak of each kind and see it caught; plant the look-alikes and see
them pass; the committed outputs are clean."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from sle_car.paths import repo_root
from sle_car.privacy import check_provenance, scan_outputs, scan_text


@pytest.mark.slow  # issue 19: rescans every committed output; make report scans what it publishes
def test_committed_outputs_carry_no_identifier() -> None:
    findings = scan_outputs()
    assert findings == [], "\n".join(map(str, findings))


def test_committed_outputs_come_from_the_bundled_synthetic_data() -> None:
    assert check_provenance() == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # NRIC: dashes, spaces, none; first six digits a real yymmdd
        ("patient 850314-14-5523 admitted", "nric"),
        ("IC 850314145523", "nric"),
        ("no KP 850314 14 5523", "nric"),
        ("(000229-01-0001)", "nric"),
        ("nric=991231\u201314\u20135523", "nric"),
        ("USUBJID SLECAR01-850314145523", "nric"),
        ("file ae_850314145523.csv", "nric"),
        # numeric dates
        ("visit on 2025-03-14", "calendar_date"),
        ("visit on 2025/03/14", "calendar_date"),
        ("seen 14/03/2025", "calendar_date"),
        ("seen 14.03.2025", "calendar_date"),
        ("seen 14-03-2025", "calendar_date"),
        ("seen 4/3/2025", "calendar_date"),
        ("seen 03/14/2025", "calendar_date"),
        ("seen 14/03/25", "calendar_date"),
        ("seen 14-03-25", "calendar_date"),
        ("stamp 2025-03-14T10:31:00", "calendar_date"),
        # month names, English and Malay, full or abbreviated, either order
        ("seen 14 March 2025", "calendar_date"),
        ("seen 14 Mac 2025", "calendar_date"),
        ("seen 14 mac 2025", "calendar_date"),
        ("seen 14hb. Mac 2025", "calendar_date"),
        ("seen 1 Disember 2024", "calendar_date"),
        ("seen 14 Ogos 2025", "calendar_date"),
        ("seen 14 Ogo 2025", "calendar_date"),
        ("seen 9 Okt 2025", "calendar_date"),
        ("seen 3 Mei 2025", "calendar_date"),
        ("seen 20 Julai 2025", "calendar_date"),
        ("seen 14-MAR-2025", "calendar_date"),
        ("seen 14MAR2025", "calendar_date"),
        ("seen 14-Mar-25", "calendar_date"),
        ("seen 14 Mac 25.", "calendar_date"),
        ("seen 14th March 2025", "calendar_date"),
        ("seen March 14, 2025", "calendar_date"),
        ("seen Mar. 14, 2025", "calendar_date"),
        ("seen Mac 14 2025", "calendar_date"),
        ("seen Sept 3, 2024", "calendar_date"),
        ("seen 2025-Mar-14", "calendar_date"),
        # date of birth, record numbers
        ("DOB: 12-05-1990", "date_of_birth"),
        ("year of birth 1985", "date_of_birth"),
        ("tarikh lahir: 12 Mei 1990", "date_of_birth"),
        ("MRN 00123456", "record_number"),
        ("RN: 1234567", "record_number"),
        ("No. rekod KK123456", "record_number"),
        ("hospital no. 7654321", "record_number"),
        ("RN12345", "record_number"),
        ("MRN-123456", "record_number"),
        ("No. K/P: A1234567", "record_number"),
    ],
)
def test_each_identifier_kind_is_caught(text: str, kind: str) -> None:
    assert kind in {f.kind for f in scan_text(text, "x")}


@pytest.mark.parametrize(
    "text",
    [
        "SLECAR01-01-003 on study day 84; Day -7; D28",
        "SLEDAI-2K 4; 1.0 x 10^6 cells/kg; 20 mg; 0.5 mg/kg; 25 mg/m2",
        "creatinine 88.42 umol/L; CRP 3.14 mg/L; ratio 0.850314145523; 1e-05; 2.5e+06",
        "VISITNUM 10; visit 3; week 28; Week 12 (Mar 2025)",
        "simulator 2026.11.2; version 0.1.0; python 3.11.9; python 3.11.12",
        "recruitment 2025-2028; 12/14 responders; 1/2; 14/03",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "id a850314145523b; 1850314145523; 850314145523.5; 123456789012; 850230145523",
        "shape: (5, 12); n = 14, 3 (2025); p = 0.014; 12 mac; Mac 2025; 3 Jun 12",
        "born on study day -30; AGE 34; CRS 1 ICANS 0; icon 123456; rn 123",
        "return 12345; KPI 123456; ICANS 12345; epic 123456",
        '<svg xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><g id="p6478de1b9c"/>',
        "## [0.1.0] - 2026-11-25",
    ],
)
def test_look_alikes_are_not_identifiers(text: str) -> None:
    assert scan_text(text, "x") == []


def test_polars_and_great_tables_html_of_look_alikes_is_clean() -> None:
    import great_tables as gt
    import polars as pl

    df = pl.DataFrame(
        {
            "USUBJID": ["SLECAR01-01-001", "SLECAR01-01-002"],
            "ADY": [-7, 84],
            "AVISITN": [3, 10],
            "dose": [1.0e6, 2.5],
            "CREAT": [88.42, 0.850314145523],
            "version": ["2026.11.2", "0.1.0"],
        }
    )
    html = df._repr_html_() + gt.GT(df).tab_header("Table 2 · day 28").as_raw_html()
    assert scan_text(html, "x") == []


def test_a_finding_masks_the_identifier_and_says_where() -> None:
    (found,) = scan_text("header\nsecond line\nseen 850314-14-5523", "f.md")
    assert found.text == "85\u2026"
    assert found.location == "line 3"
    assert "850314" not in str(found) and "5523" not in str(found)
    assert str(found) == "f.md (line 3): nric: 85\u2026"


def test_nric_needs_a_real_date_of_birth() -> None:
    assert scan_text("850230-14-5523", "x") == []  # 30 February
    assert scan_text("851314-14-5523", "x") == []  # month 13
    assert {f.kind for f in scan_text("840229-14-5523", "x")} == {"nric"}  # 1984 leap year
    assert scan_text("850229-14-5523", "x") == []


def test_names_are_caught_in_any_case_spacing_and_html_escape() -> None:
    names = ["Tan Mei Ling Placeholder", "Siobhan O'Brien"]
    for text in (
        "Reviewed by tan  mei\nling PLACEHOLDER.",
        "<td>Siobhan O&#x27;Brien</td>",
        "<td>Siobhan O&#39;Brien</td>",
        "<td>Siobhan O&apos;Brien</td>",
        "Siobhan O\u2019Brien",
        "<b>Siobhan</b> O'Brien",
        "\u2502 Tan Mei Ling Pla\u2026 \u2506",  # a polars table cell cut short
    ):
        assert {f.kind for f in scan_text(text, "x", names=names)} == {"name"}, text
    assert scan_text("Siobhan O'Briens and Tan Mei Lingo Placeholders", "x", names=names) == []


def test_names_and_free_text_are_caught() -> None:
    found = scan_text(
        "Reviewed by Tan Mei Ling Placeholder. Patient said she felt much better today",
        "x",
        names=["Tan Mei Ling Placeholder"],
        free_text=["Patient said she felt much better today"],
    )
    assert {f.kind for f in found} == {"name", "free_text"}


def _copy_outputs(tmp_path: Path, folders: tuple[str, ...] = ("notebooks", "study")) -> Path:
    """A copy of the committed outputs in ``folders`` and an empty ``reports/``. Scanning the
    eight notebooks' outputs costs about 2 CPU s: a leak planted elsewhere is looked for
    without them (issue 19); the notebook leak below scans them all, so that the committed
    notebooks are scanned without a false finding in ``make test`` too."""
    root = tmp_path / "repo"
    for folder in folders:
        shutil.copytree(repo_root() / folder, root / folder)
    (root / "reports").mkdir()
    return root


def test_leak_planted_in_a_notebook_output_is_caught(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path)
    nb_path = root / "notebooks" / "02_endpoint_derivation.ipynb"
    nb = json.loads(nb_path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code" and c["outputs"])
    code["outputs"].append(
        {"output_type": "stream", "name": "stdout", "text": ["Subject 900101-10-1234\n"]}
    )
    nb_path.write_text(json.dumps(nb))
    found = scan_outputs(root)
    assert [(f.file, f.kind) for f in found] == [("notebooks/02_endpoint_derivation.ipynb", "nric")]


def test_leak_planted_in_a_figure_svg_is_caught(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path, ("study",))
    (root / "reports" / "figures").mkdir()
    (root / "reports" / "figures" / "fig.svg").write_text(
        "<svg><text>Tan Mei Ling Placeholder</text></svg>"
    )
    assert {f.kind for f in scan_outputs(root)} == {"name"}


def test_changelog_is_scanned(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path, ("study",))
    (root / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [0.1.0] - 2026-11-25\n- seen 14 Mac 2025\n"
    )
    found = scan_outputs(root)
    assert [(f.file, f.kind, f.location) for f in found] == [
        ("CHANGELOG.md", "calendar_date", "line 4")
    ]


def test_outputs_from_other_data_fail_provenance(tmp_path: Path) -> None:
    root = _copy_outputs(tmp_path)
    nb_path = root / "notebooks" / "01_data_cleaning.ipynb"
    text = nb_path.read_text()
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
    pl.DataFrame(
        {
            "AETERM": ["rash after visit to Klinik Desa", "HEADACHE ", "Rash"],
            "AEDECOD": ["Rash", "Headache", "Rash"],
        }
    ).write_csv(tmp_path / "ae2.csv")
    texts = export_free_text(tmp_path)
    assert texts == ["patient mentioned her sister works here", "rash after visit to Klinik Desa"]
    root = _copy_outputs(tmp_path, ("study",))
    (root / "reports" / "listing.md").write_text("AE: patient mentioned her sister works here")
    assert {f.kind for f in scan_outputs(root, free_text=texts)} == {"free_text"}
