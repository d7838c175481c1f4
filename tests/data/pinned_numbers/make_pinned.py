"""Generate the pinned messy cut and the outputs the validation gave on it (issue 19).

``tests/test_validate_pinned.py`` checks that validation and cleaning still give, byte for
byte, what this script recorded from the code *before* ``validate._coerce`` was vectorised:
the refactor is checked against the old behaviour, not against itself.

    .venv/bin/python tests/data/pinned_numbers/make_pinned.py            # outputs only
    .venv/bin/python tests/data/pinned_numbers/make_pinned.py --new-cut  # the cut too

Regenerate the outputs only when a change of behaviour is intended, and say so in the commit.

The cut: two simulated patients (seed 11), LB, QS and VS shortened to their first rows, and
every numeric text form ``_coerce`` has a rule for written into cells of several domains
(:data:`EDITS`): decimal comma, thousands comma, both separators, NaN, infinity, an overflow
(1e400), fractions and whole floats in integer columns, integers beyond 64 bits, whole
numbers beyond 2**53 written as floats, leading/trailing spaces and tabs, whitespace-only
cells, a unicode minus, hexadecimal, underscores, a sign before a comma, and text.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import polars as pl

HERE = Path(__file__).parent
CUT = HERE / "cut"
EXPECTED = HERE / "expected"

NUMBERS = [
    "0,85",
    "-1,5",
    "+2,25",
    "1,234",
    "12,345,678",
    "1.234,5",
    "1,2,3",
    "NaN",
    "nan",
    "inf",
    "-Infinity",
    "1e400",
    "-1e400",
    "3.5",
    "3.0",
    "1e3",
    "2,5",
    "4,0",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "123456789012345678901234567890",
    "1e20",
    "9007199254740993.0",
    "12abc",
    " 42 ",
    "\t7",
    "8\t",
    " 1,5 ",
    "1 000",
    "\u22125",
    "0x1A",
    "1_000",
    ".5",
    "5.",
    "+3",
    "-0",
    "00012",
    "1.5e-3",
    "  ",
    "",
    "abc",
]
"""Numeric text forms, written in turn into the numeric columns below."""

NUMERIC_CELLS = {
    "lb": ["LBSEQ", "LBORNRLO", "LBORNRHI", "VISITNUM", "LBDY"],
    "vs": ["VSSEQ", "VISITNUM", "VSDY"],
    "qs": ["QSSEQ", "QSSTRESN", "QSDY"],
    "ex": ["EXSEQ", "EXDOSE", "EXSTDY"],
    "dm": ["AGE", "WEIGHTBL", "HEIGHTBL", "DIAGDY", "NPRIORTX", "LNBXDY"],
    "ae": ["AESEQ", "AETOXGR", "AESTDY", "AEENDY"],
    "cm": ["CMDOSE", "CMPREDEQ", "CMSTDY"],
    "xp": ["XPSTRESN", "XPDY"],
}
TEXT_CELLS = [
    ("dm", 0, "SEX", " F"),
    ("dm", 1, "RACE", "ASIAN\t"),
    ("lb", 3, "LBTESTCD", " ALT "),
    ("lb", 5, "LBORRES", "0,85"),
    ("lb", 6, "LBORRES", " 12.5"),
    ("lb", 7, "LBORRESU", "g/L "),
    ("vs", 2, "VSORRES", "1,234"),
    ("vs", 4, "VSTESTCD", "\tHR"),
    ("qs", 1, "QSORRES", " B "),
    ("ae", 0, "AETERM", "  "),
    ("cm", 1, "CMTRT", " PREDNISOLONE"),
]
"""Text cells with stray whitespace (R1) or a number-like value in a text column."""

ROWS = {"lb": 60, "qs": 45, "vs": 30}


def make_cut(out: Path) -> None:
    from sle_car.simulate import simulate, write_cohort

    with tempfile.TemporaryDirectory() as tmp:
        write_cohort(simulate(2, seed=11), Path(tmp))
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        frames = {}
        for f in sorted(Path(tmp).glob("*.csv")):
            if f.name == "truth.csv":
                continue
            df = pl.read_csv(f, infer_schema=False)
            frames[f.stem] = df.head(ROWS.get(f.stem, df.height))
    k = 0
    for name, cols in NUMERIC_CELLS.items():
        df = frames[name]
        for i in range(df.height):
            col = cols[i % len(cols)]
            value = NUMBERS[k % len(NUMBERS)]
            k += 1
            df = _set(df, i, col, value)
        frames[name] = df
    for name, i, col, value in TEXT_CELLS:
        frames[name] = _set(frames[name], i, col, value)
    for name, df in frames.items():
        df.write_csv(out / f"{name}.csv")


def _set(df: pl.DataFrame, i: int, col: str, value: str) -> pl.DataFrame:
    return df.with_columns(
        pl.when(pl.int_range(pl.len()) == i)
        .then(pl.lit(value, dtype=pl.String))
        .otherwise(pl.col(col))
        .alias(col)
    )


def outputs(cut: Path) -> dict[str, pl.DataFrame]:
    """Every output pinned: the validation report, the typed domains (``_ROW`` included),
    the rows set aside, the reconciliation and the clean domains."""
    from sle_car.clean import clean_study
    from sle_car.validate import validate_study

    v = validate_study(cut)
    c = clean_study(cut, v)
    out = {"report": v.report}
    out |= {f"typed_{n}": d for n, d in sorted(v.domains.items())}
    out |= {"quarantine": c.quarantine, "set_aside": c.set_aside}
    out |= {"reconciliation": c.reconciliation}
    out |= {f"clean_{n}": d for n, d in sorted(c.domains.items())}
    return out


def schemas(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """frame, column, dtype of every pinned frame (the CSV files do not keep types)."""
    rows = [(n, c, str(t)) for n, df in frames.items() for c, t in df.schema.items()]
    return pl.DataFrame(rows, schema=["frame", "column", "dtype"], orient="row")


def main() -> None:
    if "--new-cut" in sys.argv or not CUT.is_dir():
        make_cut(CUT)
    shutil.rmtree(EXPECTED, ignore_errors=True)
    EXPECTED.mkdir()
    frames = outputs(CUT)
    for name, df in frames.items():
        df.write_csv(EXPECTED / f"{name}.csv")
    schemas(frames).write_csv(EXPECTED / "schemas.csv")
    print(f"wrote {CUT} and {EXPECTED}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[2]))
    main()
