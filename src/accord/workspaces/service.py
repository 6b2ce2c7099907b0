"""Coordination workspaces: the library API the CLI and the REST routes call.

Each function loads what it needs through :meth:`KnowledgeBase.workspace_tables`, asks
:mod:`accord.workspaces.rules` whether the caller may see or do it, then answers or writes.
Every write is one transaction with one audited event per transition
(:func:`accord.workspaces.store.record_event`). Times are exact UTC instants; answers show
them in UTC and, given the reader's time zone, in that zone too
(:func:`accord.workspaces.model.instant`).

Silence at an answer deadline is read as a decline when the workspace is read
(:meth:`Participant.effective`): no background job decides it. Publication at the embargo end
is :func:`publish_due`, run by the operator (``accord workspace publish-due``, e.g. each minute
from a timer); the owner's reviewers may also publish at once (:func:`publish`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from accord import access, accounts
from accord.access import Viewer
from accord.domain.vocab import Kind, Level, Marking
from accord.errors import BadRequest, Forbidden, InvalidInput
from accord.kb import KnowledgeBase
from accord.workspaces import claims, notify, rules, store
from accord.workspaces.collab import (
    add_evidence,
    answer_early_end,
    check_not_ending_early,
    dashboard,
    early_end_view,
    end_embargo,
    list_evidence,
    list_threads,
    notification_settings,
    post_comment,
    read_thread,
    set_notifications,
    set_show_invitees,
    set_show_position,
    visit,
)
from accord.workspaces.loading import event, load
from accord.workspaces.model import (
    JOINED_STATES,
    Participant,
    Position,
    State,
    Statement,
    Status,
    Wording,
    Workspace,
    content_hash,
    parse_instant,
    utc_text,
)
from accord.workspaces.publication import publish, publish_claim, publish_due
from accord.workspaces.reading import list_for, show

__all__ = [
    "Invitee",
    "accept_embargo",
    "add_evidence",
    "answer",
    "answer_early_end",
    "create",
    "dashboard",
    "early_end_view",
    "end_embargo",
    "invite",
    "list_evidence",
    "list_for",
    "list_threads",
    "name_users",
    "notification_settings",
    "notify_due",
    "post_comment",
    "publish",
    "publish_due",
    "read_thread",
    "revise",
    "send_digests",
    "set_notifications",
    "set_show_invitees",
    "set_show_position",
    "show",
    "visit",
]

#: The markings a workspace may carry: it is confidential until it publishes.
WORKSPACE_MARKINGS = (Marking.AMBER, Marking.AMBER_STRICT, Marking.RED)
MAX_TEXT = 20_000


@dataclasses.dataclass(frozen=True)
class Invitee:
    """An organisation to invite (its id or name) and its answer deadline."""

    org: str
    deadline: str | dt.datetime


def _text(text: str) -> str:
    value = text.strip()
    if not value or len(value) > MAX_TEXT:
        raise InvalidInput(f"the text needs 1 to {MAX_TEXT} characters", field="text")
    return value


def _check_refs(kb: KnowledgeBase, viewer: Viewer, incident: str, accused: str) -> None:
    """The incident and the accused must be records of those kinds the viewer sees (an unseen
    one is reported as unknown, as every write does)."""
    found = kb.get_many([incident, accused], viewer)
    if incident not in found or found[incident].kind is not Kind.INCIDENT:
        raise InvalidInput(f"unknown incident '{incident}'", field="incident")
    if accused not in found or found[accused].kind is not Kind.ACTOR:
        raise InvalidInput(f"unknown actor '{accused}'", field="accused")


def _future(moment: str | dt.datetime, now: dt.datetime, field: str) -> dt.datetime:
    value = parse_instant(moment, field)
    if value <= now:
        raise InvalidInput("the time must be in the future", field=field)
    return value


def _deadline(value: str | dt.datetime, now: dt.datetime, embargo_end: dt.datetime) -> dt.datetime:
    deadline = _future(value, now, "deadline")
    if deadline > embargo_end:
        raise InvalidInput(
            "an answer deadline must not fall after the embargo end", field="deadline"
        )
    return deadline


# -- the owner ---------------------------------------------------------------------------------


def create(
    kb: KnowledgeBase,
    viewer: Viewer,
    *,
    incident: str,
    accused: str,
    level: Level,
    text: str,
    embargo_end: str | dt.datetime,
    title: str | None = None,
    marking: Marking = Marking.AMBER_STRICT,
    invitees: Sequence[Invitee] = (),
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Open a workspace owned by the viewer's organisation (its reviewers only), with
    statement revision 1 and the invitations. Writes the workspace, one event per act."""
    org = access.check_can_create(viewer)
    if not access.is_reviewer_of(viewer, org):
        raise Forbidden("only reviewers of an organisation may open a workspace")
    if marking not in WORKSPACE_MARKINGS:
        raise InvalidInput(
            "a workspace is AMBER, AMBER+STRICT or RED until it publishes", field="marking"
        )
    now = kb.now()
    end = _future(embargo_end, now, "embargo_end")
    body = _text(text)
    _check_refs(kb, viewer, incident, accused)
    topic = (title or "").strip() or f"Joint attribution: {kb.get(incident, viewer).name}"
    if len(topic) > 500:
        raise InvalidInput("the title has at most 500 characters", field="title")
    ws = Workspace(
        id=f"ws-{uuid.uuid4().hex[:20]}",
        owner=org,
        incident=incident,
        title=topic,
        marking=marking,
        embargo_end=end,
        revision=1,
        status=Status.OPEN,
        created_at=now,
        created_by=viewer.user_id,
        published_at=None,
    )
    statement = Statement(
        1, body, accused, level, end, content_hash(body, accused, level, end), now, viewer.user_id
    )
    owner_row = Participant(
        org_id=org,
        state=State.EMBARGO_ACCEPTED,
        deadline=None,
        invited_at=now,
        invited_by=viewer.user_id,
        embargo_accepted_at=now,
        position_revision=None,
        wording=Wording(),
        changed_at=now,
        changed_by=viewer.user_id,
        changed_by_role=viewer.role.value if viewer.role else None,
        claim_id=None,
    )
    with kb.workspace_tables(write=True) as conn:
        store.insert_workspace(conn, ws)
        store.insert_statement(conn, ws.id, statement)
        store.insert_participant(conn, ws.id, owner_row)
        event(conn, ws.id, now, viewer, org_id=org, action="create", to_state="open", revision=1)
        event(
            conn,
            ws.id,
            now,
            viewer,
            org_id=org,
            action="accept_embargo",
            to_state=State.EMBARGO_ACCEPTED.value,
            revision=1,
        )
        invited = [_invite(kb, conn, viewer, ws, invitee, now) for invitee in invitees]
    notify.deliver(kb, [notify.Notice(ws.id, notify.Event.INVITATION, frozenset(invited))])
    return show(kb, viewer, ws.id, zone)


