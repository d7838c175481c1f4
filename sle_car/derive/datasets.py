"""Analysis datasets (ADaM form) from the clean collected domains.

Each ``derive_adxx`` takes the clean domains (``sle_car.clean.clean_study(...).domains``) and
the datasets it depends on, and returns one dataset whose schema is in ``data_schemas``.
Dependency order: ADSL -> ADLB, ADQS -> ADAE -> ADRS -> ADTTE.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_schemas import codelists as cl
from sle_car import instruments as ins
from sle_car._checks import require_columns
from sle_car.derive.common import (
    compute_duration,
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_anrind,
    derive_var_base,
    derive_var_chg,
    derive_vars_visit_window,
    drug_exposure_by_day,
)
from sle_car.instruments import ctcae

CART = "CD19 CAR T CELLS"
BDS_COLUMNS = (
    "STUDYID",
    "USUBJID",
    "PARAMCD",
    "PARAM",
    "AVAL",
    "AVALC",
    "AVALU",
    "ADY",
    "AVISIT",
    "AVISITN",
    "ABLFL",
    "BASE",
    "CHG",
    "ANL01FL",
)
"""Leading columns of every BDS dataset (``data_schemas.bds.BDS``), in order."""


# --- ADSL -------------------------------------------------------------------------------------
def derive_adsl(domains: dict[str, pl.DataFrame], adqs: pl.DataFrame | None = None) -> pl.DataFrame:
    """Subject-level dataset: population flags, treatment, baseline characteristics.

    SAFFL: received CAR T cells; EFFFL: SAFFL and at least one post-infusion SLEDAI-2K;
    BSABL: Mosteller body surface area; DISDURY: years from diagnosis to infusion;
    LSTALVDY: last day with any record (or the day of death)."""
    dm, ex, ds = domains["dm"], domains["ex"], domains["ds"]
    require_columns(dm, ["USUBJID", "WEIGHTBL", "HEIGHTBL", "DIAGDY"], "derive_adsl")
    exs = ex.group_by("USUBJID").agg(
        (pl.col("EXTRT") == CART).any().alias("_CART"),
        pl.col("EXTRT").is_in(["FLUDARABINE", "CYCLOPHOSPHAMIDE"]).any().alias("_LD"),
        pl.col("EXDOSE").filter(pl.col("EXTRT") == CART).first().alias("CARTDOSE"),
        pl.col("EXDOSE").filter(pl.col("EXTRT") == "FLUDARABINE").sum().alias("FLUTOT"),
        pl.col("EXDOSE").filter(pl.col("EXTRT") == "CYCLOPHOSPHAMIDE").sum().alias("CYCTOT"),
    )
    disp = (
        ds.filter(pl.col("DSCAT") == "DISPOSITION EVENT")
        .group_by("USUBJID")
        .agg(pl.col("DSDECOD").first().alias("_DSD"), pl.col("DSSTDY").first().alias("_DSDY"))
    )
    days = (
        pl.concat(
            [
                d.select("USUBJID", pl.col(c).alias("_D"))
                for name, c in (
                    ("lb", "LBDY"),
                    ("vs", "VSDY"),
                    ("qs", "QSDY"),
                    ("ae", "AESTDY"),
                    ("ds", "DSSTDY"),
                    ("ex", "EXSTDY"),
                )
                for d in [domains[name]]
            ]
        )
        .group_by("USUBJID")
        .agg(pl.col("_D").max().alias("LSTALVDY"))
    )
    out = (
        dm.join(exs, on="USUBJID", how="left")
        .join(disp, on="USUBJID", how="left")
        .join(days, on="USUBJID", how="left")
    )
    yn = lambda e: pl.when(e).then(pl.lit("Y")).otherwise(pl.lit("N"))  # noqa: E731
    out = out.with_columns(
        (pl.col("HEIGHTBL") * pl.col("WEIGHTBL") / 3600).sqrt().round(4).alias("BSABL"),
        (-pl.col("DIAGDY") / 365.25).round(4).alias("DISDURY"),
        pl.lit("Y").alias("ENRLFL"),
        yn(pl.col("_LD").fill_null(False)).alias("LDFL"),
        yn(pl.col("_CART").fill_null(False)).alias("SAFFL"),
        pl.when(pl.col("_DSD").is_null())
        .then(pl.lit("ONGOING"))
        .when(pl.col("_DSD") == "COMPLETED")
        .then(pl.lit("COMPLETED"))
        .otherwise(pl.lit("DISCONTINUED"))
        .alias("EOSSTT"),
        pl.when(pl.col("_DSD").is_not_null() & (pl.col("_DSD") != "COMPLETED"))
        .then(pl.col("_DSD"))
        .alias("DCSREAS"),
        yn(pl.col("_DSD") == "DEATH").alias("DTHFL"),
        pl.when(pl.col("_DSD") == "DEATH").then(pl.col("_DSDY")).alias("DTHDY"),
    )
    if adqs is not None:
        sl = adqs.filter(pl.col("PARAMCD") == "SLEDAI2K")
        bl = sl.filter(pl.col("ABLFL") == "Y").select("USUBJID", pl.col("AVAL").alias("SLEDAIBL"))
        post = (
            sl.filter((pl.col("ADY") > 0) & pl.col("AVAL").is_not_null()).select("USUBJID").unique()
        )
        out = out.join(bl, on="USUBJID", how="left").with_columns(
            yn((pl.col("SAFFL") == "Y") & pl.col("USUBJID").is_in(post["USUBJID"].implode())).alias(
                "EFFFL"
            )
        )
    else:
        out = out.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("SLEDAIBL"), pl.lit("N").alias("EFFFL")
        )
    return out.select(
        "STUDYID",
        "USUBJID",
        "SITEID",
        "AGE",
        "SEX",
        "ETHGRP",
        "WEIGHTBL",
        "HEIGHTBL",
        "BSABL",
        "DISDURY",
        "LNFL",
        "NPRIORTX",
        "ENRLFL",
        "LDFL",
        "SAFFL",
        "EFFFL",
        pl.col("CARTDOSE").cast(pl.Float64),
        pl.col("FLUTOT").cast(pl.Float64),
        pl.col("CYCTOT").cast(pl.Float64),
        pl.col("SLEDAIBL").cast(pl.Float64),
        pl.col("LSTALVDY").cast(pl.Int64),
        "EOSSTT",
        "DCSREAS",
        "DTHFL",
        pl.col("DTHDY").cast(pl.Int64),
    ).sort("USUBJID")


# --- ADLB ---------------------------------------------------------------------------------------
CTCAE_VERSION = "5.0"
"""CTCAE version ADLB grades with unless the SAP chooses otherwise (``derive_adlb``)."""


def _paramcd(code: pl.Expr, spec: pl.Expr) -> pl.Expr:
    """Urine counts get their own parameter codes (WBC and RBC are also blood tests)."""
    return (
        pl.when((spec == "URINE") & code.is_in(["WBC", "RBC"]))
        .then(pl.lit("U") + code)
        .otherwise(code)
    )


def derive_adlb(
    domains: dict[str, pl.DataFrame],
    adsl: pl.DataFrame,
    *,
    ctcae_version: str = CTCAE_VERSION,
    ctcae_reading: str = "worst_case",
) -> pl.DataFrame:
    """Laboratory BDS: one row per subject, parameter and day; visit windows, baseline (last
    value before lymphodepletion), change, reference-range indicators, CTCAE grades and the
    derived parameter ``EGFR`` (CKD-EPI 2021 from creatinine).

    CTCAE (``sle_car.instruments.ctcae``, admiral's ``derive_var_atoxgr_dir`` /
    ``derive_var_atoxgr``): every parameter with a CTCAE laboratory term (``ctcae.LAB_TERMS``)
    gets ``ATOXDSCL``/``ATOXDSCH``, the grades ``ATOXGRL``/``ATOXGRH`` and their combination
    ``ATOXGR`` ("-k" low, "k" high, "0"); ``ATOXVER`` names the version; ``WGRLOFL``/``WGRHIFL``
    flag the worst post-baseline grade per subject and parameter (post-baseline as for ``CHG``:
    on or after day 0, not the baseline record). An abnormally high (low) baseline is
    ``BNRIND`` "HIGH" ("LOW"); fibrinogen uses the percent change from baseline. Null grades
    of graded parameters (unknown unit, missing reference range) are reported in a
    ``CTCAEGradingWarning``. ``ctcae_version``: "5.0" or "6.0"; ``ctcae_reading``:
    "worst_case" (admiral) or "asymptomatic" (see the ctcae module)."""
    lb = domains["lb"].filter(pl.col("LBSTRESN").is_not_null() | pl.col("LBSTRESC").is_not_null())
    x = lb.select(
        "STUDYID",
        "USUBJID",
        _paramcd(pl.col("LBTESTCD"), pl.col("LBSPEC")).alias("PARAMCD"),
        pl.format(
            "{} ({}{})",
            pl.col("LBTEST"),
            pl.when(pl.col("LBSPEC") == "URINE").then(pl.lit("urine, ")).otherwise(pl.lit("")),
            pl.col("LBSTRESU").fill_null("qualitative"),
        ).alias("PARAM"),
        pl.col("LBSTRESN").alias("AVAL"),
        pl.when(pl.col("LBSTRESN").is_null()).then(pl.col("LBSTRESC")).alias("AVALC"),
        pl.col("LBSTRESU").alias("AVALU"),
        pl.col("LBDY").alias("ADY"),
        pl.col("LBSTNRLO").alias("ANRLO"),
        pl.col("LBSTNRHI").alias("ANRHI"),
    )
    creat = x.filter(pl.col("PARAMCD") == "CREAT").join(
        adsl.select("USUBJID", "AGE", "SEX"), on="USUBJID"
    )
    egfr = ins.egfr_ckd_epi_2021(creat.rename({"AVAL": "CREAT"})).select(
        "STUDYID",
        "USUBJID",
        pl.lit("EGFR").alias("PARAMCD"),
        pl.lit("eGFR, CKD-EPI 2021 (mL/min/1.73m2)").alias("PARAM"),
        pl.col("EGFR").round(4).alias("AVAL"),
        pl.lit(None, dtype=pl.String).alias("AVALC"),
        pl.lit("mL/min/1.73m2").alias("AVALU"),
        "ADY",
        pl.lit(90.0).alias("ANRLO"),
        pl.lit(None, dtype=pl.Float64).alias("ANRHI"),
    )
    x = pl.concat([x, egfr])
    x = derive_vars_visit_window(x)
    x = derive_var_ablfl(x, by_vars=["USUBJID", "PARAMCD"])
    x = derive_var_base(x, by_vars=["USUBJID", "PARAMCD"])
    x = derive_var_chg(x)
    x = derive_var_anl01fl(x, by_vars=["USUBJID", "PARAMCD"])
    x = derive_var_anrind(x)
    x = _grade_adlb(x, ctcae_version, ctcae_reading)
    return x.select(
        *BDS_COLUMNS,
        "ANRLO",
        "ANRHI",
        "ANRIND",
        "BNRIND",
        "ATOXDSCL",
        "ATOXDSCH",
        "ATOXGRL",
        "ATOXGRH",
        "ATOXGR",
        "ATOXVER",
        "WGRLOFL",
        "WGRHIFL",
    ).sort("USUBJID", "PARAMCD", "ADY")


def _grade_adlb(x: pl.DataFrame, version: str, reading: str) -> pl.DataFrame:
    """The CTCAE part of ``derive_adlb`` (see there)."""
    x = x.join(ctcae.lab_terms(version), on="PARAMCD", how="left", maintain_order="left")
    pchg = pl.when(pl.col("BASE") != 0).then(100 * pl.col("CHG") / pl.col("BASE"))
    x = ctcae.grade_lab(
        x.with_columns(pchg.alias("PCHG")), version, reading=reading, high_indicator=["HIGH"]
    ).drop("PCHG")
    x = ctcae.combine_directions(x).with_columns(
        pl.when(pl.col("ATOXDSCL").is_not_null() | pl.col("ATOXDSCH").is_not_null())
        .then(pl.lit(f"CTCAE v{version}"))
        .alias("ATOXVER")
    )
    post = pl.col("ABLFL").is_null() & (pl.col("ADY") >= 0)
    return ctcae.flag_worst_grades(x, by_vars=["USUBJID", "PARAMCD"], post=post)


# --- ADQS: instrument scores -------------------------------------------------------------------
def qs_wide(qs: pl.DataFrame, category: str, *, value: str = "QSSTRESN") -> pl.DataFrame:
    """One row per subject and assessment day of ``category`` with one column per item of
    the category's code list (``codelists.qs_items``), in code-list order: an item nobody
    answered is a null column, so the columns never depend on which data (or which batch of
    subjects) came in."""
    items = [code for code, (cat, *_) in cl.qs_items().items() if cat == category]
    sub = qs.filter(pl.col("QSCAT") == category)
    wide = sub.pivot(
        on="QSTESTCD", index=["USUBJID", "QSDY"], values=value, aggregate_function="first"
    ).rename({"QSDY": "ADY"})
    dtype = qs.schema[value]
    return wide.select(
        "USUBJID",
        "ADY",
        *[pl.col(c) if c in wide.columns else pl.lit(None, dtype=dtype).alias(c) for c in items],
    )


def sledai_wide(qs: pl.DataFrame) -> pl.DataFrame:
    """SLEDAI-2K descriptors as booleans (null when not assessed) and their scores."""
    w = qs_wide(qs, cl.QS_SLEDAI)
    return ins.sledai_2k(w.with_columns([(pl.col(k) > 0).alias(k) for k in cl.SLEDAI_ITEMS]))


def _bds(
    df: pl.DataFrame,
    paramcd: str,
    param: str,
    parcat: str,
    value: str,
    complete: pl.Expr,
    dtype: pl.Expr | None = None,
) -> pl.DataFrame:
    return df.select(
        "USUBJID",
        "ADY",
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(param).alias("PARAM"),
        pl.col(value).cast(pl.Float64).alias("AVAL"),
        pl.lit(None, dtype=pl.String).alias("AVALC"),
        pl.lit(None, dtype=pl.String).alias("AVALU"),
        pl.lit(parcat).alias("PARCAT1"),
        (dtype if dtype is not None else pl.lit(None, dtype=pl.String)).alias("DTYPE"),
        pl.when(complete).then(pl.lit("Y")).otherwise(pl.lit("N")).alias("COMPLFL"),
    )


def derive_adqs(domains: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Scores by visit: SLEDAI-2K, clinical SLEDAI, PGA, BILAG-2004 total, SDI, FACIT-Fatigue
    (prorated, ``DTYPE`` = "PRORATED"), ICE. Baseline, change and analysis flags as in ADLB."""
    qs = domains["qs"]
    sl = sledai_wide(qs)
    bil = ins.bilag_score(qs_wide(qs, cl.QS_BILAG, value="QSORRES"))
    sdi = ins.sdi_score(qs_wide(qs, cl.QS_SDI))
    fac = ins.facit_fatigue(qs_wide(qs, cl.QS_FACIT))
    ice = ins.ice_score(qs_wide(qs, cl.QS_ICE))
    pga = qs_wide(qs, cl.QS_PGA)
    complete = pl.col("SLEDAI_COMPLETE")
    prorated = pl.when(pl.col("FACIT_PRORATED")).then(pl.lit("PRORATED"))
    scores = [  # (frame, PARAMCD = score column, PARAM, instrument, complete flag, DTYPE)
        (sl, "SLEDAI2K", "SLEDAI-2K total score", cl.QS_SLEDAI, complete, None),
        (sl, "CSLEDAI", "Clinical SLEDAI-2K (without serology)", cl.QS_SLEDAI, complete, None),
        (pga, "PGA", "Physician global assessment (0-3)", cl.QS_PGA, None, None),
        (bil, "BILAGTOT", "BILAG-2004 numeric total (Yee 2010)", cl.QS_BILAG, None, None),
        (sdi, "SDITOT", "SLICC/ACR damage index", cl.QS_SDI, None, None),
        (
            fac,
            "FACITTOT",
            "FACIT-Fatigue total (0-52, higher = less fatigue)",
            cl.QS_FACIT,
            pl.col("FACIT_NANS") == 13,
            prorated,
        ),
        (ice, "ICE", "ICE score (0-10)", cl.QS_ICE, None, None),
    ]
    parts = [
        _bds(
            frame,
            code,
            param,
            parcat,
            code,
            flag if flag is not None else pl.col(code).is_not_null(),
            dtype,
        )
        for frame, code, param, parcat, flag, dtype in scores
    ]
    x = pl.concat(parts).with_columns(pl.lit(cl.STUDYID).alias("STUDYID"))
    x = derive_vars_visit_window(x)
    x = derive_var_ablfl(x, by_vars=["USUBJID", "PARAMCD"])
    x = derive_var_base(x, by_vars=["USUBJID", "PARAMCD"])
    x = derive_var_chg(x)
    x = derive_var_anl01fl(x, by_vars=["USUBJID", "PARAMCD"])
    return x.select(
        *BDS_COLUMNS,
        "PARCAT1",
        "DTYPE",
        "COMPLFL",
    ).sort("USUBJID", "PARAMCD", "ADY")


