"""The network drawing's layout for a graph past networkx's 500-node limit (where its spring
layout needs SciPy, which Accord does not ship): the bundled Paris Call alone adds 1,100 actors
that each take part in one initiative."""

from __future__ import annotations

import math

import networkx as nx

from accord.web.pages import analyses


def test_a_large_star_is_laid_out_without_scipy_and_leaves_ring_their_hub() -> None:
    g = nx.Graph()
    g.add_edges_from((f"core-{i}", f"core-{(i + 1) % 40}") for i in range(40))
    g.add_edges_from(("core-0", f"supporter-{i}") for i in range(1_200))
    where = analyses._layout(g)
    assert set(where) == {str(n) for n in g}
    assert all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in where.values())
    hub = where["core-0"]
    far = where["core-20"]
    # The supporters ring their initiative (each in its own place), nearer to it than the core's
    # far side is.
    ring = [where[f"supporter-{i}"] for i in range(1_200)]
    assert len(set(ring)) == 1_200
    assert max(math.dist(hub, p) for p in ring) < math.dist(hub, far)
