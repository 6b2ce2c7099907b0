"""One JSON error shape for every error the web app returns: ``{"error": {code, message, ...}}``.

:func:`error_body` is the one place that builds it; the handlers installed by :func:`install`,
the session and body-size middlewares all answer through :func:`error_response`.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from accord.domain.inputs import field_of, message_of
from accord.errors import AccordError
from accord.web.headers import add_security_headers

log = logging.getLogger("accord.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
}


def error_body(
    code: str, message: str, *, record: str | None = None, field: str | None = None
) -> dict[str, Any]:
    """The one JSON error body: ``{"error": {"code", "message", "record"?, "field"?}}``. Pure."""
    detail: dict[str, str] = {"code": code, "message": message}
    if record:
        detail["record"] = record
    if field:
        detail["field"] = field
    return {"error": detail}


def error_response(
    status: int, code: str, message: str, field: str | None = None, *, record: str | None = None
) -> JSONResponse:
    """A JSON error response in Accord's one shape."""
    return JSONResponse(error_body(code, message, record=record, field=field), status_code=status)


def accord_error_response(exc: AccordError) -> JSONResponse:
    """The JSON error response of an Accord error: its status, code, message, record, field."""
    return error_response(exc.status, exc.code, exc.message, exc.field, record=exc.record)


def install(app: FastAPI) -> None:
    """Register the handlers that render every error in the one shape, never a stack trace."""

    @app.exception_handler(AccordError)
    async def _accord(_: Request, exc: AccordError) -> JSONResponse:
        return accord_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0]
        field = field_of(first, skip=("body", "query", "path")) or None
        return error_response(422, "invalid", message_of(first), field)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "error")
        response = error_response(exc.status_code, code, str(exc.detail))
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Sent by Starlette's outermost middleware, outside SecurityHeaders: add them here.
        log.exception("unexpected error", exc_info=exc)
        response = error_response(500, "internal", "an internal error occurred")
        return add_security_headers(response, request.url.path)
