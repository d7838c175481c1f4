"""Protocol-faithful synthetic cohort: the embedded default data of the repository.

``simulate(n, seed)`` draws correlated, mechanistic patient trajectories calibrated to the
published CD19 CAR-T experience in SLE (``sle_car/config/simulation.yaml``, every value with
its source) and returns the raw SDTM-style domains of the data contract, the ground truth
(latent days of remission, B-cell return, flares ...) and, in messy mode, the problems it
injected. ``write_cohort`` writes them with a manifest. Same seed, same bytes.

Everything is vectorised: patients are rows of polars frames, schedules are cross joins, and
the only Python loops run over tests, visits and descriptors, never over patients or days.

The latent structure (what the exploratory analysis must recover): one standard-normal
"response strength" ``z`` per patient raises the CAR-T peak, lengthens B-cell aplasia,
shortens the time to remission and lowers the flare hazard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from data_schemas import codelists as cl
from sle_car import __version__

TRUTH_FILE = "truth.csv"
INJECTED_FILE = "injected_problems.csv"
NEVER = 100_000
"""Day used for 'never happens' in latent day columns."""


# --- configuration ---------------------------------------------------------------------------
def load_config(path: Path | str | None = None) -> dict:
    """The simulation configuration as nested ``{name: {value, source}}`` dictionaries."""
    if path is None:
        text = resources.files("sle_car.config").joinpath("simulation.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _values(config: dict) -> dict:
    """Strip the ``source`` annotations: ``{section: {name: value}}``."""
    return {
        section: {k: v["value"] for k, v in entries.items()}
        for section, entries in config.items()
        if isinstance(entries, dict)
    }


@dataclass
class Cohort:
    """A simulated cohort: raw domains, ground truth and (messy mode) injected problems."""

    domains: dict[str, pl.DataFrame]
    truth: pl.DataFrame
    injected: pl.DataFrame | None
    seed: int
    n_patients: int
    config_version: str


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
    return pl.format("{}-01-{}", pl.lit(cl.STUDYID), (pid + 1).cast(pl.String).str.zfill(width))


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
    probs = {
        "PROTEIN": np.where(ln, 0.95, 0.0),
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


def _lab_values(lb: pl.DataFrame, rng: np.random.Generator, p: dict) -> pl.DataFrame:
    """Add numeric result ``VAL`` (standard unit) and normal range to every planned lab row.

    ``lb`` holds pid, LBTESTCD, LBSPEC, DY and the patient and disease columns."""
    dis = p["disease"]
    n = lb.height
    draws = pl.Series(rng.random(n))  # one uniform per row: measurement noise
    lb = lb.with_columns(draws.alias("_U"), ((draws - 0.5) * 0.1).alias("_NOISE"))
    u = pl.col("_U")
    t = pl.col("DY")
    after = (t >= 0).cast(pl.Float64)
    # shared latent curves ------------------------------------------------------------------
    dip_neut = (-(((t - 7) / 6) ** 2)).exp()
    dip_plat = (-(((t - 10) / 7) ** 2)).exp()
    crs_on = (t >= pl.col("CRSON")) & (t < pl.col("CRSON") + pl.col("CRSDUR"))
    crs_bump = pl.when(crs_on).then(1.0).otherwise(0.0)
    cart = (
        pl.when(t < 0)
        .then(0.0)
        .otherwise(
            pl.when(t <= pl.col("CARTPKDY"))
            .then(10 ** (pl.col("CARTLPK") - 2 * (pl.col("CARTPKDY") - t) / pl.col("CARTPKDY")))
            .otherwise(
                10 ** pl.col("CARTLPK")
                * 2 ** (-(t - pl.col("CARTPKDY")) / p["latent"]["cart_half_life_days"])
            )
        )
    )
    lym_base = pl.col("LYM0")
    lym = (
        pl.when(t < -3)
        .then(lym_base)
        .otherwise(lym_base - (lym_base - 0.15) * ((-(t - 3).clip(0, None) / 30).exp()))
        + cart / 1000
    )
    bcell = (
        pl.when(t < -5)
        .then(pl.col("B0"))
        .when(t < pl.col("BRETDY"))
        .then(
            pl.when(t < 3).then(pl.col("B0") * (1 - _smoothstep((t + 5) / 8))).otherwise(0.0)
            + u * 0.4 * (t >= 3).cast(pl.Float64)
        )
        .otherwise(1.5 + 200 * (1 - (-(t - pl.col("BRETDY")) / 60).exp()))
    )
    anc = pl.col("ANC0") - (pl.col("ANC0") - pl.col("ANCNAD")) * dip_neut * (t >= -3)
    plat = pl.col("PLT0") - (pl.col("PLT0") - pl.col("PLTNAD")) * dip_plat * (t >= -3)
    # serology
    c_frac = _smoothstep(t / pl.col("COMPNORM"))
    c3 = pl.col("C3BL") + (pl.col("C3N") - pl.col("C3BL")) * c_frac * after
    c4 = pl.col("C4BL") + (pl.col("C4N") - pl.col("C4BL")) * c_frac * after
    ds_floor = pl.col("DS0") * dis["anti_dsdna_floor_fraction"]
    dsdna = (
        pl.when(t <= 0)
        .then(pl.col("DS0"))
        .otherwise(ds_floor + (pl.col("DS0") - ds_floor) * 2 ** (-t / pl.col("DSHL")))
    )
    upcr = (
        pl.when(t <= 0)
        .then(pl.col("UP0"))
        .otherwise(0.08 + (pl.col("UP0") - 0.08) * 2 ** (-t / pl.col("UPHL")))
    )
    active = {
        k: (t < pl.col(f"R_{k}")) & (pl.col(f"R_{k}") > -NEVER)
        for k in ("HEMATUR", "PYURIA", "UCASTS", "THROMBO")
    }
    igfall = (
        pl.when(t <= 0)
        .then(1.0)
        .when(t < pl.col("BRETDY"))
        .then(1 - pl.col("IGDROP") * _smoothstep(t / 90))
        .otherwise(1 - pl.col("IGDROP") * (1 - _smoothstep((t - pl.col("BRETDY")) / 180)))
    )
    # (value expression, LLN, ULN) per test; values in the standard unit
    spec = {
        ("WBC", "BLOOD"): (anc + lym + 0.55, 4.0, 11.0),
        ("NEUT", "BLOOD"): (anc, 2.0, 7.5),
        ("LYM", "BLOOD"): (lym, 1.0, 4.0),
        ("PLAT", "BLOOD"): (plat, 150.0, 400.0),
        ("HGB", "BLOOD"): (pl.col("HGB0") * (1 - 0.1 * dip_plat * (t >= -3)), 120.0, 160.0),
        ("FIBRINO", "PLASMA"): (2.8 + 1.5 * crs_bump, 2.0, 4.0),
        ("CREAT", "SERUM"): (
            pl.col("CRE0") * (1 - 0.1 * _smoothstep(t / 180) * pl.col("LN")),
            45.0,
            90.0,
        ),
        ("ALT", "SERUM"): (pl.col("ALT0") * (1 + 1.5 * crs_bump), 0.0, 35.0),
        ("AST", "SERUM"): (pl.col("ALT0") * 1.1 * (1 + 1.2 * crs_bump), 0.0, 35.0),
        ("BILI", "SERUM"): (pl.col("BIL0"), 3.0, 21.0),
        ("ALB", "SERUM"): ((44 - 4 * upcr).clip(22, 48), 35.0, 50.0),
        ("SODIUM", "SERUM"): (pl.col("NA0"), 135.0, 145.0),
        ("K", "SERUM"): (pl.col("K0"), 3.5, 5.1),
        ("CRP", "SERUM"): (pl.col("CRP0") + 80 * crs_bump * pl.col("CRSG"), 0.0, 5.0),
        ("FERRITIN", "SERUM"): (pl.col("FER0") * (1 + 4 * crs_bump), 15.0, 150.0),
        ("INTLK6", "SERUM"): (4 + 150 * crs_bump * pl.col("CRSG"), 0.0, 7.0),
        ("C3", "SERUM"): (c3, 0.9, 1.8),
        ("C4", "SERUM"): (c4, 0.1, 0.4),
        ("DDNAIGAB", "SERUM"): (dsdna, None, 30.0),
        ("SMAB", "SERUM"): (pl.col("SM0") * (0.7 + 0.3 * 2 ** (-t.clip(0, None) / 40)), None, 20.0),
        ("TRIM21", "SERUM"): (
            pl.col("RO0") * (0.9 + 0.1 * 2 ** (-t.clip(0, None) / 40)),
            None,
            20.0,
        ),
        ("IGG", "SERUM"): (pl.col("IGG0") * igfall, 7.0, 16.0),
        ("IGA", "SERUM"): (pl.col("IGA0") * (1 - 0.8 * (1 - igfall)), 0.7, 4.0),
        ("IGM", "SERUM"): (pl.col("IGM0") * (1 - 2.0 * (1 - igfall)).clip(0.2, 1), 0.4, 2.3),
        ("PROTCRT", "URINE"): (upcr, None, 0.2),
        ("RBC", "URINE"): (pl.when(active["HEMATUR"]).then(8 + 30 * u).otherwise(4 * u), None, 5.0),
        ("WBC", "URINE"): (pl.when(active["PYURIA"]).then(8 + 20 * u).otherwise(4 * u), None, 5.0),
        ("BLYCE", "BLOOD"): (bcell, 100.0, 500.0),
        ("BLYCELY", "BLOOD"): (100 * bcell / (bcell + 1000 * lym), 5.0, 20.0),
        ("CARTCE", "BLOOD"): (pl.when(cart < 0.1).then(0.0).otherwise(cart), None, None),
    }
    decimals = {
        "WBC": 2,
        "NEUT": 2,
        "LYM": 2,
        "PLAT": 0,
        "HGB": 0,
        "FIBRINO": 1,
        "CREAT": 0,
        "ALT": 0,
        "AST": 0,
        "BILI": 0,
        "ALB": 0,
        "SODIUM": 0,
        "K": 1,
        "CRP": 1,
        "FERRITIN": 0,
        "INTLK6": 0,
        "C3": 2,
        "C4": 3,
        "DDNAIGAB": 0,
        "SMAB": 0,
        "TRIM21": 0,
        "IGG": 1,
        "IGA": 2,
        "IGM": 2,
        "PROTCRT": 2,
        "RBC": 0,
        "BLYCE": 1,
        "BLYCELY": 2,
        "CARTCE": 1,
    }
    parts = []
    exact = {
        ("PROTCRT", "URINE"),
        ("RBC", "URINE"),
        ("WBC", "URINE"),
        ("BLYCE", "BLOOD"),
        ("CARTCE", "BLOOD"),
        ("BLYCELY", "BLOOD"),
    }
    for (code, specimen), (expr, lln, uln) in spec.items():
        sub = lb.filter((pl.col("LBTESTCD") == code) & (pl.col("LBSPEC") == specimen))
        if sub.height == 0:
            continue
        noise_col = pl.col("_NOISE")
        val = expr if (code, specimen) in exact else expr * (1 + noise_col)
        d = decimals.get(code, 2)
        parts.append(
            sub.with_columns(
                val.clip(0, None).round(d).alias("VAL"),
                pl.lit(lln, dtype=pl.Float64).alias("LLN"),
                pl.lit(uln, dtype=pl.Float64).alias("ULN"),
            )
        )
    casts = lb.filter(pl.col("LBTESTCD") == "CSRBC").with_columns(
        pl.lit(None, dtype=pl.Float64).alias("VAL"),
        pl.lit(None, dtype=pl.Float64).alias("LLN"),
        pl.lit(None, dtype=pl.Float64).alias("ULN"),
        pl.when(active["UCASTS"])
        .then(pl.lit("POSITIVE"))
        .otherwise(pl.lit("NEGATIVE"))
        .alias("QUAL"),
    )
    out = pl.concat(parts, how="diagonal").with_columns(pl.lit(None, dtype=pl.String).alias("QUAL"))
    # PLAT for SLEDAI thrombocytopenia patients: below 100 until the descriptor resolves;
    # UPCR above 0.5 g/g exactly while the proteinuria descriptor is active (after rounding)
    protein = (t < pl.col("R_PROTEIN")) & (pl.col("R_PROTEIN") > -NEVER)
    is_upcr = pl.col("LBTESTCD") == "PROTCRT"
    out = out.with_columns(
        pl.when((pl.col("LBTESTCD") == "PLAT") & active["THROMBO"] & (t < 0))
        .then(pl.col("VAL").clip(None, 95))
        .when(is_upcr & protein)
        .then(pl.col("VAL").clip(0.51, None))
        .when(is_upcr)
        .then(pl.col("VAL").clip(None, 0.5))
        .otherwise(pl.col("VAL"))
        .alias("VAL")
    )
    return pl.concat([out, casts], how="diagonal").drop("_NOISE", "_U")


def _patient_labs(
    pt: pl.DataFrame, ds: pl.DataFrame, rng: np.random.Generator, p: dict
) -> pl.DataFrame:
    """Per-patient laboratory baselines, nadirs and safety events (CRS, ICANS)."""
    n = pt.height
    dis, saf = p["disease"], p["safety"]
    ln = pt["LN"].to_numpy()
    g3n = rng.random(n) < saf["p_g3plus_neutropenia"]
    g3p = rng.random(n) < saf["p_g3plus_thrombocytopenia"]
    crs = rng.random(n) < saf["crs_p_any"]
    grades = np.array(list(saf["crs_grade_given_any"]), dtype=int)
    gp = np.array(list(saf["crs_grade_given_any"].values()), dtype=float)
    crs_g = np.where(crs, grades[rng.choice(len(grades), n, p=gp / gp.sum())], 0)
    on_lo, on_hi = saf["crs_onset_day"]
    du_lo, du_hi = saf["crs_duration_days"]
    crs_on = np.where(crs, rng.integers(on_lo, on_hi + 1, n), NEVER)
    crs_dur = np.where(crs, rng.integers(du_lo, du_hi + 1, n) + (crs_g >= 2), 0)
    icans = rng.random(n) < saf["icans_p_any"]
    icans_g = np.where(icans, np.where(rng.random(n) < 0.8, 1, 2), 0)
    icans_on = np.where(icans, np.minimum(crs_on + crs_dur, rng.integers(3, 9, n)), NEVER)
    up_r = ds["R_PROTEIN"].to_numpy()
    up0 = np.where(
        up_r > -NEVER, rng.uniform(*dis["upcr_baseline_range_g_g"], n), rng.uniform(0.05, 0.3, n)
    )
    up_hl = np.where(
        up_r >= NEVER,
        1e9,
        np.where(
            up_r > 0,
            up_r * math.log(2) / np.log2(np.maximum((up0 - 0.08) / 0.42, 1.01)) / math.log(2),
            rng.normal(
                dis["upcr_half_life_days"]["mean"], dis["upcr_half_life_days"]["sd"], n
            ).clip(20, None),
        ),
    )
    ds_pos = ds["DSDNAPOS"].to_numpy()
    dsl = dis["anti_dsdna_baseline_log10"]
    ds0 = np.where(
        ds_pos, np.maximum(10 ** rng.normal(dsl["mean"], dsl["sd"], n), 40), rng.uniform(3, 25, n)
    )
    dshl = np.clip(
        rng.normal(
            dis["anti_dsdna_half_life_days"]["mean"], dis["anti_dsdna_half_life_days"]["sd"], n
        ),
        14,
        None,
    )
    comp_low = ds["COMPLOW"].to_numpy()
    cn = dis["complement_normal_by_day"]
    return pl.DataFrame(
        {
            "pid": pt["pid"].to_numpy(),
            "ANC0": rng.uniform(2.5, 6.0, n),
            "ANCNAD": np.where(g3n, rng.uniform(0.1, 0.95, n), rng.uniform(1.05, 1.8, n)),
            "PLT0": rng.uniform(160, 350, n),
            "PLTNAD": np.where(g3p, rng.uniform(12, 48, n), rng.uniform(60, 140, n)),
            "LYM0": rng.uniform(0.8, 2.0, n),
            "B0": np.exp(rng.normal(math.log(120), 0.5, n)),
            "HGB0": rng.uniform(95, 135, n),
            "CRE0": np.where(ln, rng.uniform(60, 130, n), rng.uniform(45, 85, n)),
            "ALT0": rng.uniform(10, 35, n),
            "BIL0": rng.uniform(4, 15, n),
            "NA0": rng.uniform(136, 144, n),
            "K0": rng.uniform(3.6, 4.8, n),
            "CRP0": rng.uniform(1, 10, n),
            "FER0": rng.uniform(60, 300, n),
            "C3BL": np.where(comp_low, rng.uniform(0.35, 0.85, n), rng.uniform(0.92, 1.3, n)),
            "C4BL": np.where(comp_low, rng.uniform(0.03, 0.09, n), rng.uniform(0.11, 0.3, n)),
            "C3N": rng.uniform(0.95, 1.4, n),
            "C4N": rng.uniform(0.12, 0.3, n),
            "COMPNORM": np.clip(rng.normal(cn["mean"], cn["sd"], n), 14, 120),
            "DS0": ds0,
            "DSHL": dshl,
            "SM0": np.where(rng.random(n) < 0.3, rng.uniform(30, 200, n), rng.uniform(1, 15, n)),
            "RO0": np.where(rng.random(n) < 0.4, rng.uniform(40, 240, n), rng.uniform(1, 15, n)),
            "IGG0": rng.uniform(8, 16, n),
            "IGA0": rng.uniform(1.2, 3.5, n),
            "IGM0": rng.uniform(0.6, 2.0, n),
            "IGDROP": rng.uniform(0.15, 0.35, n),
            "UP0": up0,
            "UPHL": up_hl,
            "CRSG": crs_g,
            "CRSON": crs_on,
            "CRSDUR": crs_dur,
            "ICANSG": icans_g,
            "ICANSON": icans_on,
        }
    )


def _planned(sched: pl.DataFrame, visits: list[str], items: list[tuple]) -> pl.DataFrame:
    """Cross the schedule (restricted to ``visits``) with item rows given as tuples."""
    keys = ["ITEM", "SPEC"] if len(items[0]) == 2 else ["ITEM"]
    it = pl.DataFrame([dict(zip(keys, i, strict=True)) for i in items])
    return sched.filter(pl.col("VISIT").is_in(visits)).join(it, how="cross")


def _with_seq(df: pl.DataFrame, prefix: str, order: list[str]) -> pl.DataFrame:
    df = df.sort(["USUBJID", *order])
    return df.with_columns(
        (pl.int_range(pl.len()).over("USUBJID") + 1).cast(pl.Int64).alias(f"{prefix}SEQ")
    )


def _lb(sched, pt_all, rng, p) -> pl.DataFrame:
    tests = cl.LAB_TESTS
    routine = [
        ("WBC", "BLOOD"),
        ("NEUT", "BLOOD"),
        ("LYM", "BLOOD"),
        ("PLAT", "BLOOD"),
        ("HGB", "BLOOD"),
        ("CREAT", "SERUM"),
        ("ALT", "SERUM"),
        ("AST", "SERUM"),
        ("BILI", "SERUM"),
        ("ALB", "SERUM"),
        ("SODIUM", "SERUM"),
        ("K", "SERUM"),
        ("CRP", "SERUM"),
    ]
    crs_markers = [("FERRITIN", "SERUM"), ("INTLK6", "SERUM"), ("FIBRINO", "PLASMA")]
    serology = [("C3", "SERUM"), ("C4", "SERUM"), ("DDNAIGAB", "SERUM")]
    immuno = [
        ("SMAB", "SERUM"),
        ("TRIM21", "SERUM"),
        ("IGG", "SERUM"),
        ("IGA", "SERUM"),
        ("IGM", "SERUM"),
    ]
    urine = [("PROTCRT", "URINE"), ("RBC", "URINE"), ("WBC", "URINE"), ("CSRBC", "URINE")]
    flow = [("BLYCE", "BLOOD"), ("BLYCELY", "BLOOD"), ("CARTCE", "BLOOD")]
    planned = pl.concat(
        [
            _planned(sched, ["SCREENING", "BASELINE", *DAILY, *FOLLOW], routine),
            _planned(sched, ["BASELINE", *DAILY], crs_markers),
            _planned(sched, ["SCREENING", *CLINICAL], serology),
            _planned(sched, IMMUNO, immuno),
            _planned(sched, CLINICAL, urine),
            _planned(sched, FLOW, flow),
        ]
    ).rename({"ITEM": "LBTESTCD", "SPEC": "LBSPEC"})
    planned = planned.join(pt_all, on="pid", how="left")
    vals = _lab_values(planned, rng, p)
    meta = pl.DataFrame(
        [
            {
                "LBTESTCD": t.code,
                "LBSPEC": t.specimen,
                "LBTEST": t.name,
                "LBCAT": t.category,
                "UNIT": t.unit,
            }
            for t in tests.values()
        ]
    )
    vals = vals.join(meta, on=["LBTESTCD", "LBSPEC"], how="left")
    return vals


def _lb_domain(vals: pl.DataFrame, width: int) -> pl.DataFrame:
    df = vals.select(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("LB").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        "LBTESTCD",
        "LBTEST",
        "LBCAT",
        "LBSPEC",
        pl.when(pl.col("LBCAT") == "FLOW CYTOMETRY")
        .then(pl.lit("CD19 FLOW CYTOMETRY"))
        .otherwise(None)
        .alias("LBMETHOD"),
        pl.coalesce(pl.col("QUAL"), pl.col("VAL").cast(pl.String)).alias("LBORRES"),
        pl.when(pl.col("UNIT") == "").then(None).otherwise(pl.col("UNIT")).alias("LBORRESU"),
        pl.col("LLN").alias("LBORNRLO"),
        pl.col("ULN").alias("LBORNRHI"),
        "VISITNUM",
        "VISIT",
        pl.col("DY").alias("LBDY"),
    )
    df = _with_seq(df, "LB", ["LBDY", "LBCAT", "LBTESTCD", "LBSPEC"])
    return df.select(
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "LBSEQ",
        *[c for c in df.columns if c not in ("STUDYID", "DOMAIN", "USUBJID", "LBSEQ")],
    )


def _vs(sched, pt_all, rng, width) -> pl.DataFrame:
    vitals = [("TEMP",), ("SYSBP",), ("DIABP",), ("HR",), ("OXYSAT",)]
    planned = pl.concat(
        [
            _planned(sched, ["SCREENING", "BASELINE", *DAILY, *FOLLOW], vitals),
            _planned(sched, DAILY, [("O2DEV",), ("O2FLOW",)]),
        ]
    ).join(pt_all.select("pid", "CRSG", "CRSON", "CRSDUR"), on="pid", how="left")
    n = planned.height
    u = pl.Series(rng.random(n))
    # grade-2 CRS shows as hypotension (even patient index) or as low-flow oxygen (odd)
    route = pl.col("pid") % 2 == 0
    planned = planned.with_columns(u.alias("_U"), route.alias("_HYPO"))
    t = pl.col("DY")
    crs_day = (t >= pl.col("CRSON")) & (t < pl.col("CRSON") + pl.col("CRSDUR"))
    worst = crs_day & (t == pl.col("CRSON") + (pl.col("CRSDUR") - 1).clip(0, 1))
    hypo = worst & (pl.col("CRSG") == 2) & pl.col("_HYPO")
    low_o2 = worst & (pl.col("CRSG") == 2) & pl.col("_HYPO").not_()
    high_o2 = worst & (pl.col("CRSG") >= 3)
    u_ = pl.col("_U")
    item = pl.col("ITEM")
    val = (
        pl.when(item == "TEMP")
        .then(
            pl.when(crs_day)
            .then(38.1 + 1.5 * u_)
            .otherwise(36.4 + 1.0 * u_)
            .round(1)
            .cast(pl.String)
        )
        .when(item == "SYSBP")
        .then(
            pl.when(hypo)
            .then(80 + 8 * u_)
            .otherwise(105 + 30 * u_)
            .round(0)
            .cast(pl.Int64)
            .cast(pl.String)
        )
        .when(item == "DIABP")
        .then(
            pl.when(hypo)
            .then(45 + 8 * u_)
            .otherwise(62 + 20 * u_)
            .round(0)
            .cast(pl.Int64)
            .cast(pl.String)
        )
        .when(item == "HR")
        .then(
            pl.when(crs_day)
            .then(100 + 20 * u_)
            .otherwise(64 + 24 * u_)
            .round(0)
            .cast(pl.Int64)
            .cast(pl.String)
        )
        .when(item == "OXYSAT")
        .then(
            pl.when(low_o2 | high_o2)
            .then(90 + 3 * u_)
            .otherwise(96 + 3 * u_)
            .round(0)
            .cast(pl.Int64)
            .cast(pl.String)
        )
        .when(item == "O2DEV")
        .then(
            pl.when(high_o2)
            .then(pl.lit("HIGH-FLOW NASAL CANNULA"))
            .when(low_o2)
            .then(pl.lit("LOW-FLOW NASAL CANNULA"))
            .otherwise(pl.lit("NONE"))
        )
        .otherwise(  # O2FLOW
            pl.when(high_o2)
            .then(pl.lit("30"))
            .when(low_o2)
            .then((2 + (3 * u_).round(0)).cast(pl.Int64).cast(pl.String))
            .otherwise(pl.lit("0"))
        )
    )
    meta = pl.DataFrame(
        [
            {"ITEM": v.code, "VSTEST": v.name, "UNIT": v.unit or None}
            for v in cl.VITAL_SIGNS.values()
        ]
    )
    df = planned.join(meta, on="ITEM", how="left").select(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("VS").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        pl.col("ITEM").alias("VSTESTCD"),
        "VSTEST",
        val.alias("VSORRES"),
        pl.col("UNIT").alias("VSORRESU"),
        "VISITNUM",
        "VISIT",
        pl.col("DY").alias("VSDY"),
    )
    df = _with_seq(df, "VS", ["VSDY", "VSTESTCD"])
    return df.select(
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "VSSEQ",
        "VSTESTCD",
        "VSTEST",
        "VSORRES",
        "VSORRESU",
        "VISITNUM",
        "VISIT",
        "VSDY",
    )


def _gc_periods(pt: pl.DataFrame) -> pl.DataFrame:
    """Prednisolone periods: baseline dose, four taper steps from day 0, a flare course."""
    rows = [
        pt.select(
            "pid",
            pl.col("GC0").alias("DOSE"),
            (-(pl.col("DISYEARS") * 365.25 * 0.5).round(0))
            .cast(pl.Int64)
            .clip(-36500, -61)
            .alias("ST"),
            pl.lit(-1, dtype=pl.Int64).alias("EN"),
        )
    ]
    # three equal steps from day 0; responders stop on TAPEREND, non-responders stay on the last
    bound = [(pl.col("TAPEREND") * k / 3).floor().cast(pl.Int64) for k in range(4)]
    for i, frac in enumerate((0.75, 0.5, 0.25)):
        dose = ((pl.col("GC0") * frac) / 2.5).round(0) * 2.5
        dose = (
            pl.when(pl.col("NONRESP"))
            .then(pl.max_horizontal(dose, pl.lit(7.5)).clip(None, pl.col("GC0")))
            .otherwise(pl.max_horizontal(dose, pl.lit(2.5)))
        )
        st = bound[i]
        en = pl.when(pl.col("NONRESP") & (i == 2)).then(pl.col("END")).otherwise(bound[i + 1] - 1)
        rows.append(pt.select("pid", dose.alias("DOSE"), st.alias("ST"), en.alias("EN")))
    flare = pt.filter(pl.col("FLAREDY") < NEVER)
    rows.append(
        flare.select(
            "pid",
            pl.lit(10.0).alias("DOSE"),
            pl.col("FLAREDY").alias("ST"),
            (pl.col("FLAREDY") + 44).alias("EN"),
        )
    )
    rows.append(
        flare.select(
            "pid",
            pl.lit(5.0).alias("DOSE"),
            (pl.col("FLAREDY") + 45).alias("ST"),
            (pl.col("FLAREDY") + 89).alias("EN"),
        )
    )
    gc = pl.concat(rows).join(pt.select("pid", "END"), on="pid")
    return (
        gc.filter(pl.col("ST") <= pl.col("END"))
        .with_columns(pl.min_horizontal("EN", "END").alias("EN"))
        .drop("END")
    )


def _cm(pt: pl.DataFrame, saf_pt: pl.DataFrame, width: int, rng) -> pl.DataFrame:
    n = pt.height
    start_hist = (-(pt["DISYEARS"] * 365.25 * 0.6).round(0)).cast(pl.Int64).clip(-36500, -61)
    gc = _gc_periods(pt).select(
        "pid",
        pl.lit("PREDNISOLONE").alias("CMTRT"),
        pl.lit("GLUCOCORTICOID").alias("CMCLAS"),
        pl.col("DOSE").alias("CMDOSE"),
        pl.lit("mg").alias("CMDOSU"),
        pl.lit("QD").alias("CMDOSFRQ"),
        pl.col("DOSE").alias("CMPREDEQ"),
        pl.col("ST").alias("CMSTDY"),
        pl.col("EN").alias("CMENDY"),
    )
    mmf = pl.DataFrame(
        {
            "pid": pt["pid"],
            "CMTRT": "MYCOPHENOLATE MOFETIL",
            "CMCLAS": "IMMUNOSUPPRESSANT",
            "CMDOSE": 2000.0,
            "CMDOSU": "mg",
            "CMDOSFRQ": "BID",
            "CMPREDEQ": None,
            "CMSTDY": start_hist,
            "CMENDY": -7,
        }
    )
    hcq_dose = np.where(rng.random(n) < 0.5, 200.0, 400.0)
    hcq = pl.DataFrame(
        {
            "pid": pt["pid"],
            "CMTRT": "HYDROXYCHLOROQUINE",
            "CMCLAS": "ANTIMALARIAL",
            "CMDOSE": hcq_dose,
            "CMDOSU": "mg",
            "CMDOSFRQ": "QD",
            "CMPREDEQ": None,
            "CMSTDY": start_hist,
            "CMENDY": pl.Series([None if h else -7 for h in pt["HCQ"].to_list()], dtype=pl.Int64),
        }
    )
    bel = pl.DataFrame(
        {
            "pid": pt["pid"],
            "CMTRT": "BELIMUMAB",
            "CMCLAS": "BIOLOGIC",
            "CMDOSE": 10.0,
            "CMDOSU": "mg/kg",
            "CMDOSFRQ": "Q4W",
            "CMPREDEQ": None,
            "CMSTDY": (start_hist / 3).cast(pl.Int64).clip(None, -61),
            "CMENDY": -30,
        }
    ).filter(pl.Series(rng.random(n) < 0.3))
    s = saf_pt
    toci = s.filter(
        (pl.col("CRSG") >= 2) | ((pl.col("CRSG") == 1) & (pl.col("pid") % 3 == 0))
    ).select(
        "pid",
        pl.lit("TOCILIZUMAB").alias("CMTRT"),
        pl.lit("IL-6 RECEPTOR ANTAGONIST").alias("CMCLAS"),
        pl.lit(8.0).alias("CMDOSE"),
        pl.lit("mg/kg").alias("CMDOSU"),
        pl.lit("ONCE").alias("CMDOSFRQ"),
        pl.lit(None, dtype=pl.Float64).alias("CMPREDEQ"),
        (pl.col("CRSON") + (pl.col("CRSDUR") - 1).clip(0, 1)).alias("CMSTDY"),
        (pl.col("CRSON") + (pl.col("CRSDUR") - 1).clip(0, 1)).alias("CMENDY"),
    )
    dexa = s.filter(pl.col("ICANSG") >= 2).select(
        "pid",
        pl.lit("DEXAMETHASONE").alias("CMTRT"),
        pl.lit("GLUCOCORTICOID").alias("CMCLAS"),
        pl.lit(10.0).alias("CMDOSE"),
        pl.lit("mg").alias("CMDOSU"),
        pl.lit("BID").alias("CMDOSFRQ"),
        pl.lit(133.3).alias("CMPREDEQ"),
        pl.col("ICANSON").alias("CMSTDY"),
        (pl.col("ICANSON") + 1).alias("CMENDY"),
    )
    cm = pl.concat([gc, mmf, hcq, bel, toci, dexa], how="diagonal_relaxed")
    cm = cm.with_columns(
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("CM").alias("DOMAIN"),
    )
    cm = _with_seq(cm, "CM", ["CMSTDY", "CMTRT"])
    return cm.select(
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "CMSEQ",
        "CMTRT",
        "CMCLAS",
        pl.col("CMDOSE").cast(pl.Float64),
        "CMDOSU",
        "CMDOSFRQ",
        pl.col("CMPREDEQ").cast(pl.Float64),
        pl.col("CMSTDY").cast(pl.Int64),
        pl.col("CMENDY").cast(pl.Int64),
    )


def _qs(sched, pt_all, lbv, rng, p, width) -> pl.DataFrame:
    t = pl.col("DY")
    clin = sched.filter(pl.col("VISIT").is_in(CLINICAL)).join(pt_all, on="pid", how="left")
    # serology and urine descriptors come from the laboratory values of the same visit
    labs = lbv.filter(
        pl.col("LBTESTCD").is_in(["C3", "C4", "DDNAIGAB", "PROTCRT"])
        & (pl.col("LBSPEC") != "BLOOD")
    ).pivot(on="LBTESTCD", index=["pid", "VISITNUM"], values="VAL")
    clin = clin.join(labs, on=["pid", "VISITNUM"], how="left")
    flare = (t >= pl.col("FLAREDY")) & (t < pl.col("FLAREDY") + p["disease"]["flare_duration_days"])
    state = {}
    for k in cl.SLEDAI_ITEMS:
        col = f"R_{k}"
        base = (t < pl.col(col)) & (pl.col(col) > -NEVER) if col in clin.columns else pl.lit(False)
        state[k] = base
    state["ARTHRIT"] = state["ARTHRIT"] | flare
    state["RASH"] = state["RASH"] | flare
    state["PROTEIN"] = pl.col("PROTCRT").fill_null(0) > 0.5
    state["DNABIND"] = pl.col("DDNAIGAB").fill_null(0) >= 30
    state["LOWCOMP"] = (pl.col("C3").fill_null(1) < 0.9) | (pl.col("C4").fill_null(1) < 0.1)
    clin = clin.with_columns([e.alias(f"S_{k}") for k, e in state.items()])
    n = clin.height
    clin = clin.with_columns(
        pl.Series("PGA0", rng.uniform(*p["disease"]["pga_baseline_range"], n)),
        pl.Series("_PF", rng.uniform(0, 0.3, n)),
        pl.Series("_PN", rng.uniform(0.8, 1.2, n)),
        pl.Series("_FL", rng.uniform(1.0, 1.8, n)),
    )
    # patient-level PGA baseline: take the first drawn value of each patient
    clin = clin.with_columns(
        pl.col("PGA0").first().over("pid"),
        pl.col("_PF").first().over("pid"),
        pl.col("_PN").first().over("pid"),
    )
    floor = pl.when(pl.col("NONRESP")).then(pl.col("_PN")).otherwise(pl.col("_PF"))
    pga = (
        pl.when(flare)
        .then(pl.col("_FL"))
        .when(t <= 0)
        .then(pl.col("PGA0"))
        .otherwise(pl.max_horizontal(floor, pl.col("PGA0") * (1 - t / pl.col("TREM"))))
        .round(1)
    )
    s = {k: pl.col(f"S_{k}") for k in cl.SLEDAI_ITEMS}
    renal_any = s["PROTEIN"] | s["HEMATUR"] | s["UCASTS"] | s["PYURIA"]
    hist = lambda c: pl.when(c).then(pl.lit("D")).otherwise(pl.lit("E"))  # noqa: E731
    ever = {k: pl.col(f"R_{k}") > -NEVER for k in cl.SLEDAI_ITEMS if f"R_{k}" in clin.columns}
    bilag = {
        "BLGCONST": pl.when(s["FEVER"]).then(pl.lit("B")).otherwise(hist(ever["FEVER"])),
        "BLGMUCO": pl.when(s["RASH"] | s["MUCULC"] | s["VASCULIT"])
        .then(pl.lit("B"))
        .when(s["ALOPECIA"])
        .then(pl.lit("C"))
        .otherwise(hist(ever["RASH"] | ever["MUCULC"] | ever["ALOPECIA"] | ever["VASCULIT"])),
        "BLGNEURO": pl.lit("E"),
        "BLGMSK": pl.when(s["MYOSITIS"])
        .then(pl.lit("A"))
        .when(s["ARTHRIT"])
        .then(pl.lit("B"))
        .otherwise(hist(ever["ARTHRIT"] | ever["MYOSITIS"])),
        "BLGCARD": pl.when(s["PLEURISY"] | s["PERICARD"])
        .then(pl.lit("B"))
        .otherwise(hist(ever["PLEURISY"] | ever["PERICARD"])),
        "BLGGI": pl.lit("E"),
        "BLGOPHTH": pl.lit("E"),
        "BLGRENAL": pl.when(s["PROTEIN"] & ((pl.col("PROTCRT") >= 1.0) | s["UCASTS"]))
        .then(pl.lit("A"))
        .when(renal_any)
        .then(pl.lit("B"))
        .otherwise(hist(pl.col("LN"))),
        "BLGHAEM": pl.when(s["THROMBO"]).then(pl.lit("C")).otherwise(hist(ever["THROMBO"])),
    }
    rows = []
    base_cols = ["pid", "VISITNUM", "VISIT", "DY"]
    for k, (_, w) in cl.SLEDAI_ITEMS.items():
        rows.append(
            clin.select(
                *base_cols,
                pl.lit(cl.QS_SLEDAI).alias("QSCAT"),
                pl.lit(k).alias("QSTESTCD"),
                pl.when(s[k]).then(pl.lit("PRESENT")).otherwise(pl.lit("ABSENT")).alias("QSORRES"),
                pl.when(s[k]).then(float(w)).otherwise(0.0).alias("QSSTRESN"),
            )
        )
    grade_num = {"A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0, "E": 5.0}
    for k, expr in bilag.items():
        rows.append(
            clin.select(
                *base_cols,
                pl.lit(cl.QS_BILAG).alias("QSCAT"),
                pl.lit(k).alias("QSTESTCD"),
                expr.alias("QSORRES"),
                expr.replace_strict(grade_num, return_dtype=pl.Float64).alias("QSSTRESN"),
            )
        )
    rows.append(
        clin.select(
            *base_cols,
            pl.lit(cl.QS_PGA).alias("QSCAT"),
            pl.lit(cl.PGA_CODE).alias("QSTESTCD"),
            pga.cast(pl.String).alias("QSORRES"),
            pga.alias("QSSTRESN"),
        )
    )
    # SLICC/ACR damage: baseline damage and rare new damage, never decreasing
    npt = pt_all.height
    sdi_items = list(cl.SDI_ITEMS)
    base_p = {"SDIRENAL": 0.1, "SDIMSK": 0.1, "SDISKIN": 0.05, "SDIOCUL": 0.08}
    new_rate = p["disease"]["sdi_new_damage_per_year"]
    new_item = rng.integers(0, len(sdi_items), npt)
    new_day = np.round(rng.exponential(365.25 / new_rate, npt)).astype(int)
    dmg = {"pid": pt_all["pid"].to_numpy()}
    for i, k in enumerate(sdi_items):
        dmg[f"B_{k}"] = (rng.random(npt) < base_p.get(k, 0.01)).astype(float)
        dmg[f"N_{k}"] = np.where(new_item == i, new_day, NEVER)
    sdi = clin.select(*base_cols).join(pl.DataFrame(dmg), on="pid", how="left")
    for k in sdi_items:
        score = pl.col(f"B_{k}") + (t >= pl.col(f"N_{k}")).cast(pl.Float64)
        rows.append(
            sdi.select(
                *base_cols,
                pl.lit(cl.QS_SDI).alias("QSCAT"),
                pl.lit(k).alias("QSTESTCD"),
                score.cast(pl.Int64).cast(pl.String).alias("QSORRES"),
                score.alias("QSSTRESN"),
            )
        )
    # FACIT-Fatigue: item responses around a latent total that improves after infusion
    q = p["qol"]
    fac = sched.filter(pl.col("VISIT").is_in(FACIT)).join(pt_all.select("pid", "z"), on="pid")
    b = rng.normal(q["facit_baseline"]["mean"], q["facit_baseline"]["sd"], npt)
    imp = rng.normal(q["facit_improvement"]["mean"], q["facit_improvement"]["sd"], npt)
    fac = fac.join(pl.DataFrame({"pid": pt_all["pid"], "_B": b, "_I": imp}), on="pid")
    total = (pl.col("_B") + pl.col("_I") * (1 - (-t.clip(0, None) / 60).exp())).clip(0, 52)
    for k, (_, _, reverse) in cl.FACIT_ITEMS.items():
        m = fac.height
        good = (total / 13 + pl.Series(rng.normal(0, 0.6, m))).round(0).clip(0, 4)
        raw = (4 - good) if reverse else good
        missing = pl.Series(rng.random(m) < q["p_item_missing"])
        rows.append(
            fac.select(
                *base_cols,
                pl.lit(cl.QS_FACIT).alias("QSCAT"),
                pl.lit(k).alias("QSTESTCD"),
                pl.when(missing)
                .then(None)
                .otherwise(raw.cast(pl.Int64).cast(pl.String))
                .alias("QSORRES"),
                pl.when(missing).then(None).otherwise(raw).alias("QSSTRESN"),
            )
        )
    # ICE score items on days 0-14: full marks unless ICANS
    ice = sched.filter(pl.col("VISIT").is_in(DAILY)).join(
        pt_all.select("pid", "ICANSG", "ICANSON"), on="pid"
    )
    on_icans = (t >= pl.col("ICANSON")) & (t <= pl.col("ICANSON") + 1)
    loss = {
        "ICEORIEN": {1: 1, 2: 2},
        "ICENAME": {1: 1, 2: 2},
        "ICECOMM": {1: 0, 2: 0},
        "ICEWRITE": {1: 1, 2: 1},
        "ICEATTN": {1: 0, 2: 1},
    }
    for k, (_, mx) in cl.ICE_ITEMS.items():
        lost = (
            pl.when(on_icans)
            .then(pl.col("ICANSG").replace_strict({0: 0, 1: loss[k][1], 2: loss[k][2]}, default=0))
            .otherwise(0)
        )
        score = (mx - lost).cast(pl.Float64)
        rows.append(
            ice.select(
                *base_cols,
                pl.lit(cl.QS_ICE).alias("QSCAT"),
                pl.lit(k).alias("QSTESTCD"),
                score.cast(pl.Int64).cast(pl.String).alias("QSORRES"),
                score.alias("QSSTRESN"),
            )
        )
    names = {code: v[1] for code, v in cl.qs_items().items()}
    qs = pl.concat(rows, how="vertical_relaxed").with_columns(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("QS").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        pl.col("QSTESTCD").replace_strict(names).alias("QSTEST"),
        pl.when(pl.col("QSORRES").is_null())
        .then(pl.lit("NOT DONE"))
        .otherwise(None)
        .alias("QSSTAT"),
        pl.col("DY").alias("QSDY"),
    )
    qs = _with_seq(qs, "QS", ["QSDY", "QSCAT", "QSTESTCD"])
    return qs.select(
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "QSSEQ",
        "QSCAT",
        "QSTESTCD",
        "QSTEST",
        "QSORRES",
        "QSSTRESN",
        "QSSTAT",
        "VISITNUM",
        "VISIT",
        "QSDY",
    )


def _ae(pt_all, lbv, rng, p, width) -> pl.DataFrame:
    saf = p["safety"]
    n = pt_all.height
    pid = pt_all["pid"].to_numpy()
    ev = []

    def add(
        mask,
        term,
        decod,
        soc,
        cat,
        grade,
        onset,
        dur,
        ser="N",
        rel="RELATED",
        acn="NONE",
        out="RECOVERED/RESOLVED",
        scale="CTCAE V5.0",
    ):
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        k = int(mask.sum())

        def pick(x):
            return np.broadcast_to(np.asarray(x), (n,))[mask]

        ev.append(
            pl.DataFrame(
                {
                    "pid": pid[mask],
                    "AETERM": pick(term),
                    "AEDECOD": pick(decod),
                    "AEBODSYS": pick(soc),
                    "AECAT": [cat] * k,
                    "AETOXGR": pick(grade).astype(int),
                    "AETOXGRV": [scale] * k,
                    "AESER": pick(ser),
                    "AEREL": pick(rel),
                    "AEACN": pick(acn),
                    "AEOUT": pick(out),
                    "AESTDY": pick(onset).astype(int),
                    "AEENDY": (pick(onset) + pick(dur) - 1).astype(int),
                }
            )
        )

    crs_g = pt_all["CRSG"].to_numpy()
    toci = (crs_g >= 2) | ((crs_g == 1) & (pid % 3 == 0))
    add(
        crs_g > 0,
        "Cytokine release syndrome",
        "Cytokine release syndrome",
        "Immune system disorders",
        "CRS",
        crs_g,
        pt_all["CRSON"].to_numpy(),
        pt_all["CRSDUR"].to_numpy(),
        ser=np.where(crs_g >= 2, "Y", "N"),
        acn=np.where(toci, "TREATMENT GIVEN", "NONE"),
        scale="ASTCT 2019",
    )
    ic_g = pt_all["ICANSG"].to_numpy()
    add(
        ic_g > 0,
        "Immune effector cell-associated neurotoxicity syndrome",
        "Immune effector cell-associated neurotoxicity syndrome",
        "Nervous system disorders",
        "ICANS",
        ic_g,
        pt_all["ICANSON"].to_numpy(),
        2,
        ser=np.where(ic_g >= 2, "Y", "N"),
        acn=np.where(ic_g >= 2, "TREATMENT GIVEN", "NONE"),
        scale="ASTCT 2019",
    )
    # LICATS: local organ reactions in organs involved before treatment (Hagen 2025)
    lic = rng.random(n) < saf["licats_p_any"]
    organ = rng.choice(4, n, p=[0.35, 0.22, 0.25, 0.18])
    terms = np.array(
        [
            "LICATS - skin rash",
            "LICATS - proteinuria",
            "LICATS - arthralgia",
            "LICATS - pleuritic pain",
        ]
    )
    decods = np.array(["Rash", "Proteinuria", "Arthralgia", "Pleuritic pain"])
    socs = np.array(
        [
            "Skin and subcutaneous tissue disorders",
            "Renal and urinary disorders",
            "Musculoskeletal and connective tissue disorders",
            "Respiratory, thoracic and mediastinal disorders",
        ]
    )
    lg = saf["licats_grade"]
    lgrade = np.array(list(lg), dtype=int)[
        rng.choice(len(lg), n, p=np.array(list(lg.values())) / sum(lg.values()))
    ]
    lon = np.clip(
        np.round(np.exp(rng.normal(math.log(saf["licats_onset_day_median"]), 0.4, n))), 3, 60
    )
    ldur = np.clip(
        np.round(np.exp(rng.normal(math.log(saf["licats_duration_days_median"]), 0.7, n))), 2, 90
    )
    add(
        lic,
        terms[organ],
        decods[organ],
        socs[organ],
        "LICATS",
        lgrade,
        lon,
        ldur,
        acn=np.where(lgrade >= 2, "TREATMENT GIVEN", "NONE"),
    )
    # infections
    serious = rng.random(n) < saf["p_serious_infection_12mo"]
    add(
        serious,
        "Pneumonia",
        "Pneumonia",
        "Infections and infestations",
        "INFECTION",
        3,
        rng.integers(20, 366, n),
        rng.integers(7, 15, n),
        ser="Y",
        rel="POSSIBLY RELATED",
        acn="HOSPITALISED",
    )
    minor = rng.random(n) < saf["p_minor_infection"]
    add(
        minor,
        "Upper respiratory tract infection",
        "Upper respiratory tract infection",
        "Infections and infestations",
        "INFECTION",
        rng.integers(1, 3, n),
        rng.integers(15, 700, n),
        rng.integers(4, 11, n),
        rel="POSSIBLY RELATED",
        acn="TREATMENT GIVEN",
    )
    death = pt_all["ENDREAS"].to_numpy() == "DEATH"
    end = pt_all["END"].to_numpy()
    add(
        death,
        "Sepsis",
        "Sepsis",
        "Infections and infestations",
        "INFECTION",
        5,
        end - 4,
        5,
        ser="Y",
        rel="POSSIBLY RELATED",
        acn="HOSPITALISED",
        out="FATAL",
    )
    # cytopenias: grade from the sampled counts of days 0-30 (CTCAE v5.0 thresholds)
    for code, decod, thresholds in (
        ("NEUT", "Neutrophil count decreased", (1.0, 0.5)),
        ("PLAT", "Platelet count decreased", (50.0, 25.0)),
    ):
        c = (
            lbv.filter((pl.col("LBTESTCD") == code) & pl.col("DY").is_between(0, 30))
            .with_columns(
                pl.when(pl.col("VAL") < thresholds[1])
                .then(4)
                .when(pl.col("VAL") < thresholds[0])
                .then(3)
                .otherwise(0)
                .alias("G")
            )
            .filter(pl.col("G") >= 3)
            .group_by("pid")
            .agg(pl.col("G").max(), pl.col("DY").min().alias("ON"), pl.col("DY").max().alias("OFF"))
            .sort("pid")
        )
        if c.height:
            ev.append(
                c.select(
                    "pid",
                    pl.lit(decod).alias("AETERM"),
                    pl.lit(decod).alias("AEDECOD"),
                    pl.lit("Investigations").alias("AEBODSYS"),
                    pl.lit("CYTOPENIA").alias("AECAT"),
                    pl.col("G").cast(pl.Int64).alias("AETOXGR"),
                    pl.lit("CTCAE V5.0").alias("AETOXGRV"),
                    pl.lit("N").alias("AESER"),
                    pl.lit("RELATED").alias("AEREL"),
                    pl.lit("NONE").alias("AEACN"),
                    pl.lit("RECOVERED/RESOLVED").alias("AEOUT"),
                    pl.col("ON").alias("AESTDY"),
                    (pl.col("OFF") + 1).alias("AEENDY"),
                )
            )
    ae = pl.concat(ev, how="vertical_relaxed").join(pt_all.select("pid", "END"), on="pid")
    ae = ae.filter(pl.col("AESTDY") <= pl.col("END")).with_columns(
        pl.when(pl.col("AEENDY") > pl.col("END"))
        .then(None)
        .otherwise(pl.col("AEENDY"))
        .alias("AEENDY"),
        pl.when((pl.col("AEENDY") > pl.col("END")) & (pl.col("AEOUT") != "FATAL"))
        .then(pl.lit("NOT RECOVERED/NOT RESOLVED"))
        .otherwise(pl.col("AEOUT"))
        .alias("AEOUT"),
    )
    ae = ae.with_columns(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("AE").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
    )
    ae = _with_seq(ae, "AE", ["AESTDY", "AECAT", "AEDECOD"])
    return ae.select(
        "STUDYID",
        "DOMAIN",
        "USUBJID",
        "AESEQ",
        "AETERM",
        "AEDECOD",
        "AEBODSYS",
        "AECAT",
        "AETOXGR",
        "AETOXGRV",
        "AESER",
        "AEREL",
        "AEACN",
        "AEOUT",
        "AESTDY",
        pl.col("AEENDY").cast(pl.Int64),
    )


def _ex(pt, rng, p, width) -> pl.DataFrame:
    pr = p["protocol"]
    rows = [
        pt.select(
            "pid",
            pl.lit("FLUDARABINE").alias("EXTRT"),
            pl.lit(float(pr["fludarabine_mg_m2"])).alias("EXDOSE"),
            pl.lit("mg/m2").alias("EXDOSU"),
            pl.lit(d, dtype=pl.Int64).alias("EXSTDY"),
        )
        for d in pr["fludarabine_days"]
    ]
    rows.append(
        pt.select(
            "pid",
            pl.lit("CYCLOPHOSPHAMIDE").alias("EXTRT"),
            pl.lit(float(pr["cyclophosphamide_mg_m2"])).alias("EXDOSE"),
            pl.lit("mg/m2").alias("EXDOSU"),
            pl.lit(pr["cyclophosphamide_day"], dtype=pl.Int64).alias("EXSTDY"),
        )
    )
    dose = np.round(pr["cart_dose_1e6_per_kg"] * rng.uniform(0.9, 1.1, pt.height), 2)
    rows.append(
        pt.select(
            "pid",
            pl.lit("CD19 CAR T CELLS").alias("EXTRT"),
            pl.Series("EXDOSE", dose),
            pl.lit("10^6/kg").alias("EXDOSU"),
            pl.lit(0, dtype=pl.Int64).alias("EXSTDY"),
        )
    )
    ex = pl.concat(rows).with_columns(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("EX").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        pl.lit("INTRAVENOUS").alias("EXROUTE"),
    )
    ex = _with_seq(ex, "EX", ["EXSTDY", "EXTRT"])
    return ex.select(
        "STUDYID", "DOMAIN", "USUBJID", "EXSEQ", "EXTRT", "EXDOSE", "EXDOSU", "EXROUTE", "EXSTDY"
    )


def _dm(pt, width) -> pl.DataFrame:
    return pt.select(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("DM").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        (pl.col("pid") + 1).cast(pl.String).str.zfill(width).alias("SUBJID"),
        pl.lit("01").alias("SITEID"),
        "AGE",
        pl.lit("YEARS").alias("AGEU"),
        "SEX",
        pl.when(pl.col("ETHGRP") == "OTHER")
        .then(pl.lit("OTHER"))
        .otherwise(pl.lit("ASIAN"))
        .alias("RACE"),
        "ETHGRP",
        "WEIGHTBL",
        "HEIGHTBL",
        (-(pl.col("DISYEARS") * 365.25).round(0)).cast(pl.Int64).clip(-36500, -30).alias("DIAGDY"),
        pl.when(pl.col("LN")).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("LNFL"),
        "NPRIORTX",
    )


def _ds(pt, sched, width) -> pl.DataFrame:
    consent = sched.filter(pl.col("VISIT") == "SCREENING").select(
        "pid",
        pl.lit("PROTOCOL MILESTONE").alias("DSCAT"),
        pl.lit("INFORMED CONSENT OBTAINED").alias("DSDECOD"),
        pl.lit("Informed consent obtained").alias("DSTERM"),
        pl.col("DY").alias("DSSTDY"),
    )
    disp = pt.filter(pl.col("ENDREAS") != "ONGOING").select(
        "pid",
        pl.lit("DISPOSITION EVENT").alias("DSCAT"),
        pl.col("ENDREAS").alias("DSDECOD"),
        pl.col("ENDREAS")
        .str.to_lowercase()
        .str.replace("by subject", "by subject")
        .alias("DSTERM"),
        pl.col("END").alias("DSSTDY"),
    )
    ds = pl.concat([consent, disp]).with_columns(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        pl.lit("DS").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
    )
    ds = _with_seq(ds, "DS", ["DSSTDY", "DSCAT"])
    return ds.select(
        "STUDYID", "DOMAIN", "USUBJID", "DSSEQ", "DSCAT", "DSDECOD", "DSTERM", "DSSTDY"
    )


def _truth(pt_all: pl.DataFrame, gc: pl.DataFrame, width: int) -> pl.DataFrame:
    """Latent ground truth per patient (days relative to infusion; NEVER = 100000)."""
    clinical = [k for k in cl.SLEDAI_ITEMS if k not in cl.SLEDAI_SEROLOGY_ITEMS]
    rcols = [
        pl.when(pl.col(f"R_{k}") > -NEVER).then(pl.col(f"R_{k}")).otherwise(0)
        for k in clinical
        if f"R_{k}" in pt_all.columns
    ]
    # proteinuria resolves when UPCR falls to 0.5 g/g: R_PROTEIN by construction
    # prednisolone <= 5 mg/day from the first taper step at or below 5 mg, or from the stop
    gc_le5 = (
        gc.filter((pl.col("DOSE") <= 5.0) & (pl.col("ST") >= 0))
        .group_by("pid")
        .agg(pl.col("ST").min().alias("_FIRST5"))
    )
    stops = pt_all.select(
        "pid", pl.when(pl.col("NONRESP")).then(NEVER).otherwise(pl.col("TAPEREND")).alias("_STOP")
    )
    gc_le5 = stops.join(gc_le5, on="pid", how="left").select(
        "pid", pl.min_horizontal("_FIRST5", "_STOP").alias("GCLE5DY")
    )
    t = pt_all.join(gc_le5, on="pid", how="left")
    csl0 = pl.when(pl.col("NONRESP")).then(NEVER).otherwise(pl.max_horizontal(*rcols).clip(1, None))
    return t.select(
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        pl.col("z").round(6).alias("Z"),
        "CARTPKDY",
        pl.col("CARTLPK").round(6).alias("CARTLOG10PK"),
        "BRETDY",
        csl0.alias("CSLEDAI0DY"),
        pl.col("GCLE5DY").fill_null(NEVER),
        "TAPEREND",
        pl.when(pl.col("NONRESP")).then(True).otherwise(False).alias("NONRESP"),
        "FLAREDY",
        pl.col("END").alias("ENDDY"),
        "ENDREAS",
        pl.col("CRSG").alias("CRSGRADE"),
        pl.col("CRSON").alias("CRSONDY"),
        pl.col("ICANSG").alias("ICANSGRADE"),
        "SLEDAIBL",
        "COMPNORM",
        pl.col("DS0").round(3).alias("DSDNABL"),
        "LN",
    )


CHUNK_PATIENTS = 500
"""Patients simulated together. Each chunk draws from its own generator seeded with
``[seed, chunk index]``, so a cohort is the same whether it is built in memory or streamed to
disk, and memory stays flat however many patients are simulated."""


def _simulate_chunk(
    pid0: int, n: int, width: int, rng: np.random.Generator, p: dict
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    pt = _patients(n, rng, p, pid0)
    ds_state = _disease_state(pt, rng, p)
    pt = pt.join(ds_state, on="pid")
    labs = _patient_labs(pt, ds_state, rng, p)
    pt_all = pt.join(labs, on="pid")
    sched = _schedule(pt, rng, p)
    lbv = _lb(sched, pt_all, rng, p)
    domains = {"dm": _dm(pt, width)}
    domains["ex"] = _ex(pt, rng, p, width)
    domains["lb"] = _lb_domain(lbv, width)
    domains["vs"] = _vs(sched, pt_all, rng, width)
    domains["qs"] = _qs(sched, pt_all, lbv, rng, p, width)
    domains["cm"] = _cm(pt, labs, width, rng)
    domains["ae"] = _ae(pt_all, lbv, rng, p, width)
    domains["ds"] = _ds(pt, sched, width)
    return domains, _truth(pt_all, _gc_periods(pt), width)


def _chunks(n_patients: int, seed: int, p: dict, progress: bool, chunk_size: int):
    """Yield (domains, truth) chunk by chunk, with a progress bar when asked."""
    from tqdm import tqdm

    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    width = max(3, len(str(n_patients)))
    starts = range(0, n_patients, chunk_size)
    for k, pid0 in enumerate(tqdm(starts, desc="simulate", unit="chunk", disable=not progress)):
        rng = np.random.default_rng([seed, k])
        yield _simulate_chunk(pid0, min(chunk_size, n_patients - pid0), width, rng, p)


def simulate(
    n_patients: int = 5,
    seed: int = 20250101,
    *,
    config: dict | None = None,
    messy: bool = False,
    progress: bool = False,
    chunk_size: int = CHUNK_PATIENTS,
) -> Cohort:
    """Simulate ``n_patients`` with ``seed`` in memory; see the module docstring.

    ``messy=True`` injects the problems of real exports (see :func:`inject_problems`).
    For large cohorts use :func:`simulate_to_dir`, which streams chunks to disk."""
    cfg = config or load_config()
    parts = list(_chunks(n_patients, seed, _values(cfg), progress, chunk_size))
    domains = {name: pl.concat([d[name] for d, _ in parts]) for name in parts[0][0]}
    truth = pl.concat([t for _, t in parts])
    injected = None
    if messy:
        domains, injected = inject_problems(domains, np.random.default_rng([seed, 999_999]))
    return Cohort(domains, truth, injected, seed, n_patients, cfg.get("version", "?"))


# --- messy export ------------------------------------------------------------------------------
def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(pl.all().cast(pl.String))


def inject_problems(
    domains: dict[str, pl.DataFrame], rng: np.random.Generator, per_kind: int = 3
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Inject the problems real exports have; return the damaged domains (all text) and a
    sidecar listing each problem: file, row (spreadsheet row, header = 1), column, kind,
    original and injected value. Kinds: unit_variant (C3/C4 in mg/dL), duplicate_row,
    testcode_typo, out_of_window, missing_value, whitespace, decimal_comma."""
    out = {k: _as_text(v) for k, v in domains.items()}
    log: list[dict] = []

    def pick(df: pl.DataFrame, mask: pl.Expr, k: int) -> list[int]:
        idx = df.with_row_index("_i").filter(mask)["_i"].to_list()
        if not idx:
            return []
        return sorted(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())

    def setv(name: str, i: int, col: str, new: str | None, kind: str) -> None:
        df = out[name]
        old = df[col][i]
        out[name] = df.with_columns(
            pl.when(pl.int_range(pl.len()) == i)
            .then(pl.lit(new, dtype=pl.String))
            .otherwise(pl.col(col))
            .alias(col)
        )
        log.append(
            {
                "file": f"{name}.csv",
                "row": i + 2,
                "column": col,
                "kind": kind,
                "original": old,
                "injected": new,
            }
        )

    lb = out["lb"]
    used: set[tuple[str, int]] = set()

    def fresh(name: str, rows: list[int]) -> list[int]:
        keep = [r for r in rows if (name, r) not in used]
        used.update((name, r) for r in keep)
        return keep

    # complement in mg/dL: value x100, normal range x100
    for i in fresh("lb", pick(lb, pl.col("LBTESTCD").is_in(["C3", "C4"]), per_kind)):
        row = out["lb"].row(i, named=True)
        setv("lb", i, "LBORRES", str(round(float(row["LBORRES"]) * 100, 1)), "unit_variant")
        setv("lb", i, "LBORRESU", "mg/dL", "unit_variant")
        for c in ("LBORNRLO", "LBORNRHI"):
            if row[c] is not None:
                setv("lb", i, c, str(round(float(row[c]) * 100, 1)), "unit_variant")
    for i in fresh("lb", pick(lb, pl.col("LBTESTCD").is_in(["CREAT", "ALB", "PLAT"]), per_kind)):
        code = out["lb"]["LBTESTCD"][i]
        setv("lb", i, "LBTESTCD", code[:-2] + code[-1] + code[-2], "testcode_typo")
    for i in fresh("lb", pick(lb, pl.col("VISIT").str.starts_with("WEEK"), per_kind)):
        setv("lb", i, "LBDY", str(int(out["lb"]["LBDY"][i]) + 30), "out_of_window")
    for i in fresh(
        "lb",
        pick(
            lb,
            pl.col("LBORRES").str.contains(r"^\d+\.\d+$")
            & pl.col("LBTESTCD").is_in(["C3", "C4"]).not_(),
            per_kind,
        ),
    ):
        setv("lb", i, "LBORRES", out["lb"]["LBORRES"][i].replace(".", ","), "decimal_comma")
    for i in fresh("dm", pick(out["dm"], pl.lit(True), 1)):
        setv("dm", i, "SEX", " " + out["dm"]["SEX"][i], "whitespace")
    for i in fresh("vs", pick(out["vs"], pl.col("VSTESTCD") == "TEMP", per_kind)):
        setv("vs", i, "VSORRES", out["vs"]["VSORRES"][i] + " ", "whitespace")
    for i in fresh("ae", pick(out["ae"], pl.lit(True), 1)):
        setv("ae", i, "AESTDY", None, "missing_value")
    for i in fresh("qs", pick(out["qs"], pl.col("QSCAT") == cl.QS_PGA, 1)):
        setv("qs", i, "VISITNUM", None, "missing_value")
    # duplicated rows: appended at the end of the file, exact copies
    for name in ("lb", "vs"):
        df = out[name]
        for i in pick(df, pl.lit(True), per_kind):
            if (name, i) in used:
                continue
            out[name] = pl.concat([out[name], df.slice(i, 1)])
            log.append(
                {
                    "file": f"{name}.csv",
                    "row": out[name].height + 1,
                    "column": None,
                    "kind": "duplicate_row",
                    "original": f"row {i + 2}",
                    "injected": "copy",
                }
            )
    sidecar = pl.DataFrame(
        log,
        schema={
            "file": pl.String,
            "row": pl.Int64,
            "column": pl.String,
            "kind": pl.String,
            "original": pl.String,
            "injected": pl.String,
        },
    )
    return out, sidecar.sort("file", "row", "column", nulls_last=True)


