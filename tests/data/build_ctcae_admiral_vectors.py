"""Build ``ctcae_admiral_vectors.csv``: the expectations of pharmaverse admiral's own unit tests
of ``derive_var_atoxgr_dir`` (``tests/testthat/test-derive_var_atoxgr.R``, pharmaverse/admiral
commit 012d2fca), transcribed as data for the CTCAE v5.0 and v6.0 tests (SI and conventional
units). admiral is Apache-2.0 (copyright F. Hoffmann-La Roche AG and GlaxoSmithKline LLC;
license text in ``sle_car/instruments/ctcae_admiral/LICENSE-admiral.md``); the vectors are
facts (input values and the grade admiral's tests expect), reduced to the columns grading
reads. Each block names the admiral test it comes from; where a test derives its input from
another table (``mutate``), the same transformation is applied here.

    python tests/data/build_ctcae_admiral_vectors.py     # rewrites the CSV
"""

from __future__ import annotations

import csv
from pathlib import Path

NA = None
COLS = ("TEST", "VERSION", "SPEC", "DIRECTION", "TERM", "AVAL", "ANRLO", "ANRHI", "BASE")
COLS = (*COLS, "BNRIND", "PCHG", "AVALU", "HIGH_IND", "EXPECTED")
ROWS: list[tuple] = []


def add(test, versions, spec, direction, rows, **fixed):
    """``rows``: dicts with TERM, AVAL, ... EXPECTED (missing keys: ``fixed`` or NA)."""
    for v in versions:
        for row in rows:
            r = {**fixed, **row}
            ROWS.append((test, v, spec, direction, *(r.get(c) for c in COLS[4:])))


def tbl(header: str, *rows: tuple) -> list[dict]:
    names = header.split()
    return [dict(zip(names, r, strict=True)) for r in rows]


def upper_is(u, value):
    return u is not None and u.upper() == value.upper()


def scale(rows, f, cols=("AVAL", "ANRLO", "ANRHI")):
    """``x * f``, or ``x / (1 / f)`` for f < 1 (R's ``AVAL / 10``: the same float as there)."""

    def op(x):
        return None if x is None else (x * f if f >= 1 else x / round(1 / f))

    return [{**r, **{c: op(r[c]) for c in cols if c in r}} for r in rows]


def unit(rows, old, new):
    return [{**r, "AVALU": new if upper_is(r.get("AVALU"), old) else r.get("AVALU")} for r in rows]


# Test 6a-6d: Anemia (SI; CV: values / 10, G/L -> g/dL)
anemia = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 80, 120, 200, "G/L", NA),
    (NA, 60, 50, 100, "G/L", NA),
    ("ANEMIA", 79, 140, NA, "G/L", "3"),
    ("ANEMIA", 80, 140, NA, "G/L", "2"),
    ("Anemia", 99, 140, NA, "G/L", "2"),
    ("Anemia", 100, 140, NA, "G/L", "1"),
    ("anemia", 100, 140, NA, "G/cL", NA),
    ("Anemia", 139, 140, NA, "G/L", "1"),
    ("ANEMIA", 140, 140, NA, "g/L", "0"),
    ("Anemia", 140, NA, NA, "G/L", NA),
    ("Anemia", 139, NA, NA, "G/L", NA),
    ("Anemia", 100, NA, NA, "G/L", NA),
    ("Anemia", 99, NA, NA, "G/L", "2"),
    ("Anemia", 79, NA, NA, "G/L", "3"),
    ("Anemia", 140, 140, NA, NA, NA),
    ("Anemia", NA, 140, NA, "G/L", NA),
)
anemia_cv = unit(scale(anemia, 0.1), "G/L", "g/dL")
add("6a/6c Anemia", ["5.0", "6.0"], "SI", "L", anemia)
add("6b/6d Anemia", ["5.0", "6.0"], "USCV", "L", anemia_cv)

# Test 8a-8f: Leukocytosis (CV: unit 10^3/uL; legacy CV: x 1000, 10^3/mL)
leuko = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 99, 0, NA, "10^9/L", NA),
    (NA, 99, 0, NA, "10^9/L", NA),
    ("Leukocytosis", 101, 0, 40, "10^9/L", "3"),
    ("leukocytosis", 100, 0, 40, "10^9/L", "0"),
    ("Leukocytosis", 99, 0, NA, "10^9/L", "0"),
    ("Leukocytosis", 99, 0, 40, "10^9/M", NA),
    ("Leukocytosis", 99, 0, 40, NA, NA),
    ("Leukocytosis", NA, 0, 40, "10^9/L", NA),
)
add("8a/8d Leukocytosis", ["5.0", "6.0"], "SI", "H", leuko)
add("8b/8e Leukocytosis", ["5.0", "6.0"], "USCV", "H", unit(leuko, "10^9/L", "10^3/uL"))
leuko_cv2 = unit(scale(leuko, 1000, ("AVAL", "ANRHI")), "10^9/L", "10^3/mL")
add("8c/8f Leukocytosis", ["5.0", "6.0"], "USCV", "H", leuko_cv2)

# Test 10a-10c: aPTT (v5 SI, v6 SI, v6 CV: same table)
APTT = "Activated partial thromboplastin time prolonged"
aptt = tbl(
    "TERM AVAL ANRHI EXPECTED",
    ("Not a term", 80, 100, NA),
    (NA, 60, 100, NA),
    (APTT, 251, 100, "3"),
    ("Activated Partial thromboplastin time prolonged", 250, 100, "2"),
    ("Activated partial Thromboplastin time prolonged", 151, 100, "2"),
    (APTT, 150, 100, "1"),
    ("Activated partial thromboplastin Time prolonged", 101, 100, "1"),
    (APTT, 100, 100, "0"),
    (APTT, 100, NA, NA),
    (APTT, NA, 100, NA),
)
add("10a aPTT", ["5.0"], "SI", "H", aptt)
add("10b aPTT", ["6.0"], "SI", "H", aptt)
add("10c aPTT", ["6.0"], "USCV", "H", aptt)


def ulnx(term, rows):
    return tbl("TERM AVAL ANRHI EXPECTED", *[(term if t == "T" else t, *rest) for t, *rest in rows])


def normal_base(rows):  # admiral: mutate(BASE = ANRHI, BNRIND = "NORMAL")
    return [{**r, "BASE": r["ANRHI"], "BNRIND": "NORMAL"} for r in rows]


def high_base(term, rows):  # admiral: mutate(ANRHI = BASE - 1, BNRIND = "HIGH")
    out = tbl("TERM AVAL BASE EXPECTED", *[(term if t == "T" else t, *rest) for t, *rest in rows])
    return [
        {**r, "ANRHI": r["BASE"] - 1 if r["BASE"] is not None else None, "BNRIND": "HIGH"}
        for r in out
    ]


