"""Property-based tests (hypothesis) of the instruments: bounds, monotonicity, missing items."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from data_schemas.codelists import FACIT_ITEMS, SLEDAI_ITEMS
from sle_car import instruments as ins
from sle_car.stats import clopper_pearson

DESCRIPTORS = list(SLEDAI_ITEMS)
FAST = settings(max_examples=60, deadline=None)


@FAST
@given(st.lists(st.sampled_from([True, False, None]), min_size=24, max_size=24))
def test_sledai_bounds_and_serology(values: list) -> None:
    r = ins.sledai_2k(
        pl.DataFrame(
            [dict(zip(DESCRIPTORS, values, strict=True))],
            schema={k: pl.Boolean for k in DESCRIPTORS},
        )
    ).row(0, named=True)
    assert 0 <= r["CSLEDAI"] <= r["SLEDAI2K"] <= 105
    assert r["SLEDAI2K"] - r["CSLEDAI"] in (0, 2, 4)
    assert r["SLEDAI_NMISS"] == values.count(None)


@FAST
@given(st.lists(st.booleans(), min_size=24, max_size=24), st.sampled_from(DESCRIPTORS))
def test_sledai_adding_a_descriptor_never_lowers_the_score(values: list, extra: str) -> None:
    base = dict(zip(DESCRIPTORS, values, strict=True))
    more = {**base, extra: True}
    a = ins.sledai_2k(pl.DataFrame([base]))["SLEDAI2K"][0]
    b = ins.sledai_2k(pl.DataFrame([more]))["SLEDAI2K"][0]
    assert b - a == (0 if base[extra] else SLEDAI_ITEMS[extra][1])


@FAST
@given(st.lists(st.one_of(st.none(), st.integers(0, 4)), min_size=13, max_size=13))
def test_facit_bounds_and_prorating_rule(responses: list) -> None:
    r = ins.facit_fatigue(
        pl.DataFrame(
            [dict(zip(FACIT_ITEMS, responses, strict=True))],
            schema={k: pl.Int64 for k in FACIT_ITEMS},
        )
    ).row(0, named=True)
    answered = sum(v is not None for v in responses)
    assert r["FACIT_NANS"] == answered
    if answered >= 7:
        assert 0 <= r["FACITTOT"] <= 52
    else:
        assert r["FACITTOT"] is None


@FAST
@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=2, max_size=30))
def test_ctcae_low_direction_grade_never_rises_with_the_count(values: list[float]) -> None:
    values = sorted(values)
    df = pl.DataFrame(
        {
            "ATOXDSCL": ["Neutrophil count decreased"] * len(values),
            "ATOXDSCH": [None] * len(values),
            "AVAL": values,
            "AVALU": ["10^9/L"] * len(values),
            "ANRLO": [2.0] * len(values),
            "ANRHI": [7.5] * len(values),
            "BASE": [3.0] * len(values),
            "BNRIND": ["NORMAL"] * len(values),
        },
        schema_overrides={"ATOXDSCH": pl.String},
    )
    grades = [int(g) for g in ins.grade_lab(df)["ATOXGRL"]]
    assert grades == sorted(grades, reverse=True) and all(0 <= g <= 4 for g in grades)


@FAST
@given(st.floats(20, 1500), st.floats(20, 1500), st.integers(18, 80), st.sampled_from(["F", "M"]))
def test_egfr_falls_as_creatinine_rises(c1: float, c2: float, age: int, sex: str) -> None:
    lo, hi = sorted((c1, c2))
    e = ins.egfr_ckd_epi_2021(
        pl.DataFrame({"CREAT": [lo, hi], "AGE": [age] * 2, "SEX": [sex] * 2})
    )["EGFR"]
    assert e[0] >= e[1] > 0


@FAST
@given(st.integers(0, 30), st.integers(1, 30))
def test_clopper_pearson_contains_the_estimate(k: int, n: int) -> None:
    k = min(k, n)
    lo, hi = clopper_pearson(k, n)
    assert 0 <= lo <= k / n <= hi <= 1


@FAST
@given(
    st.one_of(st.none(), st.integers(0, 10)),
    st.sampled_from(["NORMAL", "AWAKENS TO VOICE", "UNAROUSABLE"]),
)
def test_icans_grade_bounds(ice: int | None, loc: str) -> None:
    df = pl.DataFrame(
        {"ICE": [ice], "LOC": [loc], "SEIZURE": ["NONE"], "MOTOR": [False], "OEDEMA": ["NONE"]},
        schema_overrides={"ICE": pl.Int64},
    )
    g = ins.icans_grade(df)["ICANSGR"][0]
    assert 0 <= g <= 4 and (g == 4) == (loc == "UNAROUSABLE")
