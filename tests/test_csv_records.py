"""Session 7: records of a CSV export are counted as RFC 4180 defines them (a record ends at a
line break outside quotes; "" inside a quoted value is an escaped quote), so a quoted value
spanning lines (a free-text note with line breaks) no longer switches the short-row check off
for the whole file; file-level CSV errors name the line where the problem starts. One rule per
test, on tiny hand-written files, plus both engines on a damaged cohort."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sle_car.io import DataFileError, read_domain
from sle_car.validate import validate_study
from tests.test_batched import _assert_same

NOTE = b'1,"first line of a note\nsecond line, with a comma",3\n'


def _file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    return path


def _refused(path: Path) -> str:
    with pytest.raises(DataFileError) as err:
        read_domain(path)
    assert err.value.file == str(path)
    return str(err.value)


def test_a_short_row_after_a_multi_line_note_is_refused_naming_its_line(tmp_path: Path) -> None:
    """The note spans lines 2-3, so the short record 4,5 is on line 5 (row 4 in a spreadsheet):
    before, the odd quote on line 2 switched the check off and polars padded C with a blank."""
    path = _file(tmp_path, b"A,B,C\n" + NOTE + b"4,5,6\n4,5\n7,8,9\n")
    message = _refused(path)
    assert (
        "line 5 (row 4 in a spreadsheet) has 2 fields, the header has 3: a value or its comma "
        "is missing" in message
    )


def test_a_multi_line_note_alone_is_accepted_with_its_values_intact(tmp_path: Path) -> None:
    path = _file(tmp_path, b"A,B,C\n" + NOTE + b"4,5,6\n")
    df = read_domain(path)
    assert df.rows() == [
        (2, "1", "first line of a note\nsecond line, with a comma", "3"),
        (3, "4", "5", "6"),
    ]


def test_a_multi_line_record_with_a_field_missing_names_its_first_line(tmp_path: Path) -> None:
    """The comma in the note's second line is inside quotes and is not a field separator: the
    record 1,"...",  spread over lines 3-4 has 2 fields."""
    path = _file(tmp_path, b"A,B,C\n4,5,6\n" + NOTE.replace(b",3\n", b"\n") + b"7,8,9\n")
    message = _refused(path)
    assert "line 3 has 2 fields (its record runs to line 4: a quoted value in it spans lines)" in (
        message
    )


def test_a_multi_line_record_with_a_field_too_many_is_refused(tmp_path: Path) -> None:
    path = _file(tmp_path, b"A,B,C\n" + NOTE.replace(b",3\n", b",3,4\n") + b"7,8,9\n")
    assert "line 2 has 4 fields (its record runs to line 3" in _refused(path)


@pytest.mark.parametrize(
    ("content", "value"),
    [
        (b'1,"he said ""stop, now""",3\n', 'he said "stop, now"'),  # even quotes, one line
        (b'1,"he said ""stop,\nnow"" twice",3\n', 'he said "stop,\nnow" twice'),  # spans lines
        (b'1,"""quoted"" start\nand end ""x""",3\n', '"quoted" start\nand end "x"'),
    ],
    ids=["one-line", "spanning", "at-both-ends"],
)
def test_escaped_quotes_are_one_quote_and_their_commas_stay_in_the_value(
    tmp_path: Path, content: bytes, value: str
) -> None:
    path = _file(tmp_path, b"A,B,C\n" + content + b"4,5,6\n")
    assert read_domain(path)["B"].to_list() == [value, "5"]
    short = _file(tmp_path, b"A,B,C\n" + content + b"4,5\n")
    line = 2 + content.count(b"\n")
    row = " (row 3 in a spreadsheet)" if line > 3 else ""
    assert f"line {line}{row} has 2 fields, the header has 3" in _refused(short)


def test_crlf_file_with_a_multi_line_note_counts_records_and_lines(tmp_path: Path) -> None:
    crlf = (b"A,B,C\n" + NOTE + b"4,5,6\n").replace(b"\n", b"\r\n")
    df = read_domain(_file(tmp_path, crlf))
    assert df["C"].to_list() == ["3", "6"]
    assert df["B"][0] == "first line of a note\r\nsecond line, with a comma"  # as polars reads it
    short = (b"A,B,C\n" + NOTE + b"4,5,6\n4,5\n").replace(b"\n", b"\r\n")
    message = _refused(_file(tmp_path, short))
    assert "line 5 (row 4 in a spreadsheet) has 2 fields, the header has 3" in message


def test_balanced_quotes_inside_an_unquoted_value_are_literal(tmp_path: Path) -> None:
    """polars reads a quote inside a value that is not enclosed in quotes literally when the
    line holds an even number of them; so does the count (the line is not short)."""
    df = read_domain(_file(tmp_path, b'A,B,C\n1,5" by 3" box,3\n4,5,6\n'))
    assert df["B"].to_list() == ['5" by 3" box', "5"]


