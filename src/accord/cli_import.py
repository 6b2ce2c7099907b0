"""``accord import``: bring public datasets and STIX bundles in (parse → importer → report)."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from accord import accounts, render
from accord.cli_common import As, Db, Json, open_kb
from accord.domain.vocab import Marking

if TYPE_CHECKING:
    from accord.interop.importing import ImportReport

import_app = typer.Typer(help="Import public datasets and STIX bundles.", no_args_is_help=True)


SkipInvalid = Annotated[
    bool,
    typer.Option("--skip-invalid", help="Import the valid rows and report the invalid ones."),
]


SHOWN = 40


def _run_import(db: str | None, as_user: str | None, json: bool, run: Any) -> None:
    """Open the database, run one importer with a progress bar, print its report."""
    from accord.access import SYSTEM
    from accord.errors import ImportInvalid
    from accord.interop.importing import rich_progress

    with open_kb(db) as kb, rich_progress() as progress:
        viewer = accounts.find_user(kb, as_user).viewer if as_user else SYSTEM
        try:
            report: ImportReport = run(kb, viewer, progress)
        except ImportInvalid as exc:
            report = exc.report
    if json:
        render.emit_json(report.to_json())
    else:
        _print_report(report)
    if not report.written:
        raise typer.Exit(1)


def _print_report(report: ImportReport) -> None:
    """The report as a table of counts per record kind, the skip reasons with their row
    counts, then the first lines of detail (all of it with --json)."""
    from accord.interop.importing import COUNTS

    by_kind = report.by_kind()
    totals = [sum(row[c] for row in by_kind.values()) for c in COUNTS]
    render.table(
        f"Import {report.dataset}" + ("" if report.written else " (nothing written)"),
        ["kind", *COUNTS],
        [(kind, *row.values()) for kind, row in by_kind.items()] + [("total", *totals)],
    )
    for kind, reason, rows in report.reasons():
        render.line(f"skipped {rows} {kind} row(s): {reason}")
    lines = [f"skipped {p}" for p in report.skipped] + [f"note {n}" for n in report.notes]
    for line in lines[:SHOWN]:
        render.line(line)
    if len(lines) > SHOWN:
        render.line(f"... and {len(lines) - SHOWN} more lines (see --json)")
    for problem in report.invalid:
        render.error(f"invalid {problem}")


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


def _file_importer(name: str, module: str, function: str, summary: str) -> None:
    """Register ``accord import NAME PATH`` for an importer that takes one file."""

    def command(
        path: Path,
        db: Db = None,
        json: Json = False,
        as_user: As = None,
        skip_invalid: SkipInvalid = False,
    ) -> None:
        run = getattr(importlib.import_module(module), function)
        _run_import(
            db,
            as_user,
            json,
            lambda kb, viewer, progress: run(
                kb, viewer, path, skip_invalid=skip_invalid, progress=progress
            ),
        )

    command.__doc__ = summary
    import_app.command(name)(command)


_file_importer(
    "attack",
    "accord.interop.attack",
    "import_attack",
    "Import MITRE ATT&CK groups, campaigns and MITRE's attributions from a STIX bundle.",
)
_file_importer(
    "paris-call",
    "accord.interop.paris_call",
    "import_paris_call",
    "Import the Paris Call supporters (JSON or CSV) as participations.",
)
_file_importer(
    "eu-sanctions",
    "accord.interop.eu_sanctions",
    "import_eu_sanctions",
    "Import the EU cyber-sanctions listings (JSON or CSV) as sanction responses.",
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

    with open_kb(db) as kb:
        viewer = accounts.find_user(kb, as_user).viewer if as_user else SYSTEM
        report = import_bundle(kb, path, viewer, skip_invalid=skip_invalid, default_marking=marking)
    if json:
        render.emit_json(report.to_json())
    else:
        columns = ("created", "updated", "unchanged")
        rows: list[tuple[Any, ...]] = [
            (kind, *(counts[c] for c in columns)) for kind, counts in sorted(report.by_kind.items())
        ]
        rows.append(("total", report.created, report.updated, report.unchanged))
        render.table(f"STIX import of {path.name}", ["kind", *columns], rows)
        render.line(f"{report.objects} objects read")
        for stix_type, n in sorted(report.skipped.items()):
            render.line(f"skipped {n}: {stix_type}")
        for problem in report.notes[:SHOWN]:
            render.line(f"note {problem}")
        for problem in report.invalid:
            render.error(f"invalid {problem}")
        if report.invalid_total > len(report.invalid):
            render.error(f"... {report.invalid_total} invalid objects in all")
        if not report.written:
            render.error("nothing was written")
    if not report.written:
        raise typer.Exit(1)
