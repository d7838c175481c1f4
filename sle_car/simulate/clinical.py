"""Concomitant medication, questionnaires and instruments, adverse events, exposure,
demographics, disposition and the ground truth."""

from __future__ import annotations

import math

import numpy as np
import polars as pl

from data_schemas import codelists as cl
from sle_car.simulate.core import NEVER, _with_seq, site_id, study_id
from sle_car.simulate.patients import CLINICAL, DAILY, FACIT, _usubjid


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
        pl.lit(study_id()).alias("STUDYID"),
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
        pl.lit(study_id()).alias("STUDYID"),
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
    # AETERM is the investigator's verbatim term, AEDECOD its MedDRA preferred term (what
    # every table names the event by), AECAT the category of special interest (LICATS): one
    # event is "Rash" everywhere, counted under LICATS where categories are shown
    decods = np.array(["Rash", "Proteinuria", "Arthralgia", "Pleuritic pain"])
    terms = np.char.add(decods, " (LICATS)")
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
    # cytopenias follow the sampled counts of days 0-30 (CTCAE v5.0, strict <): one record per
    # run of consecutive samples at the same grade >= 3, from its first to its last day, so an
    # AE's grade and dates are exactly where the counts meet that grade
    for code, decod, thresholds in (
        ("NEUT", "Neutrophil count decreased", (1.0, 0.5)),
        ("PLAT", "Platelet count decreased", (50.0, 25.0)),
        ("LYM", "Lymphocyte count decreased", (0.5, 0.2)),
    ):
        c = (
            lbv.filter((pl.col("LBTESTCD") == code) & pl.col("DY").is_between(0, 30))
            .sort("pid", "DY")
            .with_columns(
                pl.when(pl.col("VAL") < thresholds[1])
                .then(4)
                .when(pl.col("VAL") < thresholds[0])
                .then(3)
                .otherwise(0)
                .alias("G")
            )
            .with_columns(
                (pl.col("G") != pl.col("G").shift(1).over("pid"))
                .fill_null(True)
                .cum_sum()
                .over("pid")
                .alias("_RUN")
            )
            .filter(pl.col("G") >= 3)
            .group_by("pid", "_RUN")
            .agg(
                pl.col("G").first(), pl.col("DY").min().alias("ON"), pl.col("DY").max().alias("OFF")
            )
            .sort("pid", "ON")
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
                    pl.col("OFF").alias("AEENDY"),
                )
            )
    ae = _proteinuria_follows_upcr(pl.concat(ev, how="vertical_relaxed"), lbv)
    ae = ae.join(pt_all.select("pid", "END"), on="pid")
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
        pl.lit(study_id()).alias("STUDYID"),
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


def _proteinuria_follows_upcr(ae: pl.DataFrame, lbv: pl.DataFrame) -> pl.DataFrame:
    """A proteinuria AE (LICATS) stays only where a UPCR sample within its dates is above the
    upper limit, graded from the highest such UPCR (CTCAE v5.0 proteinuria, adults, g/g as
    g/24 h: grade 1 < 1.0, grade 2 1.0-3.4, grade 3 >= 3.5); otherwise the labs contradict it
    and it is not recorded."""
    prot = pl.col("AEDECOD") == "Proteinuria"
    upcr = lbv.filter(pl.col("LBTESTCD") == "PROTCRT").select(
        "pid", pl.col("DY").alias("_DY"), pl.col("VAL").alias("_UPCR"), pl.col("ULN").alias("_ULN")
    )
    worst = (
        ae.filter(prot)
        .with_row_index("_i")
        .join(upcr, on="pid", how="inner")
        .filter(pl.col("_DY").is_between("AESTDY", "AEENDY") & (pl.col("_UPCR") > pl.col("_ULN")))
        .group_by("_i")
        .agg(pl.col("_UPCR").max())
    )
    graded = (
        ae.filter(prot)
        .with_row_index("_i")
        .join(worst, on="_i", how="inner")
        .with_columns(
            pl.when(pl.col("_UPCR") >= 3.5)
            .then(3)
            .when(pl.col("_UPCR") >= 1.0)
            .then(2)
            .otherwise(1)
            .cast(pl.Int64)
            .alias("AETOXGR")
        )
        .with_columns(
            pl.when(pl.col("AETOXGR") >= 2)
            .then(pl.lit("TREATMENT GIVEN"))
            .otherwise(pl.lit("NONE"))
            .alias("AEACN")
        )
        .drop("_i", "_UPCR")
    )
    return pl.concat([ae.filter(~prot), graded.select(ae.columns)], how="vertical_relaxed")


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
        pl.lit(study_id()).alias("STUDYID"),
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
        pl.lit(study_id()).alias("STUDYID"),
        pl.lit("DM").alias("DOMAIN"),
        _usubjid(pl.col("pid"), width).alias("USUBJID"),
        (pl.col("pid") + 1).cast(pl.String).str.zfill(width).alias("SUBJID"),
        pl.lit(site_id()).alias("SITEID"),
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
        pl.lit(study_id()).alias("STUDYID"),
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
