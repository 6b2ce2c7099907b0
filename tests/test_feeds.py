"""Federation feeds between live Accord instances (uvicorn on local ports, each with its own
database): incremental pulls, provenance, updates and conflicts, dry runs, resumption after
an interrupted pull, markings (AMBER stays with the subscribing organisation, RED never
syncs) and a ring of three instances without loop copies — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import Viewer
from accord.domain.stable_ids import uuid5
from accord.domain.vocab import Sector, UserRole
from accord.errors import NotFound, RemoteError
from accord.federation import feeds, origins, remote
from accord.federation.pull import OVERLAP, PullReport, pull
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.cli_runner import RunCli
from tests.conftest import FrozenClock, actor, claim, fresh_postgres_database, incident
from tests.live_server import serve

KEY = "k" * 40


@dataclass
class Instance:
    """A live Accord instance: its database, its server's base URL, one organisation with a
    reviewer (and an API token on this instance)."""

    kb: KnowledgeBase
    url: str
    org: str
    reviewer: str
    viewer: Viewer
    token: str

    @property
    def api_root(self) -> str:
        return f"{self.url}/taxii2/accord/"

    def add(self, *items: dict[str, Any], marking: str = "CLEAR") -> list[str]:
        """Create records (ids given without the organisation's prefix) as the reviewer."""
        prefixed = []
        for item in items:
            item = {**item, "id": f"{self.org}.{item['id']}", "marking": marking}
            prefixed.append(item)
        return self.kb.bulk_create(prefixed, self.viewer).created


def collection(key: str) -> str:
    """The id of an Accord TAXII collection by its key (``public``, ``org:<org>``)."""
    return uuid5(f"taxii-collection:{key}")


@pytest.fixture
def net(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str], Instance]]:
    """Start instances on demand (the first on the test's database, the others on databases
    of the same backend), each serving TAXII on a free local port."""
    monkeypatch.setenv("ACCORD_FEED_KEY", KEY)
    cleanup: list[Callable[[], None]] = []
    made: list[Instance] = []

    def make(name: str) -> Instance:
        if not made:
            url = db_url
        elif db_url.startswith("sqlite"):
            url = f"sqlite:///{tmp_path / f'{name}.db'}"
        else:
            extra = fresh_postgres_database("accord_feeds")
            url = next(extra)
            cleanup.append(lambda: next(extra, None))
        kb = KnowledgeBase(url, clock=FrozenClock())
        kb.initialise()
        org = accounts.create_org(kb, f"{name.title()} Org", Sector.GOVERNMENT, org_id=name)
        email = f"reviewer@{name}.example"
        user = accounts.create_user(kb, email, org, UserRole.REVIEWER)
        token = accounts.create_token(kb, email)[1]
        base, stop = serve(kb)
        cleanup.append(stop)
        cleanup.append(kb.close)
        made.append(Instance(kb, base, org, email, user.viewer, token))
        return made[-1]

    yield make
    for step in reversed(cleanup):
        step()


def subscribe(to: Instance, source: Instance, name: str, key: str = "public") -> None:
    """``to`` subscribes to a collection of ``source``, with a token of ``source``'s reviewer."""
    feeds.add(
        to.kb,
        name,
        source.api_root,
        collection(key),
        user_email=to.reviewer,
        token=source.token,
    )


def copies_of(inst: Instance, source: Instance) -> dict[str, Any]:
    """The records on ``inst`` pulled from ``source``'s records, by id."""
    prefix = f"{inst.org}.{source.org}."
    return {r.id: r for r in inst.kb.iter_records(inst.viewer) if r.id.startswith(prefix)}


def world(a: Instance) -> None:
    a.add(
        actor("state-x", "State X"),
        actor("ministry", "A Ministry", kind="government_body"),
        incident("inc-1", "Incident One"),
    )
    a.add(claim("claim-1", f"{a.org}.ministry", f"{a.org}.inc-1", f"{a.org}.state-x"))


