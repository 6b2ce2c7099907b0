"""The stored STIX form of each record's current revision, computed when the revision is written.

TAXII pages serve these bytes as they are, instead of rebuilding every typed record and
converting it for each reader (:mod:`accord.interop.stix_feed`). A form is computed with every
record it points to in view; the row keeps, as ``deps``, the STIX id it used for each record it
points to (``null`` for one that did not exist). A page serves a form only when, for this
reader, every one of those records is visible and still has that STIX id (or is still absent
and unseen); otherwise the object is converted as before, from the record as the reader may see
it, so a hidden reference is removed exactly as on every other read path. A form therefore
never needs rewriting when a record it points to changes: it is checked at each read. Forms of
disputes (STIX opinions, whose ``object_refs`` name the attributions they answer, i.e. other
records) are not stored; nor is the form of a record that cannot be converted. A row counts
only for the revision it was computed for (``revision``), so a revision written by a path that
did not compute one (a database upgraded by migration 0024) is converted at read time.

No access rules here: callers decide what may be read (:func:`accord.access.visible`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    FromClause,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    and_,
    delete,
    select,
    type_coerce,
)

from accord.domain.records import Record
from accord.store import bulk
from accord.store.schema import metadata, records

BATCH = 2_000

stix_forms = Table(
    "stix_forms",
    metadata,
    Column("record_id", String(128), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("stix_id", String(200), nullable=False),
    Column("stix_type", String(64), nullable=False),
    # orjson bytes of the STIX object; NULL when it is converted at read time (see above).
    Column("form", LargeBinary, nullable=True),
    # {record id: the STIX id the form used for it, or null}, as JSON.
    Column("deps", Text, nullable=True),
)


def current() -> FromClause:
    """``records`` joined (outer) with the form of each record's current revision."""
    return records.outerjoin(
        stix_forms,
        and_(stix_forms.c.record_id == records.c.id, stix_forms.c.revision == records.c.revision),
    )


def raw_updated_at() -> ColumnElement[Any]:
    """``records.updated_at`` as the driver returns it (SQLite: text), without SQLAlchemy's
    per-row conversion, which cost more than the rest of a page of stored forms; read it with
    :func:`updated_at`. Rows of one query sort by it as by time (the text has a fixed width)."""
    return type_coerce(records.c.updated_at, String)


def updated_at(raw: str | dt.datetime) -> dt.datetime:
    """A :func:`raw_updated_at` value as an aware UTC datetime (what the column's type gives)."""
    if isinstance(raw, str):  # SQLite: UTC as naive text
        return dt.datetime.fromisoformat(raw + "+00:00")
    return raw.replace(tzinfo=dt.UTC) if raw.tzinfo is None else raw.astimezone(dt.UTC)


def current_stix_id() -> ColumnElement[Any]:
    """The STIX id of a record's current revision (NULL when no form row holds it), for
    selects from :func:`current`."""
    return stix_forms.c.stix_id


def write(conn: Connection, batch: Sequence[Record]) -> None:
    """Compute and store the forms of these revisions (replacing any older row). Writes."""
    # Imported here: the STIX mapping reads the access rules, which read the store.
    from accord.interop.stix_export import stored_form

    for start in range(0, len(batch), BATCH):
        chunk = batch[start : start + BATCH]
        known = _ids_of(conn, chunk)
        values = []
        for record in chunk:
            stix_id, stix_type, form, deps = stored_form(record, known)
            values.append(
                {
                    "record_id": record.id,
                    "revision": record.revision,
                    "stix_id": stix_id,
                    "stix_type": stix_type,
                    "form": form,
                    "deps": None if deps is None else orjson.dumps(deps).decode(),
                }
            )
        conn.execute(delete(stix_forms).where(stix_forms.c.record_id.in_([r.id for r in chunk])))
        bulk.insert_rows(conn, stix_forms, values)


def _ids_of(conn: Connection, chunk: Sequence[Record]) -> dict[str, tuple[str, str]]:
    """Record id → (STIX id, STIX type) for the chunk and every record it points to that
    exists: from the chunk itself, the current forms, else the stored record. Read-only."""
    from accord.interop.stix_mapping import stix_id_of, stix_type_of
    from accord.store.rows import load_records

    def of(record: Record) -> tuple[str, str]:
        return (
            stix_id_of(record.id, record.kind, record.data),
            stix_type_of(record.kind, record.data),
        )

    known = {r.id: of(r) for r in chunk}
    wanted = sorted({t for r in chunk for _, t in r.data.refs()} - known.keys())
    for start in range(0, len(wanted), BATCH):
        part = wanted[start : start + BATCH]
        query = select(records.c.id, stix_forms.c.stix_id, stix_forms.c.stix_type)
        missing = []
        for rid, stix_id, stix_type in conn.execute(
            query.select_from(current()).where(records.c.id.in_(part))
        ):
            if stix_id is None:
                missing.append(rid)
            else:
                known[rid] = (stix_id, stix_type)
        if missing:
            rows = conn.execute(select(records).where(records.c.id.in_(missing))).all()
            known.update({r.id: of(r) for r in load_records(conn, rows)})
    return known


def usable(deps: Mapping[str, str | None], seen: Mapping[str, str | None]) -> bool:
    """Whether a form with these ``deps`` is what this reader would get from converting the
    record: every record it points to is visible to the reader (``seen``: visible id → its
    current STIX id) with the STIX id the form used, or was absent and is still unseen."""
    for rid, used in deps.items():
        if used is None:
            if rid in seen:
                return False
        elif seen.get(rid, "") != used:
            return False
    return True
