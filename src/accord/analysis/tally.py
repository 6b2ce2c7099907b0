"""Consensus on every incident at once, on columns with numpy (pure, read-only).

:mod:`accord.analysis.consensus` scores one incident claim by claim. The all-incidents table and
the say-do threshold rule score every incident: a million claims on a large instance, too many
for a Python object per claim. This module runs the same formula (docs/methods.md) on arrays:
one entry per counted claim and per roll-up of it to a parent or sponsor (an *item*), grouped by
(incident, accused). Each step names the function of :mod:`accord.analysis.scoring` it mirrors,
with the same floating-point operations in the same order, so both give identical results
(``tests/test_analysis_tally.py`` compares them on random worlds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from accord.analysis import load
from accord.analysis.scoring import SIGN, Scorer, counted_weight
from accord.domain.vocab import Sector

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

#: Sector codes in name order (the order sectors are listed in), -1 for none.
SECTORS = tuple(sorted(s.value for s in Sector))
_SECTOR_CODE: dict[str | None, int] = {s: n for n, s in enumerate(SECTORS)}


@dataclass(frozen=True)
class Strengths:
    """Support and dissent of groups of items (one entry per group key, keys ascending)."""

    keys: Ints
    support: Floats
    dissent: Floats
    supporting: Ints
    disputing: Ints

    @property
    def score(self) -> Floats:
        """``support x (1 - dissent)`` (``Strength.score``)."""
        result: Floats = self.support * (1.0 - self.dissent)
        return result


@dataclass(frozen=True)
class Tally:
    """Every (incident, accused) group of the counted claims, with its strength, and the
    position of each sector on it. Codes index ``incidents`` and ``actors`` (ids ascending)."""

    incidents: Sequence[str]
    actors: Sequence[str]
    counted: Ints  # per incident: claims not withdrawn
    group_incident: Ints
    group_actor: Ints
    groups: Strengths
    sector_group: Ints  # per (group, sector) row: the group's index
    sector: Ints
    sectors: Strengths

    def scores(self) -> Floats:
        """The consensus score of each group."""
        return self.groups.score


def _codes(values: Sequence[Any], index: dict[Any, int]) -> Ints:
    return np.fromiter((index[v] for v in values), dtype=np.int64, count=len(values))


def _pairs(first: Ints, second: Ints) -> tuple[int, Ints]:
    """How many distinct (first, second) pairs there are, and the index of each one's pair."""
    width = int(second.max()) + 1 if len(second) else 1
    if len(first) and int(first.max()) >= np.iinfo(np.int64).max // width:
        raise OverflowError("too many groups to number")  # ~10^18 (incident, actor, root)
    unique, index = np.unique(first * width + second, return_inverse=True)
    return len(unique), index


def _components(keys: Ints, roots: Ints, joints: Ints) -> Ints:
    """Voice of each item: its component of "same root or same joint group" within its key
    (``voices``). Returns, per item, a component id unique across keys."""
    nodes, root_of = _pairs(keys, roots)
    labels = np.arange(nodes, dtype=np.int64)
    joined = joints >= 0
    if joined.any():
        joint_nodes, joint_of = _pairs(keys[joined], joints[joined])
        start = len(labels)
        labels = np.arange(start + joint_nodes, dtype=np.int64)
        left, right = root_of[joined], joint_of + start
        while True:  # label propagation to the smallest id of each component
            low = np.minimum(labels[left], labels[right])
            before = labels.copy()
            np.minimum.at(labels, left, low)
            np.minimum.at(labels, right, low)
            labels = labels[labels]
            if np.array_equal(labels, before):
                break
    found: Ints = labels[root_of]
    return found


