"""ATT&CK bundle import: groups with G-ids, campaigns as incidents, MITRE's attributions."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Kind, Sector, UserRole
from accord.interop.attack import import_attack
from accord.interop.importing import ImportInvalid
from accord.kb import KnowledgeBase
from tests.conftest import actor
from tests.import_helpers import real

BUNDLE = "mitre-attack-cti/attack-groups-campaigns-bundle.json"


def test_real_bundle_imports_groups_campaigns_and_claims_once(kb: KnowledgeBase) -> None:
    # An actor that already carries an ATT&CK id is reused, not duplicated.
    kb.create(
        actor("apt28", "APT28", kind="threat_group", external_ids={"attack": "G0007"}), SYSTEM
    )
    report = import_attack(kb, SYSTEM, real(BUNDLE))
    counts = kb.count(SYSTEM)
    # 191 intrusion sets: 6 revoked and 9 deprecated skipped, 176 imported, G0007 reused.
    groups = [r for r in kb.iter_records(SYSTEM, kind=Kind.ACTOR) if r.id.startswith("attack-g")]
    assert len(groups) == 175
    assert report.kept == ["apt28"]
    # 56 campaigns: 1 deprecated; those whose description names no effect are kept without.
    campaigns = counts["incident"]
    skipped_campaigns = [p for p in report.skipped if p.where.startswith("campaign--")]
    assert campaigns + len(skipped_campaigns) == 56
    assert campaigns == 55
    no_effect = [n for n in report.notes if "no effect type can be read" in n]
    assert len(no_effect) == 19
    effectless = [r for r in kb.iter_records(SYSTEM, kind=Kind.INCIDENT) if not r.data.effects]  # type: ignore[attr-defined]
    assert len(effectless) == 19
    # 26 attributed-to relationships; those whose campaign was skipped are skipped too.
    skipped_claims = [p for p in report.skipped if p.where.startswith("relationship--")]
    assert counts["claim"] + len(skipped_claims) == 26
    assert report.by_kind()["claim"]["skipped"] == len(skipped_claims)
    ukraine = kb.get("attack-c0028", SYSTEM).data
    assert ukraine.start.value == "2015-12"
    assert ukraine.end.value == "2016-01"
    assert "sabotage" in ukraine.effects  # type: ignore[attr-defined]
    claim = kb.get("claim-mitre-attack-c0028-attack-g0034", SYSTEM).data
    assert claim.claimant == "mitre"
    assert claim.kind.value == "technical_report"
    again = import_attack(kb, SYSTEM, real(BUNDLE))
    assert (again.created, again.updated) == ([], [])
    assert kb.count(SYSTEM) == counts


def test_group_without_attack_id_is_invalid(kb: KnowledgeBase, tmp_path: Path) -> None:
    bundle = {
        "type": "bundle",
        "objects": [
            {"type": "intrusion-set", "id": "intrusion-set--1", "name": "No Id"},
            {
                "type": "intrusion-set",
                "id": "intrusion-set--2",
                "name": "Good",
                "external_references": [{"source_name": "mitre-attack", "external_id": "G9999"}],
            },
        ],
    }
    path = tmp_path / "bundle.json"
    path.write_bytes(orjson.dumps(bundle))
    before = kb.count(SYSTEM)
    with pytest.raises(ImportInvalid, match="intrusion-set--1"):
        import_attack(kb, SYSTEM, path)
    assert kb.count(SYSTEM) == before
    report = import_attack(kb, SYSTEM, path, skip_invalid=True)
    assert report.created == ["attack-g9999"]


def test_a_file_that_is_not_a_bundle_is_rejected(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("[1, 2]")
    with pytest.raises(Exception, match="not a STIX bundle"):
        import_attack(kb, SYSTEM, path)


def test_contributor_import_runs_once_in_its_namespace(kb: KnowledgeBase) -> None:
    org = accounts.create_org(kb, "Fixture Institute", Sector.ACADEMIA)
    user = accounts.create_user(kb, "analyst@institute.example", org, UserRole.CONTRIBUTOR)
    first = import_attack(kb, user.viewer, real(BUNDLE))
    assert f"{org}.claim-mitre-attack-c0028-attack-g0034" in first.created
    again = import_attack(kb, user.viewer, real(BUNDLE))
    assert (again.created, again.updated) == ([], [])
