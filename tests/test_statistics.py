"""Planner statistics after a bulk write: PostgreSQL analyses the tables the write changed."""

from __future__ import annotations

import sqlalchemy as sa
from benchmarks import synthetic

from accord.access import SYSTEM
from accord.kb import KnowledgeBase
from accord.store import statistics
from tests.conftest import actor


def _reltuples(kb: KnowledgeBase, table: str) -> float:
    with kb._engine.connect() as conn:
        query = sa.text("SELECT reltuples FROM pg_class WHERE oid = CAST(:t AS regclass)")
        return float(conn.execute(query, {"t": table}).scalar_one())


def test_refresh_analyses_what_a_bulk_load_changed(kb: KnowledgeBase) -> None:
    if kb._engine.dialect.name != "postgresql":
        synthetic.build(kb, 50, seed=3)
        assert statistics.refresh(kb._engine, statistics.BULK) == []  # SQLite: nothing to do
        return
    statistics.refresh(kb._engine, statistics.BULK)  # the tables initialise() wrote
    synthetic.build(kb, 150, seed=3)
    _wait_for_counters(kb)
    assert statistics.refresh(kb._engine, statistics.BULK - 1) == []  # a small write
    analysed = statistics.refresh(kb._engine, statistics.BULK)
    assert {"records", "revisions", "record_refs", "audit_log"} <= set(analysed)
    with kb._engine.connect() as conn:
        written = conn.execute(sa.select(sa.func.count()).select_from(sa.table("records")))
        assert _reltuples(kb, "records") == written.scalar_one()
    _wait_for_counters(kb)
    assert statistics.stale_tables(kb._engine) == []  # nothing changed since


def _wait_for_counters(kb: KnowledgeBase) -> None:
    """Make the server's change counters include every committed write (they are flushed by
    each backend at most once a second)."""
    kb._engine.dispose()  # closed connections flush their counters
    with kb._engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")


def test_a_bulk_write_leaves_fresh_statistics_behind(kb: KnowledgeBase) -> None:
    if kb._engine.dialect.name != "postgresql":
        return  # SQLite plans without collected statistics
    statistics.refresh(kb._engine, statistics.BULK)  # the tables initialise() wrote
    _wait_for_counters(kb)
    kb.bulk_create([actor(f"state-{n}", f"State {n}") for n in range(1_200)], SYSTEM)
    with kb._engine.connect() as conn:
        written = conn.execute(sa.select(sa.func.count()).select_from(sa.table("records")))
        count = written.scalar_one()
    assert _reltuples(kb, "records") > count / 2  # not the empty table of before the load
