"""Attribution consensus and dissent, per incident and per threat group (read-only).

For one incident (or threat group) the visible, not withdrawn claims are grouped by the accused
actor, each claim is weighed, claims that are not independent are merged into one *voice*, and
the voices are combined into a consensus score lowered by credible disputes. Claims also roll up
to the state behind the accused: through ``parent`` for agencies and units (GRU unit 74455 →
Russia) and, for threat groups, only where claims say so ("Lazarus Group is North Korea"), with
the strength of that link. The formula, its reasons and a worked example are in docs/methods.md.

Everything is computed from rows read under ``access.visible(viewer)`` (see
:mod:`accord.analysis.load`): a hidden claim, actor or incident changes nothing a caller sees.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from accord.access import Viewer
from accord.analysis import load
from accord.analysis.load import ActorRow, ClaimRow, IncidentRow
from accord.domain.vocab import ClaimKind, Evidence, Sector, Stance
from accord.errors import NotFound
from accord.kb import KnowledgeBase

#: Accountability ladder of claim kinds: who stakes what on being right (rank / 4).
KIND_RANK = {
    ClaimKind.ANONYMOUS_MEDIA.value: 1,
    ClaimKind.TECHNICAL_REPORT.value: 2,
    ClaimKind.OFFICIAL_STATEMENT.value: 3,
    ClaimKind.LEGAL_ACTION.value: 4,
}
#: Evidence disclosed, as steps of a three-step ladder (rank / 3).
EVIDENCE_RANK = {Evidence.NONE.value: 1, Evidence.SUMMARY.value: 2, Evidence.TECHNICAL.value: 3}
#: A claim that states no confidence is taken at the middle of the 0-100 scale.
UNSTATED_CONFIDENCE = 50

_FACTOR = {
    (kind, evidence): (k / len(KIND_RANK)) * (e / len(EVIDENCE_RANK))
    for kind, k in KIND_RANK.items()
    for evidence, e in EVIDENCE_RANK.items()
}
_SIGN = {
    Stance.ATTRIBUTES.value: 1,
    Stance.SELF_ATTRIBUTES.value: 1,
    Stance.DISPUTES.value: -1,
    Stance.DENIES.value: 0,  # the accused's own denial: listed, never weighed
}


def claim_weight(kind: str, evidence: str, confidence: int | None) -> float:
    """The weight of one claim: kind rank/4 x evidence rank/3 x confidence/100."""
    stated = UNSTATED_CONFIDENCE if confidence is None else confidence
    return _FACTOR[(kind, evidence)] * stated / 100


# -- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    """One claim as it counts towards an accused actor."""

    id: str
    claimant: str
    claimant_name: str
    sector: str | None
    stance: str
    kind: str
    date: str
    confidence: int | None
    evidence: str
    joint_group: str | None
    weight: float
    voice: str
    via: str | None = None
    link: float = 1.0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class SectorPosition:
    """What one sector's claimants say about an accused actor."""

    sector: str
    support: float
    dissent: float
    position: str  # supports, disputes or even


@dataclass(frozen=True)
class Accused:
    """The consensus on one accused actor."""

    actor: str
    name: str
    kind: str
    score: float
    support: float
    dissent: float
    supporting_voices: int
    disputing_voices: int
    claims: tuple[ClaimView, ...]
    sectors: tuple[SectorPosition, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("claims", "sectors")}
        out["claims"] = [c.to_json() for c in self.claims]
        out["sectors"] = [dict(s.__dict__) for s in self.sectors]
        return out


@dataclass(frozen=True)
class Timing:
    """Days from an incident's start to its first government attribution, as a range.

    Both dates may be known only to the month or year, so the gap is a range: ``days_min`` is
    the shortest gap the two dates allow (never below 0), ``days_max`` the longest.
    """

    first_claim: str
    claimant: str
    claim_date: str
    start: str
    days_min: int
    days_max: int


@dataclass(frozen=True)
class Consensus:
    """Consensus and dissent about one incident (or one threat group)."""

    about: str
    name: str
    about_kind: str  # incident or threat_group
    accused: tuple[Accused, ...]
    divergent: bool
    divergence: tuple[str, ...]
    time_to_attribution: Timing | None
    withdrawn: tuple[str, ...]
    denials: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "about": self.about,
            "name": self.name,
            "about_kind": self.about_kind,
            "accused": [a.to_json() for a in self.accused],
            "divergent": self.divergent,
            "divergence": list(self.divergence),
            "time_to_attribution": (
                dict(self.time_to_attribution.__dict__) if self.time_to_attribution else None
            ),
            "withdrawn": list(self.withdrawn),
            "denials": list(self.denials),
        }


