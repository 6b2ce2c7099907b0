"""``accord audit head`` and ``accord audit verify`` end to end, through the CLI's entry point."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from accord.kb import KnowledgeBase
from tests.cli_runner import Run
from tests.test_cli import initialised

__all__ = ["initialised"]  # a fixture shared with test_cli


def test_head_printed_then_verified_as_text_and_as_file(
    accord: Callable[..., Run], initialised: str, tmp_path: Path
) -> None:
    head = accord("audit", "head", db=initialised)
    assert head.returncode == 0, head.stderr
    line = head.stdout.strip()
    assert line.startswith("count=")
    assert " hash=" in line
    (tmp_path / "head.txt").write_text(line + "\n", encoding="utf-8")
    for given in (line, str(tmp_path / "head.txt")):
        done = accord("audit", "verify", "--head", given, db=initialised)
        assert done.returncode == 0, done.stderr
        assert "Audit log intact" in done.stdout
        assert "unkeyed" in done.stdout
    as_json = json.loads(accord("audit", "head", "--json", db=initialised).stdout)
    assert as_json["head"] == line


def test_direct_marking_change_fails_verify_naming_the_record(
    accord: Callable[..., Run], initialised: str
) -> None:
    kb = KnowledgeBase(initialised)
    try:
        with kb._engine.begin() as conn:
            conn.execute(sa.text("UPDATE records SET marking = 'RED' WHERE id = 'wannacry'"))
    finally:
        kb.close()
    done = accord("audit", "verify", db=initialised)
    assert done.returncode == 1
    assert "record wannacry" in done.stderr
    assert "marking" in done.stderr
    report = json.loads(accord("audit", "verify", "--json", db=initialised).stdout)
    assert report["ok"] is False
    assert [p["record"] for p in report["problems"]] == ["wannacry"]


def test_verify_with_a_bad_head_says_what_is_wrong(
    accord: Callable[..., Run], initialised: str
) -> None:
    done = accord("audit", "verify", "--head", "count=1 seq=1 hash=x", db=initialised)
    assert done.returncode == 1
    assert "not an audit head" in done.stderr
