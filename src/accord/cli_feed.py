"""``accord feed``: subscribe to TAXII 2.1 collections and pull them (parse →
accord.federation → print). Feed tokens are sealed at rest and never printed."""

from __future__ import annotations

from typing import Annotated

import typer

from accord import render
from accord.cli_common import Db, Json, open_kb
from accord.federation import feeds
from accord.federation.pull import PullReport, pull
from accord.render import Col

feed_app = typer.Typer(
    help="Feeds: pull other Accord instances or any TAXII 2.1 server (docs/federation.md).",
    no_args_is_help=True,
)
Name = Annotated[str, typer.Argument(help="The feed's name (lower-case letters, digits, - _).")]


@feed_app.command("add")
def add_cmd(
    name: Name,
    url: Annotated[str, typer.Argument(help="The TAXII 2.1 API root URL.")],
    collection: Annotated[str, typer.Option("--collection", help="The collection id.")],
    as_user: Annotated[
        str,
        typer.Option(
            "--as", help="Pull as this user (email): a reviewer of the subscribing organisation."
        ),
    ],
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help="The remote's bearer token (or user:password with --basic); sealed with "
            "$ACCORD_FEED_KEY, never shown again.",
        ),
    ] = None,
    basic: Annotated[
        bool, typer.Option("--basic", help="Send the token as HTTP Basic user:password.")
    ] = False,
    db: Db = None,
    json: Json = False,
) -> None:
    """Subscribe to a remote collection."""
    with open_kb(db) as kb:
        feed = feeds.add(kb, name, url, collection, user_email=as_user, token=token, basic=basic)
    if json:
        render.emit_json(feed.to_json())
        return
    render.line(
        f"Feed {feed.name} added: {feed.url} collection {feed.collection}, for {feed.org_id}."
    )


@feed_app.command("list")
def list_cmd(db: Db = None, json: Json = False) -> None:
    """The feeds, with their cursors (tokens are never shown)."""
    with open_kb(db) as kb:
        items = feeds.all_feeds(kb)
    if json:
        render.emit_json([f.to_json() for f in items])
        return
    render.table(
        "Feeds",
        [Col("name", key=True), "url", "collection", "org", "token", "added after", "last pull"],
        [
            [
                f.name,
                f.url,
                f.collection,
                f.org_id,
                "set" if f.has_token else "none",
                (f.cursor.added_after or "") + (" (mid-pull)" if f.cursor.next_page else ""),
                f.last_pull_at.isoformat(timespec="seconds") if f.last_pull_at else "never",
            ]
            for f in items
        ],
    )


@feed_app.command("pull")
def pull_cmd(
    name: Annotated[str | None, typer.Argument(help="The feed (default: every feed).")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would happen; write nothing.")
    ] = False,
    db: Db = None,
    json: Json = False,
) -> None:
    """Pull one feed, or every feed in name order."""
    with open_kb(db) as kb:
        names = [name] if name else [f.name for f in feeds.all_feeds(kb)]
        reports = [pull(kb, n, dry_run=dry_run) for n in names]
    if json:
        render.emit_json([r.to_json() for r in reports])
        return
    if not reports:
        render.line("No feeds: add one with accord feed add.")
    for report in reports:
        _print(report)


def _print(report: PullReport) -> None:
    counts = ", ".join(f"{n} {action}" for action, n in sorted(report.counts.items()))
    verb = "would pull" if report.dry_run else "pulled"
    resumed = " (resumed)" if report.resumed else ""
    render.line(
        f"Feed {report.feed} {verb}{resumed}: {report.objects} objects in {report.pages} "
        f"pages: {counts or 'nothing new'}."
    )
    if report.items:
        render.table(
            f"Feed {report.feed}",
            [Col("object", key=True), "action", "record", "reason"],
            [[o.remote_id, o.action, o.record or "", o.reason] for o in report.items],
        )
    if not report.listed_all:
        render.line("(more objects than listed: use --json for counts)")


@feed_app.command("remove")
def remove_cmd(name: Name, db: Db = None) -> None:
    """Unsubscribe (records already pulled stay, with their origin)."""
    with open_kb(db) as kb:
        feeds.remove(kb, name)
    render.line(f"Feed {name} removed.")
