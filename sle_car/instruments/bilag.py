"""BILAG-2004: numeric global score, overall grade and new A / new B flares.

Sources: Isenberg DA et al. BILAG 2004. Rheumatology 2005;44:902-906; numeric scoring
A=12, B=8, C=1, D=0, E=0: Yee CS et al. Rheumatology 2010;49:1665-1669
(doi:10.1093/rheumatology/keq026); overall grade = highest system grade (Yee 2007); flares
(new A from B-E, new B from C-E): Gordon C et al. Rheumatology 2003;42:1372-1379.
System grades come from the licensed BILAG-2004 algorithm and are taken as input.
instruments.md §5.
"""

from __future__ import annotations

import polars as pl

from data_schemas.codelists import BILAG_DOMAINS
from sle_car._checks import require_columns

SYSTEMS = list(BILAG_DOMAINS)
NUMERIC = {"A": 12, "B": 8, "C": 1, "D": 0, "E": 0}


def bilag_score(df: pl.DataFrame, *, systems: list[str] | None = None) -> pl.DataFrame:
    """Add ``BILAGTOT`` (0-108), ``BILAGOVR`` (worst grade), ``BILAGNA``, ``BILAGNB`` (number
    of systems graded A, B) from one grade column (A-E) per system (``BLGCONST`` ...), and
    ``BILAG_NMISS`` (systems without a grade).

    A system without a grade (null, or not one of A-E) makes the assessment not evaluable:
    ``BILAGTOT``, ``BILAGOVR``, ``BILAGNA`` and ``BILAGNB`` are then null, never a total
    that counts the missing systems as 0 (instruments.md §0 rule 3)."""
    cols = systems or SYSTEMS
    require_columns(df, cols, "bilag_score", "sle_car.derive.datasets.qs_wide (from QS)")
    graded = [pl.col(c).is_in(list(NUMERIC)).fill_null(False) for c in cols]
    nmiss = pl.sum_horizontal([g.not_().cast(pl.Int64) for g in graded])
    complete = nmiss == 0
    total = pl.sum_horizontal([pl.col(c).replace_strict(NUMERIC, default=None) for c in cols])
    worst = pl.min_horizontal([pl.col(c) for c in cols])  # "A" < "B" < ... alphabetically
    return df.with_columns(
        pl.when(complete).then(total).alias("BILAGTOT"),
        pl.when(complete).then(worst).alias("BILAGOVR"),
        pl.when(complete)
        .then(pl.sum_horizontal([(pl.col(c) == "A").cast(pl.Int64) for c in cols]))
        .alias("BILAGNA"),
        pl.when(complete)
        .then(pl.sum_horizontal([(pl.col(c) == "B").cast(pl.Int64) for c in cols]))
        .alias("BILAGNB"),
        nmiss.alias("BILAG_NMISS"),
    )


def bilag_new_flares(
    df: pl.DataFrame, *, systems: list[str] | None = None, base_suffix: str = "_BL"
) -> pl.DataFrame:
    """Add ``NEWA`` and ``NEWB``: systems newly graded A (from B-E) and newly B (from C-E)
    against the baseline columns ``<system><base_suffix>`` (Gordon 2003).

    Both are null (not evaluable) when any system lacks a grade (A-E) now or at baseline:
    a missing grade is not "no new flare"."""
    cols = systems or SYSTEMS
    require_columns(df, cols + [c + base_suffix for c in cols], "bilag_new_flares")
    complete = pl.all_horizontal(
        [
            pl.col(c).is_in(list(NUMERIC)).fill_null(False)
            for c in cols + [c + base_suffix for c in cols]
        ]
    )
    new_a = [
        ((pl.col(c) == "A") & pl.col(c + base_suffix).is_in(["B", "C", "D", "E"])).cast(pl.Int64)
        for c in cols
    ]
    new_b = [
        ((pl.col(c) == "B") & pl.col(c + base_suffix).is_in(["C", "D", "E"])).cast(pl.Int64)
        for c in cols
    ]
    return df.with_columns(
        pl.when(complete).then(pl.sum_horizontal(new_a)).alias("NEWA"),
        pl.when(complete).then(pl.sum_horizontal(new_b)).alias("NEWB"),
    )
