"""Benchmarks (numbers, not pass/fail), each step in its own process so that its peak memory
is its own. Results are printed and written to ``benchmarks/results/``.

    make bench                         # 1,000, 10,000 and 50,000 patients
    python benchmarks/run.py 5 100     # chosen sizes

Steps per size: simulate to CSV (streamed), validate + clean (CSV -> Parquet), derive every
analysis dataset from the clean Parquet and write it (``derive_to_dir``: batches of 1,000
subjects). Up to 10,000 patients the whole-cohort, in-memory derivation (``derive_all`` on
``read_clean``) is measured as well, for comparison. Validation holds a whole domain in memory
(~1 GB per 1,000 patients); above 10,000 patients the clean input is therefore made by
replicating the 10,000-patient clean data under new subject identifiers (other site numbers),
which keeps the derivation's input realistic. Finally a straightforward row-by-row pandas SLEDAI-2K + DORIS is timed against the
vectorised instruments on the same 10,000-patient assessments.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

RESULTS = Path(__file__).parent / "results"

SIMULATE = """
import resource, sys, time
from sle_car.simulate import simulate_to_dir
t0 = time.perf_counter()
simulate_to_dir(int(sys.argv[1]), 1, sys.argv[2])
print(f"{time.perf_counter() - t0:.2f},{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""
CLEAN = """
import resource, sys, time
from sle_car.clean import clean_study, write_clean
t0 = time.perf_counter()
c = clean_study(sys.argv[1])
assert c.validation.ok
write_clean(c, sys.argv[2])
print(f"{time.perf_counter() - t0:.2f},{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""
REPLICATE = """
import sys, polars as pl
from pathlib import Path
src, dst, k = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
dst.mkdir(parents=True, exist_ok=True)
for f in src.glob("*.parquet"):
    site = lambda i: pl.col("USUBJID").str.replace("SLECAR01-01-", f"SLECAR01-{i + 1:02d}-", literal=True)
    parts = [pl.scan_parquet(f).with_columns(site(i)) for i in range(k)]  # copies = other sites
    pl.concat(parts).sink_parquet(dst / f.name)
print("ok")
"""
DERIVE = """
import resource, sys, time
from sle_car.derive import derive_to_dir
t0 = time.perf_counter()
rows = derive_to_dir(sys.argv[1], sys.argv[2])
print(f"{time.perf_counter() - t0:.2f},{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f},{sum(rows.values())}")
"""
DERIVE_IN_MEMORY = """
import resource, sys, time
from sle_car.derive import derive_all, read_clean
t0 = time.perf_counter()
out = derive_all(read_clean(sys.argv[1]))
rows = sum(d.height for d in out.values())
print(f"{time.perf_counter() - t0:.2f},{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f},{rows}")
"""
PANDAS = """
import sys, time
from pathlib import Path
import polars as pl
from data_schemas import codelists as cl
from sle_car import instruments as ins
from sle_car.derive import derive_adqs, disease_state
clean = Path(sys.argv[1])
domains = {f.stem: pl.read_parquet(f) for f in clean.glob("*.parquet")}
st = disease_state(domains, derive_adqs(domains)).select(
    "USUBJID", "ADY", *cl.SLEDAI_ITEMS, "PGA", "PREDDOSE", "ISUNSTABLE", "ONIS", "ONAM")
pdf = st.to_pandas()
weights = {k: w for k, (_, w) in cl.SLEDAI_ITEMS.items()}
serology = set(cl.SLEDAI_SEROLOGY_ITEMS)
t0 = time.perf_counter()
totals, clinical, doris = [], [], []
for _, row in pdf.iterrows():  # the straightforward way
    total = sum(w for k, w in weights.items() if row[k] is True)
    csl = sum(w for k, w in weights.items() if row[k] is True and k not in serology)
    totals.append(total)
    clinical.append(csl)
    doris.append(csl == 0 and row["PGA"] < 0.5 and row["PREDDOSE"] <= 5 and not row["ISUNSTABLE"])
t_pandas = time.perf_counter() - t0
t0 = time.perf_counter()
ours = ins.doris_remission(ins.sledai_2k(st.drop("SLEDAI2K", "CSLEDAI", strict=False)))
t_polars = time.perf_counter() - t0
assert ours["CSLEDAI"].to_list() == clinical
print(f"{len(pdf)},{t_pandas:.3f},{t_polars:.4f}")
"""


def _run(code: str, *args: object) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        raise RuntimeError(proc.stderr[-3000:])
    return proc.stdout.strip().splitlines()[-1].split(",")


def _machine() -> str:
    """Where the numbers were measured: they mean little without it."""
    import os
    import platform
    from datetime import date
    from importlib.metadata import version

    libs = ", ".join(f"{p} {version(p)}" for p in ("polars", "pyarrow", "pandera", "pandas"))
    return (
        f"date: {date.today().isoformat()}\n"
        f"cpus: {os.cpu_count()}\n"
        f"memory: {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GB\n"
        f"python: {platform.python_version()} ({platform.machine()}, {platform.system()})\n"
        f"libraries: {libs}\n"
    )


def main(sizes: list[int]) -> None:
    RESULTS.mkdir(exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        direct = [n for n in sizes if n <= 10_000]
        for n in direct:
            raw, clean = tmp / f"raw{n}", tmp / f"clean{n}"
            sim_s, sim_mb = _run(SIMULATE, n, raw)
            cln_s, cln_mb = _run(CLEAN, raw, clean)
            size_mb = sum(p.stat().st_size for p in raw.iterdir()) / 2**20
            der_s, der_mb, der_rows = _run(DERIVE, clean, tmp / f"derived{n}")
            mem_s, mem_mb, mem_rows = _run(DERIVE_IN_MEMORY, clean)
            assert mem_rows == der_rows, (mem_rows, der_rows)
            rows.append(
                {
                    "patients": n,
                    "csv_mb": round(size_mb),
                    "simulate_s": float(sim_s),
                    "simulate_peak_mb": float(sim_mb),
                    "validate_clean_s": float(cln_s),
                    "validate_clean_peak_mb": float(cln_mb),
                    "derive_s": float(der_s),
                    "derive_peak_mb": float(der_mb),
                    "derived_rows": int(der_rows),
                    "derive_in_memory_s": float(mem_s),
                    "derive_in_memory_peak_mb": float(mem_mb),
                }
            )
            print(rows[-1], flush=True)
        base = max(direct) if direct else None
        for n in [n for n in sizes if n > 10_000]:
            if base is None or n % base:
                raise SystemExit(f"{n} must be a multiple of the largest size <= 10,000")
            clean = tmp / f"clean{n}"
            _run(REPLICATE, tmp / f"clean{base}", clean, n // base)
            der_s, der_mb, der_rows = _run(DERIVE, clean, tmp / f"derived{n}")
            rows.append(
                {
                    "patients": n,
                    "derive_s": float(der_s),
                    "derive_peak_mb": float(der_mb),
                    "derived_rows": int(der_rows),
                }
            )
            print(rows[-1], flush=True)
        if base:
            n_rows, t_pd, t_pl = _run(PANDAS, tmp / f"clean{base}")
            pandas_row = {
                "assessments": int(n_rows),
                "pandas_rowwise_s": float(t_pd),
                "polars_s": float(t_pl),
                "ratio": round(float(t_pd) / float(t_pl)),
            }
            print(pandas_row)
            pl.DataFrame([pandas_row]).write_csv(RESULTS / "sledai_doris_vs_pandas.csv")
    df = pl.DataFrame(rows).with_columns(
        (pl.col("derive_s") / pl.col("patients") * 1000).round(2).alias("derive_s_per_1000")
    )
    df.write_csv(RESULTS / "bench.csv")
    (RESULTS / "machine.txt").write_text(_machine(), encoding="utf-8")
    with pl.Config(tbl_width_chars=250, tbl_cols=-1):
        print(df)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 50000])
