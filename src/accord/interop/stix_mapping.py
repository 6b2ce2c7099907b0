"""The STIX 2.1 ↔ Accord mapping tables shared by export, import and TAXII (pure, no I/O).

Ids are deterministic (UUIDv5 of the Accord id under :data:`NAMESPACE`), so exporting the same
record twice gives the same STIX id. Accord's own properties on standard STIX objects travel in
one property extension (:data:`PROPS_EXT`); norms, initiatives and responses are new SDO types,
participations and assessments new SRO types, each declared by an ``extension-definition``
object shipped in every bundle. See docs/interop.md for the full table.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from accord.domain.kinds import KINDS
from accord.domain.records import PAYLOADS, Payload, Source
from accord.domain.stable_ids import kept_stix_id, uuid5
from accord.domain.vocab import ActorKind, Kind, Marking, Stance

SPEC = "2.1"
#: The timestamp of Accord's fixed meta objects (producer identity, extension definitions).
META_TIME = "2026-01-01T00:00:00.000Z"
TLP_TIME = "2022-10-01T00:00:00.000Z"
TLP_EXT = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

#: The official TLP 2.0 marking definitions (fixed ids, published by OASIS).
TLP_IDS: dict[Marking, str] = {
    Marking.CLEAR: "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    Marking.GREEN: "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    Marking.AMBER: "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    Marking.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Marking.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
MARKING_OF_TLP = {v: k for k, v in TLP_IDS.items()}


def stable_id(stix_type: str, name: str) -> str:
    """A deterministic STIX id: ``<type>--<uuid5(NAMESPACE, name)>``."""
    return f"{stix_type}--{uuid5(name)}"


PRODUCER_ID = stable_id("identity", "accord:producer")
PROPS_EXT = stable_id("extension-definition", "accord:record-properties")

#: New object types, their extension definition id and extension type.
NEW_TYPES: dict[Kind, tuple[str, str]] = {
    info.kind: info.new_stix_type for info in KINDS if info.new_stix_type is not None
}
KIND_OF_NEW_TYPE = {stix_type: kind for kind, (stix_type, _) in NEW_TYPES.items()}
NEW_TYPE_EXT = {
    stix_type: stable_id("extension-definition", f"accord:{stix_type}")
    for stix_type, _ in NEW_TYPES.values()
}

#: Payload fields carried by a standard STIX property rather than the extension.
STANDARD_FIELDS: dict[str, dict[str, str]] = {
    "identity": {"name": "name", "description": "description"},
    "intrusion-set": {"name": "name", "description": "description", "aliases": "aliases"},
    "threat-actor": {"name": "name", "description": "description", "aliases": "aliases"},
    "incident": {"name": "name", "description": "description"},
    "relationship": {"summary": "description", "confidence": "confidence"},
    "opinion": {"summary": "explanation", "confidence": "confidence"},
    "note": {"content": "content"},
}
#: Properties an exporter derives from the record; never stored as opaque data on import.
DERIVED = frozenset(
    {
        "type",
        "spec_version",
        "id",
        "created",
        "modified",
        "created_by_ref",
        "object_marking_refs",
        "external_references",
        "extensions",
        "identity_class",
        "relationship_type",
        "source_ref",
        "target_ref",
        "opinion",
        "object_refs",
        "granular_markings",
    }
)
OPINION_OF_STANCE = {Stance.DISPUTES: "disagree", Stance.DENIES: "strongly-disagree"}
STANCE_OF_OPINION = {v: k for k, v in OPINION_OF_STANCE.items()}


def stix_type_of(kind: Kind, data: Payload) -> str:
    """The STIX type a record of this kind and payload is exported as."""
    if kind is Kind.ACTOR:
        if getattr(data, "kind", None) is ActorKind.THREAT_GROUP:
            kept = data.extra.get("stix", {}).get("id", "")
            return "threat-actor" if kept.startswith("threat-actor--") else "intrusion-set"
        return "identity"
    if kind is Kind.INCIDENT:
        return "incident"
    if kind is Kind.CLAIM:
        return "opinion" if getattr(data, "stance", None) in OPINION_OF_STANCE else "relationship"
    if kind is Kind.EVIDENCE:
        return "note"
    return NEW_TYPES[kind][0]


def stix_id_of(record_id: str, kind: Kind, data: Payload) -> str:
    """The STIX id of a record: the id it was imported with, else UUIDv5 of its Accord id."""
    return kept_stix_id(data.extra) or stable_id(stix_type_of(kind, data), record_id)


def ref_name(field: str, many: bool) -> str:
    """The STIX property name of a reference field: ``parent`` → ``parent_ref``,
    ``target_actors`` → ``target_actor_refs``."""
    return f"{field.removesuffix('s')}_refs" if many else f"{field}_ref"


def ref_fields(kind: Kind) -> dict[str, tuple[str, bool]]:
    """STIX property name → (payload field, many) for a kind's reference fields."""
    return {
        ref_name(name, spec.many): (name, spec.many) for name, spec in PAYLOADS[kind].REFS.items()
    }


