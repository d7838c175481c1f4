"""Publication tables (sle_car.tables): how numbers are printed."""

from __future__ import annotations

import polars as pl

from sle_car.tables import table, whole_numbers


def test_whole_number_floats_print_without_decimals_and_others_keep_them() -> None:
    """A BILAG score of 28.0 prints "28"; a PGA of 2.6 keeps its decimal."""
    df = pl.DataFrame({"BILAG-2004": [28.0, 12.0, None], "PGA (0-3)": [2.6, 0.0, 1.6]})
    assert whole_numbers(df["BILAG-2004"]) and not whole_numbers(df["PGA (0-3)"])
    html = table(df, id="t", decimals=1, data_note=False)._repr_html_()
    assert ">28<" in html and "28.0" not in html
    assert ">2.6<" in html and ">0.0<" in html


def test_an_all_missing_column_is_not_whole() -> None:
    assert not whole_numbers(pl.Series([None, None], dtype=pl.Float64))


def test_a_missing_value_is_never_printed_as_none() -> None:
    """A null prints as "–" (or the caller's word for it), never as the literal "None"."""
    df = pl.DataFrame({"Peak (cells/µL)": [12.5, None], "Day": ["10", None]})
    html = table(df, id="t", data_note=False).gt.as_raw_html()
    assert "None" not in html and html.count(">–<") == 2
    named = table(df, id="t", data_note=False, missing="not measured").gt.as_raw_html()
    assert named.count(">not measured<") == 2
