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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from accord.analysis import load, scoring
from accord.analysis.scoring import EVIDENCE_RANK, SIGN, Scorer, counted_weight
from accord.domain.records import level_of
from accord.domain.vocab import ActorKind, ClaimKind, Sector, Stance

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


class _Index(dict[Any, int]):
    """Value → number, numbering each new value as it is first looked up."""

    def __missing__(self, key: Any) -> int:
        number = self[key] = len(self)
        return number


def _factorize(values: Sequence[Any]) -> tuple[list[Any], Ints]:
    """The distinct values (first seen first) and each value's index among them."""
    index = _Index()
    codes = np.array(list(map(index.__getitem__, values)), dtype=np.int64)
    return list(index), codes


def _distinct_pks(values: Ints) -> tuple[Ints, Ints]:
    """``np.unique(values, return_inverse=True)`` for record pks (dense non-negative integers):
    marked in a table as long as the largest pk instead of sorted."""
    if not len(values) or int(values.min()) < 0 or int(values.max()) > 4 * len(values) + 2**20:
        return np.unique(values, return_inverse=True)
    seen = np.zeros(int(values.max()) + 1, dtype=bool)
    seen[values] = True
    number = np.cumsum(seen) - 1
    codes: Ints = number[values]
    return np.flatnonzero(seen), codes


class Coded(NamedTuple):
    """The visible claims (in id order) as numbers: what :func:`tally` and
    :func:`first_attributions` read."""

    ids: Sequence[str]
    claimant: Ints  # records.pk
    names: Mapping[int, str]  # records.pk -> id
    dates: Sequence[str]  # "": no known date
    incidents: Sequence[str]
    actors: Sequence[str]  # the accused and every roll-up target, ascending
    incident: Ints  # code in incidents; -1: not counted (about no listed incident)
    actor: Ints
    weight: Floats
    sign: Ints
    root: Ints
    sector: Ints
    government: npt.NDArray[np.bool_]
    rolled: dict[str, list[tuple[str, float]]]
    # The profile's columns (scoring.profiles): the accused's state (code in ``states``), the
    # stance (see _STANCE_CODE), formality, evidence and level ranks, and whether the claimant
    # speaks for that state.
    states: Sequence[str]
    roots: Sequence[str]  # the claimant roots ``root`` numbers, ascending
    state: Ints
    stance: Ints
    formality: Ints
    evidence: Ints
    level: Ints
    own: npt.NDArray[np.bool_]


def _about_codes(names: Mapping[int, str], about: Ints, incidents: Sequence[str]) -> Ints:
    """Each claim's incident (``about``, as pks) as its index in ``incidents``, -1 when it is
    about none of them."""
    pk_of = {name: pk for pk, name in names.items()}
    pks = np.array([pk_of.get(i, -1) for i in incidents], dtype=np.int64)
    size = int(max(pks.max(initial=-1), about.max(initial=-1))) + 2
    lookup = np.full(size, -1, dtype=np.int64)  # lookup[-1] (no incident, or unknown) is -1
    known = pks >= 0
    lookup[pks[known]] = np.flatnonzero(known)
    found: Ints = lookup[about]
    return found


