"""One STIX 2.0/2.1 object → one Accord record input, or the reason it is not one (pure).

Objects exported by Accord carry their record id and fields in Accord's property extension and
map back exactly. Objects from other producers map by type (identity → actor, intrusion-set /
threat-actor → threat group, attributed-to → claim by its ``created_by_ref``, opinion → dispute);
their unmodelled properties (``x_`` and others without references) are kept as opaque data
under ``extra["stix"]`` and exported again unchanged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from accord.domain.inputs import RecordInput, parse_payload
from accord.domain.records import ID_PATTERN, PAYLOADS, Source
from accord.domain.vocab import Kind, Marking, Stance, Status
from accord.interop import stix_mapping as m

#: TLP 1.0 marking definitions (fixed ids), read as their TLP 2.0 equivalents.
TLP1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Marking.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Marking.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Marking.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Marking.RED,
}
_OWN_KEYS = frozenset({"extension_type", "record_id", "status", "source_details"})
_RELATIONSHIP_PROPS = frozenset({"description", "confidence", "start_time", "stop_time"})


class Skip(Exception):
    """The object carries nothing Accord models (counted, never an error)."""


class Invalid(ValueError):
    """The object is malformed for the type it claims to be."""


@dataclass(frozen=True)
class Plan:
    """What pass 1 learnt about a mapped object: its record id, kind and hard references."""

    record_id: str
    kind: Kind
    needs: tuple[str, ...] = ()


def own_ext(obj: Mapping[str, Any]) -> dict[str, Any] | None:
    """Accord's property extension on the object, if it was exported by Accord."""
    ext = obj.get("extensions")
    found = ext.get(m.PROPS_EXT) if isinstance(ext, Mapping) else None
    return dict(found) if isinstance(found, Mapping) else None


def plan(obj: Mapping[str, Any]) -> Plan:
    """Decide what the object becomes, without resolving references. Raises Skip or Invalid."""
    stype = obj["type"]
    own = own_ext(obj)
    record_id = str(own["record_id"]) if own and "record_id" in own else obj["id"].lower()
    if obj["id"] in m.META_IDS:
        raise Skip("Accord meta object")
    if stype in m.KIND_OF_NEW_TYPE:
        kind = m.KIND_OF_NEW_TYPE[stype]
        refs = [obj.get(k) for k in m.ref_fields(kind)]
        return Plan(record_id, kind, _flat(refs) if kind in _HARD else ())
    if stype == "identity":
        if own is None and obj.get("identity_class") not in _ACTOR_KIND_OF_CLASS:
            raise Skip(f"identity of class '{obj.get('identity_class')}' is not an actor")
        return Plan(record_id, Kind.ACTOR)
    if stype in ("intrusion-set", "threat-actor"):
        return Plan(record_id, Kind.ACTOR)
    if stype == "incident":
        if own is None:
            raise Skip("incident without Accord's start date and effects")
        return Plan(record_id, Kind.INCIDENT)
    if stype == "relationship":
        accords = own is not None and own.get("stance") == Stance.LOCATES.value
        if obj.get("relationship_type") != ("related-to" if accords else "attributed-to"):
            raise Skip(f"relationship '{obj.get('relationship_type')}' is not modelled")
        if own is None and not obj.get("created_by_ref"):
            raise Skip("attributed-to without created_by_ref: no claimant")
        _require(obj, "source_ref", "target_ref")
        ends = [obj["source_ref"], obj["target_ref"], obj.get("created_by_ref")]
        return Plan(record_id, Kind.CLAIM, _flat([*ends, (own or {}).get("claimant_ref")]))
    if stype == "opinion":
        _require(obj, "opinion", "object_refs")
        if own is None and obj["opinion"] not in m.STANCE_OF_OPINION:
            raise Skip(f"opinion '{obj['opinion']}' does not dispute")
        if own is None and not obj.get("created_by_ref"):
            raise Skip("opinion without created_by_ref: no claimant")
        refs = [(own or {}).get(k) for k in ("claimant_ref", "incident_ref", "subject_ref")]
        refs += [(own or {}).get("accused_ref"), obj.get("created_by_ref")]
        return Plan(record_id, Kind.CLAIM, _flat(refs if own else [obj.get("created_by_ref")]))
    if stype == "note" and own is not None:
        _require(obj, "object_refs")
        return Plan(record_id, Kind.EVIDENCE, _flat(obj["object_refs"][:1]))
    raise Skip(f"type '{stype}' is not modelled")


_HARD = frozenset({Kind.RESPONSE, Kind.PARTICIPATION, Kind.ASSESSMENT})
_ACTOR_KIND_OF_CLASS = {
    "individual": "individual",
    "organization": "company",
    "group": "civil_society",
}


def _flat(values: Sequence[Any]) -> tuple[str, ...]:
    out: list[str] = []
    for value in values:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return tuple(dict.fromkeys(out))


