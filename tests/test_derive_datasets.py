"""Dataset-level derivation rules (ADSL, ADAE, ADRS, ADTTE): one rule per test, on tiny
literal frames written by hand, so that each expected value can be checked on paper."""

from __future__ import annotations

import polars as pl
import pytest

from sle_car.derive import derive_adae, derive_adsl, derive_adtte


# --- ADSL ---------------------------------------------------------------------------------------
def _domains(
    ex: list[tuple[str, str, float, int]],
    ds: list[tuple[str, str, int]] | None = None,
    lb_days: dict[str, list[int]] | None = None,
) -> dict[str, pl.DataFrame]:
    """Subjects A and B (170 cm, 70 kg, diagnosed 3,652.5 days before infusion) with the
    given exposures, disposition events and laboratory days; no other records."""
    dm = pl.DataFrame(
        {
            "STUDYID": ["S", "S"],
            "USUBJID": ["A", "B"],
            "SITEID": ["01", "01"],
            "AGE": [30, 40],
            "SEX": ["F", "F"],
            "ETHGRP": ["MALAY", "CHINESE"],
            "WEIGHTBL": [70.0, 70.0],
            "HEIGHTBL": [170.0, 170.0],
            "DIAGDY": [-3652, -3652],
            "LNFL": ["Y", "N"],
            "NPRIORTX": [3, 4],
        }
    )
    lb = [(s, d) for s, days in (lb_days or {}).items() for d in days]
    ds_rows = ds or []
    return {
        "dm": dm,
        "ex": pl.DataFrame(
            ex,
            schema={
                "USUBJID": pl.String,
                "EXTRT": pl.String,
                "EXDOSE": pl.Float64,
                "EXSTDY": pl.Int64,
            },
            orient="row",
        ),
        "ds": pl.DataFrame(
            [(s, "DISPOSITION EVENT", dec, day) for s, dec, day in ds_rows],
            schema={
                "USUBJID": pl.String,
                "DSCAT": pl.String,
                "DSDECOD": pl.String,
                "DSSTDY": pl.Int64,
            },
            orient="row",
        ),
        "lb": pl.DataFrame(lb, schema={"USUBJID": pl.String, "LBDY": pl.Int64}, orient="row"),
        "vs": pl.DataFrame(schema={"USUBJID": pl.String, "VSDY": pl.Int64}),
        "qs": pl.DataFrame(schema={"USUBJID": pl.String, "QSDY": pl.Int64}),
        "ae": pl.DataFrame(schema={"USUBJID": pl.String, "AESTDY": pl.Int64}),
    }


LD_AND_CART = [
    ("A", "FLUDARABINE", 25.0, -5),
    ("A", "FLUDARABINE", 25.0, -4),
    ("A", "CYCLOPHOSPHAMIDE", 1000.0, -3),
    ("A", "CD19 CAR T CELLS", 1.0, 0),
    ("B", "FLUDARABINE", 25.0, -5),  # lymphodepleted, never infused
]


def test_adsl_1_safety_population_is_who_received_car_t_cells() -> None:
    adsl = derive_adsl(_domains(LD_AND_CART))
    assert adsl["SAFFL"].to_list() == ["Y", "N"]
    assert adsl["LDFL"].to_list() == ["Y", "Y"]
    assert adsl["CARTDOSE"].to_list() == [1.0, None]
    assert adsl["FLUTOT"].to_list() == [50.0, 25.0]  # summed over days
    assert adsl["CYCTOT"].to_list() == [1000.0, 0.0]


def test_adsl_2_efficacy_population_needs_a_post_infusion_sledai() -> None:
    adqs = pl.DataFrame(
        {
            "USUBJID": ["A", "A", "B"],
            "PARAMCD": ["SLEDAI2K"] * 3,
            "ADY": [-7, 28, -7],
            "AVAL": [12.0, 4.0, 10.0],
            "ABLFL": ["Y", None, "Y"],
        }
    )
    ex = [*LD_AND_CART, ("B", "CD19 CAR T CELLS", 1.0, 0)]  # B infused, but no later SLEDAI
    adsl = derive_adsl(_domains(ex), adqs)
    assert adsl["EFFFL"].to_list() == ["Y", "N"]
    assert adsl["SLEDAIBL"].to_list() == [12.0, 10.0]


def test_adsl_3_mosteller_body_surface_area_and_disease_duration() -> None:
    adsl = derive_adsl(_domains(LD_AND_CART))
    # sqrt(170 cm * 70 kg / 3600) = 1.8181 m2; 3,652 days / 365.25 = 9.9986 years
    assert adsl["BSABL"].to_list() == [1.8181, 1.8181]
    assert adsl["DISDURY"].to_list() == [9.9986, 9.9986]