def code(
    columns: load.ClaimColumns, incidents: Sequence[str], ctx: Scorer, *, about: str = "incident"
) -> Coded:
    """Number the claims of ``columns`` for the incidents ``incidents`` (ids ascending). Pure.

    Claims about threat groups or other incidents get incident -1 and count for nothing (as in
    ``items_by_accused``; withdrawn claims are not in ``columns``). With ``about="subject"``
    the "incidents" are threat groups and the claims about them are counted instead."""
    incident = _about_codes(columns.names, getattr(columns, about), incidents)
    # The weight (kind, evidence, confidence and stance) of each distinct combination.
    combos, combo_code = _factorize(columns.weighing)
    facts = [load.weighing(combo) for combo in combos]
    signs = [SIGN[stance] for stance, *_ in facts]
    sign = np.array(signs, dtype=np.int64)[combo_code]
    weights = [counted_weight(k, e, c, s) for (_, k, e, c), s in zip(facts, signs, strict=True)]
    weight = np.array(weights, dtype=np.float64)[combo_code]
    accused_pks, accused_code = _distinct_pks(columns.accused)
    accused = [columns.names[pk] for pk in accused_pks.tolist()]
    rolled = {a: ctx.rollup(a) for a in accused}
    actors = sorted(set(accused) | {t for targets in rolled.values() for t, _ in targets})
    actor_code = {a: n for n, a in enumerate(actors)}
    claimant_pks, claimant_code = _distinct_pks(columns.claimant)
    who = [ctx.who(columns.names[pk]) for pk in claimant_pks.tolist()]
    root_code = {r: n for n, r in enumerate(sorted({root for root, _ in who}))}
    roots = np.array([root_code[root] for root, _ in who], dtype=np.int64)
    sectors = np.array([_SECTOR_CODE.get(sector, -1) for _, sector in who], dtype=np.int64)
    government = np.array([sector == Sector.GOVERNMENT.value for _, sector in who], dtype=bool)
    # The profile: each accused's state, and each claim's stance and ranks.
    tops = [scoring.state_of(a, ctx) for a in accused]
    states = sorted(set(tops))
    state_code = {a: n for n, a in enumerate(states)}
    state = np.array([state_code[t] for t in tops], dtype=np.int64)[accused_code]
    names = {a: n for n, a in enumerate(sorted(set(states) | set(root_code)))}
    root_name = np.array([names[r] for r in sorted(root_code)], dtype=np.int64)
    state_name = np.array([names[a] for a in states], dtype=np.int64)
    is_state = np.array([_kind(ctx, a) == ActorKind.STATE.value for a in states], dtype=bool)
    claim_root = roots[claimant_code]
    own = (root_name[claim_root] == state_name[state]) & is_state[state]
    kinds = [level_of(_kind(ctx, a)) for a in accused]
    by_kind = np.array([-1 if k is None else scoring.LEVEL_RANK[k.value] for k in kinds])
    levels, level_code = _factorize(columns.level)
    stated = np.array([scoring.LEVEL_RANK.get(v, -1) if v else -1 for v in levels])[level_code]
    return Coded(
        ids=columns.id,
        claimant=columns.claimant,
        names=columns.names,
        dates=columns.date,
        incidents=incidents,
        actors=actors,
        incident=incident,
        actor=np.array([actor_code[a] for a in accused], dtype=np.int64)[accused_code],
        weight=weight,
        sign=sign,
        root=claim_root,
        sector=sectors[claimant_code],
        government=government[claimant_code],
        rolled=rolled,
        states=states,
        roots=sorted(root_code),
        state=state,
        stance=np.array([_STANCE_CODE[st] for st, *_ in facts], dtype=np.int64)[combo_code],
        formality=np.array([scoring.FORMALITY[k] for _, k, *_ in facts])[combo_code],
        evidence=np.array([EVIDENCE_RANK[e] - 1 for _, _, e, _ in facts])[combo_code],
        level=np.where(stated >= 0, stated, by_kind[accused_code]).astype(np.int64),
        own=own,
    )


#: Stance codes of the profile: what a claim says about the accused's state.
SUPPORTS, LOCATES, DENIES, DISPUTES = 1, 2, 3, 4
_STANCE_CODE = {
    Stance.ATTRIBUTES.value: SUPPORTS,
    Stance.SELF_ATTRIBUTES.value: SUPPORTS,
    Stance.LOCATES.value: LOCATES,
    Stance.DENIES.value: DENIES,
    Stance.DISPUTES.value: DISPUTES,
}


def _kind(ctx: Scorer, actor: str) -> str | None:
    row = ctx.actors.get(actor)
    return row.kind if row else None


