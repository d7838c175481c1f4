"""The study population as a journal reports it (issue 18): Table 1 (``tbl-baseline``), the
CONSORT-style flow (``fig-flow``), product characteristics (``tbl-product``) and median
follow-up by reverse Kaplan-Meier.

Summaries follow the CONSORT 2010 statement (Schulz KF et al. BMJ 2010;340:c332; items 13a
and 15: participant flow with numbers at each stage and reasons, baseline characteristics):
n (%) for categories, median (range) for numbers (no means at n = 5). A characteristic a cut
did not collect says so ("not collected"), never a zero. Every function is a pure polars
transformation of the analysis datasets; the notebook shows the result.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from sle_car._checks import require_columns
from sle_car.figures import DAYS_PER_MONTH, patient_label_expr
from sle_car.sap import DEFAULTS

NOT_COLLECTED = "not collected"


# --- summaries ---------------------------------------------------------------------------------
def _num(x: float, decimals: int) -> str:
    return f"{x:.{decimals}f}"


def median_range(values: pl.Series, *, decimals: int = 1, empty: str | None = None) -> str:
    """ "median (min–max)" of the non-null ``values`` (R ``median``: the mean of the two middle
    values for an even count); ``empty`` (default "not collected") when there is none."""
    v = values.drop_nulls().cast(pl.Float64)
    if v.len() == 0:
        return NOT_COLLECTED if empty is None else empty
    return (
        f"{_num(float(v.median()), decimals)} "
        f"({_num(float(v.min()), decimals)}–{_num(float(v.max()), decimals)})"
    )


def count_pct(k: int, n: int) -> str:
    """ "k (p)" with p the whole percentage of ``n`` (half up); "0" for none."""
    if n == 0:
        return NOT_COLLECTED
    return "0" if k == 0 else f"{k} ({math.floor(100 * k / n + 0.5)})"


# --- per-patient baseline ------------------------------------------------------------------------
BASELINE_SCORES = {
    "SLEDAI2K": "SLEDAIBL",
    "CSLEDAI": "CSLEDAIBL",
    "PGA": "PGABL",
    "SDITOT": "SDIBL",
}
BASELINE_LABS = {
    "DDNAIGAB": "DSDNABL",
    "C3": "C3BL",
    "C4": "C4BL",
    "PROTCRT": "UPCRBL",
    "EGFR": "EGFRBL",
}


def derive_baseline_wide(
    adsl: pl.DataFrame,
    adqs: pl.DataFrame,
    adlb: pl.DataFrame,
    *,
    bilag: pl.DataFrame | None = None,
    cm: pl.DataFrame | None = None,
    dm: pl.DataFrame | None = None,
    first_treatment_day: int = DEFAULTS.first_treatment_day,
) -> pl.DataFrame:
    """One row per ADSL subject with the Table 1 characteristics: ADSL's (AGE, SEX, ETHGRP,
    DISDURY, NPRIORTX, LNFL), the baseline (``ABLFL`` = "Y": the last value before
    lymphodepletion) of each ``BASELINE_SCORES`` score and ``BASELINE_LABS`` laboratory value,
    the BILAG-2004 systems graded A and B at the last assessment before
    ``first_treatment_day`` (``bilag``: ``USUBJID``, ``ADY``, ``BILAGNA``, ``BILAGNB`` from
    ``sle_car.instruments.bilag_score``), the prednisolone-equivalent dose on the day before
    lymphodepletion (``GCBL``, mg/day; 0 without a glucocorticoid when ``cm`` has records; null
    without ``cm`` or with an empty one: not collected), and the lupus nephritis class (``LNCLASS`` from ``dm`` when collected).
    A value not collected stays null (never 0)."""
    require_columns(adsl, ["USUBJID", "AGE", "SEX", "ETHGRP"], "derive_baseline_wide")
    out = adsl.drop([c for c in ("SLEDAIBL",) if c in adsl.columns])
    for source, mapping in ((adqs, BASELINE_SCORES), (adlb, BASELINE_LABS)):
        bl = (
            source.filter((pl.col("ABLFL") == "Y") & pl.col("PARAMCD").is_in(list(mapping)))
            .group_by("USUBJID")
            .agg(
                pl.col("AVAL").filter(pl.col("PARAMCD") == p).first().alias(c)
                for p, c in mapping.items()
            )
        )
        out = out.join(bl, on="USUBJID", how="left").with_columns(
            pl.col(c).cast(pl.Float64) if c in bl.columns else pl.lit(None, pl.Float64).alias(c)
            for c in mapping.values()
        )
    if bilag is not None and bilag.height:
        b = (
            bilag.filter((pl.col("ADY") < first_treatment_day) & pl.col("BILAGNA").is_not_null())
            .sort("USUBJID", "ADY")
            .group_by("USUBJID")
            .agg(pl.col("BILAGNA").last(), pl.col("BILAGNB").last())
        )
        out = out.join(b, on="USUBJID", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Int64).alias(c) for c in ("BILAGNA", "BILAGNB"))
    if cm is not None and cm.height:  # an empty CM is a domain not collected, never 0 mg
        from sle_car.derive.common import drug_exposure_by_day

        day = adsl.select("USUBJID", pl.lit(first_treatment_day - 1).alias("ADY"))
        gc = drug_exposure_by_day(cm, day).select(
            "USUBJID", pl.col("PREDDOSE").fill_null(0.0).cast(pl.Float64).alias("GCBL")
        )
        out = out.join(gc, on="USUBJID", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("GCBL"))
    if dm is not None and "LNCLASS" in dm.columns:
        out = out.join(dm.select("USUBJID", "LNCLASS"), on="USUBJID", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.String).alias("LNCLASS"))
    return out.sort("USUBJID")


TABLE1_NUMBERS = (
    # (label, column, decimals)
    ("Age (years)", "AGE", 0),
    ("SLE duration (years)", "DISDURY", 0),
    ("Prior therapies failed (number)", "NPRIORTX", 0),
    ("SLEDAI-2K (0–105)", "SLEDAIBL", 0),
    ("Clinical SLEDAI-2K (without serology)", "CSLEDAIBL", 0),
    ("Physician global assessment (0–3)", "PGABL", 1),
    ("BILAG-2004 systems graded A (number)", "BILAGNA", 0),
    ("BILAG-2004 systems graded B (number)", "BILAGNB", 0),
    ("SLICC/ACR damage index (SDI)", "SDIBL", 0),
    ("Anti-dsDNA (IU/mL)", "DSDNABL", 0),
    ("Complement C3 (g/L)", "C3BL", 2),
    ("Complement C4 (g/L)", "C4BL", 2),
    ("Urine protein/creatinine ratio (g/g)", "UPCRBL", 2),
    ("eGFR, CKD-EPI 2021 (mL/min/1.73 m²)", "EGFRBL", 0),
    ("Prednisolone-equivalent dose (mg/day)", "GCBL", 1),
)


def baseline_table(wide: pl.DataFrame) -> pl.DataFrame:
    """``tbl-baseline`` (Table 1) from :func:`derive_baseline_wide`: one row per
    characteristic with "Characteristic", the cohort column "Patients" (n (%) or median
    (range)) and "Patients with data" (n of N, so that a missing value never hides in a
    median). Age and disease duration are rounded to whole years before summarising (the
    whole-years rule of ``sle_car.privacy.public_bands``); ethnic groups are shown as
    recorded, with counts. Characteristics are summarised with one expression each (a loop
    over ~20 characteristics, never over patients)."""
    n = wide.height
    rows: list[tuple[str, str, str]] = [("Patients, n", str(n), f"{n} of {n}")]
    w = wide.with_columns(
        (pl.col(c).cast(pl.Float64) + 0.5).floor() for c in ("AGE", "DISDURY") if c in wide.columns
    )

    def have(col: str) -> int:
        return int(w[col].is_not_null().sum()) if col in w.columns else 0

    def add_count(label: str, col: str, value: str) -> None:
        k_have = have(col)
        if k_have == 0:
            rows.append((label, NOT_COLLECTED, f"0 of {n}"))
            return
        k = int((w[col] == value).sum())
        rows.append((label, count_pct(k, k_have), f"{k_have} of {n}"))

    add_count("Female sex, n (%)", "SEX", "F")
    if have("ETHGRP"):
        for g in sorted(w["ETHGRP"].drop_nulls().unique().to_list()):
            add_count(f"Ethnic group: {g.title()}, n (%)", "ETHGRP", g)
    add_count("Lupus nephritis, n (%)", "LNFL", "Y")
    if have("LNCLASS"):
        for c in sorted(w["LNCLASS"].drop_nulls().unique().to_list()):
            add_count(f"Nephritis class {c} (ISN/RPS 2003), n (%)", "LNCLASS", c)
    else:
        rows.append(("Nephritis class (ISN/RPS 2003)", NOT_COLLECTED, f"0 of {n}"))
    for label, col, dec in TABLE1_NUMBERS:
        if col not in w.columns:
            rows.append((f"{label}, median (range)", NOT_COLLECTED, f"0 of {n}"))
            continue
        rows.append(
            (f"{label}, median (range)", median_range(w[col], decimals=dec), f"{have(col)} of {n}")
        )
    return pl.DataFrame(
        rows, schema=["Characteristic", "Patients", "Patients with data"], orient="row"
    )


def baseline_per_patient(wide: pl.DataFrame) -> pl.DataFrame:
    """The per-patient appendix of Table 1 with public bands (``sle_car.privacy.public_bands``:
    disease duration in whole years, unless ``SLE_CAR_EXACT_VALUES``), without ethnic group
    and without age (quasi-identifiers at n = 5: Table 1 gives the cohort's age range, and an
    age band beside it would single out the youngest or oldest patient's exact age); patients
    by their number. Values
    are text, "–" where not collected."""
    from sle_car.privacy import public_bands

    banded = public_bands(wide)
    return banded.select(
        patient_label_expr(),
        pl.col("SEX").alias("Sex"),
        pl.col("DISDURY").alias("SLE duration (years)"),
        pl.col("NPRIORTX").alias("Prior therapies"),
        pl.when(pl.col("LNFL") == "Y")
        .then(
            pl.concat_str(
                [pl.lit("yes"), pl.lit(", class ") + pl.col("LNCLASS")], ignore_nulls=True
            )
        )
        .when(pl.col("LNFL") == "N")
        .then(pl.lit("no"))
        .otherwise(pl.lit(NOT_COLLECTED))
        .alias("Lupus nephritis"),
        pl.col("SLEDAIBL").cast(pl.Int64).alias("SLEDAI-2K"),
        pl.col("CSLEDAIBL").cast(pl.Int64).alias("Clinical SLEDAI-2K"),
        pl.col("PGABL").round(1).alias("PGA (0–3)"),
        pl.col("BILAGNA").alias("BILAG A (n)"),
        pl.col("BILAGNB").alias("BILAG B (n)"),
        pl.col("SDIBL").cast(pl.Int64).alias("SDI"),
        pl.col("DSDNABL").round(0).cast(pl.Int64).alias("Anti-dsDNA (IU/mL)"),
        pl.col("C3BL").round(2).alias("C3 (g/L)"),
        pl.col("C4BL").round(3).alias("C4 (g/L)"),
        pl.col("UPCRBL").round(2).alias("UPCR (g/g)"),
        pl.col("EGFRBL").round(0).cast(pl.Int64).alias("eGFR (mL/min/1.73 m²)"),
        pl.col("GCBL").round(1).alias("Prednisolone (mg/day)"),
    ).with_columns(pl.all().exclude("Patient").cast(pl.String).fill_null("–"))


# --- follow-up -----------------------------------------------------------------------------------
def followup_reverse_km(adsl: pl.DataFrame) -> dict[str, object]:
    """Median follow-up after the infusion by the reverse Kaplan-Meier method (Schemper M,
    Smith TL. Control Clin Trials 1996;17:343-346): follow-up time is day 0 to the last day
    known alive (``LSTALVDY``) or death (``DTHDY``), and the event indicator is reversed: a
    patient alive at the last contact is an "event" (their follow-up ends), a death censors
    (follow-up would have gone on). The median is the R ``survival`` median of that curve
    (``sle_car.stats.km_median``); with the range of the observed follow-up times. Infused
    patients only (``SAFFL`` = "Y"). A patient whose death flag is null (no disposition
    record) is counted as alive at the last contact, and ``method`` says how many.
    Returns days and months (30.4375 days)."""
    require_columns(adsl, ["USUBJID", "SAFFL", "LSTALVDY", "DTHFL"], "followup_reverse_km")
    from sle_car.stats import km_median

    inf = adsl.filter(pl.col("SAFFL") == "Y")
    if inf.height == 0:
        return {"n": 0, "text": "no infused patient"}
    died = (inf["DTHFL"] == "Y").fill_null(False).to_numpy()
    days = (
        inf.select(
            pl.when(pl.col("DTHFL") == "Y")
            .then(pl.col("DTHDY"))
            .otherwise(pl.col("LSTALVDY"))
            .clip(0, None)
            .cast(pl.Float64)
        )
        .to_series()
        .to_numpy()
    )
    med = km_median(days, ~died)
    m = med["median"]

    def mo(d: float) -> str:
        return "NE" if not np.isfinite(d) else f"{d / DAYS_PER_MONTH:.1f}"

    return {
        "n": inf.height,
        "median_days": m,
        "min_days": float(days.min()),
        "max_days": float(days.max()),
        "text": (
            f"{mo(m)} months (range {mo(days.min())}–{mo(days.max())}); "
            f"{m:g} days (range {days.min():g}–{days.max():g})"
            if np.isfinite(m)
            else f"not estimable (range {mo(days.min())}–{mo(days.max())} months)"
        ),
        "method": "reverse Kaplan-Meier (Schemper and Smith 1996): alive at last contact = "
        "event, death = censored"
        + (
            f"; death not recorded for {n_unknown} (no disposition record): counted as alive "
            "at the last contact"
            if (n_unknown := inf["DTHFL"].null_count())
            else ""
        ),
    }


# --- flow ---------------------------------------------------------------------------------------
MILESTONES = (
    # (box, DSDECOD of the PROTOCOL MILESTONE row)
    ("Consented", "INFORMED CONSENT OBTAINED"),
    ("Enrolled", "ENTERED INTO TRIAL"),
    ("Apheresis", "APHERESIS PERFORMED"),
    ("Product manufactured", "CAR T PRODUCT MANUFACTURED"),
    ("Lymphodepletion", "LYMPHODEPLETION STARTED"),
    ("Infused", "CAR T CELLS INFUSED"),
)
"""The CONSORT flow's stages and the DS milestones that record them (data contract of
issue 18, ``data_schemas/CONTRACT_18.md``)."""


def flow_counts(
    adsl: pl.DataFrame, ds: pl.DataFrame | None, screening: dict | None = None
) -> pl.DataFrame:
    """The flow's boxes: ``STAGE``, ``N`` (patients; null = not recorded in this cut),
    ``SOURCE`` (where the number comes from) and ``DETAIL`` (reasons, e.g. for
    discontinuation), in flow order.

    - Consented and screened: the screening log in the manifest (``screening``: ``screened``,
      ``not_enrolled`` reasons; patients consent before screening, so this box replaces the
      consent milestone, which DS records for enrolled patients only), else "Screened" not
      recorded followed by the consent milestone (screen failures are not subjects).
    - Each milestone of :data:`MILESTONES`: subjects with that DS milestone. Without any
      milestone beyond consent, "Enrolled" is the subjects in DM/ADSL (ENRLFL), "Lymphodepletion"
      the subjects with a fludarabine or cyclophosphamide record (ADSL LDFL from EX) and
      "Infused" those with a CAR T-cell record (ADSL SAFFL from EX): these are recorded
      administrations, not inferences; apheresis and manufacture are then "not recorded".
    - Followed up: infused; then completed, discontinued (with reasons: DS disposition
      event) and ongoing at the data cut (DS records but no disposition event); all three
      "not recorded" when the cut has no DS record at all (an empty DS is a domain not
      collected: a collected DS has at least the consent milestones). Infused patients with
      no DS record (ADSL EOSSTT null) are in none of the three: the last box says how many
      ("end-of-study status not recorded: k"), never counting them as in follow-up.
    - Infused but not analysed: the "Infused" box counts the DS milestone CAR T CELLS
      INFUSED, the end-of-study boxes the patients with an infusion record in EX (ADSL SAFFL,
      the analysis populations). A patient with the milestone and no EX infusion (validation
      rule ``milestone_without_infusion``) is therefore in the first and in none of the
      others; the box says so ("no infusion record (EX): k excluded from the analysis", and
      the reverse, an EX infusion without the milestone, "k added"), so that Infused −
      excluded + added = completed + discontinued + in follow-up (CONSORT 2010 item 13a:
      every patient accounted for at each stage). Why the flow states this rather than
      setting the patient aside: see :func:`_infusion_not_analysed`.
    - Subjects in DM with no DS record at all while DS records milestones for others: the
      first milestone box says how many are not counted in the milestone boxes (their
      milestones were not recorded; they are not assumed to have missed the stages)."""
    require_columns(
        adsl, ["USUBJID", "ENRLFL", "LDFL", "SAFFL", "EOSSTT", "DCSREAS"], "flow_counts"
    )
    rows: list[dict] = []
    if screening:
        reasons = screening.get("not_enrolled") or {}
        detail = "; ".join(f"{k.lower()}: {v}" for k, v in sorted(reasons.items()))
        rows.append(
            {
                "STAGE": "Consented and screened",
                "N": int(screening["screened"]),
                "SOURCE": "screening log",
                "DETAIL": f"not enrolled: {detail}" if detail else None,
            }
        )
    else:
        rows.append({"STAGE": "Screened", "N": None, "SOURCE": "not recorded", "DETAIL": None})
    ms = (
        ds.filter(pl.col("DSCAT") == "PROTOCOL MILESTONE")
        if ds is not None and ds.height
        else pl.DataFrame(schema={"USUBJID": pl.String, "DSDECOD": pl.String})
    )
    recorded = set(ms["DSDECOD"].unique().to_list())
    full = bool(recorded - {"INFORMED CONSENT OBTAINED"})
    from_adsl = {
        "ENTERED INTO TRIAL": ("ENRLFL", "demographics (DM)"),
        "LYMPHODEPLETION STARTED": ("LDFL", "exposure record (EX)"),
        "CAR T CELLS INFUSED": ("SAFFL", "exposure record (EX)"),
    }
    for stage, decod in MILESTONES:
        if screening and decod == "INFORMED CONSENT OBTAINED":
            continue  # the screening log counts everyone who consented to screening
        if decod in recorded and (full or decod == "INFORMED CONSENT OBTAINED"):
            k = ms.filter(pl.col("DSDECOD") == decod)["USUBJID"].n_unique()
            rows.append({"STAGE": stage, "N": k, "SOURCE": "disposition (DS)", "DETAIL": None})
        elif not full and decod in from_adsl:
            col, src = from_adsl[decod]
            k = adsl.filter(pl.col(col) == "Y").height
            rows.append({"STAGE": stage, "N": k, "SOURCE": src, "DETAIL": None})
        else:
            rows.append({"STAGE": stage, "N": None, "SOURCE": "not recorded", "DETAIL": None})
    if full and "CAR T CELLS INFUSED" in recorded:
        note = _infusion_not_analysed(adsl, ms)
        if note:
            for r in rows:
                if r["STAGE"] == "Infused":
                    r["DETAIL"] = note
    if full:
        no_ds = adsl.filter(pl.col("USUBJID").is_in(ds["USUBJID"].implode()).not_()).height
        first = next((r for r in rows if r["SOURCE"] == "disposition (DS)"), None)
        if no_ds and first is not None:
            note = (
                f"{no_ds} subject(s) in demographics (DM) have no disposition record (DS): "
                "not counted in the milestone boxes"
            )
            first["DETAIL"] = f"{first['DETAIL']}; {note}" if first["DETAIL"] else note
    if full and "CAR T MANUFACTURING FAILED" in recorded:
        k = ms.filter(pl.col("DSDECOD") == "CAR T MANUFACTURING FAILED")["USUBJID"].n_unique()
        for r in rows:
            if r["STAGE"] == "Product manufactured":
                r["DETAIL"] = f"manufacturing failed: {k}"
    inf = adsl.filter(pl.col("SAFFL") == "Y")
    disc = inf.filter(pl.col("EOSSTT") == "DISCONTINUED")
    reasons = (
        disc.group_by(pl.col("DCSREAS").fill_null("reason not recorded")).len().sort("DCSREAS")
    )
    detail = "; ".join(f"{r.lower()}: {k}" for r, k in reasons.iter_rows())
    ds_known = ds is not None and ds.height > 0
    unknown = inf.filter(pl.col("EOSSTT").is_null()).height  # no DS record for them
    disp_src = "disposition (DS)" if ds_known else "not recorded"

    def n_if_known(frame: pl.DataFrame) -> int | None:
        return frame.height if ds_known else None

    rows += [
        {
            "STAGE": "Completed the study",
            "N": n_if_known(inf.filter(pl.col("EOSSTT") == "COMPLETED")),
            "SOURCE": disp_src,
            "DETAIL": None,
        },
        {
            "STAGE": "Discontinued",
            "N": n_if_known(disc),
            "SOURCE": disp_src,
            "DETAIL": (detail or None) if ds_known else None,
        },
        {
            "STAGE": "In follow-up at the data cut",
            "N": n_if_known(inf.filter(pl.col("EOSSTT") == "ONGOING")),
            "SOURCE": disp_src,
            "DETAIL": f"end-of-study status not recorded: {unknown}"
            if ds_known and unknown
            else None,
        },
    ]
    return pl.DataFrame(
        rows, schema={"STAGE": pl.String, "N": pl.Int64, "SOURCE": pl.String, "DETAIL": pl.String}
    )


def _infusion_not_analysed(adsl: pl.DataFrame, ms: pl.DataFrame) -> str | None:
    """The "Infused" box's note when the DS milestone CAR T CELLS INFUSED and the EX infusion
    (ADSL SAFFL) disagree: "no infusion record (EX): k excluded from the analysis" for
    patients with the milestone and SAFFL not "Y", "infusion in EX without the milestone: k
    added" for the reverse; None when they agree.

    Decision (issue 18 data review, HIGH): the patient is *not* set aside at the validation
    gate. The milestone records that the site infused the patient; setting the milestone
    aside would show an infused patient as not infused, and setting the whole subject aside
    would remove an infused patient from the flow (CONSORT 2010 item 13a asks for every
    patient at every stage). Without an EX record there is no dose and no confirmed day 0,
    so the patient cannot enter the analyses (SAFFL is "received CAR T cells" by EX, as in
    ICH E9's safety set, which needs the exposure record): the flow states the exclusion with
    its reason, and the validation report (``milestone_without_infusion``) tells the site
    what to add."""
    inf = ms.filter(pl.col("DSDECOD") == "CAR T CELLS INFUSED")["USUBJID"].unique()
    saf = adsl.filter(pl.col("SAFFL") == "Y")["USUBJID"]
    excluded = inf.filter(inf.is_in(saf.implode()).not_()).len()
    added = saf.filter(saf.is_in(inf.implode()).not_()).n_unique()
    parts = []
    if excluded:
        parts.append(f"no infusion record (EX): {excluded} excluded from the analysis")
    if added:
        parts.append(f"infusion in EX without the milestone: {added} added")
    return "; ".join(parts) or None


def flow_layout(counts: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """The geometry of ``fig-flow`` (:func:`flow_plot`) from :func:`flow_counts`: ``boxes``
    (``x``, ``y`` centre, ``xmin``/``xmax``/``ymin``/``ymax``, ``label``, ``kind`` recorded or
    not), ``arrows`` (``x``, ``y`` -> ``xend``, ``yend``: each ends at the centre of a box's
    top edge) and ``lines`` (the elbow to the end-of-study boxes, without arrow heads)."""
    import textwrap

    def text(r: dict, width: int) -> str:
        lines = textwrap.wrap(r["STAGE"], width)
        lines.append("not recorded" if r["N"] is None else f"n = {r['N']}")
        if r["DETAIL"]:
            lines += textwrap.wrap(f"({r['DETAIL']})", width)
        return "\n".join(lines)

    recs = counts.to_dicts()
    end_stages = ("Completed the study", "Discontinued", "In follow-up at the data cut")
    chain = [r for r in recs if r["STAGE"] not in end_stages]
    ends = [r for r in recs if r["STAGE"] in end_stages]
    line_h, pad, gap = 0.2, 0.25, 0.3
    boxes = []
    top = 0.0
    for r in chain:
        label = text(r, 28)
        h = pad + line_h * (label.count("\n") + 1)
        boxes.append({"x": 0.0, "y": top - h / 2, "w": 1.9, "h": h, "label": label, "N": r["N"]})
        top -= h + gap
    labels = [text(r, 14) for r in ends]
    h_end = pad + line_h * max(lab.count("\n") + 1 for lab in labels)
    xs = np.linspace(-1.45, 1.45, len(ends))
    for x, label, r in zip(xs, labels, ends, strict=True):
        boxes.append(
            {"x": float(x), "y": top - h_end / 2, "w": 1.3, "h": h_end, "label": label, "N": r["N"]}
        )
    b = pl.DataFrame(boxes).with_columns(
        (pl.col("x") - pl.col("w") / 2).alias("xmin"),
        (pl.col("x") + pl.col("w") / 2).alias("xmax"),
        (pl.col("y") - pl.col("h") / 2).alias("ymin"),
        (pl.col("y") + pl.col("h") / 2).alias("ymax"),
        pl.when(pl.col("N").is_not_null())
        .then(pl.lit("recorded"))
        .otherwise(pl.lit("not recorded"))
        .alias("kind"),
    )
    chain_b = b.head(len(chain))
    arrows = pl.DataFrame(
        {
            "x": [0.0] * (len(chain) - 1),
            "xend": [0.0] * (len(chain) - 1),
            "y": chain_b["ymin"].to_list()[:-1],
            "yend": chain_b["ymax"].to_list()[1:],
        },
        schema={c: pl.Float64 for c in ("x", "xend", "y", "yend")},
    )
    last = chain_b.row(-1, named=True)
    end_b = b.tail(len(ends))
    # CONSORT-style elbow: a line down from the last stage's bottom edge to a horizontal bar
    # half-way to the end boxes, then an arrow down into the centre of each end box's top edge
    # (never a diagonal that lands near a corner)
    bar_y = (last["ymin"] + float(end_b["ymax"].max())) / 2
    end_x = end_b["x"].to_list()
    lines = pl.DataFrame(
        {
            "x": [0.0, min(end_x)],
            "xend": [0.0, max(end_x)],
            "y": [last["ymin"], bar_y],
            "yend": [bar_y, bar_y],
        }
    )
    fan = pl.DataFrame(
        {
            "x": end_x,
            "xend": end_x,
            "y": [bar_y] * len(ends),
            "yend": end_b["ymax"].to_list(),
        }
    )
    return {"boxes": b, "arrows": pl.concat([arrows, fan.cast(arrows.schema)]), "lines": lines}


def flow_plot(counts: pl.DataFrame):
    """``fig-flow``: the CONSORT-style flow as boxes (plotnine): the stages top to bottom
    joined by vertical arrows from the centre of one box's bottom edge to the centre of the
    next one's top edge, the end-of-study boxes side by side at the bottom, reached through an
    elbow (down, across, down: each arrow ends at the centre of a box's top edge), reasons in
    the box text; a stage not recorded in the cut says "not recorded". Geometry:
    :func:`flow_layout`."""
    from plotnine import (
        aes,
        arrow,
        element_blank,
        geom_rect,
        geom_segment,
        geom_text,
        ggplot,
        scale_linetype_manual,
        scale_x_continuous,
        scale_y_continuous,
        theme,
        theme_void,
    )

    layout = flow_layout(counts)
    b, arrows, lines = layout["boxes"], layout["arrows"], layout["lines"]
    return (
        ggplot()
        + geom_rect(
            b,
            aes(xmin="xmin", xmax="xmax", ymin="ymin", ymax="ymax", linetype="kind"),
            fill="white",
            color="#333333",
            size=0.4,
        )
        + scale_linetype_manual(values={"recorded": "solid", "not recorded": "dashed"})
        + geom_text(b, aes("x", "y", label="label"), size=6.5, lineheight=1.1)
        + geom_segment(lines, aes(x="x", xend="xend", y="y", yend="yend"), size=0.4)
        + geom_segment(
            arrows,
            aes(x="x", xend="xend", y="y", yend="yend"),
            arrow=arrow(length=0.05, type="closed"),
            size=0.4,
        )
        + scale_x_continuous(limits=(-2.2, 2.2), expand=(0, 0))
        + scale_y_continuous(expand=(0.02, 0))
        + theme_void()
        + theme(legend_position="none", axis_text=element_blank())
    )


# --- product ------------------------------------------------------------------------------------
PRODUCT_TESTS = (
    # (XPTESTCD, label, decimals)
    ("TOTCART", "Total CAR+ T cells infused (×10⁶ cells)", 0),
    ("VIABLE", "Viability (%)", 0),
    ("CD4CD8", "CD4:CD8 ratio", 2),
    ("TRANSEFF", "Transduction efficiency (% CAR+ of CD3+ T cells)", 0),
    ("V2VDUR", "Vein-to-vein time (days)", 0),
)


def product_table(adsl: pl.DataFrame, xp: pl.DataFrame | None) -> pl.DataFrame:
    """``tbl-product``: CAR T-cell product characteristics, median (range) over the
    manufactured products, from the product domain XP (issue 18 contract: TOTCART, VIABLE,
    CD4CD8, TRANSEFF, V2VDUR with ``XPSTRESN``; MFGRES SUCCESS/FAILURE) and the infused dose
    per kg from EX (ADSL ``CARTDOSE``). Rows: "Characteristic", "Products" (median (range)
    or n (%)), "Products with data". Without XP only the dose row is shown, and a row says
    the product characteristics were not collected. The manufacturing success rate is over
    the products with a recorded MFGRES result: a blank one is "not recorded", never a
    failure (data review of issue 18: a blanked MFGRES showed "0 manufactured")."""
    n_inf = adsl.filter(pl.col("SAFFL") == "Y").height
    dose = adsl.filter(pl.col("SAFFL") == "Y")["CARTDOSE"]
    rows = [
        (
            "Infused dose (×10⁶ CAR T cells/kg), median (range)",
            median_range(dose, decimals=2),
            f"{dose.drop_nulls().len()} of {n_inf} infused",
        )
    ]
    if xp is None or xp.height == 0:
        rows.append(
            ("Product characteristics (viability, CD4:CD8, transduction)", NOT_COLLECTED, "–")
        )
        return pl.DataFrame(
            rows, schema=["Characteristic", "Products", "Products with data"], orient="row"
        )
    mfg = xp.filter(pl.col("XPTESTCD") == "MFGRES")
    n_mfg = mfg["USUBJID"].n_unique()
    if n_mfg:
        # a blank result (not recorded, or blanked by validation) is no failure: the
        # percentage is of the products with a recorded result, and none recorded reads
        # "not recorded", never "0"
        known = mfg.filter(pl.col("XPORRES").is_not_null())
        n_known = known["USUBJID"].n_unique()
        ok = known.filter(pl.col("XPORRES") == "SUCCESS")["USUBJID"].n_unique()
        rows.append(
            (
                "Manufactured successfully, n (%)",
                count_pct(ok, n_known) if n_known else "not recorded",
                f"{n_mfg} attempted"
                if n_known == n_mfg
                else f"{n_known} of {n_mfg} attempted with a recorded result",
            )
        )
    for code, label, dec in PRODUCT_TESTS:
        v = xp.filter(pl.col("XPTESTCD") == code)["XPSTRESN"]
        n_prod = xp.filter(pl.col("XPTESTCD") != "MFGRES")["USUBJID"].n_unique()
        rows.append(
            (
                f"{label}, median (range)",
                median_range(v, decimals=dec),
                f"{v.drop_nulls().len()} of {n_prod}",
            )
        )
    return pl.DataFrame(
        rows, schema=["Characteristic", "Products", "Products with data"], orient="row"
    )
