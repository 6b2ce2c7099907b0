"""Read large query results into Python quickly: as plain rows, or as columns.

At a million rows the cost of a scan is mostly Python's: one tuple and one object per value.
:func:`rows` skips SQLAlchemy's row objects; :func:`columns` goes further on SQLite and has the
database join each column of a few hundred thousand rows into one text (integers separated by
commas, texts as a JSON array), which numpy and orjson split at C speed. Both only read: the
queries they run are the caller's, sharing filter included.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import Connection, Select, func, select

Ints = npt.NDArray[np.int64]
Column = Ints | tuple[Any, ...]

#: Rows joined per query on SQLite: a column's text stays far below SQLite's 1 GB value limit.
CHUNK = 250_000


def rows(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """All rows of ``query`` as plain tuples, straight from the driver's cursor. Only for
    queries whose result columns need no type conversion (text and integers)."""
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    positions = compiled.positiontup
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if positions is None:
            cursor.execute(str(compiled), params)
        else:
            cursor.execute(str(compiled), [params[name] for name in positions])
        found: list[tuple[Any, ...]] = list(cursor.fetchall())
    finally:
        cursor.close()
    return found


def columns(conn: Connection, query: Select[Any], ints: Sequence[int]) -> list[Column]:
    """The result of ``query`` as one sequence per selected column: a numpy array for the
    positions in ``ints`` (integer columns without NULLs), a tuple otherwise (text or NULL).

    ``query`` must not be ordered: its first column is a unique text key (such as
    ``records.id``), and the result comes in that key's order.
    """
    key = query.selected_columns[0]
    width = len(query.selected_columns)
    if conn.dialect.name != "sqlite":
        found = rows(conn, query.order_by(key))
        return [_column([row[n] for row in found], n in ints) for n in range(width)]
    parts: list[list[Column]] = []
    last: str | None = None
    while True:
        chunk = query if last is None else query.where(key > last)
        part = _joined(conn, chunk.order_by(key).limit(CHUNK), ints)
        if part is None:
            break
        parts.append(part)
        keys = part[0]
        if len(keys) < CHUNK:
            break
        last = keys[-1]
    return [_concat([part[n] for part in parts], n in ints) for n in range(width)]


def _joined(conn: Connection, query: Select[Any], ints: Sequence[int]) -> list[Column] | None:
    """One chunk of rows (None when empty), each column joined into one text by SQLite and
    split again here, in the key's order."""
    sub = query.subquery()
    aggregated = select(
        *(
            func.group_concat(column) if n in ints else func.json_group_array(column)
            for n, column in enumerate(sub.c)
        )
    )
    (joined,) = rows(conn, aggregated)
    if joined[0] in (None, "[]"):
        return None
    out: list[Column] = [
        np.fromstring(text, dtype=np.int64, sep=",") if n in ints else tuple(orjson.loads(text))
        for n, text in enumerate(joined)
    ]
    # SQLite 3.40 has no ORDER BY inside an aggregate; it joins the ordered subquery's rows in
    # order, but that is not a documented promise, so check it (cheap on sorted input).
    keys = list(out[0])
    if keys != sorted(keys):
        order = sorted(range(len(keys)), key=keys.__getitem__)
        out = [c[order] if isinstance(c, np.ndarray) else tuple(c[i] for i in order) for c in out]
    return out


def _column(values: Sequence[Any], numeric: bool) -> Column:
    return np.array(values, dtype=np.int64) if numeric else tuple(values)


def _concat(parts: Sequence[Column], numeric: bool) -> Column:
    if not numeric:
        return tuple(itertools.chain.from_iterable(parts))
    return np.concatenate(parts) if parts else np.array([], dtype=np.int64)
