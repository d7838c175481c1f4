"""Issue 16: every SAP default is written once, in ``sle_car.sap.DEFAULTS``; the instruments,
``derive_all``, the options file and the notebooks' text read it."""

from __future__ import annotations

import ast
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

import sle_car
from sle_car.derive.options import option_defaults
from sle_car.sap import DEFAULTS, AnalysisOptions

PACKAGE = Path(sle_car.__file__).parent

OPTION_PARAMETERS = {
    # the options' own names ...
    "stable_days",
    "sustain_days",
    "gc_max_mg",
    "gc_comparator",
    "pga_max",
    "antimalarial_allowed_drug_free",
    "sledai_max",
    "reduction",
    "pga_worsening",
    "max_new_b",
    "pga_rule",
    "cr_threshold",
    "cr_unit",
    "pr_reduction",
    "nephrotic_g_g",
    "gfr_tolerance",
    "active_upcr_g_g",
    "bcell_abs_max",
    "bcell_confirm_n",
    "first_treatment_day",
    "add_one",
    "facit_mid",
    "sledai_fever_c",
    "sledai_fever_from_vs",
    # the monitoring rule and the CRS/ICANS window (sap.MONITORING, sap.REPORTING)
    "threshold",
    "prob_cutoff",
    "crs_icans_window_day",
    # ... and the names they go by inside functions
    "abs_max",
    "confirm_n",
    "min_days",
    "mid",
    "worsening",
    "before_day",
}


def _literal_defaults() -> list[str]:
    """``file:line name=value`` for every parameter named like an option whose default is a
    literal, and every ``.get("<option>", <literal>)``, outside ``sle_car/sap.py``."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "sap.py" and path.parent == PACKAGE:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                a = node.args
                pos = a.posonlyargs + a.args
                pairs = list(zip(pos[len(pos) - len(a.defaults) :], a.defaults, strict=True))
                pairs += [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d]
                for arg, default in pairs:
                    if (
                        arg.arg in OPTION_PARAMETERS
                        and isinstance(default, ast.Constant)
                        and default.value is not None
                    ):
                        found.append(f"{path.name}:{default.lineno} {arg.arg}={default.value!r}")
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and len(node.args) == 2
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in OPTION_PARAMETERS
                and isinstance(node.args[1], ast.Constant)
            ):
                found.append(f"{path.name}:{node.lineno} .get({node.args[0].value!r}, literal)")
    return found


def test_no_sap_default_literal_is_written_outside_the_options_object() -> None:
    assert _literal_defaults() == []


def test_the_options_object_is_what_derive_all_and_the_instruments_default_to() -> None:
    assert DEFAULTS.as_kwargs() == option_defaults()


def test_the_options_object_is_frozen_and_built_from_derive_all_keywords() -> None:
    with pytest.raises(FrozenInstanceError):
        DEFAULTS.stable_days = 30  # type: ignore[misc]
    opts = AnalysisOptions.from_kwargs(doris_kwargs={"gc_comparator": "<"}, facit_mid=5.0)
    assert opts.doris.gc_comparator == "<" and opts.doris.gc_max_mg == DEFAULTS.doris.gc_max_mg
    assert opts.facit_mid == 5.0
    assert AnalysisOptions.from_kwargs(**opts.as_kwargs()) == opts


def test_notebook_text_comes_from_the_options() -> None:
    assert DEFAULTS.doris.gc_text() == "prednisolone ≤ 5 mg/day"
    opts = AnalysisOptions.from_kwargs(doris_kwargs={"gc_comparator": "<", "gc_max_mg": 7.5})
    assert opts.doris.gc_text() == "prednisolone < 7.5 mg/day"


def test_baseline_is_tied_to_the_first_treatment_day() -> None:
    from sle_car.derive.common import BASELINE_BEFORE_DAY

    assert BASELINE_BEFORE_DAY == DEFAULTS.first_treatment_day
