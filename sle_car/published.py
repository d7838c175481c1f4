"""Like-for-like comparison of the pilot with published CAR-T-in-SLE cohorts (issue 18).

The published numbers are ``sle_car/data/published_cohorts.csv``: one row per study and
endpoint, each with its provenance code (T: the paper's abstract; C: conference abstract; S:
secondary source; D: arithmetic on or inference from published numbers), where it was read
(``source``), as collected in ``shared/reference/published_cart_sle.md`` (§1-3), and
``verified``: whether the number was checked against the primary paper's own text (primary,
with the place: abstract, Results) or rests on a secondary source (which one), and whether
that check was made when the comparison was last revised (issue 18: the primary full texts of
Mackensen 2022 and Müller 2024 were not retrievable, so their safety numbers stay secondary). Rules of the comparison:

- the same definition and time point as the pilot: DORIS remission *at* month 3 and *at* month
  6 (the pilot at the same analysis visits, from ADRS), CRS of any grade and of grade ≥ 2,
  ICANS of any grade; a published number with another definition or time point is listed
  under ``DORIS_OTHER`` (``same_as_pilot`` = N), never beside the pilot's number;
- SLE patients only where the paper separates them; a number that mixes diseases (Müller 2024:
  8 SLE, 3 myositis, 4 systemic sclerosis) says so (``sle_only`` = N) and is never pooled;
- a source that does not state its CRS/ICANS grading scale says so (``same_as_pilot`` = U):
  its any-grade count is compared (whether CRS or ICANS occurred does not depend on the
  scale), its grade >= 2 count is not (:func:`comparable`);
- products apart: autologous CD19, CD19 + BCMA and allogeneic CD19 are never pooled together;
  a systematic review (which pools products itself) is context only: in the table, never in
  the forest plot beside the pilot;
- a pooled estimate only within one named product (not across autologous CD19 products with
  other costimulatory domains and doses), from SLE-only numbers on the pilot's definition,
  counting every patient once (:func:`pooled_without_overlap`).
"""

from __future__ import annotations

import math
from typing import Literal

import polars as pl

from sle_car._checks import require_columns
from sle_car.sap import MONITORING, REPORTING, MonitoringOptions, ReportingOptions
from sle_car.stats import clopper_pearson

ENDPOINTS = {
    "DORIS_M3": "DORIS remission at month 3",
    "DORIS_M6": "DORIS remission at month 6",
    "DORIS_OTHER": "DORIS remission, other definition or time point (not comparable)",
    "CRS_ANY": "CRS, any grade",
    "CRS_G2": "CRS, grade ≥ 2",
    "ICANS_ANY": "ICANS, any grade",
}
"""The comparison's endpoints, in the order of the table and figure."""

PRODUCT_TYPES = ["autologous CD19", "CD19 + BCMA", "allogeneic CD19", "various (systematic review)"]
"""Product types in the order shown; never pooled across one another."""

PILOT = "This pilot"

_SCHEMA = {
    "study": pl.String,
    "year": pl.Int64,
    "ref": pl.Int64,
    "product": pl.String,
    "product_type": pl.String,
    "endpoint": pl.String,
    "k": pl.Int64,
    "n": pl.Int64,
    "definition": pl.String,
    "sle_only": pl.String,
    "population": pl.String,
    "same_as_pilot": pl.String,
    "provenance": pl.String,
    "source": pl.String,
    "overlap_group": pl.String,
    "verified": pl.String,
}


def published_cohorts() -> pl.DataFrame:
    """The cited published results shipped with the package, one row per study and endpoint
    (``sle_car/data/published_cohorts.csv``; provenance codes of ``published_cart_sle.md``)."""
    from importlib import resources

    raw = resources.files("sle_car.data").joinpath("published_cohorts.csv").read_bytes()
    return pl.read_csv(raw, schema=_SCHEMA)