def _invite(
    kb: KnowledgeBase,
    conn: Connection,
    viewer: Viewer,
    ws: Workspace,
    invitee: Invitee,
    now: dt.datetime,
) -> str:
    """Invite one organisation (or give it a new deadline); returns its id."""
    org = accounts.find_org(kb, invitee.org)
    if org == ws.owner:
        raise InvalidInput("the owner is a participant already", field="org")
    deadline = _deadline(invitee.deadline, now, ws.embargo_end)
    present = store.participant(conn, ws.id, org)
    if present is None:
        store.insert_participant(
            conn,
            ws.id,
            Participant(
                org_id=org,
                state=State.INVITED,
                deadline=deadline,
                invited_at=now,
                invited_by=viewer.user_id,
                embargo_accepted_at=None,
                position_revision=None,
                wording=Wording(),
                changed_at=now,
                changed_by=viewer.user_id,
                changed_by_role=None,
                claim_id=None,
            ),
        )
        event(
            conn,
            ws.id,
            now,
            viewer,
            org_id=org,
            action="invite",
            to_state=State.INVITED.value,
            revision=ws.revision,
        )
        return org
    # Inviting again sets a new deadline (which also reopens a silent participant's answer).
    old = present.deadline
    store.save_participant(conn, ws.id, dataclasses.replace(present, deadline=deadline))
    event(
        conn,
        ws.id,
        now,
        viewer,
        org_id=org,
        action="deadline",
        from_state=utc_text(old) if old else None,
        to_state=utc_text(deadline),
        revision=ws.revision,
    )
    return org


