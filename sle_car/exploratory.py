"""Exploratory analysis forward in time (issue 18): predictors measured BEFORE the outcome
against LATER DORIS remission. Two analysis sets, one per kind of predictor:

- **Baseline predictors** (SLEDAI-2K, anti-dsDNA, C3, disease duration, number of prior
  therapies) are known at day 0, before any outcome can occur, so they need no landmark: they
  are analysed on ALL infused patients (safety population) with time counted from day 0
  (``ANALYSIS_SETS["baseline"]``). Applying a landmark to them would only drop the earliest
  responders (e.g. a first remission on day 27) and bias the association towards slow
  responders.
- **Early post-infusion measures** taken on days 0 to the landmark (``REPORTING.landmark_day``,
  day 28): the peak CAR T-cell count and its day, and the depth of B-cell depletion (the last
  CD19+ B-cell count on days 1 to the landmark). They are known only at the landmark, so they
  are analysed by a landmark analysis (Anderson JR, Cain KC, Gelber RD. Analysis of survival
  by tumor response. J Clin Oncol 1983;1:710-719): only patients still at risk at the landmark
  (in the study on the landmark day and without a first remission on or before it, ``<=``),
  so that the measure precedes the outcome and patients are not classified by something
  measured after their outcome (``ANALYSIS_SETS["landmark"]``).

Outcome (both sets): the time from day 0 to the first DORIS 2021 remission (ADTTE ``TTDORIS``)
by the end of the month-6 analysis window (``REPORTING.outcome_visit``); a patient without a
remission by then ties last (the window's last day + 1) when assessed in that window. Time is
counted from day 0 in both sets (in the landmark set the ranks are the same as from the
landmark). Patients who left early: a remission observed before leaving is an observed outcome
(kept in the baseline set); a patient whose DORIS assessments ended before the month-6 window
without a remission has an unknown outcome and is excluded with that reason (both sets); in the
landmark set a patient followed only to a day before the landmark is excluded, with that reason, even if
a remission was observed. A patient without a value of a predictor is excluded from that
predictor only ("no baseline value" / "no measurement on days 0-28").

A measure taken after the outcome (B-cell return, days 107-169 in the bundled cohort, after
most remissions) is never a predictor here. Association: Spearman's rho with its exact
permutation p-value for n ≤ 8 (``sle_car.stats.spearman_exact``); no interval for rho (Fisher-z
intervals are not valid at n = 5, nor are bootstrap or Hodges-Lehmann intervals)."""

from __future__ import annotations

import math
from dataclasses import replace

import polars as pl

from sle_car.sap import REPORTING, ReportingOptions
from sle_car.stats import SPEARMAN_EXACT_MAX_N, spearman_exact, spearman_p_method

PREDICTORS = {
    "SLEDAIBL": ("SLEDAI-2K at baseline (points)", "baseline"),
    "DSDNABL": ("Anti-dsDNA at baseline (IU/mL)", "baseline"),
    "C3BL": ("C3 at baseline (g/L)", "baseline"),
    "DISDURY": ("Disease duration (whole years)", "baseline"),
    "NPRIORTX": ("Prior therapies failed (number)", "baseline"),
    "CARTPK": ("Peak CAR T cells, days 0-28 (cells/µL)", "landmark"),
    "CARTPKDY": ("Day of the CAR T-cell peak (day)", "landmark"),
    "BCELLLM": ("B cells at the last count, days 1-28 (cells/µL)", "landmark"),
}
"""Pre-specified predictors: code -> (clinical label with unit, analysis set of
:data:`ANALYSIS_SETS`)."""

ANALYSIS_SETS = {
    "baseline": "Baseline: all infused patients, time from day 0",
    "landmark": "Early measures (days 0-{landmark}): landmark day {landmark}",
}
"""The two analysis sets (the landmark day is filled in by :func:`set_label`)."""

LOG_SCALE = {"DSDNABL", "CARTPK"}
"""Predictors drawn on a log axis (antibody titres and cell counts spanning decades)."""

