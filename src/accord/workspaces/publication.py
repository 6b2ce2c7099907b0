"""Publication: each joined organisation's own claim, all in one joint group, written through
the knowledge base's write path in one transaction with the workspace's change of status."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from accord.access import Viewer
from accord.errors import AccordError, Conflict
from accord.kb import KnowledgeBase
from accord.workspaces import claims, notify, options, rules, store
from accord.workspaces.loading import event, load
from accord.workspaces.model import JOINED_STATES, Participant, Statement, Status, Workspace
from accord.workspaces.reading import show

#: The user recorded for publications the instance makes at the embargo end.
SYSTEM_USER = "system"


def publish(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """Publish now (the owner's reviewers; before the embargo end this ends it early): see
    :func:`_publish`."""
    with kb.transaction(), kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        rules.check_can_manage(found.access, found.ws)
        opts = options.options(conn, workspace_id)
        if opts.confirm_by is not None and kb.now() < opts.confirm_by:
            raise Conflict(
                "the embargo is ending early: publication follows at the confirmation window's end",
                record=workspace_id,
            )
        _publish(kb, conn, viewer, found.ws)
        told = notify.participant_orgs(conn, workspace_id, accepted=True)
    notify.deliver(kb, [notify.Notice(workspace_id, notify.Event.PUBLICATION, told)])
    return show(kb, viewer, workspace_id, zone)


def publish_due(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Publish every open workspace whose embargo has ended and that someone joined, each in
    its own transaction; returns the ids ``published`` and, as "id: reason", those ``skipped``
    (nobody joined, or a claim could not be written: they stay open, for the owner). Writes."""
    system = Viewer(user_id=SYSTEM_USER)
    done: dict[str, list[str]] = {"published": [], "skipped": []}
    with kb.workspace_tables() as conn:
        due = store.due_ids(conn, kb.now())
    for workspace_id in due:
        try:
            with kb.transaction(), kb.workspace_tables(write=True) as conn:
                ws = store.load(conn, workspace_id, lock=True)
                if ws is None or ws.status is not Status.OPEN:
                    continue
                _publish(kb, conn, system, ws)
                told = notify.participant_orgs(conn, workspace_id, accepted=True)
            done["published"].append(workspace_id)
            notify.deliver(kb, [notify.Notice(workspace_id, notify.Event.PUBLICATION, told)])
        except AccordError as exc:
            done["skipped"].append(f"{workspace_id}: {exc.message}")
    return done


def _publish(kb: KnowledgeBase, conn: Connection, viewer: Viewer, ws: Workspace) -> None:
    """One claim per joined organisation, each that organisation's own (its wording, stance,
    level), published CLEAR in one joint group, through the knowledge base's write path, in
    the caller's transaction with the workspace's change of status: all or nothing.
    Abstainers, decliners and the silent are named nowhere; when the embargo ended early,
    only the joined organisations that confirmed publish (:func:`options.confirmed`)."""
    rules.check_open(ws)
    now = kb.now()
    st = store.current_statement(conn, ws)
    opts = options.options(conn, ws.id)
    orgs = options.org_options(conn, ws.id)
    joined = [
        p
        for p in store.participants(conn, ws.id)
        if p.state in JOINED_STATES and options.confirmed(ws, p, opts, orgs)
    ]
    if not joined:
        raise Conflict("no organisation has joined: nothing to publish", record=ws.id)
    names = store.org_names(conn, [p.org_id for p in joined])
    day = min(now, options.publication_due(ws, opts)).date()
    for p in joined:
        publish_claim(kb, conn, viewer, ws, st, p, names.get(p.org_id, p.org_id), day)
    store.mark_published(conn, ws.id, now)
    event(
        conn,
        ws.id,
        now,
        viewer,
        org_id=ws.owner,
        action="publish",
        from_state="open",
        to_state="published",
        revision=st.revision,
    )


def publish_claim(
    kb: KnowledgeBase,
    conn: Connection,
    viewer: Viewer,
    ws: Workspace,
    st: Statement,
    p: Participant,
    org_name: str,
    day: dt.date,
    action: str = "publish_claim",
) -> Participant:
    """Write ``p``'s claim (as the reviewer who affirmed its join) in the caller's
    transaction, record it on the participation, and the event. Returns the participation."""
    raw = claims.claim_input(ws, st, p, org_name, day)
    created = kb.bulk_create([raw], claims.acting_viewer(p)).created
    done = dataclasses.replace(p, claim_id=created[0])
    store.save_participant(conn, ws.id, done)
    event(
        conn,
        ws.id,
        kb.now(),
        viewer,
        org_id=p.org_id,
        action=action,
        from_state=p.state.value,
        to_state=p.state.value,
        revision=st.revision,
    )
    return done
