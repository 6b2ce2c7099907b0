"""The CLI end to end: init, search, errors as one line, and sharing set up from the CLI.

Usage mistakes through the installed console script: tests/test_cli_usage.py."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord import render
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.cli_runner import Run
from tests.conftest import source


@pytest.fixture
def initialised(db_url: str, accord: Callable[..., Run]) -> str:
    done = accord("init", db=db_url)
    assert done.returncode == 0, done.stderr
    assert "records created" in done.stdout
    return db_url


def test_init_then_search_wanna_json(accord: Callable[..., Run], initialised: str) -> None:
    found = accord("search", "wanna", "--json", db=initialised)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits[0]["id"] == "wannacry"
    assert all(hit["marking"] == "CLEAR" for hit in hits)


def test_init_twice_changes_nothing(accord: Callable[..., Run], initialised: str) -> None:
    again = accord("init", db=initialised)
    assert again.returncode == 0
    assert "0 records created, 0 updated" in again.stdout


def test_show_history_and_export(
    accord: Callable[..., Run], initialised: str, tmp_path: Path
) -> None:
    shown = json.loads(accord("show", "notpetya", "--json", db=initialised).stdout)
    assert shown["kind"] == "incident"
    history = json.loads(accord("history", "notpetya", "--json", db=initialised).stdout)
    assert [h["revision"] for h in history] == [1]
    out = tmp_path / "export.json"
    assert accord("export", "--format", "json", "--out", str(out), db=initialised).returncode == 0
    exported = json.loads(out.read_text())["records"]
    assert any(r["id"] == "notpetya" for r in exported)


def test_clean_shows_every_control_character_as_an_escape() -> None:
    controls = [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
    overrides = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    for char in controls + overrides:
        shown = render.clean(f"a{char}b")
        assert re.fullmatch(r"a\\(n|x[0-9a-f]{2}|u[0-9a-f]{4})b", shown), repr(shown)
    assert render.clean("\x1b]8;;http://x\x1b\\") == "\\x1b]8;;http://x\\x1b\\"
    assert render.clean("one\ntwo", keep_newlines=True) == "one\ntwo"
    assert render.clean("\u05e9\u05dc\u200f [pdf]") == "\u05e9\u05dc\u200f [pdf]"


@pytest.mark.parametrize(
    "args",
    [
        ["consensus"],
        ["consensus", "--incident", "notpetya"],
        ["say-do"],
        ["say-do", "--state", "state-ru"],
        ["landscape"],
        ["network"],
    ],
    ids=" ".join,
)
def test_every_analysis_prints_its_tables(
    accord: Callable[..., Run], initialised: str, args: list[str]
) -> None:
    done = accord("analyze", *args, db=initialised)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "┃" in done.stdout


def test_errors_are_one_line_without_traceback(
    accord: Callable[..., Run], initialised: str, tmp_path: Path
) -> None:
    missing = subprocess.run(
        [sys.executable, "-m", "accord", "show", "no-such-record", "--db", initialised],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert missing.returncode == 1
    error, *hints = missing.stderr.strip().splitlines()
    assert error == "error: no such record (record no-such-record)"
    assert [h for h in hints if "record ids are" in h] == hints
    uninitialised = accord("search", "x", db=f"sqlite:///{tmp_path / 'new.db'}")
    assert uninitialised.returncode == 1
    assert "run 'accord init'" in uninitialised.stderr
    assert "Traceback" not in uninitialised.stderr + missing.stderr


def test_data_check_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "accord", "data", "check", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    assert json.loads(done.stdout)["problems"] == []


def test_two_orgs_share_amber_claim_and_not_with_a_third(
    accord: Callable[..., Run], initialised: str
) -> None:
    for name, sector in (
        ("Ministry A", "government"),
        ("Firm B", "private"),
        ("NGO C", "civil_society"),
    ):
        assert accord("org", "create", name, "--sector", sector, db=initialised).returncode == 0
    tokens = {}
    # The ministry's user is a reviewer: a contributor's claim would stay an unreviewed draft.
    for email, org, role in (
        ("a@a.example", "Ministry A", "reviewer"),
        ("b@b.example", "firm-b", "contributor"),
        ("c@c.example", "ngo-c", "contributor"),
    ):
        created = accord("user", "create", email, "--org", org, "--role", role, db=initialised)
        assert created.returncode == 0, created.stderr
        org = created.stdout.split()[-1].rstrip(".")
        issued = accord("token", "create", "--user", email, "--expires", "30", db=initialised)
        assert issued.returncode == 0, issued.stderr
        tokens[org] = issued.stdout.strip()
    kb = KnowledgeBase(initialised)
    try:
        with TestClient(create_app(Settings(), kb=kb)) as client:

            def auth(org: str) -> dict[str, str]:
                return {"Authorization": f"Bearer {tokens[org]}"}

            body = {
                "id": "ministry-a.claim-notpetya",
                "marking": "AMBER",
                "shares": ["firm-b"],
                "data": {
                    "claimant": "ministry-a",
                    "incident": "notpetya",
                    "accused": "state-ru",
                    "stance": "attributes",
                    "kind": "technical_report",
                    "date": "2018-02",
                    "evidence": "technical",
                },
                "sources": [source()],
            }
            created = client.post("/api/v1/claims", json=body, headers=auth("ministry-a"))
            assert created.status_code == 201, created.text
            path = "/api/v1/claims/ministry-a.claim-notpetya"
            assert client.get(path, headers=auth("firm-b")).json()["marking"] == "AMBER"
            assert client.get(path, headers=auth("ngo-c")).status_code == 404
            assert client.get(path).status_code == 404
            listed = client.get(
                "/api/v1/claims", params={"limit": 500}, headers=auth("ngo-c")
            ).json()
            assert "ministry-a.claim-notpetya" not in {r["id"] for r in listed["items"]}
            assert client.get(path, headers=auth("firm-b")).json()["shares"] == []
            assert client.get(path, headers=auth("ministry-a")).json()["shares"] == ["firm-b"]
    finally:
        kb.close()


def test_revoked_token_is_refused(accord: Callable[..., Run], initialised: str) -> None:
    accord("org", "create", "Ministry A", "--sector", "government", db=initialised)
    accord("user", "create", "a@a.example", "--org", "ministry-a", db=initialised)
    issued = accord("token", "create", "--user", "a@a.example", db=initialised)
    token = issued.stdout.strip()
    token_id = issued.stderr.split()[1]
    assert accord("token", "revoke", token_id, db=initialised).returncode == 0
    kb = KnowledgeBase(initialised)
    try:
        with TestClient(create_app(Settings(), kb=kb)) as client:
            response = client.get("/api/v1/actors", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401
    finally:
        kb.close()


def test_audit_verify_reports_intact_chain(accord: Callable[..., Run], initialised: str) -> None:
    done = accord("audit", "verify", "--json", db=initialised)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ok"] is True


def test_deactivated_user_token_is_refused(accord: Callable[..., Run], initialised: str) -> None:
    accord("org", "create", "Ministry A", "--sector", "government", db=initialised)
    accord("user", "create", "a@a.example", "--org", "ministry-a", db=initialised)
    token = accord("token", "create", "--user", "a@a.example", db=initialised).stdout.strip()
    kb = KnowledgeBase(initialised)
    try:
        with TestClient(create_app(Settings(), kb=kb)) as client:
            headers = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/v1/actors", headers=headers).status_code == 200
            assert accord("user", "deactivate", "a@a.example", db=initialised).returncode == 0
            assert client.get("/api/v1/actors", headers=headers).status_code == 401
    finally:
        kb.close()
