"""Objects posted to a TAXII collection (``POST …/objects/``), and the correction proposals
among them, which wait for the reviewers of the record they would change.

Each object posted is one of:

- a **correction proposal** when its STIX id is that of a record the poster may see (any
  collection's: a subscriber corrects what it pulled from Public). Nothing is changed: the
  proposal (the fields whose value it changes) waits, ``pending``, for a reviewer of the
  record's owning organisation, who accepts it (the change becomes a revision written in the
  reviewer's name) or rejects it with a reason. An object that changes nothing, is of another
  kind than the record, or names a withdrawn record is a failure.
- otherwise, posted to the poster's own organisation's collection, a **new record** imported as
  before (:func:`accord.interop.stix_import.import_objects`), as a **draft** of the poster's
  organisation even when the poster is a reviewer: a POST never publishes.
- otherwise a failure, "no record with this id that you may see": the same answer for an id
  no record has and for one of a record hidden from the poster.

Every answer is read through the poster's viewer (their visible records, their resolution of
references), so no outcome depends on a record the poster cannot see. See docs/federation.md,
"Corrections".
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import insert, select, update

from accord.access import Viewer, check_can_create, is_reviewer_of
from accord.domain.records import Record, Source
from accord.domain.vocab import Marking, UserRole
from accord.errors import (
    AccordError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
)
from accord.federation import statuses
from accord.federation.apply import _resolver
from accord.interop import stix_convert as sc
from accord.interop import stix_feed, stix_revoked
from accord.interop import stix_mapping as m
from accord.interop.stix_import import ObjectSource, import_objects
from accord.kb import KnowledgeBase
from accord.store.correction_tables import correction_proposals
from accord.store.rows import as_utc

#: The most objects one request may carry (one lookup of them all).
MAX_OBJECTS = stix_feed.MAX_LIMIT
STATES = ("pending", "accepted", "rejected")
NOT_FOUND = "no record with this id that you may see"
#: The notes of an import that mean an object was not stored (a missing end; a revoked object
#: whose record the poster may not withdraw).
_NOT_STORED_NOTES = ("left out", "not withdrawn")


@dataclass(frozen=True)
class Target:
    """Where posted objects may go: the collection's key and, when the poster may add new
    records there (their organisation's collection), the marking of unmarked ones."""

    key: str
    imports_as: Marking | None = None


@dataclass(frozen=True)
class Proposal:
    """A correction waiting for (or decided by) a reviewer of the record's owner."""

    id: str
    record_id: str
    owner: str
    object_id: str
    changes: dict[str, Any]
    proposer_org: str
    state: str
    reason: str
    created_at: dt.datetime
    decided_at: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "record": self.record_id,
            "object": self.object_id,
            "changes": self.changes,
            "from": self.proposer_org,
            "state": self.state,
            "reason": self.reason,
            "created_at": self.created_at.isoformat(),
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }


def _proposal(row: Any) -> Proposal:
    r = row._mapping
    return Proposal(
        r["id"],
        r["record_id"],
        r["owner"],
        r["object_id"],
        orjson.loads(r["changes"]),
        r["proposer_org"],
        r["state"],
        r["reason"],
        as_utc(r["created_at"]),
        as_utc(r["decided_at"]) if r["decided_at"] else None,
    )


# -- receiving a POST ------------------------------------------------------------------------


def receive(
    kb: KnowledgeBase, viewer: Viewer, target: Target, objects: Sequence[Any]
) -> dict[str, Any]:
    """Handle the objects of one ``POST …/objects/`` (see the module docstring) and store
    its status; the TAXII status resource. Writes proposals, imported drafts and the status."""
    check_can_create(viewer)
    if len(objects) > MAX_OBJECTS:
        raise PayloadTooLarge(f"a request may add at most {MAX_OBJECTS} objects")
    now = kb.now()
    posted = [(o, str(o["id"])) for o in objects if isinstance(o, dict) and _has_id(o)]
    served = _served(kb, viewer, [sid for _, sid in posted])
    fresh = [
        (n, obj)
        for n, (obj, sid) in enumerate(posted)
        if sid.lower() not in served and target.imports_as is not None
    ]
    # The import commits in its own transactions (a staged import job); the proposals and the
    # status are written together after it.
    imported = _import(kb, viewer, target, fresh)
    items: list[statuses.ObjectStatus] = []
    with kb.transaction():
        for n, (obj, sid) in enumerate(posted):
            version = _version(obj)
            found = served.get(sid.lower())
            if found is not None:
                items.append(_propose(kb, viewer, obj, sid, version, found, now))
            else:
                items.append(
                    imported.get(n) or statuses.ObjectStatus(sid, version, "failure", NOT_FOUND)
                )
        status_id = statuses.save(kb, viewer, now, items)
    return statuses.resource(kb, viewer, status_id)


