"""Reading a study data directory: one CSV (as exported) or Parquet file per domain, plus
``manifest.json`` that maps each file name to its SHA-256, so that every output can name the
exact data it came from.

Problems with a file as a whole (missing, unreadable, not UTF-8, empty, header only,
duplicated column names) raise :class:`DataFileError`; the command line turns it into exit
status 2 with the message, never a traceback. Problems inside the data are the business of
:mod:`sle_car.validate`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import re
import threading
from pathlib import Path

import polars as pl

from data_schemas import RAW_DOMAINS

MANIFEST = "manifest.json"
ROW = "_ROW"
"""Column added on reading: the row number as a spreadsheet shows it (the header is row 1)."""


class DataFileError(Exception):
    """A data file cannot be read at all. ``file`` names it; the message says what to do."""

    def __init__(self, file: Path | str, message: str) -> None:
        self.file = str(file)
        self.message = message
        super().__init__(f"{file}: {message}")

    def __reduce__(self):  # raised in a worker process, re-raised as it was in the caller
        return (_rebuild_error, (type(self), self.__dict__, str(self)))


def _rebuild_error(cls: type, state: dict, text: str) -> DataFileError:
    err = Exception.__new__(cls)
    Exception.__init__(err, text)
    err.__dict__.update(state)
    return err


class EmptyDomainFile(DataFileError):
    """A domain file with a header and no rows. For a required domain that is an unreadable
    export; an optional domain (``sle_car.validate.OPTIONAL_DOMAINS``) collected with no
    records (no adverse event yet) is read as an empty table with ``columns``."""

    def __init__(self, file: Path | str, message: str, columns: list[str]) -> None:
        self.columns = list(columns)
        super().__init__(file, message)


def sha256(path: Path, stop: threading.Event | None = None) -> str | None:
    """SHA-256 of a file's bytes, as hex (read 16 MiB at a time: memory flat in file size).
    ``stop``: when it is set, the reading stops at the next block and None is returned (a
    hash computed in the background for a run that has failed)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            if stop is not None and stop.is_set():
                return None
            h.update(block)
    return h.hexdigest()


def domain_file(data_dir: Path, domain: str) -> Path:
    """The file of ``domain`` in ``data_dir`` (``dm.csv`` or ``dm.parquet``)."""
    candidates = [data_dir / f"{domain}.csv", data_dir / f"{domain}.parquet"]
    found = [p for p in candidates if p.is_file()]
    if not found:
        raise DataFileError(
            data_dir / f"{domain}.csv",
            f"the {domain.upper()} domain file is missing; export it as {domain}.csv "
            f"(or {domain}.parquet) into {data_dir}",
        )
    if len(found) > 1:
        raise DataFileError(
            found[0], f"both {domain}.csv and {domain}.parquet exist; keep exactly one"
        )
    return found[0]


_NOT_SPACE = re.compile(rb"\S")
_BARE_CR = re.compile(rb"\r(?!\n)")


def _first_bare_cr(head: bytes) -> int:
    """Offset of the first carriage return in ``head`` that is not followed by a line feed
    (and is not its last byte: the next block may start with the line feed), or -1."""
    found = _BARE_CR.search(head, 0, len(head) - 1)
    return found.start() if found else -1


CHUNK = 1 << 24
"""Bytes read at a time when a CSV file is checked (16 MiB): memory flat in file size."""


