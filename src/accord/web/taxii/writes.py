"""TAXII 2.1 writes: Add Objects (``POST {api_root}/collections/{id}/objects/``, spec 5.5)
and Get Status (``GET {api_root}/status/{status_id}/``, spec 4.3). Thin: parse the envelope,
hand it to :mod:`accord.federation.proposals`, answer its status resource.

Only the poster's own organisation's collection is writable (``can_write`` is true there for
contributors and above, false for everyone else); objects naming a record the poster may see
become correction proposals for that record's reviewers, others new drafts of the poster's
organisation (docs/federation.md, "Corrections"). Bodies are bounded by the app's body-size
limit and :data:`accord.federation.proposals.MAX_OBJECTS`; every error is a TAXII error
message, never a stack trace.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from accord.errors import BadRequest, Forbidden, InvalidInput, NotFound
from accord.federation import proposals, statuses
from accord.web.deps import KB, CurrentViewer
from accord.web.taxii.collections import find
from accord.web.taxii.media import require_content_type, taxii_response


def register(router: APIRouter, root: str) -> None:
    """Add the write routes to the TAXII router (whose API root is ``root``)."""

    def _root(api_root: str) -> None:
        if api_root != root:
            raise NotFound("no such API root")

    @router.post(
        "/{api_root}/collections/{collection_id}/objects/",
        dependencies=[Depends(require_content_type)],
    )
    async def add_objects(
        api_root: str, collection_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        _root(api_root)
        collection = find(viewer, collection_id)
        if not collection.can_write:
            raise Forbidden("you may not add objects to this collection")
        objects = _objects(await request.body())
        target = proposals.Target(collection.key, collection.default_marking)
        return taxii_response(proposals.receive(kb, viewer, target, objects), status=202)

    @router.get("/{api_root}/status/{status_id}/")
    def get_status(api_root: str, status_id: str, kb: KB, viewer: CurrentViewer) -> Response:
        _root(api_root)
        return taxii_response(statuses.resource(kb, viewer, status_id))


def _objects(body: bytes) -> list[Any]:
    """The ``objects`` of a TAXII envelope; BadRequest/InvalidInput for anything else."""
    try:
        envelope = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the body is not JSON: {exc}") from exc
    objects = envelope.get("objects") if isinstance(envelope, dict) else None
    if not isinstance(objects, list):
        raise InvalidInput(
            "the body must be a TAXII envelope with an 'objects' array", field="objects"
        )
    return objects