# Test 12a/12b: ALT
ALT = "Alanine aminotransferase Increased"
alt_v4 = ulnx(
    ALT,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 801, 40, "4"),
        ("T", 800, 40, "3"),
        ("T", 201, 40, "3"),
        ("T", 200, 40, "2"),
        ("T", 121, 40, "2"),
        ("T", 120, 40, "1"),
        ("T", 41, 40, "1"),
        ("T", 40, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
alt_v5_abn = high_base(
    ALT,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 801, 40, "4"),
        ("T", 800, 40, "3"),
        ("T", 201, 40, "3"),
        ("T", 200, 40, "2"),
        ("T", 121, 40, "2"),
        ("T", 120, 40, "1"),
        ("T", 60, 40, "1"),
        ("T", 59, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
alt_v6_abn = high_base(
    ALT,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 161, 40, "4"),
        ("T", 160, 40, "3"),
        ("T", 81, 40, "3"),
        ("T", 80, 40, "2"),
        ("T", 61, 40, "2"),
        ("T", 60, 40, "1"),
        ("T", 40, 40, "1"),
        ("T", 39, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
add("12a ALT", ["5.0"], "SI", "H", normal_base(alt_v4) + alt_v5_abn)
add("12b ALT", ["6.0"], "SI", "H", normal_base(alt_v4) + alt_v6_abn)

# Test 14a: ALP v5
ALP = "Alkaline phosphatase increased"
alp_v4 = ulnx(
    ALP,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 801, 40, "4"),
        ("T", 800, 40, "3"),
        ("T", 201, 40, "3"),
        ("T", 200, 40, "2"),
        ("T", 101, 40, "2"),
        ("T", 100, 40, "1"),
        ("T", 41, 40, "1"),
        ("T", 40, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
alp_v5_abn = high_base(
    ALP,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 801, 40, "4"),
        ("T", 800, 40, "3"),
        ("T", 201, 40, "3"),
        ("T", 200, 40, "2"),
        ("T", 101, 40, "2"),
        ("T", 100, 40, "1"),
        ("T", 80, 40, "1"),
        ("T", 79, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
add("14a ALP", ["5.0"], "SI", "H", normal_base(alp_v4) + alp_v5_abn)

# Test 14b/14c: ALP v6 (SI and CV specification; AVALU missing)
alp_v6 = tbl(
    "TERM AVAL BASE ANRHI EXPECTED",
    ("Not a term", 80, 40, 40, NA),
    (NA, 60, 40, 40, NA),
    (ALP, 41, 40, 40, "1"),
    (ALP, 40, 40, 40, "0"),
    (ALP, 41, 41, 40, "0"),
    (ALP, 41, 40, 41, "0"),
    (ALP, 40, 40, NA, "0"),
    (ALP, 40, NA, 40, "0"),
    (ALP, 100, 40, NA, NA),
    (ALP, 41, NA, 40, NA),
    (ALP, NA, 40, 40, NA),
)
add("14b ALP", ["6.0"], "SI", "H", alp_v6)
add("14c ALP", ["6.0"], "USCV", "H", alp_v6)

# Test 16a/16b: AST; abnormal baseline flagged "H" for expected grades 3-4, else "HIGH";
# high_indicator = c("HIGH", "H")
AST = "Aspartate aminotransferase Increased"
ast_v4 = [{**r, "TERM": AST if r["TERM"] == ALT else r["TERM"]} for r in alt_v4]


def h_or_high(rows):
    return [{**r, "BNRIND": "H" if r["EXPECTED"] in ("3", "4") else "HIGH"} for r in rows]


ast_v5_abn = h_or_high([{**r, "TERM": AST if r["TERM"] == ALT else r["TERM"]} for r in alt_v5_abn])
ast_v6_abn = h_or_high([{**r, "TERM": AST if r["TERM"] == ALT else r["TERM"]} for r in alt_v6_abn])
add("16a AST", ["5.0"], "SI", "H", normal_base(ast_v4) + ast_v5_abn, HIGH_IND="HIGH|H")
add("16b AST", ["6.0"], "SI", "H", normal_base(ast_v4) + ast_v6_abn, HIGH_IND="HIGH|H")

# Test 18a/18b: bilirubin
BILI = "Blood bilirubin increased"
bili_v4 = ulnx(
    BILI,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 401, 40, "4"),
        ("T", 400, 40, "3"),
        ("T", 121, 40, "3"),
        ("T", 120, 40, "2"),
        ("T", 61, 40, "2"),
        ("T", 60, 40, "1"),
        ("T", 41, 40, "1"),
        ("T", 40, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
bili_v5_abn = [  # mutate(BASE = ANRHI, ANRHI = ANRHI - 1, BNRIND = "HIGH")
    {
        **r,
        "BASE": r["ANRHI"],
        "ANRHI": r["ANRHI"] - 1 if r["ANRHI"] is not None else None,
        "BNRIND": "HIGH",
    }
    for r in bili_v4
]
add("18a bilirubin", ["5.0"], "SI", "H", bili_v5_abn + normal_base(bili_v4))
bili_v6_abn = high_base(
    BILI,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 401, 40, "4"),
        ("T", 400, 40, "3"),
        ("T", 101, 40, "3"),
        ("T", 100, 40, "2"),
        ("T", 61, 40, "2"),
        ("T", 60, 40, "1"),
        ("T", 40, 40, "1"),
        ("T", 39, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, 40, NA),
    ],
)
add("18b bilirubin", ["6.0"], "SI", "H", bili_v6_abn + normal_base(bili_v4))

# Test 20a-20d: CD4 (CV: x 1000, unit 1/uL if 10^9/L else NA)
CD4 = "CD4 lymphocytes decreased"
cd4 = tbl(
    "TERM AVAL ANRLO AVALU EXPECTED",
    ("Not a term", 80, 120, "10^9/L", NA),
    (NA, 60, 50, "10^9/L", NA),
    (CD4, 0.04, 0.8, "10^9/L", "4"),
    (CD4, 0.05, 0.8, "10^9/l", "3"),
    (CD4, 0.19, 0.8, "10^9/L", "3"),
    (CD4, 0.2, 0.8, "10^9/L", "2"),
    (CD4, 0.49, 0.8, "10^9/L", "2"),
    (CD4, 0.49, 0.8, "10^8/L", NA),
    (CD4, 0.5, 0.8, "10^9/L", "1"),
    (CD4, 0.79, 0.8, "10^9/L", "1"),
    (CD4, 0.8, 0.8, "10^9/L", "0"),
    (CD4, 0.04, NA, "10^9/L", "4"),
    (CD4, 0.05, NA, "10^9/L", "3"),
    (CD4, 0.19, NA, "10^9/L", "3"),
    (CD4, 0.2, NA, "10^9/L", "2"),
    (CD4, 0.49, NA, "10^9/L", "2"),
    (CD4, 0.5, NA, "10^9/L", NA),
    (CD4, 0.79, NA, "10^9/L", NA),
    (CD4, 0.8, NA, "10^9/L", NA),
    (CD4, 0.8, 0.8, NA, NA),
    (CD4, NA, 0.8, "10^9/L", NA),
)
cd4_cv = [
    {**r, "AVALU": "1/uL" if upper_is(r["AVALU"], "10^9/L") else None}
    for r in scale(cd4, 1000, ("AVAL", "ANRLO"))
]
add("20a/20c CD4", ["5.0", "6.0"], "SI", "L", cd4)
add("20b/20d CD4", ["5.0", "6.0"], "USCV", "L", cd4_cv)

# Test 22a-22d: cholesterol
CHOL = "Cholesterol high"
chol_si = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 8, 0, 5, "mmol/L", NA),
    (NA, 10, 0, 5, "mmol/L", NA),
    (CHOL, 12.93, 0, 5, "mmol/L", "4"),
    ("Cholesterol High", 12.92, 0, 5, "mmol/L", "3"),
    (CHOL, 10.35, 0, 5, "Mmol/L", "3"),
    (CHOL, 10.35, 0, 5, "umol/L", NA),
    (CHOL, 10.34, 0, 5, "mmol/L", "2"),
    (CHOL, 7.76, 0, 5, "mmol/L", "2"),
    (CHOL, 7.75, 0, 5, "mmol/L", "1"),
    (CHOL, 5.1, 0, 5, "mmol/L", "1"),
    (CHOL, 5, 0, 5, "mmol/L", "0"),
    (CHOL, 12.93, 0, NA, "mmol/L", "4"),
    ("Cholesterol High", 12.92, 0, NA, "mmol/L", "3"),
    (CHOL, 10.35, 0, NA, "Mmol/L", "3"),
    (CHOL, 10.34, 0, NA, "mmol/L", "2"),
    (CHOL, 7.76, 0, NA, "mmol/L", "2"),
    (CHOL, 7.75, 0, NA, "mmol/L", NA),
    (CHOL, 5.1, 0, NA, "mmol/L", NA),
    (CHOL, 5, 0, NA, "mmol/L", NA),
    (CHOL, 5, 0, 5, NA, NA),
    (CHOL, NA, 0, 5, "mmol/L", NA),
)
chol_cv = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 8, 0, 200, "mg/dL", NA),
    (NA, 10, 0, 200, "mg/dL", NA),
    (CHOL, 501, 0, 200, "mg/dL", "4"),
    ("Cholesterol High", 500, 0, 200, "mg/dL", "3"),
    (CHOL, 401, 0, 200, "Mg/dL", "3"),
    (CHOL, 400, 0, 200, "ug/dL", NA),
    (CHOL, 400, 0, 200, "mg/dL", "2"),
    (CHOL, 301, 0, 200, "mg/dL", "2"),
    (CHOL, 300, 0, 200, "mg/dL", "1"),
    (CHOL, 201, 0, 200, "mg/dL", "1"),
    (CHOL, 200, 0, 200, "mg/dL", "0"),
    (CHOL, 501, 0, NA, "mg/dL", "4"),
    ("Cholesterol High", 500, 0, NA, "mg/dL", "3"),
    (CHOL, 401, 0, NA, "MG/dL", "3"),
    (CHOL, 400, 0, NA, "mg/dL", "2"),
    (CHOL, 301, 0, NA, "mg/dL", "2"),
    (CHOL, 300, 0, NA, "mg/dL", NA),
    (CHOL, 201, 0, NA, "mg/dL", NA),
    (CHOL, 200, 0, NA, "mg/dL", NA),
    (CHOL, 200, 0, 200, NA, NA),
    (CHOL, NA, 0, 200, "mmol/L", NA),
)
add("22a/22c cholesterol", ["5.0", "6.0"], "SI", "H", chol_si)
add("22b/22d cholesterol", ["5.0", "6.0"], "USCV", "H", chol_cv)

# Test 24: CPK (v5 only)
add(
    "24 CPK",
    ["5.0"],
    "SI",
    "H",
    ulnx(
        "CPK increased",
        [
            ("Not a term", 80, 40, NA),
            (NA, 60, 40, NA),
            ("T", 401, 40, "4"),
            ("T", 400, 40, "3"),
            ("T", 201, 40, "3"),
            ("T", 200, 40, "2"),
            ("T", 101, 40, "2"),
            ("T", 100, 40, "1"),
            ("T", 41, 40, "1"),
            ("T", 40, 40, "0"),
            ("T", 100, NA, NA),
            ("T", NA, 40, NA),
        ],
    ),
)

# creatinine (v4 table with flag V5: the v5 test keeps rows with V5 == "Y")
CREAT = "Creatinine increased"
creat = [
    (("Not a term", 80, 80, 40, NA), "Y"),
    ((NA, 60, 60, 40, NA), "Y"),
    ((CREAT, 241, 241, 40, "4"), "Y"),
    ((CREAT, 240, 230, 40, "3"), "Y"),
    ((CREAT, 121, 120, 40, "3"), "Y"),
    ((CREAT, 120, 119, 40, "2"), "Y"),
    ((CREAT, 61, 60, 40, "2"), "Y"),
    ((CREAT, 60, 60, 40, "1"), "Y"),
    ((CREAT, 41, 41, 40, "1"), "Y"),
    ((CREAT, 40, 40, 40, "0"), "Y"),
    ((CREAT, 42, 6, 40, "3"), "Y"),
    ((CREAT, 42, 13.9, 40, "3"), "Y"),
    ((CREAT, 42, 14, 40, "2"), "Y"),
    ((CREAT, 42.1, 28, 40, "2"), "Y"),
    ((CREAT, 42, 28, 42, "1"), "N"),
    ((CREAT, 42, 41, 42, "1"), "N"),
    ((CREAT, 42, 42, 42, "0"), "N"),
    ((CREAT, 42, NA, 42, NA), "N"),
    ((CREAT, 42, 42, NA, NA), "Y"),
    ((CREAT, NA, 0, 40, NA), "Y"),
]
creat_v5 = tbl("TERM AVAL BASE ANRHI EXPECTED", *[r for r, v5 in creat if v5 == "Y"])
add("26a creatinine", ["5.0"], "SI", "H", creat_v5)

