"""EuRepoC import on a fixture written in EuRepoC's published column layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accord.access import SYSTEM
from accord.domain.vocab import Kind
from accord.errors import BadRequest
from accord.interop.eurepoc import cells, eurepoc_date, import_eurepoc
from accord.interop.importing import ImportInvalid
from accord.kb import KnowledgeBase
from tests.import_helpers import FIXTURES

GLOBAL = FIXTURES / "eurepoc" / "global.csv"
ATTRIBUTIONS = FIXTURES / "eurepoc" / "attributions.csv"


def test_fixture_imports_incidents_claims_and_responses_once(kb: KnowledgeBase) -> None:
    report = import_eurepoc(kb, SYSTEM, GLOBAL, attributions=ATTRIBUTIONS)
    assert [r.id for r in kb.iter_records(SYSTEM, kind=Kind.INCIDENT)] == [
        "eurepoc-101",
        "eurepoc-102",
    ]
    assert any("ID 103" in p.where for p in report.skipped)  # hijacking only: no effect
    spying = kb.get("eurepoc-102", SYSTEM).data
    assert spying.target_countries == ("IR",)  # type: ignore[attr-defined]
    assert spying.effects == ("data_breach",)  # type: ignore[attr-defined]
    assert kb.get("eurepoc-101", SYSTEM).data.start.value == "2000"  # type: ignore[attr-defined]
    claims = {r.id: r.data for r in kb.iter_records(SYSTEM, kind=Kind.CLAIM)}
    assert claims["claim-eurepoc-2-eurepoc-apt36"].claimant == "eurepoc-cisco-talos-intelligence"  # type: ignore[attr-defined]
    assert kb.get("eurepoc-apt36", SYSTEM).data.aliases == ("Transparent Tribe", "Mythic Leopard")  # type: ignore[attr-defined]
    # "Iran, Islamic Republic of" resolves to the same state actor as everywhere else.
    assert claims["claim-eurepoc-3-state-pk"].claimant == "state-ir"  # type: ignore[attr-defined]
    assert claims["claim-eurepoc-4-state-pk"].stance.value == "denies"  # type: ignore[attr-defined]
    assert claims["claim-eurepoc-1-eurepoc-liazor"].stance.value == "self_attributes"  # type: ignore[attr-defined]
    assert len(claims) == 4
    responses = {r.id: r.data for r in kb.iter_records(SYSTEM, kind=Kind.RESPONSE)}
    assert responses["response-eurepoc-102-political-2"].kind.value == "sanction"  # type: ignore[attr-defined]
    assert responses["response-eurepoc-102-political-2"].responder == "state-gb"  # type: ignore[attr-defined]
    assert responses["response-eurepoc-102-legal-1"].kind.value == "indictment"  # type: ignore[attr-defined]
    counts = kb.count(SYSTEM)
    again = import_eurepoc(kb, SYSTEM, GLOBAL, attributions=ATTRIBUTIONS)
    assert (again.created, again.updated) == ([], [])
    assert kb.count(SYSTEM) == counts


def test_unknown_attribution_type_is_invalid(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "attributions.csv"
    shutil.copy(ATTRIBUTIONS, bad)
    with bad.open("a", encoding="utf-8") as handle:
        handle.write(
            "102,7.0,2021-08-01,Carrier pigeon,Attacker confirms,,,,X,Unknown,Non-state-group\n"
        )
    before = kb.count(SYSTEM)
    with pytest.raises(ImportInvalid, match=r"attributions\.csv line 8"):
        import_eurepoc(kb, SYSTEM, GLOBAL, attributions=bad)
    assert kb.count(SYSTEM) == before


def test_global_csv_without_its_columns_is_rejected(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "global.csv"
    bad.write_text("ID,name\n1,x\n", "utf-8")
    with pytest.raises(BadRequest, match="start_date"):
        import_eurepoc(kb, SYSTEM, bad)


def test_cells_and_dates_follow_eurepoc_conventions() -> None:
    assert cells("[['Government', 'Military'], ['Media']]") == ["Government", "Military", "Media"]
    assert cells("United States; United Kingdom") == ["United States", "United Kingdom"]
    assert eurepoc_date("2013-01-01 00:00:00") == "2013"
    assert eurepoc_date("2013-05-01") == "2013-05"
    assert eurepoc_date("2013-05-17") == "2013-05-17"
    assert eurepoc_date("") is None
