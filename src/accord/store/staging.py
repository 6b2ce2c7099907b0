"""Staged imports: the rows an unfinished import job wrote, hidden until it finishes.

An import job (``import_jobs``) writes its new records in short transactions with
``records.import_job`` set to the job's id, which :func:`accord.access.visible` hides from
everyone but the job's own writer until the job is ``done``; the new revisions of records that
already exist wait in ``import_pending``, and the audit entry of each batch of new records (one
entry committing to the whole batch, :mod:`accord.store.audit_batches`) in ``import_audit``.
The job's swap (called by :meth:`accord.kb.KnowledgeBase.import_job`) applies the pending
revisions and marks the job ``done``: everything becomes visible at once, in one short
transaction. :func:`settle` then chains the waiting entries and clears ``import_job`` a batch
per transaction (resumable: ``import_audit`` is the durable queue). A job that failed, or whose
heartbeat stopped (the process died), is removed a batch at a time by :func:`remove`: its rows
were never visible and its audit entries were never chained. No access rules here: callers
decide what may be written.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from sqlalchemy import Connection, delete, insert, select, update

from accord.domain.records import Record
from accord.errors import Conflict
from accord.store import audit_batches, bulk
from accord.store.audit import AuditEntry, append
from accord.store.audit_batches import IMPORT_BATCH, Member, audit_members
from accord.store.rows import as_utc, snapshot_of
from accord.store.schema import (
    claim_facts,
    import_audit,
    import_jobs,
    import_pending,
    record_readers,
    record_refs,
    record_shares,
    records,
    revisions,
)

STAGING = "staging"
FAILED = "failed"
#: Swapped: its records are visible; :func:`settle` chains their entries.
DONE = "done"
_IN = 2_000  # ids per IN (...)


def start(conn: Connection, job_id: str, owner: str, user_id: str | None, now: dt.datetime) -> None:
    """Register a new job. Writes."""
    conn.execute(
        insert(import_jobs).values(
            id=job_id,
            owner=owner,
            user_id=user_id,
            started_at=now,
            heartbeat_at=now,
            state=STAGING,
        )
    )


def beat(conn: Connection, job_id: str, now: dt.datetime) -> None:
    """Move the job's heartbeat on; raise Conflict if it was given up meanwhile (failed or
    removed as abandoned), so that nothing more is written for it. Writes."""
    done = conn.execute(
        update(import_jobs)
        .where(import_jobs.c.id == job_id, import_jobs.c.state == STAGING)
        .values(heartbeat_at=now)
    )
    if done.rowcount != 1:
        raise Conflict("the import was given up (it stalled or failed): run it again")


def stage(
    conn: Connection,
    job_id: str,
    written: tuple[dt.datetime, str | None],
    members: Sequence[Member],
    pending: Sequence[tuple[int, Record]],
) -> None:
    """Keep what the job's end needs: the audit entry of a batch of newly staged records
    (``written``: when and by whom), which commits to its ``members``
    (:mod:`accord.store.audit_batches`), and the new revisions (with the revision each
    follows) of existing records. Writes."""
    if members:
        bulk.insert_rows(
            conn,
            import_audit,
            [
                {
                    "job_id": job_id,
                    "at": written[0],
                    "user_id": written[1],
                    "action": IMPORT_BATCH,
                    "record_id": None,
                    "revision": None,
                    "after_hash": audit_batches.write(conn, members),
                }
            ],
        )
    if pending:
        ids = [record.id for _, record in pending]
        conn.execute(
            delete(import_pending).where(
                import_pending.c.job_id == job_id, import_pending.c.record_id.in_(ids)
            )
        )
        bulk.insert_rows(
            conn,
            import_pending,
            [
                {
                    "job_id": job_id,
                    "record_id": record.id,
                    "base_revision": base,
                    "snapshot": snapshot_of(record),
                }
                for base, record in pending
            ],
        )


def staged_by(conn: Connection, job_id: str, ids: Sequence[str]) -> list[str]:
    """The ids among ``ids`` of records this job staged. Read-only."""
    if not ids:
        return []
    query = select(records.c.id).where(records.c.id.in_(list(ids)), records.c.import_job == job_id)
    return [rid for (rid,) in conn.execute(query)]


def finish(conn: Connection, job_id: str) -> None:
    """Mark the job done: its records become visible (in the caller's transaction). Writes."""
    conn.execute(update(import_jobs).where(import_jobs.c.id == job_id).values(state=DONE))


def settle(conn: Connection, job_id: str, now: dt.datetime, limit: int) -> int:
    """Chain the next of a done job's waiting audit entries, in the order they were staged
    (one batch's entry, or up to ``limit`` entries of single records, as jobs staged before
    migration 0023 wrote), and clear ``import_job`` of their records; once none is left,
    forget the job. Returns how many entries were chained (0: the job is settled or gone).
    Writes."""
    moved = conn.execute(  # locks the job's row: one settler at a time
        update(import_jobs)
        .where(import_jobs.c.id == job_id, import_jobs.c.state == DONE)
        .values(heartbeat_at=now)
    )
    if moved.rowcount != 1:
        return 0
    waiting = conn.execute(
        select(import_audit)
        .where(import_audit.c.job_id == job_id)
        .order_by(import_audit.c.seq)
        .limit(limit)
    ).all()
    if not waiting:
        conn.execute(update(records).where(records.c.import_job == job_id).values(import_job=None))
        _forget(conn, job_id)
        return 0
    if waiting[0].record_id is None:  # a batch's entry
        waiting = waiting[:1]
        ids = audit_batches.record_ids(conn, waiting[0].after_hash)
    else:
        waiting = list(itertools.takewhile(lambda r: r.record_id is not None, waiting))
        ids = [r.record_id for r in waiting]
    append(
        conn,
        [
            AuditEntry(
                as_utc(r.at), r.user_id, r.action, r.record_id, r.revision, None, r.after_hash
            )
            for r in waiting
        ],
    )
    for start in range(0, len(ids), _IN):
        conn.execute(
            update(records)
            .where(records.c.id.in_(ids[start : start + _IN]), records.c.import_job == job_id)
            .values(import_job=None)
        )
    conn.execute(delete(import_audit).where(import_audit.c.seq.in_([r.seq for r in waiting])))
    return len(waiting)


def pending(conn: Connection, job_id: str) -> list[tuple[str, int, str]]:
    """(record id, revision it follows, snapshot) of the job's pending revisions. Read-only."""
    query = (
        select(
            import_pending.c.record_id, import_pending.c.base_revision, import_pending.c.snapshot
        )
        .where(import_pending.c.job_id == job_id)
        .order_by(import_pending.c.record_id)
    )
    return [(r.record_id, r.base_revision, r.snapshot) for r in conn.execute(query)]


def abandoned(conn: Connection, stale_before: dt.datetime) -> tuple[list[str], list[str]]:
    """Mark as failed the staging jobs whose heartbeat is older than ``stale_before``; return
    every failed job, and the done jobs left unsettled as long (their settler died). Writes."""
    conn.execute(
        update(import_jobs)
        .where(import_jobs.c.state == STAGING, import_jobs.c.heartbeat_at < stale_before)
        .values(state=FAILED)
    )
    failed = select(import_jobs.c.id).where(import_jobs.c.state == FAILED)
    unsettled = select(import_jobs.c.id).where(
        import_jobs.c.state == DONE, import_jobs.c.heartbeat_at < stale_before
    )
    return (
        [job_id for (job_id,) in conn.execute(failed.order_by(import_jobs.c.id))],
        [job_id for (job_id,) in conn.execute(unsettled.order_by(import_jobs.c.id))],
    )


def fail(conn: Connection, job_id: str) -> None:
    """Mark a job as failed: nothing more is written for it, and it is to be removed. Writes."""
    conn.execute(update(import_jobs).where(import_jobs.c.id == job_id).values(state=FAILED))


def remove(conn: Connection, job_id: str, limit: int) -> int:
    """Delete up to ``limit`` of the job's staged records with everything written for them
    (links either way, sharing, revisions, claim facts; the search index follows the records'
    delete trigger); once none is left, forget the job. Returns how many records were deleted.
    Only the job's own records can point at them (no one else could see them). Writes."""
    batch = conn.execute(
        select(records.c.id, records.c.pk)
        .where(records.c.import_job == job_id)
        .order_by(records.c.pk)
        .limit(limit)
    ).all()
    if not batch:
        _forget(conn, job_id)
        return 0
    ids = [row.id for row in batch]
    conn.execute(delete(record_refs).where(record_refs.c.target_id.in_(ids)))
    for table in (record_refs, record_shares, record_readers, revisions, audit_members):
        conn.execute(delete(table).where(table.c.record_id.in_(ids)))
    conn.execute(delete(claim_facts).where(claim_facts.c.record_pk.in_([r.pk for r in batch])))
    conn.execute(delete(records).where(records.c.pk.in_([r.pk for r in batch])))
    return len(batch)


def _forget(conn: Connection, job_id: str) -> None:
    for table in (import_audit, import_pending):
        conn.execute(delete(table).where(table.c.job_id == job_id))
    conn.execute(delete(import_jobs).where(import_jobs.c.id == job_id))
