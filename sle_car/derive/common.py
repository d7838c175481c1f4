"""The admiral grammar in polars: small derivations shared by every analysis dataset.

Conventions (pharmaverse admiral, ``shared/reference/style.md``): ``derive_var_*`` adds one
variable, ``derive_vars_*`` several, ``derive_param_*`` adds parameter rows, ``compute_*``
returns a ``pl.Expr``. Every function takes a frame and keyword arguments (``by_vars``,
``order``, ``new_var``, ``filter``), never sorts its result, never writes files, and first
checks the columns it needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import polars as pl

from data_schemas import codelists as cl
from sle_car._checks import require_columns
from sle_car.sap import DEFAULTS

BASELINE_BEFORE_DAY = DEFAULTS.first_treatment_day
"""Default: baseline is the last assessment before lymphodepletion starts, i.e. before the
first treatment day (``DEFAULTS.first_treatment_day``, day -5): the same day that makes
adverse events treatment-emergent, so the two can never disagree."""


@cache
def analysis_windows() -> pl.DataFrame:
    """Analysis visit windows: each protocol visit (leukapheresis excepted) owns the study
    days from the midpoint with the previous visit's nominal day (inclusive) to the midpoint
    with the next (exclusive). Days before the infusion are SCREENING or BASELINE (split at the
    midpoint of their nominal days), never a post-infusion visit; day 0 starts DAY 0."""
    visits = [v for v in cl.VISITS if v.name != "LEUKAPHERESIS"]
    rows = []
    for i, v in enumerate(visits):
        lo = -100_000 if i == 0 else (visits[i - 1].day + v.day + 1) // 2
        hi = 100_000 if i == len(visits) - 1 else (v.day + visits[i + 1].day + 1) // 2
        if v.name == "BASELINE":
            hi = 0  # nothing on or after the infusion day is baseline
        if v.name == "DAY 0":
            lo = 0
        rows.append(
            {"AVISITN": v.visitnum, "AVISIT": v.name, "_NOMDY": v.day, "_LO": lo, "_HI": hi}
        )
    return pl.DataFrame(rows)


def derive_vars_visit_window(df: pl.DataFrame, *, day: str = "ADY") -> pl.DataFrame:
    """Add ``AVISIT``, ``AVISITN`` and ``_NOMDY`` (nominal day) from the study day (windows of
    :func:`analysis_windows`, found by binary search on their lower bounds)."""
    require_columns(df, [day], "derive_vars_visit_window")
    w = analysis_windows().sort("_LO")
    idx = pl.Series(w["_LO"]).search_sorted(df[day], side="right") - 1
    return df.with_columns(
        w["AVISITN"].gather(idx).alias("AVISITN"),
        w["AVISIT"].gather(idx).alias("AVISIT"),
        w["_NOMDY"].gather(idx).alias("_NOMDY"),
    )


def derive_var_ablfl(
    df: pl.DataFrame,
    *,
    by_vars: list[str],
    order: str = "ADY",
    before_day: int = BASELINE_BEFORE_DAY,
    new_var: str = "ABLFL",
) -> pl.DataFrame:
    """Flag "Y" the last record with a non-missing ``AVAL`` (or ``AVALC``) and ``order`` <
    ``before_day`` within ``by_vars``: the baseline (before lymphodepletion by default)."""
    require_columns(df, [*by_vars, order, "AVAL"], "derive_var_ablfl")
    has_value = pl.col("AVAL").is_not_null()
    if "AVALC" in df.columns:
        has_value = has_value | pl.col("AVALC").is_not_null()
    x = df.with_row_index("_i")
    chosen = (
        x.filter(has_value & (pl.col(order) < before_day))
        .select(*by_vars, order, "_i")
        .sort([*by_vars, order, "_i"], descending=[False] * len(by_vars) + [True, False])
        .unique(subset=by_vars, keep="first")
        .select("_i")
    )
    flag = pl.col("_i").is_in(chosen["_i"].implode())
    return x.with_columns(pl.when(flag).then(pl.lit("Y")).alias(new_var)).drop("_i")


def derive_var_base(
    df: pl.DataFrame, *, by_vars: list[str], source: str = "AVAL", new_var: str = "BASE"
) -> pl.DataFrame:
    """Add ``BASE``: the ``source`` value of the record flagged ``ABLFL`` within ``by_vars``."""
    require_columns(df, [*by_vars, source, "ABLFL"], "derive_var_base", "derive_var_ablfl")
    base = pl.when(pl.col("ABLFL") == "Y").then(pl.col(source)).max().over(by_vars)
    return df.with_columns(base.alias(new_var))


def derive_var_chg(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``CHG`` = ``AVAL`` - ``BASE`` for post-baseline records (null at and before
    baseline), rounded to 6 decimals against floating-point noise."""
    require_columns(df, ["AVAL", "BASE", "ABLFL", "ADY"], "derive_var_chg", "derive_var_base")
    post = pl.col("ABLFL").is_null() & (pl.col("ADY") >= 0)
    return df.with_columns(
        pl.when(post).then((pl.col("AVAL") - pl.col("BASE")).round(6)).alias("CHG")
    )


