"""A bulk write larger than one insert chunk may refer forward, past the chunk boundary."""

from __future__ import annotations

from accord.access import SYSTEM
from accord.domain.vocab import Kind
from accord.kb import KnowledgeBase
from accord.store import rows
from tests.conftest import actor


def test_a_record_may_refer_to_one_in_a_later_chunk(kb: KnowledgeBase) -> None:
    # The first record names as parent the very last one, which lands in the second chunk:
    # every record row must be stored before the first reference is (the bundled dataset,
    # with the Paris Call's 1,088 supporters, puts actors before the states they refer to).
    count = rows.BATCH + 1
    items = [actor("unit-0", kind="government_body", parent="state-last")]
    items += [actor(f"unit-{i}", kind="government_body") for i in range(1, count - 1)]
    items.append(actor("state-last", "Last State", country="FR"))
    before = kb.count(SYSTEM).get(Kind.ACTOR.value, 0)
    result = kb.bulk_create(items, SYSTEM)
    assert len(result.created) == count
    assert kb.get("unit-0", SYSTEM).data.parent == "state-last"  # type: ignore[attr-defined]
    assert kb.count(SYSTEM)[Kind.ACTOR.value] == before + count
