"""The safety tables a journal asks for (issue 18): adverse events by system organ class and
preferred term x worst grade with serious/related columns and onset windows
(``tbl-ae-grade``), CRS and ICANS per patient including patients without them
(``tbl-crs-icans``), and events of special interest (``tbl-aesi``).

Counting rules (ICH E3 §12.2; FDA/CTCAE convention for AE tables): a patient counts once per
row, at the worst grade of their events in that row (worst grade per patient per term, per
system organ class, overall); "serious", "related" and each window count a patient once when
at least one of their events in the row is serious, related, or starts in the window.
Percentages use the safety population (patients infused) as denominator. Every function is
a pure polars transformation; the notebook shows the result with ``sle_car.tables.table``.
"""

from __future__ import annotations

import polars as pl

from sle_car._checks import require_columns
from sle_car.figures import patient_label_expr
from sle_car.instruments.icaht import EARLY_WINDOW, LATE_WINDOW
from sle_car.sap import REPORTING, SAFETY

GRADES = (1, 2, 3, 4, 5)
RELATED = ("RELATED", "POSSIBLY RELATED")
"""AREL values counted as related to the CAR T cells (related or possibly related)."""

WINDOW_BEFORE = "Before infusion (lymphodepletion)"
ANY_ROW = "Any adverse event"
INDENT = "\u00a0\u00a0\u00a0\u00a0"
"""Non-breaking spaces: a preferred term is indented under its system organ class (HTML
collapses ordinary spaces)."""


def window_labels(
    *, early_end_day: int = SAFETY.early_end_day, mid_end_day: int = SAFETY.mid_end_day
) -> tuple[str, str, str]:
    """The three post-infusion onset windows as column labels, from their end days."""
    return (
        f"Days 0–{early_end_day}",
        f"Day {early_end_day + 1} to 3 months (day {mid_end_day})",
        f"> 3 months (day ≥ {mid_end_day + 1})",
    )


def compute_window(
    day: pl.Expr,
    *,
    early_end_day: int = SAFETY.early_end_day,
    mid_end_day: int = SAFETY.mid_end_day,
) -> pl.Expr:
    """The onset window of an event from its onset day since infusion (day 0):
    0 <= day <= ``early_end_day`` (28): days 0-28; ``early_end_day`` < day <= ``mid_end_day``
    (91 = 3 months of 30.4375 days): day 29 to 3 months; day > ``mid_end_day``: > 3 months;
    day < 0: before infusion (lymphodepletion). Comparators and defaults:
    ``sle_car.sap.SafetyReportingOptions`` (issue 18 asks for 0-28 days, 29 days-3 months,
    > 3 months)."""
    early, mid, late = window_labels(early_end_day=early_end_day, mid_end_day=mid_end_day)
    return (
        pl.when(day < 0)
        .then(pl.lit(WINDOW_BEFORE))
        .when(day <= early_end_day)
        .then(pl.lit(early))
        .when(day <= mid_end_day)
        .then(pl.lit(mid))
        .when(day > mid_end_day)
        .then(pl.lit(late))
    )


def n_pct(k: pl.Expr, n: int) -> pl.Expr:
    """``k`` patients of ``n`` as "k (p)" with p the whole percentage (half up); "0" for none,
    as journals print it."""
    pct = (k.cast(pl.Float64) * 100 / n + 0.5).floor().cast(pl.Int64)
    return pl.when(k == 0).then(pl.lit("0")).otherwise(pl.format("{} ({})", k.cast(pl.Int64), pct))


def derive_patient_rows(
    adae: pl.DataFrame,
    *,
    early_end_day: int = SAFETY.early_end_day,
    mid_end_day: int = SAFETY.mid_end_day,
) -> pl.DataFrame:
    """One row per patient and table row (overall, each system organ class, each preferred
    term within its class): ``SOC`` (null for the overall row), ``TERM`` (null for the
    overall and class rows), ``USUBJID``, ``WORST`` (the worst ``ATOXGR`` of the patient's
    events in the row), ``SER`` (any serious), ``REL`` (any related or possibly related),
    and one boolean per onset window (:func:`compute_window`). Input: ADAE restricted to the
    events to count (treatment-emergent)."""
    require_columns(
        adae,
        ["USUBJID", "AEBODSYS", "AEDECOD", "ATOXGR", "AESER", "AREL", "ASTDY"],
        "derive_patient_rows",
        "sle_car.derive.datasets.derive_adae",
    )
    labels = (WINDOW_BEFORE, *window_labels(early_end_day=early_end_day, mid_end_day=mid_end_day))
    x = adae.with_columns(
        compute_window(pl.col("ASTDY"), early_end_day=early_end_day, mid_end_day=mid_end_day).alias(
            "_W"
        )
    )
    aggs = [
        pl.col("ATOXGR").max().cast(pl.Int64).alias("WORST"),
        (pl.col("AESER") == "Y").any().alias("SER"),
        pl.col("AREL").is_in(list(RELATED)).any().alias("REL"),
        *[(pl.col("_W") == w).any().alias(w) for w in labels],
    ]
    overall = (
        x.group_by("USUBJID")
        .agg(aggs)
        .with_columns(
            pl.lit(None, dtype=pl.String).alias("SOC"), pl.lit(None, dtype=pl.String).alias("TERM")
        )
    )
    soc = (
        x.group_by("AEBODSYS", "USUBJID")
        .agg(aggs)
        .rename({"AEBODSYS": "SOC"})
        .with_columns(pl.lit(None, dtype=pl.String).alias("TERM"))
    )
    term = x.group_by("AEBODSYS", "AEDECOD", "USUBJID").agg(aggs)
    term = term.rename({"AEBODSYS": "SOC", "AEDECOD": "TERM"})
    cols = ["SOC", "TERM", "USUBJID", "WORST", "SER", "REL", *labels]
    return pl.concat([overall.select(cols), soc.select(cols), term.select(cols)])


