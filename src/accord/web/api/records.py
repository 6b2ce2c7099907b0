"""REST resources for every record kind at plural paths under /api/v1 (thin over the library)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.domain.records import RecordId, Source
from accord.domain.text import Line
from accord.domain.vocab import Kind, Marking, Status
from accord.kb import MAX_PAGE
from accord.web.deps import KB, CurrentViewer

PLURALS: dict[Kind, str] = {
    Kind.ACTOR: "actors",
    Kind.INCIDENT: "incidents",
    Kind.CLAIM: "claims",
    Kind.RESPONSE: "responses",
    Kind.NORM: "norms",
    Kind.INITIATIVE: "initiatives",
    Kind.PARTICIPATION: "participations",
    Kind.ASSESSMENT: "assessments",
    Kind.EVIDENCE: "evidence",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateBody(_Body):
    """A new record: payload fields in ``data``, at least one source, and its sharing."""

    id: RecordId | None = Field(
        default=None,
        description="In your organisation's namespace: '<organisation id>.<name>' (curators: no "
        "dot). Left out, one is assigned.",
    )
    data: dict[str, Any]
    sources: list[Source] = Field(default_factory=list)
    marking: Marking = Marking.CLEAR
    status: Status = Field(
        default=Status.PUBLISHED,
        description="Honoured for reviewers of your organisation only: anyone else's new record "
        "is a draft until a reviewer publishes it.",
    )
    shares: list[RecordId] = Field(default_factory=list)
    readers: list[Line] = Field(default_factory=list)


class UpdateBody(_Body):
    """A patch: payload fields to change and/or new sources, optionally guarded by revision."""

    data: dict[str, Any] | None = None
    sources: list[Source] | None = None
    expected_revision: int | None = None


class MarkingBody(_Body):
    """A new TLP marking."""

    marking: Marking


class SharingBody(_Body):
    """A new AMBER share list and/or RED named readers."""

    shares: list[RecordId] | None = None
    readers: list[Line] | None = None


Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]


def _register(router: APIRouter, kind: Kind, plural: str) -> None:
    tag: list[str | Enum] = [plural]

    @router.get(f"/{plural}", tags=tag, name=f"list_{plural}")
    def list_records(
        kb: KB,
        viewer: CurrentViewer,
        after: str | None = None,
        limit: Limit = 50,
        marking: Marking | None = None,
        owner: str | None = None,
    ) -> dict[str, Any]:
        page = kb.list_records(
            viewer, kind=kind, after=after, limit=limit, marking=marking, owner=owner
        )
        return {"items": [r.to_json() for r in page.items], "next": page.next_cursor}

    @router.post(f"/{plural}", tags=tag, status_code=201, name=f"create_{kind.value}")
    def create(body: CreateBody, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        raw = body.model_dump(exclude_none=True)
        raw["kind"] = kind
        raw["sources"] = body.sources
        return kb.create(raw, viewer).to_json()

    @router.get(f"/{plural}/{{record_id}}", tags=tag, name=f"get_{kind.value}")
    def get(
        record_id: str, kb: KB, viewer: CurrentViewer, revision: int | None = None
    ) -> dict[str, Any]:
        return _of_kind(kb.get(record_id, viewer, revision=revision).to_json(), kind, record_id)

    @router.patch(f"/{plural}/{{record_id}}", tags=tag, name=f"update_{kind.value}")
    def update(record_id: str, body: UpdateBody, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        _of_kind(kb.get(record_id, viewer).to_json(), kind, record_id)
        sources = (
            [s.model_dump(mode="json") for s in body.sources] if body.sources is not None else None
        )
        return kb.update(
            record_id,
            viewer,
            data=body.data,
            sources=sources,
            expected_revision=body.expected_revision,
        ).to_json()

    @router.get(f"/{plural}/{{record_id}}/history", tags=tag, name=f"history_{kind.value}")
    def history(record_id: str, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        _of_kind(kb.get(record_id, viewer).to_json(), kind, record_id)
        return {
            "revisions": [
                {
                    "revision": v.revision,
                    "changed_at": v.changed_at.isoformat(),
                    "changed_by": v.changed_by,
                    "record": v.record.to_json(),
                }
                for v in kb.history(record_id, viewer)
            ]
        }

    @router.post(f"/{plural}/{{record_id}}/publish", tags=tag, name=f"publish_{kind.value}")
    def publish(record_id: str, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        _of_kind(kb.get(record_id, viewer).to_json(), kind, record_id)
        return kb.publish(record_id, viewer).to_json()

    @router.put(f"/{plural}/{{record_id}}/marking", tags=tag, name=f"mark_{kind.value}")
    def mark(record_id: str, body: MarkingBody, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        _of_kind(kb.get(record_id, viewer).to_json(), kind, record_id)
        return kb.set_marking(record_id, viewer, body.marking).to_json()

    @router.put(f"/{plural}/{{record_id}}/sharing", tags=tag, name=f"share_{kind.value}")
    def share(record_id: str, body: SharingBody, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        _of_kind(kb.get(record_id, viewer).to_json(), kind, record_id)
        return kb.set_sharing(record_id, viewer, shares=body.shares, readers=body.readers).to_json()


def _of_kind(body: dict[str, Any], kind: Kind, record_id: str) -> dict[str, Any]:
    from accord.errors import NotFound

    if body["kind"] != kind.value:
        raise NotFound(f"no {kind.value} with this id", record=record_id)
    return body


def build_router() -> APIRouter:
    """The /api/v1 router: every kind's resources, search and counts."""
    router = APIRouter()
    for kind, plural in PLURALS.items():
        _register(router, kind, plural)

    @router.get("/search", tags=["search"])
    def search(
        kb: KB,
        viewer: CurrentViewer,
        q: Annotated[str, Query(min_length=1, max_length=500)],
        kind: Annotated[list[Kind] | None, Query()] = None,
        limit: Limit = 20,
    ) -> dict[str, Any]:
        hits = kb.search(q, viewer, kinds=kind or (), limit=limit)
        return {"items": [{"score": h.score, "record": h.record.to_json()} for h in hits]}

    @router.get("/stats", tags=["stats"])
    def stats(kb: KB, viewer: CurrentViewer, by: str = "kind") -> dict[str, Any]:
        return {"by": by, "counts": kb.count(viewer, by=by)}

    return router
