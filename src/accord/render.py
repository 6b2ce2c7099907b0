"""Terminal rendering for the CLI: JSON output and Rich tables (no business logic)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)


def emit_json(value: Any) -> None:
    """Print a value as indented JSON on standard output."""
    sys.stdout.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    )
    sys.stdout.write("\n")


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a Rich table."""
    out = Table(title=title)
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*("" if v is None else str(v) for v in row))
    console.print(out)


def error(message: str) -> None:
    """Print one error line on standard error."""
    errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True, soft_wrap=True)
