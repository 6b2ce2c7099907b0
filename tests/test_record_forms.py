"""The forms that file records on the web: incidents, responses, participations and claims.

Each files a draft of the contributor's organisation with its references given by name or id;
a form with problems reports every one at once, each beside its field, and keeps what was
typed; nothing in a form makes a contributor's record published; anonymous callers and readers
are refused; a reference never resolves to, or reveals, a record the contributor may not see.
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import SYSTEM
from accord.domain.records import Incident, Participation, Record, Response
from accord.domain.vocab import Kind, Sector, Status, UserRole
from accord.kb import KnowledgeBase
from accord.web.pages.record_forms import FORMS, INCIDENT, field
from tests.conftest import actor, claim, incident, initiative
from tests.test_pages import PASSWORD, World, client, fast_hashing

# Fixtures of test_pages: cheap argon2 (autouse) and a client of the world defined here.
__all__ = ["client", "fast_hashing"]


@pytest.fixture
def world(kb: KnowledgeBase) -> World:
    """A ministry (contributor, reviewer, reader), a company, public actors, incidents and an
    initiative, and an AMBER incident of the company that the ministry may not see."""
    ministry = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    company = accounts.create_org(kb, "Test Security Co", Sector.PRIVATE)
    for email, org, role in (
        ("analyst@mfa.example", ministry, UserRole.CONTRIBUTOR),
        ("chief@mfa.example", ministry, UserRole.REVIEWER),
        ("clerk@mfa.example", ministry, UserRole.READER),
        ("intel@sec.example", company, UserRole.CONTRIBUTOR),
    ):
        accounts.create_user(kb, email, org, role, password=PASSWORD)
    kb.bulk_create(
        [
            actor("state-kp", "North Korea"),
            actor("state-us", "United States"),
            actor("lazarus", "Lazarus Group", kind="threat_group", aliases=["Hidden Cobra"]),
            incident("wannacry", "WannaCry", start="2017-05-12"),
            incident("sony-2014", "Sony Pictures hack", start="2014-11-24"),
            initiative("paris-call", "multistakeholder", "2018-11", name="Paris Call"),
            claim("claim-us-wannacry", "state-us", "wannacry", "state-kp"),
        ],
        SYSTEM,
    )
    intel = accounts.find_user(kb, "intel@sec.example").viewer
    hidden = incident(f"{company}.quiet-breach", "Quiet breach", start="2024-02")
    kb.create({**hidden, "marking": "AMBER"}, intel)
    return World(kb, ministry, company)


def csrf_of(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client: TestClient, email: str) -> None:
    response = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(client, "/signin")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


SOURCE = {
    "source_title": "Our statement",
    "source_publisher": "Ministry of Test",
    "source_url": "https://mfa.example/statement",
    "source_date": "2024-03",
}

#: A valid submission of each form; references by name, by id and by alias.
VALID: dict[str, dict[str, str | list[str]]] = {
    "incident": {
        "name": "Harbour outage",
        "aliases": "Port blackout\nHarbour wiper",
        "start": "2024-02-03",
        "end": "2024-03",
        "effects": ["sabotage", "wiper"],
        "target_actors": "United States\nstate-kp",
        "target_countries": "us, kp",
        "target_sectors": "ports",
        "critical_infrastructure": "yes",
        "description": "Port systems were wiped.",
    },
    "response": {
        "responder": "United States",
        "kind": "sanction",
        "incident": "wannacry",
        "targets": "North Korea\nHidden Cobra",
        "date": "2018-09",
        "instrument": "Executive Order 13722",
        "summary": "Sanctions against a programmer.",
    },
    "participation": {
        "actor": "north korea",
        "initiative": "Paris Call",
        "role": "supporter",
        "joined": "2019",
    },
    "claim": {
        "incident": "Sony Pictures hack",
        "claimant": "Ministry of Test",
        "accused": "Lazarus Group",
        "stance": "attributes",
        "kind": "official_statement",
        "date": "2015-01",
        "summary": "We agree with the FBI.",
    },
}


def _form(client: TestClient, slug: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "csrf_token": csrf_of(client, f"/contribute/{slug}"),
        **SOURCE,
        "marking": "AMBER",
        "shares": "",
        "readers": "",
        **VALID[slug],
    }
    data.update(changes)
    return data


def _created(client: TestClient, world: World, response_location: str) -> Record:
    """The record a form created, as its organisation's contributor sees it."""
    analyst = accounts.find_user(world.kb, "analyst@mfa.example").viewer
    return world.kb.get(response_location.rsplit("/", 1)[1], analyst)


