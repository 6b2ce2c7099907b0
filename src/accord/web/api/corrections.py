"""REST routes of corrections (parse → accord.federation → JSON).

- A subscriber's members: ``POST /api/v1/feeds/corrections`` sends a correction of a pulled
  record to its origin (contributors and above who see the record), ``GET
  /api/v1/feeds/corrections`` lists what their organisation sent, each pending status read
  again from the origin (``?refresh=false`` to skip).
- An origin's members: ``GET /api/v1/proposals`` lists the corrections received for their
  organisation's records; its reviewers ``POST /api/v1/proposals/{id}/accept`` or
  ``…/reject`` (with a reason).

Left out of the OpenAPI document like the feeds' routes: sending a correction acts on the
network, which the contract test's generated requests must not do.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.access import Viewer
from accord.errors import Unauthenticated
from accord.federation import corrections, proposals
from accord.web.api.models import JSONAnswer
from accord.web.deps import KB, CurrentViewer

IN_OPENAPI = False


class CorrectionBody(BaseModel):
    """A correction of a pulled record: the fields to change and their new values."""

    model_config = ConfigDict(extra="forbid")

    record: str = Field(min_length=1, max_length=128)
    changes: dict[str, Any] = Field(min_length=1, max_length=corrections.MAX_CHANGES)


class ReasonBody(BaseModel):
    """Why a proposal is rejected."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)


def _signed_in(viewer: Viewer) -> Viewer:
    if not viewer.authenticated:
        raise Unauthenticated("sign in or send 'Authorization: Bearer <token>'")
    return viewer


def build_router() -> APIRouter:
    """The /feeds/corrections and /proposals routes."""
    router = APIRouter(tags=["corrections"], include_in_schema=IN_OPENAPI)

    @router.post("/feeds/corrections", status_code=201)
    def send(body: CorrectionBody, kb: KB, viewer: CurrentViewer) -> JSONAnswer:
        """Send a correction of a pulled record to its origin."""
        sent = corrections.propose(kb, _signed_in(viewer), body.record, body.changes)
        return JSONAnswer(sent.to_json(), status_code=201)

    @router.get("/feeds/corrections")
    def sent(
        kb: KB,
        viewer: CurrentViewer,
        refresh: Annotated[bool, Query(description="Read pending statuses again")] = True,
    ) -> JSONAnswer:
        """The corrections the caller's organisation sent (of records the caller sees)."""
        items = corrections.corrections(kb, _signed_in(viewer), refresh=refresh)
        return JSONAnswer({"items": [c.to_json() for c in items]})

    @router.get("/proposals")
    def received(
        kb: KB,
        viewer: CurrentViewer,
        every: Annotated[bool, Query(alias="all", description="Also decided ones")] = False,
    ) -> JSONAnswer:
        """Corrections received for the caller's organisation's records."""
        items = proposals.pending(kb, _signed_in(viewer), every=every)
        return JSONAnswer({"items": [p.to_json() for p in items]})

    @router.post("/proposals/{proposal_id}/accept")
    def accept(proposal_id: str, kb: KB, viewer: CurrentViewer) -> JSONAnswer:
        """Apply the correction to its record (reviewers of its organisation)."""
        record = proposals.accept(kb, _signed_in(viewer), proposal_id)
        return JSONAnswer(record.to_json())

    @router.post("/proposals/{proposal_id}/reject")
    def reject(proposal_id: str, body: ReasonBody, kb: KB, viewer: CurrentViewer) -> JSONAnswer:
        """Reject the correction with a reason (reviewers of its organisation)."""
        return JSONAnswer(
            proposals.reject(kb, _signed_in(viewer), proposal_id, body.reason).to_json()
        )

    return router
