"""Export the records a viewer may see as STIX 2.1 objects and bundles (read-only).

Everything is read through the KnowledgeBase (which applies the sharing rules): a relationship
record is only returned when both its ends are visible, and entity records come back with
references to hidden records removed, so no exported ``*_ref`` points to a hidden record.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from accord.access import Viewer
from accord.domain.dates import PartialDate
from accord.domain.kinds import KINDS
from accord.domain.records import Claim, Record
from accord.domain.vocab import Kind, Marking, Stance, Status
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase

#: Export order: each kind after the kinds it points to (the registry's order).
KIND_ORDER = tuple(info.kind for info in KINDS)
_ATTRIBUTING = (Stance.ATTRIBUTES, Stance.SELF_ATTRIBUTES)


@dataclass
class StixContext:
    """What converting a record needs besides the record: STIX ids of the records it
    points to, and for disputes the attributing relationships they answer."""

    ids: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    attributions: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        """Learn a visible record's STIX id and type (and index it if it attributes)."""
        self.ids[record.id] = m.stix_id_of(record.id, record.kind, record.data)
        self.types[record.id] = m.stix_type_of(record.kind, record.data)
        data = record.data
        # A withdrawn attribution is answered by no dispute (whatever page it is served on).
        if (
            isinstance(data, Claim)
            and data.stance in _ATTRIBUTING
            and record.status is not Status.WITHDRAWN
        ):
            key = (data.incident or data.subject or "", data.accused)
            self.attributions.setdefault(key, []).append(self.ids[record.id])


def build_context(kb: KnowledgeBase, viewer: Viewer, records: Iterable[Record]) -> StixContext:
    """A context for converting the given records: their referenced records' STIX ids and the
    visible attributing claims their disputes answer. Read-only (a few batched queries)."""
    ctx = StixContext()
    batch = list(records)
    for record in batch:
        ctx.add(record)
    wanted = {t for r in batch for _, t in r.data.refs() if t not in ctx.ids}
    for found in kb.get_many(wanted, viewer).values():
        ctx.add(found)
    disputes = [
        r.data for r in batch if isinstance(r.data, Claim) and r.data.stance in m.OPINION_OF_STANCE
    ]
    if disputes:
        about = {t for d in disputes for t in (d.incident, d.subject) if t}
        for claim in kb.referrers(about, viewer, kind=Kind.CLAIM, fields=("incident", "subject")):
            if claim.id not in ctx.ids:
                ctx.add(claim)
    return ctx


def to_stix(record: Record, ctx: StixContext) -> dict[str, Any]:
    """The STIX 2.1 object for one record (pure)."""
    data = record.data
    stype = m.stix_type_of(record.kind, data)
    kept: dict[str, Any] = data.extra.get("stix", {})
    unchanged = "digest" in kept and kept["digest"] == m.content_digest(
        data, record.marking, record.sources
    )
    created = kept.get("created")
    first = m.parse_timestamp(created) if created else record.created_at
    if unchanged and kept.get("modified"):
        modified = kept["modified"]
    else:
        modified = m.timestamp(max(record.updated_at, first))
    created = created or m.timestamp(record.created_at)
    obj: dict[str, Any] = {
        "type": stype,
        "spec_version": m.SPEC,
        "id": ctx.ids.get(record.id) or m.stix_id_of(record.id, record.kind, data),
        "created": created,
        "modified": modified,
    }
    fields = _plain_fields(record)
    own: dict[str, Any] = {"extension_type": "property-extension", "record_id": record.id}
    if record.status.value != "published":
        own["status"] = record.status.value
    extensions: dict[str, Any] = {m.PROPS_EXT: own}
    if stype in m.NEW_TYPE_EXT:
        new_type = m.NEW_TYPES[record.kind][1]
        extensions = {m.NEW_TYPE_EXT[stype]: {"extension_type": new_type}, **extensions}
        target = obj
    else:
        target = own
    for name, prop in m.STANDARD_FIELDS.get(stype, {}).items():
        if name in fields:
            obj[prop] = fields.pop(name)
    _structure(record, stype, fields, obj, ctx)
    for name, spec in data.REFS.items():
        value = fields.pop(name, None)
        if value is None:
            continue
        if spec.many:
            refs = [ctx.ids[t] for t in value if t in ctx.ids]
            if refs:
                target[m.ref_name(name, True)] = refs
        elif value in ctx.ids:
            target[m.ref_name(name, False)] = ctx.ids[value]
    target.update(fields)
    obj["object_marking_refs"] = [m.TLP_IDS[record.marking]]
    obj["external_references"] = _references(record, kept if unchanged else {}, own)
    opaque = kept.get("props", {})
    obj.update({k: v for k, v in opaque.items() if k not in obj})
    if unchanged:
        obj.update(kept.get("exact", {}))
    obj["extensions"] = extensions
    if record.status is Status.WITHDRAWN:
        # A withdrawal is a new version of the object: revoked, modified when it was withdrawn
        # (never the kept ``modified`` of an imported object, or subscribers would skip it).
        obj["revoked"] = True
        obj["modified"] = m.timestamp(max(record.updated_at, first))
    return obj