def _require(obj: Mapping[str, Any], *names: str) -> None:
    for name in names:
        if obj.get(name) in (None, "", []):
            raise Invalid(f"missing required property '{name}'")


Resolve = Callable[[str], str | None]


@dataclass(frozen=True)
class Context:
    """What converting needs from the rest of the bundle."""

    resolve: Resolve
    attributions: Mapping[str, tuple[str, str]]
    fallback_source: Source
    default_marking: Marking
    country_of: Callable[[str], str | None]


def convert(obj: Mapping[str, Any], planned: Plan, ctx: Context) -> tuple[RecordInput, list[str]]:
    """The record input (validated) for a planned object, and notes on what was dropped.
    Raises Invalid."""
    if not ID_PATTERN.match(planned.record_id):
        raise Invalid(f"'{planned.record_id[:140]}' is not a valid Accord record id")
    own = own_ext(obj)
    notes: list[str] = []
    if own is not None:
        data, leftover = _accord_fields(obj, own, planned.kind, ctx.resolve, notes)
    else:
        data, leftover = _foreign_fields(obj, planned.kind, ctx, notes)
        country = ctx.country_of(obj["id"]) if planned.kind is Kind.ACTOR else None
        if country:
            data["country"] = country
    marking = marking_of(obj, ctx.default_marking, notes)
    sources = _sources(obj, own, ctx.fallback_source)
    try:
        payload = parse_payload(planned.kind, data, planned.record_id)
    except (ValidationError, ValueError) as exc:
        raise Invalid(str(exc)) from None
    dumped = payload.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    kept: dict[str, Any] = {
        "created": obj["created"],
        "modified": obj.get("modified", obj["created"]),
        "digest": m.digest_of(dumped, marking, sources),
    }
    if obj["id"] != m.stable_id(obj["type"], planned.record_id):
        kept["id"] = obj["id"]
    props = {k: v for k, v in leftover.items() if not _dropped(k, v, notes)}
    exact = {
        prop: obj[prop]
        for name, prop in m.STANDARD_FIELDS.get(obj["type"], {}).items()
        if prop in obj and dumped.get(name) != obj[prop]
    }
    if exact:
        kept["exact"] = exact
    if props:
        kept["props"] = props
    if own is None and obj.get("external_references"):
        kept["external_references"] = obj["external_references"]
    status = Status.DRAFT if own is not None and own.get("status") == "draft" else Status.PUBLISHED
    # Validated above: kind, payload, sources, marking and id.
    record = RecordInput.model_construct(
        id=planned.record_id,
        kind=planned.kind,
        data=payload.model_copy(update={"extra": {"stix": kept}}),
        sources=tuple(sources),
        marking=marking,
        status=status,
        shares=(),
        readers=(),
    )
    return record, notes


def _dropped(key: str, value: Any, notes: list[str]) -> bool:
    if key.endswith(("_ref", "_refs")) or m.holds_refs(value):
        notes.append(f"property '{key}' dropped: it holds references")
        return True
    return False


def marking_of(obj: Mapping[str, Any], default: Marking, notes: list[str]) -> Marking:
    """The most restrictive TLP marking among the object's marking refs, else ``default``."""
    found: list[Marking] = []
    for ref in obj.get("object_marking_refs") or ():
        marking = m.MARKING_OF_TLP.get(ref) or TLP1.get(ref)
        if marking is None:
            notes.append(f"marking '{ref}' is not TLP and was not kept")
        else:
            found.append(marking)
    return max(found, key=lambda k: k.rank) if found else default


def _field_names(kind: Kind) -> set[str]:
    model = PAYLOADS[kind]
    return {f.alias or n for n, f in model.model_fields.items() if n != "extra"}


