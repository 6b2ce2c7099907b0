"""What a joined participant publishes: its own attribution claim, built from the shared
statement and its own wording. Pure, apart from :func:`acting_viewer`'s reading of a row.

A join takes the shared text, the shared accused and level, stance ``attributes`` (``locates``
at level ``territory``: "from the territory of"); a join with its own wording takes its own
text and, where given, its own stance, level, kind and confidence words. All claims of one
workspace share one ``joint_group``. Only these public fields leave the workspace.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from accord.access import Viewer
from accord.domain.inputs import parse_input, parse_payload
from accord.domain.vocab import ClaimKind, Kind, Level, Marking, Stance, Status, UserRole
from accord.workspaces.model import Participant, State, Statement, Workspace

#: Where a claim's source points until the organisation gives its published statement's URL.
PLACEHOLDER_URL = "https://accord.invalid/workspaces/{id}"


def joint_group(ws: Workspace) -> str:
    """The joint-statement group every claim of the workspace carries."""
    suffix = f" [{ws.id}]"
    return ws.title[: 500 - len(suffix)] + suffix


def claim_input(
    ws: Workspace, st: Statement, p: Participant, org_name: str, day: dt.date
) -> dict[str, Any]:
    """The claim record (as submitted to :meth:`accord.kb.KnowledgeBase.bulk_create`) that
    ``p``'s organisation publishes on ``day``. Pure."""
    own = p.wording if p.state is State.JOINED_WITH_WORDING else None
    level = (own.level if own else None) or st.level
    default_stance = Stance.LOCATES if level is Level.TERRITORY else Stance.ATTRIBUTES
    stance = (own.stance if own else None) or default_stance
    text = (own.text if own else None) or st.text
    data: dict[str, Any] = {
        "claimant": p.org_id,
        "incident": ws.incident,
        "accused": st.accused,
        "stance": stance.value,
        "kind": (p.wording.kind or ClaimKind.OFFICIAL_STATEMENT).value,
        "date": day.isoformat(),
        "level": level.value,
        "summary": text,
        "joint_group": joint_group(ws),
    }
    if p.wording.confidence_words:
        data["confidence_words"] = p.wording.confidence_words
    return {
        "kind": Kind.CLAIM.value,
        "marking": Marking.CLEAR.value,
        "status": Status.PUBLISHED.value,
        "data": data,
        "sources": [
            {
                "title": f"{org_name}: {ws.title}"[:500],
                "publisher": org_name[:500],
                "url": p.wording.source_url or PLACEHOLDER_URL.format(id=ws.id),
                "date": day.isoformat(),
            }
        ],
    }


def check_claim(raw: dict[str, Any]) -> None:
    """Raise InvalidInput (naming the field) unless the claim would be accepted. Pure."""
    parse_input(raw)
    parse_payload(Kind.CLAIM, raw["data"], None)


def acting_viewer(p: Participant) -> Viewer:
    """The organisation's reviewer who affirmed the join, as the claim's author."""
    role = UserRole(p.changed_by_role) if p.changed_by_role else UserRole.REVIEWER
    return Viewer(user_id=p.changed_by, org_id=p.org_id, role=role)
