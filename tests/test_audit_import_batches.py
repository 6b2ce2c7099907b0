"""An import audits each batch of new records with one chain entry that commits to all of them,
and ``accord audit verify`` still finds a change to any single imported record."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from accord import kb as kb_module
from accord.access import SYSTEM
from accord.interop.stix_import import import_bundle
from accord.kb import KnowledgeBase
from accord.store.audit import Verification, digest
from accord.store.audit_batches import IMPORT_BATCH
from tests.conftest import actor
from tests.test_stix_import import foreign_objects, write


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 2 records, so that the small bundle is audited by several entries."""
    monkeypatch.setattr(kb_module, "STAGE_BATCH", 2)


@pytest.fixture
def imported(kb: KnowledgeBase, tmp_path: Path) -> list[str]:
    """A record written before, then a STIX bundle imported; returns the imported ids."""
    kb.create(actor("before"), SYSTEM)
    report = import_bundle(kb, write(tmp_path, foreign_objects()), SYSTEM)
    assert report.written
    assert report.created >= 3
    with kb._engine.connect() as conn:
        return [
            rid
            for (rid,) in conn.execute(
                sa.text("SELECT record_id FROM audit_members ORDER BY record_id")
            )
        ]


def _sql(kb: KnowledgeBase, statement: str, **params: object) -> None:
    with kb._engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def _problems(result: Verification) -> list[tuple[str | None, str]]:
    return [(p.record, p.reason) for p in result.problems]


def test_a_clean_import_verifies_with_one_entry_per_batch(
    kb: KnowledgeBase, imported: list[str]
) -> None:
    with kb._engine.connect() as conn:
        actions = [
            a
            for (a,) in conn.execute(
                sa.text(
                    "SELECT action FROM audit_log WHERE seq > "
                    "(SELECT seq FROM audit_log WHERE record_id = 'before')"
                )
            )
        ]
    assert actions == [IMPORT_BATCH] * -(-len(imported) // 2)  # no entry per imported record
    result = kb.verify_audit()
    assert result.ok, _problems(result)
    with kb._engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*) FROM records")).scalar_one()
    assert result.revisions == result.records == stored  # every imported one checked too


def test_changing_one_imported_records_row_is_reported(
    kb: KnowledgeBase, imported: list[str]
) -> None:
    target = imported[-1]
    _sql(kb, "UPDATE records SET marking = 'CLEAR' WHERE id = :id", id=target)
    assert _problems(kb.verify_audit()) == [
        (target, "current row differs from the latest audited revision: marking")
    ]


def test_changing_one_imported_revision_is_reported(kb: KnowledgeBase, imported: list[str]) -> None:
    target = imported[0]
    _sql(
        kb,
        "UPDATE revisions SET snapshot = snapshot || ' ' WHERE record_id = :id",
        id=target,
    )
    reasons = _problems(kb.verify_audit())
    assert (target, "revision snapshot altered or removed") in reasons


def test_rewriting_a_record_with_its_revision_and_member_hash_breaks_its_batch(
    kb: KnowledgeBase, imported: list[str]
) -> None:
    target = imported[0]
    with kb._engine.connect() as conn:
        snapshot = conn.execute(
            sa.text("SELECT snapshot FROM revisions WHERE record_id = :id"), {"id": target}
        ).scalar_one()
    forged = snapshot.replace('"GREEN"', '"CLEAR"')
    assert forged != snapshot
    _sql(
        kb,
        "UPDATE revisions SET snapshot = :s WHERE record_id = :id",
        s=forged,
        id=target,
    )
    _sql(kb, "UPDATE records SET marking = 'CLEAR' WHERE id = :id", id=target)
    _sql(
        kb,
        "UPDATE audit_members SET after_hash = :h WHERE record_id = :id",
        h=digest(forged),
        id=target,
    )
    result = kb.verify_audit()
    assert [p.reason for p in result.problems] == [
        "import batch altered: its records do not give its hash"
    ]


def test_removing_a_records_membership_of_its_batch_is_reported(
    kb: KnowledgeBase, imported: list[str]
) -> None:
    target = imported[-1]
    _sql(kb, "DELETE FROM audit_members WHERE record_id = :id", id=target)
    reasons = _problems(kb.verify_audit())
    assert (None, "import batch altered: its records do not give its hash") in reasons
    assert (target, "revision without an audit entry") in reasons
