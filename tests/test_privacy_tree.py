"""The guard on a whole folder (a real run's OUT): each kind of identifier planted in each kind
of output is caught and located; the names file; ``sle-car privacy-check PATH``."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import polars as pl
import pytest

from sle_car.cli import main
from sle_car.privacy import (
    NamesFileError,
    load_names,
    parse_names,
    png_text_chunks,
    scan_tree,
    unscanned_files,
)

NAMES = ["Tan Mei Ling Placeholder", "Siobhan O'Brien"]
PLANTS = {
    "nric": "subject 850314 14 5523",
    "calendar_date": "event on 14 Mac 2025",
    "date_of_birth": "DOB 1990",
    "record_number": "MRN 00123456",
    "name": "seen by Tan Mei Ling Placeholder",
}


def _png(**chunks: str) -> bytes:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in chunks.items():
        kind, _, name = key.partition("_")
        if kind == "t":
            info.add_text(name, value)
        elif kind == "z":
            info.add_text(name, value, zip=True)
        else:
            info.add_itxt(name, value, lang="ms", tkey="", zip=True)
    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(outputs: list[dict], source: str = "x = 1") -> dict:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "metadata": {},
        "source": [source],
        "outputs": outputs,
    }


def _scan(tmp_path: Path) -> list[tuple[str, str, str]]:
    return [(f.file, f.kind, f.location) for f in scan_tree(tmp_path, names=NAMES)]


@pytest.mark.parametrize("kind", sorted(PLANTS))
@pytest.mark.parametrize(
    ("place", "where"),
    [
        ("stream", "cell 2 output 1 stdout"),
        ("error", "cell 2 output 1 error"),
        ("text/plain", "cell 2 output 1 text/plain"),
        ("text/html", "cell 2 output 1 text/html"),
        ("text/markdown", "cell 2 output 1 text/markdown"),
        ("image/svg+xml", "cell 2 output 1 image/svg+xml"),
        ("image/png", "cell 2 output 1 image/png PNG tEXt chunk 'Comment'"),
        ("markdown cell", "cell 2 markdown source"),
        ("code cell", "cell 2 code source"),
    ],
)
def test_each_identifier_in_each_notebook_place_is_caught(
    tmp_path: Path, kind: str, place: str, where: str
) -> None:
    text = PLANTS[kind]
    if place == "stream":
        cell = _code([{"output_type": "stream", "name": "stdout", "text": [text]}])
    elif place == "error":
        tb = [f"\x1b[0;31mValueError\x1b[0m: bad value {text!r}"]
        cell = _code(
            [{"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": tb}]
        )
    elif place == "image/png":
        png = base64.b64encode(_png(t_Comment=text)).decode()
        cell = _code([{"output_type": "display_data", "data": {place: png}, "metadata": {}}])
    elif place == "markdown cell":
        cell = {"cell_type": "markdown", "metadata": {}, "source": [f"Note: {text}"]}
    elif place == "code cell":
        cell = _code([], source=f"# {text}\nx = 1")
    else:
        body = f"<svg><text>{text}</text></svg>" if "svg" in place else text
        cell = _code([{"output_type": "execute_result", "data": {place: [body]}, "metadata": {}}])
    clean = {"cell_type": "markdown", "metadata": {}, "source": ["Day 28, dose 1.0 x 10^6/kg"]}
    (tmp_path / "03_safety.ipynb").write_text(json.dumps(_notebook([clean, cell])))
    found = _scan(tmp_path)
    assert {(f, k) for f, k, _ in found} == {("03_safety.ipynb", kind)}
    assert all(loc.startswith(where) for _, _, loc in found), found


@pytest.mark.parametrize("kind", sorted(PLANTS))
@pytest.mark.parametrize(
    "name", ["page.md", "page.qmd", "_variables.yml", "t.csv", "t.json", "t.txt", "t.html", "f.svg"]
)
def test_each_identifier_in_each_text_file_is_caught(tmp_path: Path, kind: str, name: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / name).write_text(f"study day 28\nweek 12\n{PLANTS[kind]}\n")
    assert _scan(tmp_path) == [(f"sub/{name}", kind, "line 3")]


def test_file_names_are_scanned(tmp_path: Path) -> None:
    (tmp_path / "Tan Mei Ling Placeholder").mkdir()
    (tmp_path / "Tan Mei Ling Placeholder" / "notes.txt").write_text("study day 28\n")
    assert _scan(tmp_path) == [("Tan Mei Ling Placeholder/notes.txt", "name", "file name")]


def test_json_unicode_escapes_are_decoded(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps({"who": "Siobhan O\u2019Brien"}))
    assert "\\u2019" in (tmp_path / "t.json").read_text()
    assert [k for _, k, _ in _scan(tmp_path)] == ["name"]


@pytest.mark.parametrize("chunk", ["t_Author", "z_Description", "i_Title"])
def test_png_text_chunks_are_caught(tmp_path: Path, chunk: str) -> None:
    (tmp_path / "fig.png").write_bytes(_png(**{chunk: "Tan Mei Ling Placeholder", "t_x": "v1"}))
    kind = {"t": "tEXt", "z": "zTXt", "i": "iTXt"}[chunk[0]]
    assert _scan(tmp_path) == [("fig.png", "name", f"PNG {kind} chunk '{chunk[2:]}'")]


def test_png_chunks_are_read_and_a_corrupt_png_is_a_finding(tmp_path: Path) -> None:
    chunks = png_text_chunks(_png(t_Software="matplotlib 3.9.2", z_Date="2025-03-14"))
    assert chunks == [
        ("PNG tEXt chunk 'Software'", "matplotlib 3.9.2"),
        ("PNG zTXt chunk 'Date'", "2025-03-14"),
    ]
    (tmp_path / "bad.png").write_bytes(b"not a png")
    assert [k for _, k, _ in _scan(tmp_path)] == ["unreadable"]


def test_parquet_string_columns_are_caught(tmp_path: Path) -> None:
    pl.DataFrame(
        {
            "USUBJID": ["SLECAR01-01-001", "SLECAR01-01-002", "SLECAR01-01-003"],
            "AETERM": ["Headache", "Fever", "fever since 14.03.2025"],
            "AESTDY": [3, 28, 84],
        }
    ).write_parquet(tmp_path / "adae.parquet")
    assert _scan(tmp_path) == [("adae.parquet", "calendar_date", "column AETERM row 3")]


def test_clean_folder_scans_clean_and_unread_types_are_listed(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("Day 28; SLEDAI-2K 4; 20 mg; version 2026.11.2\n")
    (tmp_path / "fig.png").write_bytes(_png(t_Software="matplotlib 3.9.2"))
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    assert scan_tree(tmp_path, names=NAMES) == []
    assert unscanned_files(tmp_path) == [tmp_path / "report.pdf"]


def test_checkpoints_are_scanned_but_site_libs_are_not(tmp_path: Path) -> None:
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "n.txt").write_text("MRN 00123456")
    (tmp_path / "site_libs").mkdir()
    (tmp_path / "site_libs" / "lib.txt").write_text("released 2021-01-01")
    assert [f for f, _, _ in _scan(tmp_path)] == [".ipynb_checkpoints/n.txt"]


# --- names file -----------------------------------------------------------------------------


def test_names_file_one_per_line_with_comments() -> None:
    text = "# staff and patients\nTan Mei Ling Placeholder\n\n  Siobhan O'Brien   # ward 3\n"
    assert parse_names(text) == ["Tan Mei Ling Placeholder", "Siobhan O'Brien"]


def test_names_file_old_yaml_form_still_read() -> None:
    text = "# old form\nnames:\n  - Nur Aisyah Binti Placeholder\n  - 'Siobhan O''Brien'\n"
    assert parse_names(text)[0] == "Nur Aisyah Binti Placeholder"
    assert len(parse_names(text)) == 2


def test_bundled_names_file_is_read() -> None:
    assert load_names() == ["Nur Aisyah Binti Placeholder", "Tan Mei Ling Placeholder"]


def test_missing_or_unreadable_names_file_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLE_CAR_NAMES_FILE", str(tmp_path / "missing.txt"))
    with pytest.raises(NamesFileError, match=r"missing\.txt"):
        load_names()
    with pytest.raises(NamesFileError):
        scan_tree(tmp_path)
    binary = tmp_path / "names.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    monkeypatch.setenv("SLE_CAR_NAMES_FILE", str(binary))
    with pytest.raises(NamesFileError, match="cannot be read"):
        load_names()


def test_names_file_from_the_variable_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = tmp_path / "names.txt"
    names.write_text("# real list\nSiobhan O'Brien\n")
    monkeypatch.setenv("SLE_CAR_NAMES_FILE", str(names))
    out = tmp_path / "out"
    out.mkdir()
    (out / "t.html").write_text("<td>Siobhan O&#x27;Brien</td>")
    assert [(f.file, f.kind) for f in scan_tree(out)] == [("t.html", "name")]


# --- the command ----------------------------------------------------------------------------


def test_cli_scans_a_folder_and_exits_1_without_echoing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "t.md").write_text("ok\nsubject 850314-14-5523\n")
    assert main(["privacy-check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "t.md (line 2): nric: 85\u2026" in out
    assert "850314" not in out
    (tmp_path / "t.md").write_text("study day 28\n")
    assert main(["privacy-check", str(tmp_path)]) == 0


def test_cli_exits_2_on_a_missing_names_file_or_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["privacy-check", str(tmp_path / "nope")]) == 2
    monkeypatch.setenv("SLE_CAR_NAMES_FILE", str(tmp_path / "missing.txt"))
    assert main(["privacy-check", str(tmp_path)]) == 2
    assert "missing.txt" in capsys.readouterr().err


def test_a_big_file_is_narrowed_without_missing_anything(tmp_path: Path) -> None:
    row = "SLECAR01,LB,SLECAR01-01-0001,CREAT,88.42,umol/L,0.850314145523,10,WEEK 12\n"
    body = row * 20_000
    assert len(body) > 1_000_000
    planted = (
        "SLECAR01,LB,x,seen 14 Mac 2025,Tan Mei\n"
        "Ling Placeholder,ae_2025-03-14,DOB 1990,MRN 00123456,850314 14 5523\n"
    )
    (tmp_path / "lb.csv").write_text(body + planted + body)
    found = _scan(tmp_path)
    assert {(k, loc) for _, k, loc in found} == {
        ("calendar_date", "line 20001"),
        ("name", "line 20001"),
        ("calendar_date", "line 20002"),
        ("date_of_birth", "line 20002"),
        ("record_number", "line 20002"),
        ("nric", "line 20002"),
    }


def test_record_number_without_space_is_found_in_a_big_file(tmp_path: Path) -> None:
    row = "SLECAR01,LB,SLECAR01-01-0001,CREAT,88.42,umol/L,10,WEEK 12\n"
    (tmp_path / "lb.csv").write_text(row * 20_000 + "x,RN12345\n")
    assert _scan(tmp_path) == [("lb.csv", "record_number", "line 20001")]


def test_scan_run_looks_for_the_exports_free_text(tmp_path: Path) -> None:
    from sle_car.privacy import scan_run

    data, out = tmp_path / "cut", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    pl.DataFrame(
        {"AETERM": ["rash after the kenduri at Kampung Baru"], "AEDECOD": ["Rash"]}
    ).write_csv(data / "ae.csv")
    (out / "03_safety.ipynb").write_text(
        json.dumps(
            _notebook(
                [
                    _code(
                        [
                            {
                                "output_type": "execute_result",
                                "data": {
                                    "text/html": ["<td>rash after the kenduri at Kampung Baru</td>"]
                                },
                                "metadata": {},
                            }
                        ]
                    )
                ]
            )
        )
    )
    found = scan_run(out, data)
    assert [(f.file, f.kind, f.location) for f in found] == [
        ("03_safety.ipynb", "free_text", "cell 1 output 1 text/html")
    ]
    assert scan_run(out) == []


def test_cli_looks_for_the_exports_free_text(tmp_path: Path) -> None:
    data, out = tmp_path / "cut", tmp_path / "out"
    data.mkdir()
    out.mkdir()
    pl.DataFrame({"AECOMMENT": ["her sister is a nurse on ward 5"]}).write_csv(data / "ae.csv")
    (out / "t.md").write_text("note: her sister is a nurse on ward 5\n")
    assert main(["privacy-check", str(out)]) == 0
    assert main(["privacy-check", str(out), "--data", str(data)]) == 1
