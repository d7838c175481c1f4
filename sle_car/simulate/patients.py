"""Patients (baseline characteristics and latent response), the visit schedule and the
latent disease course."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from data_schemas import codelists as cl
from sle_car.simulate.core import NEVER, site_id, study_id


# --- patients ----------------------------------------------------------------------------------
def _patients(n: int, rng: np.random.Generator, p: dict, pid0: int = 0) -> pl.DataFrame:
    coh, lat, dis, saf = p["cohort"], p["latent"], p["disease"], p["safety"]
    z = rng.standard_normal(n)
    female = rng.random(n) < coh["p_female"]
    age = np.clip(np.round(rng.normal(coh["age_mean"], coh["age_sd"], n)), 18, 65).astype(int)
    groups = list(coh["ethnic_groups"])
    probs = np.array([coh["ethnic_groups"][g] for g in groups], dtype=float)
    eth = np.array(groups)[rng.choice(len(groups), size=n, p=probs / probs.sum())]
    height = np.where(female, rng.normal(156, 6, n), rng.normal(168, 7, n)).round(0)
    weight = np.clip(np.where(female, rng.normal(56, 9, n), rng.normal(68, 10, n)), 38, 120)
    disease_years = np.exp(rng.normal(math.log(coh["disease_years_median"]), 0.6, n))
    nprior = np.clip(rng.poisson(coh["prior_therapies_mean"], n), 2, 10)
    ln = rng.random(n) < coh["p_lupus_nephritis"]
    # follow-up: staggered infusion, data cut, withdrawal, death
    offset = np.floor(rng.random(n) * coh["accrual_days"]).astype(int)
    if pid0 == 0:
        offset[0] = 0  # the first patient of the study defines the accrual start
    fu = np.minimum(
        p["protocol"]["followup_days"], coh["data_cut_after_first_infusion_days"] - offset
    )
    withdraw = rng.random(n) < coh["p_early_withdrawal"]
    wd_day = rng.integers(45, 700, n)
    death = rng.random(n) < saf["p_death"]
    death_day = rng.integers(60, 700, n)
    end = fu.astype(float)
    end = np.where(withdraw, np.minimum(end, wd_day), end)
    end = np.where(death, np.minimum(end, death_day), end)
    end_reason = np.where(
        death & (death_day <= np.minimum(fu, np.where(withdraw, wd_day, NEVER))),
        "DEATH",
        np.where(
            withdraw & (wd_day < fu),
            "WITHDRAWAL BY SUBJECT",
            np.where(fu >= p["protocol"]["followup_days"], "COMPLETED", "ONGOING"),
        ),
    )
    # CAR-T kinetics (relative units) and B-cell return, correlated through z
    tri = lat["cart_peak_day"]
    peak_day = np.round(rng.triangular(tri["min"], tri["mode"], tri["max"], n)).astype(int)
    log_peak = (
        lat["cart_log10_peak_mean"]
        + lat["cart_log10_peak_sd_z"] * z
        + lat["cart_log10_peak_sd_noise"] * rng.standard_normal(n)
    )
    rho = lat["bcell_return_corr_z"]
    lo, hi = lat["bcell_return_bounds"]
    bret = lat["bcell_return_mean"] + lat["bcell_return_sd"] * (
        rho * z + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    )
    bret = np.clip(np.round(bret), lo, hi).astype(int)
    # time to clinical quiescence (cSLEDAI = 0) and non-response
    t_rem = np.exp(
        math.log(lat["remission_day_median"])
        - lat["remission_day_log_sd_z"] * z
        + lat["remission_day_log_sd_noise"] * rng.standard_normal(n)
    )
    t_rem = np.clip(np.round(t_rem), 21, 300).astype(int)
    nonresp = rng.random(n) < lat["p_nonresponder"]
    # glucocorticoids
    g_lo, g_hi = dis["prednisolone_baseline_range"]
    gc0 = np.round(rng.uniform(g_lo, g_hi, n) / 2.5) * 2.5
    te_lo, te_hi = dis["gc_taper_end_day_range"]
    taper_end = rng.integers(te_lo, te_hi + 1, n)
    hcq = rng.random(n) < dis["p_hcq_continued"]
    # flares: exponential time with hazard lowered by z, only after remission
    rate = dis["flare_hazard_per_month"] / 30.4375 * np.exp(-0.5 * z)
    flare = t_rem + 30 + rng.exponential(1 / rate)
    flare = np.where(nonresp | (flare >= end), NEVER, np.round(flare)).astype(int)
    return pl.DataFrame(
        {
            "pid": np.arange(pid0, pid0 + n),
            "z": z,
            "SEX": np.where(female, "F", "M"),
            "AGE": age,
            "ETHGRP": eth,
            "HEIGHTBL": height,
            "WEIGHTBL": weight.round(1),
            "DISYEARS": disease_years,
            "NPRIORTX": nprior,
            "LN": ln,
            "OFFSET": offset,
            "END": end.astype(int),
            "ENDREAS": end_reason,
            "CARTPKDY": peak_day,
            "CARTLPK": log_peak,
            "BRETDY": bret,
            "TREM": t_rem,
            "NONRESP": nonresp,
            "GC0": gc0,
            "TAPEREND": taper_end,
            "HCQ": hcq,
            "FLAREDY": flare,
        }
    )


def _usubjid(pid: pl.Expr, width: int) -> pl.Expr:
    return pl.format(
        "{}-{}-{}",
        pl.lit(study_id()),
        pl.lit(site_id()),
        (pid + 1).cast(pl.String).str.zfill(width),
    )


# --- schedule ----------------------------------------------------------------------------------
CLINICAL = [
    "BASELINE",
    *[f"WEEK {w}" for w in range(4, 29, 4)],
    *[f"MONTH {m}" for m in range(9, 25, 3)],
]


DAILY = [f"DAY {d}" for d in range(15)]


FOLLOW = [v for v in CLINICAL if v != "BASELINE"]


IMMUNO = ["BASELINE", "WEEK 4", "WEEK 12", "WEEK 24", *[f"MONTH {m}" for m in range(9, 25, 3)]]


FLOW = ["BASELINE", "DAY 1", "DAY 3", "DAY 5", "DAY 7", "DAY 10", "DAY 14", *FOLLOW]


FACIT = ["BASELINE", *[f"WEEK {w}" for w in range(4, 29, 4)]]


def _schedule(pt: pl.DataFrame, rng: np.random.Generator, p: dict) -> pl.DataFrame:
    """Every planned visit of every patient with its actual day; missed or after the end of
    follow-up removed."""
    visits = pl.DataFrame(
        {
            "VISITNUM": [v.visitnum for v in cl.VISITS],
            "VISIT": [v.name for v in cl.VISITS],
            "NOMDY": [v.day for v in cl.VISITS],
            "WIN": [v.window for v in cl.VISITS],
        }
    )
    s = pt.select("pid", "END").join(visits, how="cross")
    jitter = np.round(rng.normal(0, 1, s.height) * s["WIN"].to_numpy() / 3)
    missed = rng.random(s.height) < p["cohort"]["p_missed_visit"]
    s = s.with_columns(
        (
            pl.col("NOMDY")
            + pl.lit(pl.Series(jitter)).cast(pl.Int64).clip(-pl.col("WIN"), pl.col("WIN"))
        )
        .cast(pl.Int64)
        .alias("DY"),
        pl.Series("MISSED", missed),
    )
    keep = (pl.col("DY") <= pl.col("END")) & (
        pl.col("MISSED").not_() | (pl.col("NOMDY") <= 14)  # in-hospital days are never missed
    )
    return s.filter(keep).drop("MISSED", "WIN", "END")


# --- latent trajectories as polars expressions of (patient columns, DY) -----------------------
def _smoothstep(x: pl.Expr) -> pl.Expr:
    x = x.clip(0, 1)
    return x * x * (3 - 2 * x)


def _disease_state(pt: pl.DataFrame, rng: np.random.Generator, p: dict) -> pl.DataFrame:
    """Per patient: baseline descriptor set and the day each clinical descriptor resolves."""
    n = pt.height
    ln = pt["LN"].to_numpy()
    # every patient with lupus nephritis has active nephritis at baseline, proteinuria
    # included: baseline UPCR, the BILAG-2004 renal grade (A/B) and DM.LNCLASS (a class with
    # active lesions, or membranous V) then agree for every patient (issue #18: a class III+V
    # patient with BILAG renal B and UPCR 0.14 g/g was incoherent). Patients without
    # nephritis have no renal descriptor, UPCR 0.05-0.3 g/g, BILAG renal E, no class. The
    # probability 1.0 consumes the same draws as before (other patients are unchanged).
    probs = {
        "PROTEIN": np.where(ln, 1.0, 0.0),
        "HEMATUR": np.where(ln, 0.6, 0.0),
        "UCASTS": np.where(ln, 0.35, 0.0),
        "PYURIA": np.where(ln, 0.3, 0.0),
        "ARTHRIT": 0.55,
        "RASH": 0.5,
        "ALOPECIA": 0.35,
        "MUCULC": 0.35,
        "PLEURISY": 0.1,
        "PERICARD": 0.05,
        "VASCULIT": 0.05,
        "FEVER": 0.05,
        "THROMBO": 0.1,
        "MYOSITIS": 0.03,
    }
    active = {k: rng.random(n) < np.broadcast_to(v, n) for k, v in probs.items()}
    dsdna_pos = rng.random(n) < p["disease"]["p_anti_dsdna_positive_baseline"]
    comp_low = rng.random(n) < 0.8
    weights = {k: w for k, (_, w) in cl.SLEDAI_ITEMS.items()}
    lo, hi = p["disease"]["sledai_baseline_range"]

    def total() -> np.ndarray:
        return sum(active[k] * weights[k] for k in active) + 2 * dsdna_pos + 2 * comp_low

    for k in ("ARTHRIT", "RASH", "MUCULC", "ALOPECIA"):  # top up to the published range
        active[k] = active[k] | (total() < lo)
    t_rem = pt["TREM"].to_numpy()
    nonresp = pt["NONRESP"].to_numpy()
    out = {"pid": pt["pid"].to_numpy(), "DSDNAPOS": dsdna_pos, "COMPLOW": comp_low}
    # a non-responder keeps its heaviest clinical descriptor
    first_kept = np.full(n, "", dtype=object)
    for k in ("PROTEIN", "ARTHRIT", "RASH", "MUCULC", "ALOPECIA"):
        first_kept = np.where((first_kept == "") & active[k] & nonresp, k, first_kept)
    for k in active:
        res = np.round(t_rem * rng.uniform(0.3, 1.0, n)).astype(int)
        res = np.where(k == "FEVER", rng.integers(1, 15, n), res)  # baseline fever settles early
        res = np.where(first_kept == k, NEVER, res)
        out[f"R_{k}"] = np.where(active[k], res, -NEVER)  # -NEVER: never active
    out["SLEDAIBL"] = np.minimum(total(), hi + 8)
    return pl.DataFrame(out)
