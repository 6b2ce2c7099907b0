"""What the REST API answers about withdrawn records (docs/withdrawals.md): the withdraw
body, the tombstone answered with 410 Gone, and the lookups the record routes share.

A tombstone is answered only to whoever could see the record before it was withdrawn; anyone
else gets the 404 of a missing record (:meth:`accord.kb.KnowledgeBase.tombstone`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import Kind
from accord.errors import Conflict, NotFound
from accord.kb import KnowledgeBase
from accord.store.withdrawals import MAX_REASON, Tombstone
from accord.web.api.models import JSONAnswer


class WithdrawBody(BaseModel):
    """Why the record is withdrawn (kept in its history and served to its readers)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON)


class TombstoneAnswer(BaseModel):
    """What is left of a withdrawn record: answered with 410 Gone."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: Kind
    name: str
    status: Literal["withdrawn"]
    withdrawn_at: dt.datetime
    reason: str


#: The OpenAPI answer of a record's GET when the record was withdrawn.
GONE: dict[int | str, dict[str, Any]] = {
    410: {
        "model": TombstoneAnswer,
        "description": "The record was withdrawn: its tombstone (you could see the record)",
    }
}


def gone(tombstone: Tombstone) -> JSONAnswer:
    """The 410 Gone answer with the tombstone."""
    return JSONAnswer(tombstone.to_json(), status_code=410)


def tombstone_of_kind(
    kb: KnowledgeBase, record_id: str, viewer: Viewer, kind: Kind
) -> Tombstone | None:
    """The tombstone of a withdrawn record of this kind the viewer may see, else None.
    Read-only."""
    found = kb.tombstone(record_id, viewer)
    return found if found is not None and found.record.kind is kind else None


def live(kb: KnowledgeBase, record_id: str, viewer: Viewer, kind: Kind) -> Record:
    """The record of this kind to change: NotFound for a missing, hidden or other-kind one,
    Conflict for a withdrawn one the viewer could see (it is never changed). Read-only."""
    try:
        record = kb.get(record_id, viewer)
    except NotFound:
        if tombstone_of_kind(kb, record_id, viewer, kind) is not None:
            raise Conflict(
                "this record was withdrawn: a withdrawn record is not edited, re-marked, "
                "shared or published again",
                record=record_id,
            ) from None
        raise
    if record.kind is not kind:
        raise NotFound(f"no {kind.value} with this id", record=record_id)
    return record