def safety_population(
    adsl: pl.DataFrame, **datasets: pl.DataFrame | None
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame | None], pl.DataFrame]:
    """Restrict the safety tables' datasets to the safety population, in one place. ICH E3
    §12.2 and the protocol: the safety population is the patients infused with the CAR T cells
    (ADSL ``SAFFL`` = "Y"), and every safety table (adverse events, CRS/ICANS, events of special
    interest, laboratory grades, ICAHT, the timeline) counts its patients over it, so an event of
    a patient outside it (e.g. lymphodepleted but never infused: ``SAFFL`` = "N", yet ADAE keeps
    their treatment-emergent records) would be counted against a denominator they are not in
    and can give a percentage above 100.

    Returns the safety population (ADSL rows with ``SAFFL`` = "Y"), each keyword dataset
    (ADAE, ADLB, ...; None stays None) restricted to its patients by ``USUBJID``, and the
    records set aside (``Dataset``, ``Patients``, ``Records``; one row per dataset with
    any), so the row counts reconcile: records in = kept + set aside. Nothing else changes."""
    require_columns(adsl, ["USUBJID", "SAFFL"], "safety_population (ADSL)")
    safety = adsl.filter(pl.col("SAFFL") == "Y")
    ids = safety.select("USUBJID").unique()
    kept: dict[str, pl.DataFrame | None] = {}
    aside = []
    for name, df in datasets.items():
        if df is None:
            kept[name] = None
            continue
        require_columns(df, ["USUBJID"], f"safety_population ({name})")
        kept[name] = df.join(ids, on="USUBJID", how="semi")
        out = df.join(ids, on="USUBJID", how="anti")
        if out.height:
            aside.append(
                {"Dataset": name, "Patients": out["USUBJID"].n_unique(), "Records": out.height}
            )
    schema = {"Dataset": pl.String, "Patients": pl.Int64, "Records": pl.Int64}
    return safety, kept, pl.DataFrame(aside, schema=schema)


def ae_grade_table(
    adae: pl.DataFrame,
    n: int,
    *,
    early_end_day: int = SAFETY.early_end_day,
    mid_end_day: int = SAFETY.mid_end_day,
) -> pl.DataFrame:
    """``tbl-ae-grade``: patients (n (%) of ``n``) by system organ class and preferred term
    and worst grade (1-5 and any), serious, related, and onset window; the overall row
    first, classes by falling frequency (then name), terms likewise within their class.
    A patient counts once per row at the worst grade (``derive_patient_rows``), so the grade
    columns of a row add up to "Any grade". The before-infusion column appears only when an
    event started before day 0. Column names are clinical labels."""
    if n < 1:
        raise ValueError(f"ae_grade_table: the denominator n must be at least 1, got {n}")
    patients = adae["USUBJID"].n_unique() if "USUBJID" in adae.columns else 0
    if patients > n:
        raise ValueError(
            f"ae_grade_table: {patients} patients have adverse events but the denominator is "
            f"n = {n}: restrict ADAE to the safety population first "
            "(sle_car.safety_tables.safety_population); a percentage above 100 is never shown"
        )
    rows = derive_patient_rows(adae, early_end_day=early_end_day, mid_end_day=mid_end_day)
    windows = window_labels(early_end_day=early_end_day, mid_end_day=mid_end_day)
    before = rows.height > 0 and bool(rows[WINDOW_BEFORE].any())
    shown_windows = [WINDOW_BEFORE, *windows] if before else list(windows)
    counts = rows.group_by("SOC", "TERM").agg(
        *[(pl.col("WORST") == g).sum().alias(f"Grade {g}") for g in GRADES],
        pl.len().alias("Any grade"),
        pl.col("SER").sum().alias("Serious"),
        pl.col("REL").sum().alias("Related"),
        *[pl.col(w).sum().alias(w) for w in shown_windows],
    )
    value_cols = [*[f"Grade {g}" for g in GRADES], "Any grade", "Serious", "Related"]
    value_cols += shown_windows
    if counts.height == 0:  # no event: the overall row with zeros
        counts = pl.DataFrame(
            {"SOC": [None], "TERM": [None]}, schema={"SOC": pl.String, "TERM": pl.String}
        ).with_columns(pl.lit(0, dtype=pl.UInt32).alias(c) for c in value_cols)
    soc_any = counts.filter(pl.col("TERM").is_null() & pl.col("SOC").is_not_null()).select(
        "SOC", pl.col("Any grade").alias("_SOCN")
    )
    out = (
        counts.join(soc_any, on="SOC", how="left")
        .with_columns(
            pl.col("SOC").is_not_null().alias("_LVL1"),
            pl.col("TERM").is_not_null().alias("_LVL2"),
        )
        .sort(
            ["_LVL1", "_SOCN", "SOC", "_LVL2", "Any grade", "TERM"],
            descending=[False, True, False, False, True, False],
            nulls_last=False,
        )
        .select(
            pl.when(pl.col("SOC").is_null())
            .then(pl.lit(ANY_ROW))
            .when(pl.col("TERM").is_null())
            .then(pl.col("SOC"))
            .otherwise(pl.lit(INDENT) + pl.col("TERM"))
            .alias("System organ class / preferred term"),
            *[n_pct(pl.col(c), n).alias(c) for c in value_cols],
        )
    )
    return out


