"""Every worked example (test vector) of shared/reference/instruments.md, one test each."""

from __future__ import annotations

import polars as pl
import pytest

from data_schemas.codelists import FACIT_ITEMS, SDI_ITEMS, SLEDAI_ITEMS
from sle_car import instruments as ins
from sle_car._checks import MissingColumnsError
from sle_car.instruments.ctcae import CTCAEGradingWarning, CTCAEUnitError

# --- SLEDAI-2K (§1) ------------------------------------------------------------------------


def _sledai(present: list[str]) -> dict:
    row = {k: (k in present) for k in SLEDAI_ITEMS}
    return ins.sledai_2k(pl.DataFrame([row])).row(0, named=True)


@pytest.mark.parametrize(
    ("vid", "present", "total", "clinical"),
    [
        ("SLEDAI-T01", ["ARTHRIT", "RASH", "LOWCOMP", "DNABIND"], 10, 6),
        ("SLEDAI-T03", list(SLEDAI_ITEMS), 105, 101),
        ("SLEDAI-T04", ["LOWCOMP", "DNABIND"], 4, 0),
        ("SLEDAI-T06", ["FEVER", "THROMBO", "LEUKOPEN", "PROTEIN", "HEMATUR"], 11, 11),
        ("SLEDAI-T07", ["LOWCOMP"], 2, 0),
    ],
)
def test_sledai_vectors(vid: str, present: list[str], total: int, clinical: int) -> None:
    r = _sledai(present)
    assert (r["SLEDAI2K"], r["CSLEDAI"]) == (total, clinical), vid
    assert r["SLEDAI_COMPLETE"]


def test_sledai_missing_descriptor_makes_assessment_incomplete() -> None:
    row = {k: False for k in SLEDAI_ITEMS} | {"RASH": True, "SEIZURE": None}
    r = ins.sledai_2k(pl.DataFrame([row])).row(0, named=True)
    assert (r["SLEDAI2K"], r["SLEDAI_NMISS"], r["SLEDAI_COMPLETE"]) == (2, 1, False)


def test_sledai_t06_lab_descriptors_proposed_from_raw_values() -> None:
    """SLEDAI-T06: platelets 99, WBC 2.9, protein 0.51 g/g, 6 RBC/hpf -> proposed;
    the boundary values 100, 3.0, 0.5 and 5 are not (strict comparators)."""
    visits = pl.DataFrame({"USUBJID": ["A", "B"], "ADY": [28, 28]})
    rows = []
    for subj, (plat, wbc, prot, rbc) in {"A": (99, 2.9, 0.51, 6), "B": (100, 3.0, 0.5, 5)}.items():
        for code, spec, v in (
            ("PLAT", "BLOOD", plat),
            ("WBC", "BLOOD", wbc),
            ("PROTCRT", "URINE", prot),
            ("RBC", "URINE", rbc),
        ):
            rows.append(
                {
                    "USUBJID": subj,
                    "LBDY": 25,
                    "LBTESTCD": code,
                    "LBSPEC": spec,
                    "LBSTRESN": float(v),
                    "LBSTRESC": str(v),
                    "LBSTNRLO": None,
                    "LBSTNRHI": None,
                }
            )
    out = ins.propose_lab_descriptors(visits, pl.DataFrame(rows)).sort("USUBJID")
    a, b = out.row(0, named=True), out.row(1, named=True)
    assert a["LAB_THROMBO"] and a["LAB_LEUKOPEN"] and a["LAB_PROTEIN"] and a["LAB_HEMATUR"]
    assert not (b["LAB_THROMBO"] or b["LAB_LEUKOPEN"] or b["LAB_PROTEIN"] or b["LAB_HEMATUR"])


def test_lab_descriptor_lookback_window() -> None:
    """A low C3 11 days before the visit counts with a 30-day window, not a 10-day one."""
    visits = pl.DataFrame({"USUBJID": ["A"], "ADY": [40]})
    labs = pl.DataFrame(
        {
            "USUBJID": ["A"],
            "LBDY": [29],
            "LBTESTCD": ["C3"],
            "LBSPEC": ["SERUM"],
            "LBSTRESN": [0.8],
            "LBSTRESC": ["0.8"],
            "LBSTNRLO": [0.9],
            "LBSTNRHI": [1.8],
        }
    )
    assert not ins.propose_lab_descriptors(visits, labs, window_days=10)["LAB_LOWCOMP"][0]
    assert ins.propose_lab_descriptors(visits, labs, window_days=30)["LAB_LOWCOMP"][0]


