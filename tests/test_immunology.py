"""Immunology over time (issue 18): follow-up and assessment per protocol month, the
autoantibody panel's comparators, seroconversion among the baseline-positive, log-scale
floors. One rule per test on tiny hand-written frames."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car import immunology as I


def _adsl(**cols: list) -> pl.DataFrame:
    base = {"USUBJID": ["A"], "SAFFL": ["Y"], "LSTALVDY": [400]}
    base.update(cols)
    return pl.DataFrame(base)


MONTH12 = {"MONTH 12": 12}  # nominal day 365


def test_follow_up_1_reaching_the_nominal_day_counts() -> None:
    fu = I.derive_vars_follow_up(
        _adsl(USUBJID=["A", "B"], SAFFL=["Y", "Y"], LSTALVDY=[365, 364]), months=MONTH12
    )
    assert fu.sort("USUBJID")["FUFL"].to_list() == ["Y", "N"]  # >= nominal day 365


def test_follow_up_2_not_infused_is_not_in_the_grid() -> None:
    fu = I.derive_vars_follow_up(
        _adsl(USUBJID=["A", "B"], SAFFL=["Y", "N"], LSTALVDY=[800, 800]), months=MONTH12
    )
    assert fu["USUBJID"].to_list() == ["A"]


def test_follow_up_3_reasons_for_leaving_the_denominator() -> None:
    adsl = _adsl(
        USUBJID=["D", "W", "C"],
        SAFFL=["Y"] * 3,
        LSTALVDY=[100, 200, 300],
        EOSSTT=["DISCONTINUED", "DISCONTINUED", "ONGOING"],
        DCSREAS=["DEATH", "WITHDRAWAL BY SUBJECT", None],
        DTHDY=[100, None, None],
    )
    fu = I.derive_vars_follow_up(adsl, months=MONTH12).sort("USUBJID")
    assert fu["NOTFU"].to_list() == [
        "visit not reached by the data cut",
        "died",
        "left the study (withdrawal by subject)",
    ]


def test_follow_up_4_default_grid_is_the_protocol_months() -> None:
    fu = I.derive_vars_follow_up(_adsl())
    assert fu["MONTH"].to_list() == [1, 3, 6, 9, 12, 15, 18, 21, 24]
    assert fu["NOMDY"].to_list()[:3] == [28, 84, 168]  # weeks 4, 12, 24


def test_assessed_1_a_result_in_the_window_proves_follow_up() -> None:
    fu = I.derive_vars_follow_up(_adsl(LSTALVDY=[360]), months=MONTH12)  # before day 365
    res = pl.DataFrame({"USUBJID": ["A"], "AVISIT": ["MONTH 12"], "F": [True]})
    x = I.derive_vars_assessed(fu, res, flag="F").row(0, named=True)
    assert (x["FUFL"], x["NOTFU"], x["ASSESSED"], x["RESP"]) == ("Y", None, True, True)


def test_assessed_2_not_evaluable_sample_is_assessed_with_null_flag() -> None:
    fu = I.derive_vars_follow_up(_adsl(), months=MONTH12)
    res = pl.DataFrame(
        {"USUBJID": ["A"], "AVISIT": ["MONTH 12"], "F": [None]}, schema_overrides={"F": pl.Boolean}
    )
    x = I.derive_vars_assessed(fu, res, flag="F").row(0, named=True)
    assert x["ASSESSED"] is True and x["RESP"] is None


def test_assessed_3_two_results_per_visit_are_refused() -> None:
    fu = I.derive_vars_follow_up(_adsl(), months=MONTH12)
    res = pl.DataFrame({"USUBJID": ["A", "A"], "AVISIT": ["MONTH 12"] * 2, "F": [True, False]})
    with pytest.raises(ValueError, match="ANL01FL"):
        I.derive_vars_assessed(fu, res, flag="F")


def test_aplasia_flags_1_takes_analysis_records_and_keeps_not_evaluable() -> None:
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "A"],
            "PARAMCD": ["BCAPL", "BCAPL", "DORISREM"],
            "AVALC": ["Y", None, "N"],
            "AVISIT": ["WEEK 4", "WEEK 12", "WEEK 4"],
            "ADY": [28, 84, 28],
            "ANL01FL": ["Y", "Y", "Y"],
        }
    )
    out = I.aplasia_flags(adrs)
    assert out["BCAPL"].to_list() == [True, None]


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
    assert ab["MONTH"].to_list() == [None, 3, None, 3, 3]


def test_seroconversion_1_only_baseline_positive_patients_count() -> None:
    ab = I.derive_var_abpos(_adlb_ab(), I.check_panel(_panel()))
    sc = I.seroconversion_flags(ab)
    # C (negative at baseline, positive later) and D (no baseline) are not in the denominator
    assert sc["USUBJID"].to_list() == ["B"] and sc["SERONEG"].to_list() == [True]


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
