"""The ``accord`` command: parse arguments, call the KnowledgeBase, print the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer

from accord import accounts, dataset, render
from accord.cli_analyze import analyze_app
from accord.cli_common import As, Db, Json, open_kb, viewer_for
from accord.cli_import import import_app
from accord.domain.vocab import Kind, Sector, UserRole
from accord.errors import AccordError, BadRequest
from accord.kb import KnowledgeBase

app = typer.Typer(
    help="Accord: the system of record for state behaviour in cyberspace.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
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
            render.console.print("Database ready (empty).")
            return
        result = dataset.load(kb)
    render.console.print(
        f"Database ready: {len(result.created)} records created, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged."
    )


@app.command()
def serve(
    db: Db = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the REST API (/api/v1) and web interface."""
    import uvicorn

    from accord.web.app import create_app
    from accord.web.settings import Settings

    settings = Settings(database_url=db)
    open_kb(db).close()
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


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
        record = kb.get(record_id, viewer_for(kb, as_user), revision=revision)
    if json:
        render.emit_json(record.to_json())
        return
    body = record.to_json()
    render.table(
        f"{record.name} ({record.kind.value}, TLP:{record.marking.value})",
        ["field", "value"],
        [
            (k, orjson.dumps(v).decode() if not isinstance(v, str) else v)
            for k, v in body["data"].items()
        ]
        + [("source", f"{s.publisher}: {s.title} <{s.url}>") for s in record.sources],
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
        ["id", "kind", "name", "marking"],
        [(h.record.id, h.record.kind.value, h.record.name, h.record.marking.value) for h in hits],
    )


@app.command()
def history(record_id: str, db: Db = None, json: Json = False, as_user: As = None) -> None:
    """List the revisions of a record you may see."""
    with open_kb(db) as kb:
        views = kb.history(record_id, viewer_for(kb, as_user))
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
        ["revision", "changed at", "by", "marking", "status"],
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
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
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
            render.console.print(f"Wrote a STIX bundle of {count} objects to {out}.")
            return
        from accord.interop.json_export import write_json

        count = write_json(kb, viewer_for(kb, as_user), out)
    render.console.print(f"Wrote {count} records to {out}.")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="File to write (HTML or PDF).")],
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
    render.console.print(f"Wrote the briefing to {written}.")


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


@org_app.command("create")
def org_create(
    name: str,
    sector: Annotated[Sector, typer.Option(help="The organisation's sector.")],
    db: Db = None,
    website: Annotated[str | None, typer.Option(help="The organisation's website.")] = None,
) -> None:
    """Register an organisation (it is also an actor, with a sector)."""
    with open_kb(db) as kb:
        org_id = accounts.create_org(kb, name, sector, website=website)
    render.console.print(f"Created organisation {org_id}.")


@user_app.command("create")
def user_create(
    email: str,
    org: Annotated[str, typer.Option(help="Organisation id.")],
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
        user = accounts.create_user(kb, email, org, role, password=secret)
    render.console.print(f"Created user {user.email} ({user.id}).")


@user_app.command("deactivate")
def user_deactivate(email: str, db: Db = None) -> None:
    """Deactivate a user: their API tokens and web sessions stop working at once."""
    with open_kb(db) as kb:
        accounts.deactivate_user(kb, email)
    render.console.print(f"Deactivated {email}.")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="The user's email.")],
    db: Db = None,
    expires: Annotated[int | None, typer.Option(help="Days until the token expires.")] = None,
) -> None:
    """Issue an API token; it is printed once and stored only hashed."""
    with open_kb(db) as kb:
        token_id, token = accounts.create_token(kb, user, expires_days=expires)
    render.errors.print(f"Token {token_id} (shown once):")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: str, db: Db = None) -> None:
    """Revoke an API token by its id."""
    with open_kb(db) as kb:
        accounts.revoke_token(kb, token_id)
    render.console.print(f"Revoked {token_id}.")


@audit_app.command("verify")
def audit_verify(db: Db = None, json: Json = False) -> None:
    """Check the audit log's hash chain; reports the first broken link."""
    with open_kb(db) as kb:
        result = kb.verify_audit()
    if json:
        render.emit_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "broken_seq": result.broken_seq,
                "reason": result.reason,
            }
        )
    elif result.ok:
        render.console.print(f"Audit log intact: {result.checked} entries checked.")
    else:
        render.error(f"audit log broken at entry {result.broken_seq}: {result.reason}")
    if not result.ok:
        raise typer.Exit(1)


def main() -> None:
    """Entry point: run the CLI and turn Accord errors into one line on stderr."""
    try:
        # Without standalone mode click returns (not raises) the code of a typer.Exit.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except AccordError as exc:
        render.error(str(exc))
        sys.exit(1)
    except (typer.Abort, KeyboardInterrupt):
        render.error("aborted")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        render.error(f"unexpected {type(exc).__name__}; nothing more is shown (see the logs)")
        sys.exit(1)
