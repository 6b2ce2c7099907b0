"""The page router's route class: Accord errors become HTML pages (not the API's JSON)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute

from accord.access import ANONYMOUS, Viewer
from accord.errors import AccordError
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
                return error_page(request, exc)

        return render_errors


def error_page(request: Request, exc: AccordError) -> Response:
    """The HTML error page: status, the error's message, never a stack trace."""
    user = request.scope.get("accord.session_user")
    viewer: Viewer = getattr(user, "viewer", ANONYMOUS)
    return page(
        request,
        "error.html",
        viewer=viewer,
        status_code=exc.status,
        error=exc,
    )


def page_router() -> APIRouter:
    """An APIRouter for pages: HTML errors, CSRF checked on every unsafe request."""
    return APIRouter(
        route_class=PageRoute, include_in_schema=False, dependencies=[Depends(check_csrf)]
    )
