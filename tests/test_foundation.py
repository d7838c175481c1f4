"""Repository plumbing: version, paths, CLI, Makefile and README agree."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import sle_car
from sle_car.paths import repo_root


def test_version_is_single_sourced() -> None:
    pyproject = tomllib.loads((repo_root() / "pyproject.toml").read_text())
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["hatch"]["version"]["path"] == "sle_car/__init__.py"
    assert re.fullmatch(r"\d+\.\d+\.\d+", sle_car.__version__)
    assert f"## [{sle_car.__version__}]" in (repo_root() / "CHANGELOG.md").read_text()
    assert f"version: {sle_car.__version__}" in (repo_root() / "CITATION.cff").read_text()


def test_repo_root_found_from_any_directory(tmp_path: Path) -> None:
    code = "from sle_car.paths import repo_root; print(repo_root())"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "SLE_CAR_ROOT": ""},
    )
    assert Path(out.stdout.strip()) == repo_root()


def test_cli_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sle_car", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"sle-car {sle_car.__version__}"


def test_readme_quick_start_commands_are_make_targets() -> None:
    readme = (repo_root() / "README.md").read_text()
    makefile = (repo_root() / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.M))
    for cmd in re.findall(r"^\s*make ([a-z-]+)\s*$", readme, re.M):
        assert cmd in targets, f"README says `make {cmd}` but the Makefile has no such target"
    assert {"report", "test", "lab"} <= targets


def test_ci_runs_the_readme_test_command() -> None:
    ci = (repo_root() / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)
    assert os.access(repo_root() / ".ci" / "run", os.X_OK)


def test_real_data_locations_are_git_ignored() -> None:
    ignore = (repo_root() / ".gitignore").read_text().splitlines()
    for entry in ("data/derived/", "data/real/", ".venv/"):
        assert entry in ignore


def test_skipping_rfc3987_syntax_in_the_test_processes_changes_no_validation() -> None:
    """tests/pytest_startup.py keeps jsonschema from importing rfc3987_syntax, which only
    serves the ``iri`` formats: nbformat's notebook schemas must name no ``format`` at all
    (else notebook validation under the tests could differ), and nbval still validates."""
    import json

    import nbformat

    schemas = sorted(Path(nbformat.__file__).parent.glob("v*/nbformat.v*.schema.json"))
    assert schemas, "nbformat's notebook schemas not found"

    def formats(node: object) -> list[str]:
        if isinstance(node, dict):
            own = [node["format"]] if isinstance(node.get("format"), str) else []
            return own + [f for v in node.values() for f in formats(v)]
        if isinstance(node, list):
            return [f for v in node for f in formats(v)]
        return []

    for schema in schemas:
        assert formats(json.loads(schema.read_text())) == [], schema.name
    makefile = (repo_root() / "Makefile").read_text()
    assert "-m pytest -p tests.pytest_startup" in makefile
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    nbformat.validate(nb)  # still validates
    with pytest.raises(nbformat.ValidationError):
        nbformat.validate({**nb, "cells": [{"cell_type": "code", "id": "a"}]})
