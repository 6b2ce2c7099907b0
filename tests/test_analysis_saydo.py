"""The say-do gap on a hand-built world whose breaches are counted by hand below."""

from __future__ import annotations

import pytest

from accord.access import SYSTEM
from accord.analysis import saydo
from accord.errors import BadRequest, NotFound
from accord.kb import KnowledgeBase
from tests.test_analysis_world import (
    actor,
    assessment,
    claim,
    hidden,
    incident,
    initiative,
    norm,
    participation,
    two_orgs,
)


def _world(kb: KnowledgeBase) -> None:
    """Russia (and its unit gru-1) joined init-a in July 2015, init-c in 2018, init-d from 2010
    to 2014, and observes init-e. The UK attributes; a firm attributes too."""
    kb.bulk_create(
        [
            actor("state-ru"),
            actor("state-gb"),
            actor("gru-1", kind="government_body", parent="state-ru"),
            actor("firm", kind="security_firm"),
            initiative("init-a"),
            initiative("init-b"),
            initiative("init-c"),
            initiative("init-d"),
            initiative("init-e"),
            norm("n1", "init-a"),
            norm("n2", "init-b", equivalents=["n1"]),
            norm("n3", "init-c"),
            norm("n4", "init-d"),
            norm("n5", "init-e"),
            participation("p-a", "state-ru", "init-a", joined="2015-07"),
            participation("p-c", "gru-1", "init-c", joined="2018"),
            participation("p-d", "state-ru", "init-d", joined="2010", left="2014-06"),
            participation("p-e", "state-ru", "init-e", joined="2010", role="observer"),
            # inc1: after joining init-a, attributed to the unit by the UK: breach of n1.
            incident("inc1", start="2016-03-01"),
            claim("c1", "state-gb", "inc1", "gru-1"),
            assessment("a1", "inc1", "n1"),
            # inc2: the same month as the join (2015-07): not certainly after it, no breach.
            incident("inc2", start="2015-07-20"),
            claim("c2", "state-gb", "inc2", "state-ru"),
            assessment("a2", "inc2", "n1"),
            # inc3: breaches n3, endorsed only in 2018, after the incident: no breach.
            incident("inc3", start="2017"),
            claim("c3", "state-gb", "inc3", "state-ru"),
            assessment("a3", "inc3", "n3"),
            # inc4: n4 while Russia was still in init-d: breach; inc5: after it left: none.
            incident("inc4", start="2012"),
            claim("c4", "state-gb", "inc4", "state-ru"),
            assessment("a4", "inc4", "n4"),
            incident("inc5", start="2016"),
            claim("c5", "state-gb", "inc5", "state-ru"),
            assessment("a5", "inc5", "n4"),
            # inc6: breaches n2, the crosswalk equivalent of n1: breach via the equivalent.
            incident("inc6", start="2019"),
            claim("c6", "state-gb", "inc6", "state-ru"),
            assessment("a6", "inc6", "n2"),
            # inc7: n5 of init-e, which Russia only observes: no breach.
            incident("inc7", start="2019"),
            claim("c7", "state-gb", "inc7", "state-ru"),
            assessment("a7", "inc7", "n5"),
            # inc8: only a firm attributes it (2/4 x 3/3 x 0.9 = 0.45): not by the default rule.
            incident("inc8", start="2019"),
            claim(
                "c8",
                "firm",
                "inc8",
                "state-ru",
                kind="technical_report",
                evidence="technical",
                confidence=90,
            ),
            assessment("a8", "inc8", "n1"),
            # inc9: the UK's claim was withdrawn: not attributed.
            incident("inc9", start="2019"),
            claim("c9", "state-gb", "inc9", "state-ru", withdrawn="2020"),
            assessment("a9", "inc9", "n1"),
        ],
        SYSTEM,
    )