def test_missing_columns_are_named() -> None:
    with pytest.raises(MissingColumnsError, match="SEIZURE"):
        ins.sledai_2k(pl.DataFrame({"RASH": [True]}))


# --- DORIS (§2) ---------------------------------------------------------------------------


def _doris(cs, pga, pred, unstable=False, onis=False, onam=False, **kw) -> dict:
    df = pl.DataFrame(
        {
            "CSLEDAI": [cs],
            "PGA": [pga],
            "PREDDOSE": [pred],
            "ISUNSTABLE": [unstable],
            "ONIS": [onis],
            "ONAM": [onam],
        }
    )
    return ins.doris_remission(df, **kw).row(0, named=True)


def test_doris_t01_serology_irrelevant() -> None:
    assert _doris(0, 0.3, 2.5, onis=True, onam=True)["DORIS"]


def test_doris_t03_clinical_activity() -> None:
    assert not _doris(2, 0.2, 0)["DORIS"]


def test_doris_t04_also_off_therapy() -> None:
    r = _doris(0, 0.0, 0, onam=True)
    assert r["DORIS"] and r["DORISOFF"] and r["DORISDF"]


def test_doris_t06_prednisolone_above_5() -> None:
    assert not _doris(0, 0.4, 5.1)["DORIS"]


def test_doris_t07_unstable_immunosuppressant() -> None:
    assert not _doris(0, 0.2, 0, unstable=True, onis=True)["DORIS"]


def test_doris_boundaries_and_comparator_parameter() -> None:
    assert _doris(0, 0.49, 5.0)["DORIS"]  # ≤ 5 (default, 2021 abstract)
    assert not _doris(0, 0.5, 0)["DORIS"]  # PGA < 0.5 strict
    assert not _doris(0, 0.2, 5.0, gc_comparator="<")["DORIS"]  # web-table variant


def test_doris_drug_free_and_antimalarial_parameter() -> None:
    assert not _doris(0, 0.2, 2.5)["DORISDF"]
    assert not _doris(0, 0.2, 0, onam=True, antimalarial_allowed_drug_free=False)["DORISDF"]


# --- LLDAS (§3) ---------------------------------------------------------------------------


def _lldas(present: list[str], pga: float, pred: float, new: bool = False) -> bool:
    row = {k: (k in present) for k in SLEDAI_ITEMS}
    df = ins.sledai_2k(pl.DataFrame([row])).with_columns(
        pl.lit(pga).alias("PGA"),
        pl.lit(pred).alias("PREDDOSE"),
        pl.lit(new).alias("NEWACT"),
        pl.lit(False).alias("HAEMOLYT"),
        pl.lit(False).alias("GIACT"),
        pl.lit(False).alias("NONSTDIS"),
    )
    return ins.lldas(df)["LLDAS"][0]


@pytest.mark.parametrize(
    ("vid", "present", "new", "pga", "pred", "expected"),
    [
        ("LLDAS-T01", ["LOWCOMP", "DNABIND"], False, 1.0, 7.5, True),
        ("LLDAS-T03", ["ARTHRIT"], False, 0.8, 5, True),
        ("LLDAS-T04", ["ARTHRIT", "RASH"], False, 0.8, 5, False),
        ("LLDAS-T06", ["LOWCOMP", "DNABIND"], False, 1.0, 7.6, False),
        ("LLDAS-T07", ["ALOPECIA"], True, 0.5, 0, False),
        ("LLDAS-T09", ["THROMBO", "LEUKOPEN"], False, 0.5, 0, True),
    ],
)
def test_lldas_vectors(vid, present, new, pga, pred, expected) -> None:
    assert _lldas(present, pga, pred, new) is expected, vid


def test_lldas_major_organ_activity_excludes() -> None:
    assert _lldas(["PROTEIN"], 0.5, 0) is False  # SLEDAI 4 but renal


# --- SRI-4 and BICLA (§4) -------------------------------------------------------------------


