"""The one door to the records for code outside the knowledge base: a viewer-bound reader.

:meth:`accord.kb.KnowledgeBase.reader` opens a :class:`Reader` for one viewer; the analyses and
the pages that build their own SQL run it through the reader, never through a connection of
their own (the engine is the knowledge base's alone, and ``tests/test_layers.py`` fails the
build when a module outside the store reaches for it). The reader refuses, before the database
sees it, any statement that reads the ``records`` table (or an alias of it) without a sharing
filter built for the reader's own viewer (:func:`accord.access.visible` and
:func:`accord.access.visible_in_scan` mark the filters they build), so a forgotten filter is a
loud error in every test instead of a quiet leak.

The check is per statement: every ``records`` table or alias the statement names outside a
sharing filter must be the subject of one of this viewer's filters somewhere in it; tables read
only through a join with a filtered ``records`` (``claim_facts`` by its ``record_pk``) are the
caller's to join.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ClauseElement, Connection, CursorResult, Select
from sqlalchemy.sql.expression import Alias, FromClause, TableClause

from accord import access
from accord.access import Viewer
from accord.errors import UnfilteredRead
from accord.store.schema import records


class Reader:
    """Reads as one viewer over one connection; every statement is checked (see the module)."""

    def __init__(self, conn: Connection, viewer: Viewer) -> None:
        self._conn = conn
        self.viewer = viewer

    @property
    def dialect_name(self) -> str:
        """The database's dialect: ``sqlite`` or ``postgresql``."""
        return self._conn.dialect.name

    def execute(
        self, statement: Select[*tuple[Any, ...]]
    ) -> CursorResult[*tuple[Any, ...]]:
        """Run a checked statement. Read-only by contract (the reader is for reads)."""
        self.check(statement)
        return self._conn.execute(statement)

    def rows(self, statement: Select[Any]) -> list[tuple[Any, ...]]:
        """Every row of a checked statement as plain tuples, straight from the driver's cursor
        (no result-row objects: the analyses read up to millions of rows). Only for statements
        whose result columns need no type conversion (text and integers)."""
        self.check(statement)
        compiled = statement.compile(
            dialect=self._conn.dialect, compile_kwargs={"render_postcompile": True}
        )
        params = compiled.construct_params()
        positions = compiled.positiontup
        cursor = self._conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if positions is None:
                cursor.execute(str(compiled), params)
            else:
                cursor.execute(str(compiled), [params[name] for name in positions])
            found: list[tuple[Any, ...]] = list(cursor.fetchall())
        finally:
            cursor.close()
        return found

    def check(self, statement: ClauseElement) -> None:
        """Raise UnfilteredRead unless every ``records`` table the statement reads carries this
        viewer's sharing filter."""
        named: set[int] = set()
        filtered: set[int] = set()
        for element in _outside_filters(statement, self.viewer, filtered):
            table = element.table if hasattr(element, "table") else element
            if isinstance(table, FromClause) and _is_records(table):
                named.add(id(table))
        if named - filtered:
            raise UnfilteredRead("a statement reads records without the reader's sharing filter")


def _is_records(table: FromClause) -> bool:
    if isinstance(table, Alias):
        return _is_records(table.element)
    return isinstance(table, TableClause) and table.name == records.name


def _outside_filters(statement: ClauseElement, viewer: Viewer, filtered: set[int]) -> Iterator[Any]:
    """Every element of the statement outside the sharing filters, depth first; records in
    ``filtered`` the tables this viewer's filters cover."""
    stack: list[Any] = [statement]
    seen: set[int] = set()
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        mark = access.filter_mark(element)
        if mark is not None:
            if mark[0] == viewer:
                filtered.add(id(mark[1]))
            continue
        yield element
        stack.extend(element.get_children())
        table = getattr(element, "table", None)
        if isinstance(table, FromClause):
            stack.append(table)
