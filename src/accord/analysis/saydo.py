"""The say-do gap, per state: norms it endorsed next to the incidents attributed to it that an
assessment says breach one of those norms (read-only).

Rules (reasons in docs/methods.md):

- A state *endorses* the norms set by each initiative it (or one of its agencies or units,
  through ``parent``) takes part in with any role but ``observer``, from ``joined`` until
  ``left``. A participation with no ``joined`` date is a commitment but never precedes anything.
  The role is the endorsement's *route*: ``member`` of the group that wrote the norms,
  ``endorser`` through a General Assembly resolution adopted without a vote (every UN member
  state), ``supporter`` of a call, and so on; :class:`Endorsement` lists each one.
- An incident is *attributed* to the state when at least one government claimant, in a claim
  not withdrawn, attributes it to the state, one of its units, or a threat group that a
  government claim ties to the state; or, when the caller sets ``threshold``, when the
  consensus score of the state on the incident (roll-ups included) reaches it.
- A *breach* is an attributed incident that a norm assessment says breaches norm N, where the
  state endorsed N, or a norm the crosswalk lists as N's direct equivalent, certainly before the
  incident began (dates compared at their precision) and had not certainly left by then.
  The row's ``breaches`` counts distinct (incident, endorsed norm) pairs, so an incident assessed
  against two equivalent norms breaks the one commitment once; ``breaches_per_norm`` counts
  each assessed norm.

Everything is read under ``access.visible(viewer)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from accord.access import Viewer
from accord.analysis import load, tally
from accord.analysis.load import ActorRow, NormRow, ParticipationRow
from accord.domain.vocab import ActorKind, Role, Sector
from accord.errors import BadRequest, NotFound
from accord.kb import KnowledgeBase

CAVEATS = (
    "Only records you may see are counted.",
    "Attribution is uneven: states that draw more scrutiny, and adversaries of the governments "
    "that attribute most often, have more incidents attributed to them.",
    "A breach needs a norm assessment; incidents nobody assessed count for nothing.",
    "States that endorse more norms have more norms to breach: compare breaches per norm "
    "endorsed, not raw counts.",
    "Endorsements without a join date, or dated too coarsely to fall before the incident, do not "
    "count; counts are not severity, and one incident can breach several norms.",
    "An incident with no start date can never be shown to follow an endorsement: it is left out "
    "of the breaches (undated_incidents counts them).",
)


@dataclass(frozen=True)
class Breach:
    """An attributed incident breaching a norm the state had endorsed before it began."""

    incident: str
    incident_name: str
    start: str
    norm: str
    endorsed_norm: str
    initiative: str
    joined: str
    via_equivalent: bool
    basis: tuple[str, ...]  # claim ids (government rule) or "consensus 0.83"
    role: str = ""  # the endorsement's route: member, endorser, supporter...
    participation: str = ""


@dataclass(frozen=True)
class Endorsement:
    """One route by which a state committed to an initiative's norms: the participation, its
    role, and when (None: undated, a commitment that never precedes an incident)."""

    participation: str
    initiative: str
    initiative_name: str
    role: str
    joined: str | None
    left: str | None
    norms: int


@dataclass(frozen=True)
class StateRow:
    """One state's line in the say-do table."""

    state: str
    name: str
    initiatives_joined: int
    initiatives_left: int
    undated: int
    norms_endorsed: int
    assessed_incidents: int
    breaches: int
    breaches_per_norm: dict[str, int]
    #: Of the assessed incidents attributed to the state, those with no start date: left out
    #: of the breaches.
    undated_incidents: int = 0

    @property
    def rate(self) -> float | None:
        """Breaches per norm endorsed (None when the state endorsed none)."""
        return self.breaches / self.norms_endorsed if self.norms_endorsed else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**self.__dict__, "rate": self.rate}


@dataclass(frozen=True)
class Event:
    """One line of a state's timeline."""

    date: str | None
    what: str  # joined, left, incident
    ref: str
    name: str
    breaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class SayDo:
    """The say-do table of every visible state, ranked, with its caveats."""

    rule: str
    states: tuple[StateRow, ...]
    ranking: tuple[str, ...]
    caveats: tuple[str, ...] = CAVEATS
    #: Assessed incidents with no start date, left out of every breach.
    undated_incidents: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "rule": self.rule,
            "states": [s.to_json() for s in self.states],
            "ranking": list(self.ranking),
            "caveats": list(self.caveats),
            "undated_incidents": self.undated_incidents,
        }


