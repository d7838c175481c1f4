"""Issue 16: not evaluable is a value. Each test is one rule on a tiny literal frame: a
missing input gives null with a reason, never a responder and never a clean 0."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from data_schemas import codelists as cl
from sle_car import instruments as ins
from sle_car.derive import drug_exposure_by_day, sustained_response

SYSTEMS = list(cl.BILAG_DOMAINS)


def _bilag(now: dict[str, str | None], base: dict[str, str | None]) -> pl.DataFrame:
    assert set(now) | set(base) <= set(SYSTEMS), "not a BILAG-2004 system"
    row = {s: now.get(s, "E") for s in SYSTEMS} | {f"{s}_BL": base.get(s, "E") for s in SYSTEMS}
    return pl.DataFrame([row], schema={c: pl.String for c in row})


# --- BILAG-2004 ----------------------------------------------------------------------------------
def test_bilag_1_a_system_without_a_grade_makes_the_total_not_evaluable() -> None:
    df = pl.DataFrame(
        [
            {s: "E" for s in SYSTEMS} | {"BLGMUCO": "B"},
            {s: "E" for s in SYSTEMS} | {"BLGMUCO": None},
        ],
        schema={s: pl.String for s in SYSTEMS},
    )
    out = ins.bilag_score(df)
    assert out["BILAGTOT"].to_list() == [8, None]  # never 0 for the unknown system
    assert out["BILAGNB"].to_list() == [1, None]
    assert out["BILAG_NMISS"].to_list() == [0, 1]


def test_bilag_2_new_flares_are_unknown_when_a_grade_is_missing_now_or_at_baseline() -> None:
    known = ins.bilag_new_flares(_bilag({"BLGMUCO": "A"}, {"BLGMUCO": "C"}))
    assert known.select("NEWA", "NEWB").row(0) == (1, 0)
    for now, base in (({"BLGMUCO": None}, {}), ({}, {"BLGMUCO": None})):
        out = ins.bilag_new_flares(_bilag(now, base))
        assert out.select("NEWA", "NEWB").row(0) == (None, None)


# --- SRI and BICLA -------------------------------------------------------------------------------
def _responder_frame(bilag: pl.DataFrame, **values: object) -> pl.DataFrame:
    base = {
        "SLEDAI2K": 2,
        "SLEDAI_BL": 10,
        "PGA": 0.5,
        "PGA_BL": 1.5,
        "TRTFAIL": False,
        "SLEDAI_COMPLETE": True,
    }
    return ins.bilag_new_flares(bilag).with_columns(
        pl.lit(v).alias(k) for k, v in (base | values).items()
    )


def test_sri_1_no_bilag_data_is_not_evaluable_with_the_reason() -> None:
    none = {s: None for s in SYSTEMS}
    out = ins.sri(_responder_frame(_bilag(none, none)))
    assert out["SRI"].to_list() == [None]
    assert out["SRI_NE"].to_list() == ["BILAG-2004 grades missing"]


def test_sri_2_a_criterion_known_to_fail_decides_even_without_bilag() -> None:
    none = {s: None for s in SYSTEMS}
    out = ins.sri(_responder_frame(_bilag(none, none), SLEDAI2K=8))  # reduction 2 < 4
    assert out["SRI"].to_list() == [False] and out["SRI_NE"].to_list() == [None]


def test_sri_3_an_incomplete_sledai_cannot_show_the_reduction() -> None:
    out = ins.sri(_responder_frame(_bilag({}, {}), SLEDAI_COMPLETE=False))
    assert out["SRI"].to_list() == [None]
    assert out["SRI_NE"].to_list() == ["SLEDAI-2K incomplete"]
    complete = ins.sri(_responder_frame(_bilag({}, {})))
    assert complete["SRI"].to_list() == [True]


def test_bicla_1_no_bilag_data_is_not_evaluable() -> None:
    none = {s: None for s in SYSTEMS}
    out = ins.bicla(_responder_frame(_bilag(none, none)))
    assert out["BICLA"].to_list() == [None]
    assert out["BICLA_NE"].to_list() == ["BILAG-2004 grades missing"]


def test_bicla_2_a_missing_baseline_grade_is_never_improved() -> None:
    """Baseline renal grade unknown, renal A now: formerly 'improved' (otherwise True)."""
    df = _responder_frame(_bilag({"BLGRENAL": "A"}, {"BLGRENAL": None}))
    assert ins.bicla(df)["BICLA"].to_list() == [None]


def test_bicla_3_a_system_that_stays_a_is_a_known_failure_despite_other_gaps() -> None:
    bil = _bilag({"BLGMUCO": "A", "BLGRENAL": None}, {"BLGMUCO": "A"})
    assert ins.bicla(_responder_frame(bil))["BICLA"].to_list() == [False]


# --- SLEDAI-2K completeness ----------------------------------------------------------------------
def test_sledai_1_serology_not_measured_leaves_clinical_sledai_complete() -> None:
    row = {d: False for d in cl.SLEDAI_ITEMS} | {"LOWCOMP": None, "DNABIND": None}
    out = ins.sledai_2k(pl.DataFrame([row], schema={d: pl.Boolean for d in cl.SLEDAI_ITEMS}))
    assert out.select("SLEDAI_COMPLETE", "CSLEDAI_COMPLETE", "CSLEDAI_NMISS").row(0) == (
        False,
        True,
        0,
    )


def _doris_frame(**values: object) -> pl.DataFrame:
    base = {
        "CSLEDAI": 0,
        "CSLEDAI_COMPLETE": True,
        "PGA": 0.0,
        "PREDDOSE": 0.0,
        "ISUNSTABLE": False,
        "ONIS": False,
        "ONAM": False,
    }
    return pl.DataFrame([base | values]).with_columns(
        pl.col("PGA", "PREDDOSE").cast(pl.Float64), pl.col("CSLEDAI").cast(pl.Int64)
    )


def test_doris_1_a_clinical_zero_with_a_descriptor_not_assessed_is_not_evaluable() -> None:
    out = ins.doris_remission(_doris_frame(CSLEDAI_COMPLETE=False))
    assert out.select("DORIS", "DORISOFF", "DORISDF").row(0) == (None, None, None)
    assert out["DORIS_NE"].to_list() == ["clinical SLEDAI incomplete"]


def test_doris_2_activity_seen_decides_no_remission_even_when_incomplete() -> None:
    out = ins.doris_remission(_doris_frame(CSLEDAI=4, CSLEDAI_COMPLETE=False))
    assert out["DORIS"].to_list() == [False] and out["DORIS_NE"].to_list() == [None]


def test_doris_3_pga_missing_is_named() -> None:
    out = ins.doris_remission(_doris_frame(PGA=None))
    assert out["DORIS"].to_list() == [None] and out["DORIS_NE"].to_list() == ["PGA missing"]


def test_lldas_1_a_major_organ_descriptor_not_assessed_is_not_absent() -> None:
    row = {d: False for d in cl.SLEDAI_ITEMS} | {"PROTEIN": None}
    df = pl.DataFrame([row], schema={d: pl.Boolean for d in cl.SLEDAI_ITEMS}).with_columns(
        pl.lit(0).alias("SLEDAI2K"),
        pl.lit(0.5).alias("PGA"),
        pl.lit(5.0).alias("PREDDOSE"),
        pl.lit(False).alias("NEWACT"),
        pl.lit(False).alias("HAEMOLYT"),
        pl.lit(False).alias("GIACT"),
        pl.lit(False).alias("NONSTDIS"),
    )
    assert ins.lldas(df)["LLDAS"].to_list() == [None]
    assert ins.lldas(df.with_columns(pl.lit(False).alias("PROTEIN")))["LLDAS"].to_list() == [True]


# --- laboratory proposals ------------------------------------------------------------------------
def _labs(rows: list[tuple[str, float, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "USUBJID": "A",
                "LBDY": 28,
                "LBTESTCD": code,
                "LBSPEC": "SERUM",
                "LBSTRESN": value,
                "LBSTRESC": None,
                "LBSTNRLO": lln,
                "LBSTNRHI": None,
            }
            for code, value, lln in rows
        ],
        schema={
            "USUBJID": pl.String,
            "LBDY": pl.Int64,
            "LBTESTCD": pl.String,
            "LBSPEC": pl.String,
            "LBSTRESN": pl.Float64,
            "LBSTRESC": pl.String,
            "LBSTNRLO": pl.Float64,
            "LBSTNRHI": pl.Float64,
        },
    )


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([("ALB", 40.0, 35.0)], None),  # neither C3 nor C4 measured: not a clean 0
        ([("C3", 1.0, 0.9)], None),  # C4 unknown
        ([("C3", 1.0, 0.9), ("C4", 0.2, 0.1)], False),
        ([("C3", 0.5, 0.9)], True),  # one low value suffices
    ],
)
def test_lab_lowcomp_is_null_when_complement_was_not_measured(
    rows: list[tuple[str, float, float]], expected: bool | None
) -> None:
    visits = pl.DataFrame({"USUBJID": ["A"], "ADY": [28]})
    out = ins.propose_lab_descriptors(visits, _labs(rows))
    assert out["LAB_LOWCOMP"].to_list() == [expected]
    assert out["LAB_THROMBO"].to_list() == [None]  # no platelet count in the window


@pytest.mark.parametrize(("temp", "expected"), [("38.0", False), ("38.1", True), (None, None)])
def test_vs_fever_is_strictly_above_38(temp: str | None, expected: bool | None) -> None:
    vs = pl.DataFrame(
        {"USUBJID": ["A"], "VSDY": [25], "VSTESTCD": ["TEMP"], "VSORRES": [temp]},
        schema={
            "USUBJID": pl.String,
            "VSDY": pl.Int64,
            "VSTESTCD": pl.String,
            "VSORRES": pl.String,
        },
    )
    out = ins.propose_vs_fever(pl.DataFrame({"USUBJID": ["A"], "ADY": [28]}), vs)
    assert out["VS_FEVER"].to_list() == [expected]


def test_vs_fever_threshold_is_an_option() -> None:
    vs = pl.DataFrame({"USUBJID": ["A"], "VSDY": [28], "VSTESTCD": ["TEMP"], "VSORRES": ["38.3"]})
    visits = pl.DataFrame({"USUBJID": ["A"], "ADY": [28]})
    assert ins.propose_vs_fever(visits, vs, fever_c=38.5)["VS_FEVER"].to_list() == [False]


# --- serology and renal --------------------------------------------------------------------------
def test_serologic_remission_names_the_test_not_measured() -> None:
    df = pl.DataFrame(
        {
            "DSDNA": [10.0, 10.0],
            "DSDNA_CUT": [30.0, 30.0],
            "C3": [1.0, 0.5],
            "C3_LLN": [0.9, 0.9],
            "C4": [None, None],
            "C4_LLN": [0.1, 0.1],
        }
    )
    out = ins.serologic_remission(df)
    assert out["SEROREM"].to_list() == [None, False]  # low C3 decides without C4
    assert out["SEROREM_NE"].to_list() == ["C4 not measured", None]


def test_renal_response_only_with_active_nephritis_at_baseline() -> None:
    df = pl.DataFrame(
        {
            "UPCR": [0.10, 0.10, 0.10],
            "UPCR_BL": [0.14, 2.0, 0.5],
            "EGFR": [95.0, 95.0, 95.0],
            "EGFR_BL": [100.0, 100.0, 100.0],
        }
    )
    out = ins.renal_response(df)
    assert out["RENALCR"].to_list() == [None, True, True]  # 0.5 g/g is active (>=)
    assert out["RENAL_NE"].to_list()[0] == "no active nephritis at baseline (UPCR < 0.5 g/g)"
    assert ins.renal_response(df, active_upcr_g_g=1.0)["RENALCR"].to_list() == [None, True, None]


# --- sustained remission -------------------------------------------------------------------------
def _runs(rows: list[tuple[str, int, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows, schema={"USUBJID": pl.String, "ADY": pl.Int64, "AVALC": pl.String}, orient="row"
    )


def test_sustained_2_ongoing_on_study_and_shorter_is_not_evaluable() -> None:
    """003 of the pilot: remission from day 81, last assessment day 367, still on study."""
    df = _runs([("003", 28, "N"), ("003", 81, "Y"), ("003", 200, "Y"), ("003", 367, "Y")])
    on_study = pl.DataFrame({"USUBJID": ["003"]})
    out = sustained_response(df, min_days=365, on_study=on_study)
    assert out.select("SUSTFL", "NEREASON").row(0) == (
        None,
        "ongoing at the last assessment, held 286 < 365 days so far",
    )
    off_study = sustained_response(df, min_days=365, on_study=on_study.clear())
    assert off_study["SUSTFL"].to_list() == ["N"]  # left the study: it can no longer be met


def test_sustained_3_lost_earlier_is_no_and_held_long_enough_is_yes() -> None:
    df = _runs(
        [
            ("A", 28, "Y"),
            ("A", 200, "N"),  # lost
            ("A", 300, "N"),
            ("B", 28, "Y"),
            ("B", 100, None),  # not evaluable: neither breaks nor extends the run
            ("B", 400, "Y"),
        ]
    )
    out = sustained_response(df, min_days=365)
    assert out.select("USUBJID", "SUSTFL", "SUSTDY").rows() == [("A", "N", None), ("B", "Y", 28)]


# --- therapy stability ---------------------------------------------------------------------------
def _cm(rows: list[tuple], prior: list[str | None] | None = None) -> pl.DataFrame:
    cm = pl.DataFrame(
        rows,
        schema={
            "USUBJID": pl.String,
            "CMCLAS": pl.String,
            "CMPREDEQ": pl.Float64,
            "CMSTDY": pl.Int64,
            "CMENDY": pl.Int64,
        },
        orient="row",
    )
    return cm.with_columns(pl.Series("CMSTRTPT", prior)) if prior else cm


def test_stability_1_a_drug_stopped_before_the_visit_is_not_unstable_therapy() -> None:
    """Started at screening (day -25), stopped day -6: at day 28 it is not being taken."""
    cm = _cm([("A", "IMMUNOSUPPRESSANT", None, -25, -6)])
    out = drug_exposure_by_day(cm, pl.DataFrame({"USUBJID": ["A"], "ADY": [28]}))
    assert out.select("ISUNSTABLE", "ONIS").row(0) == (False, False)


def test_stability_2_a_start_before_the_study_is_not_a_recent_start() -> None:
    """CMSTDY is the screening day only as a stand-in when CMSTRTPT is BEFORE."""
    rows = [("A", "ANTIMALARIAL", None, -25, None)]
    days = pl.DataFrame({"USUBJID": ["A"], "ADY": [28]})
    assert drug_exposure_by_day(_cm(rows), days)["ISUNSTABLE"].to_list() == [True]
    assert drug_exposure_by_day(_cm(rows, ["BEFORE"]), days)["ISUNSTABLE"].to_list() == [False]


def test_stability_3_doris_on_day_28_after_pre_study_therapy_stopped() -> None:
    """The issue's case: cSLEDAI 0, PGA 0, no drugs at day 28 -> DORIS Y, drug-free Y."""
    cm = _cm([("A", "IMMUNOSUPPRESSANT", None, -25, -6), ("A", "GLUCOCORTICOID", 10.0, -25, -6)])
    st = drug_exposure_by_day(cm, pl.DataFrame({"USUBJID": ["A"], "ADY": [28]}))
    st = st.with_columns(
        pl.lit(0).alias("CSLEDAI"), pl.lit(True).alias("CSLEDAI_COMPLETE"), pl.lit(0.0).alias("PGA")
    )
    out = ins.doris_remission(st)
    assert out.select("DORIS", "DORISOFF", "DORISDF").row(0) == (True, True, True)


