"""Builders for the analysis tests' hand-built worlds, and tests of the shared loader helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accord import accounts
from accord.access import SYSTEM, Viewer
from accord.analysis import load
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from tests.conftest import (
    actor,
    assessment,
    claim,
    incident,
    initiative,
    norm,
    participation,
    record,
)

__all__ = [
    "actor",
    "assessment",
    "claim",
    "incident",
    "initiative",
    "norm",
    "participation",
    "record",
]


def hidden(raw: dict[str, Any], **envelope: Any) -> dict[str, Any]:
    """The same input with another marking or status (e.g. ``marking="AMBER"``)."""
    return {**raw, **envelope}


def two_orgs(kb: KnowledgeBase) -> tuple[Viewer, Viewer]:
    """A reviewer of 'Other Ministry' (who writes hidden records, with ids in its namespace
    'other-ministry.', keeping the status asked for) and a reader of 'Reader Firm' (whose
    results must not change)."""
    other = accounts.create_org(kb, "Other Ministry", Sector.GOVERNMENT)
    mine = accounts.create_org(kb, "Reader Firm", Sector.PRIVATE)
    writer = accounts.create_user(kb, "w@other.example", other, UserRole.REVIEWER).viewer
    reader = accounts.create_user(kb, "r@reader.example", mine, UserRole.READER).viewer
    return writer, reader


# -- tests of the shared helpers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "first", "last"),
    [
        ("2017", dt.date(2017, 1, 1), dt.date(2017, 12, 31)),
        ("2016-02", dt.date(2016, 2, 1), dt.date(2016, 2, 29)),
        ("2017-12", dt.date(2017, 12, 1), dt.date(2017, 12, 31)),
        ("2017-05-12", dt.date(2017, 5, 12), dt.date(2017, 5, 12)),
    ],
)
def test_span_covers_every_day_a_partial_date_may_denote(
    value: str, first: dt.date, last: dt.date
) -> None:
    assert load.span(value) == (first, last)


def test_certainly_before_is_false_when_precisions_overlap() -> None:
    assert load.certainly_before("2015-06", "2015-07-01")
    assert not load.certainly_before("2015-07", "2015-07-20")
    assert not load.certainly_before("2015", "2015-12")
    assert not load.certainly_before("2016", "2015")


def test_parent_chain_stops_at_threat_groups_and_hidden_parents(kb: KnowledgeBase) -> None:
    writer, reader = two_orgs(kb)
    kb.bulk_create(
        [
            actor("state-zz"),
            actor("unit-1", kind="government_body", parent="state-zz"),
            actor("apt-x", kind="threat_group", parent="state-zz"),
        ],
        SYSTEM,
    )
    secret = actor("other-ministry.secret-agency", kind="government_body")
    kb.create(hidden(secret, marking="AMBER"), writer)
    cell = actor("other-ministry.cell-9", kind="government_body", parent=secret["id"])
    kb.create(cell, writer)
    with kb.reader(reader) as session:
        seen = load.actors(session)
    assert load.chain("unit-1", seen) == ["unit-1", "state-zz"]
    assert load.chain("apt-x", seen) == ["apt-x"]
    assert "other-ministry.secret-agency" not in seen
    assert load.chain("other-ministry.cell-9", seen) == ["other-ministry.cell-9"]