@dataclass(frozen=True)
class Summary:
    """One line of the all-incidents table: the leading accused and the flags."""

    incident: str
    name: str
    start: str
    claims: int
    lead: str | None
    score: float
    voices: int
    divergent: bool
    divergence: tuple[str, ...]
    time_to_attribution: Timing | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        out["divergence"] = list(self.divergence)
        out["time_to_attribution"] = (
            dict(self.time_to_attribution.__dict__) if self.time_to_attribution else None
        )
        return out


@dataclass(frozen=True)
class Overview:
    """Consensus over every visible incident, with the divide counted."""

    incidents: tuple[Summary, ...]
    with_claims: int
    divergent: int
    median_days_to_attribution: float | None = None
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "incidents": [s.to_json() for s in self.incidents],
            "with_claims": self.with_claims,
            "divergent": self.divergent,
            "median_days_to_attribution": self.median_days_to_attribution,
            "notes": list(self.notes),
        }


# -- the computation --------------------------------------------------------------------------


class _Item(NamedTuple):
    claim: ClaimRow
    weight: float
    root: str
    sign: int
    sector: str | None
    via: str | None
    link: float


class _Strength(NamedTuple):
    support: float
    dissent: float
    supporting: int
    disputing: int

    @property
    def score(self) -> float:
        return self.support * (1 - self.dissent)


_NOTHING = _Strength(0.0, 0.0, 0, 0)


def _find(parent: dict[str, str], key: str) -> str:
    while parent.setdefault(key, key) != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def _voices(items: Iterable[_Item]) -> dict[str, str]:
    """Union-find over claimant roots and joint groups: one component is one voice."""
    parent: dict[str, str] = {}
    for it in items:
        _find(parent, it.root)
        if it.claim.joint_group:
            a, b = _find(parent, it.root), _find(parent, "\x00" + it.claim.joint_group)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return parent


def _strength(items: Sequence[_Item]) -> _Strength:
    """Noisy-OR of the strongest claim of each independent voice, for and against."""
    if len(items) == 1:  # the common case, without the bookkeeping
        it = items[0]
        if it.sign > 0:
            return _Strength(it.weight, 0.0, 1, 0)
        return _Strength(0.0, it.weight, 0, 1) if it.sign < 0 else _NOTHING
    parent = _voices(items) if any(it.claim.joint_group for it in items) else None
    support: dict[str, float] = {}
    dissent: dict[str, float] = {}
    for it in items:
        if it.sign == 0:
            continue
        key = it.root if parent is None else _find(parent, it.root)
        bucket = support if it.sign > 0 else dissent
        if it.weight > bucket.get(key, -1.0):
            bucket[key] = it.weight
    return _Strength(
        1 - math.prod(1 - w for w in support.values()),
        1 - math.prod(1 - w for w in dissent.values()),
        len(support),
        len(dissent),
    )


