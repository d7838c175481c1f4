"""CTCAE v5.0 and v6.0 laboratory grading, with the criteria held as data (admiral-compatible).

Sources: National Cancer Institute, Common Terminology Criteria for Adverse Events (CTCAE)
v5.0 (27 Nov 2017) and v6.0 (2025); the criteria as encoded machine-readably by pharmaverse
**admiral** (``data-raw/adlb_grading/ncictcaev{5,6}{,_uscv}.json``, commit 6eb5125a,
Apache-2.0; copies in ``ctcae_admiral/``), graded as admiral's ``derive_var_atoxgr_dir()`` and
``derive_var_atoxgr()`` do. instruments.md §9; reference/ctcae/README.md.

The criteria live in ``ctcae_lab_criteria.csv``, generated from admiral's JSON by
``make_ctcae_criteria.py`` (a test checks they agree): every term of both versions, SI and US
conventional units. Each term is admiral's ``case_when``: an ordered list of clauses
(NA check, grade 4, 3, 2, 1), each a conjunction of atoms; the first clause whose atoms are all
TRUE gives the grade (or a null), and if none is TRUE the grade is "0". A comparison with a
missing value is not TRUE. One generic engine evaluates every row and term at once; there is
no code per term.

Semantics (admiral's, test expectations of ``test-derive_var_atoxgr.R``):

- terms (``ATOXDSCL``/``ATOXDSCH``) match case-insensitively; a missing term gives a null grade
  silently, an unknown term or one of the other direction a null grade that is reported;
- a term whose criteria contain absolute limits has a unit (``UNIT`` in the CSV); the record's
  unit (``AVALU``) must equal it case-insensitively, else (or if missing) the grade is null and
  reported. Units are never converted. With ``units="both"`` (default) the SI and conventional
  specifications are used together and each record is graded by the row whose unit matches;
  terms defined only by multiples of ULN/LLN/baseline ignore the unit;
- both sides of a comparison are rounded to 15 significant digits first (admiral's
  ``signif(x, 15)``), so 3 x 0.1 equals 0.3; limits are strict (``<``, ``>``) unless CTCAE
  says otherwise (v5 hyponatremia grade 3 ``<= 129``; ALT/AST/ALP grade 1 with abnormal
  baseline ``>= 1.5/2 x BASE``);
- abnormal baseline (liver enzymes, bilirubin, GGT): ``BNRIND`` in ``high_indicator`` switches
  the limits to multiples of ``BASE``; a missing ``BNRIND`` counts as a normal baseline (R's
  ``%in%``). v6 creatinine uses ``BNRIND`` in ``low_indicator``. ``BASE``: creatinine, INR,
  v6 alkaline phosphatase; ``PCHG``: fibrinogen (``% decrease from baseline when < LLN``);
- a missing reference limit that the grade needs gives a null grade, reported (e.g. anemia
  with ``ANRLO`` missing is null unless the value is low enough for grade 2 or 3).

Worst-case readings (``reading``): where a CTCAE grade depends on symptoms, consequences or
anticoagulation that laboratory data cannot show, admiral assumes the worst case
(``reading="worst_case"``, the default): hypokalemia < LLN is grade 2 (no grade 1);
hyponatremia 125-129 (v5 ``<= 129``, v6 ``< 130``) is grade 3 (no grade 2); hyperuricemia >
ULN is grade 3; lipase and amylase assume signs or symptoms (> 2 x ULN grade 3 (v6 lipase > 3),
> 5 x ULN grade 4); INR assumes anticoagulation (> 1 / 1.5 / 2.5 x BASE also grades; with
``BASE`` missing a value <= 1.2 is null). ``reading="asymptomatic"`` takes the other reading
(defined in ``make_ctcae_criteria.ASYMPTOMATIC``): hypokalemia < LLN grade 1; hyponatremia
125-129 grade 2; hyperuricemia > ULN grade 1; lipase/amylase > 1.5 x ULN grade 2, > 5 x ULN
grade 3; INR by absolute limits only. Hypermagnesemia has no grade 2 in CTCAE itself (no choice).

Not silent: every null grade of a record with a term, other than a missing ``AVAL``, has a
reason (``ATOXNRL``/``ATOXNRH`` from :func:`grade_lab_with_reasons`): unknown term, unit
mismatch, or the missing variable (``ANRLO``, ``ANRHI``, ``BASE``) that admiral's NA clause
tests. ``grade_lab`` counts them and warns once per call (:class:`CTCAEGradingWarning`, one
line per direction, term, unit and reason with the row count); ``strict=True`` raises
:class:`CTCAEGradingError` (:class:`CTCAEUnitError` for units) instead.

Agreement with admiral's own test expectations: the expectations of admiral's unit tests of
``derive_var_atoxgr_dir`` for CTCAE v5.0 and v6.0 (``tests/data/ctcae_admiral_vectors.csv``,
transcribed from ``test-derive_var_atoxgr.R`` with provenance and license in
``tests/data/build_ctcae_admiral_vectors.py``), each block graded with the specification and
``high_indicator`` its admiral test uses: 1,971 of 1,971 rows with a gradable term agree
(100 %; v5.0 1,019, v6.0 952; ``tests/test_ctcae_admiral.py``). Known differences from admiral:
none in these vectors. By design we also report what admiral leaves silent (unknown terms,
units, missing reference ranges), and ``strict=True`` makes them errors.
"""

