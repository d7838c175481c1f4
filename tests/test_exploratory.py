"""Issue 18: the exploratory analysis runs forward in time (sle_car.exploratory)."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car import exploratory as E
from sle_car.sap import ReportingOptions


def _adsl(last_day: dict[str, int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "USUBJID": list(last_day),
            "SAFFL": ["Y"] * len(last_day),
            "LSTALVDY": list(last_day.values()),
            "SLEDAIBL": [10.0] * len(last_day),
            "DISDURY": [4.7] * len(last_day),
            "NPRIORTX": [3] * len(last_day),
        }
    )


def _ttdoris(rows: list[tuple[str, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"USUBJID": s, "PARAMCD": "TTDORIS", "ADY": d, "CNSR": c} for s, d, c in rows]
    )


def test_month_6_window_is_the_derivation_window_of_week_24() -> None:
    assert E.window_bounds("WEEK 24") == (154, 181)
    with pytest.raises(ValueError, match="not an analysis visit"):
        E.window_bounds("MONTH 6")


def test_an_outcome_on_or_before_the_landmark_is_excluded() -> None:
    adsl = _adsl({"A": 700, "B": 700, "C": 700, "D": 700, "E": 100, "F": 20, "G": 700, "H": 700})
    adtte = _ttdoris(
        [
            ("A", 20, 0),  # remission before the landmark: excluded
            ("B", 28, 0),  # on the landmark day: excluded (<=)
            ("C", 29, 0),  # the day after: included, reached
            ("D", 200, 1),  # no remission, assessed beyond month 6: evaluable, tied last
            ("E", 100, 1),  # no remission, assessments end before the month-6 window
            ("F", 15, 1),  # left before the landmark
            ("G", 190, 0),  # remission after month 6: not reached by month 6
        ]
    )
    out = {r["USUBJID"]: r for r in E.landmark_outcome(adsl, adtte).iter_rows(named=True)}
    assert [s for s, r in out.items() if r["included"]] == ["C", "D", "G"]
    assert (
        out["A"]["reason"]
        == out["B"]["reason"]
        == ("first DORIS remission on or before day 28 (the landmark)")
    )
    assert out["E"]["reason"] == "assessed only until day 100 without remission, before month 6"
    assert out["F"]["reason"] == "followed only to day 20, before day 28 (the landmark)"
    assert out["H"]["reason"] == "no DORIS assessment"
    assert (out["C"]["REACHED"], out["C"]["OUTCOME"]) == (True, 29.0)
    assert (out["D"]["REACHED"], out["D"]["OUTCOME"]) == (False, 182.0)
    assert (out["G"]["REACHED"], out["G"]["OUTCOME"]) == (False, 182.0)
    assert out["A"]["OUTCOME"] is None
    later = E.landmark_outcome(adsl, adtte, options=ReportingOptions(landmark_day=14))
    assert later.filter(pl.col("USUBJID") == "A")["included"].item() is True


def test_baseline_predictors_keep_a_patient_whose_remission_came_before_the_landmark() -> None:
    adsl = _adsl({"A": 700, "B": 15, "C": 20, "D": 700})
    adtte = _ttdoris(
        [
            ("A", 27, 0),  # first remission on day 27, before the landmark
            ("B", 15, 1),  # left on day 15 without a remission: outcome unknown
            ("C", 10, 0),  # remission on day 10, then left on day 20
            ("D", 90, 0),
        ]
    )
    sets = E.outcome_sets(adsl, adtte)
    base = {r["USUBJID"]: r for r in sets.filter(pl.col("set") == "baseline").iter_rows(named=True)}
    land = {r["USUBJID"]: r for r in sets.filter(pl.col("set") == "landmark").iter_rows(named=True)}
    # baseline set: time from day 0, every patient with a known outcome
    assert (base["A"]["included"], base["A"]["OUTCOME"]) == (True, 27.0)
    assert (base["C"]["included"], base["C"]["OUTCOME"]) == (True, 10.0)
    assert base["B"]["included"] is False
    assert base["B"]["reason"] == "assessed only until day 15 without remission, before month 6"
    # landmark set: the same patients out, each with the first reason that applies
    assert land["A"]["reason"] == "first DORIS remission on or before day 28 (the landmark)"
    assert land["B"]["reason"] == "followed only to day 15, before day 28 (the landmark)"
    assert land["C"]["reason"] == "followed only to day 20, before day 28 (the landmark)"
    assert [s for s, r in land.items() if r["included"]] == ["D"]


def test_each_predictor_uses_its_own_analysis_set_with_reasons() -> None:
    adsl = _adsl({"SLECAR01-01-001": 700, "SLECAR01-01-002": 700, "SLECAR01-01-003": 700})
    adtte = _ttdoris(
        [("SLECAR01-01-001", 27, 0), ("SLECAR01-01-002", 81, 0), ("SLECAR01-01-003", 200, 1)]
    )
    adlb = pl.DataFrame(
        {
            "USUBJID": ["SLECAR01-01-001", "SLECAR01-01-002"],
            "PARAMCD": ["CARTCE", "CARTCE"],
            "ADY": [10, 10],
            "AVAL": [50.0, 20.0],
            "ABLFL": [None, None],
        },
        schema_overrides={"ABLFL": pl.String},
    )
    frame = E.patient_frame(adsl, adlb, adtte)
    sled = frame.filter(pl.col("code") == "SLEDAIBL")
    assert sled["included"].to_list() == [True, True, True]  # 001 kept for a baseline predictor
    assert sled["OUTCOME"].to_list() == [27.0, 81.0, 182.0]
    car = {
        r["USUBJID"][-3:]: r for r in frame.filter(pl.col("code") == "CARTPK").iter_rows(named=True)
    }
    assert car["001"]["reason"] == "first DORIS remission on or before day 28 (the landmark)"
    assert car["001"]["value"] == 50.0 and car["001"]["OUTCOME"] is None
    assert car["003"]["reason"] == "no measurement on days 0-28"
    assert car["002"]["included"] is True
    t = {r["code"]: r for r in E.association_table(frame).iter_rows(named=True)}
    assert (t["SLEDAIBL"]["n"], t["SLEDAIBL"]["n_excluded"]) == (3, 0)
    assert t["SLEDAIBL"]["set"] == "Baseline: all infused patients, time from day 0"
    assert (t["CARTPK"]["n"], t["CARTPK"]["n_excluded"]) == (1, 2)
    assert t["CARTPK"]["set"] == "Early measures (days 0-28): landmark day 28"
    assert t["CARTPK"]["excluded"] == (
        "first DORIS remission on or before day 28 (the landmark): 001; "
        "no measurement on days 0-28: 003"
    )
    counted = E.association_table(frame, list_patients=False).filter(pl.col("code") == "CARTPK")
    assert (
        counted["excluded"].item().endswith("(the landmark) (1); no measurement on days 0-28 (1)")
    )


def test_early_measures_are_taken_only_up_to_the_landmark() -> None:
    adsl = _adsl({"A": 700})
    lab = [
        ("CARTCE", 7, 5.0),
        ("CARTCE", 10, 40.0),
        ("CARTCE", 14, 40.0),  # tie: the first day of the peak counts
        ("CARTCE", 35, 90.0),  # after the landmark: not a predictor
        ("BLYCE", -7, 120.0),
        ("BLYCE", 21, 0.2),
        ("BLYCE", 28, 0.4),  # the last count on or before day 28
        ("BLYCE", 56, 30.0),
        ("DDNAIGAB", -7, 250.0),
        ("C3", -7, 0.6),
    ]
    adlb = pl.DataFrame(
        [
            {"USUBJID": "A", "PARAMCD": p, "ADY": d, "AVAL": v, "ABLFL": "Y" if d < 0 else None}
            for p, d, v in lab
        ]
    )
    got = dict(E.predictors(adsl, adlb).select("code", "value").iter_rows())
    assert got == {
        "SLEDAIBL": 10.0,
        "DSDNABL": 250.0,
        "C3BL": 0.6,
        "DISDURY": 5.0,  # whole years, half up (4.7 -> 5), as the public per-patient table
        "NPRIORTX": 3.0,
        "CARTPK": 40.0,
        "CARTPKDY": 10.0,
        "BCELLLM": 0.4,
    }


def test_exact_spearman_at_n_5_and_no_test_where_undefined() -> None:
    frame = pl.DataFrame(
        {
            "USUBJID": list("ABCDE") * 2 + ["A", "B"],
            "code": ["CARTPK"] * 5 + ["C3BL"] * 5 + ["SLEDAIBL"] * 2,
            "value": [1.0, 2, 3, 4, 5] + [0.7] * 5 + [1.0, 2.0],
            "OUTCOME": [150.0, 120, 90, 60, 30] * 2 + [40.0, 50.0],
        }
    )
    t = {r["code"]: r for r in E.association_table(frame).iter_rows(named=True)}
    car = t["CARTPK"]
    assert car["rho"] == pytest.approx(-1.0)
    assert car["p"] == pytest.approx(2 / 120) and car["min_p"] == pytest.approx(2 / 120)
    assert car["method"].startswith("exact permutation")
    assert t["C3BL"]["rho"] is None  # constant predictor: rho undefined
    assert t["SLEDAIBL"]["n"] == 2 and t["SLEDAIBL"]["p"] is None  # fewer than 3 patients
    assert t["SLEDAIBL"]["method"] == "not tested (fewer than 3 patients)"
    assert "BCAPLDUR" not in E.PREDICTORS and set(t) <= set(E.PREDICTORS)


@pytest.mark.slow
def test_on_1000_simulated_patients_the_forward_method_finds_the_built_in_association() -> None:
    from sle_car.derive.build import load_simulated

    sim, truth = load_simulated(1000, 2026)
    frame = E.patient_frame(sim["adsl"], sim["adlb"], sim["adtte"])
    t = {
        r["code"]: r for r in E.association_table(frame, list_patients=False).iter_rows(named=True)
    }
    # the simulator's latent response strength raises the CAR-T peak and speeds remission
    assert t["CARTPK"]["rho"] < -0.2 and t["CARTPK"]["p"] < 1e-6
    assert t["CARTPK"]["method"].startswith("approximate")
    # baseline serology and activity are drawn independently of it
    for code in ("DSDNABL", "C3BL", "SLEDAIBL"):
        assert abs(t[code]["rho"]) < 0.1, code
    # both designs: the baseline set does not depend on the landmark; a landmark applied to a
    # day-0 predictor (here the simulator's true response strength) drops the fastest
    # responders and weakens the association it should find
    check = E.design_check(sim["adsl"], sim["adtte"], truth, [28, 84])
    rows = {(r["landmark"], r["set"].split(":")[0]): r for r in check.iter_rows(named=True)}
    base28, base84 = rows[(28, "Baseline")], rows[(84, "Baseline")]
    late = rows[(84, "Early measures (days 0-84)")]
    assert base28["n"] == base84["n"] > late["n"] + 300
    assert base84["rho"] < -0.3 and late["rho"] > base84["rho"] + 0.1


def test_the_shown_table_has_clinical_labels_and_p_to_three_decimals() -> None:
    assoc = pl.DataFrame(
        {
            "code": ["A", "B", "C"],
            "predictor": ["SLEDAI-2K at baseline (points)"] * 3,
            "set": ["Baseline: all infused patients, time from day 0"] * 3,
            "n": [5, 5, 990],
            "n_excluded": [0, 1, 10],
            "excluded": [
                None,
                "first DORIS remission on or before day 28 (the landmark): 001",
                "x",
            ],
            "rho": [0.1, 0.2, 0.3],
            "p": [1.0, 0.95, 1e-9],
            "min_p": [2 / 120, 2 / 120, None],
            "method": ["exact"] * 3,
        }
    )
    shown = E.display_association(assoc)
    assert shown["p, two-sided"].to_list() == ["1.000", "0.950", "< 0.001"]
    assert shown["Excluded: reason"][0] == "none"
    assert not {"code", "rho", "p", "n"} & set(shown.columns)


def test_nothing_to_draw_when_no_patient_has_a_value_and_a_known_outcome() -> None:
    """A cut where DORIS is never evaluable (no medication data): every patient is excluded
    with no observed remission day, so the figure has no point and the notebook says so
    instead of failing inside plotnine."""
    frame = pl.DataFrame(
        {
            "USUBJID": ["S-001", "S-002"],
            "code": ["SLEDAI", "SLEDAI"],
            "value": [12.0, 16.0],
            "included": [False, False],
            "DORISDY": [None, None],
        },
        schema_overrides={"DORISDY": pl.Int64},
    )
    assert not E.has_points(frame)
    assert E.has_points(frame.with_columns(pl.Series("DORISDY", [27, None])))
    assert E.has_points(frame.with_columns(pl.lit(True).alias("included")))
    assert not E.has_points(frame.with_columns(pl.lit(None, pl.Float64).alias("value")))


def test_log_panels_are_labelled_in_natural_units() -> None:
    """A log panel (anti-dsDNA 100-750 IU/mL) gets 1-2-5 breaks labelled "100", "200", "500",
    never their log10 (2.00, 2.25, ...); a linear panel keeps its own numbers."""
    import math

    from sle_car.exploratory import LOG_OFFSET, log_panel_breaks, log_panel_labels

    lim = (math.log10(100) + LOG_OFFSET, math.log10(750) + LOG_OFFSET)
    assert log_panel_labels(log_panel_breaks(lim)) == ["100", "200", "500"]
    assert log_panel_labels(log_panel_breaks((0.5, 0.85)))[:4] == ["0.5", "0.6", "0.7", "0.8"]
