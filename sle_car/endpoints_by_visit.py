"""Outcome measures by protocol time point, with every patient of the analysis set accounted
for (issue 18).

At each protocol time point a patient of the analysis set is exactly one of:

- **assessed**: has an analysis record in the visit's window (evaluable, or not evaluable
  with the reason the derivation gave, ADRS ``NEREASON``);
- **missed**: still in follow-up after the window closed, but no assessment in it;
- **left study**: ended the study early (``EOSSTT`` "DISCONTINUED": withdrawal, death, lost
  to follow-up) before the window closed, without an assessment in it;
- **not reached**: on study (``EOSSTT`` "ONGOING") but the window had not closed by the last
  day known alive (``LSTALVDY``), i.e. the data cut came first.

So n in follow-up = assessed + missed, and the analysis set = in follow-up + left study +
not reached: a withdrawal never silently shrinks the denominator. Windows are the
derivation's analysis windows (:func:`sle_car.derive.common.analysis_windows`, the visit
owns the days from the midpoint with the previous protocol visit to the midpoint with the
next); they are never re-drawn here. Rates take the evaluable patients as denominator with
the exact Clopper-Pearson interval (:func:`sle_car.stats.clopper_pearson`; Clopper CJ,
Pearson ES. Biometrika 1934;26:404-413); missed visits are not imputed (no
non-responder imputation), as the endpoints issue (16) decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from sle_car._checks import require_columns
from sle_car.derive.common import analysis_windows
from sle_car.stats import clopper_pearson

DAYS_PER_MONTH = 30.4375
"""Days per month (365.25 / 12), the protocol's month (``data_schemas.codelists.VISITS``)."""

EFFICACY_WEEKS: dict[str, str] = {f"Week {w}": f"WEEK {w}" for w in range(4, 29, 4)}
"""Efficacy and quality-of-life time points of the protocol: weeks 4, 8, ..., 28."""

FOLLOW_UP_MONTHS: dict[str, str] = {f"Month {m}": f"MONTH {m}" for m in range(9, 25, 3)}
"""Follow-up visits after week 28: months 9, 12, ..., 24."""

IMMUNOLOGY_MONTHS: dict[str, str] = {
    "Month 1": "WEEK 4",
    "Month 3": "WEEK 12",
    "Month 6": "WEEK 24",
    **FOLLOW_UP_MONTHS,
}
"""Immunology time points (months 1, 3, 6, ..., 24): the protocol draws months 1, 3 and 6 at
the WEEK 4, WEEK 12 and WEEK 24 visits (``data_schemas.codelists.VISITS``)."""

STATUS_ASSESSED = "assessed"
STATUS_MISSED = "missed"
STATUS_LEFT = "left study"
STATUS_NOT_REACHED = "not reached"

RATE_COLUMNS = [
    "timepoint",
    "AVISIT",
    "day",
    "month",
    "n_population",
    "n_follow_up",
    "n_assessed",
    "n_evaluable",
    "k",
    "rate",
    "ci_low",
    "ci_high",
    "n_not_evaluable",
    "reasons",
    "n_not_assessed",
    "n_missed",
    "n_left_study",
    "n_not_reached",
]
"""The columns of :func:`rates_by_timepoint` after any ``by`` columns."""


