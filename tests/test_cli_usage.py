"""Real usage mistakes through the installed console script (``.venv/bin/accord``).

Each run is a separate process, exactly as a person types it, so what is checked is what they
see: the exit code, click's own message (the missing argument, the valid choices, "did you
mean"), never "unexpected" nor a traceback, and raw bytes free of terminal codes. One database per
backend is initialised once for the module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from accord.access import Viewer
from accord.domain.vocab import UserRole
from accord.kb import KnowledgeBase
from tests.conftest import actor, fresh_postgres_database, incident

ACCORD = Path(sys.executable).with_name("accord")
ESCAPE = "\x1b]8;;http://x\x1b\\"  # an OSC 8 hyperlink, as a record or argument might carry


@dataclass
class Run:
    """What one run of the console script printed (raw bytes) and returned."""

    code: int
    out: bytes
    err: bytes

    @property
    def text(self) -> str:
        """Standard output and error, decoded."""
        return (self.out + self.err).decode()


def accord(*args: str, db: str | None = None) -> Run:
    """Run the installed ``accord`` in a pipe, 80 columns wide, with no colour forced."""
    if not ACCORD.exists():
        pytest.fail(f"{ACCORD} is missing: run 'bash scripts/setup.sh --dev'")
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "ACCORD_DATABASE_URL")}
    env["COLUMNS"] = "80"
    done = subprocess.run(
        [str(ACCORD), *args, *(["--db", db] if db else [])],
        capture_output=True,
        timeout=120,
        check=False,
        env=env,
    )
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the bundled dataset, an organisation 'Probe Ministry' (probe-ministry)
    with a member, and probe records: one AMBER to the ministry, one CLEAR with markup and
    control characters in its text."""
    if request.param == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path_factory.mktemp('cli') / 'a.db'}"])
    else:
        urls = fresh_postgres_database("accord_cli")
    url = next(urls)
    done = accord("init", db=url)
    assert done.code == 0, done.err
    made = accord("org", "create", "Probe Ministry", "--sector", "government", db=url)
    assert made.code == 0, made.err
    joined = accord("user", "create", "m@probe.example", "--org", "probe-ministry", db=url)
    assert joined.code == 0, joined.err
    kb = KnowledgeBase(url)
    try:
        curator = Viewer(user_id="system", org_id="probe-ministry", role=UserRole.INSTANCE_ADMIN)
        kb.create(
            {**actor("probe-ministry.wannacrypt-hidden", "Wannacrypt Hidden"), "marking": "AMBER"},
            curator,
        )
        kb.create(
            incident(
                "probe-ministry.markup",
                "Probe [bold]x[/bold] [pdf]",
                description="first\rsecond \u202eevil",
            ),
            curator,
        )
    finally:
        kb.close()
    yield url
    next(urls, None)  # drops the PostgreSQL database


USAGE_MISTAKES = [
    (["search"], ["Missing argument 'text'"]),
    (["analyze", "saydo"], ["No such command 'saydo'", "Did you mean 'say-do'"]),
    (
        ["user", "create", "x@y.example", "--org", "o", "--role", "analyst"],
        ["'analyst'", "reviewer"],
    ),
    (["org", "create", "X", "--sector", "goverment"], ["'goverment'", "'government'"]),
    (["search", "x", "--kind", "incidnet"], ["'incidnet'", "'incident'"]),
    (["export", "--format", "stix"], ["Missing option '--out'"]),
    (["report", "--out", "/missing/dir/b.html"], ["--out", "/missing/dir", "does not exist"]),
    (["search", "x", "--bogus"], ["No such option: --bogus"]),
]


@pytest.mark.parametrize(("args", "names"), USAGE_MISTAKES, ids=lambda v: " ".join(v))
def test_usage_mistake_prints_clicks_message_and_exits_2(args: list[str], names: list[str]) -> None:
    done = accord(*args)
    assert done.code == 2, done.text
    assert done.out == b""
    error, *rest = done.err.decode().splitlines()
    assert error.startswith("error: ")
    for name in names:
        assert name in error
    assert len(rest) == 1
    assert re.fullmatch(r"Try 'accord[a-z -]* --help' for help\.", rest[0])
    assert "unexpected" not in done.text
    assert "Traceback" not in done.text


def test_version_prints_the_installed_version() -> None:
    done = accord("--version")
    assert done.code == 0, done.text
    assert done.out.decode().strip() == f"accord {metadata.version('accord')}"


def test_missing_record_suggests_the_visible_one_by_name(db: str) -> None:
    done = accord("show", "WannaCry", db=db)
    assert done.code == 1
    error, *hints = done.err.decode().splitlines()
    assert error == "error: no such record (record WannaCry)"
    assert hints[0].startswith("did you mean: wannacry (")
    assert any("e.g. notpetya or state-ru" in h for h in hints)
    assert "unexpected" not in done.text