@dataclass(frozen=True)
class StateDetail:
    """One state's row, breaches and timeline."""

    rule: str
    row: StateRow
    breaches: tuple[Breach, ...]
    timeline: tuple[Event, ...]
    caveats: tuple[str, ...] = CAVEATS
    endorsements: tuple[Endorsement, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "rule": self.rule,
            "row": self.row.to_json(),
            "endorsements": [dict(e.__dict__) for e in self.endorsements],
            "breaches": [dict(b.__dict__, basis=list(b.basis)) for b in self.breaches],
            "timeline": [dict(e.__dict__, breaches=list(e.breaches)) for e in self.timeline],
            "caveats": list(self.caveats),
        }


# -- the computation --------------------------------------------------------------------------


@dataclass
class _World:
    actors: dict[str, ActorRow]
    states: list[str]
    owner_state: dict[str, str]  # actor → the state its parent chain reaches
    commitments: dict[str, list[ParticipationRow]]
    norms: dict[str, NormRow]
    norms_of: dict[str, list[str]]  # initiative → norms it sets
    equivalents: dict[str, set[str]]
    initiative_names: dict[str, str]
    attributed: dict[str, dict[str, tuple[str, ...]]]  # state → incident → basis
    breached: dict[str, set[str]]  # incident → norms assessed as breached
    incidents: dict[str, load.IncidentRow]


def _state_of(actor_id: str, actors: dict[str, ActorRow]) -> str | None:
    top = load.root(actor_id, actors)
    row = actors.get(top)
    return top if row is not None and row.kind == ActorKind.STATE.value else None


def _government_attributions(
    columns: load.ClaimColumns, world: _World
) -> dict[str, dict[str, tuple[str, ...]]]:
    """State → incident → ids of the government claims that attribute it to the state."""
    government = [
        row.pk for row in world.actors.values() if load.sector_of(row.kind) is Sector.GOVERNMENT
    ]
    supports = {w: load.weighing(w)[0] in load.SUPPORTING for w in set(columns.weighing)}
    supporting = np.fromiter(
        map(supports.__getitem__, columns.weighing), bool, len(columns.weighing)
    )
    chosen = np.flatnonzero(supporting & np.isin(columns.claimant, government)).tolist()
    name = columns.names.get
    accused = [name(pk) for pk in columns.accused[chosen].tolist()]
    subject = [name(pk) for pk in columns.subject[chosen].tolist()]
    incident = [name(pk) for pk in columns.incident[chosen].tolist()]
    sponsors: dict[str, set[str]] = defaultdict(set)  # threat group → states (gov-asserted)
    for n in range(len(chosen)):
        state = world.owner_state.get(accused[n] or "")
        group = subject[n]
        if group is not None and state is not None:
            sponsors[group].add(state)
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for n, at in enumerate(chosen):
        about = incident[n]
        if about is None or about not in world.incidents:
            continue
        state = world.owner_state.get(accused[n] or "")
        for target in {state} if state else sponsors.get(accused[n] or "", set()):
            out[target][about].append(columns.id[at])
    return {s: {i: tuple(sorted(ids)) for i, ids in by.items()} for s, by in out.items()}


def _consensus_attributions(
    columns: load.ClaimColumns, world: _World, threshold: float
) -> dict[str, dict[str, tuple[str, ...]]]:
    """State → incident → basis, where the state's consensus score on an assessed incident
    (roll-ups included) reaches ``threshold``."""
    ids = sorted(world.incidents)
    counted = tally.tally(tally.code(columns, ids, tally.scorer(world.actors, columns)))
    out: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for g, score in enumerate(counted.scores().tolist()):
        accused = counted.actors[int(counted.group_actor[g])]
        row = world.actors.get(accused)
        if row is not None and row.kind == ActorKind.STATE.value and score >= threshold:
            out[accused][ids[int(counted.group_incident[g])]] = (f"consensus {score:.3f}",)
    return out


