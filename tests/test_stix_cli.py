"""`accord export --format stix` and `accord import stix`, through the console entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from accord.cli import main
from accord.kb import KnowledgeBase
from tests.conftest import FrozenClock
from tests.stix_world import build_world


def run(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["accord", *args])
    try:
        main()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def test_export_then_import_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source_db, target_db = tmp_path / "a.db", tmp_path / "b.db"
    with KnowledgeBase(f"sqlite:///{source_db}", clock=FrozenClock()) as kb:
        kb.initialise()
        build_world(kb)
    bundle = tmp_path / "bundle.json"
    assert (
        run(monkeypatch, "export", "--db", str(source_db), "--format", "stix", "--out", str(bundle))
        == 0
    )
    assert json.loads(bundle.read_text())["type"] == "bundle"
    assert run(monkeypatch, "init", "--empty", "--db", str(target_db)) == 0
    capsys.readouterr()
    assert run(monkeypatch, "import", "stix", str(bundle), "--db", str(target_db), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is True
    assert report["created"] == 18


def test_invalid_bundle_exits_non_zero_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "a.db"
    assert run(monkeypatch, "init", "--empty", "--db", str(db)) == 0
    bundle = tmp_path / "bad.json"
    bad = {
        "type": "identity",
        "spec_version": "2.1",
        "name": "X",
        "identity_class": "individual",
        "id": "identity--1cbd0a50-0bb0-4b0b-9b9b-6e6e4f0f3a44",
        "created": "yesterday",
        "modified": "2020-01-01T00:00:00Z",
    }
    bundle.write_text(
        json.dumps(
            {
                "type": "bundle",
                "id": "bundle--1cbd0a50-0bb0-4b0b-9b9b-6e6e4f0f3a45",
                "objects": [bad],
            }
        )
    )
    capsys.readouterr()
    assert run(monkeypatch, "import", "stix", str(bundle), "--db", str(db)) == 1
    err = capsys.readouterr().err
    assert "identity--1cbd0a50-0bb0-4b0b-9b9b-6e6e4f0f3a44" in err
    assert "timestamp" in err
    assert "nothing was written" in err
    bundle.write_text("{not json")
    assert run(monkeypatch, "import", "stix", str(bundle), "--db", str(db)) == 1
    assert "malformed JSON" in capsys.readouterr().err
    assert (
        run(monkeypatch, "export", "--db", str(db), "--format", "xml", "--out", str(tmp_path / "x"))
        == 1
    )
