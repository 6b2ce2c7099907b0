"""The ``accord`` command: parse arguments, call the KnowledgeBase, print the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from accord import accounts, dataset, render
from accord.access import ANONYMOUS, Viewer
from accord.cli_analyze import analyze_app
from accord.domain.vocab import Kind, Marking, Sector, UserRole
from accord.errors import AccordError
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
import_app = typer.Typer(help="Import public datasets and STIX bundles.", no_args_is_help=True)
app.add_typer(data_app, name="data")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
app.add_typer(analyze_app, name="analyze")

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL or SQLite path (default: $ACCORD_DATABASE_URL, else ./accord.db).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
As = Annotated[
    str | None,
    typer.Option("--as", help="Read as this user (email); default: anonymous, CLEAR only."),
]


def _open(db: str | None) -> KnowledgeBase:
    kb = KnowledgeBase(db)
    kb.require_schema()
    return kb


def _viewer(kb: KnowledgeBase, email: str | None) -> Viewer:
    return accounts.find_user(kb, email).viewer if email else ANONYMOUS


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
    _open(db).close()
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
    with _open(db) as kb:
        record = kb.get(record_id, _viewer(kb, as_user), revision=revision)
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
    with _open(db) as kb:
        hits = kb.search(text, _viewer(kb, as_user), kinds=kind or (), limit=limit)
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
    with _open(db) as kb:
        views = kb.history(record_id, _viewer(kb, as_user))
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
        raise AccordError(f"unknown export format '{format}' (use json or stix)")
    with _open(db) as kb:
        if format == "stix":
            from accord.interop.stix_export import write_bundle

            with out.open("wb") as handle:
                count = write_bundle(kb, _viewer(kb, as_user), handle)
            render.console.print(f"Wrote a STIX bundle of {count} objects to {out}.")
            return
        from accord.interop.json_export import write_json

        count = write_json(kb, _viewer(kb, as_user), out)
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

    with _open(db) as kb:
        written = briefing.write(kb, out, fmt=format, viewer=_viewer(kb, as_user))
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
    with _open(db) as kb:
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
    with _open(db) as kb:
        user = accounts.create_user(kb, email, org, role, password=secret)
    render.console.print(f"Created user {user.email} ({user.id}).")


@token_app.command("create")
def token_create(
    user: Annotated[str, typer.Option("--user", help="The user's email.")],
    db: Db = None,
    expires: Annotated[int | None, typer.Option(help="Days until the token expires.")] = None,
) -> None:
    """Issue an API token; it is printed once and stored only hashed."""
    with _open(db) as kb:
        token_id, token = accounts.create_token(kb, user, expires_days=expires)
    render.errors.print(f"Token {token_id} (shown once):")
    print(token)


@token_app.command("revoke")
def token_revoke(token_id: str, db: Db = None) -> None:
    """Revoke an API token by its id."""
    with _open(db) as kb:
        accounts.revoke_token(kb, token_id)
    render.console.print(f"Revoked {token_id}.")


@audit_app.command("verify")
def audit_verify(db: Db = None, json: Json = False) -> None:
    """Check the audit log's hash chain; reports the first broken link."""
    with _open(db) as kb:
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


SkipInvalid = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the valid rows and report the invalid ones."),
]


SHOWN = 40


def _run_import(db: str | None, as_user: str | None, json: bool, run: Any) -> None:
    """Open the database, run one importer with a progress bar, print its report."""
    from accord.access import SYSTEM
    from accord.interop.importing import ImportInvalid, ImportReport, rich_progress

    with _open(db) as kb, rich_progress() as progress:
        viewer = accounts.find_user(kb, as_user).viewer if as_user else SYSTEM
        try:
            report: ImportReport = run(kb, viewer, progress)
        except ImportInvalid as exc:
            report = exc.report
    if json:
        render.emit_json(report.to_json())
    else:
        render.table(
            f"Import {report.dataset}" + ("" if report.written else " (nothing written)"),
            ["result", "count"],
            [
                ("created", len(report.created)),
                ("updated", len(report.updated)),
                ("unchanged", len(report.unchanged)),
                ("kept (other sources)", len(report.kept)),
                ("skipped", len(report.skipped)),
                ("invalid", len(report.invalid)),
            ],
        )
        lines = [f"skipped {p}" for p in report.skipped] + [f"note {n}" for n in report.notes]
        for line in lines[:SHOWN]:
            render.console.print(line, highlight=False, markup=False, soft_wrap=True)
        if len(lines) > SHOWN:
            render.console.print(f"... and {len(lines) - SHOWN} more lines (see --json)")
        for problem in report.invalid:
            render.error(f"invalid {problem}")
    if not report.written:
        raise typer.Exit(1)


