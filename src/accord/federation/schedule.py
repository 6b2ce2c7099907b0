"""Pull feeds in the background, each on its interval (``accord serve --pull-feeds``).

A feed with an interval (``accord feed add … --every 15m``, ``accord feed set NAME --every
…``) is due when it was never tried, or when its interval has passed since it was last tried
(success or failure alike: a failing remote is not hammered). :func:`pull_due` pulls the due
feeds one after another, each on its own: a feed that fails — its remote down, its token
refused, its user no longer a reviewer, any bug — records its error on its row
(``last_error``, ``last_error_at``, shown by ``accord feed list`` and the REST API) and the
others go on; a success clears the error (``last_pull_at`` is the last success). A feed
whose pull is already running elsewhere (:class:`PullRunning`) is left to that pull.

:func:`run_forever` is the loop the web app runs in its lifespan: it checks every
:data:`TICK` seconds, running each round's pulls in a worker thread so that the server keeps
answering. Times are the wall clock (as for leases).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading

from sqlalchemy import update

from accord.errors import AccordError, PullRunning
from accord.federation import feeds
from accord.federation.pull import pull
from accord.kb import KnowledgeBase
from accord.store.schema import feeds as feed_rows

#: Seconds between two looks at which feeds are due.
TICK = 5.0
#: Longest error text kept on a feed's row.
MAX_ERROR = 500

log = logging.getLogger("accord.feeds")


def due(kb: KnowledgeBase, now: dt.datetime) -> list[str]:
    """The names of the feeds due for a background pull at ``now``. Read-only."""
    return [
        f.name
        for f in feeds.all_feeds(kb)
        if f.every is not None
        and (f.last_tried_at is None or f.last_tried_at + dt.timedelta(seconds=f.every) <= now)
    ]


def _mark(kb: KnowledgeBase, name: str, **values: object) -> None:
    with kb.federation_tables(write=True) as conn:
        conn.execute(update(feed_rows).where(feed_rows.c.name == name).values(**values))


def pull_due(
    kb: KnowledgeBase, now: dt.datetime | None = None, stop: threading.Event | None = None
) -> dict[str, str]:
    """Pull every due feed (until ``stop`` is set); what happened to each, by name
    (``pulled: …``, ``running elsewhere``, or the error). Never raises for one feed's
    failure. Writes (the pulls, and each feed's last try, error or success)."""
    moment = now or dt.datetime.now(dt.UTC)
    done: dict[str, str] = {}
    for name in due(kb, moment):
        if stop is not None and stop.is_set():
            break
        try:
            _mark(kb, name, last_tried_at=moment)
            report = pull(kb, name)
        except PullRunning:
            done[name] = "running elsewhere"
            continue
        except AccordError as exc:
            error = str(exc)
        except Exception as exc:  # any bug stops this feed only; the server goes on
            log.exception("background pull of feed %s failed", name)
            error = f"internal error ({type(exc).__name__}); see the server's log"
        else:
            _mark(kb, name, last_error=None, last_error_at=None)
            counts = ", ".join(f"{n} {a}" for a, n in sorted(report.counts.items()))
            done[name] = f"pulled: {counts or 'nothing new'}"
            continue
        done[name] = error
        try:
            _mark(kb, name, last_error=error[:MAX_ERROR], last_error_at=dt.datetime.now(dt.UTC))
        except AccordError:  # the database itself is failing: logged, the loop goes on
            log.exception("cannot record the error of feed %s", name)
    return done


async def run_forever(kb: KnowledgeBase, tick: float | None = None) -> None:
    """Pull the due feeds every ``tick`` seconds (default :data:`TICK`) until cancelled (the
    web app's lifespan cancels it on shutdown). Each round runs in a worker thread; on
    cancellation the round under way finishes the feed it is pulling and starts no other."""
    stop = threading.Event()
    try:
        while True:
            try:
                for name, what in (await asyncio.to_thread(pull_due, kb, None, stop)).items():
                    log.info("feed %s: %s", name, what)
            except Exception:  # e.g. the database unreachable a while: try again next tick
                log.exception("background feed pulls failed")
            await asyncio.sleep(TICK if tick is None else tick)
    finally:
        stop.set()