def test_adsl_4_end_of_study_status_and_death() -> None:
    ds = [("A", "COMPLETED", 730), ("B", "DEATH", 41)]
    adsl = derive_adsl(_domains(LD_AND_CART, ds))
    assert adsl["EOSSTT"].to_list() == ["COMPLETED", "DISCONTINUED"]
    assert adsl["DCSREAS"].to_list() == [None, "DEATH"]
    assert adsl["DTHFL"].to_list() == ["N", "Y"]
    assert adsl["DTHDY"].to_list() == [None, 41]


def test_adsl_4b_end_of_study_status_is_null_when_disposition_was_not_recorded() -> None:
    """No DS record for a subject (a cut without ds.csv, or a header-only one): "ongoing"
    would be a guess, so EOSSTT is null; a subject with DS milestones and no disposition
    event is genuinely ongoing."""
    assert derive_adsl(_domains(LD_AND_CART))["EOSSTT"].to_list() == [None, None]
    d = _domains(LD_AND_CART)
    d["ds"] = pl.DataFrame(
        {"USUBJID": ["A"], "DSCAT": ["PROTOCOL MILESTONE"],
         "DSDECOD": ["CAR T CELLS INFUSED"], "DSSTDY": [0]}
    )  # fmt: skip
    adsl = derive_adsl(d)
    assert adsl["EOSSTT"].to_list() == ["ONGOING", None]  # B: no DS record at all
    assert adsl["DCSREAS"].to_list() == [None, None]
    assert adsl["DTHFL"].to_list() == ["N", None]  # B: a death would not be recorded either


def test_adsl_5_last_day_known_alive_is_the_latest_record_of_any_domain() -> None:
    adsl = derive_adsl(_domains(LD_AND_CART, lb_days={"A": [-7, 28, 365], "B": [-7]}))
    assert adsl["LSTALVDY"].to_list() == [365, -5]  # B: the fludarabine day beats lab day -7


# --- ADAE ---------------------------------------------------------------------------------------
def _ae(rows: list[tuple[str, int, int, int | None, str, str]]) -> dict[str, pl.DataFrame]:
    ae = pl.DataFrame(
        rows,
        schema={
            "USUBJID": pl.String,
            "AESEQ": pl.Int64,
            "AESTDY": pl.Int64,
            "AEENDY": pl.Int64,
            "AETOXGR": pl.String,
            "AECAT": pl.String,
        },
        orient="row",
    )
    return {
        "ae": ae.with_columns(
            pl.lit("S").alias("STUDYID"),
            pl.lit("X").alias("AEDECOD"),
            pl.lit("X").alias("AEBODSYS"),
            pl.lit("5.0").alias("AETOXGRV"),
            pl.lit("N").alias("AESER"),
            pl.lit("RELATED").alias("AEREL"),
        )
    }


def test_adae_1_treatment_emergent_from_first_lymphodepletion_day() -> None:
    adae = derive_adae(
        _ae([("A", 1, -6, -6, "1", "OTHER"), ("A", 2, -5, -5, "1", "OTHER")]),
        first_treatment_day=-5,
    )
    assert adae["TRTEMFL"].to_list() == [None, "Y"]
    later = derive_adae(_ae([("A", 2, -5, -5, "1", "OTHER")]), first_treatment_day=-4)
    assert later["TRTEMFL"].to_list() == [None]  # the parameter moves the boundary


def test_adae_2_post_infusion_flag_from_day_0() -> None:
    adae = derive_adae(_ae([("A", 1, -1, 2, "1", "CRS"), ("A", 2, 0, 2, "1", "CRS")]))
    assert adae["POSTINFL"].to_list() == [None, "Y"]


def test_adae_3_duration_counts_both_end_days_and_is_null_while_ongoing() -> None:
    adae = derive_adae(_ae([("A", 1, 3, 5, "2", "CRS"), ("A", 2, 3, None, "1", "OTHER")]))
    assert adae["ADURN"].to_list() == [3, None]  # days 3, 4 and 5


def test_adae_4_first_event_of_the_worst_grade_per_category() -> None:
    adae = derive_adae(
        _ae(
            [
                ("A", 1, 1, 2, "1", "CRS"),
                ("A", 2, 5, 7, "2", "CRS"),
                ("A", 3, 9, 10, "2", "CRS"),  # same worst grade, later: not flagged
                ("A", 4, 8, 9, "1", "ICANS"),
                ("B", 1, 2, 3, "1", "CRS"),
            ]
        )
    )
    assert adae["AOCCIFL"].to_list() == [None, "Y", None, "Y", "Y"]


# --- ADTTE --------------------------------------------------------------------------------------
ADSL_TTE = pl.DataFrame(
    {
        "USUBJID": ["A", "B", "C"],
        "SAFFL": ["Y", "Y", "N"],
        "LSTALVDY": [730, 200, 100],
        "DTHDY": [None, 200, None],
    }
)


