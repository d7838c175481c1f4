"""Generate ``ctcae_lab_criteria.csv`` from pharmaverse admiral's CTCAE lab-grading specs.

Run ``python -m sle_car.instruments.make_ctcae_criteria`` after changing a specification;
``tests/test_ctcae.py`` checks that the committed CSV equals what this script generates.

Input: the four JSON files in ``ctcae_admiral/`` (byte copies of admiral's
``data-raw/adlb_grading/ncictcaev{5,6}{,_uscv}.json``, admiral commit 6eb5125a, Apache-2.0,
see ``ctcae_admiral/README.md``). Each spec row holds admiral's R conditions
(``GRADE_NA_CODE``, ``GRADE_4_CODE`` ... ``GRADE_1_CODE``) that ``derive_var_atoxgr_dir``
evaluates as one ``case_when()`` in that order (first TRUE clause wins, otherwise "0").

Output: one CSV row per *atom* of each clause. A clause ``a & b & c ~ "3"`` becomes three rows
with the same ``CLAUSE`` number; a clause fires when all its atoms are TRUE (a comparison
with a missing value is not TRUE, as in R). ``x | y ~ NA`` becomes two clauses with the same
result, which is equivalent under first-TRUE-wins. Atom columns:

- ``LHS`` ``OP`` right-hand side: ``OP`` is one of ``<``, ``<=``, ``>``, ``>=`` (comparison),
  ``ISNA``/``NOTNA`` (``is.na(LHS)``), ``IN_HIGH``/``NOTIN_HIGH``/``IN_LOW``/``NOTIN_LOW``
  (``BNRIND %in% high_indicator`` etc.; a missing BNRIND is not in the set, as in R);
- right-hand side = ``FACTOR`` x ``REF`` + ``ADD`` (``REF`` empty: the constant ``ADD``);
- ``SIGNIF`` = 1: both sides rounded to 15 significant digits first (admiral's
  ``signif(x, signif_dig)``), 0: compared unrounded (only in one v6 NA clause).

``READING`` is ``ALL`` for rows used always, ``WORST_CASE`` for admiral's worst-case reading
of the terms whose CTCAE grade depends on symptoms, treatment or consequences that laboratory
data do not show (their ``COMMENT``), and ``ASYMPTOMATIC`` for the alternative reading defined
below in ``ASYMPTOMATIC`` (the SAP chooses; ``grade_lab(reading=...)``). ``CODE`` is the
admiral R text of the clause (or of our alternative), for review.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

HERE = Path(__file__).parent
SPEC_DIR = HERE / "ctcae_admiral"
OUT = HERE / "ctcae_lab_criteria.csv"
SPECS = (  # version, unit system, file
    ("5.0", "SI", "ncictcaev5.json"),
    ("5.0", "USCV", "ncictcaev5_uscv.json"),
    ("6.0", "SI", "ncictcaev6.json"),
    ("6.0", "USCV", "ncictcaev6_uscv.json"),
)
CODE_KEYS = ("GRADE_NA_CODE", "GRADE_4_CODE", "GRADE_3_CODE", "GRADE_2_CODE", "GRADE_1_CODE")
COLUMNS = (
    "VERSION",
    "UNITSYS",
    "TERM",
    "DIRECTION",
    "UNIT",
    "READING",
    "CLAUSE",
    "RESULT",
    "ATOM",
    "LHS",
    "OP",
    "FACTOR",
    "REF",
    "ADD",
    "SIGNIF",
    "CODE",
)

# The asymptomatic reading (no symptoms, no physiologic consequences, not on anticoagulation),
# in admiral's syntax, replacing the worst-case conditions of the terms admiral comments on.
# Sources: CTCAE v5.0 (2017) and v6.0 (2025) grade text of each term (in the JSON files).
_NA = "is.na(AVAL) ~ NA_character_"
_ASYMPTOMATIC_HYPOK = (  # G1 <LLN-3.0; G2 needs symptoms; G3 <3.0; G4 <2.5 mmol/L
    _NA,
    'signif(AVAL, signif_dig) < 2.5 ~ "4"',
    'signif(AVAL, signif_dig) < 3 ~ "3"',
    'is.na(ANRLO) ~ NA_character_, signif(AVAL, signif_dig) < signif(ANRLO, signif_dig) ~ "1"',
)
_UNI = "is.na(AVAL) | is.na(ANRHI) ~ NA_character_"
_ULN1 = 'signif(AVAL, signif_dig) > signif(ANRHI, signif_dig) ~ "1"'
_ASYMPTOMATIC_PANC = (  # >5 x ULN asymptomatic G3; >1.5 x ULN (incl. >2-5 asymptomatic) G2
    _UNI,
    'signif(AVAL, signif_dig) > signif(5*ANRHI, signif_dig) ~ "3"',
    'signif(AVAL, signif_dig) > signif(1.5*ANRHI, signif_dig) ~ "2"',
    _ULN1,
)
ASYMPTOMATIC = {
    ("5.0", "Hypokalemia"): _ASYMPTOMATIC_HYPOK,
    ("6.0", "Hypokalemia"): _ASYMPTOMATIC_HYPOK,
    # v5: G2 125-129 asymptomatic (admiral's G3 limit <= 129 kept); G3 120-124; G4 <120
    ("5.0", "Hyponatremia"): (
        _NA,
        'signif(AVAL, signif_dig) < 120 ~ "4"',
        'signif(AVAL, signif_dig) < 125 ~ "3"',
        'signif(AVAL, signif_dig) <= 129 ~ "2"',
        'is.na(ANRLO) ~ NA_character_, signif(AVAL, signif_dig) < signif(ANRLO, signif_dig) ~ "1"',
    ),
    # v6: G2 125 - <130 asymptomatic; G3 120 - <125; G4 <120
    ("6.0", "Hyponatremia"): (
        _NA,
        'signif(AVAL, signif_dig) < 120 ~ "4"',
        'signif(AVAL, signif_dig) < 125 ~ "3"',
        'signif(AVAL, signif_dig) < 130 ~ "2"',
        'is.na(ANRLO) ~ NA_character_, signif(AVAL, signif_dig) < signif(ANRLO, signif_dig) ~ "1"',
    ),
    # G1 >ULN without physiologic consequences
    ("5.0", "Hyperuricemia"): (_UNI, _ULN1),
    ("6.0", "Hyperuricemia"): (_UNI, _ULN1),
    ("5.0", "Lipase increased"): _ASYMPTOMATIC_PANC,
    ("6.0", "Lipase increased"): _ASYMPTOMATIC_PANC,
    ("5.0", "Serum amylase increased"): _ASYMPTOMATIC_PANC,
    ("6.0", "Serum amylase increased"): _ASYMPTOMATIC_PANC,
    # not on anticoagulation: absolute INR only (>1.2 / >1.5 / >2.5)
    **{
        (v, "INR increased"): (
            _NA,
            'signif(AVAL, signif_dig) > signif(2.5, signif_dig) ~ "3"',
            'signif(AVAL, signif_dig) > signif(1.5, signif_dig) ~ "2"',
            'signif(AVAL, signif_dig) > signif(1.2, signif_dig) ~ "1"',
        )
        for v in ("5.0", "6.0")
    },
}

_VARS = ("AVAL", "PCHG", "ANRLO", "ANRHI", "BASE", "BNRIND")
_NUM = r"-?\d+(?:\.\d+)?"


def _split_top(text: str, sep: str) -> list[str]:
    """Split ``text`` at ``sep`` outside parentheses and quotes."""
    parts, depth, quoted, cur, i = [], 0, False, [], 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if not quoted and depth == 0 and text.startswith(sep, i):
            parts.append("".join(cur))
            cur, i = [], i + len(sep)
            continue
        cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _strip_parens(text: str) -> str:
    """``text`` without parentheses that enclose all of it."""
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        depth = 0
        for i, ch in enumerate(text):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(text) - 1:
                return text  # the first "(" closes before the end
        text = text[1:-1].strip()
    return text


def _operand(text: str) -> tuple[str, str, str]:
    """``FACTOR``, ``REF``, ``ADD`` of an R operand: 2.5, ANRHI, 1.5*BASE, ANRHI + 40."""
    text = text.strip()
    if re.fullmatch(_NUM, text):
        return "", "", text
    if text in _VARS:
        return "1", text, "0"
    m = re.fullmatch(rf"({_NUM})\s*\*\s*(\w+)", text)
    if m and m[2] in _VARS:
        return m[1], m[2], "0"
    m = re.fullmatch(rf"(\w+)\s*\+\s*({_NUM})", text)
    if m and m[1] in _VARS:
        return "1", m[1], m[2]
    raise ValueError(f"make_ctcae_criteria: cannot read operand {text!r}")


def _atom(text: str) -> dict[str, str]:
    """One atom (see the module docstring) of an admiral condition."""
    text = _strip_parens(text)
    none = {"FACTOR": "", "REF": "", "ADD": "", "SIGNIF": "0"}
    m = re.fullmatch(r"(!?)is\.na\((\w+)\)", text)
    if m:
        return {"LHS": m[2], "OP": "NOTNA" if m[1] else "ISNA", **none}
    m = re.fullmatch(r"(!?)\(?\s*BNRIND\s+%in%\s+(high|low)_indicator\s*\)?", text)
    if m:
        return {"LHS": "BNRIND", "OP": f"{'NOT' if m[1] else ''}IN_{m[2].upper()}", **none}
    m = re.fullmatch(r"(.+?)\s*(<=|>=|<|>)\s*(.+)", text)
    if not m:
        raise ValueError(f"make_ctcae_criteria: cannot read condition {text!r}")
    lhs, op, rhs = m[1].strip(), m[2], m[3].strip()
    sig = re.compile(r"signif\((.+),\s*signif_dig\)")
    ml, mr = sig.fullmatch(lhs), sig.fullmatch(rhs)
    if ml:
        lhs = ml[1].strip()
    if mr:
        rhs = mr[1].strip()
    if lhs not in ("AVAL", "PCHG"):
        raise ValueError(f"make_ctcae_criteria: unexpected left side {lhs!r} in {text!r}")
    factor, ref, add = _operand(rhs)
    # a signif() on one side only never occurs with a variable on the other; constants are
    # already at <= 15 significant digits, so rounding them is the identity
    return {
        "LHS": lhs,
        "OP": op,
        "FACTOR": factor,
        "REF": ref,
        "ADD": add,
        "SIGNIF": "1" if ml else "0",
    }


def parse_code(code: str) -> list[tuple[str, str, list[dict[str, str]]]]:
    """Admiral's ``case_when`` clauses in ``code`` as (result, clause text, atoms)."""
    clauses = []
    for clause in _split_top(code, ","):
        cond, result = (s.strip() for s in clause.rsplit("~", 1))
        result = "NA" if result == "NA_character_" else result.strip('"')
        if result not in ("NA", "0", "1", "2", "3", "4"):
            raise ValueError(f"make_ctcae_criteria: unexpected result {result!r}")
        for alt in _split_top(cond, "|"):
            atoms = [_atom(a) for a in _split_top(_strip_parens(alt), "&")]
            clauses.append((result, clause.strip(), atoms))
    return clauses


def generate() -> str:
    """The CSV text (deterministic: same specs -> byte-identical output)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for version, unitsys, fname in SPECS:
        for row in json.loads((SPEC_DIR / fname).read_text(encoding="utf-8")):
            term, direction = row["TERM"], row["DIRECTION"]
            unit = row.get("UNIT_CHECK") or ""
            codes = [row[k] for k in CODE_KEYS if row.get(k)]
            readings = [("ALL", codes)]
            alt = ASYMPTOMATIC.get((version, term))
            if alt is not None:
                readings = [("WORST_CASE", codes), ("ASYMPTOMATIC", list(alt))]
            for reading, code_list in readings:
                n = 0
                for code in code_list:
                    for result, text, atoms in parse_code(code):
                        n += 1
                        for j, a in enumerate(atoms, 1):
                            head = (version, unitsys, term, direction, unit, reading, n, result)
                            atom = (a[c] for c in ("LHS", "OP", "FACTOR", "REF", "ADD", "SIGNIF"))
                            w.writerow((*head, j, *atom, text))
    return buf.getvalue()


def main() -> None:
    OUT.write_text(generate(), encoding="utf-8", newline="")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
