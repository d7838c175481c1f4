"""Display settings fixed in one place, so that notebook outputs are identical run to run
(nbval compares them) and read well on the website."""

from __future__ import annotations

import polars as pl

POLARS_OPTIONS = {
    "tbl_rows": 20,
    "tbl_cols": 12,
    "fmt_str_lengths": 60,
    "tbl_width_chars": 120,
    "float_precision": 3,
    "tbl_hide_dataframe_shape": False,
}


def setup_notebook() -> None:
    """Apply the polars display options and the figure defaults; call once at the top of
    every notebook."""
    pl.Config.restore_defaults()
    pl.Config.set_tbl_rows(POLARS_OPTIONS["tbl_rows"])
    pl.Config.set_tbl_cols(POLARS_OPTIONS["tbl_cols"])
    pl.Config.set_fmt_str_lengths(POLARS_OPTIONS["fmt_str_lengths"])
    pl.Config.set_tbl_width_chars(POLARS_OPTIONS["tbl_width_chars"])
    pl.Config.set_float_precision(POLARS_OPTIONS["float_precision"])
    from sle_car.figures import configure_matplotlib

    configure_matplotlib()


def collected(
    frame: pl.DataFrame,
    what: str,
    *,
    paramcd: str | list[str] | None = None,
    column: str = "PARAMCD",
) -> bool:
    """Whether the analysed data cut holds ``what`` (any row of ``frame``, or rows whose
    ``column`` is one of ``paramcd``). When it does not, say so in one sentence, so that a
    notebook section on data a cut did not collect (CAR T-cell kinetics, BILAG-2004,
    FACIT-Fatigue, ...) states it once and moves on instead of failing."""
    if paramcd is not None:
        codes = [paramcd] if isinstance(paramcd, str) else list(paramcd)
        frame = frame.filter(pl.col(column).is_in(codes))
    if frame.height:
        return True
    print(f"{what}: not collected in this data cut, so this section shows nothing.")
    return False
