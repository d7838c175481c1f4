"""Clinical instruments and grading systems, one vectorised function each.

Most functions take a polars DataFrame with one row per assessment, check the columns they
need, add their result columns and return the frame (row order unchanged);
``bcell_reconstitution`` returns one row per subject, and ``propose_lab_descriptors`` and
``propose_vs_fever`` return the assessments with the proposals joined on. A result whose
inputs are missing is null with a reason column ``<RESULT>_NE`` (``_evaluable``), never a
responder and never a clean 0. Sources are cited in each docstring; the choices a
statistical analysis plan must make are keyword parameters whose defaults are read from
``sle_car.sap.DEFAULTS`` (``shared/reference/instruments.md`` appendix B).
"""

from sle_car.instruments.astct import crs_grade, icans_grade, ice_score
from sle_car.instruments.bcell import bcell_aplasia_flag, bcell_reconstitution
from sle_car.instruments.bilag import bilag_new_flares, bilag_score
from sle_car.instruments.ctcae import grade_lab
from sle_car.instruments.doris import doris_remission
from sle_car.instruments.facit import facit_fatigue
from sle_car.instruments.icaht import icaht_early, icaht_late
from sle_car.instruments.lldas import lldas, lldas_inputs
from sle_car.instruments.pga import pga_category, pga_change
from sle_car.instruments.renal import egfr_ckd_epi_2021, renal_response
from sle_car.instruments.responders import bicla, sri
from sle_car.instruments.sdi import sdi_score
from sle_car.instruments.serology import serologic_remission
from sle_car.instruments.sledai import propose_lab_descriptors, propose_vs_fever, sledai_2k

__all__ = [
    "bcell_aplasia_flag",
    "bcell_reconstitution",
    "bicla",
    "bilag_new_flares",
    "bilag_score",
    "crs_grade",
    "doris_remission",
    "egfr_ckd_epi_2021",
    "facit_fatigue",
    "grade_lab",
    "icaht_early",
    "icaht_late",
    "icans_grade",
    "ice_score",
    "lldas",
    "lldas_inputs",
    "pga_category",
    "pga_change",
    "propose_lab_descriptors",
    "propose_vs_fever",
    "renal_response",
    "sdi_score",
    "serologic_remission",
    "sledai_2k",
    "sri",
]