def _sri(bl, v, newa, newb, pga_bl, pga) -> bool | None:
    df = pl.DataFrame(
        {
            "SLEDAI_BL": [bl],
            "SLEDAI2K": [v],
            "NEWA": [newa],
            "NEWB": [newb],
            "PGA_BL": [pga_bl],
            "PGA": [pga],
        },
        schema_overrides={"PGA": pl.Float64},
    )
    return ins.sri(df)["SRI"][0]


def test_sri_t01_responder() -> None:
    assert _sri(12, 8, 0, 1, 2.0, 2.2) is True


def test_sri_t03_float_trap() -> None:
    assert 1.2 - 0.9 < 0.3  # the IEEE-754 trap this guards against
    assert _sri(14, 8, 0, 0, 0.9, 1.2) is False


def test_sri_t04_two_new_b() -> None:
    assert _sri(14, 9, 0, 2, 1.5, 1.0) is False


def test_sri_t06_baseline_below_4() -> None:
    assert _sri(3, 0, 0, 0, 1.0, 0.0) is False


def test_sri_t07_missing_pga_is_null_for_nri_downstream() -> None:
    assert _sri(10, 6, 0, 0, 1.5, None) is None


def _bicla(changes: dict[str, tuple[str, str]], s_bl, s, p_bl, p, tf) -> bool:
    from sle_car.instruments.bilag import SYSTEMS

    row = {}
    for sys_ in SYSTEMS:
        b, v = changes.get(sys_, ("D", "D"))
        row[sys_ + "_BL"], row[sys_] = b, v
    df = pl.DataFrame([row])
    df = ins.bilag_new_flares(df).with_columns(
        pl.lit(s_bl).alias("SLEDAI_BL"),
        pl.lit(s).alias("SLEDAI2K"),
        pl.lit(p_bl).alias("PGA_BL"),
        pl.lit(p).alias("PGA"),
        pl.lit(tf).alias("TRTFAIL"),
    )
    return ins.bicla(df)["BICLA"][0]


def test_bicla_t01() -> None:
    assert (
        _bicla(
            {"BLGMSK": ("A", "B"), "BLGMUCO": ("B", "C"), "BLGRENAL": ("C", "C")},
            10,
            6,
            2.0,
            1.4,
            False,
        )
        is True
    )


def test_bicla_t03_sledai_worse() -> None:
    assert _bicla({"BLGMSK": ("A", "B"), "BLGMUCO": ("B", "C")}, 10, 11, 2.0, 1.4, False) is False


def test_bicla_t04_one_new_b_allowed() -> None:
    assert (
        _bicla(
            {"BLGMSK": ("A", "C"), "BLGMUCO": ("B", "D"), "BLGCARD": ("E", "B")},
            10,
            8,
            2.0,
            1.6,
            False,
        )
        is True
    )


def test_bicla_t06_treatment_failure() -> None:
    assert _bicla({"BLGMSK": ("A", "C"), "BLGMUCO": ("B", "D")}, 10, 4, 2.0, 0.5, True) is False


def test_bicla_t07_two_new_b() -> None:
    assert (
        _bicla(
            {"BLGMSK": ("B", "C"), "BLGHAEM": ("D", "B"), "BLGRENAL": ("E", "B")},
            8,
            8,
            1.0,
            1.0,
            False,
        )
        is False
    )


# --- BILAG-2004 (§5) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vid", "grades", "total", "na", "nb", "overall"),
    [
        ("BILAG-T01", "DCEBEEEAD", 21, 1, 1, "A"),
        ("BILAG-T03", "DDEDEEEDE", 0, 0, 0, "D"),
        ("BILAG-T04", "CCCCCCCCC", 9, 0, 0, "C"),
    ],
)
def test_bilag_vectors(vid, grades, total, na, nb, overall) -> None:
    from sle_car.instruments.bilag import SYSTEMS

    r = ins.bilag_score(pl.DataFrame([dict(zip(SYSTEMS, grades, strict=True))])).row(0, named=True)
    assert (r["BILAGTOT"], r["BILAGNA"], r["BILAGNB"], r["BILAGOVR"]) == (total, na, nb, overall)


