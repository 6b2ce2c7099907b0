"""The stakeholder network: the bipartite actor-initiative graph and its bridging metrics
(read-only).

- the share of initiatives that join government and private participants;
- per pair of sectors, how often they sit in the same initiative compared with chance (the
  null model is in :func:`_expected_together` and docs/methods.md);
- the actors with the highest betweenness (the bridges);
- the internet-governance map (actors with a ``governance`` block).

The graph holds only visible participations (each needs both ends visible), so an edge is never
drawn to, or inferred from, a record the caller may not see.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from accord.access import Viewer
from accord.analysis import load
from accord.domain.vocab import Sector
from accord.kb import KnowledgeBase

#: Above this many nodes betweenness is estimated from this many sampled sources (seeded).
EXACT_BETWEENNESS_NODES = 2_000
SAMPLED_SOURCES = 500


@dataclass(frozen=True)
class SectorPair:
    """How often two sectors take part in the same initiative, against chance."""

    a: str
    b: str
    observed: int
    expected: float
    index: float | None  # observed / expected; above 1: more often than chance


@dataclass(frozen=True)
class Bridge:
    """An actor with high betweenness in the actor-initiative graph."""

    actor: str
    name: str
    sector: str | None
    betweenness: float
    initiatives: int


@dataclass(frozen=True)
class GovernanceBody:
    """An internet-governance body and how it works."""

    actor: str
    name: str
    frame: str
    stakeholder_model: str
    binding: bool


@dataclass(frozen=True)
class Network:
    """Bridging metrics of the visible actor-initiative network."""

    actors: int
    initiatives: int
    participations: int
    initiatives_with_participants: int
    public_private: int
    public_private_share: float | None
    sector_pairs: tuple[SectorPair, ...]
    bridges: tuple[Bridge, ...]
    betweenness_sampled: bool
    governance: tuple[GovernanceBody, ...]
    governance_counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        for key in ("sector_pairs", "bridges", "governance"):
            out[key] = [dict(item.__dict__) for item in getattr(self, key)]
        return out


def graph(kb: KnowledgeBase, viewer: Viewer) -> nx.Graph:
    """The bipartite graph of visible actors (that take part in something) and initiatives.

    Nodes carry ``node_type`` (actor or initiative), ``name``, ``kind`` and, for actors,
    ``sector``; edges carry the participation ``roles`` (comma-separated). Read-only.
    """
    with kb.reader(viewer) as reader:
        initiatives = load.initiatives(reader)
        participations = load.participations(reader)
        actors = load.actors(reader, sorted({p.actor for p in participations}))
    g = nx.Graph()
    for i in initiatives.values():
        attrs: dict[str, Any] = {
            "node_type": "initiative",
            "bipartite": 1,
            "name": i.name,
            "kind": i.kind,
            "status": i.status,
            "binding": i.binding,
        }
        if i.start:
            attrs["start"] = i.start
        g.add_node(i.id, **attrs)
    for p in participations:
        actor = actors.get(p.actor)
        if actor is None or p.initiative not in initiatives:
            continue
        if p.actor not in g:
            sector = load.sector_of(actor.kind)
            g.add_node(
                p.actor,
                node_type="actor",
                bipartite=0,
                name=actor.name,
                kind=actor.kind,
                sector=sector.value if sector else "none",
            )
        if g.has_edge(p.actor, p.initiative):
            roles = set(g.edges[p.actor, p.initiative]["roles"].split(","))
            g.edges[p.actor, p.initiative]["roles"] = ",".join(sorted(roles | {p.role}))
        else:
            g.add_edge(p.actor, p.initiative, roles=p.role)
    return g


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _none_drawn(slots: int, excluded: int, size: int) -> float:
    """Probability that ``size`` slots drawn without replacement from ``slots`` avoid
    ``excluded`` given ones: C(slots - excluded, size) / C(slots, size)."""
    if size > slots - excluded:
        return 0.0
    return math.exp(_log_comb(slots - excluded, size) - _log_comb(slots, size))


def _expected_together(sizes: list[int], k_a: int, k_b: int) -> float:
    """Expected number of initiatives holding both sectors when the sector labels of all
    participation slots are shuffled, each initiative keeping its number of slots."""
    total = sum(sizes)
    expected = 0.0
    for n in sizes:
        expected += (
            1
            - _none_drawn(total, k_a, n)
            - _none_drawn(total, k_b, n)
            + _none_drawn(total, k_a + k_b, n)
        )
    return expected


def _sector_pairs(g: nx.Graph) -> tuple[SectorPair, ...]:
    members: dict[str, list[str]] = {}
    slots: Counter[str] = Counter()
    for node, data in g.nodes(data=True):
        if data["node_type"] != "initiative":
            continue
        sectors = [
            g.nodes[a]["sector"] for a in g.neighbors(node) if g.nodes[a]["sector"] != "none"
        ]
        if sectors:
            members[node] = sectors
            slots.update(sectors)
    sizes = [len(s) for s in members.values()]
    present = [s.value for s in Sector if slots[s.value]]
    pairs = []
    for a, b in itertools.combinations(present, 2):
        observed = sum(1 for s in members.values() if a in s and b in s)
        expected = _expected_together(sizes, slots[a], slots[b])
        pairs.append(
            SectorPair(a, b, observed, expected, observed / expected if expected else None)
        )
    return tuple(pairs)


def bridges(g: nx.Graph, top: int) -> tuple[tuple[Bridge, ...], bool]:
    """The ``top`` actors by betweenness, and whether it was estimated by sampling. Pure."""
    sampled = g.number_of_nodes() > EXACT_BETWEENNESS_NODES
    centrality = nx.betweenness_centrality(
        g, k=SAMPLED_SOURCES if sampled else None, seed=0 if sampled else None
    )
    actors = [n for n, d in g.nodes(data=True) if d["node_type"] == "actor"]
    actors.sort(key=lambda n: (-centrality[n], n))
    ranked = tuple(
        Bridge(
            n,
            g.nodes[n]["name"],
            None if g.nodes[n]["sector"] == "none" else g.nodes[n]["sector"],
            centrality[n],
            g.degree(n),
        )
        for n in actors[:top]
        if centrality[n] > 0
    )
    return ranked, sampled


def governance(kb: KnowledgeBase, viewer: Viewer) -> tuple[GovernanceBody, ...]:
    """The visible internet-governance bodies and how they work. Read-only."""
    with kb.reader(viewer) as reader:
        actors = load.actors(reader)
    return tuple(
        GovernanceBody(
            a.id,
            a.name,
            a.governance["frame"],
            a.governance["stakeholder_model"],
            bool(a.governance["binding"]),
        )
        for a in sorted(actors.values())
        if a.governance
    )


def analyse(kb: KnowledgeBase, viewer: Viewer, *, top: int = 10) -> Network:
    """Bridging metrics of the actor-initiative network the viewer may see. Read-only."""
    g = graph(kb, viewer)
    joined: dict[str, set[str]] = defaultdict(set)
    for actor, initiative in g.edges():
        if g.nodes[actor]["node_type"] != "actor":
            actor, initiative = initiative, actor
        joined[initiative].add(g.nodes[actor]["sector"])
    both = sum(1 for s in joined.values() if {Sector.GOVERNMENT.value, Sector.PRIVATE.value} <= s)
    found, sampled = bridges(g, top)
    bodies = governance(kb, viewer)
    return Network(
        actors=sum(1 for _, d in g.nodes(data=True) if d["node_type"] == "actor"),
        initiatives=sum(1 for _, d in g.nodes(data=True) if d["node_type"] == "initiative"),
        participations=g.number_of_edges(),
        initiatives_with_participants=len(joined),
        public_private=both,
        public_private_share=both / len(joined) if joined else None,
        sector_pairs=_sector_pairs(g),
        bridges=found,
        betweenness_sampled=sampled,
        governance=bodies,
        governance_counts=dict(
            sorted(
                Counter(
                    f"{b.frame}/{b.stakeholder_model}/{'binding' if b.binding else 'non-binding'}"
                    for b in bodies
                ).items()
            )
        ),
    )


# The pages (accord.web.pages.analyses) call these by their first, private names.
_bridges = bridges
_governance = governance


def write_graphml(g: nx.Graph, path: Path) -> None:
    """Write the graph as GraphML. Writes one file."""
    path.write_text(graphml_text(g), encoding="utf-8")


def graphml_text(g: nx.Graph) -> str:
    """The graph as a GraphML document. Pure."""
    return "\n".join(nx.generate_graphml(g)) + "\n"


def to_json(g: nx.Graph) -> dict[str, Any]:
    """The graph as node-link JSON (``nodes`` and ``edges``). Pure."""
    data: dict[str, Any] = nx.node_link_data(g, edges="edges")
    return data
