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

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from accord.access import Viewer
from accord.analysis import load, tally
from accord.analysis.load import ClaimRow, IncidentRow
from accord.analysis.scoring import (
    EVIDENCES,
    FORMALITY_WORDS,
    LEVELS,
    SETTLEDNESS,
    Item,
    Profile,
    Scorer,
    Strength,
    formal_responses,
    items_by_accused,
    position,
    profiles,
    ranked_profiles,
    scorer,
    sector_strengths,
    strength,
)
from accord.domain.vocab import Sector, Stance
from accord.errors import NotFound
from accord.kb import KnowledgeBase

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
    date: str | None  # None: the claim has no known date
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


class Timing(NamedTuple):
    """Days from an incident's start to its first government attribution, as a range.

    Both dates may be known only to the month or year, so the gap is a range: ``days_min`` is
    the shortest gap the two dates allow (never below 0), ``days_max`` the longest. Only dated
    claims are placed in time: ``undated`` counts the government attributions without a date,
    which came after the incident began but may have come before the first dated one. (A named
    tuple, like :class:`Summary`: the all-incidents table builds one per incident.)
    """

    first_claim: str
    claimant: str
    claim_date: str
    start: str
    days_min: int
    days_max: int
    undated: int = 0


class FirstAttribution(NamedTuple):
    """A state's first dated government attribution: the claim with the earliest possible day
    (a day-precise claim before a month-precise one on the same first day), and how many days
    after the incident's start: ``days`` at least (the shortest gap the dates allow),
    ``days_max`` at most. ``undated``: its government attributions without a date (never
    placed in time, so never the first)."""

    claim: str
    claimant: str
    date: str
    days: int
    days_max: int
    undated: int = 0


@dataclass(frozen=True)
class StateProfile:
    """Who says an accused state (or the actor itself, when no state is linked) did it, how
    formally, and who disagrees: counts of claimants, never of claims.

    ``governments``: the states and international organisations whose government claimants
    attributed it (the FBI and the DoJ count once, as the United States; each signatory of a
    joint statement counts); ``others``: sector → the other claimants that attributed it;
    ``formality``: the most formal step (technical report < anonymous officials < official
    statement < legal action or sanction); ``level``: the most specific level named;
    ``evidence``: the most evidence disclosed; ``dissent``: independent claimants that dispute
    it; ``denials``: the accused state's own voice denying or disputing it; ``joint``: joint
    statements and their signatories (coordination, shown); ``settledness``: see
    docs/methods.md; ``responses``: the sanctions and indictments of the incident that name it
    (their responders count among the governments, at the top formality)."""

    state: str
    name: str
    kind: str
    settledness: str
    governments: tuple[str, ...]
    others: dict[str, tuple[str, ...]]
    formality: str
    level: str | None
    evidence: str | None
    dissent: tuple[str, ...]
    denials: tuple[str, ...]
    joint: dict[str, tuple[str, ...]]
    claims: tuple[str, ...]
    responses: tuple[str, ...]
    first_government_attribution: FirstAttribution | None

    def sentences(self, names: dict[str, str]) -> list[str]:
        """The profile in plain words, what each count counts beside it (``names``: id →
        name). Pure."""
        named = functools.partial(_listed, names)
        gov = len(self.governments)
        plural = "" if gov == 1 else "s"
        who = f"{gov} government{plural} attributed it ({named(self.governments)})"
        said = [
            f"{self.settledness.capitalize()}: {who if gov else 'no government attributed it'}"
            f"; most formal step: {self.formality}."
        ]
        if self.others:
            others = "; ".join(
                f"{_SECTOR_WORDS.get(s, s)}: {named(r)}" for s, r in self.others.items()
            )
            said.append(f"Other claimants that attributed it ({others}).")
        said.append(
            f"Most specific level named: {(self.level or 'none').replace('_', ' ')}; "
            f"most evidence disclosed: {self.evidence or 'none'}."
        )
        if self.responses:
            said.append(
                f"Sanctions or indictments counted as formal attributions: {len(self.responses)}."
            )
        if self.joint:
            joint = "; ".join(f"{j}: {named(r)}" for j, r in self.joint.items())
            said.append(f"Coordinated statements, each signatory counted ({joint}).")
        said.append(
            f"Independent dissent: {named(self.dissent) if self.dissent else 'none'}; "
            f"denied by the accused's own voice: {named(self.denials) if self.denials else 'no'}."
        )
        first = self.first_government_attribution
        if first:
            days = (
                str(first.days)
                if first.days == first.days_max
                else f"{first.days}-{first.days_max}"
            )
            undated = (
                f" ({first.undated} undated government attribution"
                f"{'' if first.undated == 1 else 's'}, not placed in time, may have come earlier)"
                if first.undated
                else ""
            )
            said.append(
                f"First dated government attribution: "
                f"{names.get(first.claimant, first.claimant)} on {first.date}, {days} days after "
                f"the incident began{undated}."
            )
        return said

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}
        out["others"] = {k: list(v) for k, v in self.others.items()}
        out["joint"] = {k: list(v) for k, v in self.joint.items()}
        first = self.first_government_attribution
        out["first_government_attribution"] = first._asdict() if first else None
        return out


