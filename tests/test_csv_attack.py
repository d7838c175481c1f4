"""Session 7, helper A: reproductions of what the RFC 4180 record check (``sle_car.io.
_check_short_rows``) still gets wrong, found by attacking it with export-like files. Each test
states what a data manager needs; each was marked ``xfail(strict=True)`` while the code did not
do it. Helper V2 fixed all six (the marks are gone) and added tests of the same rules after a
multi-line note and of well-formed quoted values read without a false alarm.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sle_car.io import read_domain
from tests.test_csv_records import _file, _refused


def test_a_lone_quote_before_a_valid_multi_line_note_names_the_lone_quote(
    tmp_path: Path,
) -> None:
    """Line 3 holds 5" (a lone quote in an unquoted value); lines 5-6 hold a correct note.
    Observed: 'line 6 opens a quoted value ... never closed' (line 6 is `line2",3`)."""
    path = _file(tmp_path, b'A,B,C\n1,2,3\n4,5" tall,6\n7,8,9\n1,"note\nline2",3\n4,5,6\n')
    message = _refused(path)
    assert "line 3" in message and "line 6" not in message


def test_quotes_inside_an_unquoted_value_around_a_comma_name_the_line(tmp_path: Path) -> None:
    """Observed: 'not a well-formed CSV file (found more fields than defined in 'Schema')'."""
    path = _file(tmp_path, b'A,B,C\n1,2,3\n4,5" by, 3" box,6\n7,8,9\n')
    assert "line 3" in _refused(path)


@pytest.mark.parametrize("value", [b'"Big" toe pain', b'"Rash" '])
def test_text_after_a_closing_quote_names_the_line(tmp_path: Path, value: bytes) -> None:
    """Observed: 'not a well-formed CSV file (could not parse `"Big" toe pain` as dtype `str`
    at column 'B' (column number 2))'."""
    path = _file(tmp_path, b"A,B,C\n1,2,3\n4," + value + b",6\n7,8,9\n")
    assert "line 3" in _refused(path)


def test_a_short_line_of_escaped_quotes_is_not_padded(tmp_path: Path) -> None:
    """Observed: accepted, row 3 read as ('"', '"', None): C silently padded."""
    path = _file(tmp_path, b'A,B,C\n1,2,3\n"""",""""\n4,5,6\n')
    assert "line 3 has 2 fields, the header has 3" in _refused(path)


def test_a_short_record_with_a_cr_inside_quotes_is_called_short(tmp_path: Path) -> None:
    """Observed: 'line 2 has 2 fields, the header has 3: line 2 holds a carriage return (CR)
    not followed by a line feed, so two lines of the export are run together'."""
    path = _file(tmp_path, b'A,B,C\n1,"a\rb"\n4,5,6\n')
    message = _refused(path)
    assert "line 2 has 2 fields" in message and "run together" not in message


def test_doubled_carriage_returns_are_not_called_cr_only(tmp_path: Path) -> None:
    """Observed: 'line 1 ends with a carriage return (CR) alone ... the file has CR-only
    (classic Mac OS) line endings'; the file has a line feed on every line."""
    message = _refused(_file(tmp_path, b"A,B,C\r\r\n1,2,3\r\r\n4,5,6\r\r\n"))
    assert "CR-only" not in message


def test_quotes_around_a_comma_give_quote_the_value_advice(tmp_path: Path) -> None:
    """The advice for A2 is to quote the value, not to look for a missing or extra field."""
    path = _file(tmp_path, b'A,B,C\n1,2,3\n4,5" by, 3" box,6\n7,8,9\n')
    message = _refused(path)
    assert "line 3 has a quote" in message and "it reads 4 fields, the header has 3" in message
    assert "quote the value" in message and '"5"" by, 3"" box"' in message


def test_quotes_around_a_comma_are_refused_when_the_split_count_matches(tmp_path: Path) -> None:
    """With four columns, polars splits 4,5" by, 3" box,6 into 4 fields and reads the row with
    no error (the values under the wrong columns): the row is refused all the same."""
    path = _file(tmp_path, b'A,B,C,D\n1,2,3,4\n4,5" by, 3" box,6\n7,8,9,0\n')
    message = _refused(path)
    assert "line 3 has a quote" in message and "it reads 4 fields, the header has 4" in message


def test_quotes_around_a_comma_after_a_multi_line_note_name_the_line(tmp_path: Path) -> None:
    """The same record on line 5, after a note spanning lines 2-3 (the record-by-record pass):
    row 4 in a spreadsheet."""
    path = _file(tmp_path, b'A,B,C\n1,"note\nline2",3\n7,8,9\n4,5" by, 3" box,6\n')
    message = _refused(path)
    assert "line 5 (row 4 in a spreadsheet) has a quote" in message
    assert "it reads 4 fields" in message and "quote the value" in message


def test_text_after_a_closing_quote_after_a_multi_line_note_names_the_line(tmp_path: Path) -> None:
    path = _file(tmp_path, b'A,B,C\n1,"note\nline2",3\n4,"Big" toe pain,6\n')
    message = _refused(path)
    assert "line 4 (row 3 in a spreadsheet) has text after the closing quote" in message


def test_well_formed_quoted_values_are_read_as_polars_reads_them(tmp_path: Path) -> None:
    """No false alarm: quoted values at a line's start, holding commas, escaped quotes, only an
    escaped quote, empty, a CR, and a literal quote inside an unquoted value (even count)."""
    path = _file(
        tmp_path,
        b'A,B,C\n"a,b","x""y",""\n"""",5"x"y,"c\rd"\n"note\nline2",",",3\n',
    )
    df = read_domain(path)
    assert df.select("A", "B", "C").rows() == [
        ("a,b", 'x"y', None),
        ('"', '5"x"y', "c\rd"),
        ("note\nline2", ",", "3"),
    ]
    assert df["_ROW"].to_list() == [2, 3, 4]


def test_doubled_carriage_returns_are_named_as_such(tmp_path: Path) -> None:
    message = _refused(_file(tmp_path, b"A,B,C\r\r\n1,2,3\r\r\n4,5,6\r\r\n"))
    assert "line 1 ends with 2 carriage returns (CR) before its line feed (CR CR LF)" in message
