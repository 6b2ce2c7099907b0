"""The feeds an instance subscribes to: add, list, find, remove, and their cursors.

A feed is a TAXII 2.1 collection (API root URL + collection id) pulled as one user of the
subscribing organisation (a reviewer: pulled records are that organisation's and arrive
published). Its cursor is where the next pull starts (``added_after``), plus, while a pull is
between pages, the remote's ``next`` token and the latest ``date_added`` seen; each is written
in the same transaction as the page of records it follows.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, insert, select, update

from accord import accounts
from accord.access import Viewer
from accord.errors import Conflict, InvalidInput, NotFound
from accord.federation import sealing
from accord.federation.remote import Credentials
from accord.kb import KnowledgeBase
from accord.store.schema import feed_waiting, feeds

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_COLLECTION = re.compile(r"^[A-Za-z0-9._~-]{1,128}$")


@dataclass(frozen=True)
class Cursor:
    """Where a pull stands: the committed ``added_after``, and mid-pull the ``next`` token and
    the latest ``date_added`` seen so far (STIX timestamps as text)."""

    added_after: str | None = None
    next_page: str | None = None
    high_water: str | None = None


@dataclass(frozen=True)
class Feed:
    """A subscription (the sealed token stays inside: see :func:`token_of`)."""

    name: str
    url: str
    collection: str
    org_id: str
    user_id: str
    user_email: str
    has_token: bool
    cursor: Cursor
    created_at: dt.datetime
    last_pull_at: dt.datetime | None
    every: int | None = None
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    last_tried_at: dt.datetime | None = None
    pulling: bool = False

    def to_json(self) -> dict[str, object]:
        """A JSON-ready view (never the token: only whether there is one)."""
        return {
            "name": self.name,
            "url": self.url,
            "collection": self.collection,
            "org": self.org_id,
            "user": self.user_email,
            "token": "set" if self.has_token else "none",
            "added_after": self.cursor.added_after,
            "mid_pull": self.cursor.next_page is not None,
            "created_at": self.created_at.isoformat(),
            "last_pull_at": self.last_pull_at.isoformat() if self.last_pull_at else None,
            "every": format_every(self.every),
            "every_seconds": self.every,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "last_tried_at": self.last_tried_at.isoformat() if self.last_tried_at else None,
            "pulling": self.pulling,
        }


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _feed(row: object) -> Feed:
    r = row._mapping  # type: ignore[attr-defined]
    return Feed(
        name=r["name"],
        url=r["url"],
        collection=r["collection"],
        org_id=r["org_id"],
        user_id=r["user_id"],
        user_email=r["user_email"],
        has_token=r["token_sealed"] is not None,
        cursor=Cursor(r["added_after"], r["next_page"], r["high_water"]),
        created_at=_utc(r["created_at"]) or dt.datetime.min,
        last_pull_at=_utc(r["last_pull_at"]),
        every=r["every_seconds"],
        last_error=r["last_error"],
        last_error_at=_utc(r["last_error_at"]),
        last_tried_at=_utc(r["last_tried_at"]),
        pulling=_leased(r["lease_owner"], _utc(r["lease_until"])),
    )


def _leased(owner: str | None, until: dt.datetime | None) -> bool:
    """Whether a pull holds the feed's lease now (wall clock, as :mod:`.lease`)."""
    return owner is not None and until is not None and until > dt.datetime.now(dt.UTC)


def check_url(url: str) -> str:
    """The API root URL, normalised to end with '/'; InvalidInput unless http(s) with a host."""
    parts = urlsplit(url)
    clean = url.isprintable() and " " not in url
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2000 or not clean:
        raise InvalidInput("the feed URL must be an http(s) TAXII 2.1 API root URL", field="url")
    return url if url.endswith("/") else url + "/"


def add(
    kb: KnowledgeBase,
    name: str,
    url: str,
    collection: str,
    *,
    user_email: str,
    token: str | None = None,
    basic: bool = False,
    every: int | None = None,
) -> Feed:
    """Subscribe to a collection, pulled as the given user (a reviewer of their organisation).
    The token (a bearer token, or ``user:password`` for HTTP Basic with ``basic``), if any, is
    sealed (:mod:`.sealing`); ``every`` (seconds) is how often ``accord serve --pull-feeds``
    pulls it (None: never in the background). Writes one feed row."""
    if not _NAME.match(name):
        raise InvalidInput(
            "a feed name is 1-64 lower-case letters, digits, '-' or '_'", field="name"
        )
    if not _COLLECTION.match(collection):
        raise InvalidInput(
            "a collection id is 1-128 letters, digits or '-', '_', '.', '~'", field="collection"
        )
    _check_every(every)
    if token is not None and not token.isprintable():
        raise InvalidInput("the token holds control characters or line breaks", field="token")
    user = accounts.find_user(kb, user_email, active_only=True)
    if not user.role.can_review:
        raise InvalidInput(
            "a feed pulls as a reviewer (or admin) of the subscribing organisation: pulled "
            "records are published and updated in its name",
            field="as",
        )
    sealed = sealing.seal(f"{'basic' if basic else 'bearer'} {token}", name) if token else None
    with kb.federation_tables(write=True) as conn:
        if conn.execute(select(feeds.c.name).where(feeds.c.name == name)).first():
            raise Conflict(f"a feed named '{name}' exists")
        conn.execute(
            insert(feeds).values(
                name=name,
                url=check_url(url),
                collection=collection,
                org_id=user.org_id,
                user_id=user.id,
                user_email=user.email,
                token_sealed=sealed,
                created_at=kb.now(),
                every_seconds=every,
            )
        )
    return get(kb, name)


