"""One literal-frame test per ADRS and ADTTE parameter (``derive_param_*``), numbered and
titled like admiral's tests: the frames are the smallest that show the rule."""

from __future__ import annotations

import polars as pl
import pytest

from data_schemas import codelists as cl
from sle_car import instruments as ins
from sle_car.derive import (
    censor_source,
    derive_adtte,
    derive_param_bcapl,
    derive_param_bicla,
    derive_param_doris,
    derive_param_facitmid,
    derive_param_lldas,
    derive_param_renalcr,
    derive_param_serorem,
    derive_param_sri,
    derive_param_sustained,
    derive_param_tte,
    event_source,
)

SYSTEMS = list(cl.BILAG_DOMAINS)


def _yn(out: pl.DataFrame, paramcd: str) -> list[tuple]:
    return (
        out.filter(pl.col("PARAMCD") == paramcd)
        .sort("USUBJID", "ADY")
        .select("USUBJID", "AVALC", "NEREASON")
        .rows()
    )


# --- ADRS ------------------------------------------------------------------------------------------
def test_adrs_1_doris_on_treatment_off_therapy_and_drug_free() -> None:
    st = pl.DataFrame(
        {
            "USUBJID": ["A", "B", "C"],
            "ADY": [84, 84, 84],
            "CSLEDAI": [0, 0, 0],
            "CSLEDAI_COMPLETE": [True, True, True],
            "PGA": [0.2, 0.0, None],
            "PREDDOSE": [5.0, 0.0, 0.0],
            "ISUNSTABLE": [False, False, False],
            "ONIS": [False, False, False],
            "ONAM": [True, False, False],
        }
    )
    out = derive_param_doris(st)
    assert _yn(out, "DORISREM") == [("A", "Y", None), ("B", "Y", None), ("C", None, "PGA missing")]
    assert [r[1] for r in _yn(out, "DORISOFF")] == ["N", "Y", None]  # A: prednisolone 5 mg
    assert [r[1] for r in _yn(out, "DORISDF")] == ["N", "Y", None]
    strict = derive_param_doris(st, gc_comparator="<")
    assert _yn(strict, "DORISREM")[0][1] == "N"  # 5 mg/day is not < 5


def _lldas_state(**values: object) -> pl.DataFrame:
    row = {d: False for d in cl.SLEDAI_ITEMS} | {
        "USUBJID": "A",
        "ADY": 28,
        "SLEDAI2K": 4,
        "SLEDAI_COMPLETE": True,
        "PGA": 1.0,
        "PREDDOSE": 7.5,
        "NEWACT": False,
        "HAEMOLYT": False,
        "GIACT": False,
        "NONSTDIS": False,
    }
    return pl.DataFrame([row | values])


def test_adrs_2_lldas_all_criteria_inclusive() -> None:
    assert _yn(derive_param_lldas(_lldas_state()), "LLDAS") == [("A", "Y", None)]
    assert _yn(derive_param_lldas(_lldas_state(PREDDOSE=7.6)), "LLDAS")[0][1] == "N"
    incomplete = derive_param_lldas(_lldas_state(SLEDAI_COMPLETE=False))
    assert _yn(incomplete, "LLDAS") == [("A", None, "SLEDAI-2K incomplete")]


def _responder_state(now: dict[str, str | None], base: dict[str, str | None], **values):
    assert set(now) | set(base) <= set(SYSTEMS), "not a BILAG-2004 system"
    row = {
        "USUBJID": "A",
        "ADY": 84,
        "SLEDAI2K": 2,
        "SLEDAI_BL": 10,
        "SLEDAI_COMPLETE": True,
        "PGA": 0.5,
        "PGA_BL": 1.5,
        "TRTFAIL": False,
    }
    row |= {s: now.get(s, "E") for s in SYSTEMS} | {f"{s}_BL": base.get(s, "E") for s in SYSTEMS}
    return ins.bilag_new_flares(pl.DataFrame([row | values]))


def test_adrs_3_sri_k_named_by_the_reduction() -> None:
    st = _responder_state({}, {})
    assert _yn(derive_param_sri(st), "SRI4") == [("A", "Y", None)]
    sri9 = derive_param_sri(st, reduction=9)
    assert _yn(sri9, "SRI9") == [("A", "N", None)]  # 10 -> 2 is a reduction of 8
    none = {s: None for s in SYSTEMS}
    no_bilag = derive_param_sri(_responder_state(none, none))
    assert _yn(no_bilag, "SRI4") == [("A", None, "BILAG-2004 grades missing")]