# --- ADAE ---------------------------------------------------------------------------------------
def derive_adae(domains: dict[str, pl.DataFrame], *, first_treatment_day: int = -5) -> pl.DataFrame:
    """Adverse events: ``TRTEMFL`` (onset on or after the first lymphodepletion day,
    ``first_treatment_day``), ``POSTINFL`` (onset on or after the infusion), ``ADURN``
    (end - start + 1), ``AOCCIFL`` (the first event of the worst grade of its category)."""
    ae = domains["ae"]
    require_columns(ae, ["USUBJID", "AESEQ", "AESTDY", "AEENDY", "AETOXGR", "AECAT"], "derive_adae")
    x = ae.with_columns(
        pl.col("AESTDY").alias("ASTDY"),
        pl.col("AEENDY").alias("AENDY"),
        pl.col("AETOXGR").alias("ATOXGR"),
        pl.col("AEREL").alias("AREL"),
        compute_duration(pl.col("AESTDY"), pl.col("AEENDY")).alias("ADURN"),
        pl.when(pl.col("AESTDY") >= first_treatment_day).then(pl.lit("Y")).alias("TRTEMFL"),
        pl.when(pl.col("AESTDY") >= 0).then(pl.lit("Y")).alias("POSTINFL"),
    )
    worst = pl.col("ATOXGR").max().over("USUBJID", "AECAT")
    first_worst = (pl.col("ATOXGR") == worst) & (
        pl.col("AESEQ")
        == pl.col("AESEQ").filter(pl.col("ATOXGR") == worst).min().over("USUBJID", "AECAT")
    )
    x = x.with_columns(pl.when(first_worst).then(pl.lit("Y")).alias("AOCCIFL"))
    return x.select(
        "STUDYID",
        "USUBJID",
        "AESEQ",
        "AEDECOD",
        "AEBODSYS",
        "AECAT",
        "ATOXGR",
        "AETOXGRV",
        "AESER",
        "AREL",
        "ASTDY",
        pl.col("AENDY").cast(pl.Int64),
        pl.col("ADURN").cast(pl.Int64),
        "TRTEMFL",
        "POSTINFL",
        "AOCCIFL",
    ).sort("USUBJID", "AESEQ")


