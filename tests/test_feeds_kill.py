"""A pull process killed with SIGKILL in the middle of a pull resumes, in the next pull,
without losing or duplicating a record (each page and its cursor are one transaction)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from accord.domain.stable_ids import uuid5
from accord.federation import feeds, origins
from accord.federation.pull import pull
from tests.conftest import actor
from tests.test_feeds import KEY, copies_of, net, subscribe

__all__ = ["net"]  # the fixture, shared with tests/test_feeds.py

TOTAL = 1_600


def test_a_pull_killed_mid_way_resumes_without_loss_or_duplicates(net: Any) -> None:
    a, b = net("alpha"), net("beta")
    a.add(*[actor(f"state-{i:04d}", f"State {i}") for i in range(TOTAL)])
    subscribe(b, a, "from-alpha")
    db = str(b.kb._engine.url.render_as_string(hide_password=False))
    command = [sys.executable, "-m", "accord", "feed", "pull", "from-alpha", "--db", db]
    env = {**os.environ, "ACCORD_FEED_KEY": KEY}
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    mid_pull = False
    while time.monotonic() < deadline and child.poll() is None:
        if feeds.get(b.kb, "from-alpha").cursor.next_page is not None:
            mid_pull = True
            child.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    child.wait(timeout=30)
    child.stdout and child.stdout.close()
    child.stderr and child.stderr.close()
    assert mid_pull, "the pull ended before it could be killed"
    assert child.returncode == -signal.SIGKILL
    before = len(copies_of(b, a))
    assert 0 < before < TOTAL
    report = pull(b.kb, "from-alpha")
    assert report.resumed
    copies = copies_of(b, a)
    assert len(copies) == TOTAL
    assert all(r.revision == 1 for r in copies.values())
    remote_ids = [f"identity--{uuid5(f'alpha.state-{i:04d}')}" for i in range(TOTAL)]
    assert len(origins.by_remote(b.kb, "beta", remote_ids)) == TOTAL
    assert pull(b.kb, "from-alpha").counts.get("create", 0) == 0
