"""Validation rules of issue #18 that read descriptive columns or more than one domain.

Kept apart from :mod:`sle_car.validate` (which calls them) so that both engines — one pass
(:func:`sle_car.validate.validate_study`) and batches of subjects
(:func:`sle_car.batched.validate_clean`) — run them through the same functions. Every rule
is within one subject, so a batch of whole subjects sees all it needs.

1. **Optional descriptive columns** (:func:`soften_descriptive`): a column marked
   ``describe(..., descriptive=True)`` in ``data_schemas`` (DM.LNCLASS, DM.LNBXDY, the XP
   columns but its keys, the verbatim terms AE.AETERM and DS.DSTERM) feeds no endpoint,
   population or safety count. An invalid value there is
   blanked, the record kept, and the report lists it as a ``warning`` naming file, row,
   column, value and what was done. Before issue #18 such a value set the record aside (for DM:
   the whole patient, by rule R6). An error in any other column of the same record still sets
   it aside (the descriptive problem then stays an error: nothing was blanked).
2. **Disposition milestones, product and infusion** (:func:`milestone_rules`): all
   ``warning`` (data_schemas/CONTRACT_18.md §6). None of them can tell which record is wrong,
   and setting one aside would lose the infusion (day 0) or silently change the flow; the
   report asks the site to resolve it. A patient with the infusion milestone and no EX
   infusion is excluded from the analysis populations (no dose, no day 0), and the flow says
   so in its "Infused" box (:func:`sle_car.population.flow_counts`), so that its boxes still
   add up: the patient never vanishes silently.
3. **Nephritis class without nephritis** (:func:`domain_rules`): DM.LNCLASS filled while
   LNFL = N contradicts itself; LNCLASS is descriptive, so it is blanked with a warning.
4. **Row checks named in words** (:func:`explain_check`): a schema's row check (e.g. XP
   ``result_ok``) is explained by its description and the columns it reads
   (``data_schemas.CHECK_COLUMNS``), never by its bare function name.
5. **An optional domain file with a header and no rows** (:func:`no_rows`): one warning.
"""

from __future__ import annotations

import polars as pl

from data_schemas import CHECK_COLUMNS, RAW_DOMAINS, descriptive_columns
from sle_car.io import ROW

INFUSION = "CD19 CAR T CELLS"
"""EXTRT of the CAR-T infusion (as in :func:`sle_car.validate._cross_domain`)."""
MILESTONE = "PROTOCOL MILESTONE"
INFUSED = "CAR T CELLS INFUSED"
MANUFACTURED = "CAR T PRODUCT MANUFACTURED"
FAILED = "CAR T MANUFACTURING FAILED"
MILESTONE_RANK = {
    "INFORMED CONSENT OBTAINED": 0,
    "ENTERED INTO TRIAL": 1,
    "APHERESIS PERFORMED": 1,
    MANUFACTURED: 2,
    FAILED: 2,
    "LYMPHODEPLETION STARTED": 3,
    INFUSED: 4,
}
"""Protocol order of the milestones (study protocol, schedule of the cell-therapy steps):
consent <= apheresis <= manufacturing <= lymphodepletion <= infusion, each ``<=`` (two steps
may fall on the same day). Entry into the trial (eligibility confirmed) shares apheresis's
rank: trials differ on which comes first, so they are not compared with each other."""
CELL_THERAPY_STEPS = [
    "APHERESIS PERFORMED",
    MANUFACTURED,
    FAILED,
    "LYMPHODEPLETION STARTED",
    INFUSED,
]
"""Milestones of the cell-therapy steps (issue #18): a subject with any of them is expected
to have CAR T CELLS INFUSED beside an EX infusion."""
ORDER_TEXT = "consent ≤ apheresis ≤ manufacturing ≤ lymphodepletion ≤ infusion"

DOMAIN_CONTENT = {
    "ae": "adverse events",
    "vs": "vital signs",
    "cm": "concomitant and prior medications",
    "ds": "disposition (milestones and end of study)",
    "xp": "product characteristics",
}
"""What each optional domain holds, in words (for :func:`no_rows`)."""


def _report(rows: pl.DataFrame, file: str, column: str, rule: str, message: pl.Expr, value):
    from sle_car.validate import _issues

    return _issues(file, rows, column, rule, "warning", message, value=value)


def _empty():
    from sle_car.validate import empty_report

    return empty_report()