@pytest.mark.parametrize(
    ("vid", "bl", "v", "newa", "newb"),
    [("BILAG-T06", "B", "B", 0, 0), ("BILAG-T07", "D", "B", 0, 1), ("BILAG-T09", "A", "B", 0, 0)],
)
def test_bilag_new_grades(vid, bl, v, newa, newb) -> None:
    df = pl.DataFrame({"BLGMSK": [v], "BLGMSK_BL": [bl]})
    r = ins.bilag_new_flares(df, systems=["BLGMSK"]).row(0, named=True)
    assert (r["NEWA"], r["NEWB"]) == (newa, newb), vid


# --- PGA (§6) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vid", "pga", "cat"),
    [("PGA-T01", 0.4, "none (<0.5)"), ("PGA-T03", 1.0, "mild"), ("PGA-T04", 1.01, "moderate")],
)
def test_pga_categories(vid, pga, cat) -> None:
    assert ins.pga_category(pl.DataFrame({"PGA": [pga]}))["PGACAT"][0] == cat


def test_pga_t06_change_of_exactly_0_3_is_worsening() -> None:
    r = ins.pga_change(pl.DataFrame({"PGA": [0.7], "PGA_BL": [0.4]})).row(0, named=True)
    assert r["PGACHG"] == 0.3 and r["PGAWORSE"]


@pytest.mark.parametrize("bad", [3.2, -0.1])
def test_pga_t07_out_of_range(bad: float) -> None:
    with pytest.raises(ins.pga.PGAValueError, match="0-3"):
        ins.pga_category(pl.DataFrame({"PGA": [1.0, bad]}))


# --- SDI (§7) -------------------------------------------------------------------------------


def _sdi(rows: list[dict]) -> list[int]:
    base = {k: 0 for k in SDI_ITEMS}
    df = pl.DataFrame([base | r | {"USUBJID": "A", "ADY": i} for i, r in enumerate(rows)])
    return ins.sdi_score(df)["SDITOT"].to_list()


def test_sdi_t01() -> None:  # cataract 1; fracture 1 + AVN >1 = 2 (MSK)
    assert _sdi([{"SDIOCUL": 1, "SDIMSK": 3}]) == [4]


def test_sdi_t03() -> None:  # two CVAs (2) + cognitive impairment (1)
    assert _sdi([{"SDINEURO": 3}]) == [3]


def test_sdi_t04_short_proteinuria_not_damage() -> None:
    assert _sdi([{}]) == [0]


def test_sdi_t06_maximum_47_with_caps() -> None:
    assert _sdi([{k: 99 for k in SDI_ITEMS}]) == [47]


def test_sdi_t07_never_decreases() -> None:
    assert _sdi([{"SDIOCUL": 1, "SDIMSK": 2}, {"SDIOCUL": 1, "SDIMSK": 1}]) == [3, 3]


# --- FACIT-Fatigue (§8) ------------------------------------------------------------------------


def _facit(responses: list[int | None]) -> dict:
    row = dict(zip(FACIT_ITEMS, responses, strict=True))
    return ins.facit_fatigue(pl.DataFrame([row], schema={k: pl.Int64 for k in FACIT_ITEMS})).row(
        0, named=True
    )


def test_facit_t01_all_zero() -> None:
    assert _facit([0] * 13)["FACITTOT"] == 44


def test_facit_t03_worst() -> None:
    assert _facit([4] * 6 + [0, 0] + [4] * 5)["FACITTOT"] == 0


def test_facit_t04() -> None:
    assert _facit([1, 2, 1, 2, 1, 0, 2, 3, 1, 0, 0, 1, 1])["FACITTOT"] == 39


def test_facit_t06_prorated() -> None:
    r = _facit([2] * 7 + [None] * 6)
    assert r["FACITTOT"] == pytest.approx(26.0) and r["FACIT_PRORATED"]


def test_facit_t07_too_few_items() -> None:
    assert _facit([2] * 6 + [None] * 7)["FACITTOT"] is None


# --- CTCAE v5.0 (§9) ---------------------------------------------------------------------------