#: Sector keys of :attr:`StateProfile.others` in words.
_SECTOR_WORDS = {
    "private": "private sector",
    "civil_society": "civil society",
    "none": "groups or people without a sector",
}


def _listed(names: dict[str, str], ids: Iterable[str]) -> str:
    return ", ".join(names.get(a, a) for a in ids)


#: What the profile counts and misses, shown beside it.
PROFILE_NOTES = (
    "Counts claimants you may see, not claims: a government's agencies count as that "
    "government, and each signatory of a joint statement counts on its own.",
    "Agencies, units and threat groups count for their state only where a parent or a "
    "sourced sponsor claim links them; a claim tracing the activity to a territory names a "
    "level, never an attribution.",
    "Dissent excludes the accused state's own bodies (their disputes are listed as denials); "
    "withdrawn claims are not counted.",
    "Settledness: not attributed (nobody attributes it), else contested (an independent "
    "claimant disputes it), else settled (five or more governments), broadly attributed (two "
    "to four), single government (one), technical only (no government); docs/methods.md.",
)
#: The meaning of the 0-1 score, shown wherever it is.
SCORE_MEANING = (
    "Weighted support, 0 to 1: the chance that at least one independent claimant is right if "
    "each claim's weight (kind x evidence x stated confidence) were its chance, lowered by "
    "dissent. It weighs evidence and form, not how many governments agree: read the profile "
    "first."
)


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
    lead: str | None = None
    profiles: tuple[StateProfile, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = PROFILE_NOTES
    score_meaning: str = SCORE_MEANING

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "lead": self.lead,
            "profiles": [p.to_json() for p in self.profiles],
            "names": dict(self.names),
            "notes": list(self.notes),
            "score_meaning": self.score_meaning,
            "about": self.about,
            "name": self.name,
            "about_kind": self.about_kind,
            "accused": [a.to_json() for a in self.accused],
            "divergent": self.divergent,
            "divergence": list(self.divergence),
            "time_to_attribution": (
                self.time_to_attribution._asdict() if self.time_to_attribution else None
            ),
            "withdrawn": list(self.withdrawn),
            "denials": list(self.denials),
        }


