"""Attribution consensus: hand-computed scores, roll-ups, divergence, timing, hidden records."""

from __future__ import annotations

import pytest

from accord import dataset
from accord.access import SYSTEM
from accord.analysis import consensus, scoring
from accord.errors import NotFound
from accord.kb import KnowledgeBase
from tests.test_analysis_world import actor, claim, hidden, incident, record, two_orgs


def _sony(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-kp"),
            actor("fbi", kind="government_body"),
            actor("norse-corp", kind="security_firm"),
            incident("sony", start="2014-11-24"),
            claim("c-fbi", "fbi", "sony", "state-kp", evidence="summary", date="2014-12-19"),
            claim(
                "c-norse",
                "norse-corp",
                "sony",
                "state-kp",
                stance="disputes",
                kind="technical_report",
                evidence="none",
                date="2014-12-29",
            ),
        ],
        SYSTEM,
    )


def test_sony_worked_example_matches_the_methods_doc(kb: KnowledgeBase) -> None:
    _sony(kb)
    result = consensus.for_incident(kb, SYSTEM, "sony")
    (kp,) = result.accused
    # FBI: official statement 3/4 x summary 2/3 x unstated confidence 50/100 = 0.25.
    # Norse: technical report 2/4 x no evidence 1/3 x 50/100 = 1/12.
    assert kp.support == pytest.approx(0.25)
    assert kp.dissent == pytest.approx(1 / 12)
    assert kp.score == pytest.approx(0.25 * (1 - 1 / 12))  # 0.2292, as in docs/methods.md
    assert round(kp.score, 4) == 0.2292
    assert (kp.supporting_voices, kp.disputing_voices) == (1, 1)
    positions = {s.sector: s.position for s in kp.sectors}
    assert positions == {"government": "supports", "private": "disputes"}
    assert result.divergent
    assert result.divergence == ("government support and private dispute state-kp",)
    timing = result.time_to_attribution
    assert timing is not None
    assert (timing.first_claim, timing.days_min, timing.days_max) == ("c-fbi", 25, 25)


def test_each_signatory_of_a_joint_statement_counts_and_agencies_are_their_state(
    kb: KnowledgeBase,
) -> None:
    kb.bulk_create(
        [
            actor("state-ru"),
            actor("state-us"),
            actor("state-gb"),
            actor("fbi", kind="government_body", parent="state-us"),
            actor("firm", kind="security_firm"),
            incident("notpetya"),
        ],
        SYSTEM,
    )
    joint = {"evidence": "technical", "confidence": 90, "joint_group": "five-eyes"}
    kb.bulk_create(
        [
            claim("c-us", "state-us", "notpetya", "state-ru", **joint),  # 3/4 x 1 x 0.9 = 0.675
            claim("c-gb", "state-gb", "notpetya", "state-ru", **joint),  # same joint act
            claim(  # 4/4 x 1 x 0.9 = 0.9, FBI's root is the US: the same voice
                "c-fbi",
                "fbi",
                "notpetya",
                "state-ru",
                kind="legal_action",
                evidence="technical",
                confidence=90,
            ),
            claim(  # 2/4 x 1 x 0.8 = 0.4, an independent voice
                "c-firm",
                "firm",
                "notpetya",
                "state-ru",
                kind="technical_report",
                evidence="technical",
                confidence=80,
            ),
        ],
        SYSTEM,
    )
    result = consensus.for_incident(kb, SYSTEM, "notpetya")
    (ru,) = result.accused
    assert ru.supporting_voices == 3  # the UK, the US (with the FBI), the firm
    assert ru.support == pytest.approx(1 - (1 - 0.675) * (1 - 0.9) * (1 - 0.4))  # 0.9805
    voices = {c.id: c.voice for c in ru.claims}
    assert voices == {"c-us": "state-us", "c-gb": "state-gb", "c-fbi": "state-us", "c-firm": "firm"}
    (profile,) = result.profiles
    assert profile.governments == ("state-gb", "state-us")
    assert profile.others == {"private": ("firm",)}
    assert profile.joint == {"five-eyes": ("state-gb", "state-us")}
    assert (profile.formality, profile.evidence) == ("legal action or sanction", "technical")
    assert (profile.settledness, result.lead) == ("broadly attributed", "state-ru")


