"""Full-text search behind one interface: SQLite FTS5 or PostgreSQL tsvector, ranked.

On SQLite, ranking and the sharing filter are done in two steps so that a broad query does not
check visibility for every match: FTS5 alone picks the best-ranked window of matches (cheap,
it only reads its own index), then the visibility filter runs on that window. When the window
cannot prove the top results (too few visible ones ranked strictly above its last score), it
grows; past :data:`MAX_WINDOW` the single joined query runs instead. Results are identical to
ranking every visible match: best score first, ties by id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    case,
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
#: Windows of FTS5 candidates tried before falling back to one joined query.
FIRST_WINDOW = 200
MAX_WINDOW = 12_800


def terms_of(text: str) -> list[str]:
    """The search terms of a free-text query (words only, lower-cased, at most 12)."""
    terms = [t.lower() for t in _TERM.findall(text)][:MAX_TERMS]
    if not terms:
        raise BadRequest("the search text has no words to look for")
    return terms


def _fts_match(text: str) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    match = " ".join(f'"{t}"*' for t in terms_of(text))
    fts: ColumnElement[Any] = literal_column("records_fts")
    return fts.op("MATCH")(match), func.bm25(fts, 10.0, 1.0)


def _pg_prefix_query(text: str) -> ColumnElement[Any]:
    """PostgreSQL: every lexeme of the text as a prefix, parsed exactly as documents are
    (so "Tallinn Manual 2.0" looks for the lexeme '2.0', as indexed)."""
    lexemes = func.unnest(func.to_tsvector("simple", text)).table_valued(
        "lexeme", "positions", "weights"
    )
    prefixes = func.string_agg(func.quote_literal(lexemes.c.lexeme).concat(":*"), " & ")
    return func.to_tsquery("simple", select(prefixes).scalar_subquery())


def search_query(
    dialect: str, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> Select[Any]:
    """A ranked query of (id, score) over visible records matching every term as a prefix."""
    if dialect == "sqlite":
        matches, score = _fts_match(text)
        query = (
            select(records.c.id, score.label("score"))
            .select_from(_fts.join(records, records.c.pk == _fts.c.rowid))
            .where(matches)
            .order_by(score, records.c.id)
        )
    else:
        terms_of(text)  # rejects a query without words
        tsquery = _pg_prefix_query(text)
        vector: ColumnElement[Any] = literal_column("records.search_vector")
        # Normalisation 1 divides by 1 + log(length): a long summary that repeats a name
        # does not outrank the short record that *is* that name.
        # Weights {D, C, B, A}: the name (A) counts ten times the text (B), as on SQLite.
        # ts_rank alone can rank a long text that repeats the words above a record whose own
        # name matches; a record whose names (weight A) match every term ranks first.
        weights: ColumnElement[Any] = literal_column("'{0.01, 0.02, 0.1, 1.0}'::float4[]")
        names = func.ts_filter(vector, literal_column("'{a}'::\"char\"[]"))
        score = func.ts_rank(weights, vector, tsquery, 1) + case(
            (names.op("@@")(tsquery), 1.0), else_=0.0
        )
        query = (
            select(records.c.id, score.label("score"))
            .where(vector.op("@@")(tsquery))
            .order_by(score.desc(), records.c.id)
        )
    query = query.where(where)
    if kinds:
        query = query.where(records.c.kind.in_(list(kinds)))
    return query.limit(limit)


def _windowed(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]] | None:
    """SQLite: the top ``limit`` visible matches found via FTS5-only windows, or None when
    the windows grew past MAX_WINDOW without proving them. Read-only."""
    matches, score = _fts_match(text)
    window = max(FIRST_WINDOW, limit * 4)
    while window <= MAX_WINDOW:
        candidates = conn.execute(
            select(_fts.c.rowid, score).where(matches).order_by(score).limit(window)
        ).all()
        score_of = {pk: float(s) for pk, s in candidates}
        found: list[tuple[float, str]] = []
        if candidates:
            query = select(records.c.pk, records.c.id).where(
                records.c.pk.in_(list(score_of)), where
            )
            if kinds:
                query = query.where(records.c.kind.in_(list(kinds)))
            found = sorted((score_of[pk], str(rid)) for pk, rid in conn.execute(query))
        if len(candidates) < window:  # every match was ranked: the result is exact
            return [(rid, s) for s, rid in found[:limit]]
        boundary = float(candidates[-1][1])
        sure = [(rid, s) for s, rid in found if s < boundary]
        if len(sure) >= limit:
            return sure[:limit]
        window *= 4
    return None


def run_search(
    conn: Connection, text: str, where: ColumnElement[bool], kinds: Sequence[str], limit: int
) -> list[tuple[str, float]]:
    """Execute a search; returns (id, score) pairs best first. Read-only."""
    if conn.dialect.name == "sqlite":
        ranked = _windowed(conn, text, where, kinds, limit)
        if ranked is not None:
            return ranked
    query = search_query(conn.dialect.name, text, where, kinds, limit)
    return [(str(rid), float(score)) for rid, score in conn.execute(query)]


def index_new(conn: Connection, first_id: str) -> None:
    """Add the records this transaction just inserted, from ``first_id`` on, to the full-text
    index. Writes.

    SQLite: one INSERT ... SELECT per batch into FTS5 (a per-row insert trigger cost several
    times more; updates and deletes keep their triggers). Rows are numbered in insertion order
    and the transaction has held the write lock since it inserted ``first_id``, so every row
    from that one on is its own. PostgreSQL indexes a generated column by itself.
    """
    if conn.dialect.name != "sqlite":
        return
    first = conn.execute(select(records.c.pk).where(records.c.id == first_id)).scalar_one()
    conn.exec_driver_sql(
        "INSERT INTO records_fts(rowid, search_name, search_text) "
        "SELECT pk, search_name, search_text FROM records WHERE pk >= ?",
        (first,),
    )