def test_adrs_4_bicla_every_baseline_a_or_b_improves() -> None:
    improved = _responder_state({"BLGMSK": "C"}, {"BLGMSK": "B"})
    assert _yn(derive_param_bicla(improved), "BICLA") == [("A", "Y", None)]
    stuck = _responder_state({"BLGMSK": "B"}, {"BLGMSK": "B"})
    assert _yn(derive_param_bicla(stuck), "BICLA") == [("A", "N", None)]
    unknown = _responder_state({"BLGMSK": "C"}, {"BLGMSK": None})
    assert _yn(derive_param_bicla(unknown), "BICLA") == [("A", None, "BILAG-2004 grades missing")]


def _adlb(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "USUBJID": pl.String,
            "PARAMCD": pl.String,
            "ADY": pl.Int64,
            "AVISITN": pl.Int64,
            "AVAL": pl.Float64,
            "BASE": pl.Float64,
            "ANRLO": pl.Float64,
            "ANRHI": pl.Float64,
        },
        orient="row",
    ).with_columns(pl.lit("Y").alias("ANL01FL"))


def test_adrs_5_serologic_remission_needs_all_three_tests() -> None:
    lab = _adlb(
        [
            ("A", "DDNAIGAB", 84, 120, 10.0, None, None, 30.0),
            ("A", "C3", 84, 120, 1.0, None, 0.9, None),
            ("A", "C4", 84, 120, 0.2, None, 0.1, None),
            ("B", "DDNAIGAB", 84, 120, 10.0, None, None, 30.0),
            ("B", "C3", 84, 120, 1.0, None, 0.9, None),  # no C4
            ("C", "DDNAIGAB", 84, 120, 30.0, None, None, 30.0),  # = cut-off: positive
        ]
    )
    assert _yn(derive_param_serorem(lab), "SEROREM") == [
        ("A", "Y", None),
        ("B", None, "C4 not measured"),
        ("C", "N", None),
    ]


def test_adrs_6_b_cell_aplasia_strictly_below_the_threshold() -> None:
    lab = _adlb(
        [
            ("A", "BLYCE", 28, 50, 0.5, None, None, None),
            ("A", "BLYCE", 84, 120, 1.0, None, None, None),
        ]
    )
    out = derive_param_bcapl(lab)
    assert [r[1] for r in _yn(out, "BCAPL")] == ["Y", "N"]
    assert out["PARAM"][0] == "B-cell aplasia (CD19+ < 1/uL)"


def test_adrs_7_renal_response_only_with_active_nephritis_at_baseline() -> None:
    adsl = pl.DataFrame({"USUBJID": ["A", "B", "C"], "LNFL": ["Y", "Y", "N"]})
    lab = _adlb(
        [
            ("A", "PROTCRT", 28, 50, 0.30, 2.0, None, None),
            ("A", "EGFR", 28, 50, 95.0, 100.0, None, None),
            ("B", "PROTCRT", 28, 50, 0.10, 0.14, None, None),  # 0.14 g/g: nothing to respond
            ("B", "EGFR", 28, 50, 95.0, 100.0, None, None),
            ("C", "PROTCRT", 28, 50, 0.10, 2.0, None, None),  # no lupus nephritis: not in it
            ("C", "EGFR", 28, 50, 95.0, 100.0, None, None),
        ]
    )
    assert _yn(derive_param_renalcr(lab, adsl), "RENALCR") == [
        ("A", "Y", None),  # 0.30 g/g = 33.9 mg/mmol < 50
        ("B", None, "no active nephritis at baseline (UPCR < 0.5 g/g)"),
    ]


def test_adrs_8_facit_fatigue_improvement_of_at_least_the_mid() -> None:
    adqs = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "B"],
            "PARAMCD": ["FACITTOT"] * 4,
            "ADY": [-7, 28, 84, 28],
            "AVAL": [30.0, 34.0, 33.0, 40.0],
            "BASE": [30.0, 30.0, 30.0, None],
            "CHG": [None, 4.0, 3.0, None],
            "ANL01FL": ["Y"] * 4,
        }
    )
    assert _yn(derive_param_facitmid(adqs), "FACITMID") == [
        ("A", "Y", None),
        ("A", "N", None),
        ("B", None, "no baseline FACIT-Fatigue"),
    ]
    assert [r[1] for r in _yn(derive_param_facitmid(adqs, mid=3.0), "FACITMID")[:2]] == ["Y", "Y"]


