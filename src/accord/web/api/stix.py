"""REST export of everything the caller may see as one STIX 2.1 bundle (streamed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from accord.interop.stix_export import iter_bundle
from accord.web.deps import KB, CurrentViewer


def build_router() -> APIRouter:
    """GET /export/stix."""
    router = APIRouter(tags=["export"])

    @router.get("/export/stix", response_class=StreamingResponse)
    def export_stix(kb: KB, viewer: CurrentViewer) -> StreamingResponse:
        """Every record the caller may see, as a STIX 2.1 bundle."""
        return StreamingResponse(
            iter_bundle(kb, viewer), media_type="application/stix+json;version=2.1"
        )

    return router
