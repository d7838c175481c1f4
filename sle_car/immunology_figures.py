"""Figures of notebook 05 (immunology) to the figures standard of issue 18
(``sle_car.figures``): the shared patient palette and labels, a days axis for the first 28
days and a months axis for follow-up, reference lines for thresholds, log scales for counts
and antibodies with values a log axis cannot draw shown by their own marker and counted
(``sle_car.immunology.log_floor``).

What ``sle_car.figures`` lacks and is written here: reference lines that differ between the
panels of one facetted figure (``facet_reference_lines``: each antibody its own cut-off, each
immunoglobulin its own lower limit), labelled in the panel's strip rather than over the data
(``strip_labeller``), and per-patient event lines (``event_lines``). Time axes are the
standard's own (``months``, ``scale_x_months``, ``scale_x_days``): no axis rule here.
"""

from __future__ import annotations

import polars as pl
from plotnine import (
    aes,
    facet_wrap,
    geom_hline,
    geom_line,
    geom_point,
    geom_text,
    geom_vline,
    ggplot,
    guides,
    labs,
    scale_shape_manual,
    scale_y_log10,
    theme,
)

from sle_car.figures import (
    EARLY_DAYS,
    MIN_TEXT_PT,
    months,
    patient_label_expr,
    scale_colour_patient,
    scale_x_days,
    scale_x_months,
    theme_journal,
)
from sle_car.immunology import log_floor

REF_COLOUR = "#555555"
BELOW = "0 (below detection)"
SHAPES = {"measured": "o", BELOW: "v"}
"""Marker per kind of value: a measured value is a filled circle; a value of 0 (below
detection), drawn at a floor on a log axis, an open triangle pointing down."""


def facet_reference_lines(refs: pl.DataFrame, *, label: bool = True) -> list:
    """Dashed reference lines, one per row of ``refs`` (``REF``: the y value; the facet
    columns of the figure; optional ``REFLAB``: text above the line's right end), so that every
    panel of a facetted figure carries its own threshold."""
    if refs.height == 0:
        return []
    layers = [
        geom_hline(refs, aes(yintercept="REF"), linetype="dashed", color=REF_COLOUR, size=0.4)
    ]
    if label and "REFLAB" in refs.columns:
        layers.append(
            geom_text(
                refs,
                aes(y="REF", label="REFLAB"),
                x=float("inf"),
                ha="right",
                va="bottom",
                size=MIN_TEXT_PT + 0.5,
                color=REF_COLOUR,
                inherit_aes=False,
            )
        )
    return layers


def _course_layers(d: pl.DataFrame, patients: list[str], log: bool) -> list:
    below = pl.col("KIND") == BELOW
    kinds = [k for k in SHAPES if k in d["KIND"].unique().to_list()]
    layers = [
        geom_line(size=0.5),
        geom_point(d.filter(~below), aes(shape="KIND"), size=1.3),
        scale_colour_patient(patients),
        scale_shape_manual(values=SHAPES, name="Result", limits=kinds),
        theme_journal(),
    ]
    if BELOW in kinds:
        layers.insert(2, geom_point(d.filter(below), aes(shape="KIND"), size=1.5, fill="white"))
    else:  # nothing drawn at a floor: no "Result" legend
        layers.append(guides(shape="none"))
    if log:
        layers.append(scale_y_log10())
    return layers


def _prepare(
    df: pl.DataFrame, *, y: str, log: bool, by: str | list[str] | None
) -> tuple[pl.DataFrame, str]:
    d = df.filter(pl.col(y).is_not_null()).with_columns(patient_label_expr())
    if log:
        d = log_floor(d, value=y, by=by).filter(pl.col("LOGY").is_not_null())
        yy = "LOGY"
    else:
        d = d.with_columns(pl.lit(False).alias("BELOWFL"))
        yy = y
    kind = pl.when(pl.col("BELOWFL")).then(pl.lit(BELOW))
    d = d.with_columns(kind.otherwise(pl.lit("measured")).alias("KIND"))
    return d.sort("Patient", "ADY"), yy


REF_LABEL_PLACES = ("strip", "panel", "none")
"""Where ``course_plot`` writes a reference line's label: in the panel's strip (default: no
text inside the data area, so no label overlaps a line or a point), at the line's right end
inside the panel, or nowhere."""