def test_adrs_9_doris12_not_evaluable_while_ongoing_on_study() -> None:
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "B", "B", "C", "C"],
            "PARAMCD": ["DORISREM"] * 6,
            "ADY": [81, 367, 28, 400, 28, 200],
            "AVALC": ["Y", "Y", "Y", "Y", "Y", "N"],
        }
    )
    adsl = pl.DataFrame({"USUBJID": ["A", "B", "C"], "EOSSTT": ["ONGOING"] * 3})
    out = derive_param_sustained(adrs, adsl).sort("USUBJID")
    assert out.select("USUBJID", "AVALC", "ADY").rows() == [
        ("A", None, 367),
        ("B", "Y", 28),
        ("C", "N", 200),
    ]
    assert out["NEREASON"][0] == "ongoing at the last assessment, held 286 < 365 days so far"
    assert out["AVAL"].to_list() == [None, 1.0, 0.0]


# --- ADTTE -----------------------------------------------------------------------------------------
SUBJECTS = pl.DataFrame({"USUBJID": ["A", "B", "C"], "ORIGIN": [0, 0, None]})


def test_adtte_tte_1_earliest_event_wins_over_any_censoring() -> None:
    visits = pl.DataFrame(
        {"USUBJID": ["A", "A", "A", "B", "B"], "ADY": [28, 84, 168, 28, 56], "OK": [0, 1, 1, 0, 0]}
    )
    out = derive_param_tte(
        SUBJECTS,
        source_datasets={"V": visits},
        start_date="ORIGIN",
        event_conditions=[
            event_source("V", filter=pl.col("OK") == 1, set_values_to={"EVNTDESC": "ok"})
        ],
        censor_conditions=[censor_source("V", set_values_to={"CNSDTDSC": "last visit"})],
        set_values_to={"PARAMCD": "TTOK", "PARAM": "Time to OK (days)"},
    )
    assert out.select("USUBJID", "ADY", "CNSR", "AVAL", "EVNTDESC", "CNSDTDSC").rows() == [
        ("A", 84, 0, 84.0, "ok", None),
        ("B", 56, 1, 56.0, None, "last visit"),  # the latest censoring
    ]  # C has no origin: not in the parameter


def test_adtte_tte_2_a_filter_may_refer_to_the_subjects_origin() -> None:
    subjects = pl.DataFrame({"USUBJID": ["A"], "START": [84]})
    visits = pl.DataFrame({"USUBJID": ["A"] * 3, "ADY": [28, 84, 168], "Y": ["N", "Y", "N"]})
    out = derive_param_tte(
        subjects,
        source_datasets={"V": visits},
        start_date="START",
        event_conditions=[
            event_source("V", filter=(pl.col("Y") == "N") & (pl.col("ADY") > pl.col("STARTDY")))
        ],
        censor_conditions=[],
        set_values_to={"PARAMCD": "DUR"},
        add_one=True,
    )
    assert out.select("STARTDY", "ADY", "AVAL").row(0) == (84, 168, 85.0)  # admiral's + 1


def test_adtte_tte_3_a_censoring_code_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="censor must be 1 or more"):
        censor_source("V", censor=0)


def test_adtte_7_duration_of_drug_free_remission() -> None:
    adsl = pl.DataFrame(
        {"USUBJID": ["A", "B"], "SAFFL": ["Y", "Y"], "LSTALVDY": [400, 400], "DTHDY": [None, None]},
        schema_overrides={"DTHDY": pl.Int64},
    )
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "B", "B"],
            "PARAMCD": ["DORISDF"] * 5,
            "ADY": [84, 168, 252, 28, 56],
            "AVISITN": [1, 2, 3, 1, 2],
            "AVALC": ["Y", None, "N", "N", "N"],  # A: a not-evaluable visit is no loss
        }
    )
    no_b = pl.DataFrame(
        schema={"USUBJID": pl.String, "PARAMCD": pl.String, "ADY": pl.Int64, "AVAL": pl.Float64}
    )
    tte = derive_adtte(adsl, adrs, no_b).filter(pl.col("PARAMCD") == "DURDF")
    assert tte.select("USUBJID", "STARTDY", "ADY", "CNSR", "AVAL").rows() == [
        ("A", 84, 252, 0, 168.0)
    ]  # B was never in drug-free remission: not in the parameter


