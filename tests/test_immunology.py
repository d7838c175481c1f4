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
    r = I.aplasia_by_visit(adrs, _adsl())
    m1 = r.filter(pl.col("timepoint") == "Week 4 (month 1)").row(0, named=True)
    assert (m1["n_follow_up"], m1["n_assessed"], m1["n_evaluable"], m1["k"]) == (3, 3, 2, 1)
    m3 = r.filter(pl.col("timepoint") == "Week 12 (month 3)").row(0, named=True)
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
    assert I.aplasia_by_visit(adrs, _adsl())["n_assessed"].sum() == 0


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


# --- B-cell reconstitution per patient --------------------------------------------------------
def _bcells(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": [r[0] for r in rows],
            "PARAMCD": ["BLYCE"] * len(rows),
            "ADY": [r[1] for r in rows],
            "AVAL": [r[2] for r in rows],
        }
    )


def _recon() -> pl.DataFrame:
    adlb = _bcells(
        [
            # R: aplastic from day 3; 1.0 on day 120 is "at or above" the threshold 1.0
            # (aplasia is strictly below) and day 150 confirms: reconstitution day 120
            ("R", -7, 100.0),
            ("R", 3, 0.2),
            ("R", 7, 0.0),
            ("R", 120, 1.0),
            ("R", 150, 40.0),
            # B: a single count above the threshold on day 60 not confirmed by the next
            # sample is no reconstitution; still aplastic at the last sample, day 200: censored
            ("B", 3, 0.1),
            ("B", 7, 0.1),
            ("B", 60, 5.0),
            ("B", 91, 0.3),
            ("B", 200, 0.2),
            # N: never two aplastic samples in a row: no confirmed aplasia
            ("N", 3, 0.5),
            ("N", 7, 20.0),
            ("N", 28, 30.0),
        ]
    ).vstack(_bcells([("R", 5, 0.1)]).with_columns(pl.lit("DDNAIGAB").alias("PARAMCD")))
    return I.bcell_reconstitution_by_patient(adlb, _pop(["R", "B", "N", "X"]))


def test_reconstitution_1_first_confirmed_count_at_or_above_the_threshold() -> None:
    r = _recon().filter(pl.col("USUBJID") == "R").row(0, named=True)
    assert (r["APLDY"], r["RECDY"], r["STATUS"], r["CNSR"]) == (3, 120, I.RECON_OBSERVED, 0)
    assert r["DURDY"] == 117
    assert r["RECMO"] == pytest.approx(120 / 30.4375)


def test_reconstitution_2_still_aplastic_is_censored_at_the_last_sample() -> None:
    b = _recon().filter(pl.col("USUBJID") == "B").row(0, named=True)
    assert b["RECDY"] is None and b["STATUS"] == I.RECON_CENSORED and b["CNSR"] == 1
    assert b["DURDY"] == 197  # day 200 - day 3: a lower bound ("≥")


def test_reconstitution_3_no_aplasia_and_no_sample_have_no_duration() -> None:
    r = _recon()
    assert r.filter(pl.col("USUBJID") == "N")["STATUS"].item() == I.RECON_NO_APLASIA
    x = r.filter(pl.col("USUBJID") == "X").row(0, named=True)
    assert x["STATUS"] == I.RECON_NOT_ASSESSED and x["DURDY"] is None and x["CNSR"] is None
    assert r.filter(pl.col("USUBJID") == "N")["DURDY"].item() is None


def test_reconstitution_4_summary_medians_and_km_with_censoring() -> None:
    s = I.reconstitution_summary(_recon())
    assert (s["n_aplasia"], s["n_observed"], s["n_censored"]) == (2, 1, 1)
    assert s["reconstitution_day"] == "120 (120–120)"
    # Kaplan-Meier: R's event at 117 d (3.84 months) drops S to exactly 0.5 with B at risk
    # until its censoring at 197 d (6.47 months): R survival takes the plateau's midpoint, 5.2
    # (the median of the reconstituted alone would say 3.8)
    assert s["km_median_months"] == "5.2"
    assert s["duration_months"] == "3.8 (3.8–3.8)"


def test_reconstitution_5_km_median_not_reached_when_most_are_censored() -> None:
    adlb = _bcells([("B", 3, 0.1), ("B", 7, 0.1), ("B", 200, 0.2)])
    s = I.reconstitution_summary(I.bcell_reconstitution_by_patient(adlb, _pop(["B"])))
    assert s["km_median_months"] == "not reached" and s["duration_months"] == "–"


def test_median_range_text() -> None:
    assert I.median_range_text(pl.Series([3.0, None, 1.0, 10.0])) == "3.0 (1.0–10.0)"
    assert I.median_range_text(pl.Series([], dtype=pl.Float64)) == "–"


