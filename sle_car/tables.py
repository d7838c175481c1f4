"""Publication tables with great-tables, with fixed ids so that the HTML is identical run to
run (nbval compares it; great-tables otherwise draws a random id per render)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from great_tables import GT


@dataclass(frozen=True)
class Table:
    """A rendered table: HTML for notebooks and the website, a stable one-line text form
    (a great-tables object's own text form carries memory addresses that change every run)."""

    gt: GT
    id: str
    n_rows: int

    def _repr_html_(self) -> str:
        return self.gt.as_raw_html()

    def __repr__(self) -> str:
        return f"<table {self.id}: {self.n_rows} rows>"


def table(
    df: pl.DataFrame,
    *,
    id: str,
    title: str | None = None,
    subtitle: str | None = None,
    decimals: int = 2,
    source_note: str | None = None,
    data_note: bool = True,
    missing: str = "–",
) -> Table:
    """A plain journal table: title, numbers to ``decimals``, an optional source note.

    A float column whose values are all whole numbers (a score of 28 read as 28.0, a count
    summed as a float) is printed without decimals ("28", never "28.0").

    With ``data_note`` (the default; off only for tables that do not show the study's data,
    such as published results), the note ends with the caption of the data cut the notebooks
    analyse (:func:`sle_car.cut.current_cut`): "Synthetic data, not patients: ..." or the
    real cut's label and hash, so a table never goes out without saying what data it shows.

    A missing value (null) is printed as ``missing`` ("–" unless the caller names what it
    means, e.g. "not measured"), never as the literal "None"; the caller's note says what it
    means."""
    gt = GT(df, id=id)
    if title:
        gt = gt.tab_header(title=title, subtitle=subtitle)
    floats = [c for c, t in df.schema.items() if t.is_float()]
    whole = [c for c in floats if whole_numbers(df[c])]
    if whole:
        gt = gt.fmt_number(columns=whole, decimals=0)
    if rest := [c for c in floats if c not in whole]:
        gt = gt.fmt_number(columns=rest, decimals=decimals)
    if df.width and df.null_count().sum_horizontal().item() > 0:
        gt = gt.sub_missing(missing_text=missing)
    if data_note:
        from sle_car.cut import current_cut

        source_note = " ".join(filter(None, [source_note, current_cut().caption]))
    if source_note:
        gt = gt.tab_source_note(source_note)
    gt = gt.opt_table_font(font=["Helvetica", "Arial", "sans-serif"]).opt_row_striping()
    return Table(gt, id, df.height)


def whole_numbers(s: pl.Series) -> bool:
    """Whether every non-missing value of the float series ``s`` is a whole number (and there
    is at least one)."""
    v = s.drop_nulls().drop_nans()
    return v.len() > 0 and bool((v == v.round(0)).all())
