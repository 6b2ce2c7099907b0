"""The initiative landscape and the stakeholder network on small hand-built worlds."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from accord.access import SYSTEM
from accord.analysis import landscape, network
from accord.kb import KnowledgeBase
from tests.test_analysis_world import actor, hidden, initiative, participation, two_orgs

GOVERNANCE = {"frame": "technical", "stakeholder_model": "multistakeholder", "binding": False}


def _world(kb: KnowledgeBase) -> None:
    """ngo-c - i2 - state-a - i1 - firm-b - i3: a path of six nodes."""
    kb.bulk_create(
        [
            actor("state-a"),
            actor("firm-b", kind="security_firm"),
            actor("ngo-c", kind="civil_society"),
            actor("ietf-like", kind="governance_body", governance=GOVERNANCE),
            initiative("i1", kind="multilateral_treaty", start="2001", binding=True),
            initiative("i2", kind="regional", start="2015-06"),
            initiative("i3", kind="bilateral", start="2019", status="broken_down"),
            initiative("i4", kind="academic", start=None),
            participation("p1", "state-a", "i1"),
            participation("p2", "firm-b", "i1"),
            participation("p3", "state-a", "i2"),
            participation("p4", "ngo-c", "i2"),
            participation("p5", "firm-b", "i3"),
        ],
        SYSTEM,
    )


def test_landscape_counts_and_the_papers_2017_figure(kb: KnowledgeBase) -> None:
    _world(kb)
    result = landscape.landscape(kb, SYSTEM)
    assert result.initiatives == 4
    assert result.by_kind == {
        "academic": 1,
        "bilateral": 1,
        "multilateral_treaty": 1,
        "regional": 1,
    }
    assert result.by_year == {"2001": 1, "2015": 1, "2019": 1, "undated": 1}
    assert result.by_status == {"active": 3, "broken_down": 1}
    assert result.by_binding == {"binding": 1, "non-binding": 3}
    assert result.participants_by_sector == {"civil_society": 1, "government": 1, "private": 1}
    assert result.participations_by_kind_and_sector["multilateral_treaty"] == {
        "government": 1,
        "private": 1,
    }
    rows = {c.category: (c.paper_2017, c.ours_to_2017, c.ours_all) for c in result.paper_comparison}
    assert rows == {
        "multilateral treaties": (5, 1, 1),
        "regional organisations": (24, 1, 1),
        "private sector": (8, 0, 0),
        "academic": (7, 0, 1),  # undated: not counted "to 2017"
        landscape.OTHER: (40, 0, 1),
        "total": (84, 2, 4),
    }
    assert "not broken out" in result.note


def test_network_bridging_metrics_computed_by_hand(kb: KnowledgeBase) -> None:
    _world(kb)
    result = network.analyse(kb, SYSTEM)
    assert (result.actors, result.initiatives, result.participations) == (3, 4, 5)
    assert result.initiatives_with_participants == 3
    assert result.public_private == 1  # only i1 joins government and private
    assert result.public_private_share == pytest.approx(1 / 3)
    pairs = {(p.a, p.b): p for p in result.sector_pairs}
    gov_private = pairs[("government", "private")]
    # 5 slots (gov 2, private 2, civil 1) in initiatives of 2, 2 and 1 slots. For a 2-slot
    # initiative: P(no gov) = C(3,2)/C(5,2) = 0.3, P(no private) = 0.3, P(neither) = 0,
    # so P(both) = 0.4; a 1-slot initiative can't hold both. Expected 0.8, observed 1.
    assert gov_private.observed == 1
    assert gov_private.expected == pytest.approx(0.8)
    assert gov_private.index == pytest.approx(1.25)
    # A path of six nodes plus the isolated i4: node k of the path lies between k(5-k) pairs,
    # normalised by the (7-1)(7-2)/2 = 15 pairs of the seven nodes.
    assert [(b.actor, b.betweenness) for b in result.bridges] == [
        ("state-a", pytest.approx(6 / 15)),
        ("firm-b", pytest.approx(4 / 15)),
    ]
    assert [(g.actor, g.frame, g.binding) for g in result.governance] == [
        ("ietf-like", "technical", False)
    ]
    assert result.governance_counts == {"technical/multistakeholder/non-binding": 1}


def test_graph_exports_round_trip(kb: KnowledgeBase, tmp_path: Path) -> None:
    _world(kb)
    g = network.graph(kb, SYSTEM)
    path = tmp_path / "net.graphml"
    network.write_graphml(g, path)
    back = nx.read_graphml(path)
    assert set(back.nodes) == set(g.nodes)
    assert back.edges["state-a", "i1"]["roles"] == "signatory"
    data = network.to_json(g)
    assert {n["id"] for n in data["nodes"]} == set(g.nodes)
    assert len(data["edges"]) == 5


def test_hidden_participation_changes_no_metric(kb: KnowledgeBase) -> None:
    writer, reader = two_orgs(kb)
    _world(kb)
    before = (network.analyse(kb, reader).to_json(), landscape.landscape(kb, reader).to_json())
    graph_before = network.to_json(network.graph(kb, reader))
    kb.bulk_create(
        [
            hidden(participation("other-ministry.p-x", "ngo-c", "i1"), marking="AMBER"),
            hidden(initiative("other-ministry.i-secret", kind="private_sector"), status="draft"),
        ],
        writer,
    )
    kb.create(participation("other-ministry.p-y", "state-a", "other-ministry.i-secret"), writer)
    after = (network.analyse(kb, reader).to_json(), landscape.landscape(kb, reader).to_json())
    assert after == before
    assert network.to_json(network.graph(kb, reader)) == graph_before
