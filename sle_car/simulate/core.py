"""Configuration, constants and the ``Cohort`` container of the simulator."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl
import yaml

TRUTH_FILE = "truth.csv"


INJECTED_FILE = "injected_problems.csv"


NEVER = 100_000


"""Day used for 'never happens' in latent day columns."""


# --- configuration ---------------------------------------------------------------------------
def study_id() -> str:
    """STUDYID of the simulated records: the study configuration's ``study_id``
    (:func:`sle_car.study.load_study_config`)."""
    from sle_car.study import load_study_config

    return load_study_config().study_id


def site_id() -> str:
    """SITEID of the simulated subjects: the study configuration's first site."""
    from sle_car.study import load_study_config

    return load_study_config().sites[0]


def load_config(path: Path | str | None = None) -> dict:
    """The simulation configuration as nested ``{name: {value, source}}`` dictionaries."""
    if path is None:
        text = resources.files("sle_car.config").joinpath("simulation.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _values(config: dict) -> dict:
    """Strip the ``source`` annotations: ``{section: {name: value}}``."""
    return {
        section: {k: v["value"] for k, v in entries.items()}
        for section, entries in config.items()
        if isinstance(entries, dict)
    }


@dataclass
class Cohort:
    """A simulated cohort: raw domains, ground truth and (messy mode) injected problems."""

    domains: dict[str, pl.DataFrame]
    truth: pl.DataFrame
    injected: pl.DataFrame | None
    seed: int
    n_patients: int
    config_version: str
    screening: dict | None = None
    """The screening-log counts written into the manifest (``screening``; issue #18)."""


def _with_seq(df: pl.DataFrame, prefix: str, order: list[str]) -> pl.DataFrame:
    """Sort by subject and ``order`` and number the records of each subject: ``<prefix>SEQ``."""
    df = df.sort(["USUBJID", *order])
    return df.with_columns(
        (pl.int_range(pl.len()).over("USUBJID") + 1).cast(pl.Int64).alias(f"{prefix}SEQ")
    )
