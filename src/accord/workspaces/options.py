"""A workspace's settings and each organisation's, the early end of the embargo, visits and
the owner's dashboard data.

- ``show_invitees`` (the owner's setting, off by default): accepted participants see which
  organisations are invited (names only);
- ``show_position`` (each organisation's, off by default): the other accepted participants see
  its position — a join or an abstention only: a decline (or silence) stays the owner's to see;
- the **early end**: the owner's reviewers end the embargo early with a reason and a
  confirmation window; each joined organisation confirms or withdraws within it; at the
  window's end :func:`accord.workspaces.publication.publish_due` publishes those who
  confirmed (the owner's own join counts as confirmed: it asked for the early end).

Reads here take a connection the caller holds; the rules on who may change what are in the
service functions, which load the workspace first (:func:`accord.workspaces.loading.load`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, insert, select, update

from accord.store.rows import as_utc
from accord.store.schema import (
    workspace_comments,
    workspace_events,
    workspace_options,
    workspace_org_options,
    workspace_visits,
)
from accord.workspaces.model import JOINED_STATES, Access, Participant, State, Workspace

#: The positions an organisation's opt-in shows to the other participants.
SHOWN_STATES = frozenset({*JOINED_STATES, State.ABSTAINED})
CONFIRM = "confirm"
WITHDRAW = "withdraw"


@dataclasses.dataclass(frozen=True)
class Options:
    """A workspace's settings and its early end, if any."""

    show_invitees: bool = False
    early_reason: str | None = None
    early_at: dt.datetime | None = None
    early_by: str | None = None
    confirm_by: dt.datetime | None = None

    @property
    def ending_early(self) -> bool:
        """Whether the owner ended the embargo early (a confirmation window is running or ran)."""
        return self.confirm_by is not None


@dataclasses.dataclass(frozen=True)
class OrgOptions:
    """One organisation's settings and its answer to an early end."""

    show_position: bool = False
    early_answer: str | None = None
    early_answer_at: dt.datetime | None = None


def _opt(moment: dt.datetime | None) -> dt.datetime | None:
    return as_utc(moment) if moment is not None else None


def options(conn: Connection, workspace_id: str) -> Options:
    """The workspace's settings (the defaults when never set). Read-only."""
    row = conn.execute(
        select(workspace_options).where(workspace_options.c.workspace_id == workspace_id)
    ).first()
    if row is None:
        return Options()
    return Options(
        show_invitees=bool(row.show_invitees),
        early_reason=row.early_reason,
        early_at=_opt(row.early_at),
        early_by=row.early_by,
        confirm_by=_opt(row.confirm_by),
    )


def save_options(conn: Connection, workspace_id: str, opts: Options) -> None:
    """Write the workspace's settings."""
    values = {
        "show_invitees": opts.show_invitees,
        "early_reason": opts.early_reason,
        "early_at": opts.early_at,
        "early_by": opts.early_by,
        "confirm_by": opts.confirm_by,
    }
    done = conn.execute(
        update(workspace_options)
        .where(workspace_options.c.workspace_id == workspace_id)
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(workspace_options).values(workspace_id=workspace_id, **values))


def org_options(conn: Connection, workspace_id: str) -> dict[str, OrgOptions]:
    """Every organisation's settings that were ever set, by organisation. Read-only."""
    query = select(workspace_org_options).where(
        workspace_org_options.c.workspace_id == workspace_id
    )
    return {
        row.org_id: OrgOptions(bool(row.show_position), row.early_answer, _opt(row.early_answer_at))
        for row in conn.execute(query)
    }


def save_org_options(
    conn: Connection, workspace_id: str, org_id: str, opts: OrgOptions, by: str | None
) -> None:
    """Write one organisation's settings."""
    values = {
        "show_position": opts.show_position,
        "early_answer": opts.early_answer,
        "early_answer_at": opts.early_answer_at,
        "early_answer_by": by if opts.early_answer else None,
    }
    done = conn.execute(
        update(workspace_org_options)
        .where(
            workspace_org_options.c.workspace_id == workspace_id,
            workspace_org_options.c.org_id == org_id,
        )
        .values(**values)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(workspace_org_options).values(workspace_id=workspace_id, org_id=org_id, **values)
        )


def publication_due(ws: Workspace, opts: Options) -> dt.datetime:
    """When the workspace publishes: the embargo end, or the early end's window end."""
    return opts.confirm_by if opts.confirm_by is not None else ws.embargo_end


def confirmed(ws: Workspace, p: Participant, opts: Options, orgs: dict[str, OrgOptions]) -> bool:
    """Whether a joined organisation publishes: always, unless the embargo is ending early,
    when only those who confirmed do (the owner, who ended it, counts as confirmed)."""
    if p.state not in JOINED_STATES:
        return False
    if not opts.ending_early or p.org_id == ws.owner:
        return True
    own = orgs.get(p.org_id)
    return own is not None and own.early_answer == CONFIRM


