"""The append-only, hash-chained audit log: every write leaves an entry; edits are detectable.

Each entry's hash covers its fields and the previous entry's hash; ``after_hash`` is the hash of
the revision snapshot the write produced, so rewriting a stored revision breaks the chain too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select

from accord.store import bulk
from accord.store.schema import audit_log, revisions

GENESIS = "0" * 64


def digest(text: str) -> str:
    """SHA-256 hex digest of a text."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One write: who did what to which record revision."""

    at: dt.datetime
    user_id: str | None
    action: str
    record_id: str | None
    revision: int | None
    before_hash: str | None
    after_hash: str | None

    def chained(self, prev_hash: str) -> str:
        """This entry's hash given the previous one."""
        fields = (
            prev_hash,
            self.at.astimezone(dt.UTC).isoformat(),
            self.user_id or "",
            self.action,
            self.record_id or "",
            str(self.revision or ""),
            self.before_hash or "",
            self.after_hash or "",
        )
        return digest("\x1f".join(fields))


def _last_hash(conn: Connection) -> str:
    row = conn.execute(
        select(audit_log.c.entry_hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return row[0] if row else GENESIS


def append(conn: Connection, entries: Sequence[AuditEntry]) -> None:
    """Append entries in order, each chained to the one before. Writes the audit log."""
    if not entries:
        return
    prev = _last_hash(conn)
    rows = []
    for entry in entries:
        entry_hash = entry.chained(prev)
        rows.append(
            {
                "at": entry.at,
                "user_id": entry.user_id,
                "action": entry.action,
                "record_id": entry.record_id,
                "revision": entry.revision,
                "before_hash": entry.before_hash,
                "after_hash": entry.after_hash,
                "prev_hash": prev,
                "entry_hash": entry_hash,
            }
        )
        prev = entry_hash
    for start in range(0, len(rows), 5_000):
        bulk.insert_rows(conn, audit_log, rows[start : start + 5_000])


@dataclass(frozen=True)
class Verification:
    """The result of checking the chain: entries checked and the first broken one, if any."""

    checked: int
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the whole chain is intact."""
        return self.broken_seq is None


def verify(conn: Connection) -> Verification:
    """Walk the chain in order and check every link and revision snapshot. Read-only."""
    snapshots = {
        (rid, rev): digest(text)
        for rid, rev, text in conn.execute(
            select(revisions.c.record_id, revisions.c.revision, revisions.c.snapshot)
        )
    }
    prev = GENESIS
    checked = 0
    for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
        checked += 1
        at = row.at if row.at.tzinfo else row.at.replace(tzinfo=dt.UTC)
        entry = AuditEntry(
            at,
            row.user_id,
            row.action,
            row.record_id,
            row.revision,
            row.before_hash,
            row.after_hash,
        )
        if row.prev_hash != prev or entry.chained(prev) != row.entry_hash:
            return Verification(checked, row.seq, "entry altered, removed or reordered")
        if row.record_id and row.revision and row.after_hash:
            stored = snapshots.get((row.record_id, row.revision))
            if stored != row.after_hash:
                return Verification(checked, row.seq, "revision snapshot altered or removed")
        prev = row.entry_hash
    return Verification(checked)