def derive_var_anl01fl(
    df: pl.DataFrame,
    *,
    by_vars: list[str],
    new_var: str = "ANL01FL",
    keep_not_evaluable: str | None = None,
) -> pl.DataFrame:
    """Flag "Y" one record per ``by_vars`` + analysis visit: the one with a value closest to
    the visit's nominal day (the earlier on a tie). With ``keep_not_evaluable`` (a reason
    column, e.g. ``NEREASON``), a record without a value but with a reason may be chosen
    too, so that a not-evaluable visit stays visible; records with a value come first."""
    require_columns(
        df,
        [*by_vars, "AVISITN", "ADY", "_NOMDY", "AVAL"],
        "derive_var_anl01fl",
        "derive_vars_visit_window",
    )
    keys = [*by_vars, "AVISITN"]
    dist = (pl.col("ADY") - pl.col("_NOMDY")).abs() * 2 + (pl.col("ADY") > pl.col("_NOMDY"))
    has = pl.col("AVAL").is_not_null()
    if "AVALC" in df.columns:
        has = has | pl.col("AVALC").is_not_null()
    usable = has
    if keep_not_evaluable is not None:
        usable = has | pl.col(keep_not_evaluable).is_not_null()
    x = df.with_row_index("_i")
    chosen = (
        x.filter(usable)
        .group_by(keys)
        .agg(pl.col("_i").sort_by(has.not_(), dist, pl.col("ADY"), pl.col("_i")).first())
        .get_column("_i")
    )
    flag = pl.col("_i").is_in(chosen.implode())
    return x.with_columns(pl.when(flag).then(pl.lit("Y")).alias(new_var)).drop("_i")


def derive_var_anrind(df: pl.DataFrame) -> pl.DataFrame:
    """Add ``ANRIND`` (LOW / NORMAL / HIGH against ``ANRLO``/``ANRHI``) and ``BNRIND`` (the
    baseline record's ``ANRIND``)."""
    require_columns(
        df, ["AVAL", "ANRLO", "ANRHI", "USUBJID", "PARAMCD", "ABLFL"], "derive_var_anrind"
    )
    ind = (
        pl.when(pl.col("AVAL").is_null())
        .then(None)
        .when(pl.col("ANRLO").is_not_null() & (pl.col("AVAL") < pl.col("ANRLO")))
        .then(pl.lit("LOW"))
        .when(pl.col("ANRHI").is_not_null() & (pl.col("AVAL") > pl.col("ANRHI")))
        .then(pl.lit("HIGH"))
        .when(pl.col("ANRLO").is_not_null() | pl.col("ANRHI").is_not_null())
        .then(pl.lit("NORMAL"))
    )
    out = df.with_columns(ind.alias("ANRIND"))
    return derive_var_base(out, by_vars=["USUBJID", "PARAMCD"], source="ANRIND", new_var="BNRIND")


def compute_duration(start: pl.Expr, end: pl.Expr, *, add_one: bool = DEFAULTS.add_one) -> pl.Expr:
    """Days from ``start`` to ``end``. The study's time convention is day 0 = infusion and
    times in days since the origin (``add_one=False``, the default), so that a remission
    seen at the day-84 visit is 84 days in every table, figure and KM estimate; admiral's
    ``derive_vars_duration`` adds 1 (an event on the origin day has AVAL 1, instruments.md
    §14.3): ``add_one=True``."""
    return end - start + (1 if add_one else 0)


