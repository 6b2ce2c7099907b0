"""REST routes of the coordination workspaces (parse → accord.workspaces.service → JSON).

A workspace the caller may not see is a 404 identical to one that does not exist, on every
route (GET and POST alike); a caller who sees it but may not do this gets a 403. Times are
RFC 3339 with an offset; answers give each as ``{"utc": ...}`` plus ``local`` and ``zone`` when
the request names the reader's zone (``?tz=Europe/Paris``).

The routes are in the OpenAPI document; their answer models (:class:`WorkspaceAnswer` and the
others) name the fields every answer of that kind carries and allow the rest, which depend on
how much the caller sees (docs/coordination.md documents them). tests/test_api_contract.py
walks each with a workspace of its fixture world and fuzzes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.domain.vocab import ClaimKind, Level, Marking, Stance
from accord.web.api.models import BEARER, COMMON_ERRORS, JSONAnswer, errors, token_optional
from accord.web.deps import KB, CurrentViewer
from accord.workspaces import service
from accord.workspaces.model import Position, Wording, zone_named
from accord.workspaces.notify import Mode

#: Whether the routes appear in /api/v1/openapi.json (see the module's docstring).
IN_OPENAPI = True

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


class EvidenceBody(_Body):
    """Evidence shared in the workspace: a title, a text and/or a URL."""

    title: str = Field(min_length=1, max_length=500)
    text: str | None = Field(default=None, max_length=20_000)
    url: str | None = Field(default=None, max_length=2000)
    marking: Marking | None = Field(default=None, description="At least the workspace's")
    shared_with: list[str] | None = Field(
        default=None, max_length=500, description="Organisations (ids or names); none: all"
    )


class CommentBody(_Body):
    """A comment: in the official thread, in ``thread``, or opening a thread with ``orgs``."""

    body: str = Field(min_length=1, max_length=20_000)
    thread: str | None = Field(default=None, max_length=64)
    title: str | None = Field(default=None, max_length=500)
    orgs: list[str] | None = Field(default=None, max_length=500)


class EndEmbargoBody(_Body):
    """Why the embargo ends early, and when the confirmation window closes."""

    reason: str = Field(min_length=1, max_length=2000)
    confirm_by: str = Field(min_length=1, max_length=64, description="RFC 3339 with offset")


class ConfirmBody(_Body):
    """A joined organisation's answer to an early end: confirm (true) or withdraw (false)."""

    confirm: bool


class SettingsBody(_Body):
    """The owner's setting: whether participants see who else is invited."""

    show_invitees: bool


class DisclosureBody(_Body):
    """An organisation's setting: whether the other participants see its position."""

    show_position: bool


class NotificationsBody(_Body):
    """The caller's notification mode and, optionally, its organisation's webhook."""

    mode: Mode = Mode.IMMEDIATE
    webhook: bool = Field(default=False, description="Also set (or, with no URL, remove) it")
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=256)


# -- answers (documented; the answers themselves are the service's JSON) ----------------------


class _Answer(BaseModel):
    model_config = ConfigDict(extra="allow")


class WorkspaceAnswer(_Answer):
    """A workspace as the caller may see it: its envelope (``access`` ``envelope``), or also the
    statement, revisions and own position (``participant``), or everything (the owner's side)."""

    id: str
    access: str = Field(description="envelope, participant, owner_member or manager")
    topic: str
    marking: str
    status: str
    embargo_end: dict[str, str]


class WorkspaceList(_Answer):
    """The workspaces the caller sees, each as its envelope."""

    items: list[WorkspaceAnswer]


class DashboardAnswer(_Answer):
    """The owner's dashboard data."""

    id: str
    topic: str
    status: str
    participants: list[dict[str, Any]]
    threads: list[dict[str, Any]]


class EvidenceAnswer(_Answer):
    """One piece of evidence."""

    id: str
    title: str
    marking: str
    text: str | None
    url: str | None


