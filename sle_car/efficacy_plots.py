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
    expand_limits,
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
    scale_linetype_identity,
    scale_x_continuous,
    scale_y_continuous,
    scale_y_discrete,
    theme,
)

from sle_car.figures import (
    DAYS_PER_MONTH,
    MIN_TEXT_PT,
    km_plot,
    reference_line,
    scale_colour_patient,
    scale_x_months,
    spaghetti_plot,
    theme_journal,
)

MONTH_AXIS = "Months after CAR T-cell infusion"


KM_COLOUR = "#000000"
"""Kaplan-Meier curves are black: a colour of the patient palette means a patient."""


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
        + geom_point(size=1.8, color="#000000")
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
        + scale_x_months(max(3.0, last))
        + expand_limits(x=(0, max(3.0, last) + 0.3))
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
        + scale_x_months(max(3.0, last), step=6)
        + scale_y_continuous(name="Prednisolone equivalent (mg/day)")
        + labs(subtitle=f"Dashed line: {threshold_label}")
        + theme_journal()
        + theme(legend_position="none", plot_subtitle=element_text(size=MIN_TEXT_PT + 1))
    )


def _log_or_linear_breaks(limits: tuple[float, float]) -> list[float]:
    """Breaks for a facet holding log10(UPCR) (small values) or eGFR (tens)."""
    lo, hi = limits
    if hi < 3:  # log10 of UPCR in g/g
        cand = [0.05, 0.1, 0.2, 0.5, 1, 2, 3, 5, 10]
        return [math.log10(c) for c in cand if lo - 1e-9 <= math.log10(c) <= hi + 1e-9]
    step = 20 if hi - lo > 40 else 10
    return list(np.arange(math.ceil(lo / step) * step, hi + 1e-9, step))


def _log_or_linear_labels(breaks: list[float]) -> list[str]:
    if breaks and max(breaks) < 3:
        return [f"{10**b:g}" for b in breaks]
    return [f"{b:g}" for b in breaks]


def renal_plot(
    course: pl.DataFrame,
    cohort: list[str],
    *,
    upcr_threshold: float,
    cr_upcr_g_g: float | None = None,
    cr_text: str = "",
) -> ggplot:
    """UPCR (g/g, log scale) and eGFR (mL/min/1.73 m², linear) per patient over months, one
    panel each (a :func:`~sle_car.organ.renal_course` frame): the UPCR panel plots log10
    values with g/g labels (plotnine cannot mix log and linear scales across facets; labels
    at 0.05-0.5, 1, 2, 3, 5 and 10 g/g so that values above 2 are read off a label), the
    active-nephritis threshold as a dashed line and, with ``cr_upcr_g_g``, the complete-renal-
    response limit in g/g as a dotted line (:func:`sle_car.organ.complete_response_upcr_g_g`;
    ``cr_text`` names it as the SAP states it, e.g. "< 50 mg/mmol")."""
    d = course.with_columns(
        pl.when(pl.col("PARAMCD") == "PROTCRT")
        .then(pl.col("AVAL").clip(1e-3, None).log10())
        .otherwise(pl.col("AVAL"))
        .alias("Y")
    )
    label = d.filter(pl.col("PARAMCD") == "PROTCRT")["PARAM_LABEL"].first() or "UPCR (g/g)"
    lines = {"dashed": upcr_threshold}
    if cr_upcr_g_g is not None:
        lines["dotted"] = cr_upcr_g_g
    ref = pl.DataFrame(
        {
            "PARAM_LABEL": [label] * len(lines),
            "Y": [math.log10(v) for v in lines.values()],
            "LT": list(lines),
        }
    )
    last = float(d["MONTH"].max() or 6)
    subtitle = f"UPCR on a log scale; dashed line: UPCR {upcr_threshold:g} g/g (active nephritis)"
    if cr_upcr_g_g is not None:
        subtitle += (
            f"; dotted line: {cr_upcr_g_g:.2f} g/g"
            f"{f' ({cr_text})' if cr_text else ''}, complete renal response"
        )
    p = (
        ggplot(d, aes("MONTH", "Y", color="Patient", group="Patient"))
        + geom_line(size=0.5)
        + geom_point(size=0.9)
        + geom_hline(
            ref,
            aes(yintercept="Y", linetype="LT"),
            color="#777777",
            size=0.4,
            show_legend=False,
        )
        + scale_linetype_identity()
        + facet_wrap("PARAM_LABEL", nrow=1, scales="free_y")
        + scale_colour_patient(cohort)
        + scale_x_months(max(3.0, last))
        + scale_y_continuous(breaks=_log_or_linear_breaks, labels=_log_or_linear_labels, name="")
        + labs(subtitle=subtitle)
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
        + scale_x_months(max(3.0, last))
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
    unit: str = "months",
) -> ggplot:
    """Change from baseline per patient over time after the infusion (baseline = 0 at time
    0), with the minimal important difference as a dashed reference line and zero as a solid
    one. ``unit="months"``: x is ``MONTH`` (``sle_car.figures.months``), a break every month;
    ``unit="weeks"``: x is ``ADY`` / 7, a break every 4 weeks (0, 4, ..., 28: the protocol's
    questionnaire visits, as the tables read them). The MID label sits above the dashed line
    in the right margin of the panel, beyond the last assessment, on two lines ("MID" /
    "4 points"), so that it never covers a patient's line (issue 18: no overlapping labels)."""
    if unit == "weeks":
        x, per_month = "WEEK", DAYS_PER_MONTH / 7
        df = df.with_columns((pl.col("ADY") / 7).alias(x))
    elif unit == "months":
        x, per_month = "MONTH", 1.0
    else:
        raise ValueError(f"unit must be 'months' or 'weeks', not {unit!r}")
    base = (
        df.select("USUBJID", "Patient")
        .unique()
        .with_columns(pl.lit(0.0).alias(x), pl.lit(0.0).alias(y))
    )
    d = pl.concat(
        [
            base,
            df.select("USUBJID", "Patient", pl.col(x).cast(pl.Float64), pl.col(y).cast(pl.Float64)),
        ]
    ).sort("Patient", x)
    last = float(d[x].max() or 6 * per_month)
    label_x = last + 0.25 * per_month
    if unit == "weeks":
        # the last protocol week at or before the last assessment (a week-28 visit on day
        # 199 is week 28.4: the axis ends at 28, the label's margin follows)
        top = max(4, 4 * math.floor((last + 2) / 4))
        xs = scale_x_continuous(
            breaks=list(range(0, top + 1, 4)), name="Weeks after CAR T-cell infusion"
        )
    else:
        xs = scale_x_months(math.ceil(last), step=1)
    return (
        ggplot(d, aes(x, y, color="Patient", group="Patient"))
        + geom_hline(yintercept=0, color="#333333", size=0.3)
        + reference_line(mid)
        + annotate(
            "text",
            x=label_x,
            y=mid,
            label=mid_label.replace(" ", "\n", 1),
            ha="left",
            va="bottom",
            size=MIN_TEXT_PT + 0.5,
            color="#555555",
        )
        + geom_line(size=0.6)
        + geom_point(size=1.2)
        + scale_colour_patient(cohort)
        + xs
        + expand_limits(x=label_x + MARGIN_LABEL_MONTHS * per_month)
        + labs(y=y_label)
        + theme_journal()
    )


