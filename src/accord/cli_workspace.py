"""``accord workspace``: coordination workspaces from the command line (parse →
accord.workspaces.service → print). Every command acts as the user named by ``--as``.

Times are given as RFC 3339 instants with their offset (``2027-03-01T09:00:00Z``) and shown in
UTC and in the zone of ``--tz`` (else ``$TZ`` when it names one).
"""

from __future__ import annotations

import datetime as dt
import json as jsonlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import typer

from accord import render
from accord.access import Viewer
from accord.cli_common import Db, Json, open_kb, viewer_for
from accord.domain.vocab import ClaimKind, Level, Marking, Stance
from accord.errors import AccordError, InvalidInput
from accord.kb import KnowledgeBase
from accord.render import Col
from accord.workspaces import service
from accord.workspaces.model import Position, Wording, zone_named
from accord.workspaces.notify import Mode

T = TypeVar("T")

workspace_app = typer.Typer(
    help="Coordination workspaces: prepare a joint attribution under embargo, publish it together.",
    no_args_is_help=True,
)

AsUser = Annotated[str, typer.Option("--as", help="Act as this user (email).")]
Tz = Annotated[
    str | None,
    typer.Option("--tz", help="Also show times in this IANA time zone (default: $TZ if set)."),
]
WorkspaceId = Annotated[str, typer.Argument(help="The workspace id (ws-...).")]
TextOpt = Annotated[str | None, typer.Option("--text", help="The statement's text.")]
TextFile = Annotated[
    Path | None,
    typer.Option("--text-file", help="Read the statement's text from this file.", exists=True),
]
LevelOpt = Annotated[Level | None, typer.Option("--level", help="How far the attribution reaches.")]
Accused = Annotated[str | None, typer.Option("--accused", help="The accused actor's id.")]
EmbargoEnd = Annotated[
    str | None,
    typer.Option("--embargo-end", help="The embargo end: RFC 3339 with offset, e.g. ...Z."),
]


def _call(db: str | None, email: str, action: Callable[[KnowledgeBase, Viewer], T]) -> T:
    """Open the database, run ``action`` as the user ``email``, close it: the action's answer."""
    with open_kb(db) as kb:
        return action(kb, viewer_for(kb, email))


def _zone(name: str | None) -> ZoneInfo | None:
    if name:
        return zone_named(name)
    try:
        return zone_named(os.environ.get("TZ", "").lstrip(":") or None)
    except AccordError:  # $TZ in another notation (e.g. CET-1CEST): UTC only
        return None


def _body(text: str | None, path: Path | None, field: str) -> str | None:
    if text is not None and path is not None:
        raise InvalidInput(f"give --{field} or --{field}-file, not both", field=field)
    return path.read_text(encoding="utf-8") if path is not None else text


def _when(shown: dict[str, str] | None) -> str:
    if not shown:
        return ""
    local = shown.get("local")
    return f"{shown['utc']} ({local} {shown['zone']})" if local else shown["utc"]


def _print(view: dict[str, Any], as_json: bool) -> None:
    """One workspace as JSON, or as lines and a table of participants."""
    if as_json:
        render.emit_json(view)
        return
    render.line(f"{view['id']}  {view['topic']}")
    render.line(f"  inviter: {view['inviter']['name']} ({view['inviter']['org']})")
    render.line(f"  marking: {view['marking']}   status: {view['status']}")
    render.line(f"  embargo end: {_when(view['embargo_end'])}")
    if view.get("deadline"):
        render.line(f"  your answer deadline: {_when(view['deadline'])}")
    if view.get("state"):
        render.line(f"  your organisation: {view['state']}")
    render.line(f"  you see: {view['access']}")
    statement = view.get("statement")
    if statement:
        render.line(
            f"  statement revision {statement['revision']} (sha256 {statement['content_hash']}):"
            f" accuses {statement['accused']} at level {statement['level']}"
        )
        render.line(f"  {statement['text']}")
    participants = view.get("participants")
    if participants:
        render.table(
            "Participants",
            [Col("org", key=True), "state", "deadline", Col("revision", drop=2), "claim"],
            [
                [
                    p["org"],
                    p["state"] + (" (silence)" if p["silent"] else ""),
                    _when(p["deadline"]),
                    p["position_revision"] or "",
                    p["claim"] or "",
                ]
                for p in participants
            ],
        )


