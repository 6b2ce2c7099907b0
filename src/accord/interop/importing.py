"""Shared machinery of the dataset importers: plan, check, write in one transaction, report.

An importer reads a public dataset into a :class:`Plan` (records it wants, anchors it needs,
rows it skipped or found invalid) and hands it to :func:`apply`, which checks every record,
drops what depends on an invalid one, and writes the rest with **one** ``kb.bulk_create``
call inside ``kb.import_job``: all or nothing, idempotent (identical records stay unchanged),
in short transactions that readers see only once all of them are done.

Rules every importer follows (docs/importers.md):

- every record it creates cites the dataset (:class:`DatasetSource`) as its source;
- it updates only records that cite the same dataset URL; any other record with the id it
  wanted (e.g. a curated one) is kept as it is and listed under ``kept``;
- anchors (states, the claimant, the initiative) are created only when missing;
- an existing record is reused only when it carries the same identifier in the same namespace
  (``external_ids``) or, where documented, the same exact name: never on a shared alias.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from accord import access
from accord.access import Viewer
from accord.domain.inputs import RecordInput, parse_payload
from accord.domain.records import Payload, Record
from accord.domain.vocab import ActorKind, Kind
from accord.errors import BadRequest, ImportInvalid, InvalidInput
from accord.interop import countries
from accord.interop.import_ids import ImportIds
from accord.kb import KnowledgeBase


@dataclass(frozen=True)
class DatasetSource:
    """The dataset an import reads, cited as the source of every record it creates."""

    title: str
    publisher: str
    url: str
    date: str | None = None

    def citation(self) -> dict[str, Any]:
        """The source as a record's ``sources`` entry."""
        out: dict[str, Any] = {"title": self.title, "publisher": self.publisher, "url": self.url}
        if self.date:
            out["date"] = self.date
        return out


@dataclass(frozen=True)
class Problem:
    """One row or object not imported: where it is (line, object id), why, and the kind of
    record it would have become (None when unknown)."""

    where: str
    reason: str
    kind: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        """The problem as JSON (``kind`` only when known)."""
        out: dict[str, Any] = {"where": self.where, "reason": self.reason}
        if self.kind:
            out["kind"] = self.kind
        return out


#: The columns of an import's count table, in order.
COUNTS = ("created", "updated", "unchanged", "kept", "skipped", "invalid")


@dataclass
class ImportReport:
    """What an import did. ``skipped`` rows carry nothing Accord can model (the reason names
    the gap); ``invalid`` rows are bad input; ``kept`` are existing records from other sources
    that the import left as they were; ``notes`` list links made and not made; ``kinds`` maps
    each written or kept id to its record kind."""

    dataset: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    invalid: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)
    written: bool = False

    def by_kind(self) -> dict[str, dict[str, int]]:
        """Counts per record kind, one entry per :data:`COUNTS` name (rows whose kind is
        unknown count under "row")."""
        out: dict[str, dict[str, int]] = {}

        def count(kind: str | None, column: str) -> None:
            row = out.setdefault(kind or "row", dict.fromkeys(COUNTS, 0))
            row[column] += 1

        for column in COUNTS[:4]:
            for rid in getattr(self, column):
                count(self.kinds.get(rid), column)
        for column in COUNTS[4:]:
            for problem in getattr(self, column):
                count(problem.kind, column)
        return dict(sorted(out.items()))

    def reasons(self) -> list[tuple[str, str, int]]:
        """(kind, reason, rows) for the skipped rows, most frequent first."""
        tally = Counter((p.kind or "row", p.reason) for p in self.skipped)
        return [(k, r, n) for (k, r), n in sorted(tally.items(), key=lambda i: (-i[1], i[0]))]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary: counts per kind, the skip reasons, every id and problem."""
        return {
            "dataset": self.dataset,
            "written": self.written,
            "by_kind": self.by_kind(),
            "skipped_reasons": [{"kind": k, "reason": r, "rows": n} for k, r, n in self.reasons()],
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "kept": self.kept,
            "skipped": [p.to_json() for p in self.skipped],
            "invalid": [p.to_json() for p in self.invalid],
            "notes": self.notes,
        }


class Progress(Protocol):
    """Where an importer reports progress (a Rich bar in the CLI, nothing in the library)."""

    def phase(self, description: str, total: int | None = None) -> None:
        """Start a phase of ``total`` steps (None: unknown)."""

    def advance(self, steps: int = 1) -> None:
        """Count steps done in the current phase."""


class NoProgress:
    """A progress sink that shows nothing."""

    def phase(self, description: str, total: int | None = None) -> None:
        """Ignore the phase."""

    def advance(self, steps: int = 1) -> None:
        """Ignore the steps."""


class RichProgress:
    """A Rich progress bar on standard error, one task per phase."""

    def __init__(self, progress: Any) -> None:
        self._progress = progress
        self._task: Any = None
        self._total: int | None = None

    def phase(self, description: str, total: int | None = None) -> None:
        """Finish the previous phase's bar and start a new one."""
        if self._task is not None:
            self._progress.update(self._task, completed=self._total or 1, total=self._total or 1)
        self._total = total
        self._task = self._progress.add_task(description, total=total)

    def advance(self, steps: int = 1) -> None:
        """Move the current bar."""
        if self._task is not None:
            self._progress.advance(self._task, steps)


