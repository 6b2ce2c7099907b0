"""The queries behind the index pages (/incidents, /actors, /norms, /initiatives). Read-only.

Every query filters the listed rows with :func:`accord.access.visible` in SQL, and every record
shown is loaded through :meth:`KnowledgeBase.find` or :meth:`KnowledgeBase.get_many`, so a
count or a filter never involves a record the viewer may not see. A filter naming a record
(the state) is applied only when the viewer may see that record: otherwise filtering by a hidden
actor would tell which incidents point to it.

Pages are keyset-paginated: the cursor is the sort key and the id of the last record shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal_column, or_, select, text
from sqlalchemy.sql.elements import TextClause

from accord import access
from accord.access import Viewer
from accord.domain.records import Norm, Record
from accord.domain.vocab import ActorKind, Effect, Kind, Stance
from accord.errors import BadRequest
from accord.kb import KnowledgeBase
from accord.store.schema import claim_facts, record_refs, records

PAGE_SIZE = 50
_SEP = "|"


@dataclass(frozen=True)
class Listing:
    """One page of an index: the records, the cursor of the next page (None on the last),
    how many records match in all, and the counts a caveat needs (e.g. how many of them have
    an attribution claim the viewer may see)."""

    items: list[Record]
    next_cursor: str | None
    total: int
    known: dict[str, int]


def _json_text(dialect: str, field: str) -> ColumnElement[Any]:
    """The payload field ``field`` (a constant name, never user input) of a record row as text,
    on either database."""
    if dialect == "postgresql":
        return literal_column(f"(CAST(records.body AS jsonb) -> 'data' ->> '{field}')")
    return literal_column(f"json_extract(records.body, '$.data.{field}')")


def _has_effect(dialect: str, effect: Effect) -> TextClause:
    """SQL: the incident row lists ``effect`` among its effects."""
    if dialect == "postgresql":
        sql = "(CAST(records.body AS jsonb) -> 'data' -> 'effects') @> to_jsonb(CAST(:fx AS text))"
    else:
        sql = "EXISTS (SELECT 1 FROM json_each(records.body, '$.data.effects') WHERE value = :fx)"
    return text(sql).bindparams(fx=effect.value)


def _attributed(viewer: Viewer, accused: str | None = None) -> ColumnElement[bool]:
    """SQL: an attribution claim the viewer may see attributes the incident row (to
    ``accused``, or to anyone)."""
    claim = records.alias("claim_row")
    conditions = [
        claim_facts.c.incident == records.c.id,
        claim_facts.c.stance == Stance.ATTRIBUTES.value,
        claim.c.pk == claim_facts.c.record_pk,
        access.visible(viewer, claim),
    ]
    if accused is not None:
        conditions.append(claim_facts.c.accused == accused)
    return exists().where(*conditions)


def _targets(actor_id: str) -> ColumnElement[bool]:
    """SQL: the incident row names ``actor_id`` among its targets."""
    return exists().where(
        record_refs.c.record_id == records.c.id,
        record_refs.c.field == "target_actors",
        record_refs.c.target_id == actor_id,
    )


def _split(cursor: str) -> tuple[str, str]:
    key, sep, last_id = cursor.rpartition(_SEP)
    if not sep or not last_id:
        raise BadRequest("this page cursor is not one Accord made", field="after")
    return key, last_id


def _count(kb: KnowledgeBase, viewer: Viewer, where: Sequence[Any]) -> int:
    query = select(func.count()).select_from(records).where(access.visible(viewer), *where)
    with kb.reader(viewer) as reader:
        return int(reader.execute(query).scalar_one())


def incidents(
    kb: KnowledgeBase,
    viewer: Viewer,
    *,
    year: str | None = None,
    state: str | None = None,
    effect: Effect | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> Listing:
    """Incidents newest first, filtered by start year, a state (attributed to it by a visible
    claim, or targeted) and an effect. ``state`` must be a visible actor (else BadRequest)."""
    dialect = kb.dialect_name
    where: list[Any] = [records.c.kind == Kind.INCIDENT.value]
    if year is not None:
        where.append(records.c.date_key.startswith(year))
    if state is not None:
        if state not in kb.visible_ids([state], viewer):
            raise BadRequest(f"no actor you may see has the id {state!r}", field="state")
        where.append(or_(_attributed(viewer, state), _targets(state)))
    if effect is not None:
        where.append(_has_effect(dialect, effect))
    page_where = list(where)
    # An incident with no start (imported) sorts last, as the empty key, on both databases.
    when = func.coalesce(records.c.date_key, "")
    if after is not None:
        key, last_id = _split(after)
        page_where.append(or_(when < key, and_(when == key, records.c.id > last_id)))
    items, more = kb.find(viewer, page_where, (when.desc(), records.c.id), limit)
    cursor = f"{items[-1].data.date_key() or ''}{_SEP}{items[-1].id}" if more and items else None
    return Listing(
        items=items,
        next_cursor=cursor,
        total=_count(kb, viewer, where),
        known={"attributed": _count(kb, viewer, [*where, _attributed(viewer)])},
    )


def actors(
    kb: KnowledgeBase,
    viewer: Viewer,
    *,
    kind: ActorKind | None = None,
    after: str | None = None,
    limit: int = PAGE_SIZE,
) -> Listing:
    """Actors by name, optionally of one kind; ``known["country"]`` counts those with a country."""
    dialect = kb.dialect_name
    where: list[Any] = [records.c.kind == Kind.ACTOR.value]
    if kind is not None:
        where.append(_json_text(dialect, "kind") == kind.value)
    page_where = list(where)
    if after is not None:
        key, last_id = _split(after)
        page_where.append(
            or_(records.c.name > key, and_(records.c.name == key, records.c.id > last_id))
        )
    items, more = kb.find(viewer, page_where, (records.c.name, records.c.id), limit)
    cursor = f"{items[-1].name}{_SEP}{items[-1].id}" if more and items else None
    with_country = _json_text(dialect, "country").is_not(None)
    return Listing(
        items=items,
        next_cursor=cursor,
        total=_count(kb, viewer, where),
        known={"country": _count(kb, viewer, [*where, with_country])},
    )


def states(kb: KnowledgeBase, viewer: Viewer) -> list[tuple[str, str]]:
    """(id, name) of every visible state actor, by name: the choices of the state filter."""
    kind = _json_text(kb.dialect_name, "kind")
    query = (
        select(records.c.id, records.c.name)
        .where(
            records.c.kind == Kind.ACTOR.value,
            kind == ActorKind.STATE.value,
            access.visible(viewer),
        )
        .order_by(records.c.name, records.c.id)
    )
    with kb.reader(viewer) as reader:
        return [(rid, name) for rid, name in reader.execute(query)]


def participant_counts(kb: KnowledgeBase, viewer: Viewer) -> Counter[str]:
    """Visible participations per initiative id (a participation is visible only when its
    actor and initiative are)."""
    query = (
        select(record_refs.c.target_id, func.count())
        .join(records, records.c.id == record_refs.c.record_id)
        .where(
            records.c.kind == Kind.PARTICIPATION.value,
            record_refs.c.field == "initiative",
            access.visible(viewer),
        )
        .group_by(record_refs.c.target_id)
    )
    with kb.reader(viewer) as reader:
        return Counter({str(target): int(n) for target, n in reader.execute(query)})


def crosswalk(norms: Sequence[Record]) -> list[list[Record]]:
    """Groups of equivalent norms (connected by ``equivalents`` either way, among the given
    norms), largest group first, each group ordered by initiative then code. Pure."""
    by_id = {n.id: n for n in norms}
    parent = {rid: rid for rid in by_id}

    def root(rid: str) -> str:
        while parent[rid] != rid:
            parent[rid] = parent[parent[rid]]
            rid = parent[rid]
        return rid

    for norm in norms:
        data = norm.data
        if isinstance(data, Norm):
            for other in data.equivalents:
                if other in by_id:
                    parent[root(other)] = root(norm.id)
    groups: dict[str, list[Record]] = {}
    for rid in by_id:
        groups.setdefault(root(rid), []).append(by_id[rid])

    def order(n: Record) -> tuple[str, str]:
        return (str(getattr(n.data, "initiative", "")), str(getattr(n.data, "code", "")))

    linked = [sorted(g, key=order) for g in groups.values() if len(g) > 1]
    return sorted(linked, key=lambda g: (-len(g), order(g[0])))
