"""Corrections back to the origin, between live Accord instances (uvicorn on local ports, each
with its own database, on SQLite and PostgreSQL): a subscriber's contributor proposes a
correction of a pulled record, the origin's reviewers see it as a proposal and accept or reject
it, the TAXII status follows; and the origin's TAXII write endpoint under attack."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
import requests
from taxii2client.v21 import ApiRoot

from accord import accounts
from accord.access import Viewer
from accord.domain.vocab import Sector, UserRole
from accord.errors import Conflict, Forbidden, InvalidInput, NotFound
from accord.federation import corrections, feeds, proposals
from accord.federation.pull import pull
from accord.interop import stix_mapping as m
from accord.web.taxii.media import TAXII
from tests.conftest import incident
from tests.test_feeds import Instance, collection, net, world

__all__ = ["net"]  # the fixture, shared with tests/test_feeds.py


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def member(inst: Instance, org: str, role: UserRole) -> tuple[Viewer, str]:
    """A user of ``org`` on ``inst`` (the organisation is created when new) and a token."""
    try:
        accounts.find_org(inst.kb, org)
    except NotFound:
        accounts.create_org(inst.kb, f"{org.title()} Org", Sector.PRIVATE, org_id=org)
    email = f"{role.value}-{uuid.uuid4().hex[:6]}@{org}.example"
    user = accounts.create_user(inst.kb, email, org, role)
    return user.viewer, accounts.create_token(inst.kb, email)[1]


def linked(net: Any) -> tuple[Instance, Instance, Viewer, Viewer]:
    """Alpha (the origin, with its world) and beta, which pulled alpha's Public collection with
    the token of a contributor of 'partner' on alpha; beta's contributor; the partner user."""
    a, b = net("alpha"), net("beta")
    world(a)
    poster, token = member(a, "partner", UserRole.CONTRIBUTOR)
    feeds.add(
        b.kb, "from-alpha", a.api_root, collection("public"), user_email=b.reviewer, token=token
    )
    pull(b.kb, "from-alpha")
    contributor, _ = member(b, b.org, UserRole.CONTRIBUTOR)
    return a, b, contributor, poster


def test_a_correction_arrives_as_a_proposal_the_owner_reviewer_accepts(net: Any) -> None:
    a, b, contributor, poster = linked(net)
    sent = corrections.propose(b.kb, contributor, "beta.alpha.inc-1", {"name": "Incident 1b"})
    assert (sent.outcome, sent.changes) == ("pending", {"name": "Incident 1b"})
    assert a.kb.get("alpha.inc-1", a.viewer).name == "Incident One"  # nothing changed yet
    [proposal] = proposals.pending(a.kb, a.viewer)
    assert (proposal.record_id, proposal.changes) == ("alpha.inc-1", {"name": "Incident 1b"})
    assert proposal.proposer_org == "partner"
    outsider, _ = member(a, "outsider", UserRole.REVIEWER)
    for stranger in (outsider, poster):
        assert proposals.pending(a.kb, stranger, every=True) == []
        with pytest.raises(NotFound):
            proposals.accept(a.kb, stranger, proposal.id)
    colleague, _ = member(a, a.org, UserRole.CONTRIBUTOR)
    assert [p.id for p in proposals.pending(a.kb, colleague)] == [proposal.id]
    with pytest.raises(Forbidden):
        proposals.accept(a.kb, colleague, proposal.id)
    assert [c.outcome for c in corrections.corrections(b.kb, contributor)] == ["pending"]
    record = proposals.accept(a.kb, a.viewer, proposal.id)
    assert (record.name, record.revision) == ("Incident 1b", 2)
    with pytest.raises(Conflict):
        proposals.accept(a.kb, a.viewer, proposal.id)
    [listed] = corrections.corrections(b.kb, contributor)
    assert (listed.id, listed.outcome) == (sent.id, "success")
    assert "accepted" in listed.message
    assert pull(b.kb, "from-alpha").counts["update"] == 1  # the correction comes back
    assert b.kb.get("beta.alpha.inc-1", b.viewer).name == "Incident 1b"


