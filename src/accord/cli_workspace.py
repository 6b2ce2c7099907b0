"""``accord workspace``: coordination workspaces from the command line (parse →
accord.workspaces.service → print). Every command acts as the user named by ``--as``.

Times are given as RFC 3339 instants with their offset (``2027-03-01T09:00:00Z``) and shown in
UTC and in the zone of ``--tz`` (else ``$TZ`` when it names one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any
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


def _session(db: str | None, email: str) -> tuple[KnowledgeBase, Viewer]:
    kb = open_kb(db)
    return kb, viewer_for(kb, email)


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
    kb, viewer = _session(db, as_user)
    with kb:
        view = service.create(
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
        )
    _print(view, json)


@workspace_app.command("list")
def list_cmd(as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False) -> None:
    """The workspaces you see, each as its envelope."""
    kb, viewer = _session(db, as_user)
    with kb:
        items = service.list_for(kb, viewer, _zone(tz))
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
    kb, viewer = _session(db, as_user)
    with kb:
        _print(service.show(kb, viewer, workspace, _zone(tz)), json)


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
    kb, viewer = _session(db, as_user)
    with kb:
        view = service.revise(
            kb,
            viewer,
            workspace,
            text=body,
            accused=accused,
            level=level,
            embargo_end=embargo_end,
            zone=_zone(tz),
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
    kb, viewer = _session(db, as_user)
    with kb:
        view = service.invite(kb, viewer, workspace, service.Invitee(org, deadline), _zone(tz))
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
    kb, viewer = _session(db, as_user)
    with kb:
        _print(service.name_users(kb, viewer, workspace, emails, _zone(tz)), json)


@workspace_app.command("accept")
def accept_cmd(
    workspace: WorkspaceId, as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False
) -> None:
    """Accept the embargo for your organisation: you then see the statement."""
    kb, viewer = _session(db, as_user)
    with kb:
        _print(service.accept_embargo(kb, viewer, workspace, _zone(tz)), json)


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
    kb, viewer = _session(db, as_user)
    with kb:
        _print(service.answer(kb, viewer, workspace, position, own, _zone(tz)), json)


@workspace_app.command("publish")
def publish_cmd(
    workspace: WorkspaceId, as_user: AsUser, tz: Tz = None, db: Db = None, json: Json = False
) -> None:
    """Publish now: one claim per joined organisation (the owner's reviewers)."""
    kb, viewer = _session(db, as_user)
    with kb:
        _print(service.publish(kb, viewer, workspace, _zone(tz)), json)


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