def _combined(first: Ints, second: Ints) -> Ints:
    """One integer per (first, second) pair (non-negative), ordered as the pairs are."""
    width = int(second.max()) + 1 if len(second) else 1
    if len(first) and int(first.max()) >= np.iinfo(np.int64).max // width:
        raise OverflowError("too many groups to number")  # ~10^18 (incident, actor, root)
    combined: Ints = first * width + second
    return combined


def _runs(values: Ints) -> tuple[Ints, Ints]:
    """For sorted ``values``: where each run of equal values starts, and each entry's run."""
    change = np.ones(len(values), dtype=bool)
    change[1:] = values[1:] != values[:-1]
    run: Ints = np.cumsum(change) - 1
    return np.flatnonzero(change), run


def _noisy_or(owner: Ints, weight: Floats, count: int) -> Floats:
    """``1 - prod(1 - w)`` per group, for voices sorted by group (``owner``), multiplied in
    that order (``noisy_or``)."""
    product = np.ones(count)
    if len(owner):
        starts, _ = _runs(owner)
        product[owner[starts]] = np.multiply.reduceat(1.0 - weight, starts)
    result: Floats = 1.0 - product
    return result


def strengths(keys: Ints, roots: Ints, weight: Floats, sign: Ints) -> Strengths:
    """Support and dissent per key (``strength``): the strongest item of each voice (a
    (key, root) pair: joint statements are not merged), combined by noisy-OR in root order,
    for and against; a key with a single item counts that item's weight.

    The items come sorted by (key, root), so keys and (key, root) pairs are runs of equal
    values: numbered in one pass, without sorting again."""
    pair = _combined(keys, roots)
    if len(pair) and not bool(np.all(pair[1:] >= pair[:-1])):
        raise ValueError("items must be sorted by (key, root)")
    starts, group = _runs(keys)
    nodes, voice = _runs(pair)
    size = np.diff(starts, append=len(keys))
    out: list[Any] = []
    for side in (1, -1):
        chosen = sign == side
        strongest = np.full(len(nodes), -1.0)  # weights are >= 0
        np.maximum.at(strongest, voice[chosen], weight[chosen])
        present = np.flatnonzero(strongest >= 0)  # ascending voices: owners ascending too
        owner = group[nodes[present]]
        combined = _noisy_or(owner, strongest[present], len(starts))
        single = (size == 1)[group] & chosen
        combined[group[single]] = weight[single]  # the one-item shortcut of _strength
        out += [combined, np.bincount(owner, minlength=len(starts))]
    return Strengths(keys[starts], out[0], out[2], out[1], out[3])


def _sorted(items: dict[str, Any], order: Ints) -> dict[str, Any]:
    """Every column of ``items`` rearranged in ``order``."""
    return {name: values[order] for name, values in items.items()}


def _items(c: Coded) -> dict[str, Any]:
    """The counted claims and their roll-ups, one array entry each (``items_by_accused``)."""
    kept = np.flatnonzero(c.incident >= 0)
    claim = {
        "incident": c.incident[kept],
        "actor": c.actor[kept],
        "weight": c.weight[kept],
        "sign": c.sign[kept],
        "root": c.root[kept],
        "sector": c.sector[kept],
    }
    # Each claim counts for its accused (link 1) and for each roll-up target (weight x link).
    actor_code = {a: n for n, a in enumerate(c.actors)}
    rolled = [c.rolled.get(a, []) for a in c.actors]
    per_actor = np.array([1 + len(r) for r in rolled], dtype=np.int64)
    offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(per_actor)])
    flat_targets = np.array(
        [t for n, r in enumerate(rolled) for t in (n, *(actor_code[a] for a, _ in r))],
        dtype=np.int64,
    )
    flat_links = np.array([x for r in rolled for x in (1.0, *(link for _, link in r))])
    count = per_actor[claim["actor"]]
    source = np.repeat(np.arange(len(kept)), count)
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    entry = offsets[claim["actor"][source]] + within
    items = {name: values[source] for name, values in claim.items()}
    items["actor"] = flat_targets[entry]
    items["weight"] = np.where(within == 0, items["weight"], items["weight"] * flat_links[entry])
    return items