def visible_orgs(
    ws: Workspace,
    access: Access,
    own: Participant | None,
    everyone: Sequence[Participant],
    opts: Options,
    orgs: dict[str, OrgOptions],
) -> set[str]:
    """The participating organisations a reader may see named: all of them for the owner's
    side; for a participant the owner, itself, every participant when the owner shows who is
    invited, and those that show their position. Pure."""
    if access in (Access.MANAGER, Access.OWNER_MEMBER):
        return {p.org_id for p in everyone}
    if access is not Access.PARTICIPANT:
        return {ws.owner}
    shown = {ws.owner}
    if own is not None:
        shown.add(own.org_id)
    for p in everyone:
        if opts.show_invitees or _shows_position(p, orgs):
            shown.add(p.org_id)
    return shown


def _shows_position(p: Participant, orgs: dict[str, OrgOptions]) -> bool:
    own = orgs.get(p.org_id)
    return own is not None and own.show_position and p.state in SHOWN_STATES


def others_view(
    ws: Workspace,
    own: Participant | None,
    everyone: Sequence[Participant],
    opts: Options,
    orgs: dict[str, OrgOptions],
    names: dict[str, str],
    now: dt.datetime,
) -> list[dict[str, object]]:
    """What a participant sees of the other organisations: names when the owner shows who is
    invited; a position only for those that opted in and joined or abstained. Pure."""
    shown = []
    for p in everyone:
        if own is not None and p.org_id == own.org_id:
            continue
        position = _shows_position(p, orgs) and not p.silent(now)
        if not (opts.show_invitees or position):
            continue
        shown.append(
            {
                "org": p.org_id,
                "name": names.get(p.org_id, p.org_id),
                "owner": p.org_id == ws.owner,
                "state": p.state.value if position else None,
            }
        )
    return shown


# -- visits and the dashboard ------------------------------------------------------------------


def record_visit(
    conn: Connection, workspace_id: str, user_id: str, org_id: str, now: dt.datetime
) -> None:
    """Remember that a user opened the workspace (first and last time)."""
    done = conn.execute(
        update(workspace_visits)
        .where(
            workspace_visits.c.workspace_id == workspace_id,
            workspace_visits.c.user_id == user_id,
        )
        .values(last_at=now)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(workspace_visits).values(
                workspace_id=workspace_id, user_id=user_id, org_id=org_id, first_at=now, last_at=now
            )
        )


def activity(
    conn: Connection, workspace_id: str
) -> tuple[dict[str, dt.datetime], dict[str, dt.datetime], dict[str, int]]:
    """Per organisation: when it first opened the workspace, its last activity (a visit, a
    transition or a comment), and its number of comments. Read-only."""
    first: dict[str, dt.datetime] = {}
    last: dict[str, dt.datetime] = {}
    counts: dict[str, int] = {}

    def later(org: str | None, at: dt.datetime | None) -> None:
        if org is not None and at is not None:
            at = as_utc(at)
            last[org] = max(last.get(org, at), at)

    visits = select(
        workspace_visits.c.org_id,
        func.min(workspace_visits.c.first_at),
        func.max(workspace_visits.c.last_at),
    ).where(workspace_visits.c.workspace_id == workspace_id)
    for org, first_at, last_at in conn.execute(visits.group_by(workspace_visits.c.org_id)):
        first[org] = as_utc(first_at)
        later(org, last_at)
    events = (
        select(workspace_events.c.org_id, func.max(workspace_events.c.at))
        .where(workspace_events.c.workspace_id == workspace_id)
        .group_by(workspace_events.c.org_id)
    )
    for org, at in conn.execute(events):
        later(org, at)
    comments = (
        select(
            workspace_comments.c.org_id,
            func.max(workspace_comments.c.created_at),
            func.count(),
        )
        .where(workspace_comments.c.workspace_id == workspace_id)
        .group_by(workspace_comments.c.org_id)
    )
    for org, at, count in conn.execute(comments):
        later(org, at)
        counts[org] = int(count)
    return first, last, counts


def ids_ending_early_due(conn: Connection, now: dt.datetime, among: Iterable[str]) -> list[str]:
    """Of ``among`` (open workspaces), those whose early end's window has closed. Read-only."""
    wanted = sorted(set(among))
    if not wanted:
        return []
    query = select(workspace_options.c.workspace_id).where(
        workspace_options.c.workspace_id.in_(wanted),
        workspace_options.c.confirm_by.is_not(None),
        workspace_options.c.confirm_by <= now,
    )
    return list(conn.execute(query).scalars())