class Summary(NamedTuple):
    """One line of the all-incidents table: the leading accused state, its profile in brief and
    the flags (a named tuple: the table builds one per incident, and a frozen dataclass takes
    twice as long to build). ``lead`` is None when nobody attributed the incident or two
    states tie; the other profile fields are then the first-ranked state's."""

    incident: str
    name: str
    start: str | None  # None: unknown, and no time to attribution
    claims: int
    lead: str | None
    settledness: str
    governments: int
    formality: str
    divergent: bool
    divergence: tuple[str, ...]
    time_to_attribution: Timing | None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = self._asdict()
        out["divergence"] = list(self.divergence)
        out["time_to_attribution"] = (
            self.time_to_attribution._asdict() if self.time_to_attribution else None
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
    #: Incidents with no start date: left out of every time figure (the median above).
    undated_incidents: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "incidents": [s.to_json() for s in self.incidents],
            "with_claims": self.with_claims,
            "divergent": self.divergent,
            "median_days_to_attribution": self.median_days_to_attribution,
            "undated_incidents": self.undated_incidents,
            "notes": list(self.notes),
        }


# -- the computation --------------------------------------------------------------------------


def _divergence(sectors: dict[str, dict[str, Strength]], ctx: Scorer) -> tuple[str, ...]:
    """Why sectors disagree: one supports what another disputes, or they name different actors.

    ``sectors`` maps accused → sector → strength.
    """
    if len({sector for by_sector in sectors.values() for sector in by_sector}) < 2:
        return ()
    reasons: list[str] = []
    leads: dict[str, tuple[float, str]] = {}
    for accused in sorted(sectors):
        by_sector = sectors[accused]
        pro = [s for s, st in by_sector.items() if position(st) == "supports"]
        con = [s for s, st in by_sector.items() if position(st) == "disputes"]
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
    """The first dated government attribution (not withdrawn) and its distance from the start.

    With dates known to a month or year, the first attribution falls between the earliest
    first day and the earliest last day of the claims' dates, and the start anywhere in its own
    span; the range covers every combination. A claim without a date is counted (``undated``)
    but never placed in time; an incident without a start has no timing.
    """
    if incident is None or incident.start is None:
        return None
    first: tuple[Any, ...] | None = None
    latest_first = None
    undated = 0
    for c in claims:
        if (
            c.withdrawn is None
            and c.stance in load.SUPPORTING
            and ctx.sector(c.claimant) == Sector.GOVERNMENT.value
        ):
            if c.date is None:
                undated += 1
                continue
            lo, hi = load.span(c.date)
            if first is None or (lo, hi, c.id) < first[:3]:
                first = (lo, hi, c.id, c, c.date)
            latest_first = hi if latest_first is None else min(latest_first, hi)
    if first is None or latest_first is None:
        return None
    start_lo, start_hi = load.span(incident.start)
    claim: ClaimRow = first[3]
    return Timing(
        first_claim=claim.id,
        claimant=claim.claimant,
        claim_date=first[4],
        start=incident.start,
        days_min=max(0, (first[0] - start_hi).days),
        days_max=max(0, (latest_first - start_lo).days),
        undated=undated,
    )


def _evaluate(
    claims: list[ClaimRow], ctx: Scorer
) -> tuple[dict[str, list[Item]], dict[str, Strength], dict[str, dict[str, Strength]]]:
    rows = items_by_accused(claims, ctx)
    strengths = {accused: strength(items) for accused, items in rows.items()}
    sectors = {a: sector_strengths(items, strengths[a]) for a, items in rows.items()}
    return rows, strengths, sectors


def _ranked(strengths: dict[str, Strength]) -> list[str]:
    return sorted(strengths, key=lambda a: (-strengths[a].score, a))


