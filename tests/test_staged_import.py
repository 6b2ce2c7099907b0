"""Staged imports: an import writes in short transactions that no one else sees until it ends.

A concurrent writer commits between two batches; readers never see part of an import; an import
that fails, or whose process is killed, leaves nothing visible, is removed, and the audit chain
verifies; re-importing the same file changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from accord import accounts
from accord import kb as kb_module
from accord.access import ANONYMOUS, SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.errors import AccordError, Conflict, NotFound
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase
from accord.store.schema import import_audit, import_jobs, import_pending, records
from tests.conftest import FrozenClock, actor, claim, incident
from tests.test_stix_import import foreign_objects, sdo, write

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 7 records, so that a small import takes many transactions."""
    monkeypatch.setattr(kb_module, "STAGE_BATCH", 7)


def world(n: int = 20) -> list[dict[str, Any]]:
    """n claims listed before the actors and the incident they point to (references forward
    across batches), then those records."""
    claims = [claim(f"claim-{i}", f"state-{i}", "incident-x", f"state-{i + 1}") for i in range(n)]
    actors = [actor(f"state-{i}", f"Staged State {i}") for i in range(n + 1)]
    return [*claims, *actors, incident("incident-x", "Stagedwave")]


def total(kb: KnowledgeBase) -> int:
    return sum(kb.count(SYSTEM).values())


def staged_rows(kb: KnowledgeBase) -> tuple[int, int, int, int]:
    """Rows an unfinished or abandoned job left: staged records, jobs, audit, pending."""
    with kb._engine.connect() as conn:
        return (
            conn.execute(
                sa.select(sa.func.count()).where(records.c.import_job.is_not(None))
            ).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(import_jobs)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(import_audit)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(import_pending)).scalar_one(),
        )


