"""Efficacy, organ-function and quality-of-life figures to the figures standard of issue 18
(one patient palette and label, continuous month axes, reference lines, final-size text):
plots built on :mod:`sle_car.figures`, kept here because that module belongs to the
figures standard itself."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from plotnine import (
    aes,
    annotate,
    element_blank,
    element_text,
    facet_wrap,
    geom_errorbar,
    geom_hline,
    geom_line,
    geom_point,
    geom_step,
    geom_tile,
    ggplot,
    labs,
    scale_fill_manual,
    scale_x_continuous,
    scale_y_continuous,
    scale_y_discrete,
    theme,
)

from sle_car.figures import (
    DAYS_PER_MONTH,
    MIN_TEXT_PT,
    reference_line,
    scale_colour_patient,
    theme_journal,
)

MONTH_AXIS = "Months after CAR T-cell infusion"


def _month_breaks(last_month: float) -> list[int]:
    top = max(3, math.ceil(last_month / 3.0) * 3)
    return list(range(0, top + 1, 3))


def rate_over_time_plot(
    rates: pl.DataFrame, *, y_label: str, n_label: str = "n evaluable"
) -> ggplot:
    """Proportion per protocol time point (a :func:`~sle_car.endpoints_by_visit.rates_by_timepoint`
    frame) on a continuous month axis (the visit's nominal day / 30.4375), with exact
    Clopper-Pearson 95% intervals and the number of evaluable patients printed under each
    time point, so a 100% on one patient reads as 1/1. Time points without an evaluable
    patient show their n (0) and no point."""
    d = rates.filter(pl.col("n_evaluable") > 0)
    last = float(rates["month"].max() or 6)
    p = (
        ggplot(d, aes("month", "rate"))
        + geom_errorbar(aes(ymin="ci_low", ymax="ci_high"), width=0.35, size=0.4, color="#555555")
        + geom_point(size=1.8, color="#0072B2")
        + annotate(
            "text",
            x=rates["month"].to_list(),
            y=[-0.13] * rates.height,
            label=[str(n) for n in rates["n_evaluable"].to_list()],
            size=MIN_TEXT_PT + 0.5,
        )
        + annotate(
            "text", x=0.0, y=-0.05, label=n_label, size=MIN_TEXT_PT, ha="left", color="#555555"
        )
        + scale_y_continuous(
            limits=(-0.17, 1.0),
            breaks=[0, 0.25, 0.5, 0.75, 1.0],
            labels=lambda b: [f"{x:.0%}" for x in b],
            name=y_label,
        )
        + scale_x_continuous(
            breaks=_month_breaks(last), limits=(0, max(3.0, last) + 0.3), name=MONTH_AXIS
        )
        + theme_journal()
    )
    return p


def gc_taper_plot(
    steps: pl.DataFrame, cohort: list[str], *, threshold: float, threshold_label: str
) -> ggplot:
    """Prednisolone-equivalent daily dose per patient (a
    :func:`~sle_car.endpoints_by_visit.glucocorticoid_steps` frame) as a step line in one
    panel per patient (no patient hides another), zero drawn as the dose it is, a month axis
    and the DORIS glucocorticoid limit as a reference line."""
    pts = pl.concat(
        [
            steps.select("Patient", (pl.col("START") / DAYS_PER_MONTH).alias("MONTH"), "PREDDOSE"),
            steps.group_by("Patient")
            .agg(pl.col("END").max(), pl.col("PREDDOSE").sort_by("START").last())
            .select("Patient", (pl.col("END") / DAYS_PER_MONTH).alias("MONTH"), "PREDDOSE"),
        ]
    ).sort("Patient", "MONTH")
    last = float(pts["MONTH"].max() or 6)
    return (
        ggplot(pts, aes("MONTH", "PREDDOSE", color="Patient", group="Patient"))
        + reference_line(threshold)
        + geom_step(direction="hv", size=0.7)
        + facet_wrap("Patient", nrow=1, labeller=lambda s: f"Patient {s}")
        + scale_colour_patient(cohort)
        + scale_x_continuous(breaks=_month_breaks(last)[::2], name=MONTH_AXIS)
        + scale_y_continuous(name="Prednisolone equivalent (mg/day)")
        + labs(subtitle=f"Dashed line: {threshold_label}")
        + theme_journal()
        + theme(legend_position="none", plot_subtitle=element_text(size=MIN_TEXT_PT + 1))
    )


def _log_or_linear_breaks(limits: tuple[float, float]) -> list[float]:
    """Breaks for a facet holding log10(UPCR) (small values) or eGFR (tens)."""
    lo, hi = limits
    if hi < 3:  # log10 of UPCR in g/g
        cand = [0.05, 0.1, 0.2, 0.5, 1, 2, 5]
        return [math.log10(c) for c in cand if lo - 1e-9 <= math.log10(c) <= hi + 1e-9]
    step = 20 if hi - lo > 40 else 10
    return list(np.arange(math.ceil(lo / step) * step, hi + 1e-9, step))


def _log_or_linear_labels(breaks: list[float]) -> list[str]:
    if breaks and max(breaks) < 3:
        return [f"{10**b:g}" for b in breaks]
    return [f"{b:g}" for b in breaks]


def renal_plot(course: pl.DataFrame, cohort: list[str], *, upcr_threshold: float) -> ggplot:
    """UPCR (g/g, log scale) and eGFR (mL/min/1.73 m², linear) per patient over months, one
    panel each (a :func:`~sle_car.organ.renal_course` frame): the UPCR panel plots log10
    values with g/g labels (plotnine cannot mix log and linear scales across facets), and
    the active-nephritis threshold as a dashed line."""
    d = course.with_columns(
        pl.when(pl.col("PARAMCD") == "PROTCRT")
        .then(pl.col("AVAL").clip(1e-3, None).log10())
        .otherwise(pl.col("AVAL"))
        .alias("Y")
    )
    ref = pl.DataFrame(
        {
            "PARAM_LABEL": [
                d.filter(pl.col("PARAMCD") == "PROTCRT")["PARAM_LABEL"].first() or "UPCR (g/g)"
            ],
            "Y": [math.log10(upcr_threshold)],
        }
    )
    last = float(d["MONTH"].max() or 6)
    p = (
        ggplot(d, aes("MONTH", "Y", color="Patient", group="Patient"))
        + geom_line(size=0.5)
        + geom_point(size=0.9)
        + geom_hline(
            ref,
            aes(yintercept="Y"),
            linetype="dashed",
            color="#777777",
            size=0.4,
        )
        + facet_wrap("PARAM_LABEL", nrow=1, scales="free_y")
        + scale_colour_patient(cohort)
        + scale_x_continuous(breaks=_month_breaks(last), name=MONTH_AXIS)
        + scale_y_continuous(breaks=_log_or_linear_breaks, labels=_log_or_linear_labels, name="")
        + labs(
            subtitle=f"UPCR on a log scale; dashed line: UPCR {upcr_threshold:g} g/g (active nephritis)"
        )
        + theme_journal()
        + theme(plot_subtitle=element_text(size=MIN_TEXT_PT + 1))
    )
    return p


BILAG_FILL = {
    "A": "#b2182b",
    "B": "#ef8a62",
    "C": "#fddbc7",
    "D": "#d1e5f0",
    "E": "#f7f7f7",
    "not graded": "#9e9e9e",
}
"""BILAG-2004 grades from severe (A, dark red) to never active (E, near white)."""


def bilag_tile_plot(systems: pl.DataFrame) -> ggplot:
    """Organ-system activity over time: one tile per BILAG-2004 system and assessment (a
    :func:`~sle_car.organ.bilag_systems_by_visit` frame), centred on its day in months,
    one panel per patient; grade A-E as an ordered fill, an ungraded system in grey."""
    from data_schemas.codelists import BILAG_DOMAINS

    order = list(reversed(list(BILAG_DOMAINS.values())))
    d = systems.with_columns(
        pl.col("GRADE").fill_null("not graded"),
        pl.format("Patient {}", "Patient").alias("Panel"),
    )
    last = float(d["MONTH"].max() or 6)
    return (
        ggplot(d, aes("MONTH", "SYSTEM", fill="GRADE"))
        + geom_tile(width=0.8, height=0.9, color="white", size=0.2)
        + facet_wrap("Panel", ncol=1)
        + scale_fill_manual(values=BILAG_FILL, breaks=list(BILAG_FILL), name="BILAG-2004 grade")
        + scale_y_discrete(limits=order, name="")
        + scale_x_continuous(breaks=_month_breaks(last), name=MONTH_AXIS)
        + theme_journal()
        + theme(panel_grid_major=element_blank(), legend_position="bottom")
    )


def change_plot(
    df: pl.DataFrame,
    cohort: list[str],
    *,
    y: str = "CHG",
    y_label: str,
    mid: float,
    mid_label: str,
) -> ggplot:
    """Change from baseline per patient over months (baseline = 0 at month 0), with the
    minimal important difference as a dashed reference line and zero as a solid one."""
    base = (
        df.select("USUBJID", "Patient")
        .unique()
        .with_columns(pl.lit(0.0).alias("MONTH"), pl.lit(0.0).alias(y))
    )
    d = pl.concat(
        [base, df.select("USUBJID", "Patient", "MONTH", pl.col(y).cast(pl.Float64))]
    ).sort("Patient", "MONTH")
    last = float(d["MONTH"].max() or 6)
    return (
        ggplot(d, aes("MONTH", y, color="Patient", group="Patient"))
        + geom_hline(yintercept=0, color="#333333", size=0.3)
        + reference_line(mid, mid_label)
        + geom_line(size=0.6)
        + geom_point(size=1.2)
        + scale_colour_patient(cohort)
        + scale_x_continuous(breaks=list(range(0, math.ceil(last) + 1)), name=MONTH_AXIS)
        + labs(y=y_label)
        + theme_journal()
    )
