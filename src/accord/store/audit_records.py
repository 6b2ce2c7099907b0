"""The revisions and the records checked against the audit chain. Read-only.

Every revision must have exactly one audit entry (its own, or the entry of the import batch
that wrote it, :mod:`accord.store.audit_batches`, with the snapshot hash the batch keeps for
it), revisions numbered from 1 without a gap and audited in order (each entry after the
previous revision's), and each snapshot must hash to its entry's ``after_hash``: a revision
added, removed or edited in SQL is reported. (An entry's ``before_hash`` is not compared with
the previous ``after_hash``: writes hash the previous revision as read back from its row, whose
share list and readers come back sorted, not in the snapshot's order.) Every record's current
row (its SNAPSHOT_COLUMNS), share list, named readers and links must then be exactly what its
latest audited snapshot gives (``rows.row_values`` of that snapshot): a marking, status,
owner, share or body changed in SQL is reported, naming the record and the fields. The search
and STIX-id columns are left out: they are computed from the snapshot by code that may change
between versions, and they decide no one's access. Records an unfinished import job staged are
left out: their audit entries are appended when the job finishes, or they are removed with it
(:mod:`accord.store.staging`).

The audit entries, the revisions and the records are read as three streams in record-id order
and walked side by side, a batch at a time, so memory holds one batch and one record's history,
whatever the size of the database. Ids are ordered byte-wise on both databases (``COLLATE "C"``
on PostgreSQL) so that the streams and Python compare them alike.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, null, select, union_all

from accord.domain.vocab import RELATIONSHIP_KINDS
from accord.store import audit_batches, rows
from accord.store.audit import Findings, Problem, digest
from accord.store.schema import audit_log, record_refs, records, revisions, withdrawals
from accord.store.withdrawals import audited_hash

BATCH = 2_000
#: The columns of ``records`` a revision snapshot determines, compared with the latest one.
SNAPSHOT_COLUMNS = (
    "id",
    "kind",
    "name",
    "marking",
    "owner",
    "status",
    "revision",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "body",
)


@dataclass(frozen=True)
class _Current:
    """A record's current row with its share list, named readers and links."""

    row: Any
    shares: Sequence[str]
    readers: Sequence[str]
    links: frozenset[tuple[str, str, bool]]


def check(conn: Connection, findings: Findings) -> tuple[int, int]:
    """Check every revision and record against the chain; returns how many of each were checked.
    Read-only."""
    audit_batches.check(conn, findings)
    checked_revisions = checked_records = 0
    streams = (_entries(conn), _revisions(conn), _records(conn))
    for record_id, (entries, stored, current) in _side_by_side(streams):
        checked_revisions += len(stored)
        checked_records += current is not None
        _check_record(record_id, entries, stored, current, findings)
    return checked_revisions, checked_records


def _check_record(
    record_id: str,
    entries: Sequence[Any],
    stored: Sequence[Any],
    current: _Current | None,
    findings: Findings,
) -> None:
    """One record's revisions against its audit entries, then its row against the latest."""

    def report(reason: str, revision: int | None = None, seq: int | None = None) -> None:
        findings.add(Problem(reason, seq, record_id, revision))

    audited: dict[int, list[Any]] = {}
    for entry in entries:
        audited.setdefault(entry.revision, []).append(entry)
    snapshots = {row.revision: row.snapshot for row in stored}
    reasons = {row.revision: row.reason for row in stored if row.reason is not None}
    previous: Any = None
    latest: str | None = None
    for number in range(1, max([*audited, *snapshots], default=0) + 1):
        found = audited.get(number, [])
        snapshot = snapshots.get(number)
        latest = None
        if not found:
            report(
                "revision without an audit entry" if snapshot is not None else "revision missing",
                number,
            )
            previous = None
            continue
        entry = found[0]
        for extra in found[1:]:
            report("revision audited more than once", number, extra.seq)
        if snapshot is not None and _audited(snapshot, reasons.get(number), entry.after_hash):
            latest = snapshot
        elif number in reasons:
            report("withdrawn revision's snapshot or reason altered", number, entry.seq)
        else:
            report("revision snapshot altered or removed", number, entry.seq)
        follows = (
            entry.before_hash is None if number == 1 else previous and entry.seq > previous.seq
        )
        if not follows:
            report("revision not audited after the one before it", number, entry.seq)
        previous = entry
    if current is None:
        if audited or snapshots:
            report("audited record missing from the records")
    elif not audited:
        report("record without an audit entry")
    elif latest is not None:
        changed = _differences(current, latest)
        if changed:
            report(f"current row differs from the latest audited revision: {', '.join(changed)}")


def _audited(snapshot: str, reason: str | None, after_hash: str) -> bool:
    """Whether an entry's hash is the revision's: its snapshot's, or for a withdrawal its
    snapshot's with the reason (a withdrawal audited before reasons were chained has the
    snapshot's alone)."""
    if digest(snapshot) == after_hash:
        return True
    return reason is not None and audited_hash(snapshot, reason) == after_hash


