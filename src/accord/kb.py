"""KnowledgeBase: the one library API that the CLI, the web app, TAXII and importers call.

Every read goes through :mod:`accord.access`; every write is one transaction that writes a new
revision and a hash-chained audit entry per record, or nothing at all.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, or_, select
from sqlalchemy.exc import DBAPIError, OperationalError

from accord import access
from accord.access import ANONYMOUS, Viewer
from accord.domain.inputs import Page, RecordInput, parse_input, parse_payload, require_sources
from accord.domain.records import HARD_DEPTH, Record
from accord.domain.vocab import RELATIONSHIP_KINDS, Kind, Marking, Status
from accord.errors import BadRequest, Conflict, InvalidInput, NotFound, StoreUnavailable
from accord.reader import Reader
from accord.runtime import fewer_collections
from accord.store import audit, revision_numbers, rows, staging, statistics
from accord.store.connections import guarded, unreachable
from accord.store.engine import make_engine
from accord.store.integrity import check_references, check_sharing
from accord.store.schema import record_refs, records, revisions
from accord.store.search import run_search
from accord.store.withdrawals import MAX_REASON, Tombstone, audited_hash
from accord.store.withdrawals import add as add_withdrawal
from accord.store.withdrawals import tombstones as read_tombstones

Clock = Callable[[], dt.datetime]
MAX_PAGE = 500
#: Records an import job writes per transaction (docs/architecture.md, "Staged imports").
STAGE_BATCH = 2_000
#: An import job whose heartbeat (wall-clock time, not the records' clock) is older than this
#: is taken as dead and removed.
STALE_IMPORT = dt.timedelta(minutes=10)
#: SQLite write-ahead-log pages between checkpoints on an import job's connections (64 MB).
IMPORT_CHECKPOINT_PAGES = 16_000


def utcnow() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SearchHit:
    """A search result: the record and its relevance, in [0, 1], higher is better (defined in
    :mod:`accord.store.search`; it depends only on the record and the query)."""

    record: Record
    score: float


@dataclass(frozen=True)
class RevisionView:
    """One revision of a record as a given viewer may see it."""

    revision: int
    changed_at: dt.datetime
    changed_by: str | None
    record: Record


@dataclass(frozen=True)
class _Job:
    """An import job in progress: its id, the viewer it writes as (who alone sees what it
    staged) and the owning organisation."""

    id: str
    viewer: Viewer
    owner: str


@dataclass
class BulkResult:
    """What a bulk write did, by record id."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


