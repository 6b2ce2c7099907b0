"""One audit-chain entry per import batch, committing to every record the batch wrote.

An import job (:mod:`accord.store.staging`) writes its new records a batch at a time. Instead of
one chained entry per record, each batch gets one entry (action :data:`IMPORT_BATCH`, no record)
whose ``after_hash`` is :func:`batch_hash` over its members: each record's id, revision and the
hash of its revision snapshot. ``audit_members`` keeps those three values per record, keyed by
the batch hash, so that verification can

- find each member revision's entry (the batch's, by its hash) and check the snapshot against
  the member's hash, then the record's row against the snapshot, as for any other entry;
- recompute every batch's hash from its members: a member added, removed or altered (with its
  snapshot and row rewritten to match) no longer gives the hash the chain holds.

Members are written with the staged records (hidden until the job's swap); a batch's entry is
chained when the job settles. Members of a batch not chained yet belong to an unfinished job and
are left out of verification, as its records are. No access rules here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from sqlalchemy import Column, Connection, Index, Integer, String, Table, select

from accord.store import bulk
from accord.store.audit import Findings, Problem, digest
from accord.store.schema import audit_log, metadata

#: The action of a batch's entry (it names no record).
IMPORT_BATCH = "import batch"
BATCH = 2_000

audit_members = Table(
    "audit_members",
    metadata,
    Column("record_id", String(128), primary_key=True),
    Column("revision", Integer, primary_key=True),
    # The after_hash of the batch's entry (its batch_hash).
    Column("batch", String(64), nullable=False),
    # The hash of the member revision's snapshot.
    Column("after_hash", String(64), nullable=False),
    Index("ix_audit_members_batch", "batch"),
)

Member = tuple[str, int, str]
"""(record id, revision, hash of the revision snapshot)."""


def batch_hash(members: Sequence[Member]) -> str:
    """The hash a batch's entry commits to: over its members in record-id order. Pure."""
    ordered = sorted(members)
    return digest("\x1e".join(f"{rid}\x1f{revision}\x1f{h}" for rid, revision, h in ordered))


def write(conn: Connection, members: Sequence[Member]) -> str:
    """Store a batch's members; returns the batch's hash (its entry's ``after_hash``). Writes."""
    batch = batch_hash(members)
    bulk.insert_rows(
        conn,
        audit_members,
        [
            {"record_id": rid, "revision": revision, "batch": batch, "after_hash": h}
            for rid, revision, h in members
        ],
    )
    return batch


def record_ids(conn: Connection, batch: str) -> list[str]:
    """The ids of the records of a batch. Read-only."""
    query = select(audit_members.c.record_id).where(audit_members.c.batch == batch)
    return [rid for (rid,) in conn.execute(query)]


def check(conn: Connection, findings: Findings) -> None:
    """Recompute the hash of every chained batch from its members: report a batch whose
    members no longer give its entry's hash, and an entry whose members are gone. Read-only,
    a batch at a time."""
    entries = {
        after: seq
        for seq, after in conn.execute(
            select(audit_log.c.seq, audit_log.c.after_hash).where(
                audit_log.c.action == IMPORT_BATCH
            )
        )
    }
    for batch, members in _groups(conn):
        seq = entries.pop(batch, None)
        if seq is not None and batch_hash(members) != batch:
            findings.add(Problem("import batch altered: its records do not give its hash", seq))
    for seq in sorted(entries.values()):
        findings.add(Problem("import batch without its records", seq))


def _groups(conn: Connection) -> Iterator[tuple[str, list[Member]]]:
    query = (
        select(
            audit_members.c.batch,
            audit_members.c.record_id,
            audit_members.c.revision,
            audit_members.c.after_hash,
        )
        .order_by(audit_members.c.batch)
        .execution_options(yield_per=BATCH)
    )
    for batch, rows in itertools.groupby(conn.execute(query), key=lambda row: row.batch):
        yield batch, [(r.record_id, r.revision, r.after_hash) for r in rows]