# --- CRS and ICANS ---------------------------------------------------------------------------
CRS_ICANS_AGENTS = {
    "TOCILIZUMAB": "tocilizumab",
    "SILTUXIMAB": "siltuximab",
    "ANAKINRA": "anakinra",
    "DEXAMETHASONE": "dexamethasone",
    "METHYLPREDNISOLONE": "methylprednisolone",
}
"""Drugs that treat CRS or ICANS (ASTCT consensus grading, Lee DW et al. Biol Blood Marrow
Transplant 2019;25:625-638, and EBMT/JACIE management, Hayden PJ et al. Ann Oncol
2022;33:259-275): anti-IL-6(R), anti-IL-1 and high-potency glucocorticoids. Background
prednisolone (the lupus taper) is not a CRS treatment and is not counted."""
CRS_ICANS_CLASSES = {"IL-6 RECEPTOR ANTAGONIST": None, "VASOPRESSOR": "vasopressor"}
"""Drug classes that count as CRS treatment when the drug is not one of
``CRS_ICANS_AGENTS`` (shown as the class: coded drug names only, never the text as written)."""


def derive_event_treatment(events: pl.DataFrame, cm: pl.DataFrame | None) -> pl.DataFrame:
    """``TREATMENT`` for each CRS/ICANS event of ``events`` (``USUBJID``, ``AESEQ``,
    ``ASTDY``, ``AENDY``, optional ``AEACN``): the CRS/ICANS drugs of the medication record
    (``CRS_ICANS_AGENTS`` or a class of ``CRS_ICANS_CLASSES``) started from the onset day to
    the day after the end (an ongoing event: its onset day + 1), comma-separated. Without one,
    the AE's action taken: "none" (AEACN NONE), "treatment given (drug not recorded)"
    (TREATMENT GIVEN or HOSPITALISED); "not recorded" when neither the medication record nor
    the action says (never blank)."""
    require_columns(events, ["USUBJID", "AESEQ", "ASTDY", "AENDY"], "derive_event_treatment")
    ev = events if "AEACN" in events.columns else events.with_columns(pl.lit(None).alias("AEACN"))
    ev = ev.with_columns(pl.col("AEACN").cast(pl.String))
    cm_known = cm is not None and cm.height > 0
    if cm_known:
        names = (
            pl.when(pl.col("CMTRT").is_in(list(CRS_ICANS_AGENTS)))
            .then(pl.col("CMTRT").replace_strict(CRS_ICANS_AGENTS, default=None))
            .when(pl.col("CMCLAS").is_in(list(CRS_ICANS_CLASSES)))
            .then(
                pl.col("CMCLAS").replace_strict(
                    {k: (v or k.lower()) for k, v in CRS_ICANS_CLASSES.items()}, default=None
                )
            )
        )
        drugs = cm.select("USUBJID", "CMSTDY", names.alias("_DRUG")).drop_nulls("_DRUG")
        in_window = pl.col("CMSTDY").is_between(
            pl.col("ASTDY"), pl.col("AENDY").fill_null(pl.col("ASTDY")) + 1
        )
        given = (
            ev.select("USUBJID", "AESEQ", "ASTDY", "AENDY")
            .join(drugs, on="USUBJID", how="inner")
            .filter(in_window)
            .group_by("USUBJID", "AESEQ")
            .agg(pl.col("_DRUG").unique().sort().str.join(", ").alias("_GIVEN"))
        )
        ev = ev.join(given, on=["USUBJID", "AESEQ"], how="left")
    else:
        ev = ev.with_columns(pl.lit(None, dtype=pl.String).alias("_GIVEN"))
    from_action = (
        pl.when(pl.col("AEACN") == "NONE")
        .then(pl.lit("none"))
        .when(pl.col("AEACN").is_in(["TREATMENT GIVEN", "HOSPITALISED"]))
        .then(pl.lit("treatment given (drug not recorded)"))
    )
    fallback = from_action.fill_null(pl.lit("none" if cm_known else "not recorded"))
    return ev.with_columns(pl.col("_GIVEN").fill_null(fallback).alias("TREATMENT")).drop("_GIVEN")


