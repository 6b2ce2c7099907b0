"""TAXII 2.1 server: shapes, media types, errors, collections per viewer, filters, paging,
adding objects — in process, and with the real taxii2-client against a live uvicorn server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fastapi.testclient import TestClient
from taxii2client.v21 import Server, as_pages

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.conftest import actor
from tests.live_server import serve
from tests.stix_world import build_world
from tests.test_stix_export import refs_in

TAXII = "application/taxii+json;version=2.1"
H = {"Accept": TAXII}


@pytest.fixture
def world(kb: KnowledgeBase) -> dict[str, str]:
    """The STIX world plus a contributor of another organisation, with a token."""
    build_world(kb)
    org = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    accounts.create_user(kb, "analyst@mfa.example", org, UserRole.CONTRIBUTOR)
    return {"org": org, "token": accounts.create_token(kb, "analyst@mfa.example")[1]}


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    app = create_app(Settings(secure_cookies=False), kb=kb)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {**H, "Authorization": f"Bearer {token}"}


def collection_ids(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    body = client.get("/taxii2/accord/collections/", headers=headers).json()
    return {c["title"]: c["id"] for c in body["collections"]}


def test_discovery_and_api_root(client: TestClient) -> None:
    response = client.get("/taxii2/", headers=H)
    assert response.status_code == 200
    assert response.headers["content-type"] == TAXII
    body = response.json()
    assert body["api_roots"] == [body["default"]]
    assert body["default"].endswith("/taxii2/accord/")
    root = client.get("/taxii2/accord/", headers=H).json()
    assert root["versions"] == [TAXII]


@pytest.mark.parametrize("accept", [None, "application/json", "application/taxii+json;version=2.0"])
def test_wrong_accept_is_406_in_the_taxii_error_shape(
    client: TestClient, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {"Accept": ""}
    response = client.get("/taxii2/", headers=headers)
    assert response.status_code == 406
    body = response.json()
    assert body["http_status"] == "406"
    assert body["title"]
    assert body["description"]
    assert "error" not in body


def test_unknown_collection_is_404_in_the_taxii_error_shape(client: TestClient) -> None:
    response = client.get("/taxii2/accord/collections/nope/objects/", headers=H)
    assert response.status_code == 404
    assert response.json() == {
        "title": "not found",
        "description": "no such collection",
        "http_status": "404",
    }


def test_collections_follow_the_viewer(client: TestClient, world: dict[str, str]) -> None:
    assert list(collection_ids(client, H)) == ["Public"]
    mine = collection_ids(client, auth(world["token"]))
    assert list(mine) == ["Public", "Community", world["org"], f"Shared with {world['org']}"]
    community = mine["Community"]
    response = client.get(f"/taxii2/accord/collections/{community}/objects/", headers=H)
    assert response.status_code == 404  # anonymous callers have no community collection


def test_public_collection_holds_clear_records_only(
    client: TestClient, world: dict[str, str]
) -> None:
    public = collection_ids(client, H)["Public"]
    body = client.get(f"/taxii2/accord/collections/{public}/objects/", headers=H).json()
    served = [o for o in body["objects"] if o["id"] not in m.META_IDS]  # records only
    records = {o["extensions"][m.PROPS_EXT]["record_id"] for o in served}
    assert "wannacry" in records
    assert "fbi" not in records
    assert "evidence-gb-wannacry" not in records
    ids = {o["id"] for o in served}
    for obj in served:
        assert obj["object_marking_refs"] == [m.TLP_IDS[m.Marking.CLEAR]]
        assert obj.get("created_by_ref", m.PRODUCER_ID) != m.stable_id("identity", "fbi")
    assert m.stable_id("relationship", "claim-fbi-sony") not in ids


def test_paging_filters_and_headers(client: TestClient, world: dict[str, str]) -> None:
    public = collection_ids(client, H)["Public"]
    url = f"/taxii2/accord/collections/{public}/objects/"
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 4}
    while True:
        response = client.get(url, headers=H, params=params)
        body = response.json()
        seen += [o["id"] for o in body.get("objects", [])]
        assert "X-TAXII-Date-Added-First" in response.headers
        if not body["more"]:
            break
        params = {"limit": 4, "next": body["next"]}
    everything = client.get(url, headers=H, params={"limit": 1000}).json()["objects"]
    assert seen == [o["id"] for o in everything]
    assert len(seen) == len(set(seen)) > 4
    typed = client.get(url, headers=H, params={"match[type]": "intrusion-set"}).json()
    assert [o["type"] for o in typed["objects"]] == ["intrusion-set"]
    wanted = m.stable_id("incident", "wannacry")
    one = client.get(url, headers=H, params={"match[id]": wanted}).json()
    assert [o["id"] for o in one["objects"]] == [wanted]
    later = client.get(url, headers=H, params={"added_after": "2030-01-01T00:00:00Z"}).json()
    assert later == {"more": False}
    none = client.get(url, headers=H, params={"match[spec_version]": "2.0"}).json()
    assert "objects" not in none
    manifest = client.get(
        f"/taxii2/accord/collections/{public}/manifest/", headers=H, params={"limit": 2}
    ).json()
    assert manifest["more"] is True
    assert set(manifest["objects"][0]) == {"id", "date_added", "version", "media_type"}


def test_single_object_and_versions(
    kb: KnowledgeBase, client: TestClient, world: dict[str, str]
) -> None:
    kb.update("wannacry", SYSTEM, data={"description": "Revised."})
    public = collection_ids(client, H)["Public"]
    sid = m.stable_id("incident", "wannacry")
    base = f"/taxii2/accord/collections/{public}/objects/{sid}/"
    body = client.get(base, headers=H).json()
    assert [o["description"] for o in body["objects"]] == ["Revised."]
    versions = client.get(base + "versions/", headers=H).json()
    assert len(versions["versions"]) == 2
    assert versions["more"] is False
    every = client.get(base, headers=H, params={"match[version]": "all"}).json()
    assert [o["modified"] for o in every["objects"]] == versions["versions"]
    first = client.get(base, headers=H, params={"match[version]": "first"}).json()
    assert "description" not in first["objects"][0]
    hidden = m.stable_id("identity", "fbi")
    response = client.get(f"/taxii2/accord/collections/{public}/objects/{hidden}/", headers=H)
    assert response.status_code == 404


def test_add_objects_needs_the_taxii_content_type_and_a_writable_collection(
    client: TestClient, world: dict[str, str]
) -> None:
    ids = collection_ids(client, auth(world["token"]))
    url = f"/taxii2/accord/collections/{ids[world['org']]}/objects/"
    envelope = {"objects": []}
    response = client.post(url, headers=auth(world["token"]), json=envelope)
    assert response.status_code == 415
    assert response.json()["http_status"] == "415"
    public = f"/taxii2/accord/collections/{ids['Public']}/objects/"
    headers = {**auth(world["token"]), "Content-Type": TAXII}
    assert client.post(public, headers=headers, content=b'{"objects": []}').status_code == 403


def test_added_objects_are_validated_marked_and_reported(
    kb: KnowledgeBase, client: TestClient, world: dict[str, str]
) -> None:
    ids = collection_ids(client, auth(world["token"]))
    url = f"/taxii2/accord/collections/{ids[world['org']]}/objects/"
    group = "intrusion-set--2b0e7c55-4a5e-4e5b-9a6d-0c7f3c1f2a10"
    t = "2024-02-01T00:00:00.000Z"
    envelope = {
        "objects": [
            {
                "type": "intrusion-set",
                "spec_version": "2.1",
                "id": group,
                "created": t,
                "modified": t,
                "name": "Shared Group",
                "x_source_score": 3,
            },
            {
                "type": "intrusion-set",
                "spec_version": "2.1",
                "id": "intrusion-set--3b0e7c55-4a5e-4e5b-9a6d-0c7f3c1f2a10",
                "created": "bad",
                "modified": t,
                "name": "Broken",
            },
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--4b0e7c55-4a5e-4e5b-9a6d-0c7f3c1f2a10",
                "created": t,
                "modified": t,
                "pattern": "[x]",
                "pattern_type": "stix",
                "valid_from": t,
            },
        ]
    }
    headers = {**auth(world["token"]), "Content-Type": TAXII}
    import orjson

    response = client.post(url, headers=headers, content=orjson.dumps(envelope))
    assert response.status_code == 202
    status = response.json()
    assert status["status"] == "complete"
    assert status["successes"] == [{"id": group, "version": t}]
    assert status["failure_count"] == 2
    # written in the organisation's namespace, under the object's own STIX id
    stored = kb.get(f"{world['org']}.{group}", accounts.find_user(kb, "analyst@mfa.example").viewer)
    assert stored.marking is m.Marking.AMBER_STRICT
    assert stored.owner == world["org"]
    again = client.get(f"/taxii2/accord/status/{status['id']}/", headers=auth(world["token"]))
    assert again.json() == status
    assert client.get(f"/taxii2/accord/status/{status['id']}/", headers=H).status_code == 404
    anonymous_view = client.get(
        f"/taxii2/accord/collections/{ids['Public']}/objects/",
        headers=H,
        params={"match[id]": group},
    ).json()
    assert "objects" not in anonymous_view


def test_added_object_answers_alike_whether_a_hidden_record_has_its_id(
    kb: KnowledgeBase, client: TestClient, world: dict[str, str]
) -> None:
    taken = "intrusion-set--5b0e7c55-4a5e-4e5b-9a6d-0c7f3c1f2a10"
    free = "intrusion-set--6b0e7c55-4a5e-4e5b-9a6d-0c7f3c1f2a10"
    kb.create({**actor(taken, kind="threat_group"), "marking": "AMBER"}, SYSTEM)
    collection = collection_ids(client, auth(world["token"]))[world["org"]]
    url = f"/taxii2/accord/collections/{collection}/objects/"
    headers = {**auth(world["token"]), "Content-Type": TAXII}
    t = "2024-02-01T00:00:00.000Z"

    def post(sid: str) -> tuple[int, list[str], int]:
        obj = {"type": "intrusion-set", "spec_version": "2.1", "id": sid, "created": t}
        obj |= {"modified": t, "name": "Guess"}
        response = client.post(url, headers=headers, json={"objects": [obj]})
        status = response.json()
        successes = [s["id"].replace(sid, "ID") for s in status["successes"]]
        return response.status_code, successes, status["failure_count"]

    assert post(taken) == post(free) == (202, ["ID"], 0)
    assert kb.get(taken, SYSTEM).data.model_dump()["name"] == taken  # untouched


def test_rest_export_streams_a_bundle_of_what_the_caller_sees(
    client: TestClient, world: dict[str, str]
) -> None:
    anonymous = client.get("/api/v1/export/stix").json()
    signed_in = client.get(
        "/api/v1/export/stix", headers={"Authorization": f"Bearer {world['token']}"}
    ).json()
    assert anonymous["type"] == "bundle"
    fbi = m.stable_id("identity", "fbi")
    assert fbi not in {o["id"] for o in anonymous["objects"]}
    assert fbi in {o["id"] for o in signed_in["objects"]}


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


@pytest.fixture
def live(kb: KnowledgeBase) -> Iterator[str]:
    """A real uvicorn server on a free port of 127.0.0.1, in a thread."""
    url, stop = serve(kb)
    yield url
    stop()


def test_taxii2_client_pages_through_a_collection(
    kb: KnowledgeBase, world: dict[str, str], live: str
) -> None:
    kb.bulk_create([actor(f"state-x{i:02d}", f"State {i}") for i in range(25)], SYSTEM)
    server = Server(f"{live}/taxii2/", auth=_Bearer(world["token"]))
    root = server.default
    assert root is not None
    titles = {c.title: c for c in root.collections}
    assert set(titles) == {"Public", "Community", world["org"], f"Shared with {world['org']}"}
    public = titles["Public"]
    pages = list(as_pages(public.get_objects, per_request=10))
    ids = [o["id"] for page in pages for o in page.get("objects", [])]
    assert len(pages) >= 4
    assert len(ids) == len(set(ids))
    assert m.stable_id("identity", "state-x24") in ids
    manifest = public.get_manifest()
    assert {e["id"] for e in manifest["objects"]} <= set(ids)
    mine = titles[world["org"]]
    t = "2024-02-01T00:00:00.000Z"
    group = "intrusion-set--5b0e7c55-4a5e-4e5b-9a6d-0c7f3c1f2a10"
    status = mine.add_objects(
        {
            "objects": [
                {
                    "type": "intrusion-set",
                    "spec_version": "2.1",
                    "id": group,
                    "created": t,
                    "modified": t,
                    "name": "Client Group",
                }
            ]
        }
    )
    assert status.status == "complete"
    assert status.success_count == 1
    assert mine.get_object(group)["objects"][0]["name"] == "Client Group"


def test_shared_collection_holds_what_others_shared_with_the_org(
    kb: KnowledgeBase, client: TestClient, world: dict[str, str]
) -> None:
    partner = accounts.create_org(kb, "Partner Firm", Sector.PRIVATE)
    accounts.create_user(kb, "cti@partner.example", partner, UserRole.REVIEWER)
    outsider = accounts.create_org(kb, "Outsider", Sector.CIVIL_SOCIETY)
    accounts.create_user(kb, "x@outsider.example", outsider, UserRole.CONTRIBUTOR)
    author = accounts.find_user(kb, "cti@partner.example").viewer
    kb.create(
        {
            **actor(f"{partner}.shared-group", kind="threat_group"),
            "marking": "AMBER",
            "shares": [world["org"]],
        },
        author,
    )
    kb.create({**actor(f"{partner}.kept-group", kind="threat_group"), "marking": "AMBER"}, author)

    def shared_records(token: str, org: str) -> set[str]:
        collection = collection_ids(client, auth(token))[f"Shared with {org}"]
        body = client.get(
            f"/taxii2/accord/collections/{collection}/objects/", headers=auth(token)
        ).json()
        served = [o for o in body.get("objects", []) if o["id"] not in m.META_IDS]
        return {o["extensions"][m.PROPS_EXT]["record_id"] for o in served}

    assert shared_records(world["token"], world["org"]) == {f"{partner}.shared-group"}
    other = accounts.create_token(kb, "x@outsider.example")[1]
    assert shared_records(other, outsider) == set()


def test_paging_through_records_written_in_one_batch_sees_each_once(
    kb: KnowledgeBase, client: TestClient
) -> None:
    """Records of one bulk write share their timestamp: the cursor must still move on."""
    kb.bulk_create([actor(f"state-b{i}", f"Batch {i}") for i in range(7)], SYSTEM)
    public = collection_ids(client, H)["Public"]
    url = f"/taxii2/accord/collections/{public}/objects/"
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    for _ in range(10):
        body = client.get(url, headers=H, params=params).json()
        seen += [o["id"] for o in body.get("objects", [])]
        if not body["more"]:
            break
        params = {"limit": 3, "next": body["next"]}
    batch = {m.stable_id("identity", f"state-b{i}") for i in range(7)}
    assert len(seen) == len(set(seen))
    assert batch <= set(seen)


def test_every_collection_serves_the_definitions_its_objects_reference(
    client: TestClient, world: dict[str, str]
) -> None:
    definitions = ("marking-definition--", "extension-definition--", m.PRODUCER_ID)
    for headers in (H, auth(world["token"])):
        for title, cid in collection_ids(client, headers).items():
            url = f"/taxii2/accord/collections/{cid}/objects/"
            objects: list[dict[str, Any]] = []
            params: dict[str, Any] = {"limit": 5}
            while True:  # small pages: the definitions span several
                body = client.get(url, headers=headers, params=params).json()
                objects += body.get("objects", [])
                if not body["more"]:
                    break
                params = {"limit": 5, "next": body["next"]}
            served = {o["id"] for o in objects}
            # what each object points at: its *_ref(s) values and its extensions' definitions
            pointed = {r for o in objects for r in refs_in(o) | set(o.get("extensions", {}))}
            wanted = {r for r in pointed if r.startswith(definitions)}
            # OASIS's TLP 2.0 extension is named by its published id, not re-issued
            assert wanted - served <= {m.TLP_EXT}, title
            assert len(served) == len(objects), title
    public = collection_ids(client, H)["Public"]
    url = f"/taxii2/accord/collections/{public}/objects/"
    typed = client.get(url, headers=H, params={"match[type]": "marking-definition"}).json()
    assert {o["id"] for o in typed["objects"]} == set(m.TLP_IDS.values())
    one = client.get(f"{url}{m.PROPS_EXT}/", headers=H).json()
    assert [o["type"] for o in one["objects"]] == ["extension-definition"]
    versions = client.get(f"{url}{m.TLP_IDS[m.Marking.RED]}/versions/", headers=H).json()
    assert versions == {"more": False, "versions": [m.TLP_TIME]}
    manifest = client.get(f"/taxii2/accord/collections/{public}/manifest/", headers=H).json()
    assert {e["id"] for e in manifest["objects"]} >= m.META_IDS
