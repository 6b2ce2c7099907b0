"""The service functions for evidence, discussion, settings, the early end of the embargo,
notification preferences and the owner's dashboard (re-exported by
:mod:`accord.workspaces.service`). Each loads the workspace for the caller
(:func:`accord.workspaces.loading.load`: the one 404 for those who may not see it), checks
what the caller may do, then writes or answers.

Evidence and discussion are for those who see the statement (the owner's side and the
participants that accepted the embargo): an invitee that has not accepted gets a 403, as for
the statement, and anyone else the 404.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from accord import accounts
from accord.access import Viewer
from accord.domain.vocab import Marking
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.kb import KnowledgeBase
from accord.workspaces import discussion, notify, options, outbound, rules, store
from accord.workspaces.loading import Loaded, event, load
from accord.workspaces.model import JOINED_STATES, Access, State, Status, instant, parse_instant

MAX_BODY = 20_000
EVIDENCE_MARKINGS = (Marking.AMBER, Marking.AMBER_STRICT, Marking.RED)
NO_THREAD = "no such thread"
OFFICIAL_TITLE = "Official thread"


# -- shared checks -----------------------------------------------------------------------------


def _reader(found: Loaded) -> None:
    """Those who see the statement (404 below the envelope, 403 for the envelope)."""
    rules.require_access(found.access, found.ws.id, Access.PARTICIPANT)


def _writer(viewer: Viewer, found: Loaded) -> str:
    """A contributor or above among those who see the statement; returns its organisation."""
    _reader(found)
    if viewer.role is None or not viewer.role.can_write or viewer.org_id is None:
        raise Forbidden("readers may not write in the workspace", record=found.ws.id)
    return viewer.org_id


def _reviewer(viewer: Viewer, found: Loaded) -> str:
    """A reviewer of a participating organisation (the owner included)."""
    rules.require_access(found.access, found.ws.id)
    if found.own is None or viewer.role is None or not viewer.role.can_review:
        raise Forbidden(
            "only reviewers of a participating organisation may do this", record=found.ws.id
        )
    return found.own.org_id


def _text(value: str | None, field: str, limit: int = MAX_BODY) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > limit:
        raise InvalidInput(f"give 1 to {limit} characters", field=field)
    return text


def _shown(conn: Connection, found: Loaded) -> tuple[set[str], dict[str, str]]:
    """The organisations the caller may see named, and their names."""
    everyone = store.participants(conn, found.ws.id)
    opts = options.options(conn, found.ws.id)
    orgs = options.org_options(conn, found.ws.id)
    shown = options.visible_orgs(found.ws, found.access, found.own, everyone, opts, orgs)
    return shown, store.org_names(conn, shown)


def _resolve_orgs(kb: KnowledgeBase, refs: Sequence[str], shown: set[str], field: str) -> set[str]:
    """Organisations named by id or name, each one the caller may see as a participant;
    anything else is refused alike ("not a participant you can name")."""
    chosen = set()
    for ref in refs:
        try:
            org = accounts.find_org(kb, ref)
        except (NotFound, InvalidInput):
            org = None
        if org is None or org not in shown:
            raise InvalidInput(f"'{ref}' is not a participant you can name", field=field)
        chosen.add(org)
    return chosen


# -- evidence ----------------------------------------------------------------------------------


def add_evidence(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    *,
    title: str,
    text: str | None = None,
    url: str | None = None,
    marking: Marking | None = None,
    shared_with: Sequence[str] | None = None,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Share evidence in the workspace (a contributor or above of an organisation that sees
    the statement): a title, a text and/or a URL, a marking at least the workspace's, and
    optionally the organisations it is shared with (the owner's side always sees it). It is
    never published. Writes the evidence and one event."""
    body = _text(text, "text")
    link = _text(url, "url", 2000)
    if body is None and link is None:
        raise InvalidInput("give the evidence's text, its URL, or both", field="text")
    if link is not None and not link.startswith(("https://", "http://")):
        raise InvalidInput("the URL must be http(s)", field="url")
    heading = _text(title, "title", 500)
    assert heading is not None
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        org = _writer(viewer, found)
        rules.check_open(found.ws)
        level = marking or found.ws.marking
        if level not in EVIDENCE_MARKINGS or level.rank < found.ws.marking.rank:
            raise InvalidInput(
                f"evidence is marked at least {found.ws.marking.value}", field="marking"
            )
        shown, names = _shown(conn, found)
        audience = (
            None
            if shared_with is None
            else tuple(sorted(_resolve_orgs(kb, shared_with, shown, "shared_with") - {org}))
        )
        ev = discussion.Evidence(
            id=f"wse-{uuid.uuid4().hex[:20]}",
            org_id=org,
            title=heading,
            text=body,
            url=link,
            marking=level,
            shared_with=audience,
            created_at=now,
            created_by=viewer.user_id,
        )
        discussion.insert_evidence(conn, workspace_id, ev)
        event(
            conn, workspace_id, now, viewer, org_id=org, action="evidence",
            to_state=ev.id[:24], revision=found.ws.revision,
        )  # fmt: skip
        return discussion.evidence_view(ev, found.ws.owner, shown, names, zone)


