"""Accord's one exception tree.

Every error a caller can see derives from :class:`AccordError` and carries the HTTP status and a
stable machine ``code`` that the web layer renders in one JSON shape
(:func:`accord.web.errors.error_body`)::

    AccordError (500, internal)
    ├── InvalidInput (422, invalid)          a record or argument fails validation
    │   ├── SourceMissing (422, source_missing)  a record without a citation
    │   ├── DatasetInvalid (422, invalid)    the bundled dataset has problems (all listed)
    │   └── ImportInvalid (422, invalid)     an import has invalid rows: nothing written
    ├── BadRequest (400, bad_request)        a malformed request or file
    │   ├── BundleError (400, bad_request)   a file that is not a readable STIX bundle
    │   └── RemoteError (400, bad_request)   a feed's TAXII server cannot be read
    │       └── StaleNext (400, bad_request) the server refused a ``next`` token it issued
    ├── Unauthenticated (401, unauthenticated)  missing, bad, expired or revoked credentials
    ├── Forbidden (403, forbidden)           the caller sees the record but may not do this
    ├── NotFound (404, not_found)            no such record, or one the caller may not see
    ├── NotAcceptable (406, not_acceptable)  the client does not accept TAXII 2.1 responses
    ├── Conflict (409, conflict)             an id taken by different content, a stale revision
    │   └── PullRunning (409, conflict)      a pull of the same feed is already running
    ├── PayloadTooLarge (413, too_large)     a body over the configured size
    ├── UnsupportedMediaType (415, unsupported_media_type)  a body that is not TAXII 2.1
    ├── StoreUnavailable (503, store_unavailable)  the database cannot be reached
    └── UnfilteredRead (500, internal)       code read records without the sharing filter

Foreign errors (SQLAlchemy, pydantic, YAML, OS) are translated at the boundary with
``raise X(...) from exc`` so that no stack trace or driver message reaches a user. Every class
here is exported from :mod:`accord`; a test walks the tree and fails when one is missing from
this drawing or from ``accord.__all__``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accord.dataset import Problem
    from accord.interop.importing import ImportReport


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


class InvalidInput(AccordError):
    """A record or argument fails validation; names the record and field."""

    status = 422
    code = "invalid"


class SourceMissing(InvalidInput):
    """A record was given without at least one source citation."""

    code = "source_missing"


class DatasetInvalid(InvalidInput):
    """The bundled dataset has problems; ``problems`` lists them all."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0]
        super().__init__(
            f"the dataset has {len(self.problems)} problem(s); first: {first}",
            record=first.record,
            field=first.field,
        )


class ImportInvalid(InvalidInput):
    """The input has invalid rows and ``--skip-invalid`` was not given: nothing was written."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        first = report.invalid[0]
        super().__init__(
            f"{len(report.invalid)} invalid row(s), nothing written (use --skip-invalid to "
            f"import the rest); first: {first}"
        )


class BadRequest(AccordError):
    """A malformed request, file or query."""

    status = 400
    code = "bad_request"


class BundleError(BadRequest):
    """The file is not a readable STIX bundle (malformed JSON, no objects array)."""


class RemoteError(BadRequest):
    """A feed's remote server could not be read (unreachable, refused, or not TAXII 2.1)."""


class StaleNext(RemoteError):
    """The remote refused a ``next`` token it issued earlier."""


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


class NotAcceptable(AccordError):
    """The client does not accept TAXII 2.1 responses."""

    status = 406
    code = "not_acceptable"


class Conflict(AccordError):
    """An id already holds different content, or a write raced another."""

    status = 409
    code = "conflict"


class PullRunning(Conflict):
    """A pull of the same feed is already running (it holds the feed's lease)."""


class PayloadTooLarge(AccordError):
    """A request body exceeds the configured maximum size."""

    status = 413
    code = "too_large"


class UnsupportedMediaType(AccordError):
    """The request body is not a TAXII 2.1 envelope."""

    status = 415
    code = "unsupported_media_type"


class StoreUnavailable(AccordError):
    """The database cannot be reached or opened."""

    status = 503
    code = "store_unavailable"


class UnfilteredRead(AccordError):
    """A query reached the records without its reader's sharing filter (a bug, refused)."""
