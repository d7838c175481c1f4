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
    assert out["F"]["reason"] == "left the study before day 28"
    assert out["H"]["reason"] == "no DORIS assessment"
    assert (out["C"]["REACHED"], out["C"]["OUTCOME"]) == (True, 29.0)
    assert (out["D"]["REACHED"], out["D"]["OUTCOME"]) == (False, 182.0)
    assert (out["G"]["REACHED"], out["G"]["OUTCOME"]) == (False, 182.0)
    assert out["A"]["OUTCOME"] is None
    later = E.landmark_outcome(adsl, adtte, options=ReportingOptions(landmark_day=14))
    assert later.filter(pl.col("USUBJID") == "A")["included"].item() is True


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
        "DISDURY": 4.0,  # whole years
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
    assert "BCAPLDUR" not in E.PREDICTORS and set(t) <= set(E.PREDICTORS)


@pytest.mark.slow
def test_on_1000_simulated_patients_the_forward_method_finds_the_built_in_association() -> None:
    from sle_car.derive.build import load_simulated

    sim, _ = load_simulated(1000, 2026)
    frame = E.analysis_frame(sim["adsl"], sim["adlb"], sim["adtte"])
    t = {r["code"]: r for r in E.association_table(frame).iter_rows(named=True)}
    # the simulator's latent response strength raises the CAR-T peak and speeds remission
    assert t["CARTPK"]["rho"] < -0.2 and t["CARTPK"]["p"] < 1e-6
    assert t["CARTPK"]["method"].startswith("approximate")
    # baseline serology and activity are drawn independently of it
    for code in ("DSDNABL", "C3BL", "SLEDAIBL"):
        assert abs(t[code]["rho"]) < 0.1, code
