"""Laboratory values (haematology, chemistry, immunology, CAR-T kinetics, B cells) and vital
signs, as the LB and VS domains."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from data_schemas import codelists as cl
from sle_car.simulate.core import NEVER, _with_seq, study_id
from sle_car.simulate.patients import CLINICAL, DAILY, FLOW, FOLLOW, IMMUNO, _smoothstep, _usubjid


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
    # after CRS: IL-6 falls within a day or two (plasma half-life hours), ferritin over about
    # a week (half-life ~5 days) and peaks at the end of CRS, after IL-6 (§4.2; assumption)
    crs_end = pl.col("CRSON") + pl.col("CRSDUR")
    after_crs = (t >= crs_end) & (pl.col("CRSG") > 0)
    il6_tail = pl.when(after_crs).then(2 ** (-(t - crs_end + 1) / 1.0)).otherwise(0.0)
    fer_shape = (
        pl.when(crs_on)
        .then(((t - pl.col("CRSON") + 1) / pl.col("CRSDUR")).clip(0, 1))
        .when(after_crs)
        .then(2 ** (-(t - crs_end + 1) / 5.0))
        .otherwise(0.0)
    )
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
    expansion = (-(((t - pl.col("CARTPKDY")) / 3) ** 2)).exp() * after  # CAR-T expansion
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
        ("FERRITIN", "SERUM"): (
            pl.col("FER0") * (1 + (2 + 2 * pl.col("CRSG")) * fer_shape + 0.3 * expansion),
            15.0,
            150.0,
        ),
        ("INTLK6", "SERUM"): (
            4 + 6 * expansion + 150 * pl.col("CRSG") * (crs_bump + il6_tail),
            0.0,
            7.0,
        ),
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
        pl.lit(study_id()).alias("STUDYID"),
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
        pl.lit(study_id()).alias("STUDYID"),
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
