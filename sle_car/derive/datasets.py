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
from sle_car import schema_screen
from sle_car._checks import cmp, require_columns
from sle_car.derive.common import (
    censor_source,
    compute_duration,
    derive_param_tte,
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_anrind,
    derive_var_base,
    derive_var_chg,
    derive_vars_visit_window,
    drug_exposure_by_day,
    event_source,
)
from sle_car.instruments import ctcae
from sle_car.instruments.lldas import STANDARD_MAINTENANCE_MAX  # noqa: F401 (old import path)
from sle_car.sap import DEFAULTS

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
    LSTALVDY: last day with any record (or the day of death).

    EOSSTT (end-of-study status) from DS: COMPLETED or DISCONTINUED (DCSREAS the disposition
    term) from the subject's disposition event; ONGOING when the subject has DS records (the
    protocol milestones) but no disposition event yet: disposition is collected for them
    and nothing ended; null ("not recorded") when the subject has no DS record at all — a cut
    without DS, with a header-only DS, or a subject DS does not cover — because "ongoing"
    would then be a guess (a patient may have completed or withdrawn; data review of issue
    18). DTHFL likewise: Y/N from DS for a subject DS covers, null (death not recorded)
    without a DS record. Downstream a null status is never read as on study or as left: see
    :func:`sle_car.endpoints_by_visit.follow_up_status` and :func:`derive_param_sustained`."""
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
    in_ds = ds["USUBJID"].drop_nulls().unique().implode()
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
        pl.when(pl.col("_DSD").is_null() & pl.col("USUBJID").is_in(in_ds))
        .then(pl.lit("ONGOING"))
        .when(pl.col("_DSD").is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("_DSD") == "COMPLETED")
        .then(pl.lit("COMPLETED"))
        .otherwise(pl.lit("DISCONTINUED"))
        .alias("EOSSTT"),
        pl.when(pl.col("_DSD").is_not_null() & (pl.col("_DSD") != "COMPLETED"))
        .then(pl.col("_DSD"))
        .alias("DCSREAS"),
        pl.when(pl.col("USUBJID").is_in(in_ds))
        .then(yn(pl.col("_DSD") == "DEATH"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("DTHFL"),
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


def with_studyid(x: pl.DataFrame, source: pl.DataFrame) -> pl.DataFrame:
    """Each subject's STUDYID from ``source`` (DM or ADSL), the way admiral's
    ``derive_vars_merged`` takes subject-level variables from ADSL: never a constant, so a cut
    from another study keeps its own study identifier. Replaces a STUDYID column in place,
    else appends one."""
    if "STUDYID" not in source.columns:  # a partial frame (unit tests): the schemas judge it
        source = source.with_columns(pl.lit(None, dtype=pl.String).alias("STUDYID"))
    ids = source.select("USUBJID", "STUDYID").unique("USUBJID")
    out = x.drop("STUDYID", strict=False).join(ids, on="USUBJID", how="left", maintain_order="left")
    return out.select(x.columns if "STUDYID" in x.columns else [*x.columns, "STUDYID"])


# --- ADLB ---------------------------------------------------------------------------------------
CTCAE_VERSION = DEFAULTS.ctcae_version
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
    first_treatment_day: int = DEFAULTS.first_treatment_day,
    ctcae_version: str = DEFAULTS.ctcae_version,
    ctcae_reading: str = DEFAULTS.ctcae_reading,
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
    x = derive_var_ablfl(x, by_vars=["USUBJID", "PARAMCD"], before_day=first_treatment_day)
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


def sledai_wide(
    qs: pl.DataFrame,
    vs: pl.DataFrame | None = None,
    *,
    sledai_fever_from_vs: bool = DEFAULTS.sledai_fever_from_vs,
    sledai_fever_c: float = DEFAULTS.sledai_fever_c,
) -> pl.DataFrame:
    """SLEDAI-2K descriptors as booleans (null when not assessed) and their scores. With
    ``sledai_fever_from_vs`` (an SAP option, off by default) a ``FEVER`` descriptor that was not
    assessed is taken from VS temperature > ``sledai_fever_c`` °C (``propose_vs_fever``); the
    investigator's assessment, which can exclude infection, always wins."""
    w = qs_wide(qs, cl.QS_SLEDAI).with_columns([(pl.col(k) > 0).alias(k) for k in cl.SLEDAI_ITEMS])
    if sledai_fever_from_vs and vs is not None:
        w = ins.propose_vs_fever(w, vs, fever_c=sledai_fever_c)
        w = w.with_columns(pl.coalesce("FEVER", "VS_FEVER").alias("FEVER")).drop("VS_FEVER")
    return ins.sledai_2k(w)


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


