"""SLEDAI-2K and clinical SLEDAI.

Source: Gladman DD, Ibañez D, Urowitz MB. Systemic lupus erythematosus disease activity
index 2000. J Rheumatol 2002;29:288-291 (PMID 11838846); 30-day window: Touma Z et al.,
Lupus 2010;19:49-51. Clinical SLEDAI removes low complement and increased DNA binding
(DORIS 2021, Table 2). instruments.md §1.
"""

from __future__ import annotations

import polars as pl

from data_schemas.codelists import SLEDAI_ITEMS, SLEDAI_SEROLOGY_ITEMS
from sle_car._checks import check_choice, require_columns
from sle_car.sap import DEFAULTS

DESCRIPTORS = list(SLEDAI_ITEMS)


def sledai_2k(df: pl.DataFrame, *, descriptors: list[str] | None = None) -> pl.DataFrame:
    """Add ``SLEDAI2K`` (0-105), ``CSLEDAI`` (0-101), ``SLEDAI_NMISS``, ``SLEDAI_COMPLETE``,
    ``CSLEDAI_NMISS`` and ``CSLEDAI_COMPLETE``.

    Input: one row per assessment with one column per descriptor (codes of
    ``data_schemas.codelists.SLEDAI_ITEMS``: ``SEIZURE`` ... ``LEUKOPEN``), true when present
    (scored as the descriptor weight), false when absent, null when not assessed.
    Scores are the sum of the weights of present descriptors; missing descriptors count 0
    in the sum but make the assessment incomplete (``SLEDAI_COMPLETE`` = False), so that the
    SAP decides how incomplete assessments enter endpoints (instruments.md §0 rule 3).
    Completeness is separate for the two scores: clinical SLEDAI excludes the serology items
    (low complement, increased DNA binding; DORIS 2021 Table 2), so serology not measured
    makes SLEDAI-2K incomplete but not clinical SLEDAI.
    """
    cols = descriptors or DESCRIPTORS
    require_columns(df, cols, "sledai_2k", "sle_car.derive.datasets.sledai_wide (from QS)")
    weight = {k: w for k, (_, w) in SLEDAI_ITEMS.items()}
    total = pl.sum_horizontal([pl.col(c).cast(pl.Int64).fill_null(0) * weight[c] for c in cols])
    clinical = pl.sum_horizontal(
        [
            pl.col(c).cast(pl.Int64).fill_null(0) * weight[c]
            for c in cols
            if c not in SLEDAI_SEROLOGY_ITEMS
        ]
    )
    nmiss = pl.sum_horizontal([pl.col(c).is_null().cast(pl.Int64) for c in cols])
    cnmiss = pl.sum_horizontal(
        [pl.col(c).is_null().cast(pl.Int64) for c in cols if c not in SLEDAI_SEROLOGY_ITEMS]
    )
    return df.with_columns(
        total.alias("SLEDAI2K"),
        clinical.alias("CSLEDAI"),
        nmiss.alias("SLEDAI_NMISS"),
        (nmiss == 0).alias("SLEDAI_COMPLETE"),
        cnmiss.alias("CSLEDAI_NMISS"),
        (cnmiss == 0).alias("CSLEDAI_COMPLETE"),
    )


