"""HTML error pages for browsers, the one JSON error shape for everyone else.

:func:`install` wraps the handlers :func:`accord.web.errors.install` registered: a request to a
page that prefers HTML gets the error page (status, message, never a stack trace), anything
else the JSON body unchanged. Under ``/api/`` and ``/taxii2/`` the answer is always JSON.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import Response

from accord.domain.inputs import field_of, message_of
from accord.errors import AccordError
from accord.web.headers import add_security_headers

MACHINE_PATHS = ("/api/", "/taxii2/", "/taxii2")
HTML = "text/html"
JSON = "application/json"

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def _quality(accept: str, media: str) -> float | None:
    """The q-value ``accept`` gives ``media`` by name (``type/*`` counts), None if unnamed."""
    best: float | None = None
    major = media.split("/")[0] + "/*"
    for part in accept.split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() not in (media, major):
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = q if best is None else max(best, q)
    return best


def preferred(accept: str | None, default: str) -> str:
    """``text/html`` or ``application/json``, whichever ``accept`` rates higher; ``default``
    when it names neither (``*/*``, or no header). Pure."""
    html, json = _quality(accept or "", HTML), _quality(accept or "", JSON)
    if html is None and json is None:
        return default
    return HTML if (html or 0.0) > (json or 0.0) else JSON


def wants_html(request: Request) -> bool:
    """Whether an error answers this request with a page: not an API or TAXII path, and an
    Accept header that does not prefer JSON."""
    if request.url.path.startswith(MACHINE_PATHS):
        return False
    return preferred(request.headers.get("accept"), HTML) == HTML


def error_page(request: Request, status: int, message: str, field: str | None = None) -> Response:
    """The HTML error page, with the security headers (a 500 is sent outside the middleware)."""
    from accord.web.pages.routing import render_error  # the pages import the web layer

    return add_security_headers(render_error(request, status, message, field), request.url.path)


def _message(exc: Exception) -> tuple[int, str, str | None]:
    """Status, message and field shown for an error; an unexpected one says nothing more."""
    if isinstance(exc, AccordError):
        return exc.status, exc.message, exc.field
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0]
        return 422, message_of(first), field_of(first, skip=("body", "query", "path")) or None
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail), None
    return 500, "an internal error occurred", None


def install(app: FastAPI) -> None:
    """Wrap the app's JSON error handlers (already installed) to answer browsers with pages."""
    for key, handler in list(app.exception_handlers.items()):
        app.exception_handlers[key] = _wrap(handler)


def _wrap(handler: Handler) -> Handler:
    async def answer(request: Request, exc: Any) -> Response:
        response = handler(request, exc)  # logs an unexpected error, whoever sees it
        if inspect.isawaitable(response):
            response = await response
        if not wants_html(request):
            return response
        status, message, field = _message(exc)
        page = error_page(request, status, message, field)
        for key in ("www-authenticate", "allow", "retry-after"):
            if key in response.headers:
                page.headers[key] = response.headers[key]
        return page

    return answer
