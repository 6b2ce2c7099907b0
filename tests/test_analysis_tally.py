"""The columnar scoring of every incident (``accord.analysis.tally``) gives exactly what the
claim-by-claim path gives for each incident, on random worlds with joint statements, units,
threat-group sponsors, denials, withdrawals, month and year dates, claims without a date and
incidents without a start, and hidden records."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest

from accord.access import SYSTEM, Viewer
from accord.analysis import consensus, load, saydo, scoring, tally
from accord.analysis.scoring import scorer
from accord.kb import KnowledgeBase
from tests.test_analysis_world import actor, claim, hidden, incident, record, two_orgs

_ACTORS = [
    actor("state-a"),
    actor("state-b"),
    actor("state-c"),
    actor("agency-a", kind="government_body", parent="state-a"),
    actor("unit-a", kind="government_body", parent="agency-a"),
    actor("agency-b", kind="government_body", parent="state-b"),
    actor("firm-x", kind="security_firm"),
    actor("firm-y", kind="security_firm"),
    actor("ngo", kind="civil_society"),
    actor("group-1", kind="threat_group"),
    actor("group-2", kind="threat_group"),
]
_CLAIMANTS = ["state-a", "state-b", "agency-a", "agency-b", "unit-a", "firm-x", "firm-y", "ngo"]
_ACCUSED = ["state-a", "state-b", "state-c", "unit-a", "agency-b", "group-1", "group-2"]


def _date(rng: random.Random) -> str:
    year = rng.choice((2016, 2017))
    return rng.choice(
        (str(year), f"{year}-{rng.randint(1, 12):02d}", f"{year}-03-0{rng.randint(1, 9)}")
    )


def _undated(raw: dict[str, Any], rng: random.Random, field: str) -> dict[str, Any]:
    """The record without its date in about one case in seven (an imported record's unknown
    date: never placed in time by the analyses)."""
    if rng.random() < 0.15:
        del raw["data"][field]
    return raw


def _claim(rng: random.Random, rid: str, about: dict[str, str]) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "stance": rng.choices(
            ("attributes", "disputes", "denies", "self_attributes", "locates"), (6, 3, 1, 1, 1)
        )[0],
        "kind": rng.choice(
            ("anonymous_media", "technical_report", "official_statement", "legal_action")
        ),
        "evidence": rng.choice(("none", "summary", "technical")),
        "date": _date(rng),
    }
    if rng.random() < 0.8:
        extra["confidence"] = rng.choice((10, 50, 70, 90, 100))
    if rng.random() < 0.25:
        extra["joint_group"] = rng.choice(("j1", "j2", "j3"))
    if rng.random() < 0.1:
        extra["withdrawn"] = "2018"
    if extra["stance"] == "locates":
        extra["level"] = "territory"
    elif rng.random() < 0.3:
        extra["level"] = rng.choice(("state", "agency", "unit", "individuals", "threat_group"))
    raw = claim(rid, rng.choice(_CLAIMANTS), "", rng.choice(_ACCUSED), **extra)
    raw["data"].pop("incident")
    raw["data"].update(about)
    return _undated(raw, rng, "date")


def _world(kb: KnowledgeBase, seed: int, writer: Viewer) -> None:
    rng = random.Random(seed)
    incidents = [_undated(incident(f"inc-{n}", start=_date(rng)), rng, "start") for n in range(8)]
    items = [*_ACTORS, *incidents]
    for n in range(4):  # threat group → sponsor links
        raw = _claim(rng, f"link-{n}", {"subject": rng.choice(("group-1", "group-2"))})
        raw["data"]["accused"] = rng.choice(("state-a", "state-b", "unit-a"))
        items.append(raw)
    items += [_claim(rng, f"c-{n}", {"incident": f"inc-{rng.randrange(8)}"}) for n in range(70)]
    items += [  # sanctions and indictments (formal attributions), and a demarche (not one)
        record(
            f"r-{n}",
            "response",
            responder=rng.choice(_CLAIMANTS),
            kind=rng.choice(("sanction", "indictment", "demarche")),
            targets=rng.sample(_ACCUSED, rng.randint(1, 2)),
            incident=f"inc-{rng.randrange(8)}",
            date=_date(rng),
        )
        for n in range(8)
    ]
    kb.bulk_create(items, SYSTEM)
    secret = [
        _claim(rng, f"other-ministry.s-{n}", {"incident": f"inc-{rng.randrange(8)}"})
        for n in range(10)
    ]
    hidden_incident = "other-ministry.inc-hidden"
    secret.append(hidden(incident(hidden_incident), marking="AMBER"))
    on_hidden = {**secret[0]["data"], "incident": hidden_incident}
    secret.append(hidden(record("other-ministry.s-x", "claim", **on_hidden)))
    kb.bulk_create([hidden(s, marking="AMBER") for s in secret], writer)


def _expected(kb: KnowledgeBase, viewer: Viewer, incident_id: str) -> dict[str, Any]:
    """What the claim-by-claim path says about one incident, in a summary's terms."""
    detail = consensus.for_incident(kb, viewer, incident_id)
    first = detail.profiles[0] if detail.profiles else None
    counted = sum(len({c.id for c in a.claims if c.via is None}) for a in detail.accused)
    return {
        "claims": counted,
        "lead": detail.lead,
        "settledness": first.settledness if first else "not attributed",
        "governments": len(first.governments) if first else 0,
        "formality": first.formality if first else "none",
        "divergence": detail.divergence,
        "time_to_attribution": detail.time_to_attribution,
    }


