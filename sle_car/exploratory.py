"""Exploratory analysis forward in time (issue 18): predictors measured BEFORE the outcome
against LATER DORIS remission, with a landmark.

Design (landmark analysis: Anderson JR, Cain KC, Gelber RD. J Clin Oncol 1983;1:710-719):

- predictors are baseline characteristics (SLEDAI-2K, anti-dsDNA, C3, disease duration, number
  of prior therapies) and early post-infusion measures taken on days 0 to the landmark
  (``REPORTING.landmark_day``, day 28): the peak CAR T-cell count and its day, and the depth of
  B-cell depletion (the last CD19+ B-cell count on days 1 to the landmark);
- the outcome is the first DORIS 2021 remission (ADTTE ``TTDORIS``) AFTER the landmark and by
  the month-6 analysis visit (``REPORTING.outcome_visit``: the last day of its window); a patient
  not in remission by then is evaluable (tied last) when assessed in that window;
- excluded, with the reason: patients who left before the landmark, whose first remission came
  on or before it (``<=``: the outcome must follow every predictor), who have no DORIS
  assessment, or whose assessments ended before the month-6 window without a remission.

A measure taken after the outcome (B-cell return, days 107-169 in the bundled cohort, after
most remissions) is never a predictor here. Association: Spearman's rho with its exact
permutation p-value for n ≤ 8 (``sle_car.stats.spearman_exact``); no interval for rho (Fisher-z
intervals are not valid at n = 5, nor are bootstrap or Hodges-Lehmann intervals)."""

from __future__ import annotations

import math

import polars as pl

from sle_car.sap import REPORTING, ReportingOptions
from sle_car.stats import SPEARMAN_EXACT_MAX_N, spearman_exact, spearman_p_method

PREDICTORS = {
    "SLEDAIBL": ("SLEDAI-2K at baseline (points)", "baseline"),
    "DSDNABL": ("Anti-dsDNA at baseline (IU/mL)", "baseline"),
    "C3BL": ("C3 at baseline (g/L)", "baseline"),
    "DISDURY": ("Disease duration (whole years)", "baseline"),
    "NPRIORTX": ("Prior therapies failed (number)", "baseline"),
    "CARTPK": ("Peak CAR T cells, days 0-28 (cells/µL)", "days 0-28"),
    "CARTPKDY": ("Day of the CAR T-cell peak (day)", "days 0-28"),
    "BCELLLM": ("B cells at the last count, days 1-28 (cells/µL)", "days 0-28"),
}
"""Pre-specified predictors: code -> (clinical label with unit, when it is measured)."""

LOG_SCALE = {"DSDNABL", "CARTPK"}
"""Predictors drawn on a log10 axis (antibody titres and cell counts spanning decades)."""


def window_bounds(visit: str) -> tuple[int, int]:
    """First and last study day of the analysis window of ``visit`` (derivation windows)."""
    from sle_car.derive.common import analysis_windows

    w = analysis_windows().filter(pl.col("AVISIT") == visit)
    if w.height != 1:
        raise ValueError(f"{visit!r} is not an analysis visit; use one of the protocol visits")
    return int(w["_LO"][0]), int(w["_HI"][0]) - 1


