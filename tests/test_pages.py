"""The web pages: every page renders, sharing rules hold on every page, user text is escaped,
sign-in, CSRF and the contribution flow (draft → publish, edit with history)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.errors import BadRequest
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.conftest import actor, claim, incident, initiative, norm, participation, source

PASSWORD = "correct horse battery staple"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SHARED_WITH_COMPANY = 'Shared with: <a href="/actors/test-security-co">Test Security Co</a>'


@dataclass
class World:
    kb: KnowledgeBase
    ministry: str
    company: str


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real argon2, with cheap test parameters (the default costs ~0.8 s a hash here)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def world(kb: KnowledgeBase) -> World:
    """Two organisations with users, a small public dataset and one AMBER claim of the
    ministry about WannaCry that the company may not see."""
    ministry = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    company = accounts.create_org(kb, "Test Security Co", Sector.PRIVATE)
    accounts.create_user(
        kb, "analyst@mfa.example", ministry, UserRole.CONTRIBUTOR, password=PASSWORD
    )
    accounts.create_user(kb, "chief@mfa.example", ministry, UserRole.REVIEWER, password=PASSWORD)
    accounts.create_user(kb, "intel@sec.example", company, UserRole.CONTRIBUTOR, password=PASSWORD)
    kb.bulk_create(
        [
            actor("state-kp", "North Korea"),
            actor("state-us", "United States"),
            actor("evil", SCRIPT, kind="threat_group"),
            incident("wannacry", "WannaCry", start="2017-05-12"),
            initiative("paris-call", "multistakeholder", "2018-11", name="Paris Call"),
            norm("norm-paris-1", "paris-call", code="1", title="Protect individuals"),
            participation("part-us-paris", "state-us", "paris-call", role="supporter"),
            {
                "id": "assess-wannacry-paris-1",
                "kind": "assessment",
                "data": {
                    "assessor": "state-us",
                    "incident": "wannacry",
                    "norm": "norm-paris-1",
                    "rationale": "Hit hospitals.",
                },
                "sources": [source()],
            },
            claim(
                "claim-us-wannacry",
                "state-us",
                "wannacry",
                "state-kp",
                summary="The US attributes WannaCry.",
            ),
            claim("claim-us-evil", "state-us", "wannacry", "evil"),
        ],
        SYSTEM,
    )
    chief = accounts.find_user(kb, "chief@mfa.example").viewer
    secret = claim(
        f"{ministry}.claim-ministry-secret",
        ministry,
        "wannacry",
        "state-kp",
        summary="Sensitive ministry assessment.",
    )
    kb.create({**secret, "marking": "AMBER"}, chief)
    return World(kb, ministry, company)


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    app = create_app(Settings(), kb=world.kb)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/signin") -> str:
    html = client.get(path).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def sign_in(client: TestClient, email: str) -> None:
    response = client.post(
        "/signin",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf_of(client), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


PAGES = [
    "/",
    "/search",
    "/search?q=wannacry",
    "/search?kind=incident",
    "/incidents/wannacry",
    "/incidents/wannacry/history",
    "/actors/state-kp",
    "/actors/evil",
    "/norms/norm-paris-1",
    "/initiatives/paris-call",
    "/claims/claim-us-wannacry",
    "/participations/part-us-paris",
    "/assessments/assess-wannacry-paris-1",
    "/landscape",
    "/network",
    "/network/graph",
    "/governance",
    "/signin",
]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_every_page_renders(client: TestClient, signed_in: bool) -> None:
    if signed_in:
        sign_in(client, "intel@sec.example")
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        assert "<main" in response.text
        if (
            path.startswith(("/incidents/", "/actors/", "/norms/", "/claims/"))
            and "/history" not in path
        ):
            assert "TLP:CLEAR" in response.text
            assert 'href="https://example.org/statement"' in response.text
    assert ("Sign out" in client.get("/").text) is signed_in


def test_unknown_record_is_an_html_404(client: TestClient) -> None:
    response = client.get("/incidents/nope")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "no such record" in response.text
    assert client.get("/actors/wannacry").status_code == 404


@pytest.mark.parametrize("who", [None, "intel@sec.example"], ids=["anonymous", "other-org"])
def test_amber_claim_never_appears_to_others(client: TestClient, who: str | None) -> None:
    if who:
        sign_in(client, who)
    for path in [
        "/",
        "/incidents/wannacry",
        "/actors/state-kp",
        "/search?q=sensitive",
        "/search?q=wannacry",
        "/search?kind=claim",
    ]:
        html = client.get(path).text
        assert "claim-ministry-secret" not in html, path
        assert "Sensitive ministry assessment" not in html, path
    assert client.get("/claims/claim-ministry-secret").status_code == 404
    home = client.get("/").text
    assert re.search(r'<span class="stat">2</span> <a href="/search\?kind=claim"', home)


def test_amber_claim_shown_to_its_organisation(client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    html = client.get("/incidents/wannacry").text
    assert "Sensitive ministry assessment" in html
    assert "TLP:AMBER" in html
    assert re.search(
        r'<span class="stat">3</span> <a href="/search\?kind=claim"', client.get("/").text
    )


def test_facet_counts_count_only_visible_records(client: TestClient) -> None:
    html = client.get("/search?q=wannacry").text
    assert "TLP:AMBER" not in html
    claims_facet = re.search(r'kind=claim">claim</a> <span class="muted">\((\d+)\)', html)
    assert claims_facet
    assert claims_facet.group(1) == "2"
    sign_in(client, "analyst@mfa.example")
    html = client.get("/search?q=wannacry").text
    claims_facet = re.search(r'kind=claim">claim</a> <span class="muted">\((\d+)\)', html)
    assert claims_facet
    assert claims_facet.group(1) == "3"
    assert "TLP:AMBER</a>" in html


def test_script_in_a_name_renders_as_text(client: TestClient) -> None:
    for path in ["/actors/evil", "/incidents/wannacry", "/search?q=evil", "/search?kind=actor"]:
        html = client.get(path).text
        assert SCRIPT not in html, path
        assert ESCAPED in html, path


def test_session_cookie_flags(client: TestClient) -> None:
    cookie = client.get("/").headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_wrong_password_is_explained_on_the_form(client: TestClient) -> None:
    response = client.post(
        "/signin",
        data={
            "email": "intel@sec.example",
            "password": "wrong password!!",
            "csrf_token": csrf_of(client),
        },
    )
    assert response.status_code == 401
    assert "wrong email or password" in response.text
    assert "Sign out" not in response.text


def test_post_without_csrf_token_is_refused(client: TestClient) -> None:
    response = client.post("/signin", data={"email": "intel@sec.example", "password": PASSWORD})
    assert response.status_code == 403
    sign_in(client, "analyst@mfa.example")
    response = client.post("/contribute/claim", data={"incident": "wannacry"})
    assert response.status_code == 403


def test_api_write_with_session_cookie_alone_is_anonymous(client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    body = {"data": {"name": "Forged", "kind": "state"}, "sources": [source()]}
    response = client.post("/api/v1/actors", json=body)
    assert response.status_code == 403
    token = csrf_of(client, "/contribute")
    response = client.post("/api/v1/actors", json=body, headers={"X-CSRF-Token": token})
    assert response.status_code == 201


def _claim_form(client: TestClient, **fields: str) -> dict[str, str]:
    base = {
        "csrf_token": csrf_of(client, "/contribute/claim"),
        "incident": "wannacry",
        "claimant": "ministry-of-test",
        "accused": "state-kp",
        "stance": "disputes",
        "kind": "official_statement",
        "date": "2018-01",
        "source_title": "Our statement",
        "source_publisher": "Ministry of Test",
        "source_url": "https://mfa.example/statement",
        "marking": "AMBER",
        "shares": "",
    }
    base.update(fields)
    return base


def test_claim_form_explains_errors_next_to_the_field(client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    response = client.post("/contribute/claim", data=_claim_form(client, accused="nobody"))
    assert response.status_code == 422
    assert re.search(r'id="e-accused" role="alert">[^<]*nobody', response.text)
    assert 'value="Our statement"' in response.text
    response = client.post("/contribute/claim", data=_claim_form(client, shares="no-such-org"))
    assert response.status_code == 422
    assert re.search(r'id="e-shares" role="alert">[^<]*no-such-org', response.text)
    response = client.post("/contribute/claim", data=_claim_form(client, date="2018-13"))
    assert re.search(r'id="e-date" role="alert">', response.text)


def test_dispute_draft_review_publish_and_edit(client: TestClient, world: World) -> None:
    sign_in(client, "analyst@mfa.example")
    response = client.post(
        "/contribute/claim",
        data=_claim_form(client, shares="test-security-co", summary="We dispute it."),
        follow_redirects=False,
    )
    assert response.status_code == 303
    page_url = response.headers["location"]
    html = client.get(page_url).text
    assert "draft" in html
    assert "TLP:AMBER" in html
    assert "Publish it" not in html
    assert SHARED_WITH_COMPANY in html
    assert f'href="{page_url}"' in client.get("/contribute").text

    other = TestClient(client.app, base_url="https://testserver")
    sign_in(other, "intel@sec.example")
    assert other.get(page_url).status_code == 404  # a draft is its organisation's only

    reviewer = TestClient(client.app, base_url="https://testserver")
    sign_in(reviewer, "chief@mfa.example")
    token = csrf_of(reviewer, page_url)
    assert "Publish it" in reviewer.get(page_url).text
    assert reviewer.post(f"{page_url}/publish", data={"csrf_token": token}).status_code == 200
    assert other.get(page_url).status_code == 200  # published, AMBER shared with the company
    assert "Shared with" not in other.get(page_url).text

    refused = client.post(  # published: a contributor's change would skip review
        f"{page_url}/edit",
        data={
            "csrf_token": csrf_of(client, f"{page_url}/edit"),
            "summary": "Quietly changed.",
            "marking": "AMBER",
            "shares": "",
            "revision": "2",
        },
    )
    assert refused.status_code == 403
    assert "Quietly changed." not in client.get(page_url).text
    assert SHARED_WITH_COMPANY in client.get(page_url).text  # nothing half-written

    client = reviewer
    edit = client.get(f"{page_url}/edit").text
    assert "History" in edit
    response = client.post(
        f"{page_url}/edit",
        data={
            "csrf_token": csrf_of(client, f"{page_url}/edit"),
            "summary": "We still dispute it.",
            "marking": "AMBER",
            "shares": "test-security-co",
            "revision": "2",
        },
    )
    assert response.status_code == 200
    assert response.url.path.endswith("/history")
    assert response.text.count("<tr>") >= 4  # header + three revisions
    assert "<td>summary</td>" in response.text  # what the edit changed
    assert '<td><a href="/actors/test-security-co">Test Security Co</a></td>' in response.text
    assert "We still dispute it." in client.get(page_url).text


def test_edit_form_shows_every_error_at_once_and_saves_nothing(client: TestClient) -> None:
    sign_in(client, "analyst@mfa.example")
    created = client.post(
        "/contribute/claim",
        data=_claim_form(client, summary="First words."),
        follow_redirects=False,
    )
    page_url = created.headers["location"]
    response = client.post(
        f"{page_url}/edit",
        data={
            "csrf_token": csrf_of(client, f"{page_url}/edit"),
            "summary": "Second words.",
            "date": "2018-13",
            "stance": "shrugs",
            "marking": "PURPLE",
            "shares": "no-such-org",
            "revision": "1",
        },
    )
    assert response.status_code == 422
    for name in ("date", "stance", "marking", "shares"):
        assert re.search(rf'id="e-{name}" role="alert">', response.text), name
    assert "Second words." in response.text  # what was typed is kept
    assert "Nothing was saved" in response.text
    assert "First words." in client.get(page_url).text
    assert "Second words." not in client.get(page_url).text
    history = client.get(f"{page_url}/history").text
    assert history.count("<tr>") == 2  # header + the one revision


def test_anonymous_cannot_contribute(client: TestClient) -> None:
    response = client.get("/contribute/claim")
    assert response.status_code == 401
    assert "Sign in" in response.text


def test_briefing_report_has_every_section_with_charts_and_sources(
    world: World, tmp_path: Path
) -> None:
    from accord import report

    html = report.build(world.kb)
    for anchor in ("landscape", "norms", "saydo", "contested", "divide", "sources"):
        assert f'<section id="{anchor}">' in html
    assert html.count("<svg") >= 5
    assert 'href="https://example.org/statement"' in html
    assert "Sensitive ministry assessment" not in html
    assert SCRIPT not in html
    out = report.write(world.kb, tmp_path / "briefing.pdf", fmt="pdf")
    assert out.read_bytes().startswith(b"%PDF")
    with pytest.raises(BadRequest):
        report.write(world.kb, tmp_path / "briefing.doc", fmt="doc")


BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_index_pages_list_and_count_what_the_viewer_may_see(
    client: TestClient, world: World
) -> None:
    incidents = client.get("/incidents").text
    assert 'href="/incidents/wannacry">WannaCry</a>' in incidents
    assert "An attribution claim you may see is known for 1 of 1" in incidents
    assert 'href="/actors/state-kp">North Korea</a>' in incidents  # attributed to, by name
    actors = client.get("/actors?kind=state").text
    assert "North Korea" in actors
    assert "United States" in actors
    assert ESCAPED not in actors  # the threat group: the filter holds
    initiatives = client.get("/initiatives").text
    assert "Participants are known for 1 of 1" in initiatives
    for path in ("/incidents", "/actors", "/norms", "/initiatives"):
        assert f'<li><a href="{path}" aria-current="page">' in client.get(path).text


def test_norms_index_shows_the_crosswalk_as_one_table(client: TestClient, world: World) -> None:
    world.kb.bulk_create(
        [
            initiative("gge-2015", "un_process", "2015", name="UN GGE 2015"),
            norm("norm-gge-13f", "gge-2015", code="13(f)", equivalents=["norm-paris-1"]),
        ],
        SYSTEM,
    )
    html = client.get("/norms").text
    table = html[html.index('<table class="crosswalk">') : html.index("</table>")]
    assert re.search(
        r"<th scope=\"row\">1</th>.*/norms/norm-paris-1.*/norms/norm-gge-13f", table, re.S
    )
    assert ">Paris Call</a></th>" in table
    assert ">UN GGE 2015</a></th>" in table
    assert "2 of them are linked to an equivalent norm" in html


@pytest.mark.parametrize(
    ("query", "listed"),
    [
        ("year=2017", True),
        ("year=2016", False),
        ("effect=ransomware", True),
        ("effect=espionage", False),
        ("state=state-kp", True),  # attributed to it
        ("state=state-us", False),  # only a claimant
        ("year=2017&effect=ransomware&state=state-kp", True),
    ],
)
def test_incident_filters(client: TestClient, query: str, listed: bool) -> None:
    html = client.get(f"/incidents?{query}").text
    assert ('href="/incidents/wannacry"' in html) is listed, query


def test_incident_filter_never_counts_a_claim_the_viewer_may_not_see(
    client: TestClient, world: World
) -> None:
    chief = accounts.find_user(world.kb, "chief@mfa.example").viewer
    hidden = claim(f"{world.ministry}.claim-us-did-it", world.ministry, "wannacry", "state-us")
    world.kb.create({**hidden, "marking": "AMBER"}, chief)
    assert 'href="/incidents/wannacry"' not in client.get("/incidents?state=state-us").text
    sign_in(client, "analyst@mfa.example")
    assert 'href="/incidents/wannacry"' in client.get("/incidents?state=state-us").text


def test_incident_index_pages_by_keyset_newest_first(client: TestClient, world: World) -> None:
    from accord.web.pages import listing

    world.kb.bulk_create(
        [incident(f"inc-{i}", f"Incident {i}", start=f"20{10 + i}-01") for i in range(5)], SYSTEM
    )
    seen: list[str] = []
    cursor = None
    while True:
        page = listing.incidents(world.kb, ANONYMOUS, after=cursor, limit=2)
        assert page.total == 6
        seen += [r.id for r in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["wannacry", "inc-4", "inc-3", "inc-2", "inc-1", "inc-0"]
    html = client.get("/incidents").text
    assert "Next page" not in html  # 6 fit on the first page


def test_unknown_state_filter_is_explained_on_a_page(client: TestClient) -> None:
    response = client.get("/incidents?state=nobody", headers=BROWSER)
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "no actor you may see has the id" in response.text


@pytest.mark.parametrize(
    ("path", "status"),
    [("/search?kind=foo", 422), ("/no-such-page", 404), ("/incidents?effect=zzz", 422)],
)
def test_errors_are_pages_for_browsers_and_json_for_api_clients(
    client: TestClient, path: str, status: int
) -> None:
    page = client.get(path, headers=BROWSER)
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert "Back to the home page" in page.text
    assert "content-security-policy" in page.headers
    data = client.get(path, headers={"accept": "application/json"})
    assert data.status_code == status
    assert set(data.json()["error"]) >= {"code", "message"}


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/incidents/nope", "/taxii2/nope/"])
def test_api_and_taxii_errors_stay_json_for_browsers(client: TestClient, path: str) -> None:
    response = client.get(path, headers=BROWSER)
    assert response.status_code in (404, 406)  # TAXII refuses a browser's Accept first
    assert "json" in response.headers["content-type"]
    assert response.json()  # the API's error body, or TAXII's


def test_api_index_is_json_for_clients_and_a_page_for_browsers(client: TestClient) -> None:
    body = client.get("/api/v1").json()
    assert body["openapi"] == "/api/v1/openapi.json"
    assert body["docs"] == "/api/v1/docs"
    paths = {op["path"] for group in body["entry_points"] for op in group["operations"]}
    assert {"/api/v1/incidents", "/api/v1/search", "/api/v1/export/stix"} <= paths
    html = client.get("/api/v1", headers=BROWSER)
    assert html.headers["content-type"].startswith("text/html")
    assert '<a href="/api/v1/incidents"><code>/api/v1/incidents</code></a>' in html.text
    assert 'href="/api/v1/docs"' in html.text


def test_api_docs_are_served_from_the_package(client: TestClient) -> None:
    html = client.get("/api/v1/docs").text
    assert 'src="/static/swagger-ui/swagger-ui-bundle.js"' in html
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert client.get("/static/swagger-ui/swagger-ui.css").status_code == 200
    assert client.get("/static/api-docs.js").status_code == 200


def test_critical_infrastructure_unset_is_not_recorded(client: TestClient, world: World) -> None:
    assert "not recorded" in client.get("/incidents/wannacry").text
    world.kb.bulk_create([incident("stuxnet", "Stuxnet", critical_infrastructure=False)], SYSTEM)
    html = client.get("/incidents/stuxnet").text
    assert "<dt>Critical infrastructure</dt><dd>no</dd>" in html


_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
#: src/href of what a browser loads by itself: scripts, styles, fonts, images, frames.
_LOADED = re.compile(
    r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*?\bsrc=\"([^\"]*)\""
    r"|<link\b[^>]*?\bhref=\"([^\"]*)\""
    r"|url\(\s*['\"]?([^)'\"]*)"
    r"|@import\s+['\"]([^'\"]*)",
    re.I,
)


def visible_text(html: str) -> str:
    """What a person reads on a page: tags, scripts and styles removed, entities decoded."""
    import html as entities

    return entities.unescape(_TAGS.sub(" ", html))


def external_sources(html: str) -> list[str]:
    """The sources a page makes the browser load from anywhere but the app itself."""
    found = (next(g for g in m.groups() if g is not None) for m in _LOADED.finditer(html))
    return [s for s in found if s.startswith(("http:", "https:", "//"))]


def test_every_page_of_the_bundled_dataset_reads_names_and_loads_nothing_from_elsewhere(
    kb: KnowledgeBase,
) -> None:
    """Every record page, index and view of the curated dataset, as an anonymous reader:
    no record or organisation id in the visible text (ids stay in URLs), and no script, style,
    font or image from outside the app (the API's documentation included)."""
    from accord import dataset
    from accord.store.schema import organisations
    from accord.web.pages.templating import record_url

    dataset.load(kb)
    every = list(kb.iter_records(SYSTEM))
    with kb._engine.connect() as conn:
        orgs = {
            oid
            for (oid,) in conn.execute(organisations.select().with_only_columns(organisations.c.id))
        }
    slugs = sorted(
        (i for i in {r.id for r in every} | orgs if "-" in i or "." in i), key=len, reverse=True
    )
    raw_id = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, slugs)) + r")(?![\w-])")
    paths = [
        "/",
        "/search",
        "/search?q=russia",
        "/incidents",
        "/incidents?effect=espionage",
        "/actors",
        "/norms",
        "/initiatives",
        "/landscape",
        "/network",
        "/network/graph",
        "/governance",
        "/api/v1",
        "/api/v1/docs",
        "/no-such-page",
        *(record_url(r) for r in every),
    ]
    app = create_app(Settings(), kb=kb)
    problems: list[str] = []
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        for path in paths:
            response = c.get(path, headers=BROWSER)
            if response.status_code != (404 if path == "/no-such-page" else 200):
                problems.append(f"{path}: status {response.status_code}")
                continue
            problems += [f"{path}: loads {src}" for src in external_sources(response.text)]
            text = visible_text(response.text)
            for m in raw_id.finditer(text):
                around = " ".join(text[max(0, m.start() - 50) : m.end() + 20].split())
                problems.append(f"{path}: shows the id {m.group(1)!r} in “{around}”")
        state = c.get("/actors/state-ru").text
    assert len(paths) > 1000
    assert problems == []
    assert 'id="breach-counts">Three counts of the same breaches' in state  # said why


