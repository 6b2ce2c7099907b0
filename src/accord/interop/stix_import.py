"""Import a STIX 2.0/2.1 bundle, streamed: nothing is written unless the whole bundle is valid.

Two passes over the file with ijson (the ``objects`` array is never held in memory):

1. check every object (JSON shape, spec_version, required properties, timestamps, string
   sizes, the same id twice with different content) and plan what each becomes; relationship
   records whose ends are missing from the bundle are reported and left out;
2. convert and write in batches through ``kb.bulk_create(..., upsert=True)``, all inside one
   ``kb.import_job()`` (short transactions, visible all at once at the end); a record whose
   references point forward in the file waits until the records it points to are placed in a
   batch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ijson
import orjson

from accord.access import Viewer
from accord.domain.inputs import RecordInput, parse_payload
from accord.domain.records import Source
from accord.domain.text import json_problem
from accord.domain.vocab import Marking
from accord.errors import BundleError
from accord.interop import stix_convert as sc
from accord.interop import stix_mapping as m
from accord.interop import stix_revoked
from accord.interop.countries import resolve_code
from accord.interop.import_ids import ImportIds
from accord.interop.importing import Problem
from accord.interop.stix_index import BundleIndex
from accord.kb import KnowledgeBase
from accord.runtime import fewer_collections

MAX_STRING = 1_000_000
#: Bundles up to this size are parsed at once; larger ones are streamed.
IN_MEMORY_BYTES = 16_000_000
BATCH = 2_000
CHUNK = 2_000  # objects read, looked up and converted together in pass 2
MAX_LISTED = 200
_ID = re.compile(
    r"^([a-z0-9][a-z0-9-]{1,248}[a-z0-9])--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


@dataclass
class StixImportReport:
    """What an import read, wrote, skipped and refused, by object id and reason."""

    path: str
    objects: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    written: bool = False
    skipped: Counter[str] = field(default_factory=Counter)
    invalid: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    invalid_total: int = 0
    #: created / updated / unchanged per record kind (``skipped`` counts STIX types).
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)
    #: Records withdrawn because the bundle revoked them (:mod:`accord.interop.stix_revoked`).
    withdrawn: int = 0

    @property
    def ok(self) -> bool:
        """Whether the bundle had no invalid object."""
        return self.invalid_total == 0

    def refuse(self, where: str, reason: str) -> None:
        """Record an invalid object (the first MAX_LISTED are listed)."""
        self.invalid_total += 1
        if len(self.invalid) < MAX_LISTED:
            self.invalid.append(Problem(where, reason))

    def note(self, where: str, reason: str) -> None:
        """Record a loss that is not an error (a dropped property, a missing end)."""
        if len(self.notes) < MAX_LISTED:
            self.notes.append(Problem(where, reason))

    def count_skipped(self, category: str) -> None:
        """Count one object left out, under ``category``."""
        self.skipped[category] += 1

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "path": self.path,
            "objects": self.objects,
            "written": self.written,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
            "by_kind": {
                kind: {c: counts[c] for c in ("created", "updated", "unchanged")}
                for kind, counts in sorted(self.by_kind.items())
            },
            "skipped": dict(sorted(self.skipped.items())),
            "invalid_total": self.invalid_total,
            "invalid": [{"object": p.where, "reason": p.reason} for p in self.invalid],
            "notes": [{"object": p.where, "reason": p.reason} for p in self.notes],
        }


def read_objects(path: Path, prefix: str = "objects.item") -> Iterator[Any]:
    """Stream the objects of a file: the items of a bundle's ``objects`` array (``prefix``
    "item" for a top-level array, "" for one object). Raises BundleError on bad JSON."""
    try:
        with path.open("rb") as handle:
            yield from ijson.items(handle, prefix, use_float=True)
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise BundleError(f"malformed JSON in {path.name}: {exc}") from exc
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc


#: Where a file's objects are, by its shape (:func:`_shape`); None: it holds no STIX objects.
_PREFIX_OF_SHAPE: dict[str, str | None] = {
    "bundle": "objects.item",
    "array": "item",
    "object": "",
    "other": None,
}


def _shape(path: Path) -> str:
    """What a file holds, read up to where it shows: a bundle with an ``objects`` array, a
    JSON array of objects, one STIX object (a map with a ``type`` other than "bundle"), or
    something else."""
    stype = None
    try:
        with path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "" and event == "start_array":
                    return "array"
                if prefix == "objects" and event == "start_array":
                    return "bundle"
                if prefix == "type" and event == "string":
                    stype = value
                if prefix == "" and event == "end_map":
                    break
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise BundleError(f"malformed JSON in {path.name}: {exc}") from exc
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc
    return "object" if stype not in (None, "bundle") else "other"


def _document_objects(document: Any) -> list[Any] | None:
    """The objects of a parsed file: a bundle's ``objects``, a JSON array's items, or one
    STIX object; None when it holds none (e.g. a bundle without ``objects``)."""
    if isinstance(document, list):
        return document
    if not isinstance(document, dict):
        return None
    objects = document.get("objects")
    if isinstance(objects, list):
        return objects
    stype = document.get("type")
    return [document] if stype is not None and stype != "bundle" else None


def _top_level(path: Path, key: str) -> str | None:
    """A top-level property of the bundle (e.g. ``spec_version``: 2.0 bundles have one)."""
    try:
        with path.open("rb") as handle:
            for value in ijson.items(handle, key):
                return str(value)
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        raise BundleError(f"malformed JSON in {path.name}: {exc}") from exc
    return None


def check(obj: Any, bundle_spec: str | None) -> str | None:
    """Why an object is invalid, or None (shape, spec_version, timestamps, sizes). Pure."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    stype, oid = obj.get("type"), obj.get("id")
    if not isinstance(stype, str) or not isinstance(oid, str):
        return "missing required property 'type' or 'id'"
    found = _ID.match(oid)
    if not found or found.group(1) != stype:
        return f"id '{oid[:80]}' is not '{stype}--<uuid>'"
    version = obj.get("spec_version", bundle_spec if bundle_spec == "2.0" else None)
    if version not in ("2.0", "2.1"):
        if "spec_version" in obj:
            return f"unsupported spec_version '{str(obj['spec_version'])[:20]}'"
        if "created" in obj:
            return "missing spec_version (required in STIX 2.1)"
    if stype != "marking-definition" and "created" in obj and "modified" not in obj:
        return "missing required property 'modified'"
    if "created" not in obj and (stype in _SDO or "modified" in obj):
        return "missing required property 'created'"
    try:
        created = m.parse_timestamp(obj["created"]) if "created" in obj else None
        modified = m.parse_timestamp(obj["modified"]) if "modified" in obj else None
    except ValueError as exc:
        return f"invalid timestamp: {exc}"
    if created and modified and modified < created:
        return "modified is before created"
    return None


