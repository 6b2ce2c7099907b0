"""The viewer-bound reader: statements over records without the reader's filter are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord import access
from accord.access import ANONYMOUS, SYSTEM
from accord.analysis import load
from accord.errors import UnfilteredRead
from accord.kb import KnowledgeBase
from accord.store.schema import claim_facts, record_refs, records
from tests.conftest import actor, claim, incident


@pytest.fixture
def world(kb: KnowledgeBase) -> KnowledgeBase:
    kb.bulk_create(
        [
            actor("state-kp"),
            actor("fbi"),
            incident("sony"),
            {**actor("secret"), "marking": "AMBER"},
            claim("c1", "fbi", "sony", "state-kp"),
        ],
        SYSTEM,
    )
    return kb


def test_a_statement_with_the_readers_filter_runs(world: KnowledgeBase) -> None:
    with world.reader(ANONYMOUS) as reader:
        query = select(records.c.id).where(access.visible(ANONYMOUS), records.c.kind == "actor")
        assert {rid for (rid,) in reader.execute(query)} == {"state-kp", "fbi", "accord-curators"}
        assert len(reader.rows(query)) == 3


@pytest.mark.parametrize(
    "query",
    [
        select(records.c.id),
        select(func.count()).select_from(records),
        select(record_refs.c.target_id).join(records, records.c.id == record_refs.c.record_id),
        select(claim_facts.c.record_pk).join(records, records.c.pk == claim_facts.c.record_pk),
        select(records.c.id).where(records.c.id.in_(select(records.alias("a").c.id))),
    ],
    ids=["plain", "count", "joined", "facts", "aliased"],
)
def test_a_statement_without_a_filter_is_refused(world: KnowledgeBase, query: object) -> None:
    with world.reader(ANONYMOUS) as reader, pytest.raises(UnfilteredRead):
        reader.execute(query)  # type: ignore[arg-type]


def test_another_viewers_filter_does_not_count(world: KnowledgeBase) -> None:
    query = select(records.c.id).where(access.visible(SYSTEM))
    with world.reader(ANONYMOUS) as reader:
        with pytest.raises(UnfilteredRead):
            reader.execute(query)
        with pytest.raises(UnfilteredRead):
            reader.rows(query)


def test_an_unfiltered_alias_beside_a_filtered_table_is_refused(world: KnowledgeBase) -> None:
    other = records.alias("other")
    query = (
        select(records.c.id, other.c.body)
        .join(other, other.c.id == records.c.id)
        .where(access.visible(ANONYMOUS))
    )
    with world.reader(ANONYMOUS) as reader, pytest.raises(UnfilteredRead):
        reader.execute(query)
    filtered = query.where(access.visible(ANONYMOUS, other))
    with world.reader(ANONYMOUS) as reader:
        assert len(reader.execute(filtered).all()) == 5  # all but the AMBER actor


def test_the_analyses_read_through_the_reader(world: KnowledgeBase) -> None:
    with world.reader(ANONYMOUS) as reader:
        assert set(load.actors(reader)) == {"state-kp", "fbi", "accord-curators"}
        assert list(load.claim_columns(reader, {}).id) == ["c1"]
