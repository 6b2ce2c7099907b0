"""Database URLs and engines: SQLite (WAL, foreign keys, busy timeout, memory-mapped reads) or
PostgreSQL."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from accord.errors import BadRequest

DEFAULT_SQLITE_FILE = "accord.db"
#: Bytes of a SQLite file read through a memory map instead of ``read()`` calls into SQLite's
#: small page cache: large scans (the analyses of a million claims) look up rows all over the
#: file, and each miss was a system call and a page copy. 2 GiB is the most the usual SQLite
#: builds allow (the rest of a larger file is read as before). Writes are unaffected: SQLite
#: maps the file read-only, so the map cannot corrupt it, though a disk error while reading a
#: mapped page stops the process instead of raising an error.
SQLITE_MMAP_BYTES = 2**31
ENV_DATABASE_URL = "ACCORD_DATABASE_URL"
#: Session settings of every PostgreSQL connection (docs/performance.md, "PostgreSQL"); a
#: setting given in the URL's ``options`` comes after these and wins.
#: ``jit=off``: the sharing filter's nested subqueries make the planner's cost estimates of a
#: scan over one kind large enough to trigger JIT compilation with inlining and optimisation,
#: which took 2.6-3 s per query at 100k claims for queries that run in well under one second.
#: ``work_mem``: the analyses sort and hash every visible claim in one query; at the default
#: 4 MB those spilled to disk from 100k claims on.
POSTGRESQL_SETTINGS = ("jit=off", "work_mem=64MB")


def resolve_url(url: str | None) -> str:
    """The database URL to use: the argument, else ``ACCORD_DATABASE_URL``, else ./accord.db.

    A bare file path is taken as a SQLite file; ``postgresql://`` URLs use psycopg 3.
    """
    chosen = url or os.environ.get(ENV_DATABASE_URL) or DEFAULT_SQLITE_FILE
    if "://" not in chosen:
        return f"sqlite:///{Path(chosen).expanduser()}"
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def make_engine(url: str | None) -> Engine:
    """Create an engine for the resolved URL; SQLite gets WAL, foreign keys and a busy timeout."""
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError as exc:
        raise BadRequest(f"not a database URL: {url}") from exc
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"timeout": 30}
        if parsed.database in (None, "", ":memory:"):
            from sqlalchemy.pool import StaticPool

            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"]["check_same_thread"] = False
    elif parsed.get_backend_name() == "postgresql":
        kwargs["pool_pre_ping"] = True
        settings = " ".join(f"-c {setting}" for setting in POSTGRESQL_SETTINGS)
        given = parsed.query.get("options")
        if isinstance(given, str):
            settings = f"{settings} {given}"
            parsed = parsed.difference_update_query(["options"])
        kwargs["connect_args"] = {"options": settings}
    else:
        raise BadRequest(
            f"unsupported database: {parsed.get_backend_name()} (use SQLite or PostgreSQL)"
        )
    engine = create_engine(parsed, **kwargs)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"