def test_withdrawn_claim_is_excluded_but_listed(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor("state-ir"), actor("state-us"), incident("x", start="2012-08")], SYSTEM)
    kb.create(claim("c-1", "state-us", "x", "state-ir", withdrawn="2013"), SYSTEM)
    result = consensus.for_incident(kb, SYSTEM, "x")
    assert result.accused == ()
    assert result.withdrawn == ("c-1",)
    assert result.time_to_attribution is None


def test_incident_without_claims_has_no_accused(kb: KnowledgeBase) -> None:
    kb.create(incident("quiet"), SYSTEM)
    result = consensus.for_incident(kb, SYSTEM, "quiet")
    assert (result.accused, result.divergent, result.time_to_attribution) == ((), False, None)
    overview = consensus.all_incidents(kb, SYSTEM)
    assert [(s.incident, s.claims, s.lead) for s in overview.incidents] == [("quiet", 0, None)]


def test_only_disputes_score_zero_and_denials_weigh_nothing(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor("state-cn"), actor("firm", kind="security_firm"), incident("y")], SYSTEM)
    kb.bulk_create(
        [
            claim("c-d", "firm", "y", "state-cn", stance="disputes", evidence="technical"),
            claim("c-n", "state-cn", "y", "state-cn", stance="denies"),
        ],
        SYSTEM,
    )
    result = consensus.for_incident(kb, SYSTEM, "y")
    (cn,) = result.accused
    assert cn.score == 0.0
    assert cn.dissent == pytest.approx(3 / 4 * 1 * 0.5)  # official 3/4 x technical 3/3 x 0.5
    assert cn.disputing_voices == 1
    assert result.denials == ("c-n",)
    assert {c.id: c.weight for c in cn.claims}["c-n"] == 0.0


def test_threat_group_rolls_up_to_a_state_only_where_a_claim_says_so(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-zz"),
            actor("state-us"),
            actor("unit-1", kind="government_body", parent="state-zz"),
            actor("apt-x", kind="threat_group"),
            actor("apt-y", kind="threat_group", parent="state-zz"),  # parent is not a claim
            actor("firm", kind="security_firm"),
            incident("op"),
        ],
        SYSTEM,
    )
    tech = {"kind": "technical_report", "evidence": "technical", "confidence": 80}  # 0.4
    kb.bulk_create(
        [
            claim("c-x", "firm", "op", "apt-x", **tech),
            claim("c-y", "firm", "op", "apt-y", **tech),
            claim("c-u", "state-us", "op", "unit-1", evidence="summary", confidence=60),  # 0.3
            record(  # "apt-x is state-zz": official 3/4 x summary 2/3 x 0.6 = 0.3
                "link",
                "claim",
                claimant="state-us",
                subject="apt-x",
                accused="state-zz",
                stance="attributes",
                kind="official_statement",
                date="2018",
                evidence="summary",
                confidence=60,
            ),
        ],
        SYSTEM,
    )
    result = consensus.for_incident(kb, SYSTEM, "op")
    rows = {a.actor: a for a in result.accused}
    assert set(rows) == {"apt-x", "apt-y", "unit-1", "state-zz"}
    zz = rows["state-zz"]
    via = {c.id: (c.via, c.link, c.weight) for c in zz.claims}
    assert via["c-x"] == ("apt-x", pytest.approx(0.3), pytest.approx(0.4 * 0.3))
    assert via["c-u"] == ("unit-1", 1.0, pytest.approx(0.3))
    assert "c-y" not in via
    # Two voices: firm (0.12) and the US (0.3).
    assert zz.score == pytest.approx(1 - (1 - 0.12) * (1 - 0.3))
    group = consensus.for_group(kb, SYSTEM, "apt-x")
    assert [(a.actor, round(a.score, 4)) for a in group.accused] == [("state-zz", 0.3)]


def test_time_to_attribution_respects_month_precision(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [actor("state-kp"), actor("state-gb"), incident("wannacry", start="2017-05")], SYSTEM
    )
    kb.create(claim("c-gb", "state-gb", "wannacry", "state-kp", date="2017-12-19"), SYSTEM)
    timing = consensus.for_incident(kb, SYSTEM, "wannacry").time_to_attribution
    assert timing is not None
    # From the last day of May (31st) to 19 December: 202 days; from 1 May: 232 days.
    assert (timing.days_min, timing.days_max) == (202, 232)


