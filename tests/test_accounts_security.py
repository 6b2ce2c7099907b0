"""Accounts and sessions as an attacker probes them: sign-in timing, emails in the readers
field, signing out, a bearer token on the contributing pages, and which organisations an
anonymous caller can learn about."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson
import pytest
from alembic import command
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import ANONYMOUS, CURATORS_ORG, SYSTEM
from accord.domain.vocab import Marking, Sector, UserRole
from accord.errors import NotFound, Unauthenticated
from accord.interop import stix_mapping as m
from accord.interop.stix_export import iter_bundle
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.engine import make_engine
from accord.web.app import create_app
from accord.web.session import COOKIE
from accord.web.settings import Settings
from tests.cli_runner import Run
from tests.conftest import FrozenClock, actor, incident
from tests.test_pages import (
    PASSWORD,
    csrf_of,
    fast_hashing,  # noqa: F401 - autouse: real argon2, cheap parameters
    sign_in,
)

ORGS = ("ministry-of-test", "test-security-co")
TAXII = {"Accept": "application/taxii+json;version=2.1"}


@dataclass
class World:
    kb: KnowledgeBase
    ministry: str
    firm: str
    token: str


@pytest.fixture
def world(kb: KnowledgeBase) -> World:
    """Two unlisted organisations with users (the ministry's analyst has a token), and a
    public actor and incident to claim about."""
    ministry = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    firm = accounts.create_org(kb, "Test Security Co", Sector.PRIVATE)
    for email, org, role in (
        ("analyst@mfa.example", ministry, UserRole.CONTRIBUTOR),
        ("colleague@mfa.example", ministry, UserRole.CONTRIBUTOR),
        ("reader@mfa.example", ministry, UserRole.READER),
        ("intel@sec.example", firm, UserRole.CONTRIBUTOR),
    ):
        accounts.create_user(kb, email, org, role, password=PASSWORD)
    kb.bulk_create([actor("state-kp", "North Korea"), incident("wannacry", "WannaCry")], SYSTEM)
    return World(kb, ministry, firm, accounts.create_token(kb, "analyst@mfa.example")[1])


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(Settings(), kb=world.kb)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


# -- sign-in timing ----------------------------------------------------------------------------


def _fastest_refusal(kb: KnowledgeBase, email: str, tries: int = 5) -> float:
    times = []
    for _ in range(tries + 1):  # the first warms the caches (and the dummy hash) up
        start = time.perf_counter()
        with pytest.raises(Unauthenticated, match="wrong email or password"):
            accounts.check_password(kb, email, "not the password at all")
        times.append(time.perf_counter() - start)
    return min(times[1:])


def test_sign_in_costs_the_same_argon2_work_for_an_unknown_email(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Costly enough (~20 ms a verification) to stand far above a database lookup.
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=2, memory_cost=8192))
    accounts.create_user(
        world.kb, "timed@mfa.example", world.ministry, UserRole.READER, password=PASSWORD
    )
    known = _fastest_refusal(world.kb, "timed@mfa.example")
    unknown = _fastest_refusal(world.kb, "nobody@nowhere.example")
    assert unknown > known / 2, f"unknown email refused in {unknown:.4f} s, known {known:.4f} s"


def test_a_user_without_password_or_deactivated_is_refused_like_a_wrong_password(
    world: World,
) -> None:
    accounts.create_user(world.kb, "token-only@mfa.example", world.ministry, UserRole.READER)
    accounts.deactivate_user(world.kb, "intel@sec.example")
    for email, password in (("token-only@mfa.example", ""), ("intel@sec.example", PASSWORD)):
        with pytest.raises(Unauthenticated, match=r"^wrong email or password$"):
            accounts.check_password(world.kb, email, password)
    assert accounts.check_password(world.kb, "analyst@mfa.example", PASSWORD).email == (
        "analyst@mfa.example"
    )


# -- the readers field ---------------------------------------------------------------------------


def _claim_with_readers(client: TestClient, readers: str) -> tuple[int, str]:
    form = {
        "csrf_token": csrf_of(client, "/signin"),
        "incident": "wannacry",
        "claimant": "ministry-of-test",
        "accused": "state-kp",
        "stance": "attributes",
        "kind": "official_statement",
        "date": "2017-12",
        "source_title": "Our statement",
        "source_publisher": "Ministry of Test",
        "source_url": "https://mfa.example/statement",
        "marking": "RED",
        "readers": readers,
        "shares": "",
    }
    response = client.post("/contribute/claim", data=form, follow_redirects=False)
    return response.status_code, " | ".join(re.findall(r'role="alert">([^<]*)<', response.text))


def test_readers_field_answers_alike_for_unknown_and_other_organisations_emails(
    client: TestClient,
) -> None:
    sign_in(client, "analyst@mfa.example")
    unknown = _claim_with_readers(client, "ghost@nowhere.example")
    elsewhere = _claim_with_readers(client, "intel@sec.example")
    assert unknown[0] == elsewhere[0] == 422
    assert unknown[1].replace("ghost@nowhere.example", "X") == elsewhere[1].replace(
        "intel@sec.example", "X"
    )
    status, _ = _claim_with_readers(client, "colleague@mfa.example")
    assert status == 303  # a member of one's own organisation is named by email


def test_readers_field_tells_a_reader_nothing_about_emails(client: TestClient) -> None:
    sign_in(client, "reader@mfa.example")
    answers = {
        _claim_with_readers(client, email)
        for email in ("ghost@nowhere.example", "intel@sec.example", "colleague@mfa.example")
    }
    assert len(answers) == 1
    assert next(iter(answers))[0] == 403


def test_named_readers_accepts_user_ids_of_any_organisation(world: World) -> None:
    analyst = accounts.find_user(world.kb, "analyst@mfa.example").viewer
    firm_user = accounts.find_user(world.kb, "intel@sec.example")
    ids = accounts.named_readers(world.kb, analyst, [firm_user.id, "Colleague@mfa.example"])
    assert ids == [firm_user.id, accounts.find_user(world.kb, "colleague@mfa.example").id]


# -- sessions --------------------------------------------------------------------------------------


def test_signing_out_ends_the_session_for_every_copy_of_the_cookie(client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    with TestClient(client.app, base_url="https://testserver") as thief:
        thief.cookies.set(COOKIE, client.cookies[COOKIE])
        assert thief.get("/contribute").status_code == 200
        signed_out = client.post(
            "/signout",
            data={"csrf_token": csrf_of(client, "/contribute")},
            follow_redirects=False,
        )
        assert signed_out.status_code == 303
        assert client.get("/contribute").status_code == 401
        assert thief.get("/contribute").status_code == 401


def test_deactivating_a_user_ends_their_sessions(world: World, client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    accounts.deactivate_user(world.kb, "analyst@mfa.example")
    assert client.get("/contribute").status_code == 401


def test_a_session_ends_after_its_lifetime(world: World, clock: FrozenClock) -> None:
    user = accounts.find_user(world.kb, "analyst@mfa.example")
    session = accounts.start_session(world.kb, user)
    assert accounts.user_for_session(world.kb, session) == user
    clock.now += accounts.SESSION_LIFETIME
    with pytest.raises(Unauthenticated):
        accounts.user_for_session(world.kb, session)


def test_contribute_page_with_a_bearer_token_asks_for_a_browser_session(
    client: TestClient, world: World
) -> None:
    auth = {"Authorization": f"Bearer {world.token}"}
    for path in ("/contribute", "/contribute/claim", "/actors/state-kp/edit"):
        response = client.get(path, headers=auth)
        assert response.status_code == 401, path
        assert "browser session" in response.text
        assert "Traceback" not in response.text


# -- organisations ---------------------------------------------------------------------------------


def _public_ids(client: TestClient, kb: KnowledgeBase) -> dict[str, set[str]]:
    """Where an anonymous caller might learn the organisations' ids, by interface."""
    collections = client.get("/taxii2/accord/collections/", headers=TAXII).json()
    public = next(c["id"] for c in collections["collections"] if c["title"] == "Public")
    taxii = client.get(f"/taxii2/accord/collections/{public}/objects/", headers=TAXII).json()
    return {
        "api": {r["id"] for r in client.get("/api/v1/actors").json()["items"]},
        "search": {
            h["record"]["id"]
            for h in client.get("/api/v1/search", params={"q": "ministry"}).json()["items"]
        },
        "stix": {o["id"] for o in orjson.loads(b"".join(iter_bundle(kb, ANONYMOUS)))["objects"]},
        "rest_stix": {o["id"] for o in client.get("/api/v1/export/stix").json()["objects"]},
        "taxii": {o["id"] for o in taxii.get("objects", [])},
        "page": {org for org in ORGS if client.get(f"/actors/{org}").is_success},
    }


def test_unlisted_organisations_are_named_to_signed_in_members_only(
    world: World, client: TestClient
) -> None:
    stix_id = m.stable_id("identity", world.ministry)
    for where, ids in _public_ids(client, world.kb).items():
        assert world.ministry not in ids, where
        assert stix_id not in ids, where
        assert world.firm not in ids, where
    with pytest.raises(NotFound):
        world.kb.get(world.ministry, ANONYMOUS)
    intel = accounts.find_user(world.kb, "intel@sec.example").viewer
    assert world.kb.get(world.ministry, intel).marking is Marking.GREEN
    auth = {"Authorization": f"Bearer {world.token}"}
    assert client.get(f"/api/v1/actors/{world.firm}", headers=auth).status_code == 200


def test_a_listed_organisation_is_named_to_anyone_and_can_withdraw(
    world: World, client: TestClient
) -> None:
    assert not accounts.is_listed(world.kb, world.ministry)
    accounts.set_listed(world.kb, world.ministry, True)
    assert accounts.is_listed(world.kb, world.ministry)
    stix_id = m.stable_id("identity", world.ministry)
    seen = _public_ids(client, world.kb)
    assert world.ministry in seen["api"]
    assert world.ministry in seen["page"]
    assert stix_id in seen["stix"]
    assert stix_id in seen["taxii"]
    accounts.set_listed(world.kb, world.ministry, False)
    assert world.ministry not in _public_ids(client, world.kb)["api"]
    member = accounts.find_user(world.kb, "analyst@mfa.example").viewer
    markings = [v.record.marking for v in world.kb.history(world.ministry, member)]
    assert markings == [Marking.GREEN, Marking.CLEAR, Marking.GREEN]


def test_organisations_created_listed_are_public_and_curators_are_listed(
    kb: KnowledgeBase,
) -> None:
    org = accounts.create_org(kb, "Open Research", Sector.ACADEMIA, listed=True)
    assert kb.get(org, ANONYMOUS).marking is Marking.CLEAR
    assert accounts.is_listed(kb, "accord-curators")
    with pytest.raises(NotFound):
        accounts.set_listed(kb, "no-such-org", True)


def test_upgrading_hides_organisations_registered_before_they_could_choose(
    kb: KnowledgeBase, db_url: str
) -> None:
    old = accounts.create_org(kb, "Old Ministry", Sector.GOVERNMENT, listed=True)
    config = migrate._config()
    engine = make_engine(db_url)  # an operator's own connection, as the migration tool has
    with engine.begin() as conn:  # back to before 0012, when every registration was CLEAR
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    engine.dispose()
    kb.initialise()
    assert accounts.is_listed(kb, CURATORS_ORG)
    assert not accounts.is_listed(kb, old)
    with pytest.raises(NotFound):
        kb.get(old, ANONYMOUS)
    assert kb.get(CURATORS_ORG, ANONYMOUS).marking is Marking.CLEAR
    kb.initialise()  # nothing left to hide: no further revision
    assert [v.record.marking for v in kb.history(old, SYSTEM)] == [Marking.CLEAR, Marking.GREEN]


def test_cli_lists_an_organisation_and_withdraws_it(
    kb: KnowledgeBase, db_url: str, accord: Callable[..., Run]
) -> None:
    done = accord("org", "create", "Open Lab", "--sector", "academia", "--listed", db=db_url)
    assert done.returncode == 0, done.stderr
    assert kb.get("open-lab", ANONYMOUS).marking is Marking.CLEAR
    done = accord("org", "listing", "Open Lab", "--unlisted", db=db_url)
    assert done.returncode == 0, done.stderr
    assert not accounts.is_listed(kb, "open-lab")
    with pytest.raises(NotFound):
        kb.get("open-lab", ANONYMOUS)
    assert accord("org", "listing", "open-lab", db=db_url).returncode == 2  # say which
    assert (
        accord("org", "create", "Quiet NGO", "--sector", "civil_society", db=db_url).returncode == 0
    )
    assert not accounts.is_listed(kb, "quiet-ngo")
