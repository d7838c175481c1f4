"""Publication figures: a journal theme, one ``save_figure`` helper and the plots the field
expects for small cohorts (per-patient spaghetti, swimmer, Kaplan-Meier with stepped
confidence bands, censoring marks and numbers at risk).

Determinism: PNG files are byte-identical run to run; SVG files too, because the SVG hash
salt is fixed and the date metadata removed (see ``shared/reference/stack_notes.md``).
"""

from __future__ import annotations

import copy
import hashlib
import textwrap
from pathlib import Path

import matplotlib
import numpy as np
import polars as pl
from plotnine import (
    aes,
    annotate,
    element_blank,
    element_line,
    element_rect,
    element_text,
    geom_line,
    geom_point,
    geom_rect,
    geom_segment,
    geom_step,
    ggplot,
    labs,
    scale_color_manual,
    scale_x_continuous,
    scale_y_continuous,
    theme,
    theme_bw,
)

PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
"""Okabe-Ito colours: distinguishable with colour-vision deficiency."""
SVG_SALT = "sle-car"

COLUMN_MM = {"single": 85.0, "double": 178.0}
"""Final printed widths of a one-column and a two-column journal figure (mm). Figures are
saved at their final size, so a font size in points is the size the reader sees."""
MIN_TEXT_PT = 6.0
"""Smallest text allowed at final size (journal artwork guidelines: 6-8 pt minimum)."""
DAYS_PER_MONTH = 30.4375
"""Days per month for a month axis (365.25 / 12)."""
EARLY_DAYS = 28
"""Figures of the first post-infusion weeks use days 0-28; follow-up figures use months."""


def configure_matplotlib() -> None:
    """Fonts, a fixed SVG hash salt and no timestamps: deterministic figure files."""
    matplotlib.use("Agg")
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": SVG_SALT,
            "font.family": "DejaVu Sans",
            "pdf.compression": 6,
        }
    )


def theme_journal(base_size: float = 8) -> theme:
    """A restrained theme for journal figures: white background, light grid, 8 pt text."""
    return theme_bw(base_size=base_size) + theme(
        panel_grid_minor=element_blank(),
        panel_grid_major=element_line(color="#e5e5e5", size=0.3),
        panel_border=element_rect(color="#333333", size=0.5),
        strip_background=element_rect(fill="#f2f2f2", color="#333333"),
        legend_key=element_blank(),
        plot_title=element_text(size=base_size + 1, weight="bold"),
        axis_title=element_text(size=base_size),
    )


class FigureTextTooSmall(ValueError):
    """A figure would print text below :data:`MIN_TEXT_PT` at its final size."""


def small_texts(figure: matplotlib.figure.Figure, min_pt: float = MIN_TEXT_PT) -> list[str]:
    """The visible, non-empty texts of a drawn matplotlib ``figure`` smaller than ``min_pt``
    points, as "'text' (size pt)" strings (empty when every text is large enough)."""
    from matplotlib.text import Text

    found = []
    for t in figure.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < min_pt - 1e-9:
            found.append(f"{t.get_text()[:40]!r} ({t.get_fontsize():g} pt)")
    return sorted(set(found))