def strip_labeller(refs: pl.DataFrame | None, facet: str, prefix: str = "dashed: ") -> object:
    """A facet labeller adding each panel's reference-line label (``REFLAB`` of ``refs``, per
    level of ``facet``) on a second line of its strip: "Anti-dsDNA (IU/mL)" becomes
    "Anti-dsDNA (IU/mL)\ndashed: positive ≥ 30". Panels without a reference keep their
    title."""
    from plotnine import labeller

    text: dict[str, str] = {}
    if refs is not None and refs.height and "REFLAB" in refs.columns:
        for level, lab in refs.select(pl.col(facet).cast(pl.String), "REFLAB").iter_rows():
            if lab:
                text[level] = f"{prefix}{lab}"
    return labeller(**{facet: lambda s: f"{s}\n{text[s]}" if s in text else s})


def course_plot(
    df: pl.DataFrame,
    *,
    patients: list[str],
    y: str = "AVAL",
    facet: str | None = None,
    refs: pl.DataFrame | None = None,
    log: bool = False,
    unit: str = "months",
    last: float | None = None,
    y_label: str = "",
    ncol: int = 2,
    free_y: bool = False,
    ref_labels: str = "strip",
) -> ggplot:
    """Per-patient courses (``USUBJID``, ``ADY``, ``y``) on one continuous time axis, built
    by the figures standard: ``unit="months"`` (``sle_car.figures.months``: day / 30.4375;
    ``scale_x_months`` with a break every 3 months, rounded up past the last result) or
    ``"days"`` (``scale_x_days``: a break every 7 days from the earliest result, e.g. a
    baseline on day -7, through the last result up to ``last``, default
    ``sle_car.figures.EARLY_DAYS``; results after ``last`` are not drawn). ``last`` in
    months: the axis's last break (default: the last result). Facetted by ``facet``, with
    ``refs`` as per-panel reference lines (``facet_reference_lines``) whose labels
    (``REFLAB``) go where ``ref_labels`` says (:data:`REF_LABEL_PLACES`; default the panel
    strip). ``log=True``: log10 y axis, zeros drawn at a floor with their own marker
    (``log_floor`` per ``facet``). ``patients``: the whole cohort (fixed colours)."""
    if ref_labels not in REF_LABEL_PLACES:
        raise ValueError(f"ref_labels must be one of {REF_LABEL_PLACES}, not {ref_labels!r}")
    d, yy = _prepare(df, y=y, log=log, by=facet)
    if unit == "months":
        d = d.with_columns(months().alias("_X"))
        top = last if last is not None else max(float(d["_X"].max() or 0), 1.0)
        xs = scale_x_months(top, step=3, round_up=True)
    elif unit == "days":
        d = d.with_columns(pl.col("ADY").cast(pl.Float64).alias("_X"))
        top = last if last is not None else EARLY_DAYS
        d = d.filter(pl.col("_X") <= top)
        xs = scale_x_days(int(top), step=7, first_day=int(d["_X"].min() or 0))
    else:
        raise ValueError(f"unit must be 'months' or 'days', not {unit!r}")
    p = (
        ggplot(d, aes("_X", yy, color="Patient", group="Patient"))
        + _course_layers(d, patients, log)
        + xs
        + labs(y=y_label)
    )
    if facet:
        lab = strip_labeller(refs, facet) if ref_labels == "strip" else "label_value"
        p = p + facet_wrap(facet, ncol=ncol, scales="free_y" if free_y else "fixed", labeller=lab)
    if refs is not None:
        p = p + facet_reference_lines(refs, label=ref_labels == "panel")
        if ref_labels == "strip" and not facet and "REFLAB" in refs.columns and refs.height:
            p = p + labs(subtitle="Dashed line: " + "; ".join(refs["REFLAB"].cast(pl.String)))
    return p


def event_lines(events: pl.DataFrame, *, dodge: float = 0.3) -> list:
    """Vertical dotted lines at each patient's event day (``USUBJID``, ``ADY``), in the
    patient's colour, for a days axis (e.g. CRS onset on the cytokine panels). Patients with
    an event on the same day are moved apart by ``dodge`` days each, so no line hides another."""
    if events.height == 0:
        return []
    e = (
        events.with_columns(patient_label_expr())
        .sort("ADY", "Patient")
        .with_columns(
            (
                pl.col("ADY").cast(pl.Float64)
                + dodge
                * (
                    pl.int_range(pl.len()).over("ADY").cast(pl.Float64)
                    - (pl.len().over("ADY").cast(pl.Float64) - 1) / 2
                )
            ).alias("_X")
        )
    )
    return [geom_vline(e, aes(xintercept="_X", color="Patient"), linetype="dotted", size=0.6)]


