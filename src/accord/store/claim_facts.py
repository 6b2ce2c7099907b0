"""Maintain ``claim_facts``: the payload fields of each claim that the analyses weigh, as typed
columns beside its ``records`` row.

The analyses read every visible claim; decoding a million JSON bodies (and reading the wide
``records`` rows that hold them) dominated their time. Each claim therefore also keeps one narrow
row keyed by ``records.pk``: claimant, incident or subject, accused, stance, kind, date,
confidence, evidence, joint group, withdrawal date and level (migration 0015), exactly as its
current payload states them (``date`` NULL when the claim has none, migration 0016). The row
carries no sharing information: readers join it to ``records`` and filter with
:func:`accord.access.visible` like every other read.

The records a claim points to are kept twice: as their text ids, and as their ``records.pk``
(``claimant_pk``, ``incident_pk``, ``subject_pk``, ``accused_pk``), which the analyses of every
incident read and number as integers. A record's pk never changes. ``weighing`` repeats the
four facts that weigh a claim (stance, kind, evidence, confidence) as one text: a few hundred
distinct values, so those analyses read and number one text per claim instead of four values.

Writes call :func:`write` with the records they inserted or replaced (in the same transaction);
migration 0006 calls :func:`backfill` once (text columns), migration 0010 :func:`resolve_refs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, String, cast, delete, func, select, update

from accord.domain.records import Claim, Record
from accord.domain.vocab import Kind
from accord.store import bulk
from accord.store.schema import claim_facts, records

_CHUNK = 900  # ids per IN (...) list: under SQLite's default limit of 999 bound parameters
#: The references of a claim kept as ``<name>_pk`` too.
REFS = ("claimant", "incident", "subject", "accused")


def values(pk: int, claim: Claim) -> dict[str, Any]:
    """The ``claim_facts`` columns of migration 0006 for a claim payload stored as
    ``records.pk`` = ``pk`` (the later columns are added by :func:`write`: migration 0006's
    backfill inserts exactly these). Pure."""
    return {
        "record_pk": pk,
        "claimant": claim.claimant,
        "incident": claim.incident,
        "subject": claim.subject,
        "accused": claim.accused,
        "stance": claim.stance.value,
        "kind": claim.kind.value,
        "date": claim.date.value if claim.date is not None else None,
        "confidence": claim.confidence,
        "evidence": claim.evidence.value,
        "joint_group": claim.joint_group,
        "withdrawn": claim.withdrawn.value if claim.withdrawn is not None else None,
    }


def weighing(stance: str, kind: str, evidence: str, confidence: int | None) -> str:
    """The ``weighing`` text: ``"stance kind evidence confidence"``, the confidence empty when the
    claim states none. Pure."""
    return f"{stance} {kind} {evidence} {'' if confidence is None else confidence}"


def parse_weighing(text: str) -> tuple[str, str, str, int | None]:
    """(stance, kind, evidence, confidence) of a ``weighing`` text. Pure."""
    stance, kind, evidence, confidence = text.split(" ")
    return stance, kind, evidence, int(confidence) if confidence else None


def _weighing_sql() -> ColumnElement[str]:
    """:func:`weighing` in SQL, from the row's own columns."""
    facts = claim_facts.c
    confidence = func.coalesce(cast(facts.confidence, String), "")
    return facts.stance + " " + facts.kind + " " + facts.evidence + " " + confidence


def write(conn: Connection, written: Sequence[Record]) -> None:
    """Replace the facts of the claims among ``written`` (records just inserted or given a new
    revision) with what their payloads now say. Writes ``claim_facts``; other kinds are
    ignored."""
    claims = {r.id: r.data for r in written if r.kind is Kind.CLAIM and isinstance(r.data, Claim)}
    ids = list(claims)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = conn.execute(select(records.c.id, records.c.pk).where(records.c.id.in_(chunk)))
        pks: dict[str, int] = {rid: pk for rid, pk in found}
        conn.execute(delete(claim_facts).where(claim_facts.c.record_pk.in_(list(pks.values()))))
        rows = [values(pks[rid], claims[rid]) for rid in chunk]
        targets = _pks(conn, {row[ref] for row in rows for ref in REFS} - {None})
        for rid, row in zip(chunk, rows, strict=True):
            level = claims[rid].level
            row["level"] = level.value if level is not None else None
            row.update({f"{ref}_pk": targets.get(row[ref]) for ref in REFS})
            row["weighing"] = weighing(
                row["stance"], row["kind"], row["evidence"], row["confidence"]
            )
        bulk.insert_rows(conn, claim_facts, rows)


def _pks(conn: Connection, ids: set[str]) -> dict[str, int]:
    """``records.pk`` of each of these ids (read-only)."""
    wanted = sorted(ids)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(records.c.id, records.c.pk).where(records.c.id.in_(chunk))
        found.update({rid: pk for rid, pk in conn.execute(query)})
    return found


def fill_derived(conn: Connection) -> None:
    """Set every row's ``<ref>_pk`` columns from its text ids, and its ``weighing`` (for
    migrations). Writes."""
    target = records.alias("target")
    refs = {
        f"{ref}_pk": select(target.c.pk).where(target.c.id == claim_facts.c[ref]).scalar_subquery()
        for ref in REFS
    }
    conn.execute(update(claim_facts).values({**refs, "weighing": _weighing_sql()}))


def _stored(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [values(pk, Claim.model_validate(orjson.loads(body)["data"])) for pk, body in rows]


def backfill(conn: Connection, batch: int = 5_000) -> None:
    """Write the facts of every stored claim from its current body into the empty table (for
    migrations). Writes."""
    after = 0
    while True:
        page = conn.execute(
            select(records.c.pk, records.c.body)
            .where(records.c.kind == Kind.CLAIM.value, records.c.pk > after)
            .order_by(records.c.pk)
            .limit(batch)
        ).all()
        if not page:
            return
        bulk.insert_rows(conn, claim_facts, _stored(page))
        after = page[-1].pk