def landmark_outcome(
    adsl: pl.DataFrame, adtte: pl.DataFrame, *, options: ReportingOptions = REPORTING
) -> pl.DataFrame:
    """One row per patient of the safety population: ``included`` (bool), ``reason`` (why
    not, else null), ``DORISDY`` (day of the first DORIS remission, null if none observed),
    ``REACHED`` (remission after the landmark and by the end of the month-6 window) and
    ``OUTCOME`` (the day to rank: ``DORISDY`` if reached, else the window's last day + 1, so
    every patient without a remission by month 6 ties last; null when excluded)."""
    landmark = options.landmark_day
    lo, hi = window_bounds(options.outcome_visit)
    tte = adtte.filter(pl.col("PARAMCD") == "TTDORIS").select("USUBJID", "ADY", "CNSR")
    d = (
        adsl.filter(pl.col("SAFFL") == "Y")
        .select("USUBJID", "LSTALVDY")
        .join(tte, on="USUBJID", how="left")
        .sort("USUBJID")
    )
    event = pl.col("CNSR") == 0
    reason = (
        pl.when(pl.col("LSTALVDY") < landmark)
        .then(pl.lit(f"left the study before day {landmark}"))
        .when(pl.col("CNSR").is_null())
        .then(pl.lit("no DORIS assessment"))
        .when(event & (pl.col("ADY") <= landmark))
        .then(pl.lit(f"first DORIS remission on or before day {landmark} (the landmark)"))
        .when(~event & (pl.col("ADY") < lo))
        .then(pl.format("assessed only until day {} without remission, before month 6", "ADY"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    d = d.with_columns(reason.alias("reason"))
    reached = event & (pl.col("ADY") <= hi)
    return d.select(
        "USUBJID",
        pl.col("reason").is_null().alias("included"),
        "reason",
        pl.when(event).then(pl.col("ADY")).alias("DORISDY"),
        pl.when(pl.col("reason").is_null()).then(reached).alias("REACHED"),
        pl.when(pl.col("reason").is_null())
        .then(pl.when(reached).then(pl.col("ADY")).otherwise(pl.lit(hi + 1)))
        .cast(pl.Float64)
        .alias("OUTCOME"),
    )


def predictors(
    adsl: pl.DataFrame,
    adlb: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
) -> pl.DataFrame:
    """The :data:`PREDICTORS` in long form (``USUBJID``, ``code``, ``value``), each measured
    before the landmark: baseline values (ADSL; ADLB records with ``ABLFL`` = Y for anti-dsDNA
    ``DDNAIGAB`` and ``C3``), CAR T-cell count ``CARTCE`` on days 0 to the landmark (its
    maximum and the first day it is reached), and B cells ``BLYCE`` at the last count on days
    1 to the landmark. A predictor the cut did not collect has no rows; missing values are
    dropped. Disease duration is in whole years, as public per-patient outputs show it."""
    landmark = options.landmark_day
    value = pl.col("value").cast(pl.Float64)
    base_sl = adsl.filter(pl.col("SAFFL") == "Y").select(
        "USUBJID",
        pl.col("SLEDAIBL").cast(pl.Float64),
        pl.col("DISDURY").floor().cast(pl.Float64),
        pl.col("NPRIORTX").cast(pl.Float64),
    )
    parts = [base_sl.unpivot(index="USUBJID", variable_name="code")]
    lab = adlb.filter(
        (pl.col("ABLFL") == "Y") & pl.col("PARAMCD").is_in(["DDNAIGAB", "C3"])
    ).select(
        "USUBJID",
        pl.col("PARAMCD").replace_strict({"DDNAIGAB": "DSDNABL", "C3": "C3BL"}).alias("code"),
        pl.col("AVAL").alias("value"),
    )
    parts.append(lab)
    car = adlb.filter(
        (pl.col("PARAMCD") == "CARTCE") & pl.col("ADY").is_between(0, landmark)
    ).drop_nulls("AVAL")
    parts.append(
        car.group_by("USUBJID")
        .agg(
            pl.col("AVAL").max().alias("CARTPK"),
            pl.col("ADY")
            .sort_by("AVAL", "ADY", descending=[True, False])
            .first()
            .cast(pl.Float64)
            .alias("CARTPKDY"),
        )
        .unpivot(index="USUBJID", variable_name="code")
    )
    bc = adlb.filter(
        (pl.col("PARAMCD") == "BLYCE") & pl.col("ADY").is_between(1, landmark)
    ).drop_nulls("AVAL")
    parts.append(
        bc.group_by("USUBJID")
        .agg(pl.col("AVAL").sort_by("ADY").last().alias("value"))
        .select("USUBJID", pl.lit("BCELLLM").alias("code"), "value")
    )
    order = {c: i for i, c in enumerate(PREDICTORS)}
    return (
        pl.concat([p.with_columns(value) for p in parts])
        .drop_nulls("value")
        .with_columns(pl.col("code").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
        .sort("_o", "USUBJID")
        .drop("_o")
    )


def analysis_frame(
    adsl: pl.DataFrame,
    adlb: pl.DataFrame,
    adtte: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
) -> pl.DataFrame:
    """:func:`predictors` joined to the :func:`landmark_outcome` of the included patients
    (``USUBJID``, ``code``, ``value``, ``OUTCOME``, ``REACHED``)."""
    out = landmark_outcome(adsl, adtte, options=options).filter(pl.col("included"))
    return predictors(adsl, adlb, options=options).join(
        out.select("USUBJID", "OUTCOME", "REACHED"), on="USUBJID", how="inner"
    )


def association_table(frame: pl.DataFrame, *, min_n: int = 3) -> pl.DataFrame:
    """Per predictor of :data:`PREDICTORS` present in ``frame`` (of :func:`analysis_frame`):
    ``n``, Spearman's ``rho`` with the outcome day (negative: higher value, earlier
    remission), its two-sided ``p`` (exact permutation for n ≤ 8, else the t-approximation:
    ``method`` says which), and ``min_p``, the smallest p the exact test can give at that n
    (2/n!, without ties); rho and p are null below ``min_n`` patients or when either variable
    is constant (rho undefined)."""
    rows = []
    for code, (label, when) in PREDICTORS.items():
        d = frame.filter(pl.col("code") == code)
        if d.height == 0:
            continue
        n = d.height
        x, y = d["value"].to_numpy(), d["OUTCOME"].to_numpy()
        rho = p = None
        if n >= min_n and len(set(x)) > 1 and len(set(y)) > 1:
            r, pv = spearman_exact(x, y)
            rho, p = float(r), float(pv)
        rows.append(
            {
                "code": code,
                "predictor": label,
                "measured": when,
                "n": n,
                "rho": rho,
                "p": p,
                "min_p": 2 / math.factorial(n) if n <= SPEARMAN_EXACT_MAX_N else None,
                "method": spearman_p_method(n),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "code": pl.String,
            "predictor": pl.String,
            "measured": pl.String,
            "n": pl.Int64,
            "rho": pl.Float64,
            "p": pl.Float64,
            "min_p": pl.Float64,
            "method": pl.String,
        },
    )


PANEL_LABELS = {
    "SLEDAIBL": "SLEDAI-2K at baseline\n(points)",
    "DSDNABL": "Anti-dsDNA at baseline\n(IU/mL, log10 scale)",
    "C3BL": "C3 at baseline\n(g/L)",
    "DISDURY": "Disease duration\n(whole years)",
    "NPRIORTX": "Prior therapies failed\n(number)",
    "CARTPK": "Peak CAR T cells, days 0-28\n(cells/µL, log10 scale)",
    "CARTPKDY": "Day of the CAR T-cell peak\n(day after infusion)",
    "BCELLLM": "B cells, last count days 1-28\n(cells/µL; dashed: aplasia)",
}
"""Figure panel titles of :data:`PREDICTORS` (two lines, the unit and the axis scale)."""


def biomarker_plot(frame: pl.DataFrame, cohort: list[str], *, bcell_aplasia: float):
    """One small panel per predictor: the predictor (log10 axis for :data:`LOG_SCALE`, said in
    the panel title) against the months from infusion to the first DORIS remission after the
    landmark, one labelled point per patient in the shared patient colours (``cohort``: every
    USUBJID, so each patient keeps its colour); a patient without remission by month 6 is a
    triangle at the horizon. The B-cell panel has the aplasia threshold ``bcell_aplasia``
    (cells/µL) as a dashed line."""
    from plotnine import (
        aes,
        element_text,
        facet_wrap,
        geom_point,
        geom_text,
        geom_vline,
        ggplot,
        labs,
        scale_shape_manual,
        scale_x_continuous,
        scale_y_continuous,
        theme,
    )

    from sle_car.figures import (
        DAYS_PER_MONTH,
        patient_label_expr,
        scale_colour_patient,
        theme_journal,
    )

    present = [PANEL_LABELS[c] for c in PREDICTORS if c in set(frame["code"])]
    d = frame.with_columns(
        patient_label_expr(),
        pl.when(pl.col("code").is_in(list(LOG_SCALE)))
        .then(pl.col("value").clip(lower_bound=1e-3).log10())
        .otherwise(pl.col("value"))
        .alias("x"),
        (pl.col("OUTCOME") / DAYS_PER_MONTH).alias("y"),
        pl.col("code").replace_strict(PANEL_LABELS, return_dtype=pl.String).alias("panel"),
        pl.when(pl.col("REACHED"))
        .then(pl.lit("remission"))
        .otherwise(pl.lit("none by month 6"))
        .alias("status"),
    ).with_columns(pl.col("panel").cast(pl.Enum(present)))
    p = (
        ggplot(d, aes("x", "y", color="Patient"))
        + geom_point(aes(shape="status"), size=2.2)
        + geom_text(aes(label="Patient"), va="bottom", nudge_y=0.12, size=6.5, show_legend=False)
        + facet_wrap("panel", ncol=4, scales="free_x")
        + scale_colour_patient(cohort)
        + scale_shape_manual(
            values={"remission": "o", "none by month 6": "^"},
            breaks=["remission", "none by month 6"],
            name="DORIS by month 6",
        )
        + scale_x_continuous(expand=(0.12, 0))
        + scale_y_continuous(expand=(0.15, 0))
        + labs(x="", y="Months from infusion to first DORIS\nremission after day 28")
        + theme_journal()
        + theme(strip_text=element_text(size=6.5), legend_position="none")
    )
    if PANEL_LABELS["BCELLLM"] in present:
        ref = pl.DataFrame({"panel": [PANEL_LABELS["BCELLLM"]], "v": [float(bcell_aplasia)]})
        p = p + geom_vline(
            ref.with_columns(pl.col("panel").cast(pl.Enum(present))),
            aes(xintercept="v"),
            linetype="dashed",
            color="#777777",
            size=0.4,
        )
    return p