def _noisy_or(group: Ints, weight: Floats, count: int) -> Floats:
    """``1 - prod(1 - w)`` per group, multiplied in ascending order of w (``noisy_or``)."""
    order = np.lexsort((weight, group))
    group, factor = group[order], 1.0 - weight[order]
    starts = np.searchsorted(group, group, side="left")
    rank = np.arange(len(group)) - starts
    product = np.ones(count)
    for step in range(int(rank.max()) + 1 if len(rank) else 0):
        at = rank == step
        product[group[at]] *= factor[at]
    result: Floats = 1.0 - product
    return result


def strengths(keys: Ints, voices: Ints, weight: Floats, sign: Ints) -> Strengths:
    """Support and dissent per key (``strength``): the strongest item of each voice, combined
    by noisy-OR, for and against; a key with a single item counts that item's weight."""
    unique, group, size = np.unique(keys, return_inverse=True, return_counts=True)
    out: list[Any] = []
    for side in (1, -1):
        chosen = sign == side
        voice, at = np.unique(voices[chosen], return_inverse=True)
        strongest = np.full(len(voice), -1.0)
        np.maximum.at(strongest, at, weight[chosen])
        owner = np.empty(len(voice), dtype=np.int64)
        owner[at] = group[chosen]
        combined = _noisy_or(owner, strongest, len(unique))
        single = (size == 1)[group] & chosen
        combined[group[single]] = weight[single]  # the one-item shortcut of _strength
        out += [combined, np.bincount(owner, minlength=len(unique))]
    return Strengths(unique, out[0], out[2], out[1], out[3])


def _items(columns: load.ClaimColumns, incidents: Sequence[str], ctx: Scorer) -> dict[str, Any]:
    """The counted claims about ``incidents`` and their roll-ups, as arrays
    (``items_by_accused``)."""
    incident_code = {i: n for n, i in enumerate(incidents)}
    kept = [
        n
        for n, (incident, withdrawn) in enumerate(
            zip(columns.incident, columns.withdrawn, strict=True)
        )
        if withdrawn is None and incident in incident_code
    ]
    claimant = [columns.claimant[n] for n in kept]
    accused = [columns.accused[n] for n in kept]
    joint = [columns.joint_group[n] for n in kept]
    sign = [SIGN[columns.stance[n]] for n in kept]
    weight = [
        counted_weight(columns.kind[n], columns.evidence[n], columns.confidence[n], s)
        for n, s in zip(kept, sign, strict=True)
    ]
    rolled = {a: ctx.rollup(a) for a in set(accused)}
    actors = sorted(set(rolled) | {t for targets in rolled.values() for t, _ in targets})
    actor_code = {a: n for n, a in enumerate(actors)}
    who = {c: ctx.who(c) for c in set(claimant)}
    root_code = {r: n for n, r in enumerate(sorted({root for root, _ in who.values()}))}
    joint_code: dict[str | None, int] = {None: -1}
    for j in joint:
        joint_code.setdefault(j, len(joint_code) - 1)
    claim = {
        "incident": _codes([columns.incident[n] for n in kept], incident_code),
        "actor": _codes(accused, actor_code),
        "weight": np.array(weight, dtype=np.float64),
        "sign": np.array(sign, dtype=np.int64),
        "root": np.array([root_code[who[c][0]] for c in claimant], dtype=np.int64),
        "sector": np.array([_SECTOR_CODE.get(who[c][1], -1) for c in claimant], dtype=np.int64),
        "joint": _codes(joint, joint_code),
    }
    # Each claim counts for its accused (link 1) and for each roll-up target (weight x link).
    targets = [[actor_code[a]] + [actor_code[t] for t, _ in rolled.get(a, ())] for a in actors]
    links = [[1.0] + [link for _, link in rolled.get(a, ())] for a in actors]
    per_actor = np.array([len(t) for t in targets], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(per_actor)])
    flat_targets = np.array([t for ts in targets for t in ts], dtype=np.int64)
    flat_links = np.array([x for xs in links for x in xs], dtype=np.float64)
    count = per_actor[claim["actor"]]
    source = np.repeat(np.arange(len(kept)), count)
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    entry = offsets[claim["actor"][source]] + within
    items = {name: values[source] for name, values in claim.items()}
    items["actor"] = flat_targets[entry]
    items["weight"] = np.where(within == 0, items["weight"], items["weight"] * flat_links[entry])
    counted = np.bincount(claim["incident"], minlength=len(incidents))
    return {"items": items, "actors": actors, "counted": counted}


