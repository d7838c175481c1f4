"""The statistical analysis plan's choices, defined once (instruments.md appendix B).

``DEFAULTS`` is the single place where every SAP default is written. The instruments'
keyword defaults, ``derive_all``'s keyword defaults, the documented options file
``sle_car/config/analysis_options.yaml`` (kept equal by ``tests/test_options.py``) and the
notebooks' text (``DEFAULTS.doris.gc_text()``, ``DEFAULTS.facit_mid``) all read it;
``tests/test_sap_defaults.py`` fails when a default literal is written anywhere else.

This module imports nothing from ``sle_car``: every other module may import it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace


@dataclass(frozen=True)
class DorisOptions:
    """DORIS 2021 (van Vollenhoven RF et al. Lupus Sci Med 2021;8:e000538)."""

    gc_max_mg: float = 5.0
    gc_comparator: str = "<="
    pga_max: float = 0.5
    antimalarial_allowed_drug_free: bool = True

    def gc_text(self) -> str:
        """The glucocorticoid criterion in words, e.g. "prednisolone ≤ 5 mg/day"."""
        sign = {"<=": "≤", "<": "<"}[self.gc_comparator]
        return f"prednisolone {sign} {self.gc_max_mg:g} mg/day"


@dataclass(frozen=True)
class LldasOptions:
    """LLDAS (Franklyn K et al. Ann Rheum Dis 2016;75:1615-1621)."""

    sledai_max: int = 4
    pga_max: float = 1.0
    gc_max_mg: float = 7.5


@dataclass(frozen=True)
class SriOptions:
    """SRI-k (Furie RA et al. Arthritis Rheum 2009;61:1143-1151)."""

    reduction: int = 4
    pga_worsening: float = 0.3
    max_new_b: int = 1


@dataclass(frozen=True)
class BiclaOptions:
    """BICLA (Wallace 2011; PGA rule as in TULIP, Morand 2020)."""

    pga_rule: str = "absolute"
    pga_worsening: float = 0.3
    systems: list[str] | None = None


@dataclass(frozen=True)
class RenalOptions:
    """Renal response (EULAR/ERA-EDTA 2012, Bertsias; 2019 update, Fanouriakis) and the
    active-nephritis entry criterion (UPCR ≥ 0.5 g/g: the ACR/EULAR renal-activity threshold,
    SLEDAI-2K proteinuria > 0.5 g/24 h)."""

    cr_threshold: float = 50.0
    cr_unit: str = "mg/mmol"
    pr_reduction: float = 0.5
    nephrotic_g_g: float = 3.0
    gfr_tolerance: float = 0.1
    active_upcr_g_g: float = 0.5


@dataclass(frozen=True)
class AnalysisOptions:
    """Every analysis option with its SAP default. ``derive_all`` takes the flat keywords
    (``stable_days=...``, ``doris_kwargs={...}``); :meth:`from_kwargs` builds this object
    from them."""

    stable_days: int = 90
    sustain_days: int = 365
    doris: DorisOptions = field(default_factory=DorisOptions)
    lldas: LldasOptions = field(default_factory=LldasOptions)
    sri: SriOptions = field(default_factory=SriOptions)
    bicla: BiclaOptions = field(default_factory=BiclaOptions)
    renal: RenalOptions = field(default_factory=RenalOptions)
    bcell_abs_max: float = 1.0
    bcell_confirm_n: int = 2
    first_treatment_day: int = -5
    add_one: bool = False
    facit_mid: float = 4.0
    sledai_fever_c: float = 38.0
    sledai_fever_from_vs: bool = False
    ctcae_version: str = "5.0"
    ctcae_reading: str = "worst_case"

    @classmethod
    def from_kwargs(cls, **options: object) -> AnalysisOptions:
        """The options of ``derive_all``'s keywords (``doris_kwargs`` etc. as mappings)."""
        nested = {f"{f.name}_kwargs": f.name for f in fields(cls) if f.name in _NESTED}
        flat = {}
        for key, value in options.items():
            if key in nested:
                sub = _NESTED[nested[key]]
                flat[nested[key]] = replace(sub(), **(value or {}))  # type: ignore[arg-type]
            else:
                flat[key] = value
        return replace(cls(), **flat)  # type: ignore[arg-type]

    def as_kwargs(self) -> dict:
        """``derive_all``'s keywords: ``{"stable_days": 90, "doris_kwargs": {...}, ...}``."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f"{f.name}_kwargs" if f.name in _NESTED else f.name] = (
                asdict(value) if f.name in _NESTED else value
            )
        return out


_NESTED = {
    "doris": DorisOptions,
    "lldas": LldasOptions,
    "sri": SriOptions,
    "bicla": BiclaOptions,
    "renal": RenalOptions,
}

DEFAULTS = AnalysisOptions()
"""The SAP defaults: the one place they are written."""


@dataclass(frozen=True)
class SafetyReportingOptions:
    """Choices of the safety tables (issue 18), not of the analysis datasets: the onset
    windows of ``tbl-ae-grade`` and the IgG threshold of hypogammaglobulinaemia.

    Windows are in days since the CAR T-cell infusion (day 0, ``ASTDY``): "days 0-28" is
    0 <= day <= ``early_end_day``; "day 29 to 3 months" is ``early_end_day`` < day <=
    ``mid_end_day``; "> 3 months" is day > ``mid_end_day``. Three months are 91 days, the
    protocol's month length (30.4375 days, the MONTH visits' nominal day round(30.4375 m))
    times 3, rounded. Treatment-emergent events before the infusion (lymphodepletion, days -5
    to -1) fall in none of the three and get their own column.

    ``igg_low_g_l``: IgG < 4 g/L (400 mg/dL), the level at which IgG replacement is
    considered after CAR T cells (Hill JA et al. Blood Rev 2019;38:100596); the table also
    counts IgG below the laboratory's lower limit of normal. The comparator is strict (<).

    ``licats_onset_window_days``: a kidney LICATS (``tbl-aesi``) is contradicted by the
    laboratory only when its test was measured within this many days of the event's onset
    (``ASTDY`` <= day <= ``ASTDY`` + window, and within the event) and was never raised during
    the event. LICATS are short (median duration 11 days, half resolve within 2 weeks; Hagen M
    et al. Lancet Rheumatol 2025;7:e424-e433), so a sample weeks after onset cannot rule out a
    rise that came and went: without a sample near onset the event counts as the
    investigator reported it. The window is the SAP's choice (7 days: inside the median
    duration); the comparator is <=."""

    early_end_day: int = 28
    mid_end_day: int = 91
    igg_low_g_l: float = 4.0
    licats_onset_window_days: int = 7


SAFETY = SafetyReportingOptions()
"""The safety tables' defaults: the one place they are written."""


