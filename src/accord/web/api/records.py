"""REST resources for every record kind at plural paths under /api/v1 (thin over the library).

Each route answers the domain's JSON as it is (:class:`~accord.web.api.models.JSONAnswer`) and
declares the model that describes it (:mod:`accord.web.api.models`).
"""

# No ``from __future__ import annotations``: a route's body type is a per-kind model held in a
# local variable, which FastAPI can read only from an annotation evaluated at definition time.

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from accord.domain.kinds import KINDS
from accord.domain.records import Record
from accord.domain.vocab import Kind, Marking
from accord.errors import NotFound
from accord.kb import MAX_PAGE
from accord.web.api.models import (
    BEARER,
    COMMON_ERRORS,
    MODELS,
    CountBy,
    Counts,
    JSONAnswer,
    MarkingBody,
    SearchResults,
    SharingBody,
    errors,
    token_optional,
)
from accord.web.api.withdrawn import GONE, TombstoneAnswer, WithdrawBody, gone, live
from accord.web.api.withdrawn import tombstone_of_kind as tombstone
from accord.web.deps import KB, CurrentViewer

PLURALS: dict[Kind, str] = {info.kind: info.plural for info in KINDS}

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
#: What a change to one record may answer besides the common errors.
_CHANGE_ERRORS = errors(400, 403, 404, 409, 413)


def _kind_router(kind: Kind, plural: str) -> APIRouter:
    """One kind's resources at /<plural>."""
    router = APIRouter(prefix=f"/{plural}", tags=[plural])
    models = MODELS[kind]
    Create, Update = models.create, models.update

    @router.get(
        "",
        name=f"list_{plural}",
        response_model=models.page,
    )
    def list_records(
        kb: KB,
        viewer: CurrentViewer,
        after: Annotated[str | None, Query(description="The 'next' of the previous page")] = None,
        limit: Limit = 50,
        marking: Marking | None = None,
        owner: Annotated[str | None, Query(description="An organisation id")] = None,
    ) -> Response:
        """One page of the records of this kind you may see, ordered by id."""
        page = kb.list_records(
            viewer, kind=kind, after=after, limit=limit, marking=marking, owner=owner
        )
        return JSONAnswer({"items": [r.to_json() for r in page.items], "next": page.next_cursor})

    @router.post(
        "",
        status_code=201,
        name=f"create_{kind.value}",
        response_model=models.record,
        responses=errors(400, 403, 409, 413),
    )
    def create(body: Create, kb: KB, viewer: CurrentViewer) -> Response:  # type: ignore[valid-type]
        """Create a record (contributors; a contributor's record is a draft until reviewed)."""
        raw = body.model_dump(exclude_none=True)  # type: ignore[attr-defined]
        raw["kind"] = kind
        raw["sources"] = body.sources  # type: ignore[attr-defined]
        return JSONAnswer(kb.create(raw, viewer).to_json(), status_code=201)

    @router.get(
        "/{record_id}",
        name=f"get_{kind.value}",
        response_model=models.record,
        responses={**errors(404), **GONE},
    )
    def get(
        record_id: str,
        kb: KB,
        viewer: CurrentViewer,
        revision: Annotated[int | None, Query(description="A past revision")] = None,
    ) -> Response:
        """The record as you may see it, current or as of a past revision; 410 Gone with its
        tombstone when it was withdrawn (and you could see it)."""
        try:
            record = _of_kind(kb.get(record_id, viewer, revision=revision), kind, record_id)
        except NotFound:
            found = tombstone(kb, record_id, viewer, kind) if revision is None else None
            if found is None:
                raise
            return gone(found)
        return JSONAnswer(record.to_json())

    @router.patch(
        "/{record_id}",
        name=f"update_{kind.value}",
        response_model=models.record,
        responses=_CHANGE_ERRORS,
    )
    def update(
        record_id: str,
        body: Update,  # type: ignore[valid-type]
        kb: KB,
        viewer: CurrentViewer,
    ) -> Response:
        """Change payload fields and/or sources: a new revision."""
        live(kb, record_id, viewer, kind)
        sources = body.sources  # type: ignore[attr-defined]
        updated = kb.update(
            record_id,
            viewer,
            data=body.data,  # type: ignore[attr-defined]
            sources=[s.model_dump(mode="json") for s in sources] if sources is not None else None,
            expected_revision=body.expected_revision,  # type: ignore[attr-defined]
        )
        return JSONAnswer(updated.to_json())

    @router.get(
        "/{record_id}/history",
        name=f"history_{kind.value}",
        response_model=models.history,
        responses=errors(404),
    )
    def history(record_id: str, kb: KB, viewer: CurrentViewer) -> Response:
        """The revisions you were entitled to see, oldest first, each as you may see it today
        (a withdrawn record's too, its withdrawal last)."""
        try:
            _of_kind(kb.get(record_id, viewer), kind, record_id)
        except NotFound:
            if tombstone(kb, record_id, viewer, kind) is None:
                raise
        revisions = [
            {
                "revision": v.revision,
                "changed_at": v.changed_at.isoformat(),
                "changed_by": v.changed_by,
                "record": v.record.to_json(),
            }
            for v in kb.history(record_id, viewer)
        ]
        return JSONAnswer({"revisions": revisions})

    @router.post(
        "/{record_id}/publish",
        name=f"publish_{kind.value}",
        response_model=models.record,
        responses=errors(403, 404, 409),
    )
    def publish(record_id: str, kb: KB, viewer: CurrentViewer) -> Response:
        """Publish a draft (reviewers of the owning organisation)."""
        live(kb, record_id, viewer, kind)
        return JSONAnswer(kb.publish(record_id, viewer).to_json())

    @router.put(
        "/{record_id}/marking",
        name=f"mark_{kind.value}",
        response_model=models.record,
        responses=_CHANGE_ERRORS,
    )
    def mark(record_id: str, body: MarkingBody, kb: KB, viewer: CurrentViewer) -> Response:
        """Re-mark the record; loosening it is a reviewer's declassification."""
        live(kb, record_id, viewer, kind)
        return JSONAnswer(kb.set_marking(record_id, viewer, body.marking).to_json())

    @router.put(
        "/{record_id}/sharing",
        name=f"share_{kind.value}",
        response_model=models.record,
        responses=_CHANGE_ERRORS,
    )
    def share(record_id: str, body: SharingBody, kb: KB, viewer: CurrentViewer) -> Response:
        """Replace the AMBER share list and/or RED named readers; widening is a reviewer's act."""
        live(kb, record_id, viewer, kind)
        shared = kb.set_sharing(record_id, viewer, shares=body.shares, readers=body.readers)
        return JSONAnswer(shared.to_json())

    @router.post(
        "/{record_id}/withdraw",
        name=f"withdraw_{kind.value}",
        response_model=TombstoneAnswer,
        responses=errors(403, 404, 409),
    )
    def withdraw(record_id: str, body: WithdrawBody, kb: KB, viewer: CurrentViewer) -> Response:
        """Withdraw a published record (reviewers of the owning organisation): it becomes a
        tombstone, gone from lists, search, analyses and exports, served as revoked by TAXII."""
        live(kb, record_id, viewer, kind)
        return JSONAnswer(kb.withdraw(record_id, viewer, body.reason).to_json())

    return token_optional(router)


