"""The TAXII 2.1 server, mounted at /taxii2/ as its own ASGI app (TAXII error shape)."""

from __future__ import annotations

from fastapi import FastAPI

from accord.kb import KnowledgeBase
from accord.web.settings import Settings
from accord.web.taxii import media
from accord.web.taxii.routes import build_router


def build_taxii_app(kb: KnowledgeBase, settings: Settings) -> FastAPI:
    """The TAXII sub-application over the given knowledge base."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.kb = kb
    app.state.settings = settings
    media.install(app)
    app.include_router(build_router())
    return app