_SDO = frozenset(
    {"identity", "intrusion-set", "threat-actor", "incident", "relationship", "opinion", "note"}
    | set(m.KIND_OF_NEW_TYPE)
)


def _long_string(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > MAX_STRING
    if isinstance(value, dict):
        return any(_long_string(v) for v in value.values())
    if isinstance(value, list):
        return any(_long_string(v) for v in value)
    return False


@dataclass(frozen=True)
class ObjectSource:
    """Where objects come from: a name (cited when an object has no reference), the bundle's
    own ``spec_version``, and a way to stream the objects afresh for each pass."""

    name: str
    spec_version: str | None
    objects: Callable[[], Iterator[Any]]
    has_objects: Callable[[], bool] = lambda: True


def file_source(path: Path) -> ObjectSource:
    """Objects from a file: a bundle, a JSON array of objects, or one object (each imports
    like a bundle of them). Parsed at once when small (orjson is many times faster than
    streaming), streamed with ijson otherwise, so memory stays bounded."""
    try:
        small = path.stat().st_size <= IN_MEMORY_BYTES
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc
    if small:
        return _loaded_source(path)
    prefix = _PREFIX_OF_SHAPE[_shape(path)]
    return ObjectSource(
        path.name,
        _top_level(path, "spec_version") if prefix == "objects.item" else None,
        lambda: read_objects(path, prefix or ""),
        lambda: prefix is not None,
    )


def _loaded_source(path: Path) -> ObjectSource:
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise BundleError(f"malformed JSON in {path.name}: {exc}") from exc
    except OSError as exc:
        raise BundleError(f"cannot read {path}: {exc.strerror}") from exc
    objects = _document_objects(document)
    items: list[Any] = objects or []
    bundle = isinstance(document, dict) and document.get("type") == "bundle"
    spec = document.get("spec_version") if bundle else None
    return ObjectSource(
        path.name,
        None if spec is None else str(spec),
        lambda: iter(items),
        lambda: objects is not None,
    )


def _scan(
    source: ObjectSource,
    report: StixImportReport,
    index: BundleIndex,
    revoked: list[tuple[str, str]],
) -> None:
    """Pass 1: check and plan every object into the index, and collect the revoked objects
    (STIX id, planned record id) instead. Reads nothing from the database."""
    if not source.has_objects():
        raise BundleError(
            f"{source.name} is not a STIX bundle: no 'objects' array, and not a JSON array "
            "of objects or one STIX object"
        )
    spec = source.spec_version
    if spec not in (None, "2.0", "2.1"):
        report.refuse("bundle", f"unsupported bundle spec_version '{spec}'")
    for position, obj in enumerate(source.objects()):
        report.objects += 1
        where = obj.get("id") if isinstance(obj, dict) and isinstance(obj.get("id"), str) else ""
        where = where or f"objects[{position}]"
        reason = check(obj, spec)
        try:
            text = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS) if reason is None else b""
        except orjson.JSONEncodeError:
            reason, text = "a string that is not Unicode text (an unpaired surrogate)", b""
        if reason is None and len(text) > MAX_STRING and _long_string(obj):
            reason = f"a string longer than {MAX_STRING} characters"
        if reason is None:
            reason = json_problem(obj, text)
        if reason is None:
            digest = hashlib.blake2b(text, digest_size=16).digest()
            earlier = index.first_seen(where, position, digest)
            if earlier is not None and earlier != digest:
                reason = "the same id appears twice with different content"
            elif earlier is not None:
                continue
        if reason is not None:
            report.refuse(where, reason)
            continue
        if stix_revoked.is_revoked(obj):
            planned = stix_revoked.planned_id(obj)
            if planned is None:
                report.skipped[_category(obj)] += 1
            else:
                revoked.append((where, planned))
            continue
        _learn(obj, index)
        try:
            index.plan(where, position, sc.plan(obj))
        except sc.Skip as skip:
            report.skipped[_category(obj)] += 1
            if obj["type"] == "relationship" and "not modelled" not in str(skip):
                report.note(where, str(skip))
        except (sc.Invalid, KeyError, TypeError, AttributeError) as exc:
            report.refuse(where, str(exc) if isinstance(exc, sc.Invalid) else "malformed")
    index.finish_scan()


