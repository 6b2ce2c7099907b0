"""EuRepoC import on fixtures written in EuRepoC's published column layout (v1.1), with each
case of the real files: incidents without a start date, `;`-separated types including
hijacking, attribution rows sharing an id, empty ids and dates, self-attribution, unnamed
media and third-party claimants, packed aliases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from accord import accounts
from accord.access import SYSTEM
from accord.analysis import consensus
from accord.domain.inputs import RecordInput
from accord.domain.vocab import Kind, Sector, UserRole
from accord.errors import BadRequest
from accord.interop.eurepoc import (
    UNNAMED_MEDIA,
    UNNAMED_THIRD_PARTY,
    cells,
    eurepoc_date,
    import_eurepoc,
    unpack,
)
from accord.interop.importing import ImportInvalid, ImportReport
from accord.kb import KnowledgeBase
from tests.conftest import source
from tests.import_helpers import DATA, FIXTURES

GLOBAL = FIXTURES / "eurepoc" / "global.csv"
ATTRIBUTIONS = FIXTURES / "eurepoc" / "attributions.csv"


def _import(kb: KnowledgeBase) -> ImportReport:
    return import_eurepoc(kb, SYSTEM, GLOBAL, attributions=ATTRIBUTIONS)


def _claims(kb: KnowledgeBase) -> dict[str, object]:
    return {r.id: r.data for r in kb.iter_records(SYSTEM, kind=Kind.CLAIM)}


def _skipped(report: ImportReport, where: str) -> str:
    return next(p.reason for p in report.skipped if where in p.where)


def test_fixture_imports_incidents_claims_and_responses(kb: KnowledgeBase) -> None:
    report = _import(kb)
    assert report.written
    assert report.invalid == []
    spying = kb.get("eurepoc-102", SYSTEM).data
    assert spying.target_countries == ("IR",)  # type: ignore[attr-defined]
    assert spying.effects == ("data_breach",)  # type: ignore[attr-defined]
    assert kb.get("eurepoc-101", SYSTEM).data.start.value == "2000"  # type: ignore[attr-defined]
    claims = _claims(kb)
    assert claims["claim-eurepoc-2-eurepoc-apt36"].claimant == "eurepoc-cisco-talos-intelligence"  # type: ignore[attr-defined]
    assert kb.get("eurepoc-apt36", SYSTEM).data.aliases == ("Transparent Tribe", "Mythic Leopard")  # type: ignore[attr-defined]
    # "Iran, Islamic Republic of" resolves to the same state actor as everywhere else.
    assert claims["claim-eurepoc-3-state-pk"].claimant == "state-ir"  # type: ignore[attr-defined]
    responses = {r.id: r.data for r in kb.iter_records(SYSTEM, kind=Kind.RESPONSE)}
    assert responses["response-eurepoc-102-political-2"].kind.value == "sanction"  # type: ignore[attr-defined]
    assert responses["response-eurepoc-102-political-2"].responder == "state-gb"  # type: ignore[attr-defined]
    assert responses["response-eurepoc-102-legal-1"].kind.value == "indictment"  # type: ignore[attr-defined]


def test_second_run_writes_nothing(kb: KnowledgeBase) -> None:
    _import(kb)
    counts = kb.count(SYSTEM)
    revisions = {r.id: r.revision for r in kb.iter_records(SYSTEM)}
    again = _import(kb)
    assert (again.created, again.updated) == ([], [])
    assert sum(row["unchanged"] for row in again.by_kind().values()) > 0
    assert kb.count(SYSTEM) == counts
    assert {r.id: r.revision for r in kb.iter_records(SYSTEM)} == revisions


def test_hijacking_incident_is_kept_with_the_type_as_written(kb: KnowledgeBase) -> None:
    _import(kb)
    for rid, written in (
        ("eurepoc-103", "Hijacking without Misuse"),
        ("eurepoc-105", "Hijacking with Misuse; Hijacking without Misuse"),
    ):
        data = kb.get(rid, SYSTEM).data
        assert data.effects == ()  # type: ignore[attr-defined]
        assert data.extra == {"eurepoc": {"incident_type": written}}
    mixed = kb.get("eurepoc-102", SYSTEM).data
    assert mixed.extra["eurepoc"]["incident_type"] == "Data theft; Hijacking with Misuse"


def test_incident_without_start_date_is_kept_without_a_start(kb: KnowledgeBase) -> None:
    report = _import(kb)
    leak = kb.get("eurepoc-104", SYSTEM).data
    assert leak.start is None  # type: ignore[attr-defined]
    assert leak.effects == ("data_breach",)  # type: ignore[attr-defined]
    # what EuRepoC knows is kept: here the end of an incident whose start is unknown
    outage = kb.get("eurepoc-106", SYSTEM).data
    assert (outage.start, str(outage.end)) == (None, "2020-03-14")  # type: ignore[attr-defined]
    assert any("(ID 104): no start_date, kept without a start" in n for n in report.notes)
    assert not [p for p in report.skipped if "(ID 10" in p.where]
    # its attributions are claims like any other
    assert _claims(kb)["claim-eurepoc-12-eurepoc-sandworm"].incident == "eurepoc-104"  # type: ignore[attr-defined]


def test_undated_attribution_is_a_claim_without_a_date(kb: KnowledgeBase) -> None:
    _import(kb)
    claims = _claims(kb)
    kaspersky = claims["claim-eurepoc-8-eurepoc-lazarus-group"]
    assert kaspersky.date is None  # type: ignore[attr-defined]
    assert kaspersky.claimant == "eurepoc-kaspersky"  # type: ignore[attr-defined]
    assert "no attribution date" in kaspersky.summary  # type: ignore[attr-defined]
    # dated rows keep their date, read at EuRepoC's precision
    assert str(claims["claim-eurepoc-14-state-ru"].date) == "2020-04-02"  # type: ignore[attr-defined]


def test_undated_government_claim_is_never_the_first_attribution(kb: KnowledgeBase) -> None:
    _import(kb)
    # Iran's undated claim 15 and its claim 3 of July 2021 both accuse Pakistan
    assert _claims(kb)["claim-eurepoc-15-state-pk"].date is None  # type: ignore[attr-defined]
    detail = consensus.for_incident(kb, SYSTEM, "eurepoc-102")
    first = next(p for p in detail.profiles if p.state == "state-pk").first_government_attribution
    assert first is not None
    assert (first.claim, first.date, first.days, first.days_max) == (
        "claim-eurepoc-3-state-pk", "2021-07", 52, 82,
    )  # fmt: skip
    assert first.undated == 1
    overview = consensus.all_incidents(kb, SYSTEM)
    timing = next(s for s in overview.incidents if s.incident == "eurepoc-102").time_to_attribution
    assert timing == detail.time_to_attribution
    # incidents 104 and 106 have no start: never timed, and counted as left out
    assert overview.undated_incidents == 2
    undated = [s for s in overview.incidents if s.start is None]
    assert sorted(s.incident for s in undated) == ["eurepoc-104", "eurepoc-106"]
    assert all(s.time_to_attribution is None for s in undated)
    assert next(s for s in undated if s.incident == "eurepoc-106").governments == 1


def test_rows_sharing_an_attribution_id_become_one_claim_per_accused(kb: KnowledgeBase) -> None:
    report = _import(kb)
    claims = _claims(kb)
    seven = sorted(c for c in claims if c.startswith("claim-eurepoc-7-"))
    assert seven == ["claim-eurepoc-7-eurepoc-apt1", "claim-eurepoc-7-eurepoc-ghost-fixture-crew"]
    assert not any("already used" in p.reason for p in report.invalid)
    # the same initiator under two categories is one claim, not an id clash
    assert claims["claim-eurepoc-7-eurepoc-apt1"].claimant == "eurepoc-mandiant"  # type: ignore[attr-defined]


def test_packed_aliases_become_one_actor_with_its_attack_id(kb: KnowledgeBase) -> None:
    _import(kb)
    apt1 = kb.get("eurepoc-apt1", SYSTEM).data
    assert apt1.aliases == ("Comment Crew", "Comment Panda")  # type: ignore[attr-defined]
    assert apt1.external_ids == {"attack": "G0006"}  # type: ignore[attr-defined]
    assert "PLA, Unit 61398" in apt1.description  # type: ignore[attr-defined]
    assert unpack("A/B/G0006 (PLA) < Group").names == ("A", "B")


def test_packed_initiator_reuses_the_actor_with_the_same_attack_id(kb: KnowledgeBase) -> None:
    kb.create(
        RecordInput(
            id="apt1-curated",
            kind=Kind.ACTOR,
            data={
                "name": "Unit 61398",
                "kind": "threat_group",
                "external_ids": {"attack": "G0006"},
            },
            sources=[source()],
        ),
        SYSTEM,
    )
    _import(kb)
    # the claim keeps the id EuRepoC's name gives it, whichever actor the name is matched to
    assert _claims(kb)["claim-eurepoc-7-eurepoc-apt1"].accused == "apt1-curated"  # type: ignore[attr-defined]
    assert "eurepoc-apt1" not in {r.id for r in kb.iter_records(SYSTEM, kind=Kind.ACTOR)}


def test_self_attribution_is_a_claim_by_the_group(kb: KnowledgeBase) -> None:
    _import(kb)
    claim = _claims(kb)["claim-eurepoc-1-eurepoc-liazor"]
    assert claim.stance.value == "self_attributes"  # type: ignore[attr-defined]
    assert claim.claimant == claim.accused == "eurepoc-liazor"  # type: ignore[attr-defined]


def test_contested_attribution_is_a_dispute(kb: KnowledgeBase) -> None:
    _import(kb)
    claims = _claims(kb)
    # contested basis, the attributing state is the accused: it denies
    assert claims["claim-eurepoc-4-state-pk"].stance.value == "denies"  # type: ignore[attr-defined]
    # contested type by a receiver government: Germany disputes that Lazarus did it
    disputed = claims["claim-eurepoc-11-eurepoc-lazarus-group"]
    assert (disputed.claimant, disputed.stance.value) == ("state-de", "disputes")  # type: ignore[attr-defined]


def test_unnamed_media_source_is_an_explicit_claimant_and_empty_id_is_kept(
    kb: KnowledgeBase,
) -> None:
    _import(kb)
    claim = _claims(kb)["claim-eurepoc-i105-eurepoc-lazarus-group"]
    assert claim.claimant == UNNAMED_MEDIA  # type: ignore[attr-defined]
    assert claim.kind.value == "anonymous_media"  # type: ignore[attr-defined]
    assert kb.get(UNNAMED_MEDIA, SYSTEM).data.kind.value == "media"  # type: ignore[attr-defined]


def test_unnamed_third_party_is_an_explicit_claimant_without_a_sector(kb: KnowledgeBase) -> None:
    _import(kb)
    claims = _claims(kb)
    claim = claims["claim-eurepoc-9-eurepoc-lazarus-group"]
    assert claim.claimant == UNNAMED_THIRD_PARTY  # type: ignore[attr-defined]
    assert claim.kind.value == "official_statement"  # type: ignore[attr-defined]
    third = kb.get(UNNAMED_THIRD_PARTY, SYSTEM).data
    assert third.kind.value == "organisation"  # type: ignore[attr-defined]
    assert third.sector is None  # type: ignore[attr-defined]
    # a third party that is named becomes an organisation of its own name
    named = claims["claim-eurepoc-16-eurepoc-lazarus-group"]
    assert named.claimant == "eurepoc-fixture-research-collective"  # type: ignore[attr-defined]
    assert kb.get(named.claimant, SYSTEM).data.kind.value == "organisation"  # type: ignore[attr-defined]


def test_unnamed_media_rows_of_one_incident_are_one_voice(kb: KnowledgeBase) -> None:
    _import(kb)
    claims = _claims(kb)
    media = [c for c in claims.values() if c.claimant == UNNAMED_MEDIA]  # type: ignore[attr-defined]
    assert len(media) == 2  # the row with an empty id and attribution 17, both on incident 105
    detail = consensus.for_incident(kb, SYSTEM, "eurepoc-105")
    lazarus = next(p for p in detail.profiles if p.state == "eurepoc-lazarus-group")
    assert lazarus.others["media"] == (UNNAMED_MEDIA,)
    assert lazarus.others["none"] == ("eurepoc-fixture-research-collective", UNNAMED_THIRD_PARTY)


def test_type_not_available_takes_the_kind_its_basis_implies(kb: KnowledgeBase) -> None:
    _import(kb)
    claim = _claims(kb)["claim-eurepoc-10-eurepoc-ghost-fixture-crew"]
    assert claim.kind.value == "technical_report"  # type: ignore[attr-defined]


def test_every_row_not_imported_is_reported_with_its_modelling_gap(kb: KnowledgeBase) -> None:
    report = _import(kb)
    assert "its basis does not say what kind of source" in _skipped(report, "(attribution 18.0)")
    assert "no initiator is named" in _skipped(report, "(attribution 5.0)")
    assert "no initiator is named" in _skipped(report, "(attribution 13.0)")
    assert "not in the Global Database" in _skipped(report, "(attribution 6.0)")
    rows = len(ATTRIBUTIONS.read_text("utf-8").splitlines()) - 1
    reported = [p for p in report.skipped + report.invalid if "attributions.csv" in p.where]
    merged = [n for n in report.notes if "the same claim as an earlier row" in n]
    assert merged == [
        "attributions.csv line 9 (attribution 7.0): the same claim as an earlier row, "
        "claim-eurepoc-7-eurepoc-apt1"
    ]
    assert len(_claims(kb)) + len(reported) + len(merged) == rows
    assert report.by_kind()["claim"]["skipped"] == len(reported) == 4
    # neither an undated row nor an unnamed claimant is a reason any more
    assert not [p for p in reported if "date" in p.reason or "third party" in p.reason]


def test_report_counts_per_kind_in_json(kb: KnowledgeBase) -> None:
    body = _import(kb).to_json()
    assert body["by_kind"]["incident"] == {
        "created": 6, "updated": 0, "unchanged": 0, "kept": 0, "skipped": 0, "invalid": 0,
    }  # fmt: skip
    assert body["by_kind"]["claim"]["created"] == 16
    reasons = {(r["kind"], r["reason"]): r["rows"] for r in body["skipped_reasons"]}
    assert reasons[("claim", "no initiator is named: a claim needs an accused")] == 2
    assert all(p["kind"] for p in body["skipped"])


def test_contributor_import_stays_in_its_namespace_as_drafts_and_runs_once(
    kb: KnowledgeBase,
) -> None:
    org = accounts.create_org(kb, "Fixture Institute", Sector.ACADEMIA)
    user = accounts.create_user(kb, "analyst@institute.example", org, UserRole.CONTRIBUTOR)
    first = import_eurepoc(kb, user.viewer, GLOBAL, attributions=ATTRIBUTIONS)
    assert first.invalid == []
    claim = kb.get(f"{org}.claim-eurepoc-7-eurepoc-apt1", user.viewer)
    assert claim.status.value == "draft"
    assert claim.data.accused == f"{org}.eurepoc-apt1"  # type: ignore[attr-defined]
    again = import_eurepoc(kb, user.viewer, GLOBAL, attributions=ATTRIBUTIONS)
    assert (again.created, again.updated) == ([], [])


def test_unknown_attribution_type_is_invalid(kb: KnowledgeBase, tmp_path: Path) -> None:
    bad = tmp_path / "attributions.csv"
    shutil.copy(ATTRIBUTIONS, bad)
    with bad.open("a", encoding="utf-8") as handle:
        handle.write(
            "102,70.0,2021-08-01,Carrier pigeon,Attacker confirms,,,,X,Unknown,Non-state-group\n"
        )
    before = kb.count(SYSTEM)
    with pytest.raises(ImportInvalid, match=r"attributions\.csv line 23"):
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


def _real_files() -> tuple[Path, Path]:
    folder = DATA / "eurepoc"
    found = sorted(folder.glob("*.csv")) if folder.is_dir() else []
    attributions = [p for p in found if "attribution" in p.name.lower()]
    others = [p for p in found if p not in attributions]
    if not attributions or not others:
        pytest.skip(f"real EuRepoC files absent: {folder}")
    return others[0], attributions[0]


def test_real_files_import_whole(kb: KnowledgeBase) -> None:
    global_csv, attributions = _real_files()
    report = import_eurepoc(kb, SYSTEM, global_csv, attributions=attributions)
    assert report.written
    assert report.invalid == []
    counts = report.by_kind()
    incidents = counts["incident"]
    assert incidents["created"] >= 0.97 * (incidents["created"] + incidents["skipped"])
    again = import_eurepoc(kb, SYSTEM, global_csv, attributions=attributions)
    assert (again.created, again.updated) == ([], [])


BASES = (
    ("Attacker confirms", "Self-attribution in the course of the attack (e.g., via websites)"),
    ("IT-security community attributes attacker", "Technical report (e.g., by IT-companies)"),
    ("Attribution by receiver government / state entity", "Political statement / report"),
    ("Media-based attribution", "Media report (e.g., Reuters article cites anonymous sources)"),
    ("Attribution by third-party", "Attribution given, type unclear"),
    ("Contested attribution", "Contested attribution"),
    ("Not available", "Not available"),
)
TYPES = (
    "Data theft",
    "Hijacking with Misuse",
    "Disruption; Hijacking with Misuse",
    "Hijacking without Misuse",
    "Ransomware; Data theft & Doxing",
    "Data theft; Hijacking without Misuse",
)
COUNTRIES = ("Russia", "China", "Iran, Islamic Republic of", "United States", "Germany")


def write_full_size(folder: Path, incidents: int = 1643, rows: int = 2643) -> tuple[Path, Path]:
    """EuRepoC-sized files in the published layout, with the published files' cases in
    roughly their proportions (deterministic, written for Accord's tests)."""
    header = GLOBAL.read_text("utf-8").splitlines()[0]
    columns = header.split(",")
    lines = [header]
    for n in range(1, incidents + 1):
        row = dict.fromkeys(columns, "")
        start = "" if n % 100 == 0 else f"20{10 + n % 14}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        row.update(
            ID=str(n),
            name=f"Synthetic incident {n}",
            description="Written for Accord's tests.",
            start_date=start,
            incident_type=TYPES[n % len(TYPES)],
            receiver_country=f"['{COUNTRIES[n % 5]}']",
            receiver_category="[['State institutions / political system']]",
        )
        lines.append(",".join(f'"{row[c]}"' for c in columns))
    global_csv = folder / "global.csv"
    global_csv.write_text("\n".join(lines) + "\n", "utf-8")
    out = [ATTRIBUTIONS.read_text("utf-8").splitlines()[0]]
    for n in range(rows):
        basis, kind = BASES[n % len(BASES)]
        ident = "" if n % 220 == 0 else f"{n - n % 4 if n % 3 == 0 else n}.0"
        date = "" if n % 3 == 1 else f"2022-{1 + n % 12:02d}-{1 + n % 28:02d}"
        company = "Mandiant" if "IT-security" in basis else ""
        country = COUNTRIES[(n + 1) % 5] if "government" in basis or "Contested" in basis else ""
        initiator = (
            "Not available"
            if n % 8 == 0
            else f"APT{n % 40}/Group {n % 40} Alias/G{n % 40:04d} (Unit {n % 7})"
        )
        category = "Unknown - not attributed" if n % 8 == 0 else "State"
        incident = 1 + n % incidents
        out.append(
            f'{incident},{ident},{date},"{kind}","{basis}",,{company},"{country}",'
            f'"{initiator}","{COUNTRIES[n % 5]}",{category}'
        )
    attributions = folder / "attributions.csv"
    attributions.write_text("\n".join(out) + "\n", "utf-8")
    return global_csv, attributions


