"""Copy a built benchmark world from a SQLite file into an empty PostgreSQL database.

Usage::

    .venv/bin/python -m benchmarks.copy_world /tmp/accord-analysis-v4-1000000.db \
        postgresql+psycopg://postgres@127.0.0.1:5432/NAME

Writing the 1M-claim world through ``bulk_create`` on PostgreSQL took over an hour on the
shared VM (about 270 records/s); built once on SQLite (faster there) it is copied here with
``COPY``, table by table, at the same schema revision (both databases are brought to the
newest migration first). The copy is the same data, row for row: the same ids, keys, revision
snapshots and audit chain; PostgreSQL computes its own generated columns (``search_vector``).
Foreign keys and triggers are not checked during the copy (``session_replication_role =
replica``, which needs a superuser): the source was written through the checked write path.
Afterwards the sequences continue after the copied keys and ``VACUUM ANALYZE`` gives the
planner its statistics. The target must hold no claims (what ``initialise`` writes is
replaced). Measurement tooling only.
"""

from __future__ import annotations

import sqlite3
import sys
import time

import psycopg
from sqlalchemy.engine import make_url

from accord.kb import KnowledgeBase

BATCH = 20_000


def copy_world(source: str, target: str) -> dict[str, int]:
    """Copy every table of the target's schema from the SQLite file; returns rows per table."""
    for path in (source, target):
        kb = KnowledgeBase(path)
        kb.initialise()  # the same schema revision on both sides
        kb.close()
    url = make_url(target).set(drivername="postgresql")
    copied: dict[str, int] = {}
    lite = sqlite3.connect(source)
    with psycopg.connect(url.render_as_string(hide_password=False)) as pg:
        pg.execute("SET session_replication_role = replica")
        pg.execute("SET TIME ZONE 'UTC'")  # SQLite holds UTC times without an offset
        tables = [
            str(name)
            for (name,) in pg.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tablename <> 'alembic_version' ORDER BY tablename"
            )
        ]
        if pg.execute("SELECT 1 FROM records WHERE kind = 'claim' LIMIT 1").fetchone():
            raise SystemExit("the target already holds claims: give an empty database")
        pg.execute(f"TRUNCATE {', '.join(tables)}")
        for table in tables:
            copied[table] = _copy_table(lite, pg, table)
        for table, column in pg.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_default LIKE 'nextval%%'"
        ).fetchall():
            pg.execute(
                f'SELECT setval(pg_get_serial_sequence(%s, %s), coalesce(max("{column}"), 0) + 1, '
                f'false) FROM "{table}"',
                (table, column),
            )
        pg.commit()
        pg.autocommit = True
        pg.execute("VACUUM ANALYZE")
    lite.close()
    return copied


def _copy_table(lite: sqlite3.Connection, pg: psycopg.Connection, table: str) -> int:
    """COPY one table's rows (the columns both sides have, PostgreSQL's generated ones left
    out); returns how many."""
    wanted = [
        str(name)
        for (name,) in pg.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = %s AND is_generated = 'NEVER' "
            "ORDER BY ordinal_position",
            (table,),
        )
    ]
    present = {row[1] for row in lite.execute(f'PRAGMA table_info("{table}")')}
    columns = [name for name in wanted if name in present]
    if not columns:
        return 0
    names = ", ".join(f'"{name}"' for name in columns)
    rows = lite.execute(f'SELECT {names} FROM "{table}"')
    count = 0
    with pg.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        while batch := rows.fetchmany(BATCH):
            for row in batch:
                copy.write_row(row)
            count += len(batch)
    return count


def main(argv: list[str]) -> None:
    """Copy and print the rows per table and the time taken."""
    source, target = argv
    started = time.perf_counter()
    copied = copy_world(source, target)
    for table, count in copied.items():
        if count:
            print(f"  {table:<28} {count:>10,} rows")
    print(f"copied {sum(copied.values()):,} rows in {time.perf_counter() - started:,.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
