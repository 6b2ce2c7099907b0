"""The REST API's contract: what the OpenAPI document promises, and the answers holding to it.

Three layers: the document itself (every /api/v1 operation has a typed answer, the one error
body, per-kind request schemas); a walk of every operation with real ids of every kind, each
answer checked against its schema; and schemathesis generating requests for every operation as
a reviewer, checking that none is a 5xx, that each status code is documented and each answer
matches its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from accord import accounts
from accord.access import SYSTEM
from accord.domain.records import PAYLOADS
from accord.domain.vocab import Kind, Level, Sector, UserRole
from accord.kb import KnowledgeBase
from accord.web.api.records import PLURALS
from accord.web.app import create_app
from accord.web.settings import Settings
from accord.workspaces import service
from accord.workspaces.model import Position
from tests import test_api
from tests.conftest import record, source
from tests.stix_world import build_world

#: The fixture of a reviewer's token in the organisation 'ministry-of-test'.
token = test_api.token
API = "/api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")
#: What each operation is checked for, in both the walk and the generated requests.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@pytest.fixture
def app(kb: KnowledgeBase, token: str) -> FastAPI:
    """The app over a world holding every kind of record (its evidence note is AMBER: one
    everybody may see is added) and two coordination workspaces of the token's organisation
    inviting a partner (:func:`_workspaces`)."""
    build_world(kb)
    kb.create(record("evidence-public", "evidence", about="wannacry", content="Notes."), SYSTEM)
    built = create_app(Settings(), kb=kb)
    built.state.workspaces = _workspaces(kb)
    return built


#: The embargo end and an answer deadline of the fixture's workspaces (its clock is 2026-01).
WS_EMBARGO = "2026-06-01T00:00:00Z"
WS_DEADLINE = "2026-05-01T00:00:00Z"


def _workspaces(kb: KnowledgeBase) -> dict[str, str]:
    """Workspace ``a`` (the partner has not accepted its embargo; one official thread) and ``b``
    (the partner accepted and joined: an early end can be confirmed); the partner's token."""
    owner = accounts.find_user(kb, "chief@mfa.example").viewer
    org = accounts.create_org(kb, "Partner Agency", Sector.GOVERNMENT)
    partner = accounts.create_user(kb, "chief@partner.example", org, UserRole.REVIEWER).viewer
    ids: dict[str, str] = {"partner_token": accounts.create_token(kb, "chief@partner.example")[1]}
    for name in ("a", "b"):
        ids[name] = service.create(
            kb,
            owner,
            incident="wannacry",
            accused="state-kp",
            level=Level.STATE,
            text="The contract's statement.",
            embargo_end=WS_EMBARGO,
            invitees=[service.Invitee(org, WS_DEADLINE)],
        )["id"]
    ids["thread"] = service.post_comment(kb, owner, ids["a"], "Welcome.")["id"]
    service.accept_embargo(kb, partner, ids["b"])
    service.answer(kb, partner, ids["b"], Position.JOIN)
    return ids


