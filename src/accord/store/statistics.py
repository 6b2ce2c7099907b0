"""Planner statistics after bulk writes (PostgreSQL).

PostgreSQL plans from per-table statistics that only ``ANALYZE`` (or autovacuum, when it runs)
refreshes. Right after a bulk load they are missing or describe a much smaller table, and the
plans of the sharing filter go wrong by orders of magnitude: one incident's claims were read by
scanning every visible claim (2.1 s instead of 1 ms at 100k claims; docs/performance.md,
"PostgreSQL"). :func:`refresh` analyses, after a write, the tables whose rows changed by more
than autovacuum's own default threshold since they were last analysed, so a deployment without
autovacuum (or a query right after an import, before autovacuum wakes up) plans with current
figures. SQLite plans without collected statistics here (its plans were tuned that way), so
nothing is done there.
"""

from __future__ import annotations

from sqlalchemy import Engine, text

#: Autovacuum's default ``autovacuum_analyze_threshold`` and ``..._scale_factor``: a table is
#: analysed when more rows than ``THRESHOLD + SCALE * rows`` changed since its last analysis.
THRESHOLD = 50
SCALE = 0.1
#: Writes of fewer records do not look for stale tables (that check is one catalogue query;
#: single edits are left to autovacuum).
BULK = 1_000

_STALE = text(
    "SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid "
    "WHERE s.schemaname = current_schema() AND (c.reltuples < 0 "
    "OR s.n_mod_since_analyze > :threshold + :scale * c.reltuples) "
    "ORDER BY s.relname"
)


def stale_tables(engine: Engine) -> list[str]:
    """PostgreSQL: the tables of the current schema never analysed, or whose changes since
    their last analysis pass the threshold (the server's counters, which may lag a committed
    transaction by a second; a later call catches up). Read-only; [] on SQLite."""
    if engine.dialect.name != "postgresql":
        return []
    params = {"threshold": THRESHOLD, "scale": SCALE}
    with engine.connect() as conn:
        return [str(name) for name in conn.execute(_STALE, params).scalars()]


#: Tables that grow by rows per record written: analysed after a bulk write that adds more
#: than the threshold to ``records`` (the server's change counters, which
#: :func:`stale_tables` reads, may not yet include a write committed a moment ago).
PER_RECORD = (
    "records",
    "revisions",
    "record_refs",
    "claim_facts",
    "record_shares",
    "record_readers",
    "audit_log",
    "stix_forms",
    "audit_members",
    "feed_origins",
)

_RECORDS_ROWS = text("SELECT reltuples FROM pg_class WHERE oid = CAST('records' AS regclass)")


def _grown(engine: Engine, written: int) -> list[str]:
    """The per-record tables, when ``written`` records pass the threshold of ``records``'
    last analysed size (or it was never analysed). Read-only."""
    with engine.connect() as conn:
        rows = float(conn.execute(_RECORDS_ROWS).scalar() or 0)
    return list(PER_RECORD) if rows < 0 or written > THRESHOLD + SCALE * rows else []


def refresh(engine: Engine, written: int) -> list[str]:
    """PostgreSQL: after committing a write of ``written`` records, ``ANALYZE`` every stale
    table (:func:`stale_tables`) outside any transaction; returns their names. Each analysed
    table costs a fixed-size sample (a few hundred milliseconds for a large table); nothing is
    done for writes of fewer than :data:`BULK` records, when no table is stale, or on
    SQLite."""
    if written < BULK:
        return []
    if engine.dialect.name != "postgresql":
        return []
    tables = sorted({*stale_tables(engine), *_grown(engine, written)})
    if not tables:
        return []
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        preparer = engine.dialect.identifier_preparer
        for name in tables:
            conn.exec_driver_sql(f"ANALYZE {preparer.quote(name)}")
    return tables
