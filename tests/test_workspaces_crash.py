"""Publication is all or nothing even when the publishing process is killed (kill -9) after
writing some of the claims: nothing is published, and the next run publishes everything."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from accord import accounts
from accord.domain.vocab import Kind
from accord.kb import KnowledgeBase
from accord.workspaces import service
from accord.workspaces.model import Position
from tests.conftest import FrozenClock
from tests.test_workspaces import EMBARGO, World, _at, _open, world

__all__ = ["world"]  # the fixture, shared with tests/test_workspaces.py

#: Publishes as the ministry's reviewer, and stops for good after writing the first claim.
PUBLISHER = """
import pathlib, sys, time
from accord import accounts
from accord.kb import KnowledgeBase
from accord.workspaces import service

url, workspace, marker = sys.argv[1:4]
kb = KnowledgeBase(url)
write = kb.bulk_create

def write_then_hang(*args, **kwargs):
    done = write(*args, **kwargs)
    pathlib.Path(marker).write_text("one claim written")
    time.sleep(120)
    return done

kb.bulk_create = write_then_hang
service.publish(kb, accounts.find_user(kb, "reviewer@ministry.example").viewer, workspace)
"""


def test_a_publisher_killed_midway_leaves_nothing_and_the_next_run_publishes_all(
    world: World, db_url: str, clock: FrozenClock, tmp_path: Path
) -> None:
    kb: KnowledgeBase = world.kb
    ws = _open(world)
    service.answer(kb, world["ministry/reviewer"], ws, Position.JOIN)
    service.accept_embargo(kb, world["second-government/reviewer"], ws)
    service.answer(kb, world["second-government/reviewer"], ws, Position.JOIN)
    marker = tmp_path / "marker"
    with subprocess.Popen(
        [sys.executable, "-c", PUBLISHER, db_url, ws, str(marker)], stderr=subprocess.PIPE
    ) as publisher:
        for _ in range(600):
            if marker.exists() or publisher.poll() is not None:
                break
            time.sleep(0.05)
        publisher.kill()  # SIGKILL: no cleanup, no rollback by the process itself
        _, err = publisher.communicate()
    assert marker.exists(), err.decode(errors="replace")
    reader = accounts.find_user(kb, "reviewer@outsider.example").viewer
    assert kb.list_records(reader, kind=Kind.CLAIM).items == []
    assert service.show(kb, world["ministry/reviewer"], ws)["status"] == "open"
    _at(world, EMBARGO)
    assert service.publish_due(kb)["published"] == [ws]
    owners = sorted(c.owner for c in kb.list_records(reader, kind=Kind.CLAIM).items)
    assert owners == ["ministry", "second-government"]
    assert kb.verify_audit().ok
