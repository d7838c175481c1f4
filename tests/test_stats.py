"""Small-sample statistics against reference values (scipy, statsmodels, closed forms)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps

from sle_car import stats as S


def test_clopper_pearson_closed_forms() -> None:
    lo, hi = S.clopper_pearson(5, 5)  # all responders: lower = (alpha/2)^(1/n), upper = 1
    assert lo == pytest.approx(0.025 ** (1 / 5), abs=1e-9) and hi == 1.0
    lo, hi = S.clopper_pearson(0, 5)
    assert lo == 0.0 and hi == pytest.approx(1 - 0.025 ** (1 / 5), abs=1e-9)
    lo, hi = S.clopper_pearson(3, 5)  # beta quantiles
    assert lo == pytest.approx(sps.beta.ppf(0.025, 3, 3), abs=1e-9)
    assert hi == pytest.approx(sps.beta.ppf(0.975, 4, 2), abs=1e-9)


def test_wilson_closed_form() -> None:
    k, n, z = 3, 5, sps.norm.ppf(0.975)
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    assert S.wilson(k, n) == pytest.approx((centre - half, centre + half), abs=1e-9)


def test_beta_posterior_jeffreys() -> None:
    post = S.beta_posterior(0, 5, threshold=0.2)
    assert (post["a"], post["b"]) == (0.5, 5.5)
    assert post["mean"] == pytest.approx(0.5 / 6)
    assert post["p_above"] == pytest.approx(sps.beta.sf(0.2, 0.5, 5.5))
    assert post["lower"] < post["mean"] < post["upper"]


def test_rate_table_counts_only_assessed_patients() -> None:
    df = pl.DataFrame({"v": ["W4"] * 5, "y": [True, True, False, None, True]})
    r = S.rate_table(df, by="v", flag="y").row(0, named=True)
    assert (r["k"], r["n"]) == (3, 4)


def test_km_median_not_reached_is_not_estimable() -> None:
    out = S.km_median(np.array([10, 20, 30, 40]), np.array([1, 0, 0, 0]))
    assert not math.isfinite(out["median"]) and out["text"].startswith("NE")


def test_spearman_exact_small_sample() -> None:
    rho, p = S.spearman_exact([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])
    assert rho == pytest.approx(-1.0) and p == pytest.approx(2 / 120)


def test_fisher_exact_matches_scipy() -> None:
    assert S.fisher_exact(5, 5, 0, 5) == pytest.approx(sps.fisher_exact([[5, 0], [0, 5]]).pvalue)


def test_stopping_boundaries_follow_the_posterior() -> None:
    b = S.stopping_boundaries(5, threshold=0.2, prob_cutoff=0.8)
    for n, k in b.iter_rows():
        assert S.beta_posterior(k, n, threshold=0.2)["p_above"] > 0.8
        if k > 0:
            assert S.beta_posterior(k - 1, n, threshold=0.2)["p_above"] <= 0.8


def test_operating_characteristics_exact_vs_simulation_and_limits() -> None:
    rates = [0.0, 0.05, 0.3, 1.0]
    exact = S.operating_characteristics(rates, 5)
    sim = S.simulate_operating_characteristics(rates, 5, n_sim=200_000)
    assert exact["p_stop"].to_list()[0] == 0.0 and exact["p_stop"].to_list()[-1] == pytest.approx(
        1.0
    )
    assert np.allclose(exact["p_stop"].to_numpy(), sim["p_stop"].to_numpy(), atol=0.005)
    assert exact["expected_patients"][0] == pytest.approx(5.0)
    assert exact["p_stop"].is_sorted()


def test_published_cohorts_have_provenance_and_no_double_counting() -> None:
    c = S.published_cohorts()
    assert c["provenance"].null_count() == 0 and set(c["provenance"]) <= {"T", "C", "S", "D"}
    # Müller 2024 includes the Mackensen 2022 patients (same product) and mixes diseases, the
    # review pools products, and KYV-101 and relma-cel are other products: no CRS pool at all
    assert S.pooled_without_overlap(c, "CRS_ANY").height == 0
    # were Müller SLE-only, it would replace Mackensen (same patients), never add to it
    sle = c.with_columns(pl.lit("Y").alias("sle_only"))
    pooled = S.pooled_without_overlap(sle, "CRS_ANY")
    assert pooled.height == 0  # one report per overlap group: still one study for MB-CART19.1


# --- Kaplan-Meier as R survival computes it (issue 16) ----------------------------------------------
def test_km_1_log_log_band_is_the_kalbfleisch_prentice_closed_form() -> None:
    fit = S.km_fit(np.array([1, 2, 3]), np.array([1, 1, 1]))
    s, se, z = 2 / 3, math.sqrt(1 / (3 * 2)), sps.norm.ppf(0.975)
    row = fit.row(0, named=True)
    assert row["std_err"] == pytest.approx(se)  # R survfit$std.err (cumulative hazard)
    assert row["lower"] == pytest.approx(s ** math.exp(-z * se / math.log(s)))
    assert row["upper"] == pytest.approx(s ** math.exp(z * se / math.log(s)))


def test_km_2_band_is_undefined_where_survival_reaches_zero() -> None:
    """lifelines collapses it to [0, 0]; R leaves it NA, in every conf.type."""
    for conf_type in ("log-log", "log", "plain"):
        fit = S.km_fit(np.array([1, 2, 3]), np.array([1, 1, 1]), conf_type=conf_type)
        last = fit.row(-1, named=True)
        assert last["surv"] == 0.0 and last["lower"] is None and last["upper"] is None


def test_km_3_band_agrees_with_lifelines_where_survival_is_positive() -> None:
    from lifelines import KaplanMeierFitter

    d = np.array([5, 8, 8, 12, 15, 21, 30, 30, 41, 50])
    e = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1])
    fit = S.km_fit(d, e).filter((pl.col("surv") > 0) & (pl.col("surv") < 1))
    km = KaplanMeierFitter().fit(d, e)
    ci = km.confidence_interval_.loc[fit["time"].to_numpy()]
    assert np.allclose(fit["lower"].to_numpy(), ci.iloc[:, 0].to_numpy())
    assert np.allclose(fit["upper"].to_numpy(), ci.iloc[:, 1].to_numpy())


@pytest.mark.parametrize(
    ("durations", "events", "expected"),
    [
        # the pilot's time to DORIS remission (days since infusion): R 83 (27-NA)
        ([27, 139, 81, 116, 83], [1, 1, 1, 1, 1], (83.0, 27.0, math.nan)),
        # all events, even n: S = 0.5 exactly from 20 to 30 -> the midpoint (R: 25)
        ([10, 20, 30, 40], [1, 1, 1, 1], (25.0, 10.0, math.nan)),
        # plateau at 0.5 to the end of follow-up: midpoint with the last time (R: 30)
        ([10, 20, 30, 40], [1, 1, 0, 0], (30.0, 10.0, math.nan)),
        # ties: two events and a censoring at 50 leave S = 0.5 until 60 (R: 55)
        ([50, 50, 50, 60], [1, 1, 0, 1], (55.0, 50.0, math.nan)),
        # n = 1: the median is the event time, its interval undefined (R: 15, NA, NA)
        ([15], [1], (15.0, math.nan, math.nan)),
        # never reached
        ([10, 20, 30, 40], [1, 0, 0, 0], (math.nan, 10.0, math.nan)),
    ],
)
def test_km_4_median_and_interval_follow_print_survfit(
    durations: list[int], events: list[int], expected: tuple[float, float, float]
) -> None:
    m = S.km_median(np.array(durations), np.array(events))
    got = (m["median"], m["lower"], m["upper"])
    assert np.allclose(got, expected, equal_nan=True), got


def test_km_5_median_text_and_method_name_the_band() -> None:
    m = S.km_median(np.array([27, 139, 81, 116, 83]), np.ones(5))
    assert m["text"] == "83 (27–NE)"
    assert "log-log" in m["method"] and "R survival" in m["method"]


def test_km_6_figure_table_starts_at_one_and_leaves_undefined_band_null() -> None:
    from sle_car.figures import km_table

    tab = km_table(np.array([28, 84]), np.array([True, True]))
    assert tab["time"].to_list() == [0.0, 28.0, 84.0]
    assert tab["surv"].to_list() == [1.0, 0.5, 0.0]
    assert tab["lower"][2] is None and tab["upper"][2] is None


def test_rate_table_states_how_many_were_not_evaluable_and_why() -> None:
    df = pl.DataFrame(
        {
            "v": ["W4"] * 5,
            "y": [True, None, False, None, None],
            "why": [None, "BILAG-2004 grades missing", None, "PGA missing", "PGA missing"],
        }
    )
    r = S.rate_table(df, by="v", flag="y", reason="why").row(0, named=True)
    assert (r["k"], r["n"], r["not_evaluable"]) == (1, 2, 3)
    assert r["reasons"] == "PGA missing (2); BILAG-2004 grades missing (1)"


def test_spearman_p_value_method_is_labelled() -> None:
    assert S.spearman_p_method(5).startswith("exact permutation p-value (all 120 orderings)")
    assert "approximate" in S.spearman_p_method(9)
