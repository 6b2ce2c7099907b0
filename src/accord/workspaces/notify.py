"""Notifications of workspace events, by e-mail (a configured SMTP server) and by webhook.

What a message says is the workspace's **envelope** only — its reference, topic, inviter,
marking, the embargo end and the recipient organisation's own deadline — and the event's
name: never the text, the evidence, the discussion or another participant. So a message is
safe for everyone who may see the workspace at all, an invitee that has not accepted the
embargo included; it reaches only those: the reviewers and administrators of the
organisations the event concerns, and the users they named.

Every subject carries the workspace's reference, ``[Accord ws-…]``. Each user chooses, per
workspace, ``immediate`` (the default), ``digest`` (queued, sent once a day by
:func:`send_digests`) or ``mute``. Each organisation may register one webhook per workspace:
a JSON POST whose body is signed with HMAC-SHA256 under the organisation's secret
(``X-Accord-Signature: sha256=<hex>``).

Sending happens after the transaction that caused it commits; a failure to deliver is logged
and never undoes or refuses the act. SMTP settings come from the environment:
``ACCORD_SMTP_HOST`` (unset: no e-mail), ``ACCORD_SMTP_PORT`` (25), ``ACCORD_SMTP_USER`` and
``ACCORD_SMTP_PASSWORD`` (optional), ``ACCORD_SMTP_STARTTLS`` (``1`` to use it),
``ACCORD_MAIL_FROM`` (``accord@localhost``) and ``ACCORD_BASE_URL`` (links, optional).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import smtplib
import urllib.request
from collections.abc import Iterable, Sequence
from email.message import EmailMessage
from enum import StrEnum

from sqlalchemy import Connection, insert, select, update

from accord.domain.vocab import UserRole
from accord.errors import InvalidInput
from accord.kb import KnowledgeBase
from accord.store.schema import (
    users,
    workspace_outbox,
    workspace_participants,
    workspace_reminders,
    workspace_subscriptions,
    workspace_webhooks,
    workspaces,
)
from accord.workspaces import outbound, store
from accord.workspaces.model import UNANSWERED, Workspace, utc_text

log = logging.getLogger(__name__)
TIMEOUT = 10.0


class Event(StrEnum):
    """The events that notify."""

    INVITATION = "invitation"
    REVISION = "revision"
    DEADLINE_REMINDER = "deadline_reminder"
    EMBARGO_ENDING = "embargo_ending"
    EARLY_END = "early_end"
    PUBLICATION = "publication"


SENTENCES = {
    Event.INVITATION: "Your organisation is invited to a coordination workspace.",
    Event.REVISION: "The statement was revised: your organisation's join lapsed and must be "
    "given again.",
    Event.DEADLINE_REMINDER: "Your organisation's answer deadline is near; silence at the "
    "deadline is a decline.",
    Event.EMBARGO_ENDING: "The embargo ends soon.",
    Event.EARLY_END: "The owner ended the embargo early: confirm or withdraw your "
    "organisation's join before the window closes.",
    Event.PUBLICATION: "The joint attribution was published.",
}


class Mode(StrEnum):
    """How a user receives a workspace's notifications."""

    IMMEDIATE = "immediate"
    DIGEST = "digest"
    MUTE = "mute"


@dataclasses.dataclass(frozen=True)
class MailConfig:
    """Where e-mail goes (from the environment, :func:`mail_config`)."""

    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "accord@localhost"


def mail_config() -> MailConfig | None:
    """The SMTP settings from ``ACCORD_SMTP_*``; None when no host is set."""
    host = os.environ.get("ACCORD_SMTP_HOST")
    if not host:
        return None
    return MailConfig(
        host=host,
        port=int(os.environ.get("ACCORD_SMTP_PORT", "25")),
        user=os.environ.get("ACCORD_SMTP_USER") or None,
        password=os.environ.get("ACCORD_SMTP_PASSWORD") or None,
        starttls=os.environ.get("ACCORD_SMTP_STARTTLS", "0") == "1",
        sender=os.environ.get("ACCORD_MAIL_FROM", "accord@localhost"),
    )


