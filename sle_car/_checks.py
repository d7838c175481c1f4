"""Argument checks shared by instruments and derivations (admiral's ``assert_data_frame``)."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl


class MissingColumnsError(ValueError):
    """A function was given a frame without the columns it needs."""


def require_columns(
    df: pl.DataFrame, columns: Iterable[str], fn: str, produced_by: str | None = None
) -> None:
    """Raise :class:`MissingColumnsError` naming the missing columns and what produces them."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        hint = f" They are produced by {produced_by}." if produced_by else ""
        raise MissingColumnsError(
            f"{fn}: required column(s) {', '.join(missing)} missing from the input "
            f"(it has {', '.join(df.columns) or 'no columns'}).{hint}"
        )


class ChoiceError(ValueError):
    """An option set to a value its rule does not define (an analysis choice, not a bug)."""


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    allowed = list(allowed)
    if value not in allowed:
        raise ChoiceError(f"{name} must be one of {allowed}, not {value!r}")


def cmp(left: pl.Expr, op: str, right: pl.Expr | float, digits: int = 6) -> pl.Expr:
    """Compare on values rounded to ``digits`` decimals, so that 1.2 - 0.9 >= 0.3 holds
    and 1.05 > 1.5 * 0.7 does not (instruments.md §0 rule 2, admiral's ``signif()``)."""
    lhs = left.round(digits)
    rhs = right.round(digits) if isinstance(right, pl.Expr) else pl.lit(round(right, digits))
    ops = {"<": lhs < rhs, "<=": lhs <= rhs, ">": lhs > rhs, ">=": lhs >= rhs, "==": lhs == rhs}
    check_choice("comparator", op, ops)
    return ops[op]
