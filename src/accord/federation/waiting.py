"""Objects a pull could not place yet, because they point to a record that has not arrived: a
remote may serve a claim before the incident it is about (an Accord origin serves by last
change, so an incident edited after its claims comes after them).

Such an object is neither written nor lost: it waits in ``feed_waiting``, written in the same
transaction as the page (and cursor) that brought it, so a pull killed at any point keeps it.
Every later page of this pull and of later pulls tries the waiting objects again with its own;
one placed, or replaced by a newer version of itself from the remote, stops waiting. Only
objects a pull would create or update wait (never RED: it never syncs); they are the feed's
own, read by no other path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from sqlalchemy import delete, insert, select

from accord.kb import KnowledgeBase
from accord.store.schema import feed_waiting

_BATCH = 500


def load(kb: KnowledgeBase, feed: str) -> dict[str, tuple[dict[str, Any], str]]:
    """The objects waiting for a feed and why, by remote id in lower case. Read-only."""
    query = select(feed_waiting.c.remote_id, feed_waiting.c.object, feed_waiting.c.reason).where(
        feed_waiting.c.feed == feed
    )
    with kb.federation_tables() as conn:
        return {
            str(rid).lower(): (orjson.loads(obj), str(reason))
            for rid, obj, reason in conn.execute(query)
        }


def settle(
    kb: KnowledgeBase,
    feed: str,
    done: Iterable[str],
    new: Mapping[str, tuple[Mapping[str, Any], str]],
    now: dt.datetime,
) -> None:
    """Stop ``done`` waiting (placed, or replaced by a newer version) and make ``new`` (remote
    id → object and why it waits) wait, inside the page's transaction. Writes."""
    gone = list({*done, *new})
    with kb.federation_tables(write=True) as conn:
        for start in range(0, len(gone), _BATCH):
            conn.execute(
                delete(feed_waiting).where(
                    feed_waiting.c.feed == feed,
                    feed_waiting.c.remote_id.in_(gone[start : start + _BATCH]),
                )
            )
        if new:
            rows = [
                {
                    "feed": feed,
                    "remote_id": rid,
                    "object": orjson.dumps(obj).decode(),
                    "reason": reason[:500],
                    "since": now,
                }
                for rid, (obj, reason) in new.items()
            ]
            conn.execute(insert(feed_waiting), rows)