def _of_kind(record: Record, kind: Kind, record_id: str) -> Record:
    """The record, or NotFound when it is of another kind (as if it did not exist)."""
    if record.kind is not kind:
        raise NotFound(f"no {kind.value} with this id", record=record_id)
    return record


def build_router() -> APIRouter:
    """The /api/v1 router: every kind's resources, search and counts."""
    router = APIRouter(dependencies=[Depends(BEARER)], responses=COMMON_ERRORS)
    for kind, plural in PLURALS.items():
        router.include_router(_kind_router(kind, plural))

    @router.get(
        "/search",
        tags=["search"],
        response_model=SearchResults,
        responses=errors(400),
    )
    def search(
        kb: KB,
        viewer: CurrentViewer,
        q: Annotated[str, Query(min_length=1, max_length=500, description="Words to find")],
        kind: Annotated[list[Kind] | None, Query(description="Only these kinds")] = None,
        limit: Limit = 20,
    ) -> Response:
        """Full-text search over the records you may see, most relevant first."""
        hits = kb.search(q, viewer, kinds=kind or (), limit=limit)
        items = [{"score": h.score, "record": h.record.to_json()} for h in hits]
        return JSONAnswer({"items": items})

    @router.get("/stats", tags=["stats"], response_model=Counts)
    def stats(kb: KB, viewer: CurrentViewer, by: CountBy = "kind") -> Response:
        """How many records you may see, by kind, marking or owner."""
        return JSONAnswer({"by": by, "counts": kb.count(viewer, by=by)})

    return token_optional(router)