def crs_icans_table(
    adae: pl.DataFrame,
    subjects: list[str],
    cm: pl.DataFrame | None = None,
    adsl: pl.DataFrame | None = None,
    *,
    window_day: int = REPORTING.crs_icans_window_day,
) -> pl.DataFrame:
    """``tbl-crs-icans``: one row per infused patient (``subjects``) and event (CRS, ICANS):
    worst ASTCT grade, onset day (of the first episode), duration in days (the episodes'
    ``ADURN`` summed; "ongoing" when an episode has no end) and treatment
    (:func:`derive_event_treatment`). A patient without the event has a row saying "none"
    (grade "none"; onset, duration and treatment "not applicable"), so the table lists every
    patient. A patient without the event whose follow-up (``adsl`` ``LSTALVDY``, last day
    known alive) is shorter than the CRS/ICANS window (``window_day``,
    ``sle_car.sap.ReportingOptions.crs_icans_window_day``, 28 days: CRS and ICANS begin within
    the first weeks, Lee 2019) says "none so far (followed to day k)": not yet a patient
    without it ("follow-up not recorded" when ``LSTALVDY`` is missing). ``adae`` may carry
    ``AEACN`` (from the AE domain) for the action taken."""
    require_columns(
        adae, ["USUBJID", "AESEQ", "AECAT", "ATOXGR", "ASTDY", "AENDY", "ADURN"], "crs_icans_table"
    )
    events = adae.filter(pl.col("AECAT").is_in(["CRS", "ICANS"]))
    events = derive_event_treatment(events, cm)
    per = events.group_by("USUBJID", "AECAT").agg(
        pl.col("ATOXGR").max().cast(pl.Int64).alias("_G"),
        pl.col("ASTDY").min().alias("_ON"),
        pl.when(pl.col("ADURN").is_null().any())
        .then(pl.lit("ongoing"))
        .otherwise(pl.col("ADURN").sum().cast(pl.String))
        .first()
        .alias("_DUR"),
        pl.col("TREATMENT").unique().sort().str.join("; ").alias("_TRT"),
        pl.len().alias("_N"),
    )
    grid = pl.DataFrame({"USUBJID": sorted(set(subjects))}).join(
        pl.DataFrame({"AECAT": ["CRS", "ICANS"]}), how="cross"
    )
    if adsl is not None:
        require_columns(adsl, ["USUBJID", "LSTALVDY"], "crs_icans_table (ADSL)")
        grid = grid.join(
            adsl.select("USUBJID", pl.col("LSTALVDY").alias("_FU")), on="USUBJID", how="left"
        )
    else:
        grid = grid.with_columns(pl.lit(None, dtype=pl.Int64).alias("_FU"))
    na = pl.lit("not applicable")
    out = grid.join(per, on=["USUBJID", "AECAT"], how="left").select(
        patient_label_expr(),
        pl.col("AECAT").alias("Event"),
        pl.when(pl.col("_G").is_null() & (pl.col("_FU") < window_day))
        .then(pl.format("none so far (followed to day {})", pl.col("_FU")))
        .when(pl.col("_G").is_null() & pl.lit(adsl is not None) & pl.col("_FU").is_null())
        .then(pl.lit("none so far (follow-up not recorded)"))
        .when(pl.col("_G").is_null())
        .then(pl.lit("none"))
        .otherwise(pl.format("grade {}", pl.col("_G")))
        .alias("Worst ASTCT grade"),
        pl.when(pl.col("_G").is_null())
        .then(na)
        .otherwise(pl.col("_ON").cast(pl.String))
        .alias("Onset (day after infusion)"),
        pl.when(pl.col("_G").is_null()).then(na).otherwise(pl.col("_DUR")).alias("Duration (days)"),
        pl.when(pl.col("_G").is_null()).then(na).otherwise(pl.col("_TRT")).alias("Treatment"),
        pl.col("_N").fill_null(0).cast(pl.Int64).alias("Episodes"),
    )
    return out.sort("Patient", "Event")


# --- cytopenias ------------------------------------------------------------------------------
CYTOPENIA_PARAMS = {
    "NEUT": "Neutropenia (grade)",
    "PLAT": "Thrombocytopenia (grade)",
    "HGB": "Anaemia (grade)",
    "LYM": "Lymphopenia (grade)",
}
"""ADLB parameters of ``tbl-cytopenia`` and their column labels (CTCAE v5.0 terms)."""
NOT_MEASURED = "not measured"
NOT_REACHED = "not reached"
NOT_GRADED = "not graded"


def cytopenia_table(
    adlb: pl.DataFrame,
    icaht: pl.DataFrame | None,
    adsl: pl.DataFrame,
    *,
    early_window: tuple[int, int] = EARLY_WINDOW,
    late_window: tuple[int, int] = LATE_WINDOW,
) -> pl.DataFrame:
    """``tbl-cytopenia``: one row per infused patient (``adsl``, already the safety
    population) with the worst post-baseline CTCAE grade of neutropenia, thrombocytopenia,
    anaemia and lymphopenia (the ADLB record flagged ``WGRLOFL``), the longest run of days with
    ANC <= 500/µL and the early and late ICAHT grades (EHA/EBMT, Rejeski K et al. Blood
    2023;142:865-877; ``icaht``: ``USUBJID``, ``DAYS500``, ``ICAHTE``, ``ICAHTL`` from
    ``sle_car.instruments.icaht_early``/``icaht_late``).

    Missing is never 0 (the repo's rule: missing inputs are not evaluable): a grade is "not
    measured" when the patient has no value of that parameter after the infusion (day >= 1; a
    day-0 sample is drawn before the infusion), and the days with ANC <= 500/µL and early ICAHT
    are "not measured" without an ANC on days 1-30. Late ICAHT without a value is "not reached"
    when the patient's follow-up (``LSTALVDY``) ended before the window's first day
    (``late_window``, days 31-100), otherwise "not measured" (also when ``LSTALVDY`` is
    missing). A value measured but without a CTCAE grade (unit or reference range unknown) is
    "not graded". Values are strings."""
    require_columns(
        adlb, ["USUBJID", "PARAMCD", "ADY", "AVAL", "ATOXGRL", "WGRLOFL"], "cytopenia_table"
    )
    require_columns(adsl, ["USUBJID", "LSTALVDY"], "cytopenia_table (ADSL)")
    lab = adlb.filter(pl.col("PARAMCD").is_in(list(CYTOPENIA_PARAMS)))
    after = lab.filter((pl.col("ADY") >= 1) & pl.col("AVAL").is_not_null())
    worst = (
        lab.filter(pl.col("WGRLOFL") == "Y")
        .group_by("USUBJID")
        .agg(
            pl.col("ATOXGRL").filter(pl.col("PARAMCD") == p).cast(pl.Int64).max().alias(p)
            for p in CYTOPENIA_PARAMS
        )
    )
    measured = after.group_by("USUBJID").agg(
        *[(pl.col("PARAMCD") == p).any().alias(f"_m{p}") for p in CYTOPENIA_PARAMS],
        ((pl.col("PARAMCD") == "NEUT") & (pl.col("ADY") <= early_window[1])).any().alias("_mEARLY"),
    )
    if icaht is None:
        icaht = pl.DataFrame(
            schema={
                "USUBJID": pl.String,
                "DAYS500": pl.Int64,
                "ICAHTE": pl.Int64,
                "ICAHTL": pl.Int64,
            }
        )
    x = (
        adsl.select("USUBJID", "LSTALVDY")
        .join(worst, on="USUBJID", how="left")
        .join(measured, on="USUBJID", how="left")
        .join(icaht.select("USUBJID", "DAYS500", "ICAHTE", "ICAHTL"), on="USUBJID", how="left")
    )

    def shown(value: pl.Expr, ok: pl.Expr) -> pl.Expr:
        return (
            pl.when(~ok.fill_null(False))
            .then(pl.lit(NOT_MEASURED))
            .otherwise(value.cast(pl.String).fill_null(pl.lit(NOT_GRADED)))
        )

    late = (
        pl.when(pl.col("ICAHTL").is_not_null())
        .then(pl.col("ICAHTL").cast(pl.String))
        .when(pl.col("LSTALVDY") < late_window[0])
        .then(pl.lit(NOT_REACHED))
        .otherwise(pl.lit(NOT_MEASURED))
    )
    return x.sort("USUBJID").select(
        patient_label_expr(),
        *[shown(pl.col(p), pl.col(f"_m{p}")).alias(lab_) for p, lab_ in CYTOPENIA_PARAMS.items()],
        shown(pl.col("DAYS500"), pl.col("_mEARLY")).alias("Days with ANC ≤ 500/µL"),
        shown(pl.col("ICAHTE"), pl.col("_mEARLY")).alias("Early ICAHT (grade)"),
        late.alias("Late ICAHT (grade)"),
    )


