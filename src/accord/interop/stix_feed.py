"""Pages of STIX objects in the order they were added, for TAXII (read-only).

Records are read through ``kb.find`` (which applies :func:`accord.access.visible` and hides
references to records the viewer may not see), ordered by the time their current revision was
written, then id. Withdrawn records whose tombstone the viewer may see
(:meth:`~accord.kb.KnowledgeBase.find_tombstones`) are served as revoked objects in the same
order, so subscribers learn of a withdrawal.

A page of the current versions serves each object's stored form
(:mod:`accord.store.stix_forms`, computed when the revision was written) when every record it
points to is visible to the reader with the STIX id the form used; any other object is
converted from the record as the reader may see it, as every older version is.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, exists, or_, select

from accord import access
from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import Kind, Marking
from accord.errors import BadRequest
from accord.interop import stix_mapping as m
from accord.interop.stix_export import build_context, to_stix
from accord.kb import KnowledgeBase
from accord.reader import Reader
from accord.store import stix_forms
from accord.store.rows import BATCH, as_utc
from accord.store.schema import record_shares, records

MAX_LIMIT = 1_000
_KINDS_OF_TYPE: dict[str, tuple[Kind, ...]] = {
    "identity": (Kind.ACTOR,),
    "intrusion-set": (Kind.ACTOR,),
    "threat-actor": (Kind.ACTOR,),
    "incident": (Kind.INCIDENT,),
    "relationship": (Kind.CLAIM,),
    "opinion": (Kind.CLAIM,),
    "note": (Kind.EVIDENCE,),
    **{stix_type: (kind,) for stix_type, kind in m.KIND_OF_NEW_TYPE.items()},
}


@dataclass(frozen=True)
class Scope:
    """Which records a collection holds: by marking, owning organisation, or the organisation
    they are shared with (AMBER share lists)."""

    marking: Marking | None = None
    owner: str | None = None
    shared_with: str | None = None


@dataclass(frozen=True)
class Query:
    """TAXII filters: added_after, match[id|type|version|spec_version], paging."""

    limit: int = 100
    next: str | None = None
    added_after: dt.datetime | None = None
    ids: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    versions: tuple[str, ...] = ("last",)
    spec_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """One object version, as the JSON bytes served, with the time Accord added it."""

    raw: bytes
    date_added: dt.datetime

    @classmethod
    def of(cls, obj: dict[str, Any], date_added: dt.datetime) -> Entry:
        """The entry of an object built in memory."""
        return cls(orjson.dumps(obj), date_added)

    @functools.cached_property
    def object(self) -> dict[str, Any]:
        """The object itself (parsed once, when asked for)."""
        parsed: dict[str, Any] = orjson.loads(self.raw)
        return parsed


@dataclass
class Page:
    """A page of entries and the cursor to the next one."""

    entries: list[Entry] = field(default_factory=list)
    next: str | None = None


def encode_cursor(at: dt.datetime, record_id: str) -> str:
    """An opaque ``next`` token for the position after (at, record_id)."""
    text = f"{at.astimezone(dt.UTC).isoformat()}|{record_id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, str]:
    """Read a ``next`` token; raises BadRequest for a token this server did not issue."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        at, _, record_id = text.partition("|")
        return dt.datetime.fromisoformat(at), record_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("the 'next' value is not one this server issued") from exc