def _grade(
    term: str,
    direction: str,
    values: list[float],
    lln=None,
    uln=None,
    base=None,
    bnrind=None,
    unit="10^9/L",
    strict=False,
) -> list[str | None]:
    n = len(values)
    df = pl.DataFrame(
        {
            "ATOXDSCL": [term if direction == "L" else None] * n,
            "ATOXDSCH": [term if direction == "H" else None] * n,
            "AVAL": values,
            "AVALU": [unit] * n,
            "ANRLO": [lln] * n,
            "ANRHI": [uln] * n,
            "BASE": [base] * n,
            "BNRIND": [bnrind] * n,
        },
        schema_overrides={
            "ANRLO": pl.Float64,
            "ANRHI": pl.Float64,
            "BASE": pl.Float64,
            "BNRIND": pl.String,
            "ATOXDSCL": pl.String,
            "ATOXDSCH": pl.String,
        },
    )
    out = ins.grade_lab(df, strict=strict)
    return out["ATOXGRL" if direction == "L" else "ATOXGRH"].to_list()


def test_ctc_t01_neutrophils() -> None:
    vals = [0.49, 0.50, 0.99, 1.00, 1.49, 1.50, 1.79, 1.80]
    assert _grade("Neutrophil count decreased", "L", vals, lln=1.8) == list("43322110")


def test_ctc_t03_lymphocytes() -> None:
    vals = [0.19, 0.20, 0.49, 0.50, 0.79, 0.80, 0.99, 1.00]
    assert _grade("Lymphocyte count decreased", "L", vals, lln=1.0) == list("43322110")


def test_ctc_t04_wbc() -> None:
    vals = [0.99, 1.0, 1.99, 2.0, 2.99, 3.0, 3.99, 4.0]
    assert _grade("White blood cell decreased", "L", vals, lln=4.0) == list("43322110")


def test_ctc_t06_alt_normal_baseline() -> None:
    vals = [40, 41, 120, 121, 200, 201, 800, 801]
    got = _grade(
        "Alanine aminotransferase increased",
        "H",
        vals,
        uln=40,
        base=30,
        bnrind="NORMAL",
        unit="U/L",
    )
    assert got == list("01122334")


def test_ctc_t07_alt_abnormal_baseline() -> None:
    vals = [80, 90, 180, 181, 300, 301]
    got = _grade(
        "Alanine aminotransferase increased", "H", vals, uln=40, base=60, bnrind="HIGH", unit="U/L"
    )
    assert got == list("011223")


def test_ctc_t09_creatinine_float_trap() -> None:
    assert 1.5 * 0.7 < 1.05  # the trap
    got = _grade(
        "Creatinine increased", "H", [1.05], uln=0.7, base=0.7, bnrind="NORMAL", unit="mg/dL"
    )
    assert got == ["1"]


def test_ctcae_conventional_unit_graded_or_null_and_reported() -> None:
    # issue 17: the g/dL criteria row grades g/dL values (Hgb < 8.0 g/dL: grade 3); a unit
    # without criteria gives a null grade with a warning (admiral), strict mode raises
    assert _grade("Anemia", "L", [7.9], lln=12.0, unit="g/dL") == ["3"]
    with pytest.warns(CTCAEGradingWarning, match="mmol/L"):
        assert _grade("Anemia", "L", [4.0], lln=7.0, unit="mmol/L") == [None]
    with pytest.raises(CTCAEUnitError, match="mmol/L"):
        _grade("Anemia", "L", [4.0], lln=7.0, unit="mmol/L", strict=True)


def test_ctcae_missing_lln_leaves_grade_unknown_unless_higher_grade_holds() -> None:
    with pytest.warns(CTCAEGradingWarning, match="ANRLO missing"):  # issue 17: reported
        assert _grade("Neutrophil count decreased", "L", [1.7, 0.4], lln=None) == [None, "4"]


def test_ctcae_unknown_term_is_null_and_reported_or_an_error_in_strict_mode() -> None:
    # issue 17: admiral gives a null grade for an unknown term; we also warn
    with pytest.warns(CTCAEGradingWarning, match="unknown term"):
        assert _grade("Ferritin increased", "H", [900], uln=300, unit="ug/L") == [None]
    with pytest.raises(ValueError, match="unknown term"):
        _grade("Ferritin increased", "H", [900], uln=300, unit="ug/L", strict=True)


# --- ASTCT CRS / ICE / ICANS (§10) -------------------------------------------------------------


def _crs(temp, sbp=120, nvaso=0, dev="NONE", flow=0.0, masked=False) -> int:
    df = pl.DataFrame(
        {
            "TEMP": [temp],
            "SYSBP": [float(sbp)],
            "NVASO": [nvaso],
            "O2DEV": [dev],
            "O2FLOW": [flow],
            "FEVERMASKED": [masked],
        }
    )
    return ins.crs_grade(df)["CRSGR"][0]