# --- events of special interest --------------------------------------------------------------
AESI_COLUMNS = ("Grade 1", "Grade 2", "Grade 3", "Grade 4", "Grade 5")


def _grade_row(
    worst: pl.DataFrame, label: str, definition: str, assessed: int, *, graded: bool = True
) -> pl.DataFrame:
    """One AESI row from one row per patient with the event and its worst grade ``WORST``;
    ``graded=False`` for a definition without grades (grade cells null)."""
    k = worst.height
    row = {
        "Event of special interest": label,
        "Definition": definition,
        "Patients assessed": str(assessed),
        "Patients with the event, n (%)": k,
    }
    for g in GRADES:
        row[f"Grade {g}"] = int((worst["WORST"] == g).sum()) if graded else None
    return pl.DataFrame([row]).with_columns(
        pl.col(c).cast(pl.Int64) for c in ["Patients with the event, n (%)", *AESI_COLUMNS]
    )


LICATS_KIDNEY_LABS = {
    "Proteinuria": ("PROTCRT", 1.0, "UPCR above its baseline"),
    "Blood creatinine increased": ("CREAT", 1.5, "creatinine ≥ 1.5 × its baseline"),
}
"""Kidney LICATS terms and the laboratory change that makes them one (Hagen M et al. Lancet
Rheumatol 2025;7:e424-e433: "creatinine values 50% higher than baseline levels or a raised urine
protein-creatinine ratio" in a kidney affected before CAR T cells): preferred term ->
(PARAMCD, factor over the baseline ``BASE``, text). Factor 1.0 means strictly above."""


def licats_lab_check(
    events: pl.DataFrame,
    adlb: pl.DataFrame,
    onset_window_days: int = SAFETY.licats_onset_window_days,
) -> pl.DataFrame:
    """``events`` (LICATS adverse events) with ``LABCHK``: for a kidney term of
    :data:`LICATS_KIDNEY_LABS`, "confirmed" when a value of its laboratory test within the
    event's dates (``ASTDY`` to ``AENDY``; ongoing: from ``ASTDY`` on) is above the factor
    times the patient's baseline (``BASE``); "contradicted" when it never was and the test was
    measured near onset (``ASTDY`` <= day <= ``ASTDY`` + ``onset_window_days``, the SAP's
    ``SafetyReportingOptions.licats_onset_window_days``; a falling UPCR then is a nephritis remitting, not a
    new local reaction: Hagen 2025 counts new or worsening organ changes); "not measured near
    onset" when its only values in the event's dates are later (a short rise may have come
    and gone, so the event stands as reported); "not measured" when it has none in them; null
    for other terms (a rash or arthritis is the investigator's clinical call)."""
    kidney = pl.col("AEDECOD").is_in(list(LICATS_KIDNEY_LABS))
    ev = events.with_row_index("_i")
    todo = ev.filter(kidney)
    if todo.height == 0:
        return events.with_columns(pl.lit(None, dtype=pl.String).alias("LABCHK"))
    require_columns(adlb, ["USUBJID", "PARAMCD", "ADY", "AVAL", "BASE"], "licats_lab_check")
    spec = pl.DataFrame(
        {
            "AEDECOD": list(LICATS_KIDNEY_LABS),
            "PARAMCD": [v[0] for v in LICATS_KIDNEY_LABS.values()],
            "_F": [v[1] for v in LICATS_KIDNEY_LABS.values()],
        }
    )
    labs = adlb.filter(pl.col("AVAL").is_not_null() & pl.col("BASE").is_not_null()).select(
        "USUBJID", "PARAMCD", "ADY", "AVAL", "BASE"
    )
    within = (
        todo.select("_i", "USUBJID", "AEDECOD", "ASTDY", "AENDY")
        .join(spec, on="AEDECOD")
        .join(labs, on=["USUBJID", "PARAMCD"])
        .filter(
            (pl.col("ADY") >= pl.col("ASTDY"))
            & (pl.col("AENDY").is_null() | (pl.col("ADY") <= pl.col("AENDY")))
        )
        .with_columns(
            pl.when(pl.col("_F") == 1.0)
            .then(pl.col("AVAL") > pl.col("BASE"))
            .otherwise(pl.col("AVAL") >= pl.col("_F") * pl.col("BASE"))
            .alias("_UP"),
            (pl.col("ADY") <= pl.col("ASTDY") + onset_window_days).alias("_NEAR"),
        )
        .group_by("_i")
        .agg(pl.col("_UP").any(), pl.col("_NEAR").any())
    )
    return (
        ev.join(within, on="_i", how="left")
        .with_columns(
            pl.when(~kidney)
            .then(pl.lit(None, dtype=pl.String))
            .when(pl.col("_UP").is_null())
            .then(pl.lit("not measured"))
            .when(pl.col("_UP"))
            .then(pl.lit("confirmed"))
            .when(pl.col("_NEAR"))
            .then(pl.lit("contradicted"))
            .otherwise(pl.lit("not measured near onset"))
            .alias("LABCHK")
        )
        .drop("_i", "_UP", "_NEAR")
    )


