"""Benchmarks (numbers, not pass/fail): ``make bench``. Each step runs in its own process; its
peak memory is the resident memory of that process and its worker processes together, sampled
every 0.05 s (psutil). Prints a Markdown table and writes it to
``benchmarks/results.md`` (machine-readable: ``benchmarks/results/bench.csv``).

    make bench                                         # 1,000 / 10,000 / 100,000 patients
    python benchmarks/run.py --sizes 1000 10000        # chosen sizes
    python benchmarks/run.py --sizes 1000 --ctcae 1    # CTCAE grading on 1 million rows only
    python benchmarks/run.py --ctcae                   # no CTCAE grading

Steps per size, end to end from the raw CSV export:

- ``simulate``: the simulator writes the raw CSV cohort (streamed, ``simulate_to_dir``).
  Cohorts are cached outside the repository (``--cache``, default ``~/.cache/sle-car/bench``)
  keyed by size, seed and a hash of the simulator's code and configuration; a cached cohort
  shows the time of the run that simulated it. Above 10,000 patients the raw export is the
  10,000-patient one replicated as further sites (``SLECAR01-02-…``, ``-03-`` …; streamed, the
  study configuration of the benchmark lists the sites): real raw CSV, validated, cleaned and
  derived like any other, without an hour of simulation;
- ``read floor``: every raw file read once with polars (every cell parsed as text, streamed):
  the least any pipeline reading the export must spend;
- ``validate + clean``: :func:`sle_car.batched.validate_clean` and ``write_clean`` (batches
  of 1,000 subjects; CSV in, clean Parquet out);
- ``derive``: :func:`sle_car.derive.derive_to_dir` (batches of 1,000 subjects, datasets
  written);
- end to end = validate + clean + derive (what ``sle-car derive`` and the pipeline run, one
  after the other): time = the sum, peak = the larger of the two.

Also CTCAE v5.0 grading (``grade_lab``) on 1, 10 and 20 million ADLB-like rows
(``benchmarks/ctcae_bench.py``; its input is built in memory first). The machine's load
(``/proc/loadavg``) is recorded before each step: the reference machine is shared.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SEED = 1
BASE = 10_000
"""Largest size simulated directly; larger ones replicate it as further sites."""

TREE = """
import threading, time
import psutil
_peak = [0]
def _sample():
    me = psutil.Process()
    while True:
        try:
            kids = me.children(recursive=True)
            _peak[0] = max(_peak[0], me.memory_info().rss + sum(k.memory_info().rss for k in kids))
        except psutil.Error:
            pass
        time.sleep(0.05)
threading.Thread(target=_sample, daemon=True).start()
"""
"""Prefix of every step: samples, every 0.05 s, the resident memory of the step's process and
of its worker processes together (validation and cleaning run batches in up to 2 workers,
``sle_car.batched.WORKERS``)."""
PEAK = "max(_peak[0] / 2**20, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"
"""Peak memory of the step in MB: the largest sampled total of its processes (or its own
exact peak, if larger): what the machine had to hold at once."""
CPU = (
    "sum((lambda r: r.ru_utime + r.ru_stime)(resource.getrusage(w))"
    " for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))"
)
"""CPU seconds of the step (all threads, worker processes included): unlike wall time,
hardly changed by other jobs."""
SIMULATE = (
    TREE
    + f"""
import resource, sys, time
from sle_car.simulate import simulate_to_dir
t0 = time.perf_counter()
simulate_to_dir(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3])
print(f"{{time.perf_counter() - t0:.2f}},{{{PEAK}:.0f}}")
"""
)
REPLICATE = """
import sys
from pathlib import Path
import polars as pl
from sle_car.io import write_manifest
src, dst, k = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
dst.mkdir(parents=True, exist_ok=True)
for f in sorted(src.glob("*.csv")):
    if f.name == "truth.csv":
        continue
    parts = []
    for i in range(k):  # copy i is site i + 1: new subject identifiers, same records
        site = f"{i + 1:02d}"
        lf = pl.scan_csv(f, infer_schema=False).with_columns(
            pl.col("USUBJID").str.replace("SLECAR01-01-", f"SLECAR01-{site}-", literal=True)
        )
        if f.name == "dm.csv":
            lf = lf.with_columns(pl.lit(site).alias("SITEID"))
        parts.append(lf)
    pl.concat(parts).sink_csv(dst / f.name)
write_manifest(dst, {"replicated_from": src.name, "copies": k})
print("ok")
"""
FLOOR = (
    TREE
    + f"""
import resource, sys, time
from pathlib import Path
import polars as pl
t0 = time.perf_counter()
cells = 0
for f in sorted(Path(sys.argv[1]).glob("*.csv")):
    if f.name == "truth.csv":
        continue
    lf = pl.scan_csv(f, infer_schema=False)
    cells += lf.select(pl.all().str.len_bytes().sum()).collect(engine="streaming").sum_horizontal()[0]
print(f"{{time.perf_counter() - t0:.2f}},{{{PEAK}:.0f}},{{{CPU}:.1f}}")
"""
)
CLEAN = (
    TREE
    + f"""