LOG_OFFSET = 1e6
"""Added to log10 values in :func:`biomarker_plot` so that the shared x scale knows a log panel
from its limits (plotnine facets share one scale) and labels it in natural units; no linear
predictor comes near it."""


def log_panel_breaks(limits: tuple[float, float]) -> list[float]:
    """x breaks of a :func:`biomarker_plot` panel: on a log panel (limits above
    :data:`LOG_OFFSET` / 2) the 1-2-5 ladder of natural values within the limits, as
    log10 + offset; otherwise the usual extended breaks."""
    lo, hi = limits
    if lo <= LOG_OFFSET / 2:
        from mizani.breaks import breaks_extended

        return list(breaks_extended()(limits))
    lo, hi = lo - LOG_OFFSET, hi - LOG_OFFSET
    ladder = [m * 10.0**k for k in range(math.floor(lo) - 1, math.ceil(hi) + 1) for m in (1, 2, 5)]
    inside = [math.log10(v) for v in ladder if lo - 1e-9 <= math.log10(v) <= hi + 1e-9]
    if len(inside) < 2:  # a narrow range: the values at its ends
        inside = [lo, hi]
    return [v + LOG_OFFSET for v in inside]


def log_panel_labels(breaks: list[float]) -> list[str]:
    """Labels for :func:`log_panel_breaks`: natural units on a log panel (2 significant
    digits: "100", "300", "0.5"), the value itself otherwise."""
    return [
        f"{float(f'{10 ** (b - LOG_OFFSET):.2g}'):g}" if b > LOG_OFFSET / 2 else f"{b:g}"
        for b in breaks
    ]


def set_label(analysis_set: str, *, options: ReportingOptions = REPORTING) -> str:
    """The clinical label of an analysis set of :data:`ANALYSIS_SETS`."""
    return ANALYSIS_SETS[analysis_set].format(landmark=options.landmark_day)


def window_bounds(visit: str) -> tuple[int, int]:
    """First and last study day of the analysis window of ``visit`` (derivation windows)."""
    from sle_car.derive.common import analysis_windows

    w = analysis_windows().filter(pl.col("AVISIT") == visit)
    if w.height != 1:
        raise ValueError(f"{visit!r} is not an analysis visit; use one of the protocol visits")
    return int(w["_LO"][0]), int(w["_HI"][0]) - 1


def outcome_sets(
    adsl: pl.DataFrame, adtte: pl.DataFrame, *, options: ReportingOptions = REPORTING
) -> pl.DataFrame:
    """One row per patient of the safety population and analysis set (``set``: "baseline",
    then "landmark"): ``included`` (bool), ``reason`` (why not, else null), ``DORISDY`` (day of
    the first DORIS remission, null if none observed), ``REACHED`` (remission by the end of
    the month-6 window) and ``OUTCOME`` (the day to rank: ``DORISDY`` if reached, else the
    window's last day + 1, so every patient without a remission by month 6 ties last; null
    when excluded). Exclusion rules: see the module docstring; in the landmark set the first
    matching reason of: followed only to a day before the landmark (``LSTALVDY`` < landmark:
    left the study, or the data cut came first; the text says neither), no DORIS
    assessment, first remission on or before the landmark (``<=``), assessed only until a day
    before the month-6 window without remission; in the baseline set the same without the two
    landmark rules."""
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
    no_assessment = pl.col("CNSR").is_null()
    unknown = ~event & (pl.col("ADY") < lo)
    unknown_text = pl.format("assessed only until day {} without remission, before month 6", "ADY")
    none = pl.lit(None, dtype=pl.String)
    baseline_reason = (
        pl.when(no_assessment)
        .then(pl.lit("no DORIS assessment"))
        .when(unknown)
        .then(unknown_text)
        .otherwise(none)
    )
    landmark_reason = (
        pl.when(pl.col("LSTALVDY") < landmark)
        .then(
            pl.format(
                f"followed only to day {{}}, before day {landmark} (the landmark)", "LSTALVDY"
            )
        )
        .when(no_assessment)
        .then(pl.lit("no DORIS assessment"))
        .when(event & (pl.col("ADY") <= landmark))
        .then(pl.lit(f"first DORIS remission on or before day {landmark} (the landmark)"))
        .when(unknown)
        .then(unknown_text)
        .otherwise(none)
    )
    reached = event & (pl.col("ADY") <= hi)
    out = []
    for name, reason in (("baseline", baseline_reason), ("landmark", landmark_reason)):
        out.append(
            d.with_columns(reason.alias("reason")).select(
                "USUBJID",
                pl.lit(name).alias("set"),
                pl.col("reason").is_null().alias("included"),
                "reason",
                pl.when(event).then(pl.col("ADY")).cast(pl.Int64).alias("DORISDY"),
                pl.when(pl.col("reason").is_null()).then(reached).alias("REACHED"),
                pl.when(pl.col("reason").is_null())
                .then(pl.when(reached).then(pl.col("ADY")).otherwise(pl.lit(hi + 1)))
                .cast(pl.Float64)
                .alias("OUTCOME"),
            )
        )
    return pl.concat(out)


