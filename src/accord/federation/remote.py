"""One page of a remote TAXII 2.1 collection, read with taxii2-client.

taxii2-client returns a page's JSON but not its headers, so a response hook on its session
keeps the last response's ``X-TAXII-Date-Added-Last`` (the cursor of an incremental pull).
Foreign errors (network, HTTP, JSON) become :class:`RemoteError` naming the feed, never a
stack trace; a ``next`` token the server no longer knows (it expired, or the server
restarted) is :class:`StaleNext`, and the pull starts again from its committed cursor.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import Collection

from accord.errors import RemoteError, StaleNext

#: Objects asked for per page (a server may send fewer).
PAGE = 1_000
TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: a bearer token, or HTTP Basic ``user:password``."""

    scheme: str  # "bearer" | "basic"
    secret: str

    def auth(self) -> requests.auth.AuthBase:
        """A requests auth object for the scheme."""
        if self.scheme == "basic":
            user, _, password = self.secret.partition(":")
            return requests.auth.HTTPBasicAuth(user, password)
        return _Bearer(self.secret)


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


@dataclass(frozen=True)
class RemotePage:
    """A page: its objects, whether more follow, the ``next`` token and the page's last
    ``date_added`` (the ``X-TAXII-Date-Added-Last`` header, when the server sends it)."""

    objects: list[dict[str, Any]]
    more: bool
    next: str | None
    added_last: str | None


class Remote:
    """A remote collection (``<API root>collections/<id>/``) read as given credentials."""

    def __init__(
        self, api_root: str, collection: str, credentials: Credentials | None, *, feed: str
    ) -> None:
        self.feed = feed
        self.url = f"{api_root}collections/{collection}/"
        auth = credentials.auth() if credentials else None
        self._collection = Collection(self.url, auth=auth)
        self._last: dict[str, str] = {}
        session = self._collection._conn.session  # taxii2-client keeps its requests session here
        session.hooks["response"].append(self._keep_headers)
        session.request = _with_timeout(session.request)

    def _keep_headers(self, response: requests.Response, *_: Any, **__: Any) -> None:
        self._last = dict(response.headers)

    def page(
        self, added_after: str | None, next_token: str | None, limit: int = PAGE
    ) -> RemotePage:
        """Read one page (objects added after ``added_after``, from ``next_token``). Reads the
        network only."""
        kwargs: dict[str, Any] = {"limit": limit}
        if added_after:
            kwargs["added_after"] = added_after
        if next_token:
            kwargs["next"] = next_token
        try:
            body = self._collection.get_objects(**kwargs)
        except requests.HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else 0
            if next_token and status in (400, 404, 410):
                raise StaleNext(f"feed '{self.feed}': the server refused its next token") from exc
            raise RemoteError(f"feed '{self.feed}': the server answered HTTP {status}") from exc
        except (requests.RequestException, TAXIIServiceException, ValueError) as exc:
            raise RemoteError(
                f"feed '{self.feed}': cannot read {self.url} ({type(exc).__name__})"
            ) from exc
        if not isinstance(body, dict):
            raise RemoteError(f"feed '{self.feed}': the server did not send a TAXII envelope")
        objects = [o for o in body.get("objects") or () if isinstance(o, dict)]
        headers = {k.lower(): v for k, v in self._last.items()}
        more = bool(body.get("more"))
        next_value = body.get("next")
        return RemotePage(
            objects,
            more,
            str(next_value) if more and next_value else None,
            headers.get("x-taxii-date-added-last"),
        )

    def close(self) -> None:
        """Release the HTTP session."""
        self._collection.close()


def _with_timeout(request: Any) -> Any:
    def send(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        return request(*args, **kwargs)

    return send
