"""Find records by what they point to (claims about an incident, an actor's participations).

Read-only. Every query filters with :func:`accord.access.visible` in SQL and loads through
:meth:`KnowledgeBase.get_many`, so a record the viewer may not see, or one that points to such a
record, is never returned and never counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from accord import access
from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import Kind, Status
from accord.kb import KnowledgeBase
from accord.store.schema import records


def referrers(
    kb: KnowledgeBase,
    viewer: Viewer,
    targets: str | Iterable[str],
    kind: Kind,
    fields: Sequence[str] = (),
) -> list[Record]:
    """Visible records of ``kind`` pointing to a target (see KnowledgeBase.referrers)."""
    return kb.referrers(targets, viewer, kind=kind, fields=fields)


def names(kb: KnowledgeBase, viewer: Viewer, batch: Iterable[Record]) -> dict[str, Record]:
    """The visible records the given records point to, the actor records of their owners and
    of the organisations they are shared with (where visible) and the records themselves, by
    id. Read-only."""
    own = {r.id: r for r in batch}
    wanted = {target for r in own.values() for _, target in r.data.refs()}
    wanted |= {org for r in own.values() for org in (r.owner, *r.shares)}
    wanted -= own.keys()
    found = kb.get_many(wanted, viewer) if wanted else {}
    return {**found, **own}


def recent(
    kb: KnowledgeBase, viewer: Viewer, kind: Kind, limit: int = 8, where: Sequence[Any] = ()
) -> list[Record]:
    """The visible records of a kind with the latest dates, newest first. Read-only."""
    query = (
        select(records.c.id)
        .where(records.c.kind == kind.value, access.visible(viewer), *where)
        .order_by(records.c.date_key.desc().nulls_last(), records.c.id)
        .limit(limit)
    )
    with kb.reader(viewer) as reader:
        ids = [rid for (rid,) in reader.execute(query)]
    found = kb.get_many(ids, viewer)
    return [found[rid] for rid in ids if rid in found]


def drafts(kb: KnowledgeBase, viewer: Viewer, limit: int = 100) -> list[Record]:
    """The viewer's organisation's drafts that the viewer may see, newest first. Read-only."""
    if viewer.org_id is None:
        return []
    query = (
        select(records.c.id)
        .where(
            records.c.owner == viewer.org_id,
            records.c.status == Status.DRAFT.value,
            access.visible(viewer),
        )
        .order_by(records.c.updated_at.desc(), records.c.id)
        .limit(limit)
    )
    with kb.reader(viewer) as reader:
        ids = [rid for (rid,) in reader.execute(query)]
    found = kb.get_many(ids, viewer)
    return [found[rid] for rid in ids if rid in found]