def _load(kb: KnowledgeBase, viewer: Viewer, threshold: float | None) -> _World:
    if threshold is not None and not 0 < threshold <= 1:
        raise BadRequest("threshold must be above 0 and at most 1")
    with kb.reader(viewer) as reader:
        actors = load.actors(reader)
        owner_state = {a: s for a in actors if (s := _state_of(a, actors)) is not None}
        commitments: dict[str, list[ParticipationRow]] = defaultdict(list)
        for p in load.participations(reader, actors=sorted(owner_state)):
            if p.role != Role.OBSERVER.value:
                commitments[owner_state[p.actor]].append(p)
        norms = load.norms(reader)
        initiatives = load.initiatives(reader)
        breached: dict[str, set[str]] = defaultdict(set)
        for a in load.assessments(reader):
            breached[a.incident].add(a.norm)
        incidents = load.incidents(reader, sorted(breached))
        columns = load.claim_columns(reader, load.names_of(actors, incidents))
    norms_of: dict[str, list[str]] = defaultdict(list)
    equivalents: dict[str, set[str]] = defaultdict(set)
    for n in norms.values():
        norms_of[n.initiative].append(n.id)
        for other in n.equivalents:
            if other in norms:  # a hidden norm is no link
                equivalents[n.id].add(other)
                equivalents[other].add(n.id)
    world = _World(
        actors=actors,
        states=sorted(a for a, row in actors.items() if row.kind == ActorKind.STATE.value),
        owner_state=owner_state,
        commitments=commitments,
        norms=norms,
        norms_of=norms_of,
        equivalents=equivalents,
        initiative_names={i: row.name for i, row in initiatives.items()},
        attributed={},
        breached=breached,
        incidents=incidents,
    )
    if threshold is None:
        world.attributed = _government_attributions(columns, world)
    else:
        world.attributed = _consensus_attributions(columns, world, threshold)
    return world


def _endorsements(state: str, world: _World) -> dict[str, list[tuple[ParticipationRow, str]]]:
    """Norm N → the (participation, endorsed norm) pairs through which the state committed to
    N: the norm itself or a direct crosswalk equivalent, in participation order."""
    out: dict[str, list[tuple[ParticipationRow, str]]] = defaultdict(list)
    for p in world.commitments.get(state, []):
        for endorsed in world.norms_of.get(p.initiative, ()):
            for norm in {endorsed} | world.equivalents.get(endorsed, set()):
                out[norm].append((p, endorsed))
    return out


def _breaches(state: str, world: _World) -> list[Breach]:
    found: dict[tuple[str, str], Breach] = {}
    endorsing = _endorsements(state, world)
    for incident_id, basis in sorted(world.attributed.get(state, {}).items()):
        incident = world.incidents.get(incident_id)
        if incident is None or incident.start is None:  # undated: never after an endorsement
            continue
        start = incident.start
        for norm in sorted(world.breached.get(incident_id, ())):
            for p, endorsed in endorsing.get(norm, ()):
                if p.joined is None or not load.certainly_before(p.joined, start):
                    continue
                if p.left is not None and not load.certainly_before(start, p.left):
                    continue
                key = (incident_id, norm)
                candidate = Breach(
                    incident=incident_id,
                    incident_name=incident.name,
                    start=start,
                    norm=norm,
                    endorsed_norm=endorsed,
                    initiative=p.initiative,
                    joined=p.joined,
                    via_equivalent=endorsed != norm,
                    basis=basis,
                    role=p.role,
                    participation=p.id,
                )
                # Prefer the direct endorsement, then the earliest join.
                best = found.get(key)
                if best is None or (candidate.via_equivalent, p.joined) < (
                    best.via_equivalent,
                    best.joined,
                ):
                    found[key] = candidate
    return [found[k] for k in sorted(found)]


