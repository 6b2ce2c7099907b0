"""The page router's route class: Accord errors become HTML pages for browsers (JSON for a
client that asks for it)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from accord.access import ANONYMOUS, Viewer
from accord.errors import AccordError
from accord.web.error_pages import wants_html
from accord.web.pages.templating import page
from accord.web.session import check_csrf


class PageRoute(APIRoute):
    """A route whose Accord errors render the error page with their status and message."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def render_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except AccordError as exc:
                if not wants_html(request):
                    raise  # the JSON error handler answers a client that asked for JSON
                return error_page(request, exc)

        return render_errors


def error_page(request: Request, exc: AccordError) -> Response:
    """The HTML error page of an Accord error: its status and message, never a stack trace."""
    return render_error(request, exc.status, exc.message, exc.field)


def render_error(request: Request, status: int, message: str, field: str | None = None) -> Response:
    """The HTML error page: a heading for the status, the message and what to do next."""
    user = request.scope.get("accord.session_user")
    viewer: Viewer = getattr(user, "viewer", ANONYMOUS)
    return page(
        request,
        "error.html",
        viewer=viewer,
        status_code=status,
        status=status,
        message=message,
        field=field,
    )


def page_router() -> APIRouter:
    """An APIRouter for pages: HTML errors, CSRF checked on every unsafe request."""
    return APIRouter(
        route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)]
    )