@pytest.mark.parametrize(
    "path", ["/incidents?", "/actors?", "/norms", "/initiatives", "/api/v1", "/api/v1/docs"]
)
def test_index_pages_and_api_entry_points_are_documented(path: str) -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / "web.md"
    assert f"| `{path}" in docs.read_text(encoding="utf-8")


def test_year_facet_counts_only_when_things_happened(client: TestClient, world: World) -> None:
    world.kb.bulk_create(
        [actor("founded-2017", "Wannacorp", kind="company", founded="2017")], SYSTEM
    )
    html = client.get("/search?q=wanna").text
    year = html[
        html.index("Year of the event") : html.index("</fieldset>", html.index("Year of the event"))
    ]
    assert re.search(r"2017</a> <span class=\"muted\">\(3\)", year)  # the incident, two claims
    listed = client.get("/search?q=wanna&year=2017").text
    assert "Wannacorp" not in listed


@pytest.mark.parametrize(
    ("peak", "expected"),
    [
        (0, [0, 1]),
        (3, [0, 1, 2, 3]),
        (8, [0, 2, 4, 6, 8]),
        (14, [0, 5, 10, 15]),
        (198, [0, 50, 100, 150, 200]),
    ],
)
def test_column_chart_axis_has_round_ticks_up_to_the_peak(peak: int, expected: list[int]) -> None:
    from accord.web.pages.charts import stacked_columns, ticks

    assert ticks(peak) == expected
    svg = stacked_columns([("2017", {"a": peak})], ["a"], title="t")
    assert svg.count('text-anchor="end" class="val small">') == len(expected)  # a label a tick


def test_home_counts_link_to_the_index_pages(client: TestClient) -> None:
    html = client.get("/").text
    for kind, path in [("incidents", "/incidents"), ("actors", "/actors"), ("norms", "/norms")]:
        assert f'<a href="{path}">{kind}</a>' in html
