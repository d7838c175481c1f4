"""The safety tables of issue 18: one counting rule per test on tiny hand-written frames."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car import safety_tables as st
from sle_car.sap import SAFETY

EARLY, MID, LATE = st.window_labels()


def _ae(rows: list[tuple]) -> pl.DataFrame:
    """ADAE rows: (USUBJID, AESEQ, SOC, TERM, AECAT, grade, serious, related, start, end)."""
    cols = ["USUBJID", "AESEQ", "AEBODSYS", "AEDECOD", "AECAT", "ATOXGR", "AESER", "AREL"]
    cols += ["ASTDY", "AENDY"]
    df = pl.DataFrame(rows, schema=cols, orient="row")
    return df.with_columns(
        (pl.col("AENDY") - pl.col("ASTDY") + 1).alias("ADURN"),
        pl.lit("Y").alias("TRTEMFL"),
    )


SKIN = "Skin and subcutaneous tissue disorders"
INV = "Investigations"


def _row(tab: pl.DataFrame, label: str) -> dict:
    return tab.filter(pl.col("System organ class / preferred term") == label).row(0, named=True)


def test_ae_grade_1_worst_grade_per_patient_per_term() -> None:
    """Patient 001 has rash grades 1, 3, 2: counted once, at grade 3."""
    ae = _ae(
        [
            ("P-001", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 1, 2),
            ("P-001", 2, SKIN, "Rash", "OTHER", 3, "N", "RELATED", 5, 6),
            ("P-001", 3, SKIN, "Rash", "OTHER", 2, "N", "RELATED", 9, 9),
            ("P-002", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 3, 4),
        ]
    )
    rash = _row(st.ae_grade_table(ae, 4), st.INDENT + "Rash")
    assert rash["Grade 1"] == "1 (25)"
    assert rash["Grade 2"] == "0"
    assert rash["Grade 3"] == "1 (25)"
    assert rash["Any grade"] == "2 (50)"


def test_ae_grade_2_class_row_takes_the_worst_grade_over_its_terms() -> None:
    """One patient, two terms in one class (grades 2 and 4): the class row counts grade 4 once."""
    ae = _ae(
        [
            ("P-001", 1, INV, "Neutrophil count decreased", "CYTOPENIA", 4, "N", "RELATED", 5, 8),
            ("P-001", 2, INV, "Platelet count decreased", "CYTOPENIA", 2, "N", "RELATED", 6, 9),
        ]
    )
    tab = st.ae_grade_table(ae, 5)
    soc = _row(tab, INV)
    assert (soc["Grade 2"], soc["Grade 4"], soc["Any grade"]) == ("0", "1 (20)", "1 (20)")
    assert _row(tab, st.ANY_ROW)["Any grade"] == "1 (20)"


def test_ae_grade_3_serious_and_related_count_a_patient_once_when_any_event_is() -> None:
    """Serious: one of two events serious -> the patient counts; related includes
    "POSSIBLY RELATED", not "NOT RELATED"."""
    ae = _ae(
        [
            ("P-001", 1, SKIN, "Rash", "OTHER", 1, "N", "NOT RELATED", 1, 2),
            ("P-001", 2, SKIN, "Rash", "OTHER", 1, "Y", "POSSIBLY RELATED", 5, 6),
            ("P-002", 1, SKIN, "Rash", "OTHER", 2, "N", "NOT RELATED", 3, 4),
        ]
    )
    rash = _row(st.ae_grade_table(ae, 2), st.INDENT + "Rash")
    assert rash["Serious"] == "1 (50)"
    assert rash["Related"] == "1 (50)"


@pytest.mark.parametrize(
    ("day", "window"),
    [(0, EARLY), (28, EARLY), (29, MID), (91, MID), (92, LATE), (-3, st.WINDOW_BEFORE)],
)
def test_ae_grade_4_window_boundaries(day: int, window: str) -> None:
    """Day 28 is in days 0-28, day 29 in the second window, day 91 (3 months) in the second,
    day 92 in > 3 months; an event during lymphodepletion is before the infusion."""
    got = pl.select(st.compute_window(pl.lit(day)).alias("w"))["w"][0]
    assert got == window
    assert SAFETY.early_end_day == 28 and SAFETY.mid_end_day == 91


def test_ae_grade_5_window_columns_count_patients_by_onset() -> None:
    """Patient 001 with rash on days 28 and 29 counts in both windows, once each."""
    ae = _ae(
        [
            ("P-001", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 28, 28),
            ("P-001", 2, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 29, 30),
            ("P-002", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 92, 95),
        ]
    )
    rash = _row(st.ae_grade_table(ae, 2), st.INDENT + "Rash")
    assert (rash[EARLY], rash[MID], rash[LATE]) == ("1 (50)", "1 (50)", "1 (50)")
    assert st.WINDOW_BEFORE not in st.ae_grade_table(ae, 2).columns


def test_ae_grade_6_rows_are_ordered_by_frequency_and_terms_sit_under_their_class() -> None:
    ae = _ae(
        [
            ("P-001", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 1, 2),
            ("P-001", 2, INV, "Neutrophil count decreased", "CYTOPENIA", 3, "N", "RELATED", 1, 2),
            ("P-002", 1, INV, "Platelet count decreased", "CYTOPENIA", 3, "N", "RELATED", 1, 2),
        ]
    )
    labels = st.ae_grade_table(ae, 2)["System organ class / preferred term"].to_list()
    assert labels == [
        st.ANY_ROW,
        INV,
        st.INDENT + "Neutrophil count decreased",
        st.INDENT + "Platelet count decreased",
        SKIN,
        st.INDENT + "Rash",
    ]


def test_ae_grade_7_no_variable_names_in_the_headers() -> None:
    ae = _ae([("P-001", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 1, 2)])
    cols = " ".join(st.ae_grade_table(ae, 1).columns)
    for name in ("AEBODSYS", "AEDECOD", "ATOXGR", "AESER", "AREL", "USUBJID"):
        assert name not in cols


def _crs_rows() -> pl.DataFrame:
    return _ae(
        [
            ("P-001", 1, "Immune system disorders", "Cytokine release syndrome", "CRS", 2, "Y",
             "RELATED", 3, 5),
            ("P-001", 2, "Immune system disorders", "Cytokine release syndrome", "CRS", 1, "N",
             "RELATED", 9, 9),
        ]
    ).with_columns(pl.lit("TREATMENT GIVEN").alias("AEACN"))  # fmt: skip


def test_crs_1_a_patient_without_crs_has_a_row_saying_none() -> None:
    tab = st.crs_icans_table(_crs_rows(), ["P-001", "P-002"], cm=None)
    none = tab.filter((pl.col("Patient") == "002") & (pl.col("Event") == "CRS")).row(0, named=True)
    assert none["Worst ASTCT grade"] == "none"
    assert none["Treatment"] == "not applicable"
    assert tab.height == 4  # 2 patients x (CRS, ICANS)


def test_crs_2_worst_grade_first_onset_and_days_with_crs() -> None:
    tab = st.crs_icans_table(_crs_rows(), ["P-001"], cm=None)
    crs = tab.filter(pl.col("Event") == "CRS").row(0, named=True)
    assert crs["Worst ASTCT grade"] == "grade 2"
    assert crs["Onset (day after infusion)"] == "3"
    assert crs["Duration (days)"] == "4"  # 3 days + 1 day
    assert crs["Episodes"] == 2


def test_crs_3_treatment_from_the_medication_record_in_the_event_window() -> None:
    """Tocilizumab on day 4 (inside days 3-5) counts; background prednisolone does not;
    dexamethasone on day 20 (outside both episodes) does not."""
    cm = pl.DataFrame(
        {
            "USUBJID": ["P-001"] * 3,
            "CMTRT": ["TOCILIZUMAB", "PREDNISOLONE", "DEXAMETHASONE"],
            "CMCLAS": ["IL-6 RECEPTOR ANTAGONIST", "GLUCOCORTICOID", "GLUCOCORTICOID"],
            "CMSTDY": [4, 0, 20],
        }
    )
    tab = st.crs_icans_table(_crs_rows(), ["P-001"], cm=cm)
    # episode 1: tocilizumab; episode 2 (day 9): none from CM, the AE says treatment given
    assert tab.filter(pl.col("Event") == "CRS")["Treatment"][0] == (
        "tocilizumab; treatment given (drug not recorded)"
    )


def test_crs_4_without_medication_record_or_action_the_treatment_is_not_recorded() -> None:
    rows = _crs_rows().drop("AEACN")
    tab = st.crs_icans_table(rows, ["P-001"], cm=None)
    assert tab.filter(pl.col("Event") == "CRS")["Treatment"][0] == "not recorded"


def _lb(values: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame(values, schema=["USUBJID", "ADY", "AVAL"], orient="row").with_columns(
        pl.lit("IGG").alias("PARAMCD"), pl.lit(7.0).alias("ANRLO")
    )


def test_aesi_1_hypogammaglobulinaemia_is_strictly_below_4_g_l_after_infusion() -> None:
    """IgG 4.0 is not < 4 g/L; 3.9 is; a baseline 3.0 (day -7) does not count."""
    lb = _lb([("P-001", 30, 4.0), ("P-002", 90, 3.9), ("P-003", -7, 3.0), ("P-003", 30, 8.0)])
    tab = st.aesi_table(None, lb, None, ["P-001", "P-002", "P-003"])
    hypo = tab.filter(
        pl.col("Event of special interest") == "Severe hypogammaglobulinaemia (IgG < 4 g/L)"
    ).row(0, named=True)
    assert hypo["Patients with the event, n (%)"] == 1
    assert hypo["Patients assessed"] == "3"
    lln = tab.filter(
        pl.col("Event of special interest")
        == "Hypogammaglobulinaemia (IgG below the lower limit of normal)"
    ).row(0, named=True)
    assert lln["Patients with the event, n (%)"] == 2  # 4.0 and 3.9 < 7.0; 8.0 is not


def test_aesi_2_infections_by_worst_grade_and_not_graded_rows_show_a_dash() -> None:
    ae = _ae(
        [
            ("P-001", 1, "Infections", "Pneumonia", "INFECTION", 3, "Y", "NOT RELATED", 40, 50),
            ("P-001", 2, "Infections", "Cystitis", "INFECTION", 2, "N", "NOT RELATED", 60, 65),
        ]
    )
    lb = _lb([("P-001", 30, 3.0)])
    tab = st.format_aesi(st.aesi_table(ae, lb, None, ["P-001", "P-002"]))
    inf = tab.filter(pl.col("Event of special interest") == "Infection").row(0, named=True)
    assert (inf["Grade 2"], inf["Grade 3"]) == ("0", "1 (50)")
    assert inf["Patients with the event, n (%)"] == "1 (50)"
    hypo = tab.filter(pl.col("Event of special interest").str.starts_with("Severe hypogamma"))
    assert hypo["Grade 3"][0] == "–"
    assert hypo["Patients with the event, n (%)"][0] == "1 (100)"  # 1 of 1 assessed


def test_aesi_3_icaht_grade_zero_is_no_event() -> None:
    icaht = pl.DataFrame({"USUBJID": ["P-001", "P-002"], "ICAHTE": [0, 2], "ICAHTL": [0, 0]})
    tab = st.aesi_table(None, _lb([]), icaht, ["P-001", "P-002"])
    early = tab.filter(pl.col("Event of special interest") == "Early ICAHT").row(0, named=True)
    assert early["Patients with the event, n (%)"] == 1
    assert (early["Grade 1"], early["Grade 2"]) == (0, 1)


def test_n_pct_rounds_half_up_and_prints_zero_alone() -> None:
    got = pl.select(st.n_pct(pl.lit(1), 8).alias("a"), st.n_pct(pl.lit(0), 5).alias("b")).row(0)
    assert got == ("1 (13)", "0")  # 12.5 -> 13


def test_ae_timeline_encodes_grade_and_patient_number_and_breaks_after_day_28() -> None:
    """Grade is a column of the drawn data (the caption promises it); patients are "001";
    an event on day 28 stays on the day axis, one on day 29 moves past the break."""
    ae = _ae(
        [
            ("SLECAR01-01-001", 1, SKIN, "Rash", "OTHER", 3, "N", "RELATED", 28, 40),
            ("SLECAR01-01-002", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 29, 30),
        ]
    )
    d = st.ae_timeline_frame(ae, ["SLECAR01-01-001", "SLECAR01-01-002"])
    assert d["Patient"].to_list() == ["001", "002"]
    assert d["Grade"].to_list() == ["3", "1"]
    assert d["X"][0] == 28.0 and d["XEND"][0] == 28.0  # clipped at the end of the day axis
    assert d["X"][1] > st.late_axis_origin() - 1  # past the break, in months
    assert d["Y"][0] > d["Y"][1]  # first patient on top


def test_aesi_4_sources_not_collected_say_not_assessed() -> None:
    """No AE record, no IgG, no ANC: one row each saying so, never 0 patients with the event."""
    tab = st.format_aesi(st.aesi_table(None, _lb([]), None, ["P-001", "P-002"]))
    assert tab["Patients assessed"].to_list() == ["0", "0", "0"]
    assert tab["Patients with the event, n (%)"].to_list() == ["not assessed"] * 3
    assert tab["Grade 1"].to_list() == ["–"] * 3


def test_aesi_names_its_events_by_the_preferred_term_of_the_ae_table() -> None:
    """One event, one name: the LICATS row says the events were reported as "Rash", the
    preferred term (AEDECOD) under which tbl-ae-grade lists the same events."""
    ae = _ae(
        [
            ("P-001", 1, SKIN, "Rash", "LICATS", 2, "N", "RELATED", 5, 9),
            ("P-002", 1, SKIN, "Rash", "LICATS", 1, "N", "RELATED", 6, 8),
            ("P-002", 2, "Infections", "Pneumonia", "INFECTION", 3, "Y", "NOT RELATED", 40, 50),
        ]
    )
    aesi = st.aesi_table(ae, _lb([]), None, ["P-001", "P-002"])
    lic = aesi.filter(pl.col("Event of special interest").str.contains("LICATS")).row(0, named=True)
    assert lic["Definition"] == (
        "adverse event, graded by CTCAE v5.0; new or worsening in an organ affected before"
        " (Hagen 2025); reported as: Rash"
    )
    assert lic["Patients with the event, n (%)"] == 2
    crs = aesi.filter(pl.col("Event of special interest") == "Cytokine release syndrome")
    assert crs["Definition"][0] == "adverse event, graded by ASTCT 2019"  # no CRS: no term
    terms = st.ae_grade_table(ae, 2)["System organ class / preferred term"].to_list()
    assert st.INDENT + "Rash" in terms and st.INDENT + "Pneumonia" in terms


def _upcr(values: list[tuple[str, int, float, float]]) -> pl.DataFrame:
    """ADLB UPCR rows: (USUBJID, ADY, AVAL, BASE)."""
    return pl.DataFrame(
        values, schema=["USUBJID", "ADY", "AVAL", "BASE"], orient="row"
    ).with_columns(
        pl.lit("PROTCRT").alias("PARAMCD"), pl.lit(None, dtype=pl.Float64).alias("ANRLO")
    )


def test_aesi_5_kidney_licats_needs_upcr_above_baseline_within_its_dates() -> None:
    """Hagen 2025: a kidney LICATS is a new or worsening change. P-001's proteinuria (days 8-40)
    has UPCR 1.22 < baseline 2.96 on day 15, within 7 days of onset, and 1.22 on day 28:
    nephritis remitting, not counted, and the row says so; P-002's has 2.5 > 2.0 on day 14:
    counted; P-003's rash is counted as reported."""
    ae = _ae(
        [
            ("P-001", 1, "Renal", "Proteinuria", "LICATS", 2, "N", "RELATED", 8, 40),
            ("P-002", 1, "Renal", "Proteinuria", "LICATS", 2, "N", "RELATED", 10, 20),
            ("P-003", 1, SKIN, "Rash", "LICATS", 1, "N", "RELATED", 6, 12),
        ]
    )
    lb = _upcr(
        [
            *[("P-001", -7, 2.96, 2.96), ("P-001", 15, 1.22, 2.96), ("P-001", 28, 1.22, 2.96)],
            *[("P-002", -7, 2.0, 2.0), ("P-002", 14, 2.5, 2.0), ("P-002", 28, 1.0, 2.0)],
        ]
    )
    aesi = st.aesi_table(ae, lb, None, ["P-001", "P-002", "P-003"])
    lic = aesi.filter(pl.col("Event of special interest").str.contains("LICATS")).row(0, named=True)
    assert lic["Patients with the event, n (%)"] == 2  # P-002 and P-003
    assert (lic["Grade 1"], lic["Grade 2"]) == (1, 1)
    assert lic["Definition"].endswith(
        "; not counted: 1 event(s) of 1 patient(s) the laboratory contradicts: Proteinuria"
        " (UPCR above its baseline never within its dates, measured within 7 days of onset)"
    )