def _category(obj: Mapping[str, Any]) -> str:
    """How a skipped object is counted: Accord's meta objects, derived country links, or its
    type."""
    if obj["id"] in m.META_IDS or obj["id"] in sc.TLP1:
        return "meta (TLP markings, Accord definitions)"
    verb = obj.get("relationship_type")
    if obj["type"] == "location" or verb in ("located-at", "originates-from"):
        return "country links (location, located-at, originates-from)"
    return f"relationship {verb}" if obj["type"] == "relationship" else str(obj["type"])


def _learn(obj: dict[str, Any], index: BundleIndex) -> None:
    """Remember what other objects need: locations' countries, attributions' ends."""
    stype = obj["type"]
    if stype == "location" and isinstance(obj.get("country"), str):
        index.country(obj["id"], obj["country"].upper())
    elif stype == "relationship":
        verb = obj.get("relationship_type")
        if verb in ("located-at", "originates-from") and isinstance(obj.get("target_ref"), str):
            index.located(str(obj.get("source_ref")), obj["target_ref"])
        elif verb == "attributed-to":
            index.attribution(obj["id"], str(obj.get("source_ref")), str(obj.get("target_ref")))


def _prune(index: BundleIndex, report: StixImportReport) -> None:
    """Leave out linking records whose ends are missing from the bundle (until none is)."""
    for sid, missing, kind in index.prune():
        report.note(sid, f"left out: its end {missing} is not in the bundle")
        report.skipped[f"{kind.value} (missing end)"] += 1