def _check_csv_file(path: Path) -> list[str]:
    """The checks a CSV file must pass before it is parsed; returns its header. The file is
    read once, ``CHUNK`` bytes at a time (never whole in memory): empty (whitespace only),
    binary (a NUL byte in its first 4 KiB), not UTF-8, no CSV header, a header with fewer
    than two, duplicated or unnamed columns, no data row (:class:`EmptyDomainFile`),
    CR-only line endings (a carriage return alone ends line 1: the lines would run together;
    the CSV reader reads such a file as a header and no rows) and doubled carriage returns
    (CR CR LF ends line 1: the CSV reader keeps a CR at the end of the last column's name and
    of each line's last value, measured on polars 2.1.0)."""
    try:
        fh = path.open("rb")
    except OSError as err:
        raise DataFileError(path, f"cannot open the file ({err.strerror})") from None
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = b""  # the bytes up to the end of the first line (or all, when it has none)
    header_end = -1  # offset of the first line's end in the file
    bare_cr = -1  # offset of a carriage return not followed by a line feed in the first line
    data = False  # a non-space byte after the first line
    any_text = False
    bad_utf8: int | None = None
    first4k = b""
    start = 0
    with fh:
        while True:
            block = fh.read(CHUNK)
            last = len(block) < CHUNK
            if start == 0:
                first4k = block[:4096]
            if bad_utf8 is None:
                try:
                    decoder.decode(block, final=last)
                except UnicodeDecodeError as err:
                    bad_utf8 = start + err.start
            any_text = any_text or bool(_NOT_SPACE.search(block))
            if header_end < 0 and bare_cr < 0:
                head += block
                nl = head.find(b"\n")
                if nl >= 0:
                    header_end = nl
                    data = bool(_NOT_SPACE.search(head, nl + 1))
                    head = head[:nl]
                bare_cr = _first_bare_cr(head)
                if bare_cr >= 0 and header_end < 0:  # CR-only line endings: stop keeping bytes
                    head = head[: bare_cr + 1]
            elif not data:
                data = bool(_NOT_SPACE.search(block))
            start += len(block)
            if last:
                break
            if bad_utf8 is not None:  # the error to report is known: stop reading
                break
    if start == 0 or not any_text:
        raise DataFileError(path, "the file is empty; re-export it with its header and rows")
    if b"\x00" in first4k:
        raise DataFileError(path, "this is not a text CSV file (binary content); export as CSV")
    if bad_utf8 is not None:
        raise DataFileError(
            path,
            f"the file is not UTF-8 encoded (byte {bad_utf8}); re-export it as UTF-8 CSV",
        )
    doubled = len(head) - len(head.rstrip(b"\r"))  # CRs ending line 1 (one in CR LF)
    if bare_cr >= 0 and header_end >= 0 and bare_cr == len(head) - doubled:
        raise DataFileError(
            path,
            f"line 1 ends with {doubled} carriage returns (CR) before its line feed (CR CR LF), "
            "as when Windows line endings are added to a file that already has them: the last "
            "value of each line would keep a CR (the last column's name too); re-export the "
            "file, or convert its line endings once, to Windows (CRLF) or Unix (LF)",
        )
    if bare_cr >= 0:
        whole = " (the file has no line feed at all)" if header_end < 0 else ""
        raise DataFileError(
            path,
            f"line 1 ends with a carriage return (CR) alone, not CR+LF or LF{whole}: the file "
            "has CR-only (classic Mac OS) line endings, so its lines run together; re-export "
            "it with Windows (CRLF) or Unix (LF) line endings",
        )
    first = head[3:] if head[:3] == b"\xef\xbb\xbf" else head  # a byte-order mark
    if first.count(b'"') % 2:  # RFC 4180 allows a line break in a quoted name; no contract does
        raise DataFileError(
            path,
            "line 1 (the header) has an odd number of quotes: a quote inside a column name "
            '(Height 5") or a quoted column name that continues on the next line; the CSV '
            "reader would read the rest of the file as part of the header and lose every row: "
            "rename the column without the quote (or double it inside a quoted name), and keep "
            "every column name on line 1",
        )
    try:
        header = next(csv.reader([first.decode("utf-8").rstrip("\r")]))
    except (csv.Error, StopIteration):
        raise DataFileError(path, "the first line is not a CSV header") from None
    header = [h.strip() for h in header]
    if len(header) < 2:
        raise DataFileError(
            path, "the header has fewer than two columns: this is not a comma-separated export"
        )
    if "" in header:
        blank = [str(i + 1) for i, h in enumerate(header) if h == ""]
        where = ("column " if len(blank) == 1 else "columns ") + ", ".join(blank)
        trailing = " (a comma at the end of the header line?)" if header[-1] == "" else ""
        raise DataFileError(
            path,
            f"{where} of {len(header)} {'has' if len(blank) == 1 else 'have'} no name in the "
            f"header row{trailing}; name it as in the data dictionary or remove it (and its values) from the export",
        )
    _check_reserved(path, header)
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataFileError(path, f"duplicated column name(s) {dupes}; each column once")
    if header_end < 0 or not data:
        raise EmptyDomainFile(path, "the file has a header but no data rows", header)
    return header


