"""Session 7, helper A: reproductions of what the RFC 4180 record check (``sle_car.io.
_check_short_rows``) still gets wrong, found by attacking it with export-like files. Each test
states what a data manager needs; it is marked ``xfail(strict=True)`` while the code does not
do it, so that fixing the code turns the test into an unexpected pass (remove the mark then).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sle_car.io import DataFileError, read_domain


def _file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    return path


def _refused(path: Path) -> str:
    with pytest.raises(DataFileError) as err:
        read_domain(path)
    return str(err.value)


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


@pytest.mark.xfail(
    strict=True,
    reason="A6: CR CR LF line ends (a CRLF file converted twice) are called CR-only line endings",
)
def test_doubled_carriage_returns_are_not_called_cr_only(tmp_path: Path) -> None:
    """Observed: 'line 1 ends with a carriage return (CR) alone ... the file has CR-only
    (classic Mac OS) line endings'; the file has a line feed on every line."""
    message = _refused(_file(tmp_path, b"A,B,C\r\r\n1,2,3\r\r\n4,5,6\r\r\n"))
    assert "CR-only" not in message
