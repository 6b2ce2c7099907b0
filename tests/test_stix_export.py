"""STIX 2.1 export: OASIS validator, deterministic ids, mapping, and nothing hidden leaks."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stix2validator import ValidationOptions, validate_string

from accord import accounts
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.domain.stable_ids import NAMESPACE
from accord.domain.vocab import Sector, UserRole
from accord.interop import stix_mapping as m
from accord.interop.stix_export import write_bundle
from accord.kb import KnowledgeBase
from tests.stix_world import build_world

BUNDLE_ID = "bundle--6f1d1f0c-2f7a-4a53-9c55-0a4f0b0d8c11"


def export(kb: KnowledgeBase, viewer: Viewer = SYSTEM) -> dict[str, Any]:
    buffer = io.BytesIO()
    write_bundle(kb, viewer, buffer, bundle_id=BUNDLE_ID)
    bundle: dict[str, Any] = orjson.loads(buffer.getvalue())
    return bundle


def by_record(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        o["extensions"][m.PROPS_EXT]["record_id"]: o
        for o in bundle["objects"]
        if m.PROPS_EXT in o.get("extensions", {})
    }


def refs_in(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_ref") and isinstance(item, str):
                found.add(item)
            elif key.endswith("_refs") and isinstance(item, list):
                found.update(item)
            else:
                found |= refs_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= refs_in(item)
    return found


def test_export_passes_the_oasis_validator_with_no_errors(kb: KnowledgeBase) -> None:
    build_world(kb)
    text = orjson.dumps(export(kb)).decode()
    result = validate_string(text, ValidationOptions(version="2.1"))
    errors = [str(e) for e in result.errors]
    assert errors == []
    assert result.is_valid


def test_every_kind_maps_to_its_stix_type(kb: KnowledgeBase) -> None:
    build_world(kb)
    objects = by_record(export(kb))
    assert objects["state-kp"]["type"] == "identity"
    assert objects["lazarus"]["type"] == "intrusion-set"
    assert objects["lazarus"]["aliases"] == ["Hidden Cobra"]
    assert objects["wannacry"]["type"] == "incident"
    claim = objects["claim-gb-wannacry"]
    assert claim["relationship_type"] == "attributed-to"
    assert claim["created_by_ref"] == objects["state-gb"]["id"]
    assert claim["source_ref"] == objects["wannacry"]["id"]
    assert claim["target_ref"] == objects["state-kp"]["id"]
    assert claim["confidence"] == 85
    assert objects["norm-ungge2015-13f"]["type"] == "x-accord-norm"
    assert objects["part-state-gb-ungge-2015"]["type"] == "x-accord-participation"
    assert objects["evidence-gb-wannacry"]["type"] == "note"
    new_type_exts = {o["id"] for o in export(kb)["objects"] if o["type"] == "extension-definition"}
    for record_id in ("initiative-ungge-2015", "response-us-sanction-lazarus"):
        assert set(objects[record_id]["extensions"]) <= new_type_exts


def test_dispute_is_an_opinion_on_the_attribution_it_disputes(kb: KnowledgeBase) -> None:
    build_world(kb)
    objects = by_record(export(kb))
    denial = objects["claim-kp-denies-wannacry"]
    assert denial["type"] == "opinion"
    assert denial["opinion"] == "strongly-disagree"
    # It answers the attributions, not the claim that only traces WannaCry to a territory.
    assert denial["object_refs"] == sorted(
        objects[c]["id"] for c in ("claim-gb-wannacry", "claim-us-wannacry-agency")
    )
    located = objects["claim-acme-locates-wannacry"]
    assert located["relationship_type"] == "related-to"
    own = next(iter(located["extensions"].values()))
    assert (own["stance"], own["level"]) == ("locates", "territory")
    # No visible claim attributes Sony to Lazarus: the opinion points at incident and accused.
    dispute = objects["claim-acme-disputes-sony"]
    assert dispute["opinion"] == "disagree"
    assert dispute["object_refs"] == [
        objects["sony-pictures-2014"]["id"],
        objects["lazarus"]["id"],
    ]


def test_markings_are_the_official_tlp_definitions(kb: KnowledgeBase) -> None:
    build_world(kb)
    bundle = export(kb)
    objects = by_record(bundle)
    assert objects["fbi"]["object_marking_refs"] == [
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
    ]
    assert objects["evidence-gb-wannacry"]["object_marking_refs"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
    ]
    tlp = {o["id"]: o["name"] for o in bundle["objects"] if o["type"] == "marking-definition"}
    assert tlp["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"] == "TLP:CLEAR"
    assert len(tlp) == 5


def test_ids_are_deterministic_uuid5_of_the_accord_id(kb: KnowledgeBase) -> None:
    build_world(kb)
    first, second = export(kb), export(kb)
    assert first == second
    assert by_record(first)["wannacry"]["id"] == m.stable_id("incident", "wannacry")


def test_sources_become_external_references_with_dates_kept(kb: KnowledgeBase) -> None:
    build_world(kb)
    note = by_record(export(kb))["evidence-gb-wannacry"]
    assert note["external_references"] == [
        {
            "source_name": "Test publisher",
            "description": "Test statement",
            "url": "https://example.org/statement",
        }
    ]
    assert note["extensions"][m.PROPS_EXT]["source_details"] == [
        {"date": "2020-01-02", "reliability": "B"}
    ]


@pytest.mark.parametrize("signed_in", [False, True])
def test_export_holds_nothing_hidden_and_no_reference_to_it(
    kb: KnowledgeBase, signed_in: bool
) -> None:
    build_world(kb)
    viewer = ANONYMOUS
    if signed_in:
        org = accounts.create_org(kb, "Other Ministry", Sector.GOVERNMENT)
        user = accounts.create_user(kb, "reader@other.example", org, UserRole.READER)
        viewer = user.viewer
    bundle = export(kb, viewer)
    objects = by_record(bundle)
    assert "evidence-gb-wannacry" not in objects  # AMBER, another organisation's
    assert ("fbi" in objects) is signed_in  # GREEN
    assert ("claim-fbi-sony" in objects) is signed_in  # its claimant is GREEN
    ids = {o["id"] for o in bundle["objects"]}
    assert refs_in(bundle["objects"]) <= ids
    state_us = objects["state-us"]
    assert state_us["type"] == "identity"
    if not signed_in:
        assert m.stable_id("identity", "fbi") not in orjson.dumps(bundle).decode()


@given(st.text(max_size=80))
def test_stable_ids_are_rfc_4122_uuid5(name: str) -> None:
    assert m.stable_id("identity", name) == f"identity--{uuid.uuid5(NAMESPACE, name)}"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02T03:04:05.000Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 120000, tzinfo=dt.UTC), "2024-01-02T03:04:05.120Z"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC), "2024-01-02T03:04:05.123456Z"),
        (
            dt.datetime(2024, 1, 2, 5, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2024-01-02T03:04:05.000Z",
        ),
    ],
)
def test_timestamps_are_utc_with_milliseconds_or_microseconds(
    value: dt.datetime, expected: str
) -> None:
    assert m.timestamp(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05Z", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)),
        ("2024-01-02T03:04:05.1Z", dt.datetime(2024, 1, 2, 3, 4, 5, 100000, tzinfo=dt.UTC)),
        (
            "2024-01-02T03:04:05.123456789Z",
            dt.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
        ),
    ],
)
def test_stix_timestamps_parse_to_utc(text: str, expected: dt.datetime) -> None:
    assert m.parse_timestamp(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2024-02-30T03:04:05Z", "not a real date"),
        ("2024-01-02 03:04:05Z", "not a STIX timestamp"),
        ("2024-01-02T03:04:05+01:00", "not a STIX timestamp"),
        (20240102, "not a STIX timestamp"),
    ],
)
def test_bad_stix_timestamps_are_refused(text: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        m.parse_timestamp(text)