@pytest.mark.parametrize("slug", sorted(VALID))
def test_each_form_files_a_draft_with_references_by_name_or_id(
    client: TestClient, world: World, slug: str
) -> None:
    sign_in(client, "analyst@mfa.example")
    response = client.post(f"/contribute/{slug}", data=_form(client, slug), follow_redirects=False)
    assert response.status_code == 303, response.text
    record = _created(client, world, response.headers["location"])
    assert record.kind is Kind(slug)
    assert record.status is Status.DRAFT
    assert record.owner == world.ministry
    assert record.id.startswith(f"{world.ministry}.")
    data = record.data
    if isinstance(data, Incident):
        assert data.target_actors == ("state-us", "state-kp")
        assert data.target_countries == ("US", "KP")
        assert data.aliases == ("Port blackout", "Harbour wiper")
        assert [e.value for e in data.effects] == ["sabotage", "wiper"]
        assert data.critical_infrastructure is True
    elif isinstance(data, Response):
        assert (data.responder, data.incident) == ("state-us", "wannacry")
        assert data.targets == ("state-kp", "lazarus")  # by name, and by alias
    elif isinstance(data, Participation):
        assert (data.actor, data.initiative) == ("state-kp", "paris-call")  # any case
    else:
        assert (data.incident, data.claimant, data.accused) == (  # type: ignore[attr-defined]
            "sony-2014",
            world.ministry,
            "lazarus",
        )
    page = client.get(response.headers["location"]).text
    assert "draft" in page
    other = TestClient(client.app, base_url="https://testserver")
    sign_in(other, "intel@sec.example")
    assert other.get(response.headers["location"]).status_code == 404


#: For each form, changes that break several fields at once, and the fields they break.
INVALID: dict[str, tuple[dict[str, str | list[str]], set[str]]] = {
    "incident": (
        {
            "name": "",
            "start": "2024-13",
            "effects": ["sabotage", "teleportation"],
            "target_actors": "United States\nAtlantis",
            "target_countries": "us, xx",
            "critical_infrastructure": "maybe",
            "source_url": "not a url",
        },
        {
            "name",
            "start",
            "effects",
            "target_actors",
            "target_countries",
            "critical_infrastructure",
            "source_url",
        },
    ),
    "response": (
        {
            "responder": "Nobody Known",
            "kind": "",
            "incident": "Quiet breach",
            "date": "last year",
            "source_title": "",
        },
        {"responder", "kind", "incident", "date", "source_title"},
    ),
    "participation": (
        {"actor": "WannaCry", "initiative": "", "role": "overlord", "shares": "No Such Org"},
        {"actor", "initiative", "role", "shares"},
    ),
    "claim": (
        {"accused": "nobody", "stance": "", "date": "2018-13", "confidence": "200"},
        {"accused", "stance", "date", "confidence"},
    ),
}


@pytest.mark.parametrize("slug", sorted(INVALID))
def test_each_form_reports_every_error_at_once_and_keeps_what_was_typed(
    client: TestClient, world: World, slug: str
) -> None:
    sign_in(client, "analyst@mfa.example")
    before = world.kb.count(SYSTEM)
    changes, broken = INVALID[slug]
    sent = _form(client, slug, **changes)
    response = client.post(f"/contribute/{slug}", data=sent)
    assert response.status_code == 422
    page = response.text
    shown = set(re.findall(r'<p class="error" id="e-([\w]+)" role="alert">', page))
    assert shown == broken
    for name in broken:  # tied to its field for assistive technology, listed on top
        assert re.search(rf'aria-describedby="[^"]*\be-{name}\b', page), name
        assert f'href="#f-{name}"' in page
    assert f"{len(broken)} fields need changing" in page
    for f in FORMS[slug].fields:  # nothing typed is lost (a choice the form offers stays chosen)
        value = sent.get(f.name)
        if not value:
            continue
        if isinstance(value, list):
            for choice in set(value) & set(f.choices):
                assert f'name="{f.name}" value="{choice}" checked' in page, choice
        elif f.widget in ("select", "tristate", "yesno"):
            if value in f.choices or value in ("yes", "no"):
                assert f'<option value="{value}" selected>' in page, f.name
        else:
            kept = html.escape(value, quote=False)
            assert f'value="{kept}"' in page or f">{kept}</textarea>" in page, f.name
    assert world.kb.count(SYSTEM) == before  # nothing written


def test_unknown_and_hidden_references_read_alike_and_suggest_visible_names(
    client: TestClient, world: World
) -> None:
    sign_in(client, "analyst@mfa.example")

    def error_for(value: str) -> str:
        page = client.post(
            "/contribute/response", data=_form(client, "response", incident=value)
        ).text
        found = re.search(r'id="e-incident" role="alert">([^<]*)<', page)
        assert found, page
        return html.unescape(found.group(1))

    hidden = error_for(f"{world.company}.quiet-breach")
    unknown = error_for(f"{world.company}.no-such-thing")
    assert hidden.replace("quiet-breach", "X") == unknown.replace("no-such-thing", "X")
    assert "Did you mean" not in error_for("Quiet breach")  # never suggests a hidden record
    assert "Did you mean: Sony Pictures hack?" in error_for("Sony")
    assert error_for("state-kp") == "“North Korea” (state-kp) is an actor, not an incident"


