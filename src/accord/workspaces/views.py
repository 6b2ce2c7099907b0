"""What each kind of reader is shown of a workspace, as JSON-ready dicts. Pure.

The service decides how much the reader sees (:func:`accord.workspaces.rules.access_of`); these
functions only shape it, and each shows exactly the fields its level allows:

- :func:`envelope_view`: inviter, topic, marking, embargo end, the reader's organisation's
  deadline and state — never the text, the evidence or the participants;
- :func:`full_view` for a participant: the statement and its revisions, and its own position;
  for the owner's side: every participant, its position and named users, and the events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from accord.workspaces.model import (
    Access,
    Event,
    Participant,
    Statement,
    Workspace,
    instant,
)


def envelope_view(
    ws: Workspace,
    own: Participant | None,
    names: Mapping[str, str],
    now: dt.datetime,
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """The envelope: what an invitee sees before accepting the embargo."""
    return {
        "id": ws.id,
        "access": Access.ENVELOPE.value,
        "inviter": {"org": ws.owner, "name": names.get(ws.owner, ws.owner)},
        "topic": ws.title,
        "marking": ws.marking.value,
        "embargo_end": instant(ws.embargo_end, zone),
        "deadline": instant(own.deadline, zone) if own else None,
        "state": own.effective(now).value if own else None,
        "status": ws.status.value,
    }


def _statement(st: Statement, zone: ZoneInfo | None) -> dict[str, Any]:
    return {
        "revision": st.revision,
        "text": st.text,
        "accused": st.accused,
        "level": st.level.value,
        "embargo_end": instant(st.embargo_end, zone),
        "content_hash": st.content_hash,
        "created_at": instant(st.created_at, zone),
    }


def position_view(
    p: Participant, now: dt.datetime, zone: ZoneInfo | None, *, owner_side: bool
) -> dict[str, Any]:
    """One organisation's position (its members only for the owner's side or itself)."""
    w = p.wording
    shown: dict[str, Any] = {
        "org": p.org_id,
        "state": p.effective(now).value,
        "silent": p.silent(now),
        "deadline": instant(p.deadline, zone),
        "embargo_accepted": p.accepted,
        "position_revision": p.position_revision,
        "wording": {
            "text": w.text,
            "stance": w.stance.value if w.stance else None,
            "level": w.level.value if w.level else None,
            "kind": w.kind.value if w.kind else None,
            "confidence_words": w.confidence_words,
            "source_url": w.source_url,
        },
        "changed_at": instant(p.changed_at, zone),
        "claim": p.claim_id,
        "users": list(p.members),
    }
    if owner_side:
        shown["invited_at"] = instant(p.invited_at, zone)
    return shown


def full_view(
    ws: Workspace,
    access: Access,
    own: Participant | None,
    statements: Sequence[Statement],
    everyone: Sequence[Participant],
    events: Sequence[Event],
    names: Mapping[str, str],
    now: dt.datetime,
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """The workspace for a participant that accepted the embargo, or for the owner's side
    (``everyone`` and ``events`` are given only for the owner's side)."""
    owner_side = access in (Access.MANAGER, Access.OWNER_MEMBER)
    shown = envelope_view(ws, own, names, now, zone)
    shown["access"] = access.value
    shown["incident"] = ws.incident
    shown["statement"] = _statement(statements[-1], zone)
    shown["revisions"] = [_statement(st, zone) for st in statements]
    shown["published_at"] = instant(ws.published_at, zone)
    shown["position"] = position_view(own, now, zone, owner_side=owner_side) if own else None
    if owner_side:
        shown["participants"] = [
            {"name": names.get(p.org_id, p.org_id), **position_view(p, now, zone, owner_side=True)}
            for p in everyone
        ]
        shown["events"] = [e.to_json(zone) for e in events]
    return shown
