"""The coordination workspace pages (issue 18): three organisations from an invitation to a
published joint attribution through the forms, the envelope an invitee sees before accepting,
the one 404 for outsiders, CSRF, and the owner's form reporting every error at once.

Each user has a TestClient of their own (their own session cookie), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Kind, Sector, UserRole
from accord.errors import InvalidInput
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.pages.workspaces import ZONE_COOKIE, read_moment
from accord.web.settings import Settings
from accord.workspaces import service
from tests.conftest import actor, incident

PASSWORD = "correct horse battery staple"
TEXT = "The GRU was almost certainly responsible for NotPetya."
WORDING = "NotPetya came from the territory of Russia; we stand with our partners."
ORGS = ("Ministry", "Second Government", "Security Firm", "Outsider")


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@dataclass
class World:
    kb: KnowledgeBase
    clients: dict[str, TestClient]

    def __getitem__(self, org: str) -> TestClient:
        return self.clients[org]


def csrf_of(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def visible(page: str) -> str:
    """The text a reader sees: tags, attributes and the zone list left out."""
    page = re.sub(r"<datalist.*?</datalist>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def w(kb: KnowledgeBase) -> Iterator[World]:
    """A reviewer of each organisation, signed in in a browser session of their own; times
    shown in Paris."""
    kb.bulk_create([incident("notpetya", "NotPetya"), actor("state-ru", "Russia")], SYSTEM)
    app = create_app(Settings(), kb=kb)
    clients: dict[str, TestClient] = {}
    try:
        for name in ORGS:
            org = accounts.create_org(
                kb, name, Sector.PRIVATE if name == "Security Firm" else Sector.GOVERNMENT
            )
            email = f"chief@{org}.example"
            accounts.create_user(kb, email, org, UserRole.REVIEWER, password=PASSWORD)
            client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
            client.__enter__()
            clients[org] = client
            signed = client.post(
                "/signin",
                data={
                    "email": email,
                    "password": PASSWORD,
                    "csrf_token": csrf_of(client, "/signin"),
                },
                follow_redirects=False,
            )
            assert signed.status_code == 303, signed.text
            client.cookies.set(ZONE_COOKIE, "Europe/Paris")
        yield World(kb, clients)
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)


def post(client: TestClient, path: str, data: dict[str, str], page: str | None = None) -> Any:
    """Post a form with the session's CSRF token, as a browser would."""
    token = csrf_of(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def open_workspace(w: World) -> str:
    """The ministry opens a workspace through the form; returns its id."""
    answer = post(
        w["ministry"],
        "/workspaces/new",
        {
            "incident": "NotPetya",
            "accused": "Russia",
            "level": "agency",
            "text": TEXT,
            "title": "",
            "marking": "AMBER+STRICT",
            "embargo_end": "2026-01-20 13:00",  # Paris: 12:00 UTC
            "invitee_org_1": "Second Government",
            "invitee_deadline_1": "2026-01-18T12:00Z",
            "invitee_org_2": "security-firm",
            "invitee_deadline_2": "2026-01-18 13:00",
            "invitee_org_3": "",
            "invitee_deadline_3": "",
        },
    )
    assert answer.status_code == 303, answer.text
    location = str(answer.headers["location"])
    assert location.startswith("/workspaces/ws-")
    return location.rsplit("/", 1)[1]


def test_three_organisations_go_from_invitation_to_publication_on_the_pages(w: World) -> None:
    ws = open_workspace(w)
    path = f"/workspaces/{ws}"
    owner = w["ministry"].get(path)
    assert owner.status_code == 200
    text = visible(owner.text)
    # The embargo in the reader's zone and in UTC, both.
    assert "2026-01-20 13:00 Europe/Paris" in text
    assert "2026-01-20 12:00 UTC" in text
    for name in ("Second Government", "Security Firm"):
        assert name in text
    assert "security-firm" not in text  # names, not ids
    assert "second-government" not in text
    assert ws not in text

    for org in ("second-government", "security-firm"):
        listed = visible(w[org].get("/workspaces").text)
        assert "Joint attribution: NotPetya" in listed
        assert "Ministry" in listed
        assert TEXT not in w[org].get(path).text  # the envelope only
        accepted = post(w[org], f"{path}/accept-embargo", {}, path)
        assert accepted.status_code == 303
        assert TEXT in w[org].get(path).text
    joins = {
        "second-government": {
            "position": "join_with_wording",
            "wording": WORDING,
            "w_stance": "locates",
            "w_level": "territory",
        },
        "security-firm": {"position": "join"},
        "ministry": {"position": "join"},
    }
    for org, form in joins.items():
        answer = post(w[org], f"{path}/position", form, path)
        assert answer.status_code == 303, answer.text

    dashboard = visible(w["ministry"].get(path).text)
    assert "joins with its own wording" in dashboard
    assert dashboard.count("joins") >= 3
    assert "Coordination lag" in dashboard
    published = post(w["ministry"], f"{path}/publish", {}, path)
    assert published.status_code == 303
    assert "published" in visible(w["ministry"].get(path).text)

    outsider = accounts.find_user(w.kb, "chief@outsider.example").viewer
    claims = list(w.kb.iter_records(outsider, kind=Kind.CLAIM))
    assert sorted(c.owner for c in claims) == ["ministry", "second-government", "security-firm"]
    assert len({getattr(c.data, "joint_group", None) for c in claims}) == 1
    public = visible(w["outsider"].get("/incidents/notpetya").text)
    for name in ("Ministry", "Second Government", "Security Firm"):
        assert name in public
    assert WORDING in public


def test_an_invitee_sees_only_the_envelope_until_it_accepts(w: World) -> None:
    ws = open_workspace(w)
    answer = w["second-government"].get(f"/workspaces/{ws}")
    assert answer.status_code == 200
    text = visible(answer.text)
    for shown in (
        "Joint attribution: NotPetya",  # the topic
        "Ministry",  # the inviter
        "TLP:AMBER+STRICT",
        "2026-01-20 13:00 Europe/Paris",  # the embargo end, in both zones
        "2026-01-20 12:00 UTC",
        "2026-01-18 13:00 Europe/Paris",  # its deadline
        "Accept the embargo",
    ):
        assert shown in text, shown
    for hidden in (TEXT, "Russia", "Security Firm", "security-firm", "agency"):
        assert hidden not in answer.text, hidden
    # Answers beyond declining need the embargo first, and say so beside nothing hidden.
    refused = post(w["second-government"], f"/workspaces/{ws}/position", {"position": "abstain"},
                   f"/workspaces/{ws}")  # fmt: skip
    assert refused.status_code == 409
    assert TEXT not in refused.text


def test_an_outsider_gets_the_page_a_missing_workspace_gets(w: World) -> None:
    ws = open_workspace(w)
    missing = "ws-00000000000000000000"
    for client in (w["outsider"], TestClient(w["outsider"].app, base_url="https://testserver")):
        pages = [client.get(f"/workspaces/{wid}") for wid in (ws, missing)]
        assert [p.status_code for p in pages] == [404, 404]
        assert pages[0].text == pages[1].text
        assert "no such workspace" in pages[0].text
    token = csrf_of(w["outsider"], "/workspaces")
    for suffix, form in (
        ("/accept-embargo", {}),
        ("/position", {"position": "decline"}),
        ("/revise", {"rev_text": "Changed.", "rev_accused": "Russia", "rev_level": "state"}),
        ("/invite", {"inv_org": "Outsider", "inv_deadline": "2026-01-17 12:00"}),
        ("/publish", {}),
    ):
        answers = [
            w["outsider"].post(f"/workspaces/{wid}{suffix}", data={**form, "csrf_token": token})
            for wid in (ws, missing)
        ]
        assert [a.status_code for a in answers] == [404, 404], suffix
        assert answers[0].text == answers[1].text, suffix
    assert "Outsider" not in visible(w["ministry"].get(f"/workspaces/{ws}").text)
    assert "Joint attribution" not in visible(w["outsider"].get("/workspaces").text)
    anonymous = TestClient(w["outsider"].app, base_url="https://testserver")
    assert anonymous.get("/workspaces").status_code == 401
    assert anonymous.get("/workspaces/new").status_code == 401


def test_only_reviewers_open_a_workspace(w: World) -> None:
    accounts.create_user(
        w.kb, "analyst@ministry.example", "ministry", UserRole.CONTRIBUTOR, password=PASSWORD
    )
    client = TestClient(w["ministry"].app, base_url="https://testserver")
    signed = client.post(
        "/signin",
        data={
            "email": "analyst@ministry.example",
            "password": PASSWORD,
            "csrf_token": csrf_of(client, "/signin"),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert client.get("/workspaces/new").status_code == 403
    assert "Open a new workspace" not in client.get("/workspaces").text
    refused = post(client, "/workspaces/new", {"incident": "NotPetya"}, "/workspaces")
    assert refused.status_code == 403


def test_a_post_without_the_csrf_token_is_refused(w: World) -> None:
    ws = open_workspace(w)
    client = w["second-government"]
    refused = client.post(f"/workspaces/{ws}/accept-embargo", follow_redirects=False)
    assert refused.status_code == 403
    forged = client.post(
        f"/workspaces/{ws}/accept-embargo", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert TEXT not in client.get(f"/workspaces/{ws}").text  # still the envelope
    created = w["ministry"].post("/workspaces/new", data={"incident": "NotPetya"})
    assert created.status_code == 403
    chief = accounts.find_user(w.kb, "chief@ministry.example").viewer
    assert [i["id"] for i in service.list_for(w.kb, chief)] == [ws]  # nothing else opened


def test_the_owners_form_reports_every_error_at_once_and_keeps_what_was_typed(w: World) -> None:
    typed = {
        "incident": "No such incident",
        "accused": "",
        "level": "",
        "text": "",
        "marking": "CLEAR",
        "embargo_end": "2026-01-10 09:00",  # in the past
        "invitee_org_1": "Nobody Inc",
        "invitee_deadline_1": "2026-01-18 12:00",
        "invitee_org_2": "Security Firm",
        "invitee_deadline_2": "2026-02-01 12:00",  # after a (valid) embargo end? see below
        "invitee_org_3": "",
        "invitee_deadline_3": "next week",
    }
    answer = post(w["ministry"], "/workspaces/new", typed)
    assert answer.status_code == 422
    body = answer.text
    for name in (
        "incident",
        "accused",
        "level",
        "text",
        "marking",
        "embargo_end",
        "invitee_org_1",
        "invitee_org_3",
        "invitee_deadline_3",
    ):
        assert f'id="e-{name}"' in body, name
        assert f'href="#f-{name}"' in body, name  # listed at the top, a link to the field
    assert 'value="No such incident"' in body
    assert 'value="Nobody Inc"' in body
    assert 'value="next week"' in body
    assert service.list_for(w.kb, accounts.find_user(w.kb, "chief@ministry.example").viewer) == []

    # A deadline after the embargo end is named on its own row.
    later = {**typed, "incident": "NotPetya", "accused": "Russia", "level": "state",
             "text": TEXT, "marking": "AMBER", "embargo_end": "2026-01-25 09:00",
             "invitee_org_1": "", "invitee_deadline_1": "", "invitee_deadline_3": ""}  # fmt: skip
    again = post(w["ministry"], "/workspaces/new", later)
    assert again.status_code == 422
    assert 'id="e-invitee_deadline_2"' in again.text
    assert "after the embargo end" in again.text
    assert "2026-01-25 09:00 Europe/Paris" in visible(again.text)


def test_a_revision_shows_what_changed_and_lapses_the_joins(w: World) -> None:
    ws = open_workspace(w)
    path = f"/workspaces/{ws}"
    post(w["second-government"], f"{path}/accept-embargo", {}, path)
    post(w["second-government"], f"{path}/position", {"position": "join"}, path)
    revised = post(
        w["ministry"],
        f"{path}/revise",
        {
            "rev_text": TEXT.replace("almost certainly", "certainly"),
            "rev_accused": "Russia",
            "rev_level": "state",
            "rev_embargo_end": "2026-01-20 13:00",
        },
        path,
    )
    assert revised.status_code == 303, revised.text
    page = w["second-government"].get(path).text
    assert re.search(r"<del>\s*almost\s*</del>", page)
    assert "Level: agency → state" in visible(page)
    assert "embargo accepted" in visible(page)  # the join lapsed
    nothing = post(
        w["ministry"],
        f"{path}/revise",
        {"rev_text": TEXT.replace("almost certainly", "certainly"), "rev_accused": "Russia",
         "rev_level": "state", "rev_embargo_end": "2026-01-20 13:00"},
        path,
    )  # fmt: skip
    assert nothing.status_code == 422
    assert "nothing changed" in nothing.text


def test_times_typed_in_a_zone_are_exact_or_refused() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert read_moment("2027-03-01 10:00", paris, "t") == dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    assert read_moment("2027-03-01T09:00Z", paris, "t") == dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC)
    assert read_moment("2027-07-01 10:00", paris, "t") == dt.datetime(2027, 7, 1, 8, tzinfo=dt.UTC)
    with pytest.raises(InvalidInput, match="does not exist"):
        read_moment("2027-03-28 02:30", paris, "t")  # the clocks go forward
    with pytest.raises(InvalidInput, match="happens twice"):
        read_moment("2027-10-31 02:30", paris, "t")  # the clocks go back
    assert read_moment("2027-10-31T02:30+01:00", paris, "t") == dt.datetime(
        2027, 10, 31, 1, 30, tzinfo=dt.UTC
    )
    with pytest.raises(InvalidInput, match="not a date and time"):
        read_moment("tomorrow", paris, "t")


def test_evidence_and_threads_stay_with_those_they_are_shared_with(w: World) -> None:
    ws = open_workspace(w)
    path = f"/workspaces/{ws}"
    for org in ("second-government", "security-firm"):
        post(w[org], f"{path}/accept-embargo", {}, path)
    shared = post(
        w["second-government"],
        f"{path}/evidence",
        {
            "ev_title": "Loader hashes",
            "ev_text": "sha256 of the loader seen on our networks",
            "ev_url": "",
            "ev_marking": "AMBER+STRICT",
            "ev_shared_with": "Ministry",
        },
        path,
    )
    assert shared.status_code == 303, shared.text
    assert "Loader hashes" in w["ministry"].get(path).text
    assert "Loader hashes" not in w["security-firm"].get(path).text
    refused = post(
        w["second-government"],
        f"{path}/evidence",
        {"ev_title": "", "ev_marking": "CLEAR", "ev_text": ""},
        path,
    )
    assert refused.status_code == 422
    assert 'id="e-ev_title"' in refused.text
    assert 'id="e-ev_marking"' in refused.text

    posted = post(w["ministry"], f"{path}/comments", {"c_body": "Draft two is coming."}, path)
    assert posted.status_code == 303, posted.text
    board = visible(w["security-firm"].get(path).text)
    assert "1 new" in board
    link = re.search(rf'href="({path}/threads/wst-[0-9a-f]+)"', w["security-firm"].get(path).text)
    assert link is not None
    thread = w["security-firm"].get(link.group(1))
    assert thread.status_code == 200
    assert "Draft two is coming." in thread.text
    assert ">new<" in thread.text
    assert "1 new" not in visible(w["security-firm"].get(path).text)  # seen now
    # A thread limited to the ministry: the security firm does not see it.
    opened = post(
        w["second-government"],
        f"{path}/comments",
        {"t_title": "Attribution sources", "t_orgs": "Ministry", "t_body": "Between us."},
        path,
    )
    assert opened.status_code == 303, opened.text
    assert "Attribution sources" in w["ministry"].get(path).text
    assert "Attribution sources" not in w["security-firm"].get(path).text
    outsider = [w["outsider"].get(link.group(1)), w["outsider"].get(f"{path}x/threads/wst-0")]
    assert [a.status_code for a in outsider] == [404, 404]
    assert outsider[0].text == outsider[1].text


def test_reviewers_name_colleagues_and_the_owner_shows_the_invitees(w: World) -> None:
    ws = open_workspace(w)
    path = f"/workspaces/{ws}"
    accounts.create_user(
        w.kb, "analyst@ministry.example", "ministry", UserRole.CONTRIBUTOR, password=PASSWORD
    )
    analyst = TestClient(w["ministry"].app, base_url="https://testserver")
    analyst.post(
        "/signin",
        data={
            "email": "analyst@ministry.example",
            "password": PASSWORD,
            "csrf_token": csrf_of(analyst, "/signin"),
        },
    )
    assert analyst.get(path).status_code == 404  # not named yet
    named = post(w["ministry"], f"{path}/users", {"users": "analyst@ministry.example"}, path)
    assert named.status_code == 303, named.text
    assert TEXT in analyst.get(path).text
    unknown = post(w["ministry"], f"{path}/users", {"users": "chief@outsider.example"}, path)
    assert unknown.status_code == 422
    assert 'id="e-users"' in unknown.text

    post(w["second-government"], f"{path}/accept-embargo", {}, path)
    assert "Security Firm" not in w["second-government"].get(path).text
    shown = post(w["ministry"], f"{path}/settings", {"show_invitees": "yes"}, path)
    assert shown.status_code == 303, shown.text
    assert "Security Firm" in visible(w["second-government"].get(path).text)


def test_notification_settings_on_the_page(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = open_workspace(w)
    path = f"/workspaces/{ws}"
    notifications = f"{path}/notifications"
    assert 'value="immediate" selected' in w["ministry"].get(path).text
    chosen = post(w["ministry"], notifications, {"mode": "digest"}, path)
    assert chosen.status_code == 303, chosen.text
    assert 'value="digest" selected' in w["ministry"].get(path).text

    wrong = post(w["ministry"], notifications, {"mode": "loud"}, path)
    assert wrong.status_code == 422
    assert 'id="e-mode"' in wrong.text

    private = post(
        w["ministry"],
        notifications,
        {"mode": "digest", "webhook": "yes", "webhook_url": "http://127.0.0.1:9/hook",
         "webhook_secret": "s" * 20},
        path,
    )  # fmt: skip
    assert private.status_code == 422
    assert re.search(r'id="e-webhook_url" role="alert">', private.text)
    assert "s" * 20 not in private.text  # a secret is never shown again

    monkeypatch.setenv("ACCORD_WEBHOOK_ALLOW_PRIVATE", "1")
    short = post(
        w["ministry"],
        notifications,
        {"mode": "digest", "webhook": "yes", "webhook_url": "http://127.0.0.1:9/hook",
         "webhook_secret": "short"},
        path,
    )  # fmt: skip
    assert short.status_code == 422
    assert re.search(r'id="e-webhook_secret" role="alert">', short.text)
    kept = post(
        w["ministry"],
        notifications,
        {"mode": "mute", "webhook": "yes", "webhook_url": "http://127.0.0.1:9/hook",
         "webhook_secret": "a-long-enough-secret"},
        path,
    )  # fmt: skip
    assert kept.status_code == 303, kept.text
    page = w["ministry"].get(path).text
    assert "<code>http://127.0.0.1:9/hook</code>" in page
    assert "a-long-enough-secret" not in page
    assert 'value="mute" selected' in page

    post(w["second-government"], f"{path}/accept-embargo", {}, path)
    other = w["second-government"].get(path).text
    assert "127.0.0.1:9/hook" not in other  # another organisation's webhook stays its own
    assert 'value="immediate" selected' in other  # a mode is each user's own
