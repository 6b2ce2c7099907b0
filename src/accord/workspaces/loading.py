"""Loading a workspace for one caller, and recording a caller's transition: what every
service function starts and ends with."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import Connection

from accord.access import Viewer
from accord.workspaces import rules, store
from accord.workspaces.model import Access, Participant, Workspace


@dataclasses.dataclass
class Loaded:
    """A workspace as one caller may see it, read in the caller's transaction."""

    ws: Workspace
    own: Participant | None
    access: Access


def load(conn: Connection, viewer: Viewer, workspace_id: str, *, lock: bool = False) -> Loaded:
    """The workspace with the caller's organisation's participation and how much the caller
    sees; the one 404 when that is nothing (``lock``: a row lock for a write). Read-only."""
    ws = store.load(conn, workspace_id, lock=lock)
    own = store.participant(conn, workspace_id, viewer.org_id) if ws is not None else None
    named = own is not None and viewer.user_id in own.members
    found = rules.access_of(viewer, ws, own, named)
    rules.require_access(found, workspace_id)
    assert ws is not None  # require_access refused NONE, which a missing workspace is
    return Loaded(ws, own, found)


def event(conn: Connection, ws_id: str, at: dt.datetime, viewer: Viewer, **fields: Any) -> None:
    """Record one transition by the viewer (:func:`accord.workspaces.store.record_event`)."""
    store.record_event(conn, ws_id, at=at, user_id=viewer.user_id, **fields)