def _accord_fields(
    obj: Mapping[str, Any], own: dict[str, Any], kind: Kind, resolve: Resolve, notes: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fields of an object Accord exported, and its leftover (opaque) properties."""
    stype = obj["type"]
    refs = m.ref_fields(kind)
    names = _field_names(kind)
    source = obj if stype in m.KIND_OF_NEW_TYPE else own
    data: dict[str, Any] = {}
    for key, value in source.items():
        if key in refs:
            name, many = refs[key]
            data[name] = _resolved(value, many, resolve, notes)
        elif (source is own and key not in _OWN_KEYS) or (source is obj and key in names):
            data[key] = value
    standard = m.STANDARD_FIELDS.get(stype, {})
    for name, prop in standard.items():
        if prop in obj:
            data[name] = obj[prop]
    if kind is Kind.CLAIM:
        _claim_structure(obj, data, resolve)
    if kind is Kind.EVIDENCE:
        data["about"] = resolve(obj["object_refs"][0])
    used = set(standard.values()) | m.DERIVED
    if source is obj:
        used |= names | set(refs)
    return data, {k: v for k, v in obj.items() if k not in used}


def _claim_structure(obj: Mapping[str, Any], data: dict[str, Any], resolve: Resolve) -> None:
    if "claimant" not in data and obj.get("created_by_ref"):
        data["claimant"] = resolve(obj["created_by_ref"])
    if obj["type"] == "relationship":
        end = "incident" if obj["source_ref"].startswith("incident--") else "subject"
        data[end] = resolve(obj["source_ref"])
        data["accused"] = resolve(obj["target_ref"])
        data.setdefault("stance", Stance.ATTRIBUTES.value)


def _resolved(value: Any, many: bool, resolve: Resolve, notes: list[str]) -> Any:
    if many:
        found = [resolve(v) for v in value] if isinstance(value, list) else []
        if None in found:
            notes.append("references to objects not in the bundle dropped")
        return [f for f in found if f]
    target = resolve(value) if isinstance(value, str) else None
    if target is None:
        notes.append(f"reference '{value}' to an object not in the bundle dropped")
    return target


def _foreign_fields(
    obj: Mapping[str, Any], kind: Kind, ctx: Context, notes: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fields of an object from another producer, and its leftover (opaque) properties."""
    stype = obj["type"]
    used = set(m.DERIVED)
    data: dict[str, Any] = {}
    if kind is Kind.ACTOR:
        _require(obj, "name")
        used |= {"name", "description", "aliases"}
        data["name"] = obj["name"]
        if obj.get("description"):
            data["description"] = obj["description"]
        if stype == "identity":
            sectors = [str(s) for s in obj.get("sectors") or ()]
            kind_name = _ACTOR_KIND_OF_CLASS[obj["identity_class"]]
            if kind_name == "company" and any(s.startswith("government") for s in sectors):
                kind_name = "government_body"
            data["kind"] = kind_name
            if obj.get("aliases"):
                data["aliases"] = obj["aliases"]
        else:
            data["kind"] = "threat_group"
            if obj.get("aliases"):
                data["aliases"] = obj["aliases"]
        ids = {
            str(r["source_name"]): str(r["external_id"])
            for r in obj.get("external_references") or ()
            if isinstance(r, Mapping) and r.get("external_id") and r.get("source_name")
        }
        if ids:
            data["external_ids"] = ids
    else:
        data = _foreign_claim(obj, ctx)
        used |= {"description", "explanation", "confidence"}
    return data, {k: v for k, v in obj.items() if k not in used}


def _foreign_claim(obj: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    claimant = ctx.resolve(obj["created_by_ref"])
    if obj["type"] == "relationship":
        subject_ref, accused_ref = obj["source_ref"], obj["target_ref"]
        stance = Stance.ATTRIBUTES
        summary = obj.get("description")
    else:
        answered = [ctx.attributions[r] for r in obj["object_refs"] if r in ctx.attributions]
        if not answered:
            raise Invalid("the opinion answers no attributed-to relationship in the bundle")
        subject_ref, accused_ref = answered[0]
        stance = m.STANCE_OF_OPINION[obj["opinion"]]
        summary = obj.get("explanation")
    end = "incident" if subject_ref.startswith("incident--") else "subject"
    data: dict[str, Any] = {
        "claimant": claimant,
        end: ctx.resolve(subject_ref),
        "accused": ctx.resolve(accused_ref),
        "stance": stance.value,
        "kind": "technical_report",
        "date": str(obj["created"])[:10],
    }
    if summary:
        data["summary"] = summary
    if isinstance(obj.get("confidence"), int):
        data["confidence"] = obj["confidence"]
    return data


def _sources(
    obj: Mapping[str, Any], own: Mapping[str, Any] | None, fallback: Source
) -> list[Source]:
    """Sources from the external references (with Accord's dates and reliability when it
    exported them), else the bundle file itself."""
    refs = [r for r in obj.get("external_references") or () if isinstance(r, Mapping)]
    details = list((own or {}).get("source_details") or ())
    out: list[Source] = []
    for i, ref in enumerate(refs):
        url = ref.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            continue
        title = ref.get("description") or ref.get("external_id") or ref["source_name"]
        source = {"title": str(title)[:500], "publisher": str(ref["source_name"])[:500], "url": url}
        if own is not None and i < len(details) and isinstance(details[i], Mapping):
            source.update(details[i])
        try:
            found = _source(orjson.dumps(source))
        except TypeError:  # a detail that is not JSON
            continue
        if found is not None:
            out.append(found)
    return out or [fallback]


@functools.lru_cache(maxsize=4_096)
def _source(text: bytes) -> Source | None:
    """A source validated from its JSON, or None when invalid; cached, as the objects of a
    bundle cite the same few reports. Pure (a source is immutable)."""
    try:
        return Source.model_validate_json(text)
    except ValidationError:
        return None
