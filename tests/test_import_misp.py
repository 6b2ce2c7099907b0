"""MISP galaxy import: threat groups, CFR suspected-sponsor claims, idempotency, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from accord import accounts
from accord.access import CURATORS_ORG, SYSTEM
from accord.domain.vocab import Kind, Marking, Sector, UserRole
from accord.errors import AccordError
from accord.interop.importing import ImportInvalid
from accord.interop.misp_galaxy import default_path, import_misp_galaxy
from accord.kb import KnowledgeBase
from tests.import_helpers import real

CLUSTER = "misp-galaxy/clusters/threat-actor.json"


def test_real_cluster_imports_groups_and_cfr_claims_once(kb: KnowledgeBase) -> None:
    report = import_misp_galaxy(kb, SYSTEM, real(CLUSTER), date="2026-08-06")
    counts = kb.count(SYSTEM)
    # 1,041 threat actors; 99 CFR sponsors of which 8 are "Unknown" → 91 claims against
    # 16 distinct states, each created as an anchor with the CFR actor.
    assert counts["claim"] == 91
    assert counts["actor"] == 1041 + 16 + 1 + 1  # groups, states, CFR, curators' org actor
    assert len(report.skipped) == 8
    assert report.invalid == []
    apt1 = kb.get("misp-apt1", SYSTEM)
    assert apt1.data.kind.value == "threat_group"  # type: ignore[attr-defined]
    assert "Comment Crew" in apt1.data.aliases  # type: ignore[attr-defined]
    assert apt1.data.country == "CN"  # type: ignore[attr-defined]
    assert "Named by: APT1 (Mandiant)" in apt1.data.description  # type: ignore[attr-defined]
    assert "Suspected victims (CFR): United States" in apt1.data.description  # type: ignore[attr-defined]
    claim = kb.get("claim-cfr-misp-apt1", SYSTEM).data
    assert (claim.claimant, claim.subject, claim.accused) == (  # type: ignore[attr-defined]
        "council-on-foreign-relations",
        "misp-apt1",
        "state-cn",
    )
    assert claim.confidence == 50  # type: ignore[attr-defined]
    assert str(kb.get("misp-apt1", SYSTEM).sources[0].url).startswith("https://github.com/MISP")
    # "Iran (Islamic Republic of)" and the ISO code of Iranian groups meet in one actor.
    iran = [r for r in kb.iter_records(SYSTEM, kind=Kind.CLAIM) if r.data.accused == "state-ir"]  # type: ignore[attr-defined]
    assert len(iran) == 16
    again = import_misp_galaxy(kb, SYSTEM, real(CLUSTER), date="2026-08-06")
    assert (again.created, again.updated) == ([], [])
    assert len(again.unchanged) == 1041 + 91
    assert kb.count(SYSTEM) == counts


def _small_cluster(tmp_path: Path, values: list[dict[str, object]]) -> Path:
    path = tmp_path / "threat-actor.json"
    path.write_bytes(orjson.dumps({"name": "Threat Actor", "version": 1, "values": values}))
    return path


def test_unknown_sponsor_is_invalid_and_nothing_is_written(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = _small_cluster(
        tmp_path,
        [
            {"value": "Good Group", "uuid": "u1", "meta": {"cfr-suspected-state-sponsor": "China"}},
            {"value": "Bad Group", "uuid": "u2", "meta": {"cfr-suspected-state-sponsor": "Narnia"}},
        ],
    )
    before = kb.count(SYSTEM)
    with pytest.raises(ImportInvalid) as caught:
        import_misp_galaxy(kb, SYSTEM, path, date="2026-01-01")
    assert "value 2 (u2)" in str(caught.value)
    assert "Narnia" in str(caught.value)
    assert kb.count(SYSTEM) == before
    report = import_misp_galaxy(kb, SYSTEM, path, date="2026-01-01", skip_invalid=True)
    assert "misp-good-group" in report.created
    assert "misp-bad-group" in report.created
    assert "claim-cfr-misp-good-group" in report.created
    assert len(report.invalid) == 1


def test_not_json_is_a_clear_error(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "threat-actor.json"
    path.write_text("name,value\n")
    with pytest.raises(Exception, match="not valid JSON"):
        import_misp_galaxy(kb, SYSTEM, path)


def test_write_failure_leaves_the_database_as_it_was(kb: KnowledgeBase, tmp_path: Path) -> None:
    """A record the importer cannot see holds one of its ids: the whole import rolls back.

    Ids without a dot are the curators' own, so the record is a curator's RED record that does
    not name the importer."""
    curator = accounts.create_user(kb, "c@curators.example", CURATORS_ORG, UserRole.REVIEWER)
    hidden = {
        "id": "misp-bad-group",
        "kind": "actor",
        "marking": Marking.RED.value,
        "data": {"name": "Hidden", "kind": "company"},
        "sources": [{"title": "t", "publisher": "p", "url": "https://example.org/x"}],
    }
    kb.create(hidden, curator.viewer)
    path = _small_cluster(
        tmp_path,
        [{"value": "Good Group", "uuid": "u1"}, {"value": "Bad Group", "uuid": "u2"}],
    )
    before = kb.count(SYSTEM)
    with pytest.raises(AccordError):
        import_misp_galaxy(kb, SYSTEM, path, date="2026-01-01")
    assert kb.count(SYSTEM) == before


def test_pymispgalaxies_copy_is_the_default(kb: KnowledgeBase) -> None:
    path = default_path()
    assert path.name == "threat-actor.json"
    assert path.is_file()
    report = import_misp_galaxy(kb, SYSTEM, date="2026-01-01")
    assert len(report.created) > 500
    assert report.invalid == []


def test_contributor_import_runs_once_in_its_namespace(kb: KnowledgeBase, tmp_path: Path) -> None:
    org = accounts.create_org(kb, "Fixture Institute", Sector.ACADEMIA)
    user = accounts.create_user(kb, "analyst@institute.example", org, UserRole.CONTRIBUTOR)
    path = _small_cluster(
        tmp_path,
        [{"value": "Good Group", "uuid": "u1", "meta": {"cfr-suspected-state-sponsor": "China"}}],
    )
    first = import_misp_galaxy(kb, user.viewer, path, date="2026-01-01")
    assert f"{org}.claim-cfr-misp-good-group" in first.created
    again = import_misp_galaxy(kb, user.viewer, path, date="2026-01-01")
    assert (again.created, again.updated) == ([], [])