# --- 1. optional descriptive columns ------------------------------------------------------------
def soften_descriptive(
    name: str, typed: pl.DataFrame | None, report: pl.DataFrame
) -> tuple[pl.DataFrame | None, pl.DataFrame]:
    """Blank every invalid value of an optional descriptive column of domain ``name`` and turn
    its error into a warning saying so; ``(typed, report)`` with the cells blanked.

    An error is softened when its column is descriptive (``descriptive_columns``), or it is a
    row check whose columns (``data_schemas.CHECK_COLUMNS``) are all descriptive (then all of
    them are blanked: a product result in the wrong unit loses its value and its unit), and the
    same record has no other error (it is set aside anyway: nothing is blanked)."""
    if typed is None or report.height == 0:
        return typed, report
    model = RAW_DOMAINS[name]
    cols = set(descriptive_columns(model))
    if not cols:
        return typed, report
    checks = {c: v for c, v in CHECK_COLUMNS.get(model.Config.name, {}).items() if set(v) <= cols}
    error = (pl.col("severity") == "error") & pl.col("row").is_not_null()
    desc = error & (
        pl.col("column").is_in(sorted(cols)).fill_null(False)
        | (pl.col("column").is_null() & pl.col("rule").is_in(list(checks)))
    )
    report = report.with_row_index("_i")
    hard = report.filter(error & desc.not_())["row"].unique()
    soft = report.filter(desc & pl.col("row").is_in(hard.implode()).not_())
    if soft.height == 0:
        return typed, report.drop("_i")
    first = {c: v[0] for c, v in checks.items()}
    soft = soft.with_columns(
        pl.when(pl.col("column").is_null())
        .then(pl.col("rule").replace_strict(checks, default=None, return_dtype=pl.List(pl.String)))
        .otherwise(pl.concat_list(pl.col("column")))
        .alias("_cols"),
        pl.coalesce(pl.col("column"), pl.col("rule").replace_strict(first, default=None)).alias(
            "column"
        ),
    )
    # a row check's value: its columns' values ("XPORRES=92, XPSTRESN=120"), not the record
    values = pl.concat(
        [
            typed.select(
                pl.col(ROW).alias("row"),
                pl.lit(check).alias("rule"),
                pl.concat_str(
                    [pl.format(f"{c}={{}}", pl.col(c).cast(pl.String).fill_null("")) for c in cs],
                    separator=", ",
                ).alias("_v"),
            )
            for check, cs in checks.items()
        ]
        or [pl.DataFrame(schema={"row": pl.Int64, "rule": pl.String, "_v": pl.String})]
    )
    soft = soft.join(values, on=["row", "rule"], how="left").with_columns(
        pl.when(pl.col("rule").is_in(list(checks)))
        .then(pl.col("_v"))
        .otherwise(pl.col("value"))
        .alias("value"),
        pl.when(pl.col("rule") == "not_nullable")
        .then(
            pl.format(
                "{} is empty; fill it in the source. The record is kept without it: {} is "
                "descriptive (no endpoint is derived from it; a table showing it reads "
                "'not recorded')",
                pl.col("column"),
                pl.col("column"),
            )
        )
        .otherwise(
            pl.format(
                "{}; blanked ({}) and the record kept: descriptive columns (no endpoint is "
                "derived from them; a table showing them reads 'not recorded')",
                pl.col("message"),
                pl.col("_cols").list.join(", "),
            )
        )
        .alias("message"),
        pl.lit("warning").alias("severity"),
    )
    blank = soft.select("row", "_cols").explode("_cols")
    typed = typed.with_columns(
        pl.when(pl.col(ROW).is_in(blank.filter(pl.col("_cols") == c)["row"].implode()))
        .then(pl.lit(None, dtype=typed.schema[c]))
        .otherwise(pl.col(c))
        .alias(c)
        for c in sorted(set(blank["_cols"].to_list()))
    )
    kept = report.filter(pl.col("_i").is_in(soft["_i"].implode()).not_()).drop("_i")
    return typed, pl.concat([kept, soft.select(kept.columns)])


