"""What every ``accord`` command shares: the common options and opening the database."""

from __future__ import annotations

from typing import Annotated

import typer

from accord import accounts
from accord.access import ANONYMOUS, Viewer
from accord.kb import KnowledgeBase

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


def open_kb(db: str | None) -> KnowledgeBase:
    """Open an initialised database; a clear error if it is missing or out of date."""
    kb = KnowledgeBase(db)
    kb.require_schema()
    return kb


def viewer_for(kb: KnowledgeBase, email: str | None) -> Viewer:
    """The user named by ``--as``, or the anonymous reader."""
    return accounts.find_user(kb, email).viewer if email else ANONYMOUS