@pytest.mark.parametrize("seed", range(4))
def test_all_incidents_agree_with_each_incident_in_detail(kb: KnowledgeBase, seed: int) -> None:
    writer, reader = two_orgs(kb)
    _world(kb, seed, writer)
    for viewer in (reader, SYSTEM, writer):
        overview = consensus.all_incidents(kb, viewer)
        assert overview.incidents
        for summary in overview.incidents:
            found = {k: getattr(summary, k) for k in _expected(kb, viewer, summary.incident)}
            assert found == _expected(kb, viewer, summary.incident), summary.incident


@pytest.mark.parametrize("seed", range(4))
def test_tallied_profiles_equal_the_profiles_of_each_incidents_claims(
    kb: KnowledgeBase, seed: int
) -> None:
    for incidents, actors, columns in _each_viewer(kb, seed):
        ids = sorted(incidents)
        ctx = tally.scorer(actors, columns)
        coded = tally.code(columns, ids, ctx)
        answers = _responses(kb)
        formal = [
            (ids.index(r.incident), state, root)
            for r, state, root in scoring.formal_responses(answers, ctx)
            if r.incident in ids
        ]
        found = tally.profiles(coded, formal)
        tallied: dict[str, dict[str, tuple[int, ...]]] = {}
        for g in range(len(found.incident)):
            counts = tuple(
                int(getattr(found, name)[g])
                for name in ("governments", "others", "formality", "level", "evidence")
            )
            extra = (int(found.dissent[g]), int(found.denials[g]), int(found.settledness[g]))
            incident_id, state = ids[int(found.incident[g])], found.states[int(found.state[g])]
            tallied.setdefault(incident_id, {})[state] = counts + extra
        rows = columns.rows()
        for code, incident_id in enumerate(ids):
            claims = [c for c in rows if c.incident == incident_id]
            mine = [r for r in answers if r.incident == incident_id]
            expected = {
                p.state: (
                    len(p.governments),
                    p.other_count,
                    p.formality,
                    p.level,
                    p.evidence,
                    len(p.dissent),
                    len(p.denials),
                    p.settledness,
                )
                for p in scoring.profiles(claims, ctx, mine).values()
            }
            assert tallied.get(incident_id, {}) == expected, incident_id
            _, lead = scoring.ranked_profiles(scoring.profiles(claims, ctx, mine))
            at = int(found.lead[code])
            assert (found.states[int(found.state[at])] if at >= 0 else None) == lead


