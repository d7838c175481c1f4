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
        "Pooled autologous CD19, no overlap",
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
    adsl = pl.DataFrame({"USUBJID": ["1", "2", "3", "4"], "SAFFL": ["Y", "Y", "Y", "N"]})
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
    adsl = pl.DataFrame({"USUBJID": ["1", "2"], "SAFFL": ["Y", "Y"]})
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
    crs = P.pooled_without_overlap(c, "CRS_ANY").row(0, named=True)
    # Mackensen 3/5 + KYSA-1 2/2 + relma-cel 7/8; Müller (mixed diseases) and the review are out
    assert crs["product_type"] == "autologous CD19" and (crs["k"], crs["n"]) == (12, 15)
    assert P.pooled_without_overlap(c, "CRS_ANY").height == 1  # CD19 + BCMA: one study only
    assert P.pooled_without_overlap(c, "DORIS_M3").height == 0  # only Mackensen on that definition
    # the old name stays importable
    assert S.pooled_without_overlap(c, "ICANS_ANY")["n"].to_list() == [15]


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
    adsl = pl.DataFrame({"USUBJID": ["1"], "SAFFL": ["Y"]})
    adae = pl.DataFrame(schema={"USUBJID": pl.String, "AECAT": pl.String, "ATOXGR": pl.Int64})
    shown = P.display_table(P.comparison_rows(P.pilot_results(adsl, adae, _adrs([])), c))
    assert shown["Checked against the primary source"][0] == "this study"


def test_the_forest_plot_uses_no_patient_colour() -> None:
    from sle_car.figures import PALETTE

    patient_colours = {c.upper() for c in PALETTE if c.upper() != "#000000"}
    used = {c.upper() for style in P.ROW_STYLES.values() for c in style}
    assert used.isdisjoint(patient_colours)
    # greys and black only (r = g = b)
    assert all(c[1:3] == c[3:5] == c[5:7] for c in used)
    assert set(P.PRODUCT_SHAPES) == set(P.PRODUCT_TYPES)


def test_forest_pooled_row_names_its_studies_and_open_means_mixed_diseases_only() -> None:
    """The shipped CRS pool says which studies it adds (Mackensen 3/5 + KYSA-1 2/2 + relma-cel
    7/8 = 12/15) and is a solid diamond; the only open (white-filled) rows are mixed-disease
    numbers."""
    pilot = _cohorts([{"study": P.PILOT, "k": 1, "n": 5, "overlap_group": "PILOT"}]).with_columns(
        pl.lit(0, dtype=pl.Int64).alias("not_evaluable")
    )
    d = P.forest_frame(P.comparison_rows(pilot, P.published_cohorts()))
    pooled = d.filter((pl.col("kind") == "pooled") & (pl.col("endpoint") == "CRS_ANY")).row(
        0, named=True
    )
    first, second = pooled["label"].split("\n")
    assert first.startswith("Pooled autologous CD19") and second.count(" + ") == 2
    assert "Mackensen 2022" in pooled["label"] and "12/15" in pooled["label"]
    assert pooled["shape"] == P.POOLED_SHAPE[0] and P.POOLED_SHAPE[1] == "D"
    open_rows = d.filter(
        pl.col("marker").replace_strict({k: v[1] for k, v in P.ROW_STYLES.items()}) == "#FFFFFF"
    )
    assert set(open_rows["sle_only"]) == {"N"}