def save_figure(
    plot: ggplot,
    name: str,
    *,
    column: str | None = None,
    width_mm: float | None = None,
    height_mm: float = 80,
    out_dir: Path | str | None = None,
    dpi: int = 300,
    data_label: str | None = None,
) -> dict[str, Path]:
    """Save ``plot`` as ``<name>.png`` (``dpi``) and ``<name>.svg`` (vector) in ``out_dir``
    (default ``reports/figures``, or under ``SLE_CAR_OUTPUT``); same plot, same bytes.

    Every exported figure names its data: ``data_label`` (default: the caption of the cut the
    notebooks analyse, :func:`sle_car.cut.current_cut`) is drawn as the figure's caption, so a
    synthetic figure says "Synthetic data" visibly, and is written into the file's metadata
    (PNG text chunk and SVG ``dc:description``).

    Size: ``column="single"`` (85 mm) or ``"double"`` (178 mm, :data:`COLUMN_MM`) saves at the
    final printed width; ``width_mm`` overrides it (default: the double column). The figure is
    saved at that size, so point sizes are final, and any text below :data:`MIN_TEXT_PT` is
    refused (:class:`FigureTextTooSmall`) before a file is written."""
    from sle_car.paths import figures_dir

    configure_matplotlib()
    if width_mm is None:
        if column not in (None, *COLUMN_MM):
            raise ValueError(f"column must be one of {sorted(COLUMN_MM)}, not {column!r}")
        width_mm = COLUMN_MM[column or "double"]
    if data_label is None:
        from sle_car.cut import current_cut

        data_label = current_cut().caption
    # The caption wraps to the figure's width (6-pt DejaVu Sans: ~1.3 mm per character), so
    # a single-column figure does not cut the data label off at its right edge.
    caption = textwrap.fill(data_label, width=max(40, int(width_mm / 1.3)))
    plot = (
        plot
        + labs(caption=caption)
        + theme(
            plot_caption=element_text(size=MIN_TEXT_PT, ha="left"),
            figure_size=(width_mm / 25.4, height_mm / 25.4),
        )
    )
    # Draw a copy: drawing mutates a plotnine plot (a second draw by ``save`` would lose the
    # dpi and break facetted layouts).
    figure = copy.deepcopy(plot).draw()
    try:
        too_small = small_texts(figure)
    finally:
        import matplotlib.pyplot as plt

        plt.close(figure)
    if too_small:
        raise FigureTextTooSmall(
            f"figure {name!r} at {width_mm:g} x {height_mm:g} mm has text below "
            f"{MIN_TEXT_PT:g} pt: {', '.join(too_small)}; enlarge those texts (theme or "
            "geom size) or save it wider"
        )
    out = Path(out_dir) if out_dir else figures_dir()
    out.mkdir(parents=True, exist_ok=True)
    paths = {"png": out / f"{name}.png", "svg": out / f"{name}.svg"}
    plot.save(
        paths["png"],
        width=width_mm,
        height=height_mm,
        units="mm",
        dpi=dpi,
        verbose=False,
        metadata={"Software": None, "Description": data_label},
    )
    plot.save(
        paths["svg"],
        width=width_mm,
        height=height_mm,
        units="mm",
        verbose=False,
        metadata={"Date": None, "Creator": None, "Description": data_label},
    )
    return paths


def show(plot: ggplot, name: str, **kwargs) -> object:
    """Save the figure (``save_figure``) and return its PNG for display in a notebook, so the
    stored output is the exact file the manuscript uses."""
    from IPython.display import Image

    paths = save_figure(plot, name, **kwargs)
    return Image(filename=str(paths["png"]))


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


# --- one patient label, one patient palette, one time axis ---------------------------------------
def patient_label(usubjid: str) -> str:
    """The label a patient has in every figure and table: the subject number, i.e. the part
    of ``USUBJID`` after its last "-" ("SLECAR01-01-001" -> "001")."""
    return str(usubjid).rsplit("-", 1)[-1]


def patient_label_expr(col: str = "USUBJID") -> pl.Expr:
    """:func:`patient_label` as a polars expression (named ``"Patient"``)."""
    return pl.col(col).cast(pl.Utf8).str.split("-").list.last().alias("Patient")


def patient_palette(patients: list[str]) -> dict[str, str]:
    """One colour per patient, the same in every figure: ``patients`` is the WHOLE cohort
    (e.g. ADSL's ``USUBJID`` or their labels), sorted, coloured in :data:`PALETTE` order, so a
    figure showing only some patients keeps each patient's colour. Keys are labels."""
    labels = sorted({patient_label(p) for p in patients})
    return {lab: PALETTE[i % len(PALETTE)] for i, lab in enumerate(labels)}


def scale_colour_patient(patients: list[str], *, aesthetic: str = "color", name: str = "Patient"):
    """A plotnine manual scale mapping patient labels to :func:`patient_palette` colours
    (``aesthetic="fill"`` for fills). Map the aesthetic to the label column
    (:func:`patient_label_expr`), not to ``USUBJID``."""
    from plotnine import scale_fill_manual

    values = patient_palette(patients)
    scale = scale_fill_manual if aesthetic == "fill" else scale_color_manual
    return scale(values=values, name=name, breaks=list(values), limits=list(values))


def months(col: str = "ADY") -> pl.Expr:
    """Study day as months after infusion (day / :data:`DAYS_PER_MONTH`), named ``"MONTH"``."""
    return (pl.col(col) / DAYS_PER_MONTH).alias("MONTH")