def test_first_pull_creates_and_a_second_pull_writes_nothing(
    net: Any, accord: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = net("alpha"), net("beta")
    world(a)
    subscribe(b, a, "from-alpha")
    first = pull(b.kb, "from-alpha", page_size=3)
    assert first.counts["create"] == 4
    assert first.pages >= 3
    assert "originated on this instance" in " ".join(o.reason for o in first.items)
    copies = copies_of(b, a)
    assert set(copies) == {f"beta.alpha.{n}" for n in ("state-x", "ministry", "inc-1", "claim-1")}
    copied_claim = copies["beta.alpha.claim-1"]
    assert copied_claim.data.incident == "beta.alpha.inc-1"
    assert copied_claim.owner == "beta"
    origin = origins.of_record(b.kb, "beta.alpha.inc-1")
    assert origin is not None
    assert origin.feed == "from-alpha"
    assert origin.remote_id == f"incident--{uuid5('alpha.inc-1')}"
    audit_before = b.kb.audit_head()
    committed = feeds.get(b.kb, "from-alpha").cursor.added_after
    assert committed is not None
    asked: list[str | None] = []
    real = remote.Remote.page

    def spy(self: remote.Remote, after: str | None, *rest: Any) -> remote.RemotePage:
        asked.append(after)
        return real(self, after, *rest)

    monkeypatch.setattr(remote.Remote, "page", spy)
    second = pull(b.kb, "from-alpha")
    monkeypatch.setattr(remote.Remote, "page", real)
    assert asked[0] == m.timestamp(m.parse_timestamp(committed) - OVERLAP)
    assert second.counts.get("create", 0) == second.counts.get("update", 0) == 0
    assert b.kb.audit_head() == audit_before
    assert feeds.get(b.kb, "from-alpha").cursor.next_page is None
    shown = show(b, "beta.alpha.inc-1", accord, monkeypatch)
    assert f"pulled from feed from-alpha: incident--{uuid5('alpha.inc-1')}" in shown


def test_the_origin_shows_on_the_page_and_history_to_the_pulling_organisation(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    world(a)
    subscribe(b, a, "from-alpha")
    pull(b.kb, "from-alpha")
    line = "Pulled by your organisation from feed from-alpha: incident--"
    member = {"Authorization": f"Bearer {b.token}"}
    with TestClient(create_app(Settings(), kb=b.kb), base_url="https://testserver") as client:
        for path in ("/incidents/beta.alpha.inc-1", "/incidents/beta.alpha.inc-1/history"):
            assert line in client.get(path, headers=member).text, path
            anonymous = client.get(path)
            assert anonymous.status_code == 200  # CLEAR: anyone reads the copy
            assert "from-alpha" not in anonymous.text  # whom beta subscribes to is its own
    outsider = accounts.create_org(b.kb, "Other Org", Sector.PRIVATE, org_id="other")
    other = accounts.create_user(b.kb, "r@other.example", outsider, UserRole.READER).viewer
    assert origins.shown_to(b.kb, other, "beta.alpha.inc-1") is None
    assert origins.shown_to(b.kb, b.viewer, "beta.alpha.inc-1") is not None


def show(inst: Instance, record_id: str, accord: RunCli, monkeypatch: pytest.MonkeyPatch) -> str:
    """What ``accord show`` prints for the instance's reviewer (wide, on one line each)."""
    monkeypatch.setenv("COLUMNS", "400")
    db = inst.kb._engine.url.render_as_string(hide_password=False)
    return accord("show", record_id, "--as", inst.reviewer, db=db).ok()


def test_pulled_objects_keep_their_stix_ids_when_served_again(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    world(a)
    subscribe(b, a, "from-alpha")
    pull(b.kb, "from-alpha")
    served = remote.Remote(b.api_root, collection("public"), None, feed="check")
    ids = {o["id"] for o in served.page(None, None, 100).objects}
    assert f"incident--{uuid5('alpha.inc-1')}" in ids


def test_a_newer_remote_version_updates_the_local_copy(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    world(a)
    subscribe(b, a, "from-alpha")
    pull(b.kb, "from-alpha")
    a.kb.update("alpha.inc-1", a.viewer, data={"name": "Incident One, renamed"})
    report = pull(b.kb, "from-alpha")
    assert report.counts["update"] == 1
    copy = b.kb.get("beta.alpha.inc-1", b.viewer)
    assert copy.name == "Incident One, renamed"
    assert copy.revision == 2


def test_a_local_edit_then_a_remote_update_is_a_conflict(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    world(a)
    subscribe(b, a, "from-alpha")
    pull(b.kb, "from-alpha")
    b.kb.update("beta.alpha.inc-1", b.viewer, data={"name": "Edited here"})
    a.kb.update("alpha.inc-1", a.viewer, data={"name": "Edited there"})
    report = pull(b.kb, "from-alpha")
    assert report.counts["conflict"] == 1
    assert report.counts.get("update", 0) == 0
    [item] = [o for o in report.items if o.action == "conflict"]
    assert item.record == "beta.alpha.inc-1"
    assert "changed here" in item.reason
    assert b.kb.get("beta.alpha.inc-1", b.viewer).name == "Edited here"


def test_a_dry_run_previews_and_writes_nothing(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    world(a)
    subscribe(b, a, "from-alpha")
    head = b.kb.audit_head()
    preview = pull(b.kb, "from-alpha", dry_run=True, page_size=2)
    assert preview.counts["create"] == 4
    assert {o.action for o in preview.items} >= {"create", "skip"}
    assert copies_of(b, a) == {}
    assert b.kb.audit_head() == head
    assert feeds.get(b.kb, "from-alpha").cursor == feeds.Cursor()
    pull(b.kb, "from-alpha")
    a.kb.update("alpha.inc-1", a.viewer, data={"name": "Renamed"})
    b.kb.update("beta.alpha.state-x", b.viewer, data={"name": "Local"})
    a.kb.update("alpha.state-x", a.viewer, data={"name": "Remote"})
    again = pull(b.kb, "from-alpha", dry_run=True)
    assert again.counts["update"] == 1
    assert again.counts["conflict"] == 1
    assert b.kb.get("beta.alpha.inc-1", b.viewer).name == "Incident One"


def test_a_record_withdrawn_at_the_origin_becomes_a_tombstone_here(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    a.add(actor("state-w", "State W"), actor("state-v", "State V"))
    subscribe(b, a, "from-alpha")
    pull(b.kb, "from-alpha")
    a.kb.withdraw("alpha.state-w", a.viewer, "a mistaken entry")
    preview = pull(b.kb, "from-alpha", dry_run=True)
    assert preview.counts["withdraw"] == 1
    assert b.kb.tombstone("beta.alpha.state-w", b.viewer) is None
    report = pull(b.kb, "from-alpha")
    assert [(o.action, o.record) for o in report.items if o.action == "withdraw"] == [
        ("withdraw", "beta.alpha.state-w")
    ]
    gone = b.kb.tombstone("beta.alpha.state-w", b.viewer)
    assert gone is not None
    assert "revoked at the origin" in gone.reason
    assert set(copies_of(b, a)) == {"beta.alpha.state-v"}
    feeds.save_cursor(b.kb, "from-alpha", feeds.Cursor(), finished=True)  # read it all again
    again = pull(b.kb, "from-alpha")
    assert again.counts.get("withdraw", 0) == again.counts.get("create", 0) == 0


def test_a_pull_interrupted_after_its_first_page_resumes_without_loss_or_duplicates(
    net: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = net("alpha"), net("beta")
    a.add(*[actor(f"state-{i:02d}", f"State {i}") for i in range(30)])
    subscribe(b, a, "from-alpha")
    real = remote.Remote.page
    calls = {"n": 0}

    def failing(self: remote.Remote, *args: Any, **kwargs: Any) -> remote.RemotePage:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RemoteError("connection lost")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(remote.Remote, "page", failing)
    with pytest.raises(RemoteError):
        pull(b.kb, "from-alpha", page_size=20)  # the definitions, then records
    cursor = feeds.get(b.kb, "from-alpha").cursor
    assert cursor.next_page is not None
    first = copies_of(b, a)
    assert 0 < len(first) < 30
    monkeypatch.setattr(remote.Remote, "page", real)
    resumed = pull(b.kb, "from-alpha", page_size=20)
    assert resumed.resumed
    assert resumed.counts["create"] == 30 - len(first)
    copies = copies_of(b, a)
    assert set(copies) == {f"beta.alpha.state-{i:02d}" for i in range(30)}
    assert all(r.revision == 1 for r in copies.values())
    assert (
        len(
            origins.by_remote(
                b.kb, "beta", [f"identity--{uuid5(f'alpha.state-{i:02d}')}" for i in range(30)]
            )
        )
        == 30
    )


def test_a_stale_next_token_restarts_from_the_committed_cursor(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    a.add(*[actor(f"state-{i:02d}", f"State {i}") for i in range(8)])
    subscribe(b, a, "from-alpha")
    feeds.save_cursor(b.kb, "from-alpha", feeds.Cursor(None, "not-a-token", None), finished=False)
    report = pull(b.kb, "from-alpha", page_size=5)
    assert report.counts["create"] == 8


def test_amber_pulled_is_visible_only_to_the_subscribing_organisation(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    a.add(actor("state-q", "State Q"), marking="AMBER")
    a.add(actor("state-s", "State S"), marking="AMBER+STRICT")
    subscribe(b, a, "alpha-org", key="org:alpha")
    other = accounts.create_org(b.kb, "Gamma Org", Sector.GOVERNMENT, org_id="gamma")
    gamma = accounts.create_user(b.kb, "reader@gamma.example", other, UserRole.REVIEWER)
    accounts.create_user(b.kb, "admin@gamma.example", other, UserRole.INSTANCE_ADMIN)
    admin = {"Authorization": f"Bearer {accounts.create_token(b.kb, 'admin@gamma.example')[1]}"}
    with TestClient(create_app(Settings(secure_cookies=False), kb=b.kb)) as client:
        answer = client.post("/api/v1/feeds/alpha-org/pull", headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["counts"]["create"] == 3  # and alpha's own (GREEN) actor record
    named = {i["record"] for i in report["items"] if i["action"] == "create"}
    assert named == {None, "beta.alpha"}  # the admin sees the GREEN one only
    for rid, marking in (("beta.alpha.state-q", "AMBER"), ("beta.alpha.state-s", "AMBER+STRICT")):
        copy = b.kb.get(rid, b.viewer)
        assert copy.marking.value == marking
        assert copy.owner == "beta"
        assert copy.shares == ()
        with pytest.raises(NotFound):
            b.kb.get(rid, gamma.viewer)
        with pytest.raises(NotFound):
            b.kb.get(rid)


def test_red_never_arrives(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    a.add(actor("state-r", "State R"), marking="RED")
    a.add(actor("state-g", "State G"), marking="GREEN")
    subscribe(b, a, "alpha-org", key="org:alpha")
    report = pull(b.kb, "alpha-org")
    red = f"identity--{uuid5('alpha.state-r')}"
    assert [(o.action, o.reason) for o in report.items if o.remote_id == red] == [
        ("skip", "TLP:RED never syncs")
    ]
    assert set(copies_of(b, a)) == {"beta.alpha.state-g"}


def test_a_ring_of_three_instances_makes_no_loop_copies(net: Any) -> None:
    a, b, c = net("alpha"), net("beta"), net("gamma")
    for inst in (a, b, c):
        inst.add(incident("inc", f"Incident of {inst.org}"))
    subscribe(b, a, "from-a")
    subscribe(c, b, "from-b")
    subscribe(a, c, "from-c")
    rounds: list[dict[str, PullReport]] = []
    for _ in range(3):
        rounds.append(
            {
                inst.org: pull(inst.kb, name)
                for inst, name in ((b, "from-a"), (c, "from-b"), (a, "from-c"))
            }
        )
    for inst in (a, b, c):
        incidents = [
            r
            for r in inst.kb.list_records(inst.viewer, limit=500).items
            if r.kind.value == "incident"
        ]
        names = sorted(r.name for r in incidents)
        assert names == ["Incident of alpha", "Incident of beta", "Incident of gamma"], inst.org
    last = rounds[-1]
    assert all(r.counts.get("create", 0) == 0 for r in last.values())
    own = [o for r in rounds[0].values() for o in r.items if "originated" in o.reason]
    assert any(o.remote_id == f"incident--{uuid5('alpha.inc')}" for o in own)
    a.kb.withdraw("alpha.inc", a.viewer, "withdrawn at the source")
    for inst, name in ((b, "from-a"), (c, "from-b"), (a, "from-c")):
        pull(inst.kb, name)
    assert b.kb.tombstone("beta.alpha.inc", b.viewer) is not None
    assert c.kb.tombstone("gamma.beta.alpha.inc", c.viewer) is not None


def test_a_feed_token_is_sealed_and_never_shown(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    subscribe(b, a, "from-alpha")
    feed = feeds.get(b.kb, "from-alpha")
    assert a.token not in str(feed.to_json())
    assert feeds.credentials_of(b.kb, feed) == remote.Credentials("bearer", a.token)