def test_a_rejected_correction_fails_with_the_reason_and_only_members_see_the_list(
    net: Any,
) -> None:
    a, b, contributor, _ = linked(net)
    corrections.propose(b.kb, contributor, "beta.alpha.state-x", {"name": "State Y"})
    [proposal] = proposals.pending(a.kb, a.viewer)
    rejected = proposals.reject(a.kb, a.viewer, proposal.id, "State X is right")
    assert rejected.state == "rejected"
    assert proposals.pending(a.kb, a.viewer) == []
    [listed] = corrections.corrections(b.kb, contributor)
    assert listed.outcome == "failure"
    assert listed.message.endswith("State X is right")
    assert a.kb.get("alpha.state-x", a.viewer).name == "State X"
    other, _ = member(b, "elsewhere", UserRole.REVIEWER)
    assert corrections.corrections(b.kb, other) == []


def test_only_a_contributor_who_sees_a_pulled_record_proposes(net: Any) -> None:
    a, b, contributor, _ = linked(net)
    reader, _ = member(b, b.org, UserRole.READER)
    with pytest.raises(Forbidden):
        corrections.propose(b.kb, reader, "beta.alpha.inc-1", {"name": "X"})
    other, _ = member(b, "elsewhere", UserRole.CONTRIBUTOR)
    with pytest.raises(Forbidden):  # sees the CLEAR copy, but the feed is beta's
        corrections.propose(b.kb, other, "beta.alpha.inc-1", {"name": "X"})
    b.add(incident("local", "Local"))
    with pytest.raises(InvalidInput, match="not pulled"):
        corrections.propose(b.kb, contributor, "beta.local", {"name": "X"})
    b.add(incident("amber", "Amber"), marking="AMBER")
    answers = []
    for hidden in ("beta.amber", "beta.no-such-record"):
        with pytest.raises(NotFound) as caught:
            corrections.propose(b.kb, other, hidden, {"name": "X"})
        answers.append(str(caught.value).replace(hidden, "ID"))
    assert answers[0] == answers[1]
    with pytest.raises(InvalidInput):
        corrections.propose(b.kb, contributor, "beta.alpha.inc-1", {"name": "Incident One"})
    with pytest.raises(InvalidInput):
        corrections.propose(b.kb, contributor, "beta.alpha.inc-1", {"no_such_field": 1})
    assert proposals.pending(a.kb, a.viewer) == []


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
    assert body.get("http_status", str(status)) == str(status)


def test_the_taxii_write_endpoint_refuses_what_it_must_and_hides_what_it_should(
    net: Any,
) -> None:
    a = net("alpha")
    world(a)
    _, contributor_token = member(a, "partner", UserRole.CONTRIBUTOR)
    _, reader_token = member(a, "partner", UserRole.READER)
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
    assert proposals.pending(a.kb, a.viewer) == []
    # a correction is pending; its status is its poster's alone
    response = _post(a, contributor_token, mine, envelope)
    assert response.status_code == 202
    status = response.json()
    assert (status["status"], status["pending_count"], status["total_count"]) == ("pending", 1, 1)
    url = f"{a.api_root}status/{status['id']}/"
    mine_again = requests.get(url, headers={"Accept": TAXII}, auth=_Bearer(contributor_token))
    assert mine_again.json() == status
    for token in (reader_token, None):
        other = requests.get(url, headers={"Accept": TAXII}, auth=_Bearer(token) if token else None)
        unknown = requests.get(
            f"{a.api_root}status/{uuid.uuid4()}/",
            headers={"Accept": TAXII},
            auth=_Bearer(token) if token else None,
        )
        _taxii_error(other, 404)
        assert other.json() == unknown.json()
    assert a.kb.get("alpha.inc-1", a.viewer).name == "Incident One"


def test_taxii2_client_adds_a_correction_and_follows_its_status(net: Any) -> None:
    a = net("alpha")
    world(a)
    _, token = member(a, "partner", UserRole.CONTRIBUTOR)
    root = ApiRoot(a.api_root, auth=_Bearer(token))
    writable = {c.title: c for c in root.collections if c.can_write}
    assert set(writable) == {"partner"}
    obj = {**_served(a, "alpha.state-x"), "name": "State X (corrected)"}
    obj["modified"] = "2030-01-01T00:00:00.000Z"
    status = writable["partner"].add_objects({"objects": [obj]}, wait_for_completion=False)
    assert (status.status, status.pending_count) == ("pending", 1)
    [proposal] = proposals.pending(a.kb, a.viewer)
    proposals.accept(a.kb, a.viewer, proposal.id)
    status.refresh()
    assert (status.status, status.success_count, status.pending_count) == ("complete", 1, 0)
    assert a.kb.get("alpha.state-x", a.viewer).name == "State X (corrected)"