from __future__ import annotations

import warnings
from functools import cache
from importlib import resources

import polars as pl

from sle_car._checks import check_choice, require_columns

VERSIONS = ("5.0", "6.0")
READINGS = ("worst_case", "asymptomatic")
UNIT_SYSTEMS = ("both", "SI", "USCV")
SIGNIF_DIGITS = 15
"""admiral's ``signif_digits`` option default: both sides rounded before comparing."""

_LHS = ("AVAL", "PCHG", "ANRLO", "ANRHI", "BASE", "BNRIND")
_OPS = ("TRUE", "<", "<=", ">", ">=", "ISNA", "NOTNA", "IN_HIGH", "NOTIN_HIGH", "IN_LOW")
_OPS = (*_OPS, "NOTIN_LOW")
_NA_CODE = 100  # result code of a null clause: 100 + index of its reason in _REASONS


class CTCAEGradingError(ValueError):
    """A record cannot be graded (strict mode)."""


class CTCAEUnitError(CTCAEGradingError):
    """A value is in a unit the criteria are not stated in (strict mode)."""


class CTCAEGradingWarning(UserWarning):
    """Some records with a CTCAE term got a null grade (listed with reasons and counts)."""


@cache
def _table() -> pl.DataFrame:
    text = resources.files("sle_car.instruments").joinpath("ctcae_lab_criteria.csv").read_bytes()
    return pl.read_csv(
        text,
        schema_overrides={
            "VERSION": pl.String,
            "FACTOR": pl.Float64,
            "ADD": pl.Float64,
            "CLAUSE": pl.Int64,
            "ATOM": pl.Int64,
            "SIGNIF": pl.Int64,
        },
    )


def criteria(version: str = "5.0", reading: str = "worst_case") -> pl.DataFrame:
    """The clause atoms of CTCAE ``version`` under ``reading`` (see the module docstring)."""
    check_choice("version", version, VERSIONS)
    check_choice("reading", reading, READINGS)
    return _table().filter(
        (pl.col("VERSION") == version) & pl.col("READING").is_in(["ALL", reading.upper()])
    )


def terms(version: str = "5.0") -> list[str]:
    """The CTCAE terms that can be graded from laboratory values."""
    return sorted(criteria(version)["TERM"].unique().to_list())


def _reason(atoms: list[dict]) -> str:
    """Why a null clause gives null: the variable it finds missing, else its limit."""
    missing = [a["LHS"] for a in atoms if a["OP"] == "ISNA"]
    if missing:
        return " and ".join(f"{v} missing" for v in missing)
    return "outside the gradable range"


