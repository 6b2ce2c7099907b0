"""STIX 2.0/2.1 import: mapping back, opaque properties, bad input, one transaction, real files."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from stix2validator import ValidationOptions, validate_string

from accord.access import SYSTEM
from accord.domain.vocab import ActorKind, Kind, Marking, Stance
from accord.errors import BundleError, Conflict
from accord.interop import stix_import
from accord.interop.stix_export import write_bundle
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
T = "2020-03-01T10:00:00.000Z"
MITRE = "identity--c78cb6e5-0c4b-4611-8297-d1b8b55e40b5"
GROUP = "intrusion-set--899ce53f-13a0-479b-a0e4-67d46e241542"
STATE = "identity--1cbd0a50-0bb0-4b0b-9b9b-6e6e4f0f3a44"
INCIDENT = "incident--0d3b6a4c-1c61-4c9e-a1a4-3f2a3a1f6e10"
REL = "relationship--5a6c7b1e-2d0d-4b2a-9f44-6e0e1b7f9a01"


def sdo(stype: str, oid: str, **props: Any) -> dict[str, Any]:
    return {"type": stype, "spec_version": "2.1", "id": oid, "created": T, "modified": T, **props}


def foreign_objects() -> list[dict[str, Any]]:
    return [
        sdo(
            "relationship",
            REL,
            relationship_type="attributed-to",
            source_ref=GROUP,
            target_ref=STATE,
            created_by_ref=MITRE,
            confidence=70,
        ),
        sdo("identity", MITRE, name="MITRE", identity_class="organization"),
        sdo(
            "identity",
            STATE,
            name="Examplestan",
            identity_class="organization",
            sectors=["government-national"],
        ),
        sdo(
            "intrusion-set",
            GROUP,
            name="Example Group",
            aliases=["Example Group", "EG"],
            x_vendor_score=7,
            goals=["espionage"],
            external_references=[
                {
                    "source_name": "mitre-attack",
                    "external_id": "G9999",
                    "url": "https://attack.mitre.org/groups/G9999",
                }
            ],
            object_marking_refs=["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
            x_vendor_owner_ref=STATE,
        ),
        sdo("indicator", "indicator--11111111-2222-4333-8444-555555555555", pattern="[x]"),
    ]


def write(tmp_path: Path, objects: list[Any], **bundle: Any) -> Path:
    path = tmp_path / "in.json"
    body = {"type": "bundle", "id": "bundle--0b8f5c7e-4b4f-4d8e-9d57-6f2b1a3c4d5e", **bundle}
    path.write_bytes(orjson.dumps({**body, "objects": objects}))
    return path


def total(kb: KnowledgeBase) -> int:
    return sum(kb.count(SYSTEM).values())


@pytest.fixture(params=["parsed", "streamed"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a bundle file is read: parsed at once (small files) or streamed (large)."""
    if request.param == "streamed":
        monkeypatch.setattr(stix_import, "IN_MEMORY_BYTES", 0)
    return str(request.param)


def test_foreign_objects_map_to_actors_and_a_claim(
    kb: KnowledgeBase, tmp_path: Path, reading: str
) -> None:
    report = import_bundle(kb, write(tmp_path, foreign_objects()), SYSTEM)
    assert report.written
    assert report.created == 4
    assert report.skipped == {"indicator": 1}
    group = kb.get(GROUP, SYSTEM)
    assert group.data.kind is ActorKind.THREAT_GROUP  # type: ignore[attr-defined]
    assert group.marking is Marking.GREEN
    assert group.data.external_ids == {"mitre-attack": "G9999"}  # type: ignore[attr-defined]
    assert str(group.sources[0].url) == "https://attack.mitre.org/groups/G9999"
    state = kb.get(STATE, SYSTEM)
    assert state.data.kind is ActorKind.GOVERNMENT_BODY  # type: ignore[attr-defined]
    assert "stix-bundles/in.json" in str(state.sources[0].url)  # no reference: the file
    claim = kb.get(REL, SYSTEM)
    assert claim.kind is Kind.CLAIM
    assert (claim.data.claimant, claim.data.subject, claim.data.accused) == (  # type: ignore[attr-defined]
        MITRE.lower(),
        GROUP,
        STATE,
    )
    assert claim.data.stance is Stance.ATTRIBUTES  # type: ignore[attr-defined]
    assert any("x_vendor_owner_ref" in n.reason for n in report.notes)


