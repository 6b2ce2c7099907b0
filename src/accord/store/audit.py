"""The append-only, hash-chained audit log: every write leaves an entry; edits are detectable.

Each entry's hash covers its fields and the previous entry's hash; ``after_hash`` is the hash of
the revision snapshot the write produced, so rewriting a stored revision breaks the chain too.

Two things anchor the chain against someone who can write to the database:

- **A key.** With ``ACCORD_AUDIT_KEY`` (or ``ACCORD_AUDIT_KEY_FILE``) set, each new entry's hash
  is an HMAC-SHA-256 under that key, and the entry keeps the key's id (``key_id``, a digest
  that does not reveal the key). Without the key nobody can recompute a keyed entry, so a
  rewrite is found even when every later hash was recomputed. Entries written before a key was
  set stay plain SHA-256 and verify as before; an unkeyed entry after a keyed one is a break.
  The key lives outside the database (environment or a file): a key stored in the database
  would be in the hands of whoever edits it.
- **An exported head.** :func:`head` gives the chain's last entry (count, seq, hash, time) as
  one line to keep elsewhere; :func:`verify` with that head checks that the chain still extends
  it, which finds a truncated tail and a rewrite behind the head, keyed or not.

:mod:`accord.store.audit_records` checks the revisions and the records against the chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, select

from accord.errors import BadRequest, StoreUnavailable
from accord.store import bulk
from accord.store.rows import as_utc
from accord.store.schema import audit_log

GENESIS = "0" * 64
KEY_ENV = "ACCORD_AUDIT_KEY"
KEY_FILE_ENV = "ACCORD_AUDIT_KEY_FILE"
#: Shorter keys could be guessed offline from the stored entries.
MIN_KEY_CHARS = 16
#: Problems kept in a Verification (all are counted).
MAX_PROBLEMS = 100
BATCH = 5_000


def digest(text: str) -> str:
    """SHA-256 hex digest of a text."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class AuditKey:
    """The server secret that keys the chain, and its public id."""

    secret: bytes = field(repr=False)

    @property
    def id(self) -> str:
        """A short digest naming the key in each entry it keyed (reveals nothing of it)."""
        return hmac.new(self.secret, b"accord audit key id", hashlib.sha256).hexdigest()[:16]


def configured_key() -> AuditKey | None:
    """The audit key from ``ACCORD_AUDIT_KEY``, else from the file ``ACCORD_AUDIT_KEY_FILE``
    names; None when neither is set. Reads the environment and that file."""
    text = os.environ.get(KEY_ENV, "")
    path = os.environ.get(KEY_FILE_ENV, "")
    if not text and path:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreUnavailable(
                f"cannot read the audit key file named by {KEY_FILE_ENV}"
            ) from exc
    if not text:
        return None
    if len(text) < MIN_KEY_CHARS:
        raise StoreUnavailable(f"the audit key must have at least {MIN_KEY_CHARS} characters")
    return AuditKey(text.encode())


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

    def chained(self, prev_hash: str, key: AuditKey | None = None) -> str:
        """This entry's hash given the previous one: SHA-256, or HMAC-SHA-256 under a key."""
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
        text = "\x1f".join(fields)
        if key is None:
            return digest(text)
        return hmac.new(key.secret, text.encode(), hashlib.sha256).hexdigest()


def append(conn: Connection, entries: Sequence[AuditEntry]) -> None:
    """Append entries in order, each chained to the one before, keyed when a key is configured.

    Writes the audit log. Appends are serialised (a table lock on PostgreSQL; SQLite has one
    writer), so two concurrent writes cannot both chain to the same last entry. Once the log is
    keyed, a write without that key is refused rather than breaking the chain.
    """
    if not entries:
        return
    key = configured_key()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
    last = conn.execute(
        select(audit_log.c.entry_hash, audit_log.c.key_id).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    if last is not None and last.key_id is not None:
        if key is None:
            raise StoreUnavailable(
                f"the audit log is keyed: set {KEY_ENV} (or {KEY_FILE_ENV}) to write"
            )
        if key.id != last.key_id:
            raise StoreUnavailable(f"{KEY_ENV} is not the key the audit log is keyed with")
    prev = last.entry_hash if last is not None else GENESIS
    rows = []
    for entry in entries:
        entry_hash = entry.chained(prev, key)
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
                "key_id": key.id if key else None,
            }
        )
        prev = entry_hash
    for start in range(0, len(rows), BATCH):
        bulk.insert_rows(conn, audit_log, rows[start : start + BATCH])


