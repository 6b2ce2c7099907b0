"""Read the rows the analyses need, straight from SQL, under ``access.visible(viewer)``.

The analyses work on large worlds (a million claims), so they read only the columns they use
(``id``, ``name``, ``date_key`` and the payload part of the JSON body; for claims, the typed
columns of ``claim_facts``) into small named tuples instead of building a pydantic
:class:`~accord.domain.records.Record` per row. Every query here
carries the sharing filter, so an analysis can only ever count what its caller may see. All
functions are read-only.

Also here: the helpers several analyses share (date spans with their precision, sectors, and
the chain from an actor up to the state it belongs to).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import orjson
from sqlalchemy import ColumnElement, Select, cast, func, select
from sqlalchemy.dialects.postgresql import JSONB

from accord import access
from accord.analysis import fetch
from accord.domain.records import Claim
from accord.domain.vocab import ActorKind, Kind, Sector, Stance
from accord.reader import Reader
from accord.store import claim_facts as claim_facts_store
from accord.store.schema import claim_facts, record_refs, records

_CHUNK = 900  # ids per IN (...) list: under SQLite's default limit of 999 bound parameters

Ints = npt.NDArray[np.int64]


class ActorRow(NamedTuple):
    """An actor as the analyses see it (``pk``: its ``records.pk``)."""

    id: str
    name: str
    kind: str
    parent: str | None
    governance: dict[str, Any] | None
    pk: int


class IncidentRow(NamedTuple):
    """An incident: its name and start date (with its precision; None when unknown), and its
    ``records.pk``."""

    id: str
    name: str
    start: str | None
    pk: int


class ClaimRow(NamedTuple):
    """An attribution claim, reduced to the fields the analyses weigh."""

    id: str
    claimant: str
    incident: str | None
    subject: str | None
    accused: str
    stance: str
    kind: str
    date: str | None  # None: the claim has no known date
    confidence: int | None
    evidence: str
    joint_group: str | None
    withdrawn: str | None
    #: How far the source reaches (:class:`~accord.domain.vocab.Level`); None: as far as the
    #: accused (:func:`accord.domain.records.level_of` its kind).
    level: str | None = None


class ParticipationRow(NamedTuple):
    """An actor's part in an initiative, with when it joined and left."""

    id: str
    actor: str
    initiative: str
    role: str
    joined: str | None
    left: str | None


class NormRow(NamedTuple):
    """A norm, the initiative that sets it, and its crosswalk."""

    id: str
    code: str
    title: str
    initiative: str
    equivalents: tuple[str, ...]


class InitiativeRow(NamedTuple):
    """An initiative's classification."""

    id: str
    name: str
    kind: str
    status: str
    binding: bool
    start: str | None


class AssessmentRow(NamedTuple):
    """An assessor's judgement that an incident breaches a norm."""

    id: str
    assessor: str
    incident: str
    norm: str


# -- the one query shape ----------------------------------------------------------------------


def _payload(reader: Reader) -> ColumnElement[Any]:
    """The ``data`` member of the JSON body, extracted by the database (not the sources)."""
    if reader.dialect_name == "postgresql":
        return cast(records.c.body, JSONB)["data"]
    return func.json_extract(records.c.body, "$.data")