def test_custom_properties_are_kept_and_exported_unchanged(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    objects = foreign_objects()
    import_bundle(kb, write(tmp_path, objects), SYSTEM)
    buffer = io.BytesIO()
    write_bundle(kb, SYSTEM, buffer)
    exported = {o["id"]: o for o in orjson.loads(buffer.getvalue())["objects"]}
    group = exported[GROUP]
    original = objects[3]
    for key in ("x_vendor_score", "goals", "aliases", "external_references", "created", "modified"):
        assert group[key] == original[key]
    assert "x_vendor_owner_ref" not in group
    relationship = exported[REL]
    assert relationship["created_by_ref"] == MITRE
    assert relationship["modified"] == T
    errors = validate_string(
        orjson.dumps(
            {
                "type": "bundle",
                "id": "bundle--0b8f5c7e-4b4f-4d8e-9d57-6f2b1a3c4d5e",
                "objects": list(exported.values()),
            }
        ).decode(),
        ValidationOptions(version="2.1"),
    ).errors
    assert errors == []


def test_an_edit_after_import_gives_a_new_modified(kb: KnowledgeBase, tmp_path: Path) -> None:
    import_bundle(kb, write(tmp_path, foreign_objects()), SYSTEM)
    kb.update(GROUP, SYSTEM, data={"description": "Edited in Accord."})
    buffer = io.BytesIO()
    write_bundle(kb, SYSTEM, buffer)
    group = next(o for o in orjson.loads(buffer.getvalue())["objects"] if o["id"] == GROUP)
    assert group["created"] == T
    assert group["modified"] > T
    assert group["description"] == "Edited in Accord."


BAD: list[tuple[str, Any, str]] = [
    ("wrong spec_version", {"spec_version": "2.2"}, "unsupported spec_version"),
    ("missing spec_version", {"spec_version": None}, "missing spec_version"),
    ("missing name", {"name": None}, "name"),
    ("invalid timestamp", {"modified": "2020-13-45T99:00:00Z"}, "timestamp"),
    ("timestamp without zone", {"created": "2020-03-01 10:00:00"}, "timestamp"),
    ("huge string", {"description": "x" * 10_000_000}, "longer than"),
    ("bad id", {"id": "identity--not-a-uuid"}, "is not"),
]


@pytest.mark.parametrize(("case", "change", "reason"), BAD, ids=[c[0] for c in BAD])
def test_bad_object_is_reported_and_nothing_is_written(
    kb: KnowledgeBase, tmp_path: Path, case: str, change: dict[str, Any], reason: str
) -> None:
    objects = foreign_objects()
    bad = {k: v for k, v in {**objects[2], **change}.items() if v is not None}
    objects[2] = bad
    before = total(kb)
    report = import_bundle(kb, write(tmp_path, objects), SYSTEM)
    assert not report.written
    assert total(kb) == before
    assert [p.where for p in report.invalid] == [bad["id"]]
    assert reason in report.invalid[0].reason
    skipped = import_bundle(kb, write(tmp_path, objects), SYSTEM, skip_invalid=True)
    assert skipped.written
    assert skipped.invalid[0].where == bad["id"]
    assert kb.get(GROUP, SYSTEM).name == "Example Group"


def test_same_id_twice_with_different_content_is_refused(
    kb: KnowledgeBase, tmp_path: Path, reading: str
) -> None:
    objects = foreign_objects()
    objects.append({**objects[1], "name": "Someone else"})
    objects.append(dict(objects[2]))  # an identical repeat is fine
    report = import_bundle(kb, write(tmp_path, objects), SYSTEM)
    assert not report.written
    assert [(p.where, p.reason) for p in report.invalid] == [
        (MITRE, "the same id appears twice with different content")
    ]


@pytest.mark.parametrize("text", [b'{"type": "bundle", "objects": [{"type": ', b"[1, 2", b"{}"])
def test_malformed_json_is_a_clear_error(
    kb: KnowledgeBase, tmp_path: Path, text: bytes, reading: str
) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(text)
    with pytest.raises(BundleError, match=r"malformed JSON|not a STIX bundle"):
        import_bundle(kb, path, SYSTEM)


def test_relationship_with_missing_end_is_reported(kb: KnowledgeBase, tmp_path: Path) -> None:
    objects = [o for o in foreign_objects() if o["id"] != STATE]
    report = import_bundle(kb, write(tmp_path, objects), SYSTEM)
    assert report.written
    assert report.skipped["claim (missing end)"] == 1
    assert any(n.where == REL and STATE in n.reason for n in report.notes)


def test_stix_20_bundle_objects_need_no_spec_version(
    kb: KnowledgeBase, tmp_path: Path, reading: str
) -> None:
    objects = [{k: v for k, v in o.items() if k != "spec_version"} for o in foreign_objects()]
    report = import_bundle(kb, write(tmp_path, objects, spec_version="2.0"), SYSTEM)
    assert report.written
    assert report.created == 4


def test_forward_references_and_cycles_resolve_in_one_transaction(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stix_import, "BATCH", 2)
    objects = foreign_objects()
    report = import_bundle(kb, write(tmp_path, objects), SYSTEM)
    assert report.written
    assert report.created == 4


@pytest.mark.parametrize("chunk", [1, 2, 2_000])
def test_what_pass_two_looks_up_crosses_chunk_boundaries(
    kb: KnowledgeBase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
    reading: str,
) -> None:
    """Pass 2 reads the bundle a chunk at a time and asks the on-disk index about the objects
    a chunk points to: ends, countries and answered attributions found in other chunks."""
    monkeypatch.setattr(stix_import, "CHUNK", chunk)
    monkeypatch.setattr(stix_import, "BATCH", 1)
    location = "location--3f1d2c4b-5a6e-4f70-8b91-a2b3c4d5e6f7"
    opinion = sdo(
        "opinion",
        "opinion--7c6b5a49-3827-4165-a4b3-c2d1e0f9a8b7",
        opinion="strongly-disagree",
        object_refs=[REL],
        created_by_ref=STATE,
        explanation="Denied.",
    )
    objects = [
        opinion,
        *foreign_objects(),
        foreign_objects()[1],  # the same object twice: imported once
        sdo("location", location, country="fr"),
        sdo(
            "relationship",
            "relationship--0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            relationship_type="located-at",
            source_ref=STATE,
            target_ref=location,
        ),
    ]
    report = import_bundle(kb, write(tmp_path, objects), SYSTEM)
    assert report.written, report.to_json()
    assert report.created == 5
    assert kb.get(STATE, SYSTEM).data.country == "FR"  # type: ignore[attr-defined]
    denial = kb.get(opinion["id"], SYSTEM).data
    assert (denial.claimant, denial.subject, denial.accused) == (STATE, GROUP, STATE)  # type: ignore[attr-defined]
    assert denial.stance is Stance.DENIES  # type: ignore[attr-defined]


def test_a_failure_in_a_late_batch_writes_nothing(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stix_import, "BATCH", 1)
    # The group's id is already an incident: the KnowledgeBase refuses it only when the group's
    # batch is written, after the two identities' batches.
    kb.create(
        {
            "id": GROUP,
            "kind": "incident",
            "data": {"name": "Clash", "start": "2020", "effects": ["espionage"]},
            "sources": [{"title": "t", "publisher": "p", "url": "https://example.org/x"}],
        },
        SYSTEM,
    )
    before = total(kb)
    with pytest.raises(Conflict, match="already used"):
        import_bundle(kb, write(tmp_path, foreign_objects()), SYSTEM)
    assert total(kb) == before


def _shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data absent: {path}")
    return path


EXAMPLES = [
    "apt1.json",
    "poisonivy.json",
    "indicator-for-c2-ip-address.json",
    "indicator-to-campaign-relationship.json",
    "indicators-for-C2-with-COA.json",
    "infrastructure.json",
    "malicious-email-indicator-with-attachment.json",
    "tlp-2.0-marking-definitions.json",
]


@pytest.mark.parametrize("name", EXAMPLES)
def test_oasis_examples_import_with_skips_reported(kb: KnowledgeBase, name: str) -> None:
    report = import_bundle(kb, _shared("stix-examples", name), SYSTEM)
    assert report.ok
    assert report.written
    assert report.objects == report.created + report.unchanged + sum(report.skipped.values())


def test_oasis_single_object_file_imports_like_a_bundle(kb: KnowledgeBase, reading: str) -> None:
    report = import_bundle(kb, _shared("stix-examples", "interop-objectmarking-test.json"), SYSTEM)
    assert report.ok
    assert report.written
    assert report.objects == 1


def test_mitre_attack_bundle_imports_groups_and_reexports_them_unchanged(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = _shared("mitre-attack-cti", "attack-groups-campaigns-bundle.json")
    report = import_bundle(kb, path, SYSTEM)
    assert report.ok
    assert report.written
    assert report.skipped["malware"] == 556
    assert report.skipped["campaign"] == 56
    assert report.skipped["claim (missing end)"] == 26  # campaign → group: campaigns skipped
    # ATT&CK's 6 revoked groups withdraw nothing here (docs/withdrawals.md): not written.
    assert report.skipped["revoked (not withdrawn)"] == 6
    assert report.withdrawn == 0
    assert kb.count(SYSTEM)["actor"] == 1 + 185 + 1  # curators, groups, MITRE
    originals = {
        o["id"]: o
        for o in orjson.loads(path.read_bytes())["objects"]
        if o["type"] == "intrusion-set" and not o.get("revoked")
    }
    buffer = io.BytesIO()
    write_bundle(kb, SYSTEM, buffer)
    exported = {o["id"]: o for o in orjson.loads(buffer.getvalue())["objects"]}
    for oid, original in originals.items():
        again = exported[oid]
        kept = {
            k: v
            for k, v in original.items()
            if k not in ("created_by_ref", "object_marking_refs", "x_mitre_modified_by_ref")
        }
        assert {k: again.get(k) for k in kept} == kept