def drug_exposure_by_day(
    cm: pl.DataFrame,
    days: pl.DataFrame,
    *,
    stable_days: int = DEFAULTS.stable_days,
    collected: bool = True,
) -> pl.DataFrame:
    """For each (USUBJID, ADY) of ``days``: ``PREDDOSE`` (sum of prednisolone-equivalent
    doses active that day), ``ONIS`` (an immunosuppressant or biologic active), ``ONAM`` (an
    antimalarial active), ``ISUNSTABLE`` (an antimalarial, immunosuppressant or biologic
    active on the day and started within ``stable_days`` before it, an SAP choice: DORIS
    does not quantify "stable"; a drug stopped before the day is not therapy on that day),
    ``TRTFAIL`` (an immunosuppressant or biologic started after infusion and by
    that day: treatment failure for BICLA).

    Therapy started before the study: when ``cm`` has ``CMSTRTPT`` (SDTM start relative to
    reference time point), a period with ``CMSTRTPT`` "BEFORE" carries the screening day as
    ``CMSTDY`` only as a stand-in (the CM contract); its true start precedes the study, so
    it is never a recent start (background therapy is stable by eligibility). Without the
    column, ``CMSTDY`` is taken as the true start, as the bundled data record it.

    ``collected=False`` (the cut has no CM file: medication was not collected): every one of
    these columns is null, i.e. unknown, so that DORIS, LLDAS and BICLA are not evaluable
    ("glucocorticoid dose unknown") instead of reading an absent record as "no therapy". A CM
    file with no rows is collected: no medication."""
    require_columns(
        cm, ["USUBJID", "CMCLAS", "CMPREDEQ", "CMSTDY", "CMENDY"], "drug_exposure_by_day"
    )
    require_columns(days, ["USUBJID", "ADY"], "drug_exposure_by_day")
    if not collected:
        return days.with_columns(
            pl.lit(None, pl.Float64).alias("PREDDOSE"),
            *[pl.lit(None, pl.Boolean).alias(c) for c in ("ONIS", "ONAM", "ISUNSTABLE", "TRTFAIL")],
        )
    keys = days.select("USUBJID", "ADY").unique()
    active = (pl.col("CMSTDY") <= pl.col("ADY")) & (
        pl.col("CMENDY").is_null() | (pl.col("CMENDY") >= pl.col("ADY"))
    )
    is_bio = pl.col("CMCLAS").is_in(["IMMUNOSUPPRESSANT", "BIOLOGIC"])
    prior = (
        (pl.col("CMSTRTPT") == "BEFORE").fill_null(False)
        if "CMSTRTPT" in cm.columns
        else pl.lit(False)
    )
    x = keys.join(cm, on="USUBJID", how="left").with_columns(
        active.fill_null(False).alias("_ON"), prior.alias("_PRIOR")
    )
    agg = x.group_by("USUBJID", "ADY").agg(
        pl.col("CMPREDEQ")
        .filter(pl.col("_ON") & (pl.col("CMCLAS") == "GLUCOCORTICOID"))
        .sum()
        .alias("PREDDOSE"),
        (pl.col("_ON") & is_bio).any().alias("ONIS"),
        (pl.col("_ON") & (pl.col("CMCLAS") == "ANTIMALARIAL")).any().alias("ONAM"),
        (
            (is_bio | (pl.col("CMCLAS") == "ANTIMALARIAL"))
            & pl.col("_ON")
            & pl.col("_PRIOR").not_()
            & pl.col("CMSTDY").is_between(pl.col("ADY") - stable_days, pl.col("ADY"))
        )
        .fill_null(False)
        .any()
        .alias("ISUNSTABLE"),
        (is_bio & (pl.col("CMSTDY") > 0) & (pl.col("CMSTDY") <= pl.col("ADY")))
        .fill_null(False)
        .any()
        .alias("TRTFAIL"),
    )
    return days.join(agg, on=["USUBJID", "ADY"], how="left")


# --- time to event: admiral's derive_param_tte with event_source / censor_source ------------------
@dataclass(frozen=True)
class TTESource:
    """One source of events or censorings for :func:`derive_param_tte` (admiral's
    ``event_source`` / ``censor_source``): rows of the dataset ``dataset_name`` that pass
    ``filter``, at the study day in column ``date``, coded ``CNSR`` = ``censor`` (0 = event),
    with the variables ``set_values_to`` (``EVNTDESC``, ``CNSDTDSC``, ``SRCDOM`` ...; values
    are literals or polars expressions)."""

    dataset_name: str
    date: str = "ADY"
    filter: pl.Expr | None = None
    censor: int = 0
    set_values_to: dict[str, object] = field(default_factory=dict)


def event_source(
    dataset_name: str,
    *,
    date: str = "ADY",
    filter: pl.Expr | None = None,
    set_values_to: dict[str, object] | None = None,
) -> TTESource:
    """An event source (``CNSR`` 0): admiral ``event_source()``."""
    return TTESource(dataset_name, date, filter, 0, dict(set_values_to or {}))