RESERVED = {
    ROW: "the spreadsheet row number the validation adds",
    "_BATCH": "the batch of subjects the batched validation adds",
    "_GROUP": "the group of batches the batched validation adds",
    "_K": "the subject key the batched validation adds",
}
"""Column names the reading and the batched engine (:mod:`sle_car.batched`) add to the raw
rows: an export column so named would be overwritten or dropped there (its outcome would
differ from one pass), so it is refused as a whole file."""


def _check_reserved(path: Path, header: list[str]) -> None:
    """A column named as one the reading adds (:data:`RESERVED`) would collide with it."""
    for name, what in RESERVED.items():
        if name in header:
            raise DataFileError(
                path,
                f"a column is named '{name}', a name reserved for {what}; rename or remove "
                "that column in the export",
            )


_QUOTED = r'"[^"]*"(?:"[^"]*")*'
"""A quoted value: a quote at the start of a field (the line's start or after a comma) up to
its closing quote, ``""`` inside it an escaped quote (RFC 4180, section 2, rules 5-7; a quoted
value opens only at the start of a field). Text after the closing quote is malformed
(:data:`_TEXT_AFTER`), also when another quoted run follows: the CSV reader (polars 2.1.0,
measured) would read ``"a" "b"`` as ``a b``, dropping the exported quotes without a word."""
_TEXT_AFTER = r'(?:^|,)"[^,]'
"""In a line whose quoted values are reduced to one quote (:func:`_reduced`): a quoted value
followed by text other than a comma (``"Big" toe pain``), which the CSV reader cannot parse,
or one that does not close on its line."""
_LITERAL = r'[^,]"'
"""In a reduced line: a quote inside a value that is not enclosed in quotes (``5" tall``)."""
_ODD_QUOTE = r'[^,]"|"[^,]'
"""In a reduced line: a quote that is not a whole quoted value (:data:`_TEXT_AFTER` or
:data:`_LITERAL`)."""
_NO_RECORD = r'^(?:"\s*"|\s*)(?:,(?:"\s*"|\s*))*$'
"""A line holding no record: every field empty or whitespace, unquoted or quoted
(:func:`scan_domain` skips such a line, as :func:`blanks_missing` finds every cell blank).
Any other line holds a value, e.g. a quoted comma, or a field of four quotes (the value ``"``)."""


def _reduced(line: pl.Expr) -> pl.Expr:
    """A line (starting outside quotes) with each quoted value (:data:`_QUOTED`, at the line's
    start or after a comma) replaced by a single quote: its commas are the separators of its
    fields, a carriage return in it is outside quotes, and a quote left in it is a reduced value
    (at a field's start) or a literal quote inside an unquoted value. One replacement without
    capture groups (one with ``${1}`` cost 3x more CPU on a file with every value quoted), so a
    quoted value at the line's start becomes ``,"`` too: the fields are the commas plus one,
    less one when the line starts with a quote (:func:`_reduced_fields`)."""
    return line.str.replace_all("(?:^|,)" + _QUOTED, ',"')


def _reduced_fields(line: pl.Expr, reduced: pl.Expr) -> pl.Expr:
    """The fields of a line as the CSV reader splits them, from its :func:`_reduced` form."""
    return (
        reduced.str.count_matches(",", literal=True) + 1 - line.str.starts_with('"').cast(pl.UInt32)
    )


def _toggled_fields(line: pl.Expr) -> pl.Expr:
    """The fields of a line counted with every quote toggling "inside a quoted value" (how the
    CSV reader finds where a record ends): where this differs from the fields the reader
    splits (:func:`_reduced`), a quote inside an unquoted value has a comma after it before
    the next quote (``5" by, 3" box``), and which value the comma belongs to is ambiguous."""
    return line.str.replace_all(r'"[^"]*"', "").str.count_matches(",", literal=True) + 1