def test_sectors_naming_different_actors_diverge(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-aa"),
            actor("state-bb"),
            actor("state-us"),
            actor("firm", kind="security_firm"),
            incident("z"),
        ],
        SYSTEM,
    )
    kb.bulk_create(
        [
            claim("c-1", "state-us", "z", "state-aa"),
            claim("c-2", "firm", "z", "state-bb", kind="technical_report"),
        ],
        SYSTEM,
    )
    result = consensus.for_incident(kb, SYSTEM, "z")
    assert result.divergence == (
        "sectors name different actors (government → state-aa, private → state-bb)",
    )
    overview = consensus.all_incidents(kb, SYSTEM)
    assert (overview.with_claims, overview.divergent) == (1, 1)
    (line,) = overview.incidents
    assert (line.lead, line.governments, line.settledness) == ("state-aa", 1, "single government")


def test_hidden_records_change_nothing_a_reader_sees(kb: KnowledgeBase) -> None:
    writer, reader = two_orgs(kb)
    _sony(kb)
    before_one = consensus.for_incident(kb, reader, "sony").to_json()
    before_all = consensus.all_incidents(kb, reader).to_json()
    kb.bulk_create(
        [
            hidden(
                claim(
                    "other-ministry.c-amber",
                    "other-ministry",
                    "sony",
                    "state-kp",
                    stance="disputes",
                ),
                marking="AMBER",
            ),
            hidden(
                claim(
                    "other-ministry.c-draft",
                    "other-ministry",
                    "sony",
                    "state-kp",
                    evidence="technical",
                ),
                status="draft",
            ),
            hidden(incident("other-ministry.secret-op"), marking="AMBER"),
        ],
        writer,
    )
    kb.create(
        hidden(actor("other-ministry.secret-firm", kind="security_firm"), marking="AMBER"), writer
    )
    kb.bulk_create(  # public claims whose incident or claimant is hidden are hidden too
        [
            claim("other-ministry.c-on-secret", "fbi", "other-ministry.secret-op", "state-kp"),
            claim(
                "other-ministry.c-by-secret",
                "other-ministry.secret-firm",
                "sony",
                "state-kp",
                stance="disputes",
            ),
        ],
        writer,
    )
    assert consensus.for_incident(kb, reader, "sony").to_json() == before_one
    assert consensus.all_incidents(kb, reader).to_json() == before_all
    with pytest.raises(NotFound):
        consensus.for_incident(kb, reader, "other-ministry.secret-op")
    # The writer's own organisation does see them.
    mine = consensus.for_incident(kb, writer, "sony")
    assert {c.id for a in mine.accused for c in a.claims} >= {
        "other-ministry.c-amber",
        "other-ministry.c-draft",
    }


# -- the profile (consensus, version 2) ---------------------------------------------------------

_FIVE = ("state-us", "state-gb", "state-ca", "state-au", "nato")


def _coalition_world(kb: KnowledgeBase) -> None:
    """Five governments state one attribution to state-ru; a single indictment (with technical
    evidence and full confidence) names state-cn; a single official statement names state-ir;
    all on one incident, so the three compete for its lead."""
    kb.bulk_create(
        [
            *(actor(s) for s in ("state-ru", "state-cn", "state-ir", *_FIVE[:-1])),
            actor("nato", kind="igo"),
            actor("doj", kind="government_body", parent="state-us"),
            incident("op", start="2020-03"),
        ],
        SYSTEM,
    )
    kb.bulk_create(
        [
            *(
                claim(f"c-{g}", g, "op", "state-ru", date="2021-04-15", joint_group="j")
                for g in _FIVE
            ),
            claim(
                "c-doj",
                "doj",
                "op",
                "state-cn",
                kind="legal_action",
                evidence="technical",
                confidence=100,
                date="2020-07-21",
            ),
            claim("c-ir", "state-gb", "op", "state-ir", evidence="technical", confidence=100),
        ],
        SYSTEM,
    )


