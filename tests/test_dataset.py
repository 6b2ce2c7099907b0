"""The bundled dataset: it checks clean, loads fast on both databases, and covers the paper."""

from __future__ import annotations

from collections import Counter

import pytest

from accord import dataset
from accord.access import ANONYMOUS
from accord.domain.vocab import Kind, Stance
from accord.kb import KnowledgeBase


@pytest.fixture(scope="module")
def curated() -> dataset.Dataset:
    return dataset.read()


def _of(curated: dataset.Dataset, kind: Kind) -> list[dataset.Entry]:
    return [e for e in curated.entries if e.record.kind is kind]


def test_dataset_checks_clean(curated: dataset.Dataset) -> None:
    assert [str(p) for p in curated.problems] == []


def test_every_record_cites_a_real_url(curated: dataset.Dataset) -> None:
    for entry in curated.entries:
        assert entry.record.sources, entry.record.id
        for cited in entry.record.sources:
            assert cited.url.scheme in ("http", "https"), entry.record.id
            assert "example." not in (cited.url.host or ""), entry.record.id


def test_minimum_coverage(curated: dataset.Dataset) -> None:
    counts = Counter(e.record.kind for e in curated.entries)
    assert counts[Kind.ACTOR] >= 80
    assert counts[Kind.INCIDENT] >= 100
    assert counts[Kind.CLAIM] >= 400
    assert counts[Kind.RESPONSE] >= 50
    assert counts[Kind.INITIATIVE] >= 50
    assert counts[Kind.PARTICIPATION] >= 200
    assert counts[Kind.ASSESSMENT] >= 25


SPONSORED_GROUPS = [
    "turla",
    "kimsuky",
    "andariel",
    "gamaredon",
    "star-blizzard",
    "dragonfly",
    "ember-bear",
    "temp-veles",
    "muddywater",
    "apt39",
    "cyberav3ngers",
    "apt3",
    "sandworm",
]


def test_every_listed_threat_group_has_a_sponsor_claim(curated: dataset.Dataset) -> None:
    """The groups issue 14 found without one: `analyze consensus --group` has an answer."""
    claims = [e.payload for e in _of(curated, Kind.CLAIM)]
    sponsored = {c.subject for c in claims if c.subject and c.stance is Stance.ATTRIBUTES}  # type: ignore[attr-defined]
    assert set(SPONSORED_GROUPS) <= sponsored, set(SPONSORED_GROUPS) - sponsored


def test_victim_states_speak_for_themselves(curated: dataset.Dataset) -> None:
    claims = [e.payload for e in _of(curated, Kind.CLAIM)]
    said = {(c.claimant, c.incident) for c in claims}  # type: ignore[attr-defined]
    for victim, incident in (
        ("state-ua", "notpetya"),
        ("state-ua", "ukraine-power-grid-2015"),
        ("state-ua", "ukraine-power-grid-2016"),
        ("state-dk", "notpetya"),
        ("state-de", "bundestag-hack-2015"),
    ):
        assert (victim, incident) in said, (victim, incident)


def test_claims_cover_joint_statements_and_disputes(curated: dataset.Dataset) -> None:
    claims = [e.payload for e in _of(curated, Kind.CLAIM)]
    groups = Counter(c.joint_group for c in claims if c.joint_group)  # type: ignore[attr-defined]
    wannacry = [g for g in groups if "wannacry" in g]
    notpetya = [g for g in groups if "notpetya" in g]
    assert wannacry
    assert groups[wannacry[0]] >= 3
    assert notpetya
    assert groups[notpetya[0]] >= 3
    dissent = [c for c in claims if c.stance in (Stance.DISPUTES, Stance.DENIES)]  # type: ignore[attr-defined]
    assert len(dissent) >= 5
    sony = [c for c in dissent if c.incident == "sony-pictures-2014"]  # type: ignore[attr-defined]
    assert {c.stance for c in sony} == {Stance.DISPUTES, Stance.DENIES}  # type: ignore[attr-defined]


def test_norm_sets_and_crosswalk(curated: dataset.Dataset) -> None:
    norms = {e.record.id: e.payload for e in _of(curated, Kind.NORM)}
    assert {f"norm-ungge2015-13{c}" for c in "abcdefghijk"} <= set(norms)
    assert {f"norm-pariscall-{i}" for i in range(1, 10)} <= set(norms)
    assert "norm-g20-2015-ip-theft" in norms
    assert "norm-uscn2015-no-ip-theft" in norms
    assert sum(1 for n in norms if n.startswith("norm-gcsc-")) == 8
    assert sum(1 for n in norms if n.startswith("norm-techaccord-")) == 4
    links = sum(len(n.equivalents) for n in norms.values())  # type: ignore[attr-defined]
    assert links >= 10


