"""Privacy guard: no patient identifier may reach a committed notebook output, figure, table
or page, and committed outputs must come from the bundled synthetic data.

``scan_outputs()`` looks in notebook outputs, ``reports/`` (tables, listings, pages, SVG
text) and the site sources for

- Malaysian NRIC/MyKad numbers (``YYMMDD-PB-###G``, with or without dashes);
- calendar dates (ISO ``2025-03-14``, ``14/03/2025``, ``14 Mar 2025``): the study uses study days;
- dates of birth (a date next to "DOB" / "date of birth" / "born");
- hospital record numbers (``MRN``/``RN`` followed by digits);
- names from a configurable list (``sle_car/config/privacy.yaml`` or ``SLE_CAR_NAMES_FILE``);
- free text of the raw export's comment fields (configured column names).

and ``check_provenance()`` checks that the data manifest hash printed in the committed notebooks
is the bundled synthetic cohort's. The test suite runs both; ``sle-car privacy-check`` (also a
pre-commit hook, ``.pre-commit-config.yaml``) exits 1 on any finding.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

PATTERNS = {
    "nric": re.compile(r"\b\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])-?\d{2}-?\d{4}\b"),
    "calendar_date": re.compile(
        r"\b(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b"
        r"|\b(0?[1-9]|[12]\d|3[01])/(0?[1-9]|1[0-2])/(19|20)\d{2}\b"
        r"|\b(0?[1-9]|[12]\d|3[01]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (19|20)\d{2}\b"
    ),
    "date_of_birth": re.compile(r"(?i)\b(dob|date of birth|born)\b\W{0,3}(on\s+)?\d{1,4}[-/. ]\w+"),
    "record_number": re.compile(r"(?i)\b(MRN|RN|hospital no\.?)\s*[:#]?\s*\d{5,}\b"),
}
"""Identifier patterns. Calendar dates are identifying in this study: collected data carries
study days only."""


@dataclass(frozen=True)
class Finding:
    file: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.text!r}"


def _config() -> dict:
    from sle_car.paths import repo_root

    path = Path(
        os.environ.get("SLE_CAR_NAMES_FILE", repo_root() / "sle_car" / "config" / "privacy.yaml")
    )
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}


def scan_text(
    text: str, source: str, names: list[str] | None = None, free_text: list[str] | None = None
) -> list[Finding]:
    """Every identifier found in ``text`` (``source`` names where it came from)."""
    found = [
        Finding(source, kind, m.group(0))
        for kind, rx in PATTERNS.items()
        for m in rx.finditer(text)
    ]
    for name in names or []:
        for m in re.finditer(rf"(?i)\b{re.escape(name)}\b", text):
            found.append(Finding(source, "name", m.group(0)))
    for snippet in free_text or []:
        if len(snippet) >= 12 and snippet in text:
            found.append(Finding(source, "free_text", snippet[:40]))
    return found


def _notebook_output_text(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    parts = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            parts.append("".join(out.get("text", "")))
            for mime, data in out.get("data", {}).items():
                if mime.startswith("text/") or mime == "image/svg+xml":
                    parts.append("".join(data) if isinstance(data, list) else str(data))
    return "\n".join(parts)


def output_files(root: Path) -> list[Path]:
    """Committed outputs: notebooks, reports (figures' SVG text, tables, pages), site sources."""
    files = sorted((root / "notebooks").glob("*.ipynb"))
    for pattern in ("*.md", "*.csv", "*.svg", "*.html", "*.json", "*.yml"):
        files += sorted((root / "reports").rglob(pattern))
    files += sorted(root.glob("*.qmd")) + sorted((root / "study").glob("*.qmd"))
    return [f for f in files if "site" not in f.relative_to(root).parts]


COMMENT_COLUMNS = re.compile(r"(?i)(COMMENT|COVAL|FREETEXT|NOTES?)")


def export_free_text(data_dir: Path) -> list[str]:
    """Free-text values (12 characters or more) of the comment columns of a raw export: they
    must never appear in an output."""
    import polars as pl

    texts: list[str] = []
    for p in sorted(Path(data_dir).glob("*.csv")):
        df = pl.read_csv(p, infer_schema=False)
        for col in [c for c in df.columns if COMMENT_COLUMNS.search(c)]:
            texts += [v for v in df[col].drop_nulls().unique().to_list() if len(v) >= 12]
    return texts


def scan_outputs(root: Path | None = None, free_text: list[str] | None = None) -> list[Finding]:
    """Scan every committed output under ``root`` (default: the repository); ``free_text``
    defaults to the comment fields of the study data (``SLE_CAR_DATA`` or the bundled cohort)."""
    from sle_car.paths import repo_root, study_data_dir

    root = root or repo_root()
    if free_text is None:
        free_text = export_free_text(study_data_dir())
    names = _config().get("names", [])
    findings: list[Finding] = []
    for f in output_files(root):
        text = (
            _notebook_output_text(f)
            if f.suffix == ".ipynb"
            else f.read_text(encoding="utf-8", errors="replace")
        )
        findings += scan_text(text, f.relative_to(root).as_posix(), names, free_text)
    return findings


def check_provenance(root: Path | None = None) -> list[Finding]:
    """Committed notebook outputs must come from the bundled synthetic data: the data manifest
    hash that notebook 01 prints must be the bundled cohort's."""
    from sle_car.io import manifest_hash
    from sle_car.paths import repo_root, synthetic_dir

    root = root or repo_root()
    expected = manifest_hash(synthetic_dir())[:16]
    nb = root / "notebooks" / "01_data_cleaning.ipynb"
    text = _notebook_output_text(nb)
    m = re.search(r"data manifest hash: ([0-9a-f]{16})", text)
    if not m:
        return [
            Finding(
                nb.relative_to(root).as_posix(),
                "provenance",
                "no data manifest hash in the outputs",
            )
        ]
    if m.group(1) != expected:
        return [
            Finding(
                nb.relative_to(root).as_posix(),
                "provenance",
                f"outputs come from data {m.group(1)}, not the bundled synthetic cohort {expected}",
            )
        ]
    return []