def test_breaches_counted_by_hand(kb: KnowledgeBase) -> None:
    _world(kb)
    detail = saydo.for_state(kb, SYSTEM, "state-ru")
    found = {(b.incident, b.norm): (b.endorsed_norm, b.via_equivalent) for b in detail.breaches}
    assert found == {
        ("inc1", "n1"): ("n1", False),
        ("inc4", "n4"): ("n4", False),
        ("inc6", "n2"): ("n1", True),
    }
    row = detail.row
    assert row.breaches == 3
    assert row.breaches_per_norm == {"n1": 1, "n2": 1, "n4": 1}
    # Joined init-a, init-c (through gru-1) and init-d; the observer role is no commitment.
    assert (row.initiatives_joined, row.initiatives_left) == (3, 1)
    assert row.norms_endorsed == 2  # n1 and n3: init-d was left
    assert row.assessed_incidents == 7  # inc1-inc7 (inc8: firm only; inc9: withdrawn)
    assert detail.to_json()["breaches"][0]["basis"] == ["c1"]


def test_table_ranks_states_with_breaches_and_states_its_caveats(kb: KnowledgeBase) -> None:
    _world(kb)
    result = saydo.table(kb, SYSTEM)
    rows = {r.state: r for r in result.states}
    assert set(rows) == {"state-ru", "state-gb"}
    assert rows["state-gb"].breaches == 0
    assert result.ranking == ("state-ru",)
    assert result.rule == "attributed by at least one government claimant"
    assert any("scrutiny" in c for c in result.caveats)


def test_consensus_threshold_is_the_callers_choice(kb: KnowledgeBase) -> None:
    _world(kb)
    low = saydo.for_state(kb, SYSTEM, "state-ru", threshold=0.4)
    assert ("inc8", "n1") in {(b.incident, b.norm) for b in low.breaches}
    assert dict((b.incident, b.basis) for b in low.breaches)["inc8"] == ("consensus 0.450",)
    high = saydo.for_state(kb, SYSTEM, "state-ru", threshold=0.5)
    assert "inc8" not in {b.incident for b in high.breaches}
    with pytest.raises(BadRequest):
        saydo.table(kb, SYSTEM, threshold=0)


def test_timeline_orders_commitments_and_incidents(kb: KnowledgeBase) -> None:
    _world(kb)
    timeline = saydo.for_state(kb, SYSTEM, "state-ru").timeline
    assert [(e.date, e.what, e.ref) for e in timeline[:3]] == [
        ("2010", "joined", "init-d"),
        ("2012", "incident", "inc4"),
        ("2014-06", "left", "init-d"),
    ]
    assert ("2016-03-01", "incident", "inc1", ("n1",)) in {
        (e.date, e.what, e.ref, e.breaches) for e in timeline
    }


def test_hidden_records_change_nothing_and_hidden_state_is_not_found(kb: KnowledgeBase) -> None:
    writer, reader = two_orgs(kb)
    _world(kb)
    before = saydo.table(kb, reader).to_json()
    before_ru = saydo.for_state(kb, reader, "state-ru").to_json()
    kb.bulk_create(
        [
            hidden(assessment("other-ministry.a-x", "inc8", "n3"), marking="AMBER"),
            hidden(
                claim("other-ministry.c-x", "other-ministry", "inc8", "state-ru"), marking="AMBER"
            ),
            hidden(
                participation("other-ministry.p-x", "state-ru", "init-b", joined="2000"),
                status="draft",
            ),
            hidden(actor("other-ministry.state-hidden"), marking="AMBER"),
        ],
        writer,
    )
    assert saydo.table(kb, reader).to_json() == before
    assert saydo.for_state(kb, reader, "state-ru").to_json() == before_ru
    with pytest.raises(NotFound):
        saydo.for_state(kb, reader, "other-ministry.state-hidden")
    # The writer's organisation sees its own government claim on inc8.
    mine = saydo.for_state(kb, writer, "state-ru")
    assert "inc8" in {b.incident for b in mine.breaches}


def test_equivalent_norms_breach_one_commitment_once(kb: KnowledgeBase) -> None:
    _world(kb)
    # inc1 is also assessed against n2, the crosswalk equivalent of n1: two assessed norms,
    # one commitment (n1 through init-a) broken once.
    kb.bulk_create([assessment("a1-bis", "inc1", "n2")], SYSTEM)
    row = saydo.for_state(kb, SYSTEM, "state-ru").row
    assert row.breaches_per_norm == {"n1": 1, "n2": 2, "n4": 1}
    assert row.breaches == 3  # (inc1, n1), (inc4, n4), (inc6, n1)
