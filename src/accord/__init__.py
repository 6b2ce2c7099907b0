"""Accord: a self-hostable system of record for state behaviour in cyberspace.

The public library API is :class:`KnowledgeBase` and the errors it raises (the tree drawn in
:mod:`accord.errors`); everything not listed in ``__all__`` is internal.
"""

from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.dates import PartialDate, Precision
from accord.domain.records import Record, Source
from accord.domain.vocab import Kind, Marking, Sector, Status, UserRole
from accord.errors import (
    AccordError,
    BadRequest,
    BundleError,
    Conflict,
    DatasetInvalid,
    Forbidden,
    ImportInvalid,
    InvalidInput,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    PullRunning,
    RemoteError,
    SourceMissing,
    StaleNext,
    StoreUnavailable,
    Unauthenticated,
    UnfilteredRead,
    UnsupportedMediaType,
)
from accord.kb import KnowledgeBase

__version__ = "0.1.0"

__all__ = [
    "ANONYMOUS",
    "SYSTEM",
    "AccordError",
    "BadRequest",
    "BundleError",
    "Conflict",
    "DatasetInvalid",
    "Forbidden",
    "ImportInvalid",
    "InvalidInput",
    "Kind",
    "KnowledgeBase",
    "Marking",
    "NotAcceptable",
    "NotFound",
    "PartialDate",
    "PayloadTooLarge",
    "Precision",
    "PullRunning",
    "Record",
    "RemoteError",
    "Sector",
    "Source",
    "SourceMissing",
    "StaleNext",
    "Status",
    "StoreUnavailable",
    "Unauthenticated",
    "UnfilteredRead",
    "UnsupportedMediaType",
    "UserRole",
    "Viewer",
    "__version__",
]
