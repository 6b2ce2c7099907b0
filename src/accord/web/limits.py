"""ASGI middleware that guards what a request carries before any route sees it.

- :class:`BodySizeLimit`: a body over the configured size is refused with 413, whether it
  declares its length (Content-Length) or streams it in chunks.
- :class:`RequestText`: a control character (:mod:`accord.domain.text`) in the path is a 404
  (no resource can be named so), in a query parameter or a url-encoded form field a 422 naming
  the parameter, so no route, page or TAXII endpoint hands such text to the database.

Both answer in the project's JSON error shape on every route.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.domain.text import forbidden, visible, why
from accord.web.errors import error_response
from accord.web.taxii.media import error as taxii_error

#: Where the TAXII server is mounted (accord.web.app).
TAXII_PREFIX = "/taxii2/"

_FORM = b"application/x-www-form-urlencoded"


class BodySizeLimit:
    """Reject bodies larger than ``max_bytes`` with 413: by Content-Length before reading, or
    while reading a chunked body, which is read whole (at most ``max_bytes``) before the app
    runs, so a route never sees a cut body and no parser turns the refusal into a 400."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(b"".join(chunks), receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the body exceeds {self.max_bytes} bytes"
        response = (
            taxii_error(413, "too large", message)  # TAXII clients get TAXII's error shape
            if str(scope.get("path", "")).startswith(TAXII_PREFIX)
            else error_response(413, "too_large", message)
        )
        await response(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    return dict(scope.get("headers", [])).get(name)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body read so far as one message, then the client's own."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


class RequestText:
    """Refuse control characters in the path (404), the query string and url-encoded form
    bodies (422 naming the parameter). Form fields may hold line breaks (text areas); record
    fields are then checked by their own, stricter rule when the record is validated. Runs
    inside :class:`BodySizeLimit`, so a form body it reads is already bounded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if (char := forbidden(str(scope.get("path", "")))) is not None:
            response = error_response(404, "not_found", f"no such resource: the path {why(char)}")
            await response(scope, receive, send)
            return
        problem = _problem(bytes(scope.get("query_string", b"")), multiline=False)
        content_type = (_header(scope, b"content-type") or b"").split(b";")[0].strip().lower()
        if problem is None and content_type == _FORM:
            body = await _read(receive)
            problem = _problem(body, multiline=True)
            receive = _replay(body, receive)
        if problem is not None:
            field, message = problem
            await error_response(422, "invalid", message, field)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _problem(encoded: bytes, *, multiline: bool) -> tuple[str, str] | None:
    """The first (parameter, message) of url-encoded pairs that holds a refused character,
    decoded as Starlette decodes them."""
    for name, value in parse_qsl(encoded.decode("latin-1"), keep_blank_values=True):
        if (char := forbidden(name)) is not None:
            return visible(name), f"a parameter name {why(char)}"
        if (char := forbidden(value, multiline=multiline)) is not None:
            return visible(name), why(char)
    return None


async def _read(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)
