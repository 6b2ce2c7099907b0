"""Request dependencies: the knowledge base and the viewer making the request."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from accord import accounts
from accord.access import ANONYMOUS, Viewer
from accord.errors import Unauthenticated
from accord.kb import KnowledgeBase


def get_kb(request: Request) -> KnowledgeBase:
    """The app's knowledge base."""
    kb: KnowledgeBase = request.app.state.kb
    return kb


KB = Annotated[KnowledgeBase, Depends(get_kb)]


def current_viewer(request: Request, kb: KB) -> Viewer:
    """The viewer from a bearer token or a signed-in session; anonymous otherwise.

    A present but bad, expired or revoked token is an error (401), never silently anonymous.
    """
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("use 'Authorization: Bearer <token>'")
        return accounts.user_for_token(kb, token.strip()).viewer
    session_user = request.scope.get("accord.session_user")
    if isinstance(session_user, accounts.User):
        return session_user.viewer
    return ANONYMOUS


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]
