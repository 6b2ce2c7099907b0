"""Withdrawals (docs/withdrawals.md): a reviewer of the owner withdraws a published record; it
becomes a tombstone, gone from every read path but its own page (410 Gone to those who could
see it, the 404 of a missing record to anyone else), its history and TAXII (a revoked object);
importing a revoked object withdraws the record it maps to when the importer may."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.analysis import consensus, saydo
from accord.domain.vocab import Kind, Marking, Sector, Status, UserRole
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.interop import stix_mapping as m
from accord.interop.stix_export import iter_objects
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import audit_log, withdrawals
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.cli_runner import Run, RunCli
from tests.conftest import actor, claim, incident
from tests.stix_world import build_world
from tests.test_analysis_consensus import _sony
from tests.test_analysis_saydo import _world as saydo_world

TAXII = "application/taxii+json;version=2.1"
REASON = "The attribution was retracted by its source."
BUNDLE = "bundle--00000000-0000-4000-8000-000000000000"


@dataclass
class People:
    """Ministry (owner: reviewer, contributor, reader), firm (AMBER partner), ngo (outsider),
    each with a token for the web tests."""

    reviewer: Viewer
    contributor: Viewer
    reader: Viewer
    firm: Viewer
    ngo: Viewer
    tokens: dict[str, str]


@pytest.fixture
def people(kb: KnowledgeBase) -> People:
    for name, sector in (
        ("Ministry", Sector.GOVERNMENT),
        ("Firm", Sector.PRIVATE),
        ("NGO", Sector.CIVIL_SOCIETY),
    ):
        accounts.create_org(kb, name, sector)
    made = {
        "reviewer": ("chief@ministry.example", "ministry", UserRole.REVIEWER),
        "contributor": ("analyst@ministry.example", "ministry", UserRole.CONTRIBUTOR),
        "reader": ("reader@ministry.example", "ministry", UserRole.READER),
        "firm": ("lead@firm.example", "firm", UserRole.REVIEWER),
        "ngo": ("research@ngo.example", "ngo", UserRole.REVIEWER),
    }
    viewers = {k: accounts.create_user(kb, *v).viewer for k, v in made.items()}
    tokens = {k: accounts.create_token(kb, v[0])[1] for k, v in made.items()}
    return People(**viewers, tokens=tokens)


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(), kb=kb), raise_server_exceptions=False) as c:
        yield c


def _amber(kb: KnowledgeBase, people: People, rid: str = "ministry.apt-x") -> str:
    """A published AMBER actor of the ministry, shared with the firm."""
    raw = actor(rid, "APT X", kind="threat_group")
    raw.update(marking=Marking.AMBER, shares=["firm"])
    kb.create(raw, people.reviewer)
    return rid


def _green(
    kb: KnowledgeBase, people: People, rid: str = "ministry.apt-g", name: str = "APT Green"
) -> str:
    raw = actor(rid, name, kind="threat_group")
    raw["marking"] = Marking.GREEN
    kb.create(raw, people.reviewer)
    return rid


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


# -- the library -------------------------------------------------------------------------------


def test_reviewer_withdraws_and_the_record_leaves_lists_search_and_counts(
    kb: KnowledgeBase, people: People
) -> None:
    rid = _green(kb, people)
    kept = _green(kb, people, "ministry.apt-kept", "Kept Group")
    before = kb.count(people.ngo)["actor"]
    tombstone = kb.withdraw(rid, people.reviewer, f"  {REASON}\n")
    assert (tombstone.record.id, tombstone.record.kind, tombstone.record.name) == (
        rid,
        Kind.ACTOR,
        "APT Green",
    )
    assert tombstone.reason == REASON  # whitespace folded
    assert tombstone.record.status is Status.WITHDRAWN
    for viewer in (people.reviewer, people.ngo):
        listed = [r.id for r in kb.list_records(viewer, kind=Kind.ACTOR, limit=500).items]
        assert rid not in listed
        assert kept in listed
        assert [h.record.id for h in kb.search("APT Green", viewer)] == []
        assert rid not in kb.visible_ids([rid, kept], viewer)
        assert rid not in kb.get_many([rid], viewer)
        with pytest.raises(NotFound):
            kb.get(rid, viewer)
    assert kb.count(people.ngo)["actor"] == before - 1


def test_tombstone_is_for_those_who_could_see_the_record(kb: KnowledgeBase, people: People) -> None:
    amber, green = _amber(kb, people), _green(kb, people)
    kb.withdraw(amber, people.reviewer, REASON)
    kb.withdraw(green, people.reviewer, REASON)
    for viewer in (people.reviewer, people.reader, people.firm):  # the AMBER audience
        found = kb.tombstone(amber, viewer)
        assert found is not None
        assert found.reason == REASON
    assert kb.tombstone(amber, people.ngo) is None
    assert kb.tombstone(amber, ANONYMOUS) is None
    assert kb.tombstone(green, people.ngo) is not None  # GREEN: every signed-in user
    assert kb.tombstone(green, ANONYMOUS) is None
    assert kb.tombstone("ministry.nothing", people.reviewer) is None
    assert kb.tombstone("ministry.apt-kept", people.reviewer) is None  # missing too
    # Only the owner sees the share list, on the tombstone as on the record.
    firm_view = kb.tombstone(amber, people.firm)
    assert firm_view is not None
    assert firm_view.record.shares == ()


def test_contributors_and_other_organisations_may_not_withdraw(
    kb: KnowledgeBase, people: People
) -> None:
    amber, green = _amber(kb, people), _green(kb, people)
    with pytest.raises(Forbidden):
        kb.withdraw(green, people.contributor, REASON)
    with pytest.raises(Forbidden):
        kb.withdraw(green, people.ngo, REASON)  # sees it, may not withdraw it
    with pytest.raises(NotFound) as hidden:
        kb.withdraw(amber, people.ngo, REASON)  # cannot see it: a missing record
    with pytest.raises(NotFound) as missing:
        kb.withdraw("ministry.no-such", people.ngo, REASON)
    assert (hidden.value.message, hidden.value.code) == (missing.value.message, missing.value.code)
    with pytest.raises(InvalidInput):
        kb.withdraw(green, people.reviewer, "   ")
    assert kb.get(green, people.ngo).status is Status.PUBLISHED
    assert kb.get(amber, people.reviewer).status is Status.PUBLISHED


def test_a_draft_is_not_withdrawn_and_no_record_is_written_withdrawn(
    kb: KnowledgeBase, people: People
) -> None:
    kb.create(actor("ministry.draft"), people.contributor)
    with pytest.raises(Conflict, match="published"):
        kb.withdraw("ministry.draft", people.reviewer, REASON)
    raw = actor("ministry.ghost")
    raw["status"] = "withdrawn"
    with pytest.raises(InvalidInput, match="withdraw"):
        kb.create(raw, people.reviewer)


def test_a_withdrawn_record_is_never_changed_again(kb: KnowledgeBase, people: People) -> None:
    amber = _amber(kb, people)
    kb.withdraw(amber, people.reviewer, REASON)
    changes = (
        lambda v: kb.update(amber, v, data={"name": "Renamed"}),
        lambda v: kb.publish(amber, v),
        lambda v: kb.set_marking(amber, v, Marking.RED),
        lambda v: kb.set_sharing(amber, v, shares=[]),
        lambda v: kb.withdraw(amber, v, REASON),
    )
    for change in changes:
        with pytest.raises(Conflict, match="withdrawn"):
            change(people.reviewer)
        with pytest.raises(NotFound):  # an outsider learns nothing
            change(people.ngo)
    assert kb.tombstone(amber, people.reviewer) is not None


def test_history_keeps_the_withdrawal_as_an_audited_revision(
    kb: KnowledgeBase, people: People
) -> None:
    amber = _amber(kb, people)
    kb.update(amber, people.reviewer, data={"description": "A group."})
    kb.withdraw(amber, people.reviewer, REASON)
    views = kb.history(amber, people.firm)
    assert [(v.revision, v.record.status) for v in views] == [
        (1, Status.PUBLISHED),
        (2, Status.PUBLISHED),
        (3, Status.WITHDRAWN),
    ]
    with pytest.raises(NotFound):
        kb.history(amber, people.ngo)
    with kb.identity_tables() as conn:  # the audit log, read directly in a test only
        entries = conn.execute(
            select(audit_log.c.action, audit_log.c.revision, audit_log.c.user_id).where(
                audit_log.c.record_id == amber
            )
        ).all()
    assert [tuple(e) for e in entries][-1] == ("withdraw", 3, people.reviewer.user_id)
    assert kb.verify_audit().problem_count == 0


def test_a_withdrawal_reason_changed_afterwards_fails_audit_verify(
    kb: KnowledgeBase, people: People
) -> None:
    amber = _amber(kb, people)
    kb.withdraw(amber, people.reviewer, REASON)
    assert kb.verify_audit().problem_count == 0
    with kb.identity_tables(write=True) as conn:  # someone with the database's keys
        conn.execute(
            update(withdrawals).where(withdrawals.c.record_id == amber).values(reason="Nothing.")
        )
    found = kb.verify_audit()
    assert [(p.record, p.reason) for p in found.problems] == [
        (amber, "withdrawn revision's snapshot or reason altered")
    ]


def test_claims_of_a_withdrawn_record_leave_the_consensus(kb: KnowledgeBase) -> None:
    _sony(kb)
    (before,) = consensus.for_incident(kb, SYSTEM, "sony").accused
    assert before.supporting_voices == 1
    kb.withdraw("c-fbi", SYSTEM, "The statement was misquoted.")
    (after,) = consensus.for_incident(kb, SYSTEM, "sony").accused
    assert after.supporting_voices == 0
    assert after.support == 0
    assert b"c-fbi" not in orjson.dumps(consensus.for_incident(kb, SYSTEM, "sony").to_json())


def test_a_withdrawn_claim_leaves_say_do(kb: KnowledgeBase) -> None:
    saydo_world(kb)
    before = {(b.incident, b.norm) for b in saydo.for_state(kb, SYSTEM, "state-ru").breaches}
    assert ("inc1", "n1") in before
    kb.withdraw("c1", SYSTEM, "Withdrawn by the claimant.")
    after = {(b.incident, b.norm) for b in saydo.for_state(kb, SYSTEM, "state-ru").breaches}
    assert after == before - {("inc1", "n1")}


def test_withdrawing_an_incident_hides_the_claims_about_it(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-aa", "Aland", country="FI"),
            actor("state-bb", "Bland", country="SE"),
            incident("inc-w", "To withdraw", start="2020-01-02"),
            claim("claim-w", "state-aa", "inc-w", "state-bb"),
        ],
        SYSTEM,
    )
    kb.withdraw("inc-w", SYSTEM, "Not an incident.")
    with pytest.raises(NotFound):
        kb.get("claim-w", SYSTEM)  # a claim never points at what its readers cannot see
    assert kb.referrers("inc-w", SYSTEM, kind=Kind.CLAIM) == []
    assert kb.verify_audit().problem_count == 0


def test_stix_export_leaves_withdrawn_records_out(kb: KnowledgeBase, people: People) -> None:
    green, kept = _green(kb, people), _green(kb, people, "ministry.apt-kept", "Kept Group")
    kb.withdraw(green, people.reviewer, REASON)
    exported = {
        o["extensions"][m.PROPS_EXT]["record_id"]
        for o in iter_objects(kb, people.reviewer)
        if m.PROPS_EXT in o.get("extensions", {})
    }
    assert kept in exported
    assert green not in exported


# -- the REST API and pages --------------------------------------------------------------------


def test_api_withdraw_then_get_answers_410_to_readers_and_404_to_others(
    kb: KnowledgeBase, people: People, client: TestClient
) -> None:
    amber = _amber(kb, people)
    url = f"/api/v1/actors/{amber}"
    refused = client.post(
        f"{url}/withdraw", json={"reason": REASON}, headers=_bearer(people.tokens["contributor"])
    )
    assert refused.status_code == 403
    outsider = client.post(
        f"{url}/withdraw", json={"reason": REASON}, headers=_bearer(people.tokens["ngo"])
    )
    missing = client.post(
        "/api/v1/actors/ministry.none/withdraw",
        json={"reason": REASON},
        headers=_bearer(people.tokens["ngo"]),
    )
    assert outsider.status_code == missing.status_code == 404
    assert outsider.json()["error"]["message"] == missing.json()["error"]["message"]
    done = client.post(
        f"{url}/withdraw", json={"reason": REASON}, headers=_bearer(people.tokens["reviewer"])
    )
    assert done.status_code == 200, done.text
    assert done.json()["reason"] == REASON
    for who in ("reviewer", "reader", "firm"):
        gone = client.get(url, headers=_bearer(people.tokens[who]))
        assert gone.status_code == 410
        body = gone.json()
        assert (body["id"], body["kind"], body["name"], body["status"], body["reason"]) == (
            amber,
            "actor",
            "APT X",
            "withdrawn",
            REASON,
        )
        assert body["withdrawn_at"]
    hidden = client.get(url, headers=_bearer(people.tokens["ngo"]))
    absent = client.get("/api/v1/actors/ministry.none", headers=_bearer(people.tokens["ngo"]))
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json()["error"]["message"] == absent.json()["error"]["message"]
    assert client.get(url).status_code == 404  # anonymous
    assert (
        client.get(f"/api/v1/incidents/{amber}", headers=_bearer(people.tokens["firm"])).status_code
        == 404
    )
    history = client.get(f"{url}/history", headers=_bearer(people.tokens["firm"]))
    assert history.status_code == 200
    assert history.json()["revisions"][-1]["record"]["status"] == "withdrawn"
    assert client.get(f"{url}/history", headers=_bearer(people.tokens["ngo"])).status_code == 404
    edit = client.patch(
        url, json={"data": {"name": "New"}}, headers=_bearer(people.tokens["reviewer"])
    )
    assert edit.status_code == 409
    assert "withdrawn" in edit.json()["error"]["message"]
    again = client.post(
        f"{url}/withdraw", json={"reason": REASON}, headers=_bearer(people.tokens["reviewer"])
    )
    assert again.status_code == 409
    listed = client.get("/api/v1/actors", headers=_bearer(people.tokens["reviewer"])).json()
    assert amber not in [r["id"] for r in listed["items"]]


def test_record_page_is_410_with_the_reason_for_readers_only(
    kb: KnowledgeBase, people: People, client: TestClient
) -> None:
    rid = "ministry.apt-clear"
    raw = actor(rid, "APT <Clear>", kind="threat_group")
    raw["marking"] = Marking.CLEAR
    kb.create(raw, people.reviewer)
    amber = _amber(kb, people)
    kb.withdraw(rid, people.reviewer, "Mistaken <identity>.")
    kb.withdraw(amber, people.reviewer, REASON)
    page = client.get(f"/actors/{rid}")
    assert page.status_code == 410
    assert "Mistaken &lt;identity&gt;." in page.text  # escaped
    assert "APT &lt;Clear&gt;" in page.text
    assert client.get(f"/actors/{rid}/history").status_code == 200
    assert client.get(f"/actors/{amber}").status_code == 404  # anonymous: not its audience


# -- TAXII and imports -------------------------------------------------------------------------


def _collections(client: TestClient, token: str) -> dict[str, str]:
    body = client.get("/taxii2/accord/collections/", headers=_bearer(token, Accept=TAXII)).json()
    return {c["title"]: c["id"] for c in body["collections"]}


def _objects(client: TestClient, token: str, collection: str) -> list[dict[str, Any]]:
    response = client.get(
        f"/taxii2/accord/collections/{collection}/objects/",
        headers=_bearer(token, Accept=TAXII),
    )
    assert response.status_code == 200
    objects: list[dict[str, Any]] = response.json().get("objects", [])
    return objects


def _served(objects: list[dict[str, Any]], rid: str) -> list[dict[str, Any]]:
    return [
        o for o in objects if o.get("extensions", {}).get(m.PROPS_EXT, {}).get("record_id") == rid
    ]


def test_taxii_serves_a_withdrawal_as_a_revoked_object_to_its_audience_only(
    kb: KnowledgeBase, people: People, client: TestClient
) -> None:
    amber = _amber(kb, people)
    firm = people.tokens["firm"]
    shared = _collections(client, firm)["Shared with firm"]
    (live,) = _served(_objects(client, firm, shared), amber)
    assert "revoked" not in live
    kb.withdraw(amber, people.reviewer, REASON)
    (revoked,) = _served(_objects(client, firm, shared), amber)
    assert revoked["revoked"] is True
    assert revoked["id"] == live["id"]
    assert revoked["modified"] > live["modified"]
    own = _collections(client, people.tokens["reader"])["ministry"]
    (mine,) = _served(_objects(client, people.tokens["reader"], own), amber)
    assert mine["revoked"] is True
    ngo = people.tokens["ngo"]
    for collection in _collections(client, ngo).values():
        assert _served(_objects(client, ngo, collection), amber) == []
    one = client.get(
        f"/taxii2/accord/collections/{shared}/objects/{live['id']}/versions/",
        headers=_bearer(firm, Accept=TAXII),
    )
    assert one.status_code == 200
    assert one.json()["versions"][-1] == revoked["modified"]


def test_posting_a_revoked_object_withdraws_when_the_poster_may(
    kb: KnowledgeBase, people: People, client: TestClient
) -> None:
    green = _green(kb, people)
    reviewer, ngo = people.tokens["reviewer"], people.tokens["ngo"]
    own = _collections(client, reviewer)["ministry"]
    (obj,) = _served(_objects(client, reviewer, own), green)
    revoked = {**obj, "revoked": True, "modified": "2030-01-01T00:00:00.000Z"}
    headers = {"Content-Type": TAXII}
    ngo_own = _collections(client, ngo)["ngo"]
    refused = client.post(
        f"/taxii2/accord/collections/{ngo_own}/objects/",
        content=orjson.dumps({"objects": [revoked]}),
        headers=_bearer(ngo, Accept=TAXII, **headers),
    ).json()
    assert refused["success_count"] == 0
    assert "only reviewers" in refused["failures"][0]["message"]
    assert kb.get(green, people.ngo).status is Status.PUBLISHED
    done = client.post(
        f"/taxii2/accord/collections/{own}/objects/",
        content=orjson.dumps({"objects": [revoked]}),
        headers=_bearer(reviewer, Accept=TAXII, **headers),
    ).json()
    assert done["success_count"] == 1, done
    found = kb.tombstone(green, people.reviewer)
    assert found is not None
    assert "revoked" in found.reason


def test_importing_a_revoked_bundle_object_withdraws_or_says_why_not(
    kb: KnowledgeBase, people: People, tmp_path: Path
) -> None:
    green, amber = _green(kb, people), _amber(kb, people)
    objects = [
        o
        for o in iter_objects(kb, people.reviewer)
        if o.get("extensions", {}).get(m.PROPS_EXT, {}).get("record_id") in (green, amber)
    ]
    revoked = [{**o, "revoked": True} for o in objects]
    path = tmp_path / "revoked.json"
    path.write_bytes(orjson.dumps({"type": "bundle", "id": BUNDLE, "objects": revoked}))
    other = import_bundle(kb, path, people.firm)  # sees both, owns neither
    assert other.withdrawn == 0
    assert other.skipped["revoked (not withdrawn)"] == 2
    assert {p.where for p in other.notes} == {o["id"] for o in revoked}
    assert kb.get(green, people.firm).status is Status.PUBLISHED
    report = import_bundle(kb, path, people.reviewer)
    assert report.written
    assert (report.withdrawn, report.created, report.updated) == (2, 0, 0)
    assert report.to_json()["withdrawn"] == 2
    assert kb.tombstone(green, people.reviewer) is not None
    assert kb.tombstone(amber, people.firm) is not None
    again = import_bundle(kb, path, people.reviewer)  # already withdrawn: said, not repeated
    assert again.withdrawn == 0
    assert kb.verify_audit().problem_count == 0


# -- the command line --------------------------------------------------------------------------


def test_cli_withdraw_then_audit_verify_is_clean(
    kb: KnowledgeBase, people: People, db_url: str, accord: RunCli
) -> None:
    green = _green(kb, people)

    def run(*args: str) -> Run:
        return accord(*args, db=db_url)

    code, _, err = run("withdraw", green, "--reason", REASON, "--as", "analyst@ministry.example")
    assert code != 0
    assert "reviewers" in err
    code, out, err = run(
        "withdraw", green, "--reason", REASON, "--as", "chief@ministry.example", "--json"
    )
    assert code == 0, err
    assert orjson.loads(out)["reason"] == REASON
    code, out, err = run("audit", "verify")
    assert code == 0, out + err
    assert kb.tombstone(green, people.ngo) is not None


# -- the migration -----------------------------------------------------------------------------


def test_migration_0020_goes_down_and_up_and_refuses_while_a_record_is_withdrawn(
    kb: KnowledgeBase, people: People
) -> None:
    config = migrate._config()
    with kb._engine.begin() as conn:
        assert "withdrawals" in sa.inspect(conn).get_table_names()
        config.attributes["connection"] = conn
        command.downgrade(config, "0019")
        assert "withdrawals" not in sa.inspect(conn).get_table_names()
        indexes = {i["name"] for i in sa.inspect(conn).get_indexes("records")}
        assert "ix_records_withdrawn_updated" not in indexes
    migrate.upgrade(kb._engine)
    green = _green(kb, people)
    kb.withdraw(green, people.reviewer, REASON)
    with kb._engine.begin() as conn:
        config.attributes["connection"] = conn
        with pytest.raises(RuntimeError, match="withdrawn"):
            command.downgrade(config, "0019")
        conn.rollback()
    assert kb.tombstone(green, people.reviewer) is not None


def test_reloading_what_still_holds_a_withdrawn_record_neither_revives_it_nor_fails(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    build_world(kb)
    before = tmp_path / "before.json"
    before.write_bytes(
        orjson.dumps({"type": "bundle", "id": BUNDLE, "objects": list(iter_objects(kb, SYSTEM))})
    )
    kb.withdraw("wannacry", SYSTEM, "Not one incident.")
    result = kb.bulk_create([incident("wannacry", "WannaCry", start="2017-05-12")], SYSTEM)
    assert result.unchanged == ["wannacry"]
    build_world(kb)  # its claims, hidden by the withdrawal, are left alone too
    report = import_bundle(kb, before, SYSTEM)
    assert report.written, report.to_json()
    assert kb.tombstone("wannacry", SYSTEM) is not None
    with pytest.raises(NotFound):
        kb.get("claim-gb-wannacry", SYSTEM)
    assert kb.verify_audit().problem_count == 0
