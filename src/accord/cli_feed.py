"""``accord feed``: subscribe to TAXII 2.1 collections and pull them (parse →
accord.federation → print). Feed tokens are sealed at rest and never printed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from accord import render
from accord.cli_common import Db, Json, open_kb
from accord.errors import PullRunning
from accord.federation import feeds
from accord.federation.pull import PullReport, pull
from accord.render import Col

feed_app = typer.Typer(
    help="Feeds: pull other Accord instances or any TAXII 2.1 server (docs/federation.md).",
    no_args_is_help=True,
)
Name = Annotated[str, typer.Argument(help="The feed's name (lower-case letters, digits, - _).")]
Every = Annotated[
    str | None,
    typer.Option(
        "--every",
        help="Pull in the background this often under 'accord serve --pull-feeds' "
        "(30s, 15m, 6h, 1d; 'off': never).",
    ),
]


#: The ``--token`` value that asks for the token at a prompt instead.
ASK = "-"


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
            envvar="ACCORD_FEED_TOKEN",
            help="The remote's bearer token (or user:password with --basic); sealed with "
            "$ACCORD_FEED_KEY, never shown again. '-' asks for it without echoing it; "
            "$ACCORD_FEED_TOKEN is read when the option is left out (either keeps it out of "
            "your shell's history).",
        ),
    ] = None,
    basic: Annotated[
        bool, typer.Option("--basic", help="Send the token as HTTP Basic user:password.")
    ] = False,
    every: Every = None,
    db: Db = None,
    json: Json = False,
) -> None:
    """Subscribe to a remote collection."""
    seconds = feeds.parse_every(every) if every else None
    if token == ASK:
        token = typer.prompt("Token", hide_input=True)
    with open_kb(db) as kb:
        feed = feeds.add(
            kb,
            name,
            url,
            collection,
            user_email=as_user,
            token=token,
            basic=basic,
            every=seconds,
        )
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
        [
            Col("name", key=True),
            "url",
            "collection",
            "org",
            "token",
            "added after",
            "every",
            "last success",
            "last error",
        ],
        [
            [
                f.name,
                f.url,
                f.collection,
                f.org_id,
                "set" if f.has_token else "none",
                (f.cursor.added_after or "")
                + (" (pulling)" if f.pulling else " (mid-pull)" if f.cursor.next_page else ""),
                feeds.format_every(f.every) or "off",
                _when(f.last_pull_at) or "never",
                f"{_when(f.last_error_at)}: {f.last_error}" if f.last_error else "",
            ]
            for f in items
        ],
    )


def _when(moment: dt.datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@feed_app.command("set")
def set_cmd(name: Name, every: Every = None, db: Db = None, json: Json = False) -> None:
    """Change a feed's settings: its background pull interval."""
    if every is None:
        raise typer.BadParameter("say what to set: --every 15m (or --every off)")
    with open_kb(db) as kb:
        feed = feeds.set_every(kb, name, feeds.parse_every(every))
    if json:
        render.emit_json(feed.to_json())
        return
    how = feeds.format_every(feed.every)
    render.line(
        f"Feed {feed.name}: pulled every {how} by 'accord serve --pull-feeds'."
        if how
        else f"Feed {feed.name}: not pulled in the background."
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
    """Pull one feed, or every feed in name order. Refused while another pull of the feed
    runs (every feed: that one is skipped, said so)."""
    busy: list[str] = []
    with open_kb(db) as kb:
        if name:  # one feed: a pull running elsewhere is this command's error
            reports = [pull(kb, name, dry_run=dry_run)]
        else:
            reports = []
            for each in [f.name for f in feeds.all_feeds(kb)]:
                try:
                    reports.append(pull(kb, each, dry_run=dry_run))
                except PullRunning as exc:
                    busy.append(str(exc))
    if json:
        render.emit_json([r.to_json() for r in reports])
        return
    if not reports and not busy:
        render.line("No feeds: add one with accord feed add.")
    for report in reports:
        _print(report)
    for text in busy:
        render.line(f"Skipped: {text}.")


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
