"""Terminal rendering for the CLI: JSON output, Rich tables and message lines (no business logic).

Text from records, users and arguments is never trusted: :func:`clean` shows control characters
(ANSI and OSC escapes, carriage returns, bells, C1 codes) and bidirectional overrides as visible
escapes such as ``\\x1b``, and everything is printed as Rich ``Text``, so ``[bold]`` or a hint
ending in ``[pdf]`` prints literally instead of being read as markup.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

# C0 controls but newline, DEL, C1 controls, and the bidirectional embeddings, overrides and
# isolates (they reorder what follows them); the plain marks U+200E/U+200F that right-to-left
# names need are kept.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(value: object, *, keep_newlines: bool = False) -> str:
    """``value`` as text safe to write to a terminal: every control character (newlines too,
    unless ``keep_newlines``) is shown as an escape like ``\\x1b``. Pure."""
    text = "" if value is None else str(value)
    if not keep_newlines:
        text = text.replace("\n", "\\n")
    return _UNSAFE.sub(_escape, text)


@dataclass(frozen=True)
class Col:
    """A table column: ``key`` columns (ids) are never wrapped or shortened; columns with a
    ``drop`` rank are left out, highest rank first, when the table does not fit the terminal."""

    header: str
    key: bool = False
    drop: int = 0


def emit_json(value: Any) -> None:
    """Print a value as indented JSON on standard output (JSON escapes control characters)."""
    sys.stdout.write(
        orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode()
    )
    sys.stdout.write("\n")


def _narrowest(column: Col, cells: Iterable[str]) -> int:
    """The fewest terminal cells a column needs: a key column its widest value, any other its
    longest word (Rich wraps at spaces)."""
    header = max((cell_len(w) for w in column.header.split()), default=0)
    if column.key:
        return max([header, *(cell_len(c) for c in cells)])
    return max([header, *(cell_len(w) for c in cells for w in c.split())])


def _widest(column: Col, cells: Iterable[str]) -> int:
    """The most terminal cells a column can use: its longest line, header included."""
    return max(cell_len(t) for c in (column.header, *cells) for t in c.splitlines() or [""])


def _layout(mins: list[int], maxs: list[int], room: int) -> list[int | None]:
    """Column widths for ``room`` cells: natural widths when they fit; else each column its
    minimum plus a share of the spare room in proportion to what it could still use."""
    if sum(maxs) <= room:
        return [None] * len(mins)
    spare = room - sum(mins)
    wants = [hi - lo for lo, hi in zip(mins, maxs, strict=True)]
    total = sum(wants) or 1
    widths = [lo + spare * want // total for lo, want in zip(mins, wants, strict=True)]
    for i in sorted(range(len(widths)), key=lambda i: wants[i], reverse=True):
        if sum(widths) < room and widths[i] < maxs[i]:
            widths[i] += 1
    return list(widths)


def table(title: str, columns: Sequence[str | Col], rows: Iterable[Sequence[Any]]) -> None:
    """Print a Rich table that fits the terminal without shortening ids: droppable columns are
    left out (and named below the table) before any value is cut; ids wrap (never "…") only
    when even the remaining columns cannot fit."""
    cols = [c if isinstance(c, Col) else Col(c) for c in columns]
    cells = [[clean(v, keep_newlines=True) for v in row] for row in rows]
    mins = [_narrowest(c, (row[i] for row in cells)) for i, c in enumerate(cols)]
    maxs = [_widest(c, (row[i] for row in cells)) for i, c in enumerate(cols)]
    shown = list(range(len(cols)))

    def room() -> int:  # each column adds its padding (2) and a border; the table one more
        return console.width - 3 * len(shown) - 1

    while sum(mins[i] for i in shown) > room():
        droppable = [i for i in shown if cols[i].drop]
        if not droppable:
            break
        shown.remove(max(droppable, key=lambda i: (cols[i].drop, i)))
    fits = sum(mins[i] for i in shown) <= room()
    widths = (
        _layout([mins[i] for i in shown], [maxs[i] for i in shown], room())
        if fits
        else [None] * len(shown)  # Rich shares the width out; ids fold onto a second line
    )
    out = Table(title=Text(clean(title)))
    for i, width in zip(shown, widths, strict=True):
        out.add_column(
            Text(cols[i].header), overflow="fold", no_wrap=cols[i].key and fits, width=width
        )
    for row in cells:
        out.add_row(*(Text(row[i]) for i in shown))
    console.print(out)
    hidden = [cols[i].header for i in range(len(cols)) if i not in shown]
    if hidden:
        line(f"Not shown at this width: {', '.join(hidden)} (use a wider terminal or --json).")


def line(message: str, *, err: bool = False) -> None:
    """Print one line of text as is (no markup, no highlighting, escapes neutralised)."""
    (errors if err else console).print(Text(clean(message)), soft_wrap=True)


def error(message: str) -> None:
    """Print one error line on standard error."""
    errors.print(Text.assemble(("error:", "red"), " ", clean(message)), soft_wrap=True)


def hint(message: str) -> None:
    """Print one line on standard error that tells the user what to try next."""
    errors.print(Text(clean(message)), soft_wrap=True)
