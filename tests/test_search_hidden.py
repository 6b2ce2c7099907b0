"""Property test: search answers (ids, order and relevance) do not depend on hidden records.

For random worlds of two organisations' records at every marking, each search of a reader of
organisation B returns exactly the same answer before and after every record B may not see is
physically deleted (rows, links and full-text index entries). Ranked on corpus statistics
(BM25), the scores moved with the number of hidden matches.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord import accounts
from accord.access import Viewer
from accord.domain.records import PAYLOADS, Record, Source
from accord.domain.vocab import Kind, Marking, Sector, Status, UserRole
from accord.kb import KnowledgeBase
from accord.store import rows, search
from accord.store.schema import (
    audit_log,
    claim_facts,
    record_readers,
    record_refs,
    record_shares,
    records,
    revisions,
)

EXAMPLES = int(os.environ.get("ACCORD_PROPERTY_EXAMPLES", "20"))
ORGS = ("org-a", "org-b")
WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
SOURCE = Source.model_validate({"title": "t", "publisher": "p", "url": "https://example.org/"})
#: Words sharing prefixes, so that one query term matches several different words.
WORDS = ["wannacry", "wanderer", "ransomware", "ransom", "rally", "korea", "kora", "ministry"]
QUERIES = ["wanna", "ransom", "ra", "ko", "wan ra", "korea ministry", "w r k", "ministry"]

#: One generated record: id, kind, payload, envelope (owner, marking, status, shares, named_b).
Entry = tuple[str, Kind, dict[str, Any], dict[str, Any]]
Answers = dict[tuple[str, str, int], list[tuple[str, float]]]

words = st.lists(st.sampled_from(WORDS), max_size=5).map(" ".join)
envelopes = st.fixed_dictionaries(
    {
        "owner": st.sampled_from(ORGS),
        "marking": st.sampled_from(list(Marking)),
        "status": st.sampled_from([Status.PUBLISHED, Status.PUBLISHED, Status.DRAFT]),
        "shares": st.sets(st.sampled_from(ORGS), max_size=1).map(lambda s: tuple(sorted(s))),
        "named_b": st.booleans(),
    }
)


@st.composite
def worlds(draw: st.DrawFn) -> list[Entry]:
    """Actors and incidents with names and texts from :data:`WORDS`, and claims about them."""
    world: list[Entry] = []
    actors = [f"actor-{i}" for i in range(draw(st.integers(1, 6)))]
    for rid in actors:
        name = draw(words.filter(bool))
        data: dict[str, Any] = {"name": name, "kind": "state", "description": draw(words)}
        world.append((rid, Kind.ACTOR, data, draw(envelopes)))
    incidents = [f"incident-{i}" for i in range(draw(st.integers(1, 6)))]
    for rid in incidents:
        data = {
            "name": draw(words.filter(bool)),
            "start": "2017",
            "effects": ["espionage"],
            "description": draw(words),
        }
        world.append((rid, Kind.INCIDENT, data, draw(envelopes)))
    for i in range(draw(st.integers(0, 5))):
        data = {
            "claimant": draw(st.sampled_from(actors)),
            "incident": draw(st.sampled_from(incidents)),
            "accused": draw(st.sampled_from(actors)),
            "stance": "attributes",
            "kind": "official_statement",
            "date": "2018",
            "summary": draw(words),
        }
        world.append((f"claim-{i}", Kind.CLAIM, data, draw(envelopes)))
    return world


def _store(
    kb: KnowledgeBase,
    world: list[Entry],
    reader_b: str,
) -> None:
    """Replace every record but the organisations' with the world's (one transaction)."""
    built = [
        Record(
            id=rid,
            kind=kind,
            marking=env["marking"],
            owner=str(env["owner"]),
            status=env["status"],
            revision=1,
            created_at=WHEN,
            updated_at=WHEN,
            sources=(SOURCE,),
            shares=env["shares"],
            readers=(reader_b,) if env["named_b"] and env["marking"] is Marking.RED else (),
            data=PAYLOADS[kind].model_validate(data),
        )
        for rid, kind, data, env in world
    ]
    with kb._engine.begin() as conn:
        kept = (*ORGS, "accord-curators")
        _delete(conn, sa.select(records.c.id).where(records.c.id.not_in(kept)))
        rows.insert_records(conn, built, None)


def _delete(conn: sa.Connection, ids: sa.Select[tuple[str]]) -> None:
    """Physically delete records with their links, history and full-text entries (SQL)."""
    doomed = [str(rid) for rid in conn.execute(ids).scalars()]
    for chunk in (doomed[i : i + 500] for i in range(0, len(doomed), 500)):
        pks = sa.select(records.c.pk).where(records.c.id.in_(chunk))
        conn.execute(sa.delete(claim_facts).where(claim_facts.c.record_pk.in_(pks)))
        for table in (record_readers, record_shares, record_refs, revisions, audit_log):
            conn.execute(sa.delete(table).where(table.c.record_id.in_(chunk)))
        conn.execute(sa.delete(record_refs).where(record_refs.c.target_id.in_(chunk)))
        # On SQLite the delete trigger removes the records' entries from the FTS5 index.
        conn.execute(sa.delete(records).where(records.c.id.in_(chunk)))


def _answers(kb: KnowledgeBase, viewer: Viewer) -> Answers:
    """Every query's hits, with and without a kinds filter, at several limits."""
    out: Answers = {}
    for text in QUERIES:
        for kinds in ((), (Kind.INCIDENT, Kind.CLAIM)):
            for limit in (2, 50):
                hits = kb.search(text, viewer, kinds=kinds, limit=limit)
                out[(text, ",".join(kinds), limit)] = [(h.record.id, h.score) for h in hits]
    return out


@pytest.mark.parametrize("window", [search.FIRST_WINDOW, 1])
def test_search_answers_ignore_records_the_reader_cannot_see(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(search, "FIRST_WINDOW", window)  # 1: windows grow, fallbacks run
    monkeypatch.setattr(search, "MAX_WINDOW", max(window, 4) * 4)
    for org in ORGS:
        accounts.create_org(kb, org.upper(), Sector.GOVERNMENT, org_id=org)
    reader = accounts.create_user(kb, "reader@org-b.example", "org-b", UserRole.READER)
    viewer = accounts.find_user(kb, "reader@org-b.example").viewer

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(worlds())
    def check(world: list[Entry]) -> None:
        _store(kb, world, reader.id)
        before = _answers(kb, viewer)
        visible = set(kb.get_many([rid for rid, *_ in world], viewer))
        with kb._engine.begin() as conn:
            everyone = sa.select(records.c.id).where(records.c.id.in_([r for r, *_ in world]))
            _delete(conn, everyone.where(records.c.id.not_in(visible)))
        assert _answers(kb, viewer) == before
        assert all(0.0 <= score <= 1.0 for hits in before.values() for _, score in hits)

    check()
