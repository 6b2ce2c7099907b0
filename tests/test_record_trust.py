"""A record an expert would trust (issue 14): the corrected facts of the bundled dataset, the
level a claim reaches, the accused's own voice, endorsement through the General Assembly, and
what ``accord data check`` refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from accord import dataset
from accord.access import ANONYMOUS
from accord.analysis import load, saydo
from accord.domain.records import Claim, Initiative, Participation, level_of
from accord.domain.vocab import ActorKind, Kind, Level, Role, Stance
from accord.kb import KnowledgeBase


@pytest.fixture(scope="module")
def curated() -> dataset.Dataset:
    return dataset.read()


def _payload(curated: dataset.Dataset, rid: str) -> Any:
    found = [e for e in curated.entries if e.record.id == rid]
    assert found, f"{rid} is not in the bundled dataset"
    return found[0].payload


def _urls(curated: dataset.Dataset, rid: str) -> set[str]:
    entry = next(e for e in curated.entries if e.record.id == rid)
    return {str(s.url) for s in entry.record.sources}


# -- the corrections of issue 14, section 1 ----------------------------------------------------


def test_google_on_aurora_traces_it_to_china_without_blaming_the_state(
    curated: dataset.Dataset,
) -> None:
    claim = _payload(curated, "claim-google-operation-aurora")
    assert (claim.stance, claim.level) == (Stance.LOCATES, Level.TERRITORY)


def test_eu_on_exchange_is_a_territory_claim(curated: dataset.Dataset) -> None:
    claim = _payload(curated, "claim-council-of-the-european-union-microsoft-exchange-hafnium-2021")
    assert (claim.stance, claim.level) == (Stance.LOCATES, Level.TERRITORY)


def test_nato_on_exchange_is_no_attribution_of_its_own(curated: dataset.Dataset) -> None:
    ids = {e.record.id for e in curated.entries}
    assert "claim-nato-microsoft-exchange-hafnium-2021" not in ids


def test_uk_on_apt29_in_2020_names_the_intelligence_services_not_the_svr(
    curated: dataset.Dataset,
) -> None:
    claim = _payload(curated, "claim-state-gb-apt29")
    assert (claim.accused, claim.level, claim.date.value) == (
        "state-ru",
        Level.AGENCY,
        "2020-07-16",
    )


def test_cverc_on_volt_typhoon_is_chinas_own_voice(curated: dataset.Dataset) -> None:
    actors = {
        e.record.id: load.ActorRow(
            e.record.id, e.payload.name, e.payload.kind.value, e.payload.parent, None, 0
        )
        for e in curated.entries
        if e.record.kind is Kind.ACTOR
    }
    claim = _payload(
        curated, "claim-china-national-computer-virus-emergency-response-center-volt-typhoon-2023"
    )
    assert load.is_accused_own_voice(claim.claimant, claim.accused, actors)


def test_chinas_first_volt_typhoon_rejection_is_dated_may_2023(curated: dataset.Dataset) -> None:
    first = _payload(curated, "claim-state-cn-volt-typhoon-2023-05")
    later = _payload(curated, "claim-state-cn-volt-typhoon-2023")
    assert first.date.value == "2023-05-25"
    assert first.stance is Stance.DENIES
    assert later.date.value == "2024-07"


@pytest.mark.parametrize(
    ("rid", "date"),
    [("claim-state-nz-wannacry", "2017-12-20"), ("claim-state-jp-wannacry", "2017-12-20")],
)
def test_wannacry_partner_statements_carry_their_day(
    curated: dataset.Dataset, rid: str, date: str
) -> None:
    assert _payload(curated, rid).date.value == date


def test_copy_sites_are_gone_from_the_corrected_claims(curated: dataset.Dataset) -> None:
    for rid in (
        "claim-state-ca-notpetya",
        "claim-state-ca-wannacry",
        "claim-state-ca-microsoft-exchange-hafnium-2021",
        "claim-state-jp-microsoft-exchange-hafnium-2021",
    ):
        assert not any(
            host in url
            for url in _urls(curated, rid)
            for host in ("cyber.tn", "readkong", "cso.com")
        ), rid


def test_no_record_cites_the_copy_sites_the_check_found(curated: dataset.Dataset) -> None:
    copies = ("cyber.tn", "readkong", "cso.com.au", "thewmail", "scribd", "urdupoint")
    copies += ("securityboulevard",)
    cited = {str(s.url) for e in curated.entries for s in e.record.sources}
    assert not {url for url in cited if any(host in url for host in copies)}


def test_salt_typhoon_starts_before_its_2024_disclosure(curated: dataset.Dataset) -> None:
    assert _payload(curated, "salt-typhoon-2024").start.value == "2021"


def test_sco_code_conveners_are_the_four_submitters_of_a_66_359(curated: dataset.Dataset) -> None:
    code = _payload(curated, "sco-code-of-conduct")
    assert isinstance(code, Initiative)
    assert set(code.conveners) == {"state-cn", "state-ru", "state-tj", "state-uz"}


def test_us_high_confidence_statements_keep_their_words(curated: dataset.Dataset) -> None:
    for rid in ("claim-state-us-microsoft-exchange-hafnium-2021",):
        assert "confidence" in (_payload(curated, rid).confidence_words or ""), rid


# -- the level a claim reaches -----------------------------------------------------------------


def _claim(**data: Any) -> Claim:
    base = {
        "claimant": "a",
        "incident": "i",
        "accused": "b",
        "stance": "attributes",
        "kind": "official_statement",
        "date": "2021-07-19",
    }
    return Claim.model_validate({**base, **data})


def test_a_claim_without_level_reaches_as_far_as_its_accused() -> None:
    claim = _claim()
    assert claim.level is None
    assert claim.level_reached(ActorKind.GOVERNMENT_BODY) is Level.AGENCY
    assert claim.level_reached(ActorKind.STATE) is Level.STATE
    assert level_of(ActorKind.COMPANY) is None


def test_an_explicit_level_wins_over_the_accused_kind() -> None:
    assert _claim(level="unit").level_reached(ActorKind.GOVERNMENT_BODY) is Level.UNIT


def test_a_territory_claim_cannot_attribute() -> None:
    with pytest.raises(ValidationError, match="territory"):
        _claim(level="territory")
    with pytest.raises(ValidationError, match="territory"):
        _claim(stance="locates")
    located = _claim(stance="locates", level="territory")
    assert located.title() == "a traces i to the territory of b"


def test_level_is_left_out_of_the_json_when_unset() -> None:
    assert "level" not in _claim().model_dump(exclude_defaults=True)
    assert _claim(level="agency").model_dump(mode="json")["level"] == "agency"


# -- the accused's own voice -------------------------------------------------------------------


def _actors(*rows: tuple[str, str, str | None]) -> dict[str, load.ActorRow]:
    return {
        rid: load.ActorRow(rid, rid, kind, parent, None, n)
        for n, (rid, kind, parent) in enumerate(rows)
    }


def test_a_body_of_the_accused_state_speaks_for_it() -> None:
    actors = _actors(
        ("state-cn", "state", None),
        ("cverc", "government_body", "state-cn"),
        ("mss", "government_body", "state-cn"),
        ("state-us", "state", None),
        ("lab", "security_firm", None),
    )
    assert load.is_accused_own_voice("cverc", "state-cn", actors)
    assert load.is_accused_own_voice("state-cn", "mss", actors)
    assert not load.is_accused_own_voice("state-us", "state-cn", actors)
    assert not load.is_accused_own_voice("lab", "state-cn", actors)


# -- endorsement through the General Assembly --------------------------------------------------


def test_every_un_member_state_endorses_the_2015_norms_through_70_237(
    curated: dataset.Dataset,
) -> None:
    states = {e.record.id for e in curated.entries if getattr(e.payload, "kind", None) == "state"}
    endorsers = {
        e.payload.actor
        for e in curated.entries
        if isinstance(e.payload, Participation)
        and e.payload.role is Role.ENDORSER
        and e.payload.initiative == "un-gge-2014-15"
        and any("A/RES/70/237" in str(s.url) for s in e.record.sources)
    }
    assert len(states) == 193
    assert endorsers == states


@pytest.fixture
def loaded(kb: KnowledgeBase) -> KnowledgeBase:
    dataset.load(kb)
    return kb


def test_north_korea_and_iran_show_endorsements_and_breaches(loaded: KnowledgeBase) -> None:
    for state in ("state-kp", "state-ir"):
        detail = saydo.for_state(loaded, ANONYMOUS, state)
        assert detail.row.norms_endorsed >= 11, state
        assert detail.row.breaches >= 1, state
        assert {b.role for b in detail.breaches} == {"endorser"}, state
        routes = {(e.initiative, e.role) for e in detail.endorsements}
        assert ("un-gge-2014-15", "endorser") in routes, state
        assert detail.to_json()["endorsements"][0]["participation"].startswith("part-")


def test_north_korea_and_iran_pages_show_routes_and_breaches(loaded: KnowledgeBase) -> None:
    from fastapi.testclient import TestClient

    from accord.web.app import create_app
    from accord.web.settings import Settings

    app = create_app(Settings(), kb=loaded)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        for state, incident in (("state-kp", "WannaCry"), ("state-ir", "Albania")):
            page = client.get(f"/actors/{state}")
            assert page.status_code == 200, state
            assert "Norms endorsed, by route" in page.text, state
            assert "as endorser (General Assembly resolution adopted without a vote)" in page.text
            assert "<h3>Breaches</h3>" in page.text, state
            assert incident in page.text, state


# -- what accord data check refuses ------------------------------------------------------------


def _write(tmp_path: Path, records: dict[str, list[dict[str, Any]]]) -> Path:
    (tmp_path / "data.yaml").write_text(yaml.safe_dump(records), encoding="utf-8")
    return tmp_path


def _source(date: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"title": "t", "publisher": "p", "url": "https://gov.example.org/a"}
    if date:
        out["date"] = date
    return out


def _world(claim: dict[str, Any], sources: list[dict[str, Any]]) -> dict[str, Any]:
    src = [_source("2020-01-01")]
    return {
        "actors": [
            {"id": "state-x", "name": "X", "kind": "state", "sources": src},
            {"id": "group-x", "name": "Group X", "kind": "threat_group", "sources": src},
            {"id": "gov-y", "name": "Y", "kind": "government_body", "sources": src},
        ],
        "incidents": [
            {
                "id": "inc",
                "name": "Inc",
                "start": "2020-01",
                "effects": ["espionage"],
                "sources": src,
            }
        ],
        "claims": [
            {
                "id": "c",
                "claimant": "gov-y",
                "incident": "inc",
                "stance": "attributes",
                "kind": "official_statement",
                **claim,
                "sources": sources,
            }
        ],
    }


def _problems(tmp_path: Path, claim: dict[str, Any], sources: list[dict[str, Any]]) -> list[str]:
    return [str(p) for p in dataset.read(_write(tmp_path, _world(claim, sources))).problems]


def test_data_check_refuses_a_claim_dated_before_its_earliest_source(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {"accused": "state-x", "date": "2024-04-15"},
        [_source("2024-07-08"), _source("2024-07-09")],
    )
    assert problems == [
        "data.yaml:c:date: the claim is dated 2024-04-15 but its earliest dated source was "
        "published 2024-07-08: date it as its sources report it, or cite a source from that day"
    ]


@pytest.mark.parametrize(
    ("date", "sources"),
    [
        ("2024-07-08", [_source("2024-07-08"), _source("2024-07-09")]),
        ("2024-07", [_source("2024-07-08")]),  # a month may hold the source's day
        ("2024-04-15", [_source(None)]),  # an undated source says nothing
    ],
)
def test_data_check_accepts_claims_not_certainly_before_their_sources(
    tmp_path: Path, date: str, sources: list[dict[str, Any]]
) -> None:
    assert _problems(tmp_path, {"accused": "state-x", "date": date}, sources) == []


def test_data_check_refuses_attributes_from_a_territory_level_claim(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        {"accused": "state-x", "date": "2020-02-01", "level": "territory"},
        [_source("2020-02-01")],
    )
    assert len(problems) == 1
    assert "stance 'locates'" in problems[0]


def test_data_check_refuses_a_territory_claim_naming_a_non_state(tmp_path: Path) -> None:
    claim = {"accused": "group-x", "date": "2020-02-01", "stance": "locates", "level": "territory"}
    problems = _problems(tmp_path, claim, [_source("2020-02-01")])
    assert problems == [
        "data.yaml:c:accused: a claim that traces an operation to a territory names the state "
        "whose territory it is, not a threat_group"
    ]


# -- the level in claim_facts, for the analyses --------------------------------------------------


def test_the_analyses_read_a_claims_level_and_migration_0015_refills_it(kb: KnowledgeBase) -> None:
    from alembic import command

    from accord.access import SYSTEM
    from accord.store import migrate
    from tests.conftest import actor, claim, incident

    kb.bulk_create(
        [
            actor("state-ru"),
            actor("ncsc", kind="government_body"),
            incident("covid"),
            claim("c-agency", "ncsc", "covid", "state-ru", level="agency"),
            claim("c-plain", "ncsc", "covid", "state-ru"),
        ],
        SYSTEM,
    )

    def levels() -> tuple[dict[str, str | None], dict[str, str | None]]:
        with kb.reader(SYSTEM) as reader:
            rows = {c.id: c.level for c in load.claims(reader)}
            columns = load.claim_columns(reader, {})
        return rows, dict(zip(columns.id, columns.level, strict=True))

    expected = {"c-agency": "agency", "c-plain": None}
    assert levels() == (expected, expected)
    config = migrate._config()
    with kb._engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0014")
    migrate.upgrade(kb._engine)
    assert levels() == (expected, expected)