def aesi_table(
    adae: pl.DataFrame | None,
    adlb: pl.DataFrame,
    icaht: pl.DataFrame | None,
    subjects: list[str],
    *,
    igg_low_g_l: float = SAFETY.igg_low_g_l,
) -> pl.DataFrame:
    """``tbl-aesi``: events of special interest after CD19 CAR T cells, per patient, worst
    grade per patient:

    - infection (AE category INFECTION; CTCAE v5.0), CRS and ICANS (ASTCT 2019), local
      immune effector cell-associated toxicity (LICATS; CTCAE v5.0), from treatment-emergent
      AEs (``adae`` None: not collected, rows omitted); the definition names the preferred
      terms (``AEDECOD``) the category holds ("reported as: Rash"), the names under which
      the same events appear in ``tbl-ae-grade``, the timeline and the infection listing, so
      an event never has two names;
    - LICATS is a new or worsening, self-limited reaction in an organ the disease affected
      before CAR T cells (Hagen M et al. Lancet Rheumatol 2025;7:e424-e433): a kidney event
      (proteinuria, creatinine increased) counts only when the laboratory shows the change
      within its dates (:func:`licats_lab_check`); one the laboratory contradicts (measured
      near onset and never above its baseline: nephritis remitting) is not counted, one with
      no value near onset counts as reported, and the definition says how many and why;
    - hypogammaglobulinaemia: IgG below the laboratory's lower limit of normal (``ANRLO``),
      and severe hypogammaglobulinaemia, IgG < ``igg_low_g_l`` g/L (4 g/L, the level at which
      replacement is considered with serious or recurrent infections; Hill JA et al. Blood
      Rev 2019), at any
      measurement after the infusion (day > 0), among patients with such a measurement; not
      graded (CTCAE v5.0 has no laboratory grading for it, instruments.md §9);
    - early and late ICAHT (EHA/EBMT 2023; Rejeski K et al. Blood 2023;142:865-877), the
      grade in the grade columns, among patients with ANC in the window (``icaht``:
      ``USUBJID``, ``ICAHTE``, ``ICAHTL`` as ``sle_car.instruments.icaht_*`` return; grade 0
      is no event).

    Grade columns count patients by worst grade; "not graded" rows show "–". A source the cut
    did not collect gives a row with 0 patients assessed (:func:`format_aesi`: "not
    assessed"), so the table says what is missing. Counts are integers; the notebook formats
    them."""
    rows = []
    n = len(set(subjects))
    if adae is not None:
        require_columns(adae, ["USUBJID", "AECAT", "AEDECOD", "ATOXGR"], "aesi_table")
        for cat, label, scale in (
            ("INFECTION", "Infection", "CTCAE v5.0"),
            ("CRS", "Cytokine release syndrome", "ASTCT 2019"),
            ("ICANS", "ICANS", "ASTCT 2019"),
            ("LICATS", "Local immune effector cell-associated toxicity (LICATS)", "CTCAE v5.0"),
        ):
            events = adae.filter(pl.col("AECAT") == cat)
            rule = aside = ""
            if cat == "LICATS":
                checked = licats_lab_check(events, adlb)
                out = checked.filter(pl.col("LABCHK") == "contradicted")
                late = checked.filter(pl.col("LABCHK") == "not measured near onset")
                events = checked.filter(pl.col("LABCHK").ne_missing("contradicted")).drop("LABCHK")
                window = SAFETY.licats_onset_window_days
                if out.height:
                    why = sorted(
                        f"{t} ({LICATS_KIDNEY_LABS[t][2]} never within its dates, measured "
                        f"within {window} days of onset)"
                        for t in out["AEDECOD"].unique().to_list()
                    )
                    aside = (
                        f"; not counted: {out.height} event(s) of {out['USUBJID'].n_unique()} "
                        f"patient(s) the laboratory contradicts: {', '.join(why)}"
                    )
                if late.height:
                    aside += (
                        f"; counted as reported: {late.height} kidney event(s) with no "
                        f"laboratory value within {window} days of onset (a short rise may "
                        "have been missed)"
                    )
                rule = "; new or worsening in an organ affected before (Hagen 2025)"
            worst = events.group_by("USUBJID").agg(
                pl.col("ATOXGR").max().cast(pl.Int64).alias("WORST")
            )
            terms = sorted(events["AEDECOD"].drop_nulls().unique().to_list())
            named = f"; reported as: {', '.join(terms)}" if terms else ""
            definition = f"adverse event, graded by {scale}{rule}{named}{aside}"
            rows.append(_grade_row(worst, label, definition, n))
    else:
        none = pl.DataFrame(schema={"USUBJID": pl.String, "WORST": pl.Int64})
        rows.append(
            _grade_row(
                none, "Infection, CRS, ICANS, LICATS", "adverse events not collected", 0,
                graded=False,
            )
        )  # fmt: skip
    igg = adlb.filter(
        (pl.col("PARAMCD") == "IGG") & (pl.col("ADY") > 0) & pl.col("AVAL").is_not_null()
    )
    if igg.height:
        assessed = igg["USUBJID"].n_unique()
        lln = igg.filter(pl.col("ANRLO").is_not_null() & (pl.col("AVAL") < pl.col("ANRLO")))
        rows.append(
            _grade_row(
                lln.select("USUBJID").unique(),
                "Hypogammaglobulinaemia (IgG below the lower limit of normal)",
                "IgG < laboratory's lower limit after infusion; not graded",
                assessed,
                graded=False,
            )
        )
        low = igg.filter(pl.col("AVAL") < igg_low_g_l)
        rows.append(
            _grade_row(
                low.select("USUBJID").unique(),
                f"Severe hypogammaglobulinaemia (IgG < {igg_low_g_l:g} g/L)",
                f"IgG < {igg_low_g_l:g} g/L after infusion, the level at which replacement is "
                "considered with serious or recurrent infections (Hill 2019); not graded",
                assessed,
                graded=False,
            )
        )
    else:
        rows.append(
            _grade_row(
                pl.DataFrame(schema={"USUBJID": pl.String}),
                "Hypogammaglobulinaemia",
                "IgG not measured after infusion in this data cut",
                0,
                graded=False,
            )
        )
    if icaht is None or icaht.height == 0:
        rows.append(
            _grade_row(
                pl.DataFrame(schema={"USUBJID": pl.String}),
                "ICAHT (prolonged cytopenia)",
                "neutrophil counts not collected",
                0,
                graded=False,
            )
        )
    else:
        for col, label, definition in (
            ("ICAHTE", "Early ICAHT", "EHA/EBMT 2023, days 0–30: ANC ≤ 500/µL duration"),
            ("ICAHTL", "Late ICAHT (prolonged cytopenia)", "EHA/EBMT 2023, days 31–100: ANC nadir"),
        ):
            if col not in icaht.columns:
                continue
            known = icaht.filter(pl.col(col).is_not_null())
            worst = known.filter(pl.col(col) >= 1).select("USUBJID", pl.col(col).alias("WORST"))
            rows.append(_grade_row(worst, label, definition, known.height))
    return pl.concat(rows, how="vertical_relaxed")


