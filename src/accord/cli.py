"""The ``accord`` command: parse arguments, call the KnowledgeBase, print the result."""

from __future__ import annotations

import sys
from importlib import metadata
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer

from accord import accounts, dataset, render
from accord.cli_analyze import analyze_app
from accord.cli_common import As, Db, Json, existing_folder, hint_missing, open_kb, viewer_for
from accord.cli_corrections import register as register_corrections
from accord.cli_feed import feed_app
from accord.cli_import import import_app
from accord.cli_withdraw import withdraw
from accord.cli_workspace import workspace_app
from accord.domain.vocab import Kind, Sector, UserRole
from accord.errors import AccordError, BadRequest
from accord.federation import origins
from accord.kb import KnowledgeBase
from accord.render import Col

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)
data_app = typer.Typer(help="Work with the bundled curated dataset.", no_args_is_help=True)
org_app = typer.Typer(help="Manage organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the audit log.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
app.add_typer(analyze_app, name="analyze")
app.add_typer(workspace_app, name="workspace")
register_corrections(feed_app)
app.add_typer(feed_app, name="feed")
app.command()(withdraw)


def _print_version(wanted: bool) -> None:
    if wanted:
        render.line(f"accord {metadata.version('accord')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Accord: the system of record for state behaviour in cyberspace."""


@app.command()
def init(
    db: Db = None,
    empty: Annotated[
        bool, typer.Option("--empty", help="Do not load the bundled dataset.")
    ] = False,
) -> None:
    """Create or migrate the database, then load the bundled dataset (unless --empty)."""
    with KnowledgeBase(db) as kb:
        kb.initialise()
        if empty:
            render.line("Database ready (empty).")
            return
        result = dataset.load(kb)
    render.line(
        f"Database ready: {len(result.created)} records created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged."
    )


@app.command()
def serve(
    db: Db = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    pull_feeds: Annotated[
        bool,
        typer.Option(
            "--pull-feeds", help="Pull each feed on its interval (--every) in the background."
        ),
    ] = False,
) -> None:
    """Serve the REST API (/api/v1) and web interface."""
    import uvicorn

    from accord.web.app import create_app
    from accord.web.settings import Settings

    settings = Settings(database_url=db)
    open_kb(db).close()
    app = create_app(settings, pull_feeds=pull_feeds)
    uvicorn.run(app, host=host, port=port, log_level="info")


@app.command()
def show(
    record_id: str,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    revision: Annotated[
        int | None, typer.Option(help="Show the record as of this revision.")
    ] = None,
) -> None:
    """Show one record."""
    with open_kb(db) as kb:
        viewer = viewer_for(kb, as_user)
        with hint_missing(kb, viewer, record_id):
            record = kb.get(record_id, viewer, revision=revision)
        pulled = origins.shown_to(kb, viewer, record.id)
    if json:
        render.emit_json(record.to_json())
        return
    body = record.to_json()
    render.table(
        f"{record.name} ({record.id}, {record.kind.value}, TLP:{record.marking.value})",
        [Col("field", key=True), "value"],
        [
            (k, orjson.dumps(v).decode() if not isinstance(v, str) else v)
            for k, v in body["data"].items()
        ]
        + [("source", f"{s.publisher}: {s.title} <{s.url}>") for s in record.sources]
        + ([("origin", pulled.describe())] if pulled else []),
    )


@app.command()
def search(
    text: str,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    kind: Annotated[
        list[Kind] | None, typer.Option(help="Only records of this kind (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Most results to return.")] = 20,
) -> None:
    """Full-text search over names, aliases and descriptions, best first."""
    with open_kb(db) as kb:
        hits = kb.search(text, viewer_for(kb, as_user), kinds=kind or (), limit=limit)
    if json:
        render.emit_json(
            [
                {
                    "id": h.record.id,
                    "kind": h.record.kind.value,
                    "name": h.record.name,
                    "marking": h.record.marking.value,
                    "score": h.score,
                }
                for h in hits
            ]
        )
        return
    render.table(
        f"Search: {text}",
        [Col("id", key=True), "name", Col("kind", drop=1), Col("marking", drop=2)],
        [(h.record.id, h.record.name, h.record.kind.value, h.record.marking.value) for h in hits],
    )


@app.command()
def history(record_id: str, db: Db = None, json: Json = False, as_user: As = None) -> None:
    """List the revisions of a record you may see."""
    with open_kb(db) as kb:
        viewer = viewer_for(kb, as_user)
        with hint_missing(kb, viewer, record_id):
            views = kb.history(record_id, viewer)
    if json:
        render.emit_json(
            [
                {
                    "revision": v.revision,
                    "changed_at": v.changed_at.isoformat(),
                    "changed_by": v.changed_by,
                    "record": v.record.to_json(),
                }
                for v in views
            ]
        )
        return
    render.table(
        f"History of {record_id}",
        ["revision", "changed at", Col("by", drop=1), "marking", "status"],
        [
            (
                v.revision,
                v.changed_at.isoformat(),
                v.changed_by,
                v.record.marking.value,
                v.record.status.value,
            )
            for v in views
        ],
    )


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", help="File to write.", callback=existing_folder)],
    db: Db = None,
    as_user: As = None,
    format: Annotated[
        str, typer.Option("--format", help="json or stix (a STIX 2.1 bundle)")
    ] = "json",
) -> None:
    """Export every record you may see to a file."""
    if format not in ("json", "stix"):
        raise BadRequest(f"unknown export format '{format}' (use json or stix)")
    with open_kb(db) as kb:
        if format == "stix":
            from accord.interop.stix_export import write_bundle

            with out.open("wb") as handle:
                count = write_bundle(kb, viewer_for(kb, as_user), handle)
            render.line(f"Wrote a STIX bundle of {count} objects to {out}.")
            return
        from accord.interop.json_export import write_json

        count = write_json(kb, viewer_for(kb, as_user), out)
    render.line(f"Wrote {count} records to {out}.")


@app.command()
def report(
    out: Annotated[
        Path,
        typer.Option("--out", help="File to write (HTML or PDF).", callback=existing_folder),
    ],
    db: Db = None,
    as_user: As = None,
    format: Annotated[
        str, typer.Option("--format", help="html or pdf (PDF needs WeasyPrint).")
    ] = "html",
) -> None:
    """Write the "state of affairs" briefing: landscape, norms, say-do gaps, contested
    attributions and the public-private divide, with charts and sources."""
    from accord import report as briefing

    with open_kb(db) as kb:
        written = briefing.write(kb, out, fmt=format, viewer=viewer_for(kb, as_user))
    render.line(f"Wrote the briefing to {written}.")


@data_app.command("check")
def data_check(
    json: Json = False,
    directory: Annotated[
        Path | None, typer.Option(help="Check another folder of YAML files.")
    ] = None,
) -> None:
    """Validate the curated dataset: schema, sources, references, duplicates."""
    found = dataset.read(directory or dataset.DATA_DIR)
    if json:
        render.emit_json({"counts": found.counts(), "problems": [str(p) for p in found.problems]})
    else:
        render.table("Dataset", ["kind", "records"], sorted(found.counts().items()))
        for problem in found.problems:
            render.error(str(problem))
    if found.problems:
        raise typer.Exit(1)


Listed = Annotated[
    bool,
    typer.Option(
        "--listed/--unlisted",
        help="Name the organisation to anyone (its actor record CLEAR), or to signed-in "
        "users only (GREEN).",
    ),
]


@org_app.command("create")
def org_create(
    name: str,
    sector: Annotated[Sector, typer.Option(help="The organisation's sector.")],
    db: Db = None,
    website: Annotated[str | None, typer.Option(help="The organisation's website.")] = None,
    listed: Listed = False,
) -> None:
    """Register an organisation (it is also an actor, with a sector)."""
    with open_kb(db) as kb:
        org_id = accounts.create_org(kb, name, sector, website=website, listed=listed)
    render.line(f"Created organisation {org_id}.")


@org_app.command("listing")
def org_listing(org: str, listed: Listed, db: Db = None) -> None:
    """List an organisation publicly, or stop (its actor record becomes CLEAR or GREEN)."""
    with open_kb(db) as kb:
        org_id = accounts.find_org(kb, org)
        accounts.set_listed(kb, org_id, listed)
    render.line(f"{org_id} is {'listed publicly' if listed else 'shown to signed-in users only'}.")


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help="Organisation: its id or its exact name.")],
    role: Annotated[UserRole, typer.Option(help="The user's role.")] = UserRole.CONTRIBUTOR,
    db: Db = None,
    password: Annotated[
        bool, typer.Option("--password", help="Prompt for a password (for web sign-in).")
    ] = False,
) -> None:
    """Add a user to an organisation."""
    secret = (
        typer.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    with open_kb(db) as kb:
        user = accounts.create_user(kb, email, accounts.find_org(kb, org), role, password=secret)
    render.line(f"Created user {user.email} ({user.id}) in {user.org_id}.")


@user_app.command("deactivate")
def user_deactivate(email: str, db: Db = None) -> None:
    """Deactivate a user: their API tokens and web sessions stop working at once."""
    with open_kb(db) as kb:
        accounts.deactivate_user(kb, email)
    render.line(f"Deactivated {email}.")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="The user's email.")],
    db: Db = None,
    expires: Annotated[int | None, typer.Option(help="Days until the token expires.")] = None,
) -> None:
    """Issue an API token; it is printed once and stored only hashed."""
    with open_kb(db) as kb:
        token_id, token = accounts.create_token(kb, user, expires_days=expires)
    render.line(f"Token {token_id} (shown once):", err=True)
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: str, db: Db = None) -> None:
    """Revoke an API token by its id."""
    with open_kb(db) as kb:
        accounts.revoke_token(kb, token_id)
    render.line(f"Revoked {token_id}.")


