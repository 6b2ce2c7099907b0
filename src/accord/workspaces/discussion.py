"""Evidence and discussion inside a workspace: rows, and the shapes each reader is shown.

**Evidence** is shared by a participant (title, text and/or URL) under a marking at least the
workspace's; the owner and the sharing organisation always see it, and either every accepted
participant or only the organisations named in ``shared_with`` (AMBER+STRICT's "these
organisations, who may not pass it on"). It stays in the workspace: nothing here is a record,
nothing is ever published from it.

**Discussion** happens in threads: one official thread for every accepted participant, and
threads limited to the organisations their creator chose (itself included). A reader sees
only the threads its organisation belongs to; each user's last-seen comment per thread is kept
for "new since your last visit". An organisation the reader may not see named (the owner
did not show who is invited) is shown as "another participant", in member lists and as an
author alike.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, case, func, insert, or_, select, update

from accord.domain.vocab import Marking
from accord.store.rows import as_utc
from accord.store.schema import (
    users,
    workspace_comments,
    workspace_evidence,
    workspace_seen,
    workspace_thread_orgs,
    workspace_threads,
)
from accord.workspaces.model import instant

#: How an organisation the reader may not see named is shown.
ANOTHER = "another participant"


@dataclass(frozen=True)
class Evidence:
    """One piece of evidence shared in a workspace."""

    id: str
    org_id: str
    title: str
    text: str | None
    url: str | None
    marking: Marking
    shared_with: tuple[str, ...] | None
    created_at: dt.datetime
    created_by: str | None

    def audience(self, owner: str) -> set[str] | None:
        """The organisations it is shared with (None: every accepted participant)."""
        if self.shared_with is None:
            return None
        return {owner, self.org_id, *self.shared_with}


@dataclass(frozen=True)
class Thread:
    """A discussion thread: official (every accepted participant) or limited to ``orgs``."""

    id: str
    title: str
    official: bool
    orgs: frozenset[str]
    created_org: str
    created_at: dt.datetime

    def admits(self, org_id: str | None) -> bool:
        """Whether an organisation (that sees the workspace's text) belongs to the thread."""
        return org_id is not None and (self.official or org_id in self.orgs)


# -- evidence ----------------------------------------------------------------------------------


def insert_evidence(conn: Connection, workspace_id: str, ev: Evidence) -> None:
    """Write one piece of evidence."""
    conn.execute(
        insert(workspace_evidence).values(
            id=ev.id,
            workspace_id=workspace_id,
            org_id=ev.org_id,
            title=ev.title,
            text=ev.text,
            url=ev.url,
            marking=ev.marking.value,
            shared_with=json.dumps(sorted(ev.shared_with)) if ev.shared_with is not None else None,
            created_at=ev.created_at,
            created_by=ev.created_by,
        )
    )


def evidence(conn: Connection, workspace_id: str) -> list[Evidence]:
    """Every piece of evidence of a workspace, oldest first (unfiltered). Read-only."""
    query = (
        select(workspace_evidence)
        .where(workspace_evidence.c.workspace_id == workspace_id)
        .order_by(workspace_evidence.c.created_at, workspace_evidence.c.id)
    )
    return [
        Evidence(
            id=row.id,
            org_id=row.org_id,
            title=row.title,
            text=row.text,
            url=row.url,
            marking=Marking(row.marking),
            shared_with=tuple(json.loads(row.shared_with)) if row.shared_with else None,
            created_at=as_utc(row.created_at),
            created_by=row.created_by,
        )
        for row in conn.execute(query)
    ]


def evidence_view(
    ev: Evidence,
    owner: str,
    shown: set[str],
    names: Mapping[str, str],
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """One piece of evidence as a reader who may see the organisations ``shown`` named."""
    audience = ev.audience(owner)
    return {
        "id": ev.id,
        "title": ev.title,
        "text": ev.text,
        "url": ev.url,
        "marking": ev.marking.value,
        "shared_by": _who(ev.org_id, shown, names),
        "shared_with": (
            None if audience is None else sorted(_who_name(o, shown, names) for o in audience)
        ),
        "created_at": instant(ev.created_at, zone),
    }


# -- threads and comments ----------------------------------------------------------------------


def threads(conn: Connection, workspace_id: str) -> list[Thread]:
    """Every thread of a workspace, the official one first (unfiltered). Read-only."""
    members: dict[str, set[str]] = {}
    query = (
        select(workspace_thread_orgs.c.thread_id, workspace_thread_orgs.c.org_id)
        .join(workspace_threads, workspace_threads.c.id == workspace_thread_orgs.c.thread_id)
        .where(workspace_threads.c.workspace_id == workspace_id)
    )
    for thread_id, org in conn.execute(query):
        members.setdefault(thread_id, set()).add(org)
    rows = conn.execute(
        select(workspace_threads)
        .where(workspace_threads.c.workspace_id == workspace_id)
        .order_by(workspace_threads.c.official.desc(), workspace_threads.c.created_at)
    )
    return [
        Thread(
            id=row.id,
            title=row.title,
            official=bool(row.official),
            orgs=frozenset(members.get(row.id, ())),
            created_org=row.created_org,
            created_at=as_utc(row.created_at),
        )
        for row in rows
    ]


def insert_thread(
    conn: Connection, workspace_id: str, thread: Thread, created_by: str | None
) -> None:
    """Write a thread and its member organisations."""
    conn.execute(
        insert(workspace_threads).values(
            id=thread.id,
            workspace_id=workspace_id,
            title=thread.title,
            official=thread.official,
            created_org=thread.created_org,
            created_by=created_by,
            created_at=thread.created_at,
        )
    )
    if thread.orgs:
        conn.execute(
            insert(workspace_thread_orgs),
            [{"thread_id": thread.id, "org_id": o} for o in sorted(thread.orgs)],
        )


def insert_comment(
    conn: Connection,
    workspace_id: str,
    thread_id: str,
    org_id: str,
    user_id: str | None,
    body: str,
    at: dt.datetime,
) -> int:
    """Write a comment; returns its sequence number."""
    done = conn.execute(
        insert(workspace_comments).values(
            thread_id=thread_id,
            workspace_id=workspace_id,
            org_id=org_id,
            user_id=user_id,
            body=body,
            created_at=at,
        )
    )
    key = done.inserted_primary_key
    assert key is not None
    return int(key[0])


@dataclass(frozen=True)
class ThreadStats:
    """A thread's number of comments, those new to a user, and its last comment's time."""

    count: int
    new: int
    last_at: dt.datetime | None


def thread_stats(
    conn: Connection, workspace_id: str, thread_ids: Iterable[str], user_id: str | None
) -> dict[str, ThreadStats]:
    """Per thread: comments, comments after the user's last-seen one (not the user's own),
    and the last comment's time, in one query. Read-only."""
    wanted = sorted(set(thread_ids))
    if not wanted:
        return {}
    c = workspace_comments.c
    s = workspace_seen.c
    fresh = c.seq > func.coalesce(s.seen_seq, 0)
    if user_id is not None:
        fresh = and_(fresh, or_(c.user_id.is_(None), c.user_id != user_id))
    query = (
        select(
            c.thread_id,
            func.count(),
            func.max(c.created_at),
            func.sum(case((fresh, 1), else_=0)),
        )
        .select_from(
            workspace_comments.outerjoin(
                workspace_seen, and_(s.thread_id == c.thread_id, s.user_id == (user_id or ""))
            )
        )
        .where(c.workspace_id == workspace_id, c.thread_id.in_(wanted))
        .group_by(c.thread_id)
    )
    found = {
        t: ThreadStats(int(n), int(new or 0), as_utc(at) if at else None)
        for t, n, at, new in conn.execute(query)
    }
    return {t: found.get(t, ThreadStats(0, 0, None)) for t in wanted}


def seen_seqs(conn: Connection, thread_ids: Sequence[str], user_id: str | None) -> dict[str, int]:
    """The last comment each thread's reader saw, by thread. Read-only."""
    if user_id is None or not thread_ids:
        return {}
    query = select(workspace_seen.c.thread_id, workspace_seen.c.seen_seq).where(
        workspace_seen.c.user_id == user_id, workspace_seen.c.thread_id.in_(list(thread_ids))
    )
    return {t: int(s) for t, s in conn.execute(query)}


def comments(conn: Connection, thread_id: str) -> list[Any]:
    """A thread's comments with their authors' emails, oldest first. Read-only."""
    c = workspace_comments.c
    query = (
        select(c.seq, c.org_id, c.user_id, c.body, c.created_at, users.c.email)
        .select_from(workspace_comments.outerjoin(users, users.c.id == c.user_id))
        .where(c.thread_id == thread_id)
        .order_by(c.seq)
    )
    return list(conn.execute(query))


def mark_seen(conn: Connection, thread_id: str, user_id: str, seq: int, now: dt.datetime) -> None:
    """Remember the last comment a user saw in a thread."""
    done = conn.execute(
        update(workspace_seen)
        .where(workspace_seen.c.thread_id == thread_id, workspace_seen.c.user_id == user_id)
        .values(seen_seq=seq, seen_at=now)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(workspace_seen).values(
                thread_id=thread_id, user_id=user_id, seen_seq=seq, seen_at=now
            )
        )


def thread_view(
    thread: Thread,
    stats: ThreadStats | None,
    shown: set[str],
    names: Mapping[str, str],
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """A thread's heading as a reader who may see the organisations ``shown`` named."""
    return {
        "id": thread.id,
        "title": thread.title,
        "official": thread.official,
        "orgs": None
        if thread.official
        else sorted(_who_name(o, shown, names) for o in thread.orgs),
        "comments": stats.count if stats else 0,
        "new": stats.new if stats else 0,
        "last_at": instant(stats.last_at if stats else None, zone),
    }


def comment_view(
    row: Any, seen: int, shown: set[str], names: Mapping[str, str], zone: ZoneInfo | None
) -> dict[str, Any]:
    """One comment; its author's email only when the reader may see its organisation."""
    visible = row.org_id in shown
    return {
        "seq": row.seq,
        "author": {**_who(row.org_id, shown, names), "user": row.email if visible else None},
        "body": row.body,
        "created_at": instant(as_utc(row.created_at), zone),
        "new": row.seq > seen,
    }


def _who(org: str, shown: set[str], names: Mapping[str, str]) -> dict[str, Any]:
    if org in shown:
        return {"org": org, "name": names.get(org, org)}
    return {"org": None, "name": ANOTHER}


def _who_name(org: str, shown: set[str], names: Mapping[str, str]) -> str:
    return names.get(org, org) if org in shown else ANOTHER
