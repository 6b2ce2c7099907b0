"""The REST API: reads, writes, the one error shape, and hostile input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.conftest import actor, incident, source


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    app = create_app(Settings(max_body_bytes=20_000), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def token(kb: KnowledgeBase) -> str:
    """A reviewer's token (records it creates are published as asked)."""
    org = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    accounts.create_user(kb, "chief@mfa.example", org, UserRole.REVIEWER)
    return accounts.create_token(kb, "chief@mfa.example")[1]


@pytest.fixture
def contributor_token(kb: KnowledgeBase, token: str) -> str:
    """A contributor's token in the same organisation."""
    accounts.create_user(kb, "analyst@mfa.example", "ministry-of-test", UserRole.CONTRIBUTOR)
    return accounts.create_token(kb, "analyst@mfa.example")[1]


def test_openapi_document_is_served(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/incidents" in spec["paths"]
    assert "/api/v1/claims/{record_id}/history" in spec["paths"]


def test_read_endpoints_return_records_with_marking(kb: KnowledgeBase, client: TestClient) -> None:
    kb.bulk_create([incident("wannacry", "WannaCry"), actor("state-kp", "North Korea")], SYSTEM)
    body = client.get("/api/v1/incidents/wannacry").json()
    assert body["name"] == "WannaCry"
    assert body["marking"] == "CLEAR"
    listed = client.get("/api/v1/incidents").json()
    assert [r["id"] for r in listed["items"]] == ["wannacry"]
    found = client.get("/api/v1/search", params={"q": "wanna"}).json()
    assert found["items"][0]["record"]["id"] == "wannacry"


def test_record_of_another_kind_is_not_found(kb: KnowledgeBase, client: TestClient) -> None:
    kb.create(incident("wannacry"), SYSTEM)
    response = client.get("/api/v1/actors/wannacry")
    assert response.status_code == 404


def test_error_shape_is_locked(client: TestClient) -> None:
    response = client.get("/api/v1/incidents/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "not_found", "message": "no such record", "record": "nope"}
    }


def test_create_needs_credentials(client: TestClient) -> None:
    body = {"data": {"name": "X", "kind": "state"}, "sources": [source()]}
    response = client.post("/api/v1/actors", json=body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_bad_token_is_401(client: TestClient) -> None:
    response = client.get("/api/v1/actors", headers={"Authorization": "Bearer acc_nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_unknown_field_is_422_naming_it(client: TestClient, token: str) -> None:
    body = {"data": {"name": "X", "kind": "state"}, "sources": [source()], "colour": "red"}
    response = client.post(
        "/api/v1/actors", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "unknown field 'colour'",
        "field": "colour",
    }


def test_oversized_body_is_413(client: TestClient, token: str) -> None:
    body = {"data": {"name": "X" * 30_000, "kind": "state"}, "sources": [source()]}
    response = client.post(
        "/api/v1/actors", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_script_and_sql_strings_are_stored_verbatim(client: TestClient, token: str) -> None:
    name = "<script>alert(1)</script>'; DROP TABLE records; --"
    body = {
        "id": "ministry-of-test.evil",
        "data": {"name": name, "kind": "company"},
        "sources": [source()],
    }
    created = client.post("/api/v1/actors", json=body, headers={"Authorization": f"Bearer {token}"})
    assert created.status_code == 201, created.text
    assert client.get("/api/v1/actors/ministry-of-test.evil").json()["data"]["name"] == name


def test_contributor_cannot_publish_past_review(
    client: TestClient, token: str, contributor_token: str
) -> None:
    body = {
        "id": "ministry-of-test.claimed",
        "data": {"name": "Unreviewed", "kind": "company"},
        "sources": [source()],
        "status": "published",
    }
    contributor = {"Authorization": f"Bearer {contributor_token}"}
    created = client.post("/api/v1/actors", json=body, headers=contributor)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    assert client.get("/api/v1/actors/ministry-of-test.claimed").status_code == 404
    refused = client.post("/api/v1/actors/ministry-of-test.claimed/publish", headers=contributor)
    assert refused.status_code == 403
    reviewer = {"Authorization": f"Bearer {token}"}
    published = client.post("/api/v1/actors/ministry-of-test.claimed/publish", headers=reviewer)
    assert published.status_code == 200, published.text
    assert client.get("/api/v1/actors/ministry-of-test.claimed").status_code == 200


def test_id_outside_the_organisation_namespace_is_refused_whatever_exists(
    kb: KnowledgeBase, client: TestClient, token: str
) -> None:
    kb.create(actor("hidden-elsewhere") | {"marking": "AMBER"}, SYSTEM)
    auth = {"Authorization": f"Bearer {token}"}

    def refusal(rid: str) -> str:
        body = {"id": rid, "data": {"name": "Guess", "kind": "state"}, "sources": [source()]}
        answer = client.post("/api/v1/actors", json=body, headers=auth)
        assert answer.status_code == 422
        return str(answer.json()["error"]["message"])

    answers = [refusal(rid) for rid in ("hidden-elsewhere", "never-used")]
    assert answers[0] == answers[1].replace("never-used", "hidden-elsewhere")
    assert "start with 'ministry-of-test.'" in answers[0]


def test_responses_carry_security_headers(client: TestClient) -> None:
    response = client.get("/api/v1/incidents")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    docs = client.get("/api/v1/docs").headers  # Swagger UI runs under the same policy
    assert docs["content-security-policy"] == response.headers["content-security-policy"]