import resource, sys, time
from sle_car.batched import validate_clean
from sle_car.clean import write_clean
t0 = time.perf_counter()
c = validate_clean(sys.argv[1], sys.argv[2], study_config=sys.argv[3])
write_clean(c, sys.argv[2])
errors = c.validation.report.filter(c.validation.report["severity"] == "error").height
assert errors == 0, c.validation.report.head(20)
rows = int(c.reconciliation["rows_in"].sum())
print(f"{{time.perf_counter() - t0:.2f}},{{{PEAK}:.0f}},{{rows}},{{{CPU}:.1f}}")
"""
)
DERIVE = (
    TREE
    + f"""
import resource, sys, time
from sle_car.derive import derive_to_dir
t0 = time.perf_counter()
rows = derive_to_dir(sys.argv[1], sys.argv[2])
print(f"{{time.perf_counter() - t0:.2f}},{{{PEAK}:.0f}},{{sum(rows.values())}},{{{CPU}:.1f}}")
"""
)


def _load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def _run(code: str, *args: object) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if proc.returncode:
        raise SystemExit(f"benchmark step failed:\n{proc.stderr[-3000:]}")
    return proc.stdout.strip().splitlines()[-1].split(",")


def _code_hash() -> str:
    """The simulator's code and configuration (and the contract it writes to)."""
    h = hashlib.sha256()
    paths = [
        *sorted((ROOT / "sle_car" / "simulate").glob("*.py")),
        ROOT / "sle_car" / "config" / "simulation.yaml",
        *sorted((ROOT / "data_schemas").glob("*.py")),
        *sorted((ROOT / "data_schemas").glob("*.csv")),
    ]
    for p in paths:
        h.update(p.relative_to(ROOT).as_posix().encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def _cohort(n: int, cache: Path) -> tuple[Path, dict]:
    """The raw CSV cohort of ``n`` patients (cached) and how it was made."""
    key = f"raw-{n}-seed{SEED}-{_code_hash()}"
    path, meta_file = cache / key, cache / f"{key}.json"
    if meta_file.is_file() and path.is_dir():
        return path, {**json.loads(meta_file.read_text()), "cached": True}
    shutil.rmtree(path, ignore_errors=True)
    cache.mkdir(parents=True, exist_ok=True)
    load = _load()
    if n <= BASE:
        t, peak = _run(SIMULATE, n, SEED, path)
        meta = {"how": "simulated", "seconds": float(t), "peak_mb": float(peak), "load": load}
    else:
        if n % BASE:
            raise SystemExit(f"{n} patients: sizes above {BASE:,} must be multiples of it")
        base, _ = _cohort(BASE, cache)
        t0 = time.perf_counter()
        _run(REPLICATE, base, path, n // BASE)
        meta = {
            "how": f"{BASE:,}-patient cohort replicated as {n // BASE} sites",
            "seconds": round(time.perf_counter() - t0, 2),
            "peak_mb": None,
            "load": load,
        }
    meta_file.write_text(json.dumps(meta) + "\n")
    return path, {**meta, "cached": False}


def _study_config(tmp: Path, sites: int) -> Path:
    """The bundled study configuration with sites 01 .. ``sites`` (replicated cohorts)."""
    text = (ROOT / "sle_car" / "config" / "study.yaml").read_text(encoding="utf-8")
    listed = ", ".join(f'"{i:02d}"' for i in range(1, sites + 1))
    lines = [f"sites: [{listed}]" if ln.startswith("sites:") else ln for ln in text.splitlines()]
    out = tmp / "study.yaml"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def _machine() -> str:
    from importlib.metadata import version

    libs = ", ".join(f"{p} {version(p)}" for p in ("polars", "pyarrow", "pandera"))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, {mem:.0f} GB, "
        f"Python {platform.python_version()}, {libs}"
    )


def _gb(mb: float) -> str:
    return f"{mb / 1024:.2f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    p.add_argument(
        "--ctcae", type=float, nargs="*", default=[1, 10, 20], help="million rows; none: skip"
    )
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "sle-car" / "bench")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sle-car-bench-") as tmp_name:
        tmp = Path(tmp_name)
        config = _study_config(tmp, max(1, max(args.sizes) // BASE))
        for n in sorted(args.sizes):
            raw, made = _cohort(n, args.cache)
            csv_mb = sum(f.stat().st_size for f in raw.glob("*.csv") if f.name != "truth.csv")
            load_floor = _load()
            floor_s, floor_mb, floor_cpu = _run(FLOOR, raw)
            load_clean = _load()
            clean_s, clean_mb, rows_in, clean_cpu = _run(CLEAN, raw, tmp / f"clean{n}", config)
            load_derive = _load()
            derive_s, derive_mb, derived, derive_cpu = _run(
                DERIVE, tmp / f"clean{n}", tmp / f"derived{n}"
            )
            shutil.rmtree(tmp / f"clean{n}")
            shutil.rmtree(tmp / f"derived{n}")
            e2e = float(clean_s) + float(derive_s)
            row = {
                "patients": n,
                "raw_csv_mb": round(csv_mb / 2**20),
                "raw_rows": int(rows_in),
                "derived_rows": int(derived),
                "make": made["how"] + (" (cached)" if made["cached"] else ""),
                "make_s": made["seconds"],
                "make_load": made["load"],
                "floor_s": float(floor_s),
                "floor_peak_mb": float(floor_mb),
                "floor_load": load_floor,
                "floor_cpu_s": float(floor_cpu),
                "validate_clean_s": float(clean_s),
                "validate_clean_peak_mb": float(clean_mb),
                "validate_clean_load": load_clean,
                "validate_clean_cpu_s": float(clean_cpu),
                "derive_s": float(derive_s),
                "derive_peak_mb": float(derive_mb),
                "derive_load": load_derive,
                "derive_cpu_s": float(derive_cpu),
                "end_to_end_s": round(e2e, 2),
                "end_to_end_peak_mb": max(float(clean_mb), float(derive_mb)),
                "end_to_end_s_per_1000": round(e2e / n * 1000, 2),
                "validate_clean_per_floor": round(float(clean_s) / float(floor_s), 1),
                "end_to_end_per_floor": round(e2e / float(floor_s), 1),
                "end_to_end_cpu_s": round(float(clean_cpu) + float(derive_cpu), 1),
                "validate_clean_cpu_per_floor_cpu": round(float(clean_cpu) / float(floor_cpu), 1),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
        ctcae = []
        if args.ctcae:
            sys.path.insert(0, str(HERE))
            from ctcae_bench import run as ctcae_run

            for m in args.ctcae:
                load = _load()
                ctcae.append({**ctcae_run(m, "5.0"), "load": load})
                print(json.dumps(ctcae[-1]), flush=True)
    text = _markdown(rows, ctcae)
    print(text)
    (HERE / "results.md").write_text(text + _earlier(HERE / "results.md"), encoding="utf-8")
    RESULTS.mkdir(exist_ok=True)
    if rows:  # csv quotes a field holding a comma ("10,000-patient cohort replicated ...")
        with (RESULTS / "bench.csv").open("w", encoding="utf-8", newline="") as fh:
            out = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
            out.writeheader()
            out.writerows(rows)


def _earlier(results: Path) -> str:
    """The sections of ``results`` after this table (measurements of earlier runs and of
    ``validate_speed.py``, each headed ``## ...``): kept, so a run adds to the record."""
    if not results.exists():
        return ""
    text = results.read_text(encoding="utf-8")
    start = text.find("\n## ")
    return "" if start < 0 else text[start:]


def _markdown(rows: list[dict], ctcae: list[dict]) -> str:
    out = [
        "# Benchmarks (`make bench`, `benchmarks/run.py`)",
        "",
        f"Measured {_machine()}. Every step is its own process: peak = the resident memory of it and",
        "its worker processes together, sampled every 0.05 s. Load = the",
        "1-minute load average when the step started (the machine has 2 cores and is shared;",
        "a load above 2 means other jobs took CPU time from the step).",
        "",
        "| patients | raw CSV | how the export was made | read floor | validate + clean | "
        "derive (batched, written) | end to end | per 1,000 patients | "
        "validate + clean / floor | end to end / floor | CPU s: floor, validate + clean, "
        "derive |",
        "|---:|---:|---|---|---|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['patients']:,} | {r['raw_csv_mb']:,} MB, {r['raw_rows']:,} rows | "
            f"{r['make']}: {r['make_s']:.0f} s (load {r['make_load']}) | "
            f"{r['floor_s']:.1f} s, {_gb(r['floor_peak_mb'])} GB (load {r['floor_load']}) | "
            f"{r['validate_clean_s']:.1f} s, {_gb(r['validate_clean_peak_mb'])} GB "
            f"(load {r['validate_clean_load']}) | "
            f"{r['derive_s']:.1f} s, {_gb(r['derive_peak_mb'])} GB (load {r['derive_load']}) | "
            f"**{r['end_to_end_s']:.1f} s, {_gb(r['end_to_end_peak_mb'])} GB** | "
            f"{r['end_to_end_s_per_1000']:.2f} s | {r['validate_clean_per_floor']:.1f}× | "
            f"{r['end_to_end_per_floor']:.1f}× | {r['floor_cpu_s']:.0f}, "
            f"{r['validate_clean_cpu_s']:.0f}, {r['derive_cpu_s']:.0f} |"
        )
    if ctcae:
        out += [
            "",
            "CTCAE v5.0 laboratory grading (`grade_lab`, `benchmarks/ctcae_bench.py`): time of "
            "the call, peak of the process (input built in memory included).",
            "",
            "| ADLB rows | time | peak | rows graded per s | load |",
            "|---:|---:|---:|---:|---:|",
        ]
        for c in ctcae:
            out.append(
                f"| {c['rows']:,} | {c['grade_s']:.1f} s | {_gb(c['peak_mb'])} GB | "
                f"{c['rows_per_s']:,} | {c['load']} |"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
