"""Small-sample statistics used by the notebooks (issue 9 extends this module).

Uses scipy and statsmodels where they already do the work."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided 1 - ``alpha`` interval for ``k`` of ``n``
    (statsmodels ``proportion_confint(method="beta")``); (nan, nan) when n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    return float(lo), float(hi)


def rate_table(df: pl.DataFrame, *, by: str, flag: str, alpha: float = 0.05) -> pl.DataFrame:
    """Per level of ``by``: responders ``k`` (``flag`` true), assessed ``n``, proportion and
    exact Clopper-Pearson interval. Subjects not assessed are not in ``n`` (state the
    imputation rule beside the table)."""
    agg = df.group_by(by, maintain_order=True).agg(
        pl.col(flag).cast(pl.Int64).sum().alias("k"), pl.col(flag).is_not_null().sum().alias("n")
    )
    ci = [clopper_pearson(k, n, alpha) for k, n in agg.select("k", "n").iter_rows()]
    return agg.with_columns(
        (pl.col("k") / pl.col("n")).alias("rate"),
        pl.Series("ci_low", [c[0] for c in ci]),
        pl.Series("ci_high", [c[1] for c in ci]),
    )


def spearman_exact(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho and a two-sided p-value: exact over all n! orderings for n ≤ 8 (the
    pilot); for larger samples scipy's t-approximation, which is accurate there."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    res = sps.spearmanr(x, y)
    rho = float(res.statistic)
    n = len(x)
    if n > 8:
        return rho, float(res.pvalue)
    rx, ry = sps.rankdata(x), sps.rankdata(y)
    perms = np.array(list(itertools.permutations(ry)))
    rhos = np.array([np.corrcoef(rx, p)[0, 1] for p in perms])
    return rho, float(np.mean(np.abs(rhos) >= abs(rho) - 1e-12))


def fisher_z_interval(rho: float, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Approximate interval for a Spearman correlation (Fisher z with the Bonett-Wright
    variance 1.06 / (n - 3)); undefined for n ≤ 3."""
    if n <= 3 or abs(rho) >= 1:
        return (math.nan, math.nan)
    z = math.atanh(rho)
    se = math.sqrt(1.06 / (n - 3))
    q = sps.norm.ppf(1 - alpha / 2)
    return math.tanh(z - q * se), math.tanh(z + q * se)