def timestamp(value: dt.datetime) -> str:
    """A STIX timestamp (UTC, 'Z'): milliseconds, or microseconds when they are not zero."""
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    text = utc.isoformat(timespec="microseconds")
    return (text[:-3] if utc.microsecond % 1000 == 0 else text) + "Z"


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def parse_timestamp(text: Any) -> dt.datetime:
    """Parse a STIX timestamp (RFC 3339, UTC 'Z'); raises ValueError naming the value."""
    if not isinstance(text, str) or not _TIMESTAMP.match(text):
        raise ValueError(f"'{str(text)[:40]}' is not a STIX timestamp (YYYY-MM-DDTHH:MM:SS[.s]Z)")
    try:  # the pattern above guarantees the form; Python 3.11 reads 'Z' and truncates to µs
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"'{text[:40]}' is not a real date and time") from exc


def content_digest(payload: Payload, marking: Marking, sources: Sequence[Source]) -> str:
    """A short fingerprint of a record's content (payload without ``extra``, marking,
    sources): an object unchanged since import is exported exactly as it was imported."""
    return digest_of(
        payload.model_dump(mode="json", by_alias=True, exclude_defaults=True), marking, sources
    )


def digest_of(dumped: Mapping[str, Any], marking: Marking, sources: Sequence[Source]) -> str:
    """:func:`content_digest` of an already dumped payload."""
    body = {
        "data": {k: v for k, v in dumped.items() if k != "extra"},
        "marking": marking.value,
        "sources": [_dumped(s) for s in sources],
    }
    text = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(text, digest_size=12).hexdigest()


@functools.lru_cache(maxsize=4_096)
def _dumped(source: Source) -> dict[str, Any]:
    """A source as JSON, cached (records written together cite the same few; read-only)."""
    return source.model_dump(mode="json", exclude_none=True)


def holds_refs(value: Any) -> bool:
    """Whether a (nested) value has a ``*_ref`` / ``*_refs`` key: such opaque data could point
    to a record the reader may not see, so it is never kept."""
    if isinstance(value, Mapping):
        return any(k.endswith(("_ref", "_refs")) or holds_refs(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_refs(v) for v in value)
    return False


def meta_objects() -> list[dict[str, Any]]:
    """The objects every Accord bundle starts with: the five TLP 2.0 marking definitions, the
    producer identity and the extension definitions of Accord's properties and new types."""
    out: list[dict[str, Any]] = [
        {
            "type": "marking-definition",
            "spec_version": SPEC,
            "id": tlp_id,
            "created": TLP_TIME,
            "name": f"TLP:{marking.value}",
            "extensions": {
                TLP_EXT: {"extension_type": "property-extension", "tlp_2_0": marking.value.lower()}
            },
        }
        for marking, tlp_id in TLP_IDS.items()
    ]
    common = {"spec_version": SPEC, "created": META_TIME, "modified": META_TIME}
    out.append(
        {
            "type": "identity",
            "id": PRODUCER_ID,
            **common,
            "name": "Accord",
            "description": "The Accord system of record for state behaviour in cyberspace.",
            "identity_class": "system",
            "object_marking_refs": [TLP_IDS[Marking.CLEAR]],
        }
    )
    out.append(
        _ext_definition(
            PROPS_EXT,
            "Accord record properties",
            "property-extension",
            "Accord's properties on standard STIX objects: record_id (the Accord id), kind "
            "(the Accord record kind), status (only when a draft) and the record's fields "
            "that STIX does not model, named as in Accord; reference fields end in _ref or "
            "_refs and hold STIX ids. See docs/interop.md.",
        )
    )
    for kind, (stix_type, ext_type) in NEW_TYPES.items():
        out.append(
            _ext_definition(
                NEW_TYPE_EXT[stix_type],
                f"Accord {kind.value}",
                ext_type,
                f"The {stix_type} object: an Accord {kind.value} record. Its properties are "
                f"the record's fields, named as in Accord; reference fields end in _ref or "
                f"_refs and hold STIX ids. See docs/interop.md.",
            )
        )
    return out


def _ext_definition(ext_id: str, name: str, ext_type: str, schema: str) -> dict[str, Any]:
    return {
        "type": "extension-definition",
        "spec_version": SPEC,
        "id": ext_id,
        "created_by_ref": PRODUCER_ID,
        "created": META_TIME,
        "modified": META_TIME,
        "name": name,
        "description": f"{name}: records of the Accord system of record, as STIX.",
        "schema": schema,
        "version": "1.0.0",
        "extension_types": [ext_type],
        "object_marking_refs": [TLP_IDS[Marking.CLEAR]],
    }


META_IDS = frozenset(o["id"] for o in meta_objects())