@dataclass(frozen=True)
class Head:
    """The chain's last entry, to store outside the database: ``count=… seq=… hash=… at=…``."""

    count: int
    seq: int
    hash: str
    at: dt.datetime | None = None

    def text(self) -> str:
        """The one-line form :meth:`read` accepts."""
        at = self.at.astimezone(dt.UTC).isoformat() if self.at else "-"
        return f"count={self.count} seq={self.seq} hash={self.hash} at={at}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict, with the one-line form as ``head``."""
        at = self.at.astimezone(dt.UTC).isoformat() if self.at else None
        return {
            "count": self.count,
            "seq": self.seq,
            "hash": self.hash,
            "at": at,
            "head": self.text(),
        }

    @classmethod
    def read(cls, value: str) -> Head:
        """A head from its one-line form, or from a file holding it. Reads that file."""
        text = value.strip()
        if "hash=" not in text:
            try:
                text = Path(text).read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise BadRequest(
                    "the head is neither 'count=N seq=N hash=H' nor a readable file"
                ) from exc
        parts = dict(part.partition("=")[::2] for part in text.split())
        try:
            at = None if parts.get("at", "-") == "-" else dt.datetime.fromisoformat(parts["at"])
            found = cls(int(parts["count"]), int(parts["seq"]), parts["hash"], at)
        except (KeyError, ValueError) as exc:
            raise BadRequest("not an audit head: expected 'count=N seq=N hash=H at=T'") from exc
        if len(found.hash) != 64 or found.count < 0 or found.seq < 0:
            raise BadRequest("not an audit head: expected 'count=N seq=N hash=H at=T'")
        return found


def head(conn: Connection) -> Head:
    """The chain's current head (GENESIS with count 0 when the log is empty). Read-only."""
    count = conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
    last = conn.execute(
        select(audit_log.c.seq, audit_log.c.entry_hash, audit_log.c.at)
        .order_by(audit_log.c.seq.desc())
        .limit(1)
    ).first()
    if last is None:
        return Head(0, 0, GENESIS)
    return Head(int(count), last.seq, last.entry_hash, as_utc(last.at))


@dataclass(frozen=True)
class Problem:
    """One thing verification found wrong, with the entry, record and revision it concerns."""

    reason: str
    seq: int | None = None
    record: str | None = None
    revision: int | None = None

    def describe(self) -> str:
        """One line: where, then what."""
        where = ", ".join(
            part
            for part in (
                f"entry {self.seq}" if self.seq is not None else "",
                f"record {self.record}" if self.record else "",
                f"revision {self.revision}" if self.revision is not None else "",
            )
            if part
        )
        return f"{where}: {self.reason}" if where else self.reason


@dataclass
class Findings:
    """Problems as verification finds them: the first MAX_PROBLEMS kept, all counted."""

    problems: list[Problem] = field(default_factory=list)
    count: int = 0

    def add(self, problem: Problem) -> None:
        """Record one problem."""
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


@dataclass(frozen=True)
class Verification:
    """The result of checking the audit log, the revisions and the records."""

    checked: int
    problems: tuple[Problem, ...] = ()
    problem_count: int = 0
    revisions: int = 0
    records: int = 0
    keyed: bool = False
    keyed_from: int | None = None
    head: Head | None = None

    @property
    def ok(self) -> bool:
        """Whether nothing was found wrong."""
        return self.problem_count == 0

    @property
    def broken_seq(self) -> int | None:
        """The entry of the first problem, if it concerns one."""
        return self.problems[0].seq if self.problems else None

    @property
    def reason(self) -> str | None:
        """The first problem's reason."""
        return self.problems[0].reason if self.problems else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the result."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "revisions": self.revisions,
            "records": self.records,
            "keyed": self.keyed,
            "keyed_from": self.keyed_from,
            "head": self.head.to_json() if self.head else None,
            "broken_seq": self.broken_seq,
            "reason": self.reason,
            "problem_count": self.problem_count,
            "problems": [
                {"seq": p.seq, "record": p.record, "revision": p.revision, "reason": p.reason}
                for p in self.problems
            ],
        }


