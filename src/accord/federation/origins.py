"""Where each pulled record came from: the feed, the remote STIX id and the remote
``modified`` of the version written, and the record's ``updated_at`` right after the pull
wrote it (a later one means it was changed here since: the next remote update is a conflict).

Remote ids are kept in lower case (STIX ids match in any letter case). One remote object is
one record per subscribing organisation, whichever of its feeds brought it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select

from accord.access import Viewer
from accord.kb import KnowledgeBase
from accord.store.bulk import insert_rows
from accord.store.rows import as_utc
from accord.store.schema import feed_origins

_BATCH = 500


@dataclass(frozen=True)
class Origin:
    """The origin of one pulled record."""

    record_id: str
    feed: str
    org_id: str
    remote_id: str
    remote_modified: str
    local_updated_at: dt.datetime

    def describe(self) -> str:
        """One line for a record's page: pulled from which feed, as which remote version."""
        return f"pulled from feed {self.feed}: {self.remote_id}, modified {self.remote_modified}"


def _origin(row: object) -> Origin:
    r = row._mapping  # type: ignore[attr-defined]
    return Origin(
        r["record_id"],
        r["feed"],
        r["org_id"],
        r["remote_id"],
        r["remote_modified"],
        as_utc(r["local_updated_at"]),
    )


def by_remote(kb: KnowledgeBase, org_id: str, remote_ids: Iterable[str]) -> dict[str, Origin]:
    """The organisation's pulled records among these remote ids, by remote id (lower case).
    Read-only."""
    wanted = sorted({r.lower() for r in remote_ids})
    found: dict[str, Origin] = {}
    with kb.federation_tables() as conn:
        for start in range(0, len(wanted), _BATCH):
            query = select(feed_origins).where(
                feed_origins.c.org_id == org_id,
                feed_origins.c.remote_id.in_(wanted[start : start + _BATCH]),
            )
            found.update({o.remote_id: o for o in map(_origin, conn.execute(query))})
    return found


def of_record(kb: KnowledgeBase, record_id: str) -> Origin | None:
    """The origin of one record (None when it was not pulled). Read-only: the caller must
    already have the record as its viewer sees it."""
    with kb.federation_tables() as conn:
        row = conn.execute(select(feed_origins).where(feed_origins.c.record_id == record_id))
        first = row.first()
    return _origin(first) if first is not None else None


def shown_to(kb: KnowledgeBase, viewer: Viewer, record_id: str) -> Origin | None:
    """The origin of a record the viewer already has, for members of the organisation that
    pulled it (which feeds it subscribes to is that organisation's business); None for anyone
    else and for a record not pulled. Read-only."""
    found = of_record(kb, record_id)
    return found if found is not None and viewer.org_id == found.org_id else None


def remember(kb: KnowledgeBase, items: Sequence[Origin], pulled_at: dt.datetime) -> None:
    """Write (or replace) the origins of records a pull wrote, inside its transaction. Writes."""
    if not items:
        return
    ids = [o.record_id for o in items]
    with kb.federation_tables(write=True) as conn:
        for start in range(0, len(ids), _BATCH):
            chunk = ids[start : start + _BATCH]
            conn.execute(delete(feed_origins).where(feed_origins.c.record_id.in_(chunk)))
        insert_rows(  # straight through executemany: a page's origins at once
            conn,
            feed_origins,
            [
                {
                    "record_id": o.record_id,
                    "feed": o.feed,
                    "org_id": o.org_id,
                    "remote_id": o.remote_id.lower(),
                    "remote_modified": o.remote_modified,
                    "local_updated_at": o.local_updated_at,
                    "pulled_at": pulled_at,
                }
                for o in items
            ],
        )
