"""``claim_facts`` (the typed claim columns the analyses read) stays in step with the records,
the migration that adds it back-fills it, and the migrations create exactly ``schema.py``."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accord import access
from accord.access import SYSTEM
from accord.analysis import load
from accord.domain.vocab import Marking
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import claim_facts, metadata, records
from tests.test_analysis_world import actor, claim, incident, record


def _world(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-ru"),
            actor("ncsc", kind="government_body"),
            actor("apt28", kind="threat_group"),
            incident("notpetya", start="2017-06-27"),
            claim("c1", "ncsc", "notpetya", "state-ru", confidence=90, evidence="technical"),
            claim("c2", "ncsc", "notpetya", "apt28", kind="technical_report", joint_group="j1"),
            record(
                "c3",
                "claim",
                claimant="ncsc",
                subject="apt28",
                accused="state-ru",
                stance="attributes",
                kind="official_statement",
                date="2018-10",
            ),
        ],
        SYSTEM,
    )


def _facts(kb: KnowledgeBase) -> dict[str, dict[str, Any]]:
    """Every claim_facts row, by the id of its record; the ``<ref>_pk`` columns as the id of the
    record at that pk."""
    query = sa.select(records.c.id, claim_facts).join(
        claim_facts, claim_facts.c.record_pk == records.c.pk
    )
    with kb._engine.connect() as conn:
        ids = {pk: rid for pk, rid in conn.execute(sa.select(records.c.pk, records.c.id))}
        return {
            row.id: {
                k: ids.get(v) if k.endswith("_pk") else v
                for k, v in row._mapping.items()
                if k not in ("id", "record_pk")
            }
            for row in conn.execute(query)
        }


def test_claim_facts_hold_each_claims_payload_fields(kb: KnowledgeBase) -> None:
    _world(kb)
    facts = _facts(kb)
    assert sorted(facts) == ["c1", "c2", "c3"]  # claims only
    assert facts["c1"] == {
        "claimant": "ncsc",
        "incident": "notpetya",
        "subject": None,
        "accused": "state-ru",
        "stance": "attributes",
        "kind": "official_statement",
        "date": "2017-12-19",
        "confidence": 90,
        "evidence": "technical",
        "joint_group": None,
        "withdrawn": None,
        "claimant_pk": "ncsc",
        "incident_pk": "notpetya",
        "subject_pk": None,
        "accused_pk": "state-ru",
        "weighing": "attributes official_statement technical 90",
        "level": None,
    }
    assert (facts["c2"]["joint_group"], facts["c2"]["evidence"]) == ("j1", "none")
    assert (facts["c3"]["incident"], facts["c3"]["subject"], facts["c3"]["date"]) == (
        None,
        "apt28",
        "2018-10",
    )
    assert (facts["c3"]["incident_pk"], facts["c3"]["subject_pk"]) == (None, "apt28")


def test_claim_facts_follow_update_upsert_and_remarking(kb: KnowledgeBase) -> None:
    _world(kb)
    kb.update("c1", SYSTEM, data={"withdrawn": "2019-03", "confidence": None})
    changed = claim("c2", "ncsc", "notpetya", "apt28", stance="disputes", evidence="summary")
    result = kb.bulk_create([changed], SYSTEM, upsert=True)
    assert result.updated == ["c2"]
    kb.set_marking("c3", SYSTEM, Marking.GREEN)
    facts = _facts(kb)
    assert (facts["c1"]["withdrawn"], facts["c1"]["confidence"]) == ("2019-03", None)
    assert facts["c1"]["weighing"] == "attributes official_statement technical "
    assert facts["c2"]["weighing"] == "disputes official_statement summary "
    assert (facts["c2"]["stance"], facts["c2"]["evidence"], facts["c2"]["joint_group"]) == (
        "disputes",
        "summary",
        None,
    )
    assert facts["c3"]["subject"] == "apt28"
    with kb._engine.connect() as conn:
        count = conn.execute(sa.select(sa.func.count()).select_from(claim_facts)).scalar_one()
    assert count == 3  # rewritten in place, never duplicated


def test_loaded_claims_read_the_facts_of_the_current_revision(kb: KnowledgeBase) -> None:
    _world(kb)
    kb.update("c2", SYSTEM, data={"confidence": 40, "date": "2017-07"})
    with kb.reader(SYSTEM) as reader:
        rows = {c.id: c for c in load.claims(reader)}
        links = load.subject_claims(reader)
    assert (rows["c2"].confidence, rows["c2"].date, rows["c2"].joint_group) == (40, "2017-07", "j1")
    assert [(c.id, c.subject, c.accused) for c in links] == [("c3", "apt28", "state-ru")]


def test_migration_back_fills_claim_facts_from_stored_claims(kb: KnowledgeBase) -> None:
    _world(kb)
    kb.update("c1", SYSTEM, data={"withdrawn": "2019"})
    before = _facts(kb)
    config = migrate._config()
    with kb._engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
        assert not sa.inspect(conn).has_table("claim_facts")
    migrate.upgrade(kb._engine)
    assert before["c1"]["withdrawn"] == "2019"
    assert _facts(kb) == before


def _not_in_metadata(obj: Any, name: str | None, kind: str, reflected: bool, _: Any) -> bool:
    """The full-text search objects are created by the migrations outside ``schema.py``."""
    search = ("records_fts", "search_vector", "ix_records_search")
    return not (reflected and name is not None and name.startswith(search))


def test_migrations_create_exactly_the_schema_module(kb: KnowledgeBase) -> None:
    with kb._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _not_in_metadata})
        assert compare_metadata(context, metadata) == []


def test_sqlite_reads_the_ends_of_a_claim_through_the_id_access_index(kb: KnowledgeBase) -> None:
    if kb._engine.dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's")
    _world(kb)
    query = sa.select(records.c.id).where(records.c.kind == "claim", access.visible(SYSTEM))
    with kb._engine.connect() as conn:
        sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
        details = [row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    ends = [d for d in details if d.startswith("SEARCH target_")]
    assert ends, details
    assert all("ix_records_id_access" in d for d in ends), details
