"""Efficacy figures are saved at their final size (issue 18 figures standard)."""

from __future__ import annotations

import polars as pl
from matplotlib import image

from sle_car.efficacy_plots import rate_over_time_plot, renal_plot
from sle_car.endpoints_by_visit import rates_by_timepoint
from sle_car.figures import save_figure


def test_saved_at_final_size_after_the_text_check(tmp_path) -> None:
    # save_figure draws the plot (text-size check) and then saves it: the file must still be
    # 178 mm at 300 dpi (2102 px), not plotnine's 100-dpi default after a first draw
    pop = pl.DataFrame({"USUBJID": ["A", "B"], "LSTALVDY": [400, 400], "EOSSTT": ["ONGOING"] * 2})
    rec = pl.DataFrame(
        {
            "USUBJID": ["A", "B"],
            "AVISIT": ["WEEK 4", "WEEK 4"],
            "AVALC": ["Y", "N"],
            "NEREASON": [None, None],
        }
    )
    r = rates_by_timepoint(rec, timepoints={"Week 4": "WEEK 4"}, population=pop)
    paths = save_figure(
        rate_over_time_plot(r, y_label="Patients"),
        "t",
        column="double",
        height_mm=70,
        out_dir=tmp_path,
        data_label="test",
    )
    assert image.imread(paths["png"]).shape[1] == 2102


def test_free_scale_facets_can_be_saved(tmp_path) -> None:
    course = pl.DataFrame(
        {
            "USUBJID": ["S-001"] * 4,
            "Patient": ["001"] * 4,
            "PARAMCD": ["PROTCRT", "PROTCRT", "EGFR", "EGFR"],
            "PARAM_LABEL": ["UPCR (g/g)", "UPCR (g/g)", "eGFR", "eGFR"],
            "MONTH": [0.0, 3.0, 0.0, 3.0],
            "AVAL": [2.0, 0.1, 60.0, 70.0],
        }
    )
    paths = save_figure(
        renal_plot(course, ["S-001"], upcr_threshold=0.5),
        "r",
        column="double",
        height_mm=70,
        out_dir=tmp_path,
        data_label="test",
    )
    assert image.imread(paths["png"]).shape[1] == 2102


def _drawn(plot):
    import matplotlib

    matplotlib.use("Agg")
    return plot.draw()


def test_km_is_in_months_and_black_not_a_patient_colour() -> None:
    from sle_car.efficacy_plots import km_months_plot
    from sle_car.figures import PALETTE

    # events on days 30.4375 (1 month) and 91.3125 (3 months), one censored at day 200
    tte = pl.DataFrame({"AVAL": [30.4375, 91.3125, 200.0], "CNSR": [0, 0, 1]})
    fig = _drawn(km_months_plot(tte, y_label="p"))
    ax = fig.axes[0]
    step = ax.get_lines()[0]
    assert step.get_color().upper().startswith("#000000")
    assert step.get_color().upper()[:7] not in PALETTE[:-1]
    assert list(step.get_xdata()[:4]) == [0.0, 1.0, 1.0, 3.0]  # months, not days
    # numbers at risk outside the panel, under each month 0..7 (200 days = 6.6 months) of
    # the axis labels: 3 at 0 and 1, 1 at 6, 0 at 7
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == [
        "0\n[3]",
        "1\n[3]",
        "2\n[2]",
        "3\n[2]",
        "4\n[1]",
        "5\n[1]",
        "6\n[1]",
        "7\n[0]",
    ]
    assert not [t for t in ax.texts if t.get_text().isdigit()]  # nothing inside the panel
    assert any("[number at risk]" in t.get_text() for t in fig.texts)
    # the curve stops at the last follow-up (6.57 months), not at the last break (7)
    assert abs(max(max(line.get_xdata()) for line in ax.get_lines()) - 200.0 / 30.4375) < 1e-9


def test_rate_points_are_not_in_a_patient_colour() -> None:
    from sle_car.figures import PALETTE

    pop = pl.DataFrame({"USUBJID": ["A"], "LSTALVDY": [400], "EOSSTT": ["ONGOING"]})
    rec = pl.DataFrame({"USUBJID": ["A"], "AVISIT": ["WEEK 4"], "AVALC": ["Y"], "NEREASON": [None]})
    r = rates_by_timepoint(rec, timepoints={"Week 4": "WEEK 4"}, population=pop)
    ax = _drawn(rate_over_time_plot(r, y_label="p")).axes[0]
    colours = {
        "#{:02X}{:02X}{:02X}".format(*(round(v * 255) for v in c[:3]))
        for coll in ax.collections
        for c in coll.get_facecolor()
    }
    assert colours and not colours & set(PALETTE[:-1])


