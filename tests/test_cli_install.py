"""The lock file stays honest: every dependency pyproject.toml declares is pinned, exactly, at a
version its range allows (a dependency added without refreshing the lock fails here)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOCK_LINES = [
    line
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
DECLARED = [
    Requirement(spec)
    for spec in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]
]


def _pinned() -> dict[str, Version]:
    pins = {}
    for line in LOCK_LINES:
        name, version = line.split("==")
        pins[canonicalize_name(name)] = Version(version)
    return pins


def test_lock_holds_only_exact_pins_once_each() -> None:
    for line in LOCK_LINES:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9.+!-]+", line), line
    names = [canonicalize_name(line.split("==")[0]) for line in LOCK_LINES]
    assert len(names) == len(set(names))
    assert "accord" not in names


@pytest.mark.parametrize("requirement", DECLARED, ids=str)
def test_declared_dependency_is_pinned_within_its_range(requirement: Requirement) -> None:
    pinned = _pinned().get(canonicalize_name(requirement.name))
    assert pinned is not None, f"{requirement.name} is not in requirements.lock"
    assert requirement.specifier.contains(pinned, prereleases=True), (
        f"requirements.lock pins {requirement.name}=={pinned}, outside {requirement.specifier}"
    )