@dataclasses.dataclass(frozen=True)
class Notice:
    """An event of a workspace for some of its organisations."""

    workspace_id: str
    event: Event
    orgs: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Message:
    """One message to one user (or one organisation's webhook)."""

    workspace_id: str
    subject: str
    body: str


def reference(workspace_id: str) -> str:
    """The per-workspace reference every subject carries."""
    return f"[Accord {workspace_id}]"


def compose(ws: Workspace, event: Event, inviter: str, deadline: dt.datetime | None) -> Message:
    """The message for one organisation: the envelope's fields and the event, nothing else."""
    lines = [
        f"TLP:{ws.marking.value}",
        "",
        SENTENCES[event],
        "",
        f"Reference: {ws.id}",
        f"Topic: {ws.title}",
        f"Inviter: {inviter}",
        f"Embargo end (UTC): {utc_text(ws.embargo_end)}",
    ]
    if deadline is not None:
        lines.append(f"Your organisation's answer deadline (UTC): {utc_text(deadline)}")
    base = os.environ.get("ACCORD_BASE_URL")
    if base:
        lines.append(f"Open it: {base.rstrip('/')}/workspaces/{ws.id}")
    subject = f"{reference(ws.id)} {event.value.replace('_', ' ').capitalize()}: {ws.title}"
    return Message(ws.id, subject[:500], "\n".join(lines) + "\n")


def recipients(conn: Connection, workspace_id: str, org_id: str) -> list[tuple[str, str]]:
    """(user id, email) of the active users who see the workspace for an organisation: its
    reviewers and administrators and the users it named. Read-only."""
    named = set(store.participant(conn, workspace_id, org_id).members)  # type: ignore[union-attr]
    reviewing = [r.value for r in UserRole if r.can_review]
    query = select(users.c.id, users.c.email, users.c.role).where(
        users.c.org_id == org_id, users.c.active.is_(True)
    )
    return sorted(
        (uid, email)
        for uid, email, role in conn.execute(query)
        if role in reviewing or uid in named
    )


def modes(conn: Connection, workspace_id: str) -> dict[str, Mode]:
    """Each user's chosen mode for a workspace (absent: immediate). Read-only."""
    query = select(workspace_subscriptions.c.user_id, workspace_subscriptions.c.mode).where(
        workspace_subscriptions.c.workspace_id == workspace_id
    )
    return {uid: Mode(mode) for uid, mode in conn.execute(query)}


def set_mode(conn: Connection, workspace_id: str, user_id: str, mode: Mode) -> None:
    """Write a user's mode for a workspace."""
    done = conn.execute(
        update(workspace_subscriptions)
        .where(
            workspace_subscriptions.c.workspace_id == workspace_id,
            workspace_subscriptions.c.user_id == user_id,
        )
        .values(mode=mode.value)
    )
    if done.rowcount == 0:
        conn.execute(
            insert(workspace_subscriptions).values(
                workspace_id=workspace_id, user_id=user_id, mode=mode.value
            )
        )


def set_webhook(
    conn: Connection,
    workspace_id: str,
    org_id: str,
    url: str | None,
    secret: str | None,
    by: str | None,
    now: dt.datetime,
) -> None:
    """Register (or, with no URL, remove) an organisation's webhook for a workspace."""
    conn.execute(
        workspace_webhooks.delete().where(
            workspace_webhooks.c.workspace_id == workspace_id,
            workspace_webhooks.c.org_id == org_id,
        )
    )
    if url:
        conn.execute(
            insert(workspace_webhooks).values(
                workspace_id=workspace_id,
                org_id=org_id,
                url=url,
                secret=secret or "",
                created_by=by,
                created_at=now,
            )
        )


