"""Maintain ``records.ends``: the openness of the records a relationship record points to.

A claim is visible only when its claimant, incident and accused are visible too. Checking that
per row is the dominant cost of scanning many relationship records, so each row keeps a summary
of its ends (two levels deep: evidence → claim → actor):

- ``CLEAR``: every end is published and CLEAR (and so are their ends);
- ``GREEN``: every end is published and CLEAR or GREEN;
- ``COMPLEX``: anything else; readers then run the exact check.

The summary is only a shortcut: :func:`accord.access.visible` trusts it when it says
``CLEAR`` (anyone) or ``GREEN`` (signed-in users), and checks every end otherwise. It must be
refreshed whenever a record is written or its marking or status changes (writes call
:func:`refresh`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, and_, case, not_, or_, select, update

from accord.domain.vocab import Marking, Status
from accord.store.schema import record_refs, records

CLEAR = "CLEAR"
GREEN = "GREEN"
COMPLEX = "COMPLEX"
_CHUNK = 2_000


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
        target.c.ends.in_([CLEAR, GREEN]),
    )
    greenish = or_(target.c.marking == Marking.GREEN.value, target.c.ends == GREEN)
    return case(
        (hard_ends.where(not_(public)).exists(), COMPLEX),
        (hard_ends.where(greenish).exists(), GREEN),
        else_=CLEAR,
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
    conn: Connection, inserted: Sequence[str], second_level: Sequence[str] | None = None
) -> None:
    """Compute the summary of newly inserted relationship records. Writes ``records.ends``.

    Records that point to other relationship records (evidence on a claim) are computed again
    once the first pass has given their ends theirs: ``second_level`` names them when the
    caller knows (else every inserted record is computed twice).
    """
    _recompute(conn, inserted)
    _recompute(conn, inserted if second_level is None else second_level)


def refresh(conn: Connection, written: Sequence[str]) -> None:
    """Recompute the summary of rewritten records and of the records that point at them
    (two levels up), innermost first. Writes ``records.ends``."""
    refresh_new(conn, written)
    level_one = _referrers(conn, written)
    _recompute(conn, level_one)
    _recompute(conn, _referrers(conn, level_one))


def refresh_all(conn: Connection) -> None:
    """Recompute the summary of every record that has hard ends (for migrations). Writes."""
    with_ends = [
        rid
        for (rid,) in conn.execute(
            select(record_refs.c.record_id).where(record_refs.c.hard.is_(True)).distinct()
        )
    ]
    _recompute(conn, with_ends)
    _recompute(conn, with_ends)
