"""Export the records a viewer may see as one JSON document (streamed, a page at a time)."""

from __future__ import annotations

from pathlib import Path

import orjson

from accord.access import Viewer
from accord.kb import KnowledgeBase


def write_json(kb: KnowledgeBase, viewer: Viewer, out: Path) -> int:
    """Write ``{"records": [...]}`` with every visible record; returns how many. Read-only on
    the database; writes ``out``."""
    count = 0
    with out.open("wb") as handle:
        handle.write(b'{"records": [\n')
        for record in kb.iter_records(viewer):
            if count:
                handle.write(b",\n")
            handle.write(orjson.dumps(record.to_json(), option=orjson.OPT_SORT_KEYS))
            count += 1
        handle.write(b"\n]}\n")
    return count
