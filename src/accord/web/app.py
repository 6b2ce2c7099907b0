"""The web app factory: REST API under /api/v1, the pages at / (more interfaces mount here)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from accord import __version__
from accord.federation import schedule
from accord.kb import KnowledgeBase
from accord.web import error_pages, errors
from accord.web.api import analysis as analysis_api
from accord.web.api import corrections as corrections_api
from accord.web.api import feeds as feeds_api
from accord.web.api import stix as stix_api
from accord.web.api import workspaces as workspaces_api
from accord.web.api.records import build_router
from accord.web.headers import SecurityHeaders
from accord.web.limits import BodySizeLimit, RequestText
from accord.web.pages import STATIC_DIR, api_index
from accord.web.pages import build_router as build_pages_router
from accord.web.session import SessionMiddleware
from accord.web.settings import Settings
from accord.web.taxii import build_taxii_app


def create_app(
    settings: Settings | None = None,
    kb: KnowledgeBase | None = None,
    *,
    pull_feeds: bool = False,
) -> FastAPI:
    """Build the ASGI app for the given settings (or an already open knowledge base); with
    ``pull_feeds``, the app pulls each feed on its interval in the background while it runs
    (:mod:`accord.federation.schedule`)."""
    settings = settings or Settings()
    base = kb or KnowledgeBase(settings.database_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        puller = asyncio.create_task(schedule.run_forever(base)) if pull_feeds else None
        yield
        if puller is not None:
            puller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await puller
        if kb is None:
            base.close()

    app = FastAPI(
        title="Accord",
        version=__version__,
        summary="System of record for state behaviour in cyberspace, shared under TLP 2.0.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # /api/v1/docs: Swagger UI from the package (pages/api_index.py)
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.kb = base
    app.state.settings = settings
    errors.install(app)
    error_pages.install(app)
    app.include_router(build_router(), prefix="/api/v1")
    app.include_router(analysis_api.build_router(), prefix="/api/v1")
    app.include_router(stix_api.build_router(), prefix="/api/v1")
    app.include_router(workspaces_api.build_router(), prefix="/api/v1")
    app.include_router(corrections_api.build_router(), prefix="/api/v1")
    app.include_router(feeds_api.build_router(), prefix="/api/v1")
    app.mount("/taxii2", build_taxii_app(base, settings), name="taxii2")
    app.mount(
        api_index.SWAGGER_STATIC,
        StaticFiles(directory=api_index.swagger_ui_dir()),
        name="swagger-ui",
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api_index.build_router())
    app.include_router(build_pages_router())
    app.add_middleware(
        SessionMiddleware,
        kb=base,
        secret=settings.session_secret,
        secure=settings.secure_cookies,
    )
    app.add_middleware(RequestText)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    return app