def _row(state: str, world: _World, breaches: list[Breach]) -> StateRow:
    parts = world.commitments.get(state, [])
    current = {p.initiative for p in parts if p.left is None}
    per_norm: dict[str, int] = defaultdict(int)
    for b in breaches:
        per_norm[b.norm] += 1
    return StateRow(
        state=state,
        name=world.actors[state].name,
        initiatives_joined=len({p.initiative for p in parts}),
        initiatives_left=len({p.initiative for p in parts if p.left is not None} - current),
        undated=sum(1 for p in parts if p.joined is None),
        norms_endorsed=len({n for i in current for n in world.norms_of.get(i, ())}),
        assessed_incidents=len(world.attributed.get(state, {})),
        # One commitment broken once: an incident assessed against two equivalent norms
        # (13(f) and Paris Call 1) through the same endorsement counts once.
        breaches=len({(b.incident, b.endorsed_norm) for b in breaches}),
        breaches_per_norm=dict(sorted(per_norm.items())),
        undated_incidents=sum(
            1
            for i in world.attributed.get(state, {})
            if i in world.incidents and world.incidents[i].start is None
        ),
    )


def _rule(threshold: float | None) -> str:
    if threshold is None:
        return "attributed by at least one government claimant"
    return f"consensus score at least {threshold:g}"


def _ranking(rows: Iterable[StateRow]) -> tuple[str, ...]:
    ranked = sorted(
        (r for r in rows if r.breaches),
        key=lambda r: (-r.breaches, -(r.rate or 0.0), r.state),
    )
    return tuple(r.state for r in ranked)


# -- public API -------------------------------------------------------------------------------


def table(kb: KnowledgeBase, viewer: Viewer, *, threshold: float | None = None) -> SayDo:
    """The say-do table of every state the viewer may see, and a ranking by breaches.

    ``threshold`` switches attribution from the government-claimant rule to a consensus score
    threshold (0 < threshold ≤ 1). Read-only.
    """
    with load.gc_paused():
        world = _load(kb, viewer, threshold)
        rows = tuple(_row(s, world, _breaches(s, world)) for s in world.states)
    undated = sum(1 for i in world.incidents.values() if i.start is None)
    return SayDo(_rule(threshold), rows, _ranking(rows), undated_incidents=undated)


def for_state(
    kb: KnowledgeBase, viewer: Viewer, state_id: str, *, threshold: float | None = None
) -> StateDetail:
    """One state's say-do row, its breaches and its timeline. Read-only.

    Raises NotFound when the state does not exist or is hidden from the viewer.
    """
    world = _load(kb, viewer, threshold)
    if state_id not in world.states:
        raise NotFound("no such state", record=state_id)
    breaches = _breaches(state_id, world)
    events: list[Event] = []
    for p in world.commitments.get(state_id, []):
        name = world.initiative_names.get(p.initiative, p.initiative)
        events.append(Event(p.joined, "joined", p.initiative, name))
        if p.left is not None:
            events.append(Event(p.left, "left", p.initiative, name))
    by_incident: dict[str, list[str]] = defaultdict(list)
    for b in breaches:
        by_incident[b.incident].append(b.norm)
    for incident_id in world.attributed.get(state_id, {}):
        incident = world.incidents.get(incident_id)
        if incident is not None:
            events.append(
                Event(
                    incident.start,
                    "incident",
                    incident_id,
                    incident.name,
                    tuple(by_incident.get(incident_id, ())),
                )
            )
    events.sort(key=lambda e: (load.span(e.date)[0] if e.date else load.span("9999")[0], e.ref))
    return StateDetail(
        _rule(threshold),
        _row(state_id, world, breaches),
        tuple(breaches),
        tuple(events),
        endorsements=_routes(state_id, world),
    )


def _routes(state: str, world: _World) -> tuple[Endorsement, ...]:
    """Every participation through which the state endorses norms, earliest first."""
    routes = [
        Endorsement(
            participation=p.id,
            initiative=p.initiative,
            initiative_name=world.initiative_names.get(p.initiative, p.initiative),
            role=p.role,
            joined=p.joined,
            left=p.left,
            norms=len(world.norms_of.get(p.initiative, ())),
        )
        for p in world.commitments.get(state, [])
        if world.norms_of.get(p.initiative)
    ]
    never = load.span("9999")[0]
    return tuple(
        sorted(routes, key=lambda e: (load.span(e.joined)[0] if e.joined else never, e.initiative))
    )
