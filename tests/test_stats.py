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
    assert c["provenance"].null_count() == 0 and set(c["provenance"]) <= {"T", "T+S", "C", "S"}
    pooled = S.pooled_without_overlap(c, "doris_k", "doris_n")
    # Müller 2024 includes the Mackensen 2022 patients: only the larger Erlangen report counts
    assert "Mackensen 2022" not in pooled["studies"] and "Müller 2024" in pooled["studies"]
    assert "Systematic review" not in pooled["studies"]
    assert (pooled["k"], pooled["n"]) == (20, 23)
