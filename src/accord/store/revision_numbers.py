"""Revision numbers as a viewer may count them. Read-only.

A record's stored revision number counts every revision, drafts and stricter markings
included. Shown to someone outside the owning organisation it would tell how many revisions
they were not entitled to see (e.g. how long a record was drafted before publication), so
outsiders count only the revisions they may see: revision ``n`` is the ``n``-th revision they
were entitled to see. The owning organisation sees the stored numbers (it writes with them:
``expected_revision``).
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import Connection, select

from accord import access
from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import Marking, Status
from accord.store.rows import BATCH
from accord.store.schema import revisions


def as_counted_by(conn: Connection, viewer: Viewer, batch: Sequence[Record]) -> list[Record]:
    """The records with their revision numbers as the viewer may count them."""
    recount = [
        r for r in batch if r.revision > 1 and not access.may_see_share_list(viewer, r.owner)
    ]
    if not recount:
        return list(batch)
    counted = _entitled_counts(conn, viewer, recount)
    return [
        r.model_copy(update={"revision": counted[(r.id, r.revision)]})
        if (r.id, r.revision) in counted
        else r
        for r in batch
    ]


def _entitled_counts(
    conn: Connection, viewer: Viewer, batch: Sequence[Record]
) -> dict[tuple[str, int], int]:
    """For each (record, revision) of the batch: how many of its revisions up to that one the
    viewer was entitled to see."""
    wanted = {(r.id, r.revision) for r in batch}
    ids = sorted({r.id for r in batch})
    entitled: dict[str, list[int]] = {}
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = conn.execute(
            select(revisions.c.record_id, revisions.c.revision, revisions.c.snapshot).where(
                revisions.c.record_id.in_(chunk)
            )
        )
        for record_id, revision, snapshot in rows:
            if _entitled(viewer, snapshot):
                entitled.setdefault(record_id, []).append(revision)
    return {
        (rid, rev): sum(1 for seen in entitled.get(rid, ()) if seen <= rev) for rid, rev in wanted
    }


def _entitled(viewer: Viewer, snapshot: str) -> bool:
    envelope = orjson.loads(snapshot)
    return access.may_see_envelope(
        viewer,
        marking=Marking(envelope["marking"]),
        owner=envelope["owner"],
        status=Status(envelope["status"]),
        shares=envelope.get("shares") or (),
        readers=envelope.get("readers") or (),
    )
