"""Cleaning: repair what has a documented rule, set aside what cannot be used, and reconcile.

Rules, applied in this order to each domain (their numbers appear in the quarantine reasons):

- R1 strip leading and trailing whitespace from every text value;
- R2 read a decimal comma as a decimal point (``"0,85"`` -> 0.85);
- R3 drop exact duplicate rows, keeping the first (each copy is listed, not silently lost);
- R4 set aside (quarantine) every row with a validation ``error``, with all its reasons;
- R5 LB: convert numeric results and normal ranges to the test's standard unit with the
  factors in ``data_schemas.codelists`` (e.g. complement mg/dL x 0.01 -> g/L);
- R6 set aside every row of a subject whose DM row is set aside (or who is not in DM), so
  that every clean row belongs to a subject of the clean DM.

A domain whose columns do not match the contract is set aside as a whole and written as an
empty table with its schema.

Nothing is dropped silently: for every domain, rows in = rows kept + rows set aside, and the
reconciliation table says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data_schemas import LBClean
from data_schemas import codelists as cl
from sle_car import schema_screen
from sle_car.io import ROW
from sle_car.validate import Validation, validate_study


@dataclass
class Cleaned:
    domains: dict[str, pl.DataFrame]
    """Clean domains (without ``_ROW``); LB with standard-unit columns."""
    quarantine: pl.DataFrame
    """Rows set aside: domain, file, row, reasons."""
    reconciliation: pl.DataFrame
    """domain, rows_in, rows_kept, rows_set_aside, balanced."""
    validation: Validation
    set_aside: pl.DataFrame = None  # type: ignore[assignment]
    """One row per (row set aside, rule): domain, file, row, rule, severity."""
    clean_dir: Path | None = None
    """Where the batched engine (:func:`sle_car.batched.validate_clean`) already wrote the
    clean domains; ``domains`` is then empty (no domain is ever whole in memory)."""


def standardise_lb(lb: pl.DataFrame) -> pl.DataFrame:
    """R5: add LBSTRESN/LBSTRESC/LBSTRESU/LBSTNRLO/LBSTNRHI in the standard unit."""
    factors = cl.unit_factors()
    x = lb.join(factors, on=["LBTESTCD", "LBSPEC", "LBORRESU"], how="left", maintain_order="left")
    num = pl.col("LBORRES").str.replace(",", ".").cast(pl.Float64, strict=False)
    return x.with_columns(
        (num * pl.col("_F")).round(6).alias("LBSTRESN"),
        pl.when(pl.col("_F").is_null())
        .then(pl.col("LBORRES"))
        .otherwise((num * pl.col("_F")).round(6).cast(pl.String))
        .alias("LBSTRESC"),
        pl.col("_SU").alias("LBSTRESU"),
        (pl.col("LBORNRLO") * pl.col("_F")).round(6).alias("LBSTNRLO"),
        (pl.col("LBORNRHI") * pl.col("_F")).round(6).alias("LBSTNRHI"),
    ).drop("_F", "_SU")


SET_ASIDE_COLUMNS = {
    "domain": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    "rule": pl.String,
    "severity": pl.String,
}
R6 = "subject_set_aside"
"""Rule name of R6 in the set-aside summary."""


def empty_clean_domain(name: str) -> pl.DataFrame:
    """The clean table of domain ``name`` with no rows, in its schema's column types: what is
    written for a domain set aside as a whole, so that derivation reads an empty domain
    instead of failing on a missing file."""
    from data_schemas import RAW_DOMAINS

    model = LBClean if name == "lb" else RAW_DOMAINS[name]
    return pl.DataFrame(schema={c: col.dtype.type for c, col in model.to_schema().columns.items()})


def clean_study(data_dir: Path | str, validation: Validation | None = None) -> Cleaned:
    """Validate ``data_dir`` (unless given) and apply the cleaning rules R1-R6.

    R6: a subject whose DM row is set aside (or whose DM is set aside as a whole) takes their
    rows in every domain with them, each with that reason, so that every clean row belongs to
    a subject of the clean DM. A domain set aside as a whole (its columns do not match the
    contract) gives an empty clean table with its schema; ``reconciliation`` shows it as
    ``rows_kept`` 0.

    This is the in-memory engine (every domain whole, for the notebooks and tests); the
    pipeline and ``sle-car derive`` use :func:`sle_car.batched.validate_clean`, which gives
    the same outcome in batches of subjects (a validation it produced is returned as is).
    """
    from sle_car.io import EmptyDomainFile, domain_file, read_domain

    if validation is not None and validation.cleaned is not None:
        return validation.cleaned  # the batched engine cleaned while it validated
    v = validation or validate_study(data_dir)
    errors = v.report.filter(pl.col("severity") == "error")
    # a manifest mismatch is a problem of the cut, not of a domain's rows: it never sets rows
    # aside (validation reports it as an error unless accepted)
    row_errors = errors.filter(pl.col("rule") != "manifest")
    dup = v.report.filter(pl.col("rule") == "duplicate_row")
    kept: dict[str, pl.DataFrame] = {}
    aside = []
    rules = []
    recon = []
    subjects: pl.Series | None = None  # USUBJID kept in DM
    for name in sorted(v.files, key=lambda n: n != "dm"):  # DM first: R6 needs its outcome
        file = v.files[name]
        df = v.domains.get(name)
        file_errors = row_errors.filter((pl.col("file") == file) & pl.col("row").is_null())
        if df is None or file_errors.height:
            try:
                raw = read_domain(domain_file(Path(data_dir), name))
            except EmptyDomainFile:  # an optional domain with a header only: no row to list
                raw = pl.DataFrame(schema={ROW: pl.Int64})
            a, r = set_aside_whole(name, file, raw.select(ROW), file_errors)
            aside.append(a)
            rules.append(r)
            kept[name] = empty_clean_domain(name)
            recon.append((name, raw.height, 0, raw.height))
            if name == "dm":
                subjects = pl.Series("USUBJID", [], dtype=pl.String)
            continue
        good, a, r = clean_rows(name, file, df, row_errors, dup, subjects)
        aside.append(a)
        rules.append(r)
        if name == "dm":
            subjects = good["USUBJID"].unique()
        kept[name] = good
        recon.append((name, df.height, good.height, a.height))
    kept = {name: kept[name] for name in v.files}  # the domains' usual order
    recon = sorted(recon, key=lambda r: list(v.files).index(r[0]))
    quarantine = pl.concat(aside).sort("domain", "row") if aside else pl.DataFrame()
    set_aside = (
        pl.concat([r.cast(SET_ASIDE_COLUMNS) for r in rules]).unique().sort("domain", "row", "rule")
        if rules
        else pl.DataFrame(schema=SET_ASIDE_COLUMNS)
    )
    reconciliation = pl.DataFrame(
        recon,
        schema={
            "domain": pl.String,
            "rows_in": pl.Int64,
            "rows_kept": pl.Int64,
            "rows_set_aside": pl.Int64,
        },
        orient="row",
    ).with_columns(
        (pl.col("rows_in") == pl.col("rows_kept") + pl.col("rows_set_aside")).alias("balanced")
    )
    if not reconciliation["balanced"].all():  # a bug, never a data problem
        raise AssertionError(f"row counts do not reconcile:\n{reconciliation}")
    return Cleaned(kept, quarantine, reconciliation, v, set_aside)


def set_aside_whole(
    name: str, file: str, rows: pl.DataFrame, file_errors: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A domain set aside as a whole: its quarantine rows and set-aside rules, for the rows
    ``rows`` (a frame with ``_ROW``) and the domain's file-level errors ``file_errors``."""
    reason = "; ".join(file_errors["message"].to_list()) or "file does not match the contract"
    aside = rows.select(
        pl.lit(name).alias("domain"),
        pl.lit(file).alias("file"),
        pl.col(ROW).alias("row"),
        pl.lit(f"domain set aside as a whole: {reason}").alias("reasons"),
    )
    file_rules = file_errors["rule"].unique().sort().to_list() or ["missing_column"]
    rules = rows.select(
        pl.lit(name).alias("domain"),
        pl.lit(file).alias("file"),
        pl.col(ROW).alias("row"),
        pl.lit(file_rules).alias("rule"),
        pl.lit("error").alias("severity"),
    ).explode("rule")
    return aside, rules


