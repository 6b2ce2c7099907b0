"""Server-rendered pages (Jinja2 + htmx): records, search, landscape, contributing."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from accord.web.pages import contribute, indexes, records, search, views, workspaces

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def build_router() -> APIRouter:
    """Every page route. Static files are mounted separately at /static."""
    router = APIRouter(include_in_schema=False)
    router.include_router(search.build_router())
    router.include_router(contribute.build_router())
    router.include_router(views.build_router())
    router.include_router(workspaces.build_router())
    router.include_router(indexes.build_router())
    router.include_router(records.build_router())
    return router