@dataclass(frozen=True)
class ReportingOptions:
    """Choices of the comparison with published cohorts (notebook 08) and of the exploratory
    forward-in-time analysis (notebook 07). They do not change the analysis datasets, so
    ``derive_all`` does not take them.

    - ``month3_visit`` / ``month6_visit``: the analysis visits at which the pilot's DORIS
      remission is read for "at 3 months" and "at 6 months" (the protocol assesses
      immunology at months 1, 3 and 6 on the WEEK 4, 12 and 24 visits);
    - ``landmark_day``: the early post-infusion measures (peak CAR T cells, its day, depth of
      B-cell depletion) are taken on days 0 to ``landmark_day``; for those predictors only, a
      patient whose outcome occurred on or before it (``<=``) or who left the study before it
      is excluded (landmark analysis: Anderson JR, Cain KC, Gelber RD. J Clin Oncol
      1983;1:710-719; Dafni U. Circ Cardiovasc Qual Outcomes 2011;4:363-371). Baseline
      predictors are known at day 0 and are analysed on every patient with time from day 0
      (no landmark: conditioning on survival to day 28 would drop early responders);
    - ``outcome_visit``: the later outcome is DORIS remission by this analysis visit (its
      window's last day), i.e. by month 6;
    - ``crs_icans_window_day``: a patient is evaluable for CRS and ICANS (the comparison's
      CRS_ANY, CRS_G2, ICANS_ANY and the toxicity monitoring rule) once followed through this
      day after the infusion (last day known alive ``LSTALVDY`` >= it); before that the patient
      is "not yet evaluable" and out of the denominator, never a patient without the event. For
      the comparison's rates this holds with or without an event (events among the patients
      followed through the window only, else a short follow-up makes the rate 100 % by
      construction); the stopping rule counts an event at once (safety first;
      ``sle_car.published.toxicity_status``). CRS and ICANS after CD19 CAR T cells start within the first
      weeks (ASTCT consensus, Lee DW et al. Biol Blood Marrow Transplant 2019;25:625-638; in
      475 real-world oncology patients no new CRS began after week 2, Blood Adv
      2024;8(20):5346; in SLE, KYSA-1 fever on days 5-11; ``published_cart_sle.md`` §4.2), so
      28 days covers the window with margin. Events after the window are still counted.
    - ``facit_mid_sensitivity``: the FACIT-Fatigue minimal important differences of the
      sensitivity analysis of notebook 06, beside the SAP's ``AnalysisOptions.facit_mid``:
      the ends of the 3-6 point range estimated in SLE (Lai JS et al. J Rheumatol
      2011;38:672-679)."""

    month3_visit: str = "WEEK 12"
    month6_visit: str = "WEEK 24"
    landmark_day: int = 28
    outcome_visit: str = "WEEK 24"
    crs_icans_window_day: int = 28
    facit_mid_sensitivity: tuple[float, ...] = (3.0, 6.0)


