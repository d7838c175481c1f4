"""Privacy guard: no patient identifier may reach a committed notebook output, figure, table
or page, nor anything a real-data run writes under its output folder (OUT).

What is scanned
---------------
``scan_tree(path)`` scans every file under a folder (``.git``, ``.venv``, ``__pycache__``,
``node_modules`` and Quarto's vendored ``site_libs`` excepted; hidden folders such as
``.ipynb_checkpoints`` or ``.quarto`` are scanned):

- notebooks (``.ipynb``): every cell's source (Markdown, code, raw), every output (stream,
  error name/value/traceback, and each MIME type of results and displays: text/plain,
  text/html, text/markdown, image/svg+xml, JSON ...), PNG outputs' and attachments' metadata,
  and the notebook metadata;
- text files: ``.md .qmd .yml .yaml .csv .tsv .json .txt .html .htm .svg .xml .tex .cff .log``;
- PNG files: the text chunks (``tEXt``, ``zTXt``, ``iTXt``, ``eXIf``) a plotting library or
  an image editor may write (author, title, comment, creation time);
- Parquet files: every string (or categorical) column, and the column names.

Other file types are listed as not scanned by ``unscanned_files()`` (the CLI prints them).
``scan_outputs(root)`` scans the repository's committed outputs: ``notebooks/``, ``reports/``
(without the rendered ``site/``), the site sources (``*.qmd``, ``study/``, ``*.md``
including ``CHANGELOG.md``, ``_quarto*.yml``, ``_variables.yml``).

File and folder names are scanned too. A finding names the file and the place (``cell 4 output 1 text/html line 12``, ``line 3``,
``PNG tEXt chunk 'Author'``, ``column AETERM row 17``) and shows only the first two characters
of what was found (``85…``): the report must not itself leak the identifier. Text with HTML
entities is also scanned unescaped (``O&#x27;Brien`` is ``O'Brien``), HTML/SVG also with its
tags removed, tracebacks without their colour codes, JSON with ``\\uXXXX`` escapes decoded.

What is looked for (``PATTERNS``)
---------------------------------
- ``nric``: a Malaysian NRIC/MyKad number ``YYMMDD-PB-###G``: 12 digits, written together or
  as 6-2-4 groups separated by a dash or a space, whose first six digits are a real calendar
  date (yymmdd, any century; 29 February only in a year divisible by 4). Source: National
  Registration Department (JPN) MyKad number format.
- ``calendar_date``: dates in numeric forms ``dd/mm/yyyy dd.mm.yyyy dd-mm-yyyy`` (also
  ``mm/dd/yyyy``; one or two digits for day and month), ``yyyy-mm-dd yyyy/mm/dd``; dates with
  an English or Malay month name, full or abbreviated, in either order (``14 Mac 2025``,
  ``14hb Mac 2025``, ``14-MAR-2025``, ``14MAR2025``, ``March 14, 2025``, ``2025-Mar-14``,
  ``14-Mar-25``). The study records study days only, so any calendar date is identifying.
- ``date_of_birth``: a date or a year next to "DOB", "date of birth", "born", "tarikh lahir",
  "year of birth".
- ``record_number``: a hospital record, registration or identity number (``MRN``, ``RN``,
  "hospital no", "record no", "no. rekod", "no. pendaftaran", "IC", "NRIC", "MyKad", "KP",
  "passport") followed, with or without a space, colon, ``#``, ``=`` or dash, by at least 5
  digits (optionally after up to 3 letters): ``RN12345``, ``MRN: 00123456``, ``K/P A1234567``.
- ``name``: every name of the names file, case-insensitively, as a whole word, with any
  whitespace between its words and any apostrophe form (``'`` ``’`` and their HTML escapes),
  also cut short by a table cell (8 characters or more of it followed by ``…`` or ``...``).
- ``free_text``: values (12 characters or more) of the raw export's comment columns and
  verbatim terms (AETERM, DSTERM) that differ from their coded term (``export_free_text``).

Look-alikes that must not match (tests check both directions): study days (``day 84``,
``Day -7``), doses (``1.0 x 10^6 cells/kg``, ``20 mg``), lab values (``3.14``, ``0.8503141455``),
visit numbers, version numbers (``2026.11.2``), year ranges (``2025-2028``), subject codes
(``SLECAR01-01-003``), SHA hashes, numbers inside identifiers or longer digit runs, and the
HTML that polars and great-tables write.

Names file
----------
``SLE_CAR_NAMES_FILE`` names a file outside git with one name per line; ``#`` starts a
comment; blank lines are ignored. The older YAML form (``names:`` followed by ``- name``
lines) is still read. If the variable names a file that does not exist or cannot be read, that
is an error (``NamesFileError``; ``sle-car privacy-check`` exits 2), never a silent
switch-off. Without the variable, the bundled ``sle_car/config/names.txt`` (placeholders only,
so that the guard is tested) is used.

Listings and public tables
--------------------------
- ``mask_listing(report)``: a validation listing of a real cut with the values of identifying
  and free-text columns (``free_text_columns()``, derived once from the schemas: AETERM, CMTRT,
  DSTERM) and of non-study-code USUBJIDs replaced by ``[masked]``; file, row, column and rule
  stay, so every problem can still be found and fixed.
- ``public_bands(df)``: the report option for public outputs. Per-patient tables show age in
  5-year bands (``AGE_BAND_YEARS``) and durations in whole years (DISDURY), unless the user asks
  for exact values (``exact=True`` or ``SLE_CAR_EXACT_VALUES=1``).

``check_provenance()`` checks that committed outputs come from the bundled synthetic data.
"""