def elsewhere(call: Callable[[], Any], timeout: float = 20.0) -> Any:
    """Run ``call`` in another thread (another request: outside the import's context) and
    return its result; fail if it does not finish within ``timeout`` seconds."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result(timeout=timeout)


def what_others_see(kb: KnowledgeBase) -> dict[str, Any]:
    """What a reader outside the import sees of it: counts, a search, a list, ids."""
    return {
        "count": kb.count(SYSTEM),
        "anonymous": kb.count(ANONYMOUS),
        "search": [h.record.id for h in kb.search("stagedwave", SYSTEM)]
        + [h.record.id for h in kb.search("staged state", SYSTEM)],
        "list": [r.id for r in kb.list_records(SYSTEM, limit=500).items],
        "ids": sorted(kb.get_many(["claim-0", "state-0", "incident-x"], SYSTEM)),
    }


def test_a_writer_commits_and_readers_see_nothing_while_an_import_runs(
    kb: KnowledgeBase,
) -> None:
    kb.create(actor("state-base", "Base"), SYSTEM)
    before = elsewhere(lambda: what_others_see(kb))
    start = total(kb)
    batches: list[dict[str, Any]] = []

    def between_batches() -> None:
        n = len(batches)
        seen = elsewhere(lambda: what_others_see(kb))
        written = elsewhere(lambda: kb.create(actor(f"state-rest-{n}", f"Rest {n}"), SYSTEM))
        assert written.id == f"state-rest-{n}"
        seen_after = elsewhere(lambda: what_others_see(kb))
        batches.append(seen)
        assert seen["ids"] == []
        assert seen["search"] == []
        assert seen["count"]["actor"] == before["count"]["actor"] + n  # earlier writes only
        assert seen_after["count"]["actor"] == seen["count"]["actor"] + 1
        with pytest.raises(NotFound):
            elsewhere(lambda: kb.get("claim-0", SYSTEM))

    kb.on_import_batch = between_batches
    with kb.import_job(SYSTEM):
        result = kb.bulk_create(world(), SYSTEM, upsert=True)
    kb.on_import_batch = None
    assert len(result.created) == 42
    assert len(batches) >= 7  # 42 rows in batches of 7, then the links of those pointing forward
    assert all(seen["ids"] == [] for seen in batches)
    assert total(kb) == start + 42 + len(batches)
    assert kb.get("claim-3", ANONYMOUS).data.accused == "state-4"  # type: ignore[attr-defined]
    hits = [h.record.id for h in kb.search("stagedwave", ANONYMOUS, limit=50)]
    assert hits[0] == "incident-x"
    assert len(hits) == 21  # the incident and the claims named after it
    assert staged_rows(kb) == (0, 0, 0, 0)
    verification = kb.verify_audit()
    assert verification.ok, verification.problems
    assert verification.records == total(kb)


def test_the_import_sees_its_own_staged_records(kb: KnowledgeBase) -> None:
    with kb.import_job(SYSTEM):
        kb.bulk_create([actor("state-a", "A")], SYSTEM)
        assert set(kb.get_many(["state-a"], SYSTEM)) == {"state-a"}
        assert elsewhere(lambda: kb.get_many(["state-a"], SYSTEM)) == {}
        again = kb.bulk_create([actor("state-a", "A"), actor("state-b", "B")], SYSTEM)
        assert (again.unchanged, again.created) == (["state-a"], ["state-b"])
        kb.bulk_create(
            [incident("incident-ab"), claim("claim-ab", "state-a", "incident-ab", "state-b")],
            SYSTEM,
        )
    assert kb.get("claim-ab", SYSTEM).data.claimant == "state-a"  # type: ignore[attr-defined]


class Boom(Exception):
    """The failure injected half-way through an import."""


def test_an_import_that_fails_half_way_leaves_nothing_and_the_audit_verifies(
    kb: KnowledgeBase,
) -> None:
    kb.create(actor("state-base", "Base"), SYSTEM)
    before = what_others_see(kb)
    calls = 0

    def fail_on_the_fourth() -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise Boom

    kb.on_import_batch = fail_on_the_fourth
    with pytest.raises(Boom), kb.import_job(SYSTEM):
        kb.bulk_create(world(), SYSTEM, upsert=True)
    kb.on_import_batch = None
    assert what_others_see(kb) == before
    assert staged_rows(kb) == (0, 0, 0, 0)
    verification = kb.verify_audit()
    assert verification.ok, verification.problems
    with kb.import_job(SYSTEM):  # the ids it had staged are free again
        assert len(kb.bulk_create(world(), SYSTEM, upsert=True).created) == 42
    assert kb.verify_audit().ok


def test_a_failure_after_the_writes_is_rolled_back_too(kb: KnowledgeBase) -> None:
    start = total(kb)

    def write_then_fail() -> None:
        with kb.import_job(SYSTEM):
            kb.bulk_create(world(5), SYSTEM)
            raise Boom

    with pytest.raises(Boom):
        write_then_fail()
    assert total(kb) == start
    assert staged_rows(kb) == (0, 0, 0, 0)
    assert kb.verify_audit().ok


_KILLED = """
import os, sys
from accord import kb as kb_module
from accord.access import SYSTEM
from accord.kb import KnowledgeBase
from tests.conftest import FrozenClock
from tests.test_staged_import import world

kb_module.STAGE_BATCH = 7
base = KnowledgeBase(sys.argv[1], clock=FrozenClock())
calls = 0
def kill():
    global calls
    calls += 1
    if calls == 5:
        os._exit(9)  # no cleanup, no rollback of what was committed
base.on_import_batch = kill
with base.import_job(SYSTEM):
    base.bulk_create(world(), SYSTEM, upsert=True)
"""


@pytest.fixture
def stale(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Call it to make every job's heartbeat count as stopped (its process died)."""
    return lambda: monkeypatch.setattr(kb_module, "STALE_IMPORT", dt.timedelta(0))


