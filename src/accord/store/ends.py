"""Maintain ``records.ends``: the openness of the records a relationship record points to.

A claim is visible only when its claimant, incident and accused are visible too. Checking that
per row is the dominant cost of scanning many relationship records, so each row keeps a summary
of its ends, as deep as hard references go (:data:`accord.domain.records.HARD_DEPTH`: evidence
→ claim → actor):

- ``PUBLIC``: every end is published and CLEAR (and so are their ends), or there is no end;
- ``MEMBERS``: every end is published and CLEAR or GREEN;
- ``CHECK``: anything else; readers then run the exact check.

The summary is only a shortcut: :func:`accord.access.visible` trusts it when it says ``PUBLIC``
(anyone) or ``MEMBERS`` (signed-in users), and checks every end otherwise. It fails closed: the
column's default is a value readers never trust, so a row written without this module is
checked exactly. Writes set :func:`initial` and then call :func:`refresh_new` or
:func:`refresh`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, and_, case, not_, or_, select, update

from accord.domain.records import HARD_DEPTH
from accord.domain.vocab import RELATIONSHIP_KINDS, Kind, Marking, Status
from accord.store.schema import record_refs, records

PUBLIC = "PUBLIC"
MEMBERS = "MEMBERS"
CHECK = "CHECK"
_CHUNK = 2_000


def initial(kind: Kind) -> str:
    """The summary a row is written with: an entity has no hard end; a relationship record is
    checked exactly until :func:`refresh_new` computes its summary."""
    return CHECK if kind in RELATIONSHIP_KINDS else PUBLIC


def _summary() -> ColumnElement[str]:
    target = records.alias("end_target")
    hard_ends = (
        select(record_refs.c.target_id)
        .join(target, target.c.id == record_refs.c.target_id)
        .where(record_refs.c.record_id == records.c.id, record_refs.c.hard.is_(True))
    )
    public = and_(
        target.c.status == Status.PUBLISHED.value,
        target.c.marking.in_([Marking.CLEAR.value, Marking.GREEN.value]),
        target.c.ends.in_([PUBLIC, MEMBERS]),
    )
    greenish = or_(target.c.marking == Marking.GREEN.value, target.c.ends == MEMBERS)
    return case(
        (hard_ends.where(not_(public)).exists(), CHECK),
        (hard_ends.where(greenish).exists(), MEMBERS),
        else_=PUBLIC,
    )


def _recompute(conn: Connection, ids: Sequence[str]) -> None:
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        conn.execute(update(records).where(records.c.id.in_(chunk)).values(ends=_summary()))


def _referrers(conn: Connection, ids: Sequence[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        query = select(record_refs.c.record_id).where(
            record_refs.c.target_id.in_(chunk), record_refs.c.hard.is_(True)
        )
        found.extend(dict.fromkeys(rid for (rid,) in conn.execute(query)))
    return found


def refresh_new(
    conn: Connection, inserted: Sequence[str], deeper: Sequence[str] | None = None
) -> None:
    """Compute the summary of newly inserted relationship records. Writes ``records.ends``.

    Records that point to other relationship records (evidence on a claim) are computed again
    once the first pass has given their ends theirs, as many times as hard references go deep:
    ``deeper`` names them when the caller knows (else every inserted record is recomputed).
    """
    _recompute(conn, inserted)
    for _ in range(HARD_DEPTH - 1):
        _recompute(conn, inserted if deeper is None else deeper)


def refresh(conn: Connection, written: Sequence[str]) -> None:
    """Recompute the summary of rewritten records and of the records that point at them (as
    many levels up as hard references go), innermost first. Writes ``records.ends``."""
    refresh_new(conn, written)
    level = list(written)
    for _ in range(HARD_DEPTH):
        level = _referrers(conn, level)
        _recompute(conn, level)
