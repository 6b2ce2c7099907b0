"""The Jinja2 environment the pages and the briefing report share (autoescape always on).

User content is never marked safe: only markup built here or in :mod:`charts` (which escapes
every label) is :class:`~markupsafe.Markup`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import Kind, Marking
from accord.web.api.records import PLURALS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
KIND_OF_PLURAL = {plural: kind for kind, plural in PLURALS.items()}


def record_url(record: Record | str, kind: Kind | str | None = None) -> str:
    """The page of a record: ``/incidents/wannacry``."""
    if isinstance(record, Record):
        return f"/{PLURALS[record.kind]}/{record.id}"
    return f"/{PLURALS[Kind(kind)]}/{record}" if kind else f"/records/{record}"


def words(value: object) -> str:
    """A vocabulary value for people: ``election_interference`` → ``election interference``."""
    text = getattr(value, "value", value)
    return str(text).replace("_", " ") if text is not None else ""


def tlp_class(marking: Marking | str) -> str:
    """The CSS class of a TLP badge."""
    return "tlp-" + str(getattr(marking, "value", marking)).lower().replace("+", "-")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The shared environment: templates from ``web/templates``, autoescape on for everything."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(record_url=record_url, Kind=Kind, Marking=Marking, PLURALS=PLURALS)
    env.filters.update(words=words, tlp_class=tlp_class)
    return env


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page template with the viewer, the signed-in user (and the name of their
    organisation: one read) and the CSRF token."""
    session = request.scope.get("accord.session")
    user = request.scope.get("accord.session_user")
    viewer: Viewer = context.pop("viewer")
    org_name = ""
    if user is not None:
        own = request.app.state.kb.get_many([user.org_id], viewer).get(user.org_id)
        org_name = own.name if own is not None else user.org_id
    html = (
        environment()
        .get_template(template)
        .render(
            request_path=request.url.path,
            user=user,
            org_name=org_name,
            viewer=viewer,
            csrf=getattr(session, "csrf", ""),
            **context,
        )
    )
    return HTMLResponse(html, status_code=status_code)