def test_a_name_two_records_share_asks_for_the_id(client: TestClient, world: World) -> None:
    world.kb.bulk_create([actor("state-kp-2", "North Korea", kind="government_body")], SYSTEM)
    sign_in(client, "analyst@mfa.example")
    page = client.post(
        "/contribute/participation", data=_form(client, "participation", actor="North Korea")
    ).text
    assert re.search(r'id="e-actor" role="alert">[^<]*state-kp, state-kp-2', page)
    assert '<option value="state-kp">North Korea</option>' in page  # the list offers ids


@pytest.mark.parametrize("slug", sorted(VALID))
def test_a_contributor_cannot_publish_through_a_form(
    client: TestClient, world: World, slug: str
) -> None:
    sign_in(client, "analyst@mfa.example")
    data = _form(client, slug, marking="CLEAR")
    data["status"] = "published"  # not a field of the form: the write rules decide
    response = client.post(f"/contribute/{slug}", data=data, follow_redirects=False)
    assert response.status_code == 303
    record = _created(client, world, response.headers["location"])
    assert record.status is Status.DRAFT
    anonymous = TestClient(client.app, base_url="https://testserver")
    assert anonymous.get(response.headers["location"]).status_code == 404


@pytest.mark.parametrize("slug", sorted(FORMS))
def test_anonymous_callers_and_readers_are_refused(
    client: TestClient, world: World, slug: str
) -> None:
    before = world.kb.count(SYSTEM)
    assert client.get(f"/contribute/{slug}").status_code == 401
    token = csrf_of(client, "/signin")  # an anonymous session's own token
    response = client.post(f"/contribute/{slug}", data={**VALID[slug], "csrf_token": token})
    assert response.status_code == 401
    assert "Sign in" in response.text
    assert client.post(f"/contribute/{slug}", data=VALID[slug]).status_code == 403  # no token
    sign_in(client, "clerk@mfa.example")
    assert client.get(f"/contribute/{slug}").status_code == 403
    response = client.post(f"/contribute/{slug}", data=_form_for_reader(client, slug))
    assert response.status_code == 403
    assert world.kb.count(SYSTEM) == before


def _form_for_reader(client: TestClient, slug: str) -> dict[str, str | list[str]]:
    token = csrf_of(client, "/contribute")
    return {"csrf_token": token, **SOURCE, "marking": "AMBER", **VALID[slug]}


def test_a_link_fills_in_the_form_with_names(client: TestClient, world: World) -> None:
    sign_in(client, "analyst@mfa.example")
    page = client.get("/contribute/claim?incident=wannacry").text
    assert 'name="incident" type="text" value="WannaCry"' in page
    assert 'name="claimant" type="text" value="Ministry of Test"' in page
    page = client.get("/contribute/response?incident=no-such-incident").text
    assert 'name="incident" type="text" value="no-such-incident"' in page


def test_the_contribute_page_links_every_form(client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    page = client.get("/contribute").text
    for form in FORMS.values():
        assert f'href="{form.path}"' in page


def test_form_fields_follow_the_payload_model() -> None:
    fields = {f.name: f for f in INCIDENT.payload.fields}
    assert fields["name"].required
    assert fields["name"].widget == "text"
    assert fields["effects"].widget == "checkboxes"
    assert "espionage" in fields["effects"].choices
    assert fields["target_actors"].widget == "refs"
    assert fields["target_actors"].kinds == (Kind.ACTOR,)
    assert fields["target_countries"].widget == "codes"
    assert fields["critical_infrastructure"].widget == "tristate"
    assert fields["description"].widget == "textarea"
    assert field(Response, "date", "Date").widget == "date"
    assert field(Participation, "initiative", "Initiative").kinds == (Kind.INITIATIVE,)


def test_critical_infrastructure_reads_unknown_yes_or_no(client: TestClient, world: World) -> None:
    world.kb.bulk_create(
        [
            incident("stuxnet", "Stuxnet", critical_infrastructure=True),
            incident("ghostnet", "GhostNet", critical_infrastructure=False),
        ],
        SYSTEM,
    )
    flag = re.compile(r"<dt>Critical infrastructure</dt><dd>(.*?)</dd>")

    def shown(path: str) -> str:
        found = flag.search(client.get(path).text)
        assert found, path
        return re.sub(r"<[^>]+>", "", found.group(1))

    assert shown("/incidents/wannacry").startswith("unknown")
    assert shown("/incidents/stuxnet") == "yes"
    assert shown("/incidents/ghostnet") == "no"