def format_aesi(aesi: pl.DataFrame) -> pl.DataFrame:
    """``aesi_table``'s counts as a journal prints them: "k (%)" of the patients assessed;
    "–" where a definition has no grade."""
    if aesi.height == 0:
        return aesi
    n = pl.col("Patients assessed").cast(pl.Int64)
    k = pl.col("Patients with the event, n (%)")
    pct = (k.cast(pl.Float64) * 100 / n + 0.5).floor().cast(pl.Int64)

    def fmt(c: pl.Expr) -> pl.Expr:
        cp = (c.cast(pl.Float64) * 100 / n + 0.5).floor().cast(pl.Int64)
        return (
            pl.when(c.is_null())
            .then(pl.lit("–"))
            .when(c == 0)
            .then(pl.lit("0"))
            .otherwise(pl.format("{} ({})", c, cp))
        )

    return aesi.with_columns(
        pl.when(n == 0)
        .then(pl.lit("not assessed"))
        .when(k == 0)
        .then(pl.lit("0"))
        .otherwise(pl.format("{} ({})", k, pct))
        .alias("Patients with the event, n (%)"),
        *[fmt(pl.col(c)).alias(c) for c in AESI_COLUMNS],
    )


# --- AE timeline -------------------------------------------------------------------------------
GRADE_COLOURS = {
    "1": "#fdbb84",
    "2": "#ef6548",
    "3": "#b30000",
    "4": "#4a0000",
    "5": "#000000",
}
"""CTCAE/ASTCT grade 1-5 as a sequential scale (light to dark: ordered, readable in grey)."""
CATEGORY_LABELS = {
    "CRS": "CRS",
    "ICANS": "ICANS",
    "CYTOPENIA": "Cytopenia",
    "INFECTION": "Infection",
    "LICATS": "LICATS",
    "OTHER": "Other",
}
CATEGORY_SHAPES = {"CRS": "s", "ICANS": "D", "Cytopenia": "o", "Infection": "^"}
CATEGORY_SHAPES |= {"LICATS": "v", "Other": "X"}


LANE_BAND = 0.7
"""Height of a patient's stack of concurrent events on the timeline (lanes are 1 apart)."""
LANE_STEP = 0.18
"""Largest distance between two stacked events of one patient on the timeline."""

MONTH_WIDTH = 3.0
"""Width of one month on the timeline's follow-up part, in the axis units of one day."""


