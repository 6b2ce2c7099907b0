"""Form handling for the sign-in and edit pages (pure, no I/O): form fields to library input
and library errors back to the form field they concern. New records are filed through
:mod:`record_forms` and :mod:`filing`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.errors import AccordError

#: Payload fields the edit form offers, when the record's kind has them.
EDITABLE = (
    "name",
    "description",
    "summary",
    "rationale",
    "content",
    "stance",
    "kind",
    "date",
    "confidence",
    "confidence_words",
    "evidence",
    "instrument",
)


def text(form: Mapping[str, Any], name: str) -> str:
    """A trimmed text field ('' when missing)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def id_list(value: str) -> list[str]:
    """Comma- or space-separated ids or emails."""
    return [part for part in value.replace(",", " ").split() if part]


def payload_from(form: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The payload fields that were filled in; confidence becomes a number when it is one."""
    data: dict[str, Any] = {}
    for name in fields:
        value = text(form, name)
        if not value:
            continue
        data[name] = int(value) if name == "confidence" and value.isdigit() else value
    return data


def field_of(error: AccordError) -> str:
    """The form field an error concerns: ``data.accused`` → ``accused``, ``sources.0.url`` →
    ``source_url``, ``sources`` → ``source_title``; anything else → ``form``."""
    name = error.field or ""
    if name.startswith("data."):
        return name.removeprefix("data.").split(".")[0]
    if name.startswith("sources"):
        parts = name.split(".")
        return f"source_{parts[2]}" if len(parts) > 2 else "source_title"
    if name in ("marking", "shares", "readers", "status", "email", "password"):
        return name
    return "form"
