"""`accord import ...`: a summary, and on bad input a non-zero exit with nothing written."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from accord.access import SYSTEM
from accord.cli import app
from accord.kb import KnowledgeBase
from tests.import_helpers import FIXTURES

runner = CliRunner()


def _db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert runner.invoke(app, ["init", "--db", url, "--empty"]).exit_code == 0
    return url


def test_eurepoc_command_prints_counts_per_kind_and_is_idempotent(tmp_path: Path) -> None:
    url = _db(tmp_path)
    args = [
        "import",
        "eurepoc",
        str(FIXTURES / "eurepoc" / "global.csv"),
        "--db",
        url,
        "--attributions",
        str(FIXTURES / "eurepoc" / "attributions.csv"),
    ]
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    created = orjson.loads(first.stdout[first.stdout.index("{") :])["by_kind"]
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    for kind in ("incident", "claim", "response", "unchanged", "skipped", "total"):
        assert kind in second.output
    assert "skipped 2 claim row(s): no initiator is named" in second.output
    third = runner.invoke(app, [*args, "--json"])
    report = orjson.loads(third.stdout[third.stdout.index("{") :])
    assert report["created"] == report["updated"] == []
    for kind in ("incident", "claim", "response"):
        assert report["by_kind"][kind]["unchanged"] == created[kind]["created"] > 0


def test_invalid_rows_exit_non_zero_and_write_nothing(tmp_path: Path) -> None:
    url = _db(tmp_path)
    bad = tmp_path / "annex.csv"
    bad.write_text(
        "part,entity_type,entry,name,reasons,date_of_listing,date_of_listing_iso\n"
        "A,alien,1,Jane DOE,Involved.,1.1.2020,2020-01-01\n",
        "utf-8",
    )
    result = runner.invoke(app, ["import", "eu-sanctions", str(bad), "--db", url])
    assert result.exit_code == 1
    assert "line 2" in result.output
    assert "unknown entity_type 'alien'" in result.output
    with KnowledgeBase(url) as kb:
        assert kb.count(SYSTEM) == {"actor": 1}  # the curators' organisation only


def test_import_commands_are_listed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["import", "--help"])
    for command in ("misp-galaxy", "attack", "paris-call", "eu-sanctions", "eurepoc"):
        assert command in result.output
