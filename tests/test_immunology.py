"""Immunology over time (issue 18): follow-up and assessment per protocol month, the
autoantibody panel's comparators, seroconversion among the baseline-positive, log-scale
floors. One rule per test on tiny hand-written frames."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car import immunology as I


def _adsl() -> pl.DataFrame:
    # A completed; W withdrew on day 200 (before the month 9 window closes); C: cut on day 90
    return pl.DataFrame(
        {
            "USUBJID": ["A", "W", "C"],
            "SAFFL": ["Y"] * 3,
            "LSTALVDY": [730, 200, 90],
            "EOSSTT": ["COMPLETED", "DISCONTINUED", "ONGOING"],
        }
    )


def test_aplasia_1_denominators_per_month() -> None:
    # month 1 (WEEK 4): A aplastic, W not, C sample not evaluable; month 3 (WEEK 12): A only
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A", "W", "C", "A", "A"],
            "PARAMCD": ["BCAPL"] * 4 + ["DORISREM"],
            "AVALC": ["Y", "N", None, "Y", "Y"],
            "NEREASON": [None, None, "input missing", None, None],
            "AVISIT": ["WEEK 4", "WEEK 4", "WEEK 4", "WEEK 12", "WEEK 12"],
            "ANL01FL": ["Y"] * 5,
        }
    )
    r = I.aplasia_by_month(adrs, _adsl())
    m1 = r.filter(pl.col("timepoint") == "Month 1").row(0, named=True)
    assert (m1["n_follow_up"], m1["n_assessed"], m1["n_evaluable"], m1["k"]) == (3, 3, 2, 1)
    m3 = r.filter(pl.col("timepoint") == "Month 3").row(0, named=True)
    # W (left day 200) and C (cut day 100) were still followed through month 3's window? W yes
    # (missed), C no (the window closes after day 100: not reached)
    assert (m3["n_follow_up"], m3["n_evaluable"], m3["k"]) == (2, 1, 1)
    assert (m3["n_missed"], m3["n_not_reached"]) == (1, 1)
    m9 = r.filter(pl.col("timepoint") == "Month 9").row(0, named=True)
    assert (m9["n_follow_up"], m9["n_left_study"], m9["n_not_reached"]) == (1, 1, 1)
    assert m9["n_evaluable"] == 0 and m9["rate"] is None  # never 0 % of nobody


def test_aplasia_2_other_parameters_are_ignored() -> None:
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A"],
            "PARAMCD": ["DORISREM"],
            "AVALC": ["Y"],
            "NEREASON": [None],
            "AVISIT": ["WEEK 4"],
            "ANL01FL": ["Y"],
        },
        schema_overrides={"NEREASON": pl.String},
    )
    assert I.aplasia_by_month(adrs, _adsl())["n_assessed"].sum() == 0


# --- the panel --------------------------------------------------------------------------------
def _panel(**cols: list) -> pl.DataFrame:
    base = {
        "LBTESTCD": ["DDNAIGAB", "X"],
        "LABEL": ["Anti-dsDNA", "Anti-X"],
        "UNIT": ["IU/mL", "U/mL"],
        "CUTOFF": ["30", "20"],
        "CUTOFF_DIRECTION": [">=", ">"],
        "CUTOFF_SOURCE": ["BLISS", "assay"],
        "ORDER": ["1", "2"],
    }
    base.update(cols)
    return pl.DataFrame(base)


def test_panel_1_comparator_per_antibody_at_the_cut_off() -> None:
    panel = I.check_panel(_panel())
    df = pl.DataFrame({"PARAMCD": ["DDNAIGAB", "X"], "AVAL": [30.0, 20.0]}).join(
        panel, left_on="PARAMCD", right_on="LBTESTCD"
    )
    pos = df.select(
        I.compute_positive(pl.col("AVAL"), pl.col("CUTOFF"), pl.col("CUTOFF_DIRECTION"))
    ).to_series()
    assert pos.to_list() == [True, False]  # 30 >= 30 positive; 20 > 20 not


def test_panel_2_missing_value_is_not_negative() -> None:
    out = pl.select(I.compute_positive(pl.lit(None, pl.Float64), pl.lit(30.0), pl.lit(">=")))
    assert out.item() is None


def test_panel_3_unknown_direction_names_row_column_and_value() -> None:
    with pytest.raises(ValueError, match=r"row 3, column CUTOFF_DIRECTION, value '=>'"):
        I.check_panel(_panel(CUTOFF_DIRECTION=[">=", "=>"]))


def test_panel_4_non_numeric_cut_off_names_row() -> None:
    with pytest.raises(ValueError, match=r"row 2, column CUTOFF, value '30 IU'"):
        I.check_panel(_panel(CUTOFF=["30 IU", "20"]))


def test_panel_5_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="CUTOFF_SOURCE"):
        I.check_panel(_panel().drop("CUTOFF_SOURCE"))


def _adlb_ab() -> pl.DataFrame:
    # B positive at baseline and negative later; C negative at baseline; D unmeasured at baseline
    return pl.DataFrame(
        {
            "USUBJID": ["B", "B", "C", "C", "D"],
            "PARAMCD": ["DDNAIGAB"] * 5,
            "AVAL": [100.0, 10.0, 10.0, 50.0, 10.0],
            "ADY": [-7, 84, -7, 84, 84],
            "AVISIT": ["BASELINE", "WEEK 12", "BASELINE", "WEEK 12", "WEEK 12"],
            "ABLFL": ["Y", None, "Y", None, None],
            "ANL01FL": ["Y"] * 5,
        }
    )


def test_abpos_1_baseline_positivity_and_month() -> None:
    ab = I.derive_var_abpos(_adlb_ab(), I.check_panel(_panel())).sort("USUBJID", "ADY")
    assert ab["ABPOS"].to_list() == [True, False, False, True, False]
    assert ab["BASEPOS"].to_list() == [True, True, False, False, None]


def test_seroconversion_1_only_baseline_positive_patients_count() -> None:
    ab = I.derive_var_abpos(_adlb_ab(), I.check_panel(_panel()))
    sc = I.seroconversion_flags(ab)
    # C (negative at baseline, positive later) and D (no baseline) are not in the denominator
    assert sc["USUBJID"].to_list() == ["B"] and sc["SERONEG"].to_list() == [True]


def _pop(ids: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"USUBJID": ids, "LSTALVDY": [730] * len(ids), "EOSSTT": ["COMPLETED"] * len(ids)}
    )


def test_seroconversion_2_by_month_denominator_is_baseline_positive() -> None:
    ab = I.derive_var_abpos(_adlb_ab(), I.check_panel(_panel()))
    r = I.seroconversion_by_month(ab, _pop(["B", "C", "D"]))
    m3 = r.filter(pl.col("timepoint") == "Month 3").row(0, named=True)
    assert (m3["n_population"], m3["n_evaluable"], m3["k"]) == (1, 1, 1)


def test_positivity_1_by_month_counts_every_result() -> None:
    ab = I.derive_var_abpos(_adlb_ab(), I.check_panel(_panel()))
    r = I.positivity_by_month(ab, _pop(["B", "C", "D"]))
    base = r.filter(pl.col("timepoint") == "Baseline").row(0, named=True)
    m3 = r.filter(pl.col("timepoint") == "Month 3").row(0, named=True)
    assert (base["k"], base["n_evaluable"]) == (1, 2)  # D has no baseline result
    assert (m3["k"], m3["n_evaluable"]) == (1, 3)  # C became positive (50 >= 30)


# --- log scales -------------------------------------------------------------------------------
def test_log_floor_1_zero_drawn_at_half_the_lowest_positive_and_flagged() -> None:
    df = pl.DataFrame({"g": ["a", "a", "a", "b"], "AVAL": [0.0, 0.4, 3.0, 0.0]})
    out = I.log_floor(df, by="g")
    assert out["LOGY"].to_list() == [0.2, 0.4, 3.0, None]  # b: no positive value to anchor
    assert out["BELOWFL"].to_list() == [True, False, False, True]


def test_log_floor_2_count_is_stated() -> None:
    df = I.log_floor(pl.DataFrame({"AVAL": [0.0, 0.0, 1.0, None]}))
    text = I.below_detection_text(df, "CD19+ B cells")
    assert text.startswith("CD19+ B cells: 2 of 3 results were 0")


# --- figures ----------------------------------------------------------------------------------
def test_figures_1_same_day_events_are_moved_apart() -> None:
    from sle_car.immunology_figures import event_lines

    ev = pl.DataFrame({"USUBJID": ["S-002", "S-004", "S-001"], "ADY": [11, 11, 1]})
    x = sorted(event_lines(ev, dodge=0.3)[0].data["_X"].to_list())
    assert x == pytest.approx([1.0, 10.85, 11.15])


def test_figures_2_below_detection_values_get_their_own_marker() -> None:
    from sle_car.immunology_figures import BELOW, course_plot

    df = pl.DataFrame({"USUBJID": ["S-001"] * 3, "ADY": [0, 30, 60], "AVAL": [5.0, 0.0, 2.0]})
    p = course_plot(df, patients=["S-001"], log=True)
    kinds = p.data["KIND"].to_list()
    assert kinds == ["measured", BELOW, "measured"]
    assert p.data["LOGY"].to_list() == [5.0, 1.0, 2.0]  # 0 drawn at half the lowest (2)