class Scorer:
    """Visible actors and threat-group → sponsor links, with per-actor caches."""

    def __init__(self, actors: dict[str, ActorRow], links: dict[str, dict[str, float]]) -> None:
        self.actors = actors
        self.links = links
        self._root: dict[str, str] = {}
        self._sector: dict[str, str | None] = {}
        self._who: dict[str, tuple[str, str | None]] = {}
        self._rollup: dict[str, list[tuple[str, float]]] = {}

    def root(self, actor_id: str) -> str:
        found = self._root.get(actor_id)
        if found is None:
            found = self._root[actor_id] = load.root(actor_id, self.actors)
        return found

    def sector(self, actor_id: str) -> str | None:
        if actor_id not in self._sector:
            row = self.actors.get(actor_id)
            sector = load.sector_of(row.kind) if row else None
            self._sector[actor_id] = sector.value if sector else None
        return self._sector[actor_id]

    def who(self, claimant: str) -> tuple[str, str | None]:
        """The claimant's root (for independence) and sector, cached."""
        found = self._who.get(claimant)
        if found is None:
            found = self._who[claimant] = (self.root(claimant), self.sector(claimant))
        return found

    def rollup(self, accused: str) -> list[tuple[str, float]]:
        """Where claims about ``accused`` also count, and with what link strength."""
        found = self._rollup.get(accused)
        if found is None:
            best: dict[str, float] = {a: 1.0 for a in load.chain(accused, self.actors)[1:]}
            for sponsor, link in self.links.get(accused, {}).items():
                for target in load.chain(sponsor, self.actors):
                    if target != accused and link > best.get(target, 0.0):
                        best[target] = link
            found = self._rollup[accused] = sorted(best.items())
        return found

    def scores(self, claims: Iterable[ClaimRow]) -> dict[str, float]:
        """Consensus score of every accused (roll-ups included) over these claims."""
        return {a: _strength(items).score for a, items in _rows(claims, self).items()}

    def top(self, accused: str) -> str:
        """The actor ``accused`` ultimately stands for: its root, or its strongest sponsor's."""
        links = self.links.get(accused)
        if links:
            sponsor = min(links.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            return self.root(sponsor)
        return self.root(accused)


def _rows(claims: Iterable[ClaimRow], ctx: Scorer) -> dict[str, list[_Item]]:
    """Claims (not withdrawn) grouped by accused, with roll-ups to sponsors and parents."""
    rows: dict[str, list[_Item]] = defaultdict(list)
    who = ctx.who
    for c in claims:
        if c.withdrawn is not None:
            continue
        weight = (
            _FACTOR[(c.kind, c.evidence)]
            * (UNSTATED_CONFIDENCE if c.confidence is None else c.confidence)
            / 100
        )
        root, sector = who(c.claimant)
        sign = _SIGN[c.stance]
        if sign == 0:
            weight = 0.0  # a denial is listed, never weighed
        rows[c.accused].append(_Item(c, weight, root, sign, sector, None, 1.0))
        for target, link in ctx.rollup(c.accused):
            rows[target].append(_Item(c, weight * link, root, sign, sector, c.accused, link))
    return rows


def _sector_strengths(items: Sequence[_Item], whole: _Strength) -> dict[str, _Strength]:
    sectors = {it.sector for it in items if it.sign != 0}
    if len(sectors) == 1:
        (only,) = sectors
        return {only: whole} if only is not None else {}
    by_sector: dict[str, list[_Item]] = defaultdict(list)
    for it in items:
        if it.sector is not None and it.sign != 0:
            by_sector[it.sector].append(it)
    return {sector: _strength(group) for sector, group in sorted(by_sector.items())}


def _position(s: _Strength) -> str:
    if s.support > s.dissent:
        return "supports"
    return "disputes" if s.dissent > s.support else "even"


def _divergence(sectors: dict[str, dict[str, _Strength]], ctx: Scorer) -> tuple[str, ...]:
    """Why sectors disagree: one supports what another disputes, or they name different actors.

    ``sectors`` maps accused → sector → strength.
    """
    if len({sector for by_sector in sectors.values() for sector in by_sector}) < 2:
        return ()
    reasons: list[str] = []
    leads: dict[str, tuple[float, str]] = {}
    for accused in sorted(sectors):
        by_sector = sectors[accused]
        pro = [s for s, st in by_sector.items() if _position(st) == "supports"]
        con = [s for s, st in by_sector.items() if _position(st) == "disputes"]
        if pro and con:
            reasons.append(f"{', '.join(pro)} support and {', '.join(con)} dispute {accused}")
        for sector in pro:
            score = by_sector[sector].score
            if sector not in leads or score > leads[sector][0]:
                leads[sector] = (score, accused)
    tops = {sector: ctx.top(accused) for sector, (_, accused) in leads.items()}
    if len(set(tops.values())) > 1:
        named = ", ".join(f"{s} → {t}" for s, t in sorted(tops.items()))
        reasons.append(f"sectors name different actors ({named})")
    return tuple(reasons)


def _timing(claims: Iterable[ClaimRow], incident: IncidentRow | None, ctx: Scorer) -> Timing | None:
    """The first government attribution (not withdrawn) and its distance from the start.

    With dates known to a month or year, the first attribution falls between the earliest
    first day and the earliest last day of the claims' dates, and the start anywhere in its own
    span; the range covers every combination.
    """
    if incident is None:
        return None
    first: tuple[Any, ...] | None = None
    latest_first = None
    for c in claims:
        if (
            c.withdrawn is None
            and c.stance in load.SUPPORTING
            and ctx.sector(c.claimant) == Sector.GOVERNMENT.value
        ):
            lo, hi = load.span(c.date)
            if first is None or (lo, hi, c.id) < first[:3]:
                first = (lo, hi, c.id, c)
            latest_first = hi if latest_first is None else min(latest_first, hi)
    if first is None or latest_first is None:
        return None
    start_lo, start_hi = load.span(incident.start)
    claim: ClaimRow = first[3]
    return Timing(
        first_claim=claim.id,
        claimant=claim.claimant,
        claim_date=claim.date,
        start=incident.start,
        days_min=max(0, (first[0] - start_hi).days),
        days_max=max(0, (latest_first - start_lo).days),
    )


def _evaluate(
    claims: list[ClaimRow], ctx: Scorer
) -> tuple[dict[str, list[_Item]], dict[str, _Strength], dict[str, dict[str, _Strength]]]:
    rows = _rows(claims, ctx)
    strengths = {accused: _strength(items) for accused, items in rows.items()}
    sectors = {a: _sector_strengths(items, strengths[a]) for a, items in rows.items()}
    return rows, strengths, sectors


def _ranked(strengths: dict[str, _Strength]) -> list[str]:
    return sorted(strengths, key=lambda a: (-strengths[a].score, a))


def _detail(
    about: str,
    name: str,
    about_kind: str,
    claims: list[ClaimRow],
    ctx: Scorer,
    incident: IncidentRow | None,
) -> Consensus:
    rows, strengths, sectors = _evaluate(claims, ctx)
    accused_views = []
    for accused in _ranked(strengths):
        items, st = rows[accused], strengths[accused]
        parent = _voices(items)
        actor = ctx.actors.get(accused)
        accused_views.append(
            Accused(
                actor=accused,
                name=actor.name if actor else accused,
                kind=actor.kind if actor else "",
                score=st.score,
                support=st.support,
                dissent=st.dissent,
                supporting_voices=st.supporting,
                disputing_voices=st.disputing,
                claims=tuple(_view(it, ctx, parent) for it in items),
                sectors=tuple(
                    SectorPosition(s, v.support, v.dissent, _position(v))
                    for s, v in sectors[accused].items()
                ),
            )
        )
    divergence = _divergence(sectors, ctx)
    return Consensus(
        about=about,
        name=name,
        about_kind=about_kind,
        accused=tuple(accused_views),
        divergent=bool(divergence),
        divergence=divergence,
        time_to_attribution=_timing(claims, incident, ctx),
        withdrawn=tuple(sorted(c.id for c in claims if c.withdrawn is not None)),
        denials=tuple(sorted(c.id for c in claims if c.withdrawn is None and _SIGN[c.stance] == 0)),
    )


def _view(it: _Item, ctx: Scorer, parent: dict[str, str]) -> ClaimView:
    c = it.claim
    voice_key = _find(parent, it.root)
    members = sorted(
        k for k in parent if not k.startswith("\x00") and _find(parent, k) == voice_key
    )
    actor = ctx.actors.get(c.claimant)
    return ClaimView(
        id=c.id,
        claimant=c.claimant,
        claimant_name=actor.name if actor else c.claimant,
        sector=it.sector,
        stance=c.stance,
        kind=c.kind,
        date=c.date,
        confidence=c.confidence,
        evidence=c.evidence,
        joint_group=c.joint_group,
        weight=it.weight,
        voice=" + ".join(members),
        via=it.via,
        link=it.link,
    )


def _links(subject_claims: list[ClaimRow], ctx: Scorer) -> dict[str, dict[str, float]]:
    """Threat group → sponsor → consensus score of "this group is that sponsor"."""
    by_group: dict[str, list[ClaimRow]] = defaultdict(list)
    for c in subject_claims:
        if c.subject is not None:
            by_group[c.subject].append(c)
    out: dict[str, dict[str, float]] = {}
    for group, claims in by_group.items():
        rows = _rows(claims, ctx)
        scores = {a: _strength(items).score for a, items in rows.items() if a != group}
        positive = {a: s for a, s in scores.items() if s > 0}
        if positive:
            out[group] = positive
    return out


def scorer(actors: dict[str, ActorRow], linking: Iterable[ClaimRow]) -> Scorer:
    """A scorer over these (visible) actors, with threat-group → sponsor links computed from
    the (visible) claims about threat groups in ``linking``. Pure."""
    found = Scorer(actors, {})
    found.links = _links(list(linking), found)
    return found


def _actor_ids(claims: Iterable[ClaimRow]) -> set[str]:
    return {a for c in claims for a in (c.claimant, c.accused, c.subject) if a is not None}


# -- public API -------------------------------------------------------------------------------


def for_incident(kb: KnowledgeBase, viewer: Viewer, incident_id: str) -> Consensus:
    """Consensus and dissent about one incident, as the viewer may see it. Read-only.

    Raises NotFound when the incident does not exist or is hidden from the viewer.
    """
    with kb.engine.connect() as conn:
        found = load.incidents(conn, viewer, [incident_id])
        if incident_id not in found:
            raise NotFound("no such incident", record=incident_id)
        claims = load.claims(conn, viewer, incidents=[incident_id])
        linking = load.claims(conn, viewer, subjects=sorted({c.accused for c in claims}))
        actors = load.actors_closure(conn, viewer, _actor_ids(claims) | _actor_ids(linking))
    ctx = scorer(actors, linking)
    incident = found[incident_id]
    return _detail(incident_id, incident.name, "incident", claims, ctx, incident)


def for_group(kb: KnowledgeBase, viewer: Viewer, group_id: str) -> Consensus:
    """Consensus and dissent about who is behind a threat group (claims with ``subject``).

    Read-only; raises NotFound when the actor does not exist or is hidden from the viewer.
    """
    with kb.engine.connect() as conn:
        found = load.actors(conn, viewer, [group_id])
        if group_id not in found:
            raise NotFound("no such actor", record=group_id)
        claims = load.claims(conn, viewer, subjects=[group_id])
        actors = load.actors_closure(conn, viewer, _actor_ids(claims))
    ctx = scorer(actors, [])
    return _detail(group_id, found[group_id].name, found[group_id].kind, claims, ctx, None)


def all_incidents(kb: KnowledgeBase, viewer: Viewer) -> Overview:
    """The consensus summary of every incident the viewer may see. Read-only."""
    with kb.engine.connect() as conn:
        ctx = scorer(load.actors(conn, viewer), load.subject_claims(conn, viewer))
        incidents = load.incidents(conn, viewer)
        by_incident: dict[str, list[ClaimRow]] = defaultdict(list)
        for c in load.claims(conn, viewer):
            if c.incident is not None:
                by_incident[c.incident].append(c)
    summaries = []
    for incident_id in sorted(incidents):
        incident = incidents[incident_id]
        claims = by_incident.get(incident_id, [])
        summaries.append(_summary(incident, claims, ctx))
    gaps = sorted(
        (s.time_to_attribution.days_min + s.time_to_attribution.days_max) / 2
        for s in summaries
        if s.time_to_attribution is not None
    )
    return Overview(
        incidents=tuple(summaries),
        with_claims=sum(1 for s in summaries if s.claims),
        divergent=sum(1 for s in summaries if s.divergent),
        median_days_to_attribution=_median(gaps),
        notes=(
            "Scores count only the claims you may see; see docs/methods.md for the formula.",
            "Median days to attribution uses the midpoint of each incident's range.",
        ),
    )


def _summary(incident: IncidentRow, claims: list[ClaimRow], ctx: Scorer) -> Summary:
    if not claims:
        return Summary(incident.id, incident.name, incident.start, 0, None, 0.0, 0, False, (), None)
    _, strengths, sectors = _evaluate(claims, ctx)
    ranked = _ranked(strengths)
    lead = ranked[0] if ranked else None
    divergence = _divergence(sectors, ctx)
    return Summary(
        incident=incident.id,
        name=incident.name,
        start=incident.start,
        claims=sum(1 for c in claims if c.withdrawn is None),
        lead=lead,
        score=strengths[lead].score if lead else 0.0,
        voices=strengths[lead].supporting if lead else 0,
        divergent=bool(divergence),
        divergence=divergence,
        time_to_attribution=_timing(claims, incident, ctx),
    )


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