# --- ADRS: responses ----------------------------------------------------------------------------
STANDARD_MAINTENANCE_MAX = {
    "HYDROXYCHLOROQUINE": 400.0,
    "METHOTREXATE": 30.0,
    "AZATHIOPRINE": 200.0,
    "MYCOPHENOLATE MOFETIL": 3000.0,
    "MYCOPHENOLIC ACID": 2160.0,
    "LEFLUNOMIDE": 20.0,
}
"""Golder V et al. 2016 (LLDAS criterion 5): daily doses above these are not standard
maintenance (mg/day)."""


def disease_state(
    domains: dict[str, pl.DataFrame], adqs: pl.DataFrame, *, stable_days: int = 90
) -> pl.DataFrame:
    """One row per subject and SLEDAI-2K assessment day with everything the response
    definitions need: descriptors and scores, PGA, BILAG grades now and at baseline, new
    activity, drug exposure on the day, and baseline SLEDAI-2K and PGA."""
    qs, cm = domains["qs"], domains["cm"]
    sl = sledai_wide(qs)
    pga = qs_wide(qs, cl.QS_PGA).select("USUBJID", "ADY", "PGA")
    bil = qs_wide(qs, cl.QS_BILAG, value="QSORRES")
    bl_days = adqs.filter((pl.col("PARAMCD") == "SLEDAI2K") & (pl.col("ABLFL") == "Y")).select(
        "USUBJID", pl.col("ADY").alias("_BLDY")
    )
    systems = list(cl.BILAG_DOMAINS)
    bil_bl = (
        bil.join(bl_days, on="USUBJID")
        .filter(pl.col("ADY") == pl.col("_BLDY"))
        .select("USUBJID", *[pl.col(s).alias(s + "_BL") for s in systems])
    )
    x = sl.join(pga, on=["USUBJID", "ADY"], how="left").join(bil, on=["USUBJID", "ADY"], how="left")
    x = x.join(bil_bl, on="USUBJID", how="left")
    base = (
        adqs.filter(pl.col("ABLFL") == "Y", pl.col("PARAMCD").is_in(["SLEDAI2K", "PGA"]))
        .group_by("USUBJID")
        .agg(
            pl.col("AVAL").filter(pl.col("PARAMCD") == "SLEDAI2K").first().alias("SLEDAI_BL"),
            pl.col("AVAL").filter(pl.col("PARAMCD") == "PGA").first().alias("PGA_BL"),
        )
    )  # both columns exist even when no subject has a baseline of one of them
    x = x.join(base, on="USUBJID", how="left")
    x = ins.bilag_new_flares(x)
    desc = list(cl.SLEDAI_ITEMS)
    x = x.sort("USUBJID", "ADY").with_columns(
        pl.any_horizontal(
            [(pl.col(d) & pl.col(d).shift(1).over("USUBJID").not_()).fill_null(False) for d in desc]
        ).alias("NEWACT"),
        pl.lit(False).alias(
            "HAEMOLYT"
        ),  # not collected: no SLEDAI item; BILAG haem grade is not specific
        pl.col("BLGGI").is_in(["A", "B", "C"]).fill_null(False).alias("GIACT"),
    )
    x = drug_exposure_by_day(cm, x, stable_days=stable_days)
    maxdose = pl.DataFrame(
        {"CMTRT": list(STANDARD_MAINTENANCE_MAX), "_MAX": list(STANDARD_MAINTENANCE_MAX.values())}
    )
    over = (
        x.select("USUBJID", "ADY")
        .join(cm.join(maxdose, on="CMTRT"), on="USUBJID")
        .filter(
            (pl.col("CMSTDY") <= pl.col("ADY"))
            & (pl.col("CMENDY").is_null() | (pl.col("CMENDY") >= pl.col("ADY")))
        )
        .with_columns(
            (pl.col("CMDOSE") * pl.when(pl.col("CMDOSFRQ") == "BID").then(2).otherwise(1)).alias(
                "_DAILY"
            )
        )
        .group_by("USUBJID", "ADY")
        .agg((pl.col("_DAILY") > pl.col("_MAX")).any().alias("NONSTDIS"))
    )
    x = x.join(over, on=["USUBJID", "ADY"], how="left").with_columns(
        pl.col("NONSTDIS").fill_null(False)
    )
    return x