def timepoint_frame(timepoints: Mapping[str, str] | Sequence[str]) -> pl.DataFrame:
    """The protocol time points with their analysis windows: ``timepoint`` (label, e.g.
    "Month 3"), ``AVISIT`` (analysis visit, e.g. "WEEK 12"), ``order``, nominal ``day``,
    ``month`` (day / 30.4375, for a continuous time axis) and the window ``_LO`` (inclusive)
    to ``_HI`` (exclusive) of :func:`~sle_car.derive.common.analysis_windows`. A sequence of
    visit names labels each time point by its visit name. An unknown visit is an error."""
    pairs = (
        list(timepoints.items())
        if isinstance(timepoints, Mapping)
        else [(v, v) for v in timepoints]
    )
    w = analysis_windows()
    unknown = [v for _, v in pairs if v not in w["AVISIT"].to_list()]
    if unknown:
        raise ValueError(
            f"time points {unknown} are not analysis visits; use protocol visit names such as "
            f"{', '.join(w['AVISIT'].to_list()[-4:])} (data_schemas.codelists.VISITS)"
        )
    tp = pl.DataFrame(
        {
            "timepoint": [p[0] for p in pairs],
            "AVISIT": [p[1] for p in pairs],
            "order": list(range(len(pairs))),
        },
        schema={"timepoint": pl.String, "AVISIT": pl.String, "order": pl.Int64},
    )
    return tp.join(w.select("AVISIT", "_NOMDY", "_LO", "_HI"), on="AVISIT", how="left").select(
        "timepoint",
        "AVISIT",
        "order",
        pl.col("_NOMDY").cast(pl.Int64).alias("day"),
        (pl.col("_NOMDY") / DAYS_PER_MONTH).alias("month"),
        "_LO",
        "_HI",
    )


def follow_up_status(
    population: pl.DataFrame,
    *,
    timepoints: Mapping[str, str] | Sequence[str],
    end_day: str = "LSTALVDY",
    status: str = "EOSSTT",
) -> pl.DataFrame:
    """Per patient of ``population`` (ADSL rows of the analysis set) and time point, whether
    the patient could have been assessed there, ignoring assessments: ``FUSTAT`` is "left
    study" (``status`` "DISCONTINUED" and ``end_day`` before the window closes), "not
    reached" (any other status but "COMPLETED", and ``end_day`` before the window closes;
    a missing ``end_day`` counts as before) or null (in follow-up through the window).
    A patient who completed the protocol was in follow-up at every visit."""
    require_columns(population, ["USUBJID", end_day, status], "follow_up_status", "ADSL")
    tp = timepoint_frame(timepoints)
    before_close = pl.col(end_day).is_null() | (pl.col(end_day) < pl.col("_HI"))
    return (
        population.select("USUBJID", end_day, status)
        .join(tp, how="cross")
        .with_columns(
            pl.when(before_close & (pl.col(status) == "DISCONTINUED"))
            .then(pl.lit(STATUS_LEFT))
            .when(before_close & (pl.col(status).fill_null("") != "COMPLETED"))
            .then(pl.lit(STATUS_NOT_REACHED))
            .otherwise(pl.lit(None, dtype=pl.String))
            .alias("FUSTAT")
        )
        .select("USUBJID", "timepoint", "AVISIT", "order", "day", "month", "FUSTAT")
    )


def _responder(df: pl.DataFrame, flag: str, yes: str) -> pl.Expr:
    """Boolean responder expression: a Boolean ``flag`` as it is, a text flag equal to
    ``yes``; null stays null (not evaluable)."""
    if df.schema[flag] == pl.Boolean:
        return pl.col(flag)
    return pl.when(pl.col(flag).is_not_null()).then(pl.col(flag).cast(pl.String) == yes)


