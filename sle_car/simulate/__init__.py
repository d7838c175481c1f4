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

Adverse events (AE) and laboratory values. In the simulator some laboratory abnormalities
are also recorded as adverse events, by one rule each (the lab-grade -> AE rule):

- cytopenias: every run of consecutive samples of days 0-30 at CTCAE v5.0 grade >= 3
  (strict ``<``: neutrophils < 1.0 / < 0.5 x10^9/L, platelets < 50 / < 25 x10^9/L,
  lymphocytes < 0.5 / < 0.2 x10^9/L) is one AE ("Neutrophil count decreased", "Platelet
  count decreased", "Lymphocyte count decreased"), from the run's first to its last sample;
  grade 1-2 values and values after day 30 are not recorded as AEs;
- proteinuria (a LICATS event) is kept only where a UPCR sample within its dates is above
  the upper limit, and graded from the highest such UPCR (CTCAE v5.0: < 1.0, 1.0-3.4,
  >= 3.5 g/g as g/24 h);
- no other laboratory value (CRP, ferritin, IL-6, liver tests, immunoglobulins, creatinine)
  creates an AE; CRS and ICANS are clinical diagnoses graded by ASTCT 2019.

In a real cut none of this holds: the AE domain is what the investigator reported, and a
grade-3 laboratory value without an AE is not an error. AETERM is the verbatim term, AEDECOD
the MedDRA preferred term (the name every table uses), AECAT the category (CRS, ICANS,
LICATS, INFECTION, CYTOPENIA): a LICATS rash is AETERM "Rash (LICATS)", AEDECOD "Rash", AECAT
"LICATS".

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
