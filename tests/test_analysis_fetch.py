"""Reading large results as columns: the same values, in key order, on both databases."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from accord.access import SYSTEM
from accord.analysis import fetch
from accord.kb import KnowledgeBase
from accord.reader import Reader

_scratch = sa.MetaData()
sample = sa.Table(
    "fetch_sample",
    _scratch,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("label", sa.String(40), nullable=True),
    sa.Column("code", sa.String(40), nullable=True),
)
# Texts a naive split would break: separators, quotes, brackets, escapes, non-ASCII, NULL.
LABELS = ["plain", "a,b", 'say "no"', "[x]", "back\\slash", "Zürich 東京", None, ""]


@pytest.fixture
def table(kb: KnowledgeBase) -> Iterator[sa.Table]:
    _scratch.create_all(kb._engine)
    try:
        yield sample
    finally:
        _scratch.drop_all(kb._engine)


def _fill(kb: KnowledgeBase, count: int) -> list[tuple[Any, ...]]:
    """``count`` rows inserted in an order other than their keys'; returns them by key."""
    written = [
        (f"k{(n * 7919) % 1000:04d}-{n}", n * (-1) ** n, LABELS[n % len(LABELS)], f"c {n}")
        for n in range(count)
    ]
    with kb._engine.begin() as conn:
        if written:
            conn.execute(
                sa.insert(sample),
                [dict(zip(("key", "number", "label", "code"), r, strict=True)) for r in written],
            )
    return sorted(written)


@contextmanager
def _value_limit(conn: sa.Connection, length: int | None) -> Iterator[None]:
    """SQLite's longest string or blob on this connection set to ``length`` (None: as it is),
    so that a few rows already pass it; restored afterwards (the connection is pooled)."""
    if length is None or conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    assert isinstance(raw, sqlite3.Connection)
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, length)
    try:
        yield
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, before)


@pytest.mark.parametrize("limit", [None, 40], ids=["one query", "in chunks"])
@pytest.mark.parametrize("count", [0, 1, 3, 7, 9])
def test_columns_hold_every_row_in_key_order(
    kb: KnowledgeBase,
    table: sa.Table,
    count: int,
    limit: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fetch, "CHUNK", 3)  # 7 and 9 rows: several chunks, a full last one
    queries: list[str] = []
    real_rows = Reader.rows

    def counted(reader: Reader, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
        queries.append(str(query))
        return real_rows(reader, query)

    monkeypatch.setattr(Reader, "rows", counted)
    expected = _fill(kb, count)
    query = sa.select(table.c.key, table.c.number, table.c.label, table.c.code)
    with kb._engine.connect() as conn, _value_limit(conn, limit):
        keys, numbers, labels, codes = fetch.columns(
            Reader(conn, SYSTEM), query.where(table.c.key != ""), "witw"
        )
    assert keys == tuple(r[0] for r in expected)
    assert isinstance(numbers, np.ndarray)
    assert numbers.dtype == np.int64
    assert numbers.tolist() == [r[1] for r in expected]
    assert labels == tuple(r[2] for r in expected)
    assert codes == tuple(r[3] for r in expected)
    if kb._engine.dialect.name == "sqlite":
        # Seven keys joined take 55 characters: past a limit of 40 the query is retried in
        # chunks of three rows (for nine rows, three full chunks and one that finds none).
        chunked = limit is not None and count > 3
        assert len(queries) == (1 + math.ceil((count + 1) / 3) if chunked else 1)
        assert all("LIMIT" in q for q in queries[1:])


def test_columns_keep_the_callers_filter(kb: KnowledgeBase, table: sa.Table) -> None:
    expected = [r for r in _fill(kb, 20) if r[1] > 0]
    query = sa.select(table.c.key, table.c.number).where(table.c.number > 0)
    with kb._engine.connect() as conn:
        keys, numbers = fetch.columns(Reader(conn, SYSTEM), query, "wi")
    assert keys == tuple(r[0] for r in expected)
    assert numbers.tolist() == [r[1] for r in expected]


def test_a_chunk_joined_out_of_order_is_put_back_in_key_order(
    kb: KnowledgeBase, table: sa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kb._engine.dialect.name != "sqlite":
        pytest.skip("only SQLite joins chunks")
    expected = _fill(kb, 5)
    real_rows = Reader.rows

    def reversed_join(reader: Reader, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
        (joined,) = real_rows(reader, query)
        return [tuple(",".join(text.split(",")[::-1]) for text in joined)]

    monkeypatch.setattr(Reader, "rows", reversed_join)
    query = sa.select(table.c.key, table.c.number)
    with kb._engine.connect() as conn:
        keys, numbers = fetch.columns(Reader(conn, SYSTEM), query, "wi")
    assert keys == tuple(r[0] for r in expected)
    assert numbers.tolist() == [r[1] for r in expected]


def test_a_null_read_as_a_word_is_refused(kb: KnowledgeBase, table: sa.Table) -> None:
    _fill(kb, 3)
    with kb._engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.number == 2).values(code=None))
    query = sa.select(table.c.key, table.c.code)
    with kb._engine.connect() as conn:
        if kb._engine.dialect.name == "sqlite":
            with pytest.raises(ValueError, match="NULL"):
                fetch.columns(Reader(conn, SYSTEM), query, "ww")
        assert None in fetch.columns(Reader(conn, SYSTEM), query, "wt")[1]


def test_forms_must_name_each_column(kb: KnowledgeBase, table: sa.Table) -> None:
    query = sa.select(table.c.key, table.c.number)
    with kb._engine.connect() as conn, pytest.raises(ValueError, match="per selected column"):
        fetch.columns(Reader(conn, SYSTEM), query, "w")
