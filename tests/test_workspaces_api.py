"""Coordination workspaces through the REST API and the CLI: three organisations from an
invitation to a published joint attribution, the one 404, and the error shape."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Kind, Sector, UserRole
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.cli_runner import RunCli
from tests.conftest import actor, incident

API = "/api/v1/workspaces"
EMBARGO = "2026-01-20T12:00:00Z"
DEADLINE = "2026-01-18T12:00:00+01:00"


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    app = create_app(Settings(), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def auth(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    """A reviewer's token header for each organisation."""
    kb.bulk_create([incident("notpetya", "NotPetya"), actor("state-ru", "Russia")], SYSTEM)
    headers = {}
    for name, sector in (
        ("Ministry", Sector.GOVERNMENT),
        ("Second Government", Sector.GOVERNMENT),
        ("Security Firm", Sector.PRIVATE),
        ("Outsider", Sector.PRIVATE),
    ):
        org = accounts.create_org(kb, name, sector)
        accounts.create_user(kb, f"chief@{org}.example", org, UserRole.REVIEWER)
        token = accounts.create_token(kb, f"chief@{org}.example")[1]
        headers[org] = {"Authorization": f"Bearer {token}"}
    return headers


def _create(client: TestClient, auth: dict[str, dict[str, str]]) -> str:
    body = {
        "incident": "notpetya",
        "accused": "state-ru",
        "level": "agency",
        "text": "The GRU was almost certainly responsible.",
        "embargo_end": EMBARGO,
        "invitees": [
            {"org": "second-government", "deadline": DEADLINE},
            {"org": "security-firm", "deadline": DEADLINE},
        ],
    }
    answer = client.post(API, json=body, headers=auth["ministry"])
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def test_three_organisations_go_from_invitation_to_publication(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    ws = _create(client, auth)
    envelope = client.get(
        f"{API}/{ws}", params={"tz": "Europe/Paris"}, headers=auth["second-government"]
    )
    assert envelope.status_code == 200
    assert envelope.json()["access"] == "envelope"
    assert envelope.json()["deadline"] == {
        "utc": "2026-01-18T11:00:00Z",
        "local": "2026-01-18T12:00:00+01:00",
        "zone": "Europe/Paris",
    }
    assert "statement" not in envelope.json()
    listed = client.get(API, headers=auth["security-firm"]).json()["items"]
    assert [i["id"] for i in listed] == [ws]
    for org in ("second-government", "security-firm"):
        accepted = client.post(f"{API}/{ws}/accept-embargo", headers=auth[org])
        assert accepted.json()["statement"]["text"].startswith("The GRU")
    steps = [
        ("ministry", {"position": "join"}),
        (
            "second-government",
            {
                "position": "join_with_wording",
                "wording": "We stand with our partners; the activity came from Russia's territory.",
                "stance": "locates",
                "level": "territory",
            },
        ),
        ("security-firm", {"position": "abstain"}),
    ]
    for org, body in steps:
        answer = client.post(f"{API}/{ws}/position", json=body, headers=auth[org])
        assert answer.status_code == 200, answer.text
    published = client.post(f"{API}/{ws}/publish", headers=auth["ministry"])
    assert published.json()["status"] == "published"
    claims = client.get("/api/v1/claims", headers=auth["outsider"]).json()["items"]
    assert sorted(c["owner"] for c in claims) == ["ministry", "second-government"]
    assert len({c["data"]["joint_group"] for c in claims}) == 1
    assert "security-firm" not in json.dumps(claims)


def test_a_workspace_anyone_else_asks_for_is_the_same_404(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    ws = _create(client, auth)
    missing = "ws-00000000000000000000"
    for method, suffix, body in (
        ("get", "", None),
        ("post", "/accept-embargo", None),
        ("post", "/position", {"position": "decline"}),
        ("post", "/revisions", {"text": "Changed."}),
        ("post", "/publish", None),
        ("get", "/dashboard", None),
        ("get", "/evidence", None),
        ("post", "/evidence", {"title": "t", "text": "x"}),
        ("get", "/threads", None),
        ("get", "/threads/wst-00000000000000000000", None),
        ("post", "/comments", {"body": "hello"}),
        ("post", "/end-embargo", {"reason": "leak", "confirm_by": "2026-01-16T00:00:00Z"}),
        ("post", "/confirm-early-end", {"confirm": True}),
        ("post", "/settings", {"show_invitees": True}),
        ("post", "/disclosure", {"show_position": True}),
        ("post", "/notifications", {"mode": "mute"}),
    ):
        answers = [
            client.request(method, f"{API}/{wid}{suffix}", json=body, headers=auth["outsider"])
            for wid in (ws, missing)
        ]
        assert [a.status_code for a in answers] == [404, 404]
        shapes = [{**a.json()["error"], "record": None} for a in answers]
        assert (
            shapes[0]
            == shapes[1]
            == {
                "code": "not_found",
                "message": "no such workspace",
                "record": None,
            }
        )
    assert client.get(f"{API}/{ws}").status_code == 404  # anonymous


def test_evidence_discussion_and_an_early_end_through_the_api(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    ws = _create(client, auth)
    second, firm, owner = auth["second-government"], auth["security-firm"], auth["ministry"]
    before = client.post(f"{API}/{ws}/evidence", json={"title": "t", "text": "x"}, headers=second)
    assert before.status_code == 403  # the envelope only, until the embargo is accepted
    for org in (second, firm):
        client.post(f"{API}/{ws}/accept-embargo", headers=org)
    shared = client.post(
        f"{API}/{ws}/evidence",
        json={"title": "Hashes", "text": "EV-TEXT", "shared_with": ["ministry"]},
        headers=second,
    )
    assert shared.status_code == 201, shared.text
    assert client.get(f"{API}/{ws}/evidence", headers=firm).json() == {"items": []}
    assert client.get(f"{API}/{ws}/evidence", headers=owner).json()["items"][0]["text"] == "EV-TEXT"
    posted = client.post(f"{API}/{ws}/comments", json={"body": "Hello all"}, headers=owner)
    assert posted.status_code == 201
    thread = posted.json()["id"]
    listed = client.get(f"{API}/{ws}/threads", headers=firm).json()["items"]
    assert [(t["id"], t["new"]) for t in listed] == [(thread, 1)]
    read = client.get(f"{API}/{ws}/threads/{thread}", headers=firm).json()
    assert [c["new"] for c in read["items"]] == [True]
    assert client.get(f"{API}/{ws}/threads", headers=firm).json()["items"][0]["new"] == 0
    client.post(f"{API}/{ws}/position", json={"position": "join"}, headers=second)
    early = client.post(
        f"{API}/{ws}/end-embargo",
        json={"reason": "A leak", "confirm_by": "2026-01-16T00:00:00Z"},
        headers=owner,
    )
    assert early.status_code == 200, early.text
    confirmed = client.post(f"{API}/{ws}/confirm-early-end", json={"confirm": True}, headers=second)
    assert confirmed.json()["answer"] == "confirm"
    board = client.get(f"{API}/{ws}/dashboard", headers=owner).json()
    rows = {r["org"]: r for r in board["participants"]}
    assert rows["security-firm"]["seen"] is False
    client.get(f"{API}/{ws}", headers=firm)
    board = client.get(f"{API}/{ws}/dashboard", headers=owner).json()
    assert {r["org"]: r["seen"] for r in board["participants"]}["security-firm"] is True
    assert board["early_end"]["answers"]["second-government"] == "confirm"


def test_participants_cannot_manage_and_bad_times_name_their_field(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    ws = _create(client, auth)
    refused = client.post(
        f"{API}/{ws}/revisions", json={"text": "x"}, headers=auth["security-firm"]
    )
    assert refused.status_code == 403
    naive = client.post(
        f"{API}/{ws}/revisions", json={"embargo_end": "2026-01-21T12:00"}, headers=auth["ministry"]
    )
    assert naive.status_code == 422
    assert naive.json()["error"]["field"] == "embargo_end"
    unknown = client.get(f"{API}/{ws}", params={"tz": "Mars/Olympus"}, headers=auth["ministry"])
    assert unknown.status_code == 400
    extra = client.post(
        f"{API}/{ws}/position", json={"position": "join", "x": 1}, headers=auth["ministry"]
    )
    assert extra.status_code == 422


def _cli_create(workspace: Callable[..., str], owner: str) -> str:
    """``accord workspace create`` as ``owner``: NotPetya, Russia, the second government
    invited; the new workspace's id."""
    created = workspace(
        "create", "--as", owner, "--incident", "notpetya", "--accused", "state-ru",
        "--level", "state", "--text", "Russia was responsible.",
        "--embargo-end", "2099-06-01T09:00:00Z",
        "--invite", "second-government=2099-05-01T09:00:00Z", "--json",
    )  # fmt: skip
    return str(json.loads(created)["id"])


def test_the_cli_walks_a_workspace_to_publication(
    kb: KnowledgeBase,
    db_url: str,
    auth: dict[str, dict[str, str]],
    accord: RunCli,
) -> None:
    """The CLI runs on the real clock: its instants are years ahead."""

    def workspace(*args: str) -> str:
        return accord("workspace", *args, db=db_url).ok()

    ws = _cli_create(workspace, "chief@ministry.example")
    shown = workspace(
        "show", ws, "--as", "chief@second-government.example", "--tz", "America/New_York"
    )
    assert "2099-06-01T05:00:00-04:00 America/New_York" in shown
    assert "Russia was responsible." not in shown
    workspace("accept", ws, "--as", "chief@second-government.example")
    workspace("position", ws, "join", "--as", "chief@second-government.example")
    workspace("position", ws, "decline", "--as", "chief@ministry.example")
    table = workspace("show", ws, "--as", "chief@ministry.example")
    assert "second-government" in table
    assert "joined" in table
    workspace("publish", ws, "--as", "chief@ministry.example")
    claims = kb.list_records(
        accounts.find_user(kb, "chief@outsider.example").viewer, kind=Kind.CLAIM
    )
    assert [c.owner for c in claims.items] == ["second-government"]


def test_the_cli_shares_evidence_discusses_and_ends_early(
    kb: KnowledgeBase,
    db_url: str,
    auth: dict[str, dict[str, str]],
    accord: RunCli,
) -> None:
    def workspace(*args: str) -> str:
        return accord("workspace", *args, db=db_url).ok()

    owner, second = "chief@ministry.example", "chief@second-government.example"
    ws = _cli_create(workspace, owner)
    workspace("accept", ws, "--as", second)
    workspace("evidence", ws, "--as", second, "--title", "Hashes", "--text", "EV-CLI")
    listed = json.loads(workspace("evidence", ws, "--as", owner, "--json"))
    assert [e["text"] for e in listed["items"]] == ["EV-CLI"]
    workspace("comment", ws, "Welcome.", "--as", owner)
    threads = workspace("threads", ws, "--as", second)
    assert "Official thread" in threads
    workspace("position", ws, "join", "--as", second)
    workspace("settings", ws, "--as", second, "--show-position")
    workspace("notifications", ws, "digest", "--as", second)
    early = json.loads(
        workspace(
            "end-embargo",
            ws,
            "--as",
            owner,
            "--reason",
            "A leak",
            "--confirm-by",
            "2099-04-01T00:00:00Z",
            "--json",
        )
    )
    assert early["confirm_by"] == {"utc": "2099-04-01T00:00:00Z"}
    assert "confirm" in workspace("confirm-early-end", ws, "--as", second)
    workspace("dashboard", ws, "--as", owner)  # the table
    board = json.loads(workspace("dashboard", ws, "--as", owner, "--json"))
    rows = {r["org"]: r for r in board["participants"]}
    assert rows["second-government"]["state"] == "joined"
    assert rows["second-government"]["shows_position"] is True