@import_app.command("misp-galaxy")
def import_misp_galaxy(
    path: Annotated[
        Path | None, typer.Argument(help="threat-actor.json (default: pymispgalaxies' copy).")
    ] = None,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    skip_invalid: SkipInvalid = False,
    date: Annotated[
        str | None, typer.Option(help="Date the dataset was read (default: file date).")
    ] = None,
) -> None:
    """Import MISP galaxy threat actors and their CFR suspected state sponsors."""
    from accord.interop.misp_galaxy import import_misp_galaxy as run

    _run_import(
        db,
        as_user,
        json,
        lambda kb, viewer, progress: run(
            kb, viewer, path, date=date, skip_invalid=skip_invalid, progress=progress
        ),
    )


@import_app.command("attack")
def import_attack(
    path: Path,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """Import MITRE ATT&CK groups, campaigns and MITRE's attributions from a STIX bundle."""
    from accord.interop.attack import import_attack as run

    _run_import(
        db,
        as_user,
        json,
        lambda kb, viewer, progress: run(
            kb, viewer, path, skip_invalid=skip_invalid, progress=progress
        ),
    )


@import_app.command("paris-call")
def import_paris_call(
    path: Path,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """Import the Paris Call supporters (JSON or CSV) as participations."""
    from accord.interop.paris_call import import_paris_call as run

    _run_import(
        db,
        as_user,
        json,
        lambda kb, viewer, progress: run(
            kb, viewer, path, skip_invalid=skip_invalid, progress=progress
        ),
    )


@import_app.command("eu-sanctions")
def import_eu_sanctions(
    path: Path,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """Import the EU cyber-sanctions listings (JSON or CSV) as sanction responses."""
    from accord.interop.eu_sanctions import import_eu_sanctions as run

    _run_import(
        db,
        as_user,
        json,
        lambda kb, viewer, progress: run(
            kb, viewer, path, skip_invalid=skip_invalid, progress=progress
        ),
    )


@import_app.command("eurepoc")
def import_eurepoc(
    path: Path,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    skip_invalid: SkipInvalid = False,
    attributions: Annotated[
        Path | None, typer.Option("--attributions", help="The EuRepoC attribution CSV.")
    ] = None,
) -> None:
    """Import EuRepoC incidents and responses (and claims from --attributions)."""
    from accord.interop.eurepoc import import_eurepoc as run

    _run_import(
        db,
        as_user,
        json,
        lambda kb, viewer, progress: run(
            kb,
            viewer,
            path,
            attributions=attributions,
            skip_invalid=skip_invalid,
            progress=progress,
        ),
    )


@import_app.command("stix")
def import_stix(
    path: Path,
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    skip_invalid: SkipInvalid = False,
    marking: Annotated[
        Marking, typer.Option(help="Marking of objects that carry no TLP marking.")
    ] = Marking.GREEN,
) -> None:
    """Import a STIX 2.0/2.1 bundle (streamed; nothing is written if an object is invalid)."""
    from accord.access import SYSTEM
    from accord.interop.stix_import import import_bundle

    with _open(db) as kb:
        viewer = accounts.find_user(kb, as_user).viewer if as_user else SYSTEM
        report = import_bundle(kb, path, viewer, skip_invalid=skip_invalid, default_marking=marking)
    if json:
        render.emit_json(report.to_json())
    else:
        counts = [("objects read", report.objects), ("created", report.created)]
        counts += [("updated", report.updated), ("unchanged", report.unchanged)]
        counts += [(f"skipped: {k}", n) for k, n in sorted(report.skipped.items())]
        render.table(f"STIX import of {path.name}", ["result", "count"], counts)
        for problem in report.notes[:SHOWN]:
            render.console.print(f"note {problem}", highlight=False, markup=False)
        for problem in report.invalid:
            render.error(f"invalid {problem}")
        if report.invalid_total > len(report.invalid):
            render.error(f"... {report.invalid_total} invalid objects in all")
        if not report.written:
            render.error("nothing was written")
    if not report.written:
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
