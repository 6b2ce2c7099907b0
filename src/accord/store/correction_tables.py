"""The tables of corrections sent back to an origin (migration 0026), on the one schema
:data:`accord.store.schema.metadata`.

Kept beside ``schema.py`` rather than in it while the federation work is spread across
several hands; the migration creates exactly these.

- ``taxii_statuses`` / ``taxii_status_objects``: what a TAXII ``POST …/objects/`` was told
  (section 4.3 status resources), one row per object, readable back by its poster only.
- ``correction_proposals``: an object posted to change a record the poster may see; it waits
  for a reviewer of the record's owner, who accepts (the change becomes a revision written in
  the reviewer's name) or rejects it.
- ``feed_corrections``: on the subscriber, the corrections its members sent to an origin,
  with the origin's TAXII status id and the last status read.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from accord.store.schema import metadata

taxii_statuses = Table(
    "taxii_statuses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
)

taxii_status_objects = Table(
    "taxii_status_objects",
    metadata,
    Column("status_id", String(36), ForeignKey("taxii_statuses.id"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("object_id", String(300), nullable=False),
    Column("version", String(40), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("proposal_id", String(36), nullable=True),
)

correction_proposals = Table(
    "correction_proposals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("record_id", String(128), ForeignKey("records.id"), nullable=False),
    Column("owner", String(128), nullable=False),
    Column("object_id", String(300), nullable=False),
    Column("changes", Text, nullable=False),
    Column("proposed_by", String(64), ForeignKey("users.id"), nullable=False),
    Column("proposer_org", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_by", String(64), nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Index("ix_correction_proposals_owner_state", "owner", "state"),
)

feed_corrections = Table(
    "feed_corrections",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("feed", String(64), nullable=False),
    Column("org_id", String(128), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("record_id", String(128), ForeignKey("records.id"), nullable=False),
    Column("remote_id", String(300), nullable=False),
    Column("status_url", String(2300), nullable=False),
    Column("status_id", String(300), nullable=False),
    Column("changes", Text, nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("refreshed_at", DateTime(timezone=True), nullable=False),
    Index("ix_feed_corrections_org", "org_id", "created_at"),
)
