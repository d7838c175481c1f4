"""Issue #18 additions to the synthetic cohort: the extended autoantibody panel (LB), the
disposition milestones of a CONSORT-style flow (DS), CAR-T product characteristics (XP),
the lupus nephritis class (DM) and the screening-log counts (manifest).

Every draw here comes from its own generator (``[seed, chunk, 18]``, and ``[seed, 18]`` for
the screening log), never from the generator of the existing domains, so that every record
simulated before issue #18 stays byte-identical: new LB and DS rows take the sequence
numbers after each subject's last existing one, and the new DM columns come last.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from data_schemas import codelists as cl
from sle_car.simulate.core import study_id
from sle_car.simulate.patients import IMMUNO, _usubjid

STREAM = 18
"""Last element of the seed of the issue-#18 generators: ``[seed, chunk, STREAM]``."""

PANEL_NEW = ("U1RNPAB", "RO60AB", "LAAB", "C1QAB", "NUCLEOAB", "ACLIGG", "B2GP1IGG")
"""Autoantibodies simulated here besides the ANA titre (DDNAIGAB, SMAB and TRIM21 are
simulated with the other laboratory values)."""


def _cutoffs() -> dict[str, float]:
    panel = cl.autoantibody_panel()
    return dict(zip(panel["LBTESTCD"], panel["CUTOFF"], strict=True))


def autoantibody_values(
    sched: pl.DataFrame, pt: pl.DataFrame, rng: np.random.Generator, p: dict
) -> pl.DataFrame:
    """The extended panel at the immunology visits: pid, LBTESTCD, LBSPEC, VISITNUM, VISIT,
    DY, VAL (standard unit), LLN (null), ULN (= the panel's cut-off), QUAL (null).

    Per patient and antibody: positive at baseline with ``p_positive`` (value 1.5-10 times
    the cut-off), else 5-60 % of it; after infusion (day 0) the value falls with a half-life
    of ``half_life_days`` towards ``persisting_fraction`` of baseline (long-lived plasma
    cells are CD19-negative); 8 % multiplicative measurement noise. ANA: reciprocal titre
    80·2^k, falling by 0-3 dilutions; 0 = negative at 1:80."""
    a = p["autoantibodies"]
    n = pt.height
    pids = pt["pid"].to_numpy()
    cut = _cutoffs()
    rows = []
    hl_lo, hl_hi = a["half_life_days"]
    for code in PANEL_NEW:  # loop over tests, never over patients
        pos = rng.random(n) < a["p_positive"][code]
        base = cut[code] * np.where(pos, rng.uniform(1.5, 10, n), rng.uniform(0.05, 0.6, n))
        lo, hi = a["persisting_fraction"][code]
        keep = np.where(pos, rng.uniform(lo, hi, n), rng.uniform(0.7, 1.0, n))
        rows.append(
            pl.DataFrame(
                {
                    "pid": pids,
                    "LBTESTCD": code,
                    "_B": base,
                    "_K": keep,
                    "_HL": rng.uniform(hl_lo, hl_hi, n),
                }
            )
        )
    # ANA: latent log2(titre / 80); negative below 0
    neg = rng.random(n) < a["p_ana_negative_baseline"]
    l0 = np.where(neg, -1.0, rng.uniform(1.0, 5.99, n))  # 1:160 to 1:2560
    d_lo, d_hi = a["ana_dilutions_lost"]
    ana = pl.DataFrame(
        {
            "pid": pids,
            "LBTESTCD": "ANATITER",
            "_B": l0,
            "_K": rng.uniform(d_lo, d_hi, n),  # dilutions lost
            "_HL": rng.uniform(hl_lo, hl_hi, n),
        }
    )
    per_patient = pl.concat([ana, *rows])
    planned = (
        sched.filter(pl.col("VISIT").is_in(IMMUNO))
        .select("pid", "VISITNUM", "VISIT", "DY")
        .join(per_patient, on="pid", how="inner")
        .sort("pid", "DY", "LBTESTCD")
    )
    noise = pl.Series(rng.normal(0, 0.08, planned.height))
    t = pl.col("DY").clip(0, None)
    decay = 2 ** (-t / pl.col("_HL"))
    value = pl.col("_B") * (pl.col("_K") + (1 - pl.col("_K")) * decay) * (1 + pl.lit(noise))
    log2_titre = pl.col("_B") - pl.col("_K") * (1 - decay)
    titre = pl.when(log2_titre < 0).then(0.0).otherwise(80 * 2 ** log2_titre.floor())
    is_ana = pl.col("LBTESTCD") == "ANATITER"
    return planned.with_columns(
        pl.when(is_ana).then(titre).otherwise(value.clip(0, None).round(1)).alias("VAL"),
        pl.lit("SERUM").alias("LBSPEC"),
        pl.lit(None, dtype=pl.Float64).alias("LLN"),
        pl.col("LBTESTCD").replace_strict(cut, return_dtype=pl.Float64).alias("ULN"),
        pl.lit(None, dtype=pl.String).alias("QUAL"),
    ).drop("_B", "_K", "_HL")


