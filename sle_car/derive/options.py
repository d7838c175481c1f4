"""Analysis options: the choices the statistical analysis plan fixes (instruments.md appendix B).

They are the keyword arguments of ``derive_all`` (passed through ``load_study``, ``build_study``
and ``derive_to_dir``); the ``*_kwargs`` among them go to an instrument. On the command line
they come from a YAML file (``sle-car derive DATA --out OUT --options FILE``);
``sle_car/config/analysis_options.yaml`` lists every option with its default and is where a
SAP's choices are best written down. ``read_options`` checks a file against the real
signatures, so a misspelt or mistyped option is an error that names it, never a silent default.
"""

from __future__ import annotations

import inspect
import json
import re
from importlib import resources
from pathlib import Path

import polars as pl
import yaml

from sle_car import instruments as ins
from sle_car.derive.datasets import derive_all
from sle_car.io import DataFileError

INSTRUMENT_OPTIONS = {
    "doris_kwargs": ins.doris_remission,
    "lldas_kwargs": ins.lldas,
    "sri_kwargs": ins.sri,
    "bicla_kwargs": ins.bicla,
    "renal_kwargs": ins.renal_response,
}
"""Which instrument each ``*_kwargs`` option of ``derive_all`` configures."""
NOT_OPTIONS = {"base_suffix"}
"""Keywords of an instrument that name input columns: plumbing, not analysis choices."""


def _keyword_defaults(fn) -> dict:
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in NOT_OPTIONS
    }


DATA_KEYWORDS = ("not_collected",)
"""Keywords of ``derive_all`` that describe the data cut (set by the derivation from the
validation listing), not analysis choices: never options."""


def option_defaults() -> dict:
    """Every analysis option with its default, the instruments' own for the ``*_kwargs``."""
    return {
        name: _keyword_defaults(INSTRUMENT_OPTIONS[name]) if name in INSTRUMENT_OPTIONS else value
        for name, value in _keyword_defaults(derive_all).items()
        if name not in DATA_KEYWORDS
    }


def flatten(options: dict) -> dict[str, object]:
    """``{"doris_kwargs": {"gc_comparator": "<"}}`` -> ``{"doris_kwargs.gc_comparator": "<"}``."""
    return {
        f"{key}.{sub}" if isinstance(value, dict) else key: value[sub] if sub else value
        for key, value in options.items()
        for sub in (value if isinstance(value, dict) else [None])
    }


def options_frame(**options) -> pl.DataFrame:
    """Every analysis option: the value in force (``options`` over the defaults), the default,
    and whether the SAP changed it; values as JSON text (for notebooks and listings)."""
    check_options(options)
    given, defaults = flatten(options), flatten(option_defaults())
    return pl.DataFrame(
        {
            "option": list(defaults),
            "value": [json.dumps(given.get(k, v)) for k, v in defaults.items()],
            "default": [json.dumps(v) for v in defaults.values()],
            "changed": [k in given and given[k] != v for k, v in defaults.items()],
        }
    )


def default_options_file() -> Path:
    """``sle_car/config/analysis_options.yaml``: every option at its default, documented."""
    return Path(str(resources.files("sle_car.config").joinpath("analysis_options.yaml")))


def _type_ok(value: object, default: object) -> bool:
    if default is None:  # e.g. BICLA's ``systems``: any value the instrument accepts
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, type(default))


def check_options(options: dict, source: Path | str = "options") -> dict:
    """``options`` unchanged when every key is a known option with a value of the right type;
    otherwise a ``DataFileError`` naming ``source``, the option, its value and the choices."""
    defaults = option_defaults()

    def check(given: object, known: dict, where: str) -> None:
        if not isinstance(given, dict):
            raise DataFileError(source, f"{where or 'the file'} must be a mapping of option: value")
        for key, value in given.items():
            name = f"{where}{key}"
            if key not in known:
                raise DataFileError(
                    source, f"unknown option {name!r}; the options are: {', '.join(known)}"
                )
            if key in INSTRUMENT_OPTIONS and not where:
                check(value, known[key], f"{key}.")
            elif not _type_ok(value, known[key]):
                raise DataFileError(
                    source,
                    f"option {name!r} is {value!r}; it takes a value like its default "
                    f"{known[key]!r}",
                )

    check(options, defaults, "")
    return options


def read_options(path: Path | str) -> dict:
    """The analysis options in the YAML file ``path``, checked (``check_options``)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise DataFileError(path, f"cannot read the options ({type(err).__name__})") from None
    return check_options(data or {}, path)


_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<key>[a-z_]+):\s*(?P<value>[^#]*?)\s*(?:#\s*(?P<note>.*))?$"
)


def options_markdown(path: Path | str | None = None) -> str:
    """The options of ``path`` (default: the documented defaults file) as a Markdown table:
    option, value and the file's own comment on it (for the website's endpoint page)."""
    path = Path(path) if path else default_options_file()
    options = read_options(path)
    rows = [
        "| Option | Value | Meaning |",
        "|---|---|---|",
    ]
    parent = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        key, note = m["key"], (m["note"] or "").replace("|", "\\|")
        if m["indent"]:
            value = options[parent][key]
            rows.append(f"| `{parent}.{key}` | `{json.dumps(value)}` | {note} |")
        elif isinstance(options.get(key), dict):
            parent = key
            rows.append(f"| **`{key}`** | | {note} |")
        else:
            rows.append(f"| `{key}` | `{json.dumps(options[key])}` | {note} |")
    return "\n".join(rows) + "\n"


def option_meanings(path: Path | str | None = None) -> dict[str, str]:
    """Each option of ``path`` (default: the documented defaults file) -> the file's own
    comment on it; a nested option's comment is prefixed by its group's (the source, e.g.
    "van Vollenhoven 2021 (DORIS): prednisolone-equivalent dose limit, mg/day")."""
    path = Path(path) if path else default_options_file()
    out: dict[str, str] = {}
    parent, parent_note = "", ""
    for line in path.read_text(encoding="utf-8").splitlines():
        m = _LINE.match(line)
        if not m:
            continue
        key, note = m["key"], (m["note"] or "").strip()
        if m["indent"]:
            out[f"{parent}.{key}"] = f"{parent_note}: {note}" if parent_note else note
        elif not m["value"]:
            parent, parent_note = key, note
        else:
            out[key] = note
    return out


def options_table(**options) -> pl.DataFrame:
    """:func:`options_frame` as a reader's table: the key to write in the options file, what
    it means (:func:`option_meanings`), the value in force, the SAP default, and "yes"/"no"
    for changed."""
    meanings = option_meanings()
    return options_frame(**options).select(
        pl.col("option").alias("Option (key in the options file)"),
        pl.col("option").replace_strict(meanings, default="").alias("Meaning (source)"),
        pl.col("value").alias("Value in force"),
        pl.col("default").alias("SAP default"),
        pl.when(pl.col("changed")).then(pl.lit("yes")).otherwise(pl.lit("no")).alias("Changed"),
    )
