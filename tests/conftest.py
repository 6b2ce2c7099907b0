"""Fixtures: a real database per test on SQLite and PostgreSQL, a frozen clock, worlds of users.

PostgreSQL tests skip with a reason when the server is unreachable, unless
ACCORD_REQUIRE_POSTGRES=1 (set by .ci/run), which turns that into a failure.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from accord.kb import KnowledgeBase
from accord.store.schema import metadata
from tests.cli_runner import Run, RunCli, run_cli

PG_ADMIN_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class FrozenClock:
    """A clock that starts at a fixed instant and advances one second per call."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.now += dt.timedelta(seconds=1)
        return self.now


def fresh_postgres_database(prefix: str = "accord_test") -> Iterator[str]:
    """Yield the URL of a new, empty PostgreSQL database, dropped afterwards; skip (or fail,
    with ACCORD_REQUIRE_POSTGRES=1) when the server is unreachable."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.orig}"
        if os.environ.get("ACCORD_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    yield from fresh_postgres_database()


def _truncate_postgres(kb: KnowledgeBase) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with kb._engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for an empty, not yet initialised Accord database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'accord.db'}"
    url: str = request.getfixturevalue("postgres_url")
    probe = KnowledgeBase(url)
    try:
        if sa.inspect(probe._engine).has_table("records"):  # left by an earlier test
            _truncate_postgres(probe)
    finally:
        probe.close()
    return url


@pytest.fixture
def clock() -> FrozenClock:
    """The frozen clock every test KnowledgeBase uses."""
    return FrozenClock()


@pytest.fixture
def kb(db_url: str, clock: FrozenClock) -> Iterator[KnowledgeBase]:
    """An initialised, empty knowledge base (curators organisation only) on each backend."""
    base = KnowledgeBase(db_url, clock=clock)
    base.initialise()
    try:
        yield base
    finally:
        base.close()


@pytest.fixture
def accord(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> RunCli:
    """Run the CLI's entry point in process and capture it: ``accord(*args, db=url) -> Run``."""

    def run(*args: str, db: str | None = None) -> Run:
        return run_cli(capsys, monkeypatch, *args, db=db)

    return run


def source(**overrides: Any) -> dict[str, Any]:
    """A valid source citation for test records."""
    base = {
        "title": "Test statement",
        "publisher": "Test publisher",
        "url": "https://example.org/statement",
        "date": "2020-01-02",
    }
    base.update(overrides)
    return base


def actor(rid: str, name: str | None = None, kind: str = "state", **extra: Any) -> dict[str, Any]:
    """Input for an actor record."""
    return {
        "id": rid,
        "kind": "actor",
        "data": {"name": name or rid, "kind": kind, **extra},
        "sources": [source()],
    }


def incident(
    rid: str, name: str | None = None, start: str = "2017-05", **extra: Any
) -> dict[str, Any]:
    """Input for an incident record."""
    data = {"name": name or rid, "start": start, "effects": ["ransomware"], **extra}
    return {"id": rid, "kind": "incident", "data": data, "sources": [source()]}


def claim(rid: str, claimant: str, incident_id: str, accused: str, **extra: Any) -> dict[str, Any]:
    """Input for an attribution claim."""
    data = {
        "claimant": claimant,
        "incident": incident_id,
        "accused": accused,
        "stance": "attributes",
        "kind": "official_statement",
        "date": "2017-12-19",
        **extra,
    }
    return {"id": rid, "kind": "claim", "data": data, "sources": [source()]}


def record(rid: str, record_kind: str, /, **data: Any) -> dict[str, Any]:
    """Input for a record of any kind."""
    return {"id": rid, "kind": record_kind, "data": data, "sources": [source()]}


def initiative(rid: str, kind: str = "regional", start: str | None = "2015", **extra: Any) -> Any:
    """Input for an initiative."""
    data = {"name": rid, "kind": kind, "status": "active", "binding": False, **extra}
    if start:
        data["start"] = start
    return record(rid, "initiative", **data)


def norm(rid: str, initiative_id: str, **extra: Any) -> dict[str, Any]:
    """Input for a norm set by an initiative."""
    data = {"code": rid, "title": f"Norm {rid}", "initiative": initiative_id, **extra}
    return record(rid, "norm", **data)


def participation(rid: str, actor_id: str, initiative_id: str, **extra: Any) -> dict[str, Any]:
    """Input for a participation (default role: signatory)."""
    data = {"actor": actor_id, "initiative": initiative_id, "role": "signatory", **extra}
    return record(rid, "participation", **data)


def assessment(rid: str, incident_id: str, norm_id: str) -> dict[str, Any]:
    """Input for a norm assessment by the curators."""
    return record(
        rid,
        "assessment",
        assessor="accord-curators",
        incident=incident_id,
        norm=norm_id,
        rationale="Breaches the norm.",
    )