@contextmanager
def rich_progress() -> Iterator[RichProgress]:
    """A Rich progress display for the duration of an import (standard error)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from accord.render import errors

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=errors
    ) as progress:
        yield RichProgress(progress)


@dataclass
class Planned:
    """A record an importer wants to write, and where in the input it came from."""

    kind: Kind
    data: dict[str, Any]
    origin: str
    anchor: bool = False


class Plan:
    """The records one import wants to write, built row by row (no database access)."""

    def __init__(self, name: str, source: DatasetSource) -> None:
        self.source = source
        self.records: dict[str, Planned] = {}
        self.report = ImportReport(dataset=name)

    def add(self, record_id: str, kind: Kind, data: dict[str, Any], origin: str) -> None:
        """Plan a record; a second, different record with the same id is an invalid row."""
        previous = self.records.get(record_id)
        if previous is not None and not previous.anchor:
            if previous.data != data:
                self.invalid(origin, f"id '{record_id}' already used by {previous.origin}", kind)
            return
        self.records[record_id] = Planned(kind, data, origin)

    def anchor(self, record_id: str, kind: Kind, data: dict[str, Any]) -> None:
        """Plan a record the import refers to, created only if it does not exist yet."""
        self.records.setdefault(record_id, Planned(kind, data, "anchor", anchor=True))

    def state(self, alpha2: str) -> str:
        """The id of the state actor for a country code, planned as an anchor."""
        rid = f"state-{alpha2.lower()}"
        self.anchor(
            rid,
            Kind.ACTOR,
            {"name": countries.display_name(alpha2), "kind": ActorKind.STATE, "country": alpha2},
        )
        return rid

    def skip(self, where: str, reason: str, kind: Kind | None = None) -> None:
        """Record a row that carries nothing Accord models (``kind``: what it would have
        become)."""
        self.report.skipped.append(Problem(where, reason, kind.value if kind else None))

    def invalid(self, where: str, reason: str, kind: Kind | None = None) -> None:
        """Record a row of bad input."""
        self.report.invalid.append(Problem(where, reason, kind.value if kind else None))

    def note(self, text: str) -> None:
        """Record a link made or not made."""
        self.report.notes.append(text)


def apply(
    kb: KnowledgeBase,
    plan: Plan,
    viewer: Viewer,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the plan and write it as one staged import job. Writes (unless a row is invalid and
    ``skip_invalid`` is false: then raises :class:`ImportInvalid` and writes nothing)."""
    progress = progress or NoProgress()
    report = plan.report
    progress.phase("checking", len(plan.records))
    ids = ImportIds(kb, viewer)
    ids.learn(plan.records)
    existing = kb.get_many(map(ids, plan.records), viewer)
    batch: dict[str, tuple[Planned, Payload]] = {}
    for planned_id, planned in plan.records.items():
        progress.advance()
        rid = ids(planned_id)
        found = existing.get(rid)
        report.kinds[rid] = planned.kind.value
        if found is not None and (planned.anchor or not cites(found, plan.source)):
            if not planned.anchor:
                report.kept.append(rid)
            continue
        try:
            payload = parse_payload(planned.kind, planned.data, rid)
        except InvalidInput as exc:
            report.invalid.append(Problem(planned.origin, str(exc), planned.kind.value))
            continue
        batch[rid] = (planned, payload)
    ids.learn(target for _, payload in batch.values() for _, target in payload.refs())
    for rid, (planned, payload) in batch.items():
        batch[rid] = (planned, payload.remap_refs({t: ids(t) for _, t in payload.refs()}))
    _drop_dangling(kb, viewer, batch, set(existing), report)
    if report.invalid and not skip_invalid:
        raise ImportInvalid(report)
    progress.phase("writing", 1)
    citation = [plan.source.citation()]
    with kb.import_job(viewer):  # staged: short transactions, visible all at once at the end
        result = kb.bulk_create(
            (
                RecordInput(id=rid, kind=planned.kind, data=payload, sources=citation)
                for rid, (planned, payload) in batch.items()
            ),
            viewer,
            upsert=True,
        )
    progress.advance()
    report.created, report.updated, report.unchanged = (
        result.created,
        result.updated,
        result.unchanged,
    )
    report.written = True
    return report


def _drop_dangling(
    kb: KnowledgeBase,
    viewer: Viewer,
    batch: dict[str, tuple[Planned, Payload]],
    existing: set[str],
    report: ImportReport,
) -> None:
    """Remove (as invalid) records that point at a record neither planned nor visible."""
    targets = {t for _, payload in batch.values() for _, t in payload.refs()}
    known = existing | set(kb.get_many(targets - set(batch) - existing, viewer))
    changed = True
    while changed:
        changed = False
        for rid, (planned, payload) in list(batch.items()):
            missing = [t for _, t in payload.refs() if t not in batch and t not in known]
            if missing:
                del batch[rid]
                report.invalid.append(
                    Problem(
                        planned.origin,
                        f"refers to '{missing[0]}', which is not imported",
                        planned.kind.value,
                    )
                )
                changed = True