def test_missing_history_suggests_close_ids(db: str) -> None:
    done = accord("history", "wanacry", db=db)
    assert done.code == 1
    assert "did you mean: wannacry (" in done.err.decode()


def test_missing_group_suggested_by_alias(db: str) -> None:
    group = json.loads(accord("show", "apt28", "--json", db=db).out)
    alias = group["data"]["aliases"][0]
    done = accord("analyze", "consensus", "--group", alias.lower(), db=db)
    assert done.code == 1
    assert f"did you mean: apt28 ({group['data']['name']})" in done.err.decode()


def test_suggestions_never_name_a_record_the_reader_may_not_see(db: str) -> None:
    anonymous = accord("show", "wannacrypt", db=db).err.decode()
    member = accord("show", "wannacrypt", "--as", "m@probe.example", db=db).err.decode()
    assert "probe-ministry.wannacrypt-hidden" in member
    assert "wannacrypt-hidden" not in anonymous
    assert "Wannacrypt Hidden" not in anonymous


def test_unknown_state_suggests_its_id_by_name_or_code(db: str) -> None:
    for given in ("russia", "RU"):
        done = accord("analyze", "say-do", "--state", given, db=db)
        assert done.code == 1
        error, suggestion, form = done.err.decode().splitlines()
        assert error == f"error: no such state (record {given})"
        assert suggestion.startswith("did you mean: state-ru (Russia)")
        assert "e.g. state-ru" in form


def test_organisation_accepted_by_exact_name_in_any_case(db: str) -> None:
    done = accord("user", "create", "n@probe.example", "--org", "PROBE ministry", db=db)
    assert done.code == 0, done.text
    assert done.out.decode().strip().endswith("in probe-ministry.")
    unknown = accord("user", "create", "o@probe.example", "--org", "Probe Ministries", db=db)
    assert unknown.code == 1
    assert "no organisation with id or name 'Probe Ministries'" in unknown.err.decode()


def test_record_text_prints_without_markup_or_control_characters(db: str) -> None:
    done = accord("show", "probe-ministry.markup", db=db)
    assert done.code == 0, done.text
    assert b"[bold]x[/bold]" in done.out
    assert b"[pdf]" in done.out
    assert b"first\\x0dsecond" in done.out
    assert b"\\u202eevil" in done.out
    assert b"\x1b" not in done.out + done.err
    assert b"\r" not in done.out
    assert "\u202e".encode() not in done.out


def test_typed_escape_sequences_are_shown_not_sent(db: str) -> None:
    shown = accord("show", ESCAPE + "[bold]probe[/bold]", db=db)
    assert shown.code == 1
    assert b"\x1b" not in shown.out + shown.err
    assert b"\\x1b]8;;http://x\\x1b\\[bold]probe[/bold]" in shown.err
    searched = accord("search", ESCAPE + "wanna", db=db)
    assert searched.code == 0, searched.text
    assert b"\x1b" not in searched.out + searched.err
    assert b"\\x1b]8;;http://x\\x1b\\wanna" in searched.out


def test_table_keeps_every_id_whole_at_80_columns(db: str) -> None:
    hits = json.loads(accord("search", "ukraine", "--json", db=db).out)
    assert any(len(h["id"]) > 30 for h in hits)  # ids long enough to tempt truncation
    table = accord("search", "ukraine", db=db).out.decode()
    assert "…" not in table
    for hit in hits:
        assert f"│ {hit['id']} " in table


def test_say_do_hides_all_zero_states_and_says_how_many(db: str) -> None:
    # Every UN member state endorses the 2015 GGE norms (resolution 70/237): a state outside the
    # UN with nothing on record is the one left to hide.
    kb = KnowledgeBase(db)
    try:
        curator = Viewer(user_id="system", org_id="probe-ministry", role=UserRole.INSTANCE_ADMIN)
        kb.create(actor("probe-ministry.state-quiet", "Quiet State"), curator)
    finally:
        kb.close()
    states = json.loads(accord("analyze", "say-do", "--json", db=db).out)["states"]
    counts = ("initiatives_joined", "initiatives_left", "norms_endorsed", "assessed_incidents")
    zero = {s["state"] for s in states if not any(s[c] for c in (*counts, "breaches"))}
    assert zero
    assert len(zero) < len(states)

    def listed(*extra: str) -> tuple[set[str], str]:
        done = accord("analyze", "say-do", *extra, db=db)
        assert done.code == 0, done.text
        text = done.out.decode()
        return set(re.findall(r"^│ ((?:probe-ministry\.)?state-[a-z]+) ", text, re.M)), text

    shown, text = listed()
    assert shown == {s["state"] for s in states} - zero
    assert f"{len(zero)} states with nothing to count are not shown (--all lists them)." in text
    every, text = listed("--all")
    assert every == {s["state"] for s in states}
    assert "not shown (--all" not in text