from __future__ import annotations

import base64
import calendar
import html
import json
import os
import re
import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

# --- patterns -------------------------------------------------------------------------------

MONTHS_EN = (
    "January February March April May June July August September October November December "
    "Jan Feb Mar Apr May Jun Jul Aug Sep Sept Oct Nov Dec"
).split()
MONTHS_MS = (
    "Januari Februari Mac April Mei Jun Julai Ogos September Oktober November Disember "
    "Jan Feb Mac Apr Mei Jun Jul Ogo Ogos Sep Okt Nov Dis"
).split()
"""English and Malay month names and their abbreviations (Dewan Bahasa dan Pustaka)."""
_MONTH = (
    "(?:"
    + "|".join(sorted(set(MONTHS_EN + MONTHS_MS), key=lambda m: (-len(m), m)))
    + r")\.?(?![^\W\d_])"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th|hb)?\.?"
_YEAR = r"(?:19|20)\d{2}"
_SEP = r"[\s,./-]{1,3}"
_DD = r"(?:0?[1-9]|[12]\d|3[01])"
_MM = r"(?:0?[1-9]|1[0-2])"

_DATE = (
    # numeric: dd/mm/yyyy dd.mm.yyyy dd-mm-yyyy (and mm/dd/yyyy): the same separator twice
    rf"(?<![0-9A-Za-z.]){_DD}([./-]){_DD}\1{_YEAR}(?!\d|\.\d)"
    # numeric with a two-digit year: dd/mm/yy dd-mm-yy (not with dots: 3.11.12 is a version)
    rf"|(?<![\w.]){_DD}([/-]){_DD}\2\d{{2}}(?![\w.]|[/-]\d)"
    # numeric: yyyy-mm-dd yyyy/mm/dd (a time may follow: 2025-03-14T10:00)
    rf"|(?<![0-9A-Za-z.]){_YEAR}([/-]){_MM}\3{_DD}(?!\d|\.\d)"
    # day month year: 14 Mac 2025, 14hb. Mac 2025, 14-MAR-2025, 14MAR2025, 14 March, 2025
    rf"|(?<![\w.]){_DAY}[\s,./-]{{0,3}}{_MONTH}[\s,./-]{{0,3}}{_YEAR}(?!\d)"
    # day month two-digit year: 14-Mar-25, 14MAR25, 14/Mar/25 (no spaces: '3 Jun 12' is not one)
    rf"|(?<![\w.]){_DD}([-/]?){_MONTH}\4\d{{2}}(?![\w.])"
    # two-digit day, month, two-digit year with spaces: 14 Mac 25 (not '3 Jun 12')
    rf"|(?<![\w.])(?:0[1-9]|[12]\d|3[01]) {_MONTH} \d{{2}}(?!\w|\.\d|\s*\d)"
    # month day year: March 14, 2025; Mac 14hb 2025; Mar. 14 2025
    rf"|(?<![\w.]){_MONTH}{_SEP}{_DAY}{_SEP}{_YEAR}(?!\d)"
    # year month day: 2025-Mar-14, 2025/Mac/14, 2025.March.14
    rf"|(?<![\w.]){_YEAR}([./-]){_MONTH}\5{_DD}(?!\d)"
)
_NRIC_SEP = r"(?:\s?[-\u2013]\s?|[ \u00a0])?"

PATTERNS: dict[str, re.Pattern[str]] = {
    "nric": re.compile(
        rf"(?<![0-9A-Za-z.])(\d{{2}})(\d{{2}})(\d{{2}}){_NRIC_SEP}\d{{2}}{_NRIC_SEP}\d{{4}}"
        r"(?![0-9A-Za-z]|[.\-/]\d)"
    ),
    "calendar_date": re.compile(_DATE, re.IGNORECASE),
    "date_of_birth": re.compile(
        r"(?i)\b(?:dob|d\.o\.b|date\s+of\s+birth|birth\s*date|brthdtc|born|tarikh\s+lahir"
        r"|year\s+of\s+birth|yob)\b[^\w\n]{0,5}(?:(?:on|in|pada)\s+)?"
        r"(?:\d{1,4}[-/. ]\w+|(?:19|20)\d{2}\b)"
    ),
    "record_number": re.compile(
        r"(?i)\b(?:MRN|RN|R/N|hospital\s+(?:no|number|record)|record\s+(?:no|number)"
        r"|no\.?\s*rekod|nombor\s+rekod|no\.?\s*pendaftaran|IC|NRIC|MyKad|passport|K/?P)"
        r"(?:\b|(?=\d))\.?\s*(?:no\.?|number)?\s*[:#=\-]?\s*[A-Z]{0,3}\d{5,}\b"
    ),
}
"""Identifier patterns (see the module docstring for each kind and its source). Calendar dates
are identifying in this study: collected data carries study days only."""