def tally(c: Coded) -> Tally:
    """Strengths of every (incident, accused) group of the counted claims, and its sectors'
    positions. Pure."""
    items, actors = _items(c), c.actors
    width = max(len(actors), 1)
    items["key"] = items.pop("incident") * width + items.pop("actor")  # both kept in the key
    items = _sorted(items, np.argsort(_combined(items["key"], items["root"])))
    whole = strengths(items["key"], items["root"], items["weight"], items["sign"])
    _, group = _runs(items["key"])  # each item's index in whole.keys
    # Sectors (sector_strengths): each sector's items alone, with their own voices; a group
    # whose weighed items all share one sector keeps the whole group's strength. The items are
    # already in group order, so a stable sort by (group, sector) is quick and keeps each
    # sector's roots in order.
    weighed = np.flatnonzero((items["sign"] != 0) & (items["sector"] >= 0))
    sector_key = group[weighed] * len(SECTORS) + items["sector"][weighed]
    by_sector = np.argsort(sector_key, kind="stable")
    part_items = _sorted(items, weighed[by_sector])
    part_items["key"] = sector_key[by_sector]
    part = strengths(*(part_items[n] for n in ("key", "root", "weight", "sign")))
    part_group = part.keys // len(SECTORS)
    sectors_in = _distinct_sectors(group, items["sign"], items["sector"], len(whole.keys))
    shared = sectors_in[part_group] == 1
    part = Strengths(
        part.keys,
        np.where(shared, whole.support[part_group], part.support),
        np.where(shared, whole.dissent[part_group], part.dissent),
        np.where(shared, whole.supporting[part_group], part.supporting),
        np.where(shared, whole.disputing[part_group], part.disputing),
    )
    return Tally(
        incidents=c.incidents,
        actors=actors,
        counted=np.bincount(c.incident[c.incident >= 0], minlength=len(c.incidents)),
        group_incident=whole.keys // width,
        group_actor=whole.keys % width,
        groups=whole,
        sector_group=part_group,
        sector=part.keys % len(SECTORS),
        sectors=part,
    )


def _distinct_sectors(group: Ints, sign: Ints, sector: Ints, count: int) -> Ints:
    """Per group, how many distinct sectors (none counting as one) its weighed items have."""
    weighed = sign != 0
    seen = np.zeros((count, len(SECTORS) + 1), dtype=bool)
    seen[group[weighed], sector[weighed] + 1] = True
    found: Ints = seen.sum(axis=1)
    return found


def _first_best(key: Ints, score: Floats, count: int) -> Ints:
    """Index of the first entry with the highest score per key (entries in order of preference
    within each key)."""
    best = np.full(count, -np.inf)
    np.maximum.at(best, key, score)
    candidates = np.flatnonzero(score == best[key])
    _, first = np.unique(key[candidates], return_index=True)
    found: Ints = candidates[first]
    return found