def derive_adqs(
    domains: dict[str, pl.DataFrame],
    *,
    sledai_fever_from_vs: bool = DEFAULTS.sledai_fever_from_vs,
    sledai_fever_c: float = DEFAULTS.sledai_fever_c,
    first_treatment_day: int = DEFAULTS.first_treatment_day,
) -> pl.DataFrame:
    """Scores by visit: SLEDAI-2K, clinical SLEDAI, PGA, BILAG-2004 total, SDI, FACIT-Fatigue
    (prorated, ``DTYPE`` = "PRORATED"), ICE. Baseline, change and analysis flags as in ADLB.
    ``COMPLFL`` of SLEDAI-2K and of clinical SLEDAI are separate: serology not measured
    leaves clinical SLEDAI complete. BILAGTOT is null when a system has no grade."""
    qs = domains["qs"]
    sl = sledai_wide(
        qs,
        domains.get("vs"),
        sledai_fever_from_vs=sledai_fever_from_vs,
        sledai_fever_c=sledai_fever_c,
    )
    bil = ins.bilag_score(qs_wide(qs, cl.QS_BILAG, value="QSORRES"))
    sdi = ins.sdi_score(qs_wide(qs, cl.QS_SDI))
    fac = ins.facit_fatigue(qs_wide(qs, cl.QS_FACIT))
    ice = ins.ice_score(qs_wide(qs, cl.QS_ICE))
    pga = qs_wide(qs, cl.QS_PGA)
    complete = pl.col("SLEDAI_COMPLETE")
    ccomplete = pl.col("CSLEDAI_COMPLETE")
    prorated = pl.when(pl.col("FACIT_PRORATED")).then(pl.lit("PRORATED"))
    scores = [  # (frame, PARAMCD = score column, PARAM, instrument, complete flag, DTYPE)
        (sl, "SLEDAI2K", "SLEDAI-2K total score", cl.QS_SLEDAI, complete, None),
        (sl, "CSLEDAI", "Clinical SLEDAI-2K (without serology)", cl.QS_SLEDAI, ccomplete, None),
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
    x = with_studyid(
        pl.concat(parts), domains.get("dm", pl.DataFrame(schema={"USUBJID": pl.String}))
    )
    x = derive_vars_visit_window(x)
    x = derive_var_ablfl(x, by_vars=["USUBJID", "PARAMCD"], before_day=first_treatment_day)
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
def derive_adae(
    domains: dict[str, pl.DataFrame], *, first_treatment_day: int = DEFAULTS.first_treatment_day
) -> pl.DataFrame:
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
        compute_duration(pl.col("AESTDY"), pl.col("AEENDY"), add_one=True).alias("ADURN"),
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
def disease_state(
    domains: dict[str, pl.DataFrame],
    adqs: pl.DataFrame,
    *,
    stable_days: int = DEFAULTS.stable_days,
    sledai_fever_from_vs: bool = DEFAULTS.sledai_fever_from_vs,
    sledai_fever_c: float = DEFAULTS.sledai_fever_c,
    not_collected: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """One row per subject and SLEDAI-2K assessment day with everything the response
    definitions need: descriptors and scores with their completeness (``SLEDAI_COMPLETE``,
    ``CSLEDAI_COMPLETE``), PGA, BILAG grades now and at baseline, new activity, drug exposure
    on the day, and baseline SLEDAI-2K and PGA (the input of ``doris_remission``, ``lldas``,
    ``sri`` and ``bicla``). ``not_collected``: the optional domains the cut has no file for;
    without CM, drug exposure is unknown (null), never "none"."""
    qs, cm = domains["qs"], domains["cm"]
    sl = sledai_wide(
        qs,
        domains.get("vs"),
        sledai_fever_from_vs=sledai_fever_from_vs,
        sledai_fever_c=sledai_fever_c,
    )
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
    x = drug_exposure_by_day(cm, x, stable_days=stable_days, collected="cm" not in not_collected)
    return ins.lldas_inputs(x, cm)


NEREASON = "NEREASON"
"""ADRS column: why a response is not evaluable (null when it is)."""


def _yn_rows(
    df: pl.DataFrame, flag: str, paramcd: str, param: str, reason: str | None = None
) -> pl.DataFrame:
    """ADRS rows of one response parameter from the boolean column ``flag``: AVALC Y / N, or
    null with ``NEREASON`` (from the instrument's ``reason`` column) when not evaluable."""
    why = pl.col(reason) if reason else pl.lit("input missing")
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
        pl.when(pl.col(flag).is_null())
        .then(why.fill_null("input missing"))
        .cast(pl.String)
        .alias(NEREASON),
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


def _runs(df: pl.DataFrame, flag: str) -> pl.DataFrame:
    """The evaluable ("Y"/"N") assessments of ``df`` per subject in day order, numbered by
    run of equal responses (``_run``); not-evaluable assessments are left out."""
    return (
        df.filter(pl.col(flag).is_in(["Y", "N"]))
        .sort("USUBJID", "ADY")
        .with_columns(
            (pl.col(flag) != pl.col(flag).shift(1).over("USUBJID"))
            .fill_null(True)
            .cum_sum()
            .over("USUBJID")
            .alias("_run")
        )
    )


def _y_runs(d: pl.DataFrame, flag: str) -> pl.DataFrame:
    return (
        d.filter(pl.col(flag) == "Y")
        .group_by("USUBJID", "_run")
        .agg(pl.col("ADY").min().alias("_start"), pl.col("ADY").max().alias("_end"))
    )


def _first_sustained(runs: pl.DataFrame, min_days: int, name: str) -> pl.DataFrame:
    return (
        runs.filter((pl.col("_end") - pl.col("_start")) >= min_days)
        .group_by("USUBJID")
        .agg(pl.col("_start").min().alias(name))
    )


def _sustained_core(
    df: pl.DataFrame, flag: str, min_days: int, on_study: pl.DataFrame | None
) -> pl.DataFrame:
    """:func:`sustained_response` reading not-evaluable assessments as neither breaking nor
    extending a run (its first step)."""
    d = _runs(df, flag)
    runs = _y_runs(d, flag)
    first = _first_sustained(runs, min_days, "SUSTDY")
    last = d.group_by("USUBJID").agg(
        pl.col("ADY").max().alias("_LAST"),
        pl.col("_run").max().alias("_run"),
    )
    ongoing_start = runs.join(last, on=["USUBJID", "_run"], how="inner").select(
        "USUBJID", pl.col("_start").alias("_ONGOING")
    )
    subjects = df.group_by("USUBJID").agg(pl.col("ADY").max().alias("_ANYLAST"))
    out = (
        subjects.join(last.drop("_run"), on="USUBJID", how="left")
        .join(first, on="USUBJID", how="left")
        .join(ongoing_start, on="USUBJID", how="left")
    )
    still = (
        pl.col("USUBJID").is_in(on_study["USUBJID"].implode())
        if on_study is not None
        else pl.lit(True)
    )
    held = pl.col("_LAST") - pl.col("_ONGOING")
    pending = pl.col("SUSTDY").is_null() & pl.col("_ONGOING").is_not_null() & still
    status = (
        pl.when(pl.col("SUSTDY").is_not_null())
        .then(pl.lit("Y"))
        .when(pl.col("_LAST").is_null() | pending)
        .then(None)
        .otherwise(pl.lit("N"))
    )
    reason = (
        pl.when(pl.col("SUSTDY").is_not_null())
        .then(None)
        .when(pl.col("_LAST").is_null())
        .then(pl.lit("no evaluable assessment"))
        .when(pending)
        .then(
            pl.format(
                "ongoing at the last assessment, held {} < {} days so far",
                held,
                pl.lit(min_days),
            )
        )
    )
    return out.select(
        "USUBJID",
        "_LAST",
        "_ANYLAST",
        "SUSTDY",
        status.alias("SUSTFL"),
        reason.alias(NEREASON),
    )


def sustained_response(
    df: pl.DataFrame,
    *,
    flag: str = "AVALC",
    min_days: int = DEFAULTS.sustain_days,
    on_study: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Per subject: ``SUSTDY`` (first day of a run of consecutive "Y" assessments lasting at
    least ``min_days``, from the run's first to its last assessment), ``_LAST`` (last
    evaluable assessment), ``_ANYLAST`` (last assessment, evaluable or not), ``SUSTFL`` ("Y" /
    "N" / null) and ``NEREASON``.

    Y when a run held ≥ ``min_days``; not-evaluable assessments (``flag`` null) neither break
    nor extend a run. N when every run ended (was lost, or the subject left the study)
    shorter, and only if it stays N when every not-evaluable assessment is read as "Y":
    otherwise the answer depends on what was not evaluable (e.g. a cut without medication
    records, where the glucocorticoid criterion is unknown at every visit) and it is not
    evaluable. Also not evaluable (null, with the reason): while the run that is ongoing at the
    last assessment is shorter than ``min_days`` and the subject is still on study
    (``on_study``: subjects with ``EOSSTT`` "ONGOING" or not recorded; without it, every
    subject counts as on study), and when no assessment is evaluable."""
    seen = _sustained_core(df, flag, min_days, on_study)
    hopeful = _sustained_core(
        df.with_columns(pl.col(flag).fill_null("Y")), flag, min_days, on_study
    ).select("USUBJID", pl.col("SUSTFL").alias("_HOPEFL"))
    x = seen.join(hopeful, on="USUBJID", how="left")
    hidden = (pl.col("SUSTFL") == "N") & (pl.col("_HOPEFL") != "N").fill_null(True)
    return x.select(
        "USUBJID",
        "_LAST",
        "_ANYLAST",
        "SUSTDY",
        pl.when(hidden).then(None).otherwise(pl.col("SUSTFL")).alias("SUSTFL"),
        pl.when(hidden)
        .then(pl.lit("not-evaluable assessments could hide a sustained remission"))
        .otherwise(pl.col(NEREASON))
        .alias(NEREASON),
    ).sort("USUBJID")


def derive_param_doris(st: pl.DataFrame, **doris_kwargs: object) -> pl.DataFrame:
    """ADRS rows DORISREM (DORIS 2021 on treatment), DORISOFF (2017 off therapy), DORISDF
    (drug-free) from the disease state (``instruments.doris_remission``)."""
    x = ins.doris_remission(st, **doris_kwargs)
    return pl.concat(
        [
            _yn_rows(x, "DORIS", "DORISREM", "DORIS 2021 remission (on treatment)", "DORIS_NE"),
            _yn_rows(
                x, "DORISOFF", "DORISOFF", "DORIS remission off therapy (2017)", "DORISOFF_NE"
            ),
            _yn_rows(x, "DORISDF", "DORISDF", "Drug-free DORIS remission", "DORISDF_NE"),
        ]
    )


def derive_param_lldas(st: pl.DataFrame, **lldas_kwargs: object) -> pl.DataFrame:
    """ADRS rows LLDAS (``instruments.lldas``, Franklyn 2016)."""
    x = ins.lldas(st, **lldas_kwargs)
    return _yn_rows(x, "LLDAS", "LLDAS", "Lupus low disease activity state", "LLDAS_NE")


def derive_param_sri(st: pl.DataFrame, **sri_kwargs: object) -> pl.DataFrame:
    """ADRS rows SRI<k> (``instruments.sri``, Furie 2009; k = the SAP's reduction)."""
    k = sri_kwargs.get("reduction", DEFAULTS.sri.reduction)
    x = ins.sri(st, **sri_kwargs)
    return _yn_rows(x, "SRI", f"SRI{k}", f"SLE responder index {k}", "SRI_NE")


def derive_param_bicla(st: pl.DataFrame, **bicla_kwargs: object) -> pl.DataFrame:
    """ADRS rows BICLA (``instruments.bicla``, Wallace 2011)."""
    x = ins.bicla(st, **bicla_kwargs)
    return _yn_rows(
        x, "BICLA", "BICLA", "BILAG-based composite lupus assessment response", "BICLA_NE"
    )


def derive_param_serorem(adlb: pl.DataFrame) -> pl.DataFrame:
    """ADRS rows SEROREM (``instruments.serologic_remission``) per analysis visit with an
    anti-dsDNA, C3 or C4 result; a test not measured at the visit makes it not evaluable."""
    lab = adlb.filter(pl.col("ANL01FL") == "Y")
    sero = _by_param(lab, ["DDNAIGAB", "C3", "C4"], ["AVAL", "ANRLO", "ANRHI", "ADY"])
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
        ).with_columns(pl.coalesce("ADY_DDNAIGAB", "ADY_C3", "ADY_C4").alias("ADY"))
    )
    return _yn_rows(sero, "SEROREM", "SEROREM", "Serologic remission", "SEROREM_NE")


def derive_param_bcapl(
    adlb: pl.DataFrame, *, abs_max: float = DEFAULTS.bcell_abs_max
) -> pl.DataFrame:
    """ADRS rows BCAPL: CD19+ B cells below ``abs_max`` per µL (``bcell_aplasia_flag``)."""
    lab = adlb.filter(pl.col("ANL01FL") == "Y")
    b = lab.filter(pl.col("PARAMCD") == "BLYCE").select(
        "USUBJID", "ADY", pl.col("AVAL").alias("BCELL")
    )
    b = ins.bcell_aplasia_flag(b, abs_max=abs_max)
    return _yn_rows(b, "BCAPL", "BCAPL", f"B-cell aplasia (CD19+ < {abs_max:g}/uL)")


def derive_param_renalcr(
    adlb: pl.DataFrame, adsl: pl.DataFrame, **renal_kwargs: object
) -> pl.DataFrame:
    """ADRS rows RENALCR (complete renal response, ``instruments.renal_response``) for
    subjects with lupus nephritis (``LNFL``); evaluable only with active nephritis at
    baseline (UPCR ≥ the option ``renal_kwargs.active_upcr_g_g``), otherwise not evaluable
    with the reason."""
    lab = adlb.filter(pl.col("ANL01FL") == "Y")
    ren = _by_param(lab, ["PROTCRT", "EGFR"], ["AVAL", "BASE", "ADY"])
    ln = adsl.filter(pl.col("LNFL") == "Y").select("USUBJID")
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
        **renal_kwargs,
    )
    return _yn_rows(ren, "RENALCR", "RENALCR", "Complete renal response", "RENAL_NE")


def derive_param_facitmid(adqs: pl.DataFrame, *, mid: float = DEFAULTS.facit_mid) -> pl.DataFrame:
    """ADRS rows FACITMID: FACIT-Fatigue improved from baseline by at least ``mid`` points
    (the SAP's minimal important difference; 3-6 in SLE, Lai JS et al. J Rheumatol
    2011;38:672-679); not evaluable without a total at the visit or at baseline.

    The comparison is ``CHG >= mid`` on values rounded to 6 decimals (``_checks.cmp``,
    instruments.md §0 rule 2): prorated totals (13 × mean of 7-12 answered items) are stored
    to 6 decimals, and a change of exactly ``mid`` is improved. A change that is not exactly
    the MID differs from it by at least 1/169 point (totals are multiples of 13/n, n = 7..13),
    far beyond the storage error, so every pair of totals is classified as with exact
    fractions (tested over all totals)."""
    f = adqs.filter(
        (pl.col("PARAMCD") == "FACITTOT") & (pl.col("ANL01FL") == "Y") & (pl.col("ADY") > 0)
    ).with_columns(
        cmp(pl.col("CHG"), ">=", mid).alias("_MID"),
        pl.when(pl.col("BASE").is_null())
        .then(pl.lit("no baseline FACIT-Fatigue"))
        .when(pl.col("AVAL").is_null())
        .then(pl.lit("FACIT-Fatigue not evaluable"))
        .alias("_NE"),
    )
    return _yn_rows(
        f, "_MID", "FACITMID", f"FACIT-Fatigue improved by >= {mid:g} points (MID)", "_NE"
    )


def facitmid_at(adqs: pl.DataFrame, adsl: pl.DataFrame, *, mid: float) -> pl.DataFrame:
    """ADRS FACITMID rows at another minimal important difference ``mid`` (a sensitivity
    analysis: Lai 2011's range is 3-6 points), built exactly as ``derive_adrs`` builds them
    (``derive_param_facitmid``, analysis visit windows, one analysis record per visit
    ``ANL01FL``), so a table can set them beside the analysis dataset's own rows."""
    x = derive_param_facitmid(adqs, mid=mid).filter(pl.col("ADY").is_not_null())
    x = with_studyid(derive_vars_visit_window(x), adsl)
    x = derive_var_anl01fl(x, by_vars=["USUBJID", "PARAMCD"], keep_not_evaluable=NEREASON)
    return x.filter(pl.col("ANL01FL") == "Y").select(ADRS_COLUMNS)


def derive_param_sustained(
    adrs: pl.DataFrame,
    adsl: pl.DataFrame,
    *,
    source: str = "DORISREM",
    paramcd: str = "DORIS12",
    min_days: int = DEFAULTS.sustain_days,
) -> pl.DataFrame:
    """Subject-level ADRS row ``paramcd`` (AVISIT "OVERALL"): the ``source`` response held
    at least ``min_days`` (:func:`sustained_response`; not evaluable while ongoing and
    shorter on study, or when not-evaluable assessments could hide it). One row per subject
    with any assessment. ``ADY``: the first day of the sustained run, else the last evaluable
    assessment, else the last assessment."""
    # on study: ONGOING, or a status not recorded (null: the patient may still be on study,
    # so a short run that is still going is not evaluable, never a guessed "N")
    on_study = adsl.filter((pl.col("EOSSTT") == "ONGOING") | pl.col("EOSSTT").is_null()).select(
        "USUBJID"
    )
    sus = sustained_response(
        adrs.filter(pl.col("PARAMCD") == source), min_days=min_days, on_study=on_study
    )
    sus = with_studyid(sus, adsl)
    return sus.filter(pl.col("_ANYLAST").is_not_null()).select(
        "USUBJID",
        pl.coalesce("SUSTDY", "_LAST", "_ANYLAST").cast(pl.Int64).alias("ADY"),
        pl.lit(paramcd).alias("PARAMCD"),
        pl.lit(f"DORIS remission sustained >= {min_days} days").alias("PARAM"),
        pl.col("SUSTFL").replace_strict({"Y": 1.0, "N": 0.0}, default=None).alias("AVAL"),
        pl.col("SUSTFL").alias("AVALC"),
        pl.lit("OVERALL").alias("AVISIT"),
        pl.lit(9999, dtype=pl.Int64).alias("AVISITN"),
        pl.lit("Y").alias("ANL01FL"),
        "STUDYID",
        pl.col(NEREASON),
    )


ADRS_COLUMNS = [
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
    NEREASON,
]


def derive_adrs(
    domains: dict[str, pl.DataFrame],
    adsl: pl.DataFrame,
    adqs: pl.DataFrame,
    adlb: pl.DataFrame,
    *,
    stable_days: int = DEFAULTS.stable_days,
    sustain_days: int = DEFAULTS.sustain_days,
    doris_kwargs: dict | None = None,
    lldas_kwargs: dict | None = None,
    sri_kwargs: dict | None = None,
    bicla_kwargs: dict | None = None,
    renal_kwargs: dict | None = None,
    bcell_abs_max: float = DEFAULTS.bcell_abs_max,
    facit_mid: float = DEFAULTS.facit_mid,
    sledai_fever_from_vs: bool = DEFAULTS.sledai_fever_from_vs,
    sledai_fever_c: float = DEFAULTS.sledai_fever_c,
    not_collected: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """Responses per subject, parameter and post-infusion visit (one ``derive_param_*`` per
    parameter), plus subject-level ``DORIS12`` (DORIS remission sustained ≥
    ``sustain_days``; AVISIT "OVERALL").

    Parameters: DORISREM, DORISOFF, DORISDF, LLDAS, SRI4 (SRI-k with
    ``sri_kwargs={"reduction": k}``), BICLA, SEROREM, BCAPL, RENALCR, FACITMID, DORIS12. A
    response that is not evaluable has ``AVALC`` null and ``NEREASON`` saying why; it is kept
    (``ANL01FL`` "Y" when no evaluable record shares its visit), so that rates can state how
    many were not evaluable. The ``*_kwargs`` are the SAP's choices for the instruments."""
    st = disease_state(
        domains,
        adqs,
        stable_days=stable_days,
        sledai_fever_from_vs=sledai_fever_from_vs,
        sledai_fever_c=sledai_fever_c,
        not_collected=not_collected,
    )
    post = st.filter(pl.col("ADY") > 0)
    lab_post = adlb.filter(pl.col("ADY") > 0)
    parts = [
        derive_param_doris(post, **(doris_kwargs or {})),
        derive_param_lldas(post, **(lldas_kwargs or {})),
        derive_param_sri(post, **(sri_kwargs or {})),
        derive_param_bicla(post, **(bicla_kwargs or {})),
        derive_param_serorem(lab_post.filter(pl.col("ADY") > 0)),
        derive_param_bcapl(lab_post, abs_max=bcell_abs_max),
        derive_param_renalcr(adlb, adsl, **(renal_kwargs or {})).filter(pl.col("ADY") > 0),
        derive_param_facitmid(adqs, mid=facit_mid),
    ]
    x = pl.concat(parts).filter(pl.col("ADY").is_not_null())
    x = with_studyid(derive_vars_visit_window(x), adsl)
    x = derive_var_anl01fl(x, by_vars=["USUBJID", "PARAMCD"], keep_not_evaluable=NEREASON)
    x = x.filter(pl.col("ANL01FL") == "Y")
    overall = derive_param_sustained(x, adsl, min_days=sustain_days)
    return (
        pl.concat([x.select(ADRS_COLUMNS), overall.select(ADRS_COLUMNS)])
        .with_columns(pl.col("AVISITN").cast(pl.Int64), pl.col("ADY").cast(pl.Int64))
        .sort("USUBJID", "PARAMCD", "AVISITN")
    )


# --- ADTTE ----------------------------------------------------------------------------------------
def _first_yes(adrs: pl.DataFrame, paramcd: str, name: str) -> pl.DataFrame:
    """Per subject, the first day ``paramcd`` is "Y" (column ``name``)."""
    return (
        adrs.filter((pl.col("PARAMCD") == paramcd) & (pl.col("AVALC") == "Y"))
        .group_by("USUBJID")
        .agg(pl.col("ADY").min().alias(name))
    )


def derive_adtte(
    adsl: pl.DataFrame,
    adrs: pl.DataFrame,
    adlb: pl.DataFrame,
    *,
    add_one: bool = DEFAULTS.add_one,
    bcell_abs_max: float = DEFAULTS.bcell_abs_max,
    confirm_n: int = DEFAULTS.bcell_confirm_n,
) -> pl.DataFrame:
    """Time-to-event parameters, origin the infusion (day 0) unless stated; ``CNSR`` 0 =
    event, 1 = censored; ``AVAL`` = end - start days (day 0 = infusion, the study's one time
    convention); ``add_one=True`` gives admiral's end - start + 1. One
    :func:`~sle_car.derive.common.derive_param_tte` per parameter, with declared
    ``event_source`` / ``censor_source`` objects:

    TTDORIS time to first DORIS remission (censored at the last evaluable assessment, or at
    day 0 when there is none, so that no treated subject leaves the analysis unseen);
    DURDORIS from first DORIS remission to its first loss; DURDF the same for drug-free
    remission; TTBCREC time to confirmed B-cell reconstitution (subjects with confirmed
    aplasia; censored at the last sample); OS overall survival (censored at the last day known
    alive). Not-evaluable assessments are neither events nor censoring days.
    """
    saf = adsl.filter(pl.col("SAFFL") == "Y").select("USUBJID", "LSTALVDY", "DTHDY")
    resp = adrs.filter(pl.col("AVISITN") != 9999)
    b = ins.bcell_aplasia_flag(
        adlb.filter(pl.col("PARAMCD") == "BLYCE").select(
            "USUBJID", "ADY", pl.col("AVAL").alias("BCELL")
        ),
        abs_max=bcell_abs_max,
    )
    rec = ins.bcell_reconstitution(b, confirm_n=confirm_n)
    subjects = (
        saf.join(_first_yes(resp, "DORISREM", "FIRSTDORIS"), on="USUBJID", how="left")
        .join(_first_yes(resp, "DORISDF", "FIRSTDF"), on="USUBJID", how="left")
        .join(rec.select("USUBJID", "APLDY"), on="USUBJID", how="left")
        .with_columns(
            pl.lit(0, dtype=pl.Int64).alias("INFDY"),  # the origin: infusion, day 0
            pl.when(pl.col("APLDY").is_not_null()).then(0).cast(pl.Int64).alias("BCAPLSTDY"),
        )
    )
    sources = {"ADSL": subjects, "ADRS": resp, "BCELL": rec}

    def evaluable(paramcd: str) -> pl.Expr:
        return (pl.col("PARAMCD") == paramcd) & pl.col("AVALC").is_not_null()

    def remission_duration(paramcd: str, start: str, code: str, what: str) -> pl.DataFrame:
        return derive_param_tte(
            subjects,
            source_datasets=sources,
            start_date=start,
            event_conditions=[
                event_source(
                    "ADRS",
                    filter=evaluable(paramcd)
                    & (pl.col("AVALC") == "N")
                    & (pl.col("ADY") > pl.col("STARTDY")),
                    set_values_to={"EVNTDESC": f"Loss of {what}", "SRCDOM": "ADRS"},
                )
            ],
            censor_conditions=[
                censor_source(
                    "ADRS",
                    filter=evaluable(paramcd) & (pl.col("ADY") >= pl.col("STARTDY")),
                    set_values_to={
                        "CNSDTDSC": "Last disease assessment in remission",
                        "SRCDOM": "ADRS",
                    },
                )
            ],
            set_values_to={"PARAMCD": code, "PARAM": f"Duration of {what} (days)"},
            add_one=add_one,
        )

    parts = [
        derive_param_tte(
            subjects,
            source_datasets=sources,
            start_date="INFDY",
            event_conditions=[
                event_source(
                    "ADRS",
                    filter=evaluable("DORISREM") & (pl.col("AVALC") == "Y"),
                    set_values_to={"EVNTDESC": "DORIS remission", "SRCDOM": "ADRS"},
                )
            ],
            censor_conditions=[
                censor_source(
                    "ADRS",
                    filter=evaluable("DORISREM"),
                    set_values_to={"CNSDTDSC": "Last disease assessment", "SRCDOM": "ADRS"},
                ),
                censor_source(
                    "ADSL",
                    date="INFDY",
                    set_values_to={
                        "CNSDTDSC": "No post-infusion disease assessment",
                        "SRCDOM": "ADRS",
                    },
                ),
            ],
            set_values_to={"PARAMCD": "TTDORIS", "PARAM": "Time to first DORIS remission (days)"},
            add_one=add_one,
        ),
        remission_duration("DORISREM", "FIRSTDORIS", "DURDORIS", "DORIS remission"),
        remission_duration("DORISDF", "FIRSTDF", "DURDF", "drug-free DORIS remission"),
        derive_param_tte(
            subjects,
            source_datasets=sources,
            start_date="BCAPLSTDY",
            event_conditions=[
                event_source(
                    "BCELL",
                    date="RECDY",
                    set_values_to={
                        "EVNTDESC": "B-cell reconstitution confirmed",
                        "SRCDOM": "ADLB",
                    },
                )
            ],
            censor_conditions=[
                censor_source(
                    "BCELL",
                    date="LASTDY",
                    set_values_to={"CNSDTDSC": "Last B-cell sample", "SRCDOM": "ADLB"},
                )
            ],
            set_values_to={"PARAMCD": "TTBCREC", "PARAM": "Time to B-cell reconstitution (days)"},
            add_one=add_one,
        ),
        derive_param_tte(
            subjects,
            source_datasets=sources,
            start_date="INFDY",
            event_conditions=[
                event_source(
                    "ADSL", date="DTHDY", set_values_to={"EVNTDESC": "Death", "SRCDOM": "ADSL"}
                )
            ],
            censor_conditions=[
                censor_source(
                    "ADSL",
                    date="LSTALVDY",
                    set_values_to={"CNSDTDSC": "Last day known alive", "SRCDOM": "ADSL"},
                )
            ],
            set_values_to={"PARAMCD": "OS", "PARAM": "Overall survival (days)"},
            add_one=add_one,
        ),
    ]
    return (
        with_studyid(pl.concat(parts), adsl)
        .select(
            "STUDYID",
            "USUBJID",
            "PARAMCD",
            "PARAM",
            "AVAL",
            "AVALU",
            "STARTDY",
            "ADY",
            "CNSR",
            "EVNTDESC",
            "CNSDTDSC",
            "SRCDOM",
        )
        .sort("USUBJID", "PARAMCD")
    )


# --- everything -----------------------------------------------------------------------------------
INPUT_COLUMNS = {
    "dm": None,
    "ex": ["USUBJID", "EXTRT", "EXDOSE", "EXSTDY"],
    "ds": ["USUBJID", "DSCAT", "DSDECOD", "DSSTDY"],
    "ae": None,
    "cm": [
        "USUBJID",
        "CMTRT",
        "CMCLAS",
        "CMDOSE",
        "CMDOSFRQ",
        "CMPREDEQ",
        "CMSTDY",
        "CMENDY",
        "CMSTRTPT",
    ],
    "qs": ["USUBJID", "QSCAT", "QSTESTCD", "QSORRES", "QSSTRESN", "QSDY"],
    "vs": ["USUBJID", "VSDY", "VSTESTCD", "VSORRES"],
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
only these (``read_clean``), which halves the memory of a large cohort. Optional columns
(``CMSTRTPT``: therapy started before the study) are read when the domain has them."""


OPTIONAL_COLUMNS = {"CMSTRTPT"}


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
        frame = pl.scan_parquet(clean_dir / f"{name}.parquet", glob=False)
        if cols:
            have = frame.collect_schema().names()
            frame = frame.select([c for c in cols if c in have or c not in OPTIONAL_COLUMNS])
        out[name] = frame.filter(batch).collect()
    return out


def derive_all(
    domains: dict[str, pl.DataFrame],
    *,
    stable_days: int = DEFAULTS.stable_days,
    sustain_days: int = DEFAULTS.sustain_days,
    doris_kwargs: dict | None = None,
    lldas_kwargs: dict | None = None,
    sri_kwargs: dict | None = None,
    bicla_kwargs: dict | None = None,
    renal_kwargs: dict | None = None,
    bcell_abs_max: float = DEFAULTS.bcell_abs_max,
    bcell_confirm_n: int = DEFAULTS.bcell_confirm_n,
    first_treatment_day: int = DEFAULTS.first_treatment_day,
    add_one: bool = DEFAULTS.add_one,
    facit_mid: float = DEFAULTS.facit_mid,
    sledai_fever_c: float = DEFAULTS.sledai_fever_c,
    sledai_fever_from_vs: bool = DEFAULTS.sledai_fever_from_vs,
    ctcae_version: str = DEFAULTS.ctcae_version,
    ctcae_reading: str = DEFAULTS.ctcae_reading,
    not_collected: frozenset[str] = frozenset(),
) -> dict[str, pl.DataFrame]:
    """All analysis datasets, validated against their schemas, in dependency order.

    ``not_collected`` names the optional domains the cut has no file for (the validation
    listing's ``domain_not_collected``): their absence is "unknown", not "none" (without CM,
    DORIS, LLDAS and BICLA are not evaluable). It describes the data, not an analysis choice.

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
    - ``first_treatment_day``: the first lymphodepletion day: adverse events from it on are
      treatment-emergent, and baselines (ADLB, ADQS) are the last values before it;
    - ``add_one``: ADTTE ``AVAL`` = end - start (default: days since infusion) or
      end - start + 1 (admiral);
    - ``facit_mid``: FACIT-Fatigue minimal important difference (ADRS FACITMID);
    - ``sledai_fever_c``, ``sledai_fever_from_vs``: SLEDAI-2K fever from VS temperature > ``sledai_fever_c`` where
      the descriptor was not assessed (off by default: infection needs excluding).

    Every default is ``sle_car.sap.DEFAULTS`` (``AnalysisOptions.from_kwargs`` builds the
    options object from these keywords).
    - ``ctcae_version``: CTCAE version of the ADLB laboratory grades, "5.0" or "6.0";
    - ``ctcae_reading``: where a CTCAE grade needs symptoms or treatment that laboratory data
      do not show, "worst_case" (admiral) or "asymptomatic" (``sle_car.instruments.ctcae``).
    """
    from data_schemas import ANALYSIS_DATASETS

    adqs = derive_adqs(
        domains,
        sledai_fever_from_vs=sledai_fever_from_vs,
        sledai_fever_c=sledai_fever_c,
        first_treatment_day=first_treatment_day,
    )
    adsl = derive_adsl(domains, adqs)
    adlb = derive_adlb(
        domains,
        adsl,
        first_treatment_day=first_treatment_day,
        ctcae_version=ctcae_version,
        ctcae_reading=ctcae_reading,
    )
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
        facit_mid=facit_mid,
        sledai_fever_from_vs=sledai_fever_from_vs,
        sledai_fever_c=sledai_fever_c,
        not_collected=not_collected,
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
    return {
        name: schema_screen.validate_model(ANALYSIS_DATASETS[name], df) for name, df in out.items()
    }
