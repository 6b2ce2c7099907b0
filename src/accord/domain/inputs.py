"""Validation of incoming records: raw mappings in, typed payloads out, errors named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accord.domain.records import PAYLOADS, Payload, RecordId, Source
from accord.domain.text import Line, describe, visible
from accord.domain.vocab import Kind, Marking, Status
from accord.errors import InvalidInput, SourceMissing


class RecordInput(BaseModel):
    """A record as submitted: kind, payload fields, sources and sharing envelope."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: RecordId | None = None
    kind: Kind
    #: The payload's fields, or a payload an importer has already validated with
    #: :func:`parse_payload` (then taken as it is, not validated twice).
    data: dict[str, Any] | Payload
    sources: tuple[Source, ...] = ()
    marking: Marking = Marking.CLEAR
    status: Status = Status.PUBLISHED
    shares: tuple[RecordId, ...] = ()
    readers: tuple[Line, ...] = ()


def field_of(error: Mapping[str, Any], skip: tuple[str, ...] = ()) -> str:
    """The dotted name of the field a pydantic error is about (control characters in a map
    key written as escapes), leaving out the location parts in ``skip``."""
    parts = (visible(str(part)) for part in error.get("loc", ()) if part not in skip)
    return ".".join(parts)


def message_of(error: Mapping[str, Any]) -> str:
    """A readable message for one pydantic error: an unknown field named, a refused character
    named by its code point, else pydantic's own words."""
    if error.get("type") == "extra_forbidden":
        return f"unknown field '{field_of(error).split('.')[-1]}'"
    message = describe(error) or str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def invalid_from(exc: ValidationError, record: str | None, prefix: str = "") -> InvalidInput:
    """Translate a pydantic error into InvalidInput naming the record and the first bad field."""
    first = exc.errors()[0]
    field = f"{prefix}{field_of(first)}".rstrip(".") or "record"
    return InvalidInput(message_of(first), record=record, field=field)


def parse_input(raw: Mapping[str, Any]) -> RecordInput:
    """Validate the envelope of a submitted record. Raises InvalidInput naming the field."""
    record = raw.get("id") if isinstance(raw.get("id"), str) else None
    try:
        return RecordInput.model_validate(raw)
    except ValidationError as exc:
        raise invalid_from(exc, record) from None


def parse_payload(kind: Kind, data: Mapping[str, Any] | Payload, record: str | None) -> Payload:
    """Validate a payload of the given kind (a validated payload of that kind is returned as
    it is). Raises InvalidInput naming the record and field."""
    if isinstance(data, Payload):
        if not isinstance(data, PAYLOADS[kind]):
            wrong = f"a {data.KIND.value} payload for a {kind.value} record"
            raise InvalidInput(wrong, record=record, field="data")
        return data
    try:
        return PAYLOADS[kind].model_validate(dict(data))
    except ValidationError as exc:
        raise invalid_from(exc, record, prefix="data.") from None


def require_sources(sources: Sequence[Source], record: str | None) -> None:
    """Every record cites at least one source."""
    if not sources:
        raise SourceMissing(
            "every record needs at least one source (title, publisher, url, date)",
            record=record,
            field="sources",
        )


class Page(BaseModel):
    """One page of a keyset-paginated list."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    items: list[Any] = Field(default_factory=list)
    next_cursor: str | None = None
