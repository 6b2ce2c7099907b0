"""scripts/bundle-paris-call.py: the bundled Paris Call files are what it makes of the real list."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from accord import dataset
from tests.import_helpers import real

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bundle-paris-call.py"


@pytest.fixture(scope="module")
def bundle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_paris_call", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built(bundle: ModuleType) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    return bundle.build(real("paris-call/pariscall_supporters.csv"))  # type: ignore[no-any-return]


def _records(path: Path, plural: str) -> list[dict[str, Any]]:
    content = yaml.load(path.read_text(encoding="utf-8"), Loader=dataset._Loader)
    return content[plural]  # type: ignore[no-any-return]


def test_the_bundled_files_are_what_the_script_makes(bundle: ModuleType, built: Any) -> None:
    actors, participations, _ = built
    assert _records(bundle.ACTORS_FILE, "actors") == actors
    assert _records(bundle.PARTICIPATIONS_FILE, "participations") == participations
    for path in (bundle.ACTORS_FILE, bundle.PARTICIPATIONS_FILE):
        head = path.read_text(encoding="utf-8")[:800]
        assert "EUPL" in head
        assert bundle.LICENCE_FILE in head
        assert (path.parent / bundle.LICENCE_FILE).exists()


def test_every_supporter_is_one_participation_once(built: Any) -> None:
    actors, participations, figures = built
    # 1,222 supporters: the generated participations, those kept in the curated file, and the
    # two that are one actor ("Dell" and "Dell Technologies").
    assert len(participations) + figures["kept"] + len(figures["merged"]) == 1222
    assert figures["curated_not_listed"] == []
    ids = Counter(p["id"] for p in participations)
    assert max(ids.values()) == 1
    curated = {
        (str(e.payload.actor), str(e.payload.initiative))  # type: ignore[attr-defined]
        for e in dataset.read().entries
        if e.file != "participations-paris-call.yaml" and e.record.kind.value == "participation"
    }
    assert not {(p["actor"], "paris-call") for p in participations} & curated
    assert all(
        p["sources"][0]["url"] == "https://pariscall.international/en/supporters"
        for p in participations
    )
    assert {a["id"] for a in actors} <= {p["actor"] for p in participations}


def test_existing_actors_are_reused_by_name_or_alias(built: Any) -> None:
    actors, participations, figures = built
    # "Facebook" is the curated "Facebook (Meta Platforms)"; "HSE" the Health Service Executive.
    assert figures["linked"]["facebook-usa"] == "facebook"
    assert figures["linked"]["hse-irl"] == "ireland-health-service-executive"
    new = {a["id"] for a in actors}
    assert "facebook-usa" not in new
    assert "hse-irl" not in new
    by_actor = {p["actor"]: p for p in participations}
    assert "state-fr" not in by_actor  # France is the curated convener
    assert by_actor["dell"]["role"] == "supporter"