def page(
    kb: KnowledgeBase, viewer: Viewer, scope: Scope, query: Query, *, stored: bool = True
) -> Page:
    """One page of the collection's objects for the viewer. ``stored=False`` converts every
    object from its record, as pages did before stored forms (what the forms are checked
    against). Read-only."""
    if not 1 <= query.limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if query.spec_versions and m.SPEC not in query.spec_versions:
        return Page()
    where = _scope_filter(scope)
    kinds = {k for t in query.types for k in _KINDS_OF_TYPE.get(t, ())}
    if query.types:
        where.append(records.c.kind.in_([k.value for k in kinds]))
    if query.ids:
        where.append(_stix_ids(query.ids))
    if query.added_after is not None:
        where.append(records.c.updated_at > as_utc(query.added_after))
    if query.next:
        at, after_id = decode_cursor(query.next)
        at = as_utc(at)
        # After (at, after_id) in (updated_at, id) order; the leading ``>=`` lets the index
        # start at the cursor instead of scanning every earlier row on each page.
        where.append(
            and_(
                records.c.updated_at >= at,
                or_(records.c.updated_at > at, records.c.id > after_id),
            )
        )
    if stored and tuple(query.versions) == ("last",):
        return _stored_page(kb, viewer, where, query)
    order = (records.c.updated_at, records.c.id)
    batch, more = kb.find(viewer, where, order, query.limit)
    # Withdrawn records the viewer could see are served too, as revoked objects (their own
    # query, on the index of withdrawn rows), merged into the same (updated_at, id) order.
    gone, more_gone = kb.find_tombstones(viewer, where, order, query.limit)
    if gone:
        merged = sorted([*batch, *(t.record for t in gone)], key=lambda r: (r.updated_at, r.id))
        more = more or more_gone or len(merged) > query.limit
        batch = merged[: query.limit]
    out = Page(entries=_entries(kb, viewer, batch, query))
    if more:
        last = batch[-1]
        out.next = encode_cursor(last.updated_at, last.id)
    return out


#: The columns of a page of stored forms (in this order; tuples are read by position).
_FORM_COLUMNS = (
    stix_forms.raw_updated_at(),
    records.c.id,
    stix_forms.stix_forms.c.stix_id,
    stix_forms.stix_forms.c.stix_type,
    stix_forms.stix_forms.c.form,
    stix_forms.stix_forms.c.deps,
)


def _stored_page(
    kb: KnowledgeBase, viewer: Viewer, where: list[ColumnElement[bool]], query: Query
) -> Page:
    """A page of current versions: the visible records and the tombstones the viewer may see,
    merged in (updated_at, id) order, each served from its stored form when that form is what
    the viewer would get (:func:`accord.store.stix_forms.usable`), else converted. Read-only."""
    order = (records.c.updated_at, records.c.id)
    with kb.reader(viewer) as reader:
        found: list[Sequence[Any]] = []
        for rule in (access.visible(viewer), access.visible_tombstones(viewer)):
            statement = select(*_FORM_COLUMNS).select_from(stix_forms.current()).where(rule, *where)
            found.append(reader.execute(statement.order_by(*order).limit(query.limit + 1)).all())
        live, gone = found
        rows = sorted([*live, *gone], key=lambda row: (row[0], row[1])) if gone else live
        batch = rows[: query.limit]
        deps = {row[1]: orjson.loads(row[5]) for row in batch if row[4] and row[5] != "{}"}
        seen = _current_ids(reader, viewer, {rid for used in deps.values() for rid in used})
    stored: dict[str, bytes] = {}
    convert: tuple[list[str], list[str]] = ([], [])
    withdrawn = {row[1] for row in gone}
    for _, rid, stix_id, stix_type, form, _ in batch:
        if form and (rid not in deps or stix_forms.usable(deps[rid], seen)):
            if (not query.types or stix_type in query.types) and (
                not query.ids or stix_id in query.ids
            ):
                stored[rid] = form
        else:
            convert[rid in withdrawn].append(rid)
    converted = _converted(kb, viewer, *convert, query) if convert[0] or convert[1] else {}
    entries: list[Entry] = []
    for at, rid, *_ in batch:
        raw = stored.get(rid) or converted.get(rid)
        if raw is not None:
            entries.append(Entry(raw, stix_forms.updated_at(at)))
    out = Page(entries=entries)
    if len(rows) > query.limit:
        out.next = encode_cursor(stix_forms.updated_at(batch[-1][0]), batch[-1][1])
    return out