def stored_form(
    record: Record, known: Mapping[str, tuple[str, str]]
) -> tuple[str, str, bytes | None, dict[str, str | None] | None]:
    """The record's STIX id and type, its STIX object as JSON bytes with every record it points
    to in view, and the STIX id used for each of those (None: absent), given ``known`` (record
    id → STIX id and type, the record's own included); the form and its dependencies are None
    for a dispute (its ``object_refs`` depend on other records) and for a record that cannot
    be converted (a missing end). Pure; :mod:`accord.store.stix_forms` stores the result."""
    stix_id, stype = known[record.id]
    if stype == "opinion":
        return stix_id, stype, None, None
    ctx = StixContext()
    ctx.ids[record.id], ctx.types[record.id] = stix_id, stype
    deps: dict[str, str | None] = {}
    for _, target in record.data.refs():
        found = known.get(target)
        deps[target] = found[0] if found else None
        if found:
            ctx.ids[target], ctx.types[target] = found
    try:
        obj = to_stix(record, ctx)
    except KeyError:
        return stix_id, stype, None, None
    return stix_id, stype, orjson.dumps(obj), deps


def _plain_fields(record: Record) -> dict[str, Any]:
    """The payload as JSON with dates as their plain strings ('2017-05')."""
    data = record.data
    out = data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    out.pop("extra", None)
    for name in list(out):
        value = getattr(data, "title_" if name == "title" and record.kind is Kind.NORM else name)
        if isinstance(value, PartialDate):
            out[name] = value.value
    return out


def _structure(
    record: Record, stype: str, fields: dict[str, Any], obj: dict[str, Any], ctx: StixContext
) -> None:
    """Type-specific standard properties (identity_class, relationship ends, opinion)."""
    data = record.data
    if stype == "identity":
        obj["identity_class"] = "individual" if fields["kind"] == "individual" else "organization"
    elif isinstance(data, Claim):
        subject = data.incident or data.subject or ""
        claimant_is_identity = ctx.types.get(data.claimant) == "identity"
        if claimant_is_identity:
            obj["created_by_ref"] = ctx.ids[data.claimant]
            fields.pop("claimant", None)
        if stype == "relationship":
            # A claim that only traces an operation to a territory attributes nothing to the
            # state: a generic link, its stance and level in Accord's extension.
            located = data.stance is Stance.LOCATES
            obj["relationship_type"] = "related-to" if located else "attributed-to"
            obj["source_ref"] = ctx.ids[subject]
            obj["target_ref"] = ctx.ids[data.accused]
            for name in ("incident", "subject", "accused"):
                fields.pop(name, None)
        else:
            obj["opinion"] = m.OPINION_OF_STANCE[data.stance]
            answered = ctx.attributions.get((subject, data.accused), [])
            obj["object_refs"] = sorted(answered) or [ctx.ids[subject], ctx.ids[data.accused]]
    elif stype == "note":
        obj["object_refs"] = [ctx.ids[fields.pop("about")]]