def test_five_governments_rank_above_a_single_indictment_and_a_single_government(
    kb: KnowledgeBase,
) -> None:
    _coalition_world(kb)
    result = consensus.for_incident(kb, SYSTEM, "op")
    order = [(p.state, len(p.governments), p.settledness) for p in result.profiles]
    assert order == [
        ("state-ru", 5, "settled"),
        ("state-cn", 1, "single government"),
        ("state-ir", 1, "single government"),
    ]
    assert result.lead == "state-ru"
    # The weighted score alone puts the lone indictment first (1.0 against 0.49).
    scores = {a.actor: a.score for a in result.accused}
    assert scores["state-cn"] > scores["state-ru"]
    (line,) = consensus.all_incidents(kb, SYSTEM).incidents
    assert (line.lead, line.governments, line.settledness) == ("state-ru", 5, "settled")


def test_first_government_attribution_is_the_earliest_possible_day_day_precise_first(
    kb: KnowledgeBase,
) -> None:
    kb.bulk_create(
        [actor("state-kp"), actor("state-us"), actor("state-gb"), actor("state-jp")], SYSTEM
    )
    kb.bulk_create(
        [
            incident("wannacry", start="2017-05-12"),
            claim("a-month", "state-us", "wannacry", "state-kp", date="2017-12"),
            claim("z-day", "state-gb", "wannacry", "state-kp", date="2017-12-01"),
            claim("b-later", "state-jp", "wannacry", "state-kp", date="2017-12-19"),
        ],
        SYSTEM,
    )
    result = consensus.for_incident(kb, SYSTEM, "wannacry")
    (kp,) = result.profiles
    first = kp.first_government_attribution
    assert first is not None
    # 1 December is the earliest day both "2017-12" and "2017-12-01" allow: the day-precise
    # claim wins the tie whatever its id.
    assert (first.claim, first.date, first.days, first.days_max) == (
        "z-day",
        "2017-12-01",
        203,
        203,
    )
    (line,) = consensus.all_incidents(kb, SYSTEM).incidents
    assert line.time_to_attribution is not None
    assert line.time_to_attribution.first_claim == "z-day"


def test_alphabetical_order_never_decides_a_lead(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [actor(s) for s in ("state-aa", "state-zz", "state-us", "state-gb", "state-fr")], SYSTEM
    )
    kb.bulk_create(
        [
            incident("tie"),
            claim("t-1", "state-us", "tie", "state-aa"),
            claim("t-2", "state-gb", "tie", "state-zz"),
            incident("later"),
            claim("l-1", "state-us", "later", "state-aa"),
            claim("l-2", "state-gb", "later", "state-zz"),
            claim("l-3", "state-fr", "later", "state-zz"),
        ],
        SYSTEM,
    )
    assert consensus.for_incident(kb, SYSTEM, "tie").lead is None
    assert consensus.for_incident(kb, SYSTEM, "later").lead == "state-zz"
    leads = {s.incident: s.lead for s in consensus.all_incidents(kb, SYSTEM).incidents}
    assert leads == {"tie": None, "later": "state-zz"}


def test_the_victim_states_own_attribution_counts(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-ua"),
            actor("state-ru"),
            actor("sbu", kind="government_body", parent="state-ua"),
            actor("state-gb"),
        ],
        SYSTEM,
    )
    kb.bulk_create(
        [
            incident("notpetya", start="2017-06-27", target_actors=["state-ua"]),
            claim("c-sbu", "sbu", "notpetya", "state-ru", date="2017-07-01"),
            claim("c-gb", "state-gb", "notpetya", "state-ru", date="2018-02-15"),
        ],
        SYSTEM,
    )
    (ru,) = consensus.for_incident(kb, SYSTEM, "notpetya").profiles
    assert ru.governments == ("state-gb", "state-ua")
    assert ru.first_government_attribution is not None
    assert ru.first_government_attribution.claim == "c-sbu"
    (line,) = consensus.all_incidents(kb, SYSTEM).incidents
    assert line.governments == 2


def test_the_accused_states_own_bodies_deny_and_do_not_dissent(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-cn"),
            actor("state-us"),
            actor("cverc", kind="government_body", parent="state-cn"),
            actor("firm", kind="security_firm"),
            actor("volt", kind="threat_group"),
        ],
        SYSTEM,
    )
    kb.bulk_create(
        [
            incident("vt"),
            claim("c-us", "state-us", "vt", "state-cn"),
            claim("c-cverc", "cverc", "vt", "state-cn", stance="disputes"),
            claim("c-firm", "firm", "vt", "state-cn", stance="disputes", kind="technical_report"),
            claim("c-loc", "firm", "vt", "state-cn", stance="locates", level="territory"),
        ],
        SYSTEM,
    )
    (cn,) = consensus.for_incident(kb, SYSTEM, "vt").profiles
    assert (cn.denials, cn.dissent, cn.settledness) == (("state-cn",), ("firm",), "contested")
    assert cn.level == "state"  # the territory claim names a level below the statement's


