"""REST routes of federation feeds, for instance administrators (parse → accord.federation →
JSON). Feed tokens are accepted, sealed and never returned.

The routes are left out of the OpenAPI document (:data:`IN_OPENAPI`): they act on the
network (a pull reads a remote server), which the contract test's generated requests must not
do. docs/federation.md documents them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from accord.access import Viewer
from accord.domain.vocab import UserRole
from accord.errors import Forbidden, Unauthenticated
from accord.federation import feeds
from accord.federation.pull import pull
from accord.web.api.models import JSONAnswer
from accord.web.deps import KB, CurrentViewer

#: Whether the routes appear in /api/v1/openapi.json (see the module's docstring).
IN_OPENAPI = False


class FeedBody(BaseModel):
    """A new feed."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2000, description="TAXII 2.1 API root URL")
    collection: str = Field(min_length=1, max_length=128)
    as_user: str = Field(alias="as", min_length=3, max_length=320, description="Reviewer email")
    token: str | None = Field(default=None, max_length=4096)
    basic: bool = False
    every: str | None = Field(
        default=None, max_length=16, description="Background pull interval: 30s, 15m, 6h, 1d"
    )


class FeedChange(BaseModel):
    """A change to a feed: its background pull interval (``off`` or null: never)."""

    model_config = ConfigDict(extra="forbid")

    every: str | None = Field(max_length=16, description="30s, 15m, 6h, 1d, or 'off'")


def _admin(viewer: Viewer) -> None:
    if not viewer.authenticated:
        raise Unauthenticated("sign in or send 'Authorization: Bearer <token>'")
    if viewer.role is not UserRole.INSTANCE_ADMIN:
        raise Forbidden("only instance administrators manage feeds")


def build_router() -> APIRouter:
    """The /feeds routes (instance administrators only)."""
    router = APIRouter(prefix="/feeds", tags=["feeds"], include_in_schema=IN_OPENAPI)

    @router.get("")
    def list_feeds(kb: KB, viewer: CurrentViewer) -> JSONAnswer:
        """Every feed, with its cursor (never its token)."""
        _admin(viewer)
        return JSONAnswer({"items": [f.to_json() for f in feeds.all_feeds(kb)]})

    @router.post("", status_code=201)
    def add_feed(body: FeedBody, kb: KB, viewer: CurrentViewer) -> JSONAnswer:
        """Subscribe to a remote collection."""
        _admin(viewer)
        feed = feeds.add(
            kb,
            body.name,
            body.url,
            body.collection,
            user_email=body.as_user,
            token=body.token,
            basic=body.basic,
            every=feeds.parse_every(body.every) if body.every else None,
        )
        return JSONAnswer(feed.to_json(), status_code=201)

    @router.patch("/{name}")
    def change_feed(name: str, body: FeedChange, kb: KB, viewer: CurrentViewer) -> JSONAnswer:
        """Set the feed's background pull interval."""
        _admin(viewer)
        every = feeds.parse_every(body.every) if body.every else None
        return JSONAnswer(feeds.set_every(kb, name, every).to_json())

    @router.delete("/{name}", status_code=204)
    def remove_feed(name: str, kb: KB, viewer: CurrentViewer) -> None:
        """Unsubscribe (pulled records stay)."""
        _admin(viewer)
        feeds.remove(kb, name)

    @router.post("/{name}/pull")
    def pull_feed(
        name: str,
        kb: KB,
        viewer: CurrentViewer,
        dry_run: Annotated[bool, Query(description="Report only; write nothing")] = False,
    ) -> JSONAnswer:
        """Pull the feed now (or preview with ``dry_run``); 409 while another pull of it
        runs."""
        _admin(viewer)
        report = pull(kb, name, dry_run=dry_run).to_json()
        named = [item for item in report["items"] if item["record"]]
        seen = kb.visible_ids([item["record"] for item in named], viewer)
        for item in named:  # the feed's organisation's records: ids only to who sees them
            if item["record"] not in seen:
                item["record"] = None
        return JSONAnswer(report)

    return router