def _references(record: Record, kept: dict[str, Any], own: dict[str, Any]) -> list[Any]:
    """Sources as external references (the imported list itself when unchanged); dates and
    reliability, which STIX references lack, go to the extension as ``source_details``."""
    if kept.get("external_references"):
        return list(kept["external_references"])
    details: list[dict[str, str]] = []
    for source in record.sources:
        detail = {"date": source.date.value} if source.date else {}
        if source.reliability:
            detail["reliability"] = source.reliability
        details.append(detail)
    if any(details):
        own["source_details"] = details
    return [
        {"source_name": s.publisher, "description": s.title, "url": str(s.url)}
        for s in record.sources
    ]


def country_objects(record: Record, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """For an actor with a country: a ``location`` and the ``located-at`` (identity) or
    ``originates-from`` (group) relationship to it. Derived, skipped again on import."""
    country = getattr(record.data, "country", None)
    if record.kind is not Kind.ACTOR or not country:
        return []
    location_id = m.stable_id("location", f"country:{country}")
    verb = "located-at" if obj["type"] == "identity" else "originates-from"
    location = {
        "type": "location",
        "spec_version": m.SPEC,
        "id": location_id,
        "created": m.META_TIME,
        "modified": m.META_TIME,
        "country": country,
        "object_marking_refs": [m.TLP_IDS[Marking.CLEAR]],
    }
    link = {
        "type": "relationship",
        "spec_version": m.SPEC,
        "id": m.stable_id("relationship", f"{verb}:{record.id}"),
        "created": obj["created"],
        "modified": obj["modified"],
        "relationship_type": verb,
        "source_ref": obj["id"],
        "target_ref": location_id,
        "object_marking_refs": obj["object_marking_refs"],
    }
    return [location, link]


def iter_objects(kb: KnowledgeBase, viewer: Viewer) -> Iterator[dict[str, Any]]:
    """Every STIX object of a full export for the viewer, in dependency order. Read-only:
    two streamed passes over the visible records (ids first, then objects)."""
    ctx = StixContext()
    for kind in KIND_ORDER:
        for record in kb.iter_records(viewer, kind=kind):
            ctx.add(record)
    yield from m.meta_objects()
    locations: set[str] = set()
    for kind in KIND_ORDER:
        for record in kb.iter_records(viewer, kind=kind):
            obj = to_stix(record, ctx)
            yield obj
            for derived in country_objects(record, obj):
                if derived["type"] == "location":
                    if derived["id"] in locations:
                        continue
                    locations.add(derived["id"])
                yield derived


def iter_bundle(
    kb: KnowledgeBase, viewer: Viewer, *, bundle_id: str | None = None
) -> Iterator[bytes]:
    """The export as a STIX bundle, streamed as JSON chunks. Read-only."""
    ident = bundle_id or f"bundle--{uuid.uuid4()}"
    yield b'{"type": "bundle", "id": "' + ident.encode() + b'", "objects": [\n'
    first = True
    for obj in iter_objects(kb, viewer):
        yield (b"" if first else b",\n") + orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)
        first = False
    yield b"\n]}\n"


def write_bundle(
    kb: KnowledgeBase, viewer: Viewer, out: IO[bytes], *, bundle_id: str | None = None
) -> int:
    """Write the export bundle to ``out``; returns the number of objects. Read-only on the
    database."""
    count = -1
    for count, chunk in enumerate(iter_bundle(kb, viewer, bundle_id=bundle_id)):  # noqa: B007
        out.write(chunk)
    return max(count - 1, 0)
