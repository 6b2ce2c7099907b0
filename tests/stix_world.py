"""A small representative world for the STIX and TAXII tests: every kind, several markings."""

from __future__ import annotations

from typing import Any

from accord.access import SYSTEM
from accord.kb import KnowledgeBase
from tests.conftest import actor, claim, incident, source


def _record(rid: str, record_kind: str, **data: Any) -> dict[str, Any]:
    return {"id": rid, "kind": record_kind, "data": data, "sources": [source()]}


def build_world(kb: KnowledgeBase) -> None:
    """Store the world as the system curators (all CLEAR unless marked). Writes."""
    records = [
        actor("state-kp", "North Korea", country="KP"),
        actor("state-us", "United States", country="US"),
        actor("state-gb", "United Kingdom", country="GB", aliases=["UK"]),
        actor("fbi", "FBI", kind="government_body", country="US", parent="state-us"),
        actor("acme-sec", "Acme Security", kind="security_firm"),
        actor(
            "lazarus",
            "Lazarus Group",
            kind="threat_group",
            aliases=["Hidden Cobra"],
            external_ids={"attack": "G0032"},
            description="A threat group.",
        ),
        incident(
            "wannacry",
            "WannaCry",
            start="2017-05-12",
            effects=["ransomware", "destruction"],
            target_countries=["GB"],
            target_sectors=["health"],
            critical_infrastructure=True,
            damage=[{"estimate": "about 4 billion USD", "amount_usd": 4e9}],
        ),
        incident("sony-pictures-2014", "Sony Pictures hack", start="2014-11"),
        claim(
            "claim-gb-wannacry",
            "state-gb",
            "wannacry",
            "state-kp",
            confidence=85,
            confidence_words="highly likely",
            joint_group="wannacry-2017-12",
            summary="The UK says North Korea did it.",
        ),
        claim("claim-fbi-sony", "fbi", "sony-pictures-2014", "state-kp", kind="legal_action"),
        claim(
            "claim-kp-denies-wannacry",
            "state-kp",
            "wannacry",
            "state-kp",
            stance="denies",
            date="2017-12-20",
        ),
        claim(
            "claim-acme-disputes-sony",
            "acme-sec",
            "sony-pictures-2014",
            "lazarus",
            stance="disputes",
            kind="technical_report",
        ),
        claim("claim-acme-lazarus", "acme-sec", None, "state-kp", subject="lazarus"),
        claim(
            "claim-acme-locates-wannacry",
            "acme-sec",
            "wannacry",
            "state-kp",
            stance="locates",
            level="territory",
            kind="technical_report",
        ),
        claim(
            "claim-us-wannacry-agency",
            "state-us",
            "wannacry",
            "state-kp",
            level="agency",
            confidence_words="high confidence",
        ),
        _record(
            "initiative-ungge-2015",
            "initiative",
            name="UN GGE 2015",
            kind="un_process",
            start="2015",
            status="concluded",
            binding=False,
            conveners=["state-us"],
        ),
        _record(
            "norm-ungge2015-13f",
            "norm",
            code="13(f)",
            title="Do not damage critical infrastructure",
            initiative="initiative-ungge-2015",
            theme="critical_infrastructure",
        ),
        _record(
            "response-us-sanction-lazarus",
            "response",
            responder="state-us",
            kind="sanction",
            targets=["lazarus"],
            incident="sony-pictures-2014",
            date="2019-09-13",
            instrument="Executive Order 13382",
        ),
        _record(
            "part-state-gb-ungge-2015",
            "participation",
            actor="state-gb",
            initiative="initiative-ungge-2015",
            role="member",
            joined="2014",
        ),
        _record(
            "assess-wannacry-13f",
            "assessment",
            assessor="acme-sec",
            incident="wannacry",
            norm="norm-ungge2015-13f",
            rationale="Hospitals were hit.",
            date="2018",
        ),
        _record("evidence-gb-wannacry", "evidence", about="claim-gb-wannacry", content="Notes."),
    ]
    for item in records:
        if item["kind"] == "claim" and item["data"].get("incident") is None:
            item["data"].pop("incident")
    records[3]["marking"] = "GREEN"
    records[-1]["marking"] = "AMBER"
    records[-1]["sources"] = [source(reliability="B")]
    kb.bulk_create(records, SYSTEM)
