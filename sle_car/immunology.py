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

from data_schemas import codelists as cl
from sle_car._checks import require_columns

PROTOCOL_MONTHS: dict[str, int] = {
    "WEEK 4": 1,
    "WEEK 12": 3,
    "WEEK 24": 6,
    "MONTH 9": 9,
    "MONTH 12": 12,
    "MONTH 15": 15,
    "MONTH 18": 18,
    "MONTH 21": 21,
    "MONTH 24": 24,
}
"""The protocol's immunology time points (``study/protocol.qmd``: months 1, 3, 6, 9, …, 24) and
the analysis visit that holds each: month 1 = week 4 (day 28), month 3 = week 12 (day 84),
month 6 = week 24 (day 168); from month 9 the visit is named by its month."""

_VISIT_DAYS = {v.name: v.day for v in cl.VISITS}

DIRECTIONS = (">=", ">")
"""Comparators a cut-off may carry (``CUTOFF_DIRECTION``): a value is positive when
``value >= cut-off`` or ``value > cut-off``; which one is part of each antibody's definition
(anti-dsDNA: ≥ 30 IU/mL is positive, BLISS, Furie 2014; instruments.md §13 SERO-T03)."""


def compute_month(avisit: pl.Expr) -> pl.Expr:
    """The protocol month of an analysis visit (``PROTOCOL_MONTHS``); null for any other
    visit (days 0-14, weeks 8, 16, 20, 28), which are not immunology time points."""
    return avisit.replace_strict(PROTOCOL_MONTHS, default=None, return_dtype=pl.Int64)


def derive_vars_follow_up(
    adsl: pl.DataFrame, *, months: dict[str, int] | None = None
) -> pl.DataFrame:
    """One row per infused subject (``SAFFL`` "Y") and protocol month: ``AVISIT``, ``MONTH``,
    ``NOMDY`` (the visit's nominal day), ``FUFL`` ("Y"/"N") and ``NOTFU`` (why not).

    In follow-up at a month: the last day known in the study (``LSTALVDY``: the last record,
    or death) on or after the visit's nominal day; a patient assessed inside the visit's
    window is in follow-up too (``derive_vars_assessed``). Otherwise ``NOTFU`` says why: "died"
    (``DTHDY``), "left the study (<reason>)" (``EOSSTT`` DISCONTINUED, ``DCSREAS``), or "visit
    not reached by the data cut". A patient who is not in follow-up leaves the month's
    denominator visibly, counted with the reason, never silently.

    Inputs (ADSL): ``USUBJID``, ``SAFFL``, ``LSTALVDY``; optional ``EOSSTT``, ``DCSREAS``,
    ``DTHDY``."""
    require_columns(adsl, ["USUBJID", "SAFFL", "LSTALVDY"], "derive_vars_follow_up", "ADSL")
    months = PROTOCOL_MONTHS if months is None else months
    unknown = [v for v in months if v not in _VISIT_DAYS]
    if unknown:
        raise ValueError(f"derive_vars_follow_up: unknown visit(s) {', '.join(unknown)}")
    grid = pl.DataFrame(
        {
            "AVISIT": list(months),
            "MONTH": list(months.values()),
            "NOMDY": [_VISIT_DAYS[v] for v in months],
        },
        schema={"AVISIT": pl.String, "MONTH": pl.Int64, "NOMDY": pl.Int64},
    )
    opt = {
        "EOSSTT": pl.String,
        "DCSREAS": pl.String,
        "DTHDY": pl.Int64,
    }
    subj = adsl.filter(pl.col("SAFFL") == "Y").with_columns(
        pl.lit(None, dtype=t).alias(c) for c, t in opt.items() if c not in adsl.columns
    )
    fu = pl.col("LSTALVDY") >= pl.col("NOMDY")
    why = (
        pl.when(fu)
        .then(None)
        .when(pl.col("DTHDY").is_not_null())
        .then(pl.lit("died"))
        .when(pl.col("EOSSTT") == "DISCONTINUED")
        .then(
            pl.format(
                "left the study ({})",
                pl.col("DCSREAS").fill_null("reason not recorded").str.to_lowercase(),
            )
        )
        .otherwise(pl.lit("visit not reached by the data cut"))
    )
    return (
        subj.select("USUBJID", "LSTALVDY", *opt)
        .join(grid, how="cross")
        .with_columns(
            pl.when(fu).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("FUFL"),
            why.alias("NOTFU"),
        )
        .select("USUBJID", "AVISIT", "MONTH", "NOMDY", "FUFL", "NOTFU")
    )


def derive_vars_assessed(
    follow_up: pl.DataFrame,
    results: pl.DataFrame,
    *,
    flag: str,
    new_var: str = "RESP",
) -> pl.DataFrame:
    """Join one result per subject and visit (``USUBJID``, ``AVISIT``, boolean ``flag``; null =
    sampled but not evaluable) onto ``derive_vars_follow_up``'s grid. Adds ``ASSESSED``
    (a result exists), ``new_var`` (the flag; null when not assessed) and makes ``FUFL`` "Y"
    for an assessed subject (a result in the window proves follow-up). ``results`` must hold at
    most one row per subject and visit (ADRS/ADLB ``ANL01FL`` "Y")."""
    require_columns(follow_up, ["USUBJID", "AVISIT", "FUFL", "NOTFU"], "derive_vars_assessed")
    require_columns(results, ["USUBJID", "AVISIT", flag], "derive_vars_assessed")
    dup = results.group_by("USUBJID", "AVISIT").len().filter(pl.col("len") > 1)
    if dup.height:
        raise ValueError(
            "derive_vars_assessed: more than one result for a subject and visit "
            f"({dup.height} subject-visits, e.g. {dup['AVISIT'][0]}); keep the analysis "
            'record (ANL01FL == "Y") only.'
        )
    r = results.select("USUBJID", "AVISIT", pl.col(flag).alias(new_var), pl.lit(True).alias("_R"))
    return (
        follow_up.join(r, on=["USUBJID", "AVISIT"], how="left")
        .with_columns(pl.col("_R").fill_null(False).alias("ASSESSED"))
        .with_columns(
            pl.when(pl.col("ASSESSED")).then(pl.lit("Y")).otherwise(pl.col("FUFL")).alias("FUFL"),
            pl.when(pl.col("ASSESSED")).then(None).otherwise(pl.col("NOTFU")).alias("NOTFU"),
        )
        .drop("_R")
    )


def aplasia_flags(adrs: pl.DataFrame) -> pl.DataFrame:
    """ADRS ``BCAPL`` analysis records (``ANL01FL`` "Y") as ``USUBJID``, ``AVISIT``, ``ADY``
    and boolean ``BCAPL`` (null: the sample was not evaluable). ``BCAPL`` is the per-sample
    aplasia already derived (``sle_car.instruments.bcell_aplasia_flag``: CD19+ B cells
    strictly below ``DEFAULTS.bcell_abs_max`` cells/µL, instruments.md §13)."""
    require_columns(adrs, ["USUBJID", "PARAMCD", "AVALC", "AVISIT", "ADY", "ANL01FL"], "ADRS")
    return adrs.filter((pl.col("PARAMCD") == "BCAPL") & (pl.col("ANL01FL") == "Y")).select(
        "USUBJID",
        "AVISIT",
        "ADY",
        pl.when(pl.col("AVALC").is_not_null()).then(pl.col("AVALC") == "Y").alias("BCAPL"),
    )


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
    ``compute_positive``), ``MONTH`` (``compute_month``) and ``BASEPOS`` (the baseline record's
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
            compute_month(pl.col("AVISIT")).alias("MONTH"),
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
