"""The windowed SQLite search returns exactly what ranking every visible match returns."""

from __future__ import annotations

import pytest
from benchmarks import synthetic

from accord import access
from accord.access import ANONYMOUS, SYSTEM
from accord.kb import KnowledgeBase
from accord.store import search

QUERIES = ["ransomware", "ra", "espionage ministry", "operation", "ka", "zzzz"]


@pytest.fixture
def world(kb: KnowledgeBase) -> synthetic.World:
    """A small synthetic world with mixed markings, drafts, shares and named readers."""
    built, _ = synthetic.build(kb, 250, seed=7)
    return built


@pytest.mark.parametrize(("first", "most"), [(4, 64), (2, 8), (200, 12_800)])
def test_windowed_search_matches_full_ranking(
    kb: KnowledgeBase,
    world: synthetic.World,
    monkeypatch: pytest.MonkeyPatch,
    first: int,
    most: int,
) -> None:
    monkeypatch.setattr(search, "FIRST_WINDOW", first)
    monkeypatch.setattr(search, "MAX_WINDOW", most)
    viewers = [ANONYMOUS, SYSTEM, world.reader_of(), world.writers[world.orgs[0]]]
    with kb._engine.connect() as conn:
        for viewer in viewers:
            where = access.visible(viewer)
            for text in QUERIES:
                for kinds in ([], ["incident", "claim"]):
                    for limit in (1, 20):
                        expected = search.full_ranking(conn, text, where, kinds, limit)
                        got = search.run_search(conn, text, where, kinds, limit)
                        assert got == expected, (viewer, text, kinds, limit)


def test_search_finds_only_visible_records(kb: KnowledgeBase, world: synthetic.World) -> None:
    reader = world.reader_of()
    hits = kb.search("ransomware", reader, limit=200)
    assert hits
    visible = {r.id for r in kb.get_many([h.record.id for h in hits], reader).values()}
    assert {h.record.id for h in hits} == visible
    anonymous = kb.search("ransomware", ANONYMOUS, limit=200)
    assert all(h.record.marking.value == "CLEAR" for h in anonymous)


def test_ties_across_the_window_edge_are_broken_by_id(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Equal scores are ordered by id even when FTS5 cut the window among them by rowid."""
    monkeypatch.setattr(search, "FIRST_WINDOW", 1)
    names = [f"twin-{n:02d}" for n in range(12, 0, -1)]  # inserted in reverse id order
    kb.bulk_create(
        [
            {
                "id": rid,
                "kind": "actor",
                "data": {"name": "Quillfeather Collective", "kind": "civil_society"},
                "sources": [
                    {"title": "t", "publisher": "p", "url": "https://example.org/", "date": "2020"}
                ],
            }
            for rid in names
        ],
        SYSTEM,
    )
    with kb._engine.connect() as conn:
        for limit in (1, 2, 3):
            got = search.run_search(conn, "quillfeather", access.visible(ANONYMOUS), [], limit)
            assert [rid for rid, _ in got] == sorted(names)[:limit]
