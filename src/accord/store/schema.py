"""The relational schema (SQLAlchemy Core). Alembic migrations create exactly this."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    literal_column,
    text,
)

metadata = MetaData()

organisations = Table(
    "organisations",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("name", String(500), nullable=False, unique=True),
    Column("sector", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("listed", Boolean, nullable=False, default=False, server_default=false()),
)

users = Table(
    "users",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("org_id", String(128), ForeignKey("organisations.id"), nullable=False, index=True),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(256), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False, index=True),
    Column("token_hash", String(128), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

records = Table(
    "records",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(500), nullable=False),
    Column("marking", String(16), nullable=False),
    Column("owner", String(128), ForeignKey("organisations.id"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("updated_by", String(64), nullable=True),
    Column("date_key", String(10), nullable=True),
    Column("body", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("search_name", Text, nullable=False, server_default=""),
    # Fail-closed: only accord.store.ends writes the values readers trust (migration 0014).
    Column("ends", String(8), nullable=False, server_default="CHECK"),
    # The UUID part of the record's STIX id (accord.domain.stable_ids), to find it by that id.
    Column("stix_uuid", String(36), nullable=True),
    # The import job that staged the row; NULL once visible (accord.store.staging, 0018).
    Column("import_job", String(36), nullable=True),
    # (kind, id) for pages of one kind in id order; the sharing columns after them make the
    # visibility check of a scan over one kind index-only (see accord.store.claim_facts). A
    # SQLite index entry holds the rowid (pk); on PostgreSQL pk is included (migration 0022).
    Index(
        "ix_records_kind_access",
        "kind",
        "id",
        "marking",
        "status",
        "owner",
        "ends",
        "import_job",
        postgresql_include=["pk"],
    ),
    # The same columns by id alone: access.visible reads a hard end's through it (INDEXED BY).
    Index(
        "ix_records_id_access",
        "id",
        "marking",
        "status",
        "owner",
        "ends",
        "import_job",
        postgresql_include=["pk"],
    ),
    Index(
        "ix_records_import_job",
        "import_job",
        sqlite_where=text("import_job IS NOT NULL"),
        postgresql_where=text("import_job IS NOT NULL"),
    ),
    Index("ix_records_owner_id", "owner", "id"),
    Index("ix_records_updated_id", "updated_at", "id"),
    Index("ix_records_stix_uuid", "stix_uuid"),
)

claim_facts = Table(
    "claim_facts",
    metadata,
    Column(
        "record_pk",
        Integer,
        ForeignKey("records.pk", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("claimant", String(128), nullable=False),
    Column("incident", String(128), nullable=True),
    Column("subject", String(128), nullable=True),
    Column("accused", String(128), nullable=False),
    Column("stance", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    # NULL: the claim has no known date (migration 0016).
    Column("date", String(10), nullable=True),
    Column("confidence", Integer, nullable=True),
    Column("evidence", String(16), nullable=False),
    Column("joint_group", String(500), nullable=True),
    Column("withdrawn", String(10), nullable=True),
    # records.pk of the claimant, incident, subject and accused, and the weighing facts as one
    # text (migration 0010).
    Column("claimant_pk", Integer, nullable=True),
    Column("incident_pk", Integer, nullable=True),
    Column("subject_pk", Integer, nullable=True),
    Column("accused_pk", Integer, nullable=True),
    Column("weighing", String(80), nullable=True),  # "stance kind evidence confidence"
    # How far the claim's source reaches; NULL: as far as its accused (migration 0015).
    Column("level", String(16), nullable=True),
)

record_refs = Table(
    "record_refs",
    metadata,
    Column("record_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("field", String(64), primary_key=True),
    Column("target_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("hard", Boolean, nullable=False),
    Index("ix_record_refs_target", "target_id", "field"),
    # The hard ends of a record, index-only (the per-row check of access.visible).
    Index("ix_record_refs_hard", "record_id", "hard", "target_id"),
)

record_shares = Table(
    "record_shares",
    metadata,
    Column("record_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("org_id", String(128), ForeignKey("organisations.id"), primary_key=True),
    # The records shared with one organisation: the sharing filter of a scan reads them once
    # for the whole query (migration 0022).
    Index("ix_record_shares_org", "org_id", "record_id"),
)

record_readers = Table(
    "record_readers",
    metadata,
    Column("record_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id"), primary_key=True),
    # The RED records one person is named on, read once per scan like the shares above.
    Index("ix_record_readers_user", "user_id", "record_id"),
)

revisions = Table(
    "revisions",
    metadata,
    Column("record_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(64), nullable=True),
    Column("snapshot", Text, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("action", String(32), nullable=False),
    Column("record_id", String(128), nullable=True),
    Column("revision", Integer, nullable=True),
    Column("before_hash", String(64), nullable=True),
    Column("after_hash", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    # The id of the key an entry's hash is keyed with; NULL for unkeyed entries (0013).
    Column("key_id", String(16), nullable=True),
)

# -- staged imports (accord.store.staging; migration 0018) ----------------------------------
# An import job writes its new records in short transactions, hidden (records.import_job),
# and keeps here what becomes visible only when it finishes: its audit entries and the new
# revisions of records that already exist.

import_jobs = Table(
    "import_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(128), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("started_at", DateTime(timezone=True), nullable=False),
    # Each batch moves it on; a job whose heartbeat is old is abandoned and removed.
    Column("heartbeat_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False),  # staging | failed
)

import_pending = Table(
    "import_pending",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("record_id", String(128), primary_key=True),
    # The revision the new one follows: the swap fails if the record changed meanwhile.
    Column("base_revision", Integer, nullable=False),
    Column("snapshot", Text, nullable=False),
)

import_audit = Table(
    "import_audit",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("job_id", String(36), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("action", String(32), nullable=False),
    # NULL for the entry of an import batch (accord.store.audit_batches; 0023).
    Column("record_id", String(128), nullable=True),
    Column("revision", Integer, nullable=True),
    Column("after_hash", String(64), nullable=False),
)

# -- coordination workspaces (accord.workspaces; migration 0017) ---------------------------
# A workspace is not a record: it never reaches the records' read paths (lists, search,
# analyses, TAXII, exports, history). What it publishes becomes ordinary claims.

workspaces = Table(
    "workspaces",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("owner", String(128), ForeignKey("organisations.id"), nullable=False),
    Column("incident", String(128), nullable=False),
    Column("title", String(500), nullable=False),
    Column("marking", String(16), nullable=False),
    # One UTC instant, never open-ended; a change is a new statement revision.
    Column("embargo_end", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Index("ix_workspaces_owner", "owner"),
)

workspace_statements = Table(
    "workspace_statements",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("text", Text, nullable=False),
    Column("accused", String(128), nullable=False),
    Column("level", String(16), nullable=False),
    Column("embargo_end", DateTime(timezone=True), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=True),
)

workspace_participants = Table(
    "workspace_participants",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("org_id", String(128), ForeignKey("organisations.id"), primary_key=True),
    Column("state", String(24), nullable=False),
    Column("deadline", DateTime(timezone=True), nullable=True),  # NULL: the owner's own row
    Column("invited_at", DateTime(timezone=True), nullable=False),
    Column("invited_by", String(64), nullable=True),
    Column("embargo_accepted_at", DateTime(timezone=True), nullable=True),
    Column("position_revision", Integer, nullable=True),
    Column("wording", Text, nullable=True),
    Column("stance", String(32), nullable=True),
    Column("level", String(16), nullable=True),
    Column("claim_kind", String(32), nullable=True),
    Column("confidence_words", String(500), nullable=True),
    Column("source_url", String(2000), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("changed_by", String(64), nullable=True),
    Column("changed_by_role", String(32), nullable=True),
    Column("claim_id", String(128), nullable=True),
    Index("ix_workspace_participants_org", "org_id"),
)

workspace_members = Table(
    "workspace_members",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("org_id", String(128), ForeignKey("organisations.id"), primary_key=True),
    Column("user_id", String(64), ForeignKey("users.id"), primary_key=True),
    Index("ix_workspace_members_user", "user_id"),
)

workspace_events = Table(
    "workspace_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("org_id", String(128), nullable=True),
    Column("action", String(32), nullable=False),
    Column("from_state", String(24), nullable=True),
    Column("to_state", String(24), nullable=True),
    Column("revision", Integer, nullable=True),
    Index("ix_workspace_events_workspace", "workspace_id", "seq"),
)

# -- workspace evidence, discussion, settings and notifications (migration 0021) ------------
# Like the rest of a workspace, none of this is a record: it never leaves the workspace.

workspace_evidence = Table(
    "workspace_evidence",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("org_id", String(128), nullable=False),  # the organisation that shared it
    Column("title", String(500), nullable=False),
    Column("text", Text, nullable=True),
    Column("url", String(2000), nullable=True),
    Column("marking", String(16), nullable=False),
    # JSON list of the organisations it is shared with; NULL: every accepted participant.
    Column("shared_with", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(64), nullable=True),
    Index("ix_workspace_evidence_workspace", "workspace_id"),
)

workspace_threads = Table(
    "workspace_threads",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("title", String(500), nullable=False),
    Column("official", Boolean, nullable=False),
    Column("created_org", String(128), nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_workspace_threads_workspace", "workspace_id"),
)

workspace_thread_orgs = Table(
    "workspace_thread_orgs",
    metadata,
    Column("thread_id", String(64), ForeignKey("workspace_threads.id"), primary_key=True),
    Column("org_id", String(128), primary_key=True),
)

workspace_comments = Table(
    "workspace_comments",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("thread_id", String(64), ForeignKey("workspace_threads.id"), nullable=False),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("org_id", String(128), nullable=False),
    Column("user_id", String(64), nullable=True),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_workspace_comments_thread", "thread_id", "seq"),
    Index("ix_workspace_comments_workspace", "workspace_id"),
)

workspace_seen = Table(
    "workspace_seen",
    metadata,
    Column("thread_id", String(64), ForeignKey("workspace_threads.id"), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("seen_seq", Integer, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
)

workspace_visits = Table(
    "workspace_visits",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("org_id", String(128), nullable=False),
    Column("first_at", DateTime(timezone=True), nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

workspace_options = Table(
    "workspace_options",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("show_invitees", Boolean, nullable=False),
    # An early end of the embargo: why, when asked, by whom, and the confirmation window's end.
    Column("early_reason", Text, nullable=True),
    Column("early_at", DateTime(timezone=True), nullable=True),
    Column("early_by", String(64), nullable=True),
    Column("confirm_by", DateTime(timezone=True), nullable=True),
)

workspace_org_options = Table(
    "workspace_org_options",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("org_id", String(128), primary_key=True),
    Column("show_position", Boolean, nullable=False),
    Column("early_answer", String(16), nullable=True),  # confirm | withdraw
    Column("early_answer_at", DateTime(timezone=True), nullable=True),
    Column("early_answer_by", String(64), nullable=True),
)

workspace_subscriptions = Table(
    "workspace_subscriptions",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("mode", String(16), nullable=False),  # immediate | digest | mute
)

workspace_webhooks = Table(
    "workspace_webhooks",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("org_id", String(128), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(256), nullable=False),
    Column("created_by", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

workspace_outbox = Table(
    "workspace_outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), nullable=False),
    Column("user_id", String(64), nullable=False),
    Column("subject", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_workspace_outbox_user", "user_id", "sent_at"),
)

workspace_reminders = Table(
    "workspace_reminders",
    metadata,
    Column("workspace_id", String(64), ForeignKey("workspaces.id"), primary_key=True),
    Column("kind", String(24), primary_key=True),
    Column("org_id", String(128), primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
)

# -- federation feeds (accord.federation; migration 0019) --------------------------------------

feeds = Table(
    "feeds",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("collection", String(128), nullable=False),
    Column("org_id", String(128), ForeignKey("organisations.id"), nullable=False),
    Column("user_id", String(64), ForeignKey("users.id"), nullable=False),
    Column("user_email", String(320), nullable=False),
    Column("token_sealed", Text, nullable=True),
    Column("added_after", String(40), nullable=True),
    Column("next_page", Text, nullable=True),
    Column("high_water", String(40), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_pull_at", DateTime(timezone=True), nullable=True),
    # background pulls and the pull lease (accord.federation.schedule, .lease; 0025)
    Column("every_seconds", Integer, nullable=True),
    Column("last_tried_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("last_error_at", DateTime(timezone=True), nullable=True),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
)

feed_origins = Table(
    "feed_origins",
    metadata,
    Column("record_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("feed", String(64), nullable=False),
    Column("org_id", String(128), nullable=False),
    Column("remote_id", String(300), nullable=False),
    Column("remote_modified", String(40), nullable=False),
    Column("local_updated_at", DateTime(timezone=True), nullable=False),
    Column("pulled_at", DateTime(timezone=True), nullable=False),
    Index("ux_feed_origins_org_remote", "org_id", "remote_id", unique=True),
)

#: Objects a pull could not place yet: they point to a record that has not arrived (0027).
feed_waiting = Table(
    "feed_waiting",
    metadata,
    Column("feed", String(64), primary_key=True),
    Column("remote_id", String(300), primary_key=True),
    Column("object", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("since", DateTime(timezone=True), nullable=False),
)

# -- withdrawals (accord.kb.withdraw; migration 0020) --------------------------------------------
# A withdrawn record keeps its row (status 'withdrawn') and its revisions; this table holds
# when, by whom and why. The partial index serves the tombstones a TAXII page adds, in
# (updated_at, id) order, without walking the live records; being partial, no query of live
# records is ever planned on it.

withdrawals = Table(
    "withdrawals",
    metadata,
    Column("record_id", String(128), ForeignKey("records.id"), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("withdrawn_at", DateTime(timezone=True), nullable=False),
    Column("withdrawn_by", String(64), nullable=True),
    Column("reason", Text, nullable=False),
)
Index(
    "ix_records_withdrawn_updated",
    records.c.updated_at,
    records.c.id,
    sqlite_where=records.c.status == literal_column("'withdrawn'"),
    postgresql_where=records.c.status == literal_column("'withdrawn'"),
)
