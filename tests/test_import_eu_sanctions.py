"""EU cyber-sanctions import: listings as sanctions, linked to the groups and incidents named."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.access import SYSTEM
from accord.domain.vocab import Kind
from accord.interop.eu_sanctions import import_eu_sanctions
from accord.interop.importing import ImportInvalid
from accord.kb import KnowledgeBase
from tests.conftest import actor, incident
from tests.import_helpers import real

JSON = "eu-cyber-sanctions/eu_2019_796_annex_I_2025-01-27.json"
CSV = "eu-cyber-sanctions/eu_2019_796_annex_I_2025-01-27.csv"


def test_real_listings_become_sanctions_linked_by_name(kb: KnowledgeBase) -> None:
    kb.create(actor("apt28", "APT28", kind="threat_group", aliases=["Fancy Bear"]), SYSTEM)
    kb.create(incident("notpetya", "NotPetya", start="2017-06"), SYSTEM)
    kb.create(
        actor("gru-unit-74455", "GRU Unit 74455", kind="government_body", aliases=["GTsST"]), SYSTEM
    )
    report = import_eu_sanctions(kb, SYSTEM, real(JSON))
    responses = list(kb.iter_records(SYSTEM, kind=Kind.RESPONSE))
    assert len(responses) == 21
    people = [
        r for r in kb.iter_records(SYSTEM, kind=Kind.ACTOR) if r.data.kind.value == "individual"
    ]  # type: ignore[attr-defined]
    assert len(people) == 17
    dates = sorted(str(r.data.date) for r in responses)  # type: ignore[attr-defined]
    assert dates.count("2020-07-30") == 9
    assert dates.count("2025-01-27") == 3
    gtsst = kb.get("response-eu-sanction-main-centre-for-special-technologies", SYSTEM)
    assert gtsst.data.targets[0] == "gru-unit-74455"  # type: ignore[attr-defined]
    assert gtsst.data.incident == "notpetya"  # type: ignore[attr-defined]
    kostyukov = kb.get("response-eu-sanction-igor-olegovich-kostyukov", SYSTEM).data
    assert kostyukov.targets == ("eu-listed-igor-olegovich-kostyukov", "apt28")  # type: ignore[attr-defined]
    assert kostyukov.responder == "council-of-the-european-union"  # type: ignore[attr-defined]
    assert any("'Fancy Bear' linked to apt28" in n for n in report.notes)
    assert any("'Sofacy Group' matches no incident" in n for n in report.notes)
    counts = kb.count(SYSTEM)
    again = import_eu_sanctions(kb, SYSTEM, real(CSV))
    assert (again.created, again.updated) == ([], [])
    assert kb.count(SYSTEM) == counts


def test_bad_listing_date_is_reported_with_its_line(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "annex.csv"
    path.write_text(
        "part,entity_type,entry,name,reasons,date_of_listing,date_of_listing_iso\n"
        "A,natural_person,1,Jane DOE,Involved in \u2018Operation X\u2019.,1.1.2020,2020-01-01\n"
        "A,natural_person,2,John DOE,Involved.,31.2.2020,31.2.2020\n",
        "utf-8",
    )
    with pytest.raises(ImportInvalid, match="line 3"):
        import_eu_sanctions(kb, SYSTEM, path)
    report = import_eu_sanctions(kb, SYSTEM, path, skip_invalid=True)
    assert "response-eu-sanction-jane-doe" in report.created
    assert any("'Operation X' matches no incident" in n for n in report.notes)