def _version(obj: Mapping[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


def _has_id(obj: Mapping[str, Any]) -> bool:
    sid = obj.get("id")
    return isinstance(sid, str) and "--" in sid and len(sid) <= 300


def _served(kb: KnowledgeBase, viewer: Viewer, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The objects served to the viewer under these STIX ids (any collection's), by id in lower
    case. Read-only, through the sharing rules of TAXII's own reads."""
    wanted = tuple(dict.fromkeys(ids))
    if not wanted:
        return {}
    query = stix_feed.Query(limit=len(wanted), ids=wanted)
    page = stix_feed.page(kb, viewer, stix_feed.Scope(), query)
    return {str(e.object["id"]).lower(): e.object for e in page.entries}


def _propose(
    kb: KnowledgeBase,
    viewer: Viewer,
    obj: dict[str, Any],
    sid: str,
    version: str,
    served: Mapping[str, Any],
    now: dt.datetime,
) -> statuses.ObjectStatus:
    """A pending proposal for the record served under ``sid``, or a failure. Writes the
    proposal."""

    def failed(message: str) -> statuses.ObjectStatus:
        return statuses.ObjectStatus(sid, version, "failure", message[:500])

    if served.get("revoked") is True:
        return failed("the record is withdrawn: it is no longer corrected")
    if stix_revoked.is_revoked(obj):  # the origin's reviewers withdraw by posting it revoked
        why = stix_revoked.withdraw(
            kb, viewer, served["extensions"][m.PROPS_EXT]["record_id"], "a TAXII request"
        )
        return failed(why) if why else statuses.ObjectStatus(sid, version, "success", "withdrawn")
    try:
        record = kb.get(served["extensions"][m.PROPS_EXT]["record_id"], viewer)
    except NotFound:  # served a moment ago: withdrawn or re-marked since
        return failed(NOT_FOUND)
    try:
        changes = _changes(kb, viewer, obj, record)
    except (sc.Skip, sc.Invalid, AccordError, KeyError, TypeError) as exc:
        return failed(f"invalid: {exc}")
    if not changes:
        return failed("the object changes nothing in the record")
    proposal_id = str(uuid.uuid4())
    with kb.federation_tables(write=True) as conn:
        conn.execute(
            insert(correction_proposals).values(
                id=proposal_id,
                record_id=record.id,
                owner=record.owner,
                object_id=sid,
                changes=orjson.dumps(changes).decode(),
                proposed_by=viewer.user_id,
                proposer_org=viewer.org_id or "",
                state="pending",
                reason="",
                created_at=now,
            )
        )
    message = "a correction proposal, waiting for the record owner's reviewers"
    return statuses.ObjectStatus(sid, version, "pending", message, proposal_id)


def _changes(
    kb: KnowledgeBase, viewer: Viewer, obj: Mapping[str, Any], record: Record
) -> dict[str, Any]:
    """The payload fields whose value the object changes in the record (references resolved as
    the viewer sees them: one to a record hidden from the viewer resolves to nothing, as one to
    no record). Raises Skip, Invalid or InvalidInput. Read-only."""
    plan = sc.plan(obj)
    if plan.kind is not record.kind:
        raise InvalidInput(f"a {plan.kind.value} cannot correct a {record.kind.value} record")
    ctx = sc.Context(
        _visible_resolver(kb, viewer, obj),
        {},
        Source(
            title="TAXII correction",
            publisher="TAXII correction",
            url="https://accord.invalid/taxii-corrections",
        ),
        record.marking,
        lambda _: None,
    )
    proposed, _ = sc.convert(obj, sc.Plan(record.id, record.kind, plan.needs), ctx)
    now = _fields(proposed.data)
    before = _fields(record.data)
    return {k: v for k, v in now.items() if before.get(k) != v}


def _visible_resolver(kb: KnowledgeBase, viewer: Viewer, obj: Mapping[str, Any]) -> sc.Resolve:
    """STIX id → record id as a pull resolves it, kept only when the viewer may see the record
    (a copy the viewer's organisation pulled may be hidden from the viewer, e.g. withdrawn)."""
    resolve = _resolver(kb, viewer, {}, [obj])
    seen: dict[str, bool] = {}

    def visible(sid: str) -> str | None:
        found = resolve(sid)
        if found is not None and found not in seen:
            seen[found] = bool(kb.visible_ids([found], viewer))
        return found if found is not None and seen[found] else None

    return visible


def _fields(data: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    dumped.pop("extra", None)
    return dumped


def _import(
    kb: KnowledgeBase, viewer: Viewer, target: Target, objects: Sequence[tuple[int, Any]]
) -> dict[int, statuses.ObjectStatus]:
    """Import new objects as drafts of the poster's organisation (each valid one is written;
    the rest are failures), by their position. Writes."""
    if not objects or target.imports_as is None:
        return {}
    # A POST never publishes: a reviewer's objects arrive as drafts, as a contributor's do.
    drafting = Viewer(viewer.user_id, viewer.org_id, UserRole.CONTRIBUTOR, viewer.staging)
    items = [obj for _, obj in objects]
    source = ObjectSource(f"taxii-{target.key}", None, lambda: iter(items))
    report = import_objects(
        kb, source, drafting, skip_invalid=True, default_marking=target.imports_as
    )
    failed = {p.where: p.reason for p in report.invalid}
    failed.update(
        {p.where: p.reason for p in report.notes if p.reason.startswith(_NOT_STORED_NOTES)}
    )
    out: dict[int, statuses.ObjectStatus] = {}
    for n, obj in objects:
        sid, version = str(obj["id"]), _version(obj)
        reason = failed.get(sid) or _skip_reason(obj)
        if reason or not report.written:
            out[n] = statuses.ObjectStatus(sid, version, "failure", reason or "not written")
        else:
            out[n] = statuses.ObjectStatus(sid, version, "success", "")
    return out


def _skip_reason(obj: Mapping[str, Any]) -> str | None:
    try:
        sc.plan(obj)
    except sc.Skip as skip:
        return f"not stored: {skip}"
    except (sc.Invalid, KeyError, TypeError) as exc:
        return f"invalid: {exc}"
    return None


# -- reviewing -------------------------------------------------------------------------------


def pending(kb: KnowledgeBase, viewer: Viewer, *, every: bool = False) -> list[Proposal]:
    """The proposals for the viewer's organisation's records that the viewer may see (pending
    only unless ``every``), oldest first. Read-only."""
    if viewer.org_id is None:
        return []
    query = select(correction_proposals).where(correction_proposals.c.owner == viewer.org_id)
    if not every:
        query = query.where(correction_proposals.c.state == "pending")
    with kb.federation_tables() as conn:
        found = [
            _proposal(r) for r in conn.execute(query.order_by(correction_proposals.c.created_at))
        ]
    seen = kb.visible_ids({p.record_id for p in found}, viewer)
    return [p for p in found if p.record_id in seen]


def get(kb: KnowledgeBase, viewer: Viewer, proposal_id: str) -> Proposal:
    """One proposal for the viewer's organisation's records; NotFound for any other (or one
    about a record the viewer may not see). Read-only."""
    with kb.federation_tables() as conn:
        row = conn.execute(
            select(correction_proposals).where(correction_proposals.c.id == proposal_id)
        ).first()
    proposal = _proposal(row) if row is not None else None
    if (
        proposal is None
        or proposal.owner != viewer.org_id
        or not kb.visible_ids([proposal.record_id], viewer)
    ):
        raise NotFound("no such proposal")
    return proposal


def _decide(kb: KnowledgeBase, viewer: Viewer, proposal: Proposal, state: str, reason: str) -> None:
    with kb.federation_tables(write=True) as conn:
        done = conn.execute(
            update(correction_proposals)
            .where(
                correction_proposals.c.id == proposal.id,
                correction_proposals.c.state == "pending",
            )
            .values(state=state, reason=reason, decided_by=viewer.user_id, decided_at=kb.now())
        )
    if done.rowcount != 1:
        raise Conflict("the proposal was decided meanwhile")


def _open(kb: KnowledgeBase, viewer: Viewer, proposal_id: str) -> Proposal:
    proposal = get(kb, viewer, proposal_id)
    if not is_reviewer_of(viewer, proposal.owner):
        raise Forbidden("only reviewers of the record's organisation decide on corrections")
    if proposal.state != "pending":
        raise Conflict(f"the proposal is already {proposal.state}")
    return proposal


def accept(kb: KnowledgeBase, viewer: Viewer, proposal_id: str) -> Record:
    """Apply a pending proposal to its record as the reviewer (one revision and audit entry,
    like any edit) and mark it accepted; the record as it is now. Writes."""
    proposal = _open(kb, viewer, proposal_id)
    with kb.transaction():
        record = kb.update(proposal.record_id, viewer, data=proposal.changes)
        _decide(kb, viewer, proposal, "accepted", "")
    return record


def reject(kb: KnowledgeBase, viewer: Viewer, proposal_id: str, reason: str) -> Proposal:
    """Reject a pending proposal with a reason (told to the poster through its TAXII status).
    Writes."""
    text = reason.strip()
    if not text or len(text) > 1000 or not text.isprintable():
        raise InvalidInput("a reason is 1 to 1000 printable characters", field="reason")
    proposal = _open(kb, viewer, proposal_id)
    _decide(kb, viewer, proposal, "rejected", text)
    return get(kb, viewer, proposal_id)
