"""One query in front of pandera: proves that a frame passes a schema (issue 19).

Pandera's polars backend runs each check of each column as its own small query (about 90
collects for one domain of the study data: ~40 ms even for five patients), although almost
every frame it sees passes. :func:`passes` evaluates the same checks (the schema's own check
functions, applied by pandera's own check backend), the same not-null and unique rules and the
same dtype test, all in **one** polars query; :func:`validate` calls pandera only when that
query does not prove the frame valid. Pandera stays the one place where rules are defined and
the only producer of failure reports: a frame that fails anything, or a schema using a feature
this screen does not model (coercion, parsers, defaults, regex columns, dropping invalid rows,
a key ``Config.unique``, warning-only checks, a frame-wide dtype, adding missing columns, a
subclassed schema or check, a backend other than pandera's native polars one), goes to pandera
exactly as before.

The verdict follows pandera 0.x's polars backend (``pandera/backends/polars``):

- ``components.check_nullable``: a non-nullable column fails on a null, and on NaN when it is a
  float column;
- ``components.check_unique``: ``is_duplicated`` over the column (nulls equal);
- ``components.check_dtype``: ``Column.dtype.check`` of the column's polars dtype;
- ``checks.PolarsCheckBackend.postprocess_lazyframe_output``: a check's boolean output passes
  when every value is true, a null counting as true with ``ignore_na`` (pandera's default) and
  as false without it; a check returning a bare ``bool`` passes when it is ``True``;
- ``container.check_column_presence`` / ``strict`` / ``ordered``: only a frame whose columns
  are exactly the schema's, in the schema's order, is screened.

``tests/test_schema_screen.py`` checks, for every collected domain, cleaned LB and every
analysis dataset, that the screen and pandera agree on the bundled data and on copies broken
one cell at a time, and on small hand-written schemas, one rule each.
"""

from __future__ import annotations

import copy

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData
from pandera.backends.polars.checks import PolarsCheckBackend
from pandera.backends.polars.container import DataFrameSchemaBackend
from pandera.constants import CHECK_OUTPUT_KEY


def _checks(schema: pa.DataFrameSchema) -> list[pa.Check]:
    return [c for col in schema.columns.values() for c in col.checks] + list(schema.checks)


def _screenable(schema: pa.DataFrameSchema, data: pl.DataFrame) -> bool:
    """Whether the schema uses only what :func:`passes` models, and ``data`` (an eager frame)
    has exactly its columns in its order (so column presence, ``strict`` and ``ordered``
    cannot fail). Exact classes only: a subclass may validate differently. Each column's name
    is its key and a plain name: ``"*"`` or ``^...$`` would select other columns in polars."""
    if type(data) is not pl.DataFrame or type(schema) is not pa.DataFrameSchema:
        return False
    if list(data.columns) != list(schema.columns):
        return False
    if any(
        type(col) is not pa.Column
        or col.name != key
        or key == "*"
        or (key.startswith("^") and key.endswith("$"))
        for key, col in schema.columns.items()
    ):
        return False
    if any(type(c) is not pa.Check for c in _checks(schema)):
        return False
    # pandera's native polars backend (registered by get_backend), not e.g. its Narwhals one
    # (PANDERA_USE_NARWHALS_BACKEND): the rules below are that backend's
    lf = data.lazy()
    if type(schema.get_backend(lf)) is not DataFrameSchemaBackend:
        return False
    if any(type(c.get_backend(lf)(c)) is not PolarsCheckBackend for c in _checks(schema)):
        return False
    if (
        schema.unique
        or schema.coerce
        or schema.dtype is not None
        or getattr(schema, "parsers", None)
        or getattr(schema, "add_missing_columns", False)
        or getattr(schema, "drop_invalid_rows", False)
        or any(c.raise_warning for c in _checks(schema))
    ):
        return False
    return not any(
        col.regex
        or col.coerce
        or col.default is not None
        or getattr(col, "parsers", None)
        or getattr(col, "drop_invalid_rows", False)
        for col in schema.columns.values()
    )