def order_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows in reading order: by endpoint (:data:`ENDPOINTS`), the pilot first, then by product
    type (:data:`PRODUCT_TYPES`), year and study, with a pooled row after its product type's
    studies; never alphabetical across product types."""
    return (
        rows.with_columns(
            pl.col("endpoint").replace_strict(ENDPOINTS, return_dtype=pl.String).alias("_e"),
            pl.col("endpoint")
            .replace_strict({e: i for i, e in enumerate(ENDPOINTS)}, return_dtype=pl.Int64)
            .alias("_eo"),
            (pl.col("study") != PILOT).cast(pl.Int64).alias("_po"),
            pl.col("product_type")
            .replace_strict(
                {p: i for i, p in enumerate(PRODUCT_TYPES)}, default=99, return_dtype=pl.Int64
            )
            .alias("_to"),
            pl.col("study").str.starts_with("Pooled").cast(pl.Int64).alias("_pl"),
        )
        .sort("_eo", "_po", "_to", "_pl", "year", "study")
        .drop("_e", "_eo", "_po", "_to", "_pl")
    )


TOXICITIES = {
    "CRS_ANY": (pl.col("AECAT") == "CRS", "CRS, any grade (ASTCT 2019)"),
    "CRS_G2": ((pl.col("AECAT") == "CRS") & (pl.col("ATOXGR") >= 2), "CRS grade >= 2 (ASTCT 2019)"),
    "ICANS_ANY": (pl.col("AECAT") == "ICANS", "ICANS, any grade (ASTCT 2019)"),
    "CRS_ICANS_G3": (
        pl.col("AECAT").is_in(["CRS", "ICANS"]) & (pl.col("ATOXGR") >= 3),
        "CRS or ICANS grade >= 3 (ASTCT 2019)",
    ),
}
"""The CRS/ICANS endpoints: ADAE records that make the event, and the definition in words."""


def toxicity_status(
    adsl: pl.DataFrame,
    adae: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
    purpose: Literal["rate", "monitoring"] = "rate",
) -> pl.DataFrame:
    """Per infused patient (``SAFFL`` = Y) and endpoint of :data:`TOXICITIES`: ``status``
    "event", "no event" or "not yet evaluable", by ``purpose``:

    - "rate" (a rate to compare with published cohorts: tbl-pilot-rates, tbl-published,
      fig-forest): only patients followed through the CRS/ICANS window (``LSTALVDY`` >=
      ``options.crs_icans_window_day``) are evaluable, "event" (an ADAE record of the
      endpoint) or "no event"; every other patient is "not yet evaluable", *with or without*
      the event. Counting a patient with an early event while leaving out those without one
      yet would make the rate 100 % by construction when follow-up is short (every patient
      at day 14: only those with CRS would count). Same denominator for events and non-events,
      with one exception: a patient with the event whose follow-up closed before the window
      ended (ADSL ``EOSSTT`` COMPLETED/DISCONTINUED or ``DTHFL`` = Y: e.g. died of CRS on day
      10) counts as "event" — their follow-up can never reach the window, and leaving them
      out would drop exactly the worst events. Events count over all follow-up.
    - "monitoring" (the stopping rule, :func:`monitoring_sequence`): safety first, an event
      counts at once ("event" whatever the follow-up); a patient without it is "no event"
      once followed through the window, otherwise "not yet evaluable". This errs towards
      stopping early, which is what a stopping rule must do; it is not a rate to compare.

    ASTCT CRS and ICANS begin within the first weeks after the infusion (Lee DW et al. Biol
    Blood Marrow Transplant 2019;25:625-638; window: :class:`sle_car.sap.ReportingOptions`), so a patient infused days before the cut
    is not a patient without CRS. A patient who died or left the study before the window
    closed, without the event, stays "not yet evaluable" (out of the denominator, never a
    patient without the event). Columns ``USUBJID``, ``endpoint``, ``status``."""
    if purpose not in ("rate", "monitoring"):
        raise ValueError(
            f"toxicity_status: purpose must be 'rate' or 'monitoring', got {purpose!r}"
        )
    require_columns(adsl, ["USUBJID", "SAFFL", "LSTALVDY"], "toxicity_status (ADSL)")
    require_columns(adae, ["USUBJID", "AECAT", "ATOXGR"], "toxicity_status (ADAE)")
    saf = adsl.filter(pl.col("SAFFL") == "Y").select(
        "USUBJID",
        "LSTALVDY",
        # follow-up closed: completed, left or died (ADSL EOSSTT / DTHFL; null: not recorded)
        (
            (
                pl.col("EOSSTT").is_in(["COMPLETED", "DISCONTINUED"])
                if "EOSSTT" in adsl.columns
                else pl.lit(False)
            )
            | ((pl.col("DTHFL") == "Y") if "DTHFL" in adsl.columns else pl.lit(False))
        )
        .fill_null(False)
        .alias("_CLOSED"),
    )
    ae = adae.join(saf, on="USUBJID", how="semi")
    events = pl.concat(
        [
            ae.filter(expr).select("USUBJID").unique().with_columns(pl.lit(code).alias("endpoint"))
            for code, (expr, _) in TOXICITIES.items()
        ]
    ).with_columns(pl.lit(True).alias("_event"))
    grid = saf.join(pl.DataFrame({"endpoint": list(TOXICITIES)}), how="cross")
    followed = (pl.col("LSTALVDY") >= options.crs_icans_window_day).fill_null(False)
    return (
        grid.join(events, on=["USUBJID", "endpoint"], how="left")
        .with_columns(
            pl.when(
                pl.col("_event") & (followed | pl.col("_CLOSED"))
                if purpose == "rate"
                else pl.col("_event")
            )
            .then(pl.lit("event"))
            .when(followed)
            .then(pl.lit("no event"))
            .otherwise(pl.lit("not yet evaluable"))
            .alias("status")
        )
        .select("USUBJID", "endpoint", "status")
        .sort("USUBJID", "endpoint")
    )


def pilot_results(
    adsl: pl.DataFrame,
    adae: pl.DataFrame,
    adrs: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
    ae_collected: bool | None = None,
) -> pl.DataFrame:
    """The pilot's numbers on the comparison's definitions, in the columns of
    :func:`published_cohorts` plus ``not_evaluable`` (patients of the safety population
    without an evaluable DORIS assessment at the visit: visit not reached, missed or not
    evaluable; they are not in ``n``):

    - DORIS_M3 / DORIS_M6: ADRS ``DORISREM`` (DORIS 2021, van Vollenhoven RF et al. Lupus Sci
      Med 2021;8:e000538) *at* the analysis visit ``options.month3_visit`` /
      ``month6_visit``: k = "Y", n = evaluable (Y or N) among the safety population, never
      "ever by month 6";
    - CRS_ANY, CRS_G2, ICANS_ANY: patients of the safety population (``SAFFL`` = Y) with an
      ADAE record of ``AECAT`` CRS (``ATOXGR`` ≥ 2 for CRS_G2) or ICANS (ASTCT 2019 grades,
      Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638), over all follow-up; n =
      the patients followed through ``options.crs_icans_window_day`` (:func:`toxicity_status`
      with ``purpose="rate"``) and k = those of them with the event; the others, with or
      without an event so far, are counted in ``not_evaluable`` ("not yet evaluable"), so a
      short follow-up never makes the rate 100 % by construction. When the cut did not
      collect adverse events (``ae_collected`` False; default: ADAE has no record) these are
      not evaluable: n = 0 and every patient counted
      in ``not_evaluable``, never 0 of N."""
    saf = adsl.filter(pl.col("SAFFL") == "Y").select("USUBJID")
    n_saf = saf.height
    rows = []
    for code, visit in (("DORIS_M3", options.month3_visit), ("DORIS_M6", options.month6_visit)):
        at = adrs.filter((pl.col("PARAMCD") == "DORISREM") & (pl.col("AVISIT") == visit)).join(
            saf, on="USUBJID", how="semi"
        )
        k = at.filter(pl.col("AVALC") == "Y").height
        n = at.filter(pl.col("AVALC").is_not_null()).height
        rows.append(
            (code, k, n, n_saf - n, f"DORIS remission at the {visit} analysis visit", "ADRS")
        )
    if ae_collected is None:
        ae_collected = adae.height > 0
    window = options.crs_icans_window_day
    status = toxicity_status(adsl, adae, options=options, purpose="rate") if ae_collected else None
    for code in ("CRS_ANY", "CRS_G2", "ICANS_ANY"):
        text = TOXICITIES[code][1]
        if status is None:  # not collected: not evaluable, never a clean 0
            rows.append((code, 0, 0, n_saf, f"{text}: adverse events not collected", "ADAE"))
            continue
        st = status.filter(pl.col("endpoint") == code)["status"]
        k = int((st == "event").sum())
        n = k + int((st == "no event").sum())
        text = f"{text}; patients followed through day {window}"
        rows.append((code, k, n, n_saf - n, text, "ADAE"))
    return pl.DataFrame(
        [
            {
                "study": PILOT,
                "year": None,
                "ref": None,
                "product": "autologous CD19 CAR T cells",
                "product_type": "autologous CD19",
                "endpoint": code,
                "k": k,
                "n": n,
                "definition": text,
                "sle_only": "Y",
                "population": "SLE",
                "same_as_pilot": "Y",
                "provenance": "this study",
                "source": f"{dataset} of this data cut",
                "overlap_group": "PILOT",
                "verified": "this study",
                "not_evaluable": ne,
            }
            for code, k, n, ne, text, dataset in rows
        ],
        schema={**_SCHEMA, "not_evaluable": pl.Int64},
    )


def monitoring_sequence(
    adsl: pl.DataFrame,
    adae: pl.DataFrame,
    *,
    options: ReportingOptions = REPORTING,
    monitoring: MonitoringOptions = MONITORING,
) -> pl.DataFrame:
    """The toxicity rule of :class:`sle_car.sap.MonitoringOptions` (Thall, Simon & Estey,
    Stat Med 1995;14:357-379) applied to the infused patients one after another. **Assumed
    order**: the subject number (``USUBJID``); nothing in the data records the order of
    infusion. Each patient's grade >= 3 CRS or ICANS status is :func:`toxicity_status`'s
    (CRS_ICANS_G3) with ``purpose="monitoring"``: an event counts at once, whatever the
    follow-up (safety first; unlike the comparison's rates, whose denominator is the patients
    followed through the window); an "event" or "no event" patient enters the counts; a "not yet
    evaluable" patient (window not completed) does not, and the rule is not updated after
    them. Columns: ``USUBJID``, ``status``, ``evaluable`` and ``events`` (cumulative, over
    evaluable patients), ``p_above`` (posterior P(rate > threshold | data); null when no
    patient is evaluable yet or after a not-yet-evaluable patient) and ``rule`` ("stop",
    "continue", "not yet evaluable")."""
    from scipy import stats as sps

    st = (
        toxicity_status(adsl, adae, options=options, purpose="monitoring")
        .filter(pl.col("endpoint") == "CRS_ICANS_G3")
        .sort("USUBJID")
        .with_columns(
            (pl.col("status") != "not yet evaluable").cast(pl.Int64).cum_sum().alias("evaluable"),
            (pl.col("status") == "event").cast(pl.Int64).cum_sum().alias("events"),
        )
    )
    a, b = monitoring.prior
    k, n = st["events"].to_numpy(), st["evaluable"].to_numpy()
    p = sps.beta.sf(monitoring.threshold, a + k, b + n - k)
    return (
        st.select("USUBJID", "status", "evaluable", "events")
        .with_columns(
            pl.when(pl.col("status") != "not yet evaluable")
            .then(pl.Series("p", p, dtype=pl.Float64))
            .alias("p_above")
        )
        .with_columns(
            pl.when(pl.col("p_above").is_null())
            .then(pl.lit("not yet evaluable"))
            .when(pl.col("p_above") > monitoring.prob_cutoff)
            .then(pl.lit("stop"))
            .otherwise(pl.lit("continue"))
            .alias("rule")
        )
    )


def comparable() -> pl.Expr:
    """Rows measured like the pilot: ``same_as_pilot`` Y, or U (the grading scale is not
    stated in the source) for an any-grade count (CRS_ANY, ICANS_ANY: whether a patient had
    CRS or ICANS at all does not depend on the grading scale; the grade >= 2 cut-off does, so a
    CRS_G2 row with an unstated scale is not comparable)."""
    return (pl.col("same_as_pilot") == "Y") | (
        (pl.col("same_as_pilot") == "U") & pl.col("endpoint").is_in(["CRS_ANY", "ICANS_ANY"])
    )


def poolable(cohorts: pl.DataFrame) -> pl.Expr:
    """Rows that may enter a pooled estimate: SLE-only, on the pilot's definition
    (:func:`comparable`), from a primary study (not a systematic review), with both counts."""
    return (
        (pl.col("sle_only") == "Y")
        & comparable()
        & (pl.col("overlap_group") != "REVIEW")
        & ~pl.col("product_type").str.starts_with("various")
        & pl.col("k").is_not_null()
        & pl.col("n").is_not_null()
    )


def pooled_without_overlap(cohorts: pl.DataFrame, endpoint: str) -> pl.DataFrame:
    """Pooled published estimate of ``endpoint`` per product (one named CAR-T product, e.g.
    MB-CART19.1: the same construct, costimulatory domain and dosing; never across products
    of one type, such as MB-CART19.1 (4-1BB, dose per kg) with KYV-101 (CD28, flat dose)),
    counting every patient once: only :func:`poolable` rows; within an overlap group (the
    same patients in several papers) only the largest report; a pool only where at least two
    studies remain. Events and patients are added (a simple pooled proportion, no weighting
    for between-study heterogeneity) with an exact Clopper-Pearson interval. One row per
    pooled product (``product``, ``product_type``, ``k``, ``n``, ``rate``, ``ci_low``,
    ``ci_high``, ``studies``), none when nothing pools."""
    d = cohorts.filter((pl.col("endpoint") == endpoint) & poolable(cohorts))
    used = d.sort("n", "study", descending=[True, False]).unique(
        subset=["product", "overlap_group"], keep="first", maintain_order=True
    )
    agg = (
        used.group_by("product_type", "product")
        .agg(
            pl.col("k").sum(),
            pl.col("n").sum(),
            pl.len().alias("_studies"),
            pl.col("study").sort().str.join(", ").alias("studies"),
        )
        .filter(pl.col("_studies") >= 2)
        .drop("_studies")
        .sort("product_type", "product")
    )
    ci = [clopper_pearson(k, n) for k, n in agg.select("k", "n").iter_rows()]
    return agg.with_columns(
        pl.lit(endpoint).alias("endpoint"),
        (pl.col("k") / pl.col("n")).alias("rate"),
        pl.Series("ci_low", [c[0] for c in ci], dtype=pl.Float64),
        pl.Series("ci_high", [c[1] for c in ci], dtype=pl.Float64),
    )


def comparison_rows(pilot: pl.DataFrame, cohorts: pl.DataFrame) -> pl.DataFrame:
    """The pilot and the published numbers in one frame, with the pooled rows of
    :func:`pooled_without_overlap` per endpoint and product type, each with its exact
    (Clopper-Pearson) 95 % interval (``rate``, ``ci_low``, ``ci_high``; null for n = 0) and
    ``kind`` ("pilot", "published", "pooled"), in :func:`order_rows` order."""
    pub = cohorts.with_columns(pl.lit(None, dtype=pl.Int64).alias("not_evaluable"))
    pooled = []
    for endpoint in ENDPOINTS:
        p = pooled_without_overlap(cohorts, endpoint)
        for r in p.iter_rows(named=True):
            pooled.append(
                {
                    "study": f"Pooled {r['product']}, no overlap",
                    "product": r["product"],
                    "product_type": r["product_type"],
                    "endpoint": endpoint,
                    "k": r["k"],
                    "n": r["n"],
                    "definition": f"{r['studies']}: events and patients added, one report "
                    "per group of overlapping patients, SLE-only numbers on the pilot's definition",
                    "sle_only": "Y",
                    "population": "SLE",
                    "same_as_pilot": "Y",
                    "provenance": "D",
                    "source": "pooled here",
                    "overlap_group": "POOLED",
                    "verified": "pooled here from the rows above",
                }
            )
    pooled_df = pl.DataFrame(pooled, schema={**_SCHEMA, "not_evaluable": pl.Int64})
    kind = (
        pl.when(pl.col("study") == PILOT)
        .then(pl.lit("pilot"))
        .when(pl.col("overlap_group") == "POOLED")
        .then(pl.lit("pooled"))
        .otherwise(pl.lit("published"))
        .alias("kind")
    )
    allrows = pl.concat([pilot.select(pub.columns), pub, pooled_df.select(pub.columns)])
    ci = [
        clopper_pearson(k, n) if n else (math.nan, math.nan)
        for k, n in allrows.select("k", "n").iter_rows()
    ]
    out = allrows.with_columns(
        kind,
        pl.when(pl.col("n") > 0).then(pl.col("k") / pl.col("n")).alias("rate"),
        pl.Series("ci_low", [c[0] for c in ci], dtype=pl.Float64).fill_nan(None),
        pl.Series("ci_high", [c[1] for c in ci], dtype=pl.Float64).fill_nan(None),
    )
    return order_rows(out)


SAME_AS_PILOT_TEXT = {
    "Y": "yes",
    "U": "grading scale not stated in the source",
    "N": "no (context only)",
}
"""``same_as_pilot`` codes in words, for ``tbl-published``."""


def display_table(rows: pl.DataFrame) -> pl.DataFrame:
    """:func:`comparison_rows` with clinical column labels, for ``tbl-published``: the
    numbers, the flags and the provenance code; where each number was read and how it was
    checked are in :func:`sources_table`."""

    def pct(col: str) -> pl.Expr:
        return (100 * pl.col(col)).round(0).cast(pl.Int64).cast(pl.String)

    return rows.select(
        pl.col("endpoint").replace_strict(ENDPOINTS, return_dtype=pl.String).alias("Endpoint"),
        pl.col("study").alias("Study"),
        pl.col("product_type").alias("Product type"),
        pl.when(
            (pl.col("n") == 0)
            & pl.col("endpoint").is_in(list(TOXICITIES))
            & ~pl.col("definition").str.ends_with("not collected")
        )
        .then(pl.format("not yet evaluable ({} patients)", "not_evaluable"))
        .when(pl.col("n") == 0)
        .then(pl.format("not evaluable ({} not assessed)", "not_evaluable"))
        .when((pl.col("not_evaluable") > 0) & pl.col("endpoint").is_in(list(TOXICITIES)))
        .then(pl.format("{}/{} ({} not yet evaluable)", "k", "n", "not_evaluable"))
        .when(pl.col("not_evaluable") > 0)
        .then(pl.format("{}/{} ({} not assessed)", "k", "n", "not_evaluable"))
        .otherwise(pl.format("{}/{}", "k", "n"))
        .alias("Patients, k/n"),
        pl.when(pl.col("n") > 0)
        .then(pl.format("{} % ({}–{})", pct("rate"), pct("ci_low"), pct("ci_high")))
        .otherwise(pl.lit("–"))
        .alias("% (exact 95% CI)"),
        pl.when(pl.col("sle_only") == "Y")
        .then(pl.lit("yes"))
        .otherwise(pl.format("no: {}", "population"))
        .alias("SLE-only"),
        pl.col("same_as_pilot")
        .replace_strict(SAME_AS_PILOT_TEXT, return_dtype=pl.String)
        .alias("Same definition and time point as the pilot"),
        pl.col("provenance").alias("Provenance"),
    )


def sources_table(rows: pl.DataFrame) -> pl.DataFrame:
    """The supplement to ``tbl-published`` (``tbl-published-sources``): per published or
    pooled row, the definition as reported, where the number was read and how it was checked
    against the primary paper; the pilot's own rows are left out."""
    return rows.filter(pl.col("kind") != "pilot").select(
        pl.col("endpoint").replace_strict(ENDPOINTS, return_dtype=pl.String).alias("Endpoint"),
        pl.col("study").alias("Study"),
        pl.col("definition").alias("Definition as reported"),
        pl.col("provenance").alias("Provenance"),
        pl.col("source").alias("Source (table/page)"),
        pl.col("verified").alias("Checked against the primary source"),
    )