@cache
def _program(version: str, reading: str, units: str) -> tuple[pl.DataFrame, dict, list[str]]:
    """Compile the criteria into (spec table, slot parameters, reasons).

    Spec table: one row per (term, direction, unit) with its id ``_SPEC``. Slot parameters:
    for clause slot ``k`` (the k-th clause of every spec) the result code per spec and, for each
    atom slot ``j``, the atom's parameters per spec as lists indexed by spec id."""
    check_choice("units", units, UNIT_SYSTEMS)
    crit = criteria(version, reading)
    if units != "both":
        crit = crit.filter(pl.col("UNITSYS") == units)
    crit = crit.with_columns(pl.col("UNIT").str.to_uppercase().alias("UNIT_U"))
    # The same (term, direction, unit) in both unit systems (unit-free terms, K, Na) must be the
    # same rule; keep one (admiral checks there are no conflicting TERM + UNIT_CHECK rows).
    key = ["TERM", "DIRECTION", "UNIT_U"]
    rule = ["CLAUSE", "RESULT", "ATOM", "LHS", "OP", "FACTOR", "REF", "ADD", "SIGNIF"]
    first = crit.group_by(key, maintain_order=True).agg(pl.col("UNITSYS").first())
    crit = crit.join(first, on=[*key, "UNITSYS"], how="semi", nulls_equal=True)
    dup = (
        _table()
        .filter(pl.col("VERSION") == version)
        .filter(pl.col("READING").is_in(["ALL", reading.upper()]))
    )
    if units == "both":
        per_sys = dup.with_columns(pl.col("UNIT").str.to_uppercase().alias("UNIT_U")).group_by(
            [*key, "UNITSYS"]
        )
        sigs = per_sys.agg(pl.struct(rule).sort_by("CLAUSE", "ATOM").alias("R"))
        conflict = sigs.group_by(key).agg(pl.col("R").n_unique().alias("n")).filter(pl.col("n") > 1)
        if conflict.height:
            raise ValueError(f"CTCAE criteria: conflicting rows for {conflict.rows()}")
    specs = (
        crit.select(*key, "UNIT")
        .unique(key, maintain_order=True)
        .with_row_index("_SPEC")
        .with_columns(
            pl.col("_SPEC").cast(pl.Int32), pl.col("TERM").str.to_uppercase().alias("TERM_U")
        )
    )
    n_spec = specs.height
    crit = crit.join(specs.select(*key, "_SPEC"), on=key, nulls_equal=True, maintain_order="left")
    reasons: list[str] = []
    slots: dict[int, dict] = {}
    for spec, clause, atoms in sorted(
        crit.group_by("_SPEC", "CLAUSE").agg(pl.struct(rule[1:]).sort_by("ATOM")).iter_rows()
    ):
        a_list = atoms
        k = clause - 1
        slot = slots.setdefault(k, {"result": [None] * n_spec, "atoms": {}})
        res = a_list[0]["RESULT"]
        if res == "NA":
            why = _reason(a_list)
            if why not in reasons:
                reasons.append(why)
            slot["result"][spec] = _NA_CODE + reasons.index(why)
        else:
            slot["result"][spec] = int(res)
        for j, a in enumerate(a_list):
            slot["atoms"].setdefault(j, [None] * n_spec)[spec] = a
    return specs, slots, reasons


def _signif(x: pl.Expr) -> pl.Expr:
    """admiral's ``signif(x, 15)``."""
    return x.round_sig_figs(SIGNIF_DIGITS)


def _param(values: list, used: list[bool], dtype: pl.DataType) -> pl.Expr:
    """The per-spec parameter ``values`` for every row (by its ``_SPEC``); a literal when all
    specs that use the slot share one value (no gather needed)."""
    distinct = {v for v, u in zip(values, used, strict=True) if u}
    if len(distinct) == 1:
        return pl.lit(distinct.pop(), dtype=dtype)
    return pl.lit(pl.Series(values, dtype=dtype)).gather(pl.col("_SPEC"))


def _pick(codes: list, used: list[bool], make) -> pl.Expr:
    """``make(code)`` for the code of each row's spec (a literal choice when all share one)."""
    distinct = sorted({c for c, u in zip(codes, used, strict=True) if u and c is not None})
    if len(distinct) == 1:
        return make(distinct[0])
    code = _param(codes, used, pl.Int8)
    out = pl.when(code == distinct[0]).then(make(distinct[0]))
    for c in distinct[1:]:
        out = out.when(code == c).then(make(c))
    return out.otherwise(None)


_KIND = {"TRUE": 0, "<": 1, "<=": 1, ">": 1, ">=": 1, "ISNA": 2, "NOTNA": 2}
_KIND |= dict.fromkeys(("IN_HIGH", "NOTIN_HIGH", "IN_LOW", "NOTIN_LOW"), 3)