def _differences(current: _Current, snapshot: str) -> list[str]:
    """The columns (and share list, readers, links) of the current row that differ from what
    the snapshot gives."""
    expected = rows.record_from_snapshot(snapshot)
    stored, wanted = current.row._mapping, rows.row_values(expected)
    changed = [
        name
        for name in SNAPSHOT_COLUMNS
        if stored[name] != wanted[name] and not _same_instant(stored[name], wanted[name])
    ]
    if sorted(current.shares) != sorted(set(expected.shares)):
        changed.append("shares")
    if sorted(current.readers) != sorted(set(expected.readers)):
        changed.append("readers")
    hard = expected.kind in RELATIONSHIP_KINDS
    if current.links != {(name, target, hard) for name, target in expected.data.refs()}:
        changed.append("links")
    return changed


def _same_instant(stored: Any, expected: Any) -> bool:
    """Whether two values are the same timestamp (SQLite returns stored ones naive)."""
    if not isinstance(stored, dt.datetime) or not isinstance(expected, dt.datetime):
        return False
    return rows.as_utc(stored) == rows.as_utc(expected)


def _side_by_side(
    streams: tuple[Iterator[tuple[str, Any]], ...],
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """Walk streams of (record id, item), each in id order, together: for every id in any of
    them, the item of each stream (its empty value when that stream lacks the id)."""
    empty: tuple[Any, ...] = ((), (), None)
    heads = [next(stream, None) for stream in streams]
    while any(h is not None for h in heads):
        record_id = min(h[0] for h in heads if h is not None)
        items = []
        for position, h in enumerate(heads):
            if h is not None and h[0] == record_id:
                items.append(h[1])
                heads[position] = next(streams[position], None)
            else:
                items.append(empty[position])
        yield record_id, tuple(items)


def _by_id(column: ColumnElement[Any], conn: Connection) -> ColumnElement[Any]:
    """Order by a record id byte-wise, as Python compares strings."""
    return column.collate("C") if conn.dialect.name == "postgresql" else column


def _grouped(result: Iterable[Any]) -> Iterator[tuple[str, list[Any]]]:
    for record_id, group in itertools.groupby(result, key=lambda row: row.record_id):
        yield record_id, list(group)


def _entries(conn: Connection) -> Iterator[tuple[str, list[Any]]]:
    """Each record's audit entries, by revision then seq: its own entries, and for a revision
    an import batch audited, that batch's chained entry with the member's snapshot hash
    (:mod:`accord.store.audit_batches`)."""
    own = select(
        audit_log.c.record_id,
        audit_log.c.revision,
        audit_log.c.seq,
        audit_log.c.before_hash,
        audit_log.c.after_hash,
    ).where(audit_log.c.record_id.is_not(None), audit_log.c.revision.is_not(None))
    members = audit_batches.audit_members
    batched = select(
        members.c.record_id,
        members.c.revision,
        audit_log.c.seq,
        null().label("before_hash"),
        members.c.after_hash,
    ).join_from(
        members,
        audit_log,
        (audit_log.c.after_hash == members.c.batch)
        & (audit_log.c.action == audit_batches.IMPORT_BATCH),
    )
    both = union_all(own, batched).subquery()
    query = (
        select(both)
        .order_by(_by_id(both.c.record_id, conn), both.c.revision, both.c.seq)
        .execution_options(yield_per=BATCH)
    )
    return _grouped(conn.execute(query))


def _revisions(conn: Connection) -> Iterator[tuple[str, list[Any]]]:
    """Each record's stored revisions, by number, with the reason of a withdrawal."""
    query = (
        select(
            revisions.c.record_id, revisions.c.revision, revisions.c.snapshot, withdrawals.c.reason
        )
        .outerjoin(
            withdrawals,
            (withdrawals.c.record_id == revisions.c.record_id)
            & (withdrawals.c.revision == revisions.c.revision),
        )
        .where(revisions.c.record_id.not_in(_staged()))
        .order_by(_by_id(revisions.c.record_id, conn), revisions.c.revision)
        .execution_options(yield_per=BATCH)
    )
    return _grouped(conn.execute(query))


def _staged() -> Select[tuple[str]]:
    """Ids of records an unfinished import staged: not audited until it finishes (staging)."""
    return select(records.c.id).where(records.c.import_job.is_not(None))


def _records(conn: Connection) -> Iterator[tuple[str, _Current]]:
    """Each record's current row with its share list, readers and links (read per batch)."""
    query = (
        select(records)
        .where(records.c.import_job.is_(None))
        .order_by(_by_id(records.c.id, conn))
        .execution_options(yield_per=BATCH)
    )
    for batch in conn.execute(query).partitions():
        ids = [row.id for row in batch]
        shares, readers = rows.sharing_of(conn, ids)
        links: dict[str, set[tuple[str, str, bool]]] = {}
        for record_id, name, target, hard in conn.execute(
            select(
                record_refs.c.record_id,
                record_refs.c.field,
                record_refs.c.target_id,
                record_refs.c.hard,
            ).where(record_refs.c.record_id.in_(ids))
        ):
            links.setdefault(record_id, set()).add((name, target, bool(hard)))
        for row in batch:
            yield (
                row.id,
                _Current(
                    row,
                    shares.get(row.id, ()),
                    readers.get(row.id, ()),
                    frozenset(links.get(row.id, ())),
                ),
            )
