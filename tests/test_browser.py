"""Browser tests: Playwright drives Debian's Chromium against a real uvicorn server.

They sign in, search, open an incident, file a claim as one organisation and check that a user
of another organisation can't see it, and check that a hostile record name renders as text.
Screenshots of the main pages go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from playwright.sync_api import Browser, Page, sync_playwright

from accord import accounts, dataset
from accord.access import SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.conftest import actor, claim, incident, initiative, norm, participation

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
PASSWORD = "correct horse battery staple"
SCRIPT = "<script>alert(1)</script>"

# A developer without Chromium skips these; CI (ACCORD_REQUIRE_BROWSER=1) fails instead.
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and os.environ.get("ACCORD_REQUIRE_BROWSER") != "1",
    reason="Debian chromium is not installed (scripts/test.sh installs it)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _seed(kb: KnowledgeBase) -> None:
    ministry = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    company = accounts.create_org(kb, "Test Security Co", Sector.PRIVATE)
    accounts.create_user(
        kb, "analyst@mfa.example", ministry, UserRole.CONTRIBUTOR, password=PASSWORD
    )
    accounts.create_user(kb, "intel@sec.example", company, UserRole.CONTRIBUTOR, password=PASSWORD)
    kb.bulk_create(
        [
            actor("state-kp", "North Korea"),
            actor("state-us", "United States"),
            actor("evil", SCRIPT, kind="threat_group"),
            incident(
                "wannacry",
                "WannaCry",
                start="2017-05-12",
                description="Ransomware worm that hit the NHS.",
            ),
            incident("notpetya", "NotPetya", start="2017-06-27"),
            initiative("paris-call", "multistakeholder", "2018-11", name="Paris Call"),
            norm("norm-paris-1", "paris-call", code="1", title="Protect individuals"),
            participation("part-us-paris", "state-us", "paris-call", role="supporter"),
            claim(
                "claim-us-wannacry",
                "state-us",
                "wannacry",
                "state-kp",
                summary="The US attributes WannaCry.",
            ),
            claim("claim-us-evil", "state-us", "notpetya", "evil"),
        ],
        SYSTEM,
    )


@contextlib.contextmanager
def _serve(kb: KnowledgeBase) -> Iterator[str]:
    """A uvicorn server over ``kb`` on a free loopback port, for the duration of the block."""
    app = create_app(Settings(secure_cookies=False), kb=kb)
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a seeded SQLite database."""
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    kb = KnowledgeBase(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'accord.db'}")
    kb.initialise()
    _seed(kb)
    try:
        with _serve(kb) as base:
            yield base
    finally:
        kb.close()
        patch.undo()