# --- 3. rules within one domain ---------------------------------------------------------------
def domain_rules(name: str, file: str, typed: pl.DataFrame) -> pl.DataFrame:
    """Rules within one record of ``name`` that the schema cannot state column by column.

    DM: LNCLASS (ISN/RPS 2003 class of a lupus nephritis biopsy) filled while LNFL = N (no
    biopsy-proven lupus nephritis) is a contradiction. Reported as an ``error`` on LNCLASS,
    which :func:`soften_descriptive` turns into a warning and a blank cell (LNFL, which the
    renal analyses read, is kept as reported). The biopsy day LNBXDY of that biopsy goes with
    its class: when it is filled too it gets the same error, so that both are blanked (a
    biopsy day without its class describes nothing). A biopsy day with LNFL = N and a blank
    LNCLASS is the same contradiction and gets the same error (session 6 data review)."""
    from sle_car.validate import _issues

    if name != "dm" or not {"LNFL", "LNCLASS"} <= set(typed.columns):
        return _empty()
    bad = typed.filter((pl.col("LNFL") == "N") & pl.col("LNCLASS").is_not_null())
    parts = [
        _issues(
            file,
            bad,
            "LNCLASS",
            "lnclass_without_nephritis",
            "error",
            "a lupus nephritis class is given while LNFL = N (no lupus nephritis); correct "
            "LNFL or LNCLASS in the source",
        )
    ]
    if "LNBXDY" in typed.columns:
        day = typed.filter((pl.col("LNFL") == "N") & pl.col("LNBXDY").is_not_null())
        parts.append(
            _issues(
                file,
                day,
                "LNBXDY",
                "lnclass_without_nephritis",
                "error",
                pl.when(pl.col("LNCLASS").is_not_null())
                .then(
                    pl.lit(
                        "the day of a nephritis biopsy is given while LNFL = N (no lupus "
                        "nephritis); it goes with the class LNCLASS, which is blanked; correct "
                        "LNFL, or LNCLASS and LNBXDY, in the source"
                    )
                )
                .otherwise(
                    pl.lit(
                        "the day of a nephritis biopsy is given while LNFL = N (no lupus "
                        "nephritis) and no class LNCLASS; correct LNFL, or LNBXDY, in the source"
                    )
                ),
            )
        )
    return pl.concat(parts)


# --- 4. row checks in words -------------------------------------------------------------------
def explain_check(model_name: str, check: str) -> str | None:
    """A row check of schema ``model_name`` in words: the columns it reads and its
    description, e.g. "XPORRES, XPSTRESN: result allowed for the characteristic (...) is not
    met; correct the value". None for a check with no registered columns."""
    columns = CHECK_COLUMNS.get(model_name, {}).get(check)
    if columns is None:
        return None
    model = next((m for m in RAW_DOMAINS.values() if m.Config.name == model_name), None)
    words = check.replace("_", " ")
    if model is not None:
        for c in model.to_schema().checks:
            if c.name == check and c.description:
                words = c.description
    return f"{', '.join(columns)}: the rule '{words}' is not met; correct the value in the source"


# --- 5. an optional domain with no rows -------------------------------------------------------
def no_rows(file: str, name: str) -> pl.DataFrame:
    """One warning for an optional domain whose file has a header and no rows."""
    from sle_car.validate import REPORT_COLUMNS

    what = DOMAIN_CONTENT.get(name, name.upper())
    row = (file, None, None, None, "domain_no_rows", "warning", f"{file} has no rows: {what} "
           "treated as not collected (results that need it are not evaluable)")  # fmt: skip
    return pl.DataFrame([row], schema=REPORT_COLUMNS, orient="row")


# --- 2. milestones, product and infusion ------------------------------------------------------
def _frame(domains: dict, name: str, columns: list[str]) -> pl.DataFrame:
    """``domains[name]`` restricted to ``columns`` (with ``_ROW``); empty when the domain is
    absent or lacks a column, so that one pass and every batch see the same thing."""
    df = domains.get(name)
    if df is None or not set(columns) <= set(df.columns):
        schema = {ROW: pl.Int64, **dict.fromkeys(columns, pl.String)}
        if name == "ds":
            schema["DSSTDY"] = pl.Int64
        return pl.DataFrame(schema=schema)
    return df.select(ROW, *columns)


