"""A feed pulls from the OASIS TAXII 2.1 reference server (medallion, memory backend) loaded
with STIX objects Accord did not write: mapped objects arrive with their origin, the rest is
skipped with a reason, RED never arrives, and a second pull writes only what was added since."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from accord import accounts
from accord.domain.vocab import Sector, UserRole
from accord.errors import NotFound
from accord.federation import feeds, origins
from accord.federation.pull import pull
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase

medallion = pytest.importorskip("medallion")

TAXII = "application/taxii+json;version=2.1"
COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
USER, PASSWORD = "admin", "Password0"
T = "2024-03-01T10:00:00.000Z"
FIRM = "identity--0a1b2c3d-1111-4a2b-8c3d-000000000001"
GOV = "identity--0a1b2c3d-1111-4a2b-8c3d-000000000002"
GROUP = "intrusion-set--0a1b2c3d-1111-4a2b-8c3d-000000000003"
SECRET_GROUP = "intrusion-set--0a1b2c3d-1111-4a2b-8c3d-000000000004"
LINK = "relationship--0a1b2c3d-1111-4a2b-8c3d-000000000005"
INDICATOR = "indicator--0a1b2c3d-1111-4a2b-8c3d-000000000006"


def _common(sid: str, marking: str = "CLEAR") -> dict[str, Any]:
    return {
        "spec_version": "2.1",
        "id": sid,
        "type": sid.split("--")[0],
        "created": T,
        "modified": T,
        "object_marking_refs": [m.TLP_IDS[m.Marking(marking)]],
    }


def objects() -> list[dict[str, Any]]:
    """STIX from another producer: two identities, a group, an attribution, an indicator and
    a RED group."""
    return [
        {**_common(FIRM), "name": "Example Security Firm", "identity_class": "organization"},
        {
            **_common(GOV),
            "name": "Government of Exampleland",
            "identity_class": "organization",
            "sectors": ["government-national"],
        },
        {**_common(GROUP, "GREEN"), "name": "Example Panda", "aliases": ["EP-1"]},
        {**_common(SECRET_GROUP, "RED"), "name": "Hush Group"},
        {
            **_common(LINK),
            "relationship_type": "attributed-to",
            "source_ref": GROUP,
            "target_ref": GOV,
            "created_by_ref": FIRM,
            "description": "The firm attributes Example Panda to Exampleland.",
            "confidence": 70,
        },
        {
            **_common(INDICATOR),
            "name": "bad domain",
            "pattern": "[domain-name:value = 'bad.example']",
            "pattern_type": "stix",
            "valid_from": T,
        },
    ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """medallion on a free local port, its memory backend loaded through its own POST."""
    folder = tmp_path_factory.mktemp("medallion")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    data = {
        "/discovery": {
            "title": "medallion",
            "description": "reference server",
            "default": f"{base}/api1/",
            "api_roots": [f"{base}/api1/"],
        },
        "api1": {
            "information": {
                "title": "API root",
                "description": "test",
                "versions": [TAXII],
                "max_content_length": 9765625,
            },
            "status": [],
            "collections": [
                {
                    "id": COLLECTION,
                    "title": "Shared",
                    "description": "objects from elsewhere",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (folder / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(folder / "data.json"),
        },
        "users": {USER: PASSWORD},
        "taxii": {"max_page_size": 100},
    }
    (folder / "config.json").write_text(json.dumps(config))
    app = medallion.load_app(str(folder / "config.json"))
    http = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    post(base, objects())
    yield f"{base}/api1/"
    http.shutdown()
    thread.join(timeout=10)


def post(base: str, items: list[dict[str, Any]]) -> None:
    """Add objects to medallion's collection (its own POST: it records date_added)."""
    answer = requests.post(
        f"{base.removesuffix('/api1/')}/api1/collections/{COLLECTION}/objects/",
        data=json.dumps({"objects": items}),
        headers={"Accept": TAXII, "Content-Type": TAXII},
        auth=(USER, PASSWORD),
        timeout=30,
    )
    assert answer.status_code == 202, answer.text


@pytest.fixture
def subscriber(kb: KnowledgeBase, server: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ACCORD_FEED_KEY", "m" * 40)
    org = accounts.create_org(kb, "Research Centre", Sector.ACADEMIA, org_id="research")
    user = accounts.create_user(kb, "reviewer@research.example", org, UserRole.REVIEWER)
    feeds.add(
        kb,
        "oasis",
        server,
        COLLECTION,
        user_email=user.email,
        token=f"{USER}:{PASSWORD}",
        basic=True,
    )
    return user.viewer


def test_a_pull_from_medallion_maps_what_accord_models(
    kb: KnowledgeBase, server: str, subscriber: Any
) -> None:
    report = pull(kb, "oasis", page_size=2)
    assert report.pages >= 3
    assert report.counts["create"] == 4
    actions = {o.remote_id: (o.action, o.reason) for o in report.items}
    assert actions[SECRET_GROUP] == ("skip", "TLP:RED never syncs")
    assert actions[INDICATOR][0] == "skip"
    assert "not modelled" in actions[INDICATOR][1]
    group = kb.get(f"research.{GROUP}", subscriber)
    assert group.name == "Example Panda"
    assert group.marking.value == "GREEN"
    link = kb.get(f"research.{LINK}", subscriber)
    assert link.data.claimant == f"research.{FIRM}"
    assert link.data.accused == f"research.{GOV}"
    origin = origins.of_record(kb, f"research.{LINK}")
    assert origin is not None
    assert (origin.feed, origin.remote_id, origin.remote_modified) == ("oasis", LINK, T)
    with pytest.raises(NotFound):
        kb.get(f"research.{SECRET_GROUP}", subscriber)


def test_a_second_pull_from_medallion_writes_only_what_was_added(
    kb: KnowledgeBase, server: str, subscriber: Any
) -> None:
    pull(kb, "oasis")
    head = kb.audit_head()
    assert pull(kb, "oasis").counts.get("create", 0) == 0
    assert kb.audit_head() == head
    fresh = f"intrusion-set--{uuid.uuid4()}"
    post(server, [{**_common(fresh), "name": "Newcomer"}])
    later = pull(kb, "oasis")
    assert later.counts["create"] == 1
    assert later.counts.get("update", 0) == 0
    assert kb.get(f"research.{fresh}", subscriber).name == "Newcomer"
