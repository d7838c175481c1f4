"""Small-sample statistics used by the notebooks (issue 9 extends this module).

Uses scipy and statsmodels where they already do the work."""

from __future__ import annotations

import itertools
import math

import numpy as np
import polars as pl
from scipy import stats as sps
from statsmodels.stats.proportion import proportion_confint

from sle_car.sap import MONITORING


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) two-sided 1 - ``alpha`` interval for ``k`` of ``n``
    (statsmodels ``proportion_confint(method="beta")``); (nan, nan) when n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta")
    return float(lo), float(hi)


def rate_table(
    df: pl.DataFrame,
    *,
    by: str,
    flag: str,
    alpha: float = 0.05,
    reason: str | None = None,
) -> pl.DataFrame:
    """Per level of ``by``: responders ``k`` (``flag`` true), evaluable ``n`` (the
    denominator), ``not_evaluable`` (``flag`` null), proportion and exact Clopper-Pearson
    interval; with ``reason`` (e.g. ADRS ``NEREASON``) also ``reasons``: each reason with its
    count, "; "-separated, so a table can say how many were not evaluable and why."""
    aggs = [
        pl.col(flag).cast(pl.Int64).sum().alias("k"),
        pl.col(flag).is_not_null().sum().alias("n"),
        pl.col(flag).is_null().sum().alias("not_evaluable"),
    ]
    agg = df.group_by(by, maintain_order=True).agg(aggs)
    if reason is not None:
        why = (
            df.filter(pl.col(flag).is_null())
            .group_by(by, pl.col(reason).fill_null("reason not recorded").alias("_r"))
            .agg(pl.len().alias("_n"))
            .sort(by, "_n", "_r", descending=[False, True, False])
            .group_by(by, maintain_order=True)
            .agg(pl.format("{} ({})", "_r", "_n").str.join("; ").alias("reasons"))
        )
        agg = agg.join(why, on=by, how="left", maintain_order="left")
    ci = [clopper_pearson(k, n, alpha) for k, n in agg.select("k", "n").iter_rows()]
    return agg.with_columns(
        (pl.col("k") / pl.col("n")).alias("rate"),
        pl.Series("ci_low", [c[0] for c in ci]),
        pl.Series("ci_high", [c[1] for c in ci]),
    )


def spearman_exact(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rho and a two-sided p-value: exact over all n! orderings for n ≤ 8 (the
    pilot); for larger samples scipy's t-approximation (approximate: say so with
    :func:`spearman_p_method`)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    res = sps.spearmanr(x, y)
    rho = float(res.statistic)
    n = len(x)
    if n > SPEARMAN_EXACT_MAX_N:
        return rho, float(res.pvalue)
    rx, ry = sps.rankdata(x), sps.rankdata(y)
    perms = np.array(list(itertools.permutations(ry)))
    rhos = np.array([np.corrcoef(rx, p)[0, 1] for p in perms])
    return rho, float(np.mean(np.abs(rhos) >= abs(rho) - 1e-12))


SPEARMAN_EXACT_MAX_N = 8
"""Largest n for which :func:`spearman_exact` enumerates all n! orderings (8! = 40,320)."""


def spearman_p_method(n: int) -> str:
    """How :func:`spearman_exact` computes its p-value for ``n`` pairs, to print beside it:
    exact for n ≤ 8, otherwise clearly labelled approximate."""
    if n <= SPEARMAN_EXACT_MAX_N:
        return f"exact permutation p-value (all {math.factorial(n):,} orderings)"
    return "approximate p-value (t-distribution, scipy), not exact"


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


KM_CONF_TYPES = ("log-log", "log", "plain")