def _course(days: list[int]) -> pl.DataFrame:
    n = len(days)
    return pl.DataFrame(
        {"USUBJID": ["S-001"] * n, "ADY": days, "AVAL": [float(i + 1) for i in range(n)]}
    ).with_columns(pl.lit("IL-6").cast(pl.Enum(["IL-6", "Ferritin"])).alias("m"))


def test_figures_3_cut_off_label_sits_in_the_strip_not_over_the_data() -> None:
    from matplotlib.text import Text

    from sle_car.immunology_figures import course_plot

    refs = pl.DataFrame({"m": ["IL-6"], "REF": [7.0], "REFLAB": ["ULN 7"]}).with_columns(
        pl.col("m").cast(pl.Enum(["IL-6", "Ferritin"]))
    )
    fig = course_plot(_course([0, 7, 14]), patients=["S-001"], facet="m", refs=refs).draw()
    texts = [t.get_text() for t in fig.findobj(Text)]
    assert "IL-6\ndashed: ULN 7" in texts  # the strip carries the label
    assert "ULN 7" not in texts  # and no text is drawn inside the panel
    fig_panel = course_plot(
        _course([0, 7]), patients=["S-001"], facet="m", refs=refs, ref_labels="panel"
    ).draw()
    assert "ULN 7" in [t.get_text() for t in fig_panel.findobj(Text)]


def test_figures_4_days_axis_follows_the_data_to_day_28_without_a_fixed_last_day() -> None:
    from sle_car.immunology_figures import course_plot

    p14 = course_plot(_course([-7, 0, 7, 14]), patients=["S-001"], unit="days")
    p28 = course_plot(_course([-7, 0, 7, 14, 21, 28, 35]), patients=["S-001"], unit="days")
    assert p14.data["_X"].max() == 14 and p28.data["_X"].max() == 28  # day 35: follow-up
    xs = next(s for s in p28.scales if "x" in s.aesthetics)
    assert list(xs.breaks) == [-7, 0, 7, 14, 21, 28]


def test_figures_5_months_axis_is_the_figures_standard() -> None:
    from sle_car.immunology_figures import course_plot

    p = course_plot(_course([0, 365, 745]), patients=["S-001"])
    assert p.data["_X"].to_list() == pytest.approx([0, 365 / 30.4375, 745 / 30.4375])
    xs = next(s for s in p.scales if "x" in s.aesthetics)
    assert list(xs.breaks)[-1] == 27  # 24.5 months rounded up to the next 3-month break


def test_reconstitution_6_a_cut_without_b_cell_counts_has_no_duration_and_no_median() -> None:
    adlb = _bcells([("A", 3, 1.0)]).with_columns(pl.lit("C3").alias("PARAMCD"))
    r = I.bcell_reconstitution_by_patient(adlb, _pop(["A"]))
    assert r["STATUS"].to_list() == [I.RECON_NOT_ASSESSED]
    s = I.reconstitution_summary(r)
    assert (s["n_aplasia"], s["km_median_months"], s["duration_months"]) == (0, "–", "–")


def test_reconstitution_7_an_unconfirmed_last_count_above_the_threshold_is_censored() -> None:
    # the data cut came after the first count >= 1/µL and before the sample confirming it
    adlb = _bcells([("U", 3, 0.1), ("U", 7, 0.2), ("U", 140, 12.0)])
    r = I.bcell_reconstitution_by_patient(adlb, _pop(["U"])).row(0, named=True)
    assert (r["STATUS"], r["CNSR"], r["RECDY"], r["DURDY"]) == (I.RECON_CENSORED, 1, None, 137)


def test_reconstitution_8_last_aplastic_sample_bounds_the_return_from_below() -> None:
    # R: aplastic on days 3 and 7, first confirmed count day 120: B cells came back after day 7
    r = _recon().filter(pl.col("USUBJID") == "R").row(0, named=True)
    assert (r["LASTAPLDY"], r["RECDY"]) == (7, 120)
    # Q: an unconfirmed count on day 60, aplastic again on day 91, back from day 120: the
    # interval is day 91 to day 120, not day 7 or day 60
    adlb = _bcells(
        [
            *[("Q", 3, 0.1), ("Q", 7, 0.1), ("Q", 60, 5.0)],
            *[("Q", 91, 0.3), ("Q", 120, 2.0), ("Q", 150, 3.0)],
        ]
    )
    q = I.bcell_reconstitution_by_patient(adlb, _pop(["Q"])).row(0, named=True)
    assert (q["LASTAPLDY"], q["RECDY"]) == (91, 120)
    # a censored patient has no interval
    b = _recon().filter(pl.col("USUBJID") == "B").row(0, named=True)
    assert b["LASTAPLDY"] is None


