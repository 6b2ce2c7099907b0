"""REST routes of the coordination workspaces (parse → accord.workspaces.service → JSON).

A workspace the caller may not see is a 404 identical to one that does not exist, on every
route (GET and POST alike); a caller who sees it but may not do this gets a 403. Times are
RFC 3339 with an offset; answers give each as ``{"utc": ...}`` plus ``local`` and ``zone`` when
the request names the reader's zone (``?tz=Europe/Paris``).

The routes are left out of the OpenAPI document for now (:data:`IN_OPENAPI`): the contract
test walks every documented operation with fixtures of its own, which do not build workspaces
yet. docs/workspaces.md documents them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.domain.vocab import ClaimKind, Level, Marking, Stance
from accord.web.api.models import JSONAnswer
from accord.web.deps import KB, CurrentViewer
from accord.workspaces import service
from accord.workspaces.model import Position, Wording, zone_named

#: Whether the routes appear in /api/v1/openapi.json (see the module's docstring).
IN_OPENAPI = False

Tz = Annotated[
    str | None, Query(description="Also show times in this IANA time zone, e.g. Europe/Paris")
]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InviteeBody(_Body):
    """An organisation to invite and its answer deadline."""

    org: str = Field(min_length=1, max_length=500, description="Organisation id or name")
    deadline: str = Field(min_length=1, max_length=64, description="RFC 3339 with offset")


class CreateBody(_Body):
    """A new workspace."""

    incident: str = Field(min_length=1, max_length=128)
    accused: str = Field(min_length=1, max_length=128)
    level: Level
    text: str = Field(min_length=1, max_length=service.MAX_TEXT)
    embargo_end: str = Field(min_length=1, max_length=64, description="RFC 3339 with offset")
    title: str | None = Field(default=None, max_length=500)
    marking: Marking = Marking.AMBER_STRICT
    invitees: list[InviteeBody] = Field(default_factory=list, max_length=500)


class RevisionBody(_Body):
    """What changes in a new statement revision (at least one field)."""

    text: str | None = Field(default=None, min_length=1, max_length=service.MAX_TEXT)
    accused: str | None = Field(default=None, min_length=1, max_length=128)
    level: Level | None = None
    embargo_end: str | None = Field(default=None, min_length=1, max_length=64)


class UsersBody(_Body):
    """Emails of users of the caller's own organisation to name on the workspace."""

    users: list[str] = Field(min_length=1, max_length=200)


class PositionBody(_Body):
    """The caller's organisation's position and, when joining, its own terms."""

    position: Position
    wording: str | None = Field(default=None, max_length=service.MAX_TEXT)
    stance: Stance | None = None
    level: Level | None = None
    kind: ClaimKind | None = None
    confidence_words: str | None = Field(default=None, max_length=500)
    source_url: str | None = Field(default=None, max_length=2000)


def _answer(view: Any, status_code: int = 200) -> JSONAnswer:
    return JSONAnswer(view, status_code=status_code)


def build_router() -> APIRouter:
    """The /workspaces routes."""
    router = APIRouter(prefix="/workspaces", tags=["workspaces"], include_in_schema=IN_OPENAPI)

    @router.post("", status_code=201)
    def create(body: CreateBody, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """Open a workspace owned by the caller's organisation (its reviewers)."""
        view = service.create(
            kb,
            viewer,
            incident=body.incident,
            accused=body.accused,
            level=body.level,
            text=body.text,
            embargo_end=body.embargo_end,
            title=body.title,
            marking=body.marking,
            invitees=[service.Invitee(i.org, i.deadline) for i in body.invitees],
            zone=zone_named(tz),
        )
        return _answer(view, 201)

    @router.get("")
    def listing(kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """The workspaces the caller sees, each as its envelope."""
        return _answer({"items": service.list_for(kb, viewer, zone_named(tz))})

    @router.get("/{workspace_id}")
    def show(workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """The workspace as the caller may see it."""
        return _answer(service.show(kb, viewer, workspace_id, zone_named(tz)))

    @router.post("/{workspace_id}/revisions")
    def revise(
        workspace_id: str, body: RevisionBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """A new statement revision (the owner's reviewers)."""
        view = service.revise(
            kb,
            viewer,
            workspace_id,
            text=body.text,
            accused=body.accused,
            level=body.level,
            embargo_end=body.embargo_end,
            zone=zone_named(tz),
        )
        return _answer(view)

    @router.post("/{workspace_id}/invitations")
    def invite(
        workspace_id: str, body: InviteeBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Invite an organisation, or give an invited one a new deadline."""
        invitee = service.Invitee(body.org, body.deadline)
        return _answer(service.invite(kb, viewer, workspace_id, invitee, zone_named(tz)))

    @router.post("/{workspace_id}/users")
    def name_users(
        workspace_id: str, body: UsersBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Name users of the caller's organisation on the workspace (its reviewers)."""
        return _answer(service.name_users(kb, viewer, workspace_id, body.users, zone_named(tz)))

    @router.post("/{workspace_id}/accept-embargo")
    def accept_embargo(
        workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Accept the embargo for the caller's organisation."""
        return _answer(service.accept_embargo(kb, viewer, workspace_id, zone_named(tz)))

    @router.post("/{workspace_id}/position")
    def position(
        workspace_id: str, body: PositionBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Join, join with the organisation's own wording, abstain or decline."""
        wording = Wording(
            text=body.wording,
            stance=body.stance,
            level=body.level,
            kind=body.kind,
            confidence_words=body.confidence_words,
            source_url=body.source_url,
        )
        view = service.answer(kb, viewer, workspace_id, body.position, wording, zone_named(tz))
        return _answer(view)

    @router.post("/{workspace_id}/publish")
    def publish(workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """Publish now: one claim per joined organisation (the owner's reviewers)."""
        return _answer(service.publish(kb, viewer, workspace_id, zone_named(tz)))

    return router
