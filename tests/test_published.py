"""Issue 18: the like-for-like comparison with published cohorts (sle_car.published)."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car import published as P
from sle_car import stats as S
from sle_car.sap import ReportingOptions


def _cohorts(rows: list[dict]) -> pl.DataFrame:
    base = {
        "year": 2024,
        "ref": 0,
        "product": "x",
        "product_type": "autologous CD19",
        "endpoint": "CRS_ANY",
        "definition": "CRS, any grade",
        "sle_only": "Y",
        "population": "SLE",
        "same_as_pilot": "Y",
        "provenance": "T",
        "source": "abstract",
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema=P._SCHEMA)


def test_a_mixed_disease_number_is_never_pooled() -> None:
    c = _cohorts(
        [
            {"study": "A", "k": 1, "n": 4, "overlap_group": "A"},
            {"study": "B", "k": 2, "n": 6, "overlap_group": "B"},
            {
                "study": "Mixed",
                "k": 9,
                "n": 10,
                "overlap_group": "M",
                "sle_only": "N",
                "population": "mixed diseases",
            },
        ]
    )
    pooled = P.pooled_without_overlap(c, "CRS_ANY").row(0, named=True)
    assert (pooled["k"], pooled["n"]) == (3, 10)
    assert "Mixed" not in pooled["studies"]


def test_pools_stay_within_a_product_type() -> None:
    c = _cohorts(
        [
            {"study": "A", "k": 1, "n": 4, "overlap_group": "A"},
            {"study": "B", "k": 2, "n": 6, "overlap_group": "B"},
            {"study": "C", "k": 5, "n": 5, "overlap_group": "C", "product_type": "CD19 + BCMA"},
            {"study": "D", "k": 3, "n": 3, "overlap_group": "D", "product_type": "CD19 + BCMA"},
            {"study": "E", "k": 0, "n": 3, "overlap_group": "E", "product_type": "allogeneic CD19"},
        ]
    )
    pooled = P.pooled_without_overlap(c, "CRS_ANY")
    got = {r["product_type"]: (r["k"], r["n"]) for r in pooled.iter_rows(named=True)}
    # one study alone (allogeneic) is not a pool; no row adds products together
    assert got == {"CD19 + BCMA": (8, 8), "autologous CD19": (3, 10)}


def test_overlapping_patients_count_once_and_reviews_never_pool() -> None:
    c = _cohorts(
        [
            {"study": "Erlangen small", "k": 3, "n": 5, "overlap_group": "ERL"},
            {"study": "Erlangen large", "k": 6, "n": 8, "overlap_group": "ERL"},
            {"study": "Other", "k": 1, "n": 2, "overlap_group": "O"},
            {"study": "Review", "k": 50, "n": 100, "overlap_group": "REVIEW"},
        ]
    )
    r = P.pooled_without_overlap(c, "CRS_ANY").row(0, named=True)
    assert (r["k"], r["n"]) == (7, 10)
    assert r["studies"] == "Erlangen large, Other"


def test_another_definition_or_time_point_is_never_pooled() -> None:
    c = _cohorts(
        [
            {"study": "A", "k": 5, "n": 5, "overlap_group": "A", "endpoint": "DORIS_M3"},
            {
                "study": "B",
                "k": 12,
                "n": 15,
                "overlap_group": "B",
                "endpoint": "DORIS_M3",
                "same_as_pilot": "N",
            },
        ]
    )
    assert P.pooled_without_overlap(c, "DORIS_M3").height == 0


def test_rows_are_ordered_pilot_first_then_product_type_then_year() -> None:
    c = _cohorts(
        [
            {
                "study": "Aaa allo",
                "k": 0,
                "n": 3,
                "overlap_group": "1",
                "year": 2020,
                "product_type": "allogeneic CD19",
            },
            {"study": "Zzz auto", "k": 1, "n": 2, "overlap_group": "2", "year": 2025},
            {"study": "Yyy auto", "k": 1, "n": 2, "overlap_group": "3", "year": 2022},
            {
                "study": "Bbb dual",
                "k": 1,
                "n": 2,
                "overlap_group": "4",
                "year": 2021,
                "product_type": "CD19 + BCMA",
            },
        ]
    )
    pilot = _cohorts([{"study": P.PILOT, "k": 1, "n": 5, "overlap_group": "PILOT"}]).with_columns(
        pl.lit(0, dtype=pl.Int64).alias("not_evaluable")
    )
    rows = P.comparison_rows(pilot, c)
    assert rows["study"].to_list() == [
        P.PILOT,
        "Yyy auto",
        "Zzz auto",
        "Pooled x, no overlap",
        "Bbb dual",
        "Aaa allo",
    ]
    pooled = rows.filter(pl.col("kind") == "pooled").row(0, named=True)
    assert (pooled["k"], pooled["n"]) == (2, 4)
    assert pooled["ci_low"] == pytest.approx(S.clopper_pearson(2, 4)[0])


def _adrs(rows: list[tuple[str, str, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"USUBJID": s, "PARAMCD": "DORISREM", "AVISIT": v, "AVALC": y} for s, v, y in rows],
        schema={
            "USUBJID": pl.String,
            "PARAMCD": pl.String,
            "AVISIT": pl.String,
            "AVALC": pl.String,
        },
    )


def test_pilot_doris_is_read_at_the_month_3_and_month_6_visits_not_ever() -> None:
    adsl = pl.DataFrame(
        {"USUBJID": ["1", "2", "3", "4"], "SAFFL": ["Y", "Y", "Y", "N"], "LSTALVDY": [200] * 4}
    )
    adrs = _adrs(
        [
            ("1", "WEEK 8", "Y"),  # remission at week 8, lost by week 12: not "at month 3"
            ("1", "WEEK 12", "N"),
            ("1", "WEEK 24", "Y"),
            ("2", "WEEK 12", "Y"),
            ("2", "WEEK 24", "Y"),
            ("3", "WEEK 12", None),  # not evaluable: not in n, counted as not assessed
            ("4", "WEEK 12", "Y"),  # not infused: not in the safety population
        ]
    )
    adae = pl.DataFrame(
        {
            "USUBJID": ["1", "2", "2", "4"],
            "AECAT": ["CRS", "CRS", "ICANS", "CRS"],
            "ATOXGR": [1, 2, 1, 3],
        }
    )
    got = {
        r["endpoint"]: (r["k"], r["n"], r["not_evaluable"])
        for r in P.pilot_results(adsl, adae, adrs).iter_rows(named=True)
    }
    assert got == {
        "DORIS_M3": (1, 2, 1),
        "DORIS_M6": (2, 2, 1),
        "CRS_ANY": (2, 3, 0),
        "CRS_G2": (1, 3, 0),
        "ICANS_ANY": (1, 3, 0),
    }
    other = ReportingOptions(month3_visit="WEEK 8")
    m3 = P.pilot_results(adsl, adae, adrs, options=other).row(0, named=True)
    assert (m3["k"], m3["n"]) == (1, 1)


def test_a_cut_without_adverse_events_has_no_crs_rate_not_a_clean_zero() -> None:
    adsl = pl.DataFrame({"USUBJID": ["1", "2"], "SAFFL": ["Y", "Y"], "LSTALVDY": [200, 200]})
    adae = pl.DataFrame(schema={"USUBJID": pl.String, "AECAT": pl.String, "ATOXGR": pl.Int64})
    adrs = _adrs([("1", "WEEK 12", "Y"), ("2", "WEEK 12", "N")])
    pilot = P.pilot_results(adsl, adae, adrs)
    crs = pilot.filter(pl.col("endpoint") == "CRS_ANY").row(0, named=True)
    assert (crs["n"], crs["not_evaluable"]) == (0, 2)
    rows = P.comparison_rows(pilot, P.published_cohorts())
    shown = P.display_table(rows.filter(pl.col("study") == P.PILOT))
    assert shown["Patients, k/n"].to_list() == [
        "1/2",
        "not evaluable (2 not assessed)",
        "not evaluable (2 not assessed)",
        "not evaluable (2 not assessed)",
        "not evaluable (2 not assessed)",
    ]
    assert shown["% (exact 95% CI)"].to_list()[1:] == ["–"] * 4
    assert P.forest_frame(rows).filter(pl.col("study") == P.PILOT).height == 1


def test_shipped_published_numbers_say_where_they_come_from() -> None:
    c = P.published_cohorts()
    assert set(c["provenance"]) <= {"T", "C", "S", "D"}
    assert c["source"].null_count() == 0 and c["k"].null_count() == 0
    assert set(c["product_type"]) <= set(P.PRODUCT_TYPES)
    assert set(c["endpoint"]) <= set(P.ENDPOINTS)
    # Müller 2024's safety numbers include myositis and systemic sclerosis patients
    muller = c.filter(
        (pl.col("study") == "Müller 2024") & pl.col("endpoint").str.starts_with("CRS")
    )
    assert set(muller["sle_only"]) == {"N"}
    # Feng 2025 reports DORIS "by week 12" (ever), not at the month-3 visit
    feng = c.filter((pl.col("study") == "Feng 2025") & pl.col("endpoint").str.starts_with("DORIS"))
    assert feng["endpoint"].to_list() == ["DORIS_OTHER"] and feng["same_as_pilot"].to_list() == [
        "N"
    ]


def test_shipped_pools_use_sle_only_primary_reports_within_a_product() -> None:
    c = P.published_cohorts()
    # MB-CART19.1 (Mackensen; Müller is mixed diseases), KYV-101 and relma-cel are three
    # products with one SLE-only report each: nothing pools, in particular not 3/5 + 2/2 + 7/8
    for endpoint in P.ENDPOINTS:
        assert P.pooled_without_overlap(c, endpoint).height == 0, endpoint
    # the old name stays importable
    assert S.pooled_without_overlap(c, "ICANS_ANY").height == 0


def test_every_shipped_number_says_whether_it_was_checked_against_the_primary_paper() -> None:
    c = P.published_cohorts()
    assert c["verified"].null_count() == 0
    kinds = c["verified"].str.extract(r"^(primary|secondary|conference abstract)")
    assert kinds.null_count() == 0
    # Mackensen 2022's CRS count comes from a review table: it stays secondary, says which
    mack = c.filter((pl.col("study") == "Mackensen 2022") & (pl.col("endpoint") == "CRS_ANY"))
    assert mack["verified"].item().startswith("secondary: Pediatr Rheumatol 2024 review, Table 1")
    assert mack["provenance"].item() == "S"
    # an inference from an abstract is coded D, not T
    feng = c.filter((pl.col("study") == "Feng 2025") & (pl.col("endpoint") == "CRS_G2"))
    assert feng["provenance"].item() == "D"
    adsl = pl.DataFrame({"USUBJID": ["1"], "SAFFL": ["Y"], "LSTALVDY": [200]})
    adae = pl.DataFrame(schema={"USUBJID": pl.String, "AECAT": pl.String, "ATOXGR": pl.Int64})
    rows = P.comparison_rows(P.pilot_results(adsl, adae, _adrs([])), c)
    # the paper table keeps the provenance code; the long text is in the supplement table
    assert "Checked against the primary source" not in P.display_table(rows).columns
    src = P.sources_table(rows)
    assert src.height == c.height  # every published row, no pilot row
    assert not src["Checked against the primary source"].str.contains("session").any()
    assert (
        src["Checked against the primary source"].str.contains("checked December 2026").sum() >= 10
    )


def test_the_forest_plot_uses_no_patient_colour() -> None:
    from sle_car.figures import PALETTE

    patient_colours = {c.upper() for c in PALETTE if c.upper() != "#000000"}
    used = {c.upper() for style in P.ROW_STYLES.values() for c in style}
    assert used.isdisjoint(patient_colours)
    # greys and black only (r = g = b)
    assert all(c[1:3] == c[3:5] == c[5:7] for c in used)
    assert set(P.PRODUCT_SHAPES) == set(P.PRODUCT_TYPES)


def test_forest_pooled_row_names_its_studies_and_open_means_mixed_diseases_only() -> None:
    """A pool of two SLE-only studies (Yyy 1/2 + Zzz (relma-cel) 2/3 = 3/5) says which studies it
    adds, without their product names, and is a solid diamond; the only open (white-filled) row
    is the mixed-disease number."""
    c = _cohorts(
        [
            {"study": "Yyy 2022", "k": 1, "n": 2, "overlap_group": "1"},
            {"study": "Zzz 2025 (relma-cel)", "k": 2, "n": 3, "overlap_group": "2"},
            {"study": "Mixed 2024", "k": 5, "n": 9, "overlap_group": "3", "sle_only": "N"},
        ]
    )
    pilot = _cohorts([{"study": P.PILOT, "k": 1, "n": 5, "overlap_group": "PILOT"}]).with_columns(
        pl.lit(0, dtype=pl.Int64).alias("not_evaluable")
    )
    d = P.forest_frame(P.comparison_rows(pilot, c))
    pooled = d.filter(pl.col("kind") == "pooled").row(0, named=True)
    first, second = pooled["label"].replace("\u200b", "").split("\n")
    assert first.startswith("Pooled ") and first.endswith(", no overlap")
    assert second == "Yyy 2022 + Zzz 2025  3/5"
    assert pooled["shape"] == P.POOLED_SHAPE[0] and P.POOLED_SHAPE[1] == "D"
    fills = {k: v[1] for k, v in P.ROW_STYLES.items()}
    open_rows = d.filter(pl.col("marker").replace_strict(fills) == "#FFFFFF")
    assert open_rows["study"].to_list() == ["Mixed 2024"]


def _tox(days: list[int | None], ae: list[tuple[str, str, int, int]]) -> tuple:
    ids = [str(i + 1) for i in range(len(days))]
    adsl = pl.DataFrame(
        {"USUBJID": ids, "SAFFL": ["Y"] * len(ids), "LSTALVDY": days},
        schema={"USUBJID": pl.String, "SAFFL": pl.String, "LSTALVDY": pl.Int64},
    )
    adae = pl.DataFrame(
        ae,
        schema={"USUBJID": pl.String, "AECAT": pl.String, "ATOXGR": pl.Int64, "ASTDY": pl.Int64},
        orient="row",
    )
    return adsl, adae


def test_a_patient_at_day_10_without_crs_is_not_yet_evaluable_not_a_zero() -> None:
    # 1: day 10, no event; 2: day 10, grade 3 CRS on day 5; 3: day 28, no event; 4: day 27
    adsl, adae = _tox([10, 10, 28, 27], [("2", "CRS", 3, 5)])
    mon = P.toxicity_status(adsl, adae, purpose="monitoring")
    st = mon.filter(pl.col("endpoint") == "CRS_ANY")
    assert st["status"].to_list() == ["not yet evaluable", "event", "no event", "not yet evaluable"]
    g3 = mon.filter(pl.col("endpoint") == "CRS_ICANS_G3")
    assert g3["status"].to_list()[1] == "event"
    # the rate: only patient 3 was followed through day 28; patient 2's early CRS waits too
    rate = P.toxicity_status(adsl, adae, purpose="rate").filter(pl.col("endpoint") == "CRS_ANY")
    assert rate["status"].to_list() == [
        "not yet evaluable",
        "not yet evaluable",
        "no event",
        "not yet evaluable",
    ]
    crs = P.pilot_results(adsl, adae, _adrs([])).filter(pl.col("endpoint") == "CRS_ANY")
    assert crs.select("k", "n", "not_evaluable").row(0) == (0, 1, 3)
    shown = P.display_table(P.comparison_rows(P.pilot_results(adsl, adae, _adrs([])), _cohorts([])))
    assert shown["Patients, k/n"][2] == "0/1 (3 not yet evaluable)"
    # nobody followed through the window and no ICANS: not yet evaluable, not 0 of 2
    early, ae = _tox([10, 12], [("2", "CRS", 3, 5)])
    rows = P.comparison_rows(P.pilot_results(early, ae, _adrs([])), _cohorts([]))
    assert P.display_table(rows)["Patients, k/n"][4] == "not yet evaluable (2 patients)"
    # the window is a SAP option
    short = ReportingOptions(crs_icans_window_day=10)
    crs10 = P.pilot_results(adsl, adae, _adrs([]), options=short)
    assert crs10.filter(pl.col("endpoint") == "CRS_ANY").select("k", "n").row(0) == (1, 4)


def test_a_short_follow_up_never_makes_the_crs_rate_100_percent() -> None:
    """Cut at day 14 for all five: two had CRS (days 3, 5). The rate must not be 2/2 = 100 %
    (only patients with the event evaluable): nobody was followed through day 28, so the rate
    is not yet evaluable; the stopping rule still counts the grade 3 event at once."""
    adsl, adae = _tox([14] * 5, [("1", "CRS", 1, 3), ("2", "CRS", 3, 5)])
    crs = P.pilot_results(adsl, adae, _adrs([])).filter(pl.col("endpoint") == "CRS_ANY")
    assert crs.select("k", "n", "not_evaluable").row(0) == (0, 0, 5)
    rows = P.comparison_rows(P.pilot_results(adsl, adae, _adrs([])), _cohorts([]))
    assert P.display_table(rows)["Patients, k/n"][2] == "not yet evaluable (5 patients)"
    seq = P.monitoring_sequence(adsl, adae)
    assert seq["status"].to_list()[:2] == ["not yet evaluable", "event"]
    assert seq["events"].to_list()[1] == 1 and seq["evaluable"].to_list()[1] == 1
    # three followed to day 28 (one with CRS), two at day 14 (one with CRS): 1/3, not 2/4
    adsl2, adae2 = _tox([28, 40, 90, 14, 14], [("1", "CRS", 2, 4), ("4", "CRS", 1, 3)])
    crs2 = P.pilot_results(adsl2, adae2, _adrs([])).filter(pl.col("endpoint") == "CRS_ANY")
    assert crs2.select("k", "n", "not_evaluable").row(0) == (1, 3, 2)
    with pytest.raises(ValueError, match="purpose"):
        P.toxicity_status(adsl, adae, purpose="other")


def test_the_monitoring_rule_skips_patients_not_yet_evaluable() -> None:
    # in subject-number order: 1 evaluable without event, 2 not yet evaluable, 3 grade 3 ICANS
    adsl, adae = _tox([100, 5, 100], [("3", "ICANS", 3, 4)])
    seq = P.monitoring_sequence(adsl, adae)
    assert seq["rule"].to_list() == ["continue", "not yet evaluable", "stop"]
    assert seq["evaluable"].to_list() == [1, 1, 2] and seq["events"].to_list() == [0, 0, 1]
    # 1 event in 2 evaluable: Beta(1.5, 1.5) under Jeffreys, P(rate > 0.2) = 0.858 > 0.80
    assert seq["p_above"][2] == pytest.approx(
        S.beta_posterior(1, 2, threshold=0.2)["p_above"], abs=1e-12
    )
    assert seq["p_above"][2] == pytest.approx(0.858, abs=0.001)


def test_one_event_in_the_first_two_patients_stops_the_study() -> None:
    from sle_car.sap import MONITORING

    b = S.stopping_boundaries(MONITORING.n_max, **MONITORING.rule())
    assert b["stop_if_events_at_least"].to_list() == [1, 1, 2, 2, 2]


def test_an_unstated_grading_scale_compares_any_grade_but_not_grade_2() -> None:
    c = _cohorts(
        [
            {"study": "A", "k": 1, "n": 4, "overlap_group": "A", "same_as_pilot": "U"},
            {
                "study": "A",
                "k": 0,
                "n": 4,
                "overlap_group": "A",
                "same_as_pilot": "U",
                "endpoint": "CRS_G2",
            },
            {
                "study": "R",
                "k": 50,
                "n": 100,
                "overlap_group": "REVIEW",
                "same_as_pilot": "N",
                "product_type": "various (systematic review)",
            },
        ]
    )
    pilot = _cohorts([{"study": P.PILOT, "k": 1, "n": 5, "overlap_group": "PILOT"}]).with_columns(
        pl.lit("pilot").alias("kind")
    )
    shown = c.with_columns(pl.lit("published").alias("kind"))
    f = P.forest_frame(pl.concat([pilot, shown]).with_columns(pl.lit(0.5).alias("rate")))
    assert f.select("study", "endpoint").rows() == [(P.PILOT, "CRS_ANY"), ("A", "CRS_ANY")]
    assert P.display_table(
        P.comparison_rows(
            pilot.drop("kind").with_columns(pl.lit(0, dtype=pl.Int64).alias("not_evaluable")), c
        )
    )["Same definition and time point as the pilot"].to_list() == [
        "yes",
        "grading scale not stated in the source",
        "no (context only)",
        "grading scale not stated in the source",
    ]


def test_pools_stay_within_one_named_product() -> None:
    c = _cohorts(
        [
            {"study": "A", "k": 3, "n": 5, "overlap_group": "A", "product": "MB-CART19.1"},
            {"study": "B", "k": 2, "n": 2, "overlap_group": "B", "product": "KYV-101"},
            {"study": "C", "k": 7, "n": 8, "overlap_group": "C", "product": "relma-cel"},
            {"study": "D", "k": 1, "n": 4, "overlap_group": "D", "product": "relma-cel"},
        ]
    )
    pooled = P.pooled_without_overlap(c, "CRS_ANY")
    assert pooled.select("product", "k", "n", "studies").rows() == [("relma-cel", 8, 12, "C, D")]


def test_a_patient_who_died_of_crs_before_day_28_counts_in_the_rate() -> None:
    """1: grade 4 CRS on day 3, died on day 10 (follow-up closed: it can never reach day 28):
    an event in the rate, not "not yet evaluable"; 2: left on day 12 without CRS: not
    evaluable; 3: ongoing at day 12 with CRS: not yet evaluable (the cut came first);
    4: followed to day 40 without CRS. CRS any grade: 1/2."""
    adsl, adae = _tox([10, 12, 12, 40], [("1", "CRS", 4, 3), ("3", "CRS", 1, 5)])
    adsl = adsl.with_columns(
        pl.Series("EOSSTT", ["DISCONTINUED", "DISCONTINUED", "ONGOING", "ONGOING"]),
        pl.Series("DTHFL", ["Y", "N", "N", "N"]),
    )
    st = P.toxicity_status(adsl, adae).filter(pl.col("endpoint") == "CRS_ANY")
    assert st["status"].to_list() == ["event", "not yet evaluable", "not yet evaluable", "no event"]
    # without EOSSTT/DTHFL (not collected) the death is not known: not yet evaluable
    bare = P.toxicity_status(adsl.drop("EOSSTT", "DTHFL"), adae)
    assert bare.filter(pl.col("endpoint") == "CRS_ANY")["status"][0] == "not yet evaluable"