def legend_bottom() -> theme:
    """Legends under the panels: a single-column (85 mm) figure keeps its panel width."""
    return theme(legend_position="bottom", legend_box="vertical")


def titre_breaks(values: pl.Series, cutoff: float) -> list[float]:
    """Doubling dilutions (reciprocal titres) from the lower of ``cutoff`` and the lowest
    positive value up to the highest value: 80, 160, ..., 1280 for an ANA panel read from
    1:80. Titres are doubling dilutions, so these are the only values a titre can take."""
    pos = values.filter(values > 0)
    lo = min(cutoff, float(pos.min())) if pos.len() else cutoff
    hi = max(cutoff, float(pos.max())) if pos.len() else cutoff
    out = [lo]
    while out[-1] < hi:
        out.append(out[-1] * 2)
    return out


def titre_plot(
    df: pl.DataFrame,
    *,
    patients: list[str],
    cutoff: float,
    y_label: str,
    dodge: float = 0.12,
    ref_label: str | None = None,
) -> ggplot:
    """Per-patient courses of a reciprocal titre (``USUBJID``, ``ADY``, ``AVAL``; e.g. ANA by
    HEp-2 immunofluorescence) over months after the infusion on a log2 axis whose ticks are
    the doubling dilutions (``titre_breaks``), labelled "1:80", "1:160", .... Patients with
    the same titre would hide one another, so each patient is drawn ``dodge`` of a dilution
    step above or below the others (patients in cohort order, centred on the true titre; at
    most ± 0.24 step for five patients: never mistaken for the next dilution). A titre of 0
    (negative at the lowest dilution tested) is drawn half a step below the lowest tick with
    an open triangle, labelled "neg.". ``cutoff``: the positivity cut-off, a dashed line
    described in the subtitle by ``ref_label`` (default "positive ≥ 1:<cutoff>")."""
    from plotnine import scale_y_continuous

    d = df.filter(pl.col("AVAL").is_not_null()).with_columns(patient_label_expr())
    breaks = titre_breaks(d["AVAL"], cutoff)
    neg = breaks[0] / 2
    has_neg = bool((d["AVAL"] <= 0).any())
    order = {p: i for i, p in enumerate(sorted(dict.fromkeys(patients)))}
    centre = (len(order) - 1) / 2
    rank = pl.col("USUBJID").replace_strict(order, default=None, return_dtype=pl.Float64)
    d = (
        d.with_columns(
            (pl.col("AVAL") <= 0).alias("BELOWFL"),
            pl.when(pl.col("AVAL") <= 0).then(pl.lit(neg)).otherwise(pl.col("AVAL")).alias("_T"),
        )
        .with_columns(
            (pl.col("_T") * (2.0 ** (dodge * (rank.fill_null(centre) - centre)))).alias("LOGY"),
            pl.when(pl.col("BELOWFL"))
            .then(pl.lit(BELOW))
            .otherwise(pl.lit("measured"))
            .alias("KIND"),
            months().alias("_X"),
        )
        .sort("Patient", "ADY")
    )
    ticks = ([neg] if has_neg else []) + breaks
    labels = (["neg."] if has_neg else []) + [f"1:{b:g}" for b in breaks]
    top = max(float(d["_X"].max() or 0), 1.0)
    refs = pl.DataFrame(
        {"REF": [float(cutoff)], "REFLAB": [ref_label or f"positive ≥ 1:{cutoff:g}"]}
    )
    layers = _course_layers(d, patients, log=False)
    return (
        ggplot(d, aes("_X", "LOGY", color="Patient", group="Patient"))
        + layers
        + scale_y_continuous(
            trans="log2",
            breaks=ticks,
            labels=labels,
            limits=(ticks[0] / 2**0.4, ticks[-1] * 2**0.4),
            name=y_label,
        )
        + scale_x_months(top, step=3, round_up=True)
        + facet_reference_lines(refs, label=False)
        + labs(subtitle=f"Dashed line: {refs['REFLAB'][0]}")
    )
