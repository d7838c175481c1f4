"""Messy-export mode: the problems a real export has, injected and listed."""

from __future__ import annotations

import numpy as np
import polars as pl

from data_schemas import codelists as cl


# --- messy export ------------------------------------------------------------------------------
def _as_text(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(pl.all().cast(pl.String))


def inject_problems(
    domains: dict[str, pl.DataFrame], rng: np.random.Generator, per_kind: int = 3
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Inject the problems real exports have; return the damaged domains (all text) and a
    sidecar listing each problem: file, row (spreadsheet row, header = 1), column, kind,
    original and injected value. Kinds: unit_variant (C3/C4 in mg/dL), duplicate_row,
    testcode_typo, out_of_window, missing_value, whitespace, decimal_comma."""
    out = {k: _as_text(v) for k, v in domains.items()}
    log: list[dict] = []

    def pick(df: pl.DataFrame, mask: pl.Expr, k: int) -> list[int]:
        idx = df.with_row_index("_i").filter(mask)["_i"].to_list()
        if not idx:
            return []
        return sorted(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())

    def setv(name: str, i: int, col: str, new: str | None, kind: str) -> None:
        df = out[name]
        old = df[col][i]
        out[name] = df.with_columns(
            pl.when(pl.int_range(pl.len()) == i)
            .then(pl.lit(new, dtype=pl.String))
            .otherwise(pl.col(col))
            .alias(col)
        )
        log.append(
            {
                "file": f"{name}.csv",
                "row": i + 2,
                "column": col,
                "kind": kind,
                "original": old,
                "injected": new,
            }
        )

    lb = out["lb"]
    used: set[tuple[str, int]] = set()

    def fresh(name: str, rows: list[int]) -> list[int]:
        keep = [r for r in rows if (name, r) not in used]
        used.update((name, r) for r in keep)
        return keep

    # complement in mg/dL: value x100, normal range x100
    for i in fresh("lb", pick(lb, pl.col("LBTESTCD").is_in(["C3", "C4"]), per_kind)):
        row = out["lb"].row(i, named=True)
        setv("lb", i, "LBORRES", str(round(float(row["LBORRES"]) * 100, 1)), "unit_variant")
        setv("lb", i, "LBORRESU", "mg/dL", "unit_variant")
        for c in ("LBORNRLO", "LBORNRHI"):
            if row[c] is not None:
                setv("lb", i, c, str(round(float(row[c]) * 100, 1)), "unit_variant")
    for i in fresh("lb", pick(lb, pl.col("LBTESTCD").is_in(["CREAT", "ALB", "PLAT"]), per_kind)):
        code = out["lb"]["LBTESTCD"][i]
        setv("lb", i, "LBTESTCD", code[:-2] + code[-1] + code[-2], "testcode_typo")
    for i in fresh("lb", pick(lb, pl.col("VISIT").str.starts_with("WEEK"), per_kind)):
        setv("lb", i, "LBDY", str(int(out["lb"]["LBDY"][i]) + 30), "out_of_window")
    for i in fresh(
        "lb",
        pick(
            lb,
            pl.col("LBORRES").str.contains(r"^\d+\.\d+$")
            & pl.col("LBTESTCD").is_in(["C3", "C4"]).not_(),
            per_kind,
        ),
    ):
        setv("lb", i, "LBORRES", out["lb"]["LBORRES"][i].replace(".", ","), "decimal_comma")
    for i in fresh("dm", pick(out["dm"], pl.lit(True), 1)):
        setv("dm", i, "SEX", " " + out["dm"]["SEX"][i], "whitespace")
    for i in fresh("vs", pick(out["vs"], pl.col("VSTESTCD") == "TEMP", per_kind)):
        setv("vs", i, "VSORRES", out["vs"]["VSORRES"][i] + " ", "whitespace")
    for i in fresh("ae", pick(out["ae"], pl.lit(True), 1)):
        setv("ae", i, "AESTDY", None, "missing_value")
    for i in fresh("qs", pick(out["qs"], pl.col("QSCAT") == cl.QS_PGA, 1)):
        setv("qs", i, "VISITNUM", None, "missing_value")
    # duplicated rows: appended at the end of the file, exact copies
    for name in ("lb", "vs"):
        df = out[name]
        for i in pick(df, pl.lit(True), per_kind):
            if (name, i) in used:
                continue
            out[name] = pl.concat([out[name], df.slice(i, 1)])
            log.append(
                {
                    "file": f"{name}.csv",
                    "row": out[name].height + 1,
                    "column": None,
                    "kind": "duplicate_row",
                    "original": f"row {i + 2}",
                    "injected": "copy",
                }
            )
    sidecar = pl.DataFrame(
        log,
        schema={
            "file": pl.String,
            "row": pl.Int64,
            "column": pl.String,
            "kind": pl.String,
            "original": pl.String,
            "injected": pl.String,
        },
    )
    return out, sidecar.sort("file", "row", "column", nulls_last=True)
