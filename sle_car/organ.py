"""Organ function over time (issue 18): kidney (UPCR, eGFR, renal response among patients with
active nephritis at baseline) and organ-system activity from BILAG-2004 system grades.

eGFR is ADLB ``EGFR``, derived by :func:`sle_car.instruments.renal.egfr_ckd_epi_2021` (CKD-EPI
2021 race-free creatinine equation, Inker LA et al. N Engl J Med 2021;385:1737-1749).
Active nephritis at baseline: baseline UPCR ≥ ``DEFAULTS.renal.active_upcr_g_g`` (0.5 g/g),
the entry criterion of :func:`sle_car.instruments.renal.renal_response` (instruments.md §12).
BILAG-2004 systems and grades: Isenberg DA et al. Rheumatology 2005;44:902-906 (A severe,
B moderate, C mild, D previously active, E never active).
"""

from __future__ import annotations

import polars as pl

from data_schemas import codelists as cl
from sle_car._checks import cmp, require_columns
from sle_car.derive.common import derive_var_anl01fl, derive_vars_visit_window
from sle_car.figures import DAYS_PER_MONTH, patient_label_expr
from sle_car.sap import DEFAULTS

RENAL_PARAMS = {"PROTCRT": "UPCR (g/g)", "EGFR": "eGFR (mL/min/1.73 m²)"}
"""ADLB parameters of the kidney section and their labels with units."""


def complete_response_upcr_g_g(
    cr_threshold: float = DEFAULTS.renal.cr_threshold, cr_unit: str = DEFAULTS.renal.cr_unit
) -> float:
    """The complete-renal-response UPCR limit in g/g, for drawing on a g/g axis: EULAR/ERA-EDTA
    2012 (Bertsias GK et al. Ann Rheum Dis 2012;71:1771-1782) states it as UPCR < 50 mg/mmol,
    i.e. 50 / 113.12 = 0.44 g/g (creatinine 113.12 g/mol,
    :data:`sle_car.instruments.renal.UPCR_MG_MMOL_PER_G_G`); a threshold already in g/g (the
    2019 update's 0.5 or 0.7 g/g) is returned as it is."""
    from sle_car._checks import check_choice
    from sle_car.instruments.renal import UPCR_MG_MMOL_PER_G_G

    check_choice("cr_unit", cr_unit, ("mg/mmol", "g/g"))
    return cr_threshold / UPCR_MG_MMOL_PER_G_G if cr_unit == "mg/mmol" else cr_threshold


def active_nephritis(
    adlb: pl.DataFrame, *, active_upcr_g_g: float = DEFAULTS.renal.active_upcr_g_g
) -> pl.DataFrame:
    """Per subject with a baseline UPCR (ADLB ``PROTCRT``, ``ABLFL`` "Y", g/g): ``UPCR_BL``
    and ``ACTIVELN`` (True when UPCR_BL ≥ ``active_upcr_g_g``, the renal-response entry
    criterion). Subjects without a baseline UPCR are absent: their nephritis activity is
    unknown, so they belong to no renal-response denominator."""
    require_columns(adlb, ["USUBJID", "PARAMCD", "AVAL", "ABLFL"], "active_nephritis", "ADLB")
    return (
        adlb.filter(
            (pl.col("PARAMCD") == "PROTCRT")
            & (pl.col("ABLFL") == "Y")
            & pl.col("AVAL").is_not_null()
        )
        .select("USUBJID", pl.col("AVAL").alias("UPCR_BL"))
        .unique("USUBJID", keep="last", maintain_order=True)
        .with_columns(cmp(pl.col("UPCR_BL"), ">=", active_upcr_g_g).alias("ACTIVELN"))
        .sort("USUBJID")
    )


def renal_course(adlb: pl.DataFrame) -> pl.DataFrame:
    """UPCR and eGFR per patient over time: ADLB analysis records (``ANL01FL`` "Y") of
    :data:`RENAL_PARAMS` with ``Patient`` (3-digit number), ``MONTH`` (months after the
    infusion, baseline at its negative day) and ``PARAM_LABEL`` (label with unit)."""
    require_columns(adlb, ["USUBJID", "PARAMCD", "AVAL", "ADY", "ANL01FL"], "renal_course", "ADLB")
    return (
        adlb.filter(
            pl.col("PARAMCD").is_in(list(RENAL_PARAMS))
            & (pl.col("ANL01FL") == "Y")
            & pl.col("AVAL").is_not_null()
        )
        .select(
            "USUBJID",
            patient_label_expr(),
            "PARAMCD",
            pl.col("PARAMCD").replace_strict(RENAL_PARAMS).alias("PARAM_LABEL"),
            "AVISIT",
            "ADY",
            (pl.col("ADY") / DAYS_PER_MONTH).alias("MONTH"),
            "AVAL",
        )
        .sort("PARAMCD", "USUBJID", "ADY")
    )


