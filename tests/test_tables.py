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