def tally(columns: load.ClaimColumns, incidents: Sequence[str], ctx: Scorer) -> Tally:
    """Strengths of every (incident, accused) group and its sectors' positions. Pure.

    ``columns`` may hold claims about other incidents and about threat groups: only those
    about ``incidents`` (ids ascending) and not withdrawn count.
    """
    built = _items(columns, incidents, ctx)
    items, actors = built["items"], built["actors"]
    width = max(len(actors), 1)
    key = items["incident"] * width + items["actor"]
    voices = _components(key, items["root"], items["joint"])
    whole = strengths(key, voices, items["weight"], items["sign"])
    # Sectors (sector_strengths): each sector's items alone, with their own voices; a group
    # whose weighed items all share one sector keeps the whole group's strength.
    weighed = (items["sign"] != 0) & (items["sector"] >= 0)
    sector_key = key[weighed] * len(SECTORS) + items["sector"][weighed]
    voices = _components(sector_key, items["root"][weighed], items["joint"][weighed])
    part = strengths(sector_key, voices, items["weight"][weighed], items["sign"][weighed])
    group = np.searchsorted(whole.keys, part.keys // len(SECTORS))
    sectors_in = _distinct_sectors(key, items["sign"], items["sector"], whole.keys)
    shared = sectors_in[group] == 1
    part = Strengths(
        part.keys,
        np.where(shared, whole.support[group], part.support),
        np.where(shared, whole.dissent[group], part.dissent),
        np.where(shared, whole.supporting[group], part.supporting),
        np.where(shared, whole.disputing[group], part.disputing),
    )
    return Tally(
        incidents=incidents,
        actors=actors,
        counted=built["counted"],
        group_incident=whole.keys // width,
        group_actor=whole.keys % width,
        groups=whole,
        sector_group=group,
        sector=part.keys % len(SECTORS),
        sectors=part,
    )


def _distinct_sectors(key: Ints, sign: Ints, sector: Ints, groups: Ints) -> Ints:
    """Per group, how many distinct sectors (none counting as one) its weighed items have."""
    weighed = sign != 0
    pairs = np.unique(key[weighed] * (len(SECTORS) + 1) + sector[weighed] + 1)
    group = np.searchsorted(groups, pairs // (len(SECTORS) + 1))
    found: Ints = np.bincount(group, minlength=len(groups))
    return found


def leads(t: Tally) -> dict[int, int]:
    """Incident code → the group of its leading accused: the highest score, ties to the first
    id (``_ranked``)."""
    order = np.lexsort((t.group_actor, -t.groups.score, t.group_incident))
    incident = t.group_incident[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = incident[1:] != incident[:-1]
    return dict(zip(incident[first].tolist(), order[first].tolist(), strict=True))


def _positions(s: Strengths) -> Ints:
    """+1 supports, -1 disputes, 0 even (``position``)."""
    found: Ints = np.sign(s.support - s.dissent).astype(np.int64)
    return found


def divergence(t: Tally, ctx: Scorer) -> dict[int, tuple[str, ...]]:
    """Incident code → why its sectors disagree (``_divergence``), for divergent incidents."""
    side = _positions(t.sectors)
    group, sector = t.sector_group, t.sector
    reasons: dict[int, list[str]] = {}
    # One sector supports what another disputes.
    pro = np.zeros(len(t.groups.keys), dtype=bool)
    con = np.zeros(len(t.groups.keys), dtype=bool)
    pro[group[side > 0]] = True
    con[group[side < 0]] = True
    split = pro & con
    named: dict[int, tuple[list[str], list[str]]] = {}
    for g, s, p in zip(group.tolist(), sector.tolist(), side.tolist(), strict=True):
        if p and split[g]:
            named.setdefault(g, ([], []))[0 if p > 0 else 1].append(SECTORS[s])
    for g, (supporting, disputing) in sorted(named.items()):  # groups in (incident, actor) order
        incident, actor = int(t.group_incident[g]), t.actors[int(t.group_actor[g])]
        reasons.setdefault(incident, []).append(
            f"{', '.join(supporting)} support and {', '.join(disputing)} dispute {actor}"
        )
    # Sectors' leading attributions name different actors.
    rows = np.flatnonzero(side > 0)
    row_incident = t.group_incident[group[rows]]
    order = rows[
        np.lexsort((t.group_actor[group[rows]], -t.sectors.score[rows], sector[rows], row_incident))
    ]
    lead_incident, lead_sector = t.group_incident[group[order]], sector[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (lead_incident[1:] != lead_incident[:-1]) | (lead_sector[1:] != lead_sector[:-1])
    tops = [ctx.top(a) for a in t.actors]
    by_incident: dict[int, list[tuple[str, str]]] = {}
    for incident, s, g in zip(
        lead_incident[first].tolist(),
        lead_sector[first].tolist(),
        group[order[first]].tolist(),
        strict=True,
    ):
        by_incident.setdefault(incident, []).append((SECTORS[s], tops[int(t.group_actor[g])]))
    for incident, named_tops in by_incident.items():
        if len({top for _, top in named_tops}) > 1:
            listed = ", ".join(f"{s} → {top}" for s, top in named_tops)  # sectors in name order
            reasons.setdefault(incident, []).append(f"sectors name different actors ({listed})")
    return {incident: tuple(found) for incident, found in reasons.items()}


class First(NamedTuple):
    """An incident's first government attribution: the claim, and the day span it allows."""

    claim: str
    claimant: str
    date: str
    first_day: int  # ordinals (datetime.date.toordinal)
    latest_last_day: int


def first_attributions(
    columns: load.ClaimColumns, incidents: Sequence[str], ctx: Scorer
) -> dict[int, First]:
    """Incident code → its first government attribution not withdrawn (``_timing``): the
    claim with the earliest (first day, last day, id), and the earliest last day of any."""
    incident_code = {i: n for n, i in enumerate(incidents)}
    government = Sector.GOVERNMENT.value
    days: dict[str, tuple[int, int]] = {}
    chosen = [
        n
        for n, (incident, stance, withdrawn, claimant) in enumerate(
            zip(columns.incident, columns.stance, columns.withdrawn, columns.claimant, strict=True)
        )
        if withdrawn is None
        and incident in incident_code
        and stance in load.SUPPORTING
        and ctx.sector(claimant) == government
    ]
    for n in chosen:
        date = columns.date[n]
        if date not in days:
            first_day, last_day = load.span(date)
            days[date] = (first_day.toordinal(), last_day.toordinal())
    code = _codes([columns.incident[n] for n in chosen], incident_code)
    lo = np.array([days[columns.date[n]][0] for n in chosen], dtype=np.int64)
    hi = np.array([days[columns.date[n]][1] for n in chosen], dtype=np.int64)
    position = np.array(chosen, dtype=np.int64)  # columns are in id order
    order = np.lexsort((position, hi, lo, code))
    first = np.ones(len(order), dtype=bool)
    first[1:] = code[order][1:] != code[order][:-1]
    latest = np.full(len(incidents), np.iinfo(np.int64).max)
    np.minimum.at(latest, code, hi)
    out: dict[int, First] = {}
    for at in order[first].tolist():
        n, incident = chosen[at], int(code[at])
        out[incident] = First(
            columns.id[n], columns.claimant[n], columns.date[n], int(lo[at]), int(latest[incident])
        )
    return out