# Test 26b: creatinine v6 (low_indicator = "LOW")
creat_v6 = tbl(
    "TERM AVAL BASE ANRHI BNRIND EXPECTED",
    ("Not a term", 80, 80, 40, "NORMAL", NA),
    (NA, 60, 60, 40, "NORMAL", NA),
    (CREAT, 241, 40, 40, "NORMAL", "4"),
    (CREAT, 240, 40, 40, "NORMAL", "3"),
    (CREAT, 121, 40, 40, "NORMAL", "3"),
    (CREAT, 120, 40, 40, "NORMAL", "2"),
    (CREAT, 61, 40, 40, "NORMAL", "2"),
    (CREAT, 60, 40, 40, "NORMAL", "1"),
    (CREAT, 41, 40, 40, "NORMAL", "1"),
    (CREAT, 40, 40, 40, "NORMAL", "0"),
    (CREAT, 121, 40, 41, "LOW", "3"),
    (CREAT, 120, 40, 41, "LOW", "2"),
    (CREAT, 61, 40, 41, "LOW", "2"),
    (CREAT, 60, 40, 60, "LOW", "0"),
    (CREAT, 42, NA, 42, NA, "0"),
    (CREAT, 60, 40, NA, "LOW", NA),
    (CREAT, NA, 0, 40, "NORMAL", NA),
)
add("26b creatinine", ["6.0"], "SI", "H", creat_v6)

# Test 28a/28b: fibrinogen v5 / v6 (SI)
FIB = "Fibrinogen decreased"
fib = tbl(
    "TERM AVAL ANRLO PCHG AVALU EXPECTED",
    ("Not a term", 9, 10, 40, "g/L", NA),
    (NA, 10, 10, 40, "g/L", NA),
    (FIB, 0.49, NA, NA, "g/L", "4"),
    (FIB, 0.49, 1, -51, "g/L", "4"),
    (FIB, 0.5, 2.1, NA, "g/L", "4"),
    (FIB, 0.5, 2.1, -51, "g/L", "4"),
    (FIB, 0.5, 1.1, -75, "g/L", "4"),
    (FIB, 1, 2.1, NA, "g/L", "3"),
    (FIB, 1, 2.1, -49, "g/L", "3"),
    (FIB, 1, 2, -50, "g/L", "3"),
    (FIB, 1.5, 2.1, NA, "g/L", "2"),
    (FIB, 1.5, 2.1, -10, "g/L", "2"),
    (FIB, 1.5, 1.6, -25, "g/L", "2"),
    (FIB, 2, 2.1, NA, "g/L", "1"),
    (FIB, 2, 2.1, 10, "g/L", "1"),
    (FIB, 1.5, 1.5, 0, "g/L", "0"),
    (FIB, 1.5, 1.5, -1, "g/L", "0"),
    (FIB, 1.5, 1.5, NA, "g/L", "0"),
    (FIB, 1, NA, -75, "g/L", NA),
    (FIB, 1, NA, -50, "g/L", NA),
    (FIB, 1.5, NA, -25, "g/L", NA),
    (FIB, 1.5, NA, -1, "g/L", NA),
    (FIB, 1.5, NA, 10, "g/L", NA),
    (FIB, NA, 1.5, 10, "g/L", NA),
    (FIB, 1.5, 1.5, 0, "g/dL", NA),
    (FIB, 1.5, 1.5, 0, NA, NA),
)
add("28a/28b fibrinogen", ["5.0", "6.0"], "SI", "L", fib)

# GGT (v4 table; v5 and v6 tests add abnormal-baseline rows)
GGT = "GGT increased"
ggt_v4 = ulnx(
    GGT,
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 801, 40, "4"),
        ("T", 800, 40, "3"),
        ("T", 201, 40, "3"),
        ("T", 200, 40, "2"),
        ("T", 101, 40, "2"),
        ("T", 100, 40, "1"),
        ("T", 41, 40, "1"),
        ("T", 40, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, NA, NA),
    ],
)


def ggt_abn(rows):  # mutate(ANRHI = BASE - 1, BNRIND = "HIGH HIGH"); high_indicator "HIGH HIGH"
    out = tbl("TERM AVAL BASE EXPECTED", *[(GGT if t == "T" else t, *rest) for t, *rest in rows])
    return [
        {
            **r,
            "ANRLO": 0,
            "ANRHI": r["BASE"] - 1 if r["BASE"] is not None else None,
            "BNRIND": "HIGH HIGH",
        }
        for r in out
    ]


ggt_norm = [{**r, "ANRLO": 0} for r in normal_base(ggt_v4)]
ggt_v5 = ggt_norm + ggt_abn(
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 801, 40, "4"),
        ("T", 800, 40, "3"),
        ("T", 201, 40, "3"),
        ("T", 200, 40, "2"),
        ("T", 101, 40, "2"),
        ("T", 100, 40, "1"),
        ("T", 81, 40, "1"),
        ("T", 80, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, NA, NA),
    ]
)
ggt_v6 = ggt_norm + ggt_abn(
    [
        ("Not a term", 80, 40, NA),
        (NA, 60, 40, NA),
        ("T", 401, 40, "4"),
        ("T", 400, 40, "3"),
        ("T", 121, 40, "3"),
        ("T", 120, 40, "2"),
        ("T", 61, 40, "2"),
        ("T", 60, 40, "1"),
        ("T", 40, 40, "1"),
        ("T", 39, 40, "0"),
        ("T", 100, NA, NA),
        ("T", NA, NA, NA),
    ]
)
add("30a GGT", ["5.0"], "SI", "H", ggt_v5, HIGH_IND="HIGH HIGH")
add("30b GGT", ["6.0"], "SI", "H", ggt_v6, HIGH_IND="HIGH HIGH")

# Test 32a/32b: haptoglobin
HAPT = "Haptoglobin decreased"
hapt = tbl(
    "TERM AVAL ANRLO ANRHI EXPECTED",
    ("Not a term", 9, 10, 40, NA),
    (NA, 10, 10, 40, NA),
    (HAPT, 9, 10, 40, "1"),
    (HAPT, 10, 10, 40, "0"),
    (HAPT, 11, 10, 40, "0"),
    (HAPT, NA, 10, 40, NA),
    (HAPT, 10, NA, NA, NA),
)
add("32a/32b haptoglobin", ["5.0", "6.0"], "SI", "L", hapt)

# Test 34a-34d: hemoglobin increased (rows with V5 == "Y"; CV: / 10, g/dL if G/L else NA)
HGBI = "Hemoglobin increased"
hgbi = tbl(
    "TERM AVAL BASE ANRHI AVALU EXPECTED",
    ("Not a term", 80, 120, 200, "g/L", NA),
    (NA, 60, 50, 100, "g/L", NA),
    (HGBI, 106, 60, 65, "g/L", "3"),
    (HGBI, 105, 60, 65, "g/L", "2"),
    (HGBI, 86, 60, 65, "g/L", "2"),
    (HGBI, 85, 60, 65, "g/L", "1"),
    (HGBI, 66, 60, 65, "g/L", "1"),
    (HGBI, 65, 60, 65, "g/L", "0"),
    (HGBI, NA, 60, 65, "g/L", NA),
    (HGBI, 200, 61, 65, NA, NA),
    (HGBI, 200, 60, NA, "g/L", NA),
    (HGBI, NA, 60, 65, "g/L", NA),
)
hgbi_cv = [
    {**r, "AVALU": "g/dL" if upper_is(r["AVALU"], "G/L") else None}
    for r in scale(hgbi, 0.1, ("AVAL", "BASE", "ANRHI"))
]
add("34a/34c hemoglobin increased", ["5.0", "6.0"], "SI", "H", hgbi)
add("34b/34d hemoglobin increased", ["5.0", "6.0"], "USCV", "H", hgbi_cv)

# Test 36a/36b: INR (same table for v5 and v6; no ANRHI)
INR = "INR Increased"
inr = tbl(
    "TERM AVAL BASE EXPECTED",
    ("Not a term", 80, 120, NA),
    (NA, 60, 50, NA),
    ("INR IncreaSed", 2.51, 2.6, "3"),
    (INR, 2.5, 1, "2"),
    (INR, 1.51, 1, "2"),
    (INR, 1.5, 1, "1"),
    (INR, 1.2, 1, "1"),
    (INR, 1.19, 1.19, "0"),
    ("INR IncreaSed", 2.5, 0.99, "3"),
    (INR, 1.5, 0.6, "2"),
    (INR, 1.5, 0.99, "2"),
    (INR, 1.2, 0.8, "1"),
    (INR, 1.2, 1.19, "1"),
    (INR, 1.2, 1.2, "0"),
    (INR, 1.2, NA, NA),
    (INR, NA, 100, NA),
)
add("36a/36b INR", ["5.0", "6.0"], "SI", "H", inr)

# Test 38a/38b: lipase
LIP = "Lipase Increased"


def lipase(g3_lo, g3_hi):
    return tbl(
        "TERM AVAL ANRLO ANRHI EXPECTED",
        ("Not a term", 80, 120, 200, NA),
        (NA, 60, 50, 100, NA),
        ("Lipase IncreaSed", 501, 0, 100, "4"),
        (LIP, 500, 0, 100, "3"),
        (LIP, g3_lo, 0, 100, "3"),
        (LIP, g3_hi, 0, 100, "2"),
        (LIP, 151, 0, 100, "2"),
        (LIP, 150, 0, 100, "1"),
        (LIP, 101, 0, 100, "1"),
        (LIP, 100, 0, 100, "0"),
        (LIP, 200, 0, NA, NA),
        (LIP, NA, 0, 100, NA),
    )


