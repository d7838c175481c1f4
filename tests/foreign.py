"""Data cuts shaped like a real export, built from the bundled cohort for the pipeline tests.

A real cut is not the simulator's output: instruments and parameters were not collected,
visits fall between protocol days, follow-up is short, and the manifest is the documented
minimal one (file -> SHA-256, no generator keys). :func:`foreign_cut` makes such a cut.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl

from sle_car.paths import synthetic_dir

DAY = {"ae": "AESTDY", "cm": "CMSTDY", "ds": "DSSTDY", "lb": "LBDY", "qs": "QSDY", "vs": "VSDY"}


def foreign_cut(
    dst: Path,
    *,
    drop_lb: tuple[str, ...] = (),
    drop_qscat: tuple[str, ...] = (),
    shift_visits: int = 0,
    follow_up_day: int | None = None,
    manifest: str = "documented",
    label: str | None = "external test cut",
    drop_domains: tuple[str, ...] = (),
    drop_dm_columns: tuple[str, ...] = (),
    drop_dsdecod: tuple[str, ...] = (),
) -> Path:
    """Copy the bundled cohort to ``dst`` without the LB tests ``drop_lb`` and the QS
    categories ``drop_qscat``; move every post-infusion visit day by ``shift_visits`` days
    (off the protocol day, inside its window); drop records after ``follow_up_day``; write a
    manifest that is ``"documented"`` (files + label), ``"flat"`` (file -> SHA-256 only) or
    ``"none"``. Issue #18 optional data: ``drop_domains`` leaves out whole domain files
    (e.g. ``("xp",)``), ``drop_dm_columns`` DM columns (``("LNCLASS", "LNBXDY")``) and
    ``drop_dsdecod`` DS records by DSDECOD (e.g. the protocol milestones). Returns ``dst``."""
    src = synthetic_dir()
    dst.mkdir(parents=True, exist_ok=True)
    for path in sorted(src.glob("*.csv")):
        name = path.stem
        if name == "truth" or name in drop_domains:
            continue
        df = pl.read_csv(path, infer_schema=False)
        if name == "lb" and drop_lb:
            df = df.filter(~pl.col("LBTESTCD").is_in(list(drop_lb)))
        if name == "dm" and drop_dm_columns:
            df = df.drop([c for c in drop_dm_columns if c in df.columns])
        if name == "ds" and drop_dsdecod:
            df = df.filter(~pl.col("DSDECOD").is_in(list(drop_dsdecod)))
        if name == "qs" and drop_qscat:
            df = df.filter(~pl.col("QSCAT").is_in(list(drop_qscat)))
        day = DAY.get(name)
        if day and shift_visits and name in {"lb", "qs", "vs"}:
            d = pl.col(day).cast(pl.Int64)
            df = df.with_columns(
                pl.when(d > 14).then(d + shift_visits).otherwise(d).cast(pl.String).alias(day)
            )
        if day and follow_up_day is not None:
            df = df.filter(pl.col(day).cast(pl.Int64) <= follow_up_day)
        if name == "ae" and follow_up_day is not None:
            end = pl.col("AEENDY").cast(pl.Int64)
            df = df.with_columns(
                pl.when(end > follow_up_day).then(None).otherwise(pl.col("AEENDY")).alias("AEENDY")
            )
        if name == "cm" and follow_up_day is not None:
            end = pl.col("CMENDY").cast(pl.Int64)
            df = df.with_columns(
                pl.when(end > follow_up_day).then(None).otherwise(pl.col("CMENDY")).alias("CMENDY")
            )
        df.write_csv(dst / path.name)
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(dst.glob("*.csv"))}
    if manifest == "documented":
        body: dict = {"files": files}
        if label:
            body["label"] = label
        (dst / "manifest.json").write_text(json.dumps(body, indent=2) + "\n")
    elif manifest == "flat":
        (dst / "manifest.json").write_text(json.dumps(files, indent=2) + "\n")
    return dst