@pytest.fixture(scope="module")
def dataset_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over the bundled dataset (what a newcomer sees after accord init)."""
    kb = KnowledgeBase(f"sqlite:///{tmp_path_factory.mktemp('dataset') / 'accord.db'}")
    kb.initialise()
    dataset.load(kb)
    try:
        with _serve(kb) as base:
            yield base
    finally:
        kb.close()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser: Browser, **options: Any) -> Page:
    context = browser.new_context(**options)
    return context.new_page()


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")
    assert page.get_by_role("button", name="Sign out").is_visible()


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_sign_in_search_and_open_an_incident(browser: Browser, server: str) -> None:
    page = _page(browser, viewport={"width": 1280, "height": 900})
    _sign_in(page, server, "intel@sec.example")
    _shot(page, "home")
    page.goto(f"{server}/search")
    page.get_by_label("Search Accord").fill("wanna")
    results = page.locator("#results")
    results.get_by_role(
        "link", name="WannaCry", exact=True
    ).wait_for()  # htmx swapped the results in
    assert "q=wanna" in page.url
    _shot(page, "search")
    results.get_by_role("link", name="WannaCry", exact=True).click()
    page.wait_for_url(f"{server}/incidents/wannacry")
    assert page.get_by_role("heading", level=1).inner_text() == "WannaCry"
    assert page.get_by_text("The US attributes WannaCry.").is_visible()
    assert page.locator(".tlp-clear").first.is_visible()
    _shot(page, "incident")
    for path, name in [
        ("/actors/state-kp", "actor"),
        ("/norms/norm-paris-1", "norm"),
        ("/initiatives/paris-call", "initiative"),
        ("/landscape", "landscape"),
        ("/network", "network"),
        ("/governance", "governance"),
    ]:
        page.goto(server + path)
        assert page.locator("main h1").is_visible()
        if name == "network":
            page.locator("#graph svg.network").wait_for()  # loaded by htmx
            page.locator("svg.network .nodes a").first.hover()
            assert page.locator("svg.network.focus").count() == 1  # graph.js highlights
        _shot(page, name)


def test_claim_of_one_organisation_is_hidden_from_another(browser: Browser, server: str) -> None:
    page = _page(browser, viewport={"width": 1280, "height": 900})
    _sign_in(page, server, "analyst@mfa.example")
    page.goto(f"{server}/incidents/wannacry")
    page.get_by_role("link", name="File a claim or dispute about this incident").click()
    assert page.get_by_label("Incident", exact=True).input_value() == "WannaCry"
    page.get_by_label("Stance").select_option("disputes")
    page.get_by_label("Accused actor").fill("nobody-at-all")
    page.get_by_label("Kind of claim").select_option("official_statement")
    page.get_by_label("Date of the claim").fill("2018-01")
    page.get_by_label("Summary (your own words)").fill("Ministry-only dispute text.")
    page.get_by_label("Title").fill("Internal note")
    page.get_by_label("Publisher").fill("Ministry of Test")
    page.get_by_label("URL").fill("https://mfa.example/note")
    page.get_by_label("TLP marking").select_option("AMBER+STRICT")
    page.get_by_role("button", name="Save draft").click()
    error = page.locator("#e-accused")
    assert "nobody-at-all" in error.inner_text()  # explained next to the field
    _shot(page, "claim-form-error")
    page.get_by_label("Accused actor").fill("state-kp")
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(f"{server}/claims/**")
    claim_url = page.url
    assert page.locator(".tlp-amber-strict").first.is_visible()
    _shot(page, "claim-draft")
    page.goto(f"{server}/incidents/wannacry")
    assert page.get_by_text("Ministry-only dispute text.").is_visible()

    other = _page(browser, viewport={"width": 1280, "height": 900})
    _sign_in(other, server, "intel@sec.example")
    response = other.goto(claim_url)
    assert response is not None
    assert response.status == 404
    other.goto(f"{server}/incidents/wannacry")
    assert other.get_by_text("Ministry-only dispute text.").count() == 0
    other.goto(f"{server}/search?q=dispute")
    assert other.get_by_text("Ministry-only dispute text.").count() == 0


def test_hostile_name_renders_as_text_on_a_narrow_screen(browser: Browser, server: str) -> None:
    page = _page(browser, viewport={"width": 375, "height": 800})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{server}/actors/evil")
    assert page.get_by_role("heading", level=1).inner_text() == SCRIPT
    page.goto(f"{server}/incidents/notpetya")
    assert page.get_by_role("link", name=SCRIPT).first.is_visible()
    _shot(page, "narrow-incident")
    assert dialogs == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, "the page scrolls sideways on a narrow screen"


def test_keyboard_reaches_the_main_content(browser: Browser, server: str) -> None:
    page = _page(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


INDEX_PAGES = [
    ("/incidents", "incidents"),
    ("/actors", "actors"),
    ("/norms", "norms"),
    ("/initiatives", "initiatives"),
    ("/api/v1", "api-index"),
    ("/search?kind=foo", "error-422"),
    ("/no-such-page", "error-404"),
]


def test_index_pages_and_the_api_docs_request_nothing_from_elsewhere(
    browser: Browser, server: str
) -> None:
    page = _page(browser, viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith((server, "data:", "blob:")) else elsewhere.append(r.url),
    )
    _sign_in(page, server, "intel@sec.example")
    for path, name in INDEX_PAGES:
        page.goto(server + path)
        assert page.locator("main h1").is_visible(), path
        _shot(page, name)
    page.goto(f"{server}/api/v1/docs")
    page.locator(".swagger-ui .opblock-tag").first.wait_for()  # Swagger UI drew the document
    assert page.get_by_text("/api/v1/incidents", exact=True).first.is_visible()
    _shot(page, "api-docs")
    for path in ("/", "/incidents/wannacry", "/actors/state-kp", "/landscape", "/network"):
        page.goto(server + path)
    page.locator("#graph svg.network").wait_for()
    assert elsewhere == []


def test_incident_filters_in_the_browser(browser: Browser, server: str) -> None:
    page = _page(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{server}/incidents")
    rows = page.locator("main table tbody tr")
    assert rows.count() == 2
    page.get_by_label("State (attributed or targeted)").select_option(label="North Korea")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/incidents?*state=state-kp*")
    assert rows.count() == 1
    assert page.get_by_role("link", name="WannaCry", exact=True).is_visible()
    assert "known for 1 of 1" in page.locator("p.count").inner_text()
    _shot(page, "incidents-filtered")
    page.get_by_label("Year").fill("2016")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**year=2016**")
    assert page.get_by_text("No incident you may see matches these filters.").is_visible()


DATASET_PAGES = [
    ("/", "dataset-home"),
    ("/incidents", "dataset-incidents"),
    ("/incidents?state=state-ru&effect=sabotage", "dataset-incidents-filtered"),
    ("/actors?kind=state", "dataset-actors"),
    ("/norms", "dataset-norms"),
    ("/initiatives", "dataset-initiatives"),
    ("/incidents/notpetya", "dataset-incident"),
    ("/actors/state-ru", "dataset-state"),
    ("/norms/norm-ungge2015-13f", "dataset-norm"),
    ("/landscape", "dataset-landscape"),
]


def test_bundled_dataset_pages_request_nothing_from_elsewhere(
    browser: Browser, dataset_server: str
) -> None:
    """The pages a newcomer opens first, over the curated dataset, with a screenshot each."""
    page = _page(browser, viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((dataset_server, "data:", "blob:"))
            else elsewhere.append(r.url)
        ),
    )
    for path, name in DATASET_PAGES:
        response = page.goto(dataset_server + path)
        assert response is not None
        assert response.status == 200, path
        assert page.locator("main h1").is_visible(), path
        _shot(page, name)
    assert elsewhere == []


def test_three_organisations_publish_a_joint_attribution_through_the_workspace_pages(
    browser: Browser, tmp_path: Path
) -> None:
    """A ministry opens a workspace, a second government and a security firm accept the
    embargo and join (one with its own wording), the ministry joins and publishes; each
    organisation's claim is then on the incident's page. Times are typed in Paris time."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from playwright.sync_api import Dialog

    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    kb = KnowledgeBase(f"sqlite:///{tmp_path / 'workspaces.db'}")
    kb.initialise()
    kb.bulk_create([incident("notpetya", "NotPetya"), actor("state-ru", "Russia")], SYSTEM)
    for name in ("Ministry", "Second Government", "Security Firm"):
        org = accounts.create_org(kb, name, Sector.GOVERNMENT)
        accounts.create_user(kb, f"chief@{org}.example", org, UserRole.REVIEWER, password=PASSWORD)
    today = dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    embargo = f"{today + dt.timedelta(days=4)} 12:00"
    deadline = f"{today + dt.timedelta(days=2)} 12:00"
    statement = "The GRU was almost certainly responsible for NotPetya."
    wording = "NotPetya came from the territory of Russia; we stand with our partners."
    try:
        with _serve(kb) as base:
            pages = {}
            elsewhere: list[str] = []
            dialogs: list[str] = []

            def note_dialog(dialog: Dialog) -> None:
                dialogs.append(dialog.message)
                dialog.dismiss()

            for org in ("ministry", "second-government", "security-firm"):
                page = _page(browser, viewport={"width": 1280, "height": 900})
                page.on(
                    "request",
                    lambda r: (
                        None
                        if r.url.startswith((base, "data:", "blob:"))
                        else elsewhere.append(r.url)
                    ),
                )
                page.on("dialog", note_dialog)
                _sign_in(page, base, f"chief@{org}.example")
                pages[org] = page

            owner = pages["ministry"]
            owner.get_by_role("link", name="Workspaces").click()
            owner.get_by_role("link", name="Open a new workspace").click()
            owner.get_by_label("Times in").fill("Europe/Paris")
            owner.get_by_role("button", name="Change zone").click()
            owner.wait_for_url(f"{base}/workspaces/new")
            owner.get_by_label("Incident").fill("NotPetya")
            owner.get_by_label("Accused actor").fill("Russia")
            owner.get_by_label("Level").select_option("agency")
            owner.get_by_label("Draft statement").fill(statement)
            owner.get_by_label("Embargo end").fill(embargo)
            owner.get_by_label("Organisation 1", exact=True).fill("Second Government")
            owner.get_by_label("Answer deadline 1", exact=True).fill(deadline)
            owner.get_by_label("Organisation 2", exact=True).fill("Security Firm")
            owner.get_by_label("Answer deadline 2", exact=True).fill(deadline)
            _shot(owner, "workspace-new")
            owner.get_by_role("button", name="Open the workspace").click()
            owner.wait_for_url(f"{base}/workspaces/ws-*")
            workspace = owner.url
            assert f"{embargo} Europe/Paris" in owner.locator("main").inner_text()
            assert " UTC" in owner.locator("main").inner_text()
            _shot(owner, "workspace-dashboard-invited")

            for org in ("second-government", "security-firm"):
                page = pages[org]
                page.get_by_role("link", name="Workspaces").click()
                page.get_by_role("link", name="Joint attribution: NotPetya").click()
                page.wait_for_url(workspace)
                assert page.get_by_text(statement).count() == 0  # the envelope only
                assert page.get_by_text("Ministry", exact=True).is_visible()
                if org == "second-government":
                    _shot(page, "workspace-envelope")
                page.get_by_role("button", name="Accept the embargo").click()
                page.get_by_text(statement).wait_for()
                page.get_by_label("Your answer").select_option(
                    "join_with_wording" if org == "second-government" else "join"
                )
                if org == "second-government":
                    page.get_by_label("Your organisation's text").fill(wording)
                    page.get_by_label("Stance").select_option("locates")
                    page.get_by_label("Level").select_option("territory")
                    _shot(page, "workspace-participant")
                page.get_by_role("button", name="Give our answer").click()
                page.wait_for_url(f"{workspace}#position")
                assert "joins" in page.locator("#position").inner_text()

            owner.reload()
            owner.get_by_label("Your answer").select_option("join")
            owner.get_by_role("button", name="Give our answer").click()
            owner.wait_for_url(f"{workspace}#position")
            dashboard = owner.locator("#dashboard").inner_text()
            assert "joins with its own wording" in dashboard
            assert "Security Firm" in dashboard
            _shot(owner, "workspace-dashboard-joined")
            owner.get_by_role("button", name="Publish now").click()
            owner.get_by_role("link", name="the claims on the incident's page").click()
            owner.wait_for_url(f"{base}/incidents/notpetya")
            main = owner.locator("main").inner_text()
            for name in ("Ministry", "Second Government", "Security Firm"):
                assert name in main
            assert wording in main  # its own wording, as its own claim
            _shot(owner, "workspace-published-incident")
            assert elsewhere == []
            assert dialogs == []
    finally:
        kb.close()
        patch.undo()