def test_mean_sd_text_is_the_published_form() -> None:
    # the pilot's five reconstitution days: mean 133.2, sample SD 24.8
    assert I.mean_sd_text(pl.Series([140.0, 107.0, 138.0, 169.0, 112.0])) == "133 ± 25"
    assert I.mean_sd_text(pl.Series([120.0, None])) == "120"
    assert I.mean_sd_text(pl.Series([], dtype=pl.Float64)) == "–"
    assert I.reconstitution_summary(_recon())["reconstitution_day_mean_sd"] == "120"


def test_aplasia_3_every_flow_visit_weeks_4_to_28_then_months() -> None:
    assert list(I.BCELL_VISITS.values())[:7] == [f"WEEK {w}" for w in range(4, 29, 4)]
    assert list(I.BCELL_VISITS)[2] == "Week 12 (month 3)"
    assert list(I.BCELL_VISITS.values())[7:] == [f"MONTH {m}" for m in range(9, 25, 3)]
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A", "A"],
            "PARAMCD": ["BCAPL"] * 2,
            "AVALC": ["Y", "N"],
            "NEREASON": [None, None],
            "AVISIT": ["WEEK 16", "WEEK 20"],
            "ANL01FL": ["Y"] * 2,
        },
        schema_overrides={"NEREASON": pl.String},
    )
    r = I.aplasia_by_visit(adrs, _adsl().filter(pl.col("USUBJID") == "A"))
    # the return between weeks 16 and 20 shows at its own visits, not only at month 6
    assert r.filter(pl.col("timepoint") == "Week 16")["k"].item() == 1
    assert r.filter(pl.col("timepoint") == "Week 20")["k"].item() == 0


def test_patients_below_is_strict_and_counts_each_patient_once() -> None:
    ig = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "B", "C", "D"],
            "Ig": ["IgG"] * 5,
            "ADY": [-7, 30, 30, 60, 90],
            # A below only before the infusion; B exactly at 4 g/L; C twice below; D no LLN
            "AVAL": [3.0, 5.0, 4.0, 3.9, 3.0],
            "ANRLO": [7.0, 7.0, 7.0, 7.0, None],
        }
    )
    ig = pl.concat(
        [
            ig,
            ig.filter(pl.col("USUBJID") == "C").with_columns(
                pl.lit(61, dtype=pl.Int64).alias("ADY")
            ),
        ]
    )
    r = I.patients_below(ig, by="Ig", limit=4.0).row(0, named=True)
    assert (r["N"], r["n"]) == (4, 2)  # C and D; B at 4.0 is not below
    r = I.patients_below(ig, by="Ig", limit=pl.col("ANRLO")).row(0, named=True)
    assert (r["N"], r["n"]) == (4, 3)  # A, B, C below 7; D has no limit: not counted below


def test_left_while_positive_names_only_withdrawn_patients_last_positive() -> None:
    ab = pl.DataFrame(
        {
            "USUBJID": ["W", "W", "V", "K"],
            "PARAMCD": ["DDNAIGAB"] * 4,
            "ADY": [30, 450, 450, 450],
            # W withdrew positive; V withdrew negative; K positive but still followed
            "AVAL": [20.0, 38.0, 10.0, 40.0],
            "ABPOS": [False, True, False, True],
        }
    )
    pop = pl.DataFrame(
        {"USUBJID": ["W", "V", "K"], "EOSSTT": ["DISCONTINUED", "DISCONTINUED", "ONGOING"]}
    )
    r = I.left_while_positive(ab, pop, "DDNAIGAB")
    assert r.rows() == [("W", 450, 38.0)]


def test_figures_6_titre_ticks_are_doubling_dilutions_and_equal_titres_are_dodged() -> None:
    from sle_car.immunology_figures import titre_breaks, titre_plot

    assert titre_breaks(pl.Series([320.0, 640.0, 1280.0]), 80) == [80, 160, 320, 640, 1280]
    df = pl.DataFrame(
        {"USUBJID": ["A", "B", "C"], "ADY": [30, 30, 30], "AVAL": [320.0, 320.0, 0.0]}
    )
    p = titre_plot(df, patients=["A", "B", "C"], cutoff=80, y_label="ANA")
    y = dict(zip(p.data["USUBJID"], p.data["LOGY"], strict=True))
    # three patients centred on the true titre, 0.12 of a doubling step apart
    assert y["A"] == pytest.approx(320 * 2**-0.12) and y["B"] == pytest.approx(320.0)
    assert y["C"] == pytest.approx(40 * 2**0.12)  # negative: half a step below 1:80
    ys = next(s for s in p.scales if "y" in s.aesthetics)
    assert list(ys.labels) == ["neg.", "1:80", "1:160", "1:320"]
