"""The one-query screen in front of pandera (sle_car/schema_screen.py, issue 19) agrees with
pandera: on every schema of the study (collected domains, cleaned LB, analysis datasets), for
the bundled data and for copies broken one cell at a time, and on small hand-written schemas
for each rule of pandera's polars backend it models."""

from __future__ import annotations

import math
from pathlib import Path

import pandera.polars as pa
import polars as pl
import pytest

from data_schemas import ANALYSIS_DATASETS, RAW_DOMAINS, LBClean
from sle_car import schema_screen
from sle_car.derive.build import write_study
from sle_car.io import ROW, read_domain
from sle_car.validate import validate_domain

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "synthetic"


def pandera_passes(schema: pa.DataFrameSchema, data: pl.DataFrame) -> bool:
    try:
        schema.validate(data, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError):
        return False
    return True


def agree(schema: pa.DataFrameSchema, data: pl.DataFrame) -> bool:
    """The screen's verdict, asserted never to call a frame pandera refuses valid."""
    screened = schema_screen.passes(schema, data)
    assert not (screened and not pandera_passes(schema, data)), "screen passed an invalid frame"
    return screened


@pytest.fixture(scope="module")
def bundled(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[pa.DataFrameSchema, pl.DataFrame]]:
    """Every schema of the study with the bundled data it validates: the raw domains typed,
    and the cleaned LB and analysis datasets of a build made here (``data/derived`` is a
    build output: a fresh clone has none)."""
    derived = tmp_path_factory.mktemp("derived")
    write_study(RAW, derived)
    out = {}
    for name, model in RAW_DOMAINS.items():
        typed, _ = validate_domain(name, read_domain(RAW / f"{name}.csv"), f"{name}.csv")
        data = typed.drop(ROW)
        out[name] = (schema_screen.schema_for(model, data), data)
    lb = pl.read_parquet(derived / "clean" / "lb.parquet")
    out["lb (clean)"] = (schema_screen.schema_for(LBClean, lb), lb)
    for name, model in ANALYSIS_DATASETS.items():
        data = pl.read_parquet(derived / f"{name}.parquet")
        out[name] = (schema_screen.schema_for(model, data), data)
    return out


NAMES = [*RAW_DOMAINS, "lb (clean)", *ANALYSIS_DATASETS]


@pytest.mark.parametrize("name", NAMES)
def test_bundled_data_is_proven_valid_in_one_query(name: str, bundled: dict) -> None:
    schema, data = bundled[name]
    assert pandera_passes(schema, data)
    assert schema_screen.passes(schema, data)


def _breakages(dtype: pl.DataType) -> list[object]:
    """Values to put into one cell: null and values outside every range or codelist."""
    if dtype.is_float():
        return [None, math.nan, math.inf, -1e12, 1e12]
    if dtype.is_integer():
        return [None, -(10**12), 10**12]
    if dtype == pl.String:
        return [None, "", "NOT A CODE", " "]
    if dtype == pl.Boolean:
        return [None]
    return [None]


@pytest.mark.slow  # ~40 s: about 1,300 pandera validations
@pytest.mark.parametrize("name", NAMES)
def test_one_broken_cell_gives_the_same_verdict_as_pandera(name: str, bundled: dict) -> None:
    """Every column of every schema, one cell (the last row's) at a time. Each breakage the
    schema refuses must be refused by the screen too (never passed); the screen passes a
    broken copy only where pandera does."""
    schema, data = bundled[name]
    last = data.height - 1
    refused = passed = 0
    for column in data.columns:
        for value in _breakages(data.schema[column]):
            broken = data.with_columns(
                pl.when(pl.int_range(pl.len()) == last)
                .then(pl.lit(value, dtype=data.schema[column]))
                .otherwise(pl.col(column))
                .alias(column)
            )
            expected = pandera_passes(schema, broken)
            assert schema_screen.passes(schema, broken) == expected, (name, column, value)
            refused += not expected
            passed += expected
    assert refused > 0 and passed > 0  # the breakages exercise both verdicts


@pytest.mark.parametrize("name", ["dm", "lb", "adsl"])
def test_a_repeated_key_is_left_to_pandera(name: str, bundled: dict) -> None:
    """A repeated key keeps the key check in the schema (schema_for): the screen does not
    model it, so pandera decides (and refuses the copy)."""
    model = {**RAW_DOMAINS, **ANALYSIS_DATASETS}[name]
    data = bundled[name][1]
    doubled = pl.concat([data, data.head(1)])
    schema = schema_screen.schema_for(model, doubled)
    assert schema.unique
    assert not schema_screen.passes(schema, doubled)
    assert not pandera_passes(schema, doubled)


def _schema(**kwargs) -> pa.DataFrameSchema:
    columns = {
        "A": pa.Column(pl.Int64, pa.Check.ge(0)),
        "B": pa.Column(pl.Float64, nullable=False),
        "C": pa.Column(pl.String, pa.Check.isin(["x", "y"]), nullable=True),
    }
    return pa.DataFrameSchema({**columns, **kwargs.pop("columns", {})}, **kwargs)