def _atom_expr(atoms: list, used: list[bool]) -> pl.Expr:
    """One atom slot for every row: TRUE, FALSE or null (not TRUE). ``atoms[s]`` is the atom of
    spec ``s`` in this slot (None: the clause has fewer atoms, i.e. TRUE).

    A comparison ``lhs OP rhs`` is evaluated as sign((lhs - rhs) x SGN) >= STRICT with SGN +1
    for > / >=, -1 for < / <=, STRICT 1 for strict and 0 for inclusive operators: for finite
    doubles x - y is 0 exactly when x == y, so this is the comparison itself, without a branch
    per operator."""
    filled = [a if a is not None else {"OP": "TRUE"} for a in atoms]
    kind = [_KIND[a["OP"]] for a in filled]
    kinds = {k for k, u in zip(kind, used, strict=True) if u}
    branches = {}
    if 1 in kinds:
        use = [u and k == 1 for k, u in zip(kind, used, strict=True)]
        get = [a.get for a in filled]
        sig = [g("SIGNIF", 1) == 1 for g in get]

        def lhs_of(code: int) -> pl.Expr:
            return pl.col(f"_s{_LHS[code]}")

        lhs_rounded = _pick([_LHS.index(g("LHS", "AVAL")) for g in get], use, lhs_of)
        lhs = lhs_rounded
        if not all(s for s, u in zip(sig, use, strict=True) if u):
            raw = _pick([_LHS.index(g("LHS", "AVAL")) for g in get], use, lambda c: pl.col(_LHS[c]))
            lhs = pl.when(_param(sig, use, pl.Boolean)).then(lhs_rounded).otherwise(raw)
        refs = [_LHS.index(g("REF")) if g("REF") else None for g in get]
        add = _param([g("ADD") for g in get], use, pl.Float64)
        if any(r is not None for r, u in zip(refs, use, strict=True) if u):
            factor = _param([g("FACTOR") for g in get], use, pl.Float64)
            scaled = factor * _pick(refs, use, lambda c: pl.col(_LHS[c])) + add
            if any(r is None for r, u in zip(refs, use, strict=True) if u):
                scaled = (
                    pl.when(_param([r is None for r in refs], use, pl.Boolean))
                    .then(add)
                    .otherwise(scaled)
                )
            rhs = _signif(scaled)  # constants have <= 15 significant digits: identity
            if not all(s for s, u in zip(sig, use, strict=True) if u):
                rhs = pl.when(_param(sig, use, pl.Boolean)).then(rhs).otherwise(scaled)
        else:
            rhs = add
        sgn = _param([1.0 if g("OP", ">")[0] == ">" else -1.0 for g in get], use, pl.Float64)
        strict = _param([0.0 if g("OP", ">").endswith("=") else 1.0 for g in get], use, pl.Float64)
        branches[1] = ((lhs - rhs) * sgn).sign() >= strict
    if 2 in kinds:
        use = [u and k == 2 for k, u in zip(kind, used, strict=True)]
        var = [_LHS.index(a["LHS"]) if "LHS" in a else None for a in filled]
        isna = _pick(var, use, lambda c: pl.col(_LHS[c]).is_null())
        neg = _param([a["OP"] == "NOTNA" for a in filled], use, pl.Boolean)
        branches[2] = isna != neg
    if 3 in kinds:
        use = [u and k == 3 for k, u in zip(kind, used, strict=True)]
        which = [1 if a["OP"].endswith("HIGH") else 0 for a in filled]
        ind = _pick(which, use, lambda c: pl.col("_HIGH" if c else "_LOW"))
        neg = _param([a["OP"].startswith("NOT") for a in filled], use, pl.Boolean)
        branches[3] = ind != neg
    if 0 in kinds:
        branches[0] = pl.lit(True)
    if len(branches) == 1:
        return next(iter(branches.values()))
    kind_e = _param(kind, used, pl.Int8)
    items = sorted(branches.items())
    out = pl.when(kind_e == items[0][0]).then(items[0][1])
    for k, e in items[1:]:
        out = out.when(kind_e == k).then(e)
    return out.otherwise(None)


@cache
def _grading_exprs(
    version: str, reading: str, units: str, high: tuple[str, ...], low: tuple[str, ...]
) -> tuple[dict[str, pl.Expr], dict[str, pl.Expr], pl.Expr]:
    """The expressions :func:`_evaluate` applies for one criteria program: the baseline
    indicators, every atom slot, and the result code. They depend on the criteria alone, so
    they are built once per program (building them is ~25 ms of Python; polars expressions
    are immutable and reused)."""
    _, slots, _ = _program(version, reading, units)
    indicators = {
        "_HIGH": pl.col("BNRIND").is_in(list(high)).fill_null(False),
        "_LOW": pl.col("BNRIND").is_in(list(low)).fill_null(False),
    }
    atoms = {}
    for k, slot in sorted(slots.items()):
        used = [r is not None for r in slot["result"]]
        for j, per_spec in sorted(slot["atoms"].items()):
            atoms[f"_a{k}_{j}"] = _atom_expr(per_spec, used)
    code = None
    for k, slot in sorted(slots.items()):
        used = [r is not None for r in slot["result"]]
        fire = pl.all_horizontal([pl.col(f"_a{k}_{j}") for j in sorted(slot["atoms"])])
        if not all(used):  # specs with fewer clauses
            fire = fire & pl.lit(pl.Series(used)).gather(pl.col("_SPEC"))
        res = _param(slot["result"], used, pl.Int16)
        code = (pl.when(fire) if code is None else code.when(fire)).then(res)
    return indicators, atoms, code.otherwise(pl.lit(0, dtype=pl.Int16)).alias("_C")


def _evaluate(x: pl.DataFrame, program: tuple) -> pl.Series:
    """Result code per row of ``x`` (every row has a ``_SPEC``): the first clause whose atoms
    are all TRUE (grade 0-4, or 100 + reason of a null clause); 0 if none. ``program``: the
    arguments of :func:`_grading_exprs`.

    Two stages, each one ``with_columns``: every atom slot as a boolean column, then the first
    clause that fires. All rows and terms at once; the Python loops run over the criteria
    (clause and atom slots), never over data."""
    indicators, atoms, code = _grading_exprs(*program)
    x = x.with_columns(**indicators).with_columns(**atoms)
    return x.select(code)["_C"]


