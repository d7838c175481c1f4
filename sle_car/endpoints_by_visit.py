"""Outcome measures by protocol time point, with every patient of the analysis set accounted
for (issue 18).

At each protocol time point a patient of the analysis set is exactly one of:

- **assessed**: has an analysis record in the visit's window (evaluable, or not evaluable
  with the reason the derivation gave, ADRS ``NEREASON``);
- **missed**: still in follow-up after the window closed, but no assessment in it;
- **left study**: ended the study early (``EOSSTT`` "DISCONTINUED": withdrawal, death, lost
  to follow-up) before the window closed, without an assessment in it;
- **not reached**: on study (``EOSSTT`` "ONGOING") but the window had not closed by the last
  day known alive (``LSTALVDY``), i.e. the data cut came first;
- **status not recorded**: the last day known alive is before the window closed and the
  end-of-study status was not recorded (``EOSSTT`` null: no disposition collected for the
  patient), so whether the patient left the study or the data cut came first is unknown —
  neither is guessed.

So n in follow-up = assessed + missed, and the analysis set = in follow-up + left study +
not reached + status not recorded: a withdrawal never silently shrinks the denominator. Windows are the
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
from sle_car.figures import DAYS_PER_MONTH, patient_label_expr
from sle_car.stats import clopper_pearson

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
STATUS_UNRECORDED = "status not recorded"

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
    "n_status_not_recorded",
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
    reached" (``status`` "ONGOING", and ``end_day`` before the window closes; a missing
    ``end_day`` counts as before), "status not recorded" (``status`` null and ``end_day``
    before the window closes: left or cut off, unknown) or null (in follow-up through the
    window).
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
            .when(before_close & pl.col(status).is_null())
            .then(pl.lit(STATUS_UNRECORDED))
            .when(before_close & (pl.col(status) != "COMPLETED"))
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
    keep: Sequence[str] = (),
) -> pl.DataFrame:
    """Per level of ``by``, patient of ``population`` and time point: ``STATUS`` (assessed,
    missed, left study, not reached; see the module docstring), ``RESP`` (True/False; null
    when not evaluable or not assessed) and ``NEREASON`` (why an assessed record is not
    evaluable). ``df`` holds one analysis record per patient, ``by`` level and ``AVISIT``
    (ADRS: rows with ``ANL01FL`` "Y" are used when the column is there); records of patients
    outside ``population`` and of other visits are ignored. Levels of ``by`` are those
    ``df`` holds. Columns ``keep`` of the record (e.g. ``AVAL``, ``ADY``) are carried along
    (null when not assessed)."""
    by, keep = list(by), list(keep)
    require_columns(df, ["USUBJID", "AVISIT", flag, *by, *keep], "rates_by_timepoint")
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
        *keep,
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
            *keep,
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
    ``n_left_study``, ``n_not_reached`` and ``n_status_not_recorded``; ``day`` and ``month`` are the visit's nominal
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
            (pl.col("STATUS") == STATUS_UNRECORDED).sum().alias("n_status_not_recorded"),
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


STATUS_NOTE = (
    " Status not recorded: follow-up ended before the window closed and the data cut has no "
    "end-of-study status for the patient (no disposition record), so whether the patient left "
    "the study or the data cut came first is unknown."
)


def status_note(population: pl.DataFrame, status: str = "EOSSTT") -> str:
    """The sentence a table's source note adds when a patient of ``population`` has no
    end-of-study status (``status`` null: :data:`STATUS_UNRECORDED`), else "" — so that a
    cut with disposition reads as before and one without never calls anyone "ongoing"."""
    if status not in population.columns or population[status].null_count() == 0:
        return ""
    return STATUS_NOTE


def efficacy_set_note(adsl: pl.DataFrame) -> str:
    """The sentence a table over the efficacy set (ADSL ``EFFFL`` = "Y": infused, with at
    least one SLEDAI-2K after the infusion) adds when an infused patient (``SAFFL`` = "Y") is
    not in it, else "" — such a patient is in none of the table's columns (not "not in
    follow-up", not "missed"), so the note names how many and why."""
    infused = adsl.filter(pl.col("SAFFL") == "Y")
    out = infused.filter(pl.col("EFFFL") != "Y").height
    if out == 0:
        return ""
    return (
        f" Efficacy set: {infused.height - out} of {infused.height} infused patients; {out} "
        "without any SLEDAI-2K after the infusion are not in this table."
    )


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
        ("n_status_not_recorded", "status not recorded"),
    ]
    return pl.concat_str(
        [pl.when(pl.col(c) > 0).then(pl.format("{} " + name, c)) for c, name in parts],
        separator="; ",
        ignore_nulls=True,
    ).fill_null("")