add("38a lipase", ["5.0"], "SI", "H", lipase(201, 200))
add("38b lipase", ["6.0"], "SI", "H", lipase(301, 300))

# Test 40a-40c: lymphocyte count decreased (v5; CV unit 10^3/uL; legacy x 1000, 10^3/mL)
LYMD = "Lymphocyte count decreased"
lymd = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 80, 120, 200, "10^9/L", NA),
    (NA, 60, 50, 100, "10^9/L", NA),
    (LYMD, 0.19, 140, NA, "10^9/L", "4"),
    (LYMD, 0.2, 140, NA, "10^9/L", "3"),
    (LYMD, 0.49, 140, NA, "10^9/L", "3"),
    (LYMD, 0.5, 140, NA, "10^9/L", "2"),
    (LYMD, 0.79, 140, NA, "10^9/L", "2"),
    (LYMD, 0.8, 140, NA, "10^9/L", "1"),
    (LYMD, 1.09, 1.1, NA, "10^9/L", "1"),
    (LYMD, 1.1, 1.1, NA, "10^9/L", "0"),
    (LYMD, 0.19, NA, NA, "10^9/L", "4"),
    (LYMD, 0.2, NA, NA, "10^9/L", "3"),
    (LYMD, 0.49, NA, NA, "10^9/L", "3"),
    (LYMD, 0.5, NA, NA, "10^9/L", "2"),
    (LYMD, 0.79, NA, NA, "10^9/L", "2"),
    (LYMD, 0.8, NA, NA, "10^9/L", NA),
    (LYMD, 1.09, NA, NA, "10^9/L", NA),
    (LYMD, 1.1, NA, NA, "10^9/L", NA),
    (LYMD, 1.1, 1.1, NA, NA, NA),
    (LYMD, 1.1, 1.1, NA, "10^9/L", "0"),
)
add("40a lymphocytes decreased", ["5.0"], "SI", "L", lymd)
add("40b lymphocytes decreased", ["5.0"], "USCV", "L", unit(lymd, "10^9/L", "10^3/uL"))
lymd_cv2 = unit(scale(lymd, 1000), "10^9/L", "10^3/mL")
add("40c lymphocytes decreased", ["5.0"], "USCV", "L", lymd_cv2)

# Test 42a-42d: lymphocyte count increased (CV: 10^3/uL rows + legacy x 1000 10^3/mL rows)
LYMI = "Lymphocyte count increased"
lymi = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 80, 120, 200, "10^9/L", NA),
    (NA, 60, 50, 100, "10^9/L", NA),
    (LYMI, 21, NA, NA, "10^9/L", "3"),
    (LYMI, 20, NA, NA, "10^9/L", "2"),
    (LYMI, 4.1, NA, NA, "10^9/L", "2"),
    (LYMI, 4, NA, NA, "10^9/L", "0"),
    (LYMI, 4, NA, NA, NA, NA),
    (LYMI, NA, NA, NA, "10^9/L", NA),
)
lymi_cv = unit(lymi, "10^9/L", "10^3/uL") + unit(scale(lymi, 1000), "10^9/L", "10^3/mL")
add("42a/42c lymphocytes increased", ["5.0", "6.0"], "SI", "H", lymi)
add("42b/42d lymphocytes increased", ["5.0", "6.0"], "USCV", "H", lymi_cv)


# Test 44a/44b: neutrophils v5 (CV: 10^3/uL rows + legacy x 1000 10^3/mL rows)
NEUT = "Neutrophil count decreased"
neut = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 80, 120, 200, "10^9/L", NA),
    (NA, 60, 50, 100, "10^9/L", NA),
    (NEUT, 0.49, 2, NA, "10^9/L", "4"),
    (NEUT, 0.5, 2, NA, "10^9/L", "3"),
    (NEUT, 0.99, 2, NA, "10^9/L", "3"),
    (NEUT, 1, 2, NA, "10^9/L", "2"),
    (NEUT, 1.49, 2, NA, "10^9/L", "2"),
    (NEUT, 1.5, 2, NA, "10^9/L", "1"),
    (NEUT, 1.9, 2, NA, "10^9/L", "1"),
    (NEUT, 2, 2, NA, "10^9/L", "0"),
    (NEUT, 0.49, NA, NA, "10^9/L", "4"),
    (NEUT, 0.5, NA, NA, "10^9/L", "3"),
    (NEUT, 0.99, NA, NA, "10^9/L", "3"),
    (NEUT, 1, NA, NA, "10^9/L", "2"),
    (NEUT, 1.49, NA, NA, "10^9/L", "2"),
    (NEUT, 1.5, NA, NA, "10^9/L", NA),
    (NEUT, 1.9, NA, NA, "10^9/L", NA),
    (NEUT, 2, NA, NA, "10^9/L", NA),
    (NEUT, 2, 2, NA, NA, NA),
    (NEUT, NA, 2, NA, "10^9/L", NA),
)
neut_cv = unit(neut, "10^9/L", "10^3/uL") + unit(scale(neut, 1000), "10^9/L", "10^3/mL")
add("44a neutrophils", ["5.0"], "SI", "L", neut)
add("44b neutrophils", ["5.0"], "USCV", "L", neut_cv)

# Test 44c-44e: neutrophils v6 (no LLN needed)
neut6 = tbl(
    "TERM AVAL AVALU EXPECTED",
    ("Not a term", 80, "10^9/L", NA),
    (NA, 60, "10^9/L", NA),
    (NEUT, 0.09, "10^9/L", "4"),
    (NEUT, 0.1, "10^9/L", "3"),
    (NEUT, 0.49, "10^9/L", "3"),
    (NEUT, 0.5, "10^9/L", "2"),
    (NEUT, 0.99, "10^9/L", "2"),
    (NEUT, 1, "10^9/L", "1"),
    (NEUT, 1.49, "10^9/L", "1"),
    (NEUT, 1.5, "10^9/L", "0"),
    (NEUT, NA, NA, NA),
    (NEUT, NA, "10^9/L", NA),
)
add("44c neutrophils", ["6.0"], "SI", "L", neut6)
add("44d neutrophils", ["6.0"], "USCV", "L", unit(neut6, "10^9/L", "10^3/uL"))
add(
    "44e neutrophils",
    ["6.0"],
    "USCV",
    "L",
    unit(scale(neut6, 1000, ("AVAL",)), "10^9/L", "10^3/mL"),
)

# Test 46a-46c: platelets v5; 46d/46e: v6 Thrombocytopenia (24 -> 9, 25 -> 10)
PLAT = "Platelet count decreased"
plat = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 80, 120, 200, "10^9/L", NA),
    (NA, 60, 50, 100, "10^9/L", NA),
    (PLAT, 24, 100, 150, "10^9/L", "4"),
    (PLAT, 25, 100, 150, "10^9/L", "3"),
    (PLAT, 49, 100, 150, "10^9/L", "3"),
    (PLAT, 50, 100, 150, "10^9/L", "2"),
    (PLAT, 74, 100, 150, "10^9/L", "2"),
    (PLAT, 75, 100, 150, "10^9/L", "1"),
    (PLAT, 99, 100, NA, "10^9/L", "1"),
    (PLAT, 100, 100, NA, "10^9/L", "0"),
    (PLAT, 24, NA, NA, "10^9/L", "4"),
    (PLAT, 25, NA, NA, "10^9/L", "3"),
    (PLAT, 49, NA, NA, "10^9/L", "3"),
    (PLAT, 50, NA, NA, "10^9/L", "2"),
    (PLAT, 74, NA, NA, "10^9/L", "2"),
    (PLAT, 75, NA, NA, "10^9/L", NA),
    (PLAT, 99, NA, NA, "10^9/L", NA),
    (PLAT, 100, NA, NA, "10^9/L", NA),
    (PLAT, 100, 100, NA, NA, NA),
    (PLAT, NA, 100, NA, "10^9/L", NA),
)
add("46a platelets", ["5.0"], "SI", "L", plat)
add("46b platelets", ["5.0"], "USCV", "L", unit(plat, "10^9/L", "10^3/uL"))
add("46c platelets", ["5.0"], "USCV", "L", unit(scale(plat, 1000), "10^9/L", "10^3/mL"))
plat6 = [
    {
        **r,
        "TERM": "Thrombocytopenia" if r["TERM"] == PLAT else r["TERM"],
        "AVAL": {24: 9, 25: 10}.get(r["AVAL"], r["AVAL"]),
    }
    for r in plat
]
add("46d thrombocytopenia", ["6.0"], "SI", "L", plat6)

add("46e thrombocytopenia", ["6.0"], "USCV", "L", unit(plat6, "10^9/L", "10^3/uL"))
add("46f thrombocytopenia", ["6.0"], "USCV", "L", unit(scale(plat6, 1000), "10^9/L", "10^3/mL"))

# Test 48a-48c: serum amylase (v5 SI, v5 USCV, v6 SI)
AMY = "Serum amylase increased"
amy = tbl(
    "TERM AVAL ANRLO ANRHI EXPECTED",
    ("Not a term", 80, 120, 200, NA),
    (NA, 60, 50, 100, NA),
    (AMY, 501, 0, 100, "4"),
    (AMY, 500, 0, 100, "3"),
    (AMY, 201, 0, 100, "3"),
    (AMY, 200, 0, 100, "2"),
    (AMY, 151, 0, 100, "2"),
    (AMY, 150, 0, 100, "1"),
    (AMY, 101, 0, 100, "1"),
    (AMY, 100, 0, 100, "0"),
    (AMY, 200, 0, NA, NA),
    (AMY, NA, 0, 100, NA),
)
add("48a amylase", ["5.0"], "SI", "H", amy)
add("48b amylase", ["5.0"], "USCV", "H", amy)
add("48c amylase", ["6.0"], "SI", "H", amy)