@cache
def _direction_specs(
    version: str, reading: str, units: str, direction: str
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str], list[str]]:
    """What :func:`_spec_of` looks terms up in, for one direction ("L" or "H") of the
    specifications of :func:`_program`: the unit-free specs (``TERM_U`` -> ``_F``), the specs
    with a unit (``TERM_U``, ``_UU`` -> ``_S``), the units each term expects (``_EXPECT``),
    the terms of this direction and those of the other one. Compiled once per process, like
    the program (issue 19: about a third of a small call's queries)."""
    specs = _program(version, reading, units)[0]
    sp = specs.filter(pl.col("DIRECTION") == direction)
    free = sp.filter(pl.col("UNIT_U").is_null()).select("TERM_U", pl.col("_SPEC").alias("_F"))
    unit = sp.filter(pl.col("UNIT_U").is_not_null()).select(
        "TERM_U", pl.col("UNIT_U").alias("_UU"), pl.col("_SPEC").alias("_S")
    )
    expect = sp.group_by("TERM_U").agg(
        pl.col("UNIT").drop_nulls().unique().sort().str.join(", ").alias("_EXPECT")
    )
    known = sorted(set(sp["TERM_U"].to_list()))
    other = sorted(set(specs.filter(pl.col("DIRECTION") != direction)["TERM_U"].to_list()))
    return free, unit, expect, known, other


def _spec_of(
    df: pl.DataFrame, term_col: str, unit_col: str, program: tuple[str, str, str], direction: str
) -> pl.DataFrame:
    """``_SPEC`` (spec id) and ``_WHY`` (why there is none) for each (term, unit) of ``df``,
    in ``direction`` of the specifications of ``program`` (:func:`_program`'s arguments)."""
    free, unit, expect, known, other = _direction_specs(*program, direction)
    pairs = df.select(pl.col(term_col).alias("_T"), pl.col(unit_col).alias("_U")).unique()
    pairs = pairs.with_columns(
        pl.col("_T").str.to_uppercase().alias("TERM_U"),
        pl.col("_U").str.to_uppercase().alias("_UU"),
    )
    pairs = pairs.join(free, on="TERM_U", how="left").join(unit, on=["TERM_U", "_UU"], how="left")
    pairs = pairs.join(expect, on="TERM_U", how="left")
    why = (
        pl.when(pl.col("_T").is_null())
        .then(None)
        .when(~pl.col("TERM_U").is_in(known))
        .then(
            pl.when(pl.col("TERM_U").is_in(other))
            .then(pl.lit("term of the other direction"))
            .otherwise(pl.lit("unknown term"))
        )
        .when(pl.coalesce("_F", "_S").is_null())
        .then(pl.format("unit mismatch (criteria in {})", pl.col("_EXPECT")))
    )
    return pairs.select(
        pl.col("_T"),
        pl.col("_U"),
        pl.coalesce("_F", "_S").alias("_SPEC"),
        why.alias("_WHY"),
    )