def leads(t: Tally) -> dict[int, int]:
    """Incident code → the group of its leading accused: the highest score, ties to the first
    id (``_ranked``)."""
    chosen = _first_best(t.group_incident, t.groups.score, len(t.incidents))
    return dict(zip(t.group_incident[chosen].tolist(), chosen.tolist(), strict=True))


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
    rows = np.flatnonzero((side != 0) & split[group])
    for g, s, p in zip(
        group[rows].tolist(), sector[rows].tolist(), side[rows].tolist(), strict=True
    ):
        named.setdefault(g, ([], []))[0 if p > 0 else 1].append(SECTORS[s])
    for g, (supporting, disputing) in sorted(named.items()):  # groups in (incident, actor) order
        incident, actor = int(t.group_incident[g]), t.actors[int(t.group_actor[g])]
        reasons.setdefault(incident, []).append(
            f"{', '.join(supporting)} support and {', '.join(disputing)} dispute {actor}"
        )
    # Sectors' leading attributions name different actors.
    rows = np.flatnonzero(side > 0)  # rows are in (incident, actor, sector) order
    row_incident = t.group_incident[group[rows]]
    chosen = rows[
        _first_best(
            row_incident * len(SECTORS) + sector[rows],
            t.sectors.score[rows],
            len(t.incidents) * len(SECTORS),
        )
    ]  # (incident, sector) ascending
    lead_incident = t.group_incident[group[chosen]]
    top_names, top_code = _factorize([ctx.top(a) for a in t.actors])
    tops = top_code[t.group_actor[group[chosen]]]
    low = np.full(len(t.incidents), np.iinfo(np.int64).max)
    high = np.full(len(t.incidents), -1)
    np.minimum.at(low, lead_incident, tops)
    np.maximum.at(high, lead_incident, tops)
    differ = (high > low)[lead_incident]
    by_incident: dict[int, list[str]] = {}
    for incident, s, top in zip(
        lead_incident[differ].tolist(),
        sector[chosen[differ]].tolist(),
        tops[differ].tolist(),
        strict=True,
    ):
        by_incident.setdefault(incident, []).append(f"{SECTORS[s]} → {top_names[top]}")
    for incident, named_tops in by_incident.items():
        listed = ", ".join(named_tops)  # sectors in name order
        reasons.setdefault(incident, []).append(f"sectors name different actors ({listed})")
    return {incident: tuple(found) for incident, found in reasons.items()}


class First(NamedTuple):
    """An incident's first dated government attribution, the range of days from the start, and
    how many of its government attributions have no date (never placed in time)."""

    claim: str
    claimant: str
    date: str
    days_min: int
    days_max: int
    undated: int = 0


def _days(dates: Sequence[str]) -> tuple[Ints, Ints]:
    """The first and last day (ordinals) each partial date may denote."""
    distinct, codes = _factorize(dates)
    spans = [load.span(d) for d in distinct]
    first = np.array([lo.toordinal() for lo, _ in spans], dtype=np.int64)
    last = np.array([hi.toordinal() for _, hi in spans], dtype=np.int64)
    return first[codes], last[codes]


def first_attributions(c: Coded, starts: Sequence[str | None]) -> dict[int, First]:
    """Incident code → its first dated government attribution not withdrawn (``_timing``): the
    claim with the earliest (first day, last day, id); the shortest gap from the incident's
    ``starts`` (one per incident) is from its last possible day to that claim's first day, the
    longest from its first possible day to the earliest last day of any such claim. Undated
    claims are only counted; an incident whose start is None has no entry."""
    dated_start = np.array([s is not None for s in starts], dtype=bool)
    chosen = np.flatnonzero((c.incident >= 0) & (c.sign > 0) & c.government)
    chosen = chosen[dated_start[c.incident[chosen]]]
    dates = [c.dates[n] for n in chosen.tolist()]
    has_date = np.array([bool(d) for d in dates], dtype=bool)
    undated = np.bincount(c.incident[chosen[~has_date]], minlength=len(c.incidents)).tolist()
    chosen = chosen[has_date]
    incident = c.incident[chosen]
    first_day, last_day = _days([d for d in dates if d])
    # The earliest (first day, last day) of each incident, then the first such claim (claims
    # are in id order): minima per incident, no sort.
    length = last_day - first_day
    when = first_day * (int(length.max(initial=0)) + 1) + length
    never = np.iinfo(np.int64).max
    earliest = np.full(len(c.incidents), never)
    np.minimum.at(earliest, incident, when)
    tied = np.flatnonzero(when == earliest[incident])
    first = np.full(len(c.incidents), never)
    np.minimum.at(first, incident[tied], tied)
    latest = np.full(len(c.incidents), never)
    np.minimum.at(latest, incident, last_day)
    start_first, start_last = _days([s or "9999" for s in starts])  # None: never picked
    picked = first[first < never]  # incidents ascending
    codes = incident[picked]
    shortest = np.maximum(0, first_day[picked] - start_last[codes]).tolist()
    longest = np.maximum(0, latest[codes] - start_first[codes]).tolist()
    out: dict[int, First] = {}
    for at, code, low, high in zip(
        chosen[picked].tolist(), codes.tolist(), shortest, longest, strict=True
    ):
        claimant = c.names[int(c.claimant[at])]
        out[code] = First(c.ids[at], claimant, c.dates[at], low, high, undated[code])
    return out