def assessment_status(
    df: pl.DataFrame,
    *,
    timepoints: Mapping[str, str] | Sequence[str],
    population: pl.DataFrame,
    flag: str = "AVALC",
    yes: str = "Y",
    reason: str | None = "NEREASON",
    by: Sequence[str] = (),
    end_day: str = "LSTALVDY",
    status: str = "EOSSTT",
) -> pl.DataFrame:
    """Per level of ``by``, patient of ``population`` and time point: ``STATUS`` (assessed,
    missed, left study, not reached; see the module docstring), ``RESP`` (True/False; null
    when not evaluable or not assessed) and ``NEREASON`` (why an assessed record is not
    evaluable). ``df`` holds one analysis record per patient, ``by`` level and ``AVISIT``
    (ADRS: rows with ``ANL01FL`` "Y" are used when the column is there); records of patients
    outside ``population`` and of other visits are ignored. Levels of ``by`` are those
    ``df`` holds."""
    by = list(by)
    require_columns(df, ["USUBJID", "AVISIT", flag, *by], "rates_by_timepoint")
    tp = timepoint_frame(timepoints)
    fu = follow_up_status(population, timepoints=timepoints, end_day=end_day, status=status)
    d = df.filter(pl.col("AVISIT").is_in(tp["AVISIT"].implode()))
    if "ANL01FL" in d.columns:
        d = d.filter(pl.col("ANL01FL") == "Y")
    d = d.filter(pl.col("USUBJID").is_in(fu["USUBJID"].unique().implode()))
    keys = [*by, "USUBJID", "AVISIT"]
    dup = d.filter(pl.len().over(keys) > 1)
    if dup.height:
        first = dup.row(0, named=True)
        where = ", ".join(f"{k} {first[k]}" for k in keys)
        raise ValueError(
            f"rates_by_timepoint: {dup.height} records share a patient and visit (first: "
            f"{where}); pass one analysis record per patient and visit (ADRS/ADQS rows with "
            'ANL01FL "Y")'
        )
    rec = d.select(
        *keys,
        _responder(d, flag, yes).alias("RESP"),
        (pl.col(reason).cast(pl.String) if reason else pl.lit(None, dtype=pl.String)).alias(
            "NEREASON"
        ),
        pl.lit(True).alias("_ASSESSED"),
    )
    levels = d.select(by).unique(maintain_order=True) if by else None
    grid = fu if levels is None else levels.join(fu, how="cross")
    return (
        grid.join(rec, on=keys, how="left")
        .with_columns(
            pl.when(pl.col("_ASSESSED").fill_null(False))
            .then(pl.lit(STATUS_ASSESSED))
            .otherwise(pl.col("FUSTAT").fill_null(STATUS_MISSED))
            .alias("STATUS")
        )
        .with_columns(
            pl.when(pl.col("STATUS") == STATUS_ASSESSED)
            .then(pl.col("NEREASON").fill_null("reason not recorded"))
            .alias("NEREASON")
        )
        .with_columns(pl.when(pl.col("RESP").is_null()).then(pl.col("NEREASON")).alias("NEREASON"))
        .select(
            *by,
            "USUBJID",
            "timepoint",
            "AVISIT",
            "order",
            "day",
            "month",
            "STATUS",
            "RESP",
            "NEREASON",
        )
    )


