"""The bundled, curated dataset: read the YAML files, check them, load them.

Files live in ``accord/data/*.yaml``; each maps plural kinds (``actors:``, ``claims:``…) to
lists of records. Records load as TLP:CLEAR, published, owned by Accord curators.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from accord.access import CURATORS_ORG, SYSTEM
from accord.dataset_sources import DENIED_HOSTS, denied_host
from accord.domain.inputs import RecordInput, invalid_from, parse_payload
from accord.domain.kinds import KINDS
from accord.domain.records import Actor, Claim, Incident, Payload, Source
from accord.domain.vocab import ActorKind, Kind, Stance
from accord.errors import AccordError, DatasetInvalid, InvalidInput
from accord.kb import BulkResult, KnowledgeBase

DATA_DIR = Path(__file__).parent / "data"
#: The dataset files' keys (the curated dataset holds no evidence records).
PLURALS = {info.plural: info.kind for info in KINDS if info.kind is not Kind.EVIDENCE}
_UNIQUE_NAME_KINDS = (Kind.ACTOR, Kind.INCIDENT, Kind.INITIATIVE)

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """A safe YAML loader where only true/false are booleans: country code NO stays 'NO'."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Base.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the dataset: where, and what."""

    file: str
    record: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = ":".join(p for p in (self.file, self.record or "", self.field or "") if p)
        return f"{where}: {self.message}"


@dataclass
class Entry:
    """A record read from a file, with its validated payload."""

    file: str
    record: RecordInput
    payload: Payload


@dataclass
class Dataset:
    """Everything read from the data files, and what is wrong with it."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Records per kind."""
        return dict(Counter(e.record.kind.value for e in self.entries))


def _read_file(path: Path, dataset: Dataset) -> None:
    name = path.name
    try:
        content = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        dataset.problems.append(Problem(name, None, None, f"not valid YAML: {exc}"))
        return
    if content is None:
        return
    if not isinstance(content, dict):
        dataset.problems.append(Problem(name, None, None, "the file must map kinds to lists"))
        return
    for plural, items in content.items():
        kind = PLURALS.get(str(plural))
        if kind is None or not isinstance(items, list):
            dataset.problems.append(Problem(name, None, str(plural), "unknown kind or not a list"))
            continue
        for index, raw in enumerate(items):
            _read_record(name, kind, index, raw, dataset)


def _read_record(name: str, kind: Kind, index: int, raw: Any, dataset: Dataset) -> None:
    if not isinstance(raw, dict):
        dataset.problems.append(Problem(name, f"#{index}", None, "a record must be a mapping"))
        return
    data = dict(raw)
    rid = data.pop("id", None)
    label = rid if isinstance(rid, str) else f"{kind.value} #{index}"
    sources_raw = data.pop("sources", None)
    if not sources_raw:
        dataset.problems.append(Problem(name, label, "sources", "at least one source is required"))
        return
    try:
        sources = tuple(Source.model_validate(s) for s in sources_raw)
        record = RecordInput(id=rid, kind=kind, data=data, sources=sources)
        payload = parse_payload(kind, data, label)
    except ValidationError as exc:
        error = invalid_from(exc, label)
        dataset.problems.append(Problem(name, label, error.field, error.message))
        return
    except InvalidInput as exc:
        dataset.problems.append(Problem(name, label, exc.field, exc.message))
        return
    if rid is None:
        dataset.problems.append(Problem(name, label, "id", "every curated record needs an id"))
        return
    dataset.entries.append(Entry(name, record, payload))


def read(directory: Path = DATA_DIR) -> Dataset:
    """Read and check every data file: schema, sources, unique ids and names, references, and
    what claims may say (:func:`_check_claims`). Reads the files only."""
    dataset = Dataset()
    for path in sorted(directory.glob("*.yaml")):
        _read_file(path, dataset)
    _check_unique(dataset)
    _check_refs(dataset)
    _check_claims(dataset)
    _check_dates(dataset)
    _check_sources(dataset)
    return dataset


def _check_sources(dataset: Dataset) -> None:
    """No source, and no damage estimate, is cited from a denied host (an open wiki, a document
    dump, a copy or aggregator site: :data:`accord.dataset_sources.DENIED_HOSTS`)."""
    for entry in dataset.entries:
        cited = [("sources", s.url.host) for s in entry.record.sources]
        if isinstance(entry.payload, Incident):
            cited += [("damage", d.source_url.host) for d in entry.payload.damage if d.source_url]
        for field_name, host in cited:
            denied = denied_host(host)
            if denied is not None:
                dataset.problems.append(
                    Problem(
                        entry.file,
                        entry.record.id,
                        field_name,
                        f"{host} is not a citable source ({DENIED_HOSTS[denied]}): cite the "
                        "primary page or a reputable report of it",
                    )
                )


