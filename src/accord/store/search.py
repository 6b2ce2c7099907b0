"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL tsvector, ranked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
)

from accord.errors import BadRequest
from accord.store.schema import records

_fts = table("records_fts", column("rowid"))
_TERM = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 12


def terms_of(text: str) -> list[str]:
    """The search terms of a free-text query (words only, lower-cased, at most 12)."""
    terms = [t.lower() for t in _TERM.findall(text)][:MAX_TERMS]
    if not terms:
        raise BadRequest("the search text has no words to look for")
    return terms


def search_query(
    dialect: str, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> Select[Any]:
    """A ranked query of (id, score) over records matching every term as a prefix."""
    terms = terms_of(text)
    if dialect == "sqlite":
        match = " ".join(f'"{t}"*' for t in terms)
        score = func.bm25(literal_column("records_fts"), 10.0, 1.0)
        query = (
            select(records.c.id, score.label("score"))
            .select_from(_fts.join(records, records.c.pk == _fts.c.rowid))
            .where(literal_column("records_fts").op("MATCH")(match))
            .order_by(score, records.c.id)
        )
    else:
        tsquery = func.to_tsquery("simple", " & ".join(f"{t}:*" for t in terms))
        vector: ColumnElement[Any] = literal_column("records.search_vector")
        score = func.ts_rank(vector, tsquery)
        query = (
            select(records.c.id, score.label("score"))
            .where(vector.op("@@")(tsquery))
            .order_by(score.desc(), records.c.id)
        )
    query = query.where(where)
    if kinds:
        query = query.where(records.c.kind.in_(list(kinds)))
    return query.limit(limit)


def run_search(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """Execute a search; returns (id, score) pairs best first. Read-only."""
    query = search_query(conn.dialect.name, text, where, kinds, limit)
    return [(str(rid), float(score)) for rid, score in conn.execute(query)]