def _yn_rows(df: pl.DataFrame, flag: str, paramcd: str, param: str) -> pl.DataFrame:
    return df.select(
        "USUBJID",
        "ADY",
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(param).alias("PARAM"),
        pl.col(flag).cast(pl.Float64).alias("AVAL"),
        pl.when(pl.col(flag).is_null())
        .then(None)
        .when(pl.col(flag))
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("AVALC"),
    )


def _by_param(lab: pl.DataFrame, params: list[str], values: list[str]) -> pl.DataFrame:
    """One row per subject and analysis visit with a ``<value>_<PARAMCD>`` column for every
    one of ``params`` (null when not measured): the columns never depend on which tests the
    data (or a batch of subjects) hold."""
    wide = lab.filter(pl.col("PARAMCD").is_in(params)).pivot(
        on="PARAMCD", index=["USUBJID", "AVISITN"], values=values, aggregate_function="first"
    )
    wanted = {f"{v}_{p}": lab.schema[v] for p in params for v in values}
    return wide.select(
        "USUBJID",
        "AVISITN",
        *[
            pl.col(c) if c in wide.columns else pl.lit(None, dtype=t).alias(c)
            for c, t in wanted.items()
        ],
    )


def sustained_response(
    df: pl.DataFrame, *, flag: str = "AVALC", min_days: int = 365
) -> pl.DataFrame:
    """Per subject: the first day of a run of consecutive "Y" assessments lasting at least
    ``min_days`` (from the run's first to its last assessment), and whether one exists."""
    d = df.sort("USUBJID", "ADY").with_columns(
        (pl.col(flag) != pl.col(flag).shift(1).over("USUBJID"))
        .fill_null(True)
        .cum_sum()
        .over("USUBJID")
        .alias("_run")
    )
    runs = (
        d.filter(pl.col(flag) == "Y")
        .group_by("USUBJID", "_run")
        .agg(pl.col("ADY").min().alias("_start"), pl.col("ADY").max().alias("_end"))
        .filter((pl.col("_end") - pl.col("_start")) >= min_days)
    )
    first = runs.group_by("USUBJID").agg(pl.col("_start").min().alias("SUSTDY"))
    last = df.group_by("USUBJID").agg(pl.col("ADY").max().alias("_LAST"))
    return last.join(first, on="USUBJID", how="left")