FOREST_ENDPOINTS = {
    "DORIS_M3": "DORIS at\nmonth 3",
    "DORIS_M6": "DORIS at\nmonth 6",
    "CRS_ANY": "CRS,\nany grade",
    "CRS_G2": "CRS,\ngrade ≥ 2",
    "ICANS_ANY": "ICANS,\nany grade",
}
"""Forest-plot panels: only the endpoints measured the same way in the pilot and the papers."""

PRODUCT_SHAPES = {
    "autologous CD19": "o",
    "CD19 + BCMA": "^",
    "allogeneic CD19": "s",
    "various (systematic review)": "X",
}
"""One marker shape per product type (the pilot is an autologous CD19 product). Not the
patient palette: a colour in this repository's figures means a patient, so product types are
shapes and the kind of row is black, grey or open."""

ROW_STYLES = {
    "this pilot": ("#000000", "#000000"),
    "published, SLE only": ("#666666", "#666666"),
    "mixed diseases (not pooled)": ("#666666", "#FFFFFF"),
    "pooled, no overlap": ("#000000", "#000000"),
}
"""The kind of row -> (line and edge colour, fill): the pilot solid black, published SLE-only
rows solid grey, mixed-disease rows open grey, pooled rows solid black diamonds
(:data:`POOLED_SHAPE`). Open means one thing only: a mixed-disease number, never pooled
(greys and black only)."""