def import_bundle(
    kb: KnowledgeBase,
    path: Path,
    viewer: Viewer,
    *,
    skip_invalid: bool = False,
    default_marking: Marking = Marking.GREEN,
) -> StixImportReport:
    """Import a STIX bundle file as the viewer. Writes nothing if any object is invalid,
    unless ``skip_invalid`` (then invalid objects are reported and left out). Writes in one
    transaction; raises BundleError for a file that is not readable JSON."""
    return import_objects(
        kb, file_source(path), viewer, skip_invalid=skip_invalid, default_marking=default_marking
    )


def import_objects(
    kb: KnowledgeBase,
    source: ObjectSource,
    viewer: Viewer,
    *,
    skip_invalid: bool = False,
    default_marking: Marking = Marking.GREEN,
) -> StixImportReport:
    """Import the objects of a source as the viewer (see :func:`import_bundle`), with the
    garbage collector running less often (:func:`accord.runtime.fewer_collections`). Writes."""
    with fewer_collections():
        return _import_objects(kb, source, viewer, skip_invalid, default_marking)


def _import_objects(
    kb: KnowledgeBase,
    source: ObjectSource,
    viewer: Viewer,
    skip_invalid: bool,
    default_marking: Marking,
) -> StixImportReport:
    report = StixImportReport(path=source.name)
    revoked: list[tuple[str, str]] = []
    with BundleIndex() as index:
        _scan(source, report, index, revoked)
        if not report.ok and not skip_invalid:
            return report
        _prune(index, report)
        fallback = Source(
            title=f"STIX bundle {source.name}"[:500],
            publisher="STIX import",
            url=f"https://accord.invalid/stix-bundles/{quote(source.name)}",
        )
        writer = _Writer(kb, viewer, report)
        try:
            with kb.import_job(viewer):
                for chunk in _chunked(enumerate(source.objects())):
                    _write_chunk(chunk, index, (fallback, default_marking), writer, skip_invalid)
                writer.finish()
        except _Abort:
            return report
    stix_revoked.apply(kb, viewer, revoked, writer.ids, report, f"STIX import {source.name}")
    report.written = True
    return report


def _write_chunk(
    chunk: Sequence[tuple[int, Any]],
    index: BundleIndex,
    defaults: tuple[Source, Marking],
    writer: _Writer,
    skip_invalid: bool,
) -> None:
    """Pass 2, a chunk of objects at a time: convert each planned object (where it first
    appears) with what the index knows of the objects it points to, and hand it to the
    writer. Writes."""
    objects = [(p, o) for p, o in chunk if isinstance(o, dict) and isinstance(o.get("id"), str)]
    plans = index.plans(o["id"] for _, o in objects)
    firsts = [(p, o, plans.get(o["id"])) for p, o in objects]
    mine = [(p, o, found) for p, o, found in firsts if found is not None and found.position == p]
    if not mine:
        return
    mentioned = {ref for _, obj, _ in mine for ref in _ids_in(obj)}
    attributions = index.attributions(mentioned)  # what opinions answer, and its two ends
    ends = index.plans(mentioned.union(*attributions.values()))
    countries = index.countries(o["id"] for _, o, _ in mine)
    ids = writer.ids
    ids.learn(e.plan.record_id for e in ends.values())

    def resolve(sid: str) -> str | None:
        found = ends.get(sid)
        return ids(found.plan.record_id) if found else None

    def country_of(sid: str) -> str | None:
        country = countries.get(sid)
        return resolve_code(country).alpha2 if country and len(country) == 2 else None

    ctx = sc.Context(resolve, attributions, *defaults, country_of)
    positions = {ids(e.plan.record_id): e.position for e in ends.values()}
    for position, obj, planned in mine:
        written = planned.plan
        if ids(written.record_id) != written.record_id:
            written = dataclasses.replace(written, record_id=ids(written.record_id))
        try:
            raw, notes = sc.convert(obj, written, ctx)
        except sc.Invalid as exc:
            writer.report.refuse(obj["id"], str(exc))
            writer.failed.add(written.record_id)
            if not skip_invalid:
                raise _Abort from None
            continue
        for text in notes:
            writer.report.note(obj["id"], text)
        needs = [r for r in map(resolve, planned.plan.needs) if r]
        writer.add(raw, needs, position, positions)