def derive_adrs(
    domains: dict[str, pl.DataFrame],
    adsl: pl.DataFrame,
    adqs: pl.DataFrame,
    adlb: pl.DataFrame,
    *,
    stable_days: int = 90,
    sustain_days: int = 365,
    doris_kwargs: dict | None = None,
    lldas_kwargs: dict | None = None,
    sri_kwargs: dict | None = None,
    bicla_kwargs: dict | None = None,
    renal_kwargs: dict | None = None,
    bcell_abs_max: float = 1.0,
) -> pl.DataFrame:
    """Responses per subject, parameter and post-infusion visit, plus subject-level
    ``DORIS12`` (DORIS remission sustained ≥ ``sustain_days``; AVISIT "OVERALL").

    Parameters: DORISREM (DORIS 2021 on treatment), DORISOFF (2017 off therapy), DORISDF
    (drug-free), LLDAS, SRI4 (SRI-k with ``sri_kwargs={"reduction": k}``), BICLA, SEROREM
    (anti-dsDNA below cut-off, C3 and C4 ≥ LLN), BCAPL (CD19+ B cells < ``bcell_abs_max``/µL),
    RENALCR (complete renal response, subjects with lupus nephritis). The ``*_kwargs`` are the
    SAP's choices for ``instruments.doris_remission``, ``lldas``, ``sri``, ``bicla`` and
    ``renal_response``."""
    st = disease_state(domains, adqs, stable_days=stable_days)
    st = ins.doris_remission(st, **(doris_kwargs or {}))
    st = ins.lldas(st, **(lldas_kwargs or {}))
    st = ins.sri(st, **(sri_kwargs or {}))
    st = ins.bicla(st, **(bicla_kwargs or {}))
    k = (sri_kwargs or {}).get("reduction", 4)
    post = st.filter(pl.col("ADY") > 0)
    parts = [
        _yn_rows(post, "DORIS", "DORISREM", "DORIS 2021 remission (on treatment)"),
        _yn_rows(post, "DORISOFF", "DORISOFF", "DORIS remission off therapy (2017)"),
        _yn_rows(post, "DORISDF", "DORISDF", "Drug-free DORIS remission"),
        _yn_rows(post, "LLDAS", "LLDAS", "Lupus low disease activity state"),
        _yn_rows(post, "SRI", f"SRI{k}", f"SLE responder index {k}"),
        _yn_rows(post, "BICLA", "BICLA", "BILAG-based composite lupus assessment response"),
    ]
    lab = adlb.filter(pl.col("ANL01FL") == "Y")
    sero = _by_param(lab, ["DDNAIGAB", "C3", "C4"], ["AVAL", "ANRLO", "ANRHI", "ADY"])
    if sero.height:
        sero = ins.serologic_remission(
            sero.rename(
                {
                    "AVAL_DDNAIGAB": "DSDNA",
                    "ANRHI_DDNAIGAB": "DSDNA_CUT",
                    "AVAL_C3": "C3",
                    "ANRLO_C3": "C3_LLN",
                    "AVAL_C4": "C4",
                    "ANRLO_C4": "C4_LLN",
                }
            ).with_columns(pl.col("ADY_DDNAIGAB").alias("ADY"))
        )
        parts.append(
            _yn_rows(sero.filter(pl.col("ADY") > 0), "SEROREM", "SEROREM", "Serologic remission")
        )
    b = lab.filter(pl.col("PARAMCD") == "BLYCE").select(
        "USUBJID", "ADY", pl.col("AVAL").alias("BCELL")
    )
    b = ins.bcell_aplasia_flag(b, abs_max=bcell_abs_max)
    parts.append(
        _yn_rows(
            b.filter(pl.col("ADY") > 0),
            "BCAPL",
            "BCAPL",
            f"B-cell aplasia (CD19+ < {bcell_abs_max:g}/uL)",  # the threshold in force
        )
    )
    ren = _by_param(lab, ["PROTCRT", "EGFR"], ["AVAL", "BASE", "ADY"])
    ln = adsl.filter(pl.col("LNFL") == "Y").select("USUBJID")
    if ren.height:
        ren = ins.renal_response(
            ren.join(ln, on="USUBJID")
            .rename(
                {
                    "AVAL_PROTCRT": "UPCR",
                    "BASE_PROTCRT": "UPCR_BL",
                    "AVAL_EGFR": "EGFR",
                    "BASE_EGFR": "EGFR_BL",
                }
            )
            .with_columns(pl.col("ADY_PROTCRT").alias("ADY")),
            **(renal_kwargs or {}),
        )
        parts.append(
            _yn_rows(ren.filter(pl.col("ADY") > 0), "RENALCR", "RENALCR", "Complete renal response")
        )
    x = pl.concat(parts).filter(pl.col("ADY").is_not_null())
    x = derive_vars_visit_window(x).with_columns(pl.lit(cl.STUDYID).alias("STUDYID"))
    x = derive_var_anl01fl(x, by_vars=["USUBJID", "PARAMCD"]).filter(pl.col("ANL01FL") == "Y")
    doris = x.filter(pl.col("PARAMCD") == "DORISREM")
    sus = sustained_response(doris, min_days=sustain_days)
    overall = sus.select(
        "USUBJID",
        pl.coalesce("SUSTDY", "_LAST").cast(pl.Int64).alias("ADY"),
        pl.lit("DORIS12").alias("PARAMCD"),
        pl.lit(f"DORIS remission sustained >= {sustain_days} days").alias("PARAM"),
        pl.col("SUSTDY").is_not_null().cast(pl.Float64).alias("AVAL"),
        pl.when(pl.col("SUSTDY").is_not_null())
        .then(pl.lit("Y"))
        .otherwise(pl.lit("N"))
        .alias("AVALC"),
        pl.lit("OVERALL").alias("AVISIT"),
        pl.lit(9999, dtype=pl.Int64).alias("AVISITN"),
        pl.lit("Y").alias("ANL01FL"),
        pl.lit(cl.STUDYID).alias("STUDYID"),
    )
    cols = [
        "STUDYID",
        "USUBJID",
        "PARAMCD",
        "PARAM",
        "AVAL",
        "AVALC",
        "ADY",
        "AVISIT",
        "AVISITN",
        "ANL01FL",
    ]
    return (
        pl.concat([x.select(cols), overall.select(cols)])
        .with_columns(pl.col("AVISITN").cast(pl.Int64), pl.col("ADY").cast(pl.Int64))
        .sort("USUBJID", "PARAMCD", "AVISITN")
    )