def test_aesi_6_kidney_licats_without_a_measurement_in_its_dates_stays_as_reported() -> None:
    """No UPCR between onset and end: nothing contradicts the investigator, the event counts
    (check "not measured"); a value equal to the baseline is not above it (contradicted)."""
    ae = _ae(
        [
            ("P-001", 1, "Renal", "Proteinuria", "LICATS", 2, "N", "RELATED", 8, 12),
            ("P-002", 1, "Renal", "Proteinuria", "LICATS", 2, "N", "RELATED", 8, 12),
        ]
    )
    lb = _upcr([("P-001", 28, 3.0, 1.0), ("P-002", 10, 1.0, 1.0)])
    checked = st.licats_lab_check(ae, lb)
    assert checked.sort("USUBJID")["LABCHK"].to_list() == ["not measured", "contradicted"]


def test_aesi_6b_kidney_licats_measured_only_weeks_after_onset_counts_as_reported() -> None:
    """Proteinuria days 8-40, UPCR 1.22 < baseline 2.96 only on day 28 (20 days after onset):
    a short rise may have come and gone, so it is "not measured near onset" and counts; with
    a 20-day onset window the same sample contradicts it (day 28 <= 8 + 20)."""
    ae = _ae([("P-001", 1, "Renal", "Proteinuria", "LICATS", 2, "N", "RELATED", 8, 40)])
    lb = _upcr([("P-001", -7, 2.96, 2.96), ("P-001", 28, 1.22, 2.96)])
    assert st.licats_lab_check(ae, lb)["LABCHK"].to_list() == ["not measured near onset"]
    assert st.licats_lab_check(ae, lb, onset_window_days=20)["LABCHK"].to_list() == ["contradicted"]
    lic = st.aesi_table(ae, lb, None, ["P-001"]).filter(
        pl.col("Event of special interest").str.contains("LICATS")
    )
    assert lic["Patients with the event, n (%)"].item() == 1
    assert (
        lic["Definition"]
        .item()
        .endswith(
            "; counted as reported: 1 kidney event(s) with no laboratory value within 7 days of "
            "onset (a short rise may have been missed)"
        )
    )