def _subset(columns: load.ClaimColumns, at: Ints) -> load.ClaimColumns:
    """The claims of ``columns`` at positions ``at`` (ascending)."""
    positions = at.tolist()
    return load.ClaimColumns._make(
        column[at]
        if isinstance(column, np.ndarray)
        else column
        if isinstance(column, Mapping)
        else tuple(column[n] for n in positions)
        for column in columns
    )


def links(columns: load.ClaimColumns, ctx: Scorer) -> dict[str, dict[str, float]]:
    """Threat group → sponsor → consensus score of "this group is that sponsor" over the
    claims about threat groups in ``columns`` (``scoring.links``, whose ``ctx`` has no links
    yet either). Pure but for ``ctx``'s caches."""
    chosen = np.flatnonzero(columns.subject >= 0)
    if not len(chosen):
        return {}
    about = _subset(columns, chosen)
    groups = sorted({about.names[pk] for pk in np.unique(about.subject).tolist()})
    counted = tally(code(about, groups, ctx, about="subject"))
    out: dict[str, dict[str, float]] = {}
    for g, a, score in zip(
        counted.group_incident.tolist(),
        counted.group_actor.tolist(),
        counted.scores().tolist(),
        strict=True,
    ):
        group, sponsor = groups[g], counted.actors[a]
        if sponsor != group and score > 0:
            out.setdefault(group, {})[sponsor] = score
    return out


def scorer(actors: dict[str, load.ActorRow], columns: load.ClaimColumns) -> Scorer:
    """A scorer over these (visible) actors, with the threat-group → sponsor links of the claims
    about threat groups in ``columns`` (``scoring.scorer``, on columns). Pure."""
    found = Scorer(actors, {})
    found.links = links(columns, found)
    return found


@dataclass(frozen=True)
class Profiles:
    """The profile counts of every (incident, state) group (``scoring.profiles``), groups in
    (incident, state) order, and each incident's lead (``scoring.ranked_profiles``). ``state``
    numbers ``states`` (the coded claims' states and those of formal responses)."""

    states: Sequence[str]
    incident: Ints
    state: Ints
    governments: Ints
    others: Ints
    formality: Ints
    level: Ints
    evidence: Ints
    dissent: Ints
    denials: Ints
    settledness: Ints
    lead: Ints  # per incident: its leading group, -1 for none (a tie, or no attribution)
    best: Ints  # per incident: its first-ranked group (the lead, or one of a tie), -1: none


def _distinct_per_group(group: Ints, pair: Ints, chosen: npt.NDArray[np.bool_], count: int) -> Ints:
    """Per group, how many distinct roots its ``chosen`` items have (items sorted by their
    (group, root) ``pair``, so equal pairs are runs: no sort)."""
    picked = pair[chosen]
    first = np.ones(len(picked), dtype=bool)
    first[1:] = picked[1:] != picked[:-1]
    found: Ints = np.bincount(group[chosen][first], minlength=count)
    return found


def _highest(group: Ints, values: Ints, chosen: npt.NDArray[np.bool_], count: int) -> Ints:
    """Per group, the highest of ``values`` over its ``chosen`` claims (-1: none)."""
    found: Ints = np.full(count, -1, dtype=np.int64)
    np.maximum.at(found, group[chosen], values[chosen])
    return found