# --- ADTTE ----------------------------------------------------------------------------------------
def _tte(
    subjects: pl.DataFrame,
    paramcd: str,
    param: str,
    start: str,
    event: str,
    censor: str,
    evntdesc: str,
    cnsdesc: str | pl.Expr,
    srcdom: str,
    add_one: bool,
) -> pl.DataFrame:
    """Rows of one time-to-event parameter from columns ``start``, ``event`` (null = none)
    and ``censor`` (day of last assessment) of ``subjects``; ``cnsdesc`` may be an expression
    (a reason per subject)."""
    has = pl.col(event).is_not_null()
    adt = pl.when(has).then(pl.col(event)).otherwise(pl.col(censor))
    return subjects.filter(pl.col(start).is_not_null() & adt.is_not_null()).select(
        pl.lit(cl.STUDYID).alias("STUDYID"),
        "USUBJID",
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(param).alias("PARAM"),
        compute_duration(pl.col(start), adt, add_one=add_one).cast(pl.Float64).alias("AVAL"),
        pl.lit("DAYS").alias("AVALU"),
        pl.col(start).cast(pl.Int64).alias("STARTDY"),
        adt.cast(pl.Int64).alias("ADY"),
        pl.when(has).then(0).otherwise(1).cast(pl.Int64).alias("CNSR"),
        pl.when(has).then(pl.lit(evntdesc)).alias("EVNTDESC"),
        pl.when(has.not_())
        .then(cnsdesc if isinstance(cnsdesc, pl.Expr) else pl.lit(cnsdesc))
        .alias("CNSDTDSC"),
        pl.lit(srcdom).alias("SRCDOM"),
    )


