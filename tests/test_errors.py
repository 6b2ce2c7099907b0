"""The one exception tree and how errors reach callers: the tree drawn in errors.py and
exported, the one JSON body, security headers on a real 500, and a database that cannot be
reached answering 503 ``store_unavailable`` (API) and one line (CLI)."""

from __future__ import annotations

import importlib
import pkgutil
import re
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

import accord
from accord import accounts, errors
from accord.domain.vocab import Sector, UserRole
from accord.errors import AccordError, StoreUnavailable
from accord.kb import KnowledgeBase
from accord.web.app import create_app
from accord.web.errors import error_body
from accord.web.headers import CSP
from accord.web.settings import Settings
from tests.conftest import PG_ADMIN_URL

PASSWORD = "correct horse battery staple"
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _every_error_class() -> list[type[AccordError]]:
    for module in pkgutil.walk_packages(accord.__path__, "accord."):
        if ".migrations." not in module.name and not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    found: list[type[AccordError]] = []
    pending = [AccordError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_error_class_is_drawn_in_the_tree_and_exported() -> None:
    drawn = dict(re.findall(r"(\w+) \((\d{3}, \w+)\)", (errors.__doc__ or "").split("::", 1)[1]))
    classes = _every_error_class()
    assert len(classes) > 10
    for cls in classes:
        assert cls.__module__ == "accord.errors", f"{cls.__name__} lives outside errors.py"
        assert drawn.get(cls.__name__) == f"{cls.status}, {cls.code}", f"{cls.__name__} undrawn"
        assert cls.__name__ in accord.__all__
        assert getattr(accord, cls.__name__) is cls
        doc = (cls.__doc__ or "").strip()
        assert doc, f"{cls.__name__} has no docstring"
        assert "\n" not in doc, f"{cls.__name__}: a one-line docstring"
    assert set(drawn) == {cls.__name__ for cls in classes}


def test_error_body_is_the_one_shape() -> None:
    assert error_body("not_found", "no such record", record="x", field="id") == {
        "error": {"code": "not_found", "message": "no such record", "record": "x", "field": "id"}
    }
    assert error_body("internal", "boom") == {"error": {"code": "internal", "message": "boom"}}


def _app_that_fails(kb: KnowledgeBase) -> TestClient:
    app = create_app(Settings(), kb=kb)

    @app.get("/api/v1/explode")
    def explode() -> None:
        raise RuntimeError("secret detail /etc/accord")

    return TestClient(app, raise_server_exceptions=False)


def test_an_unexpected_error_is_a_500_with_the_security_headers(kb: KnowledgeBase) -> None:
    with _app_that_fails(kb) as client:
        response = client.get("/api/v1/explode")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal", "message": "an internal error occurred"}
    }
    assert "secret detail" not in response.text
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name


def test_every_kind_of_error_response_carries_the_security_headers(kb: KnowledgeBase) -> None:
    with TestClient(create_app(Settings(max_body_bytes=100), kb=kb)) as client:
        answers = [
            client.get("/api/v1/incidents/nope"),  # 404 from the library
            client.get("/api/v1/incidents", params={"limit": "x"}),  # 422 from validation
            client.post("/api/v1/actors", content=b"x" * 200),  # 413 from the middleware
            client.get("/api/v1/actors", headers={"Authorization": "Basic x"}),  # 401
            client.delete("/api/v1/incidents"),  # 405 from the router
            client.get("/no-such-page"),  # 404 page
        ]
    for response in answers:
        assert response.status_code >= 400
        for name, value in SECURITY_HEADERS.items():
            assert response.headers.get(name) == value, (response.status_code, name)


# -- a database that cannot be reached --------------------------------------------------------


@dataclass
class Doomed:
    """An initialised database with a signed-in session, and how to make it unreachable."""

    url: str
    kb: KnowledgeBase
    stop: Callable[[], None]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def doomed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Doomed]:
    """SQLite: the database's folder is removed (and the pooled connections dropped, as a
    restart would). PostgreSQL: a database of its own is dropped under the open pool."""
    if request.param == "sqlite":
        folder = tmp_path / "store"
        folder.mkdir()
        url = f"sqlite:///{folder / 'accord.db'}"
        kb = KnowledgeBase(url)

        def stop() -> None:
            shutil.rmtree(folder)
            kb._engine.dispose()

    else:
        request.getfixturevalue("postgres_url")  # skips (or fails in CI) without a server
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        name = f"accord_doomed_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
        kb = KnowledgeBase(url)

        def stop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    kb.initialise()
    try:
        yield Doomed(url, kb, stop)
    finally:
        kb.close()
        if request.param == "postgres":
            stop()
            admin.dispose()


def _assert_store_unavailable(response: object) -> None:
    assert getattr(response, "status_code", None) == 503, getattr(response, "text", "")
    body = response.json()  # type: ignore[attr-defined]
    assert body["error"]["code"] == "store_unavailable"
    assert "Traceback" not in body["error"]["message"]
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name  # type: ignore[attr-defined]


def test_unreachable_database_is_503_store_unavailable(
    doomed: Doomed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    org = accounts.create_org(doomed.kb, "Ministry of Test", Sector.GOVERNMENT)
    accounts.create_user(
        doomed.kb, "analyst@mfa.example", org, UserRole.CONTRIBUTOR, password=PASSWORD
    )
    token = accounts.create_token(doomed.kb, "analyst@mfa.example")[1]
    user = accounts.find_user(doomed.kb, "analyst@mfa.example")
    app = create_app(Settings(), kb=doomed.kb)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as browser:
        csrf = re.findall(r'name="csrf_token" value="([^"]+)"', browser.get("/signin").text)[0]
        form = {"email": user.email, "password": PASSWORD, "csrf_token": csrf}
        assert browser.post("/signin", data=form, follow_redirects=False).status_code == 303
        assert browser.get("/contribute").status_code == 200
        doomed.stop()
        _assert_store_unavailable(browser.get("/contribute"))  # the session's lookup
        _assert_store_unavailable(browser.get("/api/v1/incidents"))
        browser.cookies.clear()
        _assert_store_unavailable(browser.get("/api/v1/incidents"))  # anonymous
        _assert_store_unavailable(
            browser.get("/api/v1/incidents", headers={"Authorization": f"Bearer {token}"})
        )
    with pytest.raises(StoreUnavailable):
        accounts.start_session(doomed.kb, user)


def test_unreachable_database_is_one_line_from_the_cli(doomed: Doomed) -> None:
    doomed.stop()
    url = doomed.url
    if url.startswith("postgresql"):  # also a server that does not answer at all
        url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/accord"
    for db in {doomed.url, url}:
        done = subprocess.run(
            [sys.executable, "-m", "accord", "show", "wannacry", "--db", db],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, done.stderr
        assert "database" in lines[0]
        assert "Traceback" not in done.stderr


def test_unreachable_database_at_start_is_503(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "accord.db"
    for url in (f"sqlite:///{missing}", f"postgresql://postgres@127.0.0.1:{_closed_port()}/x"):
        with TestClient(create_app(Settings(), kb=KnowledgeBase(url))) as client:
            _assert_store_unavailable(client.get("/api/v1/actors"))
