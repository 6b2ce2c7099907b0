"""Corrections sent back to where a pulled record came from (the subscriber's side).

A contributor (or above) of the subscribing organisation who may see a pulled record proposes
a change to some of its fields. The corrected STIX object is built from the local record with
the change applied (:func:`accord.interop.stix_export.to_stix`), under the remote STIX id the
record was pulled from, ``modified`` later than the version pulled, and POSTed (TAXII 2.1 Add
Objects, with the feed's credentials) to the origin's writable collection: the feed's
collection when its token may write there, else the one collection of that API root the token
may write to (on an Accord origin, the token user's organisation's collection). The origin's
TAXII status id is kept, and listing the corrections reads each pending status again.

On an Accord origin the object becomes a correction proposal for the record owner's reviewers
(:mod:`.proposals`); nothing changes there until one accepts it. Nothing changes here either:
an accepted correction comes back with the next pull, as any remote update does.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import requests
from sqlalchemy import insert, select, update
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection, Status

from accord.access import Viewer
from accord.domain.inputs import parse_payload
from accord.errors import BadRequest, Forbidden, InvalidInput, NotFound, RemoteError
from accord.federation import feeds, origins
from accord.federation.remote import Credentials, _with_timeout
from accord.interop import stix_mapping as m
from accord.interop.stix_export import build_context, to_stix
from accord.kb import KnowledgeBase
from accord.store.correction_tables import feed_corrections
from accord.store.rows import as_utc

MAX_CHANGES = 50


@dataclass(frozen=True)
class Correction:
    """A correction sent to an origin and what the origin's TAXII status said last."""

    id: str
    feed: str
    record_id: str
    remote_id: str
    changes: dict[str, Any]
    outcome: str  # success | failure | pending
    message: str
    created_at: dt.datetime
    refreshed_at: dt.datetime
    #: Set when reading the status again failed just now (the last known outcome stands).
    refresh_error: str = ""

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready view."""
        return {
            "id": self.id,
            "feed": self.feed,
            "record": self.record_id,
            "remote_id": self.remote_id,
            "changes": self.changes,
            "outcome": self.outcome,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "refreshed_at": self.refreshed_at.isoformat(),
            "refresh_error": self.refresh_error or None,
        }


def _correction(r: Mapping[str, Any]) -> Correction:
    return Correction(
        r["id"],
        r["feed"],
        r["record_id"],
        r["remote_id"],
        orjson.loads(r["changes"]),
        r["outcome"],
        r["message"],
        as_utc(r["created_at"]),
        as_utc(r["refreshed_at"]),
    )


def propose(
    kb: KnowledgeBase, viewer: Viewer, record_id: str, changes: Mapping[str, Any]
) -> Correction:
    """Send a correction of a pulled record to its origin (see the module docstring). The
    viewer must be a contributor or above of the subscribing organisation and see the record.
    Reads the record, writes one row after the origin answered; RemoteError when the origin
    cannot be reached or refuses."""
    if viewer.role is None or not viewer.role.can_write or viewer.org_id is None:
        raise Forbidden("only contributors (or above) propose corrections")
    _check_changes(changes)
    record = kb.get(record_id, viewer)
    origin = origins.of_record(kb, record.id)
    if origin is None:
        raise InvalidInput(
            "the record was not pulled from a feed: correct it here", record=record.id
        )
    if origin.org_id != viewer.org_id:
        raise Forbidden(
            "only members of the organisation that pulled the record propose corrections",
            record=record.id,
        )
    feed = feeds.get(kb, origin.feed)
    dumped = record.data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = parse_payload(record.kind, {**dumped, **changes}, record.id)
    if data == record.data:
        raise InvalidInput("the correction changes nothing", record=record.id)
    now = kb.now()
    corrected = record.model_copy(update={"data": data, "updated_at": now})
    obj = to_stix(corrected, build_context(kb, viewer, [corrected]))
    obj["id"] = origin.remote_id
    obj["modified"] = m.timestamp(_after(now, origin.remote_modified))
    with _Origin(feed, feeds.credentials_of(kb, feed)) as remote:
        status, status_url = remote.add(obj)
    outcome, message = _outcome(status)
    row = {
        "id": str(uuid.uuid4()),
        "feed": feed.name,
        "org_id": viewer.org_id,
        "user_id": viewer.user_id,
        "record_id": record.id,
        "remote_id": origin.remote_id,
        "status_url": status_url[:2300],
        "status_id": str(status.get("id", ""))[:300],
        "changes": orjson.dumps(dict(changes)).decode(),
        "outcome": outcome,
        "message": message,
        "created_at": now,
        "refreshed_at": now,
    }
    with kb.federation_tables(write=True) as conn:
        conn.execute(insert(feed_corrections).values(**row))
    return _correction(row)


def _check_changes(changes: Mapping[str, Any]) -> None:
    if not changes:
        raise InvalidInput("name at least one field to change", field="changes")
    if len(changes) > MAX_CHANGES:
        raise InvalidInput(f"at most {MAX_CHANGES} fields at once", field="changes")
    for name in changes:
        if not isinstance(name, str) or name == "extra":
            raise InvalidInput(f"'{str(name)[:60]}' is not a field to correct", field="changes")


def _after(now: dt.datetime, remote_modified: str) -> dt.datetime:
    """A ``modified`` later than the version pulled (the origin's clock may be ahead)."""
    try:
        pulled = m.parse_timestamp(remote_modified)
    except ValueError:
        return now
    return max(now, pulled + dt.timedelta(milliseconds=1))


def _outcome(status: Mapping[str, Any]) -> tuple[str, str]:
    """The outcome of the one object a correction posts, and the origin's message."""
    for outcome, key in (
        ("failure", "failures"),
        ("success", "successes"),
        ("pending", "pendings"),
    ):
        details = status.get(key) or []
        if details and isinstance(details[0], Mapping):
            return outcome, str(details[0].get("message") or "")[:1000]
    if status.get("failure_count"):
        return "failure", ""
    if status.get("success_count"):
        return "success", ""
    return "pending", ""


def corrections(kb: KnowledgeBase, viewer: Viewer, *, refresh: bool = True) -> list[Correction]:
    """The corrections the viewer's organisation sent, of records the viewer may see, newest
    first; with ``refresh``, each still pending reads its status from the origin again (and is
    updated when it changed). Reads the network; writes the statuses read."""
    if viewer.org_id is None:
        return []
    with kb.federation_tables() as conn:
        rows = conn.execute(
            select(feed_corrections)
            .where(feed_corrections.c.org_id == viewer.org_id)
            .order_by(feed_corrections.c.created_at.desc())
        ).all()
    seen = kb.visible_ids({r._mapping["record_id"] for r in rows}, viewer)
    out = []
    for row in rows:
        found = _correction(row._mapping)
        if found.record_id not in seen:
            continue
        if refresh and found.outcome == "pending":
            found = _refresh(kb, found, row._mapping["status_url"])
        out.append(found)
    return out


def _refresh(kb: KnowledgeBase, found: Correction, status_url: str) -> Correction:
    try:
        feed = feeds.get(kb, found.feed)
        with _Origin(feed, feeds.credentials_of(kb, feed)) as remote:
            status = remote.status(status_url)
    except (BadRequest, NotFound) as exc:  # unreachable, refused, feed or key gone
        return Correction(**{**found.__dict__, "refresh_error": str(exc)})
    outcome, message = _outcome(status)
    now = kb.now()
    with kb.federation_tables(write=True) as conn:
        conn.execute(
            update(feed_corrections)
            .where(feed_corrections.c.id == found.id)
            .values(outcome=outcome, message=message, refreshed_at=now)
        )
    return Correction(
        **{**found.__dict__, "outcome": outcome, "message": message, "refreshed_at": now}
    )


class _Origin:
    """The origin's TAXII API root, as the feed's credentials (taxii2-client)."""

    def __init__(self, feed: feeds.Feed, credentials: Credentials | None) -> None:
        self.feed = feed
        self.conn = _HTTPConnection(version="2.1", auth=credentials.auth() if credentials else None)
        self.conn.session.request = _with_timeout(self.conn.session.request)

    def __enter__(self) -> _Origin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.close()

    def _fail(self, exc: Exception) -> RemoteError:
        if isinstance(exc, requests.HTTPError) and exc.response is not None:
            said = ""
            try:
                body = exc.response.json()
                said = (
                    f": {str(body.get('description', ''))[:300]}" if isinstance(body, dict) else ""
                )
            except ValueError:
                pass
            return RemoteError(
                f"feed '{self.feed.name}': the origin answered HTTP "
                f"{exc.response.status_code}{said}"
            )
        return RemoteError(
            f"feed '{self.feed.name}': cannot reach the origin ({type(exc).__name__})"
        )

    def _writable(self) -> Collection:
        """The feed's collection if the token may write there, else the one writable collection
        of the API root."""
        own = Collection(f"{self.feed.url}collections/{self.feed.collection}/", conn=self.conn)
        if own.can_write:
            return own
        root = ApiRoot(self.feed.url, conn=self.conn)
        writable = [c for c in root.collections if c.can_write]
        if len(writable) != 1:
            raise RemoteError(
                f"feed '{self.feed.name}': the origin offers "
                f"{'no' if not writable else 'more than one'} collection its token may write to"
            )
        return writable[0]

    def add(self, obj: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """POST the object; the origin's status resource and its URL. Writes at the origin."""
        try:
            collection = self._writable()
            status = collection.add_objects({"objects": [obj]}, wait_for_completion=False)
        except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
            raise self._fail(exc) from exc
        return _status_body(status), str(status.url)

    def status(self, url: str) -> dict[str, Any]:
        """The origin's status resource at ``url``. Reads the network only."""
        try:
            status = Status(url, conn=self.conn)
        except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
            raise self._fail(exc) from exc
        return _status_body(status)


def _status_body(status: Status) -> dict[str, Any]:
    return {
        "id": status.id,
        "status": status.status,
        "success_count": status.success_count,
        "failure_count": status.failure_count,
        "pending_count": status.pending_count,
        "successes": status.successes,
        "failures": status.failures,
        "pendings": status.pendings,
    }
