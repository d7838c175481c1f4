"""Benchmarks (numbers, not pass/fail): simulation and validation time and memory by cohort
size. Results are printed and written to benchmarks/results/bench.csv.

    make bench                      # 5, 1,000 and 10,000 patients
    python benchmarks/run.py 5 100  # chosen sizes
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

CHILD = """
import resource, sys, time
from sle_car.simulate import simulate, write_cohort
from sle_car.validate import validate_study
n, out = int(sys.argv[1]), sys.argv[2]
t0 = time.perf_counter(); c = simulate(n, seed=1); t1 = time.perf_counter()
write_cohort(c, out); t2 = time.perf_counter()
rows = sum(d.height for d in c.domains.values()); del c
v = validate_study(out); t3 = time.perf_counter()
assert v.ok, v.report.head()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{n},{rows},{t1-t0:.2f},{t2-t1:.2f},{t3-t2:.2f},{rss:.0f}")
"""


def main(sizes: list[int]) -> None:
    rows = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            out = (
                subprocess.run(
                    [sys.executable, "-c", CHILD, str(n), tmp],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
        n_, r, sim, write, val, rss = out.split(",")
        rows.append(
            {
                "patients": int(n_),
                "rows": int(r),
                "simulate_s": float(sim),
                "write_s": float(write),
                "validate_s": float(val),
                "peak_rss_mb": float(rss),
            }
        )
        print(rows[-1], flush=True)
    df = pl.DataFrame(rows).with_columns(
        (pl.col("validate_s") / pl.col("patients") * 1000).round(2).alias("validate_ms_per_patient")
    )
    results = Path(__file__).parent / "results"
    results.mkdir(exist_ok=True)
    df.write_csv(results / "bench.csv")
    print(df)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [5, 1000, 10000])