# --- disease state and ADQS rules ------------------------------------------------------------------
def test_disease_state_1_lldas_inputs_unknown_is_not_absent() -> None:
    desc = {d: False for d in cl.SLEDAI_ITEMS}
    state = pl.DataFrame(
        [
            desc | {"USUBJID": "A", "ADY": -7, "BLGGI": "D"},
            desc | {"USUBJID": "A", "ADY": 28, "BLGGI": None, "RASH": True, "ARTHRIT": None},
            desc | {"USUBJID": "A", "ADY": 56, "BLGGI": "C", "RASH": True, "ARTHRIT": True},
        ]
    )
    cm = pl.DataFrame(
        {
            "USUBJID": ["A"],
            "CMTRT": ["MYCOPHENOLATE MOFETIL"],
            "CMDOSE": [2000.0],
            "CMDOSFRQ": ["BID"],  # 4,000 mg/day > 3,000: not standard maintenance
            "CMSTDY": [-100],
            "CMENDY": [30],
        }
    )
    out = ins.lldas_inputs(state, cm).sort("ADY")
    # day 28: rash is new; day 56: rash is not, arthritis may be (not assessed on day 28)
    assert out["NEWACT"].to_list() == [False, True, None]
    assert out["GIACT"].to_list() == [False, None, True]
    assert out["NONSTDIS"].to_list() == [True, True, False]


def _qs(rows: list[tuple[str, str, float | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "USUBJID": "A",
                "QSCAT": cat,
                "QSTESTCD": code,
                "QSSTRESN": n,
                "QSORRES": c,
                "QSDY": 28,
            }
            for cat, code, n, c in rows
        ],
        schema={
            "USUBJID": pl.String,
            "QSCAT": pl.String,
            "QSTESTCD": pl.String,
            "QSSTRESN": pl.Float64,
            "QSORRES": pl.String,
            "QSDY": pl.Int64,
        },
    )


def test_adqs_1_completeness_of_sledai_2k_and_clinical_sledai_is_separate() -> None:
    from sle_car.derive import derive_adqs

    serology = {"LOWCOMP", "DNABIND"}
    rows = [(cl.QS_SLEDAI, d, 0.0, "0") for d in cl.SLEDAI_ITEMS if d not in serology]
    adqs = derive_adqs({"qs": _qs(rows)})
    got = dict(
        adqs.filter(pl.col("PARAMCD").is_in(["SLEDAI2K", "CSLEDAI"]))
        .select("PARAMCD", "COMPLFL")
        .rows()
    )
    assert got == {"SLEDAI2K": "N", "CSLEDAI": "Y"}


def test_adqs_2_bilag_total_is_null_when_a_system_has_no_grade() -> None:
    from sle_car.derive import derive_adqs

    rows = [(cl.QS_BILAG, s, None, "B" if s == "BLGMSK" else "E") for s in SYSTEMS[:-1]]
    adqs = derive_adqs({"qs": _qs(rows)})
    bil = adqs.filter(pl.col("PARAMCD") == "BILAGTOT")
    assert bil.select("AVAL", "COMPLFL").rows() == [(None, "N")]  # never 8


def test_adqs_3_baseline_is_the_last_value_before_the_first_treatment_day() -> None:
    from sle_car.derive import derive_adqs

    qs = pl.DataFrame(
        {
            "USUBJID": ["A", "A"],
            "QSCAT": [cl.QS_PGA] * 2,
            "QSTESTCD": ["PGA"] * 2,
            "QSSTRESN": [1.5, 1.0],
            "QSORRES": ["1.5", "1.0"],
            "QSDY": [-12, -7],
        }
    )
    default = derive_adqs({"qs": qs}).filter(pl.col("ABLFL") == "Y")
    assert default["ADY"].to_list() == [-7]  # before day -5 (DEFAULTS.first_treatment_day)
    earlier = derive_adqs({"qs": qs}, first_treatment_day=-10).filter(pl.col("ABLFL") == "Y")
    assert earlier["ADY"].to_list() == [-12]


def test_adrs_9b_doris12_status_not_recorded_is_not_a_guessed_no() -> None:
    """A short run still going at the last assessment: not evaluable when the patient is on
    study or their end-of-study status was not recorded (null: they may still be on study),
    "N" only when they are known to have left."""
    adrs = pl.DataFrame(
        {"USUBJID": ["A", "A", "D", "D"], "PARAMCD": ["DORISREM"] * 4,
         "ADY": [81, 367, 81, 367], "AVALC": ["Y"] * 4}
    )  # fmt: skip
    adsl = pl.DataFrame({"USUBJID": ["A", "D"], "EOSSTT": [None, "DISCONTINUED"]})
    out = derive_param_sustained(adrs, adsl).sort("USUBJID")
    assert out["AVALC"].to_list() == [None, "N"]