def clean_rows(
    name: str,
    file: str,
    df: pl.DataFrame,
    row_errors: pl.DataFrame,
    dup: pl.DataFrame,
    subjects: pl.Series | None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Rules R3, R4, R5 and R6 on the validated rows ``df`` (with ``_ROW``) of one domain:
    ``(kept rows without _ROW, quarantine rows, set-aside rules)``. ``row_errors`` and ``dup``
    are the validation report's errors and ``duplicate_row`` rows (any file: those of
    ``file`` are used); ``subjects`` the USUBJID kept in DM (None for DM itself). Works on any
    subset of a domain's subjects: the batched engine (:mod:`sle_car.batched`) calls it per
    batch of subjects, :func:`clean_study` once per domain."""
    row_rules = pl.concat(
        [
            row_errors.filter((pl.col("file") == file) & pl.col("row").is_not_null()).select(
                "row",
                "rule",
                "severity",
                pl.format(
                    "{} ({}: {})",
                    pl.col("message"),
                    pl.col("column").fill_null("row"),
                    pl.col("rule"),
                ).alias("r"),
            ),
            dup.filter(pl.col("file") == file).select(
                "row", "rule", "severity", pl.lit("R3 exact duplicate").alias("r")
            ),
        ]
    )
    if name != "dm" and subjects is not None:  # R6, only for rows not set aside already
        orphans = df.filter(
            pl.col("USUBJID").is_in(subjects.implode()).not_()
            & pl.col(ROW).is_in(row_rules["row"].implode()).not_()
        )
        row_rules = pl.concat(
            [
                row_rules,
                orphans.select(
                    pl.col(ROW).alias("row"),
                    pl.lit(R6).alias("rule"),
                    pl.lit("error").alias("severity"),
                    pl.lit(
                        "R6 subject set aside in DM (or not in DM): all its rows are set aside"
                    ).alias("r"),
                ),
            ]
        )
    rules = row_rules.select(
        pl.lit(name).alias("domain"), pl.lit(file).alias("file"), "row", "rule", "severity"
    ).unique()
    reasons = row_rules.group_by("row").agg(
        pl.col("r").unique().sort().str.join("; ").alias("reasons")
    )
    if reasons.height:
        marked = df.join(reasons, left_on=ROW, right_on="row", how="left", maintain_order="left")
    else:  # nothing to set aside: no copy of the domain
        marked = df.with_columns(pl.lit(None, dtype=pl.String).alias("reasons"))
    out = marked.filter(pl.col("reasons").is_not_null())
    aside = out.select(
        pl.lit(name).alias("domain"),
        pl.lit(file).alias("file"),
        pl.col(ROW).alias("row"),
        "reasons",
    )
    good = marked.filter(pl.col("reasons").is_null()).drop("reasons", ROW)
    if name == "lb":
        good = standardise_lb(good)
        # LBClean.validate, minus a futile key check, screened in one query
        good = schema_screen.validate_model(LBClean, good)
    return good, aside, rules


def set_aside_summary(validation: Validation | None, cleaned: Cleaned) -> pl.DataFrame:
    """Rows set aside per domain and rule: ``domain, rule, severity, rows``.

    A row set aside for two rules counts once under each (so ``rows`` may add up to more
    than the rows set aside; ``Cleaned.reconciliation`` has the row totals). Rules: the
    validation rules with severity ``error`` (e.g. ``malformed_number``, ``codelist``,
    ``missing_column`` for a domain set aside as a whole), ``duplicate_row`` (R3, severity
    ``repairable``) and ``subject_set_aside`` (R6). ``validation`` is accepted for the
    caller's convenience and must be ``cleaned.validation`` when given."""
    if validation is not None and validation is not cleaned.validation:
        raise ValueError("set_aside_summary: the validation is not the one cleaned")
    return (
        cleaned.set_aside.group_by("domain", "rule", "severity")
        .agg(pl.len().cast(pl.Int64).alias("rows"))
        .sort("domain", "rule", "severity")
    )


