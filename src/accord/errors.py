"""Accord's one exception tree.

Every error a caller can see derives from :class:`AccordError` and carries the HTTP status and a
stable machine ``code`` that the web layer renders in one JSON shape::

    AccordError (500, internal)
    ├── InvalidInput (422, invalid)          a record or argument fails validation
    │   └── SourceMissing (422, source_missing)  a record without a citation
    ├── BadRequest (400, bad_request)        a malformed request or file
    ├── Unauthenticated (401, unauthenticated)  missing, bad, expired or revoked credentials
    ├── Forbidden (403, forbidden)           the caller sees the record but may not do this
    ├── NotFound (404, not_found)            no such record, or one the caller may not see
    ├── Conflict (409, conflict)             an id taken by different content, a stale revision
    ├── PayloadTooLarge (413, too_large)     a body over the configured size
    └── StoreUnavailable (503, store_unavailable)  the database cannot be reached

Foreign errors (SQLAlchemy, pydantic, YAML, OS) are translated at the boundary with
``raise X(...) from exc`` so that no stack trace or driver message reaches a user.
"""

from __future__ import annotations

from typing import Any


class AccordError(Exception):
    """Base of every error Accord reports to a caller."""

    status = 500
    code = "internal"

    def __init__(
        self, message: str, *, record: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.record = record
        self.field = field

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"record {self.record}" if self.record else "",
                f"field {self.field}" if self.field else "",
            )
            if part
        )
        return f"{self.message} ({where})" if where else self.message

    def body(self) -> dict[str, Any]:
        """The JSON error body every interface renders: ``{"error": {...}}``."""
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.record:
            detail["record"] = self.record
        if self.field:
            detail["field"] = self.field
        return {"error": detail}


class InvalidInput(AccordError):
    """A record or argument fails validation; names the record and field."""

    status = 422
    code = "invalid"


class SourceMissing(InvalidInput):
    """A record was given without at least one source citation."""

    code = "source_missing"


class BadRequest(AccordError):
    """A malformed request, file or query."""

    status = 400
    code = "bad_request"


class Unauthenticated(AccordError):
    """Credentials are missing, wrong, expired or revoked."""

    status = 401
    code = "unauthenticated"


class Forbidden(AccordError):
    """The caller may see the record but may not perform this action on it."""

    status = 403
    code = "forbidden"


class NotFound(AccordError):
    """No such record, or one the caller may not see (existence is not revealed)."""

    status = 404
    code = "not_found"


class Conflict(AccordError):
    """An id already holds different content, or a write raced another."""

    status = 409
    code = "conflict"


class PayloadTooLarge(AccordError):
    """A request body exceeds the configured maximum size."""

    status = 413
    code = "too_large"


class StoreUnavailable(AccordError):
    """The database cannot be reached or opened."""

    status = 503
    code = "store_unavailable"
