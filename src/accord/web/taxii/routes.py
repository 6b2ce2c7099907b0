"""TAXII 2.1 endpoints (thin: parse → library → TAXII envelope)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from accord.domain.records import Record
from accord.errors import BadRequest, NotFound
from accord.interop import stix_feed
from accord.interop import stix_mapping as m
from accord.web.deps import KB, CurrentViewer
from accord.web.taxii import meta, writes
from accord.web.taxii.collections import collections_for, find
from accord.web.taxii.media import (
    TAXII,
    require_accept,
    taxii_bytes,
    taxii_response,
)

ROOT = "accord"


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def query_of(
    limit: Annotated[int, Query(ge=1, le=stix_feed.MAX_LIMIT)] = 100,
    next: Annotated[str | None, Query()] = None,
    added_after: Annotated[str | None, Query()] = None,
    match_id: Annotated[str | None, Query(alias="match[id]")] = None,
    match_type: Annotated[str | None, Query(alias="match[type]")] = None,
    match_version: Annotated[str | None, Query(alias="match[version]")] = None,
    match_spec_version: Annotated[str | None, Query(alias="match[spec_version]")] = None,
) -> stix_feed.Query:
    """The TAXII filter parameters of a request."""
    after = None
    if added_after:
        try:
            after = m.parse_timestamp(added_after)
        except ValueError as exc:
            raise BadRequest(f"added_after: {exc}") from exc
    return stix_feed.Query(
        limit=limit,
        next=next,
        added_after=after,
        ids=_csv(match_id),
        types=_csv(match_type),
        versions=_csv(match_version) or ("last",),
        spec_versions=_csv(match_spec_version),
    )


Filters = Annotated[stix_feed.Query, Depends(query_of)]


def _headers(entries: list[stix_feed.Entry]) -> dict[str, str]:
    if not entries:
        return {}
    added = [e.date_added for e in entries]
    return {
        "X-TAXII-Date-Added-First": m.timestamp(min(added)),
        "X-TAXII-Date-Added-Last": m.timestamp(max(added)),
    }


def _envelope(page: stix_feed.Page) -> bytes:
    """The TAXII envelope as JSON, the objects' bytes joined into it as they are."""
    head: dict[str, Any] = {"more": page.next is not None}
    if page.next:
        head["next"] = page.next
    if not page.entries:
        return orjson.dumps(head)
    objects = b",".join(e.raw for e in page.entries)
    return orjson.dumps(head)[:-1] + b',"objects":[' + objects + b"]}"


def _root(api_root: str) -> None:
    if api_root != ROOT:
        raise NotFound("no such API root")


def build_router() -> APIRouter:
    """The TAXII 2.1 routes (discovery, API root, collections, objects, manifest, status)."""
    router = APIRouter(dependencies=[Depends(require_accept)])

    @router.get("/")
    def discovery(request: Request) -> Response:
        root = str(request.url.replace(query="")).rstrip("/") + f"/{ROOT}/"
        return taxii_response(
            {
                "title": "Accord TAXII 2.1",
                "description": "State behaviour in cyberspace, shared under TLP 2.0.",
                "default": root,
                "api_roots": [root],
            }
        )

    @router.get("/{api_root}/")
    def api_root(api_root: str, request: Request) -> Response:
        _root(api_root)
        return taxii_response(
            {
                "title": "Accord",
                "versions": [TAXII],
                "max_content_length": request.app.state.settings.max_body_bytes,
            }
        )

    @router.get("/{api_root}/collections/")
    def list_collections(api_root: str, viewer: CurrentViewer) -> Response:
        _root(api_root)
        return taxii_response({"collections": [c.resource() for c in collections_for(viewer)]})

    @router.get("/{api_root}/collections/{collection_id}/")
    def get_collection(api_root: str, collection_id: str, viewer: CurrentViewer) -> Response:
        _root(api_root)
        return taxii_response(find(viewer, collection_id).resource())

    @router.get("/{api_root}/collections/{collection_id}/objects/")
    def get_objects(
        api_root: str, collection_id: str, kb: KB, viewer: CurrentViewer, query: Filters
    ) -> Response:
        _root(api_root)
        page = meta.page(kb, viewer, find(viewer, collection_id).scope, query)
        return taxii_bytes(_envelope(page), headers=_headers(page.entries))

    @router.get("/{api_root}/collections/{collection_id}/manifest/")
    def get_manifest(
        api_root: str, collection_id: str, kb: KB, viewer: CurrentViewer, query: Filters
    ) -> Response:
        _root(api_root)
        page = meta.page(kb, viewer, find(viewer, collection_id).scope, query)
        body: dict[str, Any] = {"more": page.next is not None}
        if page.next:
            body["next"] = page.next
        if page.entries:
            body["objects"] = [
                {
                    "id": e.object["id"],
                    "date_added": m.timestamp(e.date_added),
                    "version": meta.version(e.object),
                    "media_type": "application/stix+json;version=2.1",
                }
                for e in page.entries
            ]
        return taxii_response(body, headers=_headers(page.entries))

    @router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/")
    def get_object(
        api_root: str,
        collection_id: str,
        object_id: str,
        kb: KB,
        viewer: CurrentViewer,
        query: Filters,
    ) -> Response:
        _root(api_root)
        scope = find(viewer, collection_id).scope
        one = stix_feed.Query(
            limit=query.limit,
            next=query.next,
            ids=(object_id,),
            versions=query.versions,
            spec_versions=query.spec_versions,
            added_after=query.added_after,
        )
        page = meta.page(kb, viewer, scope, one)
        if not page.entries and not query.next:
            raise NotFound("no such object in this collection")
        return taxii_bytes(_envelope(page), headers=_headers(page.entries))

    @router.get("/{api_root}/collections/{collection_id}/objects/{object_id}/versions/")
    def get_versions(
        api_root: str, collection_id: str, object_id: str, kb: KB, viewer: CurrentViewer
    ) -> Response:
        _root(api_root)
        scope = find(viewer, collection_id).scope
        page = meta.page(kb, viewer, scope, stix_feed.Query(ids=(object_id,)))
        if not page.entries:
            raise NotFound("no such object in this collection")
        first = page.entries[0]
        if meta.is_meta(first.object):
            entries = [first]
        else:
            record_id = first.object["extensions"][m.PROPS_EXT]["record_id"]
            entries = stix_feed.versions(kb, viewer, _current(kb, viewer, record_id))
        return taxii_response(
            {"more": False, "versions": [meta.version(e.object) for e in entries]},
            headers=_headers(entries),
        )

    writes.register(router, ROOT)
    return router


def _current(kb: KB, viewer: Any, record_id: str) -> Record:
    """The record, or the withdrawn revision of one whose tombstone the viewer may see (its
    versions end with the revoked one). Read-only."""
    try:
        return kb.get(record_id, viewer)
    except NotFound:
        tombstone = kb.tombstone(record_id, viewer)
        if tombstone is None:
            raise
        return tombstone.record