def _workspace_case(
    app: FastAPI, path: str, method: str, auth: dict[str, str]
) -> tuple[dict[str, Any], Any, dict[str, str]]:
    """Path parameters, body and headers for one workspace operation of the walk."""
    ids: dict[str, str] = app.state.workspaces
    last = path.rstrip("/").rsplit("/", 1)[-1]
    partner = {"Authorization": f"Bearer {ids['partner_token']}"}
    early = last in ("end-embargo", "confirm-early-end")
    params = {"workspace_id": ids["b" if early else "a"], "thread_id": ids["thread"]}
    params = {k: v for k, v in params.items() if f"{{{k}}}" in path}
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "workspaces"): {
            "incident": "wannacry",
            "accused": "state-kp",
            "level": "state",
            "text": "Another statement.",
            "embargo_end": WS_EMBARGO,
        },
        ("POST", "evidence"): {"title": "Hashes", "text": "Loader hashes."},
        ("POST", "comments"): {"body": "A comment."},
        ("POST", "end-embargo"): {"reason": "A leak", "confirm_by": WS_DEADLINE},
        ("POST", "confirm-early-end"): {"confirm": True},
        ("POST", "settings"): {"show_invitees": True},
        ("POST", "disclosure"): {"show_position": True},
        ("POST", "notifications"): {"mode": "digest"},
        ("POST", "revisions"): {"text": "The revised statement."},
        ("POST", "invitations"): {"org": "partner-agency", "deadline": WS_DEADLINE},
        ("POST", "users"): {"users": ["chief@mfa.example"]},
        ("POST", "position"): {"position": "join"},
    }
    headers = partner if last in ("accept-embargo", "confirm-early-end") else auth
    return params, bodies.get((method, last)), headers


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The OpenAPI document as served (it does not depend on the database's content)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('doc') / 'accord.db'}"
    with TestClient(create_app(Settings(database_url=url))) as client:
        spec: dict[str, Any] = client.get("/api/v1/openapi.json").json()
    return spec


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        if path.startswith(API):
            for method in METHODS:
                if method in item:
                    yield path, method, item[method]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _typed(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """Whether a schema says what it holds: not ``{}`` nor an object of anything."""
    schema = _resolve(spec, schema)
    if "oneOf" in schema or "anyOf" in schema:
        return all(_typed(spec, s) for s in schema.get("oneOf", schema.get("anyOf")))
    if schema.get("type") == "object":
        return bool(schema.get("properties"))
    return "type" in schema or "const" in schema or "enum" in schema


def test_every_api_operation_declares_a_typed_success_answer(document: dict[str, Any]) -> None:
    operations = list(_operations(document))
    assert {p.split("/")[3] for p, _, _ in operations} >= set(PLURALS.values())
    for path, method, operation in operations:
        success = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert success, f"{method.upper()} {path} documents no success answer"
        for response in success.values():
            assert response.get("content"), f"{method.upper()} {path}: no media type"
            for media, content in response["content"].items():
                schema = content.get("schema", {})
                assert _typed(document, schema), f"{method.upper()} {path} {media}: untyped"


def test_every_api_operation_documents_its_errors_in_the_one_shape(
    document: dict[str, Any],
) -> None:
    error_body = {"$ref": "#/components/schemas/ErrorBody"}
    tombstone = {"$ref": "#/components/schemas/TombstoneAnswer"}
    for path, method, operation in _operations(document):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert {"401", "422", "503"} <= set(errors), f"{method.upper()} {path}"
        if "{" in path:
            assert "404" in errors, f"{method.upper()} {path} may not find its record"
        if method != "get":
            assert {"403", "409"} <= set(errors), f"{method.upper()} {path}"
        for status, response in errors.items():
            # A withdrawn record's GET answers 410 with its tombstone (docs/withdrawals.md).
            shape = tombstone if status == "410" else error_body
            assert response["content"]["application/json"]["schema"] == shape
        assert operation["security"] == [{"token": []}, {}], "the token is optional"
    assert "HTTPValidationError" not in document["components"]["schemas"]


@pytest.mark.parametrize("kind", list(Kind))
def test_create_and_patch_bodies_carry_the_kinds_payload_schema(
    document: dict[str, Any], kind: Kind
) -> None:
    path = f"{API}{PLURALS[kind]}"
    payload = PAYLOADS[kind].__name__
    create = _resolve(document, _body_schema(document["paths"][path]["post"]))
    assert create["properties"]["data"]["$ref"] == f"#/components/schemas/{payload}"
    required = _resolve(document, create["properties"]["data"])["required"]
    assert required, f"{payload} has no required field: nothing to check"
    patch = _resolve(document, _body_schema(document["paths"][f"{path}/{{record_id}}"]["patch"]))
    partial = next(s for s in patch["properties"]["data"]["anyOf"] if "properties" in s)
    assert "required" not in partial
    assert partial["properties"] == _resolve(document, create["properties"]["data"])["properties"]


def _body_schema(operation: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = operation["requestBody"]["content"]["application/json"]["schema"]
    return schema


def test_a_bad_payload_field_is_still_the_domains_422_naming_it(app: FastAPI, token: str) -> None:
    body = {
        "id": "ministry-of-test.bad",
        "data": {"name": "Bad", "start": "2017-13", "effects": ["ddos"]},
        "sources": [source()],
    }
    with TestClient(app) as client:
        answer = client.post(
            f"{API}incidents", json=body, headers={"Authorization": f"Bearer {token}"}
        )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert (error["code"], error["record"], error["field"]) == (
        "invalid",
        "ministry-of-test.bad",
        "data.start",
    )
    assert "not a real date" in error["message"]


# -- answers against the document --------------------------------------------------------------


def _schema(app: FastAPI) -> schemathesis.BaseSchema:
    """The document the app serves, its answers checked for :data:`CHECKS` only (requests
    carry the token given to each call, no generated credentials)."""
    checks: dict[str, Any] = {"enabled": False} | {name: {"enabled": True} for name in CHECKS}
    generation = {"with-security-parameters": False, "database": "none"}
    config = schemathesis.Config.from_dict({"checks": checks, "generation": generation})
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app, config=config)


#: A visible record of each kind in tests.stix_world, and the ids the analyses take.
WORLD_IDS = {
    Kind.ACTOR: "state-kp",
    Kind.INCIDENT: "wannacry",
    Kind.CLAIM: "claim-gb-wannacry",
    Kind.RESPONSE: "response-us-sanction-lazarus",
    Kind.NORM: "norm-ungge2015-13f",
    Kind.INITIATIVE: "initiative-ungge-2015",
    Kind.PARTICIPATION: "part-state-gb-ungge-2015",
    Kind.ASSESSMENT: "assess-wannacry-13f",
    Kind.EVIDENCE: "evidence-public",
}
ANALYSIS_IDS = {"incident_id": "wannacry", "group_id": "lazarus", "state_id": "state-kp"}
KIND_OF_PLURAL = {plural: kind for kind, plural in PLURALS.items()}


def test_every_operation_answers_as_documented_for_every_kind(app: FastAPI, token: str) -> None:
    """Each operation once with real ids, as a reviewer: a success whose body matches its
    schema (records of every kind; creates re-send what a read returned, in the reviewer's
    namespace, as drafts so that publish has one to publish)."""
    schema = _schema(app)
    auth = {"Authorization": f"Bearer {token}"}
    created: dict[Kind, str] = {}
    seen = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        parts = operation.path.removeprefix(API).split("/")
        kind = KIND_OF_PLURAL.get(parts[0])
        params: dict[str, Any] = {}
        body: Any = None
        query: dict[str, Any] = {}
        headers = auth
        if parts[0] == "workspaces":
            params, body, headers = _workspace_case(
                app, operation.path, operation.method.upper(), auth
            )
        elif kind is None:
            params = {k: v for k, v in ANALYSIS_IDS.items() if f"{{{k}}}" in operation.path}
            query = {"q": "wannacry"} if operation.path.endswith("/search") else {}
        elif operation.method.upper() == "POST" and len(parts) == 1:
            source_record = _get(app, auth, f"{API}{parts[0]}/{WORLD_IDS[kind]}")
            new_id = f"ministry-of-test.{kind.value}"
            body = {"id": new_id, "data": source_record["data"], "sources": [source()]}
            body["status"] = "draft"
            created[kind] = new_id
        else:
            params = {"record_id": created.get(kind, WORLD_IDS[kind])}
            body = _write_body(parts[-1], operation.method.upper())
        sent = {"body": body} if body is not None else {}
        case = operation.Case(path_parameters=params, query=query, **sent)
        response = case.call_and_validate(headers=headers)
        assert response.status_code < 300, f"{operation.label}: {response.text}"
        seen += 1
    assert seen == len(list(_operations(schema.raw_schema)))


def _get(app: FastAPI, auth: dict[str, str], path: str) -> dict[str, Any]:
    with TestClient(app) as client:
        answer: dict[str, Any] = client.get(path, headers=auth).json()
    return answer


def _write_body(last: str, method: str) -> dict[str, Any] | None:
    """A body for a change to a record (by the last path segment and the method)."""
    if method == "PATCH":
        return {"data": {}, "expected_revision": 1}
    bodies = {
        "marking": {"marking": "GREEN"},
        "sharing": {"shares": []},
        "withdraw": {"reason": "Withdrawn by the contract walk."},
    }
    return bodies.get(last)


# -- generated requests --------------------------------------------------------------------------

#: Generated requests per operation, schema-valid and schema-invalid ones (the time per example
#: goes mostly into generating it from the schema).
FUZZ_EXAMPLES = 10


def test_generated_requests_get_documented_answers(app: FastAPI, token: str) -> None:
    """Derandomized requests for every operation as the reviewer, NUL characters included:
    no 5xx, every status documented, every answer matching its schema. Every failing
    operation is reported, not only the first."""
    schema = _schema(app)
    auth = {"Authorization": f"Bearer {token}"}
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()

        @hypothesis.given(case=st.one_of(*(operation.as_strategy(m) for m in modes)))
        @hypothesis.settings(
            max_examples=FUZZ_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            # Generation from these schemas is slow on a loaded machine; what is generated is
            # the same everywhere (derandomized), so only the timing check would vary.
            suppress_health_check=[hypothesis.HealthCheck.too_slow],
        )
        def requests(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=auth)

        try:
            requests()
        except (Exception, schemathesis.errors.FailureGroup) as exc:
            failures[operation.label] = str(exc)
    assert not failures, "\n\n".join(f"{label}: {text}" for label, text in failures.items())