@dataclass
class _Chain:
    """What the walk of the chain learnt: entries, the head, where keying started."""

    checked: int = 0
    head: Head = field(default_factory=lambda: Head(0, 0, GENESIS))
    keyed_from: int | None = None


def verify(conn: Connection, anchor: Head | None = None) -> Verification:
    """Check the chain (links, keyed hashes, the exported ``anchor`` head if given), then every
    revision and record against it. Read-only, in one consistent view of the database, a batch
    at a time."""
    from accord.store import audit_records  # it builds on this module's Problem and digest

    _one_state(conn)
    key = configured_key()
    findings = Findings()
    chain = _walk(conn, key, anchor, findings)
    revisions, records = audit_records.check(conn, findings)
    return Verification(
        chain.checked,
        tuple(findings.problems),
        findings.count,
        revisions,
        records,
        keyed=key is not None,
        keyed_from=chain.keyed_from,
        head=chain.head,
    )


def _walk(
    conn: Connection, key: AuditKey | None, anchor: Head | None, findings: Findings
) -> _Chain:
    """Walk the entries in order: each links to the one before and hashes to its stored hash
    (under the key when keyed); the anchor head, if given, is on the chain."""
    chain = _Chain()
    prev = GENESIS
    missing_key_reported = False
    anchor_seen = anchor is None or anchor.count == 0
    for row in _entries(conn):
        chain.checked += 1
        entry = AuditEntry(
            as_utc(row.at),
            row.user_id,
            row.action,
            row.record_id,
            row.revision,
            row.before_hash,
            row.after_hash,
        )
        if row.key_id is None:
            if chain.keyed_from is not None:
                findings.add(Problem("unkeyed entry after keyed ones", row.seq, row.record_id))
            expected: str | None = entry.chained(prev)
        else:
            chain.keyed_from = chain.keyed_from or row.seq
            if key is None:
                expected = None
                if not missing_key_reported:
                    findings.add(
                        Problem(f"keyed entries from here on: set {KEY_ENV} to verify", row.seq)
                    )
                    missing_key_reported = True
            elif key.id != row.key_id:
                expected = None
                findings.add(Problem("entry keyed with another key", row.seq, row.record_id))
            else:
                expected = entry.chained(prev, key)
        if row.prev_hash != prev or expected not in (None, row.entry_hash):
            findings.add(Problem("entry altered, removed or reordered", row.seq, row.record_id))
        if anchor is not None and row.seq == anchor.seq:
            anchor_seen = True
            if row.entry_hash != anchor.hash or chain.checked != anchor.count:
                findings.add(Problem("the entry at the exported head was rewritten", row.seq))
        prev = row.entry_hash
        chain.head = Head(chain.checked, row.seq, row.entry_hash, entry.at)
    if not anchor_seen:
        findings.add(
            Problem(
                "the exported head is not on the chain: entries removed or rewritten",
                anchor.seq if anchor else None,
            )
        )
    return chain


def _entries(conn: Connection) -> Iterator[Any]:
    """Every entry in chain order, streamed a batch at a time."""
    query = select(audit_log).order_by(audit_log.c.seq).execution_options(yield_per=BATCH)
    yield from conn.execute(query)


def _one_state(conn: Connection) -> None:
    """Make the connection's following reads see one state of the database (no write that
    commits meanwhile shows in one query and not in another). No-op inside a transaction the
    caller already holds."""
    if conn.in_transaction():
        return
    if conn.dialect.name == "postgresql":
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    else:
        conn.exec_driver_sql("BEGIN")
