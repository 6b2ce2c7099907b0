"""Integrity checks a write runs inside its transaction: references and sharing targets.

Read-only; raise InvalidInput naming the record and field of the first problem.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import Connection, select

from accord import access
from accord.access import Viewer
from accord.domain.records import Record
from accord.errors import InvalidInput
from accord.store.rows import BATCH
from accord.store.schema import organisations, records, users


def check_references(
    conn: Connection,
    viewer: Viewer,
    batch: Sequence[Record],
    pending: Mapping[str, Record],
    linked: Collection[str] = (),
) -> dict[str, str]:
    """Each reference exists (in the batch or visible to the viewer) and is of the right kind.

    Targets in ``linked`` were checked when they were first linked and are not checked again:
    a record stays editable by its owner after something it points to is hidden from them.
    Returns the display names of the referenced records the viewer may see, by id. Read-only.
    """
    wanted = {target for r in batch for _, target in r.data.refs() if target not in pending}
    kinds = {rid: rec.kind.value for rid, rec in pending.items()}
    names = {rid: rec.name for rid, rec in pending.items()}
    for start in range(0, len(wanted), BATCH):
        chunk = sorted(wanted)[start : start + BATCH]
        query = select(records.c.id, records.c.kind, records.c.name).where(
            access.visible_ids(viewer, chunk)
        )
        for rid, kind, name in conn.execute(query):
            kinds[rid] = kind
            names[rid] = name
    for record in batch:
        for name, target in record.data.refs():
            spec = record.data.REFS[name]
            if target in linked and target not in kinds:
                continue
            if target not in kinds:
                raise InvalidInput(
                    f"references a record that does not exist: '{target}'",
                    record=record.id,
                    field=f"data.{name}",
                )
            if kinds[target] not in {k.value for k in spec.kinds}:
                expected = " or ".join(k.value for k in spec.kinds)
                raise InvalidInput(
                    f"'{target}' is a {kinds[target]}, expected {expected}",
                    record=record.id,
                    field=f"data.{name}",
                )
    return names


def check_sharing(conn: Connection, batch: Sequence[Record]) -> None:
    orgs = {o for r in batch for o in r.shares}
    people = {u for r in batch for u in r.readers}
    known_orgs = (
        {o for (o,) in conn.execute(select(organisations.c.id).where(organisations.c.id.in_(orgs)))}
        if orgs
        else set()
    )
    known_users = (
        {u for (u,) in conn.execute(select(users.c.id).where(users.c.id.in_(people)))}
        if people
        else set()
    )
    for record in batch:
        for org in record.shares:
            if org not in known_orgs:
                raise InvalidInput(
                    f"no organisation '{org}' to share with", record=record.id, field="shares"
                )
        for user in record.readers:
            if user not in known_users and user != access.SYSTEM.user_id:
                raise InvalidInput(
                    f"no user '{user}' to name as a reader", record=record.id, field="readers"
                )
