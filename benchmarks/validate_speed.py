"""Validate + clean against the read floor (issue 19): CPU seconds and wall, each step in its
own process, on raw CSV cohorts already simulated (numbers, not a test).

    sle-car simulate --patients 1000 --seed 1 --out /tmp/p/cohort1000 --quiet
    python benchmarks/validate_speed.py /tmp/p/cohort1000 /tmp/p/cohort10000

The steps are those of ``benchmarks/run.py`` (``FLOOR``: every raw file read once with polars;
``CLEAN``: ``batched.validate_clean`` + ``write_clean``). CPU seconds (user + system, all
threads) are hardly changed by other jobs on the shared machine; wall times are, so the
1-minute load average is printed before each step.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import CLEAN, FLOOR, _load, _run, _study_config


def main(dirs: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="sle-car-speed-") as tmp_name:
        tmp = Path(tmp_name)
        config = _study_config(tmp, 1)
        for d in dirs:
            load_floor = _load()
            floor_s, _floor_mb, floor_cpu = _run(FLOOR, d)
            load_clean = _load()
            t0 = time.perf_counter()
            clean_s, clean_mb, rows, clean_cpu = _run(CLEAN, d, tmp / "clean", config)
            row = {
                "cohort": d,
                "raw_rows": int(rows),
                "floor_wall_s": float(floor_s),
                "floor_cpu_s": float(floor_cpu),
                "floor_load": load_floor,
                "clean_wall_s": float(clean_s),
                "clean_cpu_s": float(clean_cpu),
                "clean_peak_mb": float(clean_mb),
                "clean_load": load_clean,
                "process_wall_s": round(time.perf_counter() - t0, 1),
                "wall_ratio": round(float(clean_s) / float(floor_s), 1),
                "cpu_ratio": round(float(clean_cpu) / float(floor_cpu), 1),
            }
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
