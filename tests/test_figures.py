"""The figures standard (issue #18): one patient label and palette, final-size text check,
time axes and reference lines."""

from __future__ import annotations

import polars as pl
import pytest
from plotnine import aes, annotate, geom_point, ggplot

from sle_car import figures
from sle_car.figures import (
    COLUMN_MM,
    FigureTextTooSmall,
    patient_label,
    patient_label_expr,
    patient_palette,
    reference_line,
    save_figure,
    theme_journal,
)


def _plot(text_size: float = 7.0) -> ggplot:
    d = pl.DataFrame({"x": [0.0, 1.0], "y": [1.0, 2.0]})
    return (
        ggplot(d, aes("x", "y"))
        + geom_point()
        + annotate("text", x=0.5, y=1.5, label="note", size=text_size)
        + theme_journal()
    )


def test_patient_label_is_the_subject_number() -> None:
    assert patient_label("SLECAR01-01-004") == "004"
    assert patient_label("OTHER-7-0013") == "0013"
    got = pl.DataFrame({"USUBJID": ["SLECAR01-01-001", "X-2-17"]}).select(patient_label_expr())
    assert got["Patient"].to_list() == ["001", "17"]


def test_a_patient_keeps_its_colour_in_a_figure_showing_only_some_patients() -> None:
    cohort = ["SLECAR01-01-003", "SLECAR01-01-001", "SLECAR01-01-002"]
    pal = patient_palette(cohort)
    assert list(pal) == ["001", "002", "003"]
    assert pal["003"] == figures.PALETTE[2]
    # a subset must not be recoloured: callers pass the whole cohort, labels or USUBJIDs
    assert patient_palette(["001", "002", "003"]) == pal


def test_months_axis_conversion() -> None:
    got = pl.DataFrame({"ADY": [0.0, 365.25, 730.5]}).select(figures.months())["MONTH"].to_list()
    assert got == pytest.approx([0.0, 12.0, 24.0], abs=1e-9)


def test_text_below_6_pt_at_final_size_is_refused(tmp_path) -> None:
    with pytest.raises(FigureTextTooSmall, match=r"'note' \(5 pt\)"):
        save_figure(_plot(5.0), "small", column="single", out_dir=tmp_path, data_label="x")
    assert not list(tmp_path.iterdir())  # nothing written


def test_column_widths_are_the_final_size(tmp_path) -> None:
    from PIL import Image

    paths = save_figure(
        _plot(), "ok", column="single", height_mm=60, out_dir=tmp_path, data_label="x", dpi=100
    )
    width_px, height_px = Image.open(paths["png"]).size
    # matplotlib truncates inches x dpi to whole pixels: 85 mm at 100 dpi is 334.6 -> 334
    assert width_px == int(COLUMN_MM["single"] / 25.4 * 100) == 334
    assert height_px == int(60 / 25.4 * 100) == 236
    with pytest.raises(ValueError, match="column must be one of"):
        save_figure(_plot(), "bad", column="triple", out_dir=tmp_path, data_label="x")


def test_reference_line_draws_on_either_axis(tmp_path) -> None:
    for axis in ("x", "y"):
        p = _plot() + reference_line(1.2, "cut-off", axis=axis)
        save_figure(p, f"ref-{axis}", column="single", out_dir=tmp_path, data_label="x")
    with pytest.raises(ValueError, match="axis must be"):
        reference_line(1.0, axis="z")


def test_saving_after_the_size_check_keeps_300_dpi_and_facets(tmp_path) -> None:
    """The text check draws the plot; the saved files must not be affected (a second draw of
    the same plotnine object lost the dpi and broke facetted plots)."""
    from PIL import Image
    from plotnine import facet_wrap

    d = pl.DataFrame({"x": [0.0, 1.0, 0.0, 1.0], "y": [1.0, 2.0, 2.0, 1.0], "f": list("aabb")})
    p = ggplot(d, aes("x", "y")) + geom_point() + facet_wrap("~f") + theme_journal()
    paths = save_figure(
        p, "facets", column="single", height_mm=50, out_dir=tmp_path, data_label="x"
    )
    assert Image.open(paths["png"]).size == (int(85 / 25.4 * 300), int(50 / 25.4 * 300))


def test_swimmer_lanes_in_patient_order_and_same_day_events_stacked() -> None:
    lanes = pl.DataFrame(
        {"USUBJID": ["S-002", "S-001"], "ENDDY": [300, 600], "ONGOING": [True, False]}
    )
    events = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-001", "S-001"],
            "ADY": [100, 104, 200],
            "EVENT": ["B-cell return", "Drug-free remission", "DORIS remission"],
        }
    )
    p = figures.swimmer_plot(lanes, events)
    ev = p.layers[1].geom.data.sort("ADY")
    # 001 on top (y 2), 002 below (y 1): patients in number order from the top
    assert ev["_Y"].to_list() == pytest.approx([2.0, 2.22, 2.0])
    with pytest.raises(ValueError, match="without a marker"):
        figures.swimmer_plot(lanes, events.with_columns(pl.lit("Flare").alias("EVENT")))


# --- one month-axis rule ----------------------------------------------------------------------
def test_month_breaks_default_stops_at_the_last_month() -> None:
    assert figures.month_breaks(24) == [0, 3, 6, 9, 12, 15, 18, 21, 24]
    assert figures.month_breaks(24.5) == [0, 3, 6, 9, 12, 15, 18, 21, 24]  # ceil 25: no 27
    assert figures.month_breaks(12, step=6) == [0, 6, 12]


def test_month_breaks_round_up_ends_on_the_next_multiple_of_step() -> None:
    # the rule efficacy_plots._month_breaks applied: max(3, ceil(last / 3) * 3)
    assert figures.month_breaks(24.5, round_up=True)[-1] == 27
    assert figures.month_breaks(24.0, round_up=True)[-1] == 24  # exactly on a break: no extra
    assert figures.month_breaks(0.2, round_up=True) == [0, 3]  # at least one step
    assert figures.month_breaks(13, step=6, round_up=True) == [0, 6, 12, 18]
    with pytest.raises(ValueError, match="step"):
        figures.month_breaks(12, step=0)


def test_scale_x_months_passes_limits_and_keeps_the_old_call() -> None:
    s = figures.scale_x_months(7.2, round_up=True, limits=(0, 7.5))
    assert list(s.breaks) == [0, 3, 6, 9] and tuple(s.limits) == (0, 7.5)
    assert list(figures.scale_x_months(24).breaks) == list(range(0, 25, 3))


def test_scale_x_days_starts_at_a_baseline_before_day_0() -> None:
    assert list(figures.scale_x_days().breaks) == [0, 7, 14, 21, 28]
    assert list(figures.scale_x_days(14, first_day=-7).breaks) == [-7, 0, 7, 14]
    assert list(figures.scale_x_days(28, first_day=-3).breaks) == [-7, 0, 7, 14, 21, 28]