def _check_short_rows(path: Path, n_header: int) -> None:
    """Every record must have as many fields as the header. A data record with fewer fields
    is an unreadable row: the CSV reader would pad it with missing values (a dropped last
    field reads as a blank AEENDY: the event looks unresolved) and the values may sit under
    the wrong columns; one with more fields cannot be read either. Both are refused, naming
    the file and the line where the record starts (the line numbers of a text editor) and,
    when quoted values spanning lines come before it, its row in a spreadsheet (the ``_ROW``
    of the validation report).

    Fields are counted as RFC 4180 defines a record (https://www.rfc-editor.org/rfc/rfc4180,
    section 2): the commas outside quotes, plus one, where a record ends at a line break
    outside quotes, so a quoted value may span lines (free-text notes with line breaks, as EDC
    exports write them) and ``""`` inside a quoted value is an escaped quote. The CSV reader
    (polars, measured on 2.1.0) does two things: it finds where a record ends by letting every
    quote toggle "inside a quoted value" (a quote inside a value that is not itself quoted,
    ``5" tall``, is taken literally only when the line holds an even number of them), but
    it splits a record into fields opening a quoted value only at the start of a field (so
    ``5" by, 3" box`` is two fields). Lines are split as the first does; a record on one line
    is split as the second does (:func:`_reduced`). A line holding only whitespace, commas
    and empty quoted values holds no record and is skipped, as :func:`scan_domain` skips it.

    Streamed (flat memory): one pass over the lines keeps the numbers of those with an odd
    number of quotes (where a quoted value opens or closes across lines), a quote that is not
    a whole quoted value, or a wrong count; a line without a quote is counted by its commas
    alone and skips the regular expressions. Only when some quoted value spans lines, a second
    streamed pass (:func:`_check_multiline_records`) counts the fields per record. Measured on
    the 1,000-patient lb.csv (session 7, load 2-5): 0.22 -> 0.16 CPU s with no quote; 1.16 ->
    1.33 CPU s with every text value quoted; 0.80 -> 0.76 CPU s with one note spanning two
    lines (the second pass only looks up the lines the first flagged).

    The problems found on the way name their line: a quote opened and never closed (the rest
    of the file would be one value), a quoted value spanning lines that opens in the middle of
    a value (``5" tall``; named even when a valid note after it closes the value it opened),
    quotes inside an unquoted value around a comma (``5" by, 3" box``: the two ways of reading
    it disagree, :func:`_toggled_fields`, so it is refused even when the count the CSV reader
    splits matches the header; the advice is to quote the value), text after a closing quote
    (``"Big" toe pain``; a value whose quoted runs join up to a closing quote, ``"a" "b"``, is
    read as the CSV reader reads it, ``a b``), and a carriage return outside
    quotes inside a line (CR-only line endings in part of the file). Not named: a quote or
    text after a closing quote inside a record that spans lines (its fields are counted with
    every quote toggling; the CSV reader's error then has no line)."""
    line = pl.col("line")
    quotes = pl.col("quotes")
    reduced = _reduced(line)
    lines = pl.scan_lines(path).with_row_index("no", offset=1).filter(pl.col("no") > 1)
    # streamed, keeping only the lines that matter: memory stays flat in the file's size (a
    # whole-file select held every line: 3 GB peak for a 0.7 GB lb.csv). A line with no quote
    # has as many fields as commas plus one; only the lines holding a quote or a wrong count
    # (few, in most exports) pay for the regular expressions that reduce its quoted values.
    found = (
        lines.with_columns(
            pl.col("no").cast(pl.Int64),
            line.str.count_matches('"', literal=True).alias("quotes"),
            (line.str.count_matches(",", literal=True) + 1).alias("fields"),
        )
        .filter((quotes > 0) | (pl.col("fields") != n_header))
        .with_columns(reduced=pl.when(quotes > 0).then(reduced).otherwise(line))
        .with_columns(
            _reduced_fields(line, pl.col("reduced")).alias("fields"),
            (quotes % 2 == 1).alias("odd"),
            pl.col("reduced").str.contains(_ODD_QUOTE).alias("odd_quote"),
        )
        .filter(pl.col("odd") | pl.col("odd_quote") | (pl.col("fields") != n_header))
        .select(
            "no",
            "fields",
            "odd",
            line.str.contains(_NO_RECORD).not_().alias("record"),
            pl.col("reduced").str.contains("\r", literal=True).alias("cr"),
            pl.col("reduced").str.contains(_TEXT_AFTER).alias("after"),
            (
                pl.col("reduced").str.contains(_LITERAL)
                & (_toggled_fields(line) != pl.col("fields"))
            ).alias("split"),
        )
        .filter(
            pl.col("odd")
            | pl.col("after")
            | pl.col("split")
            | (pl.col("fields") > n_header)
            | ((pl.col("fields") < n_header) & pl.col("record"))
        )
        .collect(engine="streaming")
    )
    if found.height == 0:  # every line a record of the header's fields (most files)
        return
    found = found.sort("no")
    toggles = found.filter("odd")["no"]
    if len(toggles) % 2 == 1:  # the last quote opened is never closed
        # unless a quote inside an unquoted value before it opened a value spanning lines (so
        # that every later opening quote closes a value and every closing one opens one): the
        # record-by-record pass names that line
        misplaced = _check_multiline_records(path, lines, n_header, raise_misplaced=False)
        opened = toggles[-1]
        if misplaced.height and misplaced["no"][0] != opened:
            raise _misplaced_quote(path, misplaced["no"][0])
        raise DataFileError(
            path,
            f'line {opened} opens a quoted value (a " at the start of a value, or inside a '
            "value that is not enclosed in quotes) that is never closed, so the rest of the file "
            f"from line {opened} on would be read as one value; close the quote, or, for a "
            'quote that is part of a value (5" tall), enclose the value in quotes and double '
            'the quote ("5"" tall")',
        )
    bad = found.filter(~pl.col("odd")).select(
        "no",
        "fields",
        "cr",
        pl.col("no").alias("end"),
        pl.col("no").alias("row"),
        "after",
        "split",
    )
    if len(toggles):  # some quoted value spans lines: count fields per record
        bad = _check_multiline_records(path, lines, n_header, bad)
    if bad.height == 0:
        return
    first = bad.row(0, named=True)
    if first["after"]:
        row = f" (row {first['row']} in a spreadsheet)" if first["row"] != first["no"] else ""
        raise DataFileError(
            path,
            f"line {first['no']}{row} has text after the closing quote of a quoted value "
            '("Big" toe pain, or a space before a comma), which the CSV reader cannot read: a '
            "value that starts with a quote must end with it; enclose the whole value in quotes "
            'and double the quotes inside it ("""Big"" toe pain"), or remove the text after '
            "the quote",
        )
    if first["split"]:
        row = f" (row {first['row']} in a spreadsheet)" if first["row"] != first["no"] else ""
        k = first["fields"]
        raise DataFileError(
            path,
            f'line {first["no"]}{row} has a quote (") inside a value that is not enclosed in '
            'quotes with a comma before the next quote (5" by, 3" box): the CSV reader splits '
            f"the value at that comma (it reads {k} field{'s' if k != 1 else ''}, the header has "
            f"{n_header}), so the row's values cannot be matched to their columns; quote the "
            'value: enclose it in quotes and double the quotes inside it (5" by, 3" box -> '
            '"5"" by, 3"" box")',
        )
    bad = bad.filter(pl.col("fields") != n_header)
    if bad.height == 0:
        return
    first = bad.row(0, named=True)
    n_short = bad.filter(pl.col("fields") < n_header).height
    what = (
        "are short"
        if n_short == bad.height
        else "have too many fields"
        if n_short == 0
        else "have a wrong number of fields"
    )
    more = ""
    if bad.height > 1:
        listed = ", ".join(str(n) for n in bad["no"].head(10)) + (", …" if bad.height > 10 else "")
        more = f" ({bad.height} lines {what}: {listed})"
    spans = (
        f" (its record runs to line {first['end']}: a quoted value in it spans lines)"
        if first["end"] > first["no"]
        else ""
    )
    k = first["fields"]
    row = f" (row {first['row']} in a spreadsheet)" if first["row"] != first["no"] else ""
    counted = f"line {first['no']}{row} has {k} field{'s' if k != 1 else ''}{spans}, the header has {n_header}{more}"
    if first["cr"]:
        raise DataFileError(
            path,
            f"{counted}: line {first['no']} holds a carriage return (CR) not followed by a line "
            "feed, so two lines of the export are run together (CR-only line endings in part of "
            "the file); re-export the file with Windows (CRLF) or Unix (LF) line endings",
        )
    if k < n_header:
        advice = (
            "a value or its comma is missing, so the row's values cannot be matched to their "
            "columns; re-export the file, or add the missing field(s) in the source"
        )
    else:
        advice = (
            "a value holds a comma but is not enclosed in quotes, or a field is extra, so the "
            "row's values cannot be matched to their columns; re-export the file with such "
            "values in quotes, or remove the extra field(s)"
        )
    raise DataFileError(path, f"{counted}: {advice}")