def invite(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    invitee: Invitee,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Invite an organisation, or give an invited one a new answer deadline (the owner's
    reviewers). Writes one participant row and one event."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        rules.check_can_manage(found.access, found.ws)
        rules.check_open(found.ws)
        org = _invite(kb, conn, viewer, found.ws, invitee, now)
    notify.deliver(kb, [notify.Notice(workspace_id, notify.Event.INVITATION, frozenset({org}))])
    return show(kb, viewer, workspace_id, zone)


def revise(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    *,
    text: str | None = None,
    accused: str | None = None,
    level: Level | None = None,
    embargo_end: str | dt.datetime | None = None,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Write a new statement revision (the owner's reviewers). A change of text, accused or
    level lapses every join (back to ``embargo_accepted``: re-affirm); a change of the embargo
    end invites again everyone who had accepted it (re-accept). Writes one revision and one
    event per transition."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        ws = found.ws
        rules.check_can_manage(found.access, ws)
        rules.check_open(ws)
        check_not_ending_early(conn, found)
        old = store.current_statement(conn, ws)
        new_accused = accused if accused is not None else old.accused
        if accused is not None:
            _check_refs(kb, viewer, ws.incident, new_accused)
        body = _text(text) if text is not None else old.text
        new_level = level or old.level
        end = (
            _future(embargo_end, now, "embargo_end") if embargo_end is not None else old.embargo_end
        )
        new = Statement(
            ws.revision + 1,
            body,
            new_accused,
            new_level,
            end,
            content_hash(body, new_accused, new_level, end),
            now,
            viewer.user_id,
        )
        if new.content_hash == old.content_hash:
            raise BadRequest("nothing changed: give a new text, accused, level or embargo end")
        store.insert_statement(conn, ws.id, new)
        event(conn, ws.id, now, viewer, org_id=ws.owner, action="revise", revision=new.revision)
        lapsed: set[str] = set()
        for p in store.participants(conn, ws.id):
            after = p
            if not new.same_terms(old) and (state := rules.lapsed_by_terms(p)) is not None:
                after = dataclasses.replace(after, state=state)
            if (
                new.embargo_end != old.embargo_end
                and (state := rules.lapsed_by_embargo(after, ws.owner)) is not None
            ):
                after = dataclasses.replace(after, state=state, embargo_accepted_at=None)
            if after != p:
                lapsed.add(p.org_id)
                after = dataclasses.replace(after, changed_at=now, changed_by=viewer.user_id)
                _save_transition(conn, ws.id, now, viewer, p, after, "lapse", new.revision)
    notify.deliver(kb, [notify.Notice(workspace_id, notify.Event.REVISION, frozenset(lapsed))])
    return show(kb, viewer, workspace_id, zone)


def name_users(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    emails: Sequence[str],
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Name users of the viewer's own organisation on the workspace (its reviewers): they
    then see what their organisation sees. Emails of active members only, refused alike
    otherwise (:func:`accord.accounts.named_readers`). Writes one event per user."""
    if not emails or any("@" not in e for e in emails):
        raise InvalidInput("name users by the email of members of your organisation", field="users")
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        if found.own is None or viewer.role is None or not viewer.role.can_review:
            raise Forbidden(
                "only reviewers of a participating organisation name its users", record=workspace_id
            )
        rules.check_open(found.ws)
        ids = accounts.named_readers(kb, viewer, emails)
        fresh = sorted(set(ids) - set(found.own.members))
        store.add_members(conn, workspace_id, found.own.org_id, fresh)
        for user in fresh:
            event(
                conn,
                workspace_id,
                now,
                viewer,
                org_id=found.own.org_id,
                action="name_user",
                to_state=user[:24],
                revision=found.ws.revision,
            )
    return show(kb, viewer, workspace_id, zone)


# -- the participants --------------------------------------------------------------------------


def accept_embargo(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """Accept the current embargo for the viewer's organisation: it then sees the statement.
    Writes one event."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        own = rules.check_can_answer(viewer, found.access, found.ws, found.own, None, now)
        check_not_ending_early(conn, found)
        after = dataclasses.replace(
            own,
            state=State.EMBARGO_ACCEPTED,
            embargo_accepted_at=now,
            changed_at=now,
            changed_by=viewer.user_id,
            changed_by_role=_role(viewer),
        )
        _save_transition(
            conn, workspace_id, now, viewer, own, after, "accept_embargo", found.ws.revision
        )
    return show(kb, viewer, workspace_id, zone)


def answer(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    position: Position,
    wording: Wording = Wording(),
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Give the viewer's organisation's position: join (the shared text), join with its own
    wording (its text and, if given, stance, level, kind, confidence words), abstain or
    decline. A join is checked now as the claim it will publish; after publication, a late
    join publishes its claim at once, in the same joint group with its own date. Writes one
    event (and, for a late join, the claim and a second event) in one transaction."""
    now = kb.now()
    if position is Position.JOIN and (wording.text or wording.stance or wording.level):
        raise InvalidInput(
            "a join takes the shared text: use join_with_wording for your own", field="wording"
        )
    if position is Position.JOIN_WITH_WORDING and not (wording.text or "").strip():
        raise InvalidInput("give your organisation's wording", field="wording")
    if position.state not in JOINED_STATES:
        wording = Wording()
    elif wording.text is not None:
        wording = dataclasses.replace(wording, text=_text(wording.text))
    with kb.transaction(), kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        own = rules.check_can_answer(viewer, found.access, found.ws, found.own, position, now)
        check_not_ending_early(conn, found)
        after = dataclasses.replace(
            own,
            state=position.state,
            wording=wording,
            position_revision=found.ws.revision,
            changed_at=now,
            changed_by=viewer.user_id,
            changed_by_role=_role(viewer),
        )
        if position.state in JOINED_STATES:
            statement = store.current_statement(conn, found.ws)
            _check_joinable(kb, viewer, found.ws, statement, after, now)
        _save_transition(conn, workspace_id, now, viewer, own, after, "position", found.ws.revision)
        if found.ws.status is Status.PUBLISHED:
            name = store.org_names(conn, [own.org_id]).get(own.org_id, own.org_id)
            publish_claim(
                kb, conn, viewer, found.ws, statement, after, name, now.date(), "late_claim"
            )
    return show(kb, viewer, workspace_id, zone)


def _save_transition(
    conn: Connection,
    workspace_id: str,
    now: dt.datetime,
    viewer: Viewer,
    before: Participant,
    after: Participant,
    action: str,
    revision: int,
) -> None:
    """Save an organisation's participation as ``after`` and record the event of its change
    from ``before`` (its state before and after) at ``revision``. Writes."""
    store.save_participant(conn, workspace_id, after)
    event(
        conn,
        workspace_id,
        now,
        viewer,
        org_id=before.org_id,
        action=action,
        from_state=before.state.value,
        to_state=after.state.value,
        revision=revision,
    )


def _role(viewer: Viewer) -> str | None:
    return viewer.role.value if viewer.role else None


def _check_joinable(
    kb: KnowledgeBase,
    viewer: Viewer,
    ws: Workspace,
    st: Statement,
    p: Participant,
    now: dt.datetime,
) -> None:
    """The claim the join will publish must be valid, and its references visible to the
    joining organisation (it publishes under its own rights)."""
    claims.check_claim(claims.claim_input(ws, st, p, p.org_id, now.date()))
    wanted = {ws.incident, st.accused, p.org_id}
    if kb.visible_ids(wanted, viewer) != wanted:
        raise InvalidInput(
            "your organisation cannot see the incident, the accused or its own actor record, "
            "so it cannot publish a claim about them",
            field="position",
        )


# -- notifications run from a timer ------------------------------------------------------------


def notify_due(kb: KnowledgeBase, within: dt.timedelta = dt.timedelta(hours=24)) -> int:
    """Send the reminders now due (run from a timer, ``accord workspace notify-due``): an
    answer deadline within ``within`` to each organisation that has not answered, and the
    embargo end (or an early end's window) within ``within`` to each that accepted it; each
    once. Returns how many notices were sent. Writes."""
    notices = notify.reminders_due(kb, within)
    notify.deliver(kb, notices)
    return len(notices)


def send_digests(kb: KnowledgeBase) -> int:
    """Send each user's daily digest (``accord workspace digest``): see
    :func:`accord.workspaces.notify.send_digests`. Writes."""
    return notify.send_digests(kb)