def derive_adtte(
    adsl: pl.DataFrame,
    adrs: pl.DataFrame,
    adlb: pl.DataFrame,
    *,
    add_one: bool = True,
    bcell_abs_max: float = 1.0,
    confirm_n: int = 2,
) -> pl.DataFrame:
    """Time-to-event parameters, origin the infusion (day 0) unless stated; ``CNSR`` 0 =
    event, 1 = censored; ``AVAL`` = end - start + 1 days (``add_one``, admiral default).

    TTDORIS time to first DORIS remission (censored at the last assessment, or at day 0 when
    there is none, so that no treated subject leaves the analysis unseen); DURDORIS from
    first DORIS remission to its first loss; DURDF the same for drug-free remission;
    TTBCREC time to confirmed B-cell reconstitution (subjects with confirmed aplasia;
    censored at the last sample); OS overall survival (censored at the last day known alive).
    """
    saf = adsl.filter(pl.col("SAFFL") == "Y").select("USUBJID", "LSTALVDY", "DTHDY")
    resp = adrs.filter(pl.col("AVISITN") != 9999)

    def first_and_loss(paramcd: str) -> pl.DataFrame:
        r = resp.filter(pl.col("PARAMCD") == paramcd).sort("USUBJID", "ADY")
        first = (
            r.filter(pl.col("AVALC") == "Y")
            .group_by("USUBJID")
            .agg(pl.col("ADY").min().alias("_FIRST"))
        )
        r = r.join(first, on="USUBJID", how="left")
        loss = (
            r.filter((pl.col("ADY") > pl.col("_FIRST")) & (pl.col("AVALC") == "N"))
            .group_by("USUBJID")
            .agg(pl.col("ADY").min().alias("_LOSS"))
        )
        last = r.group_by("USUBJID").agg(pl.col("ADY").max().alias("_LAST"))
        return (
            saf.join(first, on="USUBJID", how="left")
            .join(loss, on="USUBJID", how="left")
            .join(last, on="USUBJID", how="left")
            .with_columns(pl.lit(0).alias("_ZERO"))
        )

    d = first_and_loss("DORISREM")
    df_ = first_and_loss("DORISDF")
    b = ins.bcell_aplasia_flag(
        adlb.filter(pl.col("PARAMCD") == "BLYCE").select(
            "USUBJID", "ADY", pl.col("AVAL").alias("BCELL")
        ),
        abs_max=bcell_abs_max,
    )
    rec = ins.bcell_reconstitution(b, confirm_n=confirm_n)
    rec = (
        saf.join(rec, on="USUBJID", how="inner")
        .filter(pl.col("APLDY").is_not_null())
        .with_columns(pl.lit(0).alias("_ZERO"))
    )
    os_ = saf.with_columns(pl.lit(0).alias("_ZERO"))
    parts = [
        _tte(
            d.with_columns(pl.col("_LAST").fill_null(0).alias("_CENS")),
            "TTDORIS",
            "Time to first DORIS remission (days)",
            "_ZERO",
            "_FIRST",
            "_CENS",
            "DORIS remission",
            pl.when(pl.col("_LAST").is_null())
            .then(pl.lit("No post-infusion disease assessment"))
            .otherwise(pl.lit("Last disease assessment")),
            "ADRS",
            add_one,
        ),
        _tte(
            d.filter(pl.col("_FIRST").is_not_null()),
            "DURDORIS",
            "Duration of DORIS remission (days)",
            "_FIRST",
            "_LOSS",
            "_LAST",
            "Loss of DORIS remission",
            "Last disease assessment in remission",
            "ADRS",
            add_one,
        ),
        _tte(
            df_.filter(pl.col("_FIRST").is_not_null()),
            "DURDF",
            "Duration of drug-free DORIS remission (days)",
            "_FIRST",
            "_LOSS",
            "_LAST",
            "Loss of drug-free remission",
            "Last disease assessment",
            "ADRS",
            add_one,
        ),
        _tte(
            rec,
            "TTBCREC",
            "Time to B-cell reconstitution (days)",
            "_ZERO",
            "RECDY",
            "LASTDY",
            "B-cell reconstitution confirmed",
            "Last B-cell sample",
            "ADLB",
            add_one,
        ),
        _tte(
            os_,
            "OS",
            "Overall survival (days)",
            "_ZERO",
            "DTHDY",
            "LSTALVDY",
            "Death",
            "Last day known alive",
            "ADSL",
            add_one,
        ),
    ]
    return pl.concat(parts).sort("USUBJID", "PARAMCD")


