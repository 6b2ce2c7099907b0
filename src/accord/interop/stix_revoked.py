"""Revoked STIX objects in an import: each withdraws the local record it maps to, when the
importer may withdraw it (docs/withdrawals.md).

A revoked object is never written as a record. After the import's records are written, the
record it maps to (the same id mapping as for written objects,
:class:`accord.interop.import_ids.ImportIds`) is withdrawn through
:meth:`accord.kb.KnowledgeBase.withdraw`, which applies the rules: only a reviewer of the
owning organisation withdraws, and only a published record. Anything else is reported as
skipped, with its reason; a record the importer may not see is reported exactly as one that
does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from accord.access import Viewer
from accord.errors import Conflict, Forbidden, NotFound
from accord.interop import stix_convert as sc
from accord.kb import KnowledgeBase

#: How skipped revocations are counted in ``report.skipped``.
SKIPPED = "revoked (not withdrawn)"


class _Report(Protocol):
    withdrawn: int

    def note(self, where: str, reason: str) -> None: ...

    def count_skipped(self, category: str) -> None: ...


def is_revoked(obj: Any) -> bool:
    """Whether a (checked) STIX object says ``revoked: true``. Pure."""
    return isinstance(obj, dict) and obj.get("revoked") is True


def planned_id(obj: dict[str, Any]) -> str | None:
    """The record id a revoked object maps to, or None when it maps to no record. Pure."""
    try:
        return sc.plan(obj).record_id
    except (sc.Skip, sc.Invalid, KeyError, TypeError, AttributeError):
        return None


def apply(
    kb: KnowledgeBase,
    viewer: Viewer,
    revoked: Sequence[tuple[str, str]],
    written_id: Callable[[str], str],
    report: _Report,
    source: str,
) -> None:
    """Withdraw the record each revoked object (STIX id, planned record id) maps to, or note
    why not. Writes one withdrawal per record withdrawn."""
    for where, planned in revoked:
        why = withdraw(kb, viewer, written_id(planned), source)
        if why is None:
            report.withdrawn += 1
            continue
        report.note(where, why)
        report.count_skipped(SKIPPED)


def withdraw(kb: KnowledgeBase, viewer: Viewer, record_id: str, source: str) -> str | None:
    """Withdraw the record a revoked object from ``source`` maps to: None when done, else why
    not (a record the viewer may not see reads as one that does not exist). Writes one
    withdrawal or nothing."""
    try:
        kb.withdraw(record_id, viewer, f"revoked in {source}"[:500])
    except NotFound:
        return "not withdrawn: no record you may see maps to this revoked object"
    except Forbidden:
        return "not withdrawn: only reviewers of the owning organisation withdraw its records"
    except Conflict as exc:
        return f"not withdrawn: {exc.message}"
    return None