def _check_dates(dataset: Dataset) -> None:
    """A curated claim has its date and a curated incident its start (at the precision the
    sources give): the model lets imported records leave them unknown, the curated record
    does not."""
    for entry in dataset.entries:
        payload = entry.payload
        if isinstance(payload, Claim) and payload.date is None:
            field, what = "date", "a curated claim needs its date"
        elif isinstance(payload, Incident) and payload.start is None:
            field, what = "start", "a curated incident needs its start"
        else:
            continue
        what += " (write the month or the year when unsure of the day)"
        dataset.problems.append(Problem(entry.file, entry.record.id, field, what))


def _check_claims(dataset: Dataset) -> None:
    """A claim is not dated before the earliest of its dated sources (what reports a claim
    cannot precede it; dates compared at their precision), and a claim that only traces an
    operation to a territory (stance ``locates``) names a state. The payload itself refuses an
    ``attributes`` claim at level ``territory``."""
    # Imported here: the analyses' date helpers bring numpy, which other commands never need.
    from accord.analysis.load import certainly_before

    kinds = {e.record.id: e.payload.kind for e in dataset.entries if isinstance(e.payload, Actor)}
    for entry in dataset.entries:
        claim = entry.payload
        if not isinstance(claim, Claim):
            continue
        if claim.date is None:
            continue  # reported by _check_dates
        dated = sorted((s.date for s in entry.record.sources if s.date), key=lambda d: d.earliest)
        if dated and certainly_before(claim.date.value, dated[0].value):
            dataset.problems.append(
                Problem(
                    entry.file,
                    entry.record.id,
                    "date",
                    f"the claim is dated {claim.date} but its earliest dated source was "
                    f"published {dated[0]}: date it as its sources report it, or cite a source "
                    "from that day",
                )
            )
        accused_kind = kinds.get(claim.accused)
        if claim.stance is Stance.LOCATES and accused_kind not in (None, ActorKind.STATE):
            dataset.problems.append(
                Problem(
                    entry.file,
                    entry.record.id,
                    "accused",
                    f"a claim that traces an operation to a territory names the state whose "
                    f"territory it is, not a {accused_kind}",
                )
            )


def _check_unique(dataset: Dataset) -> None:
    first_file: dict[str, str] = {}
    names: dict[tuple[Kind, str], str] = {}
    links: dict[tuple[str, ...], str] = {}
    for entry in dataset.entries:
        rid = entry.record.id or ""
        if rid in first_file:
            dataset.problems.append(
                Problem(entry.file, rid, "id", f"duplicate id (first defined in {first_file[rid]})")
            )
            continue
        first_file[rid] = entry.file
        kind = entry.record.kind
        if kind in _UNIQUE_NAME_KINDS:
            key = (kind, entry.payload.title().casefold())
            if key in names:
                dataset.problems.append(
                    Problem(
                        entry.file, rid, "name", f"duplicate {kind.value} name (also {names[key]})"
                    )
                )
            names[key] = rid
        if kind is Kind.PARTICIPATION:
            link = tuple(str(getattr(entry.payload, f)) for f in ("actor", "initiative", "role"))
            if link in links:
                dataset.problems.append(
                    Problem(entry.file, rid, None, f"duplicate participation (also {links[link]})")
                )
            links[link] = rid


def _check_refs(dataset: Dataset) -> None:
    kinds = {e.record.id: e.record.kind for e in dataset.entries}
    kinds[CURATORS_ORG] = Kind.ACTOR
    for entry in dataset.entries:
        for name, target in entry.payload.refs():
            spec = entry.payload.REFS[name]
            if target not in kinds:
                dataset.problems.append(
                    Problem(entry.file, entry.record.id, name, f"refers to unknown id '{target}'")
                )
            elif kinds[target] not in spec.kinds:
                dataset.problems.append(
                    Problem(
                        entry.file, entry.record.id, name, f"'{target}' is a {kinds[target].value}"
                    )
                )


def load(kb: KnowledgeBase, directory: Path = DATA_DIR) -> BulkResult:
    """Check the dataset and load it in one transaction (idempotent: an unchanged record stays)."""
    dataset = read(directory)
    if dataset.problems:
        raise DatasetInvalid(dataset.problems)
    try:
        return kb.bulk_create([e.record for e in dataset.entries], SYSTEM, upsert=True)
    except AccordError:
        raise
