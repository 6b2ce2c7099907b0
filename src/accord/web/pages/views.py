"""The landscape, network and internet-governance views (read-only, from the analyses)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.web.deps import KB, CurrentViewer
from accord.web.pages import analyses
from accord.web.pages.routing import page_router
from accord.web.pages.templating import page


def build_router() -> APIRouter:
    """GET /landscape, /network (+ /network/graph, loaded by htmx) and /governance."""
    router = page_router()

    @router.get("/landscape", response_class=HTMLResponse)
    def landscape(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        return page(request, "landscape.html", viewer=viewer, **analyses.landscape(kb, viewer))

    @router.get("/network", response_class=HTMLResponse)
    def network(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        return page(request, "network.html", viewer=viewer, **analyses.network(kb, viewer))

    @router.get("/network/graph", response_class=HTMLResponse)
    def network_graph(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        return page(
            request, "network_graph.html", viewer=viewer, **analyses.network_graph(kb, viewer)
        )

    @router.get("/governance", response_class=HTMLResponse)
    def governance(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        return page(request, "governance.html", viewer=viewer, **analyses.governance(kb, viewer))

    return router
