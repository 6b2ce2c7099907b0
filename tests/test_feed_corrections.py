"""Corrections back to the origin, between live Accord instances (uvicorn on local ports, each
with its own database, on SQLite and PostgreSQL): a subscriber's contributor proposes a
correction of a pulled record, the origin's reviewers see it as a proposal and accept or reject
it, the TAXII status follows; and the origin's TAXII write endpoint under attack."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import requests
from taxii2client.v21 import ApiRoot

from accord import accounts
from accord.access import Viewer
from accord.domain.vocab import Sector, Status, UserRole
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.federation import corrections, feeds, proposals, remote
from accord.federation.pull import pull
from accord.interop import stix_mapping as m
from accord.web.taxii.media import TAXII
from tests.cli_runner import RunCli
from tests.conftest import actor, incident
from tests.test_feeds import Instance, collection, net, world

__all__ = ["net"]  # the fixture, shared with tests/test_feeds.py


def _bearer(token: str) -> requests.auth.AuthBase:
    return remote.Credentials("bearer", token).auth()


@dataclass(frozen=True)
class Member:
    """A user of an instance, with an API token there."""

    viewer: Viewer
    email: str
    token: str


def member(inst: Instance, org: str, role: UserRole) -> Member:
    """A new user of ``org`` on ``inst`` (the organisation is created when new)."""
    try:
        accounts.find_org(inst.kb, org)
    except NotFound:
        accounts.create_org(inst.kb, f"{org.title()} Org", Sector.PRIVATE, org_id=org)
    email = f"{role.value}-{uuid.uuid4().hex[:6]}@{org}.example"
    user = accounts.create_user(inst.kb, email, org, role)
    return Member(user.viewer, email, accounts.create_token(inst.kb, email)[1])


def linked(net: Any) -> tuple[Instance, Instance, Member, Member]:
    """Alpha (the origin, with its world) and beta, which pulled alpha's Public collection with
    the token of a contributor of 'partner' on alpha; beta's contributor; the partner user."""
    a, b = net("alpha"), net("beta")
    world(a)
    poster = member(a, "partner", UserRole.CONTRIBUTOR)
    feeds.add(
        b.kb,
        "from-alpha",
        a.api_root,
        collection("public"),
        user_email=b.reviewer,
        token=poster.token,
    )
    pull(b.kb, "from-alpha")
    return a, b, member(b, b.org, UserRole.CONTRIBUTOR), poster