def _misplaced_quote(path: Path, no: int) -> DataFileError:
    """The error for line ``no``, where a quoted value spanning lines opens inside a value
    that is not enclosed in quotes (:func:`_check_multiline_records`)."""
    return DataFileError(
        path,
        f'line {no} has a quote (") inside a value that is not enclosed in quotes, which '
        "opens a quoted value running on to the next line(s); enclose that value in quotes "
        'and double the quote inside it (5" tall -> "5"" tall")',
    )


def _check_multiline_records(
    path: Path,
    lines: pl.LazyFrame,
    n_header: int,
    singles: pl.DataFrame | None = None,
    *,
    raise_misplaced: bool = True,
) -> pl.DataFrame:
    """The records of a file some of whose quoted values span lines (:func:`_check_short_rows`)
    with a wrong number of fields, as ``no, fields, cr, end, row`` (first line, count, a bare
    CR on a one-line record, last line, row in a spreadsheet), in line order. One more
    streamed pass in flat memory: a line starts inside a quoted value when the lines before it
    hold an odd number of quotes; one starting outside counts the commas outside quotes
    (a quote left open runs to the line's end), one starting inside the other commas; a
    record's fields are the running sum of those counts at its last line (the one ending
    outside quotes) less the sum before its first line, plus one.

    Raises :class:`DataFileError` when a quoted value spanning lines opens inside a value that
    is not enclosed in quotes (polars would fail with no line number): after removing the
    closed quoted runs of the opening line (an escaped "" is two of them), the quote left open
    must follow a comma or the line's start; with ``raise_misplaced=False`` it returns the
    lines where such a value opens instead (the caller names the first one).

    A record on one line (starting and ending outside quotes) is reported as
    :func:`_check_short_rows` found it (``singles``: the lines it flagged read as records on
    one line, with their ``fields, cr, after, split``): this pass only tells which of them are
    records on one line, so it pays for no regular expression that reduces quoted values."""
    line = pl.col("line")
    odd = line.str.count_matches('"', literal=True) % 2 == 1
    outside = line.str.replace_all(r'"[^"]*(?:"|$)', "").str.count_matches(",", literal=True)
    commas = line.str.count_matches(",", literal=True)
    at_start = line.str.replace_all(r'"[^"]*"', "").str.contains(r'(?:^|,)"[^"]*$')
    inside, starts = pl.col("inside"), ~pl.col("inside")
    single = starts & ~pl.col("odd")  # a record on one line: as _check_short_rows found it
    flagged = pl.Series([], dtype=pl.Int64) if singles is None else singles["no"]
    found = (
        lines.select(
            pl.col("no").cast(pl.Int64),
            odd.alias("odd"),
            outside.cast(pl.Int64).alias("outside"),
            commas.cast(pl.Int64).alias("commas"),
            at_start.alias("at_start"),
            line.str.contains(_NO_RECORD).not_().alias("record"),
            line.str.contains("\r", literal=True).alias("cr"),
        )
        .with_columns(inside=(pl.col("odd").cast(pl.Int64).cum_sum() % 2 == 1) != pl.col("odd"))
        .with_columns(
            part=pl.when(inside)
            .then(pl.col("commas") - pl.col("outside"))
            .otherwise(pl.col("outside")),
            row=starts.cast(pl.Int64).cum_sum() + 1,
            single=single,
        )
        .with_columns(total=pl.col("part").cum_sum())
        .with_columns(
            start=pl.when(starts).then(pl.col("no")).forward_fill(),
            before=pl.when(starts).then(pl.col("total") - pl.col("part")).forward_fill(),
            ends=inside == pl.col("odd"),  # the line ends outside quotes
        )
        .with_columns(fields=pl.col("total") - pl.col("before") + 1)
        .filter(
            (starts & pl.col("odd") & ~pl.col("at_start"))
            | (pl.col("single") & pl.col("no").is_in(flagged.implode()))
            | (
                pl.col("ends")
                & ~pl.col("single")
                & (
                    (pl.col("fields") > n_header)
                    | (
                        (pl.col("fields") < n_header)
                        & (pl.col("record") | (pl.col("start") < pl.col("no")))
                    )
                )
            )
        )
        .select(
            pl.col("start").alias("no"),
            "fields",
            pl.col("cr") & (pl.col("start") == pl.col("no")),
            pl.col("no").alias("end"),
            "row",
            "single",
            (starts & pl.col("odd") & ~pl.col("at_start")).alias("misplaced"),
        )
        .collect(engine="streaming")
        .sort("no")
    )
    misplaced = found.filter("misplaced")
    if not raise_misplaced:
        return misplaced
    if misplaced.height:
        raise _misplaced_quote(path, misplaced["no"][0])
    records = found.filter(~pl.col("single")).select(
        "no", "fields", "cr", "end", "row", after=pl.lit(False), split=pl.lit(False)
    )
    if singles is not None:
        one_line = found.filter("single").select("no", "row")
        records = pl.concat(
            [
                records,
                singles.select(
                    "no",
                    pl.col("fields").cast(pl.Int64),
                    "cr",
                    pl.col("no").alias("end"),
                    "after",
                    "split",
                )
                .join(one_line, on="no")
                .select(records.columns),
            ]
        ).sort("no")
    return records


