"""The windowed searches stop at the right match: records whose terms occur none, once or
several times in each field (the PostgreSQL bounds tell once from more), prefixes that match
several words, equal scores across window edges, and hidden records among them."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from accord import access, accounts
from accord.access import ANONYMOUS, SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from accord.store import search
from tests.conftest import actor

NAMES = ["Echo", "Echo Echo", "Echoes Echo", "Delta", "Echo Delta", "Deltas"]
TEXTS = ["", "echo", "echo echo", "echoes and echo", "delta echo", "delta delta echo"]
QUERIES = ["echo", "ech", "echo delta", "delt ech", "echoes", "delta"]


def _world(kb: KnowledgeBase) -> None:
    """Every name with every description, at two markings (one hidden from anonymous
    readers), with ids that interleave equal scores."""
    accounts.create_org(kb, "Other", Sector.GOVERNMENT, org_id="other")
    accounts.create_user(kb, "w@other.example", "other", UserRole.REVIEWER)
    writer = accounts.find_user(kb, "w@other.example").viewer
    public: list[dict[str, Any]] = []
    hidden: list[dict[str, Any]] = []
    for n, (name, text) in enumerate(itertools.product(NAMES, TEXTS)):
        for items, prefix, marking in ((public, "", "CLEAR"), (hidden, "other.", "GREEN")):
            item = actor(f"{prefix}a-{(n * 7) % 36:02d}", name, description=text)
            item["marking"], item["status"] = marking, "published"
            items.append(item)
    kb.bulk_create(public, SYSTEM)
    kb.bulk_create(hidden, writer)


def test_windowed_search_equals_full_ranking_at_every_limit(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "FIRST_WINDOW", 1)  # windows of 4, 16, then 16 again
    monkeypatch.setattr(search, "MAX_WINDOW", 16)
    _world(kb)
    with kb._engine.connect() as conn:
        for viewer in (ANONYMOUS, SYSTEM):
            where = access.visible(viewer)
            for text, limit in itertools.product(QUERIES, (1, 5, 13, 80)):
                expected = search.full_ranking(conn, text, where, [], limit)
                assert expected, text
                assert search.run_search(conn, text, where, [], limit) == expected, (text, limit)


def test_ties_are_ordered_by_id_bytes(kb: KnowledgeBase) -> None:
    """Equal relevance: ids in byte order on both databases, whatever the collation."""
    ids = ["q-b", "qa", "q-a", "q0", "qz-1"]  # "q-b" < "qa" in bytes, not in en_US
    kb.bulk_create([actor(rid, "Quillfeather") for rid in ids], SYSTEM)
    assert [h.record.id for h in kb.search("quillfeather")] == sorted(ids)


def test_a_bounded_score_tied_with_the_next_exact_one_is_ordered_by_id(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Record "z-a" (echo 20 times in its name, delta 41 times in its text: 200/21 + 41/42 = 10.5)
    ends the first window of four on PostgreSQL, and the next match, "b-1" ("Echo Delta",
    text "echo": 5 + 0.5 + 5 = 10.5 exactly), has the same score and a smaller id."""
    monkeypatch.setattr(search, "FIRST_WINDOW", 1)
    items = [actor(f"y-{n}", "Echo Echo", description="delta delta") for n in (1, 2, 3)]
    items.append(actor("z-a", " ".join(["Echo"] * 20), description=" ".join(["delta"] * 41)))
    items += [actor(f"b-{n}", "Echo Delta", description="echo") for n in (1, 2)]
    kb.bulk_create(items, SYSTEM)
    with kb._engine.connect() as conn:
        where = access.visible(ANONYMOUS)
        for limit in (1, 2, 3):
            expected = search.full_ranking(conn, "echo delta", where, [], limit)
            assert search.run_search(conn, "echo delta", where, [], limit) == expected
    assert [h.record.id for h in kb.search("echo delta", limit=1)] in (["b-1"], ["z-a"])
