"""Reading a workspace: as much as each caller may see, shaped by :mod:`.views`. Read-only."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from accord.access import Viewer
from accord.errors import NotFound
from accord.kb import KnowledgeBase
from accord.workspaces import collab, lag, options, store
from accord.workspaces.loading import load
from accord.workspaces.model import Access, instant
from accord.workspaces.views import envelope_view, full_view


def show(
    kb: KnowledgeBase, viewer: Viewer, workspace_id: str, zone: ZoneInfo | None = None
) -> dict[str, Any]:
    """The workspace as the viewer may see it: its envelope before the viewer's organisation
    accepts the embargo; the statement and its revisions after; the participants, their
    positions, the events and the coordination lag (:mod:`.lag`) for the owner. 404 for
    anyone else. Read-only."""
    now = kb.now()
    with kb.workspace_tables() as conn:
        found = load(conn, viewer, workspace_id)
        names = store.org_names(conn, [found.ws.owner])
        if found.access is Access.ENVELOPE:
            return envelope_view(found.ws, found.own, names, now, zone)
        statements = store.statements(conn, workspace_id)
        owner_side = found.access in (Access.MANAGER, Access.OWNER_MEMBER)
        all_orgs = store.participants(conn, workspace_id)
        everyone = all_orgs if owner_side else []
        events = store.events(conn, workspace_id) if owner_side else []
        opts = options.options(conn, workspace_id)
        orgs = options.org_options(conn, workspace_id)
        names |= store.org_names(conn, [p.org_id for p in all_orgs])
    view = full_view(
        found.ws, found.access, found.own, statements, everyone, events, names, now, zone
    )
    view["early_end"] = collab.early_end_json(found, opts, orgs, all_orgs, zone)
    view["publication_due"] = instant(options.publication_due(found.ws, opts), zone)
    if owner_side:
        view["show_invitees"] = opts.show_invitees
    else:
        view["others"] = options.others_view(found.ws, found.own, all_orgs, opts, orgs, names, now)
    if owner_side:
        view["lag"] = lag.timeline(kb, viewer, found.ws, events, zone)
    return view


def list_for(
    kb: KnowledgeBase, viewer: Viewer, zone: ZoneInfo | None = None
) -> list[dict[str, Any]]:
    """The workspaces the viewer sees, each as its envelope (with how much the viewer sees).
    Read-only."""
    if not viewer.authenticated or viewer.org_id is None or viewer.user_id is None:
        return []
    reviewer = viewer.role is not None and viewer.role.can_review
    now = kb.now()
    out = []
    with kb.workspace_tables() as conn:
        for workspace_id in store.visible_ids(conn, viewer.org_id, viewer.user_id, reviewer):
            try:
                found = load(conn, viewer, workspace_id)
            except NotFound:
                continue
            names = store.org_names(conn, [found.ws.owner])
            item = envelope_view(found.ws, found.own, names, now, zone)
            item["access"] = found.access.value
            out.append(item)
    return out
