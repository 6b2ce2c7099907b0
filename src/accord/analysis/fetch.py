"""Read large query results into Python quickly: as plain rows, or as columns.

At a million rows the cost of a scan is mostly Python's: one tuple and one object per value.
:meth:`accord.reader.Reader.rows` skips SQLAlchemy's row objects; :func:`columns` goes further
on SQLite and has the database join each column into one text (integers separated by commas,
texts as a JSON array), which numpy and orjson split at C speed; PostgreSQL does the same
with ``string_agg`` and ``json_agg`` over the query ordered by its key. Both only read, through the
caller's reader: the queries are the caller's, and the reader refuses one without its sharing
filter.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import ColumnElement, Select, Text, cast, func, literal, select

from accord.reader import Reader

Ints = npt.NDArray[np.int64]
Column = Ints | tuple[Any, ...]

#: Rows joined per query on SQLite when a whole column's text would pass SQLite's value limit
#: (1 GB by default: tens of millions of rows).
CHUNK = 250_000


#: How :func:`columns` carries each selected column: an integer (never NULL), a word (text
#: that never holds a comma and is never NULL: ids, codes, dates) or any text (NULL allowed).
INT, WORD, TEXT = "i", "w", "t"


@dataclass(frozen=True)
class Spec:
    """One column to read: its name, the SQL that computes it, and how it travels (:data:`INT`,
    :data:`WORD` or :data:`TEXT`). A reader's columns are named once, in a tuple of these."""

    name: str
    sql: ColumnElement[Any]
    form: str


def forms_of(specs: Sequence[Spec]) -> str:
    """The ``forms`` argument of :func:`columns` for a select of these columns, in order."""
    return "".join(spec.form for spec in specs)


def columns(reader: Reader, query: Select[Any], forms: str) -> list[Column]:
    """The result of ``query`` as one sequence per selected column: a numpy array for an
    :data:`INT` column, a tuple for a :data:`WORD` or :data:`TEXT` one (``forms`` holds one
    letter per selected column).

    ``query`` must not be ordered: its first column is a unique text key (such as
    ``records.id``), and the result comes in that key's order.
    """
    key = query.selected_columns[0]
    if len(forms) != len(query.selected_columns) or set(forms) - {INT, WORD, TEXT}:
        raise ValueError(f"one of {INT}, {WORD}, {TEXT} per selected column, not {forms!r}")
    if reader.dialect_name == "postgresql":
        # The same joined texts, built by PostgreSQL: a few values to transfer and split
        # instead of one Python tuple and object per row and column (docs/performance.md).
        whole = _joined(reader, query, forms)
        return whole if whole is not None else [_split(None, form) for form in forms]
    if reader.dialect_name != "sqlite":
        found = reader.rows(query.order_by(key))
        return [_column([row[n] for row in found], form) for n, form in enumerate(forms)]
    try:
        # One aggregate over the unordered query: SQLite flattens it into the scan itself (an
        # ordered subquery would be materialised first; docs/performance.md has the cost).
        whole = _joined(reader, query, forms)
    except sqlite3.DataError:  # "string or blob too big": a column passed the value limit
        return _in_chunks(reader, query, forms)
    return whole if whole is not None else [_split(None, form) for form in forms]


def _in_chunks(reader: Reader, query: Select[Any], forms: str) -> list[Column]:
    """:func:`columns` for SQLite, :data:`CHUNK` rows a query in key order."""
    key = query.selected_columns[0]
    parts: list[list[Column]] = []
    last: str | None = None
    while True:
        chunk = query if last is None else query.where(key > last)
        part = _joined(reader, chunk.order_by(key).limit(CHUNK), forms)
        if part is None:
            break
        parts.append(part)
        keys = part[0]
        if len(keys) < CHUNK:
            break
        last = keys[-1]
    return [_concat([part[n] for part in parts], form) for n, form in enumerate(forms)]


_JOIN = {INT: func.group_concat, WORD: func.group_concat, TEXT: func.json_group_array}


def _joined(reader: Reader, query: Select[Any], forms: str) -> list[Column] | None:
    """The rows of ``query`` (None when empty), each column joined into one text by the
    database and split again here, in the key's order."""
    if reader.dialect_name == "postgresql":
        # From an ordered subquery, which PostgreSQL aggregates in its order (checked below):
        # an ORDER BY inside each aggregate would sort the rows once per column.
        sub = query.order_by(query.selected_columns[0]).subquery()
        aggregated = select(
            *(_pg_joined(form, column) for form, column in zip(forms, sub.c, strict=True))
        )
    else:
        sub = query.subquery()
        aggregated = select(
            *(_JOIN[form](column) for form, column in zip(forms, sub.c, strict=True))
        )
    (joined,) = reader.rows(aggregated)
    if joined[0] is None or (forms[0] == TEXT and joined[0] == "[]"):
        return None
    out = [_split(text, form) for text, form in zip(joined, forms, strict=True)]
    if any(len(column) != len(out[0]) for column in out):  # a NULL in an INT or WORD column
        raise ValueError("a column read as INT or WORD held a NULL")
    # SQLite 3.40 has no ORDER BY inside an aggregate; it joins rows in the order its scan
    # yields them (the key's index order, or an ordered subquery's), but that is not a
    # documented promise, so check it (cheap on sorted input).
    keys = list(out[0])
    if keys != sorted(keys):
        order = sorted(range(len(keys)), key=keys.__getitem__)
        out = [c[order] if isinstance(c, np.ndarray) else tuple(c[i] for i in order) for c in out]
    return out


def _pg_joined(form: str, column: Any) -> ColumnElement[Any]:
    """PostgreSQL's form of :data:`_JOIN`: the column joined into one text."""
    if form == TEXT:
        return cast(func.json_agg(column), Text)
    return func.string_agg(cast(column, Text), literal(","))


def _split(text: str | None, form: str) -> Column:
    if text is None:  # group_concat over nothing but NULLs
        return np.array([], dtype=np.int64) if form == INT else ()
    if form == INT:
        return np.fromstring(text, dtype=np.int64, sep=",")
    return tuple(text.split(",")) if form == WORD else tuple(orjson.loads(text))


def _column(values: Sequence[Any], form: str) -> Column:
    return np.array(values, dtype=np.int64) if form == INT else tuple(values)


def _concat(parts: Sequence[Column], form: str) -> Column:
    if form != INT:
        return tuple(itertools.chain.from_iterable(parts))
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)