POOLED_SHAPE = ("pooled, no overlap", "D")
"""The pooled rows' marker (legend text, shape): the diamond of a pooled estimate, whatever
the product type the pool is within (its label says which)."""


def forest_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows of :func:`comparison_rows` the forest plot shows: the pilot and the rows
    measured like it (:func:`comparable`: not ``DORIS_OTHER``, not the systematic review, not
    a grade >= 2 count on an unstated scale; those are context in the table only), with
    ``label`` ("study  k/n", "mixed diseases" where not SLE-only), ``panel``, ``group``
    (product type or "this pilot"), ``marker`` (the kind of row) and ``shape`` (the product
    type, or :data:`POOLED_SHAPE` for a pooled row, whose label names the studies it adds on a
    second line: "KYSA-1 2024 + Mackensen 2022 + ..."); the labels are made
    unique per panel with zero-width spaces so that every panel keeps the table's order."""
    d = rows.filter(
        pl.col("endpoint").is_in(list(FOREST_ENDPOINTS))
        & (pl.col("n") > 0)
        & ((pl.col("kind") == "pilot") | comparable())
    )
    order = {e: i for i, e in enumerate(FOREST_ENDPOINTS)}
    d = d.with_columns(
        pl.format(
            "{}{}  {}/{}{}",
            pl.when(pl.col("kind") == "pooled")
            .then(
                pl.format(
                    "{}\n{}",
                    pl.col("study"),
                    pl.col("definition")
                    .str.split(": ")
                    .list.first()
                    .str.replace_all(r" \([^)]*\)", "")
                    .str.replace_all(", ", " + "),
                )
            )
            .otherwise(pl.col("study")),
            pl.when(pl.col("sle_only") == "N")
            .then(pl.lit(" (mixed diseases)"))
            .otherwise(pl.lit("")),
            "k",
            "n",
            pl.lit("\u200b")
            .repeat_by(pl.col("endpoint").replace_strict(order, return_dtype=pl.Int64))
            .list.join(""),
        ).alias("label"),
        pl.col("endpoint").replace_strict(FOREST_ENDPOINTS, return_dtype=pl.String).alias("panel"),
        pl.when(pl.col("kind") == "pilot")
        .then(pl.lit("this pilot"))
        .otherwise(pl.col("product_type"))
        .alias("group"),
        pl.when(pl.col("kind") == "pilot")
        .then(pl.lit("this pilot"))
        .when(pl.col("kind") == "pooled")
        .then(pl.lit("pooled, no overlap"))
        .when(pl.col("sle_only") == "N")
        .then(pl.lit("mixed diseases (not pooled)"))
        .otherwise(pl.lit("published, SLE only"))
        .alias("marker"),
        pl.when(pl.col("kind") == "pooled")
        .then(pl.lit(POOLED_SHAPE[0]))
        .otherwise(pl.col("product_type"))
        .alias("shape"),
    )
    return d