def landmark_outcome(
    adsl: pl.DataFrame, adtte: pl.DataFrame, *, options: ReportingOptions = REPORTING
) -> pl.DataFrame:
    """The landmark set of :func:`outcome_sets` (early post-infusion measures), without the
    ``set`` column."""
    return (
        outcome_sets(adsl, adtte, options=options).filter(pl.col("set") == "landmark").drop("set")
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
    dropped. Disease duration is in whole years rounded half up, as Table 1's per-patient
    appendix shows it (``sle_car.privacy.public_bands``)."""
    landmark = options.landmark_day
    value = pl.col("value").cast(pl.Float64)
    base_sl = adsl.filter(pl.col("SAFFL") == "Y").select(
        "USUBJID",
        pl.col("SLEDAIBL").cast(pl.Float64),
        (pl.col("DISDURY") + 0.5).floor().cast(pl.Float64).alias("DISDURY"),
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


def patient_frame(
    adsl: pl.DataFrame,
    adlb: pl.DataFrame,
    adtte: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
) -> pl.DataFrame:
    """Every patient of the safety population for every predictor the cut collected (one
    with at least one value), in its analysis set of :data:`PREDICTORS`: ``USUBJID``,
    ``code``, ``set``, ``value`` (null when not measured), the :func:`outcome_sets` columns of
    that set, and ``included`` / ``reason`` updated so that a patient without a value is
    excluded from that predictor only ("no baseline value" or "no measurement on days
    0-<landmark>")."""
    sets = outcome_sets(adsl, adtte, options=options)
    pred = predictors(adsl, adlb, options=options)
    codes = [c for c in PREDICTORS if c in set(pred["code"])]
    grid = pl.DataFrame(
        {"code": codes, "set": [PREDICTORS[c][1] for c in codes]},
        schema={"code": pl.String, "set": pl.String},
    )
    missing = (
        pl.when(pl.col("set") == "baseline")
        .then(pl.lit("no baseline value"))
        .otherwise(pl.lit(f"no measurement on days 0-{options.landmark_day}"))
    )
    order = {c: i for i, c in enumerate(PREDICTORS)}
    return (
        grid.join(sets, on="set", how="inner")
        .join(pred, on=["USUBJID", "code"], how="left")
        .with_columns(
            pl.when(pl.col("included") & pl.col("value").is_null())
            .then(missing)
            .otherwise(pl.col("reason"))
            .alias("reason"),
        )
        .with_columns(pl.col("reason").is_null().alias("included"))
        .with_columns(
            pl.when(pl.col("included")).then(pl.col("OUTCOME")).alias("OUTCOME"),
            pl.when(pl.col("included")).then(pl.col("REACHED")).alias("REACHED"),
            pl.col("code").replace_strict(order, return_dtype=pl.Int64).alias("_o"),
        )
        .sort("_o", "USUBJID")
        .select(
            "USUBJID", "code", "set", "value", "included", "reason", "DORISDY", "REACHED", "OUTCOME"
        )
    )


def analysis_frame(
    adsl: pl.DataFrame,
    adlb: pl.DataFrame,
    adtte: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
) -> pl.DataFrame:
    """The analysed rows of :func:`patient_frame` (``included``): each predictor with the
    outcome of its own analysis set (``USUBJID``, ``code``, ``set``, ``value``, ``OUTCOME``,
    ``REACHED``)."""
    return (
        patient_frame(adsl, adlb, adtte, options=options)
        .filter(pl.col("included"))
        .select("USUBJID", "code", "set", "value", "OUTCOME", "REACHED")
    )


def _exclusions(frame: pl.DataFrame, *, list_patients: bool) -> dict[str, tuple[int, str]]:
    """Per predictor code: the number of excluded patients and their reasons ("reason: 001,
    003" with ``list_patients``, else "reason (k)"), most frequent reason first."""
    from sle_car.figures import patient_label_expr

    ex = frame.filter(~pl.col("included"))
    if ex.height == 0:
        return {}
    if not list_patients:  # counts: one group for every last day of assessment
        ex = ex.with_columns(
            pl.col("reason").str.replace(r"until day \d+ without", "until a day without")
        )
    grouped = (
        ex.with_columns(patient_label_expr())
        .group_by("code", "reason")
        .agg(pl.len().alias("k"), pl.col("Patient").sort().str.join(", ").alias("who"))
        .sort("code", "k", "reason", descending=[False, True, False])
        .with_columns(
            (
                pl.format("{}: {}", "reason", "who")
                if list_patients
                else pl.format("{} ({})", "reason", "k")
            ).alias("text")
        )
        .group_by("code", maintain_order=True)
        .agg(pl.col("k").sum(), pl.col("text").str.join("; "))
    )
    return {c: (k, t) for c, k, t in grouped.iter_rows()}


def association_table(
    frame: pl.DataFrame,
    *,
    min_n: int = 3,
    list_patients: bool = True,
    options: ReportingOptions = REPORTING,
) -> pl.DataFrame:
    """Per predictor of :data:`PREDICTORS` present in ``frame`` (:func:`patient_frame`, or
    only its analysed rows, :func:`analysis_frame`): its analysis ``set`` (label of
    :func:`set_label`), ``n`` analysed, ``n_excluded`` and ``excluded`` (the reasons, with the
    patients when ``list_patients``), Spearman's ``rho`` with the outcome day (negative:
    higher value, earlier remission), its two-sided ``p`` (exact permutation for n ≤ 8, else
    the t-approximation: ``method`` says which), and ``min_p``, the smallest p the exact test
    can give at that n (2/n!, without ties); rho and p are null below ``min_n`` patients or
    when either variable is constant (rho undefined)."""
    if "included" not in frame.columns:
        frame = frame.with_columns(pl.lit(True).alias("included"), pl.lit(None).alias("reason"))
    excluded = _exclusions(frame, list_patients=list_patients)
    rows = []
    for code, (label, when) in PREDICTORS.items():
        everyone = frame.filter(pl.col("code") == code)
        if everyone.height == 0:
            continue
        d = everyone.filter(pl.col("included"))
        n = d.height
        x, y = d["value"].to_numpy(), d["OUTCOME"].to_numpy()
        rho = p = None
        if n >= min_n and len(set(x)) > 1 and len(set(y)) > 1:
            r, pv = spearman_exact(x, y)
            rho, p = float(r), float(pv)
        k, why = excluded.get(code, (0, None))
        rows.append(
            {
                "code": code,
                "predictor": label,
                "set": set_label(when, options=options),
                "n": n,
                "n_excluded": k,
                "excluded": why,
                "rho": rho,
                "p": p,
                "min_p": 2 / math.factorial(n) if 0 < n <= SPEARMAN_EXACT_MAX_N else None,
                "method": spearman_p_method(n)
                if n >= min_n
                else f"not tested (fewer than {min_n} patients)",
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "code": pl.String,
            "predictor": pl.String,
            "set": pl.String,
            "n": pl.Int64,
            "n_excluded": pl.Int64,
            "excluded": pl.String,
            "rho": pl.Float64,
            "p": pl.Float64,
            "min_p": pl.Float64,
            "method": pl.String,
        },
    )


def display_association(assoc: pl.DataFrame, *, with_min_p: bool = True) -> pl.DataFrame:
    """:func:`association_table` with clinical column labels, for ``tbl-exploratory`` (and
    the simulated check, ``with_min_p`` False)."""
    cols = [
        pl.col("set").alias("Analysis set"),
        pl.col("predictor").alias("Predictor"),
        pl.col("n").alias("Patients analysed, n"),
        pl.col("n_excluded").alias("Patients excluded, n"),
        pl.col("excluded").fill_null("none").alias("Excluded: reason"),
        pl.col("rho").alias("Spearman rho"),
        pl.when(pl.col("p") < 0.001)
        .then(pl.lit("< 0.001"))
        .otherwise(pl.col("p").round(3).cast(pl.String).str.pad_end(5, "0"))
        .alias("p, two-sided"),
    ]
    if with_min_p:
        cols.append(pl.col("min_p").alias("Smallest possible p at this n"))
    cols.append(pl.col("method").alias("Statistic: how p is computed"))
    return assoc.select(cols)


def design_check(
    adsl: pl.DataFrame,
    adtte: pl.DataFrame,
    latent: pl.DataFrame,
    landmarks: list[int],
    *,
    options: ReportingOptions = REPORTING,
) -> pl.DataFrame:
    """Method check of the two designs on a simulated cohort whose true response strength is
    known at day 0 (``latent``: ``USUBJID``, ``Z``; the simulator lets it speed remission).
    For each landmark day in ``landmarks``: the number of patients analysed in each analysis
    set of :func:`outcome_sets` and Spearman's rho of ``Z`` with the outcome day there. The
    baseline set does not depend on the landmark; a landmark applied to a day-0 predictor
    (the flaw this module corrects) drops the fastest responders and weakens a true
    association. Columns ``landmark``, ``set`` (label), ``n``, ``n_excluded``, ``rho``."""
    rows = []
    for day in landmarks:
        opts = replace(options, landmark_day=day)
        sets = outcome_sets(adsl, adtte, options=opts).join(
            latent.select("USUBJID", "Z"), on="USUBJID", how="inner"
        )
        summary = (
            sets.group_by("set")
            .agg(
                pl.col("included").sum().cast(pl.Int64).alias("n"),
                (~pl.col("included")).sum().cast(pl.Int64).alias("n_excluded"),
                pl.corr(
                    pl.col("Z").filter(pl.col("included")),
                    pl.col("OUTCOME").filter(pl.col("included")),
                    method="spearman",
                ).alias("rho"),
            )
            .with_columns(
                pl.lit(day, dtype=pl.Int64).alias("landmark"),
                pl.col("set").replace_strict(
                    {k: set_label(k, options=opts) for k in ANALYSIS_SETS},
                    return_dtype=pl.String,
                ),
                pl.col("set").replace_strict({"baseline": 0, "landmark": 1}).alias("_o"),
            )
        )
        rows.append(summary)
    return (
        pl.concat(rows)
        .sort("landmark", "_o")
        .select("landmark", "set", "n", "n_excluded", pl.col("rho").cast(pl.Float64))
    )


PANEL_LABELS = {
    "SLEDAIBL": "SLEDAI-2K at baseline\n(points)",
    "DSDNABL": "Anti-dsDNA at baseline\n(IU/mL, log scale)",
    "C3BL": "C3 at baseline\n(g/L)",
    "DISDURY": "Disease duration\n(whole years)",
    "NPRIORTX": "Prior therapies failed\n(number)",
    "CARTPK": "Peak CAR T cells\n(cells/µL, log scale)",
    "CARTPKDY": "CAR T-cell peak day\n(day after infusion)",
    "BCELLLM": "B cells, last count\n(cells/µL; dashed: aplasia)",
}
"""Figure panel titles of :data:`PREDICTORS` (two lines, the unit and the axis scale)."""

SET_TAGS = {
    "baseline": "BASELINE, all from day 0",
    "landmark": "DAYS 0-{landmark}, landmark {landmark}",
}
"""The first line of a panel title: the analysis set (:data:`ANALYSIS_SETS`)."""


def panel_label(code: str, *, options: ReportingOptions = REPORTING) -> str:
    """A panel title: the analysis set, then the predictor and its unit (:data:`PANEL_LABELS`)."""
    tag = SET_TAGS[PREDICTORS[code][1]].format(landmark=options.landmark_day)
    return f"{tag}\n{PANEL_LABELS[code]}"


def _drawable(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``frame`` (:func:`patient_frame`) :func:`biomarker_plot` draws: a value and
    either an analysed outcome or an observed remission day."""
    if "included" not in frame.columns:
        frame = frame.with_columns(pl.lit(True).alias("included"), pl.lit(None).alias("DORISDY"))
    return frame.filter(
        pl.col("value").is_not_null() & (pl.col("included") | pl.col("DORISDY").is_not_null())
    )


def has_points(frame: pl.DataFrame) -> bool:
    """Whether :func:`biomarker_plot` has anything to draw: on a cut where no patient has both
    a predictor value and a known outcome (e.g. DORIS never evaluable without medication data)
    the notebook says so instead of drawing an empty figure."""
    return _drawable(frame).height > 0


def biomarker_plot(
    frame: pl.DataFrame,
    cohort: list[str],
    *,
    bcell_aplasia: float,
    options: ReportingOptions = REPORTING,
):
    """One small panel per predictor of ``frame`` (:func:`patient_frame`), the baseline
    predictors first, then the early measures, each panel title naming its analysis set: the
    predictor (log axis for :data:`LOG_SCALE`, said in the title, labelled in natural units by
    :func:`log_panel_breaks`) against the months from
    infusion (day 0) to the first DORIS remission, one labelled point per patient in the
    shared patient colours (``cohort``: every USUBJID, so each patient keeps its colour).
    Filled: analysed; hollow: excluded from that analysis set although its remission was
    observed (in the early-measure panels: a remission on or before the landmark, drawn at its
    day below the dashed landmark line); a patient without an observed outcome or without a
    value is not drawn. A patient without remission by month 6 is a triangle at the horizon.
    The B-cell panel has the aplasia threshold ``bcell_aplasia`` (cells/µL) as a dashed
    line."""
    from plotnine import (
        aes,
        element_text,
        facet_wrap,
        geom_hline,
        geom_point,
        geom_text,
        geom_vline,
        ggplot,
        labs,
        scale_fill_manual,
        scale_shape_manual,
        scale_x_continuous,
        scale_y_continuous,
        theme,
    )

    from sle_car.figures import (
        DAYS_PER_MONTH,
        patient_label_expr,
        patient_palette,
        scale_colour_patient,
        theme_journal,
    )

    d = _drawable(frame)
    codes = [c for c in PREDICTORS if c in set(d["code"])]
    present = [panel_label(c, options=options) for c in codes]
    d = d.with_columns(
        patient_label_expr(),
        pl.when(pl.col("code").is_in(list(LOG_SCALE)))
        .then(pl.col("value").clip(lower_bound=1e-3).log10() + LOG_OFFSET)
        .otherwise(pl.col("value"))
        .alias("x"),
        (
            pl.when(pl.col("included")).then(pl.col("OUTCOME")).otherwise(pl.col("DORISDY"))
            / DAYS_PER_MONTH
        ).alias("y"),
        pl.col("code")
        .replace_strict({c: panel_label(c, options=options) for c in codes}, return_dtype=pl.String)
        .alias("panel"),
        pl.when(~pl.col("included"))
        .then(pl.lit("excluded"))
        .when(pl.col("REACHED"))
        .then(pl.lit("remission"))
        .otherwise(pl.lit("none by month 6"))
        .alias("status"),
    ).with_columns(
        pl.col("panel").cast(pl.Enum(present)),
        pl.when(pl.col("included"))
        .then(pl.col("Patient"))
        .otherwise(pl.lit("excluded"))
        .alias("fillkey"),
    )
    # a label whose point nearly coincides with an earlier one (in panel-relative units) goes
    # below its point instead of above, so that no two labels overlap
    rel = d.with_columns(
        ((pl.col("x") - pl.col("x").min()) / (pl.col("x").max() - pl.col("x").min()))
        .over("panel")
        .fill_nan(0.5)
        .alias("_rx"),
        ((pl.col("y") - pl.col("y").min()) / (pl.col("y").max() - pl.col("y").min()))
        .fill_nan(0.5)
        .alias("_ry"),
    ).with_row_index("_i")
    close = (
        rel.join(rel, on="panel", suffix="_o")
        .filter(
            (pl.col("_i_o") < pl.col("_i"))
            & ((pl.col("_rx") - pl.col("_rx_o")).abs() < 0.4)
            & ((pl.col("_ry") - pl.col("_ry_o")).abs() < 0.08)
        )
        .group_by("_i")
        .len()
    )
    d = (
        rel.join(close, on="_i", how="left")
        .with_columns((pl.col("len").fill_null(0) % 2 == 1).alias("_below"))
        .drop("_i", "_rx", "_ry", "len")
    )
    above, below = d.filter(~pl.col("_below")), d.filter(pl.col("_below"))
    fills = {**patient_palette(cohort), "excluded": "white"}
    p = (
        ggplot(d, aes("x", "y", color="Patient"))
        + geom_point(aes(shape="status", fill="fillkey"), size=2.2, stroke=0.7)
        + geom_text(
            above, aes(label="Patient"), va="bottom", nudge_y=0.12, size=6.5, show_legend=False
        )
        + geom_text(
            below, aes(label="Patient"), va="top", nudge_y=-0.12, size=6.5, show_legend=False
        )
        + facet_wrap("panel", ncol=5, scales="free_x")
        + scale_colour_patient(cohort)
        + scale_fill_manual(values=fills, guide=None)
        + scale_shape_manual(
            values={"remission": "o", "none by month 6": "^", "excluded": "o"},
            breaks=["remission", "none by month 6", "excluded"],
            name="DORIS by month 6",
        )
        + scale_x_continuous(expand=(0.12, 0), breaks=log_panel_breaks, labels=log_panel_labels)
        + scale_y_continuous(expand=(0.15, 0))
        + labs(x="", y="Months from infusion (day 0)\nto first DORIS remission")
        + theme_journal()
        + theme(strip_text=element_text(size=6.5), legend_position="none")
    )
    early = [panel_label(c, options=options) for c in codes if PREDICTORS[c][1] == "landmark"]
    if early:
        lm = pl.DataFrame(
            {"panel": early, "v": [options.landmark_day / DAYS_PER_MONTH] * len(early)}
        ).with_columns(pl.col("panel").cast(pl.Enum(present)))
        p = p + geom_hline(lm, aes(yintercept="v"), linetype="dotted", color="#777777", size=0.4)
    if "BCELLLM" in codes:
        ref = pl.DataFrame(
            {"panel": [panel_label("BCELLLM", options=options)], "v": [float(bcell_aplasia)]}
        )
        p = p + geom_vline(
            ref.with_columns(pl.col("panel").cast(pl.Enum(present))),
            aes(xintercept="v"),
            linetype="dashed",
            color="#777777",
            size=0.4,
        )
    return p