def _adrs(rows: list[tuple[str, str, int, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"USUBJID": pl.String, "PARAMCD": pl.String, "ADY": pl.Int64, "AVALC": pl.String},
        orient="row",
    ).with_columns(pl.col("ADY").alias("AVISITN"))


NO_BCELLS = pl.DataFrame(
    schema={"USUBJID": pl.String, "PARAMCD": pl.String, "ADY": pl.Int64, "AVAL": pl.Float64}
)


def _param(tte: pl.DataFrame, paramcd: str) -> pl.DataFrame:
    return tte.filter(pl.col("PARAMCD") == paramcd).sort("USUBJID")


def test_adtte_1_time_to_first_doris_remission_event_or_censored_at_last_assessment() -> None:
    adrs = _adrs(
        [
            ("A", "DORISREM", 28, "N"),
            ("A", "DORISREM", 84, "Y"),
            ("A", "DORISREM", 168, "Y"),
            ("B", "DORISREM", 28, "N"),
            ("B", "DORISREM", 56, "N"),
            ("C", "DORISREM", 28, "Y"),  # not in the safety population
        ]
    )
    tte = _param(derive_adtte(ADSL_TTE, adrs, NO_BCELLS), "TTDORIS")
    assert tte["USUBJID"].to_list() == ["A", "B"]
    assert tte["CNSR"].to_list() == [0, 1]
    assert tte["ADY"].to_list() == [84, 56]
    assert tte["AVAL"].to_list() == [84.0, 56.0]  # day 0 = infusion: the day-84 visit is 84 days
    assert tte["EVNTDESC"].to_list() == ["DORIS remission", None]
    assert tte["CNSDTDSC"].to_list() == [None, "Last disease assessment"]


def test_adtte_2_duration_of_remission_ends_at_the_first_visit_out_of_remission() -> None:
    adrs = _adrs(
        [
            ("A", "DORISREM", 84, "Y"),
            ("A", "DORISREM", 168, "Y"),
            ("A", "DORISREM", 252, "N"),
            ("A", "DORISREM", 336, "Y"),  # a second remission does not extend the first
            ("B", "DORISREM", 56, "N"),
            ("B", "DORISREM", 84, "Y"),
            ("B", "DORISREM", 112, "Y"),
        ]
    )
    tte = _param(derive_adtte(ADSL_TTE, adrs, NO_BCELLS), "DURDORIS")
    assert tte["STARTDY"].to_list() == [84, 84]
    assert tte["ADY"].to_list() == [252, 112]
    assert tte["CNSR"].to_list() == [0, 1]
    assert tte["AVAL"].to_list() == [168.0, 28.0]


def test_adtte_3_overall_survival_death_or_last_day_known_alive() -> None:
    tte = _param(derive_adtte(ADSL_TTE, _adrs([]), NO_BCELLS), "OS")
    assert tte["USUBJID"].to_list() == ["A", "B"]
    assert tte["CNSR"].to_list() == [1, 0]
    assert tte["AVAL"].to_list() == [730.0, 200.0]


def test_adtte_4_b_cell_reconstitution_needs_confirmed_aplasia_first() -> None:
    cells = [("A", d, v) for d, v in [(7, 0.0), (14, 0.0), (90, 5.0), (120, 30.0)]]
    cells += [("B", d, v) for d, v in [(7, 0.0), (14, 3.0), (28, 4.0)]]  # aplasia unconfirmed
    adlb = pl.DataFrame(
        cells, schema={"USUBJID": pl.String, "ADY": pl.Int64, "AVAL": pl.Float64}, orient="row"
    ).with_columns(pl.lit("BLYCE").alias("PARAMCD"))
    tte = _param(derive_adtte(ADSL_TTE, _adrs([]), adlb), "TTBCREC")
    assert tte["USUBJID"].to_list() == ["A"]
    assert tte["ADY"].to_list() == [90]
    assert tte["CNSR"].to_list() == [0]
    assert tte.select(pl.col("AVAL") == 90.0).item()


@pytest.mark.parametrize("add_one, expected", [(True, 85.0), (False, 84.0)])
def test_adtte_5_day_count_convention_is_a_parameter(add_one: bool, expected: float) -> None:
    adrs = _adrs([("A", "DORISREM", 84, "Y")])
    tte = _param(derive_adtte(ADSL_TTE, adrs, NO_BCELLS, add_one=add_one), "TTDORIS")
    assert tte.filter(pl.col("USUBJID") == "A")["AVAL"].to_list() == [expected]


def test_adtte_6_treated_subject_without_assessment_is_censored_at_day_0() -> None:
    adrs = _adrs([("A", "DORISREM", 84, "Y")])  # B (treated, died on day 200) has none
    tte = _param(derive_adtte(ADSL_TTE, adrs, NO_BCELLS), "TTDORIS")
    b = tte.filter(pl.col("USUBJID") == "B")
    assert b.select("ADY", "CNSR", "AVAL", "CNSDTDSC").row(0) == (
        0,
        1,
        0.0,
        "No post-infusion disease assessment",
    )