def cites(record: Record, source: DatasetSource) -> bool:
    """Whether a record cites the dataset's URL among its sources (each importer's dataset
    URL is its own, so a curated record citing the publisher's web page is not matched)."""
    url = source.url.rstrip("/")
    return any(str(s.url).rstrip("/") == url for s in record.sources)


# -- reading files -----------------------------------------------------------------------


def read_json(path: Path) -> Any:
    """Parse a JSON file; BadRequest if it is missing or not JSON. Reads the file."""
    try:
        return orjson.loads(path.read_bytes())
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from exc
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"{path.name} is not valid JSON: {exc}") from exc


def read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with their line numbers; BadRequest if it is missing, not CSV or
    lacks a required column. Reads the file."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise BadRequest(f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest(f"{path.name} is not a UTF-8 text file") from exc
    reader = csv.DictReader(text.splitlines(keepends=True))
    try:
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise BadRequest(f"{path.name} lacks the column(s): {', '.join(missing)}")
        return [
            (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k is not None})
            for row in reader
        ]
    except csv.Error as exc:
        raise BadRequest(f"{path.name} is not valid CSV (line {reader.line_num}): {exc}") from exc


def read_table(path: Path, required: Sequence[str]) -> list[tuple[str, dict[str, Any]]]:
    """Rows of a JSON list of objects or a CSV file (by extension), each with where it is
    ("line 3", "item 2"). BadRequest for another format or missing fields. Reads the file."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return [(f"line {n}", row) for n, row in read_csv(path, required)]
    if suffix != ".json":
        raise BadRequest(f"{path.name}: expected a .json or .csv file")
    content = read_json(path)
    if not isinstance(content, list) or not all(isinstance(i, dict) for i in content):
        raise BadRequest(f"{path.name} must hold a JSON list of objects")
    rows: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(content, start=1):
        missing = [c for c in required if c not in item]
        if missing and index == 1:
            raise BadRequest(f"{path.name} lacks the field(s): {', '.join(missing)}")
        rows.append((f"item {index}", item))
    return rows


# -- names -------------------------------------------------------------------------------


def local_id(record_id: str) -> str:
    """An id without its organisation namespace (``org.x`` → ``x``): ids an import builds from
    the records it links stay the same whether those were planned by this run or found, moved
    into the importer's namespace, by an earlier one."""
    _, namespaced, local = record_id.partition(access.NAMESPACE_SEPARATOR)
    return local if namespaced else record_id


def slug(text: str, limit: int = 80) -> str:
    """A lowercase id fragment: ASCII letters and digits joined by '-'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:limit].strip("-") or "x"


class NameIndex:
    """Visible records of some kinds by normalised name and alias (read once, then in memory).

    Built through ``kb.iter_records``, so it holds only what the viewer may see.
    """

    def __init__(self, records: Iterable[Record]) -> None:
        self.by_name: dict[str, set[str]] = {}
        self.primary: dict[str, set[str]] = {}
        self.records: dict[str, Record] = {}
        for record in records:
            self.add(record.id, record)

    @classmethod
    def load(cls, kb: KnowledgeBase, viewer: Viewer, kinds: Sequence[Kind]) -> NameIndex:
        """Index every visible record of the given kinds. Read-only."""
        return cls(r for kind in kinds for r in kb.iter_records(viewer, kind=kind))

    def add(self, rid: str, record: Record) -> None:
        """Index one record under its name and aliases."""
        self.records[rid] = record
        names = [record.name, *getattr(record.data, "aliases", ())]
        for name in names:
            self.by_name.setdefault(countries.normalise(name), set()).add(rid)
        self.primary.setdefault(countries.normalise(record.name), set()).add(rid)

    def lookup(self, name: str) -> set[str]:
        """Ids whose name or an alias equals ``name`` (normalised)."""
        return set(self.by_name.get(countries.normalise(name), ()))

    def by_primary(self, name: str) -> set[str]:
        """Ids whose own name equals ``name`` (normalised)."""
        return set(self.primary.get(countries.normalise(name), ()))


def external_index(kb: KnowledgeBase, viewer: Viewer, namespace: str) -> dict[str, str]:
    """Visible actors by their identifier in one ``external_ids`` namespace. Read-only."""
    out: dict[str, str] = {}
    for record in kb.iter_records(viewer, kind=Kind.ACTOR):
        value = getattr(record.data, "external_ids", {}).get(namespace)
        if value:
            out.setdefault(str(value), record.id)
    return out


def text_list(value: Any) -> list[str]:
    """A JSON list or a single string as a list of non-empty strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def first_of(mapping: Mapping[str, Any], *keys: str) -> str:
    """The first non-empty string value among ``keys``."""
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