def propose_lab_descriptors(
    assessments: pl.DataFrame,
    labs: pl.DataFrame,
    *,
    by: str = "USUBJID",
    day: str = "ADY",
    window_days: int = 10,
    dsdna_rule: str = "above_uln",
    proteinuria_g_g: float = 0.5,
) -> pl.DataFrame:
    """Propose the laboratory SLEDAI-2K descriptors from LB data for each assessment.

    ``labs`` holds ``by``, ``LBDY``, ``LBTESTCD``, ``LBSPEC``, ``LBSTRESN``, ``LBSTNRLO``,
    ``LBSTNRHI`` (clean LB). A descriptor is proposed when any result in the look-back window
    ``[day - window_days, day]`` qualifies (Gladman 2002: "at the time of the visit or in the
    preceding 10 days"; ``window_days=30`` per Touma 2010):

    - ``LOWCOMP``: C3 or C4 below the laboratory's lower limit of normal;
    - ``DNABIND``: anti-dsDNA at or above the laboratory's upper limit (``dsdna_rule``
      "above_uln": positive = value >= ULN cut-off, instruments.md SERO-T03);
    - ``THROMBO`` platelets < 100 x10^9/L; ``LEUKOPEN`` WBC < 3.0 x10^9/L;
    - ``HEMATUR`` urine RBC > 5 /HPF; ``PYURIA`` urine WBC > 5 /HPF;
    - ``PROTEIN`` UPCR > ``proteinuria_g_g`` (g/g approximates g/24 h: a convention,
      instruments.md §1); ``UCASTS`` erythrocyte casts positive.

    These are *proposals*: exclusions (drug causes, infection) need the investigator, whose
    QS descriptors remain the record. Returns ``assessments`` with ``LAB_<code>`` columns:
    true when a qualifying result lies in the window, false when the test was measured there
    without one, null (not evaluable) when it was not measured; ``LOWCOMP`` is false only
    when both C3 and C4 were measured (one low value suffices for true).
    """
    check_choice("window_days", window_days, (10, 30))
    check_choice("dsdna_rule", dsdna_rule, ("above_uln",))
    require_columns(assessments, [by, day], "propose_lab_descriptors")
    require_columns(
        labs,
        [by, "LBDY", "LBTESTCD", "LBSPEC", "LBSTRESN", "LBSTRESC", "LBSTNRLO", "LBSTNRHI"],
        "propose_lab_descriptors",
        "sle_car.clean.clean_study (clean LB)",
    )
    v, lo, hi = pl.col("LBSTRESN"), pl.col("LBSTNRLO"), pl.col("LBSTNRHI")
    code, spec = pl.col("LBTESTCD"), pl.col("LBSPEC")
    flags = {
        "LOWCOMP": code.is_in(["C3", "C4"]) & (v < lo),
        "DNABIND": (code == "DDNAIGAB") & (v >= hi),
        "THROMBO": (code == "PLAT") & (v < 100),
        "LEUKOPEN": (code == "WBC") & (spec == "BLOOD") & (v < 3.0),
        "HEMATUR": (code == "RBC") & (spec == "URINE") & (v > 5),
        "PYURIA": (code == "WBC") & (spec == "URINE") & (v > 5),
        "PROTEIN": (code == "PROTCRT") & (v.round(6) > proteinuria_g_g),
        "UCASTS": (code == "CSRBC") & (pl.col("LBSTRESC") == "POSITIVE"),
    }
    measured = pl.col("LBSTRESN").is_not_null() | pl.col("LBSTRESC").is_not_null()
    tested = {
        "C3": code == "C3",
        "C4": code == "C4",
        "DNABIND": code == "DDNAIGAB",
        "THROMBO": code == "PLAT",
        "LEUKOPEN": (code == "WBC") & (spec == "BLOOD"),
        "HEMATUR": (code == "RBC") & (spec == "URINE"),
        "PYURIA": (code == "WBC") & (spec == "URINE"),
        "PROTEIN": code == "PROTCRT",
        "UCASTS": code == "CSRBC",
    }
    lab = labs.select(
        by,
        "LBDY",
        *[e.fill_null(False).alias(f"LAB_{k}") for k, e in flags.items()],
        *[(e & measured).fill_null(False).alias(f"_M_{k}") for k, e in tested.items()],
    )
    keys = assessments.select(by, day).unique()
    joined = (
        keys.join(lab, on=by, how="inner")
        .filter(pl.col("LBDY").is_between(pl.col(day) - window_days, pl.col(day)))
        .group_by(by, day)
        .agg(
            *[pl.col(f"LAB_{k}").any() for k in flags],
            *[pl.col(f"_M_{k}").any() for k in tested],
        )
    )
    out = assessments.join(joined, on=[by, day], how="left", maintain_order="left")
    known = {k: pl.col(f"_M_{k}").fill_null(False) for k in tested}
    known["LOWCOMP"] = known.pop("C3") & known.pop("C4")
    return out.with_columns(
        pl.when(pl.col(f"LAB_{k}").fill_null(False))
        .then(True)
        .when(known[k])
        .then(False)
        .alias(f"LAB_{k}")
        for k in flags
    ).drop([f"_M_{k}" for k in tested])


def propose_vs_fever(
    assessments: pl.DataFrame,
    vs: pl.DataFrame,
    *,
    by: str = "USUBJID",
    day: str = "ADY",
    window_days: int = 10,
    fever_c: float = DEFAULTS.sledai_fever_c,
) -> pl.DataFrame:
    """Propose the SLEDAI-2K descriptor ``FEVER`` from vital signs: ``VS_FEVER`` true when a
    body temperature (``VSTESTCD`` "TEMP", °C) strictly above ``fever_c`` was recorded in
    ``[day - window_days, day]`` (Gladman 2002: "Fever: > 38 °C. Exclude infectious
    aetiology"; "at the time of the visit or in the preceding 10 days"), false when
    temperatures were recorded there without one, null when none was recorded.

    A *proposal*: excluding infection needs the investigator, whose QS descriptor remains the
    record (``derive_all(sledai_fever_from_vs=True)`` uses it only where the descriptor is missing).
    Input ``vs``: ``by``, ``VSDY``, ``VSTESTCD``, ``VSSTRESN`` (or ``VSORRES``) in °C.
    """
    require_columns(assessments, [by, day], "propose_vs_fever")
    value = "VSSTRESN" if "VSSTRESN" in vs.columns else "VSORRES"
    require_columns(vs, [by, "VSDY", "VSTESTCD", value], "propose_vs_fever", "clean VS")
    temp = vs.filter(pl.col("VSTESTCD") == "TEMP").select(
        by, "VSDY", pl.col(value).cast(pl.Float64, strict=False).alias("_T")
    )
    keys = assessments.select(by, day).unique()
    fever = (
        keys.join(temp.filter(pl.col("_T").is_not_null()), on=by, how="inner")
        .filter(pl.col("VSDY").is_between(pl.col(day) - window_days, pl.col(day)))
        .group_by(by, day)
        .agg((pl.col("_T").round(6) > fever_c).any().alias("VS_FEVER"))
    )
    return assessments.join(fever, on=[by, day], how="left", maintain_order="left")