# Test 50a-50d: white blood cells decreased (USCV: 10^3/uL rows + x 1000 10^3/mL rows;
# ANRHI not scaled in admiral's test)
WBCD = "White blood cell decreased"
wbcd = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 1, 5, 15, "10^9/L", NA),
    (NA, 2, 5, 15, "10^9/L", NA),
    (WBCD, 0.9, 5, 15, "10^9/L", "4"),
    (WBCD, 1, 5, 15, "10^9/L", "3"),
    (WBCD, 1.9, 5, 15, "10^9/L", "3"),
    (WBCD, 2, 5, 15, "10^9/L", "2"),
    (WBCD, 2.9, 5, 15, "10^9/L", "2"),
    (WBCD, 3, 5, 15, "10^9/L", "1"),
    (WBCD, 4.9, 5, 15, "10^9/L", "1"),
    (WBCD, 5, 5, 15, "10^9/L", "0"),
    (WBCD, 0.9, NA, NA, "10^9/L", "4"),
    (WBCD, 1, NA, NA, "10^9/L", "3"),
    (WBCD, 1.9, NA, NA, "10^9/L", "3"),
    (WBCD, 2, NA, NA, "10^9/L", "2"),
    (WBCD, 2.9, NA, NA, "10^9/L", "2"),
    (WBCD, 3, NA, NA, "10^9/L", NA),
    (WBCD, 3, NA, NA, "10^9/L", NA),
    (WBCD, 3, NA, NA, "10^9/L", NA),
    (WBCD, 3, 100, NA, NA, NA),
    (WBCD, NA, 100, NA, "10^9/L", NA),
)
wbcd_uscv = unit(wbcd, "10^9/L", "10^3/uL") + unit(
    scale(wbcd, 1000, ("AVAL", "ANRLO")), "10^9/L", "10^3/mL"
)
add("50a/50c WBC decreased", ["5.0", "6.0"], "SI", "L", wbcd)
add("50b/50d WBC decreased", ["5.0", "6.0"], "USCV", "L", wbcd_uscv)

# Test 52a/52b (v5) and the v6 tests: hypercalcemia
HCA = "Hypercalcemia"


def calcium(term, rows, lo_hi):
    return tbl(
        "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
        *[(term if t == "T" else t, a, lo_hi[0], hi, u, e) for t, a, hi, u, e in rows],
    )


calci_si = calcium(
    HCA,
    [
        ("Not a term", 3.5, 2.5, "mmol/L", NA),
        (NA, 3.5, 2.5, "mmol/L", NA),
        ("T", 3.5, 2.5, "mmol/L", "4"),
        ("T", 3.4, 2.5, "mmol/L", "3"),
        ("T", 3.2, 2.5, "mmol/L", "3"),
        ("T", 3.1, 2.5, "mmol/L", "2"),
        ("T", 3, 2.5, "mmol/L", "2"),
        ("T", 2.9, 2.5, "mmol/L", "1"),
        ("T", 2.6, 2.5, "mmol/L", "1"),
        ("T", 2.5, 2.5, "mmol/L", "0"),
        ("T", 3.5, NA, "mmol/L", "4"),
        ("T", 3.4, NA, "mmol/L", "3"),
        ("T", 3.2, NA, "mmol/L", "3"),
        ("T", 3.1, NA, "mmol/L", "2"),
        ("T", 3, NA, "mmol/L", "2"),
        ("T", 2.9, NA, "mmol/L", NA),
        ("T", 2.6, NA, "mmol/L", NA),
        ("T", 2.5, NA, "mmol/L", NA),
        ("T", 2.5, 2.5, NA, NA),
        ("T", NA, 2.5, "mmol/L", NA),
    ],
    (0, None),
)
calci_cv = calcium(
    HCA,
    [
        ("Not a term", 13.6, 10.5, "mg/dL", NA),
        (NA, 13.6, 10.5, "mg/dL", NA),
        ("T", 13.6, 10.5, "mg/dL", "4"),
        ("T", 13.5, 10.5, "mg/dL", "3"),
        ("T", 12.6, 10.5, "mg/dL", "3"),
        ("T", 12.5, 10.5, "mg/dL", "2"),
        ("T", 11.6, 10.5, "mg/dL", "2"),
        ("T", 11.5, 10.5, "mg/dL", "1"),
        ("T", 10.6, 10.5, "mg/dL", "1"),
        ("T", 10.5, 10.5, "mg/dL", "0"),
        ("T", 13.6, NA, "mg/dL", "4"),
        ("T", 13.5, NA, "mg/dL", "3"),
        ("T", 12.6, NA, "mg/dL", "3"),
        ("T", 12.5, NA, "mg/dL", "2"),
        ("T", 11.6, NA, "mg/dL", "2"),
        ("T", 11.5, NA, "mg/dL", NA),
        ("T", 10.6, NA, "mg/dL", NA),
        ("T", 10.5, NA, "mg/dL", NA),
        ("T", 10.5, 10.5, NA, NA),
        ("T", NA, 10.5, "mg/dL", NA),
    ],
    (0, None),
)
add("52a hypercalcemia", ["5.0"], "SI", "H", calci_si)
add("52b hypercalcemia", ["5.0"], "USCV", "H", calci_cv)

add("52c hypercalcemia", ["6.0"], "SI", "H", calci_si)
add("52c' hypercalcemia", ["6.0"], "USCV", "H", calci_cv)


calion_si = calcium(
    "Hypercalcemia (Ionized)",
    [
        ("Not a term", 1.9, 1.3, "mmol/L", NA),
        (NA, 1.9, 1.3, "mmol/L", NA),
        ("T", 1.9, 1.3, "mmol/L", "4"),
        ("T", 1.8, 1.3, "mmol/L", "3"),
        ("T", 1.7, 1.3, "mmol/L", "3"),
        ("T", 1.6, 1.3, "mmol/L", "2"),
        ("T", 1.51, 1.3, "mmol/L", "2"),
        ("T", 1.5, 1.3, "mmol/L", "1"),
        ("T", 1.4, 1.3, "mmol/L", "1"),
        ("T", 1.3, 1.3, "mmol/L", "0"),
        ("T", 1.9, NA, "mmol/L", "4"),
        ("T", 1.8, NA, "mmol/L", "3"),
        ("T", 1.7, NA, "mmol/L", "3"),
        ("T", 1.6, NA, "mmol/L", "2"),
        ("T", 1.51, NA, "mmol/L", "2"),
        ("T", 1.5, NA, "mmol/L", NA),
        ("T", 1.4, NA, "mmol/L", NA),
        ("T", 1.3, NA, "mmol/L", NA),
        ("T", 1.3, 1.3, NA, NA),
        ("T", NA, 1.3, "mmol/L", NA),
    ],
    (0, None),
)
calion_cv = calcium(
    "Hypercalcemia (Ionized)",
    [
        ("Not a term", 7.3, 5, "mg/dL", NA),
        (NA, 7.3, 5, "mg/dL", NA),
        ("T", 7.3, 5, "mg/dL", "4"),
        ("T", 7.2, 5, "mg/dL", "3"),
        ("T", 6.5, 5, "mg/dL", "3"),
        ("T", 6.4, 5, "mg/dL", "2"),
        ("T", 6.1, 5, "mg/dL", "2"),
        ("T", 6.0, 5, "mg/dL", "1"),
        ("T", 5.1, 5, "mg/dL", "1"),
        ("T", 5, 5, "mg/dL", "0"),
        ("T", 7.3, NA, "mg/dL", "4"),
        ("T", 7.2, NA, "mg/dL", "3"),
        ("T", 6.5, NA, "mg/dL", "3"),
        ("T", 6.4, NA, "mg/dL", "2"),
        ("T", 6.1, NA, "mg/dL", "2"),
        ("T", 6.0, NA, "mg/dL", NA),
        ("T", 5.1, NA, "mg/dL", NA),
        ("T", 5, NA, "mg/dL", NA),
        ("T", 5, 5, NA, NA),
        ("T", NA, 5, "mg/dL", NA),
    ],
    (0, None),
)
add("54a/54c hypercalcemia ionized", ["5.0", "6.0"], "SI", "H", calion_si)
add("54b/54d hypercalcemia ionized", ["5.0", "6.0"], "USCV", "H", calion_cv)

# Test 55c: hyperglycemia (fasting), v6 SI
glycfi = calcium(
    "Hyperglycemia (Fasting)",
    [
        ("Not a term", 27.9, 5.3, "mmol/L", NA),
        (NA, 27.9, 5.3, "mmol/L", NA),
        ("T", 27.9, 5.3, "mmol/L", "4"),
        ("T", 27.8, 5.3, "mmol/L", "3"),
        ("T", 14, 5.3, "mmol/L", "3"),
        ("T", 13.9, 5.3, "mmol/L", "2"),
        ("T", 9, 5.3, "mmol/L", "2"),
        ("T", 8.9, 5.3, "mmol/L", "1"),
        ("T", 5.4, 5.3, "mmol/L", "1"),
        ("T", 5.3, 5.3, "mmol/L", "0"),
        ("T", 27.9, NA, "mmol/L", "4"),
        ("T", 27.8, NA, "mmol/L", "3"),
        ("T", 14, NA, "mmol/L", "3"),
        ("T", 13.9, NA, "mmol/L", "2"),
        ("T", 9, NA, "mmol/L", "2"),
        ("T", 8.9, NA, "mmol/L", NA),
        ("T", 5.4, NA, "mmol/L", NA),
        ("T", 5.3, NA, "mmol/L", NA),
        ("T", 5.3, 5.3, NA, NA),
        ("T", NA, 5.3, "mmol/L", NA),
    ],
    (0, None),
)
add("55c hyperglycemia fasting", ["6.0"], "SI", "H", glycfi)