def test_a_correction_arrives_as_a_proposal_the_owner_reviewer_accepts(
    net: Any, accord: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, contributor, poster = linked(net)
    monkeypatch.setenv("COLUMNS", "400")
    sent = accord(
        "feed",
        "correct",
        "beta.alpha.inc-1",
        "--as",
        contributor.email,
        "--set",
        "name=Incident 1b",
        "--json",
        db=_db(b),
    ).ok()
    assert json.loads(sent)["outcome"] == "pending"
    assert a.kb.get("alpha.inc-1", a.viewer).name == "Incident One"  # nothing changed yet
    [proposal] = proposals.pending(a.kb, a.viewer)
    assert (proposal.record_id, proposal.changes) == ("alpha.inc-1", {"name": "Incident 1b"})
    assert proposal.proposer_org == "partner"
    listed = accord("feed", "proposals", "--as", a.reviewer, db=_db(a)).ok()
    assert proposal.id in listed
    assert "Incident 1b" in listed
    outsider = member(a, "outsider", UserRole.REVIEWER).viewer
    for stranger in (outsider, poster.viewer):
        assert proposals.pending(a.kb, stranger, every=True) == []
        with pytest.raises(NotFound):
            proposals.accept(a.kb, stranger, proposal.id)
    colleague = member(a, a.org, UserRole.CONTRIBUTOR).viewer
    assert [p.id for p in proposals.pending(a.kb, colleague)] == [proposal.id]
    with pytest.raises(Forbidden):
        proposals.accept(a.kb, colleague, proposal.id)
    assert [c.outcome for c in corrections.corrections(b.kb, contributor.viewer)] == ["pending"]
    accepted = accord("feed", "accept", proposal.id, "--as", a.reviewer, db=_db(a)).ok()
    assert "revision 2" in accepted
    assert a.kb.get("alpha.inc-1", a.viewer).name == "Incident 1b"
    with pytest.raises(Conflict):
        proposals.accept(a.kb, a.viewer, proposal.id)
    shown = accord("feed", "corrections", "--as", contributor.email, db=_db(b)).ok()
    assert "success" in shown
    assert "beta.alpha.inc-1" in shown
    assert pull(b.kb, "from-alpha").counts["update"] == 1  # the correction comes back
    assert b.kb.get("beta.alpha.inc-1", b.viewer).name == "Incident 1b"

    # rejected over REST: the status fails with the reason
    token = member(b, b.org, UserRole.CONTRIBUTOR).token
    body: dict[str, Any] = {"record": "beta.alpha.state-x", "changes": {"name": "State Y"}}
    answer = requests.post(
        f"{b.url}/api/v1/feeds/corrections", json=body, auth=_bearer(token), timeout=10
    )
    assert answer.status_code == 201, answer.text
    [proposal] = proposals.pending(a.kb, a.viewer)
    reject = requests.post(
        f"{a.url}/api/v1/proposals/{proposal.id}/reject",
        json={"reason": "State X is right"},
        auth=_bearer(a.token),
        timeout=10,
    )
    assert reject.json()["state"] == "rejected"
    assert proposals.pending(a.kb, a.viewer) == []
    sent_list = requests.get(
        f"{b.url}/api/v1/feeds/corrections", auth=_bearer(token), timeout=10
    ).json()["items"]
    outcomes = {c["record"]: (c["outcome"], c["message"]) for c in sent_list}
    assert outcomes["beta.alpha.inc-1"][0] == "success"
    assert outcomes["beta.alpha.state-x"][0] == "failure"
    assert outcomes["beta.alpha.state-x"][1].endswith("State X is right")
    assert a.kb.get("alpha.state-x", a.viewer).name == "State X"
    elsewhere = member(b, "elsewhere", UserRole.REVIEWER).viewer
    assert corrections.corrections(b.kb, elsewhere) == []

    # who may propose, and what
    reader = member(b, b.org, UserRole.READER).viewer
    with pytest.raises(Forbidden):
        corrections.propose(b.kb, reader, "beta.alpha.inc-1", {"name": "X"})
    other = member(b, "elsewhere", UserRole.CONTRIBUTOR).viewer
    with pytest.raises(Forbidden):  # sees the CLEAR copy, but the feed is beta's
        corrections.propose(b.kb, other, "beta.alpha.inc-1", {"name": "X"})
    b.add(incident("local", "Local"))
    with pytest.raises(InvalidInput, match="not pulled"):
        corrections.propose(b.kb, contributor.viewer, "beta.local", {"name": "X"})
    b.add(incident("amber", "Amber"), marking="AMBER")
    answers = []
    for hidden in ("beta.amber", "beta.no-such-record"):
        with pytest.raises(NotFound) as caught:
            corrections.propose(b.kb, other, hidden, {"name": "X"})
        answers.append(str(caught.value).replace(hidden, "ID"))
    assert answers[0] == answers[1]
    with pytest.raises(InvalidInput):
        corrections.propose(b.kb, contributor.viewer, "beta.alpha.inc-1", {"name": "Incident 1b"})
    with pytest.raises(InvalidInput):
        corrections.propose(b.kb, contributor.viewer, "beta.alpha.inc-1", {"no_such_field": 1})
    assert proposals.pending(a.kb, a.viewer) == []

    # the record withdrawn at the origin before anyone decided: the status fails, saying so
    sent_again = corrections.propose(b.kb, contributor.viewer, "beta.alpha.ministry", {"name": "M"})
    assert sent_again.outcome == "pending"
    a.kb.withdraw("alpha.ministry", a.viewer, "Merged into another record.")
    [late] = [c for c in corrections.corrections(b.kb, contributor.viewer) if c.id == sent_again.id]
    assert (late.outcome, late.message) == ("failure", "the record was withdrawn before its review")


def _db(inst: Instance) -> str:
    return inst.kb._engine.url.render_as_string(hide_password=False)


def _served(a: Instance, record_id: str) -> dict[str, Any]:
    """Alpha's Public object of a record, as its reviewer reads it."""
    url = f"{a.api_root}collections/{collection('public')}/objects/"
    body = requests.get(url, headers={"Accept": TAXII}, timeout=10).json()
    return next(
        o
        for o in body["objects"]
        if o.get("extensions", {}).get(m.PROPS_EXT, {}).get("record_id") == record_id
    )


def _post(a: Instance, token: str | None, key: str, body: bytes) -> requests.Response:
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{a.api_root}collections/{collection(key)}/objects/"
    return requests.post(url, headers=headers, data=body, timeout=10)


def _taxii_error(response: requests.Response, status: int) -> None:
    assert response.status_code == status
    body = response.json()
    assert "Traceback" not in response.text
    assert set(body) == {"title", "description", "http_status"}
    assert body["http_status"] == str(status)


def test_the_taxii_write_endpoint_refuses_hides_and_interoperates(
    net: Any,
) -> None:
    a = net("alpha")
    world(a)
    contributor_token = member(a, "partner", UserRole.CONTRIBUTOR).token
    reader_token = member(a, "partner", UserRole.READER).token
    obj = {**_served(a, "alpha.inc-1"), "name": "Changed", "modified": "2030-01-01T00:00:00.000Z"}
    envelope = orjson.dumps({"objects": [obj]})
    mine = "org:partner"
    _taxii_error(_post(a, None, mine, envelope), 404)  # anonymous: no such collection
    _taxii_error(_post(a, None, "public", envelope), 403)
    _taxii_error(_post(a, reader_token, mine, envelope), 403)
    _taxii_error(_post(a, contributor_token, "public", envelope), 403)
    _taxii_error(_post(a, contributor_token, mine, b"{not json"), 400)
    _taxii_error(_post(a, contributor_token, mine, b'{"objects": 3}'), 422)
    many = orjson.dumps({"objects": [{"type": "x"}] * (proposals.MAX_OBJECTS + 1)})
    _taxii_error(_post(a, contributor_token, mine, many), 413)
    huge = b'{"objects": ["' + b"x" * 2_000_000 + b'"]}'
    _taxii_error(_post(a, contributor_token, mine, huge), 413)
    # an object naming a record hidden from the poster is answered as one naming no record
    a.add(incident("secret", "Secret"), marking="AMBER")
    answers = []
    for record_id in ("alpha.secret", "alpha.never-was"):
        sid = m.stable_id("incident", record_id)
        probe = {**obj, "id": sid, "extensions": {}}
        response = _post(a, contributor_token, mine, orjson.dumps({"objects": [probe]}))
        status = response.json()
        for key in ("id", "request_timestamp"):
            status.pop(key)
        answers.append(orjson.dumps(status).decode().replace(sid, "ID"))
    assert answers[0] == answers[1]
    assert a.kb.get("alpha.secret", a.viewer).name == "Secret"
    # a correction pointing to a hidden record is answered as one pointing to no record
    a.add(actor("hidden-state", "Hidden State"), marking="AMBER")
    claim = _served(a, "alpha.claim-1")
    answers = []
    for record_id in ("alpha.hidden-state", "alpha.no-such-state"):
        sid = m.stable_id("identity", record_id)
        probe = {**claim, "target_ref": sid, "modified": "2030-01-01T00:00:00.000Z"}
        status = _post(a, contributor_token, mine, orjson.dumps({"objects": [probe]})).json()
        for key in ("id", "request_timestamp"):
            status.pop(key)
        answers.append(orjson.dumps(status).decode().replace(sid, "ID"))
    assert answers[0] == answers[1]
    assert proposals.pending(a.kb, a.viewer) == []
    # a new object is a draft of the poster's organisation, even posted by a reviewer
    reviewer = member(a, "partner", UserRole.REVIEWER)
    sid = m.stable_id("incident", "partner.fresh")
    own = {**obj["extensions"][m.PROPS_EXT], "record_id": "partner.fresh"}
    fresh = {**obj, "id": sid, "name": "Fresh", "extensions": {m.PROPS_EXT: own}}
    added = _post(a, reviewer.token, mine, orjson.dumps({"objects": [fresh]})).json()
    assert added["success_count"] == 1, added
    [draft] = [r for r in a.kb.iter_records(reviewer.viewer) if r.name == "Fresh"]
    assert (draft.owner, draft.status) == ("partner", Status.DRAFT)
    assert proposals.pending(a.kb, a.viewer) == []
    # a correction is pending; its status is its poster's alone
    response = _post(a, contributor_token, mine, envelope)
    assert response.status_code == 202
    status = response.json()
    assert (status["status"], status["pending_count"], status["total_count"]) == ("pending", 1, 1)
    url = f"{a.api_root}status/{status['id']}/"
    mine_again = requests.get(url, headers={"Accept": TAXII}, auth=_bearer(contributor_token))
    assert mine_again.json() == status
    for token in (reader_token, None):
        other = requests.get(url, headers={"Accept": TAXII}, auth=_bearer(token) if token else None)
        unknown = requests.get(
            f"{a.api_root}status/{uuid.uuid4()}/",
            headers={"Accept": TAXII},
            auth=_bearer(token) if token else None,
        )
        _taxii_error(other, 404)
        assert other.json() == unknown.json()
    assert a.kb.get("alpha.inc-1", a.viewer).name == "Incident One"

    # taxii2-client sees the one writable collection, adds a correction, follows its status
    root = ApiRoot(a.api_root, auth=_bearer(contributor_token))
    writable = {c.title: c for c in root.collections if c.can_write}
    assert set(writable) == {"partner"}
    obj = {**_served(a, "alpha.state-x"), "name": "State X (corrected)"}
    obj["modified"] = "2030-01-01T00:00:00.000Z"
    added = writable["partner"].add_objects({"objects": [obj]}, wait_for_completion=False)
    assert (added.status, added.pending_count) == ("pending", 1)
    [proposal] = [p for p in proposals.pending(a.kb, a.viewer) if p.record_id == "alpha.state-x"]
    proposals.accept(a.kb, a.viewer, proposal.id)
    added.refresh()
    assert (added.status, added.success_count, added.pending_count) == ("complete", 1, 0)
    assert a.kb.get("alpha.state-x", a.viewer).name == "State X (corrected)"