def append_seq(existing: pl.DataFrame, new: pl.DataFrame, prefix: str) -> pl.DataFrame:
    """``existing`` with ``new`` rows appended per subject: their ``<prefix>SEQ`` continues
    after the subject's last existing number, so every existing record keeps its number."""
    seq = f"{prefix}SEQ"
    last = existing.group_by("USUBJID").agg(pl.col(seq).max().alias("_LAST"))
    new = (
        new.join(last, on="USUBJID", how="left")
        .with_columns((pl.col(seq) + pl.col("_LAST").fill_null(0)).cast(pl.Int64))
        .drop("_LAST")
        .select(existing.columns)
    )
    return pl.concat([existing, new]).sort("USUBJID", seq)


def milestones(
    pt: pl.DataFrame,
    sched: pl.DataFrame,
    ex: pl.DataFrame,
    rng: np.random.Generator,
    p: dict,
    width: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """DS protocol milestones after consent (enrolment, apheresis, product release,
    lymphodepletion, infusion; DS columns without DSSEQ numbering) and the per-patient
    product days (pid, APHDY, RELDY) for XP. Day 0 is the infusion."""
    n = pt.height
    pr = p["product"]
    consent = sched.filter(pl.col("VISIT") == "SCREENING").select("pid", pl.col("DY").alias("C"))
    ld = (
        ex.filter(pl.col("EXTRT") == "FLUDARABINE")
        .group_by("USUBJID")
        .agg(pl.col("EXSTDY").min().alias("LD"))
    )
    m_lo, m_hi = pr["manufacturing_days"]
    draws = pl.DataFrame(
        {
            "pid": pt["pid"].to_numpy(),
            "_UA": rng.random(n),
            "_UE": rng.random(n),
            "_MFG": rng.integers(m_lo, m_hi + 1, n),
        }
    )
    days = (
        pt.select("pid", _usubjid(pl.col("pid"), width).alias("USUBJID"))
        .join(consent, on="pid", how="left")
        .join(ld, on="USUBJID", how="left")
        .join(draws, on="pid")
    )
    # apheresis between consent + 2 and the latest day that leaves manufacturing time before
    # lymphodepletion (a late consent shortens the time to release: release is at the latest
    # the day before lymphodepletion); enrolment (eligibility confirmed) between consent + 1
    # and apheresis - 1
    earliest = pl.col("C") + 2
    latest = pl.max_horizontal(pl.col("LD") - 1 - pl.col("_MFG"), earliest)
    aph = (earliest + (pl.col("_UA") * (latest - earliest + 1)).floor()).cast(pl.Int64)
    days = days.with_columns(aph.alias("APHDY")).with_columns(
        (pl.col("APHDY") + pl.col("_MFG")).clip(None, pl.col("LD") - 1).alias("RELDY"),
        (
            pl.col("C")
            + 1
            + (pl.col("_UE") * (pl.col("APHDY") - pl.col("C") - 1).clip(0, None)).floor()
        )
        .cast(pl.Int64)
        .clip(None, pl.col("APHDY"))
        .alias("ENRDY"),
    )
    steps = [
        ("ENTERED INTO TRIAL", "Entered into trial (eligibility confirmed)", "ENRDY"),
        ("APHERESIS PERFORMED", "Leukapheresis performed", "APHDY"),
        ("CAR T PRODUCT MANUFACTURED", "CAR T product released", "RELDY"),
        ("LYMPHODEPLETION STARTED", "Lymphodepletion (fludarabine) started", "LD"),
        ("CAR T CELLS INFUSED", "CD19 CAR T cells infused", None),
    ]
    ds = pl.concat(
        [
            days.select(
                "pid",
                "USUBJID",
                pl.lit("PROTOCOL MILESTONE").alias("DSCAT"),
                pl.lit(decod).alias("DSDECOD"),
                pl.lit(term).alias("DSTERM"),
                (pl.col(col) if col else pl.lit(0)).cast(pl.Int64).alias("DSSTDY"),
                pl.lit(i + 1, dtype=pl.Int64).alias("DSSEQ"),
            )
            for i, (decod, term, col) in enumerate(steps)
        ]
    ).with_columns(pl.lit(study_id()).alias("STUDYID"), pl.lit("DS").alias("DOMAIN"))
    return ds, days.select("pid", "USUBJID", "APHDY", "RELDY")


def product(
    pt: pl.DataFrame,
    ex: pl.DataFrame,
    days: pl.DataFrame,
    rng: np.random.Generator,
    p: dict,
) -> pl.DataFrame:
    """XP, the product characteristics: manufacturing result, total CAR+ T cells infused
    (EXDOSE 10^6/kg × baseline weight), viability, CD4:CD8 ratio, transduction efficiency
    and vein-to-vein time (apheresis to infusion, days)."""
    n = pt.height
    pr = p["product"]
    dose = ex.filter(pl.col("EXTRT") == "CD19 CAR T CELLS").select("USUBJID", "EXDOSE")
    mu, sd = pr["cd4_cd8_log_mean_sd"]
    base = (
        days.join(pt.select("pid", "WEIGHTBL"), on="pid")
        .join(dose, on="USUBJID", how="left")
        .with_columns(
            pl.Series("VIABLE", rng.uniform(*pr["viability_pct"], n).round(1)),
            pl.Series("CD4CD8", np.exp(rng.normal(mu, sd, n)).round(2)),
            pl.Series("TRANSEFF", rng.uniform(*pr["transduction_pct"], n).round(1)),
            (pl.col("EXDOSE") * pl.col("WEIGHTBL")).round(1).alias("TOTCART"),
            (-pl.col("APHDY")).cast(pl.Float64).alias("V2VDUR"),
        )
    )
    tests = cl.PRODUCT_TESTS
    parts = [
        base.select(
            "pid",
            "USUBJID",
            pl.lit("MFGRES").alias("XPTESTCD"),
            pl.lit("SUCCESS").alias("XPORRES"),
            pl.lit(None, dtype=pl.Float64).alias("XPSTRESN"),
            "RELDY",
        )
    ]
    for code in ("TOTCART", "VIABLE", "CD4CD8", "TRANSEFF", "V2VDUR"):
        parts.append(
            base.select(
                "pid",
                "USUBJID",
                pl.lit(code).alias("XPTESTCD"),
                pl.col(code).cast(pl.String).str.replace(r"\.0$", "").alias("XPORRES"),
                pl.col(code).cast(pl.Float64).alias("XPSTRESN"),
                "RELDY",
            )
        )
    order = {c: i for i, c in enumerate(tests)}
    xp = pl.concat(parts).with_columns(
        pl.col("XPTESTCD").replace_strict(order, return_dtype=pl.Int64).alias("_O")
    )
    xp = xp.sort("USUBJID", "_O").with_columns(
        (pl.int_range(pl.len()).over("USUBJID") + 1).cast(pl.Int64).alias("XPSEQ")
    )
    names = {c: t.name for c, t in tests.items()}
    units = {c: (t.unit or None) for c, t in tests.items()}
    return xp.select(
        pl.lit(study_id()).alias("STUDYID"),
        pl.lit("XP").alias("DOMAIN"),
        "USUBJID",
        "XPSEQ",
        "XPTESTCD",
        pl.col("XPTESTCD").replace_strict(names, return_dtype=pl.String).alias("XPTEST"),
        "XPORRES",
        pl.col("XPTESTCD").replace_strict(units, return_dtype=pl.String).alias("XPORRESU"),
        "XPSTRESN",
        pl.col("RELDY").alias("XPDY"),
    )


def nephritis(pt: pl.DataFrame, rng: np.random.Generator, p: dict) -> pl.DataFrame:
    """DM.LNCLASS (ISN/RPS 2003) and DM.LNBXDY (study day of the diagnostic biopsy, after
    the SLE diagnosis) for patients with lupus nephritis; null otherwise."""
    n = pt.height
    ne = p["nephritis"]
    classes = list(ne["isn_rps_class"])
    w = np.array([ne["isn_rps_class"][c] for c in classes], dtype=float)
    cls = np.array(classes)[rng.choice(len(classes), n, p=w / w.sum())]
    b_lo, b_hi = ne["biopsy_days_before_infusion"]
    bx = -rng.integers(b_lo, b_hi + 1, n)
    diag = -(pt["DISYEARS"].to_numpy() * 365.25).round(0)
    ln = pt["LN"].to_numpy()
    return pl.DataFrame(
        {
            "pid": pt["pid"].to_numpy(),
            "_LN": ln.astype(bool),
            "_C": cls.astype(str),
            "_D": np.maximum(bx, diag).astype(np.int64),
        }
    ).select(
        "pid",
        pl.when("_LN").then(pl.col("_C")).alias("LNCLASS"),
        pl.when("_LN").then(pl.col("_D")).alias("LNBXDY"),
    )


def screening_log(n_enrolled: int, seed: int, p: dict) -> dict:
    """The manifest's ``screening`` block of a simulated cohort: screened patients who were
    not enrolled drawn from ``[seed, 18]`` (negative binomial: failures before
    ``n_enrolled`` enrolments), most as SCREEN FAILURE, some WITHDRAWAL OF CONSENT."""
    rng = np.random.default_rng([seed, STREAM])
    s = p["screening"]
    fails = int(rng.negative_binomial(n_enrolled, 1 - s["p_screen_failure"]))
    withdrew = int(rng.binomial(fails, s["p_withdrew_consent_given_not_enrolled"]))
    not_enrolled = {"SCREEN FAILURE": fails - withdrew}
    if withdrew:
        not_enrolled["WITHDRAWAL OF CONSENT"] = withdrew
    return {
        "screened": n_enrolled + fails,
        "not_enrolled": {k: v for k, v in not_enrolled.items() if v},
        "source": "screening log (simulated)",
    }


CYTOKINE_VISITS = ("WEEK 4",)
"""Visits beyond day 14 at which IL-6 and ferritin are also measured (issue #18): WEEK 4 =
day 28, the end of the CRS/ICANS observation window, so that their return to baseline is seen
(CRP is measured at every follow-up visit with the routine chemistry already). The schedule
has no day-21 visit; one would shift every visit after it."""


def cytokines_day28(
    sched: pl.DataFrame, pt_all: pl.DataFrame, rng: np.random.Generator, p: dict
) -> pl.DataFrame:
    """INTLK6 and FERRITIN at :data:`CYTOKINE_VISITS`, with the same kinetics as days 0-14
    (:func:`sle_car.simulate.labs._lab_values`: IL-6 halves daily after CRS, ferritin falls
    with a ~5-day half-life) and measurement noise from the issue-#18 generator, so that
    every existing record stays unchanged. Rows as ``_lb`` returns them (with LBTEST etc.)."""
    from sle_car.simulate.labs import _lab_values, _planned

    planned = (
        _planned(sched, list(CYTOKINE_VISITS), [("INTLK6", "SERUM"), ("FERRITIN", "SERUM")])
        .rename({"ITEM": "LBTESTCD", "SPEC": "LBSPEC"})
        .join(pt_all, on="pid", how="left")
    )
    vals = _lab_values(planned, rng, p)
    meta = pl.DataFrame(
        [
            {"LBTESTCD": t.code, "LBSPEC": t.specimen, "LBTEST": t.name, "LBCAT": t.category}
            | {"UNIT": t.unit}
            for t in cl.LAB_TESTS.values()
        ]
    )
    return vals.join(meta, on=["LBTESTCD", "LBSPEC"], how="left")
