"""REST export of everything the caller may see as one STIX 2.1 bundle (streamed)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, StreamingResponse

from accord.interop.stix_export import iter_bundle
from accord.web.api.models import (
    BEARER,
    STIX_MEDIA_TYPE,
    StixBundle,
    errors,
    token_optional,
)
from accord.web.deps import KB, CurrentViewer


class StixResponse(StreamingResponse, JSONResponse):
    """A STIX 2.1 bundle, streamed. Streamed on the wire (StreamingResponse comes first in the
    MRO); also a JSONResponse because FastAPI documents a response model only for those."""

    media_type = STIX_MEDIA_TYPE


def build_router() -> APIRouter:
    """GET /export/stix."""
    router = APIRouter(
        tags=["export"],
        dependencies=[Depends(BEARER)],
        responses=errors(401, 422, 503, by_ref=True),
    )

    @router.get(
        "/export/stix",
        response_class=StixResponse,
        response_model=StixBundle,
    )
    def export_stix(kb: KB, viewer: CurrentViewer) -> StixResponse:
        """Every record the caller may see, as a STIX 2.1 bundle."""
        return StixResponse(iter_bundle(kb, viewer))

    return token_optional(router)