def ae_timeline_frame(
    adae: pl.DataFrame, patients: list[str], *, early_end_day: int = SAFETY.early_end_day
) -> pl.DataFrame:
    """The AE timeline's segments: one row per event with ``Patient`` (label), ``Grade``
    (text 1-5), ``Category``, ``X``/``XEND`` and ``Y``. One axis in two parts: days -5 to
    ``early_end_day`` (one unit a day; an event starting by day 28 is drawn up to day 28 at
    most), then, after a gap, months of 30.4375 days (:data:`MONTH_WIDTH` units a month,
    from month 1) for events starting after day 28; an ongoing event ends at its onset.
    ``Y`` is the patient's lane (whole cohort ``patients``, first patient on top): an event
    sits on its own patient's lane at its own day; events of one patient that overlap in time
    are stacked within the lane (``LEVEL``: its rank by onset, then ``AESEQ``, within its
    cluster of overlapping events; an event overlapping no other sits on the lane), the
    stack centred on the lane and never wider than :data:`LANE_BAND`, so a mark never drifts towards another
    patient's lane."""
    from sle_car.figures import DAYS_PER_MONTH, patient_label, patient_label_expr

    labels = sorted({patient_label(p) for p in patients})
    lane = {lab: float(len(labels) - i) for i, lab in enumerate(labels)}
    end = pl.col("AENDY").fill_null(pl.col("ASTDY"))
    early = pl.col("ASTDY") <= early_end_day

    def later(day: pl.Expr) -> pl.Expr:
        return late_axis_origin(early_end_day) + (day / DAYS_PER_MONTH - 1) * MONTH_WIDTH

    # overlap clusters per patient: sorted by onset, a new cluster starts when an event
    # begins after every earlier one has ended; each event of a cluster gets its own level
    ev = (
        adae.with_columns(end.alias("_END"))
        .sort("USUBJID", "ASTDY", "AESEQ")
        .with_columns(
            (
                pl.col("ASTDY")
                > pl.col("_END").cum_max().shift(1).over("USUBJID").fill_null(pl.col("ASTDY") - 1)
            )
            .cast(pl.Int64)
            .cum_sum()
            .over("USUBJID")
            .alias("_C")
        )
        .with_columns(pl.int_range(pl.len()).over("USUBJID", "_C").cast(pl.Int64).alias("LEVEL"))
    )
    top = ev.group_by("USUBJID").agg(pl.col("LEVEL").max().alias("_TOP"))
    step = min(LANE_STEP, LANE_BAND / max(int(ev["LEVEL"].max() or 0), 1))
    ev = ev.join(top, on="USUBJID", how="left")

    return ev.select(
        patient_label_expr(),
        pl.col("ATOXGR").cast(pl.String).alias("Grade"),
        pl.col("AECAT").replace_strict(CATEGORY_LABELS, default="Other").alias("Category"),
        pl.when(early)
        .then(pl.col("ASTDY").cast(pl.Float64))
        .otherwise(later(pl.col("ASTDY")))
        .alias("X"),
        pl.when(early)
        .then(end.clip(None, early_end_day).cast(pl.Float64))
        .otherwise(later(end))
        .alias("XEND"),
        (
            patient_label_expr().replace_strict(lane, default=None)
            + (pl.col("_TOP") / 2 - pl.col("LEVEL")) * step
        ).alias("Y"),
        "LEVEL",
    ).sort("Patient", "X", "LEVEL")


def late_axis_origin(early_end_day: int = SAFETY.early_end_day) -> float:
    """Where month 1 sits on the timeline's axis: a gap of 6 units after the last early day."""
    return early_end_day + 6.0


def ae_timeline_plot(
    adae: pl.DataFrame, patients: list[str], *, early_end_day: int = SAFETY.early_end_day
):
    """``fig-ae-timeline``: every adverse event as a bar from onset to resolution, coloured
    by grade (:data:`GRADE_COLOURS`), its onset marked by a category symbol, one lane per
    patient (label "001"), in days 0-28 (lymphodepletion from day -5 shown); events starting
    after day 28 on a second part of the axis in months, after a dashed break
    (:func:`ae_timeline_frame`). Grades are CTCAE v5.0 (ASTCT 2019 for CRS and
    ICANS)."""
    from plotnine import (
        aes,
        geom_hline,
        geom_point,
        geom_segment,
        geom_vline,
        ggplot,
        scale_color_manual,
        scale_shape_manual,
        scale_x_continuous,
        scale_y_continuous,
        theme,
    )

    from sle_car.figures import patient_label, theme_journal

    d = ae_timeline_frame(adae, patients, early_end_day=early_end_day)
    labels = sorted({patient_label(p) for p in patients})
    two_parts = bool((adae["ASTDY"] > early_end_day).any())
    grades = [g for g in GRADE_COLOURS if g in set(d["Grade"].to_list())]
    cats = [c for c in CATEGORY_SHAPES if c in set(d["Category"].to_list())]
    p = (
        ggplot(d)
        + geom_hline(  # lane boundaries: every mark lies between its patient's two lines
            yintercept=[k + 0.5 for k in range(1, len(labels))], color="#bbbbbb", size=0.3
        )
        + geom_segment(aes(x="X", xend="XEND", y="Y", yend="Y", color="Grade"), size=1.6)
        + geom_point(aes(x="X", y="Y", shape="Category", color="Grade"), size=1.8, fill="white")
        + scale_color_manual(values={g: GRADE_COLOURS[g] for g in grades}, name="Grade")
        + scale_shape_manual(values={c: CATEGORY_SHAPES[c] for c in cats}, name="Event")
        + scale_y_continuous(
            breaks=[float(len(labels) - i) for i in range(len(labels))],
            labels=labels,
            limits=(0.5, len(labels) + 0.5),
            name="Patient",
        )
        + theme_journal()
        + theme(legend_position="right")
    )
    day_breaks = [-5, 0, 7, 14, 21, early_end_day]
    if two_parts:
        origin = late_axis_origin(early_end_day)
        last = float(d["XEND"].max())
        months = [
            m
            for m in (3, 6, 9, 12, 15, 18, 21, 24)
            if origin + (m - 1) * MONTH_WIDTH <= last + MONTH_WIDTH * 3
        ]
        brk = day_breaks + [origin + (m - 1) * MONTH_WIDTH for m in months]
        lab = [str(x) for x in day_breaks] + [f"{m} mo" for m in months]
        p = (
            p
            + geom_vline(
                xintercept=early_end_day + 3.0, linetype="dashed", color="#777777", size=0.4
            )
            + scale_x_continuous(
                breaks=brk,
                labels=lab,
                limits=(-5.5, max(brk) + 1),
                name="Days after CAR T-cell infusion (to day 28), then months",
            )
        )
    else:
        p = p + scale_x_continuous(
            breaks=day_breaks,
            limits=(-5.5, early_end_day + 0.5),
            name="Days after CAR T-cell infusion (lymphodepletion from day −5)",
        )
    return p
