"""Which data a run analyses: the one place where outputs get their data label.

Every data directory carries ``manifest.json``. The documented format, the only one a real cut
needs (``sle-car manifest DIR`` writes it)::

    {
      "files": {"dm.csv": "<sha256>", "ex.csv": "<sha256>", ...},
      "label": "UKMMC cut 1",        # optional: how pages, tables and figures name the cut
      "cut_date": "YYYY-MM-DD"       # optional: shown as month and year only
    }

A bare mapping of file name to SHA-256 is read the same way. The simulator's manifests add
``"synthetic": true`` with its generator, configuration and command; a cut is *synthetic* only
when its manifest says so, *real* otherwise. :func:`describe_cut` turns a manifest into a
:class:`Cut`, whose ``caption`` is the text every table note, figure caption and page footer
shows: "Synthetic data ..." for the simulator's cohorts, the cut's label and hash for anything
else — a real run never says "synthetic".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ManifestError(Exception):
    """The data directory has no usable manifest; the message says what to run."""


@dataclass(frozen=True)
class Cut:
    """The identity of a data cut, from its manifest."""

    kind: str
    """``"synthetic"`` (the simulator's output) or ``"real"``."""
    label: str
    """The manifest's ``label`` (for the simulator: "synthetic cohort, seed N")."""
    data_hash: str
    """First 12 characters of :func:`sle_car.io.manifest_hash` of the files as they are."""
    cut_month: str | None = None
    """``cut_date`` of the manifest as month and year ("March 2027"), or None."""
    n_patients: str = "n/a"

    @property
    def synthetic(self) -> bool:
        return self.kind == "synthetic"

    @property
    def simulated(self) -> bool:
        """The same as ``synthetic`` (notebooks use this name, so that the code a real run
        shows never contains the word)."""
        return self.synthetic

    @property
    def site_note(self) -> str:
        """The call-out on the website's home page."""
        if self.synthetic:
            return (
                "::: {.callout-important}\n**Every number on this site comes from a synthetic "
                f"cohort** ({self.label}, {self.n_patients} patients), simulated from the "
                "protocol and the published experience with CD19 CAR-T in SLE. No real patient "
                "data is in the repository.\n:::\n"
            )
        when = f"cut of {self.cut_month}; " if self.cut_month else ""
        return (
            f"::: {{.callout-warning}}\n**Confidential: results of the data cut {self.label}** "
            f"({when}data {self.data_hash}). Not for publication before the study team has "
            "reviewed them.\n:::\n"
        )

    @property
    def caption(self) -> str:
        """The data label every table, figure and page carries."""
        if self.synthetic:
            return f"Synthetic data, not patients: {self.label} (data {self.data_hash})."
        when = f"cut of {self.cut_month}; " if self.cut_month else ""
        return f"Data cut {self.label} ({when}data {self.data_hash})."


def manifest_files(manifest: object) -> dict[str, str] | None:
    """The file -> SHA-256 mapping of a manifest in either documented shape, or None when the
    manifest has neither shape."""
    if not isinstance(manifest, dict):
        return None
    files = manifest.get("files", manifest)
    if not isinstance(files, dict) or not files:
        return None
    if not all(isinstance(v, str) and _SHA256.match(v) for v in files.values()):
        return None
    return files


def _cut_month(value: object, path: Path) -> str | None:
    if value in (None, ""):
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            raise ValueError(value)
        d = date.fromisoformat(str(value))
    except ValueError:
        raise ManifestError(
            f"{path}: cut_date {value!r} is not a date written as YYYY-MM-DD; correct it or "
            "remove it"
        ) from None
    return f"{calendar.month_name[d.month]} {d.year}"


def describe_cut(data_dir: Path | str) -> Cut:
    """The :class:`Cut` of ``data_dir`` from its ``manifest.json``.

    Raises :class:`ManifestError` when there is no manifest or it is not of a documented shape,
    naming ``sle-car manifest DIR``, which writes one."""
    import json

    from sle_car.io import MANIFEST, manifest_hash

    data_dir = Path(data_dir)
    path = data_dir / MANIFEST
    how = f"write one with `sle-car manifest {data_dir}` (optionally --label and --cut-date)"
    if not path.is_file():
        raise ManifestError(f"{data_dir} has no {MANIFEST}: {how}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ManifestError(f"{path} is not valid JSON: {how}") from None
    if manifest_files(manifest) is None:
        raise ManifestError(
            f"{path} does not map file names to SHA-256 checksums (the documented format is "
            f'{{"files": {{"dm.csv": "<sha256>", ...}}, "label": ..., "cut_date": ...}}): {how}'
        )
    from sle_car.io import sha256

    files = manifest_files(manifest) or {}
    # the simulator's claim holds only for its own files, unchanged since it wrote them
    synthetic = manifest.get("synthetic") is True and all(
        (data_dir / f).is_file() and sha256(data_dir / f) == h for f, h in files.items()
    )
    if synthetic:
        seed = re.search(r"--seed (\d+)", str(manifest.get("command", "")))
        default = f"simulator seed {seed.group(1)}" if seed else "simulator output"
    else:
        default = data_dir.name
    label = str(manifest.get("label") or default)
    return Cut(
        kind="synthetic" if synthetic else "real",
        label=label,
        data_hash=manifest_hash(data_dir)[:12],
        cut_month=_cut_month(manifest.get("cut_date"), path),
        n_patients=str(manifest.get("n_patients", "n/a")),
    )


def write_manifest_for_cut(
    data_dir: Path | str, *, label: str | None = None, cut_date: str | None = None
) -> Path:
    """Write the documented ``manifest.json`` for a cut that has none: every data file's
    SHA-256, plus the optional label and cut date. Refuses to replace an existing manifest."""
    from sle_car.io import MANIFEST, write_manifest

    data_dir = Path(data_dir)
    path = data_dir / MANIFEST
    if path.exists():
        raise ManifestError(f"{path} exists already; remove it first to write a new one")
    if not data_dir.is_dir():
        raise ManifestError(f"{data_dir} is not a directory")
    extra: dict = {}
    if label:
        extra["label"] = label
    if cut_date:
        _cut_month(cut_date, path)
        extra["cut_date"] = cut_date
    manifest = write_manifest(data_dir, extra)
    if not manifest["files"]:
        path.unlink()
        raise ManifestError(f"{data_dir} holds no .csv or .parquet data file")
    return path


def current_cut() -> Cut:
    """The cut the notebooks analyse (``SLE_CAR_DATA``, else the bundled synthetic cohort)."""
    from sle_car.paths import study_data_dir

    return describe_cut(study_data_dir())


def screening_log(data_dir: Path | str) -> dict | None:
    """The screening-log counts of a cut (issue #18 flow), or None when not collected.

    Screened patients who were never enrolled are not subjects of the analysis (no DM or DS
    rows, so ADSL and every derived dataset of the enrolled patients stay as they are). Their
    number comes from the screening log and is carried in the cut's ``manifest.json``::

        "screening": {"screened": 7, "not_enrolled": {"SCREEN FAILURE": 2},
                      "source": "screening log"}

    ``screened`` counts every patient screened, the enrolled included; ``not_enrolled`` maps
    a CDISC NCOMPLT reason (:data:`data_schemas.codelists.SCREENING_REASONS`) to a count.
    Returns ``{"screened": int, "not_enrolled": {reason: int}, "source": str}``; a block of
    another shape raises :class:`ManifestError` naming the key and what to write."""
    import json

    from data_schemas.codelists import SCREENING_REASONS
    from sle_car.io import MANIFEST

    path = Path(data_dir) / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ManifestError(f"{path} is not valid JSON; regenerate it") from None
    block = manifest.get("screening") if isinstance(manifest, dict) else None
    if block is None:
        return None
    shape = (
        '{"screened": <count>, "not_enrolled": {"<NCOMPLT reason>": <count>, ...}, '
        '"source": "screening log"}'
    )

    def bad(what: str) -> ManifestError:
        return ManifestError(f"{path}: 'screening' {what}; write it as {shape} or remove it")

    if not isinstance(block, dict):
        raise bad("is not an object")
    screened = block.get("screened")
    if not isinstance(screened, int) or isinstance(screened, bool) or screened < 0:
        raise bad(f"'screened' is {screened!r}, not a count (a whole number >= 0)")
    not_enrolled = block.get("not_enrolled", {})
    if not isinstance(not_enrolled, dict):
        raise bad("'not_enrolled' is not an object of reason: count")
    for reason, n in not_enrolled.items():
        if reason not in SCREENING_REASONS:
            raise bad(
                f"'not_enrolled' reason {reason!r} is not one of {', '.join(SCREENING_REASONS)}"
            )
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise bad(f"'not_enrolled' count of {reason!r} is {n!r}, not a whole number >= 0")
    if sum(not_enrolled.values()) > screened:
        raise bad(
            f"counts {sum(not_enrolled.values())} patients not enrolled of {screened} screened"
        )
    return {
        "screened": screened,
        "not_enrolled": dict(not_enrolled),
        "source": str(block.get("source", "screening log")),
    }