def test_full_size_files_import_whole_and_once(kb: KnowledgeBase, tmp_path: Path) -> None:
    global_csv, attributions = write_full_size(tmp_path)
    report = import_eurepoc(kb, SYSTEM, global_csv, attributions=attributions)
    assert report.invalid == []
    counts = report.by_kind()
    # every incident is kept, the 16 without a start among them
    assert (counts["incident"]["created"], counts["incident"]["skipped"]) == (1643, 0)
    incidents = kb.iter_records(SYSTEM, kind=Kind.INCIDENT)
    assert len([r for r in incidents if getattr(r.data, "start", "") is None]) == 16
    # rows without attribution_date are claims without a date, never a skip reason
    claims = kb.iter_records(SYSTEM, kind=Kind.CLAIM)
    assert any(getattr(r.data, "date", "") is None for r in claims)
    assert not [p for p in report.skipped if "date" in p.reason]
    # one claimant per row here: each row is a claim, part of an earlier one, or reported
    merged = [n for n in report.notes if "the same claim as an earlier row" in n]
    assert counts["claim"]["created"] + counts["claim"]["skipped"] + len(merged) == 2643
    again = import_eurepoc(kb, SYSTEM, global_csv, attributions=attributions)
    assert (again.created, again.updated) == ([], [])