def test_a_territory_claim_alone_attributes_nothing(kb: KnowledgeBase) -> None:
    kb.bulk_create([actor("state-cn"), actor("google", kind="company")], SYSTEM)
    kb.bulk_create(
        [
            incident("aurora"),
            claim("c-g", "google", "aurora", "state-cn", stance="locates", level="territory"),
        ],
        SYSTEM,
    )
    result = consensus.for_incident(kb, SYSTEM, "aurora")
    (cn,) = result.profiles
    assert (cn.settledness, cn.level, cn.governments, result.lead) == (
        "not attributed",
        "territory",
        (),
        None,
    )


def test_bundled_solarwinds_is_settled_by_five_governments(kb: KnowledgeBase) -> None:
    dataset.load(kb)
    result = consensus.for_incident(kb, SYSTEM, "solarwinds-2020")
    assert result.lead == "state-ru"
    ru = result.profiles[0]
    assert {"state-us", "state-gb", "state-ca", "state-au", "nato"} <= set(ru.governments)
    assert (ru.settledness, ru.level) == ("settled", "agency")
    assert ru.formality == "legal action or sanction"  # the Treasury's sanctions (a response)
    overview = consensus.all_incidents(kb, SYSTEM)
    lines = {s.incident: s for s in overview.incidents}
    assert lines["solarwinds-2020"].lead == "state-ru"
    # Above every incident one government alone attributes (an indictment included).
    singles = [s for s in overview.incidents if s.governments == 1]
    assert singles
    best = consensus.for_incident(kb, SYSTEM, "solarwinds-2020").profiles[0]
    for line in singles:
        lone = consensus.for_incident(kb, SYSTEM, line.incident).profiles[0]
        assert _rank(best) > _rank(lone), line.incident


def _rank(p: consensus.StateProfile) -> tuple[int, ...]:
    """The profile's rank, as scoring.Profile.rank orders it (from the words shown)."""
    return scoring.rank_key(
        len(p.governments),
        scoring.FORMALITY_WORDS.index(p.formality),
        sum(len(v) for v in p.others.values()),
        scoring.LEVELS.index(p.level) if p.level else -1,
        scoring.EVIDENCES.index(p.evidence) if p.evidence else -1,
        len(p.dissent),
    )


def test_a_sanction_is_a_formal_attribution_by_its_responder(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-kp"),
            actor("state-us"),
            actor("eu", kind="igo"),
            actor("lazarus", kind="threat_group"),
            actor("firm", kind="security_firm"),
        ],
        SYSTEM,
    )
    sanction = {"responder": "eu", "targets": ["lazarus"], "incident": "wannacry"}
    kb.bulk_create(
        [
            incident("wannacry"),
            claim("c-us", "state-us", "wannacry", "state-kp"),
            record(  # "Lazarus is North Korea"
                "link",
                "claim",
                claimant="state-us",
                subject="lazarus",
                accused="state-kp",
                stance="attributes",
                kind="official_statement",
                date="2018",
            ),
            record("r-eu", "response", kind="sanction", date="2020-07-30", **sanction),
            record(
                "r-firm",
                "response",
                kind="sanction",
                date="2020",
                **{**sanction, "responder": "firm"},
            ),
            record(
                "r-dem",
                "response",
                kind="demarche",
                date="2020",
                **{**sanction, "responder": "state-us"},
            ),
        ],
        SYSTEM,
    )
    (kp,) = consensus.for_incident(kb, SYSTEM, "wannacry").profiles
    assert (kp.governments, kp.formality, kp.responses) == (
        ("eu", "state-us"),
        "legal action or sanction",
        ("r-eu",),
    )
    (line,) = consensus.all_incidents(kb, SYSTEM).incidents
    assert (line.governments, line.formality) == (2, "legal action or sanction")
