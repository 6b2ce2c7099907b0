"""Write a page's creates and updates as the feed's user (inside the page's transaction).

Objects convert as in a STIX import (:mod:`accord.interop.stix_convert`); references resolve
to the objects of the same page, to records pulled before (by remote STIX id) or to this
instance's own records the feed's user may see. A created record's id is the one an import
would write (:class:`accord.interop.import_ids.ImportIds`: in the subscribing organisation's
namespace); one already taken by a record here is a conflict. Every record written gets its
origin (:mod:`.origins`). An object that cannot become a record is skipped with its reason; one
that points at a record not here yet waits (:mod:`.waiting`); the rest are written in one
``bulk_create``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from accord import access
from accord.access import Viewer
from accord.domain.inputs import RecordInput, parse_payload
from accord.domain.records import Source
from accord.domain.vocab import Marking
from accord.errors import AccordError
from accord.federation import origins
from accord.federation.decide import Decision, remote_version
from accord.interop import stix_convert as sc
from accord.interop.import_ids import ImportIds
from accord.kb import KnowledgeBase
from accord.store.rows import as_utc
from accord.store.schema import records

#: Objects pulled without a TLP marking are marked so: visible to the subscribing
#: organisation only (what the feed's token read is not re-shared).
DEFAULT_MARKING = Marking.AMBER_STRICT
_BATCH = 500
#: The action of an object that points to a record not here yet (:mod:`.waiting`).
WAIT = "wait"
#: What a STIX id looks like (``type--uuid``), as against other text holding ``--``.
_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]*--[0-9a-fA-F-]{36}")
#: STIX ids that never stand for a record.
_NOT_RECORDS = ("marking-definition--", "extension-definition--")
#: A JSON string holding ``--`` (a STIX id, wherever it sits in an object).
_STIX_ID = re.compile(rb'"([^"\\]*--[^"\\]*)"')


@dataclass(frozen=True)
class Outcome:
    """What was done with one object: the decision's action (or ``skip``/``conflict`` when
    writing it proved impossible), the reason and the local record."""

    action: str
    remote_id: str
    reason: str = ""
    record: str | None = None


def write_page(
    kb: KnowledgeBase, viewer: Viewer, feed: str, decisions: Sequence[Decision]
) -> list[Outcome]:
    """Write the creates and updates among ``decisions``; outcomes for those (others are
    returned unchanged). Writes records (one revision each) and their origins."""
    writes = [d for d in decisions if d.action in ("create", "update")]
    out = [
        Outcome(d.action, d.remote_id, d.reason, d.record)
        for d in decisions
        if d.action not in ("create", "update", "withdraw")
    ]
    out += _withdraw(kb, viewer, feed, [d for d in decisions if d.action == "withdraw"])
    if not writes:
        return out
    ids = ImportIds(kb, viewer)
    planned: dict[str, tuple[Decision, sc.Plan]] = {}
    for d in writes:
        try:
            plan = sc.plan(d.obj)
        except sc.Skip as skip:
            out.append(Outcome("skip", d.remote_id, f"not modelled: {skip}"))
            continue
        except (sc.Invalid, KeyError, TypeError) as exc:
            out.append(Outcome("skip", d.remote_id, f"invalid: {exc}"[:300]))
            continue
        planned[d.remote_id.lower()] = (d, plan)
    ids.learn(p.record_id for d, p in planned.values() if d.action == "create")
    written = {sid: d.record or ids(p.record_id) for sid, (d, p) in planned.items()}
    taken = kb.visible_ids(
        [rid for sid, rid in written.items() if planned[sid][0].action == "create"], viewer
    )
    for sid in [s for s, rid in written.items() if rid in taken]:
        d, _ = planned.pop(sid)
        reason = "a record here already has the id it would get"
        out.append(Outcome("conflict", d.remote_id, reason, written.pop(sid)))
    resolve = _resolver(kb, viewer, written, [d.obj for d, _ in planned.values()])
    ctx = sc.Context(
        resolve,
        _attributions([d.obj for d in decisions]),
        Source(
            title=f"TAXII feed {feed}"[:500],
            publisher=f"TAXII feed {feed}"[:500],
            url=f"https://accord.invalid/feeds/{feed}",
        ),
        DEFAULT_MARKING,
        lambda _: None,
    )
    inputs: dict[str, tuple[Decision, RecordInput]] = {}
    for sid, (d, plan) in planned.items():
        try:
            raw, _ = sc.convert(d.obj, dataclasses.replace(plan, record_id=written[sid]), ctx)
        except (sc.Invalid, AccordError) as exc:  # AccordError: a payload the model refuses
            missing = _unresolved(d.obj, resolve)
            if missing:
                out.append(Outcome(WAIT, d.remote_id, f"points to {missing}, not here yet"))
            else:
                out.append(Outcome("skip", d.remote_id, f"invalid: {exc}"[:300]))
            continue
        inputs[sid] = (d, raw)
    for sid, missing in _unplaceable(kb, viewer, inputs).items():
        d, _ = inputs.pop(sid)
        out.append(Outcome(WAIT, d.remote_id, f"points to {missing}, not here yet"))
    if not inputs:
        return out
    kb.bulk_create([raw for _, raw in inputs.values()], viewer, upsert=True)
    stamps = _updated_at(kb, viewer, [str(raw.id) for _, raw in inputs.values()])
    remembered = []
    for d, raw in inputs.values():
        rid = str(raw.id)
        remembered.append(
            origins.Origin(
                rid, feed, viewer.org_id or "", d.remote_id, remote_version(d.obj), stamps[rid]
            )
        )
        out.append(Outcome(d.action, d.remote_id, d.reason, rid))
    origins.remember(kb, remembered, kb.now())
    return out


def _updated_at(kb: KnowledgeBase, viewer: Viewer, ids: Sequence[str]) -> dict[str, dt.datetime]:
    """The ``updated_at`` of records just written, by id (two columns, not whole records: an
    upsert may have left a record unchanged, so the time is read rather than assumed).
    Read-only."""
    found: dict[str, dt.datetime] = {}
    with kb.reader(viewer) as reader:
        for start in range(0, len(ids), _BATCH):
            query = select(records.c.id, records.c.updated_at).where(
                access.visible(viewer), records.c.id.in_(ids[start : start + _BATCH])
            )
            found.update({rid: as_utc(at) for rid, at in reader.execute(query)})
    return found


def _withdraw(
    kb: KnowledgeBase, viewer: Viewer, feed: str, decisions: Sequence[Decision]
) -> list[Outcome]:
    """Withdraw the local copies of objects revoked at the origin (one revision each, with
    the reason), and remember the revoked version. Writes."""
    out: list[Outcome] = []
    remembered: list[origins.Origin] = []
    for d in decisions:
        assert d.record is not None
        try:
            gone = kb.withdraw(
                d.record, viewer, f"revoked at the origin (feed {feed}: {d.remote_id})"
            )
        except AccordError as exc:
            out.append(Outcome("skip", d.remote_id, f"not withdrawn: {exc}"[:300], d.record))
            continue
        out.append(Outcome("withdraw", d.remote_id, d.reason, d.record))
        remembered.append(
            origins.Origin(
                d.record,
                feed,
                viewer.org_id or "",
                d.remote_id,
                remote_version(d.obj),
                gone.record.updated_at,
            )
        )
    origins.remember(kb, remembered, kb.now())
    return out


def _resolver(
    kb: KnowledgeBase,
    viewer: Viewer,
    written: Mapping[str, str],
    objects: Iterable[Mapping[str, Any]],
) -> sc.Resolve:
    """STIX id → local record id: this page, records pulled before, or this instance's own
    records the viewer may see."""
    mentioned = {ref.lower() for obj in objects for ref in _ids_in(obj)} - set(written)
    pulled = origins.by_remote(kb, viewer.org_id or "", mentioned)
    rest = {sid.rsplit("--", 1)[-1]: sid for sid in mentioned if sid not in pulled}
    own = kb.originals(rest, viewer)
    table = {sid: o.record_id for sid, o in pulled.items()}
    table.update({rest[u]: rid for u, rid in own.items()})
    table.update(written)

    def resolve(sid: str) -> str | None:
        return table.get(sid.lower())

    return resolve


def _attributions(objects: Iterable[Mapping[str, Any]]) -> dict[str, tuple[str, str]]:
    """The ``attributed-to`` relationships of the page (opinions answer them)."""
    return {
        str(o["id"]): (str(o.get("source_ref")), str(o.get("target_ref")))
        for o in objects
        if o.get("type") == "relationship" and o.get("relationship_type") == "attributed-to"
    }


def _unplaceable(
    kb: KnowledgeBase, viewer: Viewer, inputs: Mapping[str, tuple[Decision, RecordInput]]
) -> dict[str, str]:
    """Inputs pointing to a record neither in the batch nor visible here (repeatedly: leaving
    one out can strand another), with the first missing target."""
    targets = {
        sid: [t for _, t in parse_payload(raw.kind, raw.data, raw.id).refs()]
        for sid, (_, raw) in inputs.items()
    }
    outside = {t for ts in targets.values() for t in ts} - {str(r.id) for _, r in inputs.values()}
    here = kb.visible_ids(outside, viewer)
    gone: dict[str, str] = {}
    while True:
        batch = {str(raw.id) for sid, (_, raw) in inputs.items() if sid not in gone}
        found = {
            sid: next(t for t in ts if t not in batch and t not in here)
            for sid, ts in targets.items()
            if sid not in gone and any(t not in batch and t not in here for t in ts)
        }
        if not found:
            return gone
        gone.update(found)


def _unresolved(obj: Mapping[str, Any], resolve: sc.Resolve) -> str | None:
    """The first STIX id the object refers to that resolves to no record here (markings and
    extension definitions aside), or None."""
    own = str(obj.get("id", "")).lower()
    for sid in _ids_in(obj):
        if sid.lower() == own or sid.startswith(_NOT_RECORDS) or not _SHAPE.fullmatch(sid):
            continue
        if resolve(sid) is None:
            return sid
    return None


def _ids_in(obj: Mapping[str, Any]) -> Iterable[str]:
    """Every string of the object holding ``--`` (the STIX ids it refers to), found in its
    JSON text in one regular-expression pass."""
    return (m.decode() for m in _STIX_ID.findall(orjson.dumps(obj)))
