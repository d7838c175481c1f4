"""The environment files agree: pyproject ranges, environment.yml, the exact lock."""

from __future__ import annotations

import re
import tomllib

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from sle_car.paths import repo_root


def _pyproject() -> dict:
    return tomllib.loads((repo_root() / "pyproject.toml").read_text())


def _required() -> dict[str, Requirement]:
    proj = _pyproject()["project"]
    reqs = [Requirement(r) for r in proj["dependencies"] + proj["optional-dependencies"]["dev"]]
    return {canonicalize_name(r.name): r for r in reqs}


def _conda() -> dict[str, SpecifierSet]:
    env = yaml.safe_load((repo_root() / "environment.yml").read_text())
    out: dict[str, SpecifierSet] = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            for pip_dep in dep["pip"]:
                if not pip_dep.startswith("-e"):
                    r = Requirement(pip_dep)
                    out[canonicalize_name(r.name)] = r.specifier
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", dep)
        assert m, dep
        out[canonicalize_name(m.group(1))] = SpecifierSet(m.group(2).replace(" ", ""))
    return out


def test_environment_yml_has_every_dependency_with_the_same_range() -> None:
    conda = _conda()
    for name, req in _required().items():
        assert name in conda, f"{name} is in pyproject.toml but not in environment.yml"
        assert conda[name] == req.specifier, f"{name}: {conda[name]} vs {req.specifier}"


def test_environment_yml_adds_only_python_quarto_pip() -> None:
    extra = set(_conda()) - set(_required())
    assert extra == {"python", "quarto", "pip"}


def test_quarto_is_optional_only() -> None:
    proj = _pyproject()["project"]
    assert not any(d.startswith("quarto") for d in proj["dependencies"])
    assert proj["optional-dependencies"]["quarto"] == ["quarto-cli>=1.5"]
    assert "quarto-cli" not in (repo_root() / "requirements.lock").read_text()


def test_lock_pins_every_dependency_inside_its_range() -> None:
    pins = dict(
        re.findall(
            r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)",
            (repo_root() / "requirements.lock").read_text(),
            re.M,
        )
    )
    pins = {canonicalize_name(k): v for k, v in pins.items()}
    for name, req in _required().items():
        assert name in pins, f"{name} is not pinned in requirements.lock"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} outside {req.specifier}"
        )
