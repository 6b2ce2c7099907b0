"""One pull of a feed at a time: a lease on the feed's row.

A pull takes the lease before it reads anything (compare-and-set on the row's
``lease_owner``: of two processes starting at once, one wins and the other gets
:class:`PullRunning`), renews it inside each page's transaction — a page commits only while
its pull still holds the lease — and gives it back when it ends, however it ends. The same row
update works alike on SQLite and PostgreSQL; no advisory lock, no second mechanism.

A lease left by a process that died (``kill -9``, a lost machine) does not block forever:

- it **expires** :data:`LEASE` after its last renewal (a page renews it; a page read times
  out well before that: :data:`accord.federation.remote.TIMEOUT_SECONDS`);
- on the **same host**, a lease whose process is gone (no such process id, or one started at
  another moment: a reused id) is taken over at once.

Times here are the wall clock, not the knowledge base's clock: a lease is about processes
that run now, whatever clock the records are stamped with (tests freeze that one).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from accord.errors import NotFound, PullRunning
from accord.kb import KnowledgeBase
from accord.store.rows import as_utc
from accord.store.schema import feeds

#: How long a lease lasts after its last renewal (each page renews it).
LEASE = dt.timedelta(minutes=5)


def _started(pid: int) -> str | None:
    """When a process started (clock ticks since boot, Linux ``/proc``); None when there is
    no such process or no ``/proc``."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: host, process id, the process's start time, and a nonce (two pulls
    in one process are two holders)."""

    host: str
    pid: int
    started: str
    nonce: str

    def text(self) -> str:
        """The value stored in ``lease_owner``."""
        return f"{self.host} {self.pid} {self.started} {self.nonce}"[:200]

    @staticmethod
    def parse(text: str) -> Holder | None:
        """The holder stored as ``text`` (None when it is not one)."""
        parts = text.split(" ")
        if len(parts) != 4 or not parts[1].isdigit():
            return None
        return Holder(parts[0], int(parts[1]), parts[2], parts[3])

    def gone(self) -> bool:
        """Whether the holder's process is known to have ended: on this host, no process has
        its id and start time. On another host nothing is known (the lease must expire)."""
        if self.host != socket.gethostname() or not Path("/proc/self/stat").exists():
            return False
        return _started(self.pid) != self.started


def new_holder() -> Holder:
    """A holder for a pull run by this process."""
    pid = os.getpid()
    return Holder(socket.gethostname(), pid, _started(pid) or "-", uuid.uuid4().hex[:12])


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def acquire(kb: KnowledgeBase, name: str, holder: Holder) -> None:
    """Take the feed's lease for ``holder``; PullRunning while another pull holds a live one,
    NotFound when there is no such feed. Writes the feed's row."""
    now = _now()
    with kb.federation_tables(write=True) as conn:
        row = conn.execute(
            select(feeds.c.lease_owner, feeds.c.lease_until).where(feeds.c.name == name)
        ).first()
        if row is None:
            raise NotFound(f"no feed named '{name}'")
        owner, until = row
        if owner is not None and until is not None and as_utc(until) > now:
            other = Holder.parse(owner)
            if other is None or not other.gone():
                raise PullRunning(_running(name, other, as_utc(until)))
        same = feeds.c.lease_owner.is_(None) if owner is None else feeds.c.lease_owner == owner
        done = conn.execute(
            update(feeds)
            .where(feeds.c.name == name, same)
            .values(lease_owner=holder.text(), lease_until=now + LEASE)
        )
        if done.rowcount != 1:  # another pull took it between the read and the write
            raise PullRunning(_running(name, None, None))


def renew(kb: KnowledgeBase, name: str, holder: Holder) -> None:
    """Extend the lease (inside a page's transaction: the page commits only while its pull
    holds the lease); PullRunning when it was taken over (it had expired). Writes."""
    with kb.federation_tables(write=True) as conn:
        done = conn.execute(
            update(feeds)
            .where(feeds.c.name == name, feeds.c.lease_owner == holder.text())
            .values(lease_until=_now() + LEASE)
        )
    if done.rowcount != 1:
        raise PullRunning(
            f"feed '{name}': this pull's lease expired and another pull took the feed over; "
            "this one stopped (what it committed stays)"
        )


def release(kb: KnowledgeBase, name: str, holder: Holder) -> None:
    """Give the lease back (a no-op when it is no longer ``holder``'s). Writes."""
    with kb.federation_tables(write=True) as conn:
        conn.execute(
            update(feeds)
            .where(feeds.c.name == name, feeds.c.lease_owner == holder.text())
            .values(lease_owner=None, lease_until=None)
        )


def _running(name: str, other: Holder | None, until: dt.datetime | None) -> str:
    where = f" (process {other.pid} on {other.host})" if other else ""
    expiry = (
        f"; if that process is gone, its lease expires at {until.isoformat(timespec='seconds')}"
        if until
        else ""
    )
    return f"a pull of feed '{name}' is already running{where}{expiry}"