def km_fit(
    durations: np.ndarray,
    events: np.ndarray,
    *,
    conf_int: float = 0.95,
    conf_type: str = "log-log",
) -> pl.DataFrame:
    """Kaplan-Meier estimate as R ``survival::survfit`` computes it: one row per distinct
    time (events and censorings), ``n_risk``, ``n_event``, ``n_censor``, ``surv``,
    ``std_err`` (Greenwood standard error of the cumulative hazard: the ``std.err`` of R's
    survfit object; ``summary.survfit`` prints it times ``surv``) and the
    pointwise band ``lower``/``upper`` by R's ``survfit_confint``:

    - "log-log" (default here; R's default is "log"): exp(-exp(log(-log S) ± z se / log S));
    - "log": exp(log S ± z se), upper capped at 1; "plain": S ± z se S, clipped to [0, 1].

    Where S = 0 the Greenwood term divides by zero and the band is undefined (null), as in R
    (lifelines sets the term to 0 and collapses the band to [0, 0]); with "log-log" the band
    is also undefined where S = 1 (R: NA), before the first event.
    Therneau TM, Grambsch PM. Modeling Survival Data, 2000, §2.1; R survival ``survfitKM``.
    """
    from sle_car._checks import check_choice

    check_choice("conf_type", conf_type, KM_CONF_TYPES)
    t = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    times, inverse = np.unique(t, return_inverse=True)
    d = np.bincount(inverse, weights=e.astype(float), minlength=len(times))
    c = np.bincount(inverse, weights=(~e).astype(float), minlength=len(times))
    n = (d + c)[::-1].cumsum()[::-1]  # at risk: time >= t
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1 - d / n)
        term = np.where(d > 0, d / (n * (n - d)), 0.0)  # n = d: division by zero, inf
        se = np.sqrt(np.cumsum(term))
        z = float(sps.norm.ppf(1 - (1 - conf_int) / 2))
        if conf_type == "plain":
            half = z * se * surv
            lower, upper = np.maximum(surv - half, 0), np.minimum(surv + half, 1)
        elif conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            lower = np.exp(np.log(xx) - z * se)
            upper = np.minimum(np.exp(np.log(xx) + z * se), 1)
        else:
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            shift = z * se / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - shift))  # shift < 0: log S < 0
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + shift))
    undefined = ~np.isfinite(se) | (surv == 0)
    lower = np.where(undefined | ~np.isfinite(lower), np.nan, lower)
    upper = np.where(undefined | ~np.isfinite(upper), np.nan, upper)
    return pl.DataFrame(
        {
            "time": times,
            "n_risk": n.astype(np.int64),
            "n_event": d.astype(np.int64),
            "n_censor": c.astype(np.int64),
            "surv": surv,
            "std_err": np.where(np.isfinite(se), se, np.nan),
            "lower": lower,
            "upper": upper,
        }
    ).with_columns(pl.col("std_err", "lower", "upper").fill_nan(None))


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float) -> float:
    """R ``survival:::findq``: where the CDF ``y`` (over times ``x``, starting at 0) first
    reaches ``p``; the midpoint of a plateau at exactly ``p`` (the plateau at the end of the
    curve runs to the last time); NA when it never reaches ``p`` (undefined values are
    skipped, as R's ``approx`` drops them)."""
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return math.nan
    xmax = x[-1]
    yk = np.where(np.isnan(y), np.inf, y)  # NaN duplicates count as duplicates, as in R
    _, first = np.unique(yk, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    ok = ~np.isnan(y)
    pos, yy = np.arange(len(y))[ok], y[ok]

    def index(v: np.ndarray) -> float:  # approx(v, positions, p, "constant", f = 1)
        if p < v[0] or p > v[-1]:
            return math.nan
        return float(pos[np.searchsorted(v, p, side="left")])

    i1, i2 = index(yy + tol), index(yy - tol)
    quant = (x[int(i1)] + x[int(i2)]) / 2 if not (math.isnan(i1) or math.isnan(i2)) else math.nan
    if not np.isnan(y[-1]) and abs(p - y[-1]) < tol and not math.isnan(i1):
        quant = (x[int(i1)] + xmax) / 2
    return float(quant)


def km_quantile(
    fit: pl.DataFrame, p: float = 0.5, *, tol: float = math.sqrt(np.finfo(float).eps)
) -> dict[str, float]:
    """The ``p`` quantile of a :func:`km_fit` (time where S first reaches 1 - ``p``) with its
    interval, by R ``quantile.survfit`` (used by ``print.survfit``): midpoint of a plateau at
    exactly 1 - ``p``, NA (nan) where the curve or its band never reaches it."""
    x = np.concatenate([[0.0], fit["time"].to_numpy()])

    def cdf(col: str) -> np.ndarray:
        v = fit[col].cast(pl.Float64).fill_null(np.nan).to_numpy()
        return np.concatenate([[0.0], 1 - v])

    return {
        "quantile": _findq(x, cdf("surv"), p, tol),
        "lower": _findq(x, cdf("lower"), p, tol),
        "upper": _findq(x, cdf("upper"), p, tol),
    }


def km_median(
    durations: np.ndarray,
    events: np.ndarray,
    alpha: float = 0.05,
    *,
    conf_type: str = "log-log",
) -> dict[str, object]:
    """Kaplan-Meier median with its interval as R ``survival`` prints it (``km_fit`` +
    ``km_quantile``): the interval reads where the pointwise ``conf_type`` band crosses 0.5,
    NE where it never does (also where the band is undefined at S = 0); a median never
    reached is NE, never the last follow-up time."""
    fit = km_fit(durations, events, conf_int=1 - alpha, conf_type=conf_type)
    q = km_quantile(fit, 0.5)

    def fmt(x: float) -> str:
        return "NE" if not np.isfinite(x) else f"{x:g}"

    return {
        "median": q["quantile"],
        "lower": q["lower"],
        "upper": q["upper"],
        "text": f"{fmt(q['quantile'])} ({fmt(q['lower'])}–{fmt(q['upper'])})",
        "method": (
            f"Kaplan-Meier; {100 * (1 - alpha):g}% CI of the median from the pointwise "
            f"{conf_type} Greenwood band, as R survival with conf.type = '{conf_type}' "
            "(print.survfit); NE = not estimable"
        ),
    }


def fisher_exact(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact test of two proportions (scipy)."""
    return float(sps.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


# --- safety monitoring ---------------------------------------------------------------------------
def stopping_boundaries(
    n_max: int,
    *,
    threshold: float = MONITORING.threshold,
    prob_cutoff: float = MONITORING.prob_cutoff,
    prior: tuple[float, float] = MONITORING.prior,
) -> pl.DataFrame:
    """Bayesian toxicity rule evaluated after each patient (Thall PF, Simon RM, Estey EH. Stat
    Med 1995;14:357-379): stop when the posterior probability that the rate of the toxicity
    (e.g. grade ≥ 3 CRS or ICANS) exceeds ``threshold`` is above ``prob_cutoff``; defaults
    from :data:`sle_car.sap.MONITORING`. Returns, per number of patients evaluated, the smallest number of events
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
    """Moved to :func:`sle_car.published.published_cohorts` (kept here under its old name)."""
    from sle_car.published import published_cohorts as _published

    return _published()


def pooled_without_overlap(cohorts: pl.DataFrame, endpoint: str) -> pl.DataFrame:
    """Moved to :func:`sle_car.published.pooled_without_overlap` (kept here under its old name):
    pooled within a product type only, never across products."""
    from sle_car.published import pooled_without_overlap as _pooled

    return _pooled(cohorts, endpoint)
