"""The study configuration (``sle_car/config/study.yaml``): what belongs to this study rather
than to the code — study ID, subject-ID pattern, sites, race and ethnic-group codes, and which
baseline measurements are required or optional.

:func:`load_study_config` reads a file (default: ``SLE_CAR_STUDY_CONFIG`` when set, else the
bundled file) and checks it: an unknown or missing key, a wrong type, an invalid regular
expression or an unknown baseline measurement is a :class:`StudyConfigError` naming the file
and the key. Validation and the simulator read it; another centre's cut is validated by
pointing at its own file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import polars as pl
import yaml

from sle_car.io import DataFileError

ENV_STUDY_CONFIG = "SLE_CAR_STUDY_CONFIG"
"""A study configuration file to use instead of the bundled one (another centre's cut)."""
BASELINE_MEASUREMENTS = ("WEIGHTBL", "HEIGHTBL", "DIAGDY", "LNFL", "NPRIORTX")
"""DM baseline columns whose presence the configuration decides."""
_KEYS = {"version", "study_id", "subject_id_pattern", "sites", "race", "ethnic_groups", "baseline"}


class StudyConfigError(DataFileError):
    """The study configuration file is unusable; the message names the key."""


@dataclass(frozen=True)
class StudyConfig:
    study_id: str
    subject_id_pattern: str
    sites: tuple[str, ...]
    race: tuple[str, ...]
    ethnic_groups: tuple[str, ...]
    baseline_required: tuple[str, ...]
    baseline_optional: tuple[str, ...]
    source: str = "sle_car/config/study.yaml"


def _codes(path: str, raw: dict, key: str) -> tuple[str, ...]:
    value = raw.get(key)
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not value:
        raise StudyConfigError(path, f"'{key}' must be a non-empty list of codes")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, str | int) or not str(v).strip():
            raise StudyConfigError(path, f"'{key}' holds {v!r}; every code must be text")
        out.append(str(v).strip())
    if len(set(out)) != len(out):
        raise StudyConfigError(path, f"'{key}' lists a code twice")
    return tuple(out)


def parse_study_config(raw: object, path: str = "study.yaml") -> StudyConfig:
    """Check a loaded YAML document and return the configuration."""
    if not isinstance(raw, dict):
        raise StudyConfigError(path, "the study configuration must be a YAML mapping of keys")
    unknown = sorted(set(raw) - _KEYS)
    missing = sorted(_KEYS - set(raw))
    if unknown or missing:
        raise StudyConfigError(
            path,
            f"unknown key(s) {unknown} and missing key(s) {missing}; the keys are "
            f"{sorted(_KEYS)} (see sle_car/config/study.yaml)",
        )
    study_id = raw["study_id"]
    if not isinstance(study_id, str) or not study_id.strip():
        raise StudyConfigError(path, "'study_id' must be text")
    pattern = raw["subject_id_pattern"]
    if not isinstance(pattern, str):
        raise StudyConfigError(path, "'subject_id_pattern' must be a regular expression (text)")
    try:
        re.compile(pattern)
        pl.Series([""]).str.contains(pattern)  # validation matches with polars' engine
    except (re.error, pl.exceptions.PolarsError) as err:
        first = str(err).splitlines()[0]
        raise StudyConfigError(
            path, f"'subject_id_pattern' is not a usable regular expression ({first})"
        ) from None
    baseline = raw["baseline"]
    if not isinstance(baseline, dict) or set(baseline) - {"required", "optional"}:
        raise StudyConfigError(path, "'baseline' must have the keys 'required' and 'optional'")
    parts = {}
    for key in ("required", "optional"):
        names = baseline.get(key) or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise StudyConfigError(path, f"'baseline.{key}' must be a list of DM columns")
        bad = sorted(set(names) - set(BASELINE_MEASUREMENTS))
        if bad:
            raise StudyConfigError(
                path,
                f"'baseline.{key}' names {bad}, not baseline measurements; "
                f"choose from {list(BASELINE_MEASUREMENTS)}",
            )
        parts[key] = tuple(names)
    both = sorted(set(parts["required"]) & set(parts["optional"]))
    left = sorted(set(BASELINE_MEASUREMENTS) - set(parts["required"]) - set(parts["optional"]))
    if both or left:
        raise StudyConfigError(
            path,
            f"every baseline measurement is either required or optional, once: "
            f"{both or left} {'in both' if both else 'in neither'}",
        )
    return StudyConfig(
        study_id=study_id.strip(),
        subject_id_pattern=pattern,
        sites=_codes(path, raw, "sites"),
        race=_codes(path, raw, "race"),
        ethnic_groups=_codes(path, raw, "ethnic_groups"),
        baseline_required=parts["required"],
        baseline_optional=parts["optional"],
        source=path,
    )


def bundled_study_config() -> StudyConfig:
    """The configuration of this pilot (``sle_car/config/study.yaml``)."""
    return _bundled()


@cache
def _bundled() -> StudyConfig:
    text = resources.files("sle_car.config").joinpath("study.yaml").read_text("utf-8")
    return parse_study_config(yaml.safe_load(text), "sle_car/config/study.yaml")


def load_study_config(path: Path | str | None = None) -> StudyConfig:
    """The study configuration in ``path``; without it, ``SLE_CAR_STUDY_CONFIG`` when set,
    else the bundled file."""
    path = path or os.environ.get(ENV_STUDY_CONFIG)
    if not path:
        return _bundled()
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise StudyConfigError(
            path, f"cannot read the study configuration ({err.strerror})"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0]
        raise StudyConfigError(path, f"not valid YAML ({first})") from None
    return parse_study_config(raw, str(path))
