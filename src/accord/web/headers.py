"""Security headers on every response, errors included.

The pages load only their own scripts and styles (vendored htmx, Swagger UI from its package, no
inline script or style), so a strict Content-Security-Policy holds for every path, the
interactive API docs included.

:class:`SecurityHeaders` adds them to everything the app sends through its middleware. An
unexpected error's 500 is sent by Starlette's outermost error middleware instead, outside every
middleware the app adds, so its handler (:func:`accord.web.errors.install`) adds them with
:func:`add_security_headers`: both use :func:`security_headers`.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
_COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)


def security_headers(path: str) -> list[tuple[bytes, bytes]]:
    """The security headers (lower-case names) a response to ``path`` carries: the same for
    every path. Pure."""
    return [*_COMMON, (b"content-security-policy", CSP.encode())]


def add_security_headers(response: Response, path: str) -> Response:
    """Add the security headers the response does not set itself; returns it."""
    for name, value in security_headers(path):
        if name.decode() not in response.headers:
            response.headers[name.decode()] = value.decode()
    return response


class SecurityHeaders:
    """Add CSP, nosniff, referrer and framing headers unless the handler set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = security_headers(str(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                headers = MutableHeaders(scope=message)
                for name, value in extra:
                    if name.decode() not in headers:
                        headers.append(name.decode(), value.decode())
            await send(message)

        await self.app(scope, receive, send_with_headers)
