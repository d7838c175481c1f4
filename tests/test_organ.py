"""Organ function (issue 18): CKD-EPI 2021 vectors computed by hand, renal response only among
patients with active nephritis at baseline, BILAG-2004 systems per visit."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car.endpoints_by_visit import rates_by_timepoint
from sle_car.instruments.renal import egfr_ckd_epi_2021
from sle_car.organ import active_nephritis, bilag_no_a_or_b, bilag_systems_by_visit


@pytest.mark.parametrize(
    ("sex", "age", "creat_umol", "expected"),
    [
        # 100 µmol/L = 1.131222 mg/dL; /0.9 = 1.256913; ^-1.200 = 0.760029;
        # 0.9938^60 = 0.688570; 142 x 0.760029 x 0.688570 = 74.31
        ("M", 60, 100.0, 74.31),
        # 50 µmol/L = 0.565611 mg/dL; /0.7 = 0.808016; ^-0.241 = 1.052723;
        # 0.9938^25 = 0.856003; x 1.012 (female); 142 x ... = 129.50
        ("F", 25, 50.0, 129.50),
    ],
)
def test_ckd_epi_2021_hand_computed(sex, age, creat_umol, expected) -> None:
    df = pl.DataFrame({"CREAT": [creat_umol], "AGE": [age], "SEX": [sex]})
    assert egfr_ckd_epi_2021(df)["EGFR"][0] == pytest.approx(expected, abs=0.05)


ADLB = pl.DataFrame(
    {
        "USUBJID": ["A", "B", "C", "D", "A"],
        "PARAMCD": ["PROTCRT", "PROTCRT", "PROTCRT", "CREAT", "PROTCRT"],
        "AVAL": [2.0, 0.5, 0.49, 80.0, 0.1],
        "ABLFL": ["Y", "Y", "Y", "Y", None],
    }
)


def test_active_nephritis_threshold_is_inclusive() -> None:
    an = active_nephritis(ADLB)
    # B sits exactly on 0.5 g/g (>=: active); C just below; D has no baseline UPCR: absent
    assert dict(zip(an["USUBJID"], an["ACTIVELN"], strict=True)) == {
        "A": True,
        "B": True,
        "C": False,
    }


def test_renal_response_denominator_is_active_nephritis_only() -> None:
    an = active_nephritis(ADLB)
    adsl = pl.DataFrame(
        {"USUBJID": ["A", "B", "C"], "LSTALVDY": [400] * 3, "EOSSTT": ["ONGOING"] * 3}
    )
    adrs = pl.DataFrame(
        {
            "USUBJID": ["A", "B", "C"],
            "AVISIT": ["WEEK 12"] * 3,
            "AVALC": ["Y", "N", None],
            "NEREASON": [None, None, "no active nephritis at baseline (UPCR < 0.5 g/g)"],
        }
    )
    pop = adsl.join(an.filter(pl.col("ACTIVELN")), on="USUBJID", how="semi")
    r = rates_by_timepoint(adrs, timepoints=["WEEK 12"], population=pop).row(0, named=True)
    # C (no active nephritis) is outside the denominator altogether, not "not evaluable"
    assert (r["k"], r["n_evaluable"], r["n_population"], r["n_not_evaluable"]) == (1, 2, 2, 0)


def _qs(grades_by_day: dict[int, dict[str, str | None]]) -> pl.DataFrame:
    rows = []
    for day, grades in grades_by_day.items():
        for code, g in grades.items():
            rows.append(
                {
                    "USUBJID": "S-001",
                    "QSCAT": "BILAG-2004",
                    "QSTESTCD": code,
                    "QSORRES": g,
                    "QSDY": day,
                }
            )
    return pl.DataFrame(rows)


ALL_E = {
    c: "E"
    for c in [
        "BLGCONST",
        "BLGMUCO",
        "BLGNEURO",
        "BLGMSK",
        "BLGCARD",
        "BLGGI",
        "BLGOPHTH",
        "BLGRENAL",
        "BLGHAEM",
    ]
}


def test_bilag_systems_windowed_one_per_visit() -> None:
    qs = _qs({-7: {**ALL_E, "BLGRENAL": "A"}, 27: ALL_E, 30: {**ALL_E, "BLGMSK": "B"}})
    b = bilag_systems_by_visit(qs)
    # days 27 and 30 share WEEK 4 [21, 42); day 27 is closer to the nominal day 28
    assert sorted(b["AVISIT"].unique().to_list()) == ["BASELINE", "WEEK 4"]
    wk4 = b.filter(pl.col("AVISIT") == "WEEK 4")
    assert wk4["ADY"].unique().to_list() == [27]
    assert b.filter((pl.col("AVISIT") == "BASELINE") & (pl.col("SYSTEM") == "Renal"))[
        "GRADE"
    ].to_list() == ["A"]
    assert b["Patient"].unique().to_list() == ["001"]


def test_bilag_no_a_or_b_missing_system_is_not_evaluable() -> None:
    qs = _qs(
        {
            28: ALL_E,  # WEEK 4: no A/B, all graded -> Y
            56: {**ALL_E, "BLGMSK": None},  # WEEK 8: one system missing, no A/B -> NE
            84: {**ALL_E, "BLGMSK": None, "BLGRENAL": "B"},  # WEEK 12: a B decides -> N
        }
    )
    r = bilag_no_a_or_b(bilag_systems_by_visit(qs)).sort("ADY")
    assert r["AVALC"].to_list() == ["Y", None, "N"]
    assert r["NEREASON"].to_list() == [None, "1 BILAG-2004 system(s) not graded", None]


def test_bilag_not_collected_is_an_empty_frame() -> None:
    qs = _qs({28: ALL_E}).with_columns(pl.lit("SLEDAI-2K").alias("QSCAT"))
    b = bilag_systems_by_visit(qs)
    assert b.height == 0 and "GRADE" in b.columns


def test_complete_response_limit_50_mg_mmol_is_0_44_g_g() -> None:
    """Bertsias 2012: UPCR < 50 mg/mmol; creatinine 113.12 g/mol gives 0.442 g/g; a limit
    stated in g/g (2019 update) is unchanged."""
    from sle_car.organ import complete_response_upcr_g_g

    assert complete_response_upcr_g_g(50.0, "mg/mmol") == pytest.approx(0.442, abs=5e-4)
    assert complete_response_upcr_g_g(0.5, "g/g") == 0.5