def _check_output(check: pa.Check, lf: pl.LazyFrame, key: str, alias: str) -> pl.LazyFrame:
    """One row, one boolean column ``alias``: whether ``check`` passes on column ``key`` of
    ``lf`` (``"*"``: a dataframe-level check), as pandera's check backend decides it."""
    # as Check.__call__ does first: a built-in check reloads its function, which holds the
    # polars implementation only once pandera has registered its polars backend
    name = getattr(check._check_fn, "__name__", None)
    if name is not None and check.is_builtin_check(name):
        check._check_fn = check.get_builtin_check_fn(name)
    out = check.get_backend(lf)(check).apply(PolarsData(lf, key))
    if isinstance(out, bool):
        return pl.LazyFrame({alias: [out]})
    value = pl.col(CHECK_OUTPUT_KEY)
    value = (value | value.is_null()) if check.ignore_na else value.fill_null(False)
    return out.select(value.all().alias(alias))


def passes(schema: pa.DataFrameSchema, data: pl.DataFrame) -> bool:
    """True only when validating ``data`` with ``schema`` would report no failure: every
    check of the schema holds, evaluated in one polars query. False means "not proven": the
    frame may still be valid (e.g. the schema uses a feature not screened); call pandera.
    Never raises: whatever goes wrong here (a backend pandera cannot find, a check that
    raises) is pandera's to report."""
    try:
        return _screenable(schema, data) and _passes(schema, data)
    except Exception:
        return False


def _passes(schema: pa.DataFrameSchema, data: pl.DataFrame) -> bool:
    lf = data.lazy()
    rules: list[pl.Expr] = []
    outputs: list[pl.LazyFrame] = []
    for name, col in schema.columns.items():
        if col.dtype is not None and not col.dtype.check(
            data.schema[name], PolarsData(lf.select(name), name)
        ):
            return False
        if not col.nullable:
            present = pl.col(name).is_not_null()
            if data.schema[name] in (pl.Float32, pl.Float64):
                present = present & pl.col(name).is_not_nan()
            rules.append(present.all().alias(f"_n{len(rules)}"))
        if col.unique:
            rules.append(pl.col(name).is_duplicated().not_().all().alias(f"_n{len(rules)}"))
    checks = [(c, name) for name, col in schema.columns.items() for c in col.checks]
    checks += [(c, "*") for c in schema.checks]
    outputs = [_check_output(c, lf, key, f"_c{i}") for i, (c, key) in enumerate(checks)]
    if rules:
        outputs.append(lf.select(rules))
    if not outputs:
        return True
    return all(pl.concat(outputs, how="horizontal").collect().row(0))


def key_repeated(model: type[pa.DataFrameModel], data: pl.DataFrame) -> pl.Series | None:
    """For each row of ``data``, whether another row has the same 64-bit hash of ``model``'s
    unique key (``Config.unique``); None when the schema has no key or ``data`` lacks one of
    its columns. Equal keys have equal hashes, so a row whose key hash is not repeated has a
    key no other row has (issue 19: one hash serves the key check and the exact copies)."""
    key = model.to_schema().unique
    if not key or not all(isinstance(c, str) and c in data.columns for c in key):
        return None
    return data.select(key).hash_rows().is_duplicated()


def schema_for(
    model: type[pa.DataFrameModel], data: pl.DataFrame, repeated: pl.Series | None = None
) -> pa.DataFrameSchema:
    """The schema of ``model`` to validate ``data`` with: without its key-uniqueness check when
    no two rows of ``data`` have the same 64-bit hash of the key, which proves that no key is
    repeated (equal keys have equal hashes), so the check could find nothing. Pandera's check
    compares the key columns themselves and copies the frame: about half of its time on LB
    and QS (issue 19). With a repeated hash, the full schema runs and reports as before.
    ``repeated``: :func:`key_repeated` of ``data`` when the caller has it already."""
    schema = model.to_schema()
    if repeated is None:
        repeated = key_repeated(model, data)
    if repeated is None or repeated.any():
        return schema
    schema = copy.copy(schema)
    schema.unique = None
    return schema


def validate(schema: pa.DataFrameSchema, data: pl.DataFrame, **kwargs) -> pl.DataFrame:
    """``schema.validate(data, **kwargs)``, skipped when :func:`passes` proves ``data``
    valid: ``data`` itself is returned (pandera would return an equal copy: the screen admits
    no coercion, parser or default). Raises pandera's own errors otherwise."""
    if passes(schema, data):
        return data
    return schema.validate(data, **kwargs)


def validate_model(
    model: type[pa.DataFrameModel],
    data: pl.DataFrame,
    repeated: pl.Series | None = None,
    **kwargs,
) -> pl.DataFrame:
    """:func:`validate` with :func:`schema_for` ``model`` (its key check only where a key
    hash repeats). ``repeated``: :func:`key_repeated` of ``data`` when the caller has it."""
    return validate(schema_for(model, data, repeated), data, **kwargs)