def _valid_yymmdd(yy: str, mm: str, dd: str) -> bool:
    """An NRIC's first six digits are the holder's date of birth (yymmdd)."""
    month, day = int(mm), int(dd)
    if not 1 <= month <= 12 or day < 1:
        return False
    leap = int(yy) % 4 == 0
    days = calendar.mdays[month] + (1 if month == 2 and leap else 0)
    return day <= days


def mask(text: str) -> str:
    """What a finding shows of an identifier: its first two characters and an ellipsis."""
    return text[:2] + "\u2026"


@dataclass(frozen=True, order=True)
class Finding:
    """One identifier found: the file, the place in it, its kind and its masked text."""

    file: str
    kind: str
    text: str
    location: str = ""

    def __str__(self) -> str:
        where = f"{self.file} ({self.location})" if self.location else self.file
        return f"{where}: {self.kind}: {self.text}"


# --- names file -----------------------------------------------------------------------------

ENV_NAMES = "SLE_CAR_NAMES_FILE"


class NamesFileError(ValueError):
    """The names file named by ``SLE_CAR_NAMES_FILE`` is missing or unreadable."""


def names_file() -> Path:
    """The names file in force: ``SLE_CAR_NAMES_FILE`` or the bundled placeholder list."""
    env = os.environ.get(ENV_NAMES)
    if env:
        return Path(env).expanduser()
    from sle_car.paths import repo_root

    return repo_root() / "sle_car" / "config" / "names.txt"


def parse_names(text: str) -> list[str]:
    """Names of a names file: one per line, ``#`` starts a comment, blank lines ignored. The
    older YAML form (``names:`` then ``- name`` lines, quoted or not) is read too."""
    names = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or re.fullmatch(r"names\s*:\s*(\[\s*\])?", line):
            continue
        if line.startswith("- "):
            line = line[2:].strip()
        if len(line) >= 2 and line[0] == line[-1] and line[0] in "'\"":
            line = line[1:-1].strip()
        if line:
            names.append(" ".join(line.split()))
    return names