def censor_source(
    dataset_name: str,
    *,
    date: str = "ADY",
    filter: pl.Expr | None = None,
    censor: int = 1,
    set_values_to: dict[str, object] | None = None,
) -> TTESource:
    """A censoring source (``CNSR`` = ``censor`` ≥ 1): admiral ``censor_source()``."""
    if censor < 1:
        raise ValueError(f"censor_source: censor must be 1 or more, not {censor}")
    return TTESource(dataset_name, date, filter, censor, dict(set_values_to or {}))


TTE_VALUE_COLUMNS = ("EVNTDESC", "CNSDTDSC", "SRCDOM")


def derive_param_tte(
    dataset_adsl: pl.DataFrame,
    *,
    source_datasets: dict[str, pl.DataFrame],
    start_date: str,
    event_conditions: list[TTESource],
    censor_conditions: list[TTESource],
    set_values_to: dict[str, object],
    add_one: bool = DEFAULTS.add_one,
) -> pl.DataFrame:
    """One time-to-event parameter (admiral ``derive_param_tte``): for each subject of
    ``dataset_adsl`` with a ``start_date`` (study day of the origin, ``STARTDY``), the
    earliest event of the ``event_conditions``; without one, the latest censoring of the
    ``censor_conditions``; subjects with neither are left out. On a tie the earlier-listed
    source wins. Each source's rows are first joined with the subject's ``STARTDY``, so a
    ``filter`` may refer to it (e.g. ``pl.col("ADY") > pl.col("STARTDY")``). ``AVAL`` is
    :func:`compute_duration` from ``STARTDY`` to ``ADY`` (``add_one``); ``set_values_to``
    sets ``PARAMCD``, ``PARAM`` and any constant."""
    require_columns(dataset_adsl, ["USUBJID", start_date], "derive_param_tte")
    subj = dataset_adsl.select("USUBJID", pl.col(start_date).cast(pl.Int64).alias("STARTDY"))
    subj = subj.filter(pl.col("STARTDY").is_not_null())

    def rows(sources: list[TTESource]) -> pl.DataFrame:
        parts = []
        for order, src in enumerate(sources):
            data = source_datasets[src.dataset_name]
            require_columns(data, ["USUBJID", src.date], f"derive_param_tte ({src.dataset_name})")
            x = data.drop("STARTDY", strict=False).join(subj, on="USUBJID", how="inner")
            if src.filter is not None:
                x = x.filter(src.filter)
            values = {c: src.set_values_to.get(c) for c in TTE_VALUE_COLUMNS}
            parts.append(
                x.filter(pl.col(src.date).is_not_null()).select(
                    "USUBJID",
                    "STARTDY",
                    pl.col(src.date).cast(pl.Int64).alias("ADY"),
                    pl.lit(src.censor, dtype=pl.Int64).alias("CNSR"),
                    pl.lit(order, dtype=pl.Int64).alias("_ORDER"),
                    *[
                        (v if isinstance(v, pl.Expr) else pl.lit(v, dtype=pl.String))
                        .cast(pl.String)
                        .alias(c)
                        for c, v in values.items()
                    ],
                )
            )
        schema = {
            "USUBJID": pl.String,
            "STARTDY": pl.Int64,
            "ADY": pl.Int64,
            "CNSR": pl.Int64,
            "_ORDER": pl.Int64,
            **{c: pl.String for c in TTE_VALUE_COLUMNS},
        }
        return pl.concat(parts) if parts else pl.DataFrame(schema=schema)

    events = (
        rows(event_conditions)
        .sort("USUBJID", "ADY", "_ORDER")
        .unique(subset="USUBJID", keep="first", maintain_order=True)
    )
    censors = (
        rows(censor_conditions)
        .sort(["USUBJID", "ADY", "_ORDER"], descending=[False, True, False])
        .unique(subset="USUBJID", keep="first", maintain_order=True)
        .join(events.select("USUBJID"), on="USUBJID", how="anti")
    )
    out = pl.concat([events, censors]).with_columns(
        compute_duration(pl.col("STARTDY"), pl.col("ADY"), add_one=add_one)
        .cast(pl.Float64)
        .alias("AVAL"),
        pl.lit("DAYS").alias("AVALU"),
        *[pl.lit(v).alias(k) for k, v in set_values_to.items()],
    )
    return out.select(
        "USUBJID",
        *set_values_to,
        "AVAL",
        "AVALU",
        "STARTDY",
        "ADY",
        "CNSR",
        pl.when(pl.col("CNSR") == 0).then(pl.col("EVNTDESC")).alias("EVNTDESC"),
        pl.when(pl.col("CNSR") > 0).then(pl.col("CNSDTDSC")).alias("CNSDTDSC"),
        "SRCDOM",
    ).sort("USUBJID")