def test_a_killed_import_is_hidden_then_removed_at_the_next_start(
    kb: KnowledgeBase, db_url: str, stale: Callable[[], None]
) -> None:
    kb.create(actor("state-base", "Base"), SYSTEM)
    start = total(kb)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _KILLED, db_url], cwd=ROOT, env=env, capture_output=True
    )
    assert done.returncode == 9, done.stderr.decode()
    left = staged_rows(kb)
    assert left[0] >= 14  # staged, not swapped
    assert left[1:3] == (1, -(-left[0] // 7))  # one job, one waiting entry per batch of 7
    assert total(kb) == start  # nothing of it visible
    assert kb.verify_audit().ok  # staged rows are not audited yet
    kb.close()
    soon = KnowledgeBase(db_url, clock=FrozenClock())
    soon.initialise()  # a job that may still be running is left alone
    assert staged_rows(soon)[1] == 1
    soon.close()
    stale()  # ten minutes later
    reopened = KnowledgeBase(db_url, clock=FrozenClock())
    reopened.initialise()
    assert staged_rows(reopened) == (0, 0, 0, 0)
    assert total(reopened) == start
    verification = reopened.verify_audit()
    assert verification.ok, verification.problems
    with reopened.import_job(SYSTEM):
        assert len(reopened.bulk_create(world(), SYSTEM, upsert=True).created) == 42
    reopened.close()


def test_an_abandoned_job_is_removed_by_the_next_import(
    kb: KnowledgeBase, db_url: str, stale: Callable[[], None]
) -> None:
    start = total(kb)
    job = kb.import_job(SYSTEM)
    job.__enter__()  # the process dies here: the block never ends, nothing is cleaned up
    kb.bulk_create(world(3), SYSTEM)
    kb._job.set(None)
    kb._discard = lambda job_id: None  # type: ignore[method-assign]
    assert staged_rows(kb)[0] == 8
    stale()
    other = KnowledgeBase(db_url, clock=FrozenClock())
    with other.import_job(SYSTEM):
        other.bulk_create([actor("state-z", "Z")], SYSTEM)
    assert staged_rows(other) == (0, 0, 0, 0)
    assert total(other) == start + 1
    assert other.verify_audit().ok
    other.close()


def test_the_abandoned_job_cannot_write_after_removal(
    kb: KnowledgeBase, db_url: str, stale: Callable[[], None]
) -> None:
    start = total(kb)

    def stall_then_write() -> None:
        with kb.import_job(SYSTEM):
            kb.bulk_create(world(1), SYSTEM)
            stale()
            other = KnowledgeBase(db_url, clock=FrozenClock())
            assert other.clean_imports() == 1
            other.close()
            kb.bulk_create([actor("state-late", "Late")], SYSTEM)

    with pytest.raises(Conflict):
        stall_then_write()
    assert total(kb) == start
    assert staged_rows(kb) == (0, 0, 0, 0)


def test_updates_wait_for_the_end_and_a_concurrent_change_fails_the_import(
    kb: KnowledgeBase,
) -> None:
    kb.create(actor("state-u", "Before"), SYSTEM)
    with kb.import_job(SYSTEM):
        result = kb.bulk_create([actor("state-u", "After")], SYSTEM, upsert=True)
        assert result.updated == ["state-u"]
        assert elsewhere(lambda: kb.get("state-u", SYSTEM)).name == "Before"
    after = kb.get("state-u", SYSTEM)
    assert (after.name, after.revision) == ("After", 2)
    assert kb.verify_audit().ok

    def import_while_edited() -> None:
        with kb.import_job(SYSTEM):
            kb.bulk_create(
                [actor("state-u", "Imported"), actor("state-v", "V")], SYSTEM, upsert=True
            )
            elsewhere(lambda: kb.update("state-u", SYSTEM, data={"name": "Edited meanwhile"}))

    with pytest.raises(Conflict):
        import_while_edited()
    assert kb.get("state-u", SYSTEM).name == "Edited meanwhile"
    with pytest.raises(NotFound):
        kb.get("state-v", SYSTEM)
    assert staged_rows(kb) == (0, 0, 0, 0)
    assert kb.verify_audit().ok


def bundle(n: int) -> list[dict[str, Any]]:
    groups = [
        sdo("intrusion-set", f"intrusion-set--00000000-0000-4000-8000-{i:012d}", name=f"Grp {i}")
        for i in range(n)
    ]
    return [*foreign_objects(), *groups]


def test_reimporting_the_same_stix_file_is_idempotent(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(30))
    first = import_bundle(kb, path, SYSTEM)
    assert first.written
    assert first.created == 34
    count = total(kb)
    head = kb.audit_head()
    second = import_bundle(kb, path, SYSTEM)
    assert second.written
    assert (second.created, second.updated) == (0, 0)
    assert second.unchanged == 34
    assert total(kb) == count
    assert kb.audit_head() == head  # nothing written, nothing audited
    assert staged_rows(kb) == (0, 0, 0, 0)
    assert kb.verify_audit().ok


def test_a_stix_import_is_invisible_until_it_ends(kb: KnowledgeBase, tmp_path: Path) -> None:
    path = write(tmp_path, bundle(30))
    start = total(kb)
    seen: list[int] = []
    kb.on_import_batch = lambda: seen.append(elsewhere(lambda: total(kb)))
    import_bundle(kb, path, SYSTEM)
    kb.on_import_batch = None
    assert len(seen) >= 2
    assert set(seen) == {start}
    assert total(kb) == start + 34


def test_a_swapped_job_whose_settling_died_is_visible_and_settled_later(
    kb: KnowledgeBase, db_url: str, stale: Callable[[], None]
) -> None:
    start, entries = total(kb), kb.audit_head().count
    kb._settle = lambda job_id: None  # type: ignore[method-assign]
    with kb.import_job(SYSTEM):
        kb.bulk_create(world(3), SYSTEM)
    assert total(kb) == start + 8  # visible from the swap on
    assert elsewhere(lambda: total(kb)) == start + 8
    assert staged_rows(kb)[:3] == (8, 1, 2)  # two batches of 7 and 1: entries not chained yet
    assert kb.audit_head().count == entries
    assert kb.verify_audit().ok
    stale()
    reopened = KnowledgeBase(db_url, clock=FrozenClock())
    reopened.initialise()
    assert staged_rows(reopened) == (0, 0, 0, 0)
    assert total(reopened) == start + 8
    assert reopened.audit_head().count == entries + 2
    verification = reopened.verify_audit()
    assert verification.ok, verification.problems
    reopened.close()


def _answer(call: Callable[[], Any]) -> str:
    """What a caller learns from a call: its result's ids, or the error's kind and message."""
    try:
        result = call()
    except AccordError as exc:
        return f"{type(exc).__name__}: {exc}"
    return repr(result)


def test_ids_a_job_staged_answer_another_organisation_as_free_ids_do(kb: KnowledgeBase) -> None:
    accounts.create_org(kb, "Ministry", Sector.GOVERNMENT)
    accounts.create_org(kb, "Firm", Sector.PRIVATE)
    ministry = accounts.create_user(kb, "chief@ministry.example", "ministry", UserRole.REVIEWER)
    firm = accounts.create_user(kb, "chief@firm.example", "firm", UserRole.REVIEWER).viewer

    def probes(rid: str) -> list[str]:
        return [
            _answer(lambda: kb.create(actor(rid, "Probe"), firm).id),
            _answer(lambda: kb.get(rid, firm).id),
            _answer(lambda: sorted(kb.get_many([rid], firm))),
            _answer(lambda: sorted(kb.visible_ids([rid], firm))),
        ]

    free = probes("ministry.free-id")
    with kb.import_job(ministry.viewer):
        kb.bulk_create([actor("ministry.staged-id", "Staged")], ministry.viewer)
        staged = elsewhere(lambda: probes("ministry.staged-id"))
    assert [a.replace("staged-id", "free-id") for a in staged] == free
    assert free[0].startswith("InvalidInput")  # another organisation's namespace
