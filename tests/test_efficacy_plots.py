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
