"""Pages of STIX objects in the order they were added, for TAXII (read-only).

Records are read through ``kb.find`` (which applies :func:`accord.access.visible` and hides
references to records the viewer may not see), ordered by the time their current revision was
written, then id. Withdrawn records whose tombstone the viewer may see
(:meth:`~accord.kb.KnowledgeBase.find_tombstones`) are served as revoked objects in the same
order, so subscribers learn of a withdrawal.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_

from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import Kind, Marking
from accord.errors import BadRequest
from accord.interop import stix_mapping as m
from accord.interop.stix_export import build_context, to_stix
from accord.kb import KnowledgeBase
from accord.store.rows import as_utc
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
    """One object version with the time Accord added it."""

    object: dict[str, Any]
    date_added: dt.datetime


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


def page(kb: KnowledgeBase, viewer: Viewer, scope: Scope, query: Query) -> Page:
    """One page of the collection's objects for the viewer. Read-only."""
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
            out.append(Entry(obj, added))
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
    return [Entry(to_stix(v, ctx), added) for v, added in _versions(kb, viewer, record, ["all"])]
