"""TAXII 2.1 media types, content negotiation and the TAXII error-message shape."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from accord.errors import AccordError, NotAcceptable, UnsupportedMediaType

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
log = logging.getLogger("accord.taxii")


def _media(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = (part.strip() for part in value.split(";"))
    pairs = (p.partition("=") for p in params)
    return kind.lower(), {k.strip().lower(): v.strip() for k, _, v in pairs}


def is_taxii(value: str | None) -> bool:
    """Whether a media type (or any of an Accept list) is TAXII 2.1."""
    for item in (value or "").split(","):
        kind, params = _media(item)
        if kind == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return True
    return False


def require_accept(request: Request) -> None:
    """406 unless the client accepts ``application/taxii+json;version=2.1``."""
    if not is_taxii(request.headers.get("accept")):
        raise NotAcceptable(f"send 'Accept: {TAXII}'")


def require_content_type(request: Request) -> None:
    """415 unless the body is ``application/taxii+json;version=2.1``."""
    if not is_taxii(request.headers.get("content-type")):
        raise UnsupportedMediaType(f"send 'Content-Type: {TAXII}'")


def taxii_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A TAXII JSON response with the exact media type."""
    return Response(orjson.dumps(body), status_code=status, media_type=TAXII, headers=headers)


def taxii_bytes(body: bytes, headers: dict[str, str] | None = None) -> Response:
    """A 200 TAXII response whose JSON body is already serialised."""
    return Response(body, media_type=TAXII, headers=headers)


def error(status: int, title: str, description: str) -> Response:
    """A TAXII error message (title, description, http_status as a string)."""
    body = {"title": title, "description": description, "http_status": str(status)}
    return taxii_response(body, status)


def install(app: FastAPI) -> None:
    """Render every error on /taxii2/ as a TAXII error message, never a stack trace."""

    @app.exception_handler(AccordError)
    async def _accord(_: Request, exc: AccordError) -> Response:
        return error(exc.status, exc.code.replace("_", " "), str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error(400, "bad request", f"{where}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> Response:
        return error(exc.status_code, "error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error", exc_info=exc)
        return error(500, "internal", "an internal error occurred")
