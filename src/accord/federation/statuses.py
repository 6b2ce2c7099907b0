"""TAXII 2.1 status resources (spec section 4.3), kept in the database so a poster can read
them back after a restart and while a correction waits for review.

A status holds one row per object posted, in the order posted, each ``success``, ``failure``
or ``pending`` with a message. A pending object is a correction proposal
(:mod:`.proposals`): it becomes a success when a reviewer of the record's owner accepts it and
a failure when one rejects it, so the status is read with its proposals' current state. The
status is ``pending`` while any object is, else ``complete``. Only the user who posted may
read a status; for anyone else it does not exist (the same answer as an unknown id).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from accord.access import Viewer
from accord.errors import NotFound
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase
from accord.store.correction_tables import (
    correction_proposals,
    taxii_status_objects,
    taxii_statuses,
)
from accord.store.rows import as_utc

OUTCOMES = ("success", "failure", "pending")


@dataclass(frozen=True)
class ObjectStatus:
    """What became of one object posted (``outcome`` is one of :data:`OUTCOMES`)."""

    object_id: str
    version: str
    outcome: str
    message: str
    proposal_id: str | None = None

    def detail(self) -> dict[str, str]:
        """The TAXII status-details of the object (id, version, message)."""
        out = {"id": self.object_id, "version": self.version}
        if self.message:
            out["message"] = self.message
        return out


def save(
    kb: KnowledgeBase, viewer: Viewer, requested_at: dt.datetime, items: Sequence[ObjectStatus]
) -> str:
    """Store a status for the objects of one request; its new id. Writes (joins the caller's
    transaction)."""
    status_id = str(uuid.uuid4())
    with kb.federation_tables(write=True) as conn:
        conn.execute(
            insert(taxii_statuses).values(
                id=status_id, user_id=viewer.user_id, requested_at=requested_at
            )
        )
        if items:
            conn.execute(
                insert(taxii_status_objects),
                [
                    {
                        "status_id": status_id,
                        "position": n,
                        "object_id": i.object_id[:300],
                        "version": i.version[:40],
                        "outcome": i.outcome,
                        "message": i.message,
                        "proposal_id": i.proposal_id,
                    }
                    for n, i in enumerate(items)
                ],
            )
    return status_id


def _decided(outcome: str, state: str | None, reason: str | None) -> tuple[str, str] | None:
    """The outcome and message of a pending object whose proposal was decided since."""
    if outcome != "pending" or state in (None, "pending"):
        return None
    if state == "accepted":
        return "success", "accepted by the record owner's reviewers"
    return "failure", f"rejected by the record owner's reviewers: {reason}"


def resource(kb: KnowledgeBase, viewer: Viewer, status_id: str) -> dict[str, Any]:
    """The TAXII status resource, as its poster sees it now; NotFound for anyone else or an
    unknown id (the same answer). Read-only."""
    if not viewer.authenticated:
        raise NotFound("no such status")
    with kb.federation_tables() as conn:
        head = conn.execute(
            select(taxii_statuses.c.requested_at).where(
                taxii_statuses.c.id == status_id, taxii_statuses.c.user_id == viewer.user_id
            )
        ).first()
        if head is None:
            raise NotFound("no such status")
        rows = conn.execute(
            select(
                taxii_status_objects.c.object_id,
                taxii_status_objects.c.version,
                taxii_status_objects.c.outcome,
                taxii_status_objects.c.message,
                correction_proposals.c.state,
                correction_proposals.c.reason,
                correction_proposals.c.record_id,
            )
            .outerjoin(
                correction_proposals,
                correction_proposals.c.id == taxii_status_objects.c.proposal_id,
            )
            .where(taxii_status_objects.c.status_id == status_id)
            .order_by(taxii_status_objects.c.position)
        ).all()
    waiting = {record for *_, state, _, record in rows if record and state == "pending"}
    withdrawn = {r for r in waiting if kb.tombstone(r, viewer) is not None}
    groups: dict[str, list[dict[str, str]]] = {o: [] for o in OUTCOMES}
    for object_id, version, outcome, message, state, reason, record in rows:
        if outcome == "pending" and record in withdrawn:  # withdrawn before anyone decided
            outcome, message = "failure", "the record was withdrawn before its review"
        outcome, message = _decided(outcome, state, reason) or (outcome, message)
        groups[outcome].append(ObjectStatus(object_id, version, outcome, message).detail())
    requested = as_utc(head[0])
    return {
        "id": status_id,
        "status": "pending" if groups["pending"] else "complete",
        "request_timestamp": m.timestamp(requested),
        "total_count": len(rows),
        "success_count": len(groups["success"]),
        "successes": groups["success"],
        "failure_count": len(groups["failure"]),
        "failures": groups["failure"],
        "pending_count": len(groups["pending"]),
        "pendings": groups["pending"],
    }
