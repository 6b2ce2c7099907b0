"""The consensus formula, claim by claim (pure): the weight of a claim, independent voices, the
noisy-OR of voices for and against an accused, roll-ups to parents and sponsors, and sector
positions. :mod:`accord.analysis.consensus` builds its results from these; the formula and its
reasons are in docs/methods.md.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from accord.analysis import load
from accord.analysis.load import ActorRow, ClaimRow, ResponseRow
from accord.domain.records import level_of
from accord.domain.vocab import ClaimKind, Evidence, Level, ResponseKind, Sector, Stance

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
#: +1 support, -1 dissent, 0 listed only.
SIGN = {
    Stance.ATTRIBUTES.value: 1,
    Stance.SELF_ATTRIBUTES.value: 1,
    Stance.DISPUTES.value: -1,
    Stance.DENIES.value: 0,  # the accused's own denial: listed, never weighed
    Stance.LOCATES.value: 0,  # a territory, not the state: listed, never weighed
}


def claim_weight(kind: str, evidence: str, confidence: int | None) -> float:
    """The weight of one claim: kind rank/4 x evidence rank/3 x confidence/100."""
    stated = UNSTATED_CONFIDENCE if confidence is None else confidence
    return _FACTOR[(kind, evidence)] * stated / 100


@functools.lru_cache(maxsize=4096)
def counted_weight(kind: str, evidence: str, confidence: int | None, sign: int) -> float:
    """The weight a claim counts with: its :func:`claim_weight`, or 0 for a denial (sign 0),
    which is listed and never weighed."""
    return claim_weight(kind, evidence, confidence) if sign else 0.0


class Item(NamedTuple):
    claim: ClaimRow
    weight: float
    root: str
    sign: int
    sector: str | None
    via: str | None
    link: float


class Strength(NamedTuple):
    support: float
    dissent: float
    supporting: int
    disputing: int

    @property
    def score(self) -> float:
        return self.support * (1 - self.dissent)


NOTHING = Strength(0.0, 0.0, 0, 0)


def strength(items: Sequence[Item]) -> Strength:
    """Noisy-OR of the strongest claim of each independent voice (a claimant's root: the FBI
    and the DoJ are the United States), for and against, the voices taken in root order. The
    signatories of a joint statement are separate voices: coordination is shown (the claim's
    ``joint_group``), never a reason to count several governments as one."""
    if len(items) == 1:  # the common case, without the bookkeeping
        it = items[0]
        if it.sign > 0:
            return Strength(it.weight, 0.0, 1, 0)
        return Strength(0.0, it.weight, 0, 1) if it.sign < 0 else NOTHING
    support: dict[str, float] = {}
    dissent: dict[str, float] = {}
    for it in items:
        if it.sign == 0:
            continue
        bucket = support if it.sign > 0 else dissent
        if it.weight > bucket.get(it.root, -1.0):
            bucket[it.root] = it.weight
    return Strength(
        noisy_or(support[v] for v in sorted(support)),
        noisy_or(dissent[v] for v in sorted(dissent)),
        len(support),
        len(dissent),
    )


def noisy_or(weights: Iterable[float]) -> float:
    """1 - the product of (1 - w), multiplied in the order given: callers give one fixed order
    (voices by root), so :mod:`accord.analysis.tally` computes bit-identical
    results."""
    return 1.0 - math.prod(1 - w for w in weights)


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
        return {a: strength(items).score for a, items in items_by_accused(claims, self).items()}

    def top(self, accused: str) -> str:
        """The actor ``accused`` ultimately stands for: its root, or its strongest sponsor's."""
        links = self.links.get(accused)
        if links:
            sponsor = min(links.items(), key=lambda kv: (-kv[1], kv[0]))[0]
            return self.root(sponsor)
        return self.root(accused)


def items_by_accused(claims: Iterable[ClaimRow], ctx: Scorer) -> dict[str, list[Item]]:
    """Claims (not withdrawn) grouped by accused, with roll-ups to sponsors and parents."""
    rows: dict[str, list[Item]] = defaultdict(list)
    who = ctx.who
    for c in claims:
        if c.withdrawn is not None:
            continue
        root, sector = who(c.claimant)
        sign = SIGN[c.stance]
        weight = counted_weight(c.kind, c.evidence, c.confidence, sign)
        rows[c.accused].append(Item(c, weight, root, sign, sector, None, 1.0))
        for target, link in ctx.rollup(c.accused):
            rows[target].append(Item(c, weight * link, root, sign, sector, c.accused, link))
    return rows


def sector_strengths(items: Sequence[Item], whole: Strength) -> dict[str, Strength]:
    sectors = {it.sector for it in items if it.sign != 0}
    if len(sectors) == 1:
        (only,) = sectors
        return {only: whole} if only is not None else {}
    by_sector: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.sector is not None and it.sign != 0:
            by_sector[it.sector].append(it)
    return {sector: strength(group) for sector, group in sorted(by_sector.items())}


