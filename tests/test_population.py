"""Table 1, the flow, product characteristics and median follow-up (issue 18): one rule per
test on tiny hand-written frames."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car import population as pop


def _adsl(**over: list) -> pl.DataFrame:
    base = {
        "USUBJID": ["S-001", "S-002", "S-003", "S-004"],
        "AGE": [34, 41, 27, 52],
        "SEX": ["F", "F", "M", "F"],
        "ETHGRP": ["MALAY", "CHINESE", "MALAY", "INDIAN"],
        "DISDURY": [2.5, 7.4, 1.2, 10.0],
        "LNFL": ["Y", "Y", "N", "Y"],
        "NPRIORTX": [3, 4, 2, 5],
        "ENRLFL": ["Y"] * 4,
        "LDFL": ["Y", "Y", "Y", "N"],
        "SAFFL": ["Y", "Y", "Y", "N"],
        "CARTDOSE": [1.0, 0.9, 1.1, None],
        "EOSSTT": ["COMPLETED", "DISCONTINUED", "ONGOING", "DISCONTINUED"],
        "DCSREAS": [None, "WITHDRAWAL BY SUBJECT", None, "PHYSICIAN DECISION"],
        "LSTALVDY": [730, 300, 400, 10],
        "DTHFL": ["N", "N", "N", "N"],
        "DTHDY": [None, None, None, None],
    }
    base.update(over)
    return pl.DataFrame(base, schema_overrides={"DTHDY": pl.Int64})


def _bds(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["USUBJID", "PARAMCD", "AVAL"], orient="row").with_columns(
        pl.lit("Y").alias("ABLFL")
    )


def _wide(**kw: object) -> pl.DataFrame:
    adqs = _bds([("S-001", "SLEDAI2K", 12.0), ("S-002", "SLEDAI2K", 20.0)])
    adlb = _bds([("S-001", "C3", 0.5)])
    return pop.derive_baseline_wide(_adsl(), adqs, adlb, **kw)


def _value(tab: pl.DataFrame, label: str) -> tuple[str, str]:
    r = tab.filter(pl.col("Characteristic") == label).row(0, named=True)
    return r["Patients"], r["Patients with data"]


def test_table1_1_median_range_counts_only_patients_with_data() -> None:
    """SLEDAI-2K in 2 of 4 patients: median of those two, "2 of 4"; C3 in one."""
    tab = pop.baseline_table(_wide())
    assert _value(tab, "SLEDAI-2K (0–105), median (range)") == ("16 (12–20)", "2 of 4")
    assert _value(tab, "Complement C3 (g/L), median (range)") == ("0.50 (0.50–0.50)", "1 of 4")


def test_table1_2_not_collected_is_said_never_zero() -> None:
    """No CM: the glucocorticoid dose is "not collected" (not 0 mg); no BILAG either."""
    tab = pop.baseline_table(_wide(cm=None, bilag=None))
    assert _value(tab, "Prednisolone-equivalent dose (mg/day), median (range)")[0] == (
        "not collected"
    )
    assert _value(tab, "BILAG-2004 systems graded A (number), median (range)")[0] == (
        "not collected"
    )
    assert _value(tab, "Nephritis class (ISN/RPS 2003)")[0] == "not collected"


def test_table1_3_categories_as_n_percent_and_whole_years() -> None:
    tab = pop.baseline_table(_wide())
    assert _value(tab, "Female sex, n (%)")[0] == "3 (75)"
    assert _value(tab, "Lupus nephritis, n (%)")[0] == "3 (75)"
    assert _value(tab, "Ethnic group: Malay, n (%)")[0] == "2 (50)"
    # durations 2.5 -> 3, 7.4 -> 7, 1.2 -> 1, 10 -> 10 (half up): median of 1, 3, 7, 10 = 5
    assert _value(tab, "SLE duration (years), median (range)")[0] == "5 (1–10)"


def test_table1_4_glucocorticoid_dose_on_the_day_before_lymphodepletion() -> None:
    """Prednisolone 20 mg ending day -7 and 10 mg from day -6: the dose on day -6 is 10;
    a patient without a glucocorticoid has 0 (CM collected)."""
    cm = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-001"],
            "CMCLAS": ["GLUCOCORTICOID", "GLUCOCORTICOID"],
            "CMPREDEQ": [20.0, 10.0],
            "CMSTDY": [-400, -6],
            "CMENDY": [-7, None],
        },
        schema_overrides={"CMENDY": pl.Int64},
    )
    w = _wide(cm=cm)
    assert w.filter(pl.col("USUBJID") == "S-001")["GCBL"][0] == 10.0
    assert w.filter(pl.col("USUBJID") == "S-002")["GCBL"][0] == 0.0


def test_table1_5_per_patient_appendix_is_banded_and_has_no_ethnic_group(monkeypatch) -> None:
    monkeypatch.delenv("SLE_CAR_EXACT_VALUES", raising=False)
    app = pop.baseline_per_patient(_wide())
    # no age: beside Table 1's range, a band would give away the youngest patient's exact age
    assert "Age (years)" not in app.columns
    assert app["Patient"].to_list() == ["001", "002", "003", "004"]
    assert not any("thnic" in c for c in app.columns)


def test_followup_1_reverse_km_median_against_a_hand_computed_example() -> None:
    """Follow-up 100, 200 (death), 300, 400 days. Reversed: alive = event, death = censored.
    S(100) = 3/4; 200 censored; S(300) = 3/4 x (1 - 1/2) = 3/8 <= 0.5: median 300 days
    (the ordinary median of the follow-up times would be 250)."""
    adsl = _adsl(
        LSTALVDY=[100, 200, 300, 400],
        DTHFL=["N", "Y", "N", "N"],
        DTHDY=[None, 200, None, None],
        SAFFL=["Y"] * 4,
    )
    got = pop.followup_reverse_km(adsl)
    assert got["median_days"] == 300
    assert (got["min_days"], got["max_days"]) == (100, 400)
    assert got["text"].startswith("9.9 months (range 3.3–13.1)")


def test_followup_1b_a_death_not_recorded_counts_as_alive_at_last_contact_and_is_said() -> None:
    """Same times, death flag null for the 200-day patient (no disposition record): counted as
    alive at 200 days, so S(100) = 3/4, S(200) = 2/4 = 0.5 exactly until 300: the R survival
    median is the midpoint, 250 days (300 when the death is recorded, test 1), and it is said."""
    adsl = _adsl(
        LSTALVDY=[100, 200, 300, 400],
        DTHFL=["N", None, "N", "N"],
        DTHDY=[None, None, None, None],
        SAFFL=["Y"] * 4,
    )
    got = pop.followup_reverse_km(adsl)
    assert got["median_days"] == 250
    assert got["method"].endswith("death not recorded for 1 (no disposition record): counted "
                                  "as alive at the last contact")  # fmt: skip
    assert "death not recorded" not in pop.followup_reverse_km(_adsl())["method"]


def test_followup_2_only_infused_patients_count() -> None:
    got = pop.followup_reverse_km(_adsl())  # S-004 not infused (10 days) is left out
    assert got["n"] == 3
    assert got["min_days"] == 300


def test_flow_1_without_milestones_enrolled_from_dm_infused_from_ex() -> None:
    ds = pl.DataFrame(
        {"USUBJID": ["S-001"], "DSCAT": ["PROTOCOL MILESTONE"],
         "DSDECOD": ["INFORMED CONSENT OBTAINED"]}
    )  # fmt: skip
    f = pop.flow_counts(_adsl(), ds)
    get = {r["STAGE"]: r for r in f.iter_rows(named=True)}
    assert (get["Enrolled"]["N"], get["Enrolled"]["SOURCE"]) == (4, "demographics (DM)")
    assert (get["Infused"]["N"], get["Infused"]["SOURCE"]) == (3, "exposure record (EX)")
    assert get["Apheresis"]["N"] is None and get["Apheresis"]["SOURCE"] == "not recorded"
    assert get["Screened"]["N"] is None


def test_flow_2_milestones_and_screening_log_and_reasons() -> None:
    ms = [
        ("S-001", "INFORMED CONSENT OBTAINED"),
        ("S-002", "INFORMED CONSENT OBTAINED"),
        ("S-001", "ENTERED INTO TRIAL"),
        ("S-002", "ENTERED INTO TRIAL"),
        ("S-001", "APHERESIS PERFORMED"),
        ("S-002", "APHERESIS PERFORMED"),
        ("S-001", "CAR T PRODUCT MANUFACTURED"),
        ("S-002", "CAR T MANUFACTURING FAILED"),
    ]
    ds = pl.DataFrame(ms, schema=["USUBJID", "DSDECOD"], orient="row").with_columns(
        pl.lit("PROTOCOL MILESTONE").alias("DSCAT")
    )
    screening = {"screened": 7, "not_enrolled": {"SCREEN FAILURE": 5}}
    f = pop.flow_counts(_adsl(), ds, screening)
    get = {r["STAGE"]: r for r in f.iter_rows(named=True)}
    first = get["Consented and screened"]
    assert first["N"] == 7 and "screen failure: 5" in first["DETAIL"]
    # consent precedes screening: no separate consent box after it (DS has it for enrolled only)
    assert "Consented" not in get and f["STAGE"][0] == "Consented and screened"
    assert get["Enrolled"]["N"] == 2 and get["Enrolled"]["SOURCE"] == "disposition (DS)"
    assert get["Product manufactured"]["N"] == 1
    assert get["Product manufactured"]["DETAIL"] == "manufacturing failed: 1"
    assert get["Infused"]["N"] is None  # milestones collected, this one absent: not inferred
    assert get["Discontinued"]["DETAIL"] == "withdrawal by subject: 1"  # infused only


def test_product_1_without_xp_only_the_dose_and_a_not_collected_row() -> None:
    tab = pop.product_table(_adsl(), None)
    assert tab["Products"].to_list() == ["1.00 (0.90–1.10)", "not collected"]


def test_product_2_xp_median_range() -> None:
    xp = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-001", "S-002", "S-002", "S-003"],
            "XPTESTCD": ["MFGRES", "VIABLE", "MFGRES", "VIABLE", "MFGRES"],
            "XPORRES": ["SUCCESS", "90", "SUCCESS", "80", "FAILURE"],
            "XPSTRESN": [None, 90.0, None, 80.0, None],
        }
    )
    tab = pop.product_table(_adsl(), xp)
    get = dict(zip(tab["Characteristic"], tab["Products"], strict=True))
    assert get["Manufactured successfully, n (%)"] == "2 (67)"
    assert get["Viability (%), median (range)"] == "85 (80–90)"


@pytest.mark.parametrize(("values", "text"), [([1.0, 2.0, 4.0, 10.0], "3.0 (1.0–10.0)")])
def test_median_range_even_count_averages_the_middle_two(values, text) -> None:
    assert pop.median_range(pl.Series(values)) == text


def test_flow_3_without_a_disposition_record_the_end_of_study_is_not_recorded() -> None:
    """No DS: everybody looks "ongoing" in ADSL, but the flow must not say so."""
    f = pop.flow_counts(_adsl(EOSSTT=["ONGOING"] * 4, DCSREAS=[None] * 4), None)
    get = {r["STAGE"]: r for r in f.iter_rows(named=True)}
    for stage in ("Completed the study", "Discontinued", "In follow-up at the data cut"):
        assert get[stage]["N"] is None and get[stage]["SOURCE"] == "not recorded"
    assert get["Infused"]["N"] == 3


def test_table1_6_an_empty_medication_record_is_not_collected_not_zero_mg() -> None:
    empty = pl.DataFrame(
        schema={
            "USUBJID": pl.String,
            "CMCLAS": pl.String,
            "CMPREDEQ": pl.Float64,
            "CMSTDY": pl.Int64,
            "CMENDY": pl.Int64,
        }
    )
    w = _wide(cm=empty)
    assert w["GCBL"].is_null().all()


def test_flow_arrows_meet_box_edges_at_their_centre_never_a_corner() -> None:
    f = pop.flow_counts(_adsl(), None)
    lay = pop.flow_layout(f)
    boxes, arrows = lay["boxes"], lay["arrows"]
    assert arrows.height == boxes.height - 1  # one arrow into every box but the first
    for a in arrows.iter_rows(named=True):
        assert a["x"] == a["xend"]  # vertical: no diagonal towards a corner
        (target,) = [
            b
            for b in boxes.iter_rows(named=True)
            if abs(b["ymax"] - a["yend"]) < 1e-9 and abs(b["x"] - a["xend"]) < 1e-9
        ]  # ends at the centre of the top edge of exactly one box
        assert target["xmin"] < a["xend"] < target["xmax"]
    # the chain's arrows start at the centre of the bottom edge of the box above
    chain = boxes.head(boxes.height - 3)  # the three end-of-study boxes come last
    starts = set(arrows["y"].to_list())
    assert set(chain["ymin"].to_list()[:-1]) <= starts


def test_flow_4_infused_by_ds_without_an_ex_infusion_is_a_stated_exclusion() -> None:
    """DS says S-004 was infused, EX has no infusion (SAFFL N): the Infused box counts the
    milestone and states the exclusion, so that the boxes reconcile."""
    ms = [(s, d) for s in ("S-001", "S-002", "S-003", "S-004")
          for d in ("ENTERED INTO TRIAL", "LYMPHODEPLETION STARTED", "CAR T CELLS INFUSED")]  # fmt: skip
    ds = pl.DataFrame(ms, schema=["USUBJID", "DSDECOD"], orient="row").with_columns(
        pl.lit("PROTOCOL MILESTONE").alias("DSCAT")
    )
    f = pop.flow_counts(_adsl(), ds)
    get = {r["STAGE"]: r for r in f.iter_rows(named=True)}
    assert get["Infused"]["N"] == 4
    assert get["Infused"]["DETAIL"] == "no infusion record (EX): 1 excluded from the analysis"
    ends = sum(
        get[s]["N"] for s in ("Completed the study", "Discontinued", "In follow-up at the data cut")
    )
    assert ends == get["Infused"]["N"] - 1 == 3
    # agreement: no note
    agree = ds.filter(
        ~((pl.col("USUBJID") == "S-004") & (pl.col("DSDECOD") != "ENTERED INTO TRIAL"))
    )
    assert {r["STAGE"]: r for r in pop.flow_counts(_adsl(), agree).iter_rows(named=True)}[
        "Infused"
    ]["DETAIL"] is None


def test_flow_5_an_infused_patient_without_a_ds_record_is_not_counted_as_in_follow_up() -> None:
    ds = pl.DataFrame(
        {"USUBJID": ["S-001"], "DSCAT": ["PROTOCOL MILESTONE"],
         "DSDECOD": ["INFORMED CONSENT OBTAINED"]}
    )  # fmt: skip
    adsl = _adsl(EOSSTT=["COMPLETED", "DISCONTINUED", None, "DISCONTINUED"])
    get = {r["STAGE"]: r for r in pop.flow_counts(adsl, ds).iter_rows(named=True)}
    last = get["In follow-up at the data cut"]
    assert (last["N"], last["DETAIL"]) == (0, "end-of-study status not recorded: 1")


def test_product_3_a_blank_manufacturing_result_is_not_recorded_not_a_failure() -> None:
    xp = pl.DataFrame(
        {"USUBJID": ["S-001", "S-002", "S-003"], "XPTESTCD": ["MFGRES"] * 3,
         "XPORRES": [None, None, None], "XPSTRESN": [None, None, None]},
        schema_overrides={"XPORRES": pl.String, "XPSTRESN": pl.Float64},
    )  # fmt: skip
    get = {r[0]: r[1:] for r in pop.product_table(_adsl(), xp).iter_rows()}
    assert get["Manufactured successfully, n (%)"] == (
        "not recorded",
        "0 of 3 attempted with a recorded result",
    )
    one = xp.with_columns(
        pl.when(pl.col("USUBJID") == "S-001").then(pl.lit("SUCCESS")).alias("XPORRES")
    )
    get = {r[0]: r[1:] for r in pop.product_table(_adsl(), one).iter_rows()}
    assert get["Manufactured successfully, n (%)"] == (
        "1 (100)",
        "1 of 3 attempted with a recorded result",
    )


def test_flow_4_subjects_without_any_disposition_record_are_said_in_the_first_milestone_box() -> (
    None
):
    """DS records milestones for S-001..S-003 only; S-004 is in DM with no DS record: the
    milestone boxes count 3 and the first of them says 1 subject is not counted."""
    subjects = ["S-001", "S-002", "S-003"]
    ds = pl.DataFrame(
        [(s, d) for s in subjects for d in ("INFORMED CONSENT OBTAINED", "ENTERED INTO TRIAL")],
        schema=["USUBJID", "DSDECOD"],
        orient="row",
    ).with_columns(pl.lit("PROTOCOL MILESTONE").alias("DSCAT"))
    get = {r["STAGE"]: r for r in pop.flow_counts(_adsl(), ds).iter_rows(named=True)}
    assert get["Consented"]["N"] == 3
    assert get["Consented"]["DETAIL"] == (
        "1 subject(s) in demographics (DM) have no disposition record (DS): not counted in the "
        "milestone boxes"
    )
    assert get["Enrolled"]["DETAIL"] is None
