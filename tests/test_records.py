"""Creating, reading, updating and versioning records on both databases."""

from __future__ import annotations

import pytest

from accord.access import ANONYMOUS, SYSTEM
from accord.errors import Conflict, InvalidInput, NotFound, SourceMissing
from accord.kb import KnowledgeBase
from tests.conftest import actor, claim, incident


def test_created_record_reads_back_with_envelope(kb: KnowledgeBase) -> None:
    kb.create(actor("state-kp", "North Korea", country="KP", aliases=["DPRK"]), SYSTEM)
    record = kb.get("state-kp")
    assert record.name == "North Korea"
    assert record.marking.value == "CLEAR"
    assert record.owner == "accord-curators"
    assert record.revision == 1
    assert record.data.model_dump()["aliases"] == ("DPRK",)
    assert str(record.sources[0].url) == "https://example.org/statement"


def test_record_without_source_is_rejected_and_nothing_written(kb: KnowledgeBase) -> None:
    raw = actor("state-kp")
    raw["sources"] = []
    with pytest.raises(SourceMissing) as err:
        kb.create(raw, SYSTEM)
    assert err.value.record == "state-kp"
    assert err.value.field == "sources"
    with pytest.raises(NotFound):
        kb.get("state-kp")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"effects": ["cyberwar"]}, "data.effects.0", "ransomware"),
        ({"start": "2017-13-45"}, "data.start", "not a real date"),
        ({"start": {"value": "2017-05-12", "precision": "month"}}, "data.start", "day precision"),
        ({"colour": "red"}, "data.colour", "unknown field"),
    ],
)
def test_bad_incident_fields_are_named(
    kb: KnowledgeBase, change: dict[str, object], field: str, words: str
) -> None:
    raw = incident("wannacry")
    raw["data"].update(change)
    with pytest.raises(InvalidInput) as err:
        kb.create(raw, SYSTEM)
    assert err.value.record == "wannacry"
    assert err.value.field == field
    assert words in err.value.message
    assert kb.count() == {"actor": 1}


def test_reference_to_missing_record_is_rejected(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor("fbi", kind="government_body"), incident("sony")], SYSTEM)
    with pytest.raises(InvalidInput) as err:
        kb.create(claim("c1", "fbi", "sony", "state-kp"), SYSTEM)
    assert err.value.field == "data.accused"
    assert "state-kp" in err.value.message


def test_reference_to_wrong_kind_is_rejected(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor("fbi", kind="government_body"), incident("sony")], SYSTEM)
    with pytest.raises(InvalidInput) as err:
        kb.create(claim("c1", "fbi", "sony", "sony"), SYSTEM)
    assert "is a incident, expected actor" in err.value.message


def test_bulk_batch_is_all_or_nothing(kb: KnowledgeBase) -> None:
    bad = incident("broken")
    bad["data"]["start"] = "2017-02-30"
    with pytest.raises(InvalidInput):
        kb.bulk_create([actor("a"), actor("b"), bad], SYSTEM)
    assert kb.count() == {"actor": 1}


def test_duplicate_id_with_different_content_conflicts(kb: KnowledgeBase) -> None:
    kb.create(actor("state-kp", "North Korea"), SYSTEM)
    with pytest.raises(Conflict):
        kb.bulk_create([actor("state-kp", "DPRK")], SYSTEM)
    with pytest.raises(Conflict):
        kb.bulk_create([actor("x", "X"), actor("x", "Y")], SYSTEM)


def test_same_content_twice_is_unchanged(kb: KnowledgeBase) -> None:
    first = kb.bulk_create([actor("state-kp", "North Korea")], SYSTEM)
    again = kb.bulk_create([actor("state-kp", "North Korea")], SYSTEM)
    assert first.created == ["state-kp"]
    assert again.unchanged == ["state-kp"]
    assert kb.get("state-kp").revision == 1


def test_update_writes_revision_and_past_revision_readable(kb: KnowledgeBase) -> None:
    kb.create(actor("state-kp", "North Korea"), SYSTEM)
    updated = kb.update("state-kp", SYSTEM, data={"aliases": ["DPRK"]})
    assert updated.revision == 2
    assert updated.updated_at > updated.created_at
    history = kb.history("state-kp")
    assert [h.revision for h in history] == [1, 2]
    assert kb.get("state-kp", revision=1).data.model_dump()["aliases"] == ()
    assert kb.get("state-kp", revision=2).data.model_dump()["aliases"] == ("DPRK",)


def test_stale_revision_update_conflicts(kb: KnowledgeBase) -> None:
    kb.create(actor("state-kp"), SYSTEM)
    kb.update("state-kp", SYSTEM, data={"aliases": ["DPRK"]})
    with pytest.raises(Conflict):
        kb.update("state-kp", SYSTEM, data={"aliases": ["x"]}, expected_revision=1)


def test_list_pages_with_keyset_cursor(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor(f"a{i:02d}") for i in range(25)], SYSTEM)
    seen: list[str] = []
    after = None
    while True:
        page = kb.list_records(ANONYMOUS, after=after, limit=10)
        seen.extend(r.id for r in page.items)
        if page.next_cursor is None:
            break
        after = page.next_cursor
    assert seen == sorted(seen)
    assert len(seen) == 26  # 25 + the curators' own actor record
    assert len(set(seen)) == 26


def test_search_ranks_name_prefix_matches(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            incident("wannacry", "WannaCry", description="Ransomware worm of May 2017"),
            incident(
                "notpetya", "NotPetya", description="Wiper disguised as ransomware, like WannaCry"
            ),
            actor("state-kp", "North Korea"),
        ],
        SYSTEM,
    )
    hits = kb.search("wanna")
    assert [h.record.id for h in hits] == ["wannacry", "notpetya"]
    assert [h.record.id for h in kb.search("korea")] == ["state-kp"]
    assert kb.search("korea", kinds=[__import__("accord").domain.vocab.Kind.INCIDENT]) == []


def test_audit_chain_verifies_and_detects_tampering(kb: KnowledgeBase) -> None:
    kb.create(actor("state-kp"), SYSTEM)
    kb.update("state-kp", SYSTEM, data={"aliases": ["DPRK"]})
    assert kb.verify_audit().ok
    import sqlalchemy as sa

    with kb._engine.begin() as conn:
        conn.execute(sa.text("UPDATE revisions SET snapshot = replace(snapshot, 'DPRK', 'XXXX')"))
    result = kb.verify_audit()
    assert not result.ok
    assert result.reason == "revision snapshot altered or removed"