def summary_by_timepoint(
    df: pl.DataFrame,
    *,
    timepoints: Mapping[str, str] | Sequence[str],
    population: pl.DataFrame,
    value: str = "AVAL",
    by: Sequence[str] = (),
    end_day: str = "LSTALVDY",
    status: str = "EOSSTT",
) -> pl.DataFrame:
    """A continuous measure (a score, its change from baseline ``CHG``, a laboratory value)
    by protocol time point with the same accounting as :func:`rates_by_timepoint`: per level
    of ``by`` and time point ``n_population``, ``n_follow_up``, ``n_assessed``, ``n`` (with a
    ``value``), ``median``, ``min``, ``max``, ``n_not_evaluable`` (a record without a value),
    ``n_missed``, ``n_left_study``, ``n_not_reached``, ``n_status_not_recorded``, and nominal ``day``/``month``."""
    by = list(by)
    d = df.with_columns(pl.col(value).is_not_null().alias("_HAS"), pl.col(value).alias("_V"))
    st = assessment_status(
        d,
        timepoints=timepoints,
        population=population,
        flag="_HAS",
        reason=None,
        by=by,
        end_day=end_day,
        status=status,
        keep=["_V"],
    )
    return (
        st.group_by([*by, "order", "timepoint", "AVISIT", "day", "month"])
        .agg(
            pl.len().alias("n_population"),
            pl.col("STATUS").is_in([STATUS_ASSESSED, STATUS_MISSED]).sum().alias("n_follow_up"),
            (pl.col("STATUS") == STATUS_ASSESSED).sum().alias("n_assessed"),
            pl.col("_V").is_not_null().sum().alias("n"),
            pl.col("_V").median().alias("median"),
            pl.col("_V").min().alias("min"),
            pl.col("_V").max().alias("max"),
            ((pl.col("STATUS") == STATUS_ASSESSED) & pl.col("_V").is_null())
            .sum()
            .alias("n_not_evaluable"),
            (pl.col("STATUS") == STATUS_MISSED).sum().alias("n_missed"),
            (pl.col("STATUS") == STATUS_LEFT).sum().alias("n_left_study"),
            (pl.col("STATUS") == STATUS_NOT_REACHED).sum().alias("n_not_reached"),
            (pl.col("STATUS") == STATUS_UNRECORDED).sum().alias("n_status_not_recorded"),
        )
        .with_columns(
            pl.col("^n_.*$", "n").cast(pl.Int64), pl.col("median", "min", "max").cast(pl.Float64)
        )
        .sort([*by, "order"])
        .drop("order")
    )