def test_a_lone_quote_inside_an_unquoted_value_names_its_line(tmp_path: Path) -> None:
    """5" tall opens a quoted value that never closes: polars failed with "CSV malformed:
    expected 0 rows, actual 2 rows" and no line."""
    message = _refused(_file(tmp_path, b'A,B,C\n1,2,3\n4,5" tall,6\n7,8,9\n'))
    assert "line 3 opens a quoted value" in message and "never closed" in message
    assert '"5"" tall"' in message  # what to do


def test_two_lone_quotes_in_unquoted_values_on_different_lines_name_the_first(
    tmp_path: Path,
) -> None:
    """Two lone quotes pair up across lines 2-3 (an even count: no unclosed quote); the opening
    one is not at the start of a value, so it is a quote inside an unquoted value."""
    message = _refused(_file(tmp_path, b'A,B,C\n1,5" tall,3\n4,5"x,6\n7,8,9\n'))
    assert 'line 2 has a quote (") inside a value that is not enclosed in quotes' in message
    assert "opens a quoted value running on to the next line(s)" in message


def test_an_unbalanced_quote_at_the_end_of_the_file_names_the_line(tmp_path: Path) -> None:
    message = _refused(_file(tmp_path, b'A,B,C\n1,2,3\n4,5,6\n7,8,"9\n'))
    assert "line 4 opens a quoted value" in message
    assert "from line 4 on would be read as one value" in message


def test_a_row_with_a_field_too_many_names_its_line(tmp_path: Path) -> None:
    """polars' own message had no line ("found more fields than defined in 'Schema'")."""
    message = _refused(_file(tmp_path, b"A,B,C\n1,2,3\n4,5,6,7\n8,9,10,11\n"))
    assert message.endswith(
        "line 3 has 4 fields, the header has 3 (2 lines have too many fields: 3, 4): a value "
        "holds a comma but is not enclosed in quotes, or a field is extra, so the row's values "
        "cannot be matched to their columns; re-export the file with such values in quotes, "
        "or remove the extra field(s)"
    )


def test_cr_only_line_endings_are_named(tmp_path: Path) -> None:
    """A file with CR-only line endings was "the first line is not a CSV header"."""
    message = _refused(_file(tmp_path, b"A,B,C\r1,2,3\r4,5,6\r"))
    assert "line 1 ends with a carriage return (CR) alone" in message
    assert "no line feed at all" in message and "CRLF" in message


def test_a_cr_only_line_ending_inside_the_file_names_its_line(tmp_path: Path) -> None:
    message = _refused(_file(tmp_path, b"A,B,C\n1,2,3\n4,5,6\r7,8,9\n"))
    assert message.startswith(
        f"{tmp_path / 'x.csv'}: line 3 has 5 fields, the header has 3: line 3 holds a "
        "carriage return (CR) not followed by a line feed"
    )


def test_a_carriage_return_inside_a_quoted_value_is_kept(tmp_path: Path) -> None:
    df = read_domain(_file(tmp_path, b'A,B,C\n1,"a\rb",3\n4,5,6\n'))
    assert df["B"].to_list() == ["a\rb", "5"]


def test_a_blank_line_after_a_multi_line_note_is_no_record(tmp_path: Path) -> None:
    df = read_domain(_file(tmp_path, b"A,B,C\n" + NOTE + b"\n  \n4,5,6\n"))
    assert df["_ROW"].to_list() == [2, 5]


# --- both engines ------------------------------------------------------------------------------
def _ae_with_note(data: Path, short_line: bool) -> tuple[Path, int]:
    """ae.csv with a two-line quoted AETERM on record 2 and, optionally, the last field of the
    following record dropped; returns the path and that record's line."""
    path = data / "ae.csv"
    lines = path.read_bytes().split(b"\n")
    fields = lines[1].split(b",")
    fields[4] = b'"' + fields[4] + b'\nsecond line, with a comma"'
    lines[1] = b",".join(fields)
    if short_line:
        lines[2] = lines[2].rsplit(b",", 1)[0]
    path.write_bytes(b"\n".join(lines))
    return path, 4  # record 3 starts on line 4: record 2 spans lines 2-3


def test_a_short_row_after_a_multi_line_value_is_refused_in_both_engines(
    data_copy: Path, tmp_path: Path
) -> None:
    from sle_car.batched import validate_clean

    path, line = _ae_with_note(data_copy, short_line=True)
    n_header = path.read_bytes().split(b"\n")[0].count(b",") + 1
    expected = (
        rf"line {line} \(row {line - 1} in a spreadsheet\) has {n_header - 1} fields, the "
        f"header has {n_header}"
    )
    with pytest.raises(DataFileError, match=expected) as err:
        validate_study(data_copy)
    assert err.value.file.endswith("ae.csv")
    with pytest.raises(DataFileError, match=expected):
        validate_clean(data_copy, tmp_path / "clean", batch_size=1)


