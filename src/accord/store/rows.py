"""Records to rows and back; batched reads and writes of the record tables (no access rules).

Callers (the KnowledgeBase) decide *what* may be read or written; this module only moves
records between Python and the database, a batch at a time, without per-row round trips.
"""

from __future__ import annotations

import datetime as dt
import functools
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from pydantic import TypeAdapter
from sqlalchemy import Connection, Row, Table, delete, insert, select, update

from accord.domain.records import PAYLOADS, Record, Source, hard_depth
from accord.domain.stable_ids import stix_uuid
from accord.domain.vocab import RELATIONSHIP_KINDS, Kind
from accord.store import bulk, claim_facts, ends, search, stix_forms
from accord.store.schema import record_readers, record_refs, record_shares, records, revisions

BATCH = 2_000


def dumps(value: Any) -> str:
    """Canonical JSON text (sorted keys) so equal content gives equal strings."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def body_of(record: Record) -> str:
    """The stored JSON body: payload and sources."""
    return _texts_of(record)[0]


def row_values(record: Record) -> dict[str, Any]:
    """Column values of the records table for a record."""
    return {
        "id": record.id,
        "kind": record.kind.value,
        "name": record.name[:500],
        "marking": record.marking.value,
        "owner": record.owner,
        "status": record.status.value,
        "revision": record.revision,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "created_by": record.created_by,
        "updated_by": record.updated_by,
        "date_key": record.data.date_key(),
        "body": body_of(record),
        "search_name": _search_name(record),
        "search_text": _search_text(record),
        "stix_uuid": stix_uuid(record.id, record.data.extra),
        "ends": ends.initial(record.kind),
    }


def _search_name(record: Record) -> str:
    """High-weight indexed text: an entity's name and aliases; nothing for relationships."""
    if record.kind in RELATIONSHIP_KINDS:
        return ""
    aliases = getattr(record.data, "aliases", ())
    return " ".join((record.name, *aliases))


def _search_text(record: Record) -> str:
    """Low-weight indexed text: descriptions, an entity's id, a relationship's display name."""
    text = record.data.search_text()
    if record.kind in RELATIONSHIP_KINDS:
        return f"{record.name} {text}"
    return f"{record.id} {text}"


def snapshot_of(record: Record) -> str:
    """The JSON snapshot a revision keeps: the whole record, share lists included."""
    return _texts_of(record)[1]


def _texts_of(record: Record) -> tuple[str, str]:
    """A record's body and snapshot texts, serialised together once per (immutable) record.

    A write compares the body with what is stored, stores both and hashes the snapshot for the
    audit log; serialising once instead of each time saves about a fifth of bulk-insert time.
    The body is the snapshot's payload and sources, the sources without their empty fields.
    """
    key = id(record)
    entry = _texts.get(key)
    if entry is not None and entry[0]() is record:
        return entry[1]
    whole = record.to_json()
    sources = [{k: v for k, v in s.items() if v is not None} for s in whole["sources"]]
    texts = dumps({"data": whole["data"], "sources": sources}), dumps(whole)

    def forget(_: weakref.ref[Record]) -> None:
        _texts.pop(key, None)

    _texts[key] = (weakref.ref(record, forget), texts)
    return texts


_texts: dict[int, tuple[weakref.ref[Record], tuple[str, str]]] = {}