class KnowledgeBase:
    """Open an Accord database (SQLite file or PostgreSQL URL) and work with its records."""

    def __init__(self, url: str | None = None, *, clock: Clock | None = None) -> None:
        self._engine = make_engine(url)
        self._clock = clock or utcnow
        self._tx: contextvars.ContextVar[Connection | None] = contextvars.ContextVar(
            f"accord_tx_{id(self)}", default=None
        )
        self._job: contextvars.ContextVar[_Job | None] = contextvars.ContextVar(
            f"accord_job_{id(self)}", default=None
        )
        #: Called after each committed transaction of an import job (tests, benchmarks).
        self.on_import_batch: Callable[[], None] | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def initialise(self) -> None:
        """Create or migrate the schema and the built-in curators organisation, and hide the
        actor records of organisations registered before they could choose to be listed
        (:func:`accord.accounts.hide_unlisted`). Writes."""
        from accord.accounts import ensure_curators, hide_unlisted
        from accord.store import migrate

        try:
            migrate.upgrade(self._engine)
        except OperationalError as exc:
            raise unreachable(exc, "open the database") from exc
        ensure_curators(self)
        hide_unlisted(self)
        self.clean_imports()

    def require_schema(self) -> None:
        """Raise a clear error unless the database has been initialised and is current."""
        from accord.store import migrate  # Alembic is heavy: import it only when needed

        try:
            current = migrate.is_current(self._engine)
        except (OperationalError, DBAPIError) as exc:
            raise unreachable(exc, "open the database") from exc
        if not current:
            raise StoreUnavailable(
                "the database is not initialised or is out of date: run 'accord init'"
            )

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def now(self) -> dt.datetime:
        """The knowledge base's clock (frozen in tests)."""
        return self._clock()

    # -- writes --------------------------------------------------------------------------

    def create(self, raw: Mapping[str, Any] | RecordInput, viewer: Viewer) -> Record:
        """Validate and store one new record as the viewer. Writes one revision and audit entry."""
        result = self.bulk_create([raw], viewer)
        if not result.created:
            raise Conflict("a record with this id already exists", record=_id_of(raw))
        return self.get(result.created[0], viewer)

    def bulk_create(
        self,
        items: Iterable[Mapping[str, Any] | RecordInput],
        viewer: Viewer,
        *,
        upsert: bool = False,
    ) -> BulkResult:
        """Store many records in one transaction (batched inserts, no per-row commit).

        A new record's id must lie in the owner's namespace (:func:`access.check_id_namespace`)
        and it starts as a draft unless a reviewer of the owner asks otherwise. Records whose id
        exists and is visible to the viewer with identical content are left unchanged; with
        different content they raise Conflict, or with ``upsert`` become a new revision (under
        the same rules as :meth:`update`, :meth:`set_marking` and :meth:`set_sharing`). An id
        the viewer cannot see is answered as if it were free: outside the owner's namespace it
        is refused alike; inside it (another user's RED record of the same organisation) it is
        a Conflict whatever the content. The first invalid record aborts the whole batch:
        nothing is written.
        """
        owner = access.check_can_create(viewer)
        now = self.now()
        built: dict[str, Record] = {}
        for item in items:
            record = self._build(
                item if isinstance(item, RecordInput) else parse_input(item), owner, viewer, now
            )
            previous = built.get(record.id)
            if previous is not None and rows.body_of(previous) != rows.body_of(record):
                raise Conflict(
                    "the same id is given twice with different content", record=record.id
                )
            built[record.id] = record
        job = self._job.get()
        if job is not None and self._tx.get() is None:
            return self._stage(job, viewer, built, upsert)
        result = BulkResult()
        with self._write() as conn:
            fresh, changed, result.unchanged = self._sort_batch(conn, viewer, owner, built, upsert)
            names = check_references(conn, viewer, [*fresh, *(n for _, n, _ in changed)], built)
            fresh = [_named(r, names) for r in fresh]
            changed = [
                (old, _named(_keeping_hidden(new, old, shown), names), shown)
                for old, new, shown in changed
            ]
            check_sharing(conn, [*fresh, *(new for _, new, _ in changed)])
            rows.insert_records(conn, fresh, viewer.user_id)
            for _, new, _ in changed:
                rows.replace_record(conn, new, viewer.user_id)
            audit.append(
                conn,
                [self._audit("create", r, None, viewer) for r in fresh]
                + [self._audit("update", new, old, viewer) for old, new, _ in changed],
            )
        result.created.extend(r.id for r in fresh)
        result.updated.extend(new.id for _, new, _ in changed)
        self.refresh_statistics(len(fresh) + len(changed))
        return result

    def _sort_batch(
        self,
        conn: Connection,
        viewer: Viewer,
        owner: str,
        built: Mapping[str, Record],
        upsert: bool,
    ) -> tuple[list[Record], list[tuple[Record, Record, Record]], list[str]]:
        """Sort a batch into new records, changed ones (stored, new revision, stored as the
        viewer sees it) and unchanged ids, comparing only with what the viewer may see: a
        record's references to records hidden from the viewer are not part of its content
        for this comparison. Raises Conflict or InvalidInput. Read-only."""
        found = rows.existing(conn, built)
        seen = _visible_subset(conn, viewer, found)
        same = {
            rid
            for rid in seen
            if found[rid].body == rows.body_of(built[rid])
            and found[rid].marking == built[rid].marking.value
            and found[rid].kind == built[rid].kind.value
        }
        targets = {t for rid in same for _, t in built[rid].data.refs()}
        hidden = targets - _visible_subset(conn, viewer, targets)
        fresh: list[Record] = []
        quick = {rid for rid in same if not {t for _, t in built[rid].data.refs()} & hidden}
        others = [rid for rid in seen if rid not in quick]
        stored = {r.id: r for r in rows.load_records(conn, [found[rid] for rid in others])}
        shown = {r.id: r for r in self._present(conn, viewer, list(stored.values()))}
        changed: list[tuple[Record, Record, Record]] = []
        unchanged: list[str] = []
        left = self._left_withdrawn(conn, viewer, [rid for rid in found if rid not in seen])
        for rid, record in built.items():
            if rid in left:  # withdrawn, or hidden by a withdrawal: a write never revives it
                unchanged.append(rid)
            elif rid not in seen:  # absent, or hidden: answered alike up to the namespace
                access.check_id_namespace(owner, rid)
                if rid in found:
                    raise Conflict("the id is already used by another record", record=rid)
                status = access.initial_status(viewer, owner, record.status)
                if status is not record.status:
                    record = record.model_copy(update={"status": status})
                fresh.append(record)
            elif rid in quick or _same_content(shown[rid], record):
                unchanged.append(rid)
            elif not upsert or shown[rid].kind is not record.kind:
                raise Conflict("the id is already used by another record", record=rid)
            else:
                new = self._next_revision(stored[rid], record, viewer)
                changed.append((stored[rid], _checked_change(viewer, shown[rid], new), shown[rid]))
        return fresh, changed, unchanged

    def update(
        self,
        record_id: str,
        viewer: Viewer,
        *,
        data: Mapping[str, Any] | None = None,
        sources: Sequence[Mapping[str, Any]] | None = None,
        expected_revision: int | None = None,
    ) -> Record:
        """Change payload fields (a patch) and/or sources. Writes one revision and audit entry."""

        def change(old: Record) -> Record:
            access.check_can_change_content(viewer, old.owner, record_id, old.status)
            payload = old.data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            payload.update(data or {})
            raw = {
                "id": old.id,
                "kind": old.kind,
                "data": payload,
                "marking": old.marking,
                "status": old.status,
                "shares": old.shares,
                "readers": old.readers,
                "sources": sources
                if sources is not None
                else [s.model_dump() for s in old.sources],
            }
            return self._build(parse_input(raw), old.owner, viewer, self.now(), creator=old)

        return self._revise(record_id, viewer, "update", change, expected_revision)

    def publish(self, record_id: str, viewer: Viewer) -> Record:
        """Publish a draft (reviewers of the owning organisation). Writes one revision."""

        def change(old: Record) -> Record:
            access.check_can_publish(viewer, old.owner, record_id)
            return old.model_copy(update={"status": Status.PUBLISHED})

        return self._revise(record_id, viewer, "publish", change)

    def set_marking(self, record_id: str, viewer: Viewer, marking: Marking) -> Record:
        """Re-mark a record; loosening (e.g. RED → CLEAR) is an explicit, audited reviewer act."""

        def change(old: Record) -> Record:
            access.check_can_remark(viewer, old.owner, record_id, old.marking, marking)
            readers = old.readers
            if marking is Marking.RED and viewer.user_id and viewer.user_id not in readers:
                readers = (*readers, viewer.user_id)
            return old.model_copy(update={"marking": marking, "readers": readers})

        def action(old: Record, new: Record) -> str:
            return "declassify" if new.marking.rank < old.marking.rank else "remark"

        return self._revise(record_id, viewer, action, change)

    def set_sharing(
        self,
        record_id: str,
        viewer: Viewer,
        *,
        shares: Sequence[str] | None = None,
        readers: Sequence[str] | None = None,
    ) -> Record:
        """Replace a record's AMBER share list and/or RED named readers. Writes one revision."""

        def change(old: Record) -> Record:
            update: dict[str, Any] = {}
            if shares is not None:
                update["shares"] = tuple(dict.fromkeys(shares))
            if readers is not None:
                update["readers"] = tuple(dict.fromkeys(readers))
            new = old.model_copy(update=update)
            _check_sharing_change(viewer, old, new)
            return new

        def action(old: Record, new: Record) -> str:
            return "declassify" if _widens(old, new) else "share"

        return self._revise(record_id, viewer, action, change)

    def withdraw(self, record_id: str, viewer: Viewer, reason: str) -> Tombstone:
        """Withdraw a published record (reviewers of the owner): it becomes a tombstone, gone
        from every read path but its own page (410 Gone), its history and TAXII (a revoked
        object). Writes one revision (status withdrawn), its audit entry (action
        ``withdraw``) and the reason; raises Conflict when it is already withdrawn."""
        text = " ".join(reason.split())
        if not text:
            raise InvalidInput("say why the record is withdrawn", record=record_id, field="reason")
        if len(text) > MAX_REASON:
            raise InvalidInput(
                f"the reason is longer than {MAX_REASON} characters",
                record=record_id,
                field="reason",
            )
        with self._write() as conn:
            old = self._get_live(conn, record_id, viewer)
            access.check_can_withdraw(viewer, old.owner, record_id, old.status)
            gone = old.model_copy(update={"status": Status.WITHDRAWN, "updated_at": self.now()})
            new = self._next_revision(old, gone, viewer)
            rows.replace_record(conn, new, viewer.user_id)
            add_withdrawal(conn, new, text)
            entry = self._audit("withdraw", new, old, viewer)
            sealed = audited_hash(rows.snapshot_of(new), text)  # the reason is in the chain too
            audit.append(conn, [dataclasses.replace(entry, after_hash=sealed)])
        found = self.tombstone(record_id, viewer)
        if found is None:  # the writer could see the record, so it sees the tombstone
            raise NotFound("no such record", record=record_id)
        return found

    def tombstone(self, record_id: str, viewer: Viewer = ANONYMOUS) -> Tombstone | None:
        """The tombstone of a withdrawn record when the viewer could see the record before it
        was withdrawn (:func:`access.visible_tombstones`); None otherwise, alike for a live
        record, a missing one and a tombstone the viewer may not see. Read-only."""
        found, _ = self.find_tombstones(viewer, [records.c.id == record_id], (records.c.id,), 1)
        return found[0] if found else None

    def find_tombstones(
        self,
        viewer: Viewer,
        where: Sequence[ColumnElement[bool]],
        order_by: Sequence[ColumnElement[Any]],
        limit: int,
    ) -> tuple[list[Tombstone], bool]:
        """Like :meth:`find`, for the tombstones the viewer may see. Read-only."""
        query = select(records).where(access.visible_tombstones(viewer), *where)
        with self._read() as conn:
            selected = conn.execute(query.order_by(*order_by).limit(limit + 1)).all()
            shown = self._present(conn, viewer, rows.load_records(conn, selected[:limit]))
            return read_tombstones(conn, shown), len(selected) > limit

    # -- reads ---------------------------------------------------------------------------

    def get(
        self, record_id: str, viewer: Viewer = ANONYMOUS, *, revision: int | None = None
    ) -> Record:
        """The record as the viewer may see it, current or as of a past revision. Read-only."""
        with self._read() as conn:
            current = self._get_visible(conn, record_id, viewer)
            if revision is None:
                return self._present(conn, viewer, [current])[0]
        for view in self.history(record_id, viewer):
            if view.revision == revision:
                return view.record
        raise NotFound(f"no revision {revision} of this record", record=record_id)

    def get_many(self, ids: Iterable[str], viewer: Viewer = ANONYMOUS) -> dict[str, Record]:
        """The visible records among the given ids, by id. Read-only."""
        id_list = list(dict.fromkeys(ids))
        found: list[Record] = []
        viewer = self._viewing(viewer)
        with self._read() as conn:
            for start in range(0, len(id_list), rows.BATCH):
                chunk = id_list[start : start + rows.BATCH]
                selected = conn.execute(
                    select(records).where(access.visible_ids(viewer, chunk))
                ).all()
                found.extend(self._present(conn, viewer, rows.load_records(conn, selected)))
        return {r.id: r for r in found}

    def list_records(
        self,
        viewer: Viewer = ANONYMOUS,
        *,
        kind: Kind | None = None,
        after: str | None = None,
        limit: int = 50,
        marking: Marking | None = None,
        owner: str | None = None,
    ) -> Page:
        """One page of visible records ordered by id (keyset pagination on ``after``). Read-only."""
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
        where = []
        if kind is not None:
            where.append(records.c.kind == kind.value)
        if marking is not None:
            where.append(records.c.marking == marking.value)
        if owner is not None:
            where.append(records.c.owner == owner)
        if after is not None:
            where.append(records.c.id > after)
        items, more = self.find(viewer, where, (records.c.id,), limit)
        return Page(items=items, next_cursor=items[-1].id if more else None)

    def find(
        self,
        viewer: Viewer,
        where: Sequence[ColumnElement[bool]],
        order_by: Sequence[ColumnElement[Any]],
        limit: int,
    ) -> tuple[list[Record], bool]:
        """Up to ``limit`` visible records meeting ``where`` (conditions on ``records``) in the
        given order, and whether more follow. Read-only."""
        query = select(records).where(access.visible(viewer), *where).order_by(*order_by)
        with self._read() as conn:
            selected = conn.execute(query.limit(limit + 1)).all()
            items = self._present(conn, viewer, rows.load_records(conn, selected[:limit]))
        return items, len(selected) > limit

    def iter_records(
        self, viewer: Viewer = ANONYMOUS, *, kind: Kind | None = None, page_size: int = 500
    ) -> Iterator[Record]:
        """Every visible record (of a kind), streamed a page at a time. Read-only."""
        after: str | None = None
        while True:
            page = self.list_records(viewer, kind=kind, after=after, limit=page_size)
            yield from page.items
            if page.next_cursor is None:
                return
            after = page.next_cursor

    def referrers(
        self,
        targets: str | Iterable[str],
        viewer: Viewer = ANONYMOUS,
        *,
        kind: Kind,
        fields: Sequence[str] = (),
    ) -> list[Record]:
        """Visible records of ``kind`` whose ``fields`` (any, when empty) point to a target,
        e.g. the claims about an incident; ordered by date, then id. Read-only."""
        target_ids = [targets] if isinstance(targets, str) else list(dict.fromkeys(targets))
        if not target_ids:
            return []
        query = (
            select(records.c.id)
            .join(record_refs, record_refs.c.record_id == records.c.id)
            .where(
                record_refs.c.target_id.in_(target_ids),
                records.c.kind == kind.value,
                access.visible(viewer),
            )
            .distinct()
        )
        if fields:
            query = query.where(record_refs.c.field.in_(list(fields)))
        with self._read() as conn:
            ids = [rid for (rid,) in conn.execute(query)]
        found = self.get_many(ids, viewer)
        return sorted(found.values(), key=lambda r: (r.data.date_key() or "", r.id))

    @property
    def dialect_name(self) -> str:
        """The database's dialect: ``sqlite`` or ``postgresql``."""
        return self._engine.dialect.name

    def identity_tables(self, *, write: bool = False) -> Any:
        """A connection to the organisations, users, tokens and sessions tables, for
        :mod:`accord.accounts` alone (``tests/test_layers.py`` fails the build when another
        module calls it); joins :meth:`transaction`. Writes when ``write``."""
        return self._write() if write else self._read()

    @contextlib.contextmanager
    def reader(self, viewer: Viewer) -> Iterator[Reader]:
        """A read session as the viewer over one connection, for code that builds its own SQL
        (the analyses, some pages): every statement it runs must carry the viewer's sharing
        filter (:mod:`accord.reader`). Read-only."""
        with self._read() as conn:
            yield Reader(conn, viewer)

    def visible_ids(self, ids: Iterable[str], viewer: Viewer = ANONYMOUS) -> set[str]:
        """The ids among ``ids`` of records the viewer may see. Read-only."""
        with self._read() as conn:
            return _visible_subset(conn, self._viewing(viewer), ids)

    def count(self, viewer: Viewer = ANONYMOUS, *, by: str = "kind") -> dict[str, int]:
        """Visible records counted by ``kind``, ``marking`` or ``owner``. Read-only."""
        if by not in ("kind", "marking", "owner"):
            raise BadRequest("count by kind, marking or owner")
        column = records.c[by]
        query = select(column, func.count()).where(access.visible(viewer)).group_by(column)
        with self._read() as conn:
            return {str(key): int(n) for key, n in conn.execute(query)}

    def search(
        self, text: str, viewer: Viewer = ANONYMOUS, *, kinds: Sequence[Kind] = (), limit: int = 20
    ) -> list[SearchHit]:
        """Ranked full-text search over names, aliases and descriptions: the visible records
        in which every word of ``text`` starts a word, best relevance first, ties by id.
        Read-only."""
        if not 1 <= limit <= MAX_PAGE:
            raise BadRequest(f"limit must be between 1 and {MAX_PAGE}")
        with self._read() as conn:
            ranked = run_search(conn, text, access.visible(viewer), [k.value for k in kinds], limit)
        found = self.get_many([rid for rid, _ in ranked], viewer)
        return [SearchHit(found[rid], score) for rid, score in ranked if rid in found]

    def history(self, record_id: str, viewer: Viewer = ANONYMOUS) -> list[RevisionView]:
        """The revisions of a record the viewer was entitled to see, oldest first, each shown
        as the viewer may see it today (no share lists of others, no links to hidden records).
        Read-only."""
        with self._read() as conn:
            self._get_readable(conn, record_id, viewer)
            stored = conn.execute(
                select(revisions)
                .where(revisions.c.record_id == record_id)
                .order_by(revisions.c.revision)
            ).all()
            entitled = [
                (row, snap)
                for row, snap in ((r, rows.record_from_snapshot(r.snapshot)) for r in stored)
                if access.may_see_envelope(
                    viewer,
                    marking=snap.marking,
                    owner=snap.owner,
                    status=snap.status,
                    shares=snap.shares,
                    readers=snap.readers,
                )
            ]
            shown = self._present(conn, viewer, [snap for _, snap in entitled])
        return [
            RevisionView(
                snap.revision,
                rows.as_utc(row.changed_at),
                row.changed_by if access.may_see_share_list(viewer, snap.owner) else None,
                snap,
            )
            for (row, _), snap in zip(entitled, shown, strict=True)
        ]

    def verify_audit(self, head: str | None = None) -> audit.Verification:
        """Check the audit chain (keyed with ``ACCORD_AUDIT_KEY`` when set), every revision and
        every record's current row against it, and, given a head exported by
        :meth:`audit_head` (its text or a file holding it), that the chain still extends it.
        Read-only."""
        anchor = audit.Head.read(head) if head is not None else None
        with self._read() as conn:
            return audit.verify(conn, anchor)

    def audit_head(self) -> audit.Head:
        """The audit chain's current head, to keep outside the database. Read-only."""
        with self._read() as conn:
            return audit.head(conn)

    # -- internals -----------------------------------------------------------------------

    def _build(
        self,
        inp: RecordInput,
        owner: str,
        viewer: Viewer,
        now: dt.datetime,
        creator: Record | None = None,
    ) -> Record:
        record_id = (
            inp.id or access.id_namespace(owner) + f"{inp.kind.value}-{uuid.uuid4().hex[:16]}"
        )
        access.check_status_requested(inp.status, record_id)
        payload = parse_payload(inp.kind, inp.data, record_id)
        require_sources(inp.sources, record_id)
        readers = inp.readers
        if (
            inp.marking is Marking.RED
            and viewer.user_id
            and viewer.user_id not in readers
            and creator is None
        ):
            readers = (*readers, viewer.user_id)
        return Record(
            id=record_id,
            kind=inp.kind,
            marking=inp.marking,
            owner=owner,
            status=inp.status,
            revision=creator.revision + 1 if creator else 1,
            created_at=creator.created_at if creator else now,
            updated_at=_after(now, creator.updated_at) if creator else now,
            created_by=creator.created_by if creator else viewer.user_id,
            updated_by=viewer.user_id,
            sources=inp.sources,
            shares=inp.shares,
            readers=readers,
            data=payload,
        )

    def _next_revision(self, old: Record, new: Record, viewer: Viewer) -> Record:
        return new.model_copy(
            update={
                "revision": old.revision + 1,
                "created_at": old.created_at,
                "created_by": old.created_by,
                "owner": old.owner,
                "updated_at": _after(new.updated_at, old.updated_at),
                "updated_by": viewer.user_id,
            }
        )

    def _revise(
        self,
        record_id: str,
        viewer: Viewer,
        action: str | Callable[[Record, Record], str],
        change: Callable[[Record], Record],
        expected_revision: int | None = None,
    ) -> Record:
        with self._write() as conn:
            old = self._get_live(conn, record_id, viewer)
            if expected_revision is not None and expected_revision != old.revision:
                raise Conflict(
                    f"the record is at revision {old.revision}, not {expected_revision}",
                    record=record_id,
                )
            new = self._next_revision(old, change(old), viewer)
            linked = {target for _, target in old.data.refs()}
            names = check_references(conn, viewer, [new], {}, linked)
            if new.data != old.data:
                new = _named(new, names)
            check_sharing(conn, [new])
            rows.replace_record(conn, new, viewer.user_id)
            done = action if isinstance(action, str) else action(old, new)
            audit.append(conn, [self._audit(done, new, old, viewer)])
        return self.get(record_id, viewer)

    def _audit(
        self, action: str, new: Record, old: Record | None, viewer: Viewer
    ) -> audit.AuditEntry:
        return audit.AuditEntry(
            at=new.updated_at,
            user_id=viewer.user_id,
            action=action,
            record_id=new.id,
            revision=new.revision,
            before_hash=audit.digest(rows.snapshot_of(old)) if old else None,
            after_hash=audit.digest(rows.snapshot_of(new)),
        )

    def _get_visible(self, conn: Connection, record_id: str, viewer: Viewer) -> Record:
        row = conn.execute(select(records).where(access.visible_ids(viewer, [record_id]))).first()
        if row is None:
            raise NotFound("no such record", record=record_id)
        return rows.load_records(conn, [row])[0]

    def _get_live(self, conn: Connection, record_id: str, viewer: Viewer) -> Record:
        """The record to change: NotFound as :meth:`_get_visible`, and Conflict for a
        withdrawn one whose tombstone the viewer may see (a tombstone is never changed)."""
        try:
            return self._get_visible(conn, record_id, viewer)
        except NotFound:
            tomb = select(records.c.id).where(
                records.c.id == record_id, access.visible_tombstones(viewer)
            )
            if conn.execute(tomb).first() is not None:
                raise Conflict(
                    "this record was withdrawn: a withdrawn record is not edited, re-marked, "
                    "shared or published again",
                    record=record_id,
                ) from None
            raise

    def _left_withdrawn(self, conn: Connection, viewer: Viewer, hidden: list[str]) -> set[str]:
        """Among existing ids the viewer cannot see, those of withdrawn records whose tombstone
        the viewer may see, and of records the viewer would see but for a hard reference
        (followed as deep as they go) to one of those: a write leaves them as they are and
        reports them unchanged, so that re-loading a dataset or re-importing a bundle that
        still holds a withdrawn record neither revives it nor fails. Read-only."""
        if not hidden:
            return set()
        gone: set[str] = set()
        for start in range(0, len(hidden), rows.BATCH):
            chunk = hidden[start : start + rows.BATCH]
            query = select(records.c.id).where(
                records.c.id.in_(chunk), access.visible_tombstones(viewer)
            )
            gone.update(rid for (rid,) in conn.execute(query))
        rest = set(hidden) - gone
        for _ in range(HARD_DEPTH):
            if not rest or not gone:
                break
            query = (
                select(record_refs.c.record_id)
                .join(records, records.c.id == record_refs.c.record_id)
                .where(
                    record_refs.c.record_id.in_(sorted(rest)),
                    record_refs.c.hard.is_(True),
                    record_refs.c.target_id.in_(sorted(gone)),
                    access.visible_but_for_ends(viewer),
                )
            )
            found = {rid for (rid,) in conn.execute(query)}
            gone |= found
            rest -= found
        return gone

    def _get_readable(self, conn: Connection, record_id: str, viewer: Viewer) -> None:
        """NotFound unless the viewer sees the record or its tombstone (history)."""
        seen = or_(access.visible(viewer), access.visible_tombstones(viewer))
        if conn.execute(select(records.c.id).where(records.c.id == record_id, seen)).first():
            return
        raise NotFound("no such record", record=record_id)

    def _present(self, conn: Connection, viewer: Viewer, batch: Sequence[Record]) -> list[Record]:
        """Hide from entity records the references to records the viewer may not see, share
        lists from everyone but the owner, and count revisions as the viewer may count them."""
        soft = {t for r in batch if r.kind not in RELATIONSHIP_KINDS for _, t in r.data.refs()}
        seen = _visible_subset(conn, viewer, soft)
        out: list[Record] = []
        for record in batch:
            hidden = (
                {t for _, t in record.data.refs()} - seen
                if record.kind not in RELATIONSHIP_KINDS
                else set()
            )
            if hidden:
                gone: dict[str, str | None] = dict.fromkeys(hidden)
                record = record.model_copy(update={"data": record.data.remap_refs(gone)})
            if not access.may_see_share_list(viewer, record.owner):
                record = record.model_copy(
                    update={"shares": (), "readers": (), "created_by": None, "updated_by": None}
                )
            out.append(record)
        return revision_numbers.as_counted_by(conn, viewer, out)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Make every write inside the block (e.g. many ``bulk_create`` batches) one
        transaction: all committed when the block ends, none if it raises. Writes."""
        if self._tx.get() is not None:
            yield
            return
        with self._write() as conn:
            token = self._tx.set(conn)
            try:
                yield
            finally:
                self._tx.reset(token)

    # -- staged imports (docs/architecture.md, "Staged imports") -------------------------

    @contextlib.contextmanager
    def import_job(self, viewer: Viewer) -> Iterator[None]:
        """Make every ``bulk_create`` inside the block one import that readers see whole or
        not at all, without holding the write lock for long: each call writes at most
        :data:`STAGE_BATCH` records per short transaction, hidden from everyone but the viewer
        (inside the block); when the block ends, one short transaction appends the audit
        entries, applies the new revisions of existing records and makes it all visible. If
        the block raises, what it staged is removed. Inside :meth:`transaction` (or another
        job) it joins that instead. The garbage collector runs less often meanwhile
        (:func:`accord.runtime.fewer_collections`). Writes."""
        if self._tx.get() is not None or self._job.get() is not None:
            yield
            return
        owner = access.check_can_create(viewer)
        self.clean_imports()
        job_id = str(uuid.uuid4())
        job = _Job(job_id, dataclasses.replace(viewer, staging=job_id), owner)
        with guarded(self._engine.begin) as conn:
            staging.start(conn, job_id, owner, viewer.user_id, utcnow())
        with fewer_collections():
            token = self._job.set(job)
            try:
                yield
            except BaseException:
                self._job.reset(token)
                self._discard(job_id)
                raise
            self._job.reset(token)
            try:
                self._swap(job)
            except BaseException:
                self._discard(job_id)
                raise
            self._settle(job_id)
        self.refresh_statistics(statistics.BULK)

    def refresh_statistics(self, written: int) -> None:
        """After committing a write of ``written`` records, outside any :meth:`transaction`:
        fresh planner statistics for the tables it made stale (PostgreSQL;
        :func:`accord.store.statistics.refresh`). Writes statistics only."""
        if self._tx.get() is None:
            statistics.refresh(self._engine, written)

    def clean_imports(self) -> int:
        """Remove what failed import jobs and jobs whose heartbeat stopped longer ago than
        :data:`STALE_IMPORT` (their process died) staged, a batch per transaction; returns how
        many jobs were removed. Run by :meth:`initialise` and before each import. Writes."""
        with guarded(self._engine.begin) as conn:
            failed, unsettled = staging.abandoned(conn, utcnow() - STALE_IMPORT)
        for job_id in failed:
            self._discard(job_id)
        for job_id in unsettled:
            self._settle(job_id)
        return len(failed)

    def _stage(
        self, job: _Job, viewer: Viewer, built: Mapping[str, Record], upsert: bool
    ) -> BulkResult:
        """``bulk_create`` inside an import job: the rows of new records in batches (each
        checked as :meth:`bulk_create` checks a batch, references resolved against the whole
        call) with their links, revisions and derived rows, each batch its own transaction,
        all hidden until the job ends; a batch whose records point to a later batch of the
        call gets its links once every row is in. Each batch of new records gets one audit
        entry that commits to all of them (:mod:`accord.store.audit_batches`); it and the new
        revisions of existing records wait for the job's end."""
        if (viewer.user_id, viewer.org_id) != (job.viewer.user_id, job.viewer.org_id):
            raise BadRequest("an import job writes as the one viewer that started it")
        writer = job.viewer
        result = BulkResult()
        placed: list[list[Record]] = []
        ids = list(built)
        part_of = {rid: n // STAGE_BATCH for n, rid in enumerate(ids)}
        for start in range(0, len(ids), STAGE_BATCH):
            part = {rid: built[rid] for rid in ids[start : start + STAGE_BATCH]}
            this = start // STAGE_BATCH
            with self._staged_write(job) as conn:
                fresh, changed, unchanged = self._sort_batch(conn, writer, job.owner, part, upsert)
                if staging.staged_by(conn, job.id, [old.id for old, _, _ in changed]):
                    raise Conflict("the same id is given twice with different content")
                names = check_references(conn, writer, [*fresh, *(n for _, n, _ in changed)], built)
                fresh = [_named(r, names) for r in fresh]
                changed = [
                    (old, _named(_keeping_hidden(new, old, shown), names), shown)
                    for old, new, shown in changed
                ]
                check_sharing(conn, [*fresh, *(new for _, new, _ in changed)])
                rows.insert_record_rows(conn, fresh, job.id)
                # linked in the same transaction unless a record points to a later batch's
                later = any(part_of.get(t, -1) > this for r in fresh for _, t in r.data.refs())
                if not later:
                    rows.insert_record_links(conn, fresh, writer.user_id)
                staging.stage(
                    conn,
                    job.id,
                    (self.now() if not fresh else fresh[0].updated_at, writer.user_id),
                    [(r.id, r.revision, audit.digest(rows.snapshot_of(r))) for r in fresh],
                    [(old.revision, new) for old, new, _ in changed],
                )
            if later:
                placed.append(fresh)
            result.created.extend(r.id for r in fresh)
            result.updated.extend(new.id for _, new, _ in changed)
            result.unchanged.extend(unchanged)
            self._after_import_batch()
        for fresh in placed:
            if fresh:
                with self._staged_write(job) as conn:
                    rows.insert_record_links(conn, fresh, writer.user_id)
                self._after_import_batch()
        return result

    def _swap(self, job: _Job) -> None:
        """The job's swap, one short transaction: apply its new revisions of existing records
        (Conflict if one changed meanwhile), chain their audit entries and mark the job done,
        which makes its records visible."""
        with self._staged_write(job) as conn:
            entries: list[audit.AuditEntry] = []
            for record_id, base, snapshot in staging.pending(conn, job.id):
                row = conn.execute(select(records).where(records.c.id == record_id)).one()
                old = rows.load_records(conn, [row])[0]
                if old.revision != base:
                    raise Conflict("the record changed while the import ran", record=record_id)
                new = rows.record_from_snapshot(snapshot)
                rows.replace_record(conn, new, job.viewer.user_id)
                entries.append(self._audit("update", new, old, job.viewer))
            audit.append(conn, entries)
            staging.finish(conn, job.id)

    def _settle(self, job_id: str) -> None:
        """After the swap: chain the audit entries of a done job's new records and clear their
        ``import_job``, :data:`STAGE_BATCH` per transaction. Writes."""
        while True:
            with guarded(self._engine.begin) as conn:
                if not staging.settle(conn, job_id, utcnow(), STAGE_BATCH):
                    return

    def _discard(self, job_id: str) -> None:
        """Remove what a job staged, :data:`STAGE_BATCH` records per transaction (resumable:
        a crash midway leaves the job failed, its rest still hidden). Writes."""
        with guarded(self._engine.begin) as conn:
            staging.fail(conn, job_id)
        while True:
            with guarded(self._engine.begin) as conn:
                if not staging.remove(conn, job_id, STAGE_BATCH):
                    return

    @contextlib.contextmanager
    def _staged_write(self, job: _Job) -> Iterator[Connection]:
        """One short transaction of an import job; refused once the job was given up. On
        SQLite the connection moves the write-ahead log into the database file every
        :data:`IMPORT_CHECKPOINT_PAGES` pages instead of 1,000 (fewer, larger checkpoints: a
        page an import rewrites in several batches is copied once)."""
        with guarded(self._engine.begin) as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint={IMPORT_CHECKPOINT_PAGES}")
            staging.beat(conn, job.id, utcnow())
            yield conn

    def _after_import_batch(self) -> None:
        if self.on_import_batch is not None:
            self.on_import_batch()

    def _viewing(self, viewer: Viewer) -> Viewer:
        """The viewer, seeing what its import job in progress staged (inside the job)."""
        job = self._job.get()
        if job is not None and (viewer.user_id, viewer.org_id) == (
            job.viewer.user_id,
            job.viewer.org_id,
        ):
            return job.viewer
        return viewer

    def _read(self) -> Any:
        joined = self._tx.get()
        return contextlib.nullcontext(joined) if joined else guarded(self._engine.connect)

    def _write(self) -> Any:
        joined = self._tx.get()
        return contextlib.nullcontext(joined) if joined else guarded(self._engine.begin)

    def workspace_tables(self, *, write: bool = False) -> Any:
        """A connection to the coordination workspaces' tables, for :mod:`accord.workspaces`
        (its own access rules, :mod:`accord.workspaces.rules`, decide what a caller sees);
        joins :meth:`transaction`. Writes when ``write``."""
        return self._write() if write else self._read()

    def federation_tables(self, *, write: bool = False) -> Any:
        """A connection to the feeds and feed-origins tables, for :mod:`accord.federation`
        (feeds are an instance administrator's; a pull writes records through
        :meth:`bulk_create` as the feed's user); joins :meth:`transaction`. Writes when
        ``write``."""
        return self._write() if write else self._read()

    def originals(self, stix_uuids: Iterable[str], viewer: Viewer) -> dict[str, str]:
        """STIX UUID → record id for the records of this instance the viewer may see whose STIX
        id has one of these UUIDs (lower case) and that no feed wrote: the objects that
        originated here, which a pull must never copy back (federation loops). Only visible
        records count: STIX ids derive from record ids, so an answer about hidden ones would
        tell a remote that feeds chosen ids whether they exist. Read-only."""
        from accord.store.schema import feed_origins

        wanted = sorted({u.lower() for u in stix_uuids})
        found: dict[str, str] = {}
        with self._read() as conn:
            for start in range(0, len(wanted), rows.BATCH):
                chunk = wanted[start : start + rows.BATCH]
                query = (
                    select(records.c.stix_uuid, records.c.id)
                    .outerjoin(feed_origins, feed_origins.c.record_id == records.c.id)
                    .where(
                        records.c.stix_uuid.in_(chunk),
                        feed_origins.c.record_id.is_(None),
                        access.visible(viewer),
                    )
                )
                found.update({str(u): str(rid) for u, rid in conn.execute(query)})
        return found


def _visible_subset(conn: Connection, viewer: Viewer, ids: Iterable[str]) -> set[str]:
    """The ids among ``ids`` of records the viewer may see. Read-only."""
    wanted = sorted(set(ids))
    seen: set[str] = set()
    for start in range(0, len(wanted), rows.BATCH):
        chunk = wanted[start : start + rows.BATCH]
        query = select(records.c.id).where(access.visible_ids(viewer, chunk))
        seen.update(rid for (rid,) in conn.execute(query))
    return seen


def _same_content(old: Record, new: Record) -> bool:
    return (old.kind, old.marking, rows.body_of(old)) == (new.kind, new.marking, rows.body_of(new))


def _keeping_hidden(new: Record, old: Record, shown: Record) -> Record:
    """A new revision submitted whole by a writer who does not see every record the stored one
    links to: the links the writer could not see are kept, not dropped unseen."""
    kept = {t for _, t in old.data.refs()} - {t for _, t in shown.data.refs()}
    if not kept:
        return new
    payload = new.data.model_dump(by_alias=True)
    for name, spec in old.data.REFS.items():
        before = getattr(old.data, name)
        if spec.many and before:
            payload[name] = (
                *payload[name],
                *(t for t in before if t in kept and t not in payload[name]),
            )
        elif before in kept and payload[name] is None:
            payload[name] = before
    return new.model_copy(update={"data": type(new.data).model_validate(payload)})


def _checked_change(viewer: Viewer, old: Record, new: Record) -> Record:
    """A new revision submitted whole (an upsert), checked under the rules of each change it
    makes: content, status, marking and sharing. Returns it with the status it may have."""
    if rows.body_of(new) != rows.body_of(old) or new.sources != old.sources:
        access.check_can_change_content(viewer, old.owner, old.id, old.status)
    if new.status is not old.status and not access.is_reviewer_of(viewer, old.owner):
        new = new.model_copy(update={"status": old.status})  # only a reviewer changes it
    if new.marking is not old.marking:
        access.check_can_remark(viewer, old.owner, old.id, old.marking, new.marking)
    _check_sharing_change(viewer, old, new)
    return new


def _check_sharing_change(viewer: Viewer, old: Record, new: Record) -> None:
    if (new.shares, new.readers) != (old.shares, old.readers):
        access.check_can_share(
            viewer,
            old.owner,
            old.id,
            old_shares=old.shares,
            new_shares=new.shares,
            old_readers=old.readers,
            new_readers=new.readers,
        )


def _widens(old: Record, new: Record) -> bool:
    return access.widens(old.shares, new.shares, old.readers, new.readers)


def _named(record: Record, names: Mapping[str, str]) -> Record:
    """The record with its display name computed from the names of the records it links."""
    if record.kind not in RELATIONSHIP_KINDS:
        return record
    return record.model_copy(update={"name": record.data.title(names)[:500]})


def _after(now: dt.datetime, previous: dt.datetime) -> dt.datetime:
    """A timestamp strictly after ``previous``: revisions' ``modified`` always increases."""
    return now if now > previous else previous + dt.timedelta(microseconds=1)


def _id_of(raw: Mapping[str, Any] | RecordInput) -> str | None:
    value = raw.id if isinstance(raw, RecordInput) else raw.get("id")
    return value if isinstance(value, str) else None