def webhook_url(conn: Connection, workspace_id: str, org_id: str) -> str | None:
    """The URL of an organisation's webhook for a workspace (never its secret). Read-only."""
    query = select(workspace_webhooks.c.url).where(
        workspace_webhooks.c.workspace_id == workspace_id,
        workspace_webhooks.c.org_id == org_id,
    )
    found = conn.execute(query).scalar()
    return str(found) if found else None


def sign(secret: str, body: bytes) -> str:
    """The signature header's value for a webhook body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(kb: KnowledgeBase, notices: Iterable[Notice]) -> None:
    """Send each notice to its organisations' users (or queue it for their digest) and to
    their webhooks. Never raises: a failure is logged."""
    try:
        _deliver(kb, list(notices))
    except Exception:
        log.exception("workspace notifications failed")


def _deliver(kb: KnowledgeBase, notices: Sequence[Notice]) -> None:
    now = kb.now()
    mails: list[tuple[str, Message]] = []
    hooks: list[tuple[str, str, bytes]] = []
    queued: list[dict[str, object]] = []
    with kb.workspace_tables() as conn:
        for notice in notices:
            ws = store.load(conn, notice.workspace_id)
            if ws is None:
                continue
            inviter = store.org_names(conn, [ws.owner]).get(ws.owner, ws.owner)
            chosen = modes(conn, ws.id)
            hooked = {
                row.org_id: row
                for row in conn.execute(
                    select(workspace_webhooks).where(workspace_webhooks.c.workspace_id == ws.id)
                )
            }
            for org in sorted(notice.orgs):
                own = store.participant(conn, ws.id, org)
                if own is None:
                    continue
                message = compose(ws, notice.event, inviter, own.deadline)
                for user_id, email in recipients(conn, ws.id, org):
                    mode = chosen.get(user_id, Mode.IMMEDIATE)
                    if mode is Mode.IMMEDIATE:
                        mails.append((email, message))
                    elif mode is Mode.DIGEST:
                        queued.append(
                            {
                                "workspace_id": ws.id,
                                "user_id": user_id,
                                "subject": message.subject,
                                "body": message.body,
                                "created_at": now,
                            }
                        )
                if org in hooked:
                    payload = {
                        "reference": ws.id,
                        "event": notice.event.value,
                        "subject": message.subject,
                        "org": org,
                        "at": utc_text(now),
                    }
                    body = json.dumps(payload, sort_keys=True).encode()
                    hooks.append((hooked[org].url, hooked[org].secret, body))
    if queued:
        with kb.workspace_tables(write=True) as conn:
            conn.execute(insert(workspace_outbox), queued)
    send_mail(mails)
    for url, secret, body in hooks:
        post_webhook(url, secret, body)


def send_mail(mails: Sequence[tuple[str, Message]]) -> int:
    """Send (address, message) pairs through the configured SMTP server; returns how many
    were sent (none without ``ACCORD_SMTP_HOST``). Errors are logged."""
    config = mail_config()
    if config is None or not mails:
        return 0
    sent = 0
    try:
        with smtplib.SMTP(config.host, config.port, timeout=TIMEOUT) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.user:
                smtp.login(config.user, config.password or "")
            for address, message in mails:
                mail = EmailMessage()
                mail["From"] = config.sender
                mail["To"] = address
                mail["Subject"] = message.subject
                mail.set_content(message.body)
                smtp.send_message(mail)
                sent += 1
    except (OSError, smtplib.SMTPException):
        log.warning("sending workspace e-mail through %s failed", config.host, exc_info=True)
    return sent


def post_webhook(url: str, secret: str, body: bytes) -> bool:
    """POST a signed JSON body; whether the receiver answered 2xx. Errors are logged."""
    try:
        outbound.check_destination(url)
    except InvalidInput:
        log.warning("workspace webhook %s refused: not a public address", url)
        return False
    request = urllib.request.Request(  # noqa: S310 - checked just above
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Accord-Signature": sign(secret, body)},
    )
    try:
        with outbound.OPENER.open(request, timeout=TIMEOUT) as answer:
            return 200 <= int(answer.status) < 300
    except OSError:
        log.warning("workspace webhook %s failed", url, exc_info=True)
        return False


def send_digests(kb: KnowledgeBase) -> int:
    """Send each user one e-mail with the queued notices of every workspace they chose the
    digest for (run daily, ``accord workspace digest``); returns how many e-mails were sent.
    Queued notices are marked sent only when the e-mail went out."""
    now = kb.now()
    with kb.workspace_tables() as conn:
        rows = conn.execute(
            select(workspace_outbox, users.c.email)
            .join(users, users.c.id == workspace_outbox.c.user_id)
            .where(workspace_outbox.c.sent_at.is_(None), users.c.active.is_(True))
            .order_by(workspace_outbox.c.user_id, workspace_outbox.c.seq)
        ).all()
    by_user: dict[tuple[str, str], list[object]] = {}
    for row in rows:
        by_user.setdefault((row.user_id, row.email), []).append(row)
    sent = 0
    for (_user, email), items in by_user.items():
        refs = sorted({r.workspace_id for r in items})  # type: ignore[attr-defined]
        subject = f"[Accord {', '.join(refs)}] Daily digest: {len(items)} notices"
        body = "\n\n".join(f"{r.subject}\n{r.body}" for r in items)  # type: ignore[attr-defined]
        if send_mail([(email, Message(refs[0], subject[:500], body))]) == 1:
            seqs = [r.seq for r in items]  # type: ignore[attr-defined]
            with kb.workspace_tables(write=True) as conn:
                conn.execute(
                    update(workspace_outbox)
                    .where(workspace_outbox.c.seq.in_(seqs))
                    .values(sent_at=now)
                )
            sent += 1
    return sent


def reminders_due(kb: KnowledgeBase, within: dt.timedelta) -> list[Notice]:
    """Reminders not sent yet, recording them as sent: an answer deadline within ``within``
    for an organisation that has not answered, and the embargo end (or the early end's
    window) within ``within`` for every organisation that accepted it. Writes."""
    now = kb.now()
    found: list[Notice] = []
    with kb.workspace_tables(write=True) as conn:
        sent = {
            (r.workspace_id, r.kind, r.org_id) for r in conn.execute(select(workspace_reminders))
        }
        open_ids = list(
            conn.execute(select(workspaces.c.id).where(workspaces.c.status == "open")).scalars()
        )
        from accord.workspaces import options

        for ws_id in open_ids:
            ws = store.load(conn, ws_id)
            assert ws is not None
            end = options.publication_due(ws, options.options(conn, ws_id))
            for p in store.participants(conn, ws_id):
                wanted: list[tuple[str, Event]] = []
                if (
                    p.state in UNANSWERED
                    and p.deadline is not None
                    and now < p.deadline <= now + within
                ):
                    wanted.append(
                        (f"deadline:{int(p.deadline.timestamp())}", Event.DEADLINE_REMINDER)
                    )
                if p.accepted and now < end <= now + within:
                    wanted.append((f"end:{int(end.timestamp())}", Event.EMBARGO_ENDING))
                for kind, event in wanted:
                    if (ws_id, kind, p.org_id) in sent:
                        continue
                    conn.execute(
                        insert(workspace_reminders).values(
                            workspace_id=ws_id, kind=kind, org_id=p.org_id, at=now
                        )
                    )
                    found.append(Notice(ws_id, event, frozenset({p.org_id})))
    return found


def participant_orgs(conn: Connection, workspace_id: str, *, accepted: bool) -> frozenset[str]:
    """The participating organisations (those that accepted the embargo, given ``accepted``).
    Read-only."""
    query = select(workspace_participants.c.org_id).where(
        workspace_participants.c.workspace_id == workspace_id
    )
    if accepted:
        query = query.where(workspace_participants.c.embargo_accepted_at.is_not(None))
    return frozenset(conn.execute(query).scalars())