def wilson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval (statsmodels ``proportion_confint(method="wilson")``)."""
    if n == 0:
        return (math.nan, math.nan)
    lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


PRIORS = {
    "jeffreys": (0.5, 0.5),
    "uniform": (1.0, 1.0),
}
"""Beta priors for rates. Jeffreys Beta(0.5, 0.5) is the default: weakly informative and
invariant; uniform Beta(1, 1) for sensitivity. An informative prior from published cohorts
(e.g. Beta(k + 0.5, n - k + 0.5) from ``published_cohorts.csv``) is a SAP decision."""


def beta_posterior(
    k: int,
    n: int,
    *,
    prior: tuple[float, float] = PRIORS["jeffreys"],
    threshold: float | None = None,
    level: float = 0.95,
) -> dict[str, float]:
    """Beta-binomial posterior of a rate after ``k`` events in ``n`` patients: mean, equal-tailed
    credible interval and, with ``threshold``, the posterior probability that the rate exceeds it."""
    a, b = prior[0] + k, prior[1] + n - k
    post = sps.beta(a, b)
    out = {
        "a": a,
        "b": b,
        "mean": a / (a + b),
        "lower": float(post.ppf((1 - level) / 2)),
        "upper": float(post.ppf(1 - (1 - level) / 2)),
    }
    if threshold is not None:
        out["p_above"] = float(post.sf(threshold))
    return out


def km_median(durations: np.ndarray, events: np.ndarray, alpha: float = 0.05) -> dict[str, object]:
    """Kaplan-Meier median with its interval (lifelines; exponential Greenwood pointwise bands,
    the median's interval read where the bands cross 0.5). A median that is never reached is
    reported as not estimable, never as the last follow-up time."""
    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    km = KaplanMeierFitter(alpha=alpha).fit(durations, events)
    med = float(km.median_survival_time_)
    ci = median_survival_times(km.confidence_interval_).iloc[0].to_numpy(dtype=float)

    def fmt(x: float) -> str:
        return "NE" if not np.isfinite(x) else f"{x:.0f}"

    return {
        "median": med,
        "lower": float(ci[0]),
        "upper": float(ci[1]),
        "text": f"{fmt(med)} ({fmt(ci[0])}–{fmt(ci[1])})",
        "method": "Kaplan-Meier; 95% CI from exponential Greenwood bands (lifelines); NE = not estimable",
    }


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact test of two proportions (scipy)."""
    return float(sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


# --- safety monitoring ---------------------------------------------------------------------------
def stopping_boundaries(
    n_max: int,
    *,
    threshold: float = 0.20,
    prob_cutoff: float = 0.80,
    prior: tuple[float, float] = PRIORS["jeffreys"],
) -> pl.DataFrame:
    """Bayesian toxicity rule evaluated after each patient: stop when the posterior probability
    that the rate of the toxicity (e.g. grade ≥ 3 CRS or ICANS) exceeds ``threshold`` is above
    ``prob_cutoff``. Returns, per number of patients evaluated, the smallest number of events
    that stops the study (null when no count can)."""
    rows = []
    for n in range(1, n_max + 1):
        stop_k = next(
            (
                k
                for k in range(n + 1)
                if beta_posterior(k, n, prior=prior, threshold=threshold)["p_above"] > prob_cutoff
            ),
            None,
        )
        rows.append({"patients": n, "stop_if_events_at_least": stop_k})
    return pl.DataFrame(rows, schema={"patients": pl.Int64, "stop_if_events_at_least": pl.Int64})


def operating_characteristics(true_rates: list[float], n_max: int, **rule: object) -> pl.DataFrame:
    """Exact operating characteristics of the sequential rule (dynamic programming over the
    number of events after each patient): probability of stopping early, and expected number
    of patients treated, for each true toxicity rate."""
    bounds = stopping_boundaries(n_max, **rule)["stop_if_events_at_least"].to_list()
    rows = []
    for p in true_rates:
        alive = np.zeros(n_max + 1)
        alive[0] = 1.0  # probability of continuing with k events so far
        p_stop, expected_n = 0.0, 0.0
        for n in range(1, n_max + 1):
            expected_n += alive.sum()  # the n-th patient is treated if the study is still open
            nxt = np.zeros(n_max + 1)
            nxt[1:] += alive[:-1] * p
            nxt += alive * (1 - p)
            b = bounds[n - 1]
            if b is not None:
                p_stop += nxt[b:].sum()
                nxt[b:] = 0.0
            alive = nxt
        rows.append({"true_rate": p, "p_stop": p_stop, "expected_patients": expected_n})
    return pl.DataFrame(rows)


def simulate_operating_characteristics(
    true_rates: list[float], n_max: int, *, n_sim: int = 100_000, seed: int = 1, **rule: object
) -> pl.DataFrame:
    """Monte-Carlo check of :func:`operating_characteristics` (vectorised over trials)."""
    bounds = stopping_boundaries(n_max, **rule)["stop_if_events_at_least"].to_list()
    rng = np.random.default_rng(seed)
    rows = []
    for p in true_rates:
        events = (rng.random((n_sim, n_max)) < p).cumsum(axis=1)
        limits = np.array([b if b is not None else n_max + 1 for b in bounds])
        stopped = (events >= limits).any(axis=1)
        rows.append({"true_rate": p, "p_stop": float(stopped.mean())})
    return pl.DataFrame(rows)


# --- published cohorts -----------------------------------------------------------------------------
def published_cohorts() -> pl.DataFrame:
    """The cited published CAR-T-in-SLE results shipped with the package
    (``sle_car/data/published_cohorts.csv``; provenance codes of ``published_cart_sle.md``)."""
    from importlib import resources

    raw = resources.files("sle_car.data").joinpath("published_cohorts.csv").read_bytes()
    return pl.read_csv(raw)


def pooled_without_overlap(cohorts: pl.DataFrame, k: str, n: str) -> dict[str, object]:
    """Pool events across published cohorts counting every patient once: within an overlap
    group (the same patients reported in several papers) only the largest report is used, and
    systematic reviews (group REVIEW) are never pooled with their own sources."""
    d = cohorts.filter(
        pl.col(k).is_not_null() & pl.col(n).is_not_null() & (pl.col("overlap_group") != "REVIEW")
    )
    used = d.sort(n, "study", descending=[True, False]).unique(
        subset="overlap_group", keep="first", maintain_order=True
    )
    kk, nn = int(used[k].sum()), int(used[n].sum())
    lo, hi = clopper_pearson(kk, nn)
    return {
        "k": kk,
        "n": nn,
        "rate": kk / nn if nn else math.nan,
        "ci_low": lo,
        "ci_high": hi,
        "studies": ", ".join(sorted(used["study"].to_list())),
    }
