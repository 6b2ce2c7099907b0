"""Rows of the workspace tables to typed objects and back, on a connection the caller holds
(:meth:`accord.kb.KnowledgeBase.workspace_tables`). No access decision is made here: the
service asks :mod:`accord.workspaces.rules` before it returns anything.

Every transition is written with :func:`record_event`: one ``workspace_events`` row (who,
when, which organisation, from, to) and one entry of the hash-chained audit log in the same
transaction, whose ``after_hash`` is the digest of that row's canonical text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, or_, select, update

from accord.domain.vocab import ClaimKind, Level, Marking, Stance
from accord.store import audit
from accord.store.rows import as_utc
from accord.store.schema import (
    organisations,
    workspace_events,
    workspace_members,
    workspace_options,
    workspace_participants,
    workspace_statements,
    workspaces,
)
from accord.workspaces.model import (
    Event,
    Participant,
    State,
    Statement,
    Status,
    Wording,
    Workspace,
    utc_text,
)

#: The audit log's action for a workspace event: ``workspace.<action>`` (at most 32 chars).
AUDIT_PREFIX = "workspace."


def _opt_utc(moment: dt.datetime | None) -> dt.datetime | None:
    return as_utc(moment) if moment is not None else None


def _workspace(row: Any) -> Workspace:
    return Workspace(
        id=row.id,
        owner=row.owner,
        incident=row.incident,
        title=row.title,
        marking=Marking(row.marking),
        embargo_end=as_utc(row.embargo_end),
        revision=row.revision,
        status=Status(row.status),
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
        published_at=_opt_utc(row.published_at),
    )


def load(conn: Connection, workspace_id: str, *, lock: bool = False) -> Workspace | None:
    """The workspace, or None; ``lock`` takes a row lock (PostgreSQL) for a write. Read-only."""
    query = select(workspaces).where(workspaces.c.id == workspace_id)
    if lock and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    return _workspace(row) if row is not None else None


def _statement(row: Any) -> Statement:
    return Statement(
        revision=row.revision,
        text=row.text,
        accused=row.accused,
        level=Level(row.level),
        embargo_end=as_utc(row.embargo_end),
        content_hash=row.content_hash,
        created_at=as_utc(row.created_at),
        created_by=row.created_by,
    )


def statements(conn: Connection, workspace_id: str) -> list[Statement]:
    """Every statement revision, oldest first. Read-only."""
    query = (
        select(workspace_statements)
        .where(workspace_statements.c.workspace_id == workspace_id)
        .order_by(workspace_statements.c.revision)
    )
    return [_statement(row) for row in conn.execute(query)]


def current_statement(conn: Connection, ws: Workspace) -> Statement:
    """The statement at the workspace's current revision. Read-only."""
    row = conn.execute(
        select(workspace_statements).where(
            workspace_statements.c.workspace_id == ws.id,
            workspace_statements.c.revision == ws.revision,
        )
    ).one()
    return _statement(row)


def _participant(row: Any, members: Sequence[str]) -> Participant:
    return Participant(
        org_id=row.org_id,
        state=State(row.state),
        deadline=_opt_utc(row.deadline),
        invited_at=as_utc(row.invited_at),
        invited_by=row.invited_by,
        embargo_accepted_at=_opt_utc(row.embargo_accepted_at),
        position_revision=row.position_revision,
        wording=Wording(
            text=row.wording,
            stance=Stance(row.stance) if row.stance else None,
            level=Level(row.level) if row.level else None,
            kind=ClaimKind(row.claim_kind) if row.claim_kind else None,
            confidence_words=row.confidence_words,
            source_url=row.source_url,
        ),
        changed_at=as_utc(row.changed_at),
        changed_by=row.changed_by,
        changed_by_role=row.changed_by_role,
        claim_id=row.claim_id,
        members=tuple(members),
    )