class EvidenceList(_Answer):
    """The evidence the caller's organisation sees."""

    items: list[EvidenceAnswer]


class ThreadAnswer(_Answer):
    """A thread's heading (and, read one by one, its ``items``)."""

    id: str | None
    title: str
    official: bool
    comments: int
    new: int


class ThreadList(_Answer):
    """The threads the caller's organisation belongs to."""

    items: list[ThreadAnswer]


class EarlyEndAnswer(_Answer):
    """The early end of the embargo as the caller sees it."""

    ending_early: bool


class SettingAnswer(_Answer):
    """A changed setting: the one that was set."""

    show_invitees: bool | None = None
    show_position: bool | None = None


class NotificationsAnswer(_Answer):
    """The caller's notification mode, and whether a webhook was set."""

    mode: str
    webhook: bool


def _answer(view: Any, status_code: int = 200) -> JSONAnswer:
    return JSONAnswer(view, status_code=status_code)


def build_router() -> APIRouter:
    """The /workspaces routes."""
    router = APIRouter(
        prefix="/workspaces",
        tags=["workspaces"],
        include_in_schema=IN_OPENAPI,
        dependencies=[Depends(BEARER)],
        responses={**COMMON_ERRORS, **errors(400)},
    )
    found = errors(403, 404)
    change = errors(403, 404, 409)

    @router.post("", status_code=201, response_model=WorkspaceAnswer, responses=errors(403, 409))
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

    @router.get("", response_model=WorkspaceList)
    def listing(kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """The workspaces the caller sees, each as its envelope."""
        return _answer({"items": service.list_for(kb, viewer, zone_named(tz))})

    @router.get("/{workspace_id}", response_model=WorkspaceAnswer, responses=found)
    def show(workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """The workspace as the caller may see it (the visit is remembered)."""
        view = service.show(kb, viewer, workspace_id, zone_named(tz))
        service.visit(kb, viewer, workspace_id)
        return _answer(view)

    @router.get("/{workspace_id}/dashboard", response_model=DashboardAnswer, responses=found)
    def dashboard(workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """The owner's dashboard data (the owner's side only)."""
        return _answer(service.dashboard(kb, viewer, workspace_id, zone_named(tz)))

    @router.post(
        "/{workspace_id}/evidence", status_code=201, response_model=EvidenceAnswer, responses=change
    )
    def add_evidence(
        workspace_id: str, body: EvidenceBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Share evidence in the workspace (never published)."""
        view = service.add_evidence(
            kb,
            viewer,
            workspace_id,
            title=body.title,
            text=body.text,
            url=body.url,
            marking=body.marking,
            shared_with=body.shared_with,
            zone=zone_named(tz),
        )
        return _answer(view, 201)

    @router.get("/{workspace_id}/evidence", response_model=EvidenceList, responses=found)
    def list_evidence(
        workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """The evidence the caller's organisation may see."""
        return _answer({"items": service.list_evidence(kb, viewer, workspace_id, zone_named(tz))})

    @router.post(
        "/{workspace_id}/comments", status_code=201, response_model=ThreadAnswer, responses=change
    )
    def comment(
        workspace_id: str, body: CommentBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Post a comment (and open a thread when ``orgs`` is given); answers the thread."""
        view = service.post_comment(
            kb,
            viewer,
            workspace_id,
            body.body,
            thread=body.thread,
            title=body.title,
            orgs=body.orgs,
            zone=zone_named(tz),
        )
        return _answer(view, 201)

    @router.get("/{workspace_id}/threads", response_model=ThreadList, responses=found)
    def threads(workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """The threads the caller's organisation belongs to, with what is new to the caller."""
        return _answer({"items": service.list_threads(kb, viewer, workspace_id, zone_named(tz))})

    @router.get("/{workspace_id}/threads/{thread_id}", response_model=ThreadAnswer, responses=found)
    def thread(
        workspace_id: str, thread_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """A thread and its comments (the visit is remembered: "new since your last visit")."""
        return _answer(service.read_thread(kb, viewer, workspace_id, thread_id, zone_named(tz)))

    @router.post("/{workspace_id}/end-embargo", response_model=EarlyEndAnswer, responses=change)
    def end_embargo(
        workspace_id: str, body: EndEmbargoBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """End the embargo early, with a reason and a confirmation window (the owner's
        reviewers); publication follows at the window's end with those who confirmed."""
        view = service.end_embargo(
            kb,
            viewer,
            workspace_id,
            reason=body.reason,
            confirm_by=body.confirm_by,
            zone=zone_named(tz),
        )
        return _answer(view)

    @router.post(
        "/{workspace_id}/confirm-early-end", response_model=EarlyEndAnswer, responses=change
    )
    def confirm_early_end(
        workspace_id: str, body: ConfirmBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Confirm or withdraw the organisation's join within the early end's window."""
        return _answer(
            service.answer_early_end(kb, viewer, workspace_id, body.confirm, zone_named(tz))
        )

    @router.post("/{workspace_id}/settings", response_model=SettingAnswer, responses=change)
    def settings(
        workspace_id: str, body: SettingsBody, kb: KB, viewer: CurrentViewer
    ) -> JSONAnswer:
        """Whether participants see who else is invited (the owner's reviewers)."""
        return _answer(service.set_show_invitees(kb, viewer, workspace_id, body.show_invitees))

    @router.post("/{workspace_id}/disclosure", response_model=SettingAnswer, responses=change)
    def disclosure(
        workspace_id: str, body: DisclosureBody, kb: KB, viewer: CurrentViewer
    ) -> JSONAnswer:
        """Whether the other participants see the organisation's position (its reviewers)."""
        return _answer(service.set_show_position(kb, viewer, workspace_id, body.show_position))

    @router.post(
        "/{workspace_id}/notifications", response_model=NotificationsAnswer, responses=change
    )
    def notifications(
        workspace_id: str, body: NotificationsBody, kb: KB, viewer: CurrentViewer
    ) -> JSONAnswer:
        """The caller's notification mode; with ``webhook``, its organisation's webhook."""
        view = service.set_notifications(
            kb,
            viewer,
            workspace_id,
            body.mode,
            webhook=body.webhook,
            webhook_url=body.webhook_url,
            webhook_secret=body.webhook_secret,
        )
        return _answer(view)

    @router.post("/{workspace_id}/revisions", response_model=WorkspaceAnswer, responses=change)
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

    @router.post("/{workspace_id}/invitations", response_model=WorkspaceAnswer, responses=change)
    def invite(
        workspace_id: str, body: InviteeBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Invite an organisation, or give an invited one a new deadline."""
        invitee = service.Invitee(body.org, body.deadline)
        return _answer(service.invite(kb, viewer, workspace_id, invitee, zone_named(tz)))

    @router.post("/{workspace_id}/users", response_model=WorkspaceAnswer, responses=change)
    def name_users(
        workspace_id: str, body: UsersBody, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Name users of the caller's organisation on the workspace (its reviewers)."""
        return _answer(service.name_users(kb, viewer, workspace_id, body.users, zone_named(tz)))

    @router.post("/{workspace_id}/accept-embargo", response_model=WorkspaceAnswer, responses=change)
    def accept_embargo(
        workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None
    ) -> JSONAnswer:
        """Accept the embargo for the caller's organisation."""
        return _answer(service.accept_embargo(kb, viewer, workspace_id, zone_named(tz)))

    @router.post("/{workspace_id}/position", response_model=WorkspaceAnswer, responses=change)
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

    @router.post("/{workspace_id}/publish", response_model=WorkspaceAnswer, responses=change)
    def publish(workspace_id: str, kb: KB, viewer: CurrentViewer, tz: Tz = None) -> JSONAnswer:
        """Publish now: one claim per joined organisation (the owner's reviewers)."""
        return _answer(service.publish(kb, viewer, workspace_id, zone_named(tz)))

    return token_optional(router)