def position(s: Strength) -> str:
    if s.support > s.dissent:
        return "supports"
    return "disputes" if s.dissent > s.support else "even"


def links(subject_claims: list[ClaimRow], ctx: Scorer) -> dict[str, dict[str, float]]:
    """Threat group → sponsor → consensus score of "this group is that sponsor"."""
    by_group: dict[str, list[ClaimRow]] = defaultdict(list)
    for c in subject_claims:
        if c.subject is not None:
            by_group[c.subject].append(c)
    out: dict[str, dict[str, float]] = {}
    for group, claims in by_group.items():
        rows = items_by_accused(claims, ctx)
        scores = {a: strength(items).score for a, items in rows.items() if a != group}
        positive = {a: s for a, s in scores.items() if s > 0}
        if positive:
            out[group] = positive
    return out


def scorer(actors: dict[str, ActorRow], linking: Iterable[ClaimRow]) -> Scorer:
    """A scorer over these (visible) actors, with threat-group → sponsor links computed from
    the (visible) claims about threat groups in ``linking``. Pure."""
    found = Scorer(actors, {})
    found.links = links(list(linking), found)
    return found


# -- the profile (consensus, version 2) -------------------------------------------------------

#: The most formal step a claim takes, lowest first (a response such as a sanction or an
#: indictment is a legal action): what a government stakes on being right.
FORMALITY = {
    ClaimKind.TECHNICAL_REPORT.value: 1,
    ClaimKind.ANONYMOUS_MEDIA.value: 2,
    ClaimKind.OFFICIAL_STATEMENT.value: 3,
    ClaimKind.LEGAL_ACTION.value: 4,
}
FORMALITY_WORDS = (
    "none",
    "technical report",
    "anonymous officials",
    "official statement",
    "legal action or sanction",
)
#: How specific the named author is, least first: where it came from, a tracked group, the
#: state, an agency, a unit, named people.
LEVEL_RANK = {
    Level.TERRITORY.value: 0,
    Level.THREAT_GROUP.value: 1,
    Level.STATE.value: 2,
    Level.AGENCY.value: 3,
    Level.UNIT.value: 4,
    Level.INDIVIDUALS.value: 5,
}
LEVELS = tuple(sorted(LEVEL_RANK, key=LEVEL_RANK.__getitem__))
EVIDENCES = tuple(sorted(EVIDENCE_RANK, key=EVIDENCE_RANK.__getitem__))
#: Settledness labels, by code (docs/methods.md, "Settledness", gives the rules).
SETTLEDNESS = (
    "not attributed",
    "technical only",
    "single government",
    "contested",
    "broadly attributed",
    "settled",
)
#: Governments at or above which an undisputed attribution is settled.
SETTLED_GOVERNMENTS = 5


def settledness(governments: int, others: int, dissent: int) -> int:
    """The settledness code (index in :data:`SETTLEDNESS`) of a profile's counts. Pure.

    No supporting claimant: not attributed; independent dissent: contested; then by the number
    of governments: five or more settled, two or more broadly attributed, one single
    government, none technical only."""
    if governments + others == 0:
        return 0
    if dissent:
        return 3
    if governments >= SETTLED_GOVERNMENTS:
        return 5
    if governments >= 2:
        return 4
    return 2 if governments == 1 else 1


class Profile(NamedTuple):
    """What the visible claims say about one accused state on one incident (pure data).

    ``governments``: roots (states, international organisations) of the government claimants
    that attributed it, each signatory of a joint statement on its own; ``others``: sector →
    roots of the other claimants that attributed it; ``formality``, ``level``, ``evidence``:
    the highest rank reached (-1: none); ``dissent``: roots of independent claimants that
    dispute it; ``denials``: roots of the accused state's own voice denying or disputing it;
    ``joint``: joint statement → its signatories' roots; ``responses``: the sanctions and
    indictments counted (their responders among the governments, at the top formality)."""

    state: str
    governments: tuple[str, ...]
    others: dict[str, tuple[str, ...]]
    formality: int
    level: int
    evidence: int
    dissent: tuple[str, ...]
    denials: tuple[str, ...]
    joint: dict[str, tuple[str, ...]]
    claims: tuple[ClaimRow, ...]
    responses: tuple[str, ...] = ()

    @property
    def settledness(self) -> int:
        """The settledness code."""
        return settledness(len(self.governments), self.other_count, len(self.dissent))

    @property
    def other_count(self) -> int:
        """How many non-government claimants attributed it."""
        return sum(len(v) for v in self.others.values())

    def rank(self) -> tuple[int, ...]:
        """What orders accused states, greatest first: governments, formality, other
        claimants, level, evidence, then fewer dissenters. Never an id."""
        return rank_key(
            len(self.governments),
            self.formality,
            self.other_count,
            self.level,
            self.evidence,
            len(self.dissent),
        )