def test_crs_t01_fever_inclusive() -> None:
    assert _crs(38.0) == 1 and _crs(37.9) == 0


def test_crs_t03_grade2() -> None:
    assert _crs(38.5, sbp=85, dev="LOW-FLOW NASAL CANNULA", flow=2) == 2


def test_crs_t04_vasopressin_not_multiple() -> None:
    assert _crs(39.0, sbp=80, nvaso=1) == 3  # norepinephrine + vasopressin counts one


def test_crs_t06_six_litres_is_low_flow() -> None:
    assert _crs(38.4, dev="LOW-FLOW NASAL CANNULA", flow=6.0) == 2
    assert _crs(38.4, dev="LOW-FLOW NASAL CANNULA", flow=6.5) == 3


def test_crs_t07_two_vasopressors() -> None:
    assert _crs(39.0, sbp=70, nvaso=2) == 4


def test_crs_t09_fever_not_required_after_tocilizumab() -> None:
    assert _crs(36.8, sbp=80, nvaso=1, masked=True) == 3
    assert _crs(36.8, sbp=80, nvaso=1, masked=False) == 0


def test_ice_t01() -> None:
    df = pl.DataFrame(
        {"ICEORIEN": [3], "ICENAME": [3], "ICECOMM": [1], "ICEWRITE": [0], "ICEATTN": [1]}
    )
    assert ins.ice_score(df)["ICE"][0] == 8


def _icans(ice, loc="NORMAL", seizure="NONE", motor=False, oedema="NONE") -> int:
    df = pl.DataFrame(
        {"ICE": [ice], "LOC": [loc], "SEIZURE": [seizure], "MOTOR": [motor], "OEDEMA": [oedema]},
        schema_overrides={"ICE": pl.Int64},
    )
    return ins.icans_grade(df)["ICANSGR"][0]


def test_icans_vectors() -> None:
    assert _icans(10) == 0  # ICANS-T01
    assert _icans(6) == 2  # ICANS-T03
    assert _icans(3, seizure="RAPIDLY RESOLVING") == 3  # ICANS-T04
    assert _icans(None, loc="UNAROUSABLE") == 4  # ICANS-T06
    assert _icans(8, loc="AWAKENS TO VOICE") == 2  # ICANS-T07
    assert _icans(0, loc="NORMAL") == 3  # ICE 0 awake (global aphasia)


# --- ICAHT (§11) ----------------------------------------------------------------------------


def _anc(low: dict[tuple[int, int], float]) -> pl.DataFrame:
    days = list(range(31))
    anc = [2000.0] * 31
    for (a, b), v in low.items():
        for d in range(a, b + 1):
            anc[d] = v
    return pl.DataFrame({"USUBJID": ["A"] * 31, "ADY": days, "ANC": anc})


@pytest.mark.parametrize(
    ("vid", "low", "grade"),
    [
        ("ICAHT-T01", {(1, 5): 300}, 1),
        ("ICAHT-T03", {(1, 14): 300}, 3),
        ("ICAHT-T04", {(1, 13): 300, (3, 9): 80}, 3),
        ("ICAHT-T06", {(1, 6): 300, (7, 8): 600, (9, 12): 300}, 2),
        ("ICAHT-T07", {(1, 6): 300, (7, 9): 600, (10, 14): 300}, 1),
    ],
)
def test_icaht_early_vectors(vid, low, grade) -> None:
    assert ins.icaht_early(_anc(low))["ICAHTE"][0] == grade, vid


def test_icaht_early_comparator_500_counts() -> None:
    assert ins.icaht_early(_anc({(1, 7): 500}))["ICAHTE"][0] == 2


@pytest.mark.parametrize(
    ("vid", "values", "grade"),
    [("ICAHT-T09", [800, 1200], 2), ("ICAHT-T10", [450, 1400], 3), ("ICAHT-T12", [1400, 1600], 0)],
)
def test_icaht_late_vectors(vid, values, grade) -> None:
    df = pl.DataFrame(
        {
            "USUBJID": ["A"] * len(values),
            "ADY": [40, 60][: len(values)],
            "ANC": [float(v) for v in values],
        }
    )
    assert ins.icaht_late(df)["ICAHTL"][0] == grade, vid


