"""The analyses the pages and the briefing show, shaped for templates, with their charts.

Read-only. Every figure comes from :mod:`accord.analysis` (consensus, say-do gap, landscape,
network), which reads under ``access.visible(viewer)``, so a hidden record changes nothing a
viewer sees. This module only arranges those results and draws them (:mod:`charts`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
import threading
from collections import Counter, OrderedDict, defaultdict
from typing import Any

import networkx as nx

from accord.access import Viewer
from accord.analysis import consensus as consensus_analysis
from accord.analysis import landscape as landscape_analysis
from accord.analysis import load, saydo
from accord.analysis import network as network_analysis
from accord.domain.vocab import ActorKind, InitiativeKind, Sector
from accord.kb import KnowledgeBase
from accord.web.pages import charts
from accord.web.pages.templating import record_url, words

SECTORS = [s.value for s in Sector] + ["none"]
KINDS = [k.value for k in InitiativeKind]
_LAYOUTS: OrderedDict[str, dict[str, tuple[float, float]]] = OrderedDict()
_LAYOUT_CACHE_SIZE = 16
_LAYOUT_LOCK = threading.Lock()


def _named_reasons(result: Any) -> Any:
    """The result with its divergence reasons naming the accused actors by name: the analysis
    words them with ids (what the API and CLI need), a reader wants names."""
    if not result.divergence:
        return result
    by_id = {a.actor: a.name for a in result.accused}
    pattern = re.compile(
        r"(?<![\w.-])("
        + "|".join(map(re.escape, sorted(by_id, key=len, reverse=True)))
        + r")(?![\w-])"
    )
    reasons = tuple(pattern.sub(lambda m: by_id[m.group(1)], r) for r in result.divergence)
    return dataclasses.replace(result, divergence=reasons)


def consensus(kb: KnowledgeBase, viewer: Viewer, incident_id: str) -> Any:
    """The consensus and dissent on who did an incident (:func:`consensus.for_incident`)."""
    return _named_reasons(consensus_analysis.for_incident(kb, viewer, incident_id))


def group_consensus(kb: KnowledgeBase, viewer: Viewer, actor_id: str) -> Any:
    """For a threat group: the consensus on who is behind it (:func:`consensus.for_group`)."""
    return _named_reasons(consensus_analysis.for_group(kb, viewer, actor_id))


def say_do(kb: KnowledgeBase, viewer: Viewer, actor_id: str, kind: ActorKind) -> Any:
    """A state's commitments against the breaches attributed to it, with a chart; None for
    actors that are not states."""
    if kind is not ActorKind.STATE:
        return None
    detail = saydo.for_state(kb, viewer, actor_id)
    row = detail.row
    rows = [
        ("Initiatives joined", row.initiatives_joined),
        ("Norms endorsed", row.norms_endorsed),
        ("Attributed incidents assessed", row.assessed_incidents),
        ("Breaches of endorsed norms", row.breaches),
    ]
    per_norm = sorted(row.breaches_per_norm.items(), key=lambda kv: (-kv[1], kv[0]))
    mentioned = {norm for norm, _ in per_norm}
    for breach in detail.breaches:
        mentioned.update((breach.norm, breach.endorsed_norm, breach.initiative, *breach.basis))
    for event in detail.timeline:
        mentioned.update(event.breaches)
    mentioned.update(e.initiative for e in detail.endorsements)
    return {
        "detail": detail,
        "names": kb.get_many(mentioned, viewer),
        "rows": rows,
        "chart": charts.hbar(rows, title=f"Say-do gap of {row.name}"),
        "per_norm": per_norm,
    }


def say_do_table(kb: KnowledgeBase, viewer: Viewer, top: int = 12) -> dict[str, Any]:
    """The most-breaching states (by the say-do ranking) with a grouped chart."""
    table = saydo.table(kb, viewer)
    by_state = {r.state: r for r in table.states}
    ranked = [by_state[s] for s in table.ranking if s in by_state][:top]
    series = ["norms endorsed", "attributed incidents assessed", "breaches"]
    rows = [
        (
            r.name,
            {series[0]: r.norms_endorsed, series[1]: r.assessed_incidents, series[2]: r.breaches},
        )
        for r in ranked
    ]
    return {
        "table": table,
        "ranked": ranked,
        "chart": charts.grouped_hbar(rows, series, title="Commitments against attributed breaches"),
    }


def _initiatives_by_year_and_kind(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Counter[str]]:
    """Visible initiatives counted per start year and kind (read through the analysis loader)."""
    with kb.reader(viewer) as reader:
        initiatives = load.initiatives(reader)
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for row in initiatives.values():
        if row.start:
            table[str(load.span(row.start)[0].year)][row.kind] += 1
    return table


def landscape(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
    """Initiatives per year by kind, participants by sector, status and bindingness."""
    result = landscape_analysis.landscape(kb, viewer)
    per_year = _initiatives_by_year_and_kind(kb, viewer)
    years = sorted(per_year)
    if years:
        years = [str(y) for y in range(int(years[0]), int(years[-1]) + 1)]
    kinds = [k for k in KINDS if k in result.by_kind]
    columns = [(y, {words(k): per_year.get(y, Counter())[k] for k in kinds}) for y in years]
    sectors = sorted(
        ((words(s), n) for s, n in result.participants_by_sector.items()), key=lambda kv: -kv[1]
    )
    return {
        "landscape": result,
        "kinds": kinds,
        "sectors": SECTORS,
        "per_year_rows": [
            (
                y,
                sum(per_year.get(y, Counter()).values()),
                *(per_year.get(y, Counter())[k] for k in kinds),
            )
            for y in years
        ],
        "year_chart": charts.stacked_columns(
            columns, [words(k) for k in kinds], title="Initiatives started per year, by kind"
        ),
        "kind_chart": charts.hbar(
            sorted(((words(k), n) for k, n in result.by_kind.items()), key=lambda kv: -kv[1]),
            title="Initiatives by kind",
        ),
        "sector_chart": charts.hbar(sectors, title="Participants by sector"),
    }


def _layout(g: nx.Graph) -> dict[str, tuple[float, float]]:
    """A deterministic force layout scaled to 0..1, cached per graph (same nodes and edges)."""
    signature = hashlib.sha256(
        repr((sorted(g.nodes), sorted(tuple(sorted(e)) for e in g.edges))).encode()
    ).hexdigest()
    with _LAYOUT_LOCK:
        if signature in _LAYOUTS:
            _LAYOUTS.move_to_end(signature)
            return _LAYOUTS[signature]
    raw = _spring_with_leaves(g)
    xs = [float(p[0]) for p in raw.values()] or [0.0]
    ys = [float(p[1]) for p in raw.values()] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    scaled = {
        str(n): ((float(p[0]) - min(xs)) / span_x, (float(p[1]) - min(ys)) / span_y)
        for n, p in raw.items()
    }
    with _LAYOUT_LOCK:
        _LAYOUTS[signature] = scaled
        if len(_LAYOUTS) > _LAYOUT_CACHE_SIZE:
            _LAYOUTS.popitem(last=False)
    return scaled


#: networkx's spring layout switches to a solver that needs SciPy (not a dependency) at 500 nodes.
_SPRING_LIMIT = 500


def _spring_with_leaves(g: nx.Graph) -> dict[Any, tuple[float, float]]:
    """A spring layout of the graph's core, with each node that has a single neighbour (most of
    a large initiative's supporters: the Paris Call's 1,100) on a ring around that neighbour.
    The solver then sees a few hundred nodes, not thousands; a core too large for it is laid on
    a circle."""
    leaves = {n for n, d in g.degree() if d == 1 and g.degree(next(iter(g[n]))) > 1}
    core = g.subgraph([n for n in g if n not in leaves])
    size = max(core.number_of_nodes(), 1)
    if not core.number_of_nodes():
        found: dict[Any, Any] = {}
    elif size < _SPRING_LIMIT:
        found = nx.spring_layout(core, seed=7, iterations=80, k=2.5 / size**0.5)
    else:
        found = nx.circular_layout(core)
    pos = {n: (float(p[0]), float(p[1])) for n, p in found.items()}
    around: dict[Any, list[Any]] = defaultdict(list)
    for leaf in sorted(leaves, key=str):
        around[next(iter(g[leaf]))].append(leaf)
    for hub, ring in around.items():
        hx, hy = pos[hub]
        radius = 0.04 + 0.15 * min(1.0, len(ring) / 200)
        for i, leaf in enumerate(ring):
            angle = 2 * math.pi * i / len(ring)
            pos[leaf] = (hx + radius * math.cos(angle), hy + radius * math.sin(angle))
    return pos


def network(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
    """The bridging metrics of the actor-initiative network (bridges, sector pairs)."""
    metrics = network_analysis.analyse(kb, viewer)
    return {
        "metrics": metrics,
        "pair_chart": charts.hbar(
            charts.ranked(
                (f"{words(p.a)} + {words(p.b)}", round(p.index, 2))
                for p in metrics.sector_pairs
                if p.index is not None
            ),
            title="How often two sectors share an initiative, against chance (1 = chance)",
        ),
    }


def network_graph(kb: KnowledgeBase, viewer: Viewer, top: int = 10) -> dict[str, Any]:
    """The actor-initiative graph drawn with the bridges outlined (initiatives nobody joined
    are left out of the drawing)."""
    g = network_analysis.graph(kb, viewer)
    # The same bridges as the network analysis reports, from the graph already built here.
    found, _ = network_analysis._bridges(g, top)
    bridges = {b.actor for b in found}
    g.remove_nodes_from([n for n, degree in list(g.degree()) if degree == 0])
    where = _layout(g)
    groups = ["initiative", *[words(s) for s in SECTORS]]
    nodes = []
    for node_id, data in g.nodes(data=True):
        is_initiative = data["node_type"] == "initiative"
        group = 0 if is_initiative else 1 + SECTORS.index(data.get("sector", "none"))
        x, y = where.get(str(node_id), (0.5, 0.5))
        nodes.append(
            charts.Node(
                id=str(node_id),
                label=str(data["name"]),
                group=group,
                x=x,
                y=y,
                href=record_url(str(node_id), "initiative" if is_initiative else "actor"),
                bridge=node_id in bridges,
                size=min(4.0, 1 + g.degree(node_id) / 10) if is_initiative else 1.0,
            )
        )
    return {
        "nodes": len(nodes),
        "graph_chart": charts.network(
            nodes,
            [(str(a), str(b)) for a, b in g.edges()],
            groups,
            title="Actors and the initiatives they take part in",
        ),
    }


def governance(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
    """The internet-governance map: bodies by frame and stakeholder model, binding or not."""
    # Only the governance part of the network analysis: betweenness is not needed here.
    bodies = network_analysis._governance(kb, viewer)
    frames = sorted({b.frame for b in bodies})
    models = sorted({b.stakeholder_model for b in bodies})
    cells: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for body in bodies:
        cells[(body.frame, body.stakeholder_model)].append(body)
    return {"bodies": bodies, "frames": frames, "models": models, "cells": cells}