_SCALAR = (
    pl.String,
    pl.Boolean,
    pl.Date,
    pl.Datetime,
    pl.Time,
    pl.Categorical,
    pl.Enum,
    pl.Null,
)


def _check_parquet_schema(path: Path, schema: pl.Schema) -> None:
    """Only scalar columns (text, numbers, booleans, dates) have a text form; a nested (List,
    Array, Struct), Duration, binary or object column cannot be a collected value and makes
    the file unreadable, with the column named."""
    bad = [
        f"{c} ({t})"
        for c, t in schema.items()
        if not (t.is_numeric() or isinstance(t, _SCALAR) or t in _SCALAR)
    ]
    if bad:
        raise DataFileError(
            path,
            f"column(s) {', '.join(bad)} hold values that are not single numbers or text; "
            "export every column as plain text or numbers (or export the domain as CSV)",
        )


def scan_domain(path: Path, *, blanks: bool = True) -> pl.LazyFrame:
    """One domain file as a lazy scan of text columns (values exactly as exported) plus
    ``_ROW``; blank lines are not records and are skipped. The file-level checks (empty,
    binary, not UTF-8, header, no data rows, unreadable Parquet, nested columns) run now, in
    flat memory; a malformed CSV body is found when the scan runs (:func:`collect_domain`).
    :func:`read_domain` collects it; the batched engine (:mod:`sle_car.batched`) streams it.
    ``blanks=False``: whitespace-only cells and blank lines are left as they are, for a
    caller that applies :func:`blanks_missing` (or an equivalent pass) itself."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            meta = pq.read_metadata(path)
            schema = pl.scan_parquet(path, glob=False).collect_schema()
        except Exception as err:
            raise DataFileError(
                path, f"not a readable Parquet file ({type(err).__name__})"
            ) from None
        if meta.num_rows == 0:
            raise EmptyDomainFile(path, "the file has no data rows", list(schema))
        _check_parquet_schema(path, schema)
        _check_reserved(path, list(schema))
        lf = pl.scan_parquet(path, glob=False).select(pl.all().cast(pl.String))
    else:
        header = _check_csv_file(path)
        _check_short_rows(path, len(header))
        lf = pl.scan_csv(path, infer_schema=False, new_columns=header, glob=False)
    # Row numbers are taken before blank lines (rows with no value at all, e.g. a trailing
    # empty line) are skipped: a blank line holds no record, and every other row keeps the
    # number a spreadsheet shows.
    lf = lf.with_row_index(ROW, offset=2).with_columns(pl.col(ROW).cast(pl.Int64))
    return blanks_missing(lf) if blanks else lf


def blank(cell: pl.Expr) -> pl.Expr:
    """A cell that is empty or holds only whitespace (null for a missing cell)."""
    return cell.str.strip_chars().str.len_bytes() == 0


def blanks_missing(raw: pl.LazyFrame | pl.DataFrame):
    """Empty and whitespace-only strings are missing values, as in the CSV: "whitespace only
    means missing" holds before any rule, so a blank optional cell is never a problem and a
    blank required cell is "required but empty"; rows with no value left (blank lines) are
    skipped. ``raw``: text columns and ``_ROW``."""
    cells = pl.exclude(ROW)
    raw = raw.with_columns(pl.when(blank(cells).not_()).then(cells))
    return raw.filter(pl.any_horizontal(cells.is_not_null()))


def domain_read_error(path: Path, err: Exception) -> DataFileError:
    """The :class:`DataFileError` for a polars error raised while reading ``path``."""
    first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
    if path.suffix == ".parquet":
        if "cast" in first_line.lower():
            return DataFileError(path, f"a column cannot be read as text ({first_line})")
        return DataFileError(path, f"not a readable Parquet file ({type(err).__name__})")
    return DataFileError(path, f"not a well-formed CSV file ({first_line})")


def read_domain(path: Path) -> pl.DataFrame:
    """Read one domain file as text columns (values exactly as exported) plus ``_ROW``;
    blank lines are not records and are skipped (:func:`scan_domain`, collected)."""
    lf = scan_domain(path)
    try:
        return lf.collect()
    except pl.exceptions.PolarsError as err:
        raise domain_read_error(path, err) from None
    except OSError as err:
        raise DataFileError(path, f"cannot read the file ({err.strerror})") from None


def read_raw(data_dir: Path | str) -> dict[str, pl.DataFrame]:
    """Read every collected domain of ``data_dir`` as text columns plus ``_ROW``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataFileError(data_dir, "no such data directory")
    return {name: read_domain(domain_file(data_dir, name)) for name in RAW_DOMAINS}


