"""CTCAE laboratory grading benchmark (numbers, not pass/fail): ``grade_lab`` on 1, 10 and 20
million records, each size in its own process so that its peak memory is its own.

    python benchmarks/ctcae_bench.py            # 1, 10, 20 million rows, CTCAE v5.0 and v6.0
    python benchmarks/ctcae_bench.py 1 5        # chosen sizes (millions)

Input: every term of the version (both directions; SI and conventional units, the unit of a
randomly chosen specification row of the term), values spread around each limit (AVAL =
reference x a factor between 0 and 25, or an absolute value between 0 and 200), 5 % missing
ANRLO/ANRHI, 10 % abnormal baseline, fixed seed. Time is the ``grade_lab`` call only (the
input is built first); peak memory (max RSS) is the whole process, input included. Results go
to ``benchmarks/results/ctcae_bench.csv``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl

RESULTS = Path(__file__).parent / "results"

STEP = """
import resource, sys, time, warnings
import numpy as np, polars as pl
from sle_car.instruments import ctcae

n, version = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(17)
spec = ctcae.criteria(version).select("TERM", "DIRECTION", "UNIT").unique().sort("TERM", "DIRECTION", "UNIT", nulls_last=True)
pick = rng.integers(0, spec.height, n)
t = spec[pick]
ref = rng.uniform(1, 150, n)
lo_missing, hi_missing = rng.random(n) < 0.05, rng.random(n) < 0.05
df = pl.DataFrame({
    "ATOXDSCL": t.select(pl.when(pl.col("DIRECTION") == "L").then(pl.col("TERM")))["TERM"],
    "ATOXDSCH": t.select(pl.when(pl.col("DIRECTION") == "H").then(pl.col("TERM")))["TERM"],
    "AVAL": np.where(rng.random(n) < 0.5, ref * rng.uniform(0, 25, n) / 10, rng.uniform(0, 200, n)),
    "AVALU": t["UNIT"].fill_null("U/L"),
    "ANRLO": np.where(lo_missing, np.nan, ref * 0.8),
    "ANRHI": np.where(hi_missing, np.nan, ref * 1.2),
    "BASE": ref * rng.uniform(0.5, 2, n),
    "BNRIND": np.where(rng.random(n) < 0.1, "HIGH", "NORMAL"),
    "PCHG": rng.uniform(-100, 50, n),
}).with_columns(pl.col("ANRLO", "ANRHI").fill_nan(None))
t0 = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    out = ctcae.grade_lab(df, version)
dt = time.perf_counter() - t0
graded = out.select((pl.col("ATOXGRL").is_not_null() | pl.col("ATOXGRH").is_not_null()).sum()).item()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{dt:.2f},{peak:.0f},{graded}")
"""


def run(millions: float, version: str) -> dict:
    n = int(millions * 1_000_000)
    out = subprocess.run(
        [sys.executable, "-c", STEP, str(n), version], capture_output=True, text=True, check=True
    )
    seconds, peak_mb, graded = out.stdout.strip().splitlines()[-1].split(",")
    return {
        "rows": n,
        "version": version,
        "grade_s": float(seconds),
        "peak_mb": float(peak_mb),
        "graded_rows": int(graded),
        "rows_per_s": round(n / float(seconds)),
    }


def main(sizes: list[float]) -> None:
    rows = []
    for version in ("5.0", "6.0"):
        for m in sizes:
            r = run(m, version)
            print(r, flush=True)
            rows.append(r)
    RESULTS.mkdir(exist_ok=True)
    pl.DataFrame(rows).write_csv(RESULTS / "ctcae_bench.csv")


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1, 10, 20])