def _chunked(items: Iterable[tuple[int, Any]]) -> Iterator[list[tuple[int, Any]]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, CHUNK)):
        yield chunk


def _ids_in(value: Any) -> Iterator[str]:
    """Every string in a (nested) value that may be a STIX id."""
    if isinstance(value, str):
        if "--" in value:
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _ids_in(item)


class _Abort(Exception):
    """Raised inside the transaction to roll it back when an object proves invalid."""


class _Writer:
    """Batches record inputs for ``bulk_create``, holding back any that points to a record
    not written yet: one later in the bundle, held back itself, or refused."""

    def __init__(self, kb: KnowledgeBase, viewer: Viewer, report: StixImportReport) -> None:
        self.kb, self.viewer, self.report = kb, viewer, report
        self.ids = ImportIds(kb, viewer)
        self.batch: list[RecordInput] = []
        self.now = -1
        self.held: set[str] = set()
        self.waiting: dict[str, list[tuple[RecordInput, dict[str, int]]]] = {}
        self.failed: set[str] = set()

    def add(
        self, raw: RecordInput, needs: list[str], position: int, positions: Mapping[str, int]
    ) -> None:
        """Queue the record at this position of the bundle; ``positions`` tells where the
        records it points to are (those not in the bundle are taken as written)."""
        self.now = position
        rid = str(raw.id)
        targets = {t: positions.get(t, -1) for t in [*needs, *_soft_targets(raw)] if t != rid}
        blocker = self._blocker(targets)
        if blocker is None:
            self._place(raw)
        else:
            self.waiting.setdefault(blocker, []).append((raw, targets))
            self.held.add(rid)

    def _blocker(self, targets: Mapping[str, int]) -> str | None:
        return next(
            (
                t
                for t, position in targets.items()
                if position > self.now or t in self.held or t in self.failed
            ),
            None,
        )

    def _place(self, raw: RecordInput) -> None:
        ready = [raw]
        while ready:
            item = ready.pop()
            self.batch.append(item)
            self.held.discard(str(item.id))
            for waiter, targets in self.waiting.pop(str(item.id), []):
                blocker = self._blocker(targets)
                if blocker is None:
                    ready.append(waiter)
                else:
                    self.waiting.setdefault(blocker, []).append((waiter, targets))
        if len(self.batch) >= BATCH:
            self._flush()

    def finish(self) -> None:
        """Write what remains: records waiting on an invalid record are refused too; records
        in reference cycles go in one last batch together."""
        while any(blocker in self.failed for blocker in self.waiting):
            for blocker in [b for b in self.waiting if b in self.failed]:
                for raw, _ in self.waiting.pop(blocker):
                    self.report.refuse(str(raw.id), f"points to the invalid record '{blocker}'")
                    self.failed.add(str(raw.id))
        for items in self.waiting.values():
            self.batch.extend(raw for raw, _ in items)
        self.waiting.clear()
        self._flush()

    def _flush(self) -> None:
        if not self.batch:
            return
        result = self.kb.bulk_create(self.batch, self.viewer, upsert=True)
        self.report.created += len(result.created)
        self.report.updated += len(result.updated)
        self.report.unchanged += len(result.unchanged)
        kinds = {str(raw.id): raw.kind.value for raw in self.batch}
        for column in ("created", "updated", "unchanged"):
            for rid in getattr(result, column):
                self.report.by_kind.setdefault(kinds.get(rid, "record"), Counter())[column] += 1
        self.batch = []


def _soft_targets(raw: RecordInput) -> list[str]:
    """The records a converted (already validated) payload points at."""
    return [target for _, target in parse_payload(raw.kind, raw.data, raw.id).refs()]