def test_ae_timeline_marks_sit_on_their_own_lane_and_day() -> None:
    """An event alone sits on its patient's lane at its onset day; two events of one patient
    on the same day are stacked within that lane (less than half a lane from its centre),
    never on another patient's lane."""
    ae = _ae(
        [
            ("SLECAR01-01-001", 1, SKIN, "Rash", "OTHER", 1, "N", "RELATED", 5, 9),
            ("SLECAR01-01-001", 2, INV, "Neutrophil count decreased", "CYTOPENIA", 3, "N",
             "RELATED", 5, 6),
            ("SLECAR01-01-002", 1, SKIN, "Pruritus", "OTHER", 1, "N", "RELATED", 3, 4),
        ]
    )  # fmt: skip
    d = st.ae_timeline_frame(ae, ["SLECAR01-01-001", "SLECAR01-01-002"])
    one = d.filter(pl.col("Patient") == "001")
    assert one["X"].to_list() == [5.0, 5.0]
    assert one["Y"].n_unique() == 2 and all(abs(y - 2.0) < 0.5 for y in one["Y"])
    two = d.filter(pl.col("Patient") == "002").row(0, named=True)
    assert (two["X"], two["Y"]) == (3.0, 1.0)  # alone: exactly on lane 002, day 3


def test_an_excluded_patient_is_not_counted_against_the_safety_population() -> None:
    """ICH E3: P-003 was lymphodepleted but not infused (SAFFL = N) and has two grade 4
    events; the tables count the 2 infused patients only (1 of 2 at grade 4 = 50 %, never
    2 of 2 or a percentage above 100), and the 2 records set aside are counted."""
    adsl = pl.DataFrame({"USUBJID": ["P-001", "P-002", "P-003"], "SAFFL": ["Y", "Y", "N"]})
    ae = _ae(
        [
            ("P-001", 1, SKIN, "Rash", "OTHER", 4, "N", "RELATED", 1, 2),
            ("P-003", 1, SKIN, "Rash", "OTHER", 4, "N", "RELATED", 1, 2),
            ("P-003", 2, INV, "Neutrophil count decreased", "OTHER", 4, "N", "RELATED", 1, 2),
        ]
    )
    lb = pl.DataFrame({"USUBJID": ["P-002", "P-003"], "AVAL": [1.0, 2.0]})
    safety, kept, aside = st.safety_population(adsl, ADAE=ae, ADLB=lb, CM=None)
    assert safety["USUBJID"].to_list() == ["P-001", "P-002"]
    assert kept["ADAE"]["USUBJID"].to_list() == ["P-001"] and kept["CM"] is None
    assert kept["ADLB"]["USUBJID"].to_list() == ["P-002"]
    assert aside.rows() == [("ADAE", 1, 2), ("ADLB", 1, 1)]
    tab = st.ae_grade_table(kept["ADAE"], safety.height)
    assert _row(tab, st.ANY_ROW)["Grade 4"] == "1 (50)"
    with pytest.raises(ValueError, match="2 patients have adverse events but the denominator"):
        st.ae_grade_table(ae, 1)


