"""/api/v1: the API's entry points (a page for browsers, JSON for API clients, chosen by the
Accept header), and /api/v1/docs: Swagger UI served from the installed package, so no page of
Accord asks any other host for a script, a style or a font."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from accord import __version__
from accord.access import ANONYMOUS, Viewer
from accord.web.error_pages import HTML, preferred
from accord.web.pages.templating import page

OPENAPI_URL = "/api/v1/openapi.json"
DOCS_URL = "/api/v1/docs"
SWAGGER_STATIC = "/static/swagger-ui"
TAXII_URL = "/taxii2/"
_METHODS = ("get", "post", "put", "patch", "delete")


def swagger_ui_dir() -> Path:
    """The directory of Swagger UI's files in the installed ``swagger-ui-bundle-v2`` package."""
    vendor = Path(str(resources.files("swagger_ui_bundle") / "vendor"))
    found = sorted(vendor.glob("swagger-ui-*"))
    if not found:
        raise RuntimeError(f"no Swagger UI under {vendor}: reinstall swagger-ui-bundle-v2")
    return found[-1]


def entry_points(app: FastAPI) -> list[dict[str, Any]]:
    """The API's operations from its OpenAPI document, grouped by tag in document order:
    ``[{"tag", "operations": [{"method", "path", "summary", "description"}]}]``. Pure."""
    groups: dict[str, list[dict[str, str]]] = {}
    for path, operations in app.openapi().get("paths", {}).items():
        for method in _METHODS:
            op = operations.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            description = (op.get("description") or "").strip().split("\n\n")[0]
            groups.setdefault(tag, []).append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": " ".join(description.split()),
                }
            )
    return [{"tag": tag, "operations": ops} for tag, ops in groups.items()]


def index_body(app: FastAPI) -> dict[str, Any]:
    """The JSON answer of GET /api/v1 for API clients."""
    return {
        "name": "Accord REST API",
        "version": __version__,
        "openapi": OPENAPI_URL,
        "docs": DOCS_URL,
        "taxii": TAXII_URL,
        "authentication": "Authorization: Bearer <token> (accord token create --user EMAIL)",
        "entry_points": entry_points(app),
    }


def build_router() -> APIRouter:
    """GET /api/v1 and GET /api/v1/docs (neither is an API operation of the OpenAPI document)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/api/v1")
    def api_index(request: Request) -> Response:
        body = index_body(request.app)
        if preferred(request.headers.get("accept"), "application/json") != HTML:
            return JSONResponse(body)
        user = request.scope.get("accord.session_user")
        viewer: Viewer = getattr(user, "viewer", ANONYMOUS)
        return page(request, "api_index.html", viewer=viewer, api=body)

    @router.get(DOCS_URL, response_class=HTMLResponse)
    def api_docs(request: Request) -> Response:
        user = request.scope.get("accord.session_user")
        viewer: Viewer = getattr(user, "viewer", ANONYMOUS)
        return page(
            request,
            "api_docs.html",
            viewer=viewer,
            openapi_url=OPENAPI_URL,
            swagger=SWAGGER_STATIC,
        )

    return router
