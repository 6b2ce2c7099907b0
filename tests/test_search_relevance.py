"""Search relevance: its documented values, its bounds, and the probe attack it closes."""

from __future__ import annotations

import pytest

from accord.access import ANONYMOUS, SYSTEM
from accord.domain.vocab import Marking
from accord.errors import BadRequest
from accord.kb import KnowledgeBase
from accord.store.search import NAME_WEIGHT, TEXT_WEIGHT, terms_of
from tests.conftest import actor, incident


def relevance(*per_term: tuple[int, int]) -> float:
    """The documented formula, from each term's (name, text) occurrence counts."""
    total = sum(NAME_WEIGHT * n / (n + 1) + TEXT_WEIGHT * x / (x + 1) for n, x in per_term)
    return total / (len(per_term) * (NAME_WEIGHT + TEXT_WEIGHT))


def test_relevance_counts_occurrences_per_field_with_diminishing_returns(
    kb: KnowledgeBase,
) -> None:
    kb.bulk_create(
        [
            # The text field holds the id too: these ids do not start with the term.
            incident("inc-1", "WannaCry", description="WannaCry spread as a worm"),
            incident("inc-2", "NotPetya", description="Like WannaCry, or wannacry itself"),
            actor("state-kp", "North Korea"),
        ],
        SYSTEM,
    )
    scores = {h.record.id: h.score for h in kb.search("wanna")}
    assert scores == pytest.approx(
        {"inc-1": relevance((1, 1)), "inc-2": relevance((0, 2))}, abs=1e-12
    )
    both = {h.record.id: h.score for h in kb.search("wanna spread")}
    assert both == pytest.approx({"inc-1": relevance((1, 1), (0, 1))}, abs=1e-12)


def test_relevance_is_within_zero_and_one_and_orders_best_first(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor(f"echo-{n}", " ".join(["Echo"] * n), description="echo " * (10 - n))
            for n in range(1, 6)
        ],
        SYSTEM,
    )
    hits = kb.search("echo", limit=10)
    assert all(0.0 <= h.score <= 1.0 for h in hits)
    assert [h.record.id for h in hits] == [f"echo-{n}" for n in range(5, 0, -1)]


def test_equal_relevance_is_ordered_by_id(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor(rid, "Quillfeather") for rid in ("q-c", "q-a", "q-b")], SYSTEM)
    assert [h.record.id for h in kb.search("quill")] == ["q-a", "q-b", "q-c"]


@pytest.mark.parametrize("hidden", [0, 1, 3])
def test_probe_score_does_not_count_hidden_matches(kb: KnowledgeBase, hidden: int) -> None:
    """The attack of issue 15: a public probe record's score told how many hidden records
    contain a word. It must be the same whatever the number of hidden matches."""
    probe = incident("probe", "Probe", description="zanzibarite")
    secrets = [
        {**incident(f"secret-{n}", "Secret", description="zanzibarite"), "marking": "AMBER"}
        for n in range(hidden)
    ]
    kb.bulk_create([probe, *secrets], SYSTEM)
    assert kb.count(SYSTEM, by="marking").get(Marking.AMBER.value, 0) == hidden
    hits = kb.search("zanzibarite", ANONYMOUS)
    assert [(h.record.id, h.score) for h in hits] == [("probe", relevance((0, 1)))]


def test_query_terms_are_folded_like_the_index() -> None:
    assert terms_of("Besançon's RANSOM_ware, ransom") == ["besancon", "s", "ransom", "ware"]
    with pytest.raises(BadRequest):
        terms_of("— _ —")
