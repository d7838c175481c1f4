"""Rates by protocol time point: every patient of the analysis set is assessed, missed, left
the study or had not reached the visit (issue 18)."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car.endpoints_by_visit import (
    IMMUNOLOGY_MONTHS,
    assessment_status,
    not_assessed_text,
    rate_text,
    rates_by_timepoint,
    timepoint_frame,
)

# windows of the derivation: WEEK 4 [21, 42), WEEK 8 [42, 70), WEEK 16 [98, 126)
TP = {"Week 4": "WEEK 4", "Week 8": "WEEK 8", "Week 16": "WEEK 16"}

POP = pl.DataFrame(
    {
        "USUBJID": ["A", "B", "C", "D", "E"],
        "LSTALVDY": [730, 100, 60, 400, 30],
        "EOSSTT": ["COMPLETED", "DISCONTINUED", "ONGOING", "ONGOING", "DISCONTINUED"],
    }
)
REC = pl.DataFrame(
    {
        "USUBJID": ["A", "A", "A", "B", "C", "D", "D", "E", "Z", "A"],
        "AVISIT": [
            *("WEEK 4", "WEEK 8", "WEEK 16", "WEEK 4", "WEEK 4"),
            *("WEEK 8", "WEEK 16", "WEEK 4", "WEEK 4", "MONTH 9"),
        ],
        "AVALC": ["Y", "N", None, "Y", "Y", "Y", "Y", "Y", "N", "N"],
        "NEREASON": [None, None, "SLEDAI-2K not collected", *[None] * 7],
    }
)


def _rates() -> dict[str, dict]:
    r = rates_by_timepoint(REC, timepoints=TP, population=POP)
    return {row["timepoint"]: row for row in r.iter_rows(named=True)}


def test_timepoint_windows_are_the_derivations() -> None:
    tp = timepoint_frame(TP)
    assert tp["_LO"].to_list() == [21, 42, 98]
    assert tp["_HI"].to_list() == [42, 70, 126]
    assert tp["day"].to_list() == [28, 56, 112]


def test_immunology_months_are_drawn_at_the_week_visits() -> None:
    tp = timepoint_frame(IMMUNOLOGY_MONTHS)
    assert tp.filter(pl.col("timepoint") == "Month 3")["AVISIT"].item() == "WEEK 12"
    assert tp.filter(pl.col("timepoint") == "Month 24")["day"].item() == 730


def test_unknown_visit_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="not analysis visits"):
        timepoint_frame(["WEEK 5"])


def test_week_4_missed_visit_is_not_a_non_responder() -> None:
    w4 = _rates()["Week 4"]
    # D was in follow-up (alive to day 400) but has no week-4 assessment: missed
    assert (w4["n_population"], w4["n_follow_up"], w4["n_assessed"]) == (5, 5, 4)
    assert (w4["k"], w4["n_evaluable"], w4["n_missed"]) == (4, 4, 1)
    assert w4["ci_low"] == pytest.approx(0.025 ** (1 / 4))  # exact lower bound for 4/4


def test_left_study_and_not_reached_are_counted_not_dropped() -> None:
    w8 = _rates()["Week 8"]
    # A no, D yes; B alive past the window (day 100 >= 70) but not seen: missed;
    # C ongoing, last day 60 < 70: window still open, not reached; E withdrew on day 30
    assert (w8["k"], w8["n_evaluable"], w8["n_follow_up"]) == (1, 2, 3)
    assert (w8["n_missed"], w8["n_left_study"], w8["n_not_reached"]) == (1, 1, 1)
    assert w8["n_not_assessed"] == 3
    assert w8["n_population"] == w8["n_follow_up"] + w8["n_left_study"] + w8["n_not_reached"]


def test_withdrawal_inside_the_window_is_left_study() -> None:
    w16 = _rates()["Week 16"]
    # B withdrew on day 100, inside week 16's window [98, 126), unassessed: left study
    assert (w16["n_left_study"], w16["n_not_reached"], w16["n_missed"]) == (2, 1, 0)
    assert (w16["n_assessed"], w16["n_evaluable"], w16["n_not_evaluable"]) == (2, 1, 1)
    assert w16["reasons"] == "SLEDAI-2K not collected (1)"


def test_assessment_before_withdrawal_counts_as_assessed() -> None:
    st = assessment_status(REC, timepoints=TP, population=POP)
    e = st.filter(pl.col("USUBJID") == "E").sort("order")["STATUS"].to_list()
    assert e == ["assessed", "left study", "left study"]


def test_patients_outside_the_population_are_ignored() -> None:
    st = assessment_status(REC, timepoints=TP, population=POP)
    assert "Z" not in st["USUBJID"].to_list()


def test_by_levels_have_their_own_numerators() -> None:
    two = pl.concat(
        [
            REC.with_columns(pl.lit("P1").alias("PARAMCD")),
            REC.with_columns(pl.lit("P2").alias("PARAMCD"), pl.lit("N").alias("AVALC")),
        ]
    )
    r = rates_by_timepoint(two, timepoints=TP, population=POP, by=["PARAMCD"])
    w4 = r.filter(pl.col("timepoint") == "Week 4").sort("PARAMCD")
    assert w4["k"].to_list() == [4, 0]
    assert w4["n_evaluable"].to_list() == [4, 4]


def test_no_evaluable_patient_has_no_rate() -> None:
    rec = REC.filter(pl.col("AVISIT") != "WEEK 8")
    w8 = rates_by_timepoint(rec, timepoints=TP, population=POP).row(1, named=True)
    assert w8["n_evaluable"] == 0 and w8["rate"] is None and w8["ci_low"] is None


def test_duplicate_records_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"share a patient and visit.*USUBJID A, AVISIT WEEK 4"):
        rates_by_timepoint(pl.concat([REC, REC.head(1)]), timepoints=TP, population=POP)


def test_texts() -> None:
    r = rates_by_timepoint(REC, timepoints=TP, population=POP).with_columns(
        rate_text().alias("cell"), not_assessed_text().alias("note")
    )
    assert r["cell"].to_list() == ["4/4 (40–100)", "1/2 (1–99)", "1/1 (2–100)"]
    assert r["note"][1] == "1 missed; 1 left study; 1 not reached"
    assert r["note"][2] == "1 not evaluable; 2 left study; 1 not reached"


# --- continuous measures, score states, remission durations ----------------------------------


def test_summary_by_timepoint_counts_missing_values_and_dropouts() -> None:
    from sle_car.endpoints_by_visit import median_range_text, summary_by_timepoint

    rec = REC.with_columns(pl.Series("CHG", [2.0, -1.0, None, 5.0, 3.0, 4.0, 8.0, 1.0, 99.0, 0.0]))
    s = summary_by_timepoint(rec, timepoints=TP, population=POP, value="CHG")
    w4, w8, w16 = s.iter_rows(named=True)
    # week 4: A 2, B 5, C 3, E 1 (Z outside the population); D missed
    assert (w4["n"], w4["median"], w4["min"], w4["max"], w4["n_missed"]) == (4, 2.5, 1.0, 5.0, 1)
    assert (w8["n"], w8["n_left_study"], w8["n_not_reached"]) == (2, 1, 1)
    # week 16: A assessed without a value: not evaluable, not a 0
    assert (w16["n"], w16["n_not_evaluable"], w16["median"]) == (1, 1, 8.0)
    txt = s.with_columns(median_range_text(1, signed=True).alias("t"))["t"].to_list()
    assert txt == ["+2.5 (+1.0 to +5.0)", "+1.5 (-1.0 to +4.0)", "+8.0 (+8.0 to +8.0)"]


def test_score_states_thresholds_and_missing_scores() -> None:
    from sle_car.endpoints_by_visit import SCORE_STATES, pga_state, score_states

    adqs = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "B", "B", "C", "C"],
            "PARAMCD": ["SLEDAI2K", "PGA", "SLEDAI2K", "PGA", "SLEDAI2K", "PGA"],
            "AVISIT": ["WEEK 4"] * 6,
            "ADY": [28] * 6,
            "AVAL": [0.0, 0.5, 2.0, 0.4, None, 0.0],
            "ANL01FL": ["Y"] * 6,
        }
    )
    s = score_states(adqs, {"SLEDAI0": SCORE_STATES["SLEDAI0"], "PGALT": pga_state(0.5)})
    got = {(r["USUBJID"], r["PARAMCD"]): r["AVALC"] for r in s.iter_rows(named=True)}
    # PGA < 0.5 is strict (DORIS 2021): 0.5 is not below it
    assert got == {
        ("A", "SLEDAI0"): "Y",
        ("B", "SLEDAI0"): "N",
        ("C", "SLEDAI0"): None,
        ("A", "PGALT"): "N",
        ("B", "PGALT"): "Y",
        ("C", "PGALT"): "Y",
    }
    ne = s.filter(pl.col("AVALC").is_null())["NEREASON"].to_list()
    assert ne == ["SLEDAI-2K = 0: score not evaluable"]


def test_remission_durations_censoring() -> None:
    from sle_car.endpoints_by_visit import remission_durations

    adsl = pl.DataFrame(
        {"USUBJID": ["S-001", "S-002", "S-003"], "EOSSTT": ["ONGOING"] * 3, "DCSREAS": [None] * 3}
    )
    adtte = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-001", "S-001", "S-002", "S-002", "S-003"],
            "PARAMCD": ["TTDORIS", "DURDORIS", "DURDF", "TTDORIS", "DURDORIS", "TTDORIS"],
            "AVAL": [30.0, 365.25, 100.0, 61.0, 200.0, 180.0],
            "STARTDY": [0, 30, 91, 0, 61, 0],
            "ADY": [30, 395, 191, 61, 261, 180],
            "CNSR": [0, 1, 0, 0, 0, 1],
        }
    )
    adrs = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-002", "S-003"],
            "PARAMCD": ["DORIS12"] * 3,
            "AVALC": ["Y", "N", None],
            "NEREASON": [None, None, "no DORIS remission yet"],
        }
    )
    r = {x["Patient"]: x for x in remission_durations(adsl, adtte, adrs).iter_rows(named=True)}
    # ongoing (censored) remission: a lower bound; 365.25 days = 12.0 months
    assert r["001"]["doris_duration"] == "≥ 12.0 (ongoing)" and r["001"]["doris_ongoing"]
    # lost after 200 days = 6.6 months: an event, no "≥"
    assert r["002"]["doris_duration"] == "6.6" and not r["002"]["doris_ongoing"]
    assert r["001"]["df_start"] == "3.0" and r["001"]["df_duration"] == "3.3"
    assert r["002"]["df_start"] == "not reached" and r["002"]["df_duration"] == "–"
    # never in remission: censored time to first remission, no duration
    assert r["003"]["first_doris"] == "not reached by 5.9"
    assert r["003"]["doris_duration"] == "–"
    assert r["003"]["sustained"] == "not evaluable: no DORIS remission yet"
    assert (r["001"]["sustained"], r["002"]["sustained"]) == ("yes", "no")


def test_follow_up_counts_an_assessed_patient_is_in_follow_up() -> None:
    from sle_car.endpoints_by_visit import follow_up_counts

    # C (ongoing, last day 60) was not seen at week 8 [42, 70): not reached; seen: in follow-up
    plain = follow_up_counts(POP, timepoints=TP).row(1, named=True)
    assert (plain["n_in_follow_up"], plain["n_left_study"], plain["n_not_reached"]) == (3, 1, 1)
    seen = pl.DataFrame({"USUBJID": ["C"], "AVISIT": ["WEEK 8"]})
    w8 = follow_up_counts(POP, timepoints=TP, assessed=seen).row(1, named=True)
    assert (w8["n_in_follow_up"], w8["n_left_study"], w8["n_not_reached"]) == (4, 1, 0)


def test_fixed_text_keeps_trailing_zeros_and_signs() -> None:
    from sle_car.endpoints_by_visit import fixed_text

    d = pl.DataFrame({"x": [0.1, -0.004, 3.0, None]})
    assert d.select(fixed_text(pl.col("x"), 2).alias("t"))["t"].to_list() == [
        "0.10",
        "0.00",
        "3.00",
        None,
    ]
    got = d.select(fixed_text(pl.col("x"), 1, signed=True).alias("t"))["t"].to_list()
    assert got == ["+0.1", "0.0", "+3.0", None]


def test_glucocorticoid_steps_draw_zero_and_sum_overlaps() -> None:
    from sle_car.endpoints_by_visit import glucocorticoid_steps

    adsl = pl.DataFrame({"USUBJID": ["S-001", "S-002"], "LSTALVDY": [200, 100]})
    cm = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-001", "S-001"],
            "CMCLAS": ["GLUCOCORTICOID", "GLUCOCORTICOID", "ANTIMALARIAL"],
            "CMPREDEQ": [10.0, 5.0, None],
            "CMSTDY": [-60, 20, -60],
            "CMENDY": [39, 59, None],
        }
    )
    s = glucocorticoid_steps(cm, adsl, from_day=-30)
    one = s.filter(pl.col("Patient") == "001")
    # 10 mg to day 19; 10 + 5 overlapping days 20-39; 5 mg days 40-59; then zero to day 200
    assert one.select("START", "END", "PREDDOSE").rows() == [
        (-30, 20, 10.0),
        (20, 40, 15.0),
        (40, 60, 5.0),
        (60, 200, 0.0),
    ]
    # a patient without any glucocorticoid: one zero period over the whole follow-up
    assert s.filter(pl.col("Patient") == "002").select("START", "END", "PREDDOSE").rows() == [
        (-30, 100, 0.0)
    ]


def test_a_remission_censored_by_withdrawal_is_not_called_ongoing() -> None:
    """A patient who left the study in remission is censored at withdrawal, not 'ongoing'
    (still in follow-up at the data cut)."""
    from sle_car.endpoints_by_visit import remission_durations

    adsl = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-005"],
            "EOSSTT": ["ONGOING", "DISCONTINUED"],
            "DCSREAS": [None, "WITHDRAWAL BY SUBJECT"],
        }
    )
    adtte = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-005"],
            "PARAMCD": ["DURDORIS"] * 2,
            "AVAL": [365.25, 376.0],
            "STARTDY": [27, 83],
            "ADY": [392, 459],
            "CNSR": [1, 1],
        }
    )
    adrs = pl.DataFrame(
        schema={
            "USUBJID": pl.String,
            "PARAMCD": pl.String,
            "AVALC": pl.String,
            "NEREASON": pl.String,
        }
    )
    r = {x["Patient"]: x for x in remission_durations(adsl, adtte, adrs).iter_rows(named=True)}
    assert r["001"]["doris_duration"] == "≥ 12.0 (ongoing)"
    assert (
        r["005"]["doris_duration"] == "≥ 12.4 (censored at discontinuation: withdrawal by subject)"
    )


# --- long tables (issue 18 review): one count per labelled column -----------------------------
def _adqs_bilag() -> pl.DataFrame:
    """BILAG-2004 global scores as ADQS holds them: A has a score at week 4; B's only week-4
    assessment had a system not graded (AVAL null, not the analysis record); C has no record
    at week 4 (missed)."""
    return pl.DataFrame(
        {
            "USUBJID": ["A", "A", "B", "B", "C"],
            "PARAMCD": ["BILAGTOT"] * 5,
            "AVISIT": ["BASELINE", "WEEK 4", "BASELINE", "WEEK 4", "BASELINE"],
            "ADY": [-7, 28, -7, 27, -7],
            "AVAL": [21.0, 8.0, 9.0, None, 12.0],
            "BASE": [21.0, 21.0, 9.0, 9.0, 12.0],
            "CHG": [None, -13.0, None, None, None],
            "ANL01FL": ["Y", "Y", "Y", None, "Y"],
        }
    )


POP3 = pl.DataFrame({"USUBJID": ["A", "B", "C"], "LSTALVDY": [400] * 3, "EOSSTT": ["ONGOING"] * 3})


def test_incomplete_bilag_is_assessed_not_evaluable_never_zero_nor_missed() -> None:
    from sle_car.endpoints_by_visit import summary_by_timepoint, visit_records

    rec = visit_records(_adqs_bilag(), "BILAGTOT", reason="BILAG-2004 system(s) not graded")
    b = rec.filter((pl.col("USUBJID") == "B") & (pl.col("AVISIT") == "WEEK 4")).row(0, named=True)
    assert b["AVAL"] is None and b["NEREASON"] == "BILAG-2004 system(s) not graded"
    s = summary_by_timepoint(rec, timepoints={"Week 4": "WEEK 4"}, population=POP3).row(
        0, named=True
    )
    assert (s["n_follow_up"], s["n_assessed"], s["n_missed"], s["n"]) == (3, 2, 1, 1)
    assert s["n_not_evaluable"] == 1
    assert (s["median"], s["min"], s["max"]) == (8.0, 8.0, 8.0)  # B is not a 0


def test_bilag_global_score_is_not_evaluable_when_a_system_is_missing() -> None:
    from sle_car.instruments import bilag_score
    from sle_car.instruments.bilag import SYSTEMS

    grades = dict(zip(SYSTEMS, "DCEBEEEAD", strict=True))  # BILAG-T01: 21
    df = pl.DataFrame([grades, {**grades, SYSTEMS[0]: None}])
    assert bilag_score(df)["BILAGTOT"].to_list() == [21, None]


def test_score_rows_count_columns_add_up() -> None:
    from sle_car.endpoints_by_visit import score_rows, summary_by_timepoint, visit_records

    rec = visit_records(_adqs_bilag(), "BILAGTOT")
    tp = {"Baseline": "BASELINE", "Week 4": "WEEK 4"}
    score = summary_by_timepoint(rec, timepoints=tp, population=POP3)
    change = summary_by_timepoint(
        rec.filter(pl.col("ADY") > 0), timepoints={"Week 4": "WEEK 4"}, population=POP3, value="CHG"
    )
    rows = score_rows({"BILAG-2004": (score, change)}, decimals=0)
    assert rows.columns[:2] == ["Score", "Time point"]
    assert "USUBJID" not in rows.columns and not any(c.startswith("n_") for c in rows.columns)
    assert (rows["In follow-up (n)"] == rows["Assessed (n)"] + rows["Missed (n)"]).all()
    base, week4 = rows.iter_rows(named=True)
    assert base["Median (range)"] == "12 (9 to 21)" and base["Change evaluable (n)"] == "–"
    assert week4["Evaluable (n)"] == 1 and week4["Change from baseline, median (range)"] == (
        "-13 (-13 to -13)"
    )


def test_rate_rows_one_count_per_column_and_in_follow_up_adds_up() -> None:
    from sle_car.endpoints_by_visit import rate_rows

    r = rates_by_timepoint(
        REC.with_columns(pl.lit("X").alias("PARAMCD")),
        timepoints=TP,
        population=POP,
        by=["PARAMCD"],
    )
    rows = rate_rows(r, {"X": "Measure X", "UNSEEN": "Not in the data"})
    assert rows["Outcome measure"].unique().to_list() == ["Measure X"]
    assert rows["Time point"].to_list() == ["Week 4", "Week 8", "Week 16"]
    assert (rows["In follow-up (n)"] == rows["Assessed (n)"] + rows["Missed (n)"]).all()
    w4, _w8, w16 = rows.iter_rows(named=True)
    # week 4: A, B, C, E assessed, all "Y"; D missed (in follow-up, no record)
    assert (w4["Assessed (n)"], w4["Missed (n)"], w4["Evaluable (n)"]) == (4, 1, 4)
    assert (w4["Responders (k)"], w4["Responders (%)"], w4["Exact 95% CI (%)"]) == (
        "4",
        "100",
        "40–100",
    )
    # week 16: A assessed not evaluable, D responder; B left, C and E ... out of follow-up
    assert (w16["Assessed (n)"], w16["Evaluable (n)"], w16["Responders (k)"]) == (2, 1, "1")
    assert w16["Not evaluable (reason)"] == "SLEDAI-2K not collected (1)"
    assert w16["Not in follow-up"] == "2 left study; 1 not reached"


def test_doris_off_therapy_and_drug_free_differ_only_by_a_recent_antimalarial_start() -> None:
    """P-001 off therapy and drug-free on day 100, hydroxychloroquine since before the study:
    concordant, counted as on an antimalarial. P-002 off therapy but not drug-free on day
    100, hydroxychloroquine started on day 30 (within 90 days): the one discordant
    assessment, with a recent start. Without a medication record the two antimalarial rows
    are unknown (null), never 0."""
    from sle_car.endpoints_by_visit import doris_off_therapy_vs_drug_free

    adrs = pl.DataFrame(
        {
            "USUBJID": ["P-001", "P-001", "P-002", "P-002"],
            "PARAMCD": ["DORISOFF", "DORISDF", "DORISOFF", "DORISDF"],
            "ADY": [100, 100, 100, 100],
            "AVALC": ["Y", "Y", "Y", "N"],
        }
    )
    cm = pl.DataFrame(
        {
            "USUBJID": ["P-001", "P-002"],
            "CMCLAS": ["ANTIMALARIAL", "ANTIMALARIAL"],
            "CMSTDY": [-400, 30],
            "CMENDY": [None, None],
        },
        schema_overrides={"CMENDY": pl.Int64},
    )
    got = dict(
        doris_off_therapy_vs_drug_free(adrs, cm, stable_days=90)
        .select("Assessments", "Assessments (n)")
        .iter_rows()
    )
    assert got["In remission off therapy (2017)"] == 2
    assert got["In drug-free remission"] == 1
    assert got["In one only (discordant)"] == 1
    recent = next(v for k, v in got.items() if "started within 90 days" in k)
    on_am = next(v for k, v in got.items() if "on an antimalarial" in k)
    assert (recent, on_am) == (1, 2)
    unknown = doris_off_therapy_vs_drug_free(adrs, None, stable_days=90)
    assert unknown["Assessments (n)"].null_count() == 2
    empty = doris_off_therapy_vs_drug_free(adrs, cm.clear(), stable_days=90)
    assert empty["Assessments (n)"].null_count() == 2  # an empty CM file: not collected


def test_status_not_recorded_is_neither_left_study_nor_not_reached() -> None:
    """EOSSTT null (no disposition collected) and follow-up ending before the window closes:
    whether the patient left or the data cut came first is unknown, and the table says so."""
    pop = POP.with_columns(pl.lit(None, dtype=pl.String).alias("EOSSTT"))
    r = rates_by_timepoint(REC, timepoints=TP, population=pop).row(1, named=True)  # week 8
    # B (last day 100) in follow-up through week 8; C (60) and E (30) ended before it closed
    assert (r["n_left_study"], r["n_not_reached"], r["n_status_not_recorded"]) == (0, 0, 2)
    assert r["n_population"] == r["n_follow_up"] + r["n_status_not_recorded"]
    note = rates_by_timepoint(REC, timepoints=TP, population=pop).select(not_assessed_text())
    assert note.item(1, 0).endswith("2 status not recorded")


def test_status_note_only_when_a_status_is_not_recorded() -> None:
    from sle_car.endpoints_by_visit import status_note

    assert status_note(POP) == ""  # every status recorded: the tables read as before
    unknown = POP.with_columns(pl.lit(None, dtype=pl.String).alias("EOSSTT"))
    assert status_note(unknown).startswith(" Status not recorded: follow-up ended")


def test_efficacy_set_note_names_infused_patients_outside_the_efficacy_set() -> None:
    from sle_car.endpoints_by_visit import efficacy_set_note

    adsl = pl.DataFrame(
        {"USUBJID": ["A", "B", "C"], "SAFFL": ["Y", "Y", "N"], "EFFFL": ["Y", "N", "N"]}
    )
    assert efficacy_set_note(adsl) == (
        " Efficacy set: 1 of 2 infused patients; 1 without any SLEDAI-2K after the infusion "
        "are not in this table."
    )
    assert efficacy_set_note(adsl.filter(pl.col("USUBJID") != "B")) == ""