def read_manifest(data_dir: Path | str) -> dict:
    """The manifest of ``data_dir`` (empty dict when there is none). The bare form, a mapping
    of file name to SHA-256, is returned as ``{"files": mapping}``."""
    path = Path(data_dir) / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise DataFileError(path, "the manifest is not valid JSON; regenerate it") from None
    except OSError as err:
        raise DataFileError(path, f"cannot read the manifest ({err.strerror})") from None
    if not isinstance(manifest, dict):
        raise DataFileError(
            path,
            f"the manifest must be a JSON object with a 'files' object, not "
            f"{_json_kind(manifest)}; regenerate it",
        )
    if (
        "files" not in manifest
        and manifest
        and all(isinstance(v, str) and re.fullmatch(r"[0-9a-f]{64}", v) for v in manifest.values())
    ):  # the bare form {"dm.csv": "<sha256>", ...}: the same checks as the documented one
        manifest = {"files": manifest}
    files = manifest.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in files.items()
    ):
        raise DataFileError(
            path,
            "the manifest's 'files' must map each file name to its SHA-256 (text); regenerate it",
        )
    return manifest


def _json_kind(value: object) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "true/false",
        int: "a number",
        float: "a number",
    }.get(type(value), "null")


def write_manifest(data_dir: Path | str, extra: dict | None = None) -> dict:
    """Write ``manifest.json``: every data file's SHA-256, plus ``extra`` (e.g. the command)."""
    data_dir = Path(data_dir)
    files = {
        p.name: sha256(p)
        for p in sorted(data_dir.iterdir())
        if p.is_file() and p.suffix in {".csv", ".parquet"}
    }
    manifest = {**(extra or {}), "files": files}
    (data_dir / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def manifest_hash(data_dir: Path | str) -> str:
    """One hash naming the exact data: SHA-256 of the sorted ``file:sha256`` lines."""
    data_dir = Path(data_dir)
    files = {
        p.name: sha256(p)
        for p in sorted(data_dir.iterdir())
        if p.is_file() and p.suffix in {".csv", ".parquet"}
    }
    text = "\n".join(f"{k}:{v}" for k, v in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()