def test_initiatives_of_every_kind_with_paper_facts(curated: dataset.Dataset) -> None:
    initiatives = {e.record.id: e.payload for e in _of(curated, Kind.INITIATIVE)}
    kinds = {i.kind.value for i in initiatives.values()}  # type: ignore[attr-defined]
    assert kinds == {
        "multilateral_treaty",
        "un_process",
        "regional",
        "bilateral",
        "plurilateral",
        "private_sector",
        "academic",
        "multistakeholder",
        "national_strategy",
    }
    assert initiatives["us-china-cyber-agreement-2015"].status.value == "broken_down"  # type: ignore[attr-defined]
    assert initiatives["un-gge-2016-17"].status.value == "failed"  # type: ignore[attr-defined]
    assert str(initiatives["paris-call"].start) == "2018-11-12"  # type: ignore[attr-defined]


def test_participations_cover_paris_call_gge_and_tech_accord(curated: dataset.Dataset) -> None:
    parts = [e.payload for e in _of(curated, Kind.PARTICIPATION)]
    paris_states = [
        p for p in parts if p.initiative == "paris-call" and p.actor.startswith("state-")
    ]  # type: ignore[attr-defined]
    assert len([p for p in paris_states if p.role.value == "supporter"]) >= 80  # type: ignore[attr-defined]
    us = [p for p in paris_states if p.actor == "state-us"]  # type: ignore[attr-defined]
    assert [str(p.joined) for p in us] == ["2021-11-10"]  # type: ignore[attr-defined]
    assert not [p for p in paris_states if p.actor in ("state-cn", "state-il", "state-ir")]  # type: ignore[attr-defined]
    assert (
        len([p for p in parts if p.initiative == "un-gge-2014-15" and p.role.value == "member"])
        == 20
    )  # type: ignore[attr-defined]
    assert (
        len(
            [
                p
                for p in parts
                if p.initiative == "cybersecurity-tech-accord" and p.role.value == "founder"
            ]
        )
        >= 30
    )  # type: ignore[attr-defined]


def test_internet_governance_bodies_have_frames(curated: dataset.Dataset) -> None:
    actors = {e.record.id: e.payload for e in _of(curated, Kind.ACTOR)}
    for body in (
        "icann",
        "iana",
        "ietf",
        "w3c",
        "igf",
        "itu",
        "isoc",
        "arin",
        "ripe-ncc",
        "apnic",
        "lacnic",
        "afrinic",
    ):
        assert actors[body].governance is not None, body  # type: ignore[attr-defined]


@pytest.fixture
def loaded(kb: KnowledgeBase) -> KnowledgeBase:
    dataset.load(kb)
    return kb


def test_dataset_loads_and_reloads_unchanged(loaded: KnowledgeBase) -> None:
    kb = loaded
    again = dataset.load(kb)
    assert again.created == []
    assert again.updated == []
    assert len(again.unchanged) == sum(dataset.read().counts().values())


PAPER_NAMES = {
    "Office of the Coordinator for Cyber Issues": "us-office-of-the-coordinator-for-cyber-issues",
    "State Department": "us-state-department",
    "FBI": "fbi",
    "NSA": "nsa",
    "North Korea": "state-kp",
    "China": "state-cn",
    "Russia": "state-ru",
    "United Kingdom": "state-gb",
    "France": "state-fr",
    "Israel": "state-il",
    "Iran": "state-ir",
    "United States": "state-us",
    "United Nations": "united-nations",
    "European Union": "european-union",
    "G20": "g20",
    "Microsoft": "microsoft",
    "Digital Geneva Convention": "digital-geneva-convention",
    "Attribution Organization": "international-cyberattack-attribution-organization",
    "Tallinn Manual 2.0": "tallinn-manual-2",
    "Sony Pictures": "sony-pictures-2014",
    "WannaCry": "wannacry",
    "NotPetya": "notpetya",
    "ICANN": "icann",
    "IANA": "iana",
    "IETF": "ietf",
    "W3C": "w3c",
    "Internet Governance Forum": "igf",
    "Department of Commerce": "us-department-of-commerce",
    "Montevideo Statement": "montevideo-statement",
    "Snowden": "edward-snowden",
    "Tunis Agenda": "tunis-agenda",
    "Paris Call": "paris-call",
    "Oversight Board": "facebook-oversight-board",
    "facial recognition": "microsoft-facial-recognition-principles",
    "Cybersecurity Tech Accord": "cybersecurity-tech-accord",
    "Google": "google",
    "Facebook": "facebook",
    "Norse": "norse-corp",
    "Lazarus Group": "lazarus-group",
    "Sandworm": "sandworm",
    "APT28": "apt28",
    "APT29": "apt29",
    "APT10": "apt10",
    "26165": "gru-unit-26165",
    "74455": "gru-unit-74455",
    "GGE 2014": "un-gge-2014-15",
    "cyber sanctions": "eu-cyber-sanctions-regime",
    "2016 election": "dnc-hack-2016",
}


def test_every_name_in_the_paper_resolves_through_search(
    loaded: KnowledgeBase,
) -> None:
    kb = loaded
    missing = {}
    for text, rid in PAPER_NAMES.items():
        found = [h.record.id for h in kb.search(text, ANONYMOUS, limit=10)]
        if rid not in found:
            missing[text] = found[:3]
    assert missing == {}