def rank_key(
    governments: int, formality: int, others: int, level: int, evidence: int, dissent: int
) -> tuple[int, ...]:
    """The ranking tuple of a profile's counts (greater ranks first). Pure."""
    return (governments, formality, others, level, evidence, -dissent)


def state_of(accused: str, ctx: Scorer) -> str:
    """The state an accused actor rolls up to (:meth:`Scorer.top`): through ``parent`` for
    agencies and units, through sourced sponsor claims for threat groups; else itself."""
    return ctx.top(accused)


def level_rank(claim: ClaimRow, ctx: Scorer) -> int:
    """The rank in :data:`LEVEL_RANK` of the level a claim reaches (-1: unknown)."""
    level = claim.level
    if level is None:
        row = ctx.actors.get(claim.accused)
        found = level_of(row.kind) if row else None
        level = found.value if found else None
    return LEVEL_RANK.get(level, -1) if level is not None else -1


#: Responses that are a legal action or a sanction against their targets: each is its
#: responder's formal attribution of the incident to the targets' state.
FORMAL_RESPONSES = frozenset({ResponseKind.SANCTION.value, ResponseKind.INDICTMENT.value})


def formal_responses(
    responses: Iterable[ResponseRow], ctx: Scorer
) -> Iterator[tuple[ResponseRow, str, str]]:
    """(response, the state it holds responsible, the responder's root) for each sanction or
    indictment about an incident and each of its targets, the government responders only, the
    targets and responders the scorer knows (visible) only."""
    for r in responses:
        if r.kind not in FORMAL_RESPONSES or r.incident is None or r.responder not in ctx.actors:
            continue
        root, sector = ctx.who(r.responder)
        if sector != Sector.GOVERNMENT.value:
            continue
        for state in sorted({state_of(t, ctx) for t in r.targets if t in ctx.actors}):
            yield r, state, root


def profiles(
    claims: Iterable[ClaimRow], ctx: Scorer, responses: Iterable[ResponseRow] = ()
) -> dict[str, Profile]:
    """Accused state → its profile over these claims (withdrawn ones skipped) and the formal
    responses (sanctions, indictments) to the same incident. Pure."""
    by_state: dict[str, list[ClaimRow]] = defaultdict(list)
    for c in claims:
        if c.withdrawn is None:
            by_state[state_of(c.accused, ctx)].append(c)
    answered: dict[str, dict[str, str]] = defaultdict(dict)  # state -> response id -> root
    for r, state, root in formal_responses(responses, ctx):
        answered[state][r.id] = root
    return {
        state: _profile(state, by_state.get(state, []), ctx, answered.get(state, {}))
        for state in sorted(set(by_state) | set(answered))
    }


def _profile(state: str, claims: list[ClaimRow], ctx: Scorer, answered: dict[str, str]) -> Profile:
    governments: set[str] = set(answered.values())
    others: dict[str, set[str]] = defaultdict(set)
    dissent: set[str] = set()
    denials: set[str] = set()
    joint: dict[str, set[str]] = defaultdict(set)
    formality = level = evidence = -1
    if answered:
        formality = FORMALITY[ClaimKind.LEGAL_ACTION.value]
    for c in claims:
        root, sector = ctx.who(c.claimant)
        if c.stance in load.SUPPORTING:
            if sector == Sector.GOVERNMENT.value:
                governments.add(root)
            else:
                others[sector or "none"].add(root)
            formality = max(formality, FORMALITY[c.kind])
            evidence = max(evidence, EVIDENCE_RANK[c.evidence] - 1)
            level = max(level, level_rank(c, ctx))
            if c.joint_group:
                joint[c.joint_group].add(root)
        elif c.stance == Stance.LOCATES.value:
            level = max(level, level_rank(c, ctx))
        elif c.stance == Stance.DENIES.value or load.is_accused_own_voice(
            c.claimant, state, ctx.actors
        ):
            denials.add(root)
        else:
            dissent.add(root)
    return Profile(
        state=state,
        governments=tuple(sorted(governments)),
        others={s: tuple(sorted(r)) for s, r in sorted(others.items())},
        formality=max(formality, 0),
        level=level,
        evidence=evidence,
        dissent=tuple(sorted(dissent)),
        denials=tuple(sorted(denials)),
        joint={j: tuple(sorted(r)) for j, r in sorted(joint.items())},
        claims=tuple(claims),
        responses=tuple(sorted(answered)),
    )


def ranked_profiles(found: dict[str, Profile]) -> tuple[list[Profile], str | None]:
    """The profiles greatest first (equal ranks in id order, for a stable listing) and the
    lead: the state whose rank is strictly greatest, None on a tie (ids never decide) or when
    nobody attributed the incident. Pure."""
    ordered = sorted(found.values(), key=lambda p: (tuple(-x for x in p.rank()), p.state))
    if not ordered or ordered[0].settledness == 0:
        return ordered, None
    if len(ordered) > 1 and ordered[0].rank() == ordered[1].rank():
        return ordered, None
    return ordered, ordered[0].state