def fixed_text(expr: pl.Expr, decimals: int = 1, *, signed: bool = False) -> pl.Expr:
    """A number as text with exactly ``decimals`` decimals ("0.10", "-1.5"), vectorised;
    "+" before a positive value when ``signed``."""
    scale = 10**decimals
    units = (expr.abs() * scale).round(0).cast(pl.Int64)
    whole = (units // scale).cast(pl.String)
    frac = (units % scale).cast(pl.String).str.zfill(decimals) if decimals else pl.lit("")
    body = pl.concat_str(whole, pl.lit("." if decimals else ""), frac)
    neg = (units > 0) & (expr < 0)
    sign = pl.when(neg).then(pl.lit("-")).when(pl.lit(signed) & (units > 0)).then(pl.lit("+"))
    return (
        pl.when(expr.is_null())
        .then(None)
        .otherwise(pl.concat_str(sign.otherwise(pl.lit("")), body))
    )


def median_range_text(decimals: int = 1, *, signed: bool = False) -> pl.Expr:
    """A table cell for a :func:`summary_by_timepoint` row: "median (min to max)", "–" when
    nobody had a value; ``signed`` writes changes as +1.0 / -2.0."""
    med, lo, hi = (fixed_text(pl.col(c), decimals, signed=signed) for c in ("median", "min", "max"))
    return (
        pl.when(pl.col("n") > 0)
        .then(pl.format("{} ({} to {})", med, lo, hi))
        .otherwise(pl.lit("–"))
    )


SCORE_STATES: dict[str, tuple[str, str, str, float, str]] = {
    "SLEDAI0": ("SLEDAI2K", "==", "AVAL", 0.0, "SLEDAI-2K = 0"),
    "CSLEDAI0": ("CSLEDAI", "==", "AVAL", 0.0, "clinical SLEDAI-2K = 0"),
}
"""Score states of the registered outcomes read from ADQS: code -> (ADQS ``PARAMCD``,
comparator, column, threshold, label). SLEDAI-2K = 0 is complete clinical and serological
remission on SLEDAI-2K (Gladman DD et al. J Rheumatol 2002;29:288-291); clinical SLEDAI-2K
= 0 (without anti-dsDNA and complement) is the DORIS 2021 activity criterion (van
Vollenhoven RF et al. Lupus Sci Med 2021;8:e000538). The PGA criterion of DORIS
(``pga_state``) reads its threshold from the SAP options."""


def pga_state(pga_max: float) -> tuple[str, str, str, float, str]:
    """The DORIS 2021 PGA criterion as a :data:`SCORE_STATES` entry: PGA < ``pga_max``
    (strict; ``DEFAULTS.doris.pga_max``, 0.5 on the 0-3 scale)."""
    return ("PGA", "<", "AVAL", pga_max, f"PGA < {pga_max:g}")


def score_states(
    adqs: pl.DataFrame, states: Mapping[str, tuple[str, str, str, float, str]]
) -> pl.DataFrame:
    """ADRS-like records (``USUBJID``, ``PARAMCD``, ``PARAM``, ``AVISIT``, ``ADY``, ``AVALC``
    "Y"/"N", ``NEREASON``, ``ANL01FL``) for score states (e.g. :data:`SCORE_STATES`) at every
    post-infusion analysis record of ADQS (``ANL01FL`` "Y", ``ADY`` > 0). A score without a
    value is not evaluable ("<label>: score not evaluable"), never a "N" or a "Y"."""
    from sle_car._checks import cmp

    require_columns(
        adqs, ["USUBJID", "PARAMCD", "AVISIT", "ADY", "AVAL", "ANL01FL"], "score_states", "ADQS"
    )
    post = adqs.filter((pl.col("ANL01FL") == "Y") & (pl.col("ADY") > 0))
    parts = []
    for code, (src, op, col, threshold, label) in states.items():
        d = post.filter(pl.col("PARAMCD") == src)
        ok = cmp(pl.col(col), op, threshold)
        parts.append(
            d.select(
                "USUBJID",
                pl.lit(code).alias("PARAMCD"),
                pl.lit(label).alias("PARAM"),
                "AVISIT",
                "ADY",
                pl.when(pl.col(col).is_not_null())
                .then(pl.when(ok).then(pl.lit("Y")).otherwise(pl.lit("N")))
                .alias("AVALC"),
                pl.when(pl.col(col).is_null())
                .then(pl.lit(f"{label}: score not evaluable"))
                .alias("NEREASON"),
                pl.lit("Y").alias("ANL01FL"),
            )
        )
    schema = {
        "USUBJID": pl.String,
        "PARAMCD": pl.String,
        "PARAM": pl.String,
        "AVISIT": pl.String,
        "ADY": pl.Int64,
        "AVALC": pl.String,
        "NEREASON": pl.String,
        "ANL01FL": pl.String,
    }
    return pl.concat(
        [pl.DataFrame(schema=schema), *[p.cast(schema) for p in parts]], how="vertical"
    )


def _months_text(days: pl.Expr) -> pl.Expr:
    return fixed_text(days / DAYS_PER_MONTH, 1)


def remission_durations(
    adsl: pl.DataFrame, adtte: pl.DataFrame, adrs: pl.DataFrame
) -> pl.DataFrame:
    """Per patient of ``adsl``: first DORIS remission, how long it has lasted, drug-free
    remission start and duration, and whether remission was sustained ≥ 12 months, in months
    after the infusion (day / 30.4375, one decimal).

    From ADTTE: ``TTDORIS`` (first remission; censored = not reached by the last evaluable
    assessment), ``DURDORIS`` and ``DURDF`` (start ``STARTDY``; ``CNSR`` 1 = remission still
    ongoing at the last assessment, written "≥ x (ongoing)" for a patient still in follow-up and
    "≥ x (censored at ...)" for one who completed or left the study (ADSL ``EOSSTT``,
    ``DCSREAS``; "censored; end-of-study status not recorded" when ``EOSSTT`` is null: never
    "ongoing" for a status nobody recorded), a lower bound: right-censored, Kaplan EL,
    Meier P. JASA 1958;53:457-481); ADRS ``DORIS12`` (sustained ≥ ``sustain_days``: "yes",
    "no", or "not evaluable: <reason>"). Columns: ``Patient``, ``first_doris``,
    ``doris_duration``, ``doris_ongoing``, ``df_start``, ``df_duration``, ``df_ongoing``,
    ``sustained`` (text) and the day columns they come from."""
    require_columns(adsl, ["USUBJID"], "remission_durations", "ADSL")
    require_columns(
        adtte,
        ["USUBJID", "PARAMCD", "AVAL", "STARTDY", "ADY", "CNSR"],
        "remission_durations",
        "ADTTE",
    )
    require_columns(
        adrs, ["USUBJID", "PARAMCD", "AVALC", "NEREASON"], "remission_durations", "ADRS"
    )

    def tte(paramcd: str, prefix: str) -> pl.DataFrame:
        return adtte.filter(pl.col("PARAMCD") == paramcd).select(
            "USUBJID",
            pl.col("STARTDY").alias(f"{prefix}_STARTDY"),
            pl.col("AVAL").alias(f"{prefix}_DAYS"),
            pl.col("ADY").alias(f"{prefix}_ENDDY"),
            (pl.col("CNSR") == 1).alias(f"{prefix}_CNSR"),
        )

    sus = adrs.filter(pl.col("PARAMCD") == "DORIS12").select(
        "USUBJID",
        pl.when(pl.col("AVALC") == "Y")
        .then(pl.lit("yes"))
        .when(pl.col("AVALC") == "N")
        .then(pl.lit("no"))
        .otherwise(
            pl.format("not evaluable: {}", pl.col("NEREASON").fill_null("reason not recorded"))
        )
        .alias("sustained"),
    )
    # Why a remission's end is not seen: still in follow-up at the data cut, or the patient
    # left the study (completed or discontinued) while in remission: "ongoing" only for the
    # first; the others are censored at their end of study, with the reason.
    status = (
        pl.when(pl.col("EOSSTT") == "ONGOING")
        .then(pl.lit("ongoing"))
        .when(pl.col("EOSSTT") == "COMPLETED")
        .then(pl.lit("censored at study completion"))
        .when(pl.col("EOSSTT") == "DISCONTINUED")
        .then(
            pl.format(
                "censored at discontinuation: {}",
                pl.col("DCSREAS").fill_null("reason not recorded").str.to_lowercase(),
            )
        )
        .otherwise(pl.lit("censored; end-of-study status not recorded"))
        if "EOSSTT" in adsl.columns and "DCSREAS" in adsl.columns
        else pl.lit("censored")
    )
    x = (
        adsl.select("USUBJID", status.alias("_CNSR_TEXT"))
        .join(tte("TTDORIS", "TT"), on="USUBJID", how="left")
        .join(tte("DURDORIS", "DUR"), on="USUBJID", how="left")
        .join(tte("DURDF", "DF"), on="USUBJID", how="left")
        .join(sus, on="USUBJID", how="left")
    )

    def duration(prefix: str) -> pl.Expr:
        m = _months_text(pl.col(f"{prefix}_DAYS"))
        return (
            pl.when(pl.col(f"{prefix}_DAYS").is_null())
            .then(pl.lit("–"))
            .when(pl.col(f"{prefix}_CNSR"))
            .then(pl.format("≥ {} ({})", m, pl.col("_CNSR_TEXT")))
            .otherwise(m)
        )

    first = (
        pl.when(pl.col("TT_DAYS").is_null())
        .then(pl.lit("–"))
        .when(pl.col("TT_CNSR"))
        .then(pl.format("not reached by {}", _months_text(pl.col("TT_ENDDY"))))
        .otherwise(_months_text(pl.col("TT_DAYS")))
    )
    return x.with_columns(
        patient_label_expr(),
        first.alias("first_doris"),
        duration("DUR").alias("doris_duration"),
        pl.col("DUR_CNSR").alias("doris_ongoing"),
        pl.when(pl.col("DF_STARTDY").is_null())
        .then(pl.lit("not reached"))
        .otherwise(_months_text(pl.col("DF_STARTDY")))
        .alias("df_start"),
        duration("DF").alias("df_duration"),
        pl.col("DF_CNSR").alias("df_ongoing"),
        pl.col("sustained").fill_null("not derived"),
    ).sort("USUBJID")


def glucocorticoid_steps(
    cm: pl.DataFrame, adsl: pl.DataFrame, *, from_day: int = -30, end_day: str = "LSTALVDY"
) -> pl.DataFrame:
    """Prednisolone-equivalent daily dose per patient as a step function from ``from_day`` to
    the last day known alive, zero included: one row per patient and period of constant
    dose (``USUBJID``, ``Patient``, ``START``, ``END`` study days, ``PREDDOSE`` mg/day, the
    sum of the glucocorticoid records active then, 0 when none), by the derivation's
    :func:`~sle_car.derive.common.drug_exposure_by_day` (the dose DORIS reads). Patients of
    ``adsl`` without a glucocorticoid record get one zero period."""
    from sle_car.derive.common import drug_exposure_by_day

    require_columns(adsl, ["USUBJID", end_day], "glucocorticoid_steps", "ADSL")
    require_columns(
        cm, ["USUBJID", "CMCLAS", "CMPREDEQ", "CMSTDY", "CMENDY"], "glucocorticoid_steps", "CM"
    )
    gc = cm.filter(pl.col("CMCLAS") == "GLUCOCORTICOID")
    ends = adsl.select("USUBJID", pl.col(end_day).alias("_END"))
    cuts = pl.concat(
        [
            ends.select("USUBJID", pl.lit(from_day).cast(pl.Int64).alias("ADY")),
            gc.select("USUBJID", pl.col("CMSTDY").cast(pl.Int64).alias("ADY")),
            gc.select("USUBJID", (pl.col("CMENDY").cast(pl.Int64) + 1).alias("ADY")),
        ]
    ).drop_nulls()
    cuts = (
        cuts.join(ends, on="USUBJID", how="inner")
        .filter(pl.col("ADY").is_between(from_day, pl.col("_END")))
        .select("USUBJID", "ADY")
        .unique()
        .sort("USUBJID", "ADY")
    )
    dose = drug_exposure_by_day(gc, cuts).select("USUBJID", "ADY", "PREDDOSE")
    return (
        dose.join(ends, on="USUBJID", how="left")
        .sort("USUBJID", "ADY")
        .with_columns(
            pl.col("PREDDOSE").fill_null(0.0),
            pl.col("ADY").shift(-1).over("USUBJID").fill_null(pl.col("_END")).alias("END"),
        )
        .select(
            "USUBJID",
            patient_label_expr(),
            pl.col("ADY").alias("START"),
            "END",
            "PREDDOSE",
        )
    )


def follow_up_counts(
    population: pl.DataFrame,
    *,
    timepoints: Mapping[str, str] | Sequence[str],
    assessed: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per time point the patients of ``population`` in follow-up, those who had left the
    study and those who had not reached it (the part of every denominator that does not
    depend on the instrument): ``timepoint``, ``day``, ``n_in_follow_up``, ``n_left_study``,
    ``n_not_reached``, ``n_status_not_recorded``. A patient with any record in ``assessed`` (``USUBJID``, ``AVISIT``)
    at the time point was in follow-up there, whatever the follow-up dates say (a visit on
    the last day known alive, before the window closed)."""
    fu = follow_up_status(population, timepoints=timepoints)
    if assessed is not None:
        seen = (
            assessed.select("USUBJID", "AVISIT").unique().with_columns(pl.lit(True).alias("_SEEN"))
        )
        fu = fu.join(seen, on=["USUBJID", "AVISIT"], how="left").with_columns(
            pl.when(pl.col("_SEEN").fill_null(False))
            .then(None)
            .otherwise(pl.col("FUSTAT"))
            .alias("FUSTAT")
        )
    return (
        fu.group_by("order", "timepoint", "day")
        .agg(
            pl.col("FUSTAT").is_null().sum().cast(pl.Int64).alias("n_in_follow_up"),
            (pl.col("FUSTAT") == STATUS_LEFT).sum().cast(pl.Int64).alias("n_left_study"),
            (pl.col("FUSTAT") == STATUS_NOT_REACHED).sum().cast(pl.Int64).alias("n_not_reached"),
            (pl.col("FUSTAT") == STATUS_UNRECORDED)
            .sum()
            .cast(pl.Int64)
            .alias("n_status_not_recorded"),
        )
        .sort("order")
        .drop("order")
    )


# --- long tables: one row per measure and time point, one count per column ----------------------
def visit_records(
    adqs: pl.DataFrame, paramcd: str, *, reason: str = "score not evaluable"
) -> pl.DataFrame:
    """One record per patient and analysis visit of the ADQS parameter ``paramcd``, for
    :func:`summary_by_timepoint`: the analysis record (``ANL01FL`` "Y", a score closest to the
    nominal day) where the visit has a score; otherwise, where the visit holds only records
    without a score (an incomplete instrument, e.g. a BILAG-2004 system not graded), the
    earliest of them, with ``AVAL`` and ``CHG`` null and ``NEREASON`` ``reason``: assessed and
    not evaluable, never a 0 and never a missed visit (instruments.md §0 rule 3). Columns:
    ``USUBJID``, ``AVISIT``, ``ADY``, ``AVAL``, ``BASE``, ``CHG``, ``NEREASON``, ``ANL01FL``."""
    require_columns(
        adqs,
        ["USUBJID", "PARAMCD", "AVISIT", "ADY", "AVAL", "BASE", "CHG", "ANL01FL"],
        "visit_records",
        "ADQS",
    )
    d = adqs.filter((pl.col("PARAMCD") == paramcd) & pl.col("AVISIT").is_not_null())
    flagged = d.filter(pl.col("ANL01FL") == "Y")
    unscored = (
        d.join(flagged, on=["USUBJID", "AVISIT"], how="anti")
        .filter(pl.col("AVAL").is_null())
        .sort("USUBJID", "AVISIT", "ADY")
        .unique(subset=["USUBJID", "AVISIT"], keep="first", maintain_order=True)
    )
    cols = ["USUBJID", "AVISIT", "ADY", "AVAL", "BASE", "CHG"]
    return (
        pl.concat(
            [
                flagged.select(*cols, pl.lit(None, dtype=pl.String).alias("NEREASON")),
                unscored.select(
                    "USUBJID",
                    "AVISIT",
                    "ADY",
                    pl.lit(None, dtype=pl.Float64).alias("AVAL"),
                    "BASE",
                    pl.lit(None, dtype=pl.Float64).alias("CHG"),
                    pl.lit(reason).alias("NEREASON"),
                ),
            ],
            how="vertical_relaxed",
        )
        .with_columns(pl.lit("Y").alias("ANL01FL"))
        .sort("USUBJID", "ADY")
    )


COUNT_LABELS: dict[str, str] = {
    "n_follow_up": "In follow-up (n)",
    "n_assessed": "Assessed (n)",
    "n_missed": "Missed (n)",
    "n_evaluable": "Evaluable (n)",
}
"""Clinical column labels of the per-time-point accounting: in follow-up = assessed + missed;
evaluable ≤ assessed (an assessed record whose score or response is not evaluable)."""


def _out_of_follow_up_text() -> pl.Expr:
    """Patients of the analysis set not in follow-up at the time point, in words."""
    return pl.concat_str(
        [
            pl.when(pl.col("n_left_study") > 0).then(pl.format("{} left study", "n_left_study")),
            pl.when(pl.col("n_not_reached") > 0).then(pl.format("{} not reached", "n_not_reached")),
            pl.when(pl.col("n_status_not_recorded") > 0).then(
                pl.format("{} status not recorded", "n_status_not_recorded")
            ),
        ],
        separator="; ",
        ignore_nulls=True,
    ).fill_null("")


def rate_rows(
    rates: pl.DataFrame, labels: Mapping[str, str], *, by: str = "PARAMCD"
) -> pl.DataFrame:
    """A :func:`rates_by_timepoint` frame (with ``by``) as a long table: one row per outcome
    measure (in the order of ``labels``, code -> clinical label; codes not in ``labels`` are
    left out) and time point, each count in its own labelled column: "Outcome measure", "Time
    point", "In follow-up (n)", "Assessed (n)", "Missed (n)", "Evaluable (n)", "Responders
    (k)", "Responders (%)" (k / evaluable, whole percent), "Exact 95% CI (%)" (Clopper-Pearson,
    whole percent), "Not evaluable (reason)", "Not in follow-up". "–" where nobody was
    evaluable. In follow-up = assessed + missed; analysis set = in follow-up + left study +
    not reached + status not recorded."""
    require_columns(rates, [by, *RATE_COLUMNS], "rate_rows")
    order = pl.DataFrame(
        {by: list(labels), "Outcome measure": list(labels.values()), "_M": range(len(labels))},
        schema={by: rates.schema[by], "Outcome measure": pl.String, "_M": pl.Int64},
    )

    def pct(c: str) -> pl.Expr:
        return fixed_text(pl.col(c) * 100, 0)

    some = pl.col("n_evaluable") > 0
    return (
        rates.with_row_index("_T")
        .join(order, on=by, how="inner")
        .sort("_M", "_T")
        .select(
            "Outcome measure",
            pl.col("timepoint").alias("Time point"),
            *[pl.col(c).alias(lab) for c, lab in COUNT_LABELS.items()],
            pl.when(some)
            .then(pl.col("k").cast(pl.String))
            .otherwise(pl.lit("–"))
            .alias("Responders (k)"),
            pl.when(some).then(pct("rate")).otherwise(pl.lit("–")).alias("Responders (%)"),
            pl.when(some)
            .then(pl.format("{}–{}", pct("ci_low"), pct("ci_high")))
            .otherwise(pl.lit("–"))
            .alias("Exact 95% CI (%)"),
            pl.when(pl.col("n_not_evaluable") > 0)
            .then(pl.col("reasons"))
            .otherwise(pl.lit(""))
            .alias("Not evaluable (reason)"),
            _out_of_follow_up_text().alias("Not in follow-up"),
        )
    )


def score_rows(
    parts: Mapping[str, tuple[pl.DataFrame, pl.DataFrame | None]], *, decimals: int = 1
) -> pl.DataFrame:
    """Continuous scores as a long table: per score (label -> (:func:`summary_by_timepoint` of
    the score, of its change from baseline ``CHG`` or None), in the order of ``parts``) and
    time point: "Score", "Time point", "In follow-up (n)", "Assessed (n)", "Missed (n)",
    "Evaluable (n)" (assessed with a score), "Median (range)", "Change evaluable (n)" (a score
    now and at baseline; "–" where no change is defined, e.g. at baseline), "Change from baseline, median (range)", "Not in follow-up". An
    assessed record without a score (incomplete instrument) is assessed, not evaluable."""
    frames = []
    for label, (score, change) in parts.items():
        s = score.with_columns(
            pl.col("n").alias("n_evaluable"),
            median_range_text(decimals).alias("Median (range)"),
        )
        if change is not None:
            c = change.select(
                "timepoint",
                pl.col("n").alias("Change evaluable (n)"),
                median_range_text(decimals, signed=True).alias(
                    "Change from baseline, median (range)"
                ),
            )
            s = s.join(c, on="timepoint", how="left", maintain_order="left")
        else:
            s = s.with_columns(
                pl.lit(None, dtype=pl.Int64).alias("Change evaluable (n)"),
                pl.lit(None, dtype=pl.String).alias("Change from baseline, median (range)"),
            )
        frames.append(
            s.select(
                pl.lit(label).alias("Score"),
                pl.col("timepoint").alias("Time point"),
                *[pl.col(c).alias(lab) for c, lab in COUNT_LABELS.items()],
                "Median (range)",
                pl.col("Change evaluable (n)").cast(pl.String).fill_null("–"),
                pl.col("Change from baseline, median (range)").fill_null("–"),
                _out_of_follow_up_text().alias("Not in follow-up"),
            )
        )
    if not frames:
        return pl.DataFrame(
            schema={
                "Score": pl.String,
                "Time point": pl.String,
                **{lab: pl.Int64 for lab in COUNT_LABELS.values()},
                "Median (range)": pl.String,
                "Change evaluable (n)": pl.String,
                "Change from baseline, median (range)": pl.String,
                "Not in follow-up": pl.String,
            }
        )
    return pl.concat(frames, how="vertical")


def grouped_table(df: pl.DataFrame, *, group: str, id: str, **kwargs: object):
    """:func:`sle_car.tables.table` with the rows grouped under the values of ``group`` (one
    row-group heading per outcome measure, a time point per row)."""
    from sle_car.tables import Table, table

    t = table(df, id=id, **kwargs)  # type: ignore[arg-type]
    return Table(t.gt.tab_stub(groupname_col=group), t.id, t.n_rows)


def doris_off_therapy_vs_drug_free(
    adrs: pl.DataFrame, cm: pl.DataFrame | None, *, stable_days: int
) -> pl.DataFrame:
    """Why "DORIS remission off therapy (2017)" and "Drug-free DORIS remission" agree or
    differ, one row per reason with assessments and patients (``adrs``: ``DORISOFF`` and
    ``DORISDF`` rows; ``cm``: the clean medication record; None or no rows: not collected, as
    ``sle_car.derive.build.domains_not_collected`` reads an empty file, so the antimalarial
    rows are unknown (null), never 0).

    Definitions (``sle_car.instruments.doris_remission``): off therapy (van Vollenhoven 2017,
    Ann Rheum Dis 76:554) is clinical SLEDAI-2K = 0, PGA < 0.5, no glucocorticoid and no
    immunosuppressive or biologic, maintenance antimalarials allowed, with no stability rule;
    drug-free is DORIS 2021 (van Vollenhoven 2021, Lupus Sci Med 8:e000538: which adds "stable
    antimalarials") with no glucocorticoid, immunosuppressive or biologic, antimalarials
    allowed unless the option ``antimalarial_allowed_drug_free`` is false. So with the default
    options they differ only where an antimalarial was started within ``stable_days`` before
    the assessment (off therapy yes, drug-free no), and the option would make every
    off-therapy remission on an antimalarial not drug-free. Rows: assessments evaluable for
    both, in each, in both, discordant, on an antimalarial, and with a recent start."""
    require_columns(adrs, ["USUBJID", "PARAMCD", "ADY", "AVALC"], "doris_off_therapy_vs_drug_free")
    w = (
        adrs.filter(pl.col("PARAMCD").is_in(["DORISOFF", "DORISDF"]))
        .select("USUBJID", "ADY", "PARAMCD", (pl.col("AVALC") == "Y").alias("Y"))
        .pivot(on="PARAMCD", index=["USUBJID", "ADY"], values="Y")
    )
    for c in ("DORISOFF", "DORISDF"):
        if c not in w.columns:
            w = w.with_columns(pl.lit(None, dtype=pl.Boolean).alias(c))
    both = w.filter(pl.col("DORISOFF").is_not_null() & pl.col("DORISDF").is_not_null())
    if cm is not None and cm.height == 0:
        cm = None
    if cm is None:
        am = both.with_columns(
            pl.lit(None, pl.Boolean).alias("ONAM"), pl.lit(None, pl.Boolean).alias("AMNEW")
        )
    else:
        require_columns(
            cm, ["USUBJID", "CMCLAS", "CMSTDY", "CMENDY"], "doris_off_therapy_vs_drug_free"
        )
        on = (pl.col("CMSTDY") <= pl.col("ADY")) & (
            pl.col("CMENDY").is_null() | (pl.col("CMENDY") >= pl.col("ADY"))
        )
        prior = (
            (pl.col("CMSTRTPT") == "BEFORE").fill_null(False)
            if "CMSTRTPT" in cm.columns
            else pl.lit(False)
        )
        drugs = cm.filter(pl.col("CMCLAS") == "ANTIMALARIAL").with_columns(prior.alias("_PRIOR"))
        flags = (
            both.select("USUBJID", "ADY")
            .join(drugs, on="USUBJID", how="inner")
            .group_by("USUBJID", "ADY")
            .agg(
                on.any().alias("ONAM"),
                (
                    on
                    & pl.col("_PRIOR").not_()
                    & pl.col("CMSTDY").is_between(pl.col("ADY") - stable_days, pl.col("ADY"))
                )
                .any()
                .alias("AMNEW"),
            )
        )
        am = both.join(flags, on=["USUBJID", "ADY"], how="left").with_columns(
            pl.col("ONAM", "AMNEW").fill_null(False)
        )
    off = pl.col("DORISOFF")
    rows = {
        "Evaluable for both": pl.lit(True),
        "In remission off therapy (2017)": off,
        "In drug-free remission": pl.col("DORISDF"),
        "In both": off & pl.col("DORISDF"),
        "In one only (discordant)": off != pl.col("DORISDF"),
        "Off therapy, on an antimalarial (not drug-free if antimalarials are not allowed)": off
        & pl.col("ONAM"),
        f"Off therapy, antimalarial started within {stable_days} days (not drug-free: unstable)": off
        & pl.col("AMNEW"),
    }
    return pl.concat(
        [
            am.filter(expr.fill_null(False)).select(
                pl.lit(label).alias("Assessments"),
                pl.len().cast(pl.Int64).alias("Assessments (n)"),
                pl.col("USUBJID").n_unique().cast(pl.Int64).alias("Patients (n)"),
            )
            if cm is not None or "antimalarial" not in label
            else pl.DataFrame(
                {"Assessments": [label], "Assessments (n)": [None], "Patients (n)": [None]},
                schema={
                    "Assessments": pl.String,
                    "Assessments (n)": pl.Int64,
                    "Patients (n)": pl.Int64,
                },
            )
            for label, expr in rows.items()
        ]
    )