def rates_by_timepoint(
    df: pl.DataFrame,
    *,
    timepoints: Mapping[str, str] | Sequence[str],
    population: pl.DataFrame,
    flag: str = "AVALC",
    yes: str = "Y",
    reason: str | None = "NEREASON",
    by: Sequence[str] = (),
    alpha: float = 0.05,
    end_day: str = "LSTALVDY",
    status: str = "EOSSTT",
) -> pl.DataFrame:
    """One row per level of ``by`` and protocol time point (in the order of ``timepoints``,
    a mapping label -> analysis visit such as :data:`EFFICACY_WEEKS` or
    :data:`IMMUNOLOGY_MONTHS`, or a list of visits): ``n_population`` (patients of
    ``population``, e.g. ADSL filtered to the efficacy set), ``n_follow_up`` (in follow-up
    through the window = assessed + missed), ``n_assessed``, ``n_evaluable`` (the
    denominator), ``k`` responders (``flag`` equal to ``yes``, or a Boolean ``flag`` true),
    ``rate``, exact Clopper-Pearson ``ci_low``/``ci_high`` (1 - ``alpha``), ``n_not_evaluable``
    with ``reasons`` ("reason (count); ..."), ``n_not_assessed`` split into ``n_missed``,
    ``n_left_study`` and ``n_not_reached``; ``day`` and ``month`` are the visit's nominal
    time for a continuous axis. With no evaluable patient ``rate`` and the interval are null.
    See :func:`assessment_status` for the input."""
    by = list(by)
    st = assessment_status(
        df,
        timepoints=timepoints,
        population=population,
        flag=flag,
        yes=yes,
        reason=reason,
        by=by,
        end_day=end_day,
        status=status,
    )
    groups = [*by, "order", "timepoint", "AVISIT", "day", "month"]
    assessed = pl.col("STATUS") == STATUS_ASSESSED
    agg = (
        st.group_by(groups)
        .agg(
            pl.len().alias("n_population"),
            pl.col("STATUS").is_in([STATUS_ASSESSED, STATUS_MISSED]).sum().alias("n_follow_up"),
            assessed.sum().alias("n_assessed"),
            pl.col("RESP").is_not_null().sum().alias("n_evaluable"),
            pl.col("RESP").cast(pl.Int64).sum().alias("k"),
            (assessed & pl.col("RESP").is_null()).sum().alias("n_not_evaluable"),
            (~assessed).sum().alias("n_not_assessed"),
            (pl.col("STATUS") == STATUS_MISSED).sum().alias("n_missed"),
            (pl.col("STATUS") == STATUS_LEFT).sum().alias("n_left_study"),
            (pl.col("STATUS") == STATUS_NOT_REACHED).sum().alias("n_not_reached"),
        )
        .with_columns(
            pl.col(c).cast(pl.Int64) for c in RATE_COLUMNS if c.startswith("n_") or c == "k"
        )
        .sort([*by, "order"])
    )
    why = (
        st.filter((pl.col("STATUS") == STATUS_ASSESSED) & pl.col("RESP").is_null())
        .group_by([*by, "order", "NEREASON"])
        .agg(pl.len().alias("_n"))
        .sort([*by, "order", "_n", "NEREASON"], descending=[*[False] * len(by), False, True, False])
        .group_by([*by, "order"], maintain_order=True)
        .agg(pl.format("{} ({})", "NEREASON", "_n").str.join("; ").alias("reasons"))
    )
    agg = agg.join(why, on=[*by, "order"], how="left", maintain_order="left")
    ci = [clopper_pearson(k, n, alpha) for k, n in agg.select("k", "n_evaluable").iter_rows()]
    return agg.with_columns(
        pl.when(pl.col("n_evaluable") > 0).then(pl.col("k") / pl.col("n_evaluable")).alias("rate"),
        pl.Series("ci_low", [c[0] for c in ci], dtype=pl.Float64).fill_nan(None),
        pl.Series("ci_high", [c[1] for c in ci], dtype=pl.Float64).fill_nan(None),
    ).select(*by, *RATE_COLUMNS)


def rate_text(*, percent: bool = True) -> pl.Expr:
    """A table cell for a :func:`rates_by_timepoint` row: "k/n (lo–hi)" with the exact
    interval in whole percent, "–" when nobody was evaluable."""
    scale = 100 if percent else 1
    lo = (pl.col("ci_low") * scale).round(0).cast(pl.Int64)
    hi = (pl.col("ci_high") * scale).round(0).cast(pl.Int64)
    return (
        pl.when(pl.col("n_evaluable") > 0)
        .then(pl.format("{}/{} ({}–{})", "k", "n_evaluable", lo, hi))
        .otherwise(pl.lit("–"))
    )


def not_assessed_text() -> pl.Expr:
    """The patients outside the denominator of a :func:`rates_by_timepoint` row in words,
    e.g. "1 not evaluable; 1 left study; 2 not reached" ("" when every patient counted)."""
    parts = [
        ("n_not_evaluable", "not evaluable"),
        ("n_missed", "missed"),
        ("n_left_study", "left study"),
        ("n_not_reached", "not reached"),
    ]
    return pl.concat_str(
        [pl.when(pl.col(c) > 0).then(pl.format("{} " + name, c)) for c, name in parts],
        separator="; ",
        ignore_nulls=True,
    ).fill_null("")
