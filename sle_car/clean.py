"""Cleaning: repair what has a documented rule, set aside what cannot be used, and reconcile.

Rules, applied in this order to each domain (their numbers appear in the quarantine reasons):

- R1 strip leading and trailing whitespace from every text value;
- R2 read a decimal comma as a decimal point (``"0,85"`` -> 0.85);
- R3 drop exact duplicate rows, keeping the first (each copy is listed, not silently lost);
- R4 set aside (quarantine) every row with a validation ``error``, with all its reasons;
- R5 LB: convert numeric results and normal ranges to the test's standard unit with the
  factors in ``data_schemas.codelists`` (e.g. complement mg/dL x 0.01 -> g/L).

Nothing is dropped silently: for every domain, rows in = rows kept + rows set aside, and the
reconciliation table says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from data_schemas import LBClean
from data_schemas import codelists as cl
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


def standardise_lb(lb: pl.DataFrame) -> pl.DataFrame:
    """R5: add LBSTRESN/LBSTRESC/LBSTRESU/LBSTNRLO/LBSTNRHI in the standard unit."""
    factors = cl.unit_factors()
    x = lb.join(factors, on=["LBTESTCD", "LBSPEC", "LBORRESU"], how="left")
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


def clean_study(data_dir: Path | str, validation: Validation | None = None) -> Cleaned:
    """Validate ``data_dir`` (unless given) and apply the cleaning rules R1-R5."""
    v = validation or validate_study(data_dir)
    errors = v.report.filter(pl.col("severity") == "error")
    dup = v.report.filter(pl.col("rule") == "duplicate_row")
    kept: dict[str, pl.DataFrame] = {}
    aside = []
    recon = []
    for name, file in v.files.items():
        df = v.domains.get(name)
        file_errors = errors.filter((pl.col("file") == file) & pl.col("row").is_null())
        if df is None or file_errors.height:
            from sle_car.io import domain_file, read_domain

            raw = read_domain(domain_file(Path(data_dir), name))
            reason = (
                "; ".join(file_errors["message"].to_list()) or "file does not match the contract"
            )
            aside.append(
                raw.select(
                    pl.lit(name).alias("domain"),
                    pl.lit(file).alias("file"),
                    pl.col(ROW).alias("row"),
                    pl.lit(reason).alias("reasons"),
                )
            )
            recon.append((name, raw.height, 0, raw.height))
            continue
        reasons = (
            pl.concat(
                [
                    errors.filter(pl.col("file") == file).select(
                        "row",
                        pl.format(
                            "{} ({}: {})",
                            pl.col("message"),
                            pl.col("column").fill_null("row"),
                            pl.col("rule"),
                        ).alias("r"),
                    ),
                    dup.filter(pl.col("file") == file).select(
                        "row", pl.lit("R3 exact duplicate").alias("r")
                    ),
                ]
            )
            .group_by("row")
            .agg(pl.col("r").unique().sort().str.join("; ").alias("reasons"))
        )
        if reasons.height:
            marked = df.join(
                reasons, left_on=ROW, right_on="row", how="left", maintain_order="left"
            )
        else:  # nothing to set aside: no copy of the domain
            marked = df.with_columns(pl.lit(None, dtype=pl.String).alias("reasons"))
        out = marked.filter(pl.col("reasons").is_not_null())
        aside.append(
            out.select(
                pl.lit(name).alias("domain"),
                pl.lit(file).alias("file"),
                pl.col(ROW).alias("row"),
                "reasons",
            )
        )
        good = marked.filter(pl.col("reasons").is_null()).drop("reasons")
        if name == "lb":
            good = LBClean.validate(standardise_lb(good.drop(ROW)))
        else:
            good = good.drop(ROW)
        kept[name] = good
        recon.append((name, df.height, good.height, out.height))
    quarantine = pl.concat(aside).sort("domain", "row") if aside else pl.DataFrame()
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
    return Cleaned(kept, quarantine, reconciliation, v)


def write_clean(cleaned: Cleaned, out_dir: Path | str) -> None:
    """Write the clean domains (Parquet), the quarantine list and the reconciliation."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in cleaned.domains.items():
        # one chunk: the file's row groups then depend on the rows alone, not on how many
        # threads parsed the CSV, so the bytes are the same on every machine
        df.rechunk().write_parquet(out / f"{name}.parquet", statistics=False)
    cleaned.quarantine.write_csv(out / "quarantine.csv")
    cleaned.reconciliation.write_csv(out / "reconciliation.csv")
