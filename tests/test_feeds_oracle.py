"""A pull's decisions never depend on a record the feed's user may not see: STIX ids derive
from record ids, so a remote could otherwise offer chosen ids and learn from the report which
hidden records exist ("originated on this instance")."""

from __future__ import annotations

from typing import Any

from accord import accounts
from accord.access import Viewer
from accord.domain.stable_ids import uuid5
from accord.domain.vocab import Marking, Sector, UserRole
from accord.federation.decide import decide
from accord.kb import KnowledgeBase
from tests.conftest import actor


def _identity(record_id: str) -> dict[str, Any]:
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{uuid5(record_id)}",
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "Probe",
        "identity_class": "organization",
    }


def _people(kb: KnowledgeBase) -> tuple[Viewer, Viewer]:
    accounts.create_org(kb, "Ministry", Sector.GOVERNMENT)
    accounts.create_org(kb, "Firm", Sector.PRIVATE)
    ministry = accounts.create_user(kb, "chief@ministry.example", "ministry", UserRole.REVIEWER)
    firm = accounts.create_user(kb, "lead@firm.example", "firm", UserRole.REVIEWER)
    return ministry.viewer, firm.viewer


def _answers(kb: KnowledgeBase, viewer: Viewer, ids: list[str]) -> list[tuple[str, str]]:
    return [(d.action, d.reason or "") for d in decide(kb, viewer, [_identity(i) for i in ids])]


def test_a_hidden_record_is_answered_as_if_absent(kb: KnowledgeBase) -> None:
    ministry, firm = _people(kb)
    probes = ["ministry.secret", "ministry.public", "ministry.nothing"]
    kb.create(actor("ministry.public"), ministry)  # published, CLEAR: seen by the firm
    before = _answers(kb, firm, probes)
    raw = actor("ministry.secret")
    raw["marking"] = Marking.AMBER_STRICT
    kb.create(raw, ministry)
    assert _answers(kb, firm, probes) == before
    assert before[1][0] == "skip"
    assert "originated on this instance" in before[1][1]
    assert before[0] == before[2]
    assert before[0][0] == "create"
    # The owner, who sees it, is told it originated here: the rule is about who may see.
    assert "originated on this instance" in _answers(kb, ministry, probes)[0][1]