def month_breaks(last_month: float, step: int = 3, *, round_up: bool = False) -> list[int]:
    """Breaks of a month axis: every ``step`` months from 0 up to ``last_month`` (the last
    break is the largest multiple of ``step`` not beyond ``ceil(last_month)``), or with
    ``round_up=True`` up to ``last_month`` rounded UP to a multiple of ``step`` (at least one
    ``step``), so the axis ends on a labelled break at or after the last observation (24.5
    months with ``step=3``: 0, 3, ..., 27)."""
    if step <= 0:
        raise ValueError(f"step must be a positive number of months, not {step!r}")
    if round_up:
        top = max(step, int(np.ceil(last_month / step)) * step)
    else:
        top = int(np.ceil(last_month))
    return list(range(0, top + 1, step))


def scale_x_months(
    last_month: float = 24,
    step: int = 3,
    name: str = "Months after CAR T-cell infusion",
    *,
    round_up: bool = False,
    **kwargs,
):
    """Continuous follow-up axis in months (map x to :func:`months`): breaks every ``step``
    months up to ``last_month`` (:func:`month_breaks`; ``round_up=True`` ends on the next
    multiple of ``step``). Other keyword arguments (``limits``, ``expand``) go to
    ``scale_x_continuous``."""
    breaks = month_breaks(last_month, step, round_up=round_up)
    return scale_x_continuous(breaks=breaks, name=name, **kwargs)


