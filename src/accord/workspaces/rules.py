"""Who sees what of a coordination workspace, and who may do what: the rules in one place.
Pure (no database): the service loads the rows, asks here, then writes or answers.

Seeing (:func:`access_of`), consistent with :mod:`accord.access` (an organisation's reviewers
act for it; an instance administrator has no "see everything" role):

- the owner's reviewers and administrators manage the workspace (``MANAGER``); other users of
  the owner see it when they are named on it (``OWNER_MEMBER``);
- an invited organisation's reviewers and administrators, and the users it names, see it:
  only its **envelope** (inviter, topic, marking, embargo end, deadline, their own state)
  until the organisation accepts the current embargo (``ENVELOPE``), then the statement and
  its revisions (``PARTICIPANT``) — never the other participants or their positions;
- anyone else sees nothing, and gets the same 404 as for a workspace that does not exist
  (:func:`require_access`).

Doing:

- invite, revise the text or the embargo, name the owner's users, publish: the owner's
  reviewers and administrators (:func:`check_can_manage`);
- accept the embargo, abstain, decline, name the organisation's own users: a contributor (or
  above) among those who see it for that organisation; join, with or without its own wording:
  the organisation's reviewers and administrators only, since a join publishes a claim in the
  organisation's name (:func:`check_can_answer`);
- nothing is answered after the answer deadline (silence there reads as a decline), after
  the embargo end (positions are then final) or after publication — except a **late join**:
  after publication, an organisation that had accepted the embargo and published nothing may
  still join, and its claim is published at once in the same joint group, with its own date.
"""

from __future__ import annotations

import datetime as dt

from accord.access import Viewer, is_reviewer_of
from accord.errors import Conflict, Forbidden, NotFound
from accord.workspaces.model import (
    JOINED_STATES,
    Access,
    Participant,
    Position,
    State,
    Status,
    Workspace,
)

#: The one answer for a workspace that does not exist or that the caller may not see.
NOT_FOUND_MESSAGE = "no such workspace"


def not_found(workspace_id: str) -> NotFound:
    """The 404 every unknown or hidden workspace gets, word for word."""
    return NotFound(NOT_FOUND_MESSAGE, record=workspace_id)


def access_of(viewer: Viewer, ws: Workspace | None, own: Participant | None, named: bool) -> Access:
    """How much of ``ws`` the viewer may see. ``own`` is the viewer's organisation's
    participation (None if not invited) and ``named`` whether the viewer is named on it."""
    if ws is None or not viewer.authenticated or viewer.org_id is None:
        return Access.NONE
    gatekeeper = viewer.role is not None and viewer.role.can_review
    if viewer.org_id == ws.owner:
        if is_reviewer_of(viewer, ws.owner):
            return Access.MANAGER
        return Access.OWNER_MEMBER if named else Access.NONE
    if own is None or not (gatekeeper or named):
        return Access.NONE
    return Access.PARTICIPANT if own.accepted else Access.ENVELOPE


def require_access(access: Access, workspace_id: str, at_least: Access = Access.ENVELOPE) -> None:
    """NotFound (identical to a missing workspace) below ENVELOPE; Forbidden when the viewer
    sees the workspace but not as much as ``at_least`` asks."""
    if access is Access.NONE:
        raise not_found(workspace_id)
    if access.rank < at_least.rank:
        raise Forbidden("accept the embargo to see the statement", record=workspace_id)


def check_can_manage(access: Access, ws: Workspace) -> None:
    """Raise unless the viewer manages the workspace (404 for those who do not see it)."""
    require_access(access, ws.id)
    if access is not Access.MANAGER:
        raise Forbidden(
            "only reviewers of the owning organisation may invite, revise and publish",
            record=ws.id,
        )


def check_open(ws: Workspace) -> None:
    """Raise Conflict once the workspace is published."""
    if ws.status is not Status.OPEN:
        raise Conflict("the workspace has been published", record=ws.id)


def check_can_answer(
    viewer: Viewer,
    access: Access,
    ws: Workspace,
    own: Participant | None,
    answer: Position | None,
    now: dt.datetime,
) -> Participant:
    """Check that the viewer may give this answer for its organisation now (``None``: accept
    the embargo); returns the organisation's participation. 404 for those who do not see the
    workspace; 403 for a role that may not give it; 409 for an answer the state does not
    allow (after the deadline, before accepting the embargo, after publication but for a
    late join)."""
    require_access(access, ws.id)
    if own is None:  # the owner's users who see it but are not a participant: never
        raise Forbidden("your organisation is not a participant", record=ws.id)
    role = viewer.role
    if role is None or not role.can_write:
        raise Forbidden("readers may not answer for their organisation", record=ws.id)
    joining = answer is not None and answer.state in JOINED_STATES
    if joining and not role.can_review:
        raise Forbidden(
            "only reviewers of your organisation may join: a join publishes a claim in its name",
            record=ws.id,
        )
    if ws.status is Status.PUBLISHED:
        return _late_join(ws, own, joining)
    if now >= ws.embargo_end:
        raise Conflict(
            "the embargo has ended: positions are final and publication is due", record=ws.id
        )
    if own.deadline is not None and now >= own.deadline:
        raise Conflict(
            "the answer deadline has passed (silence there reads as a decline): ask the owner "
            "for a new deadline",
            record=ws.id,
        )
    if answer is None:  # also after declining without having accepted: a change of mind
        if own.accepted:
            raise Conflict("the embargo is already accepted", record=ws.id)
    elif answer is not Position.DECLINE and not own.accepted:
        raise Conflict("accept the embargo first", record=ws.id)
    return own


def _late_join(ws: Workspace, own: Participant, joining: bool) -> Participant:
    """After publication an organisation that accepted the embargo and has not published may
    still associate itself (a late claim in the same group); nothing else is answered."""
    if not joining:
        raise Conflict("the workspace has been published: only a late join remains", record=ws.id)
    if own.claim_id is not None:
        raise Conflict("your organisation has published its claim already", record=ws.id)
    if not own.accepted:
        raise Conflict("accept the embargo first", record=ws.id)
    return own


def lapsed_by_terms(p: Participant) -> State | None:
    """The state a participant falls back to when the text, accused or level is revised: a
    join lapses to ``embargo_accepted`` and must be re-affirmed. None: unchanged."""
    return State.EMBARGO_ACCEPTED if p.state in JOINED_STATES else None


def lapsed_by_embargo(p: Participant, owner: str) -> State | None:
    """The state a participant falls back to when the embargo end changes: whoever had
    accepted the embargo (and not abstained or declined) is invited again and must re-accept
    it. The owner, who set the new end, keeps its acceptance. None: unchanged."""
    if p.org_id == owner or not p.accepted:
        return None
    if p.state in (State.EMBARGO_ACCEPTED, *JOINED_STATES):
        return State.INVITED
    return None
