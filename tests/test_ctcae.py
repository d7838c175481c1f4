"""CTCAE v5.0 / v6.0 laboratory grading (issue 17): criteria as data, admiral semantics.

One rule per test, on literal frames. Expected grades come from the CTCAE text and admiral's
conditions (sle_car/instruments/ctcae_admiral/*.json); comments name the condition."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from sle_car.instruments import ctcae
from sle_car.instruments.make_ctcae_criteria import OUT, generate


def test_committed_criteria_equal_the_generator_output() -> None:
    assert OUT.read_text(encoding="utf-8") == generate()


def _frame(rows: list[dict]) -> pl.DataFrame:
    cols = ("ATOXDSCL", "ATOXDSCH", "AVALU", "BNRIND")
    nums = ("AVAL", "ANRLO", "ANRHI", "BASE", "PCHG")
    return pl.DataFrame(
        [{c: r.get(c) for c in (*cols, *nums)} for r in rows],
        schema={**dict.fromkeys(cols, pl.String), **dict.fromkeys(nums, pl.Float64)},
    )


def _g(term, direction, aval, *, version="5.0", reading="worst_case", strict=False, **kw):
    """The grade of one record: ``kw`` are AVALU=unit, ANRLO, ANRHI, BASE, BNRIND, PCHG."""
    rec = {"ATOXDSCL" if direction == "L" else "ATOXDSCH": term, "AVAL": aval, **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ctcae.CTCAEGradingWarning)
        out = ctcae.grade_lab(_frame([rec]), version, reading=reading, strict=strict)
    return out["ATOXGRL" if direction == "L" else "ATOXGRH"][0]


def _gs(term, direction, avals, **kw):
    return "".join(
        str(_g(term, direction, a, **kw)) if _g(term, direction, a, **kw) is not None else "."
        for a in avals
    )


# --- terms, units, missing values --------------------------------------------------------------
def test_terms_match_case_insensitively() -> None:
    assert _g("ANEMIA", "L", 79.0, AVALU="G/L", ANRLO=140.0) == "3"
    assert _g("alanine aminotransferase Increased", "H", 41.0, ANRHI=40.0) == "1"


def test_term_of_the_other_direction_is_null_and_reported() -> None:
    with pytest.warns(ctcae.CTCAEGradingWarning, match="other direction"):
        out = ctcae.grade_lab(_frame([{"ATOXDSCH": "Anemia", "AVAL": 70.0, "AVALU": "g/L"}]))
    assert out["ATOXGRH"][0] is None


def test_missing_term_is_null_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ctcae.grade_lab(_frame([{"AVAL": 70.0, "AVALU": "g/L"}]))
    assert out["ATOXGRL"][0] is None and out["ATOXGRH"][0] is None


def test_absolute_criteria_need_the_matching_unit_case_insensitively() -> None:
    assert _g("Anemia", "L", 79.0, AVALU="g/l", ANRLO=140.0) == "3"
    assert _g("Anemia", "L", 7.9, AVALU="G/DL", ANRLO=14.0) == "3"  # the USCV row: < 8 g/dL
    assert _g("Anemia", "L", 79.0, AVALU="G/cL", ANRLO=140.0) is None
    assert _g("Anemia", "L", 79.0, AVALU=None, ANRLO=140.0) is None


def test_relative_criteria_ignore_the_unit() -> None:
    assert _g("Hyperuricemia", "H", 500.0, ANRHI=420.0, AVALU=None) == "3"
    assert _g("Hyperuricemia", "H", 400.0, ANRHI=420.0, AVALU="whatever") == "0"


def test_units_choice_restricts_to_one_specification() -> None:
    rec = _frame([{"ATOXDSCL": "Anemia", "AVAL": 7.9, "AVALU": "g/dL", "ANRLO": 14.0}])
    with pytest.warns(ctcae.CTCAEGradingWarning, match="unit mismatch"):
        assert ctcae.grade_lab(rec, units="SI")["ATOXGRL"][0] is None
    assert ctcae.grade_lab(rec, units="USCV")["ATOXGRL"][0] == "3"


def test_missing_lln_grades_only_the_absolute_grades() -> None:
    # anemia: is.na(ANRLO) ~ NA sits inside grade 1; grades 2-3 are absolute
    assert _gs("Anemia", "L", [79.0, 99.0, 100.0, 140.0], AVALU="g/L") == "32.."


def test_missing_uln_makes_a_uln_multiple_term_null() -> None:
    assert _g("CPK increased", "H", 10000.0, ANRHI=None) is None


def test_missing_aval_is_null_and_not_reported() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = ctcae.grade_lab(_frame([{"ATOXDSCL": "Anemia", "AVALU": "g/L", "ANRLO": 1.0}]))
    assert out["ATOXGRL"][0] is None


def test_report_counts_nulls_by_term_unit_and_reason() -> None:
    df = _frame(
        [
            {"ATOXDSCL": "Anemia", "AVAL": 130.0, "AVALU": "g/L"},
            {"ATOXDSCL": "Anemia", "AVAL": 131.0, "AVALU": "g/L"},
            {"ATOXDSCL": "Anemia", "AVAL": 131.0, "AVALU": "mmol/L", "ANRLO": 7.0},
            {"ATOXDSCH": "Ferritin increased", "AVAL": 900.0, "AVALU": "ug/L"},
        ]
    )
    out, report = ctcae.grade_lab_with_reasons(df)
    assert report.rows() == [
        ("H", "Ferritin increased", "ug/L", "unknown term", 1),
        ("L", "Anemia", "g/L", "ANRLO missing", 2),
        ("L", "Anemia", "mmol/L", "unit mismatch (criteria in g/L, g/dL)", 1),
    ]
    assert out["ATOXNRL"].to_list()[:2] == ["ANRLO missing"] * 2


def test_strict_mode_names_the_row() -> None:
    df = _frame(
        [
            {"ATOXDSCL": "Anemia", "AVAL": 130.0, "AVALU": "g/L", "ANRLO": 120.0},
            {"ATOXDSCL": "Anemia", "AVAL": 100.0, "AVALU": "g/L"},
        ]
    )
    with pytest.raises(ctcae.CTCAEGradingError, match=r"row 1 .*ANRLO missing"):
        ctcae.grade_lab(df, strict=True)


# --- boundaries and rounding -------------------------------------------------------------------
def test_limits_are_strict() -> None:
    # Anemia 80 g/L -> 2 (< 80 is 3); ALT 800 with ULN 40 -> 3 (> 20 x ULN is 4)
    assert _g("Anemia", "L", 80.0, AVALU="g/L", ANRLO=120.0) == "2"
    assert _g("Alanine aminotransferase increased", "H", 800.0, ANRHI=40.0) == "3"


def test_v5_hyponatremia_grade_3_is_inclusive_at_129() -> None:
    # signif(AVAL) <= 129 ~ "3": 129 -> 3, 129.5 -> 1 (< LLN only)
    assert _gs("Hyponatremia", "L", [129.0, 129.5, 119.9], AVALU="mmol/L", ANRLO=135.0) == "314"


def test_v6_hyponatremia_grade_3_is_below_130() -> None:
    assert (
        _gs("Hyponatremia", "L", [129.5, 130.0], AVALU="mmol/L", ANRLO=135.0, version="6.0") == "31"
    )


def test_both_sides_rounded_to_15_significant_digits() -> None:
    assert 3 * 0.1 > 0.3 and 1.5 * 0.7 < 1.05  # the floating-point traps
    # aPTT: 3 x 0.1 s against ULN 0.2: 1.5 x 0.2 = 0.3 is not exceeded -> grade 1
    assert _g("Activated partial thromboplastin time prolonged", "H", 3 * 0.1, ANRHI=0.2) == "1"
    assert _g("Creatinine increased", "H", 1.05, ANRHI=0.7) == "1"


# --- baseline rules ----------------------------------------------------------------------------
ALT = "Alanine aminotransferase increased"


def test_alt_abnormal_baseline_uses_multiples_of_base_inclusive_grade_1() -> None:
    # v5: >= 1.5 x BASE grade 1, > 3 / 5 / 20 x BASE
    vals = [89.0, 90.0, 180.0, 181.0, 300.0, 301.0, 1200.0, 1201.0]
    assert _gs(ALT, "H", vals, ANRHI=40.0, BASE=60.0, BNRIND="HIGH") == "01122334"


def test_high_indicator_argument_defines_abnormal_baseline() -> None:
    df = _frame([{"ATOXDSCH": ALT, "AVAL": 59.0, "ANRHI": 30.0, "BASE": 40.0, "BNRIND": "H"}])
    assert ctcae.grade_lab(df)["ATOXGRH"][0] == "1"  # "H" not an indicator: > ULN
    assert ctcae.grade_lab(df, high_indicator=["H"])["ATOXGRH"][0] == "0"  # < 1.5 x BASE


def test_missing_bnrind_is_a_normal_baseline() -> None:
    assert _g(ALT, "H", 130.0, ANRHI=40.0, BASE=100.0, BNRIND=None) == "2"


def test_abnormal_baseline_with_missing_base_is_grade_0() -> None:
    # admiral: every BASE comparison is NA -> no clause fires -> "0" (probe in the README)
    assert _g(ALT, "H", 500.0, ANRHI=40.0, BASE=None, BNRIND="HIGH") == "0"


def test_v6_alt_abnormal_baseline_multiples() -> None:
    # v6: >= 1 x, > 1.5 x, > 2 x, > 4 x BASE
    vals = [59.0, 60.0, 91.0, 121.0, 241.0]
    assert _gs(ALT, "H", vals, ANRHI=40.0, BASE=60.0, BNRIND="HIGH", version="6.0") == "01234"


def test_v5_creatinine_baseline_arms() -> None:
    cr = "Creatinine increased"
    assert _g(cr, "H", 100.0, ANRHI=110.0, BASE=40.0) == "2"  # > 1.5 x BASE
    assert _g(cr, "H", 130.0, ANRHI=110.0, BASE=40.0) == "3"  # > 3 x BASE
    assert _g(cr, "H", 100.0, ANRHI=None, BASE=40.0) == "2"  # ULN missing, BASE arm holds
    assert _g(cr, "H", 100.0, ANRHI=None, BASE=90.0) is None


def test_v6_creatinine_base_arm_only_with_low_baseline() -> None:
    cr = "Creatinine increased"
    assert _g(cr, "H", 100.0, ANRHI=110.0, BASE=40.0, BNRIND="LOW", version="6.0") == "2"
    assert _g(cr, "H", 100.0, ANRHI=110.0, BASE=40.0, BNRIND="NORMAL", version="6.0") == "0"


def test_inr_worst_case_uses_baseline_and_needs_it_below_1_2() -> None:
    assert _g("INR increased", "H", 1.1, BASE=1.0) == "1"  # > 1 x BASE (anticoagulation)
    assert _g("INR increased", "H", 1.1, BASE=None) is None
    assert _g("INR increased", "H", 1.3, BASE=None) == "1"


def test_inr_asymptomatic_reading_uses_absolute_limits_only() -> None:
    kw = {"reading": "asymptomatic"}
    assert _g("INR increased", "H", 1.1, BASE=1.0, **kw) == "0"
    assert _g("INR increased", "H", 1.1, BASE=None, **kw) == "0"
    assert _g("INR increased", "H", 2.6, BASE=None, **kw) == "3"


def test_fibrinogen_percent_decrease_arm_when_below_lln() -> None:
    fib = "Fibrinogen decreased"
    kw = {"AVALU": "g/L", "ANRLO": 2.0}
    assert _g(fib, "L", 1.9, PCHG=-80.0, **kw) == "4"  # < LLN and PCHG <= -75
    assert _g(fib, "L", 1.9, PCHG=-50.0, **kw) == "3"  # <= -50 inclusive
    assert _g(fib, "L", 1.9, PCHG=None, **kw) == "1"
    assert _g(fib, "L", 2.1, PCHG=-80.0, **kw) == "0"  # not below LLN: PCHG arm off
    assert _g(fib, "L", 0.49, ANRLO=None, AVALU="g/L") == "4"  # < 0.5 g/L always 4
    assert _g(fib, "L", 1.0, ANRLO=None, AVALU="g/L") is None


def test_fibrinogen_needs_a_pchg_column() -> None:
    df = _frame([{"ATOXDSCL": "Fibrinogen decreased", "AVAL": 1.0, "AVALU": "g/L"}]).drop("PCHG")
    with pytest.raises(ctcae.CTCAEGradingError, match="PCHG"):
        ctcae.grade_lab(df)


# --- worst-case readings -----------------------------------------------------------------------
def test_hypokalemia_worst_case_and_asymptomatic() -> None:
    kw = {"AVALU": "mmol/L", "ANRLO": 3.5}
    assert _gs("Hypokalemia", "L", [3.4, 2.9, 2.4, 3.5], **kw) == "2340"
    assert _gs("Hypokalemia", "L", [3.4, 2.9, 2.4, 3.5], reading="asymptomatic", **kw) == "1340"


def test_hyponatremia_asymptomatic_has_grade_2() -> None:
    kw = {"AVALU": "mmol/L", "ANRLO": 135.0, "reading": "asymptomatic"}
    assert _gs("Hyponatremia", "L", [134.0, 129.0, 124.0, 119.0], **kw) == "1234"


def test_hyperuricemia_worst_case_3_asymptomatic_1() -> None:
    assert _g("Hyperuricemia", "H", 500.0, ANRHI=420.0) == "3"
    assert _g("Hyperuricemia", "H", 500.0, ANRHI=420.0, reading="asymptomatic") == "1"


@pytest.mark.parametrize("term", ["Lipase increased", "Serum amylase increased"])
def test_pancreatic_enzymes_worst_case_and_asymptomatic(term: str) -> None:
    vals = [101.0, 151.0, 201.0, 501.0]
    assert _gs(term, "H", vals, ANRHI=100.0) == "1234"
    assert _gs(term, "H", vals, ANRHI=100.0, reading="asymptomatic") == "1223"


def test_v6_lipase_grade_3_above_3_uln() -> None:
    assert _gs("Lipase increased", "H", [300.0, 301.0], ANRHI=100.0, version="6.0") == "23"


# --- every term of both versions is graded -----------------------------------------------------
@pytest.mark.parametrize("version", ctcae.VERSIONS)
def test_every_term_of_the_admiral_specification_is_graded(version: str) -> None:
    import json

    from sle_car.instruments.make_ctcae_criteria import SPEC_DIR, SPECS

    spec_terms = {
        (r["TERM"], r["DIRECTION"])
        for v, _, f in SPECS
        if v == version
        for r in json.loads((SPEC_DIR / f).read_text())
    }
    table = ctcae.criteria(version).select("TERM", "DIRECTION").unique().rows()
    assert set(table) == spec_terms and len(spec_terms) == (40 if version == "5.0" else 43)


def test_v6_neutrophils_need_no_lln() -> None:
    vals = [0.09, 0.1, 0.49, 0.5, 0.99, 1.0, 1.49, 1.5]
    got = _gs("Neutrophil count decreased", "L", vals, AVALU="10^9/L", version="6.0")
    assert got == "43322110"


def test_v6_thrombocytopenia_grade_4_below_10() -> None:
    got = _gs(
        "Thrombocytopenia", "L", [9.0, 10.0, 49.0], AVALU="10^9/L", ANRLO=150.0, version="6.0"
    )
    assert got == "433"


# --- ATOXGR ------------------------------------------------------------------------------------
def test_combine_directions_as_admiral() -> None:
    df = pl.DataFrame(
        {
            "ATOXDSCL": [
                "Hypoglycemia",
                "Hypoglycemia",
                None,
                "Hypoglycemia",
                "Hypoglycemia",
                None,
            ],
            "ATOXDSCH": [
                "Hyperglycemia",
                "Hyperglycemia",
                "INR",
                "Hyperglycemia",
                "Hyperglycemia",
                None,
            ],
            "ATOXGRL": ["0", "3", None, None, "1", None],
            "ATOXGRH": ["0", None, "2", "0", "0", None],
        }
    )
    assert ctcae.combine_directions(df)["ATOXGR"].to_list() == ["0", "-3", "2", None, "-1", None]


# --- derive_adlb: the CTCAE part -----------------------------------------------------------------
def test_adlb_grading_maps_parameters_combines_directions_and_flags_worst() -> None:
    from sle_car.derive.datasets import _grade_adlb

    x = pl.DataFrame(
        {
            "USUBJID": ["S1"] * 4 + ["S1"] * 2 + ["S1"],
            "PARAMCD": ["NEUT"] * 4 + ["K"] * 2 + ["CRP"],
            "ADY": [-7, 3, 10, 20, -7, 5, 5],
            "ABLFL": ["Y", None, None, None, "Y", None, None],
            "AVAL": [2.5, 0.4, 0.4, 1.2, 4.0, 6.1, 50.0],
            "AVALU": ["10^9/L"] * 4 + ["mmol/L"] * 2 + ["mg/L"],
            "ANRLO": [1.8] * 4 + [3.5] * 2 + [None],
            "ANRHI": [7.5] * 4 + [5.1] * 2 + [5.0],
            "BASE": [2.5] * 4 + [4.0] * 2 + [None],
            "CHG": [None, -2.1, -2.1, -1.3, None, 2.1, None],
            "BNRIND": ["NORMAL"] * 6 + [None],
        },
        schema_overrides={"ANRLO": pl.Float64, "BASE": pl.Float64, "CHG": pl.Float64},
    )
    out = _grade_adlb(x, "5.0", "worst_case")
    assert out["ATOXDSCL"].to_list()[:6] == ["Neutrophil count decreased"] * 4 + ["Hypokalemia"] * 2
    assert out["ATOXDSCH"].to_list()[4:] == ["Hyperkalemia", "Hyperkalemia", None]
    assert out["ATOXGR"].to_list() == ["0", "-4", "-4", "-2", "0", "3", None]
    assert out["ATOXVER"].to_list() == ["CTCAE v5.0"] * 6 + [None]
    # worst post-baseline low grade of NEUT: grade 4 on day 3 (the earlier of the two)
    assert out["WGRLOFL"].to_list() == [None, "Y", None, None, None, "Y", None]
    assert out["WGRHIFL"].to_list() == [None] * 5 + ["Y", None]


def _worst(rows: list[tuple], **columns) -> pl.DataFrame:
    """``flag_worst_grades`` of rows (USUBJID, PARAMCD, ADY, ATOXGRL, ATOXGRH, post)."""
    x = pl.DataFrame(
        rows,
        schema=["USUBJID", "PARAMCD", "ADY", "ATOXGRL", "ATOXGRH", "POST"],
        orient="row",
    ).with_columns(**{k: pl.lit(v) for k, v in columns.items()})
    return ctcae.flag_worst_grades(x, by_vars=["USUBJID", "PARAMCD"], post=pl.col("POST"))


def test_worst_grade_flag_is_the_earliest_day_of_the_highest_post_baseline_grade() -> None:
    # rows out of day order: the tie on grade 3 goes to day 8, not to the later row on day 15;
    # the grade 4 before baseline does not count
    out = _worst(
        [
            ("S1", "NEUT", 15, "3", "0", True),
            ("S1", "NEUT", -3, "4", "0", False),
            ("S1", "NEUT", 8, "3", "0", True),
            ("S1", "NEUT", 2, "1", "0", True),
        ]
    )
    assert out["ADY"].to_list() == [15, -3, 8, 2]  # rows stay in their order
    assert out["WGRLOFL"].to_list() == [None, None, "Y", None]
    # every high grade is 0: the first post-baseline day carries the worst (grade 0)
    assert out["WGRHIFL"].to_list() == [None, None, None, "Y"]


def test_worst_grade_flag_is_per_subject_and_parameter_and_never_on_a_null_grade() -> None:
    out = _worst(
        [
            ("S1", "K", 5, "2", None, True),
            ("S2", "K", 5, "1", None, True),
            ("S1", "NA", 5, "1", None, True),
            ("S1", "K", 9, None, None, True),  # ungraded: never flagged
            ("S3", "K", 1, None, None, True),  # a group with no grade at all: no flag
            ("S3", "K", -1, "3", None, False),  # before baseline only
        ]
    )
    assert out["WGRLOFL"].to_list() == ["Y", "Y", "Y", None, None, None]
    assert out["WGRHIFL"].to_list() == [None] * 6


def test_worst_grade_flags_already_present_are_replaced_in_place() -> None:
    out = _worst([("S1", "K", 5, "2", "1", True)], WGRLOFL="old", WGRHIFL="old")
    assert out.columns[-2:] == ["WGRLOFL", "WGRHIFL"]
    assert out.row(0, named=True) == {
        "USUBJID": "S1",
        "PARAMCD": "K",
        "ADY": 5,
        "ATOXGRL": "2",
        "ATOXGRH": "1",
        "POST": True,
        "WGRLOFL": "Y",
        "WGRHIFL": "Y",
    }


def test_adlb_grading_v6_uses_v6_terms() -> None:
    from sle_car.derive.datasets import _grade_adlb

    x = pl.DataFrame(
        {
            "USUBJID": ["S1", "S1"],
            "PARAMCD": ["PLAT", "LYM"],
            "ADY": [5, 5],
            "ABLFL": [None, None],
            "AVAL": [9.0, 0.3],
            "AVALU": ["10^9/L", "10^9/L"],
            "ANRLO": [150.0, 1.0],
            "ANRHI": [400.0, 4.0],
            "BASE": [200.0, 1.5],
            "CHG": [-191.0, -1.2],
            "BNRIND": ["NORMAL", "NORMAL"],
        },
        schema_overrides={"ABLFL": pl.String},
    )
    out = _grade_adlb(x, "6.0", "worst_case")
    # v6: Thrombocytopenia grade 4 < 10 x 10^9/L; no lymphocyte-decrease term
    assert out["ATOXDSCL"].to_list() == ["Thrombocytopenia", None]
    assert out["ATOXGR"].to_list() == ["-4", "0"]