def list_evidence(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> list[dict[str, Any]]:
    """The evidence the caller's organisation may see: the owner's side all of it, a
    participant that accepted the embargo what is shared with every participant or with it.
    Read-only."""
    with kb.workspace_tables() as conn:
        found = load(conn, viewer, workspace_id)
        _reader(found)
        shown, names = _shown(conn, found)
        owner_side = found.access in (Access.MANAGER, Access.OWNER_MEMBER)
        out = []
        for ev in discussion.evidence(conn, workspace_id):
            audience = ev.audience(found.ws.owner)
            if owner_side or audience is None or viewer.org_id in audience:
                out.append(discussion.evidence_view(ev, found.ws.owner, shown, names, zone))
    return out


# -- discussion --------------------------------------------------------------------------------


def _thread_for(conn: Connection, found: Loaded, thread_id: str) -> discussion.Thread:
    for thread in discussion.threads(conn, found.ws.id):
        if thread.id == thread_id and _belongs(found, thread):
            return thread
    raise NotFound(NO_THREAD, record=thread_id)


def _belongs(found: Loaded, thread: discussion.Thread) -> bool:
    org = found.own.org_id if found.own is not None else found.ws.owner
    return thread.admits(org)


def post_comment(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    body: str,
    *,
    thread: str | None = None,
    title: str | None = None,
    orgs: Sequence[str] | None = None,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """Post a comment (a contributor or above of an organisation that sees the statement):
    in the official thread (no ``thread``, no ``orgs``), in a thread the caller's
    organisation belongs to (``thread``), or opening a thread limited to ``orgs`` — the
    participants the caller may name — and its own organisation (``title``, ``orgs``).
    Answers the thread as the caller sees it. Writes the comment (and the thread)."""
    text = _text(body, "body")
    assert text is not None
    if thread is not None and orgs is not None:
        raise InvalidInput("post in a thread, or open one with orgs: not both", field="thread")
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        org = _writer(viewer, found)
        if thread is not None:
            target = _thread_for(conn, found, thread)
        elif orgs is not None:
            shown, _ = _shown(conn, found)
            members = _resolve_orgs(kb, orgs, shown, "orgs") | {org}
            heading = _text(title or "", "title", 500)
            assert heading is not None
            target = discussion.Thread(
                id=f"wst-{uuid.uuid4().hex[:20]}",
                title=heading,
                official=False,
                orgs=frozenset(members),
                created_org=org,
                created_at=now,
            )
            discussion.insert_thread(conn, workspace_id, target, viewer.user_id)
        else:
            target = _official(conn, found, now, viewer)
        seq = discussion.insert_comment(
            conn, workspace_id, target.id, org, viewer.user_id, text, now
        )
        if viewer.user_id is not None:
            discussion.mark_seen(conn, target.id, viewer.user_id, seq, now)
    return read_thread(kb, viewer, workspace_id, target.id, zone)


def _official(
    conn: Connection, found: Loaded, now: dt.datetime, viewer: Viewer
) -> discussion.Thread:
    for thread in discussion.threads(conn, found.ws.id):
        if thread.official:
            return thread
    thread = discussion.Thread(
        id=f"wst-{uuid.uuid4().hex[:20]}",
        title=OFFICIAL_TITLE,
        official=True,
        orgs=frozenset(),
        created_org=found.ws.owner,
        created_at=now,
    )
    discussion.insert_thread(conn, found.ws.id, thread, viewer.user_id)
    return thread


def list_threads(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> list[dict[str, Any]]:
    """The threads the caller's organisation belongs to (the official one first, even before
    its first comment), each with its number of comments and of comments new since the
    caller last read it. Read-only."""
    with kb.workspace_tables() as conn:
        found = load(conn, viewer, workspace_id)
        _reader(found)
        shown, names = _shown(conn, found)
        mine = [t for t in discussion.threads(conn, workspace_id) if _belongs(found, t)]
        stats = discussion.thread_stats(conn, workspace_id, [t.id for t in mine], viewer.user_id)
    views = [discussion.thread_view(t, stats.get(t.id), shown, names, zone) for t in mine]
    if not any(t.official for t in mine):
        views.insert(
            0,
            {
                "id": None,
                "title": OFFICIAL_TITLE,
                "official": True,
                "orgs": None,
                "comments": 0,
                "new": 0,
                "last_at": None,
            },
        )
    return views


def read_thread(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    thread_id: str,
    zone: ZoneInfo | None = None,
    *,
    mark_seen: bool = True,
) -> dict[str, Any]:
    """A thread and its comments, each flagged ``new`` when posted by someone else after the
    caller's last visit; the visit is then remembered (``mark_seen``). 404 "no such thread"
    for a thread the caller's organisation does not belong to. Writes the last-seen mark."""
    now = kb.now()
    with kb.workspace_tables(write=mark_seen) as conn:
        found = load(conn, viewer, workspace_id)
        _reader(found)
        thread = _thread_for(conn, found, thread_id)
        shown, names = _shown(conn, found)
        rows = discussion.comments(conn, thread.id)
        seen = discussion.seen_seqs(conn, [thread.id], viewer.user_id).get(thread.id, 0)
        stats = discussion.thread_stats(conn, workspace_id, [thread.id], viewer.user_id)
        view = discussion.thread_view(thread, stats.get(thread.id), shown, names, zone)
        view["items"] = [
            discussion.comment_view(r, seen if r.user_id != viewer.user_id else r.seq, shown,
                                    names, zone)
            for r in rows
        ]  # fmt: skip
        if mark_seen and rows and viewer.user_id is not None:
            discussion.mark_seen(conn, thread.id, viewer.user_id, max(r.seq for r in rows), now)
    return view


# -- settings ----------------------------------------------------------------------------------


def set_show_invitees(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, show: bool
) -> dict[str, Any]:
    """The owner's setting: whether accepted participants see which organisations are
    invited (off by default). Writes the setting and one event."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        rules.check_can_manage(found.access, found.ws)
        opts = options.options(conn, workspace_id)
        options.save_options(conn, workspace_id, dataclasses.replace(opts, show_invitees=show))
        event(
            conn, workspace_id, now, viewer, org_id=found.ws.owner, action="show_invitees",
            from_state=str(opts.show_invitees).lower(), to_state=str(show).lower(),
        )  # fmt: skip
    return {"show_invitees": show}


def set_show_position(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, show: bool
) -> dict[str, Any]:
    """An organisation's setting (its reviewers): whether the other accepted participants see
    its position — a join or an abstention; a decline is never shown to them. Writes the
    setting and one event."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        org = _reviewer(viewer, found)
        current = options.org_options(conn, workspace_id).get(org, options.OrgOptions())
        options.save_org_options(
            conn, workspace_id, org, dataclasses.replace(current, show_position=show),
            viewer.user_id,
        )  # fmt: skip
        event(
            conn, workspace_id, now, viewer, org_id=org, action="show_position",
            from_state=str(current.show_position).lower(), to_state=str(show).lower(),
        )  # fmt: skip
    return {"show_position": show}


def notification_settings(kb: KnowledgeBase, viewer: Viewer, workspace_id: str) -> dict[str, Any]:
    """The caller's notification mode for the workspace and, for a reviewer of a participating
    organisation, the URL of its organisation's webhook (never the secret). Read-only."""
    with kb.workspace_tables() as conn:
        found = load(conn, viewer, workspace_id)
        if viewer.user_id is None:
            raise rules.not_found(workspace_id)
        mode = notify.modes(conn, workspace_id).get(viewer.user_id, notify.Mode.IMMEDIATE)
        reviewer = found.own is not None and viewer.role is not None and viewer.role.can_review
        url = (
            notify.webhook_url(conn, workspace_id, found.own.org_id)
            if found.own and reviewer
            else None
        )
    return {"mode": mode.value, "can_set_webhook": reviewer, "webhook_url": url}


def set_notifications(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    mode: notify.Mode,
    *,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
    webhook: bool = False,
) -> dict[str, Any]:
    """The caller's own notification mode for the workspace (``immediate``, ``digest``,
    ``mute``); with ``webhook``, also (its reviewers) its organisation's webhook — a URL and
    a secret to sign with, or no URL to remove it. Writes."""
    now = kb.now()
    if webhook and webhook_url is not None:
        outbound.check_destination(webhook_url)
        if not webhook_secret or len(webhook_secret) < 16:
            raise InvalidInput("give a secret of at least 16 characters", field="webhook_secret")
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        if viewer.user_id is None:
            raise rules.not_found(workspace_id)
        notify.set_mode(conn, workspace_id, viewer.user_id, mode)
        if webhook:
            org = _reviewer(viewer, found)
            notify.set_webhook(
                conn, workspace_id, org, webhook_url, webhook_secret, viewer.user_id, now
            )
    return {"mode": mode.value, "webhook": bool(webhook and webhook_url)}


# -- the early end -----------------------------------------------------------------------------


def end_embargo(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    *,
    reason: str,
    confirm_by: str | dt.datetime,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """End the embargo early (the owner's reviewers): a reason (a leak, a prior attribution)
    and the end of the window in which every joined organisation confirms or withdraws its
    join. Publication happens at the window's end with those who confirmed
    (:func:`accord.workspaces.publication.publish_due`); answers other than confirming or
    withdrawing are closed meanwhile. Writes the early end and one event; notifies the
    organisations that accepted the embargo."""
    why = _text(reason, "reason", 2000)
    assert why is not None
    now = kb.now()
    window = parse_instant(confirm_by, "confirm_by")
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        rules.check_can_manage(found.access, found.ws)
        rules.check_open(found.ws)
        opts = options.options(conn, workspace_id)
        if opts.ending_early:
            raise Conflict("the embargo is already ending early", record=workspace_id)
        if not now < window <= found.ws.embargo_end:
            raise InvalidInput(
                "the confirmation window must end in the future and not after the embargo end",
                field="confirm_by",
            )
        options.save_options(
            conn,
            workspace_id,
            dataclasses.replace(
                opts, early_reason=why, early_at=now, early_by=viewer.user_id, confirm_by=window
            ),
        )
        event(
            conn, workspace_id, now, viewer, org_id=found.ws.owner, action="end_embargo",
            to_state=window.strftime("%Y-%m-%dT%H:%M:%SZ"), revision=found.ws.revision,
        )  # fmt: skip
        told = notify.participant_orgs(conn, workspace_id, accepted=True) - {found.ws.owner}
    notify.deliver(kb, [notify.Notice(workspace_id, notify.Event.EARLY_END, told)])
    return early_end_view(kb, viewer, workspace_id, zone)


def answer_early_end(
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    confirm: bool,
    zone: ZoneInfo | None = None,
) -> dict[str, Any]:
    """A joined organisation's answer to the early end (its reviewers), within the window:
    confirm (it publishes at the window's end) or withdraw (its join is withdrawn: back to
    ``embargo_accepted``). Silence reads as a withdrawal. Writes one event."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id, lock=True)
        org = _reviewer(viewer, found)
        rules.check_open(found.ws)
        opts = options.options(conn, workspace_id)
        if not opts.ending_early or opts.confirm_by is None:
            raise Conflict("the embargo is not ending early", record=workspace_id)
        if now >= opts.confirm_by:
            raise Conflict("the confirmation window has closed", record=workspace_id)
        own = found.own
        assert own is not None
        if own.state not in JOINED_STATES or org == found.ws.owner:
            raise Conflict("only a joined participant confirms or withdraws", record=workspace_id)
        current = options.org_options(conn, workspace_id).get(org, options.OrgOptions())
        answer = options.CONFIRM if confirm else options.WITHDRAW
        options.save_org_options(
            conn, workspace_id, org,
            dataclasses.replace(current, early_answer=answer, early_answer_at=now),
            viewer.user_id,
        )  # fmt: skip
        if not confirm:
            after = dataclasses.replace(
                own, state=State.EMBARGO_ACCEPTED, changed_at=now, changed_by=viewer.user_id
            )
            store.save_participant(conn, workspace_id, after)
        event(
            conn, workspace_id, now, viewer, org_id=org, action=f"early_{answer}",
            from_state=own.state.value,
            to_state=own.state.value if confirm else State.EMBARGO_ACCEPTED.value,
            revision=found.ws.revision,
        )  # fmt: skip
    return early_end_view(kb, viewer, workspace_id, zone)


def early_end_view(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """The early end as the caller may see it (those who see the statement): the reason,
    the window's end, its own organisation's answer; the owner's side also every joined
    organisation's answer. Read-only."""
    with kb.workspace_tables() as conn:
        found = load(conn, viewer, workspace_id)
        _reader(found)
        opts = options.options(conn, workspace_id)
        orgs = options.org_options(conn, workspace_id)
        everyone = store.participants(conn, workspace_id)
    return early_end_json(found, opts, orgs, everyone, zone)


def early_end_json(
    found: Loaded,
    opts: options.Options,
    orgs: dict[str, options.OrgOptions],
    everyone: Sequence[Any],
    zone: ZoneInfo | None,
) -> dict[str, Any]:
    """The early end's JSON for a caller who sees the statement. Pure."""
    if not opts.ending_early:
        return {"ending_early": False}
    own = found.own.org_id if found.own is not None else None
    shown: dict[str, Any] = {
        "ending_early": True,
        "reason": opts.early_reason,
        "requested_at": instant(opts.early_at, zone),
        "confirm_by": instant(opts.confirm_by, zone),
        "answer": orgs.get(own, options.OrgOptions()).early_answer if own else None,
    }
    if found.access in (Access.MANAGER, Access.OWNER_MEMBER):
        shown["answers"] = {
            p.org_id: (
                "confirm"
                if p.org_id == found.ws.owner
                else orgs.get(p.org_id, options.OrgOptions()).early_answer
            )
            for p in everyone
            if p.state in JOINED_STATES or orgs.get(p.org_id, options.OrgOptions()).early_answer
        }
    return shown


def check_not_ending_early(conn: Connection, found: Loaded) -> None:
    """While the embargo is ending early, positions are frozen but for confirm/withdraw."""
    if found.ws.status is Status.OPEN and options.options(conn, found.ws.id).ending_early:
        raise Conflict(
            "the embargo is ending early: joined participants confirm or withdraw",
            record=found.ws.id,
        )


# -- visits and the owner's dashboard ----------------------------------------------------------


def visit(kb: KnowledgeBase, viewer: Viewer, workspace_id: str) -> None:
    """Remember that the caller opened the workspace (the dashboard's "seen"). Writes."""
    now = kb.now()
    with kb.workspace_tables(write=True) as conn:
        found = load(conn, viewer, workspace_id)
        if viewer.user_id is not None and viewer.org_id is not None:
            options.record_visit(conn, found.ws.id, viewer.user_id, viewer.org_id, now)


def dashboard(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """The owner's dashboard data (the owner's side only; 403 for participants): per
    organisation, when it was invited, whether and when it first opened the workspace, when it
    accepted the embargo, its position (silence read), its deadline, its last activity and
    its comments; the threads the owner belongs to, with what is new to the caller; the settings
    and the early end.
    Read-only."""
    now = kb.now()
    with kb.workspace_tables() as conn:
        found = load(conn, viewer, workspace_id)
        if found.access not in (Access.MANAGER, Access.OWNER_MEMBER):
            raise Forbidden("the dashboard is the owner's", record=workspace_id)
        everyone = store.participants(conn, workspace_id)
        names = store.org_names(conn, [p.org_id for p in everyone])
        first, last, counts = options.activity(conn, workspace_id)
        opts = options.options(conn, workspace_id)
        orgs = options.org_options(conn, workspace_id)
        threads = [t for t in discussion.threads(conn, workspace_id) if _belongs(found, t)]
        stats = discussion.thread_stats(conn, workspace_id, [t.id for t in threads], viewer.user_id)
    shown = {p.org_id for p in everyone}
    rows = []
    for p in everyone:
        state = p.effective(now)
        rows.append(
            {
                "org": p.org_id,
                "name": names.get(p.org_id, p.org_id),
                "owner": p.org_id == found.ws.owner,
                "invited_at": instant(p.invited_at, zone),
                "seen": p.org_id in first,
                "first_seen_at": instant(first.get(p.org_id), zone),
                "embargo_accepted_at": instant(p.embargo_accepted_at, zone),
                "state": state.value,
                "silent": p.silent(now),
                "deadline": instant(p.deadline, zone),
                "last_activity": instant(last.get(p.org_id), zone),
                "comments": counts.get(p.org_id, 0),
                "shows_position": orgs.get(p.org_id, options.OrgOptions()).show_position,
            }
        )
    return {
        "id": found.ws.id,
        "topic": found.ws.title,
        "status": found.ws.status.value,
        "embargo_end": instant(found.ws.embargo_end, zone),
        "publication_due": instant(options.publication_due(found.ws, opts), zone),
        "show_invitees": opts.show_invitees,
        "early_end": early_end_json(found, opts, orgs, everyone, zone),
        "participants": rows,
        "threads": [
            discussion.thread_view(t, stats.get(t.id), shown, names, zone) for t in threads
        ],
    }
