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