def grade_lab_with_reasons(
    df: pl.DataFrame,
    version: str = "5.0",
    *,
    reading: str = "worst_case",
    units: str = "both",
    high_indicator: tuple[str, ...] | list[str] = ("HIGH",),
    low_indicator: tuple[str, ...] | list[str] = ("LOW",),
    term_cols: tuple[str, str] = ("ATOXDSCL", "ATOXDSCH"),
    unit_col: str = "AVALU",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``df`` with ``ATOXGRL``/``ATOXGRH`` ("0"-"4" or null) and ``ATOXNRL``/``ATOXNRH`` (why a
    grade of a record with a term and a value is null), and the null report: one row per
    direction, term, unit and reason with the row count (see the module docstring).

    ``version``: "5.0" or "6.0". ``reading``: "worst_case" (admiral) or "asymptomatic".
    ``units``: "both" (SI and conventional specifications together, admiral's combined use),
    "SI" or "USCV". ``high_indicator``/``low_indicator``: ``BNRIND`` values meaning an
    abnormally high / low baseline (admiral's arguments of the same names)."""
    check_choice("version", version, VERSIONS)
    check_choice("reading", reading, READINGS)
    need = [*term_cols, "AVAL", unit_col, "ANRLO", "ANRHI", "BASE", "BNRIND"]
    require_columns(df, need, "grade_lab", "sle_car.derive.derive_adlb")
    specs, _, reasons = _program(version, reading, units)
    high, low = list(high_indicator), list(low_indicator)
    uses_pchg = "PCHG" in df.columns
    x = df.select(
        *need, (pl.col("PCHG") if uses_pchg else pl.lit(None, dtype=pl.Float64)).alias("PCHG")
    ).with_columns(
        pl.col("AVAL", "PCHG", "ANRLO", "ANRHI", "BASE").cast(pl.Float64),
        pl.col("BNRIND").cast(pl.String),
    )
    x = x.with_row_index("_ROW")
    reason_lit = pl.Series(reasons, dtype=pl.String)
    dirs = (("L", term_cols[0], "ATOXGRL", "ATOXNRL"), ("H", term_cols[1], "ATOXGRH", "ATOXNRH"))
    keyed = {}
    for direction, term_col, _, _ in dirs:
        keys = _spec_of(x, term_col, unit_col, (version, reading, units), direction)
        if not uses_pchg:
            fib = specs.filter(
                pl.col("_SPEC").is_in(keys["_SPEC"].drop_nulls().to_list())
                & (pl.col("TERM_U") == "FIBRINOGEN DECREASED")
            )
            if fib.height:
                raise CTCAEGradingError(
                    "grade_lab: 'Fibrinogen decreased' needs PCHG (percent change from "
                    "baseline); add the column (sle_car.derive.derive_adlb derives it)."
                )
        keyed[direction] = x.select("_ROW", term_col, unit_col, "AVAL").join(
            keys,
            left_on=[term_col, unit_col],
            right_on=["_T", "_U"],
            how="left",
            nulls_equal=True,
            maintain_order="left",
        )
    # the records to evaluate: those with a spec, both directions stacked (each row once per
    # direction it has a term for); values are gathered by row index
    todo = pl.concat(
        [
            keyed[d]
            .filter(pl.col("_SPEC").is_not_null())
            .select("_ROW", "_SPEC", pl.lit(d).alias("_D"))
            for d in ("L", "H")
        ]
    )
    vals = x.select("AVAL", "PCHG", "ANRLO", "ANRHI", "BASE", "BNRIND")[todo["_ROW"]]
    todo = pl.concat([todo, vals], how="horizontal").with_columns(
        _signif(pl.col("AVAL")).alias("_sAVAL"), _signif(pl.col("PCHG")).alias("_sPCHG")
    )
    program = (version, reading, units, tuple(high), tuple(low))
    todo = todo.select("_ROW", "_D").with_columns(_evaluate(todo, program))
    out_cols, reports = {}, []
    for direction, term_col, grade_col, why_col in dirs:
        done = todo.filter(pl.col("_D") == direction)
        c = pl.Series("_C", [None] * x.height, dtype=pl.Int16).scatter(done["_ROW"], done["_C"])
        y = keyed[direction].with_columns(c)
        grade = pl.when(pl.col("_C") < _NA_CODE).then(pl.col("_C").cast(pl.String))
        why = (
            pl.when(pl.col("_WHY").is_not_null())
            .then(pl.col("_WHY"))
            .when(pl.col("AVAL").is_not_null() & (pl.col("_C") >= _NA_CODE))
            .then(pl.lit(reason_lit).gather((pl.col("_C") - _NA_CODE).clip(0)))
        )
        y = y.select(grade.alias(grade_col), why.alias(why_col), term_col, unit_col)
        out_cols[grade_col], out_cols[why_col] = y[grade_col], y[why_col]
        reports.append(
            y.filter(pl.col(why_col).is_not_null())
            .group_by(term_col, unit_col, why_col)
            .len("n")
            .select(
                pl.lit(direction).alias("DIRECTION"),
                pl.col(term_col).alias("TERM"),
                pl.col(unit_col).alias("UNIT"),
                pl.col(why_col).alias("REASON"),
                pl.col("n").cast(pl.Int64),
            )
        )
    report = pl.concat(reports).sort("DIRECTION", "TERM", "UNIT", "REASON", nulls_last=True)
    return df.with_columns(**out_cols), report


def format_report(report: pl.DataFrame) -> str:
    """One line per null-grade group of :func:`grade_lab_with_reasons`'s report."""
    return "; ".join(
        f"{r['DIRECTION']} {r['TERM']!r} [{r['UNIT']}]: {r['REASON']} ({r['n']} rows)"
        for r in report.iter_rows(named=True)
    )


def grade_lab(
    df: pl.DataFrame,
    version: str = "5.0",
    *,
    reading: str = "worst_case",
    units: str = "both",
    high_indicator: tuple[str, ...] | list[str] = ("HIGH",),
    low_indicator: tuple[str, ...] | list[str] = ("LOW",),
    strict: bool = False,
) -> pl.DataFrame:
    """Add ``ATOXGRL`` and ``ATOXGRH`` ("0"-"4" or null) from ``ATOXDSCL``/``ATOXDSCH``,
    ``AVAL``, ``AVALU``, ``ANRLO``, ``ANRHI``, ``BASE``, ``BNRIND`` (and ``PCHG`` for
    fibrinogen), as admiral's ``derive_var_atoxgr_dir`` (module docstring; arguments as
    :func:`grade_lab_with_reasons`).

    Null grades of records with a term and a value are reported once per call as a
    :class:`CTCAEGradingWarning`; with ``strict=True`` they raise :class:`CTCAEGradingError`
    (:class:`CTCAEUnitError` when a unit is the reason), naming the first row."""
    out, report = grade_lab_with_reasons(
        df,
        version,
        reading=reading,
        units=units,
        high_indicator=high_indicator,
        low_indicator=low_indicator,
    )
    if report.height:
        text = f"grade_lab (CTCAE v{version}): null grades: " + format_report(report)
        if strict:
            bad = out.with_row_index("_row").filter(
                pl.col("ATOXNRL").is_not_null() | pl.col("ATOXNRH").is_not_null()
            )
            r = bad.row(0, named=True)
            col, why = (
                ("ATOXDSCL", r["ATOXNRL"])
                if r["ATOXNRL"] is not None
                else ("ATOXDSCH", r["ATOXNRH"])
            )
            err = CTCAEUnitError if why.startswith("unit") else CTCAEGradingError
            raise err(
                f"grade_lab: row {r['_row']} ({col} {r[col]!r}, AVAL {r['AVAL']}, AVALU "
                f"{r['AVALU']!r}) cannot be graded: {why}. Fix the term, unit or reference "
                f"range, or grade with strict=False to get null grades. All: {text}"
            )
        warnings.warn(text, CTCAEGradingWarning, stacklevel=2)
    return out.drop("ATOXNRL", "ATOXNRH")


def combine_directions(
    df: pl.DataFrame,
    *,
    lotox_description_var: str = "ATOXDSCL",
    hitox_description_var: str = "ATOXDSCH",
) -> pl.DataFrame:
    """Add ``ATOXGR`` from ``ATOXGRL``/``ATOXGRH`` as admiral's ``derive_var_atoxgr``: "-k"
    if the low grade k >= 1, "k" if the high grade k >= 1, "0" if every direction with a term
    has grade "0", otherwise null (no term, or a direction with a term is ungraded)."""
    require_columns(
        df,
        [lotox_description_var, hitox_description_var, "ATOXGRL", "ATOXGRH"],
        "combine_directions",
        "grade_lab",
    )
    lo, hi = (
        pl.col("ATOXGRL").cast(pl.Int64, strict=False),
        pl.col("ATOXGRH").cast(pl.Int64, strict=False),
    )
    lterm, hterm = (
        pl.col(lotox_description_var).is_not_null(),
        pl.col(hitox_description_var).is_not_null(),
    )
    lo_ok = ~lterm | (lo == 0)
    hi_ok = ~hterm | (hi == 0)
    atoxgr = (
        pl.when(~lterm & ~hterm)
        .then(None)
        .when(lo >= 1)
        .then(pl.format("-{}", lo))
        .when(hi >= 1)
        .then(hi.cast(pl.String))
        .when(lo_ok.fill_null(False) & hi_ok.fill_null(False))
        .then(pl.lit("0"))
    )
    return df.with_columns(atoxgr.alias("ATOXGR"))


LAB_TERMS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    # PARAMCD (CDISC LBTESTCD): {version: (low-direction term, high-direction term)}
    "WBC": dict.fromkeys(VERSIONS, ("White blood cell decreased", "Leukocytosis")),
    "NEUT": dict.fromkeys(VERSIONS, ("Neutrophil count decreased", None)),
    "LYM": {
        "5.0": ("Lymphocyte count decreased", "Lymphocyte count increased"),
        "6.0": (None, "Lymphocyte count increased"),  # v6 has no lymphocyte decrease term
    },
    "PLAT": {"5.0": ("Platelet count decreased", None), "6.0": ("Thrombocytopenia", None)},
    "HGB": dict.fromkeys(VERSIONS, ("Anemia", "Hemoglobin increased")),
    "CD4": dict.fromkeys(VERSIONS, ("CD4 lymphocytes decreased", None)),
    "FIBRINO": dict.fromkeys(VERSIONS, ("Fibrinogen decreased", None)),
    "INR": dict.fromkeys(VERSIONS, (None, "INR increased")),
    "APTT": dict.fromkeys(VERSIONS, (None, "Activated partial thromboplastin time prolonged")),
    "HAPTO": dict.fromkeys(VERSIONS, ("Haptoglobin decreased", None)),
    "ALT": dict.fromkeys(VERSIONS, (None, "Alanine aminotransferase increased")),
    "AST": dict.fromkeys(VERSIONS, (None, "Aspartate aminotransferase increased")),
    "ALP": dict.fromkeys(VERSIONS, (None, "Alkaline phosphatase increased")),
    "GGT": dict.fromkeys(VERSIONS, (None, "GGT increased")),
    "BILI": dict.fromkeys(VERSIONS, (None, "Blood bilirubin increased")),
    "LDH": dict.fromkeys(VERSIONS, (None, "Blood lactate dehydrogenase increased")),
    "CK": {"5.0": (None, "CPK increased"), "6.0": (None, None)},  # not a v6 lab term
    "LIPASE": dict.fromkeys(VERSIONS, (None, "Lipase increased")),
    "AMYLASE": dict.fromkeys(VERSIONS, (None, "Serum amylase increased")),
    "CREAT": dict.fromkeys(VERSIONS, (None, "Creatinine increased")),
    "URATE": dict.fromkeys(VERSIONS, (None, "Hyperuricemia")),
    "ALB": dict.fromkeys(VERSIONS, ("Hypoalbuminemia", None)),
    "SODIUM": dict.fromkeys(VERSIONS, ("Hyponatremia", "Hypernatremia")),
    "K": dict.fromkeys(VERSIONS, ("Hypokalemia", "Hyperkalemia")),
    "CA": dict.fromkeys(VERSIONS, ("Hypocalcemia", "Hypercalcemia")),
    "CAION": dict.fromkeys(VERSIONS, ("Hypocalcemia (Ionized)", "Hypercalcemia (Ionized)")),
    "MG": dict.fromkeys(VERSIONS, ("Hypomagnesemia", "Hypermagnesemia")),
    "GLUC": {"5.0": ("Hypoglycemia", None), "6.0": ("Hypoglycemia", "Hyperglycemia")},
    "CHOL": dict.fromkeys(VERSIONS, (None, "Cholesterol high")),
    "TRIG": dict.fromkeys(VERSIONS, (None, "Hypertriglyceridemia")),
    "HDL": {"5.0": (None, None), "6.0": ("HDL decreased", None)},
    "LDL": {"5.0": (None, None), "6.0": (None, "LDL increased")},
    "PH": dict.fromkeys(VERSIONS, ("Acidosis", "Alkalosis")),
}
"""CTCAE term(s) of each laboratory parameter (CDISC LBTESTCD as PARAMCD), by version, as in
admiral's ADLB template (``ATOXDSCL``/``ATOXDSCH``). Parameters not listed (CRP, ferritin,
IL-6, complement, antibodies, immunoglobulins, urinalysis, flow cytometry, eGFR) have no CTCAE
laboratory term. Hyperglycemia (v6) is the non-fasting term; corrected calcium is ``CA``."""


def lab_terms(version: str = "5.0") -> pl.DataFrame:
    """``PARAMCD``, ``ATOXDSCL``, ``ATOXDSCH`` for CTCAE ``version`` (:data:`LAB_TERMS`)."""
    check_choice("version", version, VERSIONS)
    rows = [(p, *t[version]) for p, t in LAB_TERMS.items()]
    return pl.DataFrame(
        rows,
        schema={"PARAMCD": pl.String, "ATOXDSCL": pl.String, "ATOXDSCH": pl.String},
        orient="row",
    )


def flag_worst_grades(
    df: pl.DataFrame, *, by_vars: list[str], post: pl.Expr, order: str = "ADY"
) -> pl.DataFrame:
    """Add ``WGRLOFL`` / ``WGRHIFL`` (ADaM IG worst low / high grade flags): "Y" on the record
    with the highest ``ATOXGRL`` / ``ATOXGRH`` among the ``post``-baseline records of each
    ``by_vars`` group (the earliest by ``order`` on a tie); records without a grade are never
    flagged."""
    require_columns(df, [*by_vars, order, "ATOXGRL", "ATOXGRH"], "flag_worst_grades", "grade_lab")
    # one group_by and one join instead of four windows over ``by_vars``: half the time
    grades = {"ATOXGRL": "_WGL", "ATOXGRH": "_WGH"}
    x = df.with_columns(
        pl.when(post).then(pl.col(grade).cast(pl.Int64, strict=False)).alias(g)
        for grade, g in grades.items()
    )
    per_group = []
    for g in grades.values():  # the worst grade, and the first day (``order``) it was reached
        per_group += [
            pl.col(g).max().alias(f"{g}_MAX"),
            pl.col(order).filter(pl.col(g) == pl.col(g).max()).min().alias(f"{g}_FIRST"),
        ]
    worst = x.group_by(by_vars).agg(per_group)
    x = x.join(worst, on=by_vars, how="left", nulls_equal=True, maintain_order="left")
    out = {
        flag: pl.when(
            (pl.col(g) == pl.col(f"{g}_MAX")) & (pl.col(order) == pl.col(f"{g}_FIRST"))
        ).then(pl.lit("Y"))
        for g, flag in zip(grades.values(), ("WGRLOFL", "WGRHIFL"), strict=True)
    }
    return x.with_columns(**out).select(*df.columns, *[f for f in out if f not in df.columns])
