"""Protocol-faithful synthetic cohort: the embedded default data of the repository.

``simulate(n, seed)`` draws correlated, mechanistic patient trajectories calibrated to the
published CD19 CAR-T experience in SLE (``sle_car/config/simulation.yaml``, every value with
its source) and returns the raw SDTM-style domains of the data contract, the ground truth
(latent days of remission, B-cell return, flares ...) and, in messy mode, the problems it
injected. ``write_cohort`` writes them with a manifest. Same seed, same bytes.

Everything is vectorised: patients are rows of polars frames, schedules are cross joins, and
the only Python loops run over tests, visits and descriptors, never over patients or days.

The latent structure (what the exploratory analysis must recover): one standard-normal
"response strength" ``z`` per patient raises the CAR-T peak, lengthens B-cell aplasia,
shortens the time to remission and lowers the flare hazard.

Modules: ``core`` (configuration, constants, ``Cohort``), ``patients`` (patients, schedule,
latent disease course), ``labs`` (LB and VS), ``clinical`` (CM, QS, AE, EX, DM, DS and the
ground truth), ``messy`` (injected export problems) and ``cohort`` (chunked simulation and
writing).
"""

from __future__ import annotations

from sle_car.simulate.cohort import simulate, simulate_to_dir, write_cohort
from sle_car.simulate.core import INJECTED_FILE, NEVER, TRUTH_FILE, Cohort, load_config
from sle_car.simulate.messy import inject_problems
from sle_car.simulate.patients import CLINICAL, DAILY, FACIT, FLOW, FOLLOW, IMMUNO

__all__ = [
    "CLINICAL",
    "DAILY",
    "FACIT",
    "FLOW",
    "FOLLOW",
    "IMMUNO",
    "INJECTED_FILE",
    "NEVER",
    "TRUTH_FILE",
    "Cohort",
    "inject_problems",
    "load_config",
    "simulate",
    "simulate_to_dir",
    "write_cohort",
]
