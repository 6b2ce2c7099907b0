"""The withdrawals table: when, by whom and why a record was withdrawn (docs/withdrawals.md).

Only :class:`accord.kb.KnowledgeBase` calls this module, after the sharing rules
(:func:`accord.access.visible_tombstones`) have decided that the caller may see the tombstone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from accord.domain.records import Record
from accord.store.audit import digest
from accord.store.rows import as_utc
from accord.store.schema import withdrawals

#: The longest reason a withdrawal keeps (a few paragraphs).
MAX_REASON = 4_000


@dataclass(frozen=True)
class Tombstone:
    """What is left of a withdrawn record for those who could see it: its id, kind, name,
    when and why it was withdrawn, and the withdrawn revision as the viewer may see it."""

    record: Record
    withdrawn_at: dt.datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The tombstone as the API answers it (with 410 Gone)."""
        return {
            "id": self.record.id,
            "kind": self.record.kind.value,
            "name": self.record.name,
            "status": "withdrawn",
            "withdrawn_at": self.withdrawn_at.isoformat(),
            "reason": self.reason,
        }


def audited_hash(snapshot: str, reason: str) -> str:
    """What a withdrawal's audit entry commits to: the withdrawn revision's snapshot and the
    reason (a NUL, which a JSON snapshot never holds, between them), so that
    ``accord audit verify`` reports a reason changed afterwards. Pure."""
    return digest(f"{snapshot}\x00reason:{reason}")


def add(conn: Connection, record: Record, reason: str) -> None:
    """Keep the withdrawal of ``record`` (its withdrawn revision). Writes one row."""
    conn.execute(
        insert(withdrawals).values(
            record_id=record.id,
            revision=record.revision,
            withdrawn_at=record.updated_at,
            withdrawn_by=record.updated_by,
            reason=reason,
        )
    )


def tombstones(conn: Connection, batch: list[Record]) -> list[Tombstone]:
    """The tombstones of withdrawn records already read through the sharing rules. Read-only."""
    if not batch:
        return []
    query = select(withdrawals.c.record_id, withdrawals.c.withdrawn_at, withdrawals.c.reason)
    found = {
        rid: (as_utc(at), str(reason))
        for rid, at, reason in conn.execute(
            query.where(withdrawals.c.record_id.in_([r.id for r in batch]))
        )
    }
    out: list[Tombstone] = []
    for record in batch:
        at, reason = found.get(record.id, (record.updated_at, ""))
        out.append(Tombstone(record, at, reason))
    return out
