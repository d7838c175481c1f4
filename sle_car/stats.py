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
