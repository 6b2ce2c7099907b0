"""What every ``accord`` command shares: the common options, opening the database, and the hints
("did you mean") added to a NotFound.

Suggestions come only from records the reader may see: they are read through the
KnowledgeBase with the reader's viewer, so a hint never reveals a hidden record.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Annotated

import typer

from accord import accounts
from accord.access import ANONYMOUS, Viewer
from accord.domain.records import Actor, Record
from accord.domain.vocab import ActorKind, Kind
from accord.errors import BadRequest, NotFound
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

#: How many suggestions a "did you mean" offers.
SUGGESTIONS = 3
RECORD_ID_FORMAT = (
    "record ids are lower-case words joined by hyphens, e.g. notpetya or state-ru; "
    "find one with: accord search TEXT"
)
STATE_ID_FORMAT = "state ids are 'state-' and the ISO 3166 two-letter country code, e.g. state-ru"


def open_kb(db: str | None) -> KnowledgeBase:
    """Open an initialised database; a clear error if it is missing or out of date."""
    kb = KnowledgeBase(db)
    kb.require_schema()
    return kb


def viewer_for(kb: KnowledgeBase, email: str | None) -> Viewer:
    """The user named by ``--as``, or the anonymous reader. Read-only."""
    return accounts.find_user(kb, email).viewer if email else ANONYMOUS


def existing_folder(value: Path | None) -> Path | None:
    """Option callback for a file to write: refuse it (a usage error) when its folder is
    missing, naming the folder. Reads the file system only."""
    if value is not None and not value.parent.is_dir():
        raise typer.BadParameter(f"the folder {value.parent} does not exist")
    return value


def closest(text: str, candidates: Mapping[str, Sequence[str]]) -> list[str]:
    """The candidate ids nearest ``text``: those whose id or a label (name, code) equals it
    ignoring case first, then close matches of ids and labels (difflib). Pure."""
    folded = text.casefold()
    keys: dict[str, str] = {}
    for record_id, labels in candidates.items():
        for key in (record_id, *labels):
            keys.setdefault(key.casefold(), record_id)
    exact = [keys[folded]] if folded in keys else []
    near = difflib.get_close_matches(folded, list(keys), n=SUGGESTIONS * 2, cutoff=0.6)
    return list(dict.fromkeys(exact + [keys[k] for k in near]))[:SUGGESTIONS]


def _named(ids: Sequence[str], candidates: Mapping[str, Sequence[str]]) -> str:
    return ", ".join(
        f"{i} ({candidates[i][0]})" if candidates[i] and candidates[i][0] != i else i for i in ids
    )


def record_candidates(
    kb: KnowledgeBase, viewer: Viewer, text: str, *, kind: Kind | None = None
) -> dict[str, list[str]]:
    """Visible records that might be meant by ``text`` (id → [name, aliases...]): full-text
    matches of its words and the ids that sort right after its first half. Read-only, bounded."""
    records: list[Record] = []
    with suppress(BadRequest):  # text without words: nothing to search for
        records += [
            h.record for h in kb.search(text, viewer, kinds=[kind] if kind else (), limit=50)
        ]
    start = text.casefold()[: max(1, len(text) // 2)]
    records += kb.list_records(viewer, kind=kind, after=start, limit=100).items
    return {r.id: [r.name, *getattr(r.data, "aliases", ())] for r in records}


def state_candidates(kb: KnowledgeBase, viewer: Viewer) -> dict[str, list[str]]:
    """Every visible state (id → [name, country code]). Read-only."""
    found: dict[str, list[str]] = {}
    for record in kb.iter_records(viewer, kind=Kind.ACTOR):
        data = record.data
        if isinstance(data, Actor) and data.kind is ActorKind.STATE:
            found[record.id] = [data.name, *([data.country] if data.country else [])]
    return found


@contextmanager
def hint_missing(
    kb: KnowledgeBase,
    viewer: Viewer,
    wanted: str,
    *,
    kind: Kind | None = None,
    state: bool = False,
) -> Iterator[None]:
    """Add "did you mean" (records of ``kind``, or states) and the id format to a NotFound about
    ``wanted`` raised inside the block, as exception notes that the entry point prints. Reads
    visible records only."""
    try:
        yield
    except NotFound as exc:
        # A visible record can still be "no such state" (an actor that is not one), but a
        # missing revision of a visible record needs no suggestion.
        if exc.record == wanted and (state or wanted not in kb.get_many([wanted], viewer)):
            candidates = (
                state_candidates(kb, viewer)
                if state
                else record_candidates(kb, viewer, wanted, kind=kind)
            )
            near = closest(wanted, candidates)
            if near:
                exc.add_note(f"did you mean: {_named(near, candidates)}?")
            exc.add_note(STATE_ID_FORMAT if state else RECORD_ID_FORMAT)
        raise