def test_crs_5_a_patient_followed_less_than_the_window_has_none_so_far() -> None:
    """002 followed to day 14 (< 28) without CRS: "none so far (followed to day 14)", not
    "none"; 003 followed to day 28: "none"; 004 without follow-up recorded: not "none"."""
    adsl = pl.DataFrame(
        {"USUBJID": ["P-001", "P-002", "P-003", "P-004"], "LSTALVDY": [14, 14, 28, None]},
        schema={"USUBJID": pl.String, "LSTALVDY": pl.Int64},
    )
    tab = st.crs_icans_table(_crs_rows(), adsl["USUBJID"].to_list(), None, adsl)
    crs = dict(tab.filter(pl.col("Event") == "CRS").select("Patient", "Worst ASTCT grade").rows())
    assert crs["002"] == "none so far (followed to day 14)"
    assert crs["003"] == "none"
    assert crs["004"] == "none so far (follow-up not recorded)"
    assert crs["001"].startswith("grade")  # the event is shown whatever the follow-up
    short = st.crs_icans_table(_crs_rows(), ["P-002"], None, adsl, window_day=14)
    assert short["Worst ASTCT grade"].to_list() == ["none", "none"]


def _cyto_lb(rows: list[tuple]) -> pl.DataFrame:
    """ADLB rows: (USUBJID, PARAMCD, ADY, AVAL, ATOXGRL, WGRLOFL)."""
    cols = ["USUBJID", "PARAMCD", "ADY", "AVAL", "ATOXGRL", "WGRLOFL"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def test_cytopenia_a_patient_without_values_after_infusion_is_not_measured_never_0() -> None:
    """001: ANC 0.3 on day 3 (grade 4), early ICAHT 1; 002: only a day-0 (pre-infusion) ANC
    and platelets at grade 0: not measured, never 0; 003: no laboratory value at all, still a
    row. Late ICAHT: 001 followed to day 20 (not reached), 002 to day 60 (not measured)."""
    lb = _cyto_lb(
        [
            ("P-001", "NEUT", 3, 0.3, "4", "Y"),
            ("P-001", "PLAT", 3, 120.0, "1", "Y"),
            ("P-002", "NEUT", 0, 3.0, "0", "Y"),
            ("P-002", "PLAT", 0, 200.0, "0", "Y"),
        ]
    )
    adsl = pl.DataFrame(
        {"USUBJID": ["P-001", "P-002", "P-003"], "LSTALVDY": [20, 60, 60]},
        schema={"USUBJID": pl.String, "LSTALVDY": pl.Int64},
    )
    icaht = pl.DataFrame(
        {
            "USUBJID": ["P-001", "P-002"],
            "DAYS500": [1, 0],
            "ICAHTE": [1, 0],
            "ICAHTL": [None, None],
        },
        schema={"USUBJID": pl.String, "DAYS500": pl.Int64, "ICAHTE": pl.Int64, "ICAHTL": pl.Int64},
    )
    tab = st.cytopenia_table(lb, icaht, adsl)
    rows = {r["Patient"]: r for r in tab.iter_rows(named=True)}
    assert list(rows) == ["001", "002", "003"]
    assert rows["001"]["Neutropenia (grade)"] == "4" and rows["001"]["Early ICAHT (grade)"] == "1"
    assert rows["001"]["Anaemia (grade)"] == st.NOT_MEASURED  # no haemoglobin after infusion
    assert rows["001"]["Late ICAHT (grade)"] == st.NOT_REACHED
    for col in ["Neutropenia (grade)", "Thrombocytopenia (grade)", "Days with ANC ≤ 500/µL"]:
        assert rows["002"][col] == st.NOT_MEASURED and rows["003"][col] == st.NOT_MEASURED
    assert rows["002"]["Early ICAHT (grade)"] == st.NOT_MEASURED
    assert rows["002"]["Late ICAHT (grade)"] == st.NOT_MEASURED
    assert tab.null_count().sum_horizontal().item() == 0  # never a printed "None"
