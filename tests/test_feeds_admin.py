"""Feeds as administered: the sealed token (never readable back or printed), the CLI
commands and the REST routes for instance administrators, on both databases."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi.testclient import TestClient

from accord import accounts
from accord.domain.vocab import Sector, UserRole
from accord.errors import BadRequest, InvalidInput
from accord.federation import feeds, sealing
from accord.federation.remote import Credentials
from accord.kb import KnowledgeBase
from accord.store import migrate
from accord.store.schema import feeds as feeds_table
from accord.web.app import create_app
from accord.web.settings import Settings
from tests.cli_runner import RunCli

KEY = "s" * 40
SECRET = "acc_remote-secret-token-value"


def test_a_sealed_token_opens_only_with_its_key_and_feed() -> None:
    sealed = sealing.seal(SECRET, "one", key=KEY)
    assert SECRET not in sealed
    assert sealing.open_sealed(sealed, "one", key=KEY) == SECRET
    assert sealing.seal(SECRET, "one", key=KEY) != sealed  # a fresh nonce each time
    with pytest.raises(BadRequest, match="not the key"):
        sealing.open_sealed(sealed, "one", key="t" * 40)
    with pytest.raises(BadRequest, match="not the key"):
        sealing.open_sealed(sealed, "two", key=KEY)
    version, _, body = sealed.partition(".")
    flipped = body[:30] + ("A" if body[30] != "A" else "B") + body[31:]
    with pytest.raises(BadRequest):
        sealing.open_sealed(f"{version}.{flipped}", "one", key=KEY)


def test_without_a_key_no_token_is_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_FEED_KEY", raising=False)
    with pytest.raises(BadRequest, match="ACCORD_FEED_KEY"):
        sealing.seal(SECRET, "one")
    with pytest.raises(BadRequest, match="at least 32"):
        sealing.seal(SECRET, "one", key="short")


@pytest.fixture
def admin_world(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("ACCORD_FEED_KEY", KEY)
    org = accounts.create_org(kb, "Beta Org", Sector.GOVERNMENT, org_id="beta")
    accounts.create_user(kb, "reviewer@beta.example", org, UserRole.REVIEWER)
    accounts.create_user(kb, "writer@beta.example", org, UserRole.CONTRIBUTOR)
    accounts.create_user(kb, "admin@beta.example", org, UserRole.INSTANCE_ADMIN)
    return {
        "admin": accounts.create_token(kb, "admin@beta.example")[1],
        "reviewer": accounts.create_token(kb, "reviewer@beta.example")[1],
    }


def test_the_stored_token_is_sealed_and_a_feed_pulls_as_a_reviewer(
    kb: KnowledgeBase, admin_world: dict[str, str]
) -> None:
    with pytest.raises(InvalidInput, match="reviewer"):
        feeds.add(kb, "f", "https://taxii.example/api/", "c1", user_email="writer@beta.example")
    with pytest.raises(InvalidInput, match="http"):
        feeds.add(kb, "f", "ftp://x/", "c1", user_email="reviewer@beta.example")
    with pytest.raises(InvalidInput, match="http"):
        feeds.add(kb, "f", "https://x/\x07", "c1", user_email="reviewer@beta.example")
    with pytest.raises(InvalidInput, match="collection"):
        feeds.add(kb, "f", "https://x/", "../c1", user_email="reviewer@beta.example")
    with pytest.raises(InvalidInput, match="token"):
        feeds.add(kb, "f", "https://x/", "c1", user_email="reviewer@beta.example", token="a\nb")
    assert feeds.all_feeds(kb) == []
    feeds.add(
        kb, "f", "https://taxii.example/api", "c1", user_email="reviewer@beta.example", token=SECRET
    )
    with kb.federation_tables() as conn:
        stored = conn.execute(feeds_table.select()).one()
    assert SECRET not in stored.token_sealed
    assert stored.url == "https://taxii.example/api/"
    assert feeds.get(kb, "f").to_json()["token"] == "set"


def test_feed_commands_never_print_the_token(
    kb: KnowledgeBase, db_url: str, admin_world: dict[str, str], accord: RunCli
) -> None:
    code, out, err = accord(
        "feed", "add", "alpha", "https://taxii.example/api/", "--collection", "c1",
        "--as", "reviewer@beta.example", "--token", SECRET, db=db_url,
    )  # fmt: skip
    assert code == 0, err
    assert SECRET not in out
    code, out, _ = accord("feed", "list", "--json", db=db_url)
    assert code == 0
    [listed] = json.loads(out)
    assert listed["name"] == "alpha"
    assert listed["token"] == "set"
    assert SECRET not in out
    code, _, err = accord("feed", "pull", "missing", db=db_url)
    assert code == 1
    assert "no feed named 'missing'" in err
    code, _, err = accord("feed", "pull", "alpha", "--dry-run", db=db_url)
    assert code == 1
    assert "cannot read" in err
    assert SECRET not in err
    assert "Traceback" not in err
    code, out, _ = accord("feed", "remove", "alpha", db=db_url)
    assert code == 0
    assert feeds.all_feeds(kb) == []
    code, out, _ = accord("feed", "pull", db=db_url)
    assert code == 0
    assert "No feeds" in out


def test_a_token_can_stay_out_of_the_shell_history(
    kb: KnowledgeBase,
    db_url: str,
    admin_world: dict[str, str],
    accord: RunCli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_FEED_TOKEN", SECRET)
    accord(
        "feed", "add", "from-env", "https://taxii.example/api/", "--collection", "c1",
        "--as", "reviewer@beta.example", db=db_url,
    ).ok()  # fmt: skip
    assert feeds.credentials_of(kb, feeds.get(kb, "from-env")) == Credentials("bearer", SECRET)
    monkeypatch.delenv("ACCORD_FEED_TOKEN")
    typed = subprocess.run(  # the installed console script, the token typed at its prompt
        [str(Path(sys.executable).parent / "accord"), "feed", "add", "typed",
         "https://taxii.example/api/", "--collection", "c1", "--as", "reviewer@beta.example",
         "--token", "-", "--db", db_url],
        input=f"{SECRET}\n", capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert typed.returncode == 0, typed.stderr
    assert SECRET not in typed.stdout + typed.stderr
    assert feeds.credentials_of(kb, feeds.get(kb, "typed")) == Credentials("bearer", SECRET)


@pytest.fixture
def client(kb: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(secure_cookies=False), kb=kb)) as test_client:
        yield test_client


def test_feeds_over_rest_are_for_instance_administrators(
    kb: KnowledgeBase, client: TestClient, admin_world: dict[str, str]
) -> None:
    body = {
        "name": "alpha",
        "url": "https://taxii.example/api/",
        "collection": "c1",
        "as": "reviewer@beta.example",
        "token": SECRET,
    }
    assert client.post("/api/v1/feeds", json=body).status_code == 401
    reviewer = {"Authorization": f"Bearer {admin_world['reviewer']}"}
    assert client.post("/api/v1/feeds", json=body, headers=reviewer).status_code == 403
    assert client.get("/api/v1/feeds", headers=reviewer).status_code == 403
    admin = {"Authorization": f"Bearer {admin_world['admin']}"}
    created = client.post("/api/v1/feeds", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert SECRET not in created.text
    listed = client.get("/api/v1/feeds", headers=admin)
    assert [f["name"] for f in listed.json()["items"]] == ["alpha"]
    assert SECRET not in listed.text
    assert client.post("/api/v1/feeds", json=body, headers=admin).status_code == 409
    assert client.post("/api/v1/feeds/nope/pull", headers=admin).status_code == 404
    assert client.delete("/api/v1/feeds/alpha", headers=admin).status_code == 204
    assert client.delete("/api/v1/feeds/alpha", headers=admin).status_code == 404


def test_migration_0019_goes_down_and_up(kb: KnowledgeBase) -> None:
    tables = {"feeds", "feed_origins"}
    config = migrate._config()
    with kb._engine.begin() as conn:
        assert tables <= set(sa.inspect(conn).get_table_names())
        config.attributes["connection"] = conn
        command.downgrade(config, "0018")
        assert not tables & set(sa.inspect(conn).get_table_names())
    migrate.upgrade(kb._engine)
    with kb._engine.connect() as conn:
        assert tables <= set(sa.inspect(conn).get_table_names())