def milestone_rules(v_files: dict[str, str], domains: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The DS protocol milestones, the XP manufacturing result and the EX infusion agree
    (all ``warning``; CONTRACT_18.md §6):

    - ``milestone_order``: a milestone's day is before that of a milestone earlier in the
      protocol (:data:`MILESTONE_RANK`; same day allowed);
    - ``milestone_infusion_day``: CAR T CELLS INFUSED not on day 0 (day 0 is the infusion);
    - ``infusion_without_milestone``: an EX infusion for a subject whose DS has cell-therapy
      milestones (:data:`CELL_THERAPY_STEPS`) but not CAR T CELLS INFUSED (a subject with
      consent or entry alone, or none: not collected for them);
    - ``milestone_without_infusion``: CAR T CELLS INFUSED in DS and no EX infusion;
    - ``failure_but_infused``: a manufacturing failure (XP MFGRES = FAILURE, or the DS
      milestone CAR T MANUFACTURING FAILED) for a subject with an EX infusion;
    - ``manufacturing_disagrees``: XP MFGRES says FAILURE while DS has only CAR T PRODUCT
      MANUFACTURED, or SUCCESS while DS has only CAR T MANUFACTURING FAILED."""
    ds = _frame(domains, "ds", ["USUBJID", "DSCAT", "DSDECOD", "DSSTDY"])
    ex = _frame(domains, "ex", ["USUBJID", "EXTRT"])
    xp = _frame(domains, "xp", ["USUBJID", "XPTESTCD", "XPORRES"])
    ms = ds.filter(
        (pl.col("DSCAT") == MILESTONE) & pl.col("DSDECOD").is_in(list(MILESTONE_RANK))
    ).with_columns(
        pl.col("DSDECOD").replace_strict(MILESTONE_RANK, return_dtype=pl.Int64).alias("_RANK")
    )
    infused = ex.filter(pl.col("EXTRT") == INFUSION)["USUBJID"].unique().drop_nulls()
    parts = [_empty()]
    ds_file, ex_file, xp_file = v_files.get("ds"), v_files.get("ex"), v_files.get("xp")
    if ms.height:
        earlier = (
            ms.join(ms, on="USUBJID", suffix="_E")
            .filter((pl.col("_RANK_E") < pl.col("_RANK")) & (pl.col("DSSTDY_E") > pl.col("DSSTDY")))
            .sort(ROW, "DSSTDY_E", f"{ROW}_E", descending=[False, True, False])
            .unique(ROW, keep="first", maintain_order=True)
        )
        parts.append(
            _report(
                earlier,
                ds_file,
                "DSSTDY",
                "milestone_order",
                pl.format(
                    "{} on day {} is before {} on day {} (row {}): the protocol order is "
                    f"{ORDER_TEXT}; correct DSSTDY (or DSDECOD) in the source",
                    pl.col("DSDECOD"),
                    pl.col("DSSTDY"),
                    pl.col("DSDECOD_E"),
                    pl.col("DSSTDY_E"),
                    pl.col(f"{ROW}_E"),
                ),
                pl.col("DSSTDY"),
            )
        )
        parts.append(
            _report(
                ms.filter((pl.col("DSDECOD") == INFUSED) & (pl.col("DSSTDY") != 0)),
                ds_file,
                "DSSTDY",
                "milestone_infusion_day",
                pl.lit(
                    f"{INFUSED} must be on day 0 (the CAR-T infusion defines study day 0, as in "
                    "EX); correct DSSTDY or recompute study days from the infusion date"
                ),
                pl.col("DSSTDY"),
            )
        )
        # subjects whose DS records the cell-therapy steps (consent and entry are older,
        # generic milestones: a cut with only those did not collect the infusion milestone)
        steps = ms.filter(pl.col("DSDECOD").is_in(CELL_THERAPY_STEPS))
        with_ms = steps["USUBJID"].unique().implode()
        ds_inf = ms.filter(pl.col("DSDECOD") == INFUSED)
        parts.append(
            _report(
                ex.filter(
                    (pl.col("EXTRT") == INFUSION)
                    & pl.col("USUBJID").is_in(with_ms)
                    & pl.col("USUBJID").is_in(ds_inf["USUBJID"].implode()).not_()
                ),
                ex_file,
                "EXTRT",
                "infusion_without_milestone",
                pl.lit(
                    f"EX records the CAR-T infusion but DS has no '{INFUSED}' milestone for this "
                    "subject (it has other milestones): the flow would count the patient as not "
                    "infused; add the milestone or correct EX"
                ),
                pl.col("EXTRT"),
            )
        )
        parts.append(
            _report(
                ds_inf.filter(pl.col("USUBJID").is_in(infused.implode()).not_()),
                ds_file,
                "DSDECOD",
                "milestone_without_infusion",
                pl.lit(
                    f"DS records '{INFUSED}' but EX has no CAR-T infusion ({INFUSION}) for this "
                    "subject: without it there is no dose and no day 0, so the patient is "
                    "excluded from every analysis population (the flow shows them as infused, "
                    "'no infusion record (EX): excluded from the analysis'); add the infusion "
                    "(EXTRT, EXDOSE, EXSTDY 0) to EX or correct DS"
                ),
                pl.col("DSDECOD"),
            )
        )
        parts.append(
            _report(
                ms.filter(
                    (pl.col("DSDECOD") == FAILED) & pl.col("USUBJID").is_in(infused.implode())
                ),
                ds_file,
                "DSDECOD",
                "failure_but_infused",
                pl.lit(
                    f"DS records '{FAILED}' but EX records a CAR-T infusion for this subject; "
                    f"if a second manufacturing run succeeded, record '{MANUFACTURED}' too, "
                    "otherwise correct DS or EX"
                ),
                pl.col("DSDECOD"),
            )
        )
    mfg = xp.filter(pl.col("XPTESTCD") == "MFGRES")
    if mfg.height:
        parts.append(
            _report(
                mfg.filter(
                    (pl.col("XPORRES") == "FAILURE") & pl.col("USUBJID").is_in(infused.implode())
                ),
                xp_file,
                "XPORRES",
                "failure_but_infused",
                pl.lit(
                    "XP records a manufacturing FAILURE (MFGRES) but EX records a CAR-T infusion "
                    "for this subject; correct XP (SUCCESS if the infused product was released) "
                    "or EX"
                ),
                pl.col("XPORRES"),
            )
        )
        steps = (
            ms.filter(pl.col("DSDECOD").is_in([MANUFACTURED, FAILED]))
            .group_by("USUBJID")
            .agg(
                (pl.col("DSDECOD") == MANUFACTURED).any().alias("_OK"),
                (pl.col("DSDECOD") == FAILED).any().alias("_FAIL"),
            )
        )
        x = mfg.join(steps, on="USUBJID", how="inner", maintain_order="left").filter(
            ((pl.col("XPORRES") == "FAILURE") & pl.col("_OK") & pl.col("_FAIL").not_())
            | ((pl.col("XPORRES") == "SUCCESS") & pl.col("_FAIL") & pl.col("_OK").not_())
        )
        parts.append(
            _report(
                x,
                xp_file,
                "XPORRES",
                "manufacturing_disagrees",
                pl.format(
                    "XP MFGRES is {} but DS records '{}'; correct XP or DS",
                    pl.col("XPORRES"),
                    pl.when(pl.col("_OK")).then(pl.lit(MANUFACTURED)).otherwise(pl.lit(FAILED)),
                ),
                pl.col("XPORRES"),
            )
        )
    return pl.concat(parts)


# --- 6. a subject without any disposition record ------------------------------------------
NO_DISPOSITION = (
    "no disposition or milestone record for this subject (other subjects have DS records): "
    "their end-of-study status will read 'not recorded' and their milestones 'not collected'; "
    "add the subject's DS records in the source, or confirm that none exist"
)


def subjects_without_disposition(
    ds_file: str | None, dm: pl.DataFrame | None, ds_subjects: pl.Series | None
) -> pl.DataFrame:
    """One ``warning`` (rule ``no_disposition``) per DM subject with no DS row while DS has
    rows of other subjects: a DS collected for the cut but missing for one patient reads as
    'not recorded' end of study in the flow (CONTRACT_18.md §6: a missing milestone is
    shown as not collected, never assumed), so the data manager is told which subject.
    ``ds_subjects``: the USUBJID of every DS row (of the whole file, in the batched engine).
    A cut without DS rows is the domain-level warning of :func:`no_rows`."""
    if ds_file is None or dm is None or ds_subjects is None or ds_subjects.len() == 0:
        return _empty()
    if "USUBJID" not in dm.columns:
        return _empty()
    missing = (
        dm.select(pl.col("USUBJID").drop_nulls().unique().sort())
        .filter(pl.col("USUBJID").is_in(ds_subjects.drop_nulls().implode()).not_())
        .with_columns(pl.lit(None, dtype=pl.Int64).alias(ROW))
    )
    from sle_car.validate import _issues

    return _issues(ds_file, missing, "USUBJID", "no_disposition", "warning", NO_DISPOSITION)