def test_a_multi_line_value_gives_the_same_outcome_in_both_engines(
    data_copy: Path, tmp_path: Path
) -> None:
    _ae_with_note(data_copy, short_line=False)
    ae = read_domain(data_copy / "ae.csv")
    assert ae["AETERM"][0].endswith("\nsecond line, with a comma")
    assert ae["_ROW"].head(3).to_list() == [2, 3, 4]  # spreadsheet rows, not lines
    assert ae.height == pl.read_csv(data_copy / "ae.csv", infer_schema=False).height
    _assert_same(data_copy, tmp_path / "out", batch_sizes=(1, 10_000))


def test_the_row_named_is_the_one_the_validation_report_shows(tmp_path: Path) -> None:
    """Lines 2-4 and 5-6 hold two records: line 7 is row 4 (the report's _ROW)."""
    body = b'A,B,C\n1,"a\nb\nc",3\n1,"a\nb",3\n'
    assert "line 7 (row 4 in a spreadsheet) has 2 fields" in _refused(
        _file(tmp_path, body + b"4,5\n")
    )
    assert read_domain(_file(tmp_path, body + b"4,5,6\n"))["_ROW"].to_list() == [2, 3, 4]


def test_a_short_record_deep_in_a_large_file_gets_the_row_polars_pads(tmp_path: Path) -> None:
    """300,000 records, every 7th with a note over two lines, so the streamed passes run over
    many chunks: the line and row named are where polars would pad the record with a blank."""
    n = 300_000
    df = pl.DataFrame({"A": pl.int_range(n, eager=True).cast(pl.String)}).with_columns(
        B=pl.when(pl.int_range(n) % 7 == 0).then(pl.lit("a\nb, c")).otherwise(pl.lit("x")),
        C=pl.lit("z"),
    )
    path = tmp_path / "x.csv"
    df.write_csv(path)
    lines = path.read_bytes().split(b"\n")
    # a line past 250,000 holding one whole record (no quote on it or on the line before)
    target = next(i for i in range(250_000, n) if b'"' not in lines[i] + lines[i - 1])
    lines[target] = lines[target].rsplit(b",", 1)[0]
    path.write_bytes(b"\n".join(lines))
    padded = pl.read_csv(path, infer_schema=False).with_row_index("row", offset=2)
    row = padded.filter(pl.col("C").is_null())["row"].to_list()
    assert len(row) == 1
    assert f"line {target + 1} (row {row[0]} in a spreadsheet) has 2 fields" in _refused(path)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b'","\n', 3),  # one quoted comma: a value, not a blank line
        (b'" "" "\n', 3),  # a quoted value holding a quote
        (b' ""\n', 3),  # a space then two quotes: a literal value
        (NOTE + b'","\n', 5),  # the same after a value spanning lines 3-4
    ],
)
def test_a_short_row_made_of_commas_quotes_or_spaces_is_refused(
    tmp_path: Path, body: bytes, line: int
) -> None:
    """A line whose only value is made of commas, quotes or spaces is a record, not a blank
    line: with fields missing, it is refused like any short row (the reader padded it)."""
    path = _file(tmp_path, b"A,B,C\n1,2,3\n" + body + b"7,8,9\n")
    message = _refused(path)
    assert f"line {line} " in message and "has 1 field, the header has 3" in message


def test_lines_of_blank_and_quoted_blank_fields_hold_no_record(tmp_path: Path) -> None:
    path = _file(tmp_path, b'A,B,C\n1,2,3\n,\n"",\n" ",  ,""\n\n7,8,9\n')
    assert read_domain(path).rows() == [(2, "1", "2", "3"), (7, "7", "8", "9")]


@pytest.mark.parametrize("value", [b'"a"x"b"', b'"a" "b"'])
def test_text_between_quoted_runs_of_a_value_is_refused(tmp_path: Path, value: bytes) -> None:
    """The reader would read "a" "b" as a b, dropping the exported quotes without a word."""
    path = _file(tmp_path, b"A,B,C\n1,2,3\n4," + value + b",6\n")
    assert "line 3" in _refused(path)


@pytest.mark.parametrize("name", ["_ROW", "_BATCH", "_GROUP", "_K"])
def test_a_column_named_as_an_internal_one_is_refused(tmp_path: Path, name: str) -> None:
    """The batched engine adds _BATCH, _GROUP and _K to the raw rows: an export column so
    named would be overwritten or dropped there, and its outcome differ from one pass."""
    path = _file(tmp_path, f"A,{name},C\n1,2,3\n".encode())
    assert f"a column is named '{name}', a name reserved for" in _refused(path)


@pytest.mark.parametrize("header", [b'A,B"x,C\n', b'"A","B\nb",C\n', b'A,"B,C\n'])
def test_a_header_whose_quote_does_not_close_on_line_1_is_named(
    tmp_path: Path, header: bytes
) -> None:
    """A quote inside an unquoted column name (the reader read every row as part of the header:
    the file came out with no rows, silently), a quoted name spanning lines (valid RFC 4180,
    never a contract's name) or an unclosed quote: refused, naming the header."""
    path = _file(tmp_path, header + b"1,2,3\n")
    assert "line 1 (the header) has an odd number of quotes" in _refused(path)
