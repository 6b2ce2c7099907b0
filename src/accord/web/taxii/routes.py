"""TAXII 2.1 endpoints (thin: parse → library → TAXII envelope)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import OrderedDict
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from accord.domain.records import Record
from accord.errors import BadRequest, Forbidden, InvalidInput, NotFound
from accord.interop import stix_convert, stix_feed
from accord.interop import stix_mapping as m
from accord.interop.stix_import import ObjectSource, import_objects
from accord.web.deps import KB, CurrentViewer
from accord.web.taxii import meta
from accord.web.taxii.collections import Collection, collections_for, find
from accord.web.taxii.media import (
    TAXII,
    require_accept,
    require_content_type,
    taxii_response,
)

ROOT = "accord"
MAX_STATUSES = 1_000


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
    added = sorted(e.date_added for e in entries)
    return {
        "X-TAXII-Date-Added-First": m.timestamp(added[0]),
        "X-TAXII-Date-Added-Last": m.timestamp(added[-1]),
    }


def _envelope(page: stix_feed.Page) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.next is not None}
    if page.next:
        body["next"] = page.next
    if page.entries:
        body["objects"] = [e.object for e in page.entries]
    return body


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
        return taxii_response(_envelope(page), headers=_headers(page.entries))

    @router.get("/{api_root}/collections/{collection_id}/manifest/")
    def get_manifest(
        api_root: str, collection_id: str, kb: KB, viewer: CurrentViewer, query: Filters
    ) -> Response:
        _root(api_root)
        page = meta.page(kb, viewer, find(viewer, collection_id).scope, query)
        body = _envelope(page)
        body.pop("objects", None)
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
        return taxii_response(_envelope(page), headers=_headers(page.entries))

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
        try:
            envelope = orjson.loads(await request.body())
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the body is not JSON: {exc}") from exc
        objects = envelope.get("objects") if isinstance(envelope, dict) else None
        if not isinstance(objects, list):
            raise InvalidInput(
                "the body must be a TAXII envelope with an 'objects' array", field="objects"
            )
        status = _add(kb, viewer, collection, objects)
        statuses: OrderedDict[str, tuple[str | None, dict[str, Any]]]
        statuses = request.app.state.taxii_statuses
        statuses[status["id"]] = (viewer.user_id, status)
        while len(statuses) > MAX_STATUSES:
            statuses.popitem(last=False)
        return taxii_response(status, status=202)

    @router.get("/{api_root}/status/{status_id}/")
    def get_status(
        api_root: str, status_id: str, request: Request, viewer: CurrentViewer
    ) -> Response:
        _root(api_root)
        owner, status = request.app.state.taxii_statuses.get(status_id, (None, None))
        if status is None or owner != viewer.user_id:
            raise NotFound("no such status")
        return taxii_response(status)

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


def _add(kb: KB, viewer: Any, collection: Collection, objects: list[Any]) -> dict[str, Any]:
    """Import posted objects (each valid one is written; the rest are failures). Writes."""
    source = ObjectSource(f"taxii-{collection.key}", None, lambda: iter(objects))
    report = import_objects(
        kb, source, viewer, skip_invalid=True, default_marking=collection.default_marking
    )
    failed = {p.where: p.reason for p in report.invalid}
    failed.update(
        {p.where: p.reason for p in report.notes if p.reason.startswith(_NOT_STORED_NOTES)}
    )
    successes, failures = [], []
    for obj in objects:
        oid = obj.get("id") if isinstance(obj, dict) else None
        entry = {"id": str(oid), "version": str(obj.get("modified", ""))} if oid else None
        if entry is None:
            continue
        reason = failed.get(str(oid)) or _skip_reason(obj)
        if reason or not report.written:
            failures.append({**entry, "message": reason or "not written"})
        else:
            successes.append(entry)
    return {
        "id": str(uuid.uuid4()),
        "status": "complete",
        "request_timestamp": m.timestamp(dt.datetime.now(dt.UTC)),
        "total_count": len(successes) + len(failures),
        "success_count": len(successes),
        "successes": successes,
        "failure_count": len(failures),
        "failures": failures,
        "pending_count": 0,
    }


#: The notes of an import that mean an object was not stored (a missing end; a revoked object
#: whose record the poster may not withdraw).
_NOT_STORED_NOTES = ("left out", "not withdrawn")


def _skip_reason(obj: dict[str, Any]) -> str | None:
    try:
        stix_convert.plan(obj)
    except stix_convert.Skip as skip:
        return f"not stored: {skip}"
    except (stix_convert.Invalid, KeyError, TypeError) as exc:
        return f"invalid: {exc}"
    return None