def test_mid_label_sits_right_of_every_line() -> None:
    from sle_car.efficacy_plots import change_plot

    df = pl.DataFrame(
        {"USUBJID": ["S-001"] * 2, "Patient": ["001"] * 2, "MONTH": [1.0, 6.5], "CHG": [2.0, 6.0]}
    )
    ax = _drawn(change_plot(df, ["S-001"], y_label="y", mid=4, mid_label="MID 4 points")).axes[0]
    (label,) = [t for t in ax.texts if t.get_text().startswith("MID")]
    x, y = label.get_position()
    assert x > 6.5 and y == 4.0  # beyond the last assessment, at the MID
    assert ax.get_xlim()[1] > x + 1  # and inside the panel


def test_patient_panels_keep_values_and_give_each_patient_a_panel() -> None:
    from sle_car.efficacy_plots import patient_panels_plot

    df = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-001", "S-002", "S-002"],
            "MONTH": [0.0, 3.0, 0.0, 3.0],
            "AVAL": [10.0, 0.0, 8.0, 0.0],  # both at 0 at month 3: one line would hide the other
        }
    )
    fig = _drawn(patient_panels_plot(df, ["S-001", "S-002"], y_label="SLEDAI-2K"))
    panels = [ax for ax in fig.axes if ax.get_lines()]
    assert len(panels) == 2
    ys = sorted(tuple(ax.get_lines()[0].get_ydata()) for ax in panels)
    assert ys == [(8.0, 0.0), (10.0, 0.0)]  # values as recorded, no dodge


def test_change_plot_in_weeks_has_the_protocol_weeks_as_breaks() -> None:
    from sle_car.efficacy_plots import change_plot

    df = pl.DataFrame(
        {"USUBJID": ["S-001"] * 2, "Patient": ["001"] * 2, "ADY": [28, 199], "CHG": [2.0, 6.0]}
    )
    p = change_plot(df, ["S-001"], y_label="y", mid=4, mid_label="MID 4 points", unit="weeks")
    assert p.data["WEEK"].to_list() == [0.0, 4.0, 199 / 7]  # baseline at week 0
    xs = next(s for s in p.scales if "x" in s.aesthetics)
    # the week-28 visit on day 199 (week 28.4) ends the axis at 28, not 32
    assert list(xs.breaks) == [0, 4, 8, 12, 16, 20, 24, 28]
    assert xs.name == "Weeks after CAR T-cell infusion"


def test_renal_plot_labels_upcr_above_2_and_draws_the_complete_response_line() -> None:
    """UPCR up to 3.9 g/g gets a "3" label (was nothing above 2); the complete-response limit
    0.44 g/g is a dotted line beside the dashed active-nephritis line, both on the UPCR panel."""
    import math

    from sle_car.efficacy_plots import _log_or_linear_breaks, _log_or_linear_labels

    labels = _log_or_linear_labels(_log_or_linear_breaks((math.log10(0.08), math.log10(3.9))))
    assert labels[-2:] == ["2", "3"]
    course = pl.DataFrame(
        {
            "USUBJID": ["S-001"] * 2,
            "Patient": ["001"] * 2,
            "PARAMCD": ["PROTCRT"] * 2,
            "PARAM_LABEL": ["UPCR (g/g)"] * 2,
            "MONTH": [0.0, 3.0],
            "AVAL": [3.9, 0.1],
        }
    )
    p = renal_plot(course, ["S-001"], upcr_threshold=0.5, cr_upcr_g_g=0.442, cr_text="< 50 mg/mmol")
    hl = next(layer for layer in p.layers if type(layer.geom).__name__ == "geom_hline")
    got = dict(zip(hl.geom.data["LT"], hl.geom.data["Y"], strict=True))
    assert got["dashed"] == math.log10(0.5) and got["dotted"] == math.log10(0.442)
    assert "dotted line: 0.44 g/g (< 50 mg/mmol), complete renal response" in p.labels.subtitle
