"""Claims without a date and incidents without a start (imported records): the model, storage,
the analyses (never placed in time, counted as left out), STIX, pages, CLI and the curated
dataset check (which still requires both)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient
from stix2validator import ValidationOptions, validate_string

from accord import dataset
from accord.access import SYSTEM
from accord.analysis import consensus, saydo
from accord.domain.records import Claim, Incident
from accord.interop import stix_mapping as m
from accord.interop.stix_export import write_bundle
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import claim_facts, records
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.cli_runner import RunCli
from tests.conftest import (
    FrozenClock,
    actor,
    assessment,
    claim,
    incident,
    initiative,
    norm,
    participation,
    source,
)


def undated_incident(rid: str, **extra: Any) -> dict[str, Any]:
    data = {"name": rid, "effects": ["sabotage"], **extra}
    return {"id": rid, "kind": "incident", "data": data, "sources": [source()]}


def undated_claim(rid: str, claimant: str, incident_id: str, accused: str) -> dict[str, Any]:
    raw = claim(rid, claimant, incident_id, accused)
    del raw["data"]["date"]
    return raw


def _world(kb: KnowledgeBase) -> None:
    """inc: begun January 2020; the US attributes it to Russia without a date, the UK in March
    2020. lone: only an undated government claim. nostart: no start, a dated UK claim."""
    kb.bulk_create(
        [
            actor("state-ru"),
            actor("state-us"),
            actor("state-gb"),
            incident("inc", start="2020-01-10"),
            undated_claim("c-us", "state-us", "inc", "state-ru"),
            claim("c-gb", "state-gb", "inc", "state-ru", date="2020-03"),
            incident("lone", start="2021"),
            undated_claim("c-lone", "state-us", "lone", "state-ru"),
            undated_incident("nostart", end="2019-05"),
            claim("c-nostart", "state-gb", "nostart", "state-ru", date="2019-06-01"),
        ],
        SYSTEM,
    )


def test_claim_may_have_no_date_and_incident_no_start() -> None:
    made = Claim.model_validate(
        {"claimant": "a", "incident": "i", "accused": "b", "stance": "attributes",
         "kind": "technical_report"}
    )  # fmt: skip
    assert made.date is None
    assert made.date_key() is None
    ended = Incident.model_validate({"name": "x", "end": "2019-05"})
    assert (ended.start, str(ended.end)) == (None, "2019-05")
    with pytest.raises(ValueError, match="end is before start"):
        Incident.model_validate({"name": "x", "start": "2020", "end": "2019"})


def test_claim_facts_keep_an_unknown_date_as_null(kb: KnowledgeBase) -> None:
    _world(kb)
    query = (
        sa.select(records.c.id, claim_facts.c.date)
        .select_from(records.join(claim_facts, claim_facts.c.record_pk == records.c.pk))
        .order_by(records.c.id)
    )
    with kb._engine.connect() as conn:
        dates = dict(conn.execute(query).all())
    assert dates == {"c-gb": "2020-03", "c-lone": None, "c-nostart": "2019-06-01", "c-us": None}
    assert kb.get("nostart", SYSTEM).data.date_key() is None


def test_undated_claim_is_never_the_first_government_attribution(kb: KnowledgeBase) -> None:
    _world(kb)
    detail = consensus.for_incident(kb, SYSTEM, "inc")
    russia = next(p for p in detail.profiles if p.state == "state-ru")
    # both governments count; only the dated one is placed in time
    assert russia.governments == ("state-gb", "state-us")
    first = russia.first_government_attribution
    assert first is not None
    assert (first.claim, first.date, first.days, first.days_max, first.undated) == (
        "c-gb", "2020-03", 51, 81, 1,
    )  # fmt: skip
    assert detail.time_to_attribution is not None
    assert detail.time_to_attribution.claim_date == "2020-03"
    assert any("1 undated government attribution" in s for s in russia.sentences(detail.names))
    # with only an undated claim there is no first attribution and no days at all
    lone = consensus.for_incident(kb, SYSTEM, "lone")
    assert lone.profiles[0].governments == ("state-us",)
    assert lone.profiles[0].first_government_attribution is None
    assert lone.time_to_attribution is None
    claims = {c.id: c for a in lone.accused for c in a.claims}
    assert claims["c-lone"].date is None


def test_undated_incident_is_left_out_of_time_figures_and_counted(kb: KnowledgeBase) -> None:
    _world(kb)
    overview = consensus.all_incidents(kb, SYSTEM)
    rows = {s.incident: s for s in overview.incidents}
    assert rows["nostart"].start is None
    assert rows["nostart"].time_to_attribution is None
    assert rows["nostart"].governments == 1  # still attributed, just not timed
    assert rows["lone"].time_to_attribution is None
    assert overview.undated_incidents == 1
    assert any("1 incident with no start date" in n for n in overview.notes)
    assert overview.median_days_to_attribution == (51 + 81) / 2
    # the columnar table and the claim-by-claim detail agree
    for rid in ("inc", "lone", "nostart"):
        detail = consensus.for_incident(kb, SYSTEM, rid)
        assert rows[rid].time_to_attribution == detail.time_to_attribution
    assert overview.to_json()["undated_incidents"] == 1


def test_say_do_never_counts_an_undated_incident_as_a_breach(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [
            actor("state-ru"),
            actor("state-gb"),
            initiative("init"),
            norm("n1", "init"),
            participation("p", "state-ru", "init", joined="2015"),
            incident("dated", start="2018"),
            claim("c1", "state-gb", "dated", "state-ru"),
            assessment("a1", "dated", "n1"),
            undated_incident("nostart"),
            claim("c2", "state-gb", "nostart", "state-ru"),
            assessment("a2", "nostart", "n1"),
        ],
        SYSTEM,
    )
    table = saydo.table(kb, SYSTEM)
    row = next(r for r in table.states if r.state == "state-ru")
    assert (row.assessed_incidents, row.breaches, row.undated_incidents) == (2, 1, 1)
    assert table.undated_incidents == 1
    detail = saydo.for_state(kb, SYSTEM, "state-ru")
    assert [b.incident for b in detail.breaches] == ["dated"]
    events = {e.ref: e for e in detail.timeline}
    assert events["nostart"].date is None
    assert detail.timeline[-1].ref == "nostart"  # an unknown date sorts last


def test_undated_claim_exports_valid_stix_and_imports_back(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    _world(kb)
    buffer = io.BytesIO()
    write_bundle(kb, SYSTEM, buffer)
    text = buffer.getvalue().decode()
    result = validate_string(text, ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for e in result.errors]
    objects = {
        o["extensions"][m.PROPS_EXT]["record_id"]: o
        for o in orjson.loads(text)["objects"]
        if m.PROPS_EXT in o.get("extensions", {})
    }
    assert "date" not in objects["c-us"]["extensions"][m.PROPS_EXT]
    assert objects["c-gb"]["extensions"][m.PROPS_EXT]["date"] == "2020-03"
    path = tmp_path / "bundle.json"
    path.write_text(text)
    with KnowledgeBase(f"sqlite:///{tmp_path / 'other.db'}", clock=FrozenClock()) as other:
        other.initialise()
        report = import_bundle(other, path, SYSTEM)
        assert report.invalid == []
        assert other.get("c-us", SYSTEM).data.date is None  # type: ignore[attr-defined]
        assert other.get("nostart", SYSTEM).data.start is None  # type: ignore[attr-defined]


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    _world(kb)
    app = create_app(Settings(), kb=kb)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield c


def test_pages_say_date_unknown(client: TestClient) -> None:
    page = client.get("/incidents/nostart")
    assert page.status_code == 200
    assert "start unknown" in page.text
    assert "ended 2019-05" in page.text
    inc = client.get("/incidents/inc")
    assert inc.status_code == 200
    assert '<span class="when">date unknown</span>' in inc.text
    assert "First dated government attribution: 2020-03" in inc.text
    claim_page = client.get("/claims/c-us")
    assert claim_page.status_code == 200
    assert "date unknown" in claim_page.text
    for path in ("/actors/state-us", "/", "/incidents"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert "start unknown" in client.get("/incidents").text


def test_incident_list_pages_through_undated_incidents(client: TestClient) -> None:
    seen: list[str] = []
    path = "/incidents?limit=1"
    for _ in range(5):
        html = client.get(path).text
        seen += [i for i in ("inc", "lone", "nostart") if f'href="/incidents/{i}"' in html]
        cursor = html.partition("after=")[2].partition('"')[0]
        if not cursor:
            break
        path = f"/incidents?limit=1&after={cursor.replace('&amp;', '&')}"
    assert sorted(seen) == ["inc", "lone", "nostart"]
    assert seen[-1] == "nostart"  # newest first, an unknown start last


def test_cli_tables_say_date_unknown(
    kb: KnowledgeBase, db_url: str, accord: RunCli, monkeypatch: Any
) -> None:
    _world(kb)

    def run(*args: str) -> str:
        return accord(*args, db=db_url).ok()

    monkeypatch.setenv("COLUMNS", "200")
    detail = run("analyze", "consensus", "--incident", "inc")
    assert "date unknown" in detail
    assert "Government attributions without a date: 1" in detail
    overview = run("analyze", "consensus")
    assert "start unknown" in overview
    assert "left out of the days to attribution: 1" in overview


def test_data_check_keeps_curated_claims_and_incidents_dated(tmp_path: Path) -> None:
    src = "{title: T, publisher: P, url: 'https://example.org/x'}"
    body = f"""