def _recoded(names: Sequence[str], codes: Ints, extra: Sequence[str]) -> tuple[list[str], Ints]:
    """``names`` (ascending, numbered by ``codes``) joined with ``extra``: the new ascending
    names, then ``codes`` and ``extra`` renumbered in them, one array."""
    joined = sorted(set(names) | set(extra))
    number = {name: n for n, name in enumerate(joined)}
    old = np.array([number[name] for name in names], dtype=np.int64)
    added = np.array([number[name] for name in extra], dtype=np.int64)
    return joined, np.concatenate([old[codes] if len(names) else codes, added])


def profiles(c: Coded, responses: Sequence[tuple[int, str, str]] = ()) -> Profiles:
    """The profile of every (incident, accused state) group of the counted claims and of the
    formal ``responses`` — (incident code, state, responder's root) triples from
    ``scoring.formal_responses`` — and each incident's lead, on columns. Pure."""
    kept = np.flatnonzero(c.incident >= 0)
    extra = len(responses)
    states, state = _recoded(c.states, c.state[kept], [s for _, s, _ in responses])
    _, root = _recoded(c.roots, c.root[kept], [r for _, _, r in responses])
    incident = np.concatenate(
        [c.incident[kept], np.array([i for i, _, _ in responses], dtype=np.int64)]
    )
    width = max(len(states), 1)
    key = incident * width + state
    pair = _combined(key, root)
    order = np.argsort(pair)  # one sort: groups are runs of keys, (group, root) runs of pairs
    pair = pair[order]
    starts, group = _runs(key[order])
    keys = key[order][starts]
    count = len(keys)

    def padded(values: Any, fill: Any) -> Any:
        return np.concatenate([values[kept], np.full(extra, fill, dtype=values.dtype)])[order]

    stance = padded(c.stance, SUPPORTS)  # a formal response supports, from a government
    supports = stance == SUPPORTS
    government = padded(c.government, True)
    disputes, own = stance == DISPUTES, padded(c.own, False)
    governments = _distinct_per_group(group, pair, supports & government, count)
    others = _distinct_per_group(group, pair, supports & ~government, count)
    dissent = _distinct_per_group(group, pair, disputes & ~own, count)
    denials = _distinct_per_group(group, pair, (stance == DENIES) | (disputes & own), count)
    legal = scoring.FORMALITY[ClaimKind.LEGAL_ACTION.value]
    formality = np.maximum(_highest(group, padded(c.formality, legal), supports, count), 0)
    level = _highest(group, padded(c.level, -1), supports | (stance == LOCATES), count)
    evidence = _highest(group, padded(c.evidence, -1), supports, count)
    settled = np.select(
        [
            governments + others == 0,
            dissent > 0,
            governments >= scoring.SETTLED_GOVERNMENTS,
            governments >= 2,
            governments == 1,
        ],
        [0, 3, 5, 4, 2],
        default=1,
    )
    incident = keys // width  # now per group
    # The lead: the greatest rank of each incident, strictly (rank_key's order).
    order = np.lexsort((dissent, -evidence, -level, -others, -formality, -governments, incident))
    ranks = np.stack([governments, formality, others, level, evidence, -dissent])[:, order]
    starts, _ = _runs(incident[order])
    best = order[starts]
    lead = np.full(len(c.incidents), -1, dtype=np.int64)
    following = starts + 1
    has_next = following < len(order)
    tied = np.zeros(len(starts), dtype=bool)
    nxt = following[has_next]
    same_incident = incident[order[nxt]] == incident[best[has_next]]
    tied[np.flatnonzero(has_next)[same_incident]] = np.all(
        ranks[:, nxt[same_incident]] == ranks[:, starts[has_next][same_incident]], axis=0
    )
    chosen = ~tied & (settled[best] > 0)
    lead[incident[best[chosen]]] = best[chosen]
    first = np.full(len(c.incidents), -1, dtype=np.int64)
    first[incident[best]] = best
    return Profiles(
        states=states,
        incident=incident,
        state=keys % width,
        governments=governments,
        others=others,
        formality=formality,
        level=level,
        evidence=evidence,
        dissent=dissent,
        denials=denials,
        settledness=settled.astype(np.int64),
        lead=lead,
        best=first,
    )