#: Units of a pull interval (``--every 15m``).
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EVERY = re.compile(r"^([0-9]{1,6})([smhd])$")
#: The shortest and longest background pull intervals.
MIN_EVERY, MAX_EVERY = 1, 30 * 86400


def parse_every(text: str) -> int | None:
    """Seconds of an interval written ``30s``, ``15m``, ``6h`` or ``1d``; None for ``off``
    (never pulled in the background). InvalidInput otherwise. Pure."""
    if text.strip().lower() in ("off", "never", "none"):
        return None
    found = _EVERY.match(text.strip().lower())
    if not found:
        raise InvalidInput(
            "an interval is a number with s, m, h or d (e.g. 15m), or 'off'", field="every"
        )
    seconds = int(found.group(1)) * _UNITS[found.group(2)]
    _check_every(seconds)
    return seconds


def format_every(seconds: int | None) -> str | None:
    """An interval in the largest unit that divides it (``900`` → ``15m``). Pure."""
    if seconds is None:
        return None
    unit = next(u for u in "dhms" if seconds % _UNITS[u] == 0)
    return f"{seconds // _UNITS[unit]}{unit}"


def _check_every(seconds: int | None) -> None:
    if seconds is not None and not MIN_EVERY <= seconds <= MAX_EVERY:
        raise InvalidInput(
            f"an interval lies between {MIN_EVERY} s and {MAX_EVERY // 86400} days", field="every"
        )


def set_every(kb: KnowledgeBase, name: str, every: int | None) -> Feed:
    """Set how often the feed is pulled in the background (None: never). Writes."""
    _check_every(every)
    with kb.federation_tables(write=True) as conn:
        done = conn.execute(update(feeds).where(feeds.c.name == name).values(every_seconds=every))
    if done.rowcount == 0:
        raise NotFound(f"no feed named '{name}'")
    return get(kb, name)


def get(kb: KnowledgeBase, name: str) -> Feed:
    """One feed by name; NotFound when there is none. Read-only."""
    with kb.federation_tables() as conn:
        row = conn.execute(select(feeds).where(feeds.c.name == name)).first()
    if row is None:
        raise NotFound(f"no feed named '{name}'")
    return _feed(row)


def all_feeds(kb: KnowledgeBase) -> list[Feed]:
    """Every feed, by name. Read-only."""
    with kb.federation_tables() as conn:
        return [_feed(r) for r in conn.execute(select(feeds).order_by(feeds.c.name))]


def remove(kb: KnowledgeBase, name: str) -> None:
    """Unsubscribe (the records pulled stay, with their origin). Writes."""
    with kb.federation_tables(write=True) as conn:
        conn.execute(delete(feed_waiting).where(feed_waiting.c.feed == name))
        done = conn.execute(delete(feeds).where(feeds.c.name == name))
    if done.rowcount == 0:
        raise NotFound(f"no feed named '{name}'")


def credentials_of(kb: KnowledgeBase, feed: Feed) -> Credentials | None:
    """The feed's credentials, opened for sending (never to be shown). Read-only."""
    with kb.federation_tables() as conn:
        sealed = conn.execute(
            select(feeds.c.token_sealed).where(feeds.c.name == feed.name)
        ).scalar()
    if not sealed:
        return None
    scheme, _, secret = sealing.open_sealed(sealed, feed.name).partition(" ")
    return Credentials(scheme, secret)


def viewer_of(kb: KnowledgeBase, feed: Feed) -> Viewer:
    """The user a feed pulls as, who must still be an active reviewer. Read-only."""
    try:
        user = accounts.find_user(kb, feed.user_email, active_only=True)
    except NotFound:
        user = None
    if user is not None and user.id == feed.user_id and user.role.can_review:
        return user.viewer
    raise InvalidInput(
        f"feed '{feed.name}': its user is no longer an active reviewer of {feed.org_id}",
        field="as",
    )


def save_cursor(kb: KnowledgeBase, name: str, cursor: Cursor, *, finished: bool) -> None:
    """Write the cursor (inside the page's transaction). Writes."""
    values: dict[str, object] = {
        "added_after": cursor.added_after,
        "next_page": cursor.next_page,
        "high_water": cursor.high_water,
    }
    if finished:
        values["last_pull_at"] = kb.now()
    with kb.federation_tables(write=True) as conn:
        conn.execute(update(feeds).where(feeds.c.name == name).values(**values))
