"""Accord: a self-hostable system of record for state behaviour in cyberspace.

The public library API is :class:`KnowledgeBase`; everything not listed in ``__all__`` is
internal.
"""

from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.dates import PartialDate, Precision
from accord.domain.records import Record, Source
from accord.domain.vocab import Kind, Marking, Sector, Status, UserRole
from accord.errors import AccordError
from accord.kb import KnowledgeBase

__version__ = "0.1.0"

__all__ = [
    "ANONYMOUS",
    "SYSTEM",
    "AccordError",
    "Kind",
    "KnowledgeBase",
    "Marking",
    "PartialDate",
    "Precision",
    "Record",
    "Sector",
    "Source",
    "Status",
    "UserRole",
    "Viewer",
    "__version__",
]
