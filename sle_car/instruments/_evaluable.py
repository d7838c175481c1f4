"""Not evaluable is a value: the reason an instrument's result is null.

instruments.md §0 rule 3 (a score whose inputs are missing is not evaluable, never a
responder and never a clean 0). Results combine their criteria with polars' three-valued
logic (Kleene): a criterion that is known to fail decides "no" even when another input is
missing; otherwise a missing input leaves the result null, and this column says why.
"""

from __future__ import annotations

import polars as pl


def reason_not_evaluable(result: pl.Expr, missing: dict[str, pl.Expr]) -> pl.Expr:
    """Null where ``result`` is known; where it is null, the names (``"; "``-joined, in
    the order given) of the ``missing`` conditions that hold (a null condition counts as
    holding), or "input missing" when none is named."""
    parts = [pl.when(m.fill_null(True)).then(pl.lit(name)) for name, m in missing.items()]
    parts = parts or [pl.lit(None, dtype=pl.String)]
    text = pl.concat_str(parts, separator="; ", ignore_nulls=True)
    return pl.when(result.is_null()).then(
        pl.when(text.fill_null("") != "").then(text).otherwise(pl.lit("input missing"))
    )
