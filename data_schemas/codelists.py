"""Controlled terminology of the study: CDISC where it exists, one sponsor code list where not.

This module is the single place where test codes, categories, units and their conversions,
visits and sponsor-defined questionnaire items are written down. Schemas, the simulator,
cleaning and the instruments all import from here; the data dictionary on the website is
generated from it.

Sources
-------
- CDISC SDTM Controlled Terminology, NCI EVS release 2025-03-25
  (``shared/reference/SDTM_Terminology.txt``): LBTESTCD (C65047), VSTESTCD (C66741),
  units (C71620), QSCAT C100129 and FACIT-Fatigue items FAC07001-FAC07013 (C147544).
- No CDISC terminology exists for SLEDAI-2K, BILAG-2004, SLICC/ACR SDI, PGA, ICE, CRS/ICANS
  (instruments.md §14.1): their codes below are **sponsor-defined** (``SPONSOR`` in the
  ``source`` columns) and must never be presented as CDISC C-codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl


def _bundled_study_id() -> str:
    from importlib import resources

    import yaml

    text = resources.files("sle_car.config").joinpath("study.yaml").read_text("utf-8")
    return str(yaml.safe_load(text)["study_id"])


STUDYID = _bundled_study_id()
"""This pilot's study ID, from ``sle_car/config/study.yaml``. What belongs to a study rather
than to the code (study ID, subject-ID pattern, sites, race and ethnic-group codes, required
baseline measurements) lives in that file (:mod:`sle_car.study`), not here."""

# --- Demographics -----------------------------------------------------------------------------
SEX = ("F", "M")


# --- Laboratory tests ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LabTest:
    """One laboratory test: code, standard unit and the unit variants cleaning may convert."""

    code: str
    name: str
    category: str
    specimen: str
    unit: str
    """Standard (SI) unit every analysis uses."""
    low: float
    """Lowest physiologically possible value in ``unit`` (below: data error)."""
    high: float
    """Highest physiologically possible value in ``unit`` (above: data error)."""
    source: str = "CDISC"
    qualitative: tuple[str, ...] = ()
    """For qualitative tests: the allowed result values (``unit`` is then empty)."""

    @property
    def conversions(self) -> dict[str, float]:
        """Other units seen in exports and the factor that multiplies a value into ``unit``
        (from ``unit_conversions.csv``, without the micro-sign spellings)."""
        return {
            u: f
            for (code, spec, u), f in UNIT_CONVERSIONS.items()
            if (code, spec) == (self.code, self.specimen)
        }

    @property
    def allowed_units(self) -> tuple[str, ...]:
        return (self.unit, *self.conversions)


def _read_unit_conversions() -> dict[tuple[str, str, str], float]:
    import csv
    from importlib import resources

    text = resources.files("data_schemas").joinpath("unit_conversions.csv").read_text("utf-8")
    return {
        (r["LBTESTCD"], r["LBSPEC"], r["unit"]): float(r["factor"])
        for r in csv.DictReader(text.splitlines())
    }


UNIT_CONVERSIONS: dict[tuple[str, str, str], float] = _read_unit_conversions()
"""(LBTESTCD, LBSPEC, unit as exported) -> factor into the test's standard unit: the one table
of conversion factors, ``data_schemas/unit_conversions.csv`` (each row states its
arithmetic in ``source``). A unit not in it (nor the standard unit) is an error listing the
accepted ones."""

MICRO_SPELLINGS = ("\u00b5", "\u03bc")
"""The micro sign (U+00B5) and the Greek mu (U+03BC) that exports write for ``u`` in ``uL``,
``umol/L``, ``ug/L``: the same unit, accepted in every spelling."""


def unit_spellings(unit: str) -> tuple[str, ...]:
    """``unit`` and its spellings with a micro sign or Greek mu for ``u`` (``/uL``, ``/µL``)."""
    if not re.search(r"(?<![A-Za-z])u(?=[a-zA-Z])", unit):
        return (unit,)
    return (unit, *(re.sub(r"(?<![A-Za-z])u(?=[a-zA-Z])", m, unit) for m in MICRO_SPELLINGS))


_LAB_TESTS = [
    # Haematology
    LabTest("WBC", "Leukocytes", "HEMATOLOGY", "BLOOD", "10^9/L", 0, 300),
    LabTest("NEUT", "Neutrophils", "HEMATOLOGY", "BLOOD", "10^9/L", 0, 200),
    LabTest("LYM", "Lymphocytes", "HEMATOLOGY", "BLOOD", "10^9/L", 0, 200),
    LabTest("PLAT", "Platelets", "HEMATOLOGY", "BLOOD", "10^9/L", 0, 3000),
    LabTest("HGB", "Hemoglobin", "HEMATOLOGY", "BLOOD", "g/L", 10, 260),
    LabTest("FIBRINO", "Fibrinogen", "COAGULATION", "PLASMA", "g/L", 0, 15),
    # Chemistry
    LabTest("CREAT", "Creatinine", "CHEMISTRY", "SERUM", "umol/L", 5, 3000),
    LabTest("ALT", "Alanine Aminotransferase", "CHEMISTRY", "SERUM", "U/L", 0, 10000),
    LabTest("AST", "Aspartate Aminotransferase", "CHEMISTRY", "SERUM", "U/L", 0, 10000),
    LabTest("BILI", "Bilirubin", "CHEMISTRY", "SERUM", "umol/L", 0, 1000),
    LabTest("ALB", "Albumin", "CHEMISTRY", "SERUM", "g/L", 5, 70),
    LabTest("SODIUM", "Sodium", "CHEMISTRY", "SERUM", "mmol/L", 90, 200),
    LabTest("K", "Potassium", "CHEMISTRY", "SERUM", "mmol/L", 1, 10),
    LabTest("CRP", "C Reactive Protein", "CHEMISTRY", "SERUM", "mg/L", 0, 700),
    LabTest("FERRITIN", "Ferritin", "CHEMISTRY", "SERUM", "ug/L", 0, 200000),
    LabTest("INTLK6", "Interleukin 6", "CHEMISTRY", "SERUM", "ng/L", 0, 100000),
    # Immunology: complement, autoantibodies, immunoglobulins
    LabTest("C3", "Complement C3", "IMMUNOLOGY", "SERUM", "g/L", 0.02, 6),
    LabTest("C4", "Complement C4", "IMMUNOLOGY", "SERUM", "g/L", 0.0, 2),
    LabTest("DDNAIGAB", "Anti-Double Stranded DNA IgG", "IMMUNOLOGY", "SERUM", "IU/mL", 0, 100000),
    # CDISC TRIM21 (C163491) is the Ro52 protein: the anti-Ro52 antibody, not Ro60/SS-A 60
    LabTest("TRIM21", "Anti-Ro52 (TRIM21) Antibody", "IMMUNOLOGY", "SERUM", "U/mL", 0, 100000),
    LabTest(
        "SMAB",
        "Anti-Smith Antibody",
        "IMMUNOLOGY",
        "SERUM",
        "U/mL",
        0,
        100000,
        source="SPONSOR",
    ),
    # Extended autoantibody panel (issue #18; autoantibody_panel.csv): sponsor codes, no
    # C65047 term exists in the bundled CDISC release. ANATITER is the reciprocal titre.
    *(
        LabTest(code, name, "IMMUNOLOGY", "SERUM", unit, 0, high, source="SPONSOR")
        for code, name, unit, high in (
            ("ANATITER", "Antinuclear Antibody Titer", "titre", 100000),
            ("U1RNPAB", "Anti-U1 RNP Antibody", "U/mL", 100000),
            ("RO60AB", "Anti-Ro60 (SS-A 60 kDa) Antibody", "U/mL", 100000),
            ("LAAB", "Anti-La (SS-B) Antibody", "U/mL", 100000),
            ("C1QAB", "Anti-C1q Antibody", "U/mL", 100000),
            ("NUCLEOAB", "Anti-Nucleosome Antibody", "U/mL", 100000),
            ("ACLIGG", "Anticardiolipin IgG", "GPL U/mL", 100000),
            ("B2GP1IGG", "Anti-Beta2 Glycoprotein I IgG", "U/mL", 100000),
        )
    ),
    LabTest("IGG", "Immunoglobulin G", "IMMUNOLOGY", "SERUM", "g/L", 0, 60),
    LabTest("IGA", "Immunoglobulin A", "IMMUNOLOGY", "SERUM", "g/L", 0, 30),
    LabTest("IGM", "Immunoglobulin M", "IMMUNOLOGY", "SERUM", "g/L", 0, 30),
    # Urinalysis
    LabTest(
        "PROTCRT",
        "Protein/Creatinine",
        "URINALYSIS",
        "URINE",
        "g/g",
        0,
        60,
    ),
    LabTest("RBC", "Erythrocytes", "URINALYSIS", "URINE", "/HPF", 0, 1000),
    LabTest("WBC", "Leukocytes", "URINALYSIS", "URINE", "/HPF", 0, 1000),
    LabTest(
        "CSRBC",
        "Erythrocyte Casts",
        "URINALYSIS",
        "URINE",
        "",
        0,
        0,
        qualitative=("POSITIVE", "NEGATIVE"),
    ),
    # Flow cytometry (CD19 is the marker: LBMETHOD, not the test code; instruments.md §13-14)
    LabTest("BLYCE", "B-Lymphocytes", "FLOW CYTOMETRY", "BLOOD", "10^6/L", 0, 5000),
    LabTest("BLYCELY", "B-Lymphocytes/Lymphocytes", "FLOW CYTOMETRY", "BLOOD", "%", 0, 100),
    LabTest(
        "CARTCE",
        "CD19 CAR T Cells",
        "FLOW CYTOMETRY",
        "BLOOD",
        "10^6/L",
        0,
        100000,
        source="SPONSOR",
    ),
]

LAB_TESTS: dict[tuple[str, str], LabTest] = {(t.code, t.specimen): t for t in _LAB_TESTS}
"""Laboratory tests keyed by (LBTESTCD, LBSPEC): WBC is counted in blood and in urine."""


def unit_factors() -> pl.DataFrame:
    """Every numeric test's allowed units with the factor into its standard unit:
    LBTESTCD, LBSPEC, LBORRESU (a unit as exported), _F (factor), _SU (standard unit).
    Validation (plausibility) and cleaning (conversion, rule R5) both use this one table."""
    return pl.DataFrame(
        [
            {"LBTESTCD": t.code, "LBSPEC": t.specimen, "LBORRESU": s, "_F": f, "_SU": t.unit}
            for t in _LAB_TESTS
            if not t.qualitative
            for u, f in {t.unit: 1.0, **t.conversions}.items()
            for s in unit_spellings(u)
        ]
    )


def autoantibody_panel() -> pl.DataFrame:
    """The autoantibody panel of issue #18, in display order: LBTESTCD, LABEL, UNIT, CUTOFF,
    CUTOFF_DIRECTION (``>=`` or ``>``: the comparator that makes a result positive),
    CUTOFF_SOURCE, ORDER — from ``data_schemas/autoantibody_panel.csv`` (each cut-off cites
    its source there; assay-specific cut-offs say "configure")."""
    from importlib import resources

    text = resources.files("data_schemas").joinpath("autoantibody_panel.csv").read_bytes()
    return pl.read_csv(
        text,
        schema_overrides={"CUTOFF": pl.Float64, "ORDER": pl.Int64},
        infer_schema_length=0,
    ).sort("ORDER")


LB_CATEGORIES = tuple(sorted({t.category for t in _LAB_TESTS}))
LB_SPECIMENS = tuple(sorted({t.specimen for t in _LAB_TESTS}))
LB_TESTCODES = tuple(sorted({t.code for t in _LAB_TESTS}))


# --- Vital signs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VitalSign:
    code: str
    name: str
    unit: str
    low: float
    high: float
    source: str = "CDISC"
    qualitative: tuple[str, ...] = ()


OXYGEN_DEVICES = (
    "NONE",
    "LOW-FLOW NASAL CANNULA",
    "HIGH-FLOW NASAL CANNULA",
    "FACE MASK",
    "NON-REBREATHER MASK",
    "VENTURI MASK",
    "CPAP",
    "BIPAP",
    "MECHANICAL VENTILATION",
)
"""Oxygen delivery, in the categories ASTCT CRS grading distinguishes (Lee 2019, Table 6)."""

_VITAL_SIGNS = [
    VitalSign("TEMP", "Temperature", "C", 30.0, 44.0),
    VitalSign("SYSBP", "Systolic Blood Pressure", "mmHg", 40, 300),
    VitalSign("DIABP", "Diastolic Blood Pressure", "mmHg", 20, 200),
    VitalSign("HR", "Heart Rate", "beats/min", 20, 250),
    VitalSign("OXYSAT", "Oxygen Saturation", "%", 50, 100),
    VitalSign("O2FLOW", "Oxygen Flow Rate", "L/min", 0, 80, source="SPONSOR"),
    VitalSign("O2DEV", "Oxygen Delivery Device", "", 0, 0, "SPONSOR", OXYGEN_DEVICES),
]
VITAL_SIGNS: dict[str, VitalSign] = {v.code: v for v in _VITAL_SIGNS}


# --- Questionnaires and clinician ratings (QS) --------------------------------------------------
QS_SLEDAI = "SLEDAI-2K"
QS_BILAG = "BILAG-2004"
QS_PGA = "PHYSICIAN GLOBAL ASSESSMENT"
QS_SDI = "SLICC/ACR DAMAGE INDEX"
QS_FACIT = "FACIT-FATIGUE 13-ITEM V4"
QS_ICE = "ICE"
QS_CATEGORIES = (QS_SLEDAI, QS_BILAG, QS_PGA, QS_SDI, QS_FACIT, QS_ICE)

SLEDAI_ITEMS: dict[str, tuple[str, int]] = {
    "SEIZURE": ("Seizure", 8),
    "PSYCHOSIS": ("Psychosis", 8),
    "OBS": ("Organic brain syndrome", 8),
    "VISUAL": ("Visual disturbance", 8),
    "CRANIALN": ("Cranial nerve disorder", 8),
    "LUPHEAD": ("Lupus headache", 8),
    "CVA": ("Cerebrovascular accident", 8),
    "VASCULIT": ("Vasculitis", 8),
    "ARTHRIT": ("Arthritis", 4),
    "MYOSITIS": ("Myositis", 4),
    "UCASTS": ("Urinary casts", 4),
    "HEMATUR": ("Hematuria", 4),
    "PROTEIN": ("Proteinuria", 4),
    "PYURIA": ("Pyuria", 4),
    "RASH": ("Rash", 2),
    "ALOPECIA": ("Alopecia", 2),
    "MUCULC": ("Mucosal ulcers", 2),
    "PLEURISY": ("Pleurisy", 2),
    "PERICARD": ("Pericarditis", 2),
    "LOWCOMP": ("Low complement", 2),
    "DNABIND": ("Increased DNA binding", 2),
    "FEVER": ("Fever", 1),
    "THROMBO": ("Thrombocytopenia", 1),
    "LEUKOPEN": ("Leukopenia", 1),
}
"""SLEDAI-2K descriptors: sponsor code -> (name, weight). Gladman 2002; instruments.md §1.
Sponsor codes, QSTESTCD ``SLE2K`` + code is not used: the bare code is the QSTESTCD."""

SLEDAI_SEROLOGY_ITEMS = ("LOWCOMP", "DNABIND")
"""Descriptors removed for clinical SLEDAI (instruments.md §1, DORIS 2021 Table 2)."""

BILAG_DOMAINS: dict[str, str] = {
    "BLGCONST": "Constitutional",
    "BLGMUCO": "Mucocutaneous",
    "BLGNEURO": "Neuropsychiatric",
    "BLGMSK": "Musculoskeletal",
    "BLGCARD": "Cardiorespiratory",
    "BLGGI": "Gastrointestinal",
    "BLGOPHTH": "Ophthalmic",
    "BLGRENAL": "Renal",
    "BLGHAEM": "Haematological",
}
"""BILAG-2004 systems (Isenberg 2005; instruments.md §5): sponsor codes, grades A-E."""
BILAG_GRADES = ("A", "B", "C", "D", "E")

SDI_ITEMS: dict[str, tuple[str, int]] = {
    "SDIOCUL": ("Ocular", 2),
    "SDINEURO": ("Neuropsychiatric", 6),
    "SDIRENAL": ("Renal", 3),
    "SDIPULM": ("Pulmonary", 5),
    "SDICARD": ("Cardiovascular", 6),
    "SDIPVASC": ("Peripheral vascular", 5),
    "SDIGI": ("Gastrointestinal", 6),
    "SDIMSK": ("Musculoskeletal", 7),
    "SDISKIN": ("Skin", 3),
    "SDIGONAD": ("Premature gonadal failure", 1),
    "SDIDIAB": ("Diabetes", 1),
    "SDIMALIG": ("Malignancy", 2),
}
"""SLICC/ACR damage index organ systems (Gladman 1996; instruments.md §7): sponsor codes ->
(name, maximum score of the system). Recorded per system; the total is at most 47."""

FACIT_ITEMS: dict[str, tuple[str, str, bool]] = {
    "FAC07001": ("HI7", "I feel fatigued", True),
    "FAC07002": ("HI12", "I feel weak all over", True),
    "FAC07003": ("An1", "I feel listless (washed out)", True),
    "FAC07004": ("An2", "I feel tired", True),
    "FAC07005": ("An3", "I have trouble starting things because I am tired", True),
    "FAC07006": ("An4", "I have trouble finishing things because I am tired", True),
    "FAC07007": ("An5", "I have energy", False),
    "FAC07008": ("An7", "I am able to do my usual activities", False),
    "FAC07009": ("An8", "I need to sleep during the day", True),
    "FAC07010": ("An12", "I am too tired to eat", True),
    "FAC07011": ("An14", "I need help doing my usual activities", True),
    "FAC07012": ("An15", "I am frustrated by being too tired to do the things I want to do", True),
    "FAC07013": ("An16", "I have to limit my social activity because I am tired", True),
}
"""FACIT-Fatigue 13 items: CDISC QSTESTCD -> (FACIT item id, text, reverse-scored).
CDISC CT C147544 (FAC070TC); instruments.md §8. 11 negatively worded items are reversed."""

ICE_ITEMS: dict[str, tuple[str, int]] = {
    "ICEORIEN": ("Orientation (year, month, city, hospital)", 4),
    "ICENAME": ("Naming three objects", 3),
    "ICECOMM": ("Following commands", 1),
    "ICEWRITE": ("Writing a standard sentence", 1),
    "ICEATTN": ("Attention: counting back from 100 by 10", 1),
}
"""Immune effector cell encephalopathy score items (Lee 2019; instruments.md §10.2):
sponsor code -> (task, maximum points). Total 0-10."""

PGA_CODE = "PGA"
"""Physician global assessment, 0-3 visual analogue scale (sponsor code; instruments.md §6)."""


def qs_items() -> dict[str, tuple[str, str, float, float]]:
    """Every QS test code -> (category, name, lowest, highest value of QSSTRESN)."""
    items: dict[str, tuple[str, str, float, float]] = {}
    for code, (name, weight) in SLEDAI_ITEMS.items():
        items[code] = (QS_SLEDAI, name, 0, weight)
    for code, name in BILAG_DOMAINS.items():
        items[code] = (QS_BILAG, name, 1, 5)  # A=1 ... E=5 in QSSTRESN; letter in QSORRES
    items[PGA_CODE] = (QS_PGA, "Physician global assessment (0-3)", 0, 3)
    for code, (name, maximum) in SDI_ITEMS.items():
        items[code] = (QS_SDI, name, 0, maximum)
    for code, (_, text, _) in FACIT_ITEMS.items():
        items[code] = (QS_FACIT, text, 0, 4)
    for code, (name, maximum) in ICE_ITEMS.items():
        items[code] = (QS_ICE, name, 0, maximum)
    return items


# --- Medications (CM) and exposure (EX) ---------------------------------------------------------
CM_CLASSES = (
    "GLUCOCORTICOID",
    "ANTIMALARIAL",
    "IMMUNOSUPPRESSANT",
    "BIOLOGIC",
    "IL-6 RECEPTOR ANTAGONIST",
    "VASOPRESSOR",
    "ANTI-INFECTIVE",
    "IMMUNOGLOBULIN",
    "GROWTH FACTOR",
    "OTHER",
)
EX_TREATMENTS = {
    "FLUDARABINE": "mg/m2",
    "CYCLOPHOSPHAMIDE": "mg/m2",
    "CD19 CAR T CELLS": "10^6/kg",
}
"""Study treatments and their dose units (protocol; issue #4)."""

# --- Adverse events -----------------------------------------------------------------------------
AE_CATEGORIES = ("CRS", "ICANS", "LICATS", "INFECTION", "CYTOPENIA", "OTHER")
AE_GRADING_SCALES = ("CTCAE V5.0", "ASTCT 2019")
AE_RELATIONSHIP = ("RELATED", "POSSIBLY RELATED", "NOT RELATED")
AE_ACTION = ("NONE", "TREATMENT GIVEN", "HOSPITALISED", "NOT APPLICABLE")
AE_OUTCOME = (
    "RECOVERED/RESOLVED",
    "RECOVERING/RESOLVING",
    "NOT RECOVERED/NOT RESOLVED",
    "RECOVERED/RESOLVED WITH SEQUELAE",
    "FATAL",
    "UNKNOWN",
)
"""AEOUT: CDISC codelist C66768 (Outcome of Event)."""

# --- Disposition ----------------------------------------------------------------------------------
DS_MILESTONES = (
    "INFORMED CONSENT OBTAINED",
    "ENTERED INTO TRIAL",
    "APHERESIS PERFORMED",
    "CAR T PRODUCT MANUFACTURED",
    "CAR T MANUFACTURING FAILED",
    "LYMPHODEPLETION STARTED",
    "CAR T CELLS INFUSED",
)
"""DSDECOD of DSCAT PROTOCOL MILESTONE, in the order of the CONSORT-style flow (issue #18).
INFORMED CONSENT OBTAINED and ENTERED INTO TRIAL are CDISC PROTMLST (C114118) terms; the
cell-therapy steps have no CDISC term and extend that extensible codelist (sponsor)."""

DS_SPONSOR_MILESTONES = (
    "APHERESIS PERFORMED",
    "CAR T PRODUCT MANUFACTURED",
    "CAR T MANUFACTURING FAILED",
    "LYMPHODEPLETION STARTED",
    "CAR T CELLS INFUSED",
)

DS_REASONS = (
    "COMPLETED",
    "ADVERSE EVENT",
    "DEATH",
    "WITHDRAWAL BY SUBJECT",
    "LOST TO FOLLOW-UP",
    "PHYSICIAN DECISION",
    "NEVER DOSED",
    "PROTOCOL DEVIATION",
    "WITHDRAWAL OF CONSENT",
    "LACK OF EFFICACY",
)
"""DSDECOD of DSCAT DISPOSITION EVENT: CDISC NCOMPLT (C66727) terms."""

SCREENING_REASONS = (
    "SCREEN FAILURE",
    "SCREENING NOT COMPLETED",
    "WITHDRAWAL OF CONSENT",
    "MET ELIGIBILITY CRITERIA BUT NOT NEEDED",
    "PHYSICIAN DECISION",
    "DEATH",
    "LOST TO FOLLOW-UP",
)
"""Reasons a screened patient was not enrolled (CDISC NCOMPLT C66727 terms), the keys of the
manifest's ``screening.not_enrolled`` counts (:func:`sle_car.cut.screening_log`)."""

DS_DECOD = tuple(dict.fromkeys((*DS_MILESTONES, *DS_REASONS)))
DS_CATEGORIES = ("PROTOCOL MILESTONE", "DISPOSITION EVENT")

# --- Lupus nephritis class (DM.LNCLASS) -------------------------------------------------------
LN_CLASSES = (
    "I", "II", "III", "IV", "IV-S", "IV-G", "V", "VI",
    "III+V", "IV+V", "IV-S+V", "IV-G+V",
)  # fmt: skip
"""ISN/RPS 2003 classification of lupus nephritis (Weening et al., J Am Soc Nephrol 2004;
15:241-50): classes I-VI; class IV may be reported with its segmental (IV-S) or global (IV-G)
subdivision; class V combined with III or IV is written III+V, IV+V (IV-S+V, IV-G+V)."""


# --- Product characteristics (XP, sponsor-defined findings domain) -------------------------
@dataclass(frozen=True)
class ProductTest:
    """One CAR-T product characteristic (XP): code, name, unit and plausible range."""

    code: str
    name: str
    unit: str
    low: float
    high: float
    qualitative: tuple[str, ...] = ()


_PRODUCT_TESTS = [
    ProductTest("MFGRES", "Manufacturing Result", "", 0, 0, ("SUCCESS", "FAILURE")),
    ProductTest("TOTCART", "Total CAR+ T Cells Infused", "10^6 cells", 1, 10000),
    ProductTest("VIABLE", "Viability", "%", 0, 100),
    ProductTest("CD4CD8", "CD4/CD8 Ratio", "ratio", 0.01, 100),
    ProductTest("TRANSEFF", "Transduction Efficiency", "%", 0, 100),
    ProductTest("V2VDUR", "Vein-to-Vein Time", "days", 1, 365),
]
PRODUCT_TESTS: dict[str, ProductTest] = {t.code: t for t in _PRODUCT_TESTS}
"""Product characteristics of the CAR-T product (issue #18), sponsor-defined: SDTMIG reserves
domain codes beginning X, Y, Z for sponsor domains; the infused dose per kg stays in EX."""


# --- Visits ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Visit:
    visitnum: int
    name: str
    day: int
    """Nominal study day (day 0 = CAR-T infusion)."""
    window: int
    """Allowed deviation from the nominal day, in days (either side)."""


def _visits() -> list[Visit]:
    v = [
        Visit(10, "SCREENING", -35, 14),
        Visit(20, "LEUKAPHERESIS", -21, 7),
        Visit(30, "BASELINE", -7, 1),  # before lymphodepletion starts on day -5
    ]
    v += [Visit(100 + d, f"DAY {d}", d, 0) for d in range(15)]
    v += [Visit(1000 + w, f"WEEK {w}", 7 * w, 7) for w in range(4, 29, 4)]
    v += [Visit(2000 + m, f"MONTH {m}", round(30.4375 * m), 14) for m in range(9, 25, 3)]
    return v


VISITS: tuple[Visit, ...] = tuple(_visits())
"""Protocol schedule of assessments. Clinical scores at WEEK 4-28 then every 3 months;
immunology at months 1, 3, 6 is drawn at the WEEK 4, WEEK 12 and WEEK 24 visits."""
VISIT_BY_NUM = {v.visitnum: v for v in VISITS}
STUDY_DAY_MIN = -60
"""Earliest study day the protocol allows (screening window opens 60 days before infusion)."""
STUDY_DAY_MAX = 760
"""Last study day the protocol allows (month 24 + window)."""
