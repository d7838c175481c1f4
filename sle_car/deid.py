"""De-identification of a real export before it enters the analysis.

``deidentify(raw_dir, out_dir, id_map)`` turns an identified export (one CSV per domain, with
calendar dates in ``--DTC`` columns) into the de-identified form the data contract expects:

- every ``--DTC`` date becomes a study day ``--DY`` relative to the subject's CAR-T infusion
  (day 0, taken from EX where EXTRT is the CAR-T product), and the date column is removed;
- subject identifiers (``USUBJID``, ``SUBJID``) become study codes through ``id_map`` (kept
  outside git); a subject without a code stops the run;
- identifying and free-text columns (names, NRIC/MyKad, record numbers, dates of birth,
  comments) are removed;
- finally every remaining value is scanned with the privacy guard; if any identifier remains
  the run refuses to write anything and says where.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sle_car.privacy import scan_text

DROP_COLUMNS = re.compile(
    r"(?i)^(.*NAME.*|.*NRIC.*|.*MYKAD.*|IC|ICNO|.*MRN.*|RN|BRTHDTC|.*COMMENT.*|COVAL.*|.*FREETEXT.*|ADDRESS.*|PHONE.*)$"
)
"""Columns removed outright (identifiers and free text)."""
CART = "CD19 CAR T CELLS"


class DeidError(Exception):
    """De-identification cannot go on; the message says what to fix."""


def deidentify(raw_dir: Path | str, out_dir: Path | str, id_map: dict[str, str]) -> dict[str, int]:
    """De-identify every CSV of ``raw_dir`` into ``out_dir``; returns rows written per file."""
    raw_dir, out_dir = Path(raw_dir), Path(out_dir)
    frames = {
        p.stem: pl.read_csv(p, infer_schema=False, glob=False)
        for p in sorted(raw_dir.glob("*.csv"))
    }
    if "ex" not in frames or "EXSTDTC" not in frames["ex"].columns:
        raise DeidError("ex.csv with EXSTDTC is needed: the infusion date defines study day 0")
    infusion = (
        frames["ex"]
        .filter(pl.col("EXTRT") == CART)
        .select("USUBJID", pl.col("EXSTDTC").str.to_date(strict=False).alias("_D0"))
    )
    if infusion["_D0"].null_count():
        raise DeidError("an infusion date in ex.csv is not an ISO date (YYYY-MM-DD)")
    out: dict[str, pl.DataFrame] = {}
    for name, frame in frames.items():
        df = frame.drop([c for c in frame.columns if DROP_COLUMNS.match(c)])
        for col in [c for c in df.columns if c.endswith("DTC")]:
            day_col = col[:-3] + "DY"
            df = (
                df.join(infusion, on="USUBJID", how="left", maintain_order="left")
                .with_columns(
                    (pl.col(col).str.to_date(strict=False) - pl.col("_D0"))
                    .dt.total_days()
                    .alias(day_col)
                )
                .drop(col, "_D0")
            )
        unknown = (
            sorted(set(df["USUBJID"].to_list()) - set(id_map)) if "USUBJID" in df.columns else []
        )
        if unknown:
            raise DeidError(
                f"{name}.csv: subject(s) {unknown[:5]} have no study code in the id map"
            )
        for col in ("USUBJID", "SUBJID"):
            if col in df.columns:
                df = df.with_columns(pl.col(col).replace_strict(id_map, default=None))
        if "SUBJID" in df.columns:
            df = df.with_columns(pl.col("USUBJID").str.extract(r"-(\d+)$", 1).alias("SUBJID"))
        out[name] = df
    findings = []
    for name, df in out.items():
        text = df.write_csv()
        findings += [f"{name}.csv: {f.kind} {f.text!r}" for f in scan_text(text, name)]
    if findings:
        raise DeidError(
            "identifiers remain after de-identification, nothing written:\n  "
            + "\n  ".join(findings[:20])
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, df in out.items():
        df.write_csv(out_dir / f"{name}.csv")
    return {name: df.height for name, df in out.items()}
