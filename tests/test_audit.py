"""The audit trail detects what docs/security.md says it does: each tampering is done in raw SQL
against the real database (SQLite and PostgreSQL) and ``verify_audit`` must report it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from accord import accounts
from accord.access import SYSTEM
from accord.domain.vocab import Marking, Sector, UserRole
from accord.errors import BadRequest, StoreUnavailable
from accord.kb import KnowledgeBase
from accord.store import audit, migrate
from accord.store.audit import Verification
from accord.store.rows import as_utc
from accord.store.schema import audit_log, records
from tests.conftest import actor, claim, incident

KEY = "a-test-audit-key-of-32-characters"


def _world(kb: KnowledgeBase) -> None:
    """Records written by every kind of operation: create, update, publish, remark (tighten and
    declassify), share, named readers, an upsert."""
    accounts.create_org(kb, "Ministry", Sector.GOVERNMENT)
    accounts.create_org(kb, "Firm", Sector.PRIVATE)
    reader = accounts.create_user(kb, "reader@ministry.example", "ministry", UserRole.READER)
    accounts.create_user(kb, "other@ministry.example", "ministry", UserRole.READER)
    chief = accounts.create_user(kb, "chief@curators.example", "accord-curators", UserRole.REVIEWER)
    kb.bulk_create(
        [
            actor("state-kp", "North Korea", country="KP"),
            actor("fbi", kind="government_body"),
            incident("sony", "Sony Pictures"),
            claim("claim-sony", "fbi", "sony", "state-kp"),
        ],
        SYSTEM,
    )
    kb.create({**actor("strict"), "marking": Marking.AMBER_STRICT}, SYSTEM)
    kb.create({**actor("draft"), "status": "draft"}, SYSTEM)
    kb.create({**actor("secret"), "marking": Marking.RED, "readers": [reader.id]}, chief.viewer)
    kb.update("state-kp", SYSTEM, data={"aliases": ["DPRK"]})
    kb.update("secret", chief.viewer, data={"aliases": ["S"]})
    kb.publish("draft", SYSTEM)
    kb.set_marking("fbi", SYSTEM, Marking.AMBER)
    kb.set_sharing("fbi", SYSTEM, shares=["ministry", "firm"])  # not in sorted order
    kb.update("fbi", SYSTEM, data={"aliases": ["Federal Bureau of Investigation"]})
    kb.set_marking("sony", SYSTEM, Marking.GREEN)
    kb.set_marking("sony", SYSTEM, Marking.CLEAR)
    kb.bulk_create([actor("state-kp", "DPRK", country="KP")], SYSTEM, upsert=True)
    kb.create(actor("last"), SYSTEM)


def _sql(kb: KnowledgeBase, *statements: str, **params: object) -> None:
    with kb._engine.begin() as conn:
        for statement in statements:
            conn.execute(sa.text(statement), params)


def _reasons(result: Verification) -> list[tuple[str | None, str]]:
    return [(p.record, p.reason) for p in result.problems]


def _entries(kb: KnowledgeBase) -> int:
    with kb._engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one())


def test_untampered_database_with_many_operations_verifies(kb: KnowledgeBase) -> None:
    _world(kb)
    result = kb.verify_audit()
    assert result.ok, _reasons(result)
    assert result.checked == _entries(kb)
    assert result.revisions == result.checked
    assert result.records == sum(kb.count(SYSTEM).values()) + 1  # and the hidden RED record
    assert not result.keyed


def test_deleting_the_last_entries_is_reported(kb: KnowledgeBase) -> None:
    _world(kb)
    _sql(kb, "DELETE FROM audit_log WHERE seq > (SELECT max(seq) - 2 FROM audit_log)")
    problems = kb.verify_audit().problems
    assert [(p.record, p.revision, p.reason) for p in problems] == [
        ("last", 1, "revision without an audit entry"),
        ("last", None, "record without an audit entry"),
        ("state-kp", 3, "revision without an audit entry"),
    ]


def test_rolling_back_the_last_write_is_reported_against_an_exported_head(
    kb: KnowledgeBase,
) -> None:
    _world(kb)
    exported = kb.audit_head().text()
    _sql(
        kb,
        "DELETE FROM audit_log WHERE record_id = 'last'",
        "DELETE FROM revisions WHERE record_id = 'last'",
        "DELETE FROM records WHERE id = 'last'",
    )
    assert kb.verify_audit().ok  # a consistent rollback: only the head tells
    result = kb.verify_audit(exported)
    assert result.reason == "the exported head is not on the chain: entries removed or rewritten"


def _rewrite_and_rechain(kb: KnowledgeBase, seq: int) -> None:
    """Change one entry's author and recompute every later hash, as someone without the key
    would (plain SHA-256; ``key_id`` left as it was)."""
    with kb._engine.begin() as conn:
        entries = conn.execute(sa.select(audit_log).order_by(audit_log.c.seq)).all()
        prev = audit.GENESIS
        for row in entries:
            if row.seq < seq:
                prev = row.entry_hash
                continue
            entry = audit.AuditEntry(
                as_utc(row.at),
                "forger" if row.seq == seq else row.user_id,
                row.action,
                row.record_id,
                row.revision,
                row.before_hash,
                row.after_hash,
            )
            entry_hash = entry.chained(prev)
            conn.execute(
                sa.text(
                    "UPDATE audit_log SET user_id = :user, prev_hash = :prev, entry_hash = :hash"
                    " WHERE seq = :seq"
                ),
                {"user": entry.user_id, "prev": prev, "hash": entry_hash, "seq": row.seq},
            )
            prev = entry_hash


def test_rewritten_entry_with_recomputed_chain_is_reported_against_an_exported_head(
    kb: KnowledgeBase,
) -> None:
    _world(kb)
    exported = kb.audit_head().text()
    _rewrite_and_rechain(kb, 3)
    assert kb.verify_audit().ok  # unkeyed: the recomputed chain is consistent in itself
    result = kb.verify_audit(exported)
    assert result.reason == "the entry at the exported head was rewritten"


def test_rewritten_entry_with_recomputed_chain_is_reported_when_keyed(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_AUDIT_KEY", KEY)
    _world(kb)
    _rewrite_and_rechain(kb, 3)
    result = kb.verify_audit()
    assert result.keyed
    assert (result.broken_seq, result.reason) == (3, "entry altered, removed or reordered")


def test_forged_revision_is_reported(kb: KnowledgeBase) -> None:
    _world(kb)
    with kb._engine.begin() as conn:
        snapshot = conn.execute(
            sa.text("SELECT snapshot FROM revisions WHERE record_id = 'strict' AND revision = 1")
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO revisions (record_id, revision, changed_at, changed_by, snapshot)"
                " VALUES ('strict', 2, :at, 'system', :snapshot)"
            ),
            {"at": kb.now(), "snapshot": snapshot.replace('"revision":1', '"revision":2')},
        )
    assert [v.revision for v in kb.history("strict", SYSTEM)] == [1, 2]  # what a reader sees
    assert _reasons(kb.verify_audit()) == [("strict", "revision without an audit entry")]


def test_deleted_revision_is_reported(kb: KnowledgeBase) -> None:
    _world(kb)
    _sql(kb, "DELETE FROM revisions WHERE record_id = 'fbi' AND revision = 2")
    problems = kb.verify_audit().problems
    assert [(p.record, p.revision, p.reason) for p in problems] == [
        ("fbi", 2, "revision snapshot altered or removed")
    ]


@pytest.mark.parametrize(
    ("record_id", "statement", "fields"),
    [
        ("strict", "UPDATE records SET marking = 'CLEAR' WHERE id = 'strict'", "marking"),
        ("draft", "UPDATE records SET status = 'draft' WHERE id = 'draft'", "status"),
        ("strict", "UPDATE records SET owner = 'ministry' WHERE id = 'strict'", "owner"),
        (
            "strict",
            "INSERT INTO record_shares (record_id, org_id) VALUES ('strict', 'ministry')",
            "shares",
        ),
        ("fbi", "DELETE FROM record_shares WHERE record_id = 'fbi'", "shares"),
        (
            "secret",
            "INSERT INTO record_readers (record_id, user_id)"
            " SELECT 'secret', id FROM users WHERE email = 'other@ministry.example'",
            "readers",
        ),
        (
            "state-kp",
            "UPDATE records SET body = replace(body, 'KP', 'KR') WHERE id = 'state-kp'",
            "body",
        ),
        ("claim-sony", "DELETE FROM record_refs WHERE record_id = 'claim-sony'", "links"),
        (
            "state-kp",
            "UPDATE records SET marking = 'RED', revision = 9 WHERE id = 'state-kp'",
            "marking, revision",
        ),
    ],
)
def test_direct_change_of_a_record_is_reported_naming_it(
    kb: KnowledgeBase, record_id: str, statement: str, fields: str
) -> None:
    _world(kb)
    _sql(kb, statement)
    assert _reasons(kb.verify_audit()) == [
        (record_id, f"current row differs from the latest audited revision: {fields}")
    ]


def test_record_inserted_without_audit_is_reported(kb: KnowledgeBase) -> None:
    _world(kb)
    with kb._engine.begin() as conn:
        row = conn.execute(sa.select(records).where(records.c.id == "last")).mappings().one()
        forged = {k: v for k, v in row.items() if k != "pk"} | {"id": "forged"}
        conn.execute(sa.insert(records).values(forged))
    assert _reasons(kb.verify_audit()) == [("forged", "record without an audit entry")]


def test_keyed_entries_follow_unkeyed_ones_and_need_the_key(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb.create(actor("before-the-key"), SYSTEM)
    monkeypatch.setenv("ACCORD_AUDIT_KEY", KEY)
    _world(kb)
    result = kb.verify_audit()
    assert result.ok, _reasons(result)
    assert result.keyed_from is not None
    assert result.keyed_from > 1
    monkeypatch.delenv("ACCORD_AUDIT_KEY")
    assert not kb.verify_audit().ok
    assert "ACCORD_AUDIT_KEY" in (kb.verify_audit().reason or "")
    with pytest.raises(StoreUnavailable, match="keyed"):
        kb.create(actor("without-the-key"), SYSTEM)
    monkeypatch.setenv("ACCORD_AUDIT_KEY", KEY.upper())
    assert kb.verify_audit().reason == "entry keyed with another key"
    with pytest.raises(StoreUnavailable, match="not the key"):
        kb.create(actor("with-another-key"), SYSTEM)


def test_keyed_entry_stripped_to_unkeyed_is_reported(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_AUDIT_KEY", KEY)
    _world(kb)
    last = _entries(kb)
    _sql(kb, "UPDATE audit_log SET key_id = NULL WHERE seq = :seq", seq=last)
    assert kb.verify_audit().reason == "unkeyed entry after keyed ones"


def test_key_is_read_from_a_file(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "audit.key").write_text(KEY + "\n", encoding="utf-8")
    monkeypatch.setenv("ACCORD_AUDIT_KEY_FILE", str(tmp_path / "audit.key"))
    kb.create(actor("keyed"), SYSTEM)
    monkeypatch.delenv("ACCORD_AUDIT_KEY_FILE")
    monkeypatch.setenv("ACCORD_AUDIT_KEY", KEY)
    result = kb.verify_audit()
    assert result.ok
    assert result.keyed_from == kb.audit_head().seq


def test_short_key_is_refused(kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_AUDIT_KEY", "short")
    with pytest.raises(StoreUnavailable, match="at least 16"):
        kb.create(actor("x"), SYSTEM)


def test_exported_head_still_verifies_after_more_writes_as_text_or_file(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    before = kb.audit_head()
    kb.create(actor("first"), SYSTEM)
    exported = kb.audit_head()
    assert (exported.count, exported.seq) == (before.count + 1, before.seq + 1)
    (tmp_path / "head.txt").write_text(exported.text() + "\n", encoding="utf-8")
    _world(kb)
    assert kb.verify_audit(exported.text()).ok
    assert kb.verify_audit(str(tmp_path / "head.txt")).ok
    with pytest.raises(BadRequest):
        kb.verify_audit("count=1 seq=1 hash=abc at=-")
    with pytest.raises(BadRequest):
        kb.verify_audit(str(tmp_path / "missing.txt"))


def test_entries_written_before_the_key_column_still_verify(kb: KnowledgeBase) -> None:
    _world(kb)
    config = migrate._config()
    with kb._engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
        assert "key_id" not in {c["name"] for c in sa.inspect(conn).get_columns("audit_log")}
    migrate.upgrade(kb._engine)
    assert kb.verify_audit().ok


def test_concurrent_writers_keep_one_chain(kb: KnowledgeBase, db_url: str) -> None:
    def write(writer: int) -> None:
        with KnowledgeBase(db_url) as own:
            for n in range(25):
                own.create(actor(f"writer{writer}-{n}"), SYSTEM)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = kb.verify_audit()
    assert result.ok, _reasons(result)
    assert result.records == sum(kb.count(SYSTEM).values())
    assert result.records >= 100