REPORTING = ReportingOptions()
"""The reporting defaults of :class:`ReportingOptions`: the one place they are written."""


@dataclass(frozen=True)
class MonitoringOptions:
    """The toxicity stopping rule of notebook 08: **proposed** here, not written in the
    protocol, and to be adopted (or changed) in the SAP before it is used to make decisions.

    After each evaluable infused patient, stop enrolment when the posterior probability that
    the true rate of grade >= 3 CRS or ICANS (ASTCT 2019) exceeds ``threshold`` is above
    ``prob_cutoff``, with a Beta(``prior``) prior on the rate: the Bayesian continuous
    monitoring rule of Thall PF, Simon RM, Estey EH. Stat Med 1995;14:357-379. The prior
    (0.5, 0.5) is Jeffreys' (invariant, weakly informative; ``sle_car.stats.PRIORS``).
    ``n_max`` is the planned number of infused patients. With these defaults one patient
    with the toxicity among the first two stops the study (``sle_car.stats.stopping_boundaries``
    gives the boundaries; notebook 08 states them from it)."""

    threshold: float = 0.20
    prob_cutoff: float = 0.80
    prior: tuple[float, float] = (0.5, 0.5)
    prior_name: str = "Jeffreys"
    n_max: int = 5

    def rule(self) -> dict[str, object]:
        """The keywords of ``stopping_boundaries`` and ``operating_characteristics``."""
        return {"threshold": self.threshold, "prob_cutoff": self.prob_cutoff, "prior": self.prior}

    def text(self) -> str:
        """The rule in words, for table notes."""
        a, b = self.prior
        return (
            f"Stop when P(rate of grade ≥ 3 CRS or ICANS > {100 * self.threshold:g} % | data) "
            f"> {self.prob_cutoff:g}, {self.prior_name} Beta({a:g}, {b:g}) prior (Thall, Simon "
            "& Estey, Stat Med 1995;14:357); proposed, not in the protocol"
        )


MONITORING = MonitoringOptions()
"""The monitoring rule's defaults of :class:`MonitoringOptions`: the one place they are written."""