def _current_ids(reader: Reader, viewer: Viewer, ids: set[str]) -> dict[str, str | None]:
    """Visible record id → the STIX id of its current revision (None without a form), for the
    ids among ``ids`` the viewer may see. Read-only."""
    wanted = sorted(ids)
    seen: dict[str, str | None] = {}
    statement = select(records.c.id, stix_forms.current_stix_id()).select_from(stix_forms.current())
    for start in range(0, len(wanted), BATCH):
        chunk = wanted[start : start + BATCH]
        visible = statement.where(records.c.id.in_(chunk), access.visible(viewer))
        seen.update((rid, stix_id) for rid, stix_id in reader.execute(visible))
    return seen


def _converted(
    kb: KnowledgeBase, viewer: Viewer, live: list[str], withdrawn: list[str], query: Query
) -> dict[str, bytes]:
    """Record id → the current version of these records (and withdrawn records) converted as
    the viewer may see them, for the objects a stored form cannot serve. Read-only."""
    batch = list(kb.get_many(live, viewer).values()) if live else []
    if withdrawn:
        gone, _ = kb.find_tombstones(
            viewer, [records.c.id.in_(withdrawn)], (records.c.id,), len(withdrawn)
        )
        batch.extend(t.record for t in gone)
    entries = _entries(kb, viewer, batch, query) if batch else []
    return {e.object["extensions"][m.PROPS_EXT]["record_id"]: e.raw for e in entries}


def _scope_filter(scope: Scope) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if scope.marking is not None:
        out.append(records.c.marking == scope.marking.value)
    if scope.owner is not None:
        out.append(records.c.owner == scope.owner)
    if scope.shared_with is not None:
        out.append(
            exists().where(
                record_shares.c.record_id == records.c.id,
                record_shares.c.org_id == scope.shared_with,
            )
        )
    return out


def _stix_ids(ids: Sequence[str]) -> ColumnElement[bool]:
    """Records whose STIX id may be one of ``ids``: the same UUID part (``records.stix_uuid``,
    indexed), or an Accord id that is the STIX id itself (objects imported from others keep
    it). The exact ids are compared once the objects are built."""
    return or_(
        records.c.stix_uuid.in_(sorted({i.rsplit("--", 1)[-1].lower() for i in ids})),
        records.c.id.in_([i.lower() for i in ids]),
    )


def _entries(kb: KnowledgeBase, viewer: Viewer, batch: list[Record], query: Query) -> list[Entry]:
    ctx = build_context(kb, viewer, batch)
    out: list[Entry] = []
    for record in batch:
        for version, added in _versions(kb, viewer, record, query.versions):
            obj = to_stix(version, ctx)
            if query.types and obj["type"] not in query.types:
                continue
            if query.ids and obj["id"] not in query.ids:
                continue
            out.append(Entry.of(obj, added))
    return out


def _versions(
    kb: KnowledgeBase, viewer: Viewer, record: Record, wanted: Sequence[str]
) -> list[tuple[Record, dt.datetime]]:
    """The record versions a match[version] asks for, each with the time it was added."""
    if tuple(wanted) == ("last",):
        return [(record, record.updated_at)]
    history = [(v.record, v.changed_at) for v in kb.history(record.id, viewer)]
    ctx = build_context(kb, viewer, [record])
    chosen: list[tuple[Record, dt.datetime]] = []
    for index, (version, added) in enumerate(history):
        stamp = to_stix(version, ctx)["modified"]
        if (
            "all" in wanted
            or ("first" in wanted and index == 0)
            or ("last" in wanted and index == len(history) - 1)
            or stamp in wanted
        ):
            chosen.append((version, added))
    return chosen


def versions(kb: KnowledgeBase, viewer: Viewer, record: Record) -> list[Entry]:
    """Every visible version of one record, oldest first. Read-only."""
    ctx = build_context(kb, viewer, [record])
    return [Entry.of(to_stix(v, ctx), added) for v, added in _versions(kb, viewer, record, ["all"])]
