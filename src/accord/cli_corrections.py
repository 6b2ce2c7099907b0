"""``accord feed correct`` / ``corrections`` (a subscriber sends corrections of pulled records
back to their origin) and ``accord feed proposals`` / ``accept`` / ``reject`` (an origin's
reviewers decide on the corrections received). Thin: parse, call accord.federation, print."""

from __future__ import annotations

import json as jsonlib
from pathlib import Path
from typing import Annotated, Any

import typer

from accord import accounts, render
from accord.cli_common import Db, Json, hint_missing, open_kb
from accord.errors import BadRequest
from accord.federation import corrections, proposals
from accord.render import Col

AsUser = Annotated[str, typer.Option("--as", help="Act as this user (email).")]
ProposalId = Annotated[str, typer.Argument(help="The proposal's id (accord feed proposals).")]


def correct_cmd(
    record_id: Annotated[str, typer.Argument(help="The pulled record to correct.")],
    as_user: Annotated[
        str,
        typer.Option(
            "--as", help="Propose as this user (email): a contributor or above who sees it."
        ),
    ],
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="FIELD=VALUE, repeatable; VALUE is read as JSON when it is JSON "
            "(numbers, lists), else as text.",
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="A JSON object of field: value pairs.", exists=True),
    ] = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Send a correction of a pulled record to its origin (a proposal for its reviewers)."""
    changes = _changes(sets or [], file)
    with open_kb(db) as kb:
        viewer = accounts.find_user(kb, as_user).viewer
        with hint_missing(kb, viewer, record_id):
            sent = corrections.propose(kb, viewer, record_id, changes)
    if json:
        render.emit_json(sent.to_json())
        return
    render.line(
        f"Correction {sent.id} of {sent.record_id} sent to feed {sent.feed}'s origin "
        f"({sent.remote_id}): {sent.outcome}{': ' + sent.message if sent.message else ''}."
    )


def _changes(sets: list[str], file: Path | None) -> dict[str, Any]:
    """The fields to change, from ``--file`` then each ``--set``. Reads the file only."""
    changes: dict[str, Any] = {}
    if file is not None:
        try:
            loaded = jsonlib.loads(file.read_text(encoding="utf-8"))
        except (ValueError, OSError) as exc:
            raise BadRequest(f"--file: not a readable JSON file ({type(exc).__name__})") from exc
        if not isinstance(loaded, dict):
            raise BadRequest("--file: a JSON object of field: value pairs")
        changes.update(loaded)
    for item in sets:
        name, eq, text = item.partition("=")
        if not eq or not name.strip():
            raise BadRequest(f"--set takes FIELD=VALUE, not '{item[:60]}'")
        try:
            value: Any = jsonlib.loads(text)
        except ValueError:
            value = text
        changes[name.strip()] = value
    return changes


def corrections_cmd(
    as_user: AsUser,
    no_refresh: Annotated[
        bool, typer.Option("--no-refresh", help="Do not ask the origins again.")
    ] = False,
    db: Db = None,
    json: Json = False,
) -> None:
    """The corrections your organisation sent, with their status read again from the origin."""
    with open_kb(db) as kb:
        viewer = accounts.find_user(kb, as_user).viewer
        items = corrections.corrections(kb, viewer, refresh=not no_refresh)
    if json:
        render.emit_json([c.to_json() for c in items])
        return
    render.table(
        "Corrections sent",
        [Col("id", key=True), "record", "feed", "changes", "outcome", "message"],
        [
            [
                c.id,
                c.record_id,
                c.feed,
                ", ".join(sorted(c.changes)),
                c.outcome + (" (not refreshed)" if c.refresh_error else ""),
                c.message,
            ]
            for c in items
        ],
    )


def proposals_cmd(
    as_user: AsUser,
    every: Annotated[bool, typer.Option("--all", help="Also those accepted or rejected.")] = False,
    db: Db = None,
    json: Json = False,
) -> None:
    """Corrections received over TAXII for your organisation's records."""
    with open_kb(db) as kb:
        viewer = accounts.find_user(kb, as_user).viewer
        items = proposals.pending(kb, viewer, every=every)
    if json:
        render.emit_json([p.to_json() for p in items])
        return
    render.table(
        "Correction proposals",
        [Col("id", key=True), "record", "from", "changes", "state"],
        [
            [
                p.id,
                p.record_id,
                p.proposer_org,
                jsonlib.dumps(p.changes, ensure_ascii=False),
                p.state + (f": {p.reason}" if p.reason else ""),
            ]
            for p in items
        ],
    )


def accept_cmd(proposal_id: ProposalId, as_user: AsUser, db: Db = None) -> None:
    """Apply a proposed correction to its record (reviewers of its organisation)."""
    with open_kb(db) as kb:
        record = proposals.accept(kb, accounts.find_user(kb, as_user).viewer, proposal_id)
    render.line(f"Accepted: {record.id} is now at revision {record.revision}.")


def reject_cmd(
    proposal_id: ProposalId,
    as_user: AsUser,
    reason: Annotated[str, typer.Option("--reason", help="Why (told to the proposer).")],
    db: Db = None,
) -> None:
    """Reject a proposed correction (reviewers of its organisation)."""
    with open_kb(db) as kb:
        proposals.reject(kb, accounts.find_user(kb, as_user).viewer, proposal_id, reason)
    render.line(f"Rejected proposal {proposal_id}.")


def register(feed_app: typer.Typer) -> None:
    """Add the commands to the ``accord feed`` group."""
    feed_app.command("correct")(correct_cmd)
    feed_app.command("corrections")(corrections_cmd)
    feed_app.command("proposals")(proposals_cmd)
    feed_app.command("accept")(accept_cmd)
    feed_app.command("reject")(reject_cmd)