# hyperglycemia (v6 SI)
glyci = calcium(
    "Hyperglycemia",
    [
        ("Not a term", 27.9, 5.3, "mmol/L", NA),
        (NA, 27.9, 5.3, "mmol/L", NA),
        ("T", 27.9, 5.3, "mmol/L", "4"),
        ("T", 27.8, 5.3, "mmol/L", "3"),
        ("T", 14, 5.3, "mmol/L", "3"),
        ("T", 13.9, 5.3, "mmol/L", "0"),
        ("T", 5.3, NA, "mmol/L", "0"),
        ("T", 5.3, 5.3, NA, NA),
        ("T", NA, 5.3, "mmol/L", NA),
    ],
    (0, None),
)

glyci_cv = calcium(
    "Hyperglycemia",
    [
        ("Not a term", 501, 5.3, "mg/dL", NA),
        (NA, 501, 5.3, "mg/dL", NA),
        ("T", 501, 5.3, "mg/dL", "4"),
        ("T", 500, 5.3, "mg/dL", "3"),
        ("T", 251, 5.3, "mg/dL", "3"),
        ("T", 250, 5.3, "mg/dL", "0"),
        ("T", 250, NA, "mg/dL", "0"),
        ("T", 250, 5.3, NA, NA),
        ("T", NA, 5.3, "mg/dL", NA),
    ],
    (0, None),
)
add("56c hyperglycemia", ["6.0"], "SI", "H", glyci)
add("56d hyperglycemia", ["6.0"], "USCV", "H", glyci_cv)


def std(term, unit_, limit_col, limit, graded, without, other=0):
    """admiral's usual layout: 2 non-term rows, ``graded`` (AVAL, expected) with the limit,
    the same AVALs without it (``without``: expected), a missing-unit row (last AVAL) and a
    missing-AVAL row. ``other``: the other reference limit (admiral's tables use 0)."""
    other_col = "ANRLO" if limit_col == "ANRHI" else "ANRHI"
    a0 = graded[0][0]
    rows = [("Not a term", a0, limit, unit_, NA), (NA, a0, limit, unit_, NA)]
    rows += [(term, a, limit, unit_, e) for a, e in graded]
    rows += [(term, a, NA, unit_, e) for (a, _), e in zip(graded, without, strict=True)]
    rows += [(term, graded[-1][0], limit, NA, NA), (term, NA, limit, unit_, NA)]
    return [
        {"TERM": t, "AVAL": a, limit_col: lim, other_col: other, "AVALU": u, "EXPECTED": e}
        for t, a, lim, u, e in rows
    ]


# Test 58a-58c: hyperkalemia (mmol/L in both specifications)
kalei = std(
    "Hyperkalemia",
    "mmol/L",
    "ANRHI",
    5.1,
    [(7.1, "4"), (7, "3"), (6.1, "3"), (6, "2"), (5.6, "2"), (5.5, "1"), (5.2, "1"), (5.1, "0")],
    ["4", "3", "3", "2", "2", NA, NA, NA],
)
add("58a hyperkalemia", ["5.0"], "SI", "H", kalei)
add("58b hyperkalemia", ["5.0"], "USCV", "H", kalei)
add("58c hyperkalemia", ["6.0"], "SI", "H", kalei)

# Test 60a-60d: hypermagnesemia
magni_si = std(
    "Hypermagnesemia",
    "mmol/L",
    "ANRHI",
    0.8,
    [(3.4, "4"), (3.3, "3"), (1.24, "3"), (1.23, "1"), (0.81, "1"), (0.8, "0")],
    ["4", "3", "3", NA, NA, NA],
)
magni_cv = std(
    "Hypermagnesemia",
    "mg/dL",
    "ANRHI",
    1.2,
    [(8.1, "4"), (8, "3"), (3.1, "3"), (3, "1"), (1.21, "1"), (1.2, "0")],
    ["4", "3", "3", NA, NA, NA],
)
add("60a/60c hypermagnesemia", ["5.0", "6.0"], "SI", "H", magni_si)
add("60b/60d hypermagnesemia", ["5.0", "6.0"], "USCV", "H", magni_cv)

# Test 62a/62b (+ v6): hypernatremia (mmol/L in both specifications)
natri = std(
    "Hypernatremia",
    "mmol/L",
    "ANRHI",
    140,
    [
        (161, "4"),
        (160, "3"),
        (156, "3"),
        (155, "2"),
        (151, "2"),
        (150, "1"),
        (141, "1"),
        (140, "0"),
    ],
    ["4", "3", "3", "2", "2", NA, NA, NA],
)
add("62a hypernatremia", ["5.0"], "SI", "H", natri)
add("62b hypernatremia", ["5.0"], "USCV", "H", natri)

add("62c hypernatremia", ["6.0"], "SI", "H", natri)

# Test 64a-64d: hypertriglyceridemia (no reference limit needed)
TRIG = "Hypertriglyceridemia"


def fixed_rows(term, unit_, others, rows):
    return [
        {
            "TERM": term if t == "T" else t,
            "AVAL": a,
            "AVALU": unit_ if u else None,
            "EXPECTED": e,
            **others,
        }
        for t, a, u, e in rows
    ]


trig_si = fixed_rows(
    TRIG,
    "mmol/L",
    {"ANRLO": 0, "ANRHI": 2.1},
    [
        ("Not a term", 11.5, 1, NA),
        (NA, 11.5, 1, NA),
        ("T", 11.5, 1, "4"),
        ("T", 11.4, 1, "3"),
        ("T", 5.8, 1, "3"),
        ("T", 5.7, 1, "2"),
        ("T", 3.43, 1, "2"),
        ("T", 3.42, 1, "1"),
        ("T", 1.72, 1, "1"),
        ("T", 1.71, 1, "0"),
        ("T", 1.71, 0, NA),
        ("T", NA, 1, NA),
    ],
)
trig_cv = fixed_rows(
    TRIG,
    "mg/dL",
    {"ANRLO": 0, "ANRHI": 50},
    [
        ("Not a term", 1001, 1, NA),
        (NA, 1001, 1, NA),
        ("T", 1001, 1, "4"),
        ("T", 1000, 1, "3"),
        ("T", 501, 1, "3"),
        ("T", 500, 1, "2"),
        ("T", 301, 1, "2"),
        ("T", 300, 1, "1"),
        ("T", 151, 1, "1"),
        ("T", 150, 1, "0"),
        ("T", 150, 0, NA),
        ("T", NA, 1, NA),
    ],
)
add("64a/64c hypertriglyceridemia", ["5.0", "6.0"], "SI", "H", trig_si)
add("64b/64d hypertriglyceridemia", ["5.0", "6.0"], "USCV", "H", trig_cv)

# Test 65a-65d: hyperuricemia (v4 table without its grade-4 rows; the unit is ignored)
URIC = "Hyperuricemia"


def uric(unit_, vals, hi):
    rows = [
        ("Not a term", vals[0], hi, unit_, NA),
        (NA, vals[0], hi, unit_, NA),
        ("T", vals[0], hi, unit_, "4"),
        ("T", vals[1], hi, unit_, "3"),
        ("T", vals[2], hi, unit_, "3"),
        ("T", vals[3], hi, unit_, "0"),
        ("T", vals[0], NA, unit_, "4"),
        ("T", vals[1], NA, unit_, NA),
        ("T", vals[2], NA, unit_, NA),
        ("T", vals[3], NA, unit_, NA),
        ("T", vals[3], hi, NA, "0"),
        ("T", NA, hi, unit_, NA),
    ]
    return [
        {
            "TERM": URIC if t == "T" else t,
            "AVAL": a,
            "ANRLO": 0,
            "ANRHI": h,
            "AVALU": u,
            "EXPECTED": e,
        }
        for t, a, h, u, e in rows
        if e != "4"
    ]


add("65a/65c hyperuricemia", ["5.0", "6.0"], "SI", "H", uric("umol/L", (591, 590, 201, 200), 200))
add("65b/65d hyperuricemia", ["5.0", "6.0"], "USCV", "H", uric("mg/dL", (11, 10, 6, 5), 5))

# Test 68a/68b: hypoalbuminemia (CV: / 10, g/dL where a unit is given)
ALB = "Hypoalbuminemia"
albd = tbl(
    "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
    ("Not a term", 19, 40, 100, "G/L", NA),
    (NA, 19, 40, 100, "G/L", NA),
    (ALB, 19, 40, 100, "G/L", "3"),
    (ALB, 20, 40, 100, "G/L", "2"),
    (ALB, 29, 40, 100, "G/L", "2"),
    (ALB, 30, 40, 100, "G/L", "1"),
    (ALB, 39, 40, 100, "G/L", "1"),
    (ALB, 40, 40, 100, "G/L", "0"),
    (ALB, 40, 40, NA, "G/L", "0"),
    (ALB, 19, NA, 100, "G/L", "3"),
    (ALB, 20, NA, 100, "G/L", "2"),
    (ALB, 29, NA, 100, "G/L", "2"),
    (ALB, 30, NA, 100, "G/L", NA),
    (ALB, 39, NA, 100, "G/L", NA),
    (ALB, 40, NA, 100, "G/L", NA),
    (ALB, 40, 40, 100, NA, NA),
    (ALB, NA, 40, 100, "G/L", NA),
)
albd_cv = [{**r, "AVALU": None if r["AVALU"] is None else "g/dL"} for r in scale(albd, 0.1)]
add("68a hypoalbuminemia", ["5.0"], "SI", "L", albd)
add("68b hypoalbuminemia", ["5.0"], "USCV", "L", albd_cv)