@audit_app.command("verify")
def audit_verify(
    db: Db = None,
    json: Json = False,
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            help="A head printed by 'accord audit head' (or a file holding it): check that the "
            "log still extends it.",
        ),
    ] = None,
) -> None:
    """Check the audit chain (keyed with $ACCORD_AUDIT_KEY when set), every revision and every
    record's current row against it; reports each problem."""
    with open_kb(db) as kb:
        result = kb.verify_audit(head)
    if json:
        render.emit_json(result.to_json())
    elif result.ok:
        keyed = f"keyed from entry {result.keyed_from}" if result.keyed_from else "unkeyed"
        render.line(
            f"Audit log intact: {result.checked} entries ({keyed}), {result.revisions} revisions "
            f"and {result.records} records checked."
        )
    else:
        for problem in result.problems:
            render.error(f"audit: {problem.describe()}")
        render.error(f"audit log broken: {result.problem_count} problem(s)")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("head")
def audit_head(db: Db = None, json: Json = False) -> None:
    """Print the audit log's head (entries, last hash, time) to keep outside the database."""
    with open_kb(db) as kb:
        current = kb.audit_head()
    if json:
        render.emit_json(current.to_json())
    else:
        render.line(current.text())


def _usage_error(exc: typer.TyperException) -> NoReturn:
    """Print a click-style error as one line (and where to find help), then exit."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the command's help, already formatted
        if exc.format_message().strip():
            exc.show()  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)
    render.error(exc.format_message())
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        render.hint(f"Try '{ctx.command_path} {ctx.help_option_names[0]}' for help.")
    sys.exit(exc.exit_code)


def main() -> None:
    """Entry point: run the CLI. Usage errors print click's message (exit 2), Accord and
    file-system errors one line (exit 1) with any hints below it; never a traceback."""
    try:
        # Without standalone mode click returns (not raises) the code of a typer.Exit.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except AccordError as exc:
        render.error(str(exc))
        for note in getattr(exc, "__notes__", ()):
            render.hint(note)
        sys.exit(1)
    except typer.TyperException as exc:
        # typer >= 0.29 bundles its own click: its ClickException (UsageError, BadParameter,
        # MissingParameter, NoSuchOption...) derives from typer.TyperException, not from
        # click.ClickException.
        _usage_error(exc)
    except (typer.Abort, KeyboardInterrupt):
        render.error("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        render.error(f"{exc.strerror or type(exc).__name__}{where}")
        sys.exit(1)
    except Exception as exc:
        render.error(f"internal error ({type(exc).__name__}); please report it")
        sys.exit(1)
