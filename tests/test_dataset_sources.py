"""``accord data check`` refuses sources from open wikis and copy or aggregator sites."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from accord import dataset
from accord.cli import app
from accord.dataset_sources import DENIED_HOSTS, denied_host

GOOD = "https://www.gov.uk/government/news/example-statement"


def _write(directory: Path, actor_url: str, damage_url: str) -> None:
    (directory / "tiny.yaml").write_text(
        f"""
actors:
  - id: state-zz-test
    name: "Test state"
    kind: government_body
    sources:
      - title: "Statement"
        publisher: "UK Government"
        url: "{GOOD}"
      - title: "Test state"
        publisher: "Wikipedia"
        url: "{actor_url}"
incidents:
  - id: test-incident
    name: "Test incident"
    start: "2020-01"
    effects: [espionage]
    damage:
      - estimate: "About a million dollars"
        amount_usd: 1000000
        source_url: "{damage_url}"
    sources:
      - title: "Statement"
        publisher: "UK Government"
        url: "{GOOD}"
""",
        encoding="utf-8",
    )


def test_denied_host_matches_the_host_and_its_subdomains() -> None:
    assert denied_host("en.wikipedia.org") == "wikipedia.org"
    assert denied_host("www.scribd.com") == "scribd.com"
    assert denied_host("amp.newser.com") == "newser.com"
    assert denied_host("WWW.TAG24.COM.") == "tag24.com"
    assert denied_host("www.gov.uk") is None
    assert denied_host("notwikipedia.org") is None
    assert denied_host(None) is None


def test_data_check_reports_a_denied_source_and_damage_url(tmp_path: Path) -> None:
    _write(tmp_path, "https://en.wikipedia.org/wiki/Test", "https://www.devdiscourse.com/article/1")
    problems = dataset.read(tmp_path).problems
    found = {(p.record, p.field): p.message for p in problems}
    assert set(found) == {("state-zz-test", "sources"), ("test-incident", "damage")}
    assert "en.wikipedia.org is not a citable source" in found[("state-zz-test", "sources")]
    assert DENIED_HOSTS["wikipedia.org"] in found[("state-zz-test", "sources")]
    assert "www.devdiscourse.com is not a citable source" in found[("test-incident", "damage")]


def test_data_check_accepts_the_same_records_with_primary_sources(tmp_path: Path) -> None:
    _write(tmp_path, "https://www.justice.gov/opa/pr/example", GOOD)
    assert [str(p) for p in dataset.read(tmp_path).problems] == []


def test_the_command_exits_1_on_a_denied_source(tmp_path: Path) -> None:
    _write(tmp_path, "https://www.scribd.com/document/1/test", GOOD)
    result = CliRunner().invoke(app, ["data", "check", "--directory", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "scribd.com" in result.output


def test_the_bundled_dataset_cites_no_denied_host() -> None:
    curated = dataset.read()
    denied = [
        (e.record.id, str(s.url))
        for e in curated.entries
        for s in e.record.sources
        if denied_host(s.url.host)
    ]
    assert denied == []
