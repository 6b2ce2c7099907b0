"""One pull of a feed at a time (a lease: two real processes, a stale lease taken over), and
feeds pulled in the background by a live server on their interval, a failing feed recording
its error without stopping the others — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest
import requests
from sqlalchemy import update

from accord import accounts
from accord.domain.vocab import UserRole
from accord.errors import InvalidInput, PullRunning
from accord.federation import feeds, lease, schedule
from accord.federation.pull import pull
from accord.federation.schedule import due, pull_due
from accord.store.schema import feeds as feed_rows
from tests.cli_runner import RunCli
from tests.conftest import actor
from tests.live_server import serve
from tests.test_feeds import KEY, collection, copies_of, net, subscribe

__all__ = ["net"]  # the fixture, shared with tests/test_feeds.py

TOTAL = 1_200


def _db(kb: Any) -> str:
    return str(kb._engine.url.render_as_string(hide_password=False))


def _set_lease(kb: Any, name: str, owner: str | None, until: dt.datetime | None) -> None:
    with kb.federation_tables(write=True) as conn:
        conn.execute(
            update(feed_rows)
            .where(feed_rows.c.name == name)
            .values(lease_owner=owner, lease_until=until)
        )


def test_a_second_pull_process_of_the_same_feed_is_refused_and_the_first_writes_all(
    net: Any,
) -> None:
    a, b = net("alpha"), net("beta")
    a.add(*[actor(f"state-{i:04d}", f"State {i}") for i in range(TOTAL)])
    subscribe(b, a, "from-alpha")
    command = [sys.executable, "-m", "accord", "feed", "pull", "from-alpha", "--db", _db(b.kb)]
    env = {**os.environ, "ACCORD_FEED_KEY": KEY}
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while not feeds.get(b.kb, "from-alpha").pulling and first.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    _, err = first.communicate(timeout=180)
    assert first.returncode == 0, err
    assert second.returncode != 0
    assert "a pull of feed 'from-alpha' is already running" in second.stdout + second.stderr
    copies = copies_of(b, a)
    assert len(copies) == TOTAL
    assert all(r.revision == 1 for r in copies.values())
    assert not feeds.get(b.kb, "from-alpha").pulling  # given back when the pull ended


def test_a_live_lease_refuses_a_pull_an_expired_or_dead_one_is_taken_over_a_lost_one_stops(
    net: Any,
) -> None:
    a, b = net("alpha"), net("beta")
    a.add(actor("state-x", "State X"))
    subscribe(b, a, "from-alpha")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=3)
    _set_lease(b.kb, "from-alpha", "elsewhere.example 4242 77 n0nce", later)
    with pytest.raises(PullRunning, match=r"process 4242 on elsewhere\.example"):
        pull(b.kb, "from-alpha")
    assert copies_of(b, a) == {}
    assert pull(b.kb, "from-alpha", dry_run=True).counts["create"] == 1  # needs no lease
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    _set_lease(b.kb, "from-alpha", "elsewhere.example 4242 77 n0nce", earlier)
    assert pull(b.kb, "from-alpha").counts["create"] == 1  # expired: taken over
    ended = subprocess.Popen(["true"])
    ended.wait()
    gone = lease.Holder(lease.new_holder().host, ended.pid, "1", "n0nce")
    _set_lease(b.kb, "from-alpha", gone.text(), later)
    assert gone.gone()
    pull(b.kb, "from-alpha")  # this host, process ended: taken over at once
    assert feeds.get(b.kb, "from-alpha").cursor.next_page is None
    # a pull whose lease was taken over (it had expired) writes no further page
    holder = lease.new_holder()
    lease.acquire(b.kb, "from-alpha", holder)
    _set_lease(b.kb, "from-alpha", "elsewhere.example 1 1 thief", later)
    with pytest.raises(PullRunning, match="lease expired"):
        lease.renew(b.kb, "from-alpha", holder)


def test_intervals_parse_and_show() -> None:
    assert feeds.parse_every("15m") == 900
    assert feeds.parse_every("1d") == 86_400
    assert feeds.parse_every("off") is None
    assert feeds.format_every(900) == "15m"
    assert feeds.format_every(90) == "90s"
    for bad in ("15", "0s", "-1m", "31d", "1w", "15 m"):
        with pytest.raises(InvalidInput):
            feeds.parse_every(bad)


def test_a_live_server_pulls_a_feed_on_its_interval_and_a_failing_feed_stops_nothing(
    net: Any, accord: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = net("alpha"), net("beta")
    a.add(actor("state-x", "State X"), actor("state-y", "State Y"))
    subscribe(b, a, "from-alpha")
    feeds.add(
        b.kb,
        "broken",
        "http://127.0.0.1:9/taxii2/accord/",  # nothing listens there
        collection("public"),
        user_email=b.reviewer,
        every=1,
    )
    feeds.add(
        b.kb, "manual", a.api_root, collection("public"), user_email=b.reviewer, token=a.token
    )
    accord("feed", "set", "from-alpha", "--every", "1s", db=_db(b.kb)).ok()
    monkeypatch.setattr(schedule, "TICK", 0.2)
    accounts.create_user(b.kb, "admin@beta.example", b.org, UserRole.INSTANCE_ADMIN)
    admin = {"Authorization": f"Bearer {accounts.create_token(b.kb, 'admin@beta.example')[1]}"}
    url, stop = serve(b.kb, pull_feeds=True)
    try:
        deadline = time.monotonic() + 60
        while len(copies_of(b, a)) < 2 or feeds.get(b.kb, "broken").last_error is None:
            assert time.monotonic() < deadline, "the background puller did not pull"
            time.sleep(0.1)
        a.add(actor("state-z", "State Z"))  # the next round brings it
        while len(copies_of(b, a)) < 3:
            assert time.monotonic() < deadline, "the second round did not come"
            time.sleep(0.1)
        answer = requests.get(f"{url}/api/v1/feeds", headers=admin, timeout=30)
        served = {f["name"]: f for f in answer.json()["items"]}
        assert "cannot read" in served["broken"]["last_error"]
        assert served["from-alpha"]["last_pull_at"] is not None
        assert served["from-alpha"]["every"] == "1s"
        changed = requests.patch(
            f"{url}/api/v1/feeds/broken", json={"every": "off"}, headers=admin, timeout=30
        )
        assert changed.json()["every_seconds"] is None
        reviewer = {"Authorization": f"Bearer {b.token}"}  # not an instance administrator
        refused = requests.patch(
            f"{url}/api/v1/feeds/manual", json={"every": "1s"}, headers=reviewer, timeout=30
        )
        assert refused.status_code == 403
    finally:
        stop()
    good, broken, manual = (feeds.get(b.kb, n) for n in ("from-alpha", "broken", "manual"))
    assert good.last_pull_at is not None
    assert good.last_error is None
    assert broken.last_error is not None
    assert "cannot read" in broken.last_error
    assert broken.last_pull_at is None
    assert manual.last_tried_at is None  # no interval: never pulled in the background
    monkeypatch.setenv("COLUMNS", "400")
    listed = accord("feed", "list", db=_db(b.kb)).ok()
    for text in ("cannot read", "1s", "off", "never"):
        assert text in listed
    as_json = {f["name"]: f for f in feeds_json(accord, _db(b.kb))}
    assert as_json["broken"]["last_error"] == broken.last_error
    assert as_json["from-alpha"]["every"] == "1s"
    assert due(b.kb, dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)) == ["from-alpha"]
    assert set(pull_due(b.kb)) <= {"from-alpha"}


def feeds_json(accord: RunCli, db: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = json.loads(accord("feed", "list", "--json", db=db).ok())
    return listed
