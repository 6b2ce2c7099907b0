"""``accord withdraw``: withdraw a published record (thin: parse, call the library, print)."""

from __future__ import annotations

from typing import Annotated

import typer

from accord import accounts, render
from accord.access import SYSTEM
from accord.cli_common import Db, Json, hint_missing, open_kb


def withdraw(
    record_id: str,
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is withdrawn (kept and shown to its readers).")
    ],
    db: Db = None,
    json: Json = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Withdraw as this user (email), a reviewer of the record's organisation; "
            "default: the instance itself (the curated records).",
        ),
    ] = None,
) -> None:
    """Withdraw a published record (reviewers of its organisation): it becomes a tombstone,
    gone from lists, search, analyses and exports, served as revoked over TAXII."""
    with open_kb(db) as kb:
        viewer = accounts.find_user(kb, as_user).viewer if as_user else SYSTEM
        with hint_missing(kb, viewer, record_id):
            tombstone = kb.withdraw(record_id, viewer, reason)
    if json:
        render.emit_json(tombstone.to_json())
        return
    render.line(
        f"withdrew {tombstone.record.id} ({tombstone.record.kind.value}, "
        f"{tombstone.record.name}) at {tombstone.withdrawn_at.isoformat()}: {tombstone.reason}"
    )