def _decode(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    decoded: dict[str, Any] = orjson.loads(value)
    return decoded


def _date(value: Any) -> str | None:
    """A stored partial date (``{"value": "2017-05", "precision": "month"}``) as its text."""
    if isinstance(value, dict):
        text: str = value["value"]
        return text
    return value if isinstance(value, str) else None


def _select(reader: Reader, kind: Kind) -> Select[Any]:
    return select(
        records.c.id, records.c.name, records.c.date_key, _payload(reader), records.c.pk
    ).where(records.c.kind == kind.value, access.visible(reader.viewer))


def _pointing(field: str, targets: Sequence[str]) -> Iterator[Select[Any]]:
    """Subqueries of the ids of records whose ``field`` points at one of ``targets``."""
    ids = sorted(set(targets))
    for start in range(0, len(ids), _CHUNK):
        yield select(record_refs.c.record_id).where(
            record_refs.c.field == field, record_refs.c.target_id.in_(ids[start : start + _CHUNK])
        )


def _rows(
    reader: Reader,
    kind: Kind,
    *,
    ref_field: str | None = None,
    targets: Sequence[str] | None = None,
) -> Iterator[tuple[str, str, str | None, dict[str, Any], int]]:
    """(id, name, date_key, payload, pk) of visible records of a kind, optionally only those
    whose ``ref_field`` points at one of ``targets`` (looked up in ``record_refs``)."""
    query = _select(reader, kind)
    if targets is None:
        for rid, name, date_key, data, pk in reader.rows(query):
            yield rid, name, date_key, _decode(data), pk
        return
    for pointing in _pointing(ref_field or "", targets):
        for rid, name, date_key, data, pk in reader.rows(query.where(records.c.id.in_(pointing))):
            yield rid, name, date_key, _decode(data), pk


def _by_ids(
    reader: Reader, kind: Kind, ids: Sequence[str] | None
) -> Iterator[tuple[str, str, str | None, dict[str, Any], int]]:
    if ids is None:
        yield from _rows(reader, kind)
        return
    wanted = sorted(set(ids))
    base = _select(reader, kind)
    for start in range(0, len(wanted), _CHUNK):
        for rid, name, date_key, data, pk in reader.execute(
            base.where(records.c.id.in_(wanted[start : start + _CHUNK]))
        ):
            yield rid, name, date_key, _decode(data), pk


# -- typed loaders ----------------------------------------------------------------------------


def actors(reader: Reader, ids: Sequence[str] | None = None) -> dict[str, ActorRow]:
    """Visible actors (all, or those among ``ids``), by id."""
    return {
        rid: ActorRow(rid, name, d["kind"], d.get("parent"), d.get("governance"), pk)
        for rid, name, _, d, pk in _by_ids(reader, Kind.ACTOR, ids)
    }


def actors_closure(reader: Reader, ids: Iterable[str]) -> dict[str, ActorRow]:
    """Visible actors among ``ids`` and their visible ancestors through ``parent``."""
    found: dict[str, ActorRow] = {}
    wanted = set(ids)
    while wanted:
        batch = actors(reader, sorted(wanted))
        found.update(batch)
        wanted = {a.parent for a in batch.values() if a.parent and a.parent not in found}
        wanted -= set(batch)
        if not batch:
            break
    return found


def incidents(reader: Reader, ids: Sequence[str] | None = None) -> dict[str, IncidentRow]:
    """Visible incidents (all, or those among ``ids``), by id. An incident's ``date_key`` is its
    start (NULL when unknown), so no payload is read."""
    query = select(records.c.id, records.c.name, records.c.date_key, records.c.pk).where(
        records.c.kind == Kind.INCIDENT.value, access.visible(reader.viewer)
    )
    if ids is None:
        found = reader.rows(query)
    else:
        wanted = sorted(set(ids))
        found = [
            row
            for start in range(0, len(wanted), _CHUNK)
            for row in reader.execute(query.where(records.c.id.in_(wanted[start : start + _CHUNK])))
        ]
    return {rid: IncidentRow(rid, name, date_key, pk) for rid, name, date_key, pk in found}


def _claims_select(viewer: access.Viewer) -> Select[Any]:
    """Visible claims with their facts: the ``claim_facts`` row joined to the ``records`` row
    that :func:`accord.access.visible` filters (index-only, see migration 0006)."""
    facts = claim_facts.c
    return (
        select(
            records.c.id,
            facts.claimant,
            facts.incident,
            facts.subject,
            facts.accused,
            facts.stance,
            facts.kind,
            facts.date,
            facts.confidence,
            facts.evidence,
            facts.joint_group,
            facts.withdrawn,
            facts.level,
        )
        .select_from(records.join(claim_facts, facts.record_pk == records.c.pk))
        .where(records.c.kind == Kind.CLAIM.value, access.visible(viewer))
    )


def claims(
    reader: Reader,
    *,
    incidents: Sequence[str] | None = None,
    subjects: Sequence[str] | None = None,
) -> list[ClaimRow]:
    """Visible claims: all of them, or those about the given incidents or threat groups."""
    query = _claims_select(reader.viewer)
    if incidents is None and subjects is None:
        return [ClaimRow(*row) for row in reader.execute(query)]
    field, targets = ("incident", incidents) if incidents is not None else ("subject", subjects)
    return [
        ClaimRow(*row)
        for pointing in _pointing(field, targets or ())
        for row in reader.execute(query.where(records.c.id.in_(pointing)))
    ]


class ResponseRow(NamedTuple):
    """A visible response (sanction, indictment...) to an incident."""

    id: str
    responder: str
    kind: str
    targets: tuple[str, ...]
    incident: str | None
    date: str | None


def responses(reader: Reader, incidents: Sequence[str] | None = None) -> list[ResponseRow]:
    """Visible responses: all of them, or those to the given incidents."""
    return [
        ResponseRow(
            rid,
            d["responder"],
            d["kind"],
            tuple(d.get("targets", ())),
            d.get("incident"),
            _date(d.get("date")),
        )
        for rid, _, _, d, _ in _rows(reader, Kind.RESPONSE, ref_field="incident", targets=incidents)
    ]


def subject_claims(reader: Reader) -> list[ClaimRow]:
    """Visible claims about threat groups (``subject`` set): the group → sponsor links."""
    pointing = select(record_refs.c.record_id).where(record_refs.c.field == "subject")
    query = _claims_select(reader.viewer).where(records.c.id.in_(pointing))
    return [ClaimRow(*row) for row in reader.execute(query)]


class ClaimColumns(NamedTuple):
    """Visible claims that are not withdrawn, as columns in id order: what the analyses of every
    incident read, without a Python object per claim. The records a claim points to are their
    ``records.pk`` (-1 for none); ``names`` gives the id of each (an incident outside the
    ``names`` the caller passed reads as none)."""

    id: tuple[str, ...]
    claimant: Ints
    incident: Ints
    subject: Ints
    accused: Ints
    weighing: tuple[str, ...]  # stance, kind, evidence and confidence: see weighing()
    date: tuple[str, ...]  # "" for a claim with no known date (None in its row)
    joint_group: tuple[str | None, ...]
    level: tuple[str | None, ...]
    names: Mapping[int, str]

    def rows(self) -> list[ClaimRow]:
        """The same claims as rows."""
        return self.at(range(len(self.id)))

    def about_groups(self) -> list[ClaimRow]:
        """The claims about threat groups (``subject`` set), as rows: the group → sponsor
        links."""
        return self.at(np.flatnonzero(self.subject >= 0).tolist())

    def at(self, positions: Iterable[int]) -> list[ClaimRow]:
        """The claims at these positions, as rows."""
        name = self.names.get
        rows = []
        for n in positions:
            stance, kind, evidence, confidence = weighing(self.weighing[n])
            rows.append(
                ClaimRow(
                    self.id[n],
                    name(int(self.claimant[n]), ""),
                    name(int(self.incident[n])),
                    name(int(self.subject[n])),
                    name(int(self.accused[n]), ""),
                    stance,
                    kind,
                    self.date[n] or None,
                    confidence,
                    evidence,
                    self.joint_group[n],
                    None,
                    self.level[n],
                )
            )
        return rows


def weighing(text: str) -> tuple[str, str, str, int | None]:
    """(stance, kind, evidence, confidence) of a :attr:`ClaimColumns.weighing` text, cached (a
    few hundred distinct values). Pure."""
    return _parse_weighing(text)


_parse_weighing = functools.lru_cache(maxsize=4096)(claim_facts_store.parse_weighing)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, then restore its state.

    Reading a million rows creates a million tuples; each counts towards the next collection,
    and the full collections this triggers traverse every live object, the rows already read
    included (about a second of a million-claim analysis). The rows hold no reference cycles, so
    nothing is lost by collecting once afterwards, as the collector then does on its own.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


#: Every reference of a claim (all are hard) as its ``claim_facts`` integer column, with the
#: kinds it points at, for :func:`accord.access.visible_in_scan`. Taken from ``Claim.REFS``, so
#: a new reference without a column fails here, at import, instead of loosening the filter.
_CLAIM_ENDS = tuple((claim_facts.c[f"{name}_pk"], spec.kinds) for name, spec in Claim.REFS.items())


def _claim_specs() -> tuple[fetch.Spec, ...]:
    """The columns of :class:`ClaimColumns`, named once: what each is and how it travels (ids,
    weighing texts and dates never hold a comma, so SQLite joins them as plain words; an unknown
    date travels as the empty word)."""
    facts = claim_facts.c
    return (
        fetch.Spec("id", records.c.id, fetch.WORD),
        *(
            fetch.Spec(name, func.coalesce(facts[f"{name}_pk"], -1), fetch.INT)
            for name in ("claimant", "incident", "subject", "accused")
        ),
        fetch.Spec("weighing", facts.weighing, fetch.WORD),
        fetch.Spec("date", func.coalesce(facts.date, ""), fetch.WORD),
        fetch.Spec("joint_group", facts.joint_group, fetch.TEXT),
        fetch.Spec("level", facts.level, fetch.TEXT),
    )


_CLAIM_SPECS = _claim_specs()
if tuple(spec.name for spec in _CLAIM_SPECS) != ClaimColumns._fields[:-1]:
    raise RuntimeError("the claim column specs must name ClaimColumns' fields, in order")


def claim_columns(reader: Reader, names: Mapping[int, str]) -> ClaimColumns:
    """Every visible claim that is not withdrawn, as columns in id order.

    ``names`` maps ``records.pk`` to id for the actors and incidents the caller has read (under
    the same rule); the ids of claimants, subjects and accused not among them are read here.
    """
    query = (
        select(*(spec.sql for spec in _CLAIM_SPECS))
        .select_from(records.join(claim_facts, claim_facts.c.record_pk == records.c.pk))
        .where(
            records.c.kind == Kind.CLAIM.value,
            claim_facts.c.withdrawn.is_(None),
            access.visible_in_scan(reader.viewer, records, _CLAIM_ENDS),
        )
    )
    read: dict[str, Any] = dict(
        zip(
            ClaimColumns._fields,
            fetch.columns(reader, query, fetch.forms_of(_CLAIM_SPECS)),
            strict=False,
        )
    )
    actors = np.unique(np.concatenate([read["claimant"], read["subject"], read["accused"]]))
    missing = [pk for pk in actors.tolist() if pk >= 0 and pk not in names]
    if missing:  # written after the caller read its actors
        names = {**names, **_names(reader, missing)}
    return ClaimColumns(**read, names=names)


def _names(reader: Reader, pks: Sequence[int]) -> dict[int, str]:
    """pk → id of the visible records among ``pks``."""
    found: dict[int, str] = {}
    for start in range(0, len(pks), _CHUNK):
        query = select(records.c.pk, records.c.id).where(
            records.c.pk.in_(pks[start : start + _CHUNK]), access.visible(reader.viewer)
        )
        found.update({pk: rid for pk, rid in reader.execute(query)})
    return found


def names_of(*rows: Mapping[str, ActorRow] | Mapping[str, IncidentRow]) -> dict[int, str]:
    """pk → id of these actors and incidents (for :func:`claim_columns`). Pure."""
    return {row.pk: row.id for found in rows for row in found.values()}


def participations(reader: Reader, actors: Sequence[str] | None = None) -> list[ParticipationRow]:
    """Visible participations (all, or those of the given actors)."""
    found = (
        _rows(reader, Kind.PARTICIPATION)
        if actors is None
        else _rows(reader, Kind.PARTICIPATION, ref_field="actor", targets=actors)
    )
    return [
        ParticipationRow(
            rid, d["actor"], d["initiative"], d["role"], date_key, _date(d.get("left"))
        )
        for rid, _, date_key, d, _ in found
    ]


def norms(reader: Reader) -> dict[str, NormRow]:
    """Visible norms, by id."""
    return {
        rid: NormRow(rid, d["code"], name, d["initiative"], tuple(d.get("equivalents", ())))
        for rid, name, _, d, _ in _rows(reader, Kind.NORM)
    }


def initiatives(reader: Reader) -> dict[str, InitiativeRow]:
    """Visible initiatives, by id."""
    return {
        rid: InitiativeRow(rid, name, d["kind"], d["status"], bool(d["binding"]), date_key)
        for rid, name, date_key, d, _ in _rows(reader, Kind.INITIATIVE)
    }


def assessments(reader: Reader) -> list[AssessmentRow]:
    """Visible norm assessments."""
    return [
        AssessmentRow(rid, d["assessor"], d["incident"], d["norm"])
        for rid, _, _, d, _ in _rows(reader, Kind.ASSESSMENT)
    ]


# -- shared helpers ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=65_536)
def span(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day a partial date (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``) denotes."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        day = dt.date(parts[0], parts[1], parts[2])
        return day, day
    if len(parts) == 2:
        first = dt.date(parts[0], parts[1], 1)
        following = dt.date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)


def certainly_before(earlier: str, later: str) -> bool:
    """Whether every day ``earlier`` may denote falls before every day ``later`` may denote."""
    return span(earlier)[1] < span(later)[0]


def sector_of(kind: str) -> Sector | None:
    """The stakeholder sector of an actor kind (None for threat groups and individuals)."""
    return ActorKind(kind).sector


#: Actor kinds whose affiliation is itself contested: never rolled up through ``parent``, only
#: through claims ("APT28 is GRU unit 26165").
CLAIMED_AFFILIATION = frozenset({ActorKind.THREAT_GROUP.value, ActorKind.INDIVIDUAL.value})
SUPPORTING = frozenset({Stance.ATTRIBUTES.value, Stance.SELF_ATTRIBUTES.value})


def chain(actor_id: str, actors: dict[str, ActorRow]) -> list[str]:
    """The actor and its visible ancestors through ``parent`` (GRU unit 74455 → Russia).

    Threat groups and individuals stop at themselves (see :data:`CLAIMED_AFFILIATION`); a
    parent the viewer may not see ends the chain, so a hidden link is never followed.
    """
    out = [actor_id]
    current = actors.get(actor_id)
    while (
        current is not None
        and current.kind not in CLAIMED_AFFILIATION
        and current.parent is not None
        and current.parent in actors
        and current.parent not in out
    ):
        out.append(current.parent)
        current = actors[current.parent]
    return out


def root(actor_id: str, actors: dict[str, ActorRow]) -> str:
    """The top of an actor's visible ``parent`` chain (the FBI → the United States)."""
    return chain(actor_id, actors)[-1]


def is_accused_own_voice(claimant: str, accused: str, actors: dict[str, ActorRow]) -> bool:
    """Whether a claim speaks for the accused: the claimant's visible ``parent`` chain reaches the
    state the accused belongs to (China's CVERC disputing an attribution to China is China's own
    denial, never independent dissent). Pure."""
    top = root(accused, actors)
    row = actors.get(top)
    return row is not None and row.kind == ActorKind.STATE.value and root(claimant, actors) == top
