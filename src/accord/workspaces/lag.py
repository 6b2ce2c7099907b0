"""Coordination lag of one workspace, for its owner: when the incident began, when anyone first
attributed it publicly, and when the workspace opened, invited, was accepted and published.
Read-only.

Instants from the workspace are exact; the incident's start and the first public claim are
dates at their own precision (a month-precise start counts from its first day, so the days
from it are an upper bound). The first public claim is the earliest dated claim about the
incident, published at TLP:CLEAR, among those the owner's reader sees, whoever made it, the
workspace's own included. (Read as the owner, not anonymously: a claim by an organisation
that keeps its actor record unlisted is public all the same.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from accord.access import Viewer
from accord.domain.records import Claim, Incident
from accord.domain.vocab import Kind, Marking, Status
from accord.errors import NotFound
from accord.kb import KnowledgeBase
from accord.workspaces.model import Event, Workspace, instant

_DAY = 86_400.0


def _days(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / _DAY, 2)


def _first(events: Sequence[Event], action: str) -> dict[str, dt.datetime]:
    """The first event of ``action`` per organisation."""
    found: dict[str, dt.datetime] = {}
    for e in events:
        if e.action == action and e.org_id is not None:
            found.setdefault(e.org_id, e.at)
    return found


def timeline(
    kb: KnowledgeBase,
    viewer: Viewer,
    ws: Workspace,
    events: Sequence[Event],
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """The workspace's timeline and lags in days (owner's side only: the caller checks)."""
    start = None
    try:
        record = kb.get(ws.incident, viewer)
        if isinstance(record.data, Incident):
            start = record.data.start
    except NotFound:  # re-marked since the workspace opened: the owner no longer sees it
        pass
    claims = kb.referrers(ws.incident, viewer, kind=Kind.CLAIM, fields=["incident"])
    dated = [
        (c.data.date, c.id)
        for c in claims
        if isinstance(c.data, Claim)
        and c.data.date is not None
        and c.status is Status.PUBLISHED
        and c.marking is Marking.CLEAR
    ]
    first = min(dated, key=lambda d: (d[0].earliest, d[1]), default=None)
    invited = {o: at for o, at in _first(events, "invite").items() if o != ws.owner}
    accepted = {o: at for o, at in _first(events, "accept_embargo").items() if o != ws.owner}
    start_day = (
        dt.datetime.combine(start.earliest, dt.time(), dt.UTC) if start is not None else None
    )
    return {
        "incident_start": start.model_dump(mode="json") if start is not None else None,
        "first_public_claim": (
            {"id": first[1], "date": first[0].model_dump(mode="json")} if first else None
        ),
        "opened": instant(ws.created_at, zone),
        "invited": {o: instant(at, zone) for o, at in invited.items()},
        "accepted": {o: instant(at, zone) for o, at in accepted.items()},
        "published": instant(ws.published_at, zone),
        "days": {
            "invitation_to_acceptance": {
                o: _days(invited.get(o), at) for o, at in accepted.items() if o in invited
            },
            "opened_to_published": _days(ws.created_at, ws.published_at),
            "incident_start_to_published": _days(start_day, ws.published_at),
        },
    }