def record_from_snapshot(text: str) -> Record:
    """Rebuild a record from a revision snapshot."""
    raw = orjson.loads(text)
    kind = Kind(raw["kind"])
    raw["data"] = PAYLOADS[kind].model_validate(raw["data"])
    return Record.model_validate(raw)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A timestamp as an aware UTC datetime (SQLite returns stored ones naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


_KINDS = {kind.value: kind for kind in Kind}
_SOURCES = TypeAdapter(tuple[Source, ...])


@functools.lru_cache(maxsize=4_096)
def _sources(text: bytes) -> tuple[Source, ...]:
    """Validated sources from their JSON, cached: records imported together cite the same
    sources, and validating a source (its URL above all) costs more than the lookup. Pure (a
    source is immutable)."""
    return _SOURCES.validate_json(text)


def record_from_row(
    row: Row[Any], shares: Sequence[str] = (), readers: Sequence[str] = ()
) -> Record:
    """Rebuild a record from a records row plus its share list and named readers.

    One validation call for the envelope and its sources (the payload's model depends on the
    kind, so it is validated first and passed in as an instance).
    """
    body = orjson.loads(row.body)
    kind = _KINDS[row.kind]
    return Record.model_validate(
        {
            "id": row.id,
            "kind": kind,
            "marking": row.marking,
            "owner": row.owner,
            "status": row.status,
            "revision": row.revision,
            "created_at": as_utc(row.created_at),
            "updated_at": as_utc(row.updated_at),
            "created_by": row.created_by,
            "updated_by": row.updated_by,
            "sources": _sources(orjson.dumps(body["sources"])),
            "shares": shares,
            "readers": readers,
            "data": PAYLOADS[kind].model_validate(body["data"]),
            "name": row.name,
        }
    )


def sharing_of(
    conn: Connection, ids: Sequence[str]
) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Share lists and named readers of the given records, in two queries."""
    shares: dict[str, list[str]] = defaultdict(list)
    readers: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks(ids):
        for rid, org in conn.execute(
            select(record_shares.c.record_id, record_shares.c.org_id)
            .where(record_shares.c.record_id.in_(chunk))
            .order_by(record_shares.c.org_id)
        ):
            shares[rid].append(org)
        for rid, user in conn.execute(
            select(record_readers.c.record_id, record_readers.c.user_id)
            .where(record_readers.c.record_id.in_(chunk))
            .order_by(record_readers.c.user_id)
        ):
            readers[rid].append(user)
    return shares, readers


def load_records(conn: Connection, rows: Sequence[Row[Any]]) -> list[Record]:
    """Records for already-selected rows, share lists attached in batch."""
    shares, readers = sharing_of(conn, [r.id for r in rows])
    return [record_from_row(r, shares.get(r.id, ()), readers.get(r.id, ())) for r in rows]


def insert_records(conn: Connection, batch: Sequence[Record], changed_by: str | None) -> None:
    """Insert new records with their refs, sharing and first revision (executemany batches).
    Every record row goes in before any link, so a record may refer to one that comes later in
    the batch, past a chunk boundary."""
    insert_record_rows(conn, batch)
    insert_record_links(conn, batch, changed_by)


def insert_record_rows(
    conn: Connection, batch: Sequence[Record], import_job: str | None = None
) -> None:
    """Insert the rows of new records and index them for search, hidden as staged by
    ``import_job`` when given; :func:`insert_record_links` completes them. Writes."""
    for chunk in _chunks(batch):
        values = [row_values(r) for r in chunk]
        if import_job is not None:
            for row in values:
                row["import_job"] = import_job
        insert_many(conn, records, values)
    if batch:
        search.index_new(conn, batch[0].id)


def insert_record_links(conn: Connection, batch: Sequence[Record], changed_by: str | None) -> None:
    """The refs, sharing, first revision, link-end summary and claim facts of records whose
    rows :func:`insert_record_rows` inserted (every row they refer to exists). Writes."""
    for chunk in _chunks(batch):
        _insert_links(conn, chunk)
        insert_many(
            conn,
            revisions,
            [
                {
                    "record_id": r.id,
                    "revision": r.revision,
                    "changed_at": r.updated_at,
                    "changed_by": changed_by,
                    "snapshot": snapshot_of(r),
                }
                for r in chunk
            ],
        )
    linking = [r for r in batch if r.kind in RELATIONSHIP_KINDS]
    ends.refresh_new(
        conn,
        [r.id for r in linking],
        [r.id for r in linking if hard_depth(r.kind) > 1],
    )
    claim_facts.write(conn, batch)
    stix_forms.write(conn, batch)


def replace_record(conn: Connection, record: Record, changed_by: str | None) -> None:
    """Write a new revision of an existing record: row, links and a revision entry."""
    values = row_values(record)
    values.pop("id")
    conn.execute(update(records).where(records.c.id == record.id).values(**values))
    for table in (record_refs, record_shares, record_readers):
        conn.execute(delete(table).where(table.c.record_id == record.id))
    _insert_links(conn, [record])
    conn.execute(
        insert(revisions).values(
            record_id=record.id,
            revision=record.revision,
            changed_at=record.updated_at,
            changed_by=changed_by,
            snapshot=snapshot_of(record),
        )
    )
    ends.refresh(conn, [record.id])
    claim_facts.write(conn, [record])
    stix_forms.write(conn, [record])


def _insert_links(conn: Connection, batch: Sequence[Record]) -> None:
    refs = [
        {
            "record_id": r.id,
            "field": field,
            "target_id": target,
            "hard": r.kind in RELATIONSHIP_KINDS,
        }
        for r in batch
        for field, target in dict.fromkeys(r.data.refs())
    ]
    shares = [{"record_id": r.id, "org_id": org} for r in batch for org in dict.fromkeys(r.shares)]
    readers = [
        {"record_id": r.id, "user_id": user} for r in batch for user in dict.fromkeys(r.readers)
    ]
    for table, values in ((record_refs, refs), (record_shares, shares), (record_readers, readers)):
        insert_many(conn, table, values)


def insert_many(conn: Connection, table: Table, values: Sequence[dict[str, Any]]) -> None:
    """INSERT many rows (all with the same keys) in one executemany. Writes."""
    bulk.insert_rows(conn, table, values)


def existing(conn: Connection, ids: Iterable[str]) -> dict[str, Any]:
    """Rows of the given ids that exist, whoever may see them (callers answer only about
    the ones the writer may see)."""
    found: dict[str, Any] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(records).where(records.c.id.in_(chunk))):
            found[row.id] = row
    return found


def _chunks(items: Sequence[Any], size: int = BATCH) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