add("68c hypoalbuminemia", ["6.0"], "SI", "L", albd)
add("68d hypoalbuminemia", ["6.0"], "USCV", "L", albd_cv)


def lo_rows(term, rows):
    """(AVAL, ANRLO, ANRHI, AVALU, expected) rows; "T" is ``term``."""
    return tbl(
        "TERM AVAL ANRLO ANRHI AVALU EXPECTED",
        *[(term if r[0] == "T" else r[0], *r[1:]) for r in rows],
    )


# Test 70a-70d: hypocalcemia (admiral's "ANRLO missing" rows set ANRHI missing instead)
calcd_si = lo_rows(
    "Hypocalcemia",
    [
        ("Not a term", 1.4, 4, 100, "mmol/L", NA),
        (NA, 1.4, 4, 100, "mmol/L", NA),
        ("T", 1.4, 4, 100, "mmol/L", "4"),
        ("T", 1.5, 4, 100, "mmol/L", "3"),
        ("T", 1.74, 4, 100, "mmol/L", "3"),
        ("T", 1.75, 4, 100, "mmol/L", "2"),
        ("T", 1.9, 4, 100, "mmol/L", "2"),
        ("T", 2, 4, 100, "mmol/L", "1"),
        ("T", 3, 4, 100, "mmol/L", "1"),
        ("T", 4, 4, 100, "mmol/L", "0"),
        ("T", 1.4, 4, NA, "mmol/L", "4"),
        ("T", 1.5, 4, NA, "mmol/L", "3"),
        ("T", 1.74, 4, NA, "mmol/L", "3"),
        ("T", 1.75, 4, NA, "mmol/L", "2"),
        ("T", 1.9, 4, NA, "mmol/L", "2"),
        ("T", 2, 4, NA, "mmol/L", "1"),
        ("T", 3, 4, NA, "mmol/L", "1"),
        ("T", 4, 4, NA, "mmol/L", "0"),
        ("T", 4, 4, 100, NA, NA),
        ("T", NA, 4, 100, "mmol/L", NA),
    ],
)
calcd_cv = lo_rows(
    "Hypocalcemia",
    [
        ("Not a term", 5.9, 9, 100, "mg/dL", NA),
        (NA, 5.9, 9, 100, "mg/dL", NA),
        ("T", 5.9, 9, 100, "mg/dL", "4"),
        ("T", 6, 9, 100, "mg/dL", "3"),
        ("T", 6.9, 9, 100, "mg/dL", "3"),
        ("T", 7, 9, 100, "mg/dL", "2"),
        ("T", 7.9, 9, 100, "mg/dL", "2"),
        ("T", 8, 9, 100, "mg/dL", "1"),
        ("T", 8.9, 9, 100, "mg/dL", "1"),
        ("T", 9, 9, 100, "mg/dL", "0"),
        ("T", 5.9, 9, NA, "mg/dL", "4"),
        ("T", 6, 9, NA, "mg/dL", "3"),
        ("T", 6.9, 9, NA, "mg/dL", "3"),
        ("T", 7, 9, NA, "mg/dL", "2"),
        ("T", 7.9, 9, NA, "mg/dL", "2"),
        ("T", 8, 9, NA, "mg/dL", "1"),
        ("T", 8.9, 9, NA, "mg/dL", "1"),
        ("T", 9, 9, NA, "mg/dL", "0"),
        ("T", 9, 9, 100, NA, NA),
        ("T", NA, 9, 100, "mg/dL", NA),
    ],
)
add("70a/70c hypocalcemia", ["5.0", "6.0"], "SI", "L", calcd_si)
add("70b/70d hypocalcemia", ["5.0", "6.0"], "USCV", "L", calcd_cv)

# Test 72a-72d: hypocalcemia (ionized) (CV: x 4, mg/dL where a unit is given)
caliond = lo_rows(
    "Hypocalcemia (Ionized)",
    [
        ("Not a term", 0.79, 1.3, 100, "mmol/L", NA),
        (NA, 0.79, 1.3, 100, "mmol/L", NA),
        ("T", 0.79, 1.3, 100, "mmol/L", "4"),
        ("T", 0.8, 1.3, 100, "mmol/L", "3"),
        ("T", 0.89, 1.3, 100, "mmol/L", "3"),
        ("T", 0.9, 1.3, 100, "mmol/L", "2"),
        ("T", 0.99, 1.3, 100, "mmol/L", "2"),
        ("T", 1, 1.3, 100, "mmol/L", "1"),
        ("T", 1.29, 1.3, 100, "mmol/L", "1"),
        ("T", 1.3, 1.3, 100, "mmol/L", "0"),
        ("T", 0.79, NA, 100, "mmol/L", "4"),
        ("T", 0.8, NA, 100, "mmol/L", "3"),
        ("T", 0.89, NA, 100, "mmol/L", "3"),
        ("T", 0.9, NA, 100, "mmol/L", "2"),
        ("T", 0.99, NA, 100, "mmol/L", "2"),
        ("T", 1, 1.3, NA, "mmol/L", "1"),
        ("T", 1.29, 1.3, NA, "mmol/L", "1"),
        ("T", 1.3, 1.3, NA, "mmol/L", "0"),
        ("T", 1.3, 1.3, 100, NA, NA),
        ("T", NA, 1.3, 100, "mmol/L", NA),
    ],
)
caliond_cv = [{**r, "AVALU": None if r["AVALU"] is None else "mg/dL"} for r in scale(caliond, 4)]
add("72a/72c hypocalcemia ionized", ["5.0", "6.0"], "SI", "L", caliond)
add("72b/72d hypocalcemia ionized", ["5.0", "6.0"], "USCV", "L", caliond_cv)

# hypoglycemia (SI)
glycd_si = lo_rows(
    "Hypoglycemia",
    [
        ("Not a term", 1.69, 4, 100, "mmol/L", NA),
        (NA, 1.69, 4, 100, "mmol/L", NA),
        ("T", 1.69, 4, 100, "mmol/L", "4"),
        ("T", 1.7, 4, 100, "mmol/L", "3"),
        ("T", 2.19, 4, 100, "mmol/L", "3"),
        ("T", 2.2, 4, 100, "mmol/L", "2"),
        ("T", 2.9, 4, 100, "mmol/L", "2"),
        ("T", 3, 4, 100, "mmol/L", "1"),
        ("T", 3.9, 4, 100, "mmol/L", "1"),
        ("T", 4, 4, 100, "mmol/L", "0"),
        ("T", 1.69, NA, 100, "mmol/L", "4"),
        ("T", 1.7, NA, 100, "mmol/L", "3"),
        ("T", 2.19, NA, 100, "mmol/L", "3"),
        ("T", 2.2, NA, 100, "mmol/L", "2"),
        ("T", 2.9, NA, 100, "mmol/L", "2"),
        ("T", 3, NA, 100, "mmol/L", NA),
        ("T", 3.9, NA, 100, "mmol/L", NA),
        ("T", 4, NA, 100, "mmol/L", NA),
        ("T", 4, 4, 100, NA, NA),
        ("T", NA, 4, 100, "mmol/L", NA),
    ],
)

glycd_cv = lo_rows(
    "Hypoglycemia",
    [
        ("Not a term", 29, 70, 100, "mg/dL", NA),
        (NA, 29, 70, 100, "g/dL", NA),
        ("T", 29, 70, 100, "mg/dL", "4"),
        ("T", 30, 70, 100, "mg/dL", "3"),
        ("T", 39, 70, 100, "mg/dL", "3"),
        ("T", 40, 70, 100, "mg/dL", "2"),
        ("T", 54, 70, 100, "mg/dL", "2"),
        ("T", 55, 70, 100, "mg/dL", "1"),
        ("T", 69, 70, 100, "mg/dL", "1"),
        ("T", 70, 70, 100, "mg/dL", "0"),
        ("T", 29, NA, 100, "mg/dL", "4"),
        ("T", 30, NA, 100, "mg/dL", "3"),
        ("T", 39, NA, 100, "mg/dL", "3"),
        ("T", 40, NA, 100, "mg/dL", "2"),
        ("T", 54, NA, 100, "mg/dL", "2"),
        ("T", 55, NA, 100, "mg/dL", NA),
        ("T", 69, NA, 100, "mg/dL", NA),
        ("T", 70, NA, 100, "mg/dL", NA),
        ("T", 70, 70, 100, NA, NA),
        ("T", NA, 70, 100, "mg/dL", NA),
    ],
)
add("74a/74c hypoglycemia", ["5.0", "6.0"], "SI", "L", glycd_si)
add("74b/74d hypoglycemia", ["5.0", "6.0"], "USCV", "L", glycd_cv)

# Test 76a-76d: hypokalemia (worst case: < LLN is grade 2; mmol/L in both specifications)
kaled = lo_rows(
    "Hypokalemia",
    [
        ("Not a term", 2.49, 4, 100, "mmol/L", NA),
        (NA, 2.49, 4, 100, "mmol/L", NA),
        ("T", 2.49, 4, 100, "mmol/L", "4"),
        ("T", 2.5, 4, 100, "mmol/L", "3"),
        ("T", 2.9, 4, 100, "mmol/L", "3"),
        ("T", 3, 4, 100, "mmol/L", "2"),
        ("T", 3.9, 4, 100, "mmol/L", "2"),
        ("T", 4, 4, 100, "mmol/L", "0"),
        ("T", 2.49, NA, 100, "mmol/L", "4"),
        ("T", 2.5, NA, 100, "mmol/L", "3"),
        ("T", 2.9, NA, 100, "mmol/L", "3"),
        ("T", 3, NA, 100, "mmol/L", NA),
        ("T", 3.9, NA, 100, "mmol/L", NA),
        ("T", 4, NA, NA, "mmol/L", NA),
        ("T", 4, 4, 100, NA, NA),
        ("T", NA, 4, 100, "mmol/L", NA),
    ],
)
add("76a/76c hypokalemia", ["5.0", "6.0"], "SI", "L", kaled)
add("76b/76d hypokalemia", ["5.0", "6.0"], "USCV", "L", kaled)

