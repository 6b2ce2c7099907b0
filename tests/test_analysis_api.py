"""The analyses over REST (/api/v1/analysis) and the CLI (accord analyze)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord import accounts, report
from accord.access import SYSTEM
from accord.cli import app as cli_app
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.test_analysis_world import (
    actor,
    assessment,
    claim,
    hidden,
    incident,
    initiative,
    norm,
    participation,
    two_orgs,
)


def _world(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-kp"),
            actor("state-us"),
            actor("firm", kind="security_firm"),
            incident("sony", start="2014-11-24"),
            claim("c-us", "state-us", "sony", "state-kp", evidence="summary", date="2014-12-19"),
            initiative("init-a", start="2010"),
            norm("n1", "init-a"),
            participation("p1", "state-kp", "init-a", joined="2010"),
            participation("p2", "firm", "init-a", joined="2012"),
            assessment("a1", "sony", "n1"),
        ],
        SYSTEM,
    )


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    _world(kb)
    with TestClient(create_app(Settings(), kb=kb), raise_server_exceptions=False) as test:
        yield test


def test_rest_analyses_answer_for_the_caller(client: TestClient) -> None:
    one = client.get("/api/v1/analysis/consensus/incidents/sony").json()
    assert one["accused"][0]["actor"] == "state-kp"
    assert one["accused"][0]["score"] == pytest.approx(0.25)
    overview = client.get("/api/v1/analysis/consensus").json()
    assert [i["incident"] for i in overview["incidents"]] == ["sony"]
    assert overview["incidents"][0]["lead"] == "state-kp"
    say_do = client.get("/api/v1/analysis/say-do").json()
    assert say_do["ranking"] == ["state-kp"]
    state = client.get("/api/v1/analysis/say-do/state-kp", params={"threshold": 0.2}).json()
    assert state["breaches"][0]["incident"] == "sony"
    assert client.get("/api/v1/analysis/landscape").json()["initiatives"] == 1
    net = client.get("/api/v1/analysis/network").json()
    assert net["public_private"] == 1
    graph = client.get("/api/v1/analysis/network/graph").json()
    assert {n["id"] for n in graph["nodes"]} == {"init-a", "state-kp", "firm"}
    graphml = client.get("/api/v1/analysis/network/graph", params={"format": "graphml"})
    assert graphml.headers["content-type"].startswith("application/graphml+xml")
    assert "<graphml" in graphml.text


_PROFILE_KEYS = {"state", "governments", "formality", "level", "dissent", "denials", "settledness"}


def _assert_sony_profile(answer: dict[str, Any]) -> None:
    """The Sony answer names, per accused state, what the issue asks for."""
    assert answer["lead"] == "state-kp"
    (kp,) = answer["profiles"]
    assert set(kp) >= _PROFILE_KEYS
    assert (kp["state"], kp["governments"], kp["settledness"]) == (
        "state-kp",
        ["state-us"],
        "single government",
    )
    assert (kp["formality"], kp["level"], kp["dissent"], kp["denials"]) == (
        "official statement",
        "state",
        [],
        [],
    )
    first = kp["first_government_attribution"]
    assert (first["date"], first["days"]) == ("2014-12-19", 25)


def test_rest_consensus_profile_per_accused_state(client: TestClient) -> None:
    answer = client.get("/api/v1/analysis/consensus/sony").json()
    _assert_sony_profile(answer)
    assert answer == client.get("/api/v1/analysis/consensus/incidents/sony").json()
    assert client.get("/api/v1/analysis/consensus/nope").status_code == 404


def test_rest_hidden_and_missing_incidents_look_the_same(
    kb: KnowledgeBase, client: TestClient
) -> None:
    writer, _ = two_orgs(kb)
    kb.create(hidden(incident("other-ministry.secret-op"), marking="AMBER"), writer)
    hidden_one = client.get("/api/v1/analysis/consensus/incidents/other-ministry.secret-op")
    missing = client.get("/api/v1/analysis/consensus/incidents/nope")
    assert hidden_one.status_code == missing.status_code == 404
    assert hidden_one.json()["error"]["message"] == missing.json()["error"]["message"]
    assert client.get("/api/v1/analysis/say-do", params={"threshold": 2}).status_code == 422


def test_rest_counts_what_a_token_holder_may_see(kb: KnowledgeBase, client: TestClient) -> None:
    writer, _ = two_orgs(kb)
    amber = claim("other-ministry.c-amber", "other-ministry", "sony", "state-kp")
    kb.create(hidden(amber, marking="AMBER"), writer)
    anonymous = client.get("/api/v1/analysis/consensus/incidents/sony").json()
    assert {c["id"] for c in anonymous["accused"][0]["claims"]} == {"c-us"}
    token = accounts.create_token(kb, "w@other.example")[1]
    mine = client.get(
        "/api/v1/analysis/consensus/incidents/sony", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert {c["id"] for c in mine["accused"][0]["claims"]} == {"c-us", "other-ministry.c-amber"}


def test_cli_analyze_commands(kb: KnowledgeBase, db_url: str, tmp_path: Path) -> None:
    _world(kb)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli_app, ["analyze", *args, "--db", db_url])
        assert result.exit_code == 0, result.output
        return result.output

    detail = orjson.loads(run("consensus", "--incident", "sony", "--json"))
    assert detail["accused"][0]["supporting_voices"] == 1
    _assert_sony_profile(detail)
    table = run("consensus")
    assert "state-kp" in table
    assert "single" in table  # settledness (the column may wrap)
    words = run("consensus", "--incident", "sony")
    assert "1 government attributed it (state-us)" in words
    assert "Weighted support, 0 to 1" in words
    assert orjson.loads(run("say-do", "--json"))["ranking"] == ["state-kp"]
    assert "sony" in run("say-do", "--state", "state-kp")
    assert "multilateral treaties" in run("landscape")
    graphml, graph_json = tmp_path / "g.graphml", tmp_path / "g.json"
    run("network", "--graphml", str(graphml), "--graph-json", str(graph_json))
    assert set(nx.read_graphml(graphml).nodes) == {"init-a", "state-kp", "firm"}
    assert len(orjson.loads(graph_json.read_bytes())["edges"]) == 2


def test_incident_page_shows_the_profile_in_words_with_what_it_counts(
    client: TestClient,
) -> None:
    html = client.get("/incidents/sony").text
    assert 'Lead: <strong><a href="/actors/state-kp">state-kp</a></strong>' in html
    assert "Single government: 1 government attributed it (state-us)" in html
    assert "most formal step: official statement" in html
    assert "Counts claimants you may see, not claims" in html
    assert "Weighted support, 0 to 1" in html  # the score's meaning beside it


def test_briefing_shows_a_contested_incidents_profile_in_words(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    _world(kb)
    kb.create(
        claim("c-firm", "firm", "sony", "state-kp", stance="disputes", kind="technical_report"),
        SYSTEM,
    )
    html = report.write(kb, tmp_path / "briefing.html").read_text()
    assert "<strong>state-kp</strong> (lead): Contested: 1 government attributed it" in html
    assert "Independent dissent: firm" in html
    assert "Counts claimants you may see, not claims" in html