# --- whole cohort --------------------------------------------------------------------------------
def test_a_cut_with_no_bilag_makes_sri_and_bicla_not_evaluable(cohort_dir: Path) -> None:
    """Formerly 15 of 15 "Y": missing grades counted as "no new flare"."""
    from sle_car.clean import clean_study
    from sle_car.derive import derive_all

    domains = dict(clean_study(cohort_dir).domains)
    domains["qs"] = domains["qs"].filter(pl.col("QSCAT") != cl.QS_BILAG)
    adrs = derive_all(domains)["adrs"]
    resp = adrs.filter(pl.col("PARAMCD").is_in(["SRI4", "BICLA"]))
    assert resp.height > 0
    assert (resp["AVALC"] == "Y").sum() == 0
    ne = resp.filter(pl.col("AVALC").is_null())
    assert ne.height > 0 and all("BILAG-2004 grades missing" in r for r in ne["NEREASON"])
    assert set(resp["AVALC"].drop_nulls()) <= {"N"}  # only where SLEDAI or PGA alone fails


def test_sledai_fever_from_vs_is_switchable_and_never_overrides_the_investigator() -> None:
    from sle_car.derive.datasets import sledai_wide

    qs = pl.DataFrame(
        {
            "USUBJID": ["A", "B"],
            "QSCAT": [cl.QS_SLEDAI] * 2,
            "QSTESTCD": ["SEIZURE", "FEVER"],
            "QSSTRESN": [0.0, 0.0],  # B: the investigator scored fever absent (infection)
            "QSDY": [28, 28],
        }
    )
    vs = pl.DataFrame(
        {"USUBJID": ["A", "B"], "VSDY": [27, 27], "VSTESTCD": ["TEMP"] * 2, "VSORRES": ["38.5"] * 2}
    )
    off = sledai_wide(qs, vs).sort("USUBJID")
    on = sledai_wide(qs, vs, sledai_fever_from_vs=True).sort("USUBJID")
    assert off["FEVER"].to_list() == [None, False]
    assert on["FEVER"].to_list() == [True, False]
    assert on["SLEDAI2K"].to_list() == [cl.SLEDAI_ITEMS["FEVER"][1], 0]


def test_sdi_with_a_system_not_scored_is_not_evaluable_and_damage_stays() -> None:
    items = list(cl.SDI_ITEMS)
    rows = [
        {c: 0 for c in items} | {"USUBJID": "A", "ADY": -7, items[0]: 1},
        {c: 0 for c in items} | {"USUBJID": "A", "ADY": 84, items[0]: None},
        {c: 0 for c in items} | {"USUBJID": "A", "ADY": 168, items[0]: 0},
    ]
    out = ins.sdi_score(pl.DataFrame(rows)).sort("ADY")
    assert out["SDI_NMISS"].to_list() == [0, 1, 0]
    assert out["SDITOT"].to_list() == [1, None, 1]  # damage once scored stays