actors:
  - {{id: state-aa, name: A, kind: state, sources: [{src}]}}
  - {{id: state-bb, name: B, kind: state, sources: [{src}]}}
incidents:
  - {{id: nodate, name: No date, effects: [sabotage], sources: [{src}]}}
claims:
  - {{id: claim-a-nodate, claimant: state-aa, incident: nodate, accused: state-bb,
     stance: attributes, kind: official_statement, sources: [{src}]}}
"""
    (tmp_path / "records.yaml").write_text(body, "utf-8")
    problems = {(p.record, p.field): p.message for p in dataset.read(tmp_path).problems}
    assert set(problems) == {("nodate", "start"), ("claim-a-nodate", "date")}
    assert "curated claim needs its date" in problems[("claim-a-nodate", "date")]


def test_migration_0016_downgrade_refuses_while_a_claim_is_undated(kb: KnowledgeBase) -> None:
    kb.bulk_create(
        [actor("state-ru"), actor("state-gb"), incident("inc"), claim("c1", "state-gb", "inc",
         "state-ru")],
        SYSTEM,
    )  # fmt: skip
    config = migrate._config()

    def downgrade() -> bool:
        """Down to 0015 in one transaction; whether claim_facts.date is nullable there."""
        with kb._engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0015")
            columns = {c["name"]: c for c in sa.inspect(conn).get_columns("claim_facts")}
            return bool(columns["date"]["nullable"])

    assert downgrade() is False  # dated claims only: 0015's NOT NULL comes back
    migrate.upgrade(kb._engine)
    kb.bulk_create([undated_claim("c2", "state-gb", "inc", "state-ru")], SYSTEM)
    with pytest.raises(RuntimeError, match="1 stored claims have no date"):
        downgrade()
    # refused as a whole: the database is still current and the claim still undated
    assert migrate.is_current(kb._engine)
    assert kb.get("c2", SYSTEM).data.date is None  # type: ignore[attr-defined]