# --- everything -----------------------------------------------------------------------------------
INPUT_COLUMNS = {
    "dm": None,
    "ex": ["USUBJID", "EXTRT", "EXDOSE", "EXSTDY"],
    "ds": ["USUBJID", "DSCAT", "DSDECOD", "DSSTDY"],
    "ae": None,
    "cm": ["USUBJID", "CMTRT", "CMCLAS", "CMDOSE", "CMDOSFRQ", "CMPREDEQ", "CMSTDY", "CMENDY"],
    "qs": ["USUBJID", "QSCAT", "QSTESTCD", "QSORRES", "QSSTRESN", "QSDY"],
    "vs": ["USUBJID", "VSDY"],
    "lb": [
        "STUDYID",
        "USUBJID",
        "LBTESTCD",
        "LBTEST",
        "LBSPEC",
        "LBSTRESN",
        "LBSTRESC",
        "LBSTRESU",
        "LBSTNRLO",
        "LBSTNRHI",
        "LBDY",
    ],
}
"""The columns of each clean domain the derivations read (None: all): readers may load
only these (``read_clean``), which halves the memory of a large cohort."""


def read_clean(
    clean_dir: Path | str, *, first: str | None = None, last: str | None = None
) -> dict[str, pl.DataFrame]:
    """Read the clean domains written by ``sle_car.clean.write_clean``, only the columns the
    derivations use; with ``first`` and ``last``, only the rows of subjects whose ``USUBJID``
    lies between them (inclusive): one batch of ``sle_car.derive.build.derive_to_dir``."""
    clean_dir = Path(clean_dir)
    batch = pl.lit(True)
    if first is not None or last is not None:
        if first is None or last is None:
            raise ValueError("read_clean: give both first and last, or neither")
        batch = pl.col("USUBJID").is_between(pl.lit(first), pl.lit(last))
    out = {}
    for name, cols in INPUT_COLUMNS.items():
        frame = pl.scan_parquet(clean_dir / f"{name}.parquet")
        out[name] = (frame.select(cols) if cols else frame).filter(batch).collect()
    return out


def derive_all(
    domains: dict[str, pl.DataFrame],
    *,
    stable_days: int = 90,
    sustain_days: int = 365,
    doris_kwargs: dict | None = None,
    lldas_kwargs: dict | None = None,
    sri_kwargs: dict | None = None,
    bicla_kwargs: dict | None = None,
    renal_kwargs: dict | None = None,
    bcell_abs_max: float = 1.0,
    bcell_confirm_n: int = 2,
    first_treatment_day: int = -5,
    add_one: bool = True,
    ctcae_version: str = CTCAE_VERSION,
    ctcae_reading: str = "worst_case",
) -> dict[str, pl.DataFrame]:
    """All analysis datasets, validated against their schemas, in dependency order.

    The keyword arguments are the analysis choices the SAP fixes (instruments.md appendix B),
    all with the documented defaults; ``load_study``, ``build_study`` and ``derive_to_dir``
    pass them through, and the cache key records them:

    - ``stable_days``: a drug started within this many days is unstable therapy (DORIS);
    - ``sustain_days``: DORIS remission sustained at least this long (DORIS12);
    - ``doris_kwargs``, ``lldas_kwargs``, ``sri_kwargs``, ``bicla_kwargs``, ``renal_kwargs``:
      passed to the instrument (e.g. ``{"gc_comparator": "<"}``, ``{"reduction": 5}``,
      ``{"pga_rule": "relative"}``, ``{"cr_threshold": 0.5, "cr_unit": "g/g"}``);
    - ``bcell_abs_max``: B-cell aplasia below this many CD19+ cells/µL (ADRS, ADTTE);
    - ``bcell_confirm_n``: consecutive samples that confirm aplasia and reconstitution;
    - ``first_treatment_day``: adverse events from this study day on are treatment-emergent
      (the first lymphodepletion day);
    - ``add_one``: ADTTE ``AVAL`` = end - start + 1 (admiral) or end - start;
    - ``ctcae_version``: CTCAE version of the ADLB laboratory grades, "5.0" or "6.0";
    - ``ctcae_reading``: where a CTCAE grade needs symptoms or treatment that laboratory data
      do not show, "worst_case" (admiral) or "asymptomatic" (``sle_car.instruments.ctcae``).
    """
    from data_schemas import ANALYSIS_DATASETS

    adqs = derive_adqs(domains)
    adsl = derive_adsl(domains, adqs)
    adlb = derive_adlb(domains, adsl, ctcae_version=ctcae_version, ctcae_reading=ctcae_reading)
    adae = derive_adae(domains, first_treatment_day=first_treatment_day)
    adrs = derive_adrs(
        domains,
        adsl,
        adqs,
        adlb,
        stable_days=stable_days,
        sustain_days=sustain_days,
        doris_kwargs=doris_kwargs,
        lldas_kwargs=lldas_kwargs,
        sri_kwargs=sri_kwargs,
        bicla_kwargs=bicla_kwargs,
        renal_kwargs=renal_kwargs,
        bcell_abs_max=bcell_abs_max,
    )
    adtte = derive_adtte(
        adsl,
        adrs,
        adlb,
        add_one=add_one,
        bcell_abs_max=bcell_abs_max,
        confirm_n=bcell_confirm_n,
    )
    out = {"adsl": adsl, "adlb": adlb, "adqs": adqs, "adae": adae, "adrs": adrs, "adtte": adtte}
    return {name: ANALYSIS_DATASETS[name].validate(df) for name, df in out.items()}