def participants(
    conn: Connection, workspace_id: str, org_id: str | None = None
) -> list[Participant]:
    """The participants (one organisation's only, given ``org_id``), by organisation id, with
    their named users. Read-only."""
    query = select(workspace_participants).where(
        workspace_participants.c.workspace_id == workspace_id
    )
    named = select(workspace_members.c.org_id, workspace_members.c.user_id).where(
        workspace_members.c.workspace_id == workspace_id
    )
    if org_id is not None:
        query = query.where(workspace_participants.c.org_id == org_id)
        named = named.where(workspace_members.c.org_id == org_id)
    members: dict[str, list[str]] = {}
    for org, user in conn.execute(named.order_by(workspace_members.c.user_id)):
        members.setdefault(org, []).append(user)
    rows = conn.execute(query.order_by(workspace_participants.c.org_id))
    return [_participant(row, members.get(row.org_id, ())) for row in rows]


def participant(conn: Connection, workspace_id: str, org_id: str | None) -> Participant | None:
    """One organisation's participation, or None. Read-only."""
    if org_id is None:
        return None
    found = participants(conn, workspace_id, org_id)
    return found[0] if found else None


def visible_ids(conn: Connection, org_id: str, user_id: str, reviewer: bool) -> list[str]:
    """Ids of the workspaces a user could be let into: owned by or inviting the user's
    organisation (any, for a reviewer; those naming the user, otherwise). The rules decide
    per workspace. Read-only."""
    named = select(workspace_members.c.workspace_id).where(
        workspace_members.c.user_id == user_id, workspace_members.c.org_id == org_id
    )
    invited = select(workspace_participants.c.workspace_id).where(
        workspace_participants.c.org_id == org_id
    )
    condition = (
        or_(workspaces.c.owner == org_id, workspaces.c.id.in_(invited))
        if reviewer
        else workspaces.c.id.in_(named)
    )
    query = select(workspaces.c.id).where(condition).order_by(workspaces.c.id)
    return list(conn.execute(query).scalars())


def org_names(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Registered organisations' names by id (signed-in users see them all). Read-only."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = select(organisations.c.id, organisations.c.name).where(organisations.c.id.in_(wanted))
    return {oid: name for oid, name in conn.execute(query)}


def org_exists(conn: Connection, org_id: str) -> bool:
    """Whether an organisation is registered. Read-only."""
    found = conn.execute(select(organisations.c.id).where(organisations.c.id == org_id)).first()
    return found is not None


def events(conn: Connection, workspace_id: str) -> list[Event]:
    """Every transition of a workspace, in order. Read-only."""
    query = (
        select(workspace_events)
        .where(workspace_events.c.workspace_id == workspace_id)
        .order_by(workspace_events.c.seq)
    )
    return [
        Event(
            seq=row.seq,
            at=as_utc(row.at),
            user_id=row.user_id,
            org_id=row.org_id,
            action=row.action,
            from_state=row.from_state,
            to_state=row.to_state,
            revision=row.revision,
        )
        for row in conn.execute(query)
    ]


# -- writes ------------------------------------------------------------------------------------


def insert_workspace(conn: Connection, ws: Workspace) -> None:
    """Write a new workspace row."""
    conn.execute(
        insert(workspaces).values(
            id=ws.id,
            owner=ws.owner,
            incident=ws.incident,
            title=ws.title,
            marking=ws.marking.value,
            embargo_end=ws.embargo_end,
            revision=ws.revision,
            status=ws.status.value,
            created_at=ws.created_at,
            created_by=ws.created_by,
            published_at=None,
        )
    )


def insert_statement(conn: Connection, workspace_id: str, st: Statement) -> None:
    """Write a statement revision and make it the workspace's current one (and its embargo)."""
    conn.execute(
        insert(workspace_statements).values(
            workspace_id=workspace_id,
            revision=st.revision,
            text=st.text,
            accused=st.accused,
            level=st.level.value,
            embargo_end=st.embargo_end,
            content_hash=st.content_hash,
            created_at=st.created_at,
            created_by=st.created_by,
        )
    )
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(revision=st.revision, embargo_end=st.embargo_end)
    )


