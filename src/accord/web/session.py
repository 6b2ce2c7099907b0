"""Signed session cookies and CSRF tokens for the web pages.

Every browser gets a session cookie (signed with ``Settings.session_secret``; ``HttpOnly``,
``SameSite=Lax``, ``Secure`` unless ``secure_cookies`` is off) holding a random CSRF token and,
once signed in, the random id of a server-side session (:func:`accord.accounts.start_session`).
:class:`SessionMiddleware` reads it on every request, looks the session up (so signing out, which
ends it, or deactivating the user stops the cookie at once, copies included), and puts the
:class:`Session` in ``scope["accord.session"]`` and the signed-in
:class:`~accord.accounts.User` in ``scope["accord.session_user"]``, which
:func:`accord.web.deps.current_viewer` reads.

CSRF: page routers check the token of every unsafe request with :func:`check_csrf` (form field
``csrf_token`` or header ``X-CSRF-Token``). Unsafe requests to any other path (the REST API,
TAXII) only act as the session user when they carry the token in the header; otherwise they are
anonymous, so a cross-site form cannot write through the API with a browser's cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

from fastapi import Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord import accounts
from accord.errors import AccordError, Forbidden, Unauthenticated
from accord.kb import KnowledgeBase
from accord.web.errors import accord_error_response

COOKIE = "accord_session"
MAX_AGE = int(accounts.SESSION_LIFETIME.total_seconds())
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
#: Paths outside the pages: their unsafe requests act as the session user only with the header.
API_PREFIXES = ("/api/", "/taxii2/")


@dataclass
class Session:
    """The state one browser holds: a CSRF token and, once signed in, its server session id."""

    csrf: str
    session_id: str | None = None
    dirty: bool = False

    @classmethod
    def fresh(cls) -> Session:
        """A new anonymous session with its own CSRF token."""
        return cls(csrf=secrets.token_urlsafe(32), dirty=True)

    def sign_in(self, kb: KnowledgeBase, user: accounts.User) -> None:
        """Open a new server session for the user (ending any previous one) and rotate the
        CSRF token: no session fixation. Writes the session rows."""
        self.sign_out(kb)
        self.session_id = accounts.start_session(kb, user)

    def sign_out(self, kb: KnowledgeBase) -> None:
        """End the server session, so this cookie and any copy of it stop working, and rotate
        the CSRF token. Writes (deletes the session row)."""
        if self.session_id:
            accounts.end_session(kb, self.session_id)
        self.forget()

    def forget(self) -> None:
        """Drop the session id from the cookie (it has ended) and rotate the CSRF token."""
        self.session_id = None
        self.csrf = secrets.token_urlsafe(32)
        self.dirty = True


class SessionMiddleware:
    """ASGI middleware: load the signed session cookie, resolve its user, write it back."""

    def __init__(
        self, app: ASGIApp, *, kb: KnowledgeBase, secret: str, secure: bool = True
    ) -> None:
        self.app = app
        self.kb = kb
        self.secure = secure
        self.signer = URLSafeTimedSerializer(secret, salt="accord.session")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = self._load(scope)
        try:
            user = self._user(session)
        except AccordError as exc:  # e.g. the database cannot be reached: 503, not a 500
            await accord_error_response(exc)(scope, receive, send)
            return
        if user is not None and _needs_header_token(scope) and not _header_ok(scope, session):
            user = None
        scope["accord.session"] = session
        scope["accord.session_user"] = user

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.dirty:
                headers = MutableHeaders(scope=message)
                headers.append("set-cookie", self._cookie(session))
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _load(self, scope: Scope) -> Session:
        raw = _cookie_value(scope)
        if raw:
            try:
                data: Any = self.signer.loads(raw, max_age=MAX_AGE)
            except BadSignature:
                data = None
            if isinstance(data, dict) and isinstance(data.get("c"), str):
                sid = data.get("s")
                return Session(csrf=data["c"], session_id=sid if isinstance(sid, str) else None)
        return Session.fresh()

    def _user(self, session: Session) -> accounts.User | None:
        """The session's user, looked up on every request; forgets a session that ended."""
        if not session.session_id:
            return None
        try:
            return accounts.user_for_session(self.kb, session.session_id)
        except Unauthenticated:
            session.forget()
            return None

    def _cookie(self, session: Session) -> str:
        payload: dict[str, Any] = {"c": session.csrf}
        if session.session_id:
            payload["s"] = session.session_id
        cookie: SimpleCookie = SimpleCookie()
        cookie[COOKIE] = self.signer.dumps(payload)
        morsel = cookie[COOKIE]
        morsel["path"] = "/"
        morsel["max-age"] = MAX_AGE
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        if self.secure:
            morsel["secure"] = True
        return morsel.OutputString()


def _cookie_value(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 - a malformed cookie header is just ignored
                continue
            if COOKIE in jar:
                return jar[COOKIE].value
    return None


def _needs_header_token(scope: Scope) -> bool:
    """Unsafe requests outside the pages must carry the CSRF header to act as the session."""
    path: str = scope.get("path", "")
    return scope.get("method", "GET") in UNSAFE and path.startswith(API_PREFIXES)


def _header_ok(scope: Scope, session: Session) -> bool:
    for key, value in scope.get("headers", []):
        if key == CSRF_HEADER.encode():
            return hmac.compare_digest(value.decode("latin-1"), session.csrf)
    return False


def session_of(request: Request) -> Session:
    """The request's session (set by :class:`SessionMiddleware`)."""
    session = request.scope.get("accord.session")
    if not isinstance(session, Session):
        raise Forbidden("sessions are not enabled on this app")
    return session


async def check_csrf(request: Request) -> None:
    """Router dependency: an unsafe request must carry the session's CSRF token. Read-only."""
    if request.method not in UNSAFE:
        return
    session = session_of(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf):
        raise Forbidden("the form has expired or did not come from this site: reload and retry")