def forest_plot(rows: pl.DataFrame):
    """Forest plot of :func:`forest_frame`: one panel per endpoint (height by its number of
    rows), the pilot on top of each, then product types in :data:`PRODUCT_TYPES` order and
    year; proportion with its exact 95 % interval. Product type = marker shape
    (:data:`PRODUCT_SHAPES`), a pooled row a black diamond (:data:`POOLED_SHAPE`); the kind of
    row = black/grey and solid/open (:data:`ROW_STYLES`): the pilot solid black, published
    SLE-only solid grey, mixed diseases open grey (the only open marker). No colour: the patient palette is kept for patients."""
    from plotnine import (
        aes,
        element_text,
        facet_grid,
        geom_errorbarh,
        geom_point,
        ggplot,
        guide_legend,
        guides,
        labs,
        scale_color_manual,
        scale_fill_manual,
        scale_shape_manual,
        scale_x_continuous,
        theme,
    )

    from sle_car.figures import theme_journal

    d = forest_frame(rows)
    labels = d["label"].to_list()[::-1]
    panels = [p for p in FOREST_ENDPOINTS.values() if p in set(d["panel"])]
    kinds = [k for k in ROW_STYLES if k in set(d["marker"])]
    shapes = {**PRODUCT_SHAPES, POOLED_SHAPE[0]: POOLED_SHAPE[1]}
    products = [p for p in shapes if p in set(d["shape"])]
    d = d.with_columns(
        pl.col("label").cast(pl.Enum(labels)),
        pl.col("panel").cast(pl.Enum(panels)),
        pl.col("marker").cast(pl.Enum(kinds)),
        pl.col("shape").cast(pl.Enum(products)),
    )
    row_keys = [k for k in kinds if k != "pooled, no overlap"]  # pooled: in the shape legend
    heights = [max(d.filter(pl.col("panel") == p).height, 2.5) for p in panels]
    edge = {k: ROW_STYLES[k][0] for k in kinds}
    fill = {k: ROW_STYLES[k][1] for k in kinds}
    return (
        ggplot(d, aes("rate", "label", color="marker"))
        + geom_errorbarh(aes(xmin="ci_low", xmax="ci_high"), height=0.3, size=0.5)
        + geom_point(aes(shape="shape", fill="marker"), size=2.2, stroke=0.7)
        + facet_grid("panel ~ .", scales="free_y", space={"x": [1], "y": heights})
        + scale_x_continuous(
            limits=(0, 1), breaks=[0, 0.25, 0.5, 0.75, 1], labels=["0", "25", "50", "75", "100"]
        )
        + scale_color_manual(values=edge, breaks=row_keys, name="Row")
        + scale_fill_manual(values=fill, breaks=row_keys, name="Row")
        + scale_shape_manual(
            values={p: shapes[p] for p in products}, breaks=products, name="Product"
        )
        + guides(
            color=guide_legend(nrow=2),
            fill=guide_legend(nrow=2),
            shape=guide_legend(nrow=2, override_aes={"fill": "#666666", "color": "#666666"}),
        )
        + labs(
            x="% of patients in remission (DORIS) or with the event (exact 95% interval)",
            y="",
        )
        + theme_journal()
        + theme(
            strip_text_y=element_text(angle=0, ha="left"),
            legend_position="bottom",
            legend_box="vertical",
        )
    )
