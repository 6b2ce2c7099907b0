"""Pull a feed: page through the remote collection from the feed's cursor, decide what each
object becomes (:mod:`.decide`), and write each page with the cursor that follows it in one
transaction (:mod:`.apply`, :mod:`.feeds`), so a pull stopped at any point — even killed —
resumes where the last committed page ended, without loss and without duplicates (a page
read twice finds its records by their remote ids: unchanged).

The cursor: ``added_after`` (objects the remote added after this instant), the remote's
``next`` token while a pull is between pages, and the latest ``X-TAXII-Date-Added-Last``
seen. A pull that completes sets ``added_after`` to that latest instant. A ``next`` token
the remote refuses on resumption (expired, or the server restarted) restarts the pull from
``added_after``: pages already written come back as unchanged.

An object that points to a record not here yet (a claim served before its incident) waits,
kept with its page, and is tried again with every later page (:mod:`.waiting`); a pull's
report counts those still waiting at its end.

Each pull asks from :data:`OVERLAP` before the committed ``added_after``: a server stamps
``date_added`` when it writes, which may be before the write commits (Accord's is the
revision's time, taken when its transaction starts), so an object committed late by a long
transaction could otherwise fall behind the cursor for good. Objects read again are unchanged
and cost a lookup, never a write.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from accord.errors import StaleNext
from accord.federation import feeds, lease, remote, waiting
from accord.federation.apply import WAIT, Outcome, write_page
from accord.federation.decide import decide
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase

MAX_LISTED = 500
#: How far before the committed cursor each pull starts reading (see the module docstring).
OVERLAP = dt.timedelta(minutes=10)


@dataclass
class PullReport:
    """What a pull did (or, in a dry run, would do) with each object, by action."""

    feed: str
    dry_run: bool
    resumed: bool = False
    pages: int = 0
    objects: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    items: list[Outcome] = field(default_factory=list)
    listed_all: bool = True

    def add(self, outcomes: list[Outcome]) -> None:
        """Count the outcomes; list all but definitions and unchanged objects (up to
        MAX_LISTED)."""
        for o in outcomes:
            self.counts[o.action] += 1
            if o.action in ("definition", "unchanged"):
                continue
            if len(self.items) < MAX_LISTED:
                self.items.append(o)
            else:
                self.listed_all = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "feed": self.feed,
            "dry_run": self.dry_run,
            "resumed": self.resumed,
            "pages": self.pages,
            "objects": self.objects,
            "counts": dict(sorted(self.counts.items())),
            "items": [
                {"object": o.remote_id, "action": o.action, "reason": o.reason, "record": o.record}
                for o in self.items
            ],
            "listed_all": self.listed_all,
        }


def _later(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a or b
    try:
        return b if m.parse_timestamp(b) > m.parse_timestamp(a) else a
    except ValueError:
        return a


def _before(cursor: str | None) -> str | None:
    """Where a pull from a committed cursor starts reading (:data:`OVERLAP` earlier)."""
    if cursor is None:
        return None
    try:
        return m.timestamp(m.parse_timestamp(cursor) - OVERLAP)
    except ValueError:
        return None


def pull(
    kb: KnowledgeBase, name: str, *, dry_run: bool = False, page_size: int = remote.PAGE
) -> PullReport:
    """Pull one feed (see the module's docstring). A dry run reads every page and reports
    what would happen without writing anything. Writes records, origins and the cursor, one
    transaction per page, holding the feed's lease (:mod:`.lease`): PullRunning when another
    pull of the feed runs. Raises RemoteError when the remote cannot be read (what earlier
    pages wrote stays, with their cursor)."""
    holder = lease.new_holder()
    if dry_run:  # writes nothing: needs no lease
        return _pull(kb, name, None, page_size)
    lease.acquire(kb, name, holder)
    try:
        return _pull(kb, name, holder, page_size)
    finally:
        lease.release(kb, name, holder)


def _pull(kb: KnowledgeBase, name: str, holder: lease.Holder | None, page_size: int) -> PullReport:
    """The pull itself: a dry run without ``holder``, else under its lease (read the cursor
    only once the lease is held)."""
    feed = feeds.get(kb, name)
    viewer = feeds.viewer_of(kb, feed)
    report = PullReport(feed.name, holder is None, resumed=feed.cursor.next_page is not None)
    client = remote.Remote(feed.url, feed.collection, feeds.credentials_of(kb, feed), feed=name)
    committed, next_token, high = (
        feed.cursor.added_after,
        feed.cursor.next_page,
        feed.cursor.high_water,
    )
    base = _before(committed)
    held = waiting.load(kb, feed.name)  # objects that point to a record not here yet
    fetcher = _Prefetch(client, page_size)
    try:
        fetcher.ask(base, next_token)
        while True:
            page = fetcher.take()
            report.pages += 1
            report.objects += len(page.objects)
            high = _later(high, page.added_last)
            follow = page.next
            if page.more and follow is None and page.added_last and page.added_last != base:
                base = page.added_last  # a server that pages by added_after only
                finished = False
            else:
                finished = not page.more or follow is None
            if not finished:  # read the next page while this one is written
                fetcher.ask(base, follow)
            if holder is None:
                decisions = decide(kb, viewer, page.objects)
                report.add([Outcome(d.action, d.remote_id, d.reason, d.record) for d in decisions])
            else:
                fresh = {str(o.get("id", "")).lower(): o for o in page.objects}
                retried = [obj for rid, (obj, _) in held.items() if rid not in fresh]
                decisions = decide(kb, viewer, [*page.objects, *retried])
                with kb.transaction():
                    lease.renew(kb, feed.name, holder)
                    outcomes = write_page(kb, viewer, feed.name, decisions)
                    still = {o.remote_id.lower(): o.reason for o in outcomes if o.action == WAIT}
                    new = {rid: (fresh[rid], why) for rid, why in still.items() if rid in fresh}
                    done = [rid for rid in held if rid not in still or rid in fresh]
                    waiting.settle(kb, feed.name, done, new, kb.now())
                    cursor = (
                        feeds.Cursor(_later(committed, high))
                        if finished
                        else feeds.Cursor(committed, follow, high)
                    )
                    feeds.save_cursor(kb, feed.name, cursor, finished=finished)
                for rid in done:
                    held.pop(rid, None)
                held.update(new)
                report.add([o for o in outcomes if o.action != WAIT])
            if finished:
                report.add([Outcome(WAIT, rid, why) for rid, (_, why) in held.items()])
                if holder is not None:
                    kb.refresh_statistics(report.counts["create"] + report.counts["update"])
                return report
    finally:
        fetcher.close()
        client.close()


class _Prefetch:
    """Reads the remote's pages in a worker thread, one ahead: the next page travels (and the
    remote prepares it) while this process writes the current one. Only the worker uses the
    HTTP session. A ``next`` token the remote refuses restarts from ``added_after``."""

    def __init__(self, client: remote.Remote, page_size: int) -> None:
        self._client = client
        self._size = page_size
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-page")
        self._pending: Future[remote.RemotePage] | None = None

    def _read(self, added_after: str | None, next_token: str | None) -> remote.RemotePage:
        try:
            return self._client.page(added_after, next_token, self._size)
        except StaleNext:
            return self._client.page(added_after, None, self._size)

    def ask(self, added_after: str | None, next_token: str | None) -> None:
        """Start reading a page (after ``added_after``, from ``next_token``)."""
        self._pending = self._pool.submit(self._read, added_after, next_token)

    def take(self) -> remote.RemotePage:
        """The page asked for; raises what reading it raised."""
        assert self._pending is not None
        pending, self._pending = self._pending, None
        return pending.result()

    def close(self) -> None:
        """Stop: a page still travelling is dropped."""
        self._pool.shutdown(wait=False, cancel_futures=True)
