"""Immunology over time (issue 18): who was in follow-up and assessed at each protocol month,
B-cell aplasia by month, the autoantibody panel with each antibody's own cut-off and
comparator, seroconversion among the baseline-positive, and values that a log scale cannot
draw (zero, below detection) made explicit instead of silently dropped.

Sources: the protocol's immunology schedule (``study/protocol.qmd``: "B-cell aplasia by flow
cytometry; SLE autoantibodies at months 1, 3, 6, …, 24"); B-cell aplasia as derived in ADRS
``BCAPL`` (``sle_car.instruments.bcell_aplasia_flag``: CD19+ B cells strictly below
``DEFAULTS.bcell_abs_max`` cells/µL; instruments.md §13); antibody cut-offs and comparators from
the data contract ``data_schemas/autoantibody_panel.csv`` (``CUTOFF_SOURCE`` cites each one).

Every function is a pure polars transformation on small frames; none sorts rows by Python
loops or writes files.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import require_columns
from sle_car.endpoints_by_visit import (
    EFFICACY_WEEKS,
    FOLLOW_UP_MONTHS,
    IMMUNOLOGY_MONTHS,
    rates_by_timepoint,
)
from sle_car.figures import DAYS_PER_MONTH
from sle_car.instruments.bcell import bcell_aplasia_flag, bcell_reconstitution
from sle_car.population import median_range
from sle_car.sap import DEFAULTS

DIRECTIONS = (">=", ">")
"""Comparators a cut-off may carry (``CUTOFF_DIRECTION``): a value is positive when
``value >= cut-off`` or ``value > cut-off``; which one is part of each antibody's definition
(anti-dsDNA: ≥ 30 IU/mL is positive, BLISS, Furie 2014; instruments.md §13 SERO-T03)."""


BCELL_VISITS: dict[str, str] = {
    **{
        label
        + {"WEEK 4": " (month 1)", "WEEK 12": " (month 3)", "WEEK 24": " (month 6)"}.get(
            visit, ""
        ): visit
        for label, visit in EFFICACY_WEEKS.items()
    },
    **FOLLOW_UP_MONTHS,
}
"""Every flow-cytometry visit after the first 28 days: weeks 4, 8, ..., 28 (every 4 weeks;
weeks 4, 12 and 24 are the protocol's immunology months 1, 3 and 6), then months 9, 12, ...,
24 (``data_schemas.codelists.VISITS``). B cells return between weeks 12 and 24 after CD19
CAR T cells (Mackensen 2022: 110 ± 32 days), so a table of months 1, 3 and 6 only would jump
from 100 % to 0 % (issue 18 review)."""


def aplasia_by_visit(
    adrs: pl.DataFrame,
    population: pl.DataFrame,
    *,
    timepoints: dict[str, str] = BCELL_VISITS,
) -> pl.DataFrame:
    """B-cell aplasia rate at every flow-cytometry visit (``BCELL_VISITS``: weeks 4, 8, ...,
    28, then months 9, 12, ..., 24) from the per-visit aplasia already derived (ADRS
    ``BCAPL``: CD19+ B cells strictly below ``DEFAULTS.bcell_abs_max`` cells/µL,
    ``sle_car.instruments.bcell_aplasia_flag``, instruments.md §13), with n in follow-up,
    assessed, evaluable, k, rate and exact 95% CI and the patients not assessed by reason
    (``rates_by_timepoint``). ``population``: ADSL rows of the analysis set (the infused
    patients, ``SAFFL`` "Y")."""
    require_columns(adrs, ["PARAMCD"], "aplasia_by_visit", "ADRS")
    return rates_by_timepoint(
        adrs.filter(pl.col("PARAMCD") == "BCAPL"),
        timepoints=timepoints,
        population=population,
    )


RECON_OBSERVED = "reconstituted"
RECON_CENSORED = "no confirmed reconstitution"
RECON_NO_APLASIA = "no confirmed aplasia"
RECON_NOT_ASSESSED = "no B-cell sample"


def bcell_reconstitution_by_patient(
    adlb: pl.DataFrame,
    population: pl.DataFrame,
    *,
    abs_max: float = DEFAULTS.bcell_abs_max,
    confirm_n: int = DEFAULTS.bcell_confirm_n,
) -> pl.DataFrame:
    """Per patient of ``population`` (ADSL rows of the analysis set): when B-cell aplasia
    began, whether and when B cells came back, and how long aplasia lasted, by the package's
    one B-cell rule (``sle_car.instruments.bcell``; instruments.md §13): a sample is aplastic
    when CD19+ B cells (ADLB ``BLYCE``, cells/µL) are strictly below ``abs_max``
    (``bcell_aplasia_flag``); aplasia begins on the first of ``confirm_n`` consecutive
    aplastic samples after the infusion (``APLDY``); reconstitution is the first
    post-aplasia count at or above ``abs_max`` that the next ``confirm_n`` - 1 samples
    confirm (``RECDY``, ``bcell_reconstitution``; the same rule as ADTTE ``TTBCREC``).

    Columns: ``USUBJID``; ``APLDY``; ``LASTAPLDY`` (reconstituted patients only: the last
    aplastic sample before ``RECDY``; B cells came back after it and by ``RECDY``, so with
    4-weekly flow cytometry ``RECDY`` is an upper bound up to ~28 days late); ``RECDY``; ``LASTDY`` (last B-cell sample after the
    infusion); ``STATUS`` (:data:`RECON_OBSERVED`, :data:`RECON_CENSORED` — censored: still
    aplastic at the last sample, or a first count at or above the threshold not yet confirmed
    by enough later samples —, :data:`RECON_NO_APLASIA`, :data:`RECON_NOT_ASSESSED`);
    ``DURDY`` = ``RECDY`` - ``APLDY`` when reconstituted, ``LASTDY`` - ``APLDY`` when
    censored (then a lower bound: "≥"), null otherwise; ``CNSR`` (0 event, 1 censored, null
    not applicable); ``RECMO`` and ``DURMO``: the same in months (day / 30.4375)."""
    require_columns(adlb, ["USUBJID", "PARAMCD", "ADY", "AVAL"], "bcell_reconstitution", "ADLB")
    require_columns(population, ["USUBJID"], "bcell_reconstitution", "ADSL")
    b = bcell_aplasia_flag(
        adlb.filter(pl.col("PARAMCD") == "BLYCE").select(
            "USUBJID", "ADY", pl.col("AVAL").alias("BCELL")
        ),
        abs_max=abs_max,
    )
    rec = bcell_reconstitution(b, confirm_n=confirm_n)
    # the last aplastic sample before the reconstitution day: B cells came back in between
    last_aplastic = (
        b.join(rec.select("USUBJID", "RECDY"), on="USUBJID", how="inner")
        .filter(pl.col("BCAPL").fill_null(False) & (pl.col("ADY") < pl.col("RECDY")))
        .group_by("USUBJID")
        .agg(pl.col("ADY").max().alias("LASTAPLDY"))
    )
    rec = rec.join(last_aplastic, on="USUBJID", how="left")
    out = (
        population.select("USUBJID").unique(maintain_order=True).join(rec, on="USUBJID", how="left")
    )
    status = (
        pl.when(pl.col("LASTDY").is_null())
        .then(pl.lit(RECON_NOT_ASSESSED))
        .when(pl.col("APLDY").is_null())
        .then(pl.lit(RECON_NO_APLASIA))
        .when(pl.col("RECDY").is_not_null())
        .then(pl.lit(RECON_OBSERVED))
        .otherwise(pl.lit(RECON_CENSORED))
    )
    out = out.with_columns(status.alias("STATUS"))
    observed = pl.col("STATUS") == RECON_OBSERVED
    censored = pl.col("STATUS") == RECON_CENSORED
    return (
        out.with_columns(
            pl.when(observed)
            .then(pl.col("RECDY") - pl.col("APLDY"))
            .when(censored)
            .then(pl.col("LASTDY") - pl.col("APLDY"))
            .alias("DURDY"),
            pl.when(observed).then(0).when(censored).then(1).cast(pl.Int8).alias("CNSR"),
            pl.when(observed).then(pl.col("LASTAPLDY")).alias("LASTAPLDY"),
        )
        .with_columns(
            (pl.col("RECDY") / DAYS_PER_MONTH).alias("RECMO"),
            (pl.col("DURDY") / DAYS_PER_MONTH).alias("DURMO"),
        )
        .select(
            "USUBJID",
            "APLDY",
            "LASTAPLDY",
            "RECDY",
            "LASTDY",
            "STATUS",
            "DURDY",
            "CNSR",
            "RECMO",
            "DURMO",
        )
        .sort("USUBJID")
    )


def median_range_text(values: pl.Series, *, decimals: int = 1) -> str:
    """ "median (min–max)" of the non-null ``values`` rounded to ``decimals``; "–" when there
    is none (:func:`sle_car.population.median_range`, the table's dash for "no patient")."""
    return median_range(values, decimals=decimals, empty="–")


def mean_sd_text(values: pl.Series, *, decimals: int = 0) -> str:
    """ "mean ± SD" of the non-null ``values`` (sample SD, n - 1 in the denominator) rounded
    to ``decimals``; the mean alone for one value; "–" for none. The form in which published
    CAR-T series report B-cell reappearance (Mackensen 2022: 110 ± 32 days), so the pilot can
    be set beside it like for like."""
    v = values.drop_nulls()
    if v.len() == 0:
        return "–"
    mean = f"{v.mean():.{decimals}f}"
    return mean if v.len() == 1 else f"{mean} ± {v.std(ddof=1):.{decimals}f}"


def reconstitution_summary(recon: pl.DataFrame) -> dict[str, object]:
    """Counts and medians over :func:`bcell_reconstitution_by_patient`'s output: patients
    with confirmed aplasia ``n_aplasia``, reconstituted ``n_observed``, still aplastic at
    their last assessment ``n_censored``; ``reconstitution_month`` and
    ``duration_months``: median (range) among the reconstituted (``median_range_text``);
    ``reconstitution_day_mean_sd``: mean ± SD of the reconstitution day (``mean_sd_text``; the
    summary Mackensen 2022 gives, 110 ± 32 days); ``km_median_months``: the Kaplan-Meier median duration of aplasia (censored patients
    counted until their last sample; ``sle_car.stats.km_median``), "NE" when not reached —
    the one median valid when some patients are censored."""
    import numpy as np

    from sle_car.stats import km_median

    ev = recon.filter(pl.col("CNSR").is_not_null())
    obs = ev.filter(pl.col("CNSR") == 0)
    km = (
        km_median(ev["DURMO"].to_numpy(), (ev["CNSR"] == 0).to_numpy().astype(bool))
        if ev.height
        else None
    )
    km_text = "–"
    if km is not None:
        km_text = f"{km['median']:.1f}" if np.isfinite(km["median"]) else "not reached"
    return {
        "n_aplasia": ev.height,
        "n_observed": obs.height,
        "n_censored": ev.height - obs.height,
        "reconstitution_month": median_range_text(obs["RECMO"]),
        "reconstitution_day": median_range_text(obs["RECDY"].cast(pl.Float64), decimals=0),
        "reconstitution_day_mean_sd": mean_sd_text(obs["RECDY"].cast(pl.Float64)),
        "duration_months": median_range_text(obs["DURMO"]),
        "km_median_months": km_text,
    }


# --- the autoantibody panel -------------------------------------------------------------------
PANEL_COLUMNS = (
    "LBTESTCD",
    "LABEL",
    "UNIT",
    "CUTOFF",
    "CUTOFF_DIRECTION",
    "CUTOFF_SOURCE",
    "ORDER",
)


def check_panel(panel: pl.DataFrame, *, source: str = "autoantibody_panel.csv") -> pl.DataFrame:
    """The panel contract (``data_schemas/autoantibody_panel.csv``) checked: its columns, one
    row per ``LBTESTCD``, a numeric ``CUTOFF`` where one is given and a ``CUTOFF_DIRECTION``
    of ``DIRECTIONS``. A bad row is a ``ValueError`` naming the file, the row (header = row 1),
    the column, the value and what to do."""
    missing = [c for c in PANEL_COLUMNS if c not in panel.columns]
    if missing:
        raise ValueError(
            f"{source}: column(s) {', '.join(missing)} missing; the panel needs "
            f"{', '.join(PANEL_COLUMNS)} (data_schemas/CONTRACT_18.md)."
        )
    p = panel.with_row_index("_ROW", offset=2).with_columns(
        pl.col("CUTOFF").cast(pl.Float64, strict=False).alias("_CUT"),
        pl.col("CUTOFF_DIRECTION").cast(pl.String).str.strip_chars().alias("_DIR"),
    )
    bad_cut = p.filter(pl.col("CUTOFF").is_not_null() & pl.col("_CUT").is_null())
    if bad_cut.height:
        r = bad_cut.row(0, named=True)
        raise ValueError(
            f"{source}: row {r['_ROW']}, column CUTOFF, value {r['CUTOFF']!r} is not a number; "
            "write the cut-off in the panel's UNIT, or leave it empty when the test has none."
        )
    bad_dir = p.filter(pl.col("_CUT").is_not_null() & ~pl.col("_DIR").is_in(list(DIRECTIONS)))
    if bad_dir.height:
        r = bad_dir.row(0, named=True)
        raise ValueError(
            f"{source}: row {r['_ROW']}, column CUTOFF_DIRECTION, value "
            f"{r['CUTOFF_DIRECTION']!r} is not one of {', '.join(DIRECTIONS)}; write '>=' when "
            "a value equal to the cut-off is positive, '>' when it is negative."
        )
    dup = p.filter(pl.col("LBTESTCD").is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        raise ValueError(
            f"{source}: row {r['_ROW']}, column LBTESTCD, value {r['LBTESTCD']!r} appears "
            "more than once; keep one row per test."
        )
    return p.select(
        "LBTESTCD",
        "LABEL",
        "UNIT",
        pl.col("_CUT").alias("CUTOFF"),
        pl.col("_DIR").alias("CUTOFF_DIRECTION"),
        "CUTOFF_SOURCE",
        pl.col("ORDER").cast(pl.Int64),
    ).sort("ORDER")


def compute_positive(value: pl.Expr, cutoff: pl.Expr, direction: pl.Expr) -> pl.Expr:
    """Positive (boolean) by each row's own comparator: ``value >= cutoff`` where
    ``direction`` is ">=", ``value > cutoff`` where it is ">"; null when the value or the
    cut-off is missing (not assessable, never negative). Values are compared rounded to 6
    decimals (``sle_car._checks.cmp``, instruments.md §0 rule 2)."""
    v, c = value.round(6), cutoff.round(6)
    return (
        pl.when(value.is_null() | cutoff.is_null())
        .then(None)
        .when(direction == ">=")
        .then(v >= c)
        .when(direction == ">")
        .then(v > c)
        .otherwise(None)
    )


def derive_var_abpos(adlb: pl.DataFrame, panel: pl.DataFrame) -> pl.DataFrame:
    """ADLB analysis records (``ANL01FL`` "Y") of the panel's antibodies with the panel's
    ``LABEL``, ``UNIT``, ``CUTOFF``, ``CUTOFF_DIRECTION``, ``ORDER`` and ``ABPOS`` (boolean,
    ``compute_positive``) and ``BASEPOS`` (the baseline record's
    ``ABPOS``, per subject and antibody). ``panel``: ``check_panel``'s output."""
    require_columns(
        adlb, ["USUBJID", "PARAMCD", "AVAL", "ADY", "AVISIT", "ABLFL", "ANL01FL"], "ADLB"
    )
    p = panel.select("LBTESTCD", "LABEL", "UNIT", "CUTOFF", "CUTOFF_DIRECTION", "ORDER")
    x = (
        adlb.filter(pl.col("ANL01FL") == "Y")
        .join(p, left_on="PARAMCD", right_on="LBTESTCD", how="inner")
        .with_columns(
            compute_positive(pl.col("AVAL"), pl.col("CUTOFF"), pl.col("CUTOFF_DIRECTION")).alias(
                "ABPOS"
            ),
        )
    )
    base = pl.when(pl.col("ABLFL") == "Y").then(pl.col("ABPOS").cast(pl.Int8)).max()
    return x.with_columns(
        (base.over("USUBJID", "PARAMCD") == 1).alias("BASEPOS"),
    )


def seroconversion_flags(ab: pl.DataFrame) -> pl.DataFrame:
    """Seroconversion to negative, defined only for patients positive at baseline: rows of
    ``derive_var_abpos`` after the infusion (``ADY`` > 0) whose ``BASEPOS`` is true, with
    ``SERONEG`` = not ``ABPOS`` (null when the result is not assessable). A patient negative
    or unmeasured at baseline cannot seroconvert and is not in the denominator."""
    require_columns(ab, ["ABPOS", "BASEPOS", "ADY"], "seroconversion_flags", "derive_var_abpos")
    return ab.filter(pl.col("BASEPOS").fill_null(False) & (pl.col("ADY") > 0)).with_columns(
        (~pl.col("ABPOS")).alias("SERONEG")
    )


def positivity_by_month(ab: pl.DataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """Per antibody (``ORDER``, ``LABEL``) and immunology time point (baseline, then months 1,
    3, 6, ..., 24): patients positive ``k`` of those with a result ``n_evaluable``, with the
    follow-up accounting of ``rates_by_timepoint``. ``ab``: ``derive_var_abpos``."""
    return rates_by_timepoint(
        ab,
        timepoints={"Baseline": "BASELINE", **IMMUNOLOGY_MONTHS},
        population=population,
        flag="ABPOS",
        reason=None,
        by=["ORDER", "LABEL"],
    )


def seroconversion_by_month(ab: pl.DataFrame, population: pl.DataFrame) -> pl.DataFrame:
    """Per antibody and month (1, 3, 6, ..., 24): among the patients of ``population``
    positive for that antibody at baseline only, ``k`` negative of ``n_evaluable`` with a
    result (``seroconversion_flags``); ``n_population`` is the number positive at baseline.
    Antibodies nobody was positive for at baseline have no row."""
    require_columns(
        ab, ["ORDER", "LABEL", "BASEPOS"], "seroconversion_by_month", "derive_var_abpos"
    )
    positive = ab.filter(pl.col("BASEPOS").fill_null(False))
    parts = [
        rates_by_timepoint(
            seroconversion_flags(g),
            timepoints=IMMUNOLOGY_MONTHS,
            # every patient positive at baseline, with or without a later result
            population=population.filter(pl.col("USUBJID").is_in(g["USUBJID"].implode())),
            flag="SERONEG",
            reason=None,
            by=["ORDER", "LABEL"],
        )
        for _, g in positive.group_by("ORDER", maintain_order=True)  # one group per antibody
    ]
    return pl.concat(parts).sort("ORDER") if parts else pl.DataFrame()


# --- log scales -------------------------------------------------------------------------------
def log_floor(
    df: pl.DataFrame, *, value: str = "AVAL", by: str | list[str] | None = None
) -> pl.DataFrame:
    """Values a log axis cannot draw, made explicit: adds ``LOGY`` (the value, or for a value
    ≤ 0 — zero or below detection — half the smallest positive value of its group ``by``) and
    ``BELOWFL`` (true for those). The figure draws them at ``LOGY`` with their own marker and
    the notebook states how many there are (``below_detection_text``): never dropped silently.
    A group without any positive value keeps null ``LOGY`` (nothing to anchor the floor; the
    count still says so). Null values stay null and not flagged (not measured)."""
    require_columns(df, [value], "log_floor")
    floor = pl.col(value).filter(pl.col(value) > 0).min() / 2
    if by:
        floor = floor.over(by)
    below = pl.col(value) <= 0
    return df.with_columns(
        pl.when(below).then(floor).otherwise(pl.col(value)).alias("LOGY"),
        below.alias("BELOWFL"),
    )


def below_detection_text(df: pl.DataFrame, what: str) -> str:
    """One sentence: how many of the plotted results were zero or below detection and where
    they are drawn, e.g. "CD19+ B cells: 8 of 91 results were 0 (below detection), drawn at
    half the lowest measured value with open markers." (``log_floor``'s output)."""
    require_columns(df, ["BELOWFL"], "below_detection_text", "log_floor")
    n = df.filter(pl.col("BELOWFL").is_not_null()).height
    k = int(df["BELOWFL"].fill_null(False).sum())
    if k == 0:
        return f"{what}: all {n} results were above zero; none is drawn at a floor."
    return (
        f"{what}: {k} of {n} results were 0 (below detection), drawn at half the lowest "
        "measured value with open markers."
    )


# --- patients below a limit, patients who left while positive --------------------------------
def patients_below(
    df: pl.DataFrame, *, by: str, limit: pl.Expr | float, value: str = "AVAL"
) -> pl.DataFrame:
    """Per level of ``by``: ``N`` patients (``USUBJID``) with a result after the infusion
    (``ADY`` > 0) and ``n`` of them with at least one result strictly below ``limit`` (a
    column expression such as ``pl.col("ANRLO")``, the laboratory's lower limit, or a number
    such as the IgG replacement threshold ``sle_car.sap.SAFETY.igg_low_g_l``, 4 g/L; Hill JA
    et al. Blood Rev 2019;38:100596). A result equal to the limit is not below it; a result
    whose limit is missing is not counted as below (nor as not below: it still counts in
    ``N``)."""
    require_columns(df, ["USUBJID", "ADY", value, by], "patients_below")
    lim = limit if isinstance(limit, pl.Expr) else pl.lit(float(limit))
    post = df.filter((pl.col("ADY") > 0) & pl.col(value).is_not_null())
    return (
        post.group_by(by)
        .agg(
            pl.col("USUBJID").n_unique().alias("N"),
            pl.col("USUBJID").filter((pl.col(value) < lim).fill_null(False)).n_unique().alias("n"),
        )
        .sort(by)
    )


def left_while_positive(ab: pl.DataFrame, population: pl.DataFrame, paramcd: str) -> pl.DataFrame:
    """Patients of ``population`` who left the study early (ADSL ``EOSSTT`` "DISCONTINUED")
    and whose last result of antibody ``paramcd`` after the infusion was positive (``ABPOS``
    of ``derive_var_abpos``): ``USUBJID``, ``ADY``, ``AVAL`` of that last result. A later
    column of the autoantibody table that reads "all negative" may do so only because these
    patients are no longer in it; the table's note names them."""
    require_columns(ab, ["USUBJID", "PARAMCD", "ADY", "AVAL", "ABPOS"], "left_while_positive")
    require_columns(population, ["USUBJID", "EOSSTT"], "left_while_positive", "ADSL")
    left = population.filter(pl.col("EOSSTT") == "DISCONTINUED").select("USUBJID")
    return (
        ab.filter((pl.col("PARAMCD") == paramcd) & (pl.col("ADY") > 0))
        .join(left, on="USUBJID", how="inner")
        .sort("USUBJID", "ADY")
        .group_by("USUBJID", maintain_order=True)
        .agg(pl.col("ADY").last(), pl.col("AVAL").last(), pl.col("ABPOS").last())
        .filter(pl.col("ABPOS").fill_null(False))
        .select("USUBJID", "ADY", "AVAL")
    )
