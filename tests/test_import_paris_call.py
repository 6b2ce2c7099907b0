"""Paris Call import: supporters as participations, states matched, bad rows reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.access import SYSTEM
from accord.domain.vocab import Kind
from accord.errors import BadRequest
from accord.interop.importing import ImportInvalid
from accord.interop.paris_call import import_paris_call
from accord.kb import KnowledgeBase
from tests.conftest import actor
from tests.import_helpers import real

JSON = "paris-call/pariscall_supporters.json"
CSV = "paris-call/pariscall_supporters.csv"


def test_real_supporters_import_all_valid_rows_once(kb: KnowledgeBase) -> None:
    kb.create(actor("state-de", "Germany", country="DE"), SYSTEM)
    before = kb.count(SYSTEM)
    # Five supporters have no category: without --skip-invalid nothing is written.
    with pytest.raises(ImportInvalid) as caught:
        import_paris_call(kb, SYSTEM, real(JSON))
    assert [p.where for p in caught.value.report.invalid] == [
        "item 221 (CAPS)",
        "item 576 (HIKANOTES CONSULTANCY LTD)",
        "item 640 (Instituto de Neurocirugía Dr. Asenjo)",
        "item 734 (Liceul Atanasie Marienescu)",
        "item 1023 (Smart Africa)",
    ]
    assert kb.count(SYSTEM) == before
    report = import_paris_call(kb, SYSTEM, real(JSON), skip_invalid=True)
    participations = list(kb.iter_records(SYSTEM, kind=Kind.PARTICIPATION))
    assert len(participations) == 1222 - 5
    actors = kb.get_many([p.data.actor for p in participations], SYSTEM)  # type: ignore[attr-defined]
    states = [a for a in actors.values() if a.data.kind.value == "state"]  # type: ignore[attr-defined]
    assert len(states) == 81
    assert kb.get("part-state-de-paris-call", SYSTEM).data.actor == "state-de"  # type: ignore[attr-defined]
    # Romania's obsolete code ROM, Serbia's withdrawn SCG and Montenegro's non-code MTG.
    assert kb.get("part-state-ro-paris-call", SYSTEM)
    assert kb.get("part-state-rs-paris-call", SYSTEM)
    assert kb.get("part-state-me-paris-call", SYSTEM)
    assert any("MTG" in n for n in report.notes)
    # Only supporters with date_signed get a joining date: 138, less the 5 invalid rows
    # (all five have one).
    dated = [p for p in participations if p.data.joined is not None]  # type: ignore[attr-defined]
    assert len(dated) == 138 - 5
    cambodia = kb.get("part-state-kh-paris-call", SYSTEM).data
    assert cambodia.joined.value == "2020-02-27"  # type: ignore[attr-defined]
    assert kb.get("part-state-us-paris-call", SYSTEM).data.joined is None  # type: ignore[attr-defined]
    counts = kb.count(SYSTEM)
    again = import_paris_call(kb, SYSTEM, real(CSV), skip_invalid=True)
    assert (again.created, again.updated) == ([], [])
    assert kb.count(SYSTEM) == counts


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