def _detail(
    about: str,
    name: str,
    about_kind: str,
    claims: list[ClaimRow],
    ctx: Scorer,
    incident: IncidentRow | None,
    answers: Iterable[load.ResponseRow] = (),
) -> Consensus:
    rows, strengths, sectors = _evaluate(claims, ctx)
    accused_views = []
    for accused in _ranked(strengths):
        items, st = rows[accused], strengths[accused]
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
                claims=tuple(_view(it, ctx) for it in items),
                sectors=tuple(
                    SectorPosition(s, v.support, v.dissent, position(v))
                    for s, v in sectors[accused].items()
                ),
            )
        )
    divergence = _divergence(sectors, ctx)
    ordered, lead = ranked_profiles(profiles(claims, ctx, answers))
    views = tuple(_profile_view(p, ctx, incident) for p in ordered)
    return Consensus(
        about=about,
        name=name,
        about_kind=about_kind,
        accused=tuple(accused_views),
        divergent=bool(divergence),
        divergence=divergence,
        time_to_attribution=_timing(claims, incident, ctx),
        withdrawn=tuple(sorted(c.id for c in claims if c.withdrawn is not None)),
        denials=tuple(sorted(c.id for c in claims if c.withdrawn is None and c.stance == DENIES)),
        lead=lead,
        profiles=views,
        names=_names(views, ctx),
    )


def _profile_view(p: Profile, ctx: Scorer, incident: IncidentRow | None) -> StateProfile:
    actor = ctx.actors.get(p.state)
    timing = _timing(p.claims, incident, ctx)
    return StateProfile(
        state=p.state,
        name=actor.name if actor else p.state,
        kind=actor.kind if actor else "",
        settledness=SETTLEDNESS[p.settledness],
        governments=p.governments,
        others=p.others,
        formality=FORMALITY_WORDS[p.formality],
        level=LEVELS[p.level] if p.level >= 0 else None,
        evidence=EVIDENCES[p.evidence] if p.evidence >= 0 else None,
        dissent=p.dissent,
        denials=p.denials,
        joint=p.joint,
        claims=tuple(c.id for c in p.claims),
        responses=p.responses,
        first_government_attribution=None
        if timing is None
        else FirstAttribution(
            timing.first_claim,
            timing.claimant,
            timing.claim_date,
            timing.days_min,
            timing.days_max,
            timing.undated,
        ),
    )


def _names(views: Iterable[StateProfile], ctx: Scorer) -> dict[str, str]:
    """Id → name of every actor the profiles list (the id itself when hidden or unknown)."""
    ids = {
        a
        for v in views
        for group in (v.governments, v.dissent, v.denials, *v.others.values(), *v.joint.values())
        for a in group
    }
    for v in views:
        ids.add(v.state)
        if v.first_government_attribution:
            ids.add(v.first_government_attribution.claimant)
    return {a: ctx.actors[a].name if a in ctx.actors else a for a in sorted(ids)}


DENIES = Stance.DENIES.value


def _view(it: Item, ctx: Scorer) -> ClaimView:
    c = it.claim
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
        voice=it.root,
        via=it.via,
        link=it.link,
    )


def _actor_ids(claims: Iterable[ClaimRow]) -> set[str]:
    return {a for c in claims for a in (c.claimant, c.accused, c.subject) if a is not None}


# -- public API -------------------------------------------------------------------------------


def for_incident(kb: KnowledgeBase, viewer: Viewer, incident_id: str) -> Consensus:
    """Consensus and dissent about one incident, as the viewer may see it. Read-only.

    Raises NotFound when the incident does not exist or is hidden from the viewer.
    """
    with kb.reader(viewer) as reader:
        found = load.incidents(reader, [incident_id])
        if incident_id not in found:
            raise NotFound("no such incident", record=incident_id)
        claims = load.claims(reader, incidents=[incident_id])
        answers = load.responses(reader, [incident_id])
        targets = {t for r in answers for t in r.targets}
        linking = load.claims(reader, subjects=sorted({c.accused for c in claims} | targets))
        responders = {r.responder for r in answers}
        actors = load.actors_closure(
            reader, _actor_ids(claims) | _actor_ids(linking) | targets | responders
        )
    ctx = scorer(actors, linking)
    incident = found[incident_id]
    return _detail(incident_id, incident.name, "incident", claims, ctx, incident, answers)