# Test 78a-78d: hypomagnesemia
magnd_si = lo_rows(
    "Hypomagnesemia",
    [
        ("Not a term", 0.29, 1, 100, "mmol/L", NA),
        (NA, 0.29, 1, 100, "mmol/L", NA),
        ("T", 0.29, 1, 100, "mmol/L", "4"),
        ("T", 0.3, 1, 100, "mmol/L", "3"),
        ("T", 0.39, 1, 100, "mmol/L", "3"),
        ("T", 0.4, 1, 100, "mmol/L", "2"),
        ("T", 0.49, 1, 100, "mmol/L", "2"),
        ("T", 0.5, 1, 100, "mmol/L", "1"),
        ("T", 0.9, 1, 100, "mmol/L", "1"),
        ("T", 1, 1, 100, "mmol/L", "0"),
        ("T", 0.29, NA, 100, "mmol/L", "4"),
        ("T", 0.3, NA, 100, "mmol/L", "3"),
        ("T", 0.39, NA, 100, "mmol/L", "3"),
        ("T", 0.4, NA, 100, "mmol/L", "2"),
        ("T", 0.49, NA, 100, "mmol/L", "2"),
        ("T", 0.5, NA, 100, "mmol/L", NA),
        ("T", 0.9, NA, 100, "mmol/L", NA),
        ("T", 1, NA, 100, "mmol/L", NA),
        ("T", 1, 1, 100, NA, NA),
        ("T", NA, 1, 100, "mmol/L", NA),
    ],
)
magnd_cv = lo_rows(
    "Hypomagnesemia",
    [
        ("Not a term", 0.69, 1.5, 10, "mg/dL", NA),
        (NA, 0.69, 1.5, 10, "mg/dL", NA),
        ("T", 0.69, 1.5, 10, "mg/dL", "4"),
        ("T", 0.7, 1.5, 10, "mg/dL", "3"),
        ("T", 0.89, 1.5, 10, "mg/dL", "3"),
        ("T", 0.9, 1.5, 10, "mg/dL", "2"),
        ("T", 1.19, 1.5, 10, "mg/dL", "2"),
        ("T", 1.2, 1.5, 10, "mg/dL", "1"),
        ("T", 1.49, 1.5, 10, "mg/dL", "1"),
        ("T", 1.5, 1.5, 10, "mg/dL", "0"),
        ("T", 0.69, NA, 10, "mg/dL", "4"),
        ("T", 0.7, NA, 10, "mg/dL", "3"),
        ("T", 0.89, NA, 10, "mg/dL", "3"),
        ("T", 0.9, NA, 10, "mg/dL", "2"),
        ("T", 1.19, NA, 10, "mg/dL", "2"),
        ("T", 1.2, NA, 10, "mg/dL", NA),
        ("T", 1.49, NA, 10, "mg/dL", NA),
        ("T", 1.5, NA, 10, "mg/dL", NA),
        ("T", 1.5, 1.5, 10, NA, NA),
        ("T", NA, 1.5, 10, "mg/dL", NA),
    ],
)
add("78a/78c hypomagnesemia", ["5.0", "6.0"], "SI", "L", magnd_si)
add("78b/78d hypomagnesemia", ["5.0", "6.0"], "USCV", "L", magnd_cv)


# Test 80a-80c: hyponatremia (worst case: <= 129 (v5) / < 130 (v6) is grade 3)
natrd = lo_rows(
    "Hyponatremia",
    [
        ("Not a term", 119, 140, 100, "mmol/L", NA),
        (NA, 119, 140, 100, "mmol/L", NA),
        ("T", 119, 140, 100, "mmol/L", "4"),
        ("T", 120, 140, 100, "mmol/L", "3"),
        ("T", 129, 140, 100, "mmol/L", "3"),
        ("T", 130, 140, 100, "mmol/L", "1"),
        ("T", 139, 140, 100, "mmol/L", "1"),
        ("T", 140, 140, 100, "mmol/L", "0"),
        ("T", 119, NA, 100, "mmol/L", "4"),
        ("T", 120, NA, 100, "mmol/L", "3"),
        ("T", 129, NA, 100, "mmol/L", "3"),
        ("T", 130, NA, 100, "mmol/L", NA),
        ("T", 139, NA, 100, "mmol/L", NA),
        ("T", 140, NA, 100, "mmol/L", NA),
        ("T", 140, 140, 100, NA, NA),
        ("T", NA, 140, 100, "mmol/L", NA),
    ],
)
add("80a hyponatremia", ["5.0"], "SI", "L", natrd)
add("80b hyponatremia", ["5.0"], "USCV", "L", natrd)
add("80c hyponatremia", ["6.0"], "SI", "L", natrd)


# Tests 124-129: terms new in admiral's CTCAE v6 tests (AVALU missing unless stated)
LDH = "Blood lactate dehydrogenase increased"
add(
    "124 LDH",
    ["6.0"],
    "SI",
    "H",
    tbl(
        "TERM AVAL ANRHI EXPECTED",
        ("Not a term", 1.1, 1, NA),
        (NA, 1.1, 1, NA),
        (LDH, 1.1, 1, "1"),
        (LDH, 1, 1, "0"),
        (LDH, NA, 1, NA),
        (LDH, 1, NA, NA),
    ),
)
add(
    "125 HDL",
    ["6.0"],
    "SI",
    "L",
    tbl(
        "TERM AVAL ANRLO EXPECTED",
        ("Not a term", 0.9, 1, NA),
        (NA, 0.9, 1, NA),
        ("HDL decreased", 0.9, 1, "1"),
        ("HDL decreased", 1, 1, "0"),
        ("HDL decreased", NA, 1, NA),
        ("HDL decreased", 1, NA, NA),
    ),
)
add(
    "126 LDL",
    ["6.0"],
    "SI",
    "H",
    tbl(
        "TERM AVAL ANRHI EXPECTED",
        ("Not a term", 1.1, 1, NA),
        (NA, 1.1, 1, NA),
        ("LDL increased", 1.1, 1, "1"),
        ("LDL increased", 1, 1, "0"),
        ("LDL increased", NA, 1, NA),
        ("LDL increased", 1, NA, NA),
    ),
)
ph_rows = "TERM AVAL ANRLO ANRHI EXPECTED"
add(
    "127 acidosis",
    ["6.0"],
    "SI",
    "L",
    tbl(
        ph_rows,
        ("Not a term", 7.3, 7.35, 7.4, NA),
        (NA, 7.3, 7.35, 7.4, NA),
        ("Acidosis", 7.29, 7.35, 7.4, "3"),
        ("Acidosis", 7.3, 7.35, 7.4, "1"),
        ("Acidosis", 7.34, 7.35, 7.4, "1"),
        ("Acidosis", 7.35, 7.35, 7.4, "0"),
        ("Acidosis", 7.36, 7.35, 7.4, "0"),
        ("Acidosis", 7.29, NA, 7.4, "3"),
        ("Acidosis", 7.3, NA, 7.4, NA),
        ("Acidosis", 7.34, NA, 7.4, NA),
        ("Acidosis", 7.35, NA, 7.4, NA),
        ("Acidosis", 7.36, NA, 7.4, NA),
        ("Acidosis", NA, 1.1, 1.4, NA),
    ),
)
add(
    "128 alkalosis",
    ["6.0"],
    "SI",
    "H",
    tbl(
        ph_rows,
        ("Not a term", 7.3, 7.35, 7.4, NA),
        (NA, 7.3, 7.35, 7.4, NA),
        ("Alkalosis", 7.51, 7.35, 7.4, "3"),
        ("Alkalosis", 7.5, 7.35, 7.4, "1"),
        ("Alkalosis", 7.41, 7.35, 7.4, "1"),
        ("Alkalosis", 7.4, 7.35, 7.4, "0"),
        ("Alkalosis", 7.39, 7.35, 7.4, "0"),
        ("Alkalosis", 7.51, 7.35, NA, "3"),
        ("Alkalosis", 7.5, 7.35, NA, NA),
        ("Alkalosis", 7.41, 7.35, NA, NA),
        ("Alkalosis", 7.4, 7.35, NA, NA),
        ("Alkalosis", 7.39, 7.35, NA, NA),
        ("Alkalosis", NA, 1.1, NA, NA),
    ),
)
CRCL = "Creatinine clearance decreased"
add(
    "129 creatinine clearance",
    ["6.0"],
    "SI",
    "L",
    tbl(
        "TERM AVAL AVALU EXPECTED",
        ("Not a term", 27, "mL/min", NA),
        (NA, 27, "mL/min", NA),
        (CRCL, 9, "mL/min", NA),
        (CRCL, 10, "mL/min", "3"),
        (CRCL, 25, "mL/min", "3"),
        (CRCL, 26, "mL/min", "2"),
        (CRCL, 49, "mL/min", "2"),
        (CRCL, 50, "mL/min", "0"),
        (CRCL, NA, "mL/min", NA),
        (CRCL, 50, "L/min", NA),
    ),
)


OUT = Path(__file__).with_name("ctcae_admiral_vectors.csv")


def main() -> None:
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLS)
        for row in ROWS:
            w.writerow(["" if v is None else v for v in row])
    print(f"wrote {len(ROWS)} vectors to {OUT}")


if __name__ == "__main__":
    main()
