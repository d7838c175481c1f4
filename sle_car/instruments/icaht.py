"""EHA/EBMT immune effector cell-associated haematotoxicity (ICAHT), early and late.

Source: Rejeski K, Subklewe M, Aljurf M, et al. Immune effector cell-associated
hematotoxicity: EHA/EBMT consensus grading and best practice recommendations. Blood
2023;142:865-877 (doi:10.1182/blood.2023020578); duration rules as in the public reference
implementation of Liang EC (automatedicahtgrading): an episode of ANC ≤ 500/µL ends only with
stable recovery (ANC > 500/µL on ≥ 3 consecutive days); shorter recoveries are bridged and
count. instruments.md §11. Note the comparator: ICAHT counts ANC ≤ 500/µL (CTCAE grade 4 is
< 0.5 × 10⁹/L).
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import require_columns


def _longest_run(df: pl.DataFrame, by: str, flag: str, recovery_days: int) -> pl.DataFrame:
    """Longest run of ``flag`` days per subject, bridging gaps shorter than recovery_days."""
    runs = (
        df.sort(by, "ADY")
        .with_columns(
            (pl.col(flag) != pl.col(flag).shift(1).over(by))
            .fill_null(True)
            .cum_sum()
            .over(by)
            .alias("_run")
        )
        .group_by(by, "_run", flag)
        .agg(pl.len().alias("_n"), pl.col("ADY").min().alias("_start"))
        .sort(by, "_start")
    )
    # a non-flagged run shorter than recovery_days between two flagged runs is bridged
    runs = runs.with_columns(
        (
            pl.col(flag)
            | (
                (pl.col("_n") < recovery_days)
                & pl.col(flag).shift(1).over(by).fill_null(False)
                & pl.col(flag).shift(-1).over(by).fill_null(False)
            )
        ).alias("_bridged")
    )
    merged = (
        runs.with_columns(
            (pl.col("_bridged") != pl.col("_bridged").shift(1).over(by))
            .fill_null(True)
            .cum_sum()
            .over(by)
            .alias("_ep")
        )
        .filter(pl.col("_bridged"))
        .group_by(by, "_ep")
        .agg(pl.col("_n").sum())
        .group_by(by)
        .agg(pl.col("_n").max().alias("_longest"))
    )
    return (
        df.select(by)
        .unique()
        .join(merged, on=by, how="left")
        .with_columns(pl.col("_longest").fill_null(0))
    )


EARLY_WINDOW = (0, 30)
"""Early ICAHT: days 0-30 after the infusion (Rejeski 2023)."""
LATE_WINDOW = (31, 100)
"""Late ICAHT: days 31-100 by default (Rejeski 2023; extendable to 180 or 365 in the SAP)."""


def icaht_early(
    anc: pl.DataFrame,
    *,
    by: str = "USUBJID",
    threshold_500: float = 500.0,
    threshold_100: float = 100.0,
    recovery_days: int = 3,
    window: tuple[int, int] = EARLY_WINDOW,
) -> pl.DataFrame:
    """Early ICAHT grade per subject from daily ANC (cells/µL) in ``ANC`` by ``ADY``.

    Days ≤ 500 (longest bridged episode): 1-6 grade 1, 7-13 grade 2, ≥ 14 grade 3, never above
    500 in days 0-30 grade 4; days ≤ 100: ≥ 7 grade 3, ≥ 14 grade 4; the higher applies.
    Input is one row per subject and day (the day's worst ANC); missing days are not imputed
    (an SAP choice). Returns ``by``, ``DAYS500``, ``DAYS100``, ``ICAHTE``.
    """
    require_columns(anc, [by, "ADY", "ANC"], "icaht_early", "daily ANC from ADLB (NEUT x 1000)")
    lo, hi = window
    d = anc.filter(pl.col("ADY").is_between(lo, hi) & pl.col("ANC").is_not_null()).with_columns(
        (pl.col("ANC") <= threshold_500).alias("_le500"),
        (pl.col("ANC") <= threshold_100).alias("_le100"),
    )
    r500 = _longest_run(d, by, "_le500", recovery_days).rename({"_longest": "DAYS500"})
    r100 = _longest_run(d, by, "_le100", recovery_days).rename({"_longest": "DAYS100"})
    never_above = d.group_by(by).agg(
        ((pl.col("ANC") > threshold_500).any().not_() & (pl.len() >= hi - lo + 1)).alias("_never")
    )
    out = r500.join(r100, on=by).join(never_above, on=by)
    g500 = (
        pl.when(pl.col("_never"))
        .then(4)
        .when(pl.col("DAYS500") >= 14)
        .then(3)
        .when(pl.col("DAYS500") >= 7)
        .then(2)
        .when(pl.col("DAYS500") >= 1)
        .then(1)
        .otherwise(0)
    )
    g100 = (
        pl.when(pl.col("DAYS100") >= 14).then(4).when(pl.col("DAYS100") >= 7).then(3).otherwise(0)
    )
    return out.select(
        by, "DAYS500", "DAYS100", pl.max_horizontal(g500, g100).cast(pl.Int64).alias("ICAHTE")
    ).sort(by)


def icaht_late(
    anc: pl.DataFrame, *, by: str = "USUBJID", window: tuple[int, int] = LATE_WINDOW
) -> pl.DataFrame:
    """Late ICAHT grade per subject from ANC (cells/µL) after day 30: graded from the nadir
    (≤ 1500 grade 1, ≤ 1000 grade 2, ≤ 500 grade 3, ≤ 100 grade 4) when neutropenia is not
    transient, i.e. the second-lowest value is also ≤ 1500 or there is a single value.
    ``window`` ends at day 100 by default (extendable to 180 or 365 in the SAP)."""
    require_columns(anc, [by, "ADY", "ANC"], "icaht_late")
    lo, hi = window
    d = anc.filter(pl.col("ADY").is_between(lo, hi) & pl.col("ANC").is_not_null())
    s = d.group_by(by).agg(
        pl.col("ANC").min().alias("NADIR"),
        pl.col("ANC").sort().get(1, null_on_oob=True).alias("_second"),
    )
    sustained = pl.col("_second").is_null() | (pl.col("_second") <= 1500)
    g = (
        pl.when(sustained.not_())
        .then(0)
        .when(pl.col("NADIR") <= 100)
        .then(4)
        .when(pl.col("NADIR") <= 500)
        .then(3)
        .when(pl.col("NADIR") <= 1000)
        .then(2)
        .when(pl.col("NADIR") <= 1500)
        .then(1)
        .otherwise(0)
    )
    return s.select(by, "NADIR", g.cast(pl.Int64).alias("ICAHTL")).sort(by)