def scale_x_days(
    last_day: int = EARLY_DAYS,
    step: int = 7,
    name: str = "Days after CAR T-cell infusion",
    *,
    first_day: int = 0,
    **kwargs,
):
    """Continuous early axis in days (default 0-28, a break every week). ``first_day`` < 0
    (e.g. a baseline sample on day -7) starts the breaks at the multiple of ``step`` at or
    before it; breaks stay on multiples of ``step`` through day 0. Other keyword arguments
    go to ``scale_x_continuous``."""
    start = min(0, (int(np.floor(first_day)) // step) * step)
    return scale_x_continuous(
        breaks=list(range(start, int(last_day) + 1, step)), name=name, **kwargs
    )


def reference_line(
    value: float,
    label: str | None = None,
    *,
    axis: str = "y",
    color: str = "#777777",
    text_size: float = MIN_TEXT_PT + 0.5,
) -> list:
    """A dashed threshold line (``axis="y"``: horizontal at ``value``; ``"x"``: vertical)
    with an optional label at its start: aplasia limits, antibody cut-offs, the MID. Add it
    to a plot with ``p + reference_line(30, "cut-off 30 IU/mL")``."""
    from plotnine import geom_hline, geom_text, geom_vline

    frame = pl.DataFrame({"v": [float(value)], "lab": [label or ""]})
    if axis == "y":
        layers = [geom_hline(yintercept=float(value), linetype="dashed", color=color, size=0.4)]
        if label:
            layers.append(
                geom_text(
                    frame,
                    aes(y="v", label="lab"),
                    x=-np.inf,
                    ha="left",
                    va="bottom",
                    size=text_size,
                    color=color,
                    inherit_aes=False,
                    nudge_y=0,
                )
            )
    elif axis == "x":
        layers = [geom_vline(xintercept=float(value), linetype="dashed", color=color, size=0.4)]
        if label:
            layers.append(
                geom_text(
                    frame,
                    aes(x="v", label="lab"),
                    y=np.inf,
                    ha="left",
                    va="top",
                    angle=90,
                    size=text_size,
                    color=color,
                    inherit_aes=False,
                )
            )
    else:
        raise ValueError(f"axis must be 'x' or 'y', not {axis!r}")
    return layers


# --- plots ------------------------------------------------------------------------------------


def spaghetti_plot(
    df: pl.DataFrame,
    *,
    x: str = "ADY",
    y: str = "AVAL",
    group: str = "USUBJID",
    x_label: str = "Days after CAR T-cell infusion",
    y_label: str = "",
    title: str | None = None,
    hline: float | None = None,
    patients: list[str] | None = None,
) -> ggplot:
    """One line per patient (for n = 5, individual courses rather than means), coloured and
    labelled as in every other figure (:func:`patient_palette` over ``patients``, the whole
    cohort; default: the patients in ``df``). Other columns of ``df`` stay available for
    facetting."""
    d = df.drop_nulls(subset=[x, y, group]).with_columns(patient_label_expr(group))
    cohort = patients if patients is not None else d[group].unique().to_list()
    p = (
        ggplot(d, aes(x, y, color="Patient", group="Patient"))
        + geom_line(size=0.6)
        + geom_point(size=1.2)
        + scale_colour_patient(cohort)
        + labs(x=x_label, y=y_label, title=title)
        + theme_journal()
    )
    if hline is not None:
        p = p + reference_line(hline)
    return p


SWIMMER_EVENTS = {
    # event: (marker, colour). Not the patient palette: a colour in these figures means a patient.
    "DORIS remission": ("o", "#000000"),
    "Drug-free remission": ("D", "#000000"),
    "B-cell return": ("^", "#555555"),
    "CRS": ("s", "#555555"),
    "Loss of remission": ("x", "#B2182B"),
    "Left the study": ("|", "#B2182B"),
    "Death": ("X", "#B2182B"),
}
"""Swimmer-plot event markers and colours (black/grey/dark red, apart from the patient
palette)."""


def swimmer_plot(
    lanes: pl.DataFrame,
    events: pl.DataFrame,
    *,
    title: str | None = None,
    x_label: str = "Months after CAR T-cell infusion",
    day_scale: float = DAYS_PER_MONTH,
    step: int = 3,
) -> ggplot:
    """Swimmer plot: one lane per patient from day 0 to the end of follow-up (``USUBJID``,
    ``ENDDY``, ``ONGOING``), patients in number order from the top (as in every legend), with
    event markers (``USUBJID``, ``ADY``, ``EVENT``, one of :data:`SWIMMER_EVENTS`); events
    of a lane within 10 days of each other are stacked above the lane so that none hides
    another; an arrow marks follow-up continuing at the data cut; months every ``step``."""
    unknown = sorted(set(events["EVENT"].to_list()) - set(SWIMMER_EVENTS))
    if unknown:
        raise ValueError(f"swimmer events without a marker: {unknown}; see SWIMMER_EVENTS")
    order = sorted(lanes["USUBJID"].to_list(), key=patient_label, reverse=True)
    pos = {s: i + 1 for i, s in enumerate(order)}
    # events of a lane less than `near` days apart form a cluster; the 2nd, 3rd ... of a
    # cluster are lifted above the lane so that none hides another
    near = 10
    events = events.sort("USUBJID", "ADY", "EVENT").with_columns(  # fixed order: same files
        (pl.col("ADY").diff().over("USUBJID").fill_null(near) >= near)
        .cum_sum()
        .over("USUBJID")
        .alias("_CLUSTER")
    )
    events = events.with_columns(
        (pl.int_range(pl.len()).over("USUBJID", "_CLUSTER") * 0.22).alias("_LIFT")
    )
    ln = lanes.with_columns(
        pl.col("USUBJID").replace_strict(pos, return_dtype=pl.Float64).alias("_Y"),
        (pl.col("ENDDY") / day_scale).alias("_X"),
    )
    ev = events.with_columns(
        (pl.col("USUBJID").replace_strict(pos, return_dtype=pl.Float64) + pl.col("_LIFT")).alias(
            "_Y"
        ),
        (pl.col("ADY") / day_scale).alias("_X"),
    )
    from plotnine import scale_shape_manual

    last = float(ln["_X"].max() or 0)
    p = (
        ggplot()
        + geom_segment(ln, aes(x=0, xend="_X", y="_Y", yend="_Y"), size=4, color="#dddddd")
        + geom_point(ev, aes("_X", "_Y", shape="EVENT", color="EVENT"), size=2.4, fill="white")
        + scale_shape_manual(values={k: m for k, (m, _) in SWIMMER_EVENTS.items()})
        + scale_color_manual(values={k: c for k, (_, c) in SWIMMER_EVENTS.items()})
        + scale_y_continuous(
            breaks=list(pos.values()), labels=[patient_label(s) for s in order], name="Patient"
        )
        + scale_x_continuous(breaks=list(range(0, int(np.ceil(last)) + step, step)), name=x_label)
        + labs(title=title, shape="Event", color="Event")
        + theme_journal()
    )
    ongoing = ln.filter(pl.col("ONGOING"))
    if ongoing.height:
        p = p + geom_point(ongoing, aes("_X", "_Y"), shape=">", size=2.5, color="#555555")
    return p


def km_table(
    durations: np.ndarray,
    events: np.ndarray,
    *,
    alpha: float = 0.05,
    conf_type: str = "log-log",
) -> pl.DataFrame:
    """Kaplan-Meier estimate as R ``survival`` computes it (``sle_car.stats.km_fit``): time,
    survival, lower, upper, starting with (0, 1). The band is null where R leaves it
    undefined (S = 0; with "log-log" also S = 1), never a collapsed [0, 0]."""
    from sle_car.stats import km_fit

    fit = km_fit(durations, events, conf_int=1 - alpha, conf_type=conf_type)
    tab = fit.select("time", "surv", "lower", "upper")
    if tab.height == 0 or tab["time"][0] > 0:
        start = pl.DataFrame(
            {"time": [0.0], "surv": [1.0], "lower": [None], "upper": [None]}, schema=tab.schema
        )
        tab = pl.concat([start, tab])
    return tab


def km_plot(
    durations: np.ndarray,
    events: np.ndarray,
    *,
    at_risk_times: list[float],
    x_label: str = "Days after CAR T-cell infusion",
    y_label: str = "Probability",
    title: str | None = None,
    cumulative: bool = False,
    color: str = PALETTE[0],
    alpha: float = 0.05,
    conf_type: str = "log-log",
) -> ggplot:
    """Kaplan-Meier curve with a stepped pointwise confidence band (built as rectangles:
    geom_ribbon would interpolate; log-log Greenwood as R ``survival``, none drawn where R
    leaves it undefined), censoring marks (+), numbers at risk outside the panel (each
    x-axis label carries the number at risk under the time, in brackets, and the axis title
    says so) and a caption naming the band. The curve and band end at the last follow-up
    (the largest duration), never at a later axis break. ``cumulative=True`` draws 1 - S(t)
    (cumulative incidence)."""
    tab = km_table(durations, events, alpha=alpha, conf_type=conf_type)
    if cumulative:
        tab = tab.with_columns(
            (1 - pl.col("surv")).alias("surv"),
            (1 - pl.col("upper")).alias("lower"),
            (1 - pl.col("lower")).alias("upper"),
        )
    end = float(np.max(durations))
    rects = tab.with_columns(pl.col("time").shift(-1).fill_null(end).alias("tend")).filter(
        pl.col("lower").is_not_null()
        & pl.col("upper").is_not_null()
        & (pl.col("tend") > pl.col("time"))
    )
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    cens_t = d[~e]
    surv_at = [float(tab.filter(pl.col("time") <= t)["surv"][-1]) for t in cens_t]
    cens = pl.DataFrame({"time": cens_t, "surv": surv_at})
    risk = [int(np.sum(d >= t)) for t in at_risk_times]
    p = (
        ggplot()
        + geom_rect(
            rects, aes(xmin="time", xmax="tend", ymin="lower", ymax="upper"), fill=color, alpha=0.15
        )
        + geom_step(tab, aes("time", "surv"), color=color, size=0.7, direction="hv")
        + annotate(
            "segment",
            x=float(tab["time"][-1]),
            xend=end,
            y=float(tab["surv"][-1]),
            yend=float(tab["surv"][-1]),
            color=color,
            size=0.7,
        )
        + scale_y_continuous(limits=(0.0, 1.0), breaks=[0, 0.25, 0.5, 0.75, 1.0], name=y_label)
        + scale_x_continuous(
            breaks=at_risk_times,
            labels=[f"{t:g}\n[{n}]" for t, n in zip(at_risk_times, risk, strict=True)],
            limits=(min(0.0, *at_risk_times), max(at_risk_times)),
            name=f"{x_label} [number at risk]",
        )
        + labs(
            title=title,
            caption=(
                f"Band: pointwise {100 * (1 - alpha):g}% CI, {conf_type} (Greenwood), "
                f"as R survival with conf.type = '{conf_type}'; undefined where S = 0"
            ),
        )
        + theme_journal()
    )
    if cens.height:
        p = p + geom_point(cens, aes("time", "surv"), shape="+", size=3, color=color)
    return p