# --- writing ------------------------------------------------------------------------------------
def _manifest_extra(
    n: int, seed: int, version: str, messy: bool, command: str | None, out: Path
) -> dict:
    return {
        "generator": "sle_car.simulate",
        "package_version": __version__,
        "config_version": version,
        "seed": seed,
        "n_patients": n,
        "messy": messy,
        "command": command or f"sle-car simulate --patients {n} --seed {seed} --out {out.name}",
        "synthetic": True,
    }


def write_cohort(cohort: Cohort, out_dir: Path | str, command: str | None = None) -> Path:
    """Write the domains (CSV), ``truth.csv``, the injected-problem sidecar and the manifest."""
    from sle_car.io import write_manifest

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in cohort.domains.items():
        df.write_csv(out / f"{name}.csv", float_precision=None, null_value="")
    cohort.truth.write_csv(out / TRUTH_FILE, float_precision=None, null_value="")
    if cohort.injected is not None:
        cohort.injected.write_csv(out / INJECTED_FILE)
    extra = _manifest_extra(
        cohort.n_patients,
        cohort.seed,
        cohort.config_version,
        cohort.injected is not None,
        command,
        out,
    )
    write_manifest(out, extra)
    return out


def simulate_to_dir(
    n_patients: int,
    seed: int,
    out_dir: Path | str,
    *,
    command: str | None = None,
    config: dict | None = None,
    progress: bool = False,
    chunk_size: int = CHUNK_PATIENTS,
) -> Path:
    """Simulate and write chunk by chunk: the same files as ``write_cohort(simulate(...))``
    for the clean (non-messy) cohort, with memory bounded by one chunk."""
    from sle_car.io import write_manifest

    cfg = config or load_config()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    handles: dict = {}
    try:
        for domains, truth in _chunks(n_patients, seed, _values(cfg), progress, chunk_size):
            for name, df in [*domains.items(), (TRUTH_FILE.removesuffix(".csv"), truth)]:
                first = name not in handles
                if first:
                    handles[name] = (out / f"{name}.csv").open("wb")
                df.write_csv(
                    handles[name], include_header=first, float_precision=None, null_value=""
                )
    finally:
        for handle in handles.values():
            handle.close()
    write_manifest(
        out, _manifest_extra(n_patients, seed, cfg.get("version", "?"), False, command, out)
    )
    return out


__all__ = [
    "Cohort",
    "inject_problems",
    "load_config",
    "simulate",
    "simulate_to_dir",
    "write_cohort",
]