def load_names(path: Path | str | None = None) -> list[str]:
    """The names to look for; a missing or unreadable file is an error, never an empty list."""
    path = Path(path) if path is not None else names_file()
    if not path.is_file():
        origin = f"named by {ENV_NAMES}" if os.environ.get(ENV_NAMES) else "the bundled list"
        raise NamesFileError(
            f"names file {path} ({origin}) does not exist; point {ENV_NAMES} at the file with "
            "one name per line, or unset it to use the bundled placeholder list"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise NamesFileError(
            f"names file {path} cannot be read ({err}); it must be a UTF-8 text file with one "
            "name per line"
        ) from err
    return parse_names(text)


_APOSTROPHES = "'\u2019\u2018`"


@cache
def _name_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for every name: whole words, any whitespace between
    words, any apostrophe form (HTML escapes are decoded before matching)."""
    alternatives = []
    for name in names:
        words = []
        for word in name.split():
            words.append(
                "".join(
                    f"[{re.escape(_APOSTROPHES)}]" if ch in _APOSTROPHES else re.escape(ch)
                    for ch in word
                )
            )
        if words:
            alternatives.append(r"\s+".join(words))
        # a table cell cut short (polars writes 'Tan Mei Ling Pl…'): 8 characters or more of the
        # name followed by an ellipsis
        flat = " ".join(name.split())
        for end in range(8, len(flat)):
            prefix = r"\s+".join(
                "".join(
                    f"[{re.escape(_APOSTROPHES)}]" if ch in _APOSTROPHES else re.escape(ch)
                    for ch in w
                )
                for w in flat[:end].split(" ")
                if w
            )
            alternatives.append(prefix + r"\s*(?:\u2026|\.\.\.)")
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


# --- scanning text --------------------------------------------------------------------------

_TAG = re.compile(r"<[^<>]*>")
_URL = re.compile(r"(?i)\b(?:https?|ftp)://[^\s\"'<>)]+")
_RELEASE_HEADING = re.compile(r"(?m)^#{1,3} \[[^\]\n]+\] - \d{4}-\d{2}-\d{2}[ \t]*$")


def _date_exempt(view: str) -> list[tuple[int, int]]:
    """Spans where a date is not about a patient: inside a URL (``http://www.w3.org/1999/02/22-rdf-syntax-ns``
    in every SVG) and a Keep-a-Changelog release heading (``## [0.1.0] - 2026-11-25``)."""
    return [m.span() for rx in (_URL, _RELEASE_HEADING) for m in rx.finditer(view)]


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _views(text: str) -> list[str]:
    """The text as written and as a reader sees it: HTML entities decoded, tags removed (a
    tag's line breaks kept so that line numbers stay right)."""
    views = [text]
    if "&" in text:
        views.append(html.unescape(text))
    if "<" in text and ">" in text:
        views += [_TAG.sub(lambda m: "\n" * m.group(0).count("\n"), v) for v in list(views)]
    return views


_BIG = 1_000_000
"""Texts longer than this (characters) are first narrowed to candidate lines by a fast Rust
regex (polars) before the exact patterns run: a 60 MB CSV takes seconds, not minutes."""


def _prefilter(names: Sequence[str], free_text: Sequence[str]) -> str:
    """A polars regex that matches every line on which an exact pattern can start: a broader
    net (digit runs, numeric date shapes, month names, keywords, first words of names)."""
    months = "|".join(sorted({m.lower() for m in MONTHS_EN + MONTHS_MS}, key=lambda m: -len(m)))
    parts = [
        r"(?:^|[^0-9a-z.])\d{6}",
        r"(?:^|[^0-9a-z.])\d{1,4}[./-]\d{1,2}[./-]\d{2}",
        rf"(?:^|[^a-z])(?:{months})(?:[^a-z]|$)",
        r"dob|d\.o\.b|birth|brthdtc|born|lahir|yob",
        r"\b(?:mrn|rn|r/n|ic|kp|k/p)(?:\b|\d)|hospital|record|rekod|pendaftaran|nric|mykad|passport",
    ]
    parts += [re.escape(n.split()[0]).replace("'", ".") for n in names if n.split()]
    parts += [re.escape(t[:12]) for t in free_text if len(t) >= 12]
    return "(?i)" + "|".join(f"(?:{p})" for p in parts)


def _narrow(view: str, prefilter: str) -> str:
    """``view`` with every line blanked that neither matches ``prefilter`` nor neighbours such a
    line (a name may be broken over two lines): line numbers and matches are unchanged."""
    lines = pl.Series(view.split("\n"))
    hit = lines.str.contains(prefilter)
    keep = hit | hit.shift(1, fill_value=False) | hit.shift(-1, fill_value=False)
    return "\n".join(pl.select(pl.when(keep).then(lines).otherwise(pl.lit(""))).to_series())


def scan_text(
    text: str,
    source: str,
    names: Sequence[str] | None = None,
    free_text: Sequence[str] | None = None,
    location: str = "",
) -> list[Finding]:
    """Every identifier found in ``text``; ``source`` names the file and ``location`` the
    place in it (a line number is added for text of more than one line)."""
    multiline = "\n" in text.rstrip("\n")
    found: set[Finding] = set()

    def add(kind: str, view: str, start: int, hit: str) -> None:
        where = location
        if multiline:
            line = f"line {view.count(chr(10), 0, start) + 1}"
            where = f"{location} {line}" if location else line
        found.add(Finding(source, kind, mask(hit), where))

    name_rx = _name_pattern(tuple(names or ()))
    for whole in _views(text):
        big = len(whole) > _BIG
        view = _narrow(whole, _prefilter(names or (), free_text or ())) if big else whole
        exempt = _date_exempt(view)
        for kind, rx in PATTERNS.items():
            for m in rx.finditer(view):
                if kind == "nric" and not _valid_yymmdd(m.group(1), m.group(2), m.group(3)):
                    continue
                if kind == "calendar_date" and any(a <= m.start() < b for a, b in exempt):
                    continue
                add(kind, view, m.start(), m.group(0))
        if name_rx is not None:
            for m in name_rx.finditer(view):
                add("name", view, m.start(), m.group(0))
        for snippet in free_text or ():
            if len(snippet) >= 12:
                start = view.find(snippet)
                if start >= 0:
                    add("free_text", view, start, snippet)
    return sorted(found)


# --- file readers ---------------------------------------------------------------------------

TEXT_SUFFIXES = frozenset(
    ".md .qmd .rmd .yml .yaml .csv .tsv .json .txt .html .htm .svg .xml .tex .cff .log".split()
)
SKIP_DIRS = frozenset({".git", ".venv", "__pycache__", "site_libs", "node_modules"})
"""Folders never scanned: version control, environments, caches, vendored web libraries."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_text_chunks(data: bytes) -> list[tuple[str, str]]:
    """``(place, text)`` of every text chunk of a PNG (tEXt, zTXt, iTXt, eXIf); PNG
    specification (ISO/IEC 15948) §11.3.4. Raises ``ValueError`` for a file that is not a
    readable PNG."""
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG file (bad signature)")
    out: list[tuple[str, str]] = []
    pos = len(_PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype = data[pos + 4 : pos + 8].decode("latin-1")
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            raise ValueError(f"truncated {ctype} chunk")
        pos += 12 + length
        if ctype == "tEXt":
            key, _, text = body.partition(b"\0")
            out.append((f"PNG tEXt chunk '{key.decode('latin-1')}'", text.decode("latin-1")))
        elif ctype == "zTXt":
            key, _, rest = body.partition(b"\0")
            text = zlib.decompress(rest[1:]).decode("latin-1")
            out.append((f"PNG zTXt chunk '{key.decode('latin-1')}'", text))
        elif ctype == "iTXt":
            key, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            lang, _, rest = rest.partition(b"\0")
            translated, _, text = rest.partition(b"\0")
            if compressed:
                text = zlib.decompress(text)
            value = " ".join(
                (lang.decode("latin-1"), translated.decode("utf-8"), text.decode("utf-8"))
            )
            out.append((f"PNG iTXt chunk '{key.decode('latin-1')}'", value))
        elif ctype == "eXIf":
            out.append(("PNG eXIf chunk", body.decode("latin-1")))
        elif ctype == "IEND":
            break
    return out


def _png_units(data: bytes, place: str) -> list[tuple[str, str]]:
    try:
        return [(f"{place} {where}".strip(), text) for where, text in png_text_chunks(data)]
    except (ValueError, zlib.error, struct.error, UnicodeDecodeError) as err:
        return [(f"{place} unreadable PNG".strip(), f"\0unreadable: {err}")]


def _join(value: object) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def notebook_units(nb: dict) -> list[tuple[str, str]]:
    """``(place, text)`` of everything a notebook shows or stores: cell sources, every output
    (stream, error, each MIME type; PNG metadata), attachments, notebook metadata. Cells are
    counted from 1 in file order."""
    units: list[tuple[str, str]] = [("notebook metadata", _join(nb.get("metadata", {})))]
    for i, cell in enumerate(nb.get("cells", []), start=1):
        kind = cell.get("cell_type", "cell")
        units.append((f"cell {i} {kind} source", _join(cell.get("source", ""))))
        for att_name, att in (cell.get("attachments") or {}).items():
            for mime, data in att.items():
                if mime == "image/png":
                    units += _png_units(
                        base64.b64decode(_join(data)), f"cell {i} attachment {att_name}"
                    )
        for j, out in enumerate(cell.get("outputs", []), start=1):
            place = f"cell {i} output {j}"
            otype = out.get("output_type")
            if otype == "stream":
                units.append((f"{place} {out.get('name', 'stream')}", _join(out.get("text", ""))))
            elif otype == "error":
                text = "\n".join(
                    [out.get("ename", ""), out.get("evalue", ""), *out.get("traceback", [])]
                )
                units.append((f"{place} error", _ANSI.sub("", text)))
            for mime, data in (out.get("data") or {}).items():
                if mime == "image/png":
                    units += _png_units(base64.b64decode(_join(data)), f"{place} image/png")
                elif mime.startswith("image/") and not mime.endswith("+xml"):
                    continue
                else:
                    units.append((f"{place} {mime}", _join(data)))
            if out.get("metadata"):
                units.append((f"{place} metadata", _join(out["metadata"])))
    return units


def parquet_units(path: Path) -> list[tuple[str, str]]:
    """``(place, text)`` of a Parquet file: its column names, and per string or categorical
    column its distinct values one per line (``column AETERM`` + ``line N`` locates the N-th
    distinct value; ``scan_file`` turns it into the first row holding it, from 1)."""
    return [(place, text) for place, text, _ in _parquet_columns(path)]


def _parquet_columns(path: Path) -> list[tuple[str, str, list[int]]]:
    df = pl.read_parquet(path, glob=False)
    units = [("column names", "\n".join(df.columns), [])]
    for col, dtype in df.schema.items():
        if dtype not in (pl.String, pl.Categorical) and not isinstance(dtype, pl.Enum):
            continue
        values = (
            df.select(pl.col(col).cast(pl.String).str.replace_all(r"[\r\n]", " "))
            .with_row_index("_row", offset=1)
            .drop_nulls(col)
            .group_by(col, maintain_order=True)
            .agg(pl.col("_row").first())
        )
        units.append((f"column {col}", "\n".join(values[col]), values["_row"].to_list()))
    return units


def file_units(path: Path) -> list[tuple[str, str]] | None:
    """``(place, text)`` units of one file, or ``None`` for a type the guard cannot read."""
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            return [("unreadable notebook", f"\0unreadable: {err}")]
        return notebook_units(nb)
    if suffix == ".png":
        return _png_units(path.read_bytes(), "")
    if suffix == ".parquet":
        try:
            return parquet_units(path)
        except Exception as err:  # any unreadable Parquet is a finding, never a traceback
            return [("unreadable Parquet", f"\0unreadable: {err}")]
    if suffix in TEXT_SUFFIXES:
        text = path.read_text(encoding="utf-8", errors="replace")
        if suffix == ".json" and "\\u" in text:
            text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
        return [("", text)]
    return None


def scan_file(
    path: Path,
    source: str,
    names: Sequence[str] | None = None,
    free_text: Sequence[str] | None = None,
) -> list[Finding]:
    """Every identifier in one file (``source``: the name findings carry). A file the guard
    should read but cannot (a corrupt PNG or notebook) is itself a finding."""
    findings: list[Finding] = []
    if path.suffix.lower() == ".parquet":
        try:
            columns = _parquet_columns(path)
        except Exception as err:  # any unreadable Parquet is a finding, never a traceback
            return [Finding(source, "unreadable", str(err), "unreadable Parquet")]
        for place, text, rows in columns:
            for f in scan_text(text + "\n\n", source, names, free_text, location=place):
                line = re.search(r"line (\d+)$", f.location)
                where = f"{place} row {rows[int(line.group(1)) - 1]}" if rows and line else place
                findings.append(Finding(f.file, f.kind, f.text, where))
        return findings
    for place, text in file_units(path) or []:
        if text.startswith("\0unreadable"):
            findings.append(Finding(source, "unreadable", text[len("\0unreadable: ") :], place))
            continue
        findings += scan_text(text, source, names, free_text, location=place)
    return findings


def _walk(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and not any(part in SKIP_DIRS for part in p.relative_to(root).parts[:-1])
    )


def unscanned_files(path: Path | str) -> list[Path]:
    """Files under ``path`` of a type the guard does not read (PDF, Word, images other than
    PNG ...): they are not checked and must not be published unchecked."""
    root = Path(path)
    return [p for p in _walk(root) if file_units_kind(p) is None]


def file_units_kind(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in (".ipynb", ".png", ".parquet") or suffix in TEXT_SUFFIXES:
        return suffix
    return None


def _scan_files(
    files: Iterable[Path],
    root: Path,
    names: Sequence[str] | None,
    free_text: Sequence[str] | None,
) -> list[Finding]:
    names = load_names() if names is None else names
    findings: list[Finding] = []
    for f in files:
        source = f.relative_to(root).as_posix()
        findings += scan_text(source, source, names, location="file name")
        findings += scan_file(f, source, names, free_text)
    return findings


def scan_tree(
    path: Path | str,
    names: Sequence[str] | None = None,
    free_text: Sequence[str] | None = None,
) -> list[Finding]:
    """Scan every readable file under ``path`` (a real run's OUT, a release folder ...).
    ``names`` defaults to the names file (``NamesFileError`` if ``SLE_CAR_NAMES_FILE`` is
    missing or unreadable); ``free_text``: comment values of the raw export (see
    ``export_free_text``). Findings name files relative to ``path``."""
    root = Path(path)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder: nothing to scan")
    files = [p for p in _walk(root) if file_units_kind(p) is not None]
    return _scan_files(files, root, names, free_text)


def scan_paths(
    paths: Sequence[Path | str],
    root: Path | str,
    names: Sequence[str] | None = None,
    free_text: Sequence[str] | None = None,
) -> list[Finding]:
    """``scan_tree`` over chosen files and folders (folders recursively), naming files
    relative to ``root``: the pipeline scans exactly what a run publishes."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += [f for f in _walk(p) if file_units_kind(f) is not None]
        elif p.is_file() and file_units_kind(p) is not None:
            files.append(p)
    return _scan_files(files, Path(root), names, free_text)


def output_files(root: Path) -> list[Path]:
    """The repository's committed outputs and site sources: notebooks, ``reports/`` (without
    the rendered site), the pages (``*.qmd``, ``study/``), Markdown files included into the
    site (``CHANGELOG.md`` ...) and the Quarto configuration (``_quarto*.yml``,
    ``_variables.yml``)."""
    files = sorted((root / "notebooks").glob("*.ipynb"))
    reports = root / "reports"
    if reports.is_dir():
        files += [
            p
            for p in _walk(reports)
            if file_units_kind(p) is not None
            and not {"site", "_site"} & set(p.relative_to(reports).parts)
        ]
    files += sorted(root.glob("*.qmd")) + sorted((root / "study").glob("*.qmd"))
    files += sorted(root.glob("*.md")) + sorted(root.glob("_*.yml"))
    return files


COMMENT_COLUMNS = re.compile(r"(?i)(COMMENT|COVAL|FREETEXT|NOTES?)")


VERBATIM_CODED = {"AETERM": "AEDECOD", "DSTERM": "DSDECOD"}
"""Verbatim terms and the coded term they are shown as (SDTMIG 3.4: --TERM as reported,
--DECOD from the dictionary). Outputs show the coded term only."""


def export_free_text(data_dir: Path) -> list[str]:
    """Free text of a raw export that must never appear in an output: values (12 characters or
    more) of the comment columns, and verbatim terms (AETERM, DSTERM) that differ from their
    coded term (case ignored) -- outputs show coded terms only (issue 15)."""
    texts: list[str] = []
    for p in sorted(Path(data_dir).glob("*.csv")):
        df = pl.read_csv(p, infer_schema=False, glob=False)
        for col in [c for c in df.columns if COMMENT_COLUMNS.search(c)]:
            texts += [v for v in df[col].drop_nulls().unique().to_list() if len(v) >= 12]
        for verbatim, coded in VERBATIM_CODED.items():
            if {verbatim, coded} <= set(df.columns):
                own = df.filter(
                    pl.col(verbatim).str.to_lowercase().str.strip_chars()
                    != pl.col(coded).str.to_lowercase().str.strip_chars(),
                    pl.col(verbatim).str.len_chars() >= 12,
                )
                texts += own[verbatim].unique(maintain_order=True).to_list()
    return sorted(set(texts))


def scan_outputs(
    root: Path | None = None,
    free_text: list[str] | None = None,
    names: Sequence[str] | None = None,
) -> list[Finding]:
    """Scan every committed output under ``root`` (default: the repository); ``free_text``
    defaults to the comment fields of the study data (``SLE_CAR_DATA`` or the bundled cohort),
    ``names`` to the names file."""
    from sle_car.paths import repo_root, study_data_dir

    root = root or repo_root()
    if free_text is None:
        free_text = export_free_text(study_data_dir())
    return _scan_files(output_files(root), root, names, free_text)


def scan_run(out_dir: Path | str, data_dir: Path | str | None = None) -> list[Finding]:
    """The last step of a run: scan everything written under ``out_dir`` for identifiers,
    including the free text of the export in ``data_dir`` (comment fields, verbatim terms
    that differ from their coded term). Any finding must fail the run before the site is
    rendered or published. Raises ``NamesFileError`` for a bad ``SLE_CAR_NAMES_FILE``."""
    free_text = export_free_text(Path(data_dir)) if data_dir is not None else []
    return scan_tree(out_dir, free_text=free_text)


def check_provenance(root: Path | None = None) -> list[Finding]:
    """Committed notebook outputs must come from the bundled synthetic data: the data manifest
    hash that notebook 01 prints must be the bundled cohort's."""
    from sle_car.io import manifest_hash
    from sle_car.paths import repo_root, synthetic_dir

    root = root or repo_root()
    expected = manifest_hash(synthetic_dir())[:16]
    nb = root / "notebooks" / "01_data_cleaning.ipynb"
    text = "\n".join(
        t for place, t in notebook_units(json.loads(nb.read_text("utf-8"))) if "output" in place
    )
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


# --- validation listings of a real cut ------------------------------------------------------

MASK = "[masked]"
"""What a masked listing value reads."""

IDENTIFYING_COLUMNS = (
    r"(?i)^(.*NAME.*|.*NRIC.*|.*MYKAD.*|IC|ICNO|.*MRN.*|RN|BRTHDTC|DOB|.*ADDRESS.*|.*PHONE.*"
    r"|.*EMAIL.*)$"
)
"""Identifying columns an export may carry (those ``deid`` removes): their values are never
listed."""
FREE_TEXT_NAMES = r"(?i)(TERM|TRT|COMMENT|COVAL|FREETEXT|NOTES?|VERBATIM|SPECIFY|OTHSP)$"
"""Names of free-text columns: SDTM reported terms (``--TERM``, ``--TRT``: AETERM, DSTERM,
CMTRT as written) and comment/specify fields (CDISC SDTMIG 3.4 §4.2; CDASHIG ``--OTHSP``)."""


@cache
def free_text_columns() -> frozenset[str]:
    """Columns of the collected domains (``data_schemas.RAW_DOMAINS``) that hold free text: a
    string field without a code list (no ``isin``/``str_matches`` check) whose name is a
    reported term or a comment (``FREE_TEXT_NAMES``) or whose description says it is
    verbatim. The one definition used by ``mask_listing``."""
    from data_schemas import RAW_DOMAINS

    cols = set()
    for model in RAW_DOMAINS.values():
        for name, col in model.to_schema().columns.items():
            coded = any(ch.name in ("isin", "str_matches") for ch in col.checks)
            free = re.search(FREE_TEXT_NAMES, name) or re.search(
                r"(?i)verbatim|as written|free.text|comment", col.description or ""
            )
            if col.dtype.type == pl.String and not coded and free:
                cols.add(name)
    return frozenset(cols)


def _month_alternation() -> str:
    return "|".join(sorted(set(MONTHS_EN + MONTHS_MS), key=lambda m: (-len(m), m)))


def looks_identifying(names: Sequence[str] = ()) -> str:
    """A polars (Rust) regex for values that look like an identifier: an NRIC-like digit run,
    a numeric date, a date with a month name, a record number, a listed name. Broader than
    ``PATTERNS`` (it has no look-around): in a listing, masking too much is the safe error."""
    months = _month_alternation()
    parts = [
        r"\d{6}[\s-]*\d{2}[\s-]*\d{4}",
        r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}",
        rf"(?i)\d{{1,2}}\s*(?:st|nd|rd|th|hb)?[\s,./-]*(?:{months})\.?[\s,./-]*\d{{2,4}}",
        rf"(?i)\b(?:{months})\b\.?[\s,./-]+\d{{1,2}}(?:st|nd|rd|th|hb)?[\s,./-]+\d{{2,4}}",
        r"(?i)\b(?:MRN|RN|R/N|hospital\s+(?:no|number|record)|record\s+(?:no|number)"
        r"|no\.?\s*rekod|nombor\s+rekod|no\.?\s*pendaftaran|IC|NRIC|MyKad|passport)\b\.?"
        r"\s*(?:no\.?|number)?\s*[:#]?\s*[A-Z]{0,3}\d{5,}",
        r"(?i)\b(?:dob|date\s+of\s+birth|born|tarikh\s+lahir)\b",
    ]
    apostrophes = "['\u2019\u2018`]|&#x27;|&#39;|&#039;|&apos;"
    for name in names:
        words = [
            "".join(f"(?:{apostrophes})" if ch in _APOSTROPHES else re.escape(ch) for ch in w)
            for w in name.split()
        ]
        if words:
            parts.append(r"(?i)\b" + r"\s+".join(words) + r"\b")
    # what precedes a match must not be part of a code or a number (SLECAR01-01-003, 1.2e-05):
    # polars regexes have no look-behind, so the preceding character is matched as group 1
    return r"(^|[^\w.-])(?:" + "|".join(f"(?:{p})" for p in parts) + ")"


def mask_listing(
    report: pl.DataFrame,
    names: Sequence[str] | None = None,
    subject_id_pattern: str | None = None,
) -> pl.DataFrame:
    """A validation listing (``sle_car.validate`` report: file, row, column, value, rule,
    severity, message) safe to show or write for a real data cut: the ``value`` is replaced by
    ``[masked]`` where

    - the column is free text (``free_text_columns()``: AETERM, CMTRT, DSTERM, and any
      column named like a reported term or comment) or identifying (``IDENTIFYING_COLUMNS``);
    - the column is USUBJID and the value (quotes and whitespace stripped) is not a study code
      (the study configuration's ``subject_id_pattern``, :mod:`sle_car.study`), or SUBJID and it is not a 3-5 digit subject number;
    - the value looks like an identifier in any column (``looks_identifying``: a date planted
      in AEBODSYS, an NRIC in LBORRES, a listed name); study codes are not identifiers.

    Parts of ``message`` that look like an identifier are masked too. File, row, column, rule
    and severity are kept so the data manager can still find and fix each problem. ``names``
    defaults to the names file."""
    if subject_id_pattern is None:
        from sle_car.study import load_study_config

        subject_id_pattern = load_study_config().subject_id_pattern
    USUBJID_PATTERN = subject_id_pattern

    names = load_names() if names is None else names
    pattern = looks_identifying(names)
    study_code = USUBJID_PATTERN.strip("^$")
    value = pl.col("value")
    bare = value.str.strip_chars("\" \t'")
    message = pl.col("message")
    column = pl.col("column").fill_null("")
    hide = (
        column.is_in(sorted(free_text_columns()))
        | column.str.contains(FREE_TEXT_NAMES)
        | column.str.contains(IDENTIFYING_COLUMNS)
        | ((column == "USUBJID") & ~bare.str.contains(USUBJID_PATTERN))
        | ((column == "SUBJID") & ~bare.str.contains(r"^\d{3,5}$"))
        | value.str.replace_all(study_code, "").str.contains(pattern)
    )
    return report.with_columns(
        pl.when(value.is_not_null() & hide).then(pl.lit(MASK)).otherwise(value).alias("value"),
        pl.when(message.str.replace_all(study_code, "").str.contains(pattern))
        .then(message.str.replace_all(pattern, "${1}" + MASK))
        .otherwise(message)
        .alias("message"),
    )


# --- public outputs: banded ages, whole-year durations --------------------------------------

AGE_BAND_YEARS = 5
"""Width of the age bands of public per-patient tables (5-year groups 15-19, 20-24, ... as
the Department of Statistics Malaysia publishes population by age; EMA policy 0070 external
guidance on anonymisation of clinical reports: generalise ages into bands)."""


ENV_EXACT = "SLE_CAR_EXACT_VALUES"
"""Set to ``1`` to show exact ages and durations in per-patient tables (the report option
"unless the user asks otherwise"; a pipeline flag sets it for the notebooks it runs)."""


def exact_values_requested() -> bool:
    """Whether ``SLE_CAR_EXACT_VALUES`` asks for exact values: ``1``/``true``/``yes`` on,
    unset/empty/``0``/``false``/``no`` off; anything else is an error naming the variable."""
    raw = os.environ.get(ENV_EXACT, "").strip().lower()
    if raw in ("", "0", "false", "no"):
        return False
    if raw in ("1", "true", "yes"):
        return True
    raise ValueError(
        f"{ENV_EXACT}={os.environ[ENV_EXACT]!r} is not understood; use 1 for exact ages and "
        "durations in per-patient tables, or unset it for 5-year bands and whole years"
    )


@cache
def year_duration_columns() -> tuple[str, ...]:
    """Numeric columns of the datasets whose unit is years and that are not an age (schema
    metadata ``unit: years``): disease duration ``DISDURY``."""
    from data_schemas import ANALYSIS_DATASETS, RAW_DOMAINS

    cols = {
        name
        for model in (*RAW_DOMAINS.values(), *ANALYSIS_DATASETS.values())
        for name, col in model.to_schema().columns.items()
        if (col.metadata or {}).get("unit") == "years" and not name.startswith("AGE")
    }
    return tuple(sorted(cols))


def public_bands(
    df: pl.DataFrame,
    *,
    exact: bool | None = None,
    age_columns: Sequence[str] = ("AGE",),
    duration_columns: Sequence[str] | None = None,
    band_years: int = AGE_BAND_YEARS,
) -> pl.DataFrame:
    """A per-patient table as public outputs show it: each age column becomes its
    ``band_years`` band as text (``34`` -> ``"30-34"``; bands start at multiples of
    ``band_years``), each duration in years (default: ``year_duration_columns()``, i.e.
    DISDURY) is rounded to whole years (half up: 2.5 -> 3) as an integer. Columns absent from
    ``df`` are skipped; nulls stay null. ``exact=True`` returns ``df`` unchanged (the user asks
    for exact values, e.g. for an internal report); ``exact=None`` (default) follows
    ``SLE_CAR_EXACT_VALUES`` (unset: banded).

    A small single-centre study is easy to re-identify from exact age, ethnicity and disease
    duration per patient (issue 15); bands and whole years make each row match more people.
    """
    if exact is None:
        exact = exact_values_requested()
    if exact:
        return df
    if band_years < 1:
        raise ValueError(f"band_years must be a positive number of years, got {band_years}")
    durations = year_duration_columns() if duration_columns is None else duration_columns
    exprs = []
    for c in [c for c in age_columns if c in df.columns]:
        lo = (pl.col(c).cast(pl.Float64).floor() // band_years * band_years).cast(pl.Int64)
        exprs.append(
            pl.concat_str(
                [lo.cast(pl.String), pl.lit("-"), (lo + band_years - 1).cast(pl.String)]
            ).alias(c)
        )
    for c in [c for c in durations if c in df.columns]:
        exprs.append((pl.col(c).cast(pl.Float64) + 0.5).floor().cast(pl.Int64).alias(c))
    return df.with_columns(exprs) if exprs else df