FRAME = pl.DataFrame({"A": [0, 3], "B": [1.5, 2.0], "C": ["x", None]})


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (FRAME, True),
        (FRAME.with_columns(pl.Series("A", [0, -1])), False),  # ge(0)
        (FRAME.with_columns(pl.Series("B", [1.0, None])), False),  # not nullable
        (FRAME.with_columns(pl.Series("B", [1.0, math.nan])), False),  # NaN counts as null
        (FRAME.with_columns(pl.Series("C", ["x", "z"])), False),  # isin
        (FRAME.with_columns(pl.Series("C", [None, None], dtype=pl.String)), True),  # ignore_na
        (FRAME.with_columns(pl.col("A").cast(pl.Int32)), False),  # dtype
        (FRAME.head(0), True),
    ],
)
def test_each_rule_of_a_small_schema(frame: pl.DataFrame, expected: bool) -> None:
    assert pandera_passes(_schema(), frame) == expected
    assert agree(_schema(), frame) == expected


def test_checks_that_count_a_null_as_a_failure() -> None:
    schema = _schema(columns={"C": pa.Column(pl.String, pa.Check.isin(["x"], ignore_na=False))})
    assert pandera_passes(schema, FRAME) is False
    assert agree(schema, FRAME) is False
    assert agree(schema, FRAME.with_columns(pl.lit("x").alias("C")))


def test_unique_column_element_wise_and_scalar_checks() -> None:
    unique = _schema(columns={"A": pa.Column(pl.Int64, unique=True)})
    assert agree(unique, FRAME)
    assert not agree(unique, FRAME.with_columns(pl.lit(1).alias("A")))
    odd = pa.Check(lambda x: x % 2 == 1, element_wise=True)
    assert not agree(_schema(columns={"A": pa.Column(pl.Int64, odd)}), FRAME)
    assert agree(
        _schema(columns={"A": pa.Column(pl.Int64, odd)}),
        FRAME.with_columns(pl.lit(1, dtype=pl.Int64).alias("A")),
    )
    scalar = pa.Check(lambda data: data.lazyframe.collect().height < 2)
    assert not agree(_schema(checks=[scalar]), FRAME)
    assert agree(_schema(checks=[scalar]), FRAME.head(1))


def test_dataframe_check_over_two_columns() -> None:
    ordered = pa.Check(lambda d: d.lazyframe.select(pl.col("B") >= pl.col("A")))
    assert not agree(_schema(checks=[ordered]), FRAME)  # row 2: B 2.0 < A 3
    assert agree(_schema(checks=[ordered]), FRAME.with_columns(pl.Series("A", [0, 2])))


def test_a_check_that_raises_is_left_to_pandera() -> None:
    broken = pa.Check(lambda d: d.lazyframe.select(pl.col("missing") > 0))
    schema = _schema(checks=[broken])
    assert not schema_screen.passes(schema, FRAME)
    assert not pandera_passes(schema, FRAME)  # reported by pandera as a check error


@pytest.mark.parametrize(
    "schema",
    [
        _schema(coerce=True),
        _schema(columns={"A": pa.Column(pl.Int64, default=0)}),
        _schema(unique=["A", "B"]),
        _schema(checks=[pa.Check(lambda d: d.lazyframe.select(pl.lit(True)), raise_warning=True)]),
    ],
    ids=["coerce", "default", "key", "warning"],
)
def test_features_not_modelled_are_left_to_pandera(schema: pa.DataFrameSchema) -> None:
    assert pandera_passes(schema, FRAME)  # valid, but the screen does not prove it
    assert not schema_screen.passes(schema, FRAME)


def test_columns_not_exactly_the_schemas_are_left_to_pandera() -> None:
    assert not schema_screen.passes(_schema(), FRAME.select("C", "B", "A"))
    assert not schema_screen.passes(_schema(), FRAME.with_columns(pl.lit(1).alias("D")))
    assert not schema_screen.passes(_schema(), FRAME.drop("C"))


def test_validate_returns_the_frame_or_raises_pandera_s_report() -> None:
    assert schema_screen.validate(_schema(), FRAME) is FRAME
    bad = FRAME.with_columns(pl.Series("A", [0, -1]))
    with pytest.raises(pa.errors.SchemaErrors) as err:
        schema_screen.validate(_schema(), bad, lazy=True)
    assert err.value.failure_cases["failure_case"].to_list() == ["-1"]


class _Subclassed(pa.DataFrameSchema):
    """A schema subclass: its validate may do more than pandera's."""


class _OwnCheck(pa.Check):
    """A check subclass: pandera finds no backend for it and reports a check error."""


def test_subclasses_and_names_polars_reads_as_patterns_are_left_to_pandera() -> None:
    """Found by a review that fed the screen unusual schemas: a column named "*" (polars
    reads pl.col("*") as every column), a subclassed schema or check (pandera may validate
    them otherwise, or find no backend): the screen says "not proven" and never raises."""
    star = pa.DataFrameSchema(
        {"*": pa.Column(pl.Int64, nullable=True), "B": pa.Column(pl.String, nullable=True)}
    )
    frame = pl.DataFrame({"*": [1], "B": ["x"]})
    assert not pandera_passes(star, frame)  # pandera checks the dtype of every column
    assert not schema_screen.passes(star, frame)
    assert not schema_screen.passes(_Subclassed(_schema().columns), FRAME)
    own = _OwnCheck(lambda d: d.lazyframe.select(pl.lit(True)))
    assert not schema_screen.passes(_schema(checks=[own]), FRAME)
    assert not schema_screen.passes(_schema(), FRAME.lazy())
