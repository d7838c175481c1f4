"""``sle-car diff OLD NEW``: what changed between two data cuts — subjects, records and
values, domain by domain — the first question of a study monitor or a safety board.

Records are matched on each domain's key (the ``unique`` columns of its schema); values are
compared as exported (text), so a changed unit or format shows up too.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from data_schemas import RAW_DOMAINS
from sle_car.io import ROW, domain_file, read_domain

CHANGE_COLUMNS = {
    "domain": pl.String,
    "change": pl.String,
    "key": pl.String,
    "column": pl.String,
    "old": pl.String,
    "new": pl.String,
}


def _key(domain: str) -> list[str]:
    return list(RAW_DOMAINS[domain].Config.unique)


def diff_domain(domain: str, old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Added, removed and changed records of one domain (``old``/``new`` as read by
    ``read_domain``)."""
    key = _key(domain)
    old, new = old.drop(ROW, strict=False), new.drop(ROW, strict=False)
    # duplicated keys cannot be matched one to one: compare them as whole records
    old = old.unique(subset=key, keep="first", maintain_order=True)
    new = new.unique(subset=key, keep="first", maintain_order=True)
    key_text = pl.concat_str([pl.col(k).fill_null("") for k in key], separator=" | ").alias("key")
    added = new.join(old.select(key), on=key, how="anti", nulls_equal=True).select(key_text)
    removed = old.join(new.select(key), on=key, how="anti", nulls_equal=True).select(key_text)
    values = [c for c in new.columns if c not in key and c in old.columns]
    both = old.join(new, on=key, how="inner", suffix="__new", nulls_equal=True)
    changed = pl.concat(
        [
            both.filter(pl.col(c).ne_missing(pl.col(f"{c}__new"))).select(
                key_text,
                pl.lit(c).alias("column"),
                pl.col(c).alias("old"),
                pl.col(f"{c}__new").alias("new"),
            )
            for c in values
        ]
        or [
            pl.DataFrame(
                schema={"key": pl.String, "column": pl.String, "old": pl.String, "new": pl.String}
            )
        ]
    )
    parts = [
        added.with_columns(
            pl.lit("added").alias("change"),
            pl.lit(None, pl.String).alias("column"),
            pl.lit(None, pl.String).alias("old"),
            pl.lit(None, pl.String).alias("new"),
        ),
        removed.with_columns(
            pl.lit("removed").alias("change"),
            pl.lit(None, pl.String).alias("column"),
            pl.lit(None, pl.String).alias("old"),
            pl.lit(None, pl.String).alias("new"),
        ),
        changed.with_columns(pl.lit("changed").alias("change")),
    ]
    out = pl.concat([p.select("change", "key", "column", "old", "new") for p in parts])
    return (
        out.with_columns(pl.lit(domain).alias("domain"))
        .select(list(CHANGE_COLUMNS))
        .sort("change", "key", "column", nulls_last=True)
    )


def diff_cuts(old_dir: Path | str, new_dir: Path | str) -> pl.DataFrame:
    """Every change between two data directories, domain by domain."""
    old_dir, new_dir = Path(old_dir), Path(new_dir)
    parts = [
        diff_domain(d, read_domain(domain_file(old_dir, d)), read_domain(domain_file(new_dir, d)))
        for d in RAW_DOMAINS
    ]
    return pl.concat(parts) if parts else pl.DataFrame(schema=CHANGE_COLUMNS)


def summarise(changes: pl.DataFrame) -> pl.DataFrame:
    """Counts per domain and kind of change, and subjects added or removed (from DM)."""
    return changes.group_by("domain", "change").agg(pl.len().alias("n")).sort("domain", "change")