# --- CKD-EPI 2021 and renal response (§12) --------------------------------------------------------


@pytest.mark.parametrize(
    ("vid", "sex", "age", "scr", "unit", "egfr", "reported"),
    [
        ("EGFR-T01", "F", 35, 0.7, "mg/dL", 115.5935, 116),
        ("EGFR-T03", "M", 50, 1.2, "mg/dL", 73.6735, 74),
        ("EGFR-T04", "M", 40, 0.9, "mg/dL", 110.7256, 111),
        ("EGFR-T06", "F", 45, 2.0, "mg/dL", 30.8181, 31),
        ("EGFR-T07", "F", 30, 80.0, "umol/L", 87.6175, 88),
    ],
)
def test_egfr_vectors(vid, sex, age, scr, unit, egfr, reported) -> None:
    df = pl.DataFrame({"CREAT": [scr], "AGE": [age], "SEX": [sex]})
    got = ins.egfr_ckd_epi_2021(df, creat_unit=unit)["EGFR"][0]
    assert got == pytest.approx(egfr, abs=1e-3), vid
    assert round(got) == reported


@pytest.mark.parametrize(
    ("vid", "bl", "v", "gbl", "gv", "cr2012", "cr2019", "pr"),
    [
        ("LN-T01", 3.0, 0.40, 70, 68, True, True, False),
        ("LN-T03", 6.0, 3.20, 60, 61, False, False, False),
        ("LN-T04", 2.0, 0.55, 90, 88, False, True, True),
    ],
)
def test_renal_response_vectors(vid, bl, v, gbl, gv, cr2012, cr2019, pr) -> None:
    df = pl.DataFrame({"UPCR_BL": [bl], "UPCR": [v], "EGFR_BL": [float(gbl)], "EGFR": [float(gv)]})
    r12 = ins.renal_response(df).row(0, named=True)
    r19 = ins.renal_response(df, cr_threshold=0.7, cr_unit="g/g").row(0, named=True)
    assert r12["RENALCR"] is cr2012 and r19["RENALCR"] is cr2019, vid
    assert r12["RENALPR"] is pr


# --- serology and B cells (§13) --------------------------------------------------------------------


def _sero(dsdna) -> bool:
    df = pl.DataFrame(
        {
            "DSDNA": [float(dsdna)],
            "DSDNA_CUT": [30.0],
            "C3": [0.95],
            "C3_LLN": [0.9],
            "C4": [0.12],
            "C4_LLN": [0.1],
        }
    )
    return ins.serologic_remission(df)["SEROREM"][0]


def test_sero_t01() -> None:
    assert _sero(25) is True


def test_sero_t03_cutoff_is_positive() -> None:
    assert _sero(30) is False


def test_bca_t01_aplasia_confirmed() -> None:
    df = ins.bcell_aplasia_flag(
        pl.DataFrame({"USUBJID": ["A", "A"], "ADY": [7, 14], "BCELL": [0.5, 0.3]})
    )
    assert ins.bcell_reconstitution(df)["APLDY"][0] == 7


def test_bca_t03_reconstitution_first_of_two() -> None:
    df = ins.bcell_aplasia_flag(
        pl.DataFrame(
            {"USUBJID": ["A"] * 5, "ADY": [7, 28, 90, 110, 125], "BCELL": [0.1, 0.2, 0.5, 3.0, 8.0]}
        )
    )
    r = ins.bcell_reconstitution(df).row(0, named=True)
    assert (r["APLDY"], r["RECDY"]) == (7, 110)


def test_bca_single_high_sample_is_not_reconstitution() -> None:
    df = ins.bcell_aplasia_flag(
        pl.DataFrame(
            {"USUBJID": ["A"] * 5, "ADY": [7, 28, 90, 110, 125], "BCELL": [0.1, 0.2, 3.0, 0.5, 8.0]}
        )
    )
    assert ins.bcell_reconstitution(df)["RECDY"][0] is None


def test_bca_t04_percent_criterion() -> None:
    df = pl.DataFrame({"BCELLPCT": [0.8, 1.0]})
    assert ins.bcell_aplasia_flag(df, abs_max=None, pct_max=1.0)["BCAPL"].to_list() == [True, False]
