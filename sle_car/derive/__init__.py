"""Endpoint derivation: the admiral grammar in polars (``common``) and the analysis datasets
ADSL, ADLB, ADQS, ADAE, ADRS and ADTTE (``datasets``); ``build`` derives them in batches of
subjects and writes them (``derive_to_dir``, ``build_study``) and caches them for the notebooks
(``load_study``)."""

from sle_car.derive.build import (
    build_study,
    derive_to_dir,
    load_study,
    subject_batches,
    write_study,
)
from sle_car.derive.common import (
    analysis_windows,
    compute_duration,
    derive_var_ablfl,
    derive_var_anl01fl,
    derive_var_anrind,
    derive_var_base,
    derive_var_chg,
    derive_vars_visit_window,
    drug_exposure_by_day,
)
from sle_car.derive.datasets import (
    derive_adae,
    derive_adlb,
    derive_adqs,
    derive_adrs,
    derive_adsl,
    derive_adtte,
    derive_all,
    disease_state,
    read_clean,
    sustained_response,
)
from sle_car.derive.options import read_options

__all__ = [
    "analysis_windows",
    "build_study",
    "compute_duration",
    "derive_adae",
    "derive_adlb",
    "derive_adqs",
    "derive_adrs",
    "derive_adsl",
    "derive_adtte",
    "derive_all",
    "derive_to_dir",
    "derive_var_ablfl",
    "derive_var_anl01fl",
    "derive_var_anrind",
    "derive_var_base",
    "derive_var_chg",
    "derive_vars_visit_window",
    "disease_state",
    "drug_exposure_by_day",
    "load_study",
    "read_clean",
    "read_options",
    "subject_batches",
    "sustained_response",
    "write_study",
]
