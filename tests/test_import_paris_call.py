"""Paris Call import: supporters as participations, states matched, bad rows reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Kind, Sector, UserRole
from accord.errors import BadRequest
from accord.interop.importing import ImportInvalid
from accord.interop.paris_call import import_paris_call
from accord.kb import KnowledgeBase
from tests.conftest import actor
from tests.import_helpers import FIXTURES, real

JSON = "paris-call/pariscall_supporters.json"
CSV = "paris-call/pariscall_supporters.csv"
FIXTURE = FIXTURES / "paris-call" / "supporters.csv"
FOLDER = FIXTURES / "paris-call" / "_supporters"


def test_real_supporters_import_whole_without_skip_invalid(kb: KnowledgeBase) -> None:
    kb.create(actor("state-de", "Germany", country="DE"), SYSTEM)
    report = import_paris_call(kb, SYSTEM, real(JSON))
    assert report.invalid == []
    participations = list(kb.iter_records(SYSTEM, kind=Kind.PARTICIPATION))
    assert len(participations) == 1222
    # The five supporters without a category (Smart Africa, CAPS...) have no nature either.
    smart = kb.get("smart-africa-rwa", SYSTEM).data
    assert smart.kind.value == "organisation"  # type: ignore[attr-defined]
    uncategorised = [n for n in report.notes if "no category and no known nature" in n]
    assert len(uncategorised) == 5
    actors = kb.get_many([p.data.actor for p in participations], SYSTEM)  # type: ignore[attr-defined]
    states = [a for a in actors.values() if a.data.kind.value == "state"]  # type: ignore[attr-defined]
    assert len(states) == 81
    assert kb.get("part-state-de-paris-call", SYSTEM).data.actor == "state-de"  # type: ignore[attr-defined]
    # Romania's obsolete code ROM, Serbia's withdrawn SCG and Montenegro's non-code MTG.
    assert kb.get("part-state-ro-paris-call", SYSTEM)
    assert kb.get("part-state-rs-paris-call", SYSTEM)
    assert kb.get("part-state-me-paris-call", SYSTEM)
    assert any("MTG" in n for n in report.notes)
    # Only supporters with date_signed get a joining date.
    dated = [p for p in participations if p.data.joined is not None]  # type: ignore[attr-defined]
    assert len(dated) == 138
    cambodia = kb.get("part-state-kh-paris-call", SYSTEM).data
    assert cambodia.joined.value == "2020-02-27"  # type: ignore[attr-defined]
    assert kb.get("part-state-us-paris-call", SYSTEM).data.joined is None  # type: ignore[attr-defined]
    counts = kb.count(SYSTEM)
    again = import_paris_call(kb, SYSTEM, real(CSV))
    assert (again.created, again.updated) == ([], [])
    assert kb.count(SYSTEM) == counts


def test_fixture_supporters_without_category_import_with_a_note(kb: KnowledgeBase) -> None:
    report = import_paris_call(kb, SYSTEM, FIXTURE)
    assert report.invalid == []
    assert report.by_kind()["participation"]["created"] == 8
    kinds = {
        r.id: r.data.kind.value  # type: ignore[attr-defined]
        for r in kb.iter_records(SYSTEM, kind=Kind.ACTOR)
    }
    # no category, no nature: an organisation of unknown kind, never a guessed sector
    assert kinds["fixture-digital-union-rwa"] == "organisation"
    # no category, a nature the file always gives with one category: that category
    assert kinds["fixture-chamber-of-commerce-ken"] == "company"
    assert kinds["fixture-foundation-chl"] == "civil_society"
    assert kinds["universita-fixture-ita"] == "academic"
    notes = [n for n in report.notes if "no category" in n]
    assert len(notes) == 3
    assert any(
        "'private-sector' inferred from its nature 'Chambre de commerce'" in n for n in notes
    )
    assert kb.get("part-state-ro-paris-call", SYSTEM)  # ROM read as ROU, with a note
    again = import_paris_call(kb, SYSTEM, FIXTURE)
    assert (again.created, again.updated) == ([], [])


def test_supporters_folder_of_the_website_imports_like_its_csv(kb: KnowledgeBase) -> None:
    report = import_paris_call(kb, SYSTEM, FOLDER)
    assert report.invalid == []
    parts = {r.id: r.data for r in kb.iter_records(SYSTEM, kind=Kind.PARTICIPATION)}
    assert set(parts) == {
        "part-state-de-paris-call",
        "part-fixture-widgets-fra-paris-call",
        "part-fixture-digital-union-rwa-paris-call",
        "part-fixture-chamber-of-commerce-ken-paris-call",
    }
    joined = parts["part-fixture-widgets-fra-paris-call"].joined  # type: ignore[attr-defined]
    assert joined.value == "2019-05-02"
    assert kb.get("fixture-digital-union-rwa", SYSTEM).data.kind.value == "organisation"  # type: ignore[attr-defined]
    assert kb.get("fixture-chamber-of-commerce-ken", SYSTEM).data.kind.value == "company"  # type: ignore[attr-defined]


def test_contributor_import_runs_once_in_its_namespace(kb: KnowledgeBase) -> None:
    org = accounts.create_org(kb, "Fixture Institute", Sector.ACADEMIA)
    user = accounts.create_user(kb, "analyst@institute.example", org, UserRole.CONTRIBUTOR)
    first = import_paris_call(kb, user.viewer, FIXTURE)
    assert first.invalid == []
    part = kb.get(f"{org}.part-fixture-widgets-fra-paris-call", user.viewer)
    assert part.status.value == "draft"
    again = import_paris_call(kb, user.viewer, FIXTURE)
    assert (again.created, again.updated) == ([], [])


def test_folder_without_supporter_files_is_rejected(kb: KnowledgeBase, tmp_path: Path) -> None:
    with pytest.raises(BadRequest, match="no supporter files"):
        import_paris_call(kb, SYSTEM, tmp_path)


def test_existing_participation_from_another_source_is_kept(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "supporters.csv"
    path.write_text(
        "name,category,nature,nationality,date_signed\n"
        "Allemagne,state,UE,DEU,2018-11-12\n"
        "Acme,private-sector,Entreprise,ROM,\n",
        encoding="utf-8",
    )
    kb.create(actor("state-de", "Germany", country="DE"), SYSTEM)
    kb.create(
        {
            "id": "paris-call",
            "kind": "initiative",
            "data": {
                "name": "Paris Call",
                "kind": "multistakeholder",
                "status": "active",
                "binding": False,
            },
            "sources": [
                {"title": "t", "publisher": "p", "url": "https://pariscall.international/"}
            ],
        },
        SYSTEM,
    )
    kb.create(
        {
            "id": "part-state-de-paris-call",
            "kind": "participation",
            "data": {"actor": "state-de", "initiative": "paris-call", "role": "supporter"},
            "sources": [
                {"title": "t", "publisher": "p", "url": "https://pariscall.international/"}
            ],
        },
        SYSTEM,
    )
    report = import_paris_call(kb, SYSTEM, path)
    assert report.kept == ["part-state-de-paris-call"]
    assert kb.get("part-state-de-paris-call", SYSTEM).data.joined is None  # type: ignore[attr-defined]
    assert kb.get("acme-rom", SYSTEM).data.country == "RO"  # type: ignore[attr-defined]


def test_state_name_and_code_that_disagree_are_invalid(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "supporters.csv"
    path.write_text("name,category,nature,nationality\nAllemagne,state,UE,FRA\n", "utf-8")
    with pytest.raises(ImportInvalid, match="disagree"):
        import_paris_call(kb, SYSTEM, path)


def test_csv_missing_a_column_is_rejected(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "supporters.csv"
    path.write_text("name,category\nAllemagne,state\n", "utf-8")
    with pytest.raises(BadRequest, match="nationality"):
        import_paris_call(kb, SYSTEM, path)


def test_other_file_types_are_rejected(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "supporters.yml"
    path.write_text("- name: x\n", "utf-8")
    with pytest.raises(BadRequest, match=r"\.json or \.csv"):
        import_paris_call(kb, SYSTEM, path)