MARGIN_LABEL_MONTHS = 1.6
"""Room (months of axis) right of the last assessment for a reference line's label."""


def km_months_plot(tte: pl.DataFrame, *, y_label: str, step: int | None = None) -> ggplot:
    """Cumulative incidence (1 - Kaplan-Meier) of an ADTTE parameter (``AVAL`` days,
    ``CNSR`` 0 = event) on a month axis (day / 30.4375, :data:`~sle_car.figures.DAYS_PER_MONTH`),
    numbers at risk at every break (each month up to 9 months, else every 3 months, as
    :func:`~sle_car.figures.scale_x_months`), drawn in black (:data:`KM_COLOUR`), not in a
    patient's colour. Estimation as :func:`~sle_car.figures.km_plot` (Kaplan EL, Meier P.
    JASA 1958;53:457-481; log-log Greenwood band)."""
    from sle_car._checks import require_columns

    require_columns(tte, ["AVAL", "CNSR"], "km_months_plot", "ADTTE")
    t = (tte["AVAL"].cast(pl.Float64) / DAYS_PER_MONTH).to_numpy()
    last = float(np.max(t)) if len(t) else 1.0
    step = step or (1 if last <= 9 else 3)
    at_risk = list(range(0, math.ceil(last / step) * step + 1, step))
    return km_plot(
        t,
        (tte["CNSR"] == 0).to_numpy(),
        at_risk_times=at_risk,
        x_label=MONTH_AXIS,
        y_label=y_label,
        cumulative=True,
        color=KM_COLOUR,
    )


def patient_panels_plot(
    df: pl.DataFrame,
    cohort: list[str],
    *,
    y: str = "AVAL",
    y_label: str,
    last_month: float = 24,
    step: int = 6,
) -> ggplot:
    """One small panel per patient (``df`` with ``USUBJID``, ``MONTH`` and ``y``): lines of
    several patients at the same value (e.g. SLEDAI-2K = 0 after remission) cannot hide each
    other, and no value is moved to separate them. Patient colours and labels as everywhere
    (:func:`~sle_car.figures.spaghetti_plot`); the panel strip names the patient, so there is
    no legend."""
    return (
        spaghetti_plot(df, x="MONTH", y=y, x_label=MONTH_AXIS, y_label=y_label, patients=cohort)
        + facet_wrap("Patient", nrow=1, labeller=lambda s: f"Patient {s}")
        + scale_x_months(last_month, step=step)
        + theme(legend_position="none")
    )