@workspace_app.command("create")
def create_cmd(
    as_user: AsUser,
    incident: Annotated[str, typer.Option("--incident", help="The incident's id.")],
    accused: Annotated[str, typer.Option("--accused", help="The accused actor's id.")],
    level: Annotated[Level, typer.Option("--level", help="How far the attribution reaches.")],
    embargo_end: Annotated[
        str, typer.Option("--embargo-end", help="The embargo end: RFC 3339 with offset.")
    ],
    text: TextOpt = None,
    text_file: TextFile = None,
    title: Annotated[str | None, typer.Option("--title", help="The topic.")] = None,
    marking: Annotated[
        Marking, typer.Option("--marking", help="AMBER, AMBER+STRICT or RED.")
    ] = Marking.AMBER_STRICT,
    invite: Annotated[
        list[str] | None,
        typer.Option("--invite", help="ORG=DEADLINE (repeatable): invite with a deadline."),
    ] = None,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Open a workspace owned by your organisation (its reviewers)."""
    body = _body(text, text_file, "text")
    if body is None:
        raise InvalidInput("give the statement with --text or --text-file", field="text")
    invitees = []
    for item in invite or []:
        org, sep, deadline = item.rpartition("=")
        if not sep or not org:
            raise InvalidInput(f"'{item}' is not ORG=DEADLINE", field="invite")
        invitees.append(service.Invitee(org, deadline))
    view = _call(
        db,
        as_user,
        lambda kb, viewer: service.create(
            kb,
            viewer,
            incident=incident,
            accused=accused,
            level=level,
            text=body,
            embargo_end=embargo_end,
            title=title,
            marking=marking,
            invitees=invitees,
            zone=_zone(tz),
        ),
    )
    _print(view, json)


@workspace_app.command("list")
def list_cmd(as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False) -> None:
    """The workspaces you see, each as its envelope."""
    items = _call(db, as_user, lambda kb, viewer: service.list_for(kb, viewer, _zone(tz)))
    if json:
        render.emit_json(items)
        return
    render.table(
        "Workspaces",
        [Col("id", key=True), "topic", "inviter", "embargo end", "you see", "state"],
        [
            [
                i["id"],
                i["topic"],
                i["inviter"]["org"],
                _when(i["embargo_end"]),
                i["access"],
                i["state"] or "",
            ]
            for i in items
        ],
    )


@workspace_app.command("show")
def show_cmd(
    workspace: WorkspaceId, as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False
) -> None:
    """A workspace as you may see it (only its envelope before accepting the embargo)."""
    _print(
        _call(db, as_user, lambda kb, viewer: service.show(kb, viewer, workspace, _zone(tz))), json
    )


@workspace_app.command("revise")
def revise_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    text: TextOpt = None,
    text_file: TextFile = None,
    accused: Accused = None,
    level: LevelOpt = None,
    embargo_end: EmbargoEnd = None,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """A new statement revision (lapses joins; a new embargo end must be re-accepted)."""
    body = _body(text, text_file, "text")
    view = _call(
        db,
        as_user,
        lambda kb, viewer: service.revise(
            kb,
            viewer,
            workspace,
            text=body,
            accused=accused,
            level=level,
            embargo_end=embargo_end,
            zone=_zone(tz),
        ),
    )
    _print(view, json)


@workspace_app.command("invite")
def invite_cmd(
    workspace: WorkspaceId,
    org: Annotated[str, typer.Argument(help="The organisation's id or name.")],
    as_user: AsUser,
    deadline: Annotated[
        str, typer.Option("--deadline", help="The answer deadline: RFC 3339 with offset.")
    ],
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Invite an organisation, or give an invited one a new deadline."""
    invitee = service.Invitee(org, deadline)
    view = _call(
        db, as_user, lambda kb, viewer: service.invite(kb, viewer, workspace, invitee, _zone(tz))
    )
    _print(view, json)


@workspace_app.command("name")
def name_cmd(
    workspace: WorkspaceId,
    emails: Annotated[list[str], typer.Argument(help="Emails of your organisation's users.")],
    as_user: AsUser,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Name users of your organisation on the workspace (its reviewers)."""
    view = _call(
        db, as_user, lambda kb, viewer: service.name_users(kb, viewer, workspace, emails, _zone(tz))
    )
    _print(view, json)


@workspace_app.command("accept")
def accept_cmd(
    workspace: WorkspaceId, as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False
) -> None:
    """Accept the embargo for your organisation: you then see the statement."""
    view = _call(
        db, as_user, lambda kb, viewer: service.accept_embargo(kb, viewer, workspace, _zone(tz))
    )
    _print(view, json)


@workspace_app.command("position")
def position_cmd(
    workspace: WorkspaceId,
    position: Annotated[
        Position, typer.Argument(help="join, join_with_wording, abstain, decline.")
    ],
    as_user: AsUser,
    wording: Annotated[
        str | None, typer.Option("--wording", help="Your own wording (join_with_wording).")
    ] = None,
    wording_file: Annotated[
        Path | None,
        typer.Option("--wording-file", help="Read your own wording from this file.", exists=True),
    ] = None,
    stance: Annotated[Stance | None, typer.Option("--stance", help="Your own stance.")] = None,
    level: LevelOpt = None,
    kind: Annotated[
        ClaimKind | None, typer.Option("--kind", help="The form of your statement.")
    ] = None,
    confidence_words: Annotated[
        str | None, typer.Option("--confidence-words", help="Your confidence, in your words.")
    ] = None,
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="Where your statement will be published.")
    ] = None,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Give your organisation's position (joining: its reviewers)."""
    own = Wording(
        text=_body(wording, wording_file, "wording"),
        stance=stance,
        level=level,
        kind=kind,
        confidence_words=confidence_words,
        source_url=source_url,
    )
    view = _call(
        db,
        as_user,
        lambda kb, viewer: service.answer(kb, viewer, workspace, position, own, _zone(tz)),
    )
    _print(view, json)


@workspace_app.command("publish")
def publish_cmd(
    workspace: WorkspaceId, as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False
) -> None:
    """Publish now: one claim per joined organisation (the owner's reviewers)."""
    view = _call(db, as_user, lambda kb, viewer: service.publish(kb, viewer, workspace, _zone(tz)))
    _print(view, json)


@workspace_app.command("publish-due")
def publish_due_cmd(db: Db = None, json: Json = False) -> None:
    """Publish every workspace whose embargo has ended (run it from a timer)."""
    with open_kb(db) as kb:
        done = service.publish_due(kb)
    if json:
        render.emit_json(done)
        return
    render.line(f"published: {len(done['published'])}")
    for item in done["published"]:
        render.line(f"  {item}")
    for item in done["skipped"]:
        render.line(f"skipped {item}")


# -- evidence, discussion, settings, the early end, notifications --------------------------------


def _out(value: Any, as_json: bool) -> None:
    """An answer as JSON, or as ``key: value`` lines (nested values as compact JSON)."""
    if as_json:
        render.emit_json(value)
        return
    for key, item in value.items():
        shown = _when(item) if isinstance(item, dict) and "utc" in item else item
        if isinstance(shown, dict | list):
            shown = jsonlib.dumps(shown, ensure_ascii=False)
        render.line(f"{key}: {render.clean(shown)}")


@workspace_app.command("evidence")
def evidence_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    title: Annotated[
        str | None, typer.Option("--title", help="Share evidence with this title.")
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="The evidence's text.")] = None,
    text_file: TextFile = None,
    url: Annotated[str | None, typer.Option("--url", help="Where the evidence is.")] = None,
    marking: Annotated[
        Marking | None, typer.Option("--marking", help="At least the workspace's marking.")
    ] = None,
    share_with: Annotated[
        list[str] | None,
        typer.Option("--share-with", help="Only these organisations (repeatable)."),
    ] = None,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """List the evidence your organisation sees, or share evidence (--title): it stays in the
    workspace and is never published."""
    if title is None:
        items = _call(
            db, as_user, lambda kb, viewer: service.list_evidence(kb, viewer, workspace, _zone(tz))
        )
        if json:
            render.emit_json({"items": items})
            return
        rows = [
            (e["id"], e["marking"], e["shared_by"]["name"], e["title"], e["url"] or "")
            for e in items
        ]
        render.table("Evidence", ["id", "marking", "shared by", "title", "url"], rows)
        return
    shared = _call(
        db,
        as_user,
        lambda kb, viewer: service.add_evidence(
            kb,
            viewer,
            workspace,
            title=title,
            text=_body(text, text_file, "text"),
            url=url,
            marking=marking,
            shared_with=share_with,
            zone=_zone(tz),
        ),
    )
    _out(shared, json)


@workspace_app.command("comment")
def comment_cmd(
    workspace: WorkspaceId,
    body: Annotated[str, typer.Argument(help="The comment.")],
    as_user: AsUser,
    thread: Annotated[str | None, typer.Option("--thread", help="Post in this thread.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="A new thread's title.")] = None,
    org: Annotated[
        list[str] | None,
        typer.Option("--org", help="Open a thread limited to these organisations (repeatable)."),
    ] = None,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Post a comment in the official thread, in --thread, or in a new thread with --org."""
    view = _call(
        db,
        as_user,
        lambda kb, viewer: service.post_comment(
            kb, viewer, workspace, body, thread=thread, title=title, orgs=org, zone=_zone(tz)
        ),
    )
    _thread(view, json)


def _thread(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        render.emit_json(view)
        return
    render.line(f"{view['title']} ({view['id']})")
    rows = [
        (
            c["seq"],
            "new" if c["new"] else "",
            c["author"]["name"],
            _when(c["created_at"]),
            c["body"],
        )
        for c in view["items"]
    ]
    render.table("Comments", ["#", "", "by", "at", "comment"], rows)


@workspace_app.command("threads")
def threads_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    thread: Annotated[
        str | None, typer.Option("--thread", help="Read this thread (marks it seen).")
    ] = None,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """The threads your organisation belongs to, with what is new since your last visit; or
    one thread's comments (--thread)."""
    if thread is not None:
        read = _call(
            db,
            as_user,
            lambda kb, viewer: service.read_thread(kb, viewer, workspace, thread, _zone(tz)),
        )
        _thread(read, json)
        return
    items = _call(
        db, as_user, lambda kb, viewer: service.list_threads(kb, viewer, workspace, _zone(tz))
    )
    if json:
        render.emit_json({"items": items})
        return
    rows = [
        (t["id"] or "", t["title"], "official" if t["official"] else ", ".join(t["orgs"] or []),
         t["comments"], t["new"])
        for t in items
    ]  # fmt: skip
    render.table("Threads", ["id", "title", "who", "comments", "new"], rows)


@workspace_app.command("end-embargo")
def end_embargo_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    reason: Annotated[str, typer.Option("--reason", help="Why: a leak, a prior attribution.")],
    confirm_by: Annotated[
        str, typer.Option("--confirm-by", help="The confirmation window's end (RFC 3339).")
    ],
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """End the embargo early (the owner's reviewers): joined organisations confirm or
    withdraw by --confirm-by, when publication follows with those who confirmed."""
    view = _call(
        db,
        as_user,
        lambda kb, viewer: service.end_embargo(
            kb, viewer, workspace, reason=reason, confirm_by=confirm_by, zone=_zone(tz)
        ),
    )
    _out(view, json)


@workspace_app.command("confirm-early-end")
def confirm_early_end_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="Withdraw your join instead of confirming it.")
    ] = False,
    tz: Tz = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Confirm (or --withdraw) your organisation's join after the owner ended the embargo."""
    done = _call(
        db,
        as_user,
        lambda kb, viewer: service.answer_early_end(kb, viewer, workspace, not withdraw, _zone(tz)),
    )
    _out(done, json)


@workspace_app.command("settings")
def settings_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    show_invitees: Annotated[
        bool | None,
        typer.Option(
            "--show-invitees/--hide-invitees",
            help="Whether participants see who else is invited (the owner's reviewers).",
        ),
    ] = None,
    show_position: Annotated[
        bool | None,
        typer.Option(
            "--show-position/--hide-position",
            help="Whether the others see your organisation's position (its reviewers).",
        ),
    ] = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Change the workspace's setting or your organisation's."""
    if show_invitees is None and show_position is None:
        raise InvalidInput(
            "give --show-invitees/--hide-invitees or --show-position/--hide-position"
        )

    def change(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
        done: dict[str, Any] = {}
        if show_invitees is not None:
            done |= service.set_show_invitees(kb, viewer, workspace, show_invitees)
        if show_position is not None:
            done |= service.set_show_position(kb, viewer, workspace, show_position)
        return done

    _out(_call(db, as_user, change), json)


@workspace_app.command("notifications")
def notifications_cmd(
    workspace: WorkspaceId,
    as_user: AsUser,
    mode: Annotated[Mode, typer.Argument(help="immediate, digest or mute.")],
    webhook_url: Annotated[
        str | None, typer.Option("--webhook-url", help="Your organisation's webhook.")
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option("--webhook-secret", help="The secret its bodies are signed with.")
    ] = None,
    remove_webhook: Annotated[
        bool, typer.Option("--remove-webhook", help="Remove your organisation's webhook.")
    ] = False,
    db: Db = None,
    json: Json = False,
) -> None:
    """Your notification mode for the workspace; and your organisation's webhook (reviewers)."""
    done = _call(
        db,
        as_user,
        lambda kb, viewer: service.set_notifications(
            kb,
            viewer,
            workspace,
            mode,
            webhook=remove_webhook or webhook_url is not None,
            webhook_url=None if remove_webhook else webhook_url,
            webhook_secret=webhook_secret,
        ),
    )
    _out(done, json)


@workspace_app.command("dashboard")
def dashboard_cmd(
    workspace: WorkspaceId, as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False
) -> None:
    """The owner's dashboard: each organisation's invitation, visit, acceptance, position and
    last activity."""
    board = _call(
        db, as_user, lambda kb, viewer: service.dashboard(kb, viewer, workspace, _zone(tz))
    )
    if json:
        render.emit_json(board)
        return
    rows = [
        (p["name"], "yes" if p["seen"] else "no", _when(p["embargo_accepted_at"]),
         p["state"] + (" (silent)" if p["silent"] else ""), _when(p["deadline"]),
         _when(p["last_activity"]), p["comments"])
        for p in board["participants"]
    ]  # fmt: skip
    columns = ["organisation", "seen", "embargo accepted", "position", "deadline", "last", "#"]
    render.table(f"{board['topic']} ({board['id']})", columns, rows)


@workspace_app.command("notify-due")
def notify_due_cmd(
    db: Db = None,
    within_hours: Annotated[
        int, typer.Option("--within-hours", help="Remind this long before.", min=1)
    ] = 24,
) -> None:
    """Send due reminders: answer deadlines and embargo ends within --within-hours, each once
    (run it from a timer)."""
    with open_kb(db) as kb:
        sent = service.notify_due(kb, dt.timedelta(hours=within_hours))
    render.line(f"reminders sent: {sent}")


@workspace_app.command("digest")
def digest_cmd(db: Db = None) -> None:
    """Send each user who chose it the daily digest of their workspaces' notices."""
    with open_kb(db) as kb:
        sent = service.send_digests(kb)
    render.line(f"digests sent: {sent}")