def insert_participant(conn: Connection, workspace_id: str, p: Participant) -> None:
    """Write a new participant row."""
    conn.execute(
        insert(workspace_participants).values(
            workspace_id=workspace_id, org_id=p.org_id, **_participant_values(p)
        )
    )


def save_participant(conn: Connection, workspace_id: str, p: Participant) -> None:
    """Overwrite a participant's row with ``p``."""
    conn.execute(
        update(workspace_participants)
        .where(
            workspace_participants.c.workspace_id == workspace_id,
            workspace_participants.c.org_id == p.org_id,
        )
        .values(**_participant_values(p))
    )


def _participant_values(p: Participant) -> dict[str, Any]:
    w = p.wording
    return {
        "state": p.state.value,
        "deadline": p.deadline,
        "invited_at": p.invited_at,
        "invited_by": p.invited_by,
        "embargo_accepted_at": p.embargo_accepted_at,
        "position_revision": p.position_revision,
        "wording": w.text,
        "stance": w.stance.value if w.stance else None,
        "level": w.level.value if w.level else None,
        "claim_kind": w.kind.value if w.kind else None,
        "confidence_words": w.confidence_words,
        "source_url": w.source_url,
        "changed_at": p.changed_at,
        "changed_by": p.changed_by,
        "changed_by_role": p.changed_by_role,
        "claim_id": p.claim_id,
    }


def add_members(conn: Connection, workspace_id: str, org_id: str, user_ids: Iterable[str]) -> None:
    """Name users of an organisation on a workspace (those already named are skipped)."""
    present = set(participants(conn, workspace_id, org_id)[0].members)
    fresh = sorted(set(user_ids) - present)
    if fresh:
        conn.execute(
            insert(workspace_members),
            [{"workspace_id": workspace_id, "org_id": org_id, "user_id": u} for u in fresh],
        )


def mark_published(conn: Connection, workspace_id: str, at: dt.datetime) -> None:
    """Set the workspace's status to published."""
    conn.execute(
        update(workspaces)
        .where(workspaces.c.id == workspace_id)
        .values(status=Status.PUBLISHED.value, published_at=at)
    )


def record_event(
    conn: Connection,
    workspace_id: str,
    *,
    at: dt.datetime,
    user_id: str | None,
    org_id: str | None,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    revision: int | None = None,
) -> None:
    """Write one transition and its audit-log entry, in the caller's transaction."""
    conn.execute(
        insert(workspace_events).values(
            workspace_id=workspace_id,
            at=at,
            user_id=user_id,
            org_id=org_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            revision=revision,
        )
    )
    line = "\x1f".join(
        (
            workspace_id,
            utc_text(at),
            user_id or "",
            org_id or "",
            action,
            from_state or "",
            to_state or "",
            str(revision or ""),
        )
    )
    # revision stays None: the audit check of records' revisions ignores entries without one.
    audit.append(
        conn,
        [
            audit.AuditEntry(
                at=at,
                user_id=user_id,
                action=AUDIT_PREFIX + action,
                record_id=workspace_id,
                revision=None,
                before_hash=None,
                after_hash=audit.digest(line),
            )
        ],
    )


def due_ids(conn: Connection, now: dt.datetime) -> list[str]:
    """Ids of the open workspaces whose embargo has ended by ``now``, or whose early end's
    confirmation window has closed. Read-only."""
    early = select(workspace_options.c.workspace_id).where(
        workspace_options.c.confirm_by.is_not(None), workspace_options.c.confirm_by <= now
    )
    query = (
        select(workspaces.c.id)
        .where(
            workspaces.c.status == Status.OPEN.value,
            or_(workspaces.c.embargo_end <= now, workspaces.c.id.in_(early)),
        )
        .order_by(workspaces.c.id)
    )
    return list(conn.execute(query).scalars())