BILAG_GRADE_ORDER = ("A", "B", "C", "D", "E")


def bilag_systems_by_visit(qs: pl.DataFrame) -> pl.DataFrame:
    """BILAG-2004 system grades per patient and analysis visit, long: ``USUBJID``,
    ``Patient``, ``AVISIT``, ``AVISITN``, ``ADY``, ``MONTH``, ``SYSTEM`` (name, in the
    code-list order), ``GRADE`` (A-E, null when not graded). One assessment per visit: the
    derivation's analysis windows and record choice (closest to the nominal day,
    :func:`~sle_car.derive.common.derive_var_anl01fl`), baseline included. Empty (with these
    columns) when the cut holds no BILAG-2004."""
    from sle_car.derive.datasets import qs_wide

    require_columns(
        qs, ["USUBJID", "QSCAT", "QSTESTCD", "QSORRES", "QSDY"], "bilag_systems_by_visit", "QS"
    )
    systems = list(cl.BILAG_DOMAINS)
    schema = {
        "USUBJID": pl.String,
        "Patient": pl.String,
        "AVISIT": pl.String,
        "AVISITN": pl.Int64,
        "ADY": pl.Int64,
        "MONTH": pl.Float64,
        "SYSTEM": pl.String,
        "GRADE": pl.String,
    }
    if qs.filter(pl.col("QSCAT") == cl.QS_BILAG).height == 0:
        return pl.DataFrame(schema=schema)
    wide = qs_wide(qs, cl.QS_BILAG, value="QSORRES").with_columns(pl.col("ADY").cast(pl.Int64))
    graded = pl.sum_horizontal([pl.col(c).is_in(BILAG_GRADE_ORDER).cast(pl.Int64) for c in systems])
    w = derive_vars_visit_window(wide).with_columns(
        pl.when(graded > 0).then(graded.cast(pl.Float64)).alias("AVAL")
    )
    w = derive_var_anl01fl(w, by_vars=["USUBJID"]).filter(pl.col("ANL01FL") == "Y")
    return (
        w.unpivot(
            index=["USUBJID", "AVISIT", "AVISITN", "ADY"],
            on=systems,
            variable_name="_C",
            value_name="GRADE",
        )
        .with_columns(
            patient_label_expr(),
            (pl.col("ADY") / DAYS_PER_MONTH).alias("MONTH"),
            pl.col("_C").replace_strict(cl.BILAG_DOMAINS).alias("SYSTEM"),
            pl.when(pl.col("GRADE").is_in(BILAG_GRADE_ORDER)).then(pl.col("GRADE")).alias("GRADE"),
            pl.col("AVISITN").cast(pl.Int64),
        )
        .select(list(schema))
        .cast(schema)
        .sort("USUBJID", "AVISITN", "SYSTEM")
    )


def bilag_no_a_or_b(systems: pl.DataFrame) -> pl.DataFrame:
    """Per patient and post-infusion visit of :func:`bilag_systems_by_visit`: ``AVALC`` "Y"
    when no BILAG-2004 system is graded A or B (no more than mild activity in any organ;
    Isenberg 2005 grade definitions), "N" when any is (a known A or B decides even when
    another system is missing), null with ``NEREASON`` when no A/B is seen but some system
    is not graded. ADRS-like: ``PARAMCD`` "BILAGNAB", ``ANL01FL`` "Y"."""
    require_columns(systems, ["USUBJID", "AVISIT", "ADY", "SYSTEM", "GRADE"], "bilag_no_a_or_b")
    post = systems.filter(pl.col("ADY") > 0)
    return (
        post.group_by("USUBJID", "AVISIT", "ADY")
        .agg(
            pl.col("GRADE").is_in(["A", "B"]).any().alias("_AB"),
            pl.col("GRADE").is_null().sum().alias("_MISS"),
        )
        .select(
            "USUBJID",
            pl.lit("BILAGNAB").alias("PARAMCD"),
            pl.lit("No BILAG-2004 A or B").alias("PARAM"),
            "AVISIT",
            "ADY",
            pl.when(pl.col("_AB"))
            .then(pl.lit("N"))
            .when(pl.col("_MISS") == 0)
            .then(pl.lit("Y"))
            .alias("AVALC"),
            pl.when(pl.col("_AB").not_() & (pl.col("_MISS") > 0))
            .then(pl.format("{} BILAG-2004 system(s) not graded", "_MISS"))
            .alias("NEREASON"),
            pl.lit("Y").alias("ANL01FL"),
        )
        .sort("USUBJID", "ADY")
    )
