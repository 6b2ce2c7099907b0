"""What pass 1 of a STIX import learns about a bundle, kept in a temporary SQLite file.

A bundle can hold millions of objects; pass 2 needs, for every object, whether it was seen
before with other content, what it becomes (its plan), the record ids of the objects it points
to, the attributions an opinion answers and an actor's country. Kept in Python dictionaries
that cost several hundred bytes an object (about 2 GB for a 1 GB bundle); kept here, memory
stays flat (SQLite's page cache) whatever the size. Writes go in batches; pass 2 asks for a
whole chunk of objects at a time.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from accord.domain.vocab import RELATIONSHIP_KINDS, Kind
from accord.interop.stix_convert import Plan

_FLUSH = 5_000
_CHUNK = 900  # ids per IN (...): under SQLite's historical limit of 999 bound parameters
_SCHEMA = (
    "CREATE TABLE seen (sid TEXT PRIMARY KEY, position INTEGER NOT NULL, digest BLOB NOT NULL)"
    " WITHOUT ROWID",
    "CREATE TABLE plans (sid TEXT PRIMARY KEY, position INTEGER NOT NULL,"
    " record_id TEXT NOT NULL, kind TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE needs (sid TEXT NOT NULL, target TEXT NOT NULL)",
    "CREATE TABLE attributions (sid TEXT PRIMARY KEY, source TEXT, target TEXT) WITHOUT ROWID",
    "CREATE TABLE countries (sid TEXT PRIMARY KEY, country TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE located (sid TEXT PRIMARY KEY, location TEXT NOT NULL) WITHOUT ROWID",
)


@dataclass(frozen=True)
class Planned:
    """A mapped object's plan and the position in the bundle where it first appears."""

    position: int
    plan: Plan


class BundleIndex:
    """A disposable on-disk index of one bundle (use as a context manager)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="accord-stix-")
        self._db = sqlite3.connect(Path(self._dir.name) / "index.db", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-65536"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.execute("BEGIN")
        for statement in _SCHEMA:
            self._db.execute(statement)
        self._pending: dict[str, list[tuple[object, ...]]] = {}

    def __enter__(self) -> BundleIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()
        self._dir.cleanup()

    # -- pass 1 -----------------------------------------------------------------------------

    def first_seen(self, sid: str, position: int, digest: bytes) -> bytes | None:
        """Remember an object's digest; returns None the first time an id is seen, else the
        digest it was first seen with."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO seen VALUES (?, ?, ?)", (sid, position, digest)
        )
        if cursor.rowcount == 1:
            return None
        row = self._db.execute("SELECT digest FROM seen WHERE sid = ?", (sid,)).fetchone()
        earlier: bytes = row[0]
        return earlier

    def plan(self, sid: str, position: int, plan: Plan) -> None:
        """Remember what a (first-seen, valid) object becomes."""
        self._add("plans", (sid, position, plan.record_id, plan.kind.value))
        for target in plan.needs:
            self._add("needs", (sid, target))

    def attribution(self, sid: str, source: str, target: str) -> None:
        """An ``attributed-to`` relationship's ends (opinions answer them)."""
        self._add("attributions", (sid, source, target))

    def country(self, location: str, country: str) -> None:
        """A ``location`` object's country code."""
        self._add("countries", (location, country))

    def located(self, sid: str, location: str) -> None:
        """An object is located at / originates from a location (the last such link wins)."""
        self._add("located", (sid, location))

    def _add(self, table: str, row: tuple[object, ...]) -> None:
        rows = self._pending.setdefault(table, [])
        rows.append(row)
        if len(rows) >= _FLUSH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        rows = self._pending.pop(table, [])
        if rows:
            marks = ", ".join("?" * len(rows[0]))
            verb = "INSERT OR REPLACE" if table == "located" else "INSERT OR IGNORE"
            self._db.executemany(f"{verb} INTO {table} VALUES ({marks})", rows)

    def finish_scan(self) -> None:
        """Write what is buffered and index the references."""
        for table in list(self._pending):
            self._flush(table)
        self._db.execute("CREATE INDEX needs_sid ON needs (sid)")

    def prune(self) -> Iterator[tuple[str, str, Kind]]:
        """Leave out linking records whose ends are not in the bundle, until none is; yields
        (object id, the missing end, kind) for each left out."""
        kinds = sorted(k.value for k in RELATIONSHIP_KINDS)
        query = (  # noqa: S608 - only placeholders are formatted in
            "SELECT p.sid, min(n.target), p.kind FROM plans p JOIN needs n ON n.sid = p.sid"
            " WHERE p.kind IN ({}) AND NOT EXISTS (SELECT 1 FROM plans t WHERE t.sid = n.target)"
            " GROUP BY p.sid ORDER BY p.position"
        ).format(", ".join("?" * len(kinds)))
        while True:
            missing = self._db.execute(query, kinds).fetchall()
            if not missing:
                return
            self._db.executemany("DELETE FROM plans WHERE sid = ?", [(m[0],) for m in missing])
            for sid, target, kind in missing:
                yield sid, target, Kind(kind)

    # -- pass 2 -----------------------------------------------------------------------------

    def plans(self, sids: Iterable[str]) -> dict[str, Planned]:
        """The plans of those of the given objects that are mapped."""
        found: dict[str, Planned] = {}
        needs: dict[str, list[str]] = {}
        for chunk in _chunks(sorted(set(sids))):
            marks = ", ".join("?" * len(chunk))
            for sid, target in self._db.execute(
                f"SELECT sid, target FROM needs WHERE sid IN ({marks}) ORDER BY rowid",  # noqa: S608
                chunk,
            ):
                needs.setdefault(sid, []).append(target)
            for sid, position, record_id, kind in self._db.execute(
                f"SELECT sid, position, record_id, kind FROM plans WHERE sid IN ({marks})",  # noqa: S608
                chunk,
            ):
                plan = Plan(record_id, Kind(kind), tuple(needs.get(sid, ())))
                found[sid] = Planned(position, plan)
        return found

    def attributions(self, sids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """The ends of those of the given objects that are ``attributed-to`` relationships."""
        return {
            sid: (source, target)
            for sid, source, target in self._select(
                "SELECT sid, source, target FROM attributions WHERE sid IN ({})", sids
            )
        }

    def countries(self, sids: Iterable[str]) -> dict[str, str]:
        """The country code of the location each of the given objects is linked to."""
        return {
            sid: country
            for sid, country in self._select(
                "SELECT l.sid, c.country FROM located l JOIN countries c ON c.sid = l.location"
                " WHERE l.sid IN ({})",
                sids,
            )
        }

    def _select(self, template: str, sids: Iterable[str]) -> Iterator[Sequence[str]]:
        for chunk in _chunks(sorted(set(sids))):
            yield from self._db.execute(template.format(", ".join("?" * len(chunk))), chunk)


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]
