"""The consensus formula, claim by claim (pure): the weight of a claim, independent voices, the
noisy-OR of voices for and against an accused, roll-ups to parents and sponsors, and sector
positions. :mod:`accord.analysis.consensus` builds its results from these; the formula and its
reasons are in docs/methods.md.
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from accord.analysis import load
from accord.analysis.load import ActorRow, ClaimRow
from accord.domain.vocab import ClaimKind, Evidence, Stance

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


def find(parent: dict[str, str], key: str) -> str:
    while parent.setdefault(key, key) != key:
        parent[key] = parent[parent[key]]
        key = parent[key]
    return key


def voices(items: Iterable[Item]) -> dict[str, str]:
    """Union-find over claimant roots and joint groups: one component is one voice."""
    parent: dict[str, str] = {}
    for it in items:
        find(parent, it.root)
        if it.claim.joint_group:
            a, b = find(parent, it.root), find(parent, "\x00" + it.claim.joint_group)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return parent


def strength(items: Sequence[Item]) -> Strength:
    """Noisy-OR of the strongest claim of each independent voice, for and against, the voices
    taken in the order of their smallest claimant root."""
    if len(items) == 1:  # the common case, without the bookkeeping
        it = items[0]
        if it.sign > 0:
            return Strength(it.weight, 0.0, 1, 0)
        return Strength(0.0, it.weight, 0, 1) if it.sign < 0 else NOTHING
    parent = voices(items) if any(it.claim.joint_group for it in items) else None
    first_root: dict[str, str] = {}  # voice -> its smallest root (the voice itself if unjoined)
    support: dict[str, float] = {}
    dissent: dict[str, float] = {}
    for it in items:
        key = it.root if parent is None else find(parent, it.root)
        if parent is not None:
            first_root[key] = min(first_root.get(key, it.root), it.root)
        if it.sign == 0:
            continue
        bucket = support if it.sign > 0 else dissent
        if it.weight > bucket.get(key, -1.0):
            bucket[key] = it.weight
    return Strength(
        noisy_or(_in_order(support, first_root)),
        noisy_or(_in_order(dissent, first_root)),
        len(support),
        len(dissent),
    )


def _in_order(weights: dict[str, float], first_root: dict[str, str]) -> list[float]:
    """The voices' weights ordered by each voice's smallest root."""
    return [weights[v] for v in sorted(weights, key=lambda v: first_root.get(v, v))]


def noisy_or(weights: Iterable[float]) -> float:
    """1 - the product of (1 - w), multiplied in the order given: callers give one fixed order
    (voices by their smallest root), so :mod:`accord.analysis.tally` computes bit-identical
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