def _loaded(
    kb: KnowledgeBase, viewer: Viewer
) -> tuple[dict[str, load.IncidentRow], dict[str, load.ActorRow], load.ClaimColumns]:
    """The incidents, actors and claim columns the viewer may see."""
    with kb.reader(viewer) as reader:
        incidents = load.incidents(reader)
        actors = load.actors(reader)
        return incidents, actors, load.claim_columns(reader, load.names_of(actors, incidents))


def _responses(kb: KnowledgeBase) -> list[load.ResponseRow]:
    """Every response (the random world's are all visible)."""
    with kb.reader(SYSTEM) as reader:
        return load.responses(reader)


def _each_viewer(
    kb: KnowledgeBase, seed: int
) -> Iterator[tuple[dict[str, load.IncidentRow], dict[str, load.ActorRow], load.ClaimColumns]]:
    """Write the random world of ``seed``; what a reader of another organisation, then SYSTEM,
    may see of it."""
    writer, reader = two_orgs(kb)
    _world(kb, seed, writer)
    for viewer in (reader, SYSTEM):
        yield _loaded(kb, viewer)


@pytest.mark.parametrize("seed", range(4))
def test_tallied_scores_equal_the_scores_of_each_incidents_claims(
    kb: KnowledgeBase, seed: int
) -> None:
    for incidents, actors, columns in _each_viewer(kb, seed):
        ids = sorted(incidents)
        ctx = scorer(actors, columns.about_groups())
        counted = tally.tally(tally.code(columns, ids, ctx))
        found: dict[str, dict[str, float]] = {}
        for g, score in enumerate(counted.scores().tolist()):
            incident_id = ids[int(counted.group_incident[g])]
            found.setdefault(incident_id, {})[counted.actors[int(counted.group_actor[g])]] = score
        rows = columns.rows()
        for incident_id in ids:
            claims = [c for c in rows if c.incident == incident_id]
            assert found.get(incident_id, {}) == ctx.scores(claims), incident_id


@pytest.mark.parametrize("seed", range(4))
def test_sponsor_links_on_columns_equal_the_links_claim_by_claim(
    kb: KnowledgeBase, seed: int
) -> None:
    writer, reader = two_orgs(kb)
    _world(kb, seed, writer)
    for viewer in (reader, SYSTEM):
        _, actors, columns = _loaded(kb, viewer)
        expected = scorer(actors, columns.about_groups()).links
        assert expected
        assert tally.scorer(actors, columns).links == expected


def test_say_do_threshold_rule_matches_consensus_of_each_incident(kb: KnowledgeBase) -> None:
    writer, reader = two_orgs(kb)
    _world(kb, 0, writer)
    kb.bulk_create(
        [
            record(
                "init",
                "initiative",
                name="init",
                kind="regional",
                status="active",
                binding=False,
                start="2010",
            ),
            record("n1", "norm", code="n1", title="Norm", initiative="init"),
            *(
                record(
                    f"p-{s}",
                    "participation",
                    actor=s,
                    initiative="init",
                    role="signatory",
                    joined="2012",
                )
                for s in ("state-a", "state-b", "state-c")
            ),
            *(
                record(
                    f"a-{n}",
                    "assessment",
                    assessor="ngo",
                    incident=f"inc-{n}",
                    norm="n1",
                    rationale="r",
                )
                for n in range(8)
            ),
        ],
        SYSTEM,
    )
    for threshold in (0.05, 0.3):
        table = saydo.table(kb, reader, threshold=threshold)
        for row in table.states:
            expected = {
                f"inc-{n}"
                for n in range(8)
                for a in consensus.for_incident(kb, reader, f"inc-{n}").accused
                if a.actor == row.state and a.score >= threshold
            }
            assert row.assessed_incidents == len(expected), (threshold, row.state)