ROW_GROUP = 100_000
"""Rows per Parquet row group of a clean domain: a fixed number, so that the file's bytes
depend on its rows alone (not on threads, nor on the batches they were cleaned in)."""


def clean_order(df: pl.DataFrame | pl.LazyFrame):
    """The order of a clean domain's rows: by subject, then as in the export (a stable sort).
    Every batch of subjects is then a contiguous run of rows, so that cleaning in batches
    (:mod:`sle_car.batched`) writes the same bytes as one pass. Rows already in that order
    (an export sorted by subject, as most are) are returned as they are: a stable sort would
    not move them (issue 19: the check is one pass, the sort a copy of every column)."""
    if isinstance(df, pl.DataFrame) and df.get_column("USUBJID").is_sorted(nulls_last=True):
        return df
    return df.sort("USUBJID", maintain_order=True, nulls_last=True)


def write_parquet(df: pl.DataFrame | pl.LazyFrame, path: Path) -> None:
    """Write a clean domain (``clean_order`` applied by the caller) with fixed row groups and
    no statistics, so that the same rows give the same bytes however they were produced."""
    df.lazy().sink_parquet(path, statistics=False, row_group_size=ROW_GROUP)


def write_clean(cleaned: Cleaned, out_dir: Path | str) -> None:
    """Write the clean domains (Parquet, rows in ``clean_order``), the quarantine list and the
    reconciliation. Domains the batched engine already wrote (``cleaned.clean_dir``) are
    moved into ``out_dir`` (nothing is moved when it is ``out_dir``)."""
    import shutil

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cleaned.clean_dir is not None:
        src = Path(cleaned.clean_dir)
        if src.resolve() != out.resolve():
            for name in cleaned.reconciliation["domain"]:
                shutil.move(src / f"{name}.parquet", out / f"{name}.parquet")
            cleaned.clean_dir = out
    for name, df in cleaned.domains.items():
        write_parquet(clean_order(df), out / f"{name}.parquet")
    cleaned.quarantine.write_csv(out / "quarantine.csv")
    cleaned.reconciliation.write_csv(out / "reconciliation.csv")
