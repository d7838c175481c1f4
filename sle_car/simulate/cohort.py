"""Simulating a cohort in chunks of patients and writing it with its manifest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from data_schemas import codelists as cl
from sle_car import __version__
from sle_car.simulate import extended
from sle_car.simulate.clinical import _ae, _cm, _dm, _ds, _ex, _gc_periods, _qs, _truth
from sle_car.simulate.core import INJECTED_FILE, TRUTH_FILE, Cohort, _values, load_config
from sle_car.simulate.labs import _lb, _lb_domain, _patient_labs, _vs
from sle_car.simulate.messy import inject_problems
from sle_car.simulate.patients import _disease_state, _patients, _schedule

CHUNK_PATIENTS = 500


"""Patients simulated together. Each chunk draws from its own generator seeded with
``[seed, chunk index]``, so a cohort is the same whether it is built in memory or streamed to
disk, and memory stays flat however many patients are simulated."""


def _simulate_chunk(
    pid0: int,
    n: int,
    width: int,
    rng: np.random.Generator,
    p: dict,
    rng18: np.random.Generator | None = None,
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    pt = _patients(n, rng, p, pid0)
    ds_state = _disease_state(pt, rng, p)
    pt = pt.join(ds_state, on="pid")
    labs = _patient_labs(pt, ds_state, rng, p)
    pt_all = pt.join(labs, on="pid")
    sched = _schedule(pt, rng, p)
    lbv = _lb(sched, pt_all, rng, p)
    domains = {"dm": _dm(pt, width)}
    domains["ex"] = _ex(pt, rng, p, width)
    domains["lb"] = _lb_domain(lbv, width)
    domains["vs"] = _vs(sched, pt_all, rng, width)
    domains["qs"] = _qs(sched, pt_all, lbv, rng, p, width)
    domains["cm"] = _cm(pt, labs, width, rng)
    domains["ae"] = _ae(pt_all, lbv, rng, p, width)
    domains["ds"] = _ds(pt, sched, width)
    if rng18 is not None:
        _add_issue18(domains, pt, sched, width, rng18, p)
        domains["lb"] = extended.append_seq(
            domains["lb"],
            _lb_domain(extended.cytokines_day28(sched, pt_all, rng18, p), width),
            "LB",
        )
    return domains, _truth(pt_all, _gc_periods(pt), width)


def _add_issue18(
    domains: dict[str, pl.DataFrame],
    pt: pl.DataFrame,
    sched: pl.DataFrame,
    width: int,
    rng: np.random.Generator,
    p: dict,
) -> None:
    """Issue #18 data (:mod:`sle_car.simulate.extended`) from its own generator: appended
    LB and DS rows, DM.LNCLASS/LNBXDY and the XP domain; existing records unchanged."""
    vals = extended.autoantibody_values(sched, pt, rng, p)
    meta = pl.DataFrame(
        [
            {"LBTESTCD": t.code, "LBSPEC": t.specimen, "LBTEST": t.name, "LBCAT": t.category}
            | {"UNIT": t.unit}
            for t in cl.LAB_TESTS.values()
        ]
    )
    lb_new = _lb_domain(vals.join(meta, on=["LBTESTCD", "LBSPEC"], how="left"), width)
    lb_new = lb_new.with_columns(
        pl.when(pl.col("LBTESTCD") == "ANATITER")
        .then(pl.col("LBORRES").str.replace(r"\.0$", ""))
        .otherwise(pl.col("LBORRES"))
        .alias("LBORRES")
    )
    domains["lb"] = extended.append_seq(domains["lb"], lb_new, "LB")
    ds_new, days = extended.milestones(pt, sched, domains["ex"], rng, p, width)
    domains["ds"] = extended.append_seq(domains["ds"], ds_new.drop("pid"), "DS")
    domains["xp"] = extended.product(pt, domains["ex"], days, rng, p)
    ln = extended.nephritis(pt, rng, p)
    domains["dm"] = domains["dm"].with_columns(
        pl.Series("LNCLASS", ln["LNCLASS"]), pl.Series("LNBXDY", ln["LNBXDY"])
    )


def _chunks(n_patients: int, seed: int, p: dict, progress: bool, chunk_size: int):
    """Yield (domains, truth) chunk by chunk, with a progress bar when asked."""
    from tqdm import tqdm

    if n_patients < 1:
        raise ValueError("n_patients must be at least 1")
    width = max(3, len(str(n_patients)))
    starts = range(0, n_patients, chunk_size)
    for k, pid0 in enumerate(tqdm(starts, desc="simulate", unit="chunk", disable=not progress)):
        rng = np.random.default_rng([seed, k])
        rng18 = np.random.default_rng([seed, k, extended.STREAM])
        yield _simulate_chunk(pid0, min(chunk_size, n_patients - pid0), width, rng, p, rng18)


def simulate(
    n_patients: int = 5,
    seed: int = 20250101,
    *,
    config: dict | None = None,
    messy: bool = False,
    progress: bool = False,
    chunk_size: int = CHUNK_PATIENTS,
) -> Cohort:
    """Simulate ``n_patients`` with ``seed`` in memory; see the module docstring.

    ``messy=True`` injects the problems of real exports (see :func:`inject_problems`).
    For large cohorts use :func:`simulate_to_dir`, which streams chunks to disk."""
    cfg = config or load_config()
    parts = list(_chunks(n_patients, seed, _values(cfg), progress, chunk_size))
    domains = {name: pl.concat([d[name] for d, _ in parts]) for name in parts[0][0]}
    truth = pl.concat([t for _, t in parts])
    injected = None
    if messy:
        domains, injected = inject_problems(domains, np.random.default_rng([seed, 999_999]))
    screening = extended.screening_log(n_patients, seed, _values(cfg))
    return Cohort(domains, truth, injected, seed, n_patients, cfg.get("version", "?"), screening)


# --- writing ------------------------------------------------------------------------------------
def _manifest_extra(
    n: int,
    seed: int,
    version: str,
    messy: bool,
    command: str | None,
    out: Path,
    screening: dict | None = None,
) -> dict:
    return {
        "generator": "sle_car.simulate",
        "package_version": __version__,
        "config_version": version,
        "seed": seed,
        "n_patients": n,
        "messy": messy,
        "command": command or f"sle-car simulate --patients {n} --seed {seed} --out {out.name}",
        "synthetic": True,
        **({"screening": screening} if screening else {}),
    }


def write_cohort(cohort: Cohort, out_dir: Path | str, command: str | None = None) -> Path:
    """Write the domains (CSV), ``truth.csv``, the injected-problem sidecar and the manifest."""
    from sle_car.io import write_manifest

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, df in cohort.domains.items():
        df.write_csv(out / f"{name}.csv", float_precision=None, null_value="")
    cohort.truth.write_csv(out / TRUTH_FILE, float_precision=None, null_value="")
    if cohort.injected is not None:
        cohort.injected.write_csv(out / INJECTED_FILE)
    extra = _manifest_extra(
        cohort.n_patients,
        cohort.seed,
        cohort.config_version,
        cohort.injected is not None,
        command,
        out,
        cohort.screening,
    )
    write_manifest(out, extra)
    return out


def simulate_to_dir(
    n_patients: int,
    seed: int,
    out_dir: Path | str,
    *,
    command: str | None = None,
    config: dict | None = None,
    progress: bool = False,
    chunk_size: int = CHUNK_PATIENTS,
) -> Path:
    """Simulate and write chunk by chunk: the same files as ``write_cohort(simulate(...))``
    for the clean (non-messy) cohort, with memory bounded by one chunk."""
    from sle_car.io import write_manifest

    cfg = config or load_config()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    handles: dict = {}
    try:
        for domains, truth in _chunks(n_patients, seed, _values(cfg), progress, chunk_size):
            for name, df in [*domains.items(), (TRUTH_FILE.removesuffix(".csv"), truth)]:
                first = name not in handles
                if first:
                    handles[name] = (out / f"{name}.csv").open("wb")
                df.write_csv(
                    handles[name], include_header=first, float_precision=None, null_value=""
                )
    finally:
        for handle in handles.values():
            handle.close()
    write_manifest(
        out,
        _manifest_extra(
            n_patients,
            seed,
            cfg.get("version", "?"),
            False,
            command,
            out,
            extended.screening_log(n_patients, seed, _values(cfg)),
        ),
    )
    return out