def for_group(kb: KnowledgeBase, viewer: Viewer, group_id: str) -> Consensus:
    """Consensus and dissent about who is behind a threat group (claims with ``subject``).

    Read-only; raises NotFound when the actor does not exist or is hidden from the viewer.
    """
    with kb.reader(viewer) as reader:
        found = load.actors(reader, [group_id])
        if group_id not in found:
            raise NotFound("no such actor", record=group_id)
        claims = load.claims(reader, subjects=[group_id])
        actors = load.actors_closure(reader, _actor_ids(claims))
    ctx = scorer(actors, [])
    return _detail(group_id, found[group_id].name, found[group_id].kind, claims, ctx, None)


def all_incidents(kb: KnowledgeBase, viewer: Viewer) -> Overview:
    """The consensus summary of every incident the viewer may see. Read-only.

    Scored on columns (:mod:`accord.analysis.tally`), with the same results as
    :func:`for_incident` gives for each incident.
    """
    with load.gc_paused():
        return _all_incidents(kb, viewer)


def _all_incidents(kb: KnowledgeBase, viewer: Viewer) -> Overview:
    with kb.reader(viewer) as reader:
        actors = load.actors(reader)
        incidents = load.incidents(reader)
        columns = load.claim_columns(reader, load.names_of(actors, incidents))
        answers = load.responses(reader)
    ctx = tally.scorer(actors, columns)
    ids = sorted(incidents)
    coded = tally.code(columns, ids, ctx)
    counted = tally.tally(coded)
    divergence = tally.divergence(counted, ctx)
    firsts = tally.first_attributions(coded, [incidents[i].start for i in ids])
    code_of = {incident_id: n for n, incident_id in enumerate(ids)}
    formal = [
        (code_of[r.incident], state, root)
        for r, state, root in formal_responses(answers, ctx)
        if r.incident in code_of
    ]
    found = tally.profiles(coded, formal)
    ranked = found.best  # each incident's first-ranked group (-1: none, the default below)
    states = np.array([*found.states, None], dtype=object)
    lead_state = states[np.append(found.state, len(found.states))[found.lead]]
    settled = np.append(found.settledness, 0)[ranked].tolist()
    governments = np.append(found.governments, 0)[ranked].tolist()
    formality = np.append(found.formality, 0)[ranked].tolist()
    lead_ids = lead_state.tolist()
    get_reasons, get_first = divergence.get, firsts.get
    summaries = []
    for code, (incident_id, claims) in enumerate(zip(ids, counted.counted.tolist(), strict=True)):
        incident = incidents[incident_id]
        reasons = get_reasons(code, ())
        first_attribution = get_first(code)
        summaries.append(
            Summary(
                incident_id,
                incident.name,
                incident.start,
                claims,
                lead_ids[code],
                SETTLEDNESS[settled[code]],
                governments[code],
                FORMALITY_WORDS[formality[code]],
                bool(reasons),
                reasons,
                None
                if first_attribution is None
                else Timing(
                    first_attribution.claim,
                    first_attribution.claimant,
                    first_attribution.date,
                    str(incident.start),
                    *first_attribution[3:],
                ),
            )
        )
    gaps = sorted(
        (s.time_to_attribution.days_min + s.time_to_attribution.days_max) / 2
        for s in summaries
        if s.time_to_attribution is not None
    )
    undated = sum(1 for s in summaries if s.start is None)
    notes = [
        "Scores count only the claims you may see; see docs/methods.md for the formula.",
        "Median days to attribution uses the midpoint of each incident's range, from its first "
        "dated government attribution (an undated claim is never placed in time).",
    ]
    if undated:
        notes.append(
            f"{undated} incident{'' if undated == 1 else 's'} with no start date "
            f"{'is' if undated == 1 else 'are'} left out of the days to attribution."
        )
    return Overview(
        incidents=tuple(summaries),
        with_claims=sum(1 for s in summaries if s.claims),
        divergent=sum(1 for s in summaries if s.divergent),
        median_days_to_attribution=_median(gaps),
        notes=tuple(notes),
        undated_incidents=undated,
    )


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
