"""Benchmarks (numbers, not pass/fail): simulation and validation time and peak memory by
cohort size, each step in its own process so that its peak memory is its own.
Results are printed and written to benchmarks/results/bench.csv.

    make bench                      # 5, 1,000 and 10,000 patients
    python benchmarks/run.py 5 100  # chosen sizes
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

SIMULATE = """
import resource, sys, time
from sle_car.simulate import simulate_to_dir
t0 = time.perf_counter()
simulate_to_dir(int(sys.argv[1]), 1, sys.argv[2])
print(f"{time.perf_counter() - t0:.2f},{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""
VALIDATE = """
import resource, sys, time
from sle_car.validate import validate_study
t0 = time.perf_counter()
v = validate_study(sys.argv[2])
assert v.ok, v.report.head()
rows = sum(d.height for d in v.domains.values())
print(f"{time.perf_counter() - t0:.2f},{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f},{rows}")
"""


def _run(code: str, n: int, out: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code, str(n), out], capture_output=True, text=True, check=True
    )
    return proc.stdout.strip().splitlines()[-1].split(",")


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            sim_s, sim_mb = _run(SIMULATE, n, tmp)
            val_s, val_mb, n_rows = _run(VALIDATE, n, tmp)
            size_mb = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        rows.append(
            {
                "patients": n,
                "rows": int(n_rows),
                "csv_mb": round(size_mb, 1),
                "simulate_s": float(sim_s),
                "simulate_peak_mb": float(sim_mb),
                "validate_s": float(val_s),
                "validate_peak_mb": float(val_mb),
            }
        )
        print(rows[-1], flush=True)
    df = pl.DataFrame(rows).with_columns(
        (pl.col("validate_s") / pl.col("patients") * 1000).round(2).alias("validate_ms_per_patient")
    )
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    df.write_csv(results / "bench.csv")
    with pl.Config(tbl_width_chars=200, tbl_cols=-1):
        print(df)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5, 1000, 10000])
