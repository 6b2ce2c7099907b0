"""The sharing rules (TLP 2.0), in one place.

Every read path (pages, REST, search, history, exports, STIX, TAXII, analyses and their
aggregates) asks this module what a viewer may see. Visibility is expressed as SQL filters so
that the database does the filtering; :func:`may_see_envelope` is the same rule for one
snapshot already in memory (used for history). Write rules live here too.

Rules:

- CLEAR: anyone, anonymous callers included. GREEN: any signed-in user.
- AMBER and AMBER+STRICT: the owning organisation and the organisations on the record's share
  list (TLP 2.0: an AMBER+STRICT recipient may not pass it on beyond itself; in Accord no
  recipient can pass anything on, since only the owner changes a share list).
  RED: only the users named on the record.
- A draft is visible to its own organisation only (and still subject to its marking).
- A relationship record (claim, response, participation, assessment, evidence) is visible only
  when every record it points to is visible too, so no output points to what a caller can't see.
- A withdrawn record is visible to no one as a record. Its tombstone (id, kind, name, when and
  why) is visible to whoever could see its last published version: the same marking, share
  list, named readers and ends (:func:`visible_tombstones`, :func:`check_can_withdraw`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, literal_column, not_, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import Alias, FromClause

from accord.domain.records import HARD_DEPTH
from accord.domain.vocab import Kind, Marking, Status, UserRole
from accord.errors import BadRequest, Conflict, Forbidden, InvalidInput
from accord.store import ends, staging
from accord.store.schema import import_jobs, record_readers, record_refs, record_shares, records

CURATORS_ORG = "accord-curators"
#: Markings whose audience is the owner plus the organisations on the share list.
_SHARED_MARKINGS = (Marking.AMBER.value, Marking.AMBER_STRICT.value)


@dataclass(frozen=True)
class Viewer:
    """Who is asking: a signed-in user of an organisation, or an anonymous reader."""

    user_id: str | None = None
    org_id: str | None = None
    role: UserRole | None = None
    #: The import job this viewer writes for: it alone sees the records the job staged.
    staging: str | None = None

    @property
    def authenticated(self) -> bool:
        """Whether the viewer is a signed-in user."""
        return self.user_id is not None


ANONYMOUS = Viewer()
#: The principal the instance itself acts as when loading the curated dataset and imports.
SYSTEM = Viewer(user_id="system", org_id=CURATORS_ORG, role=UserRole.INSTANCE_ADMIN)


def _own_rule(viewer: Viewer, table: FromClause, *, tombstone: bool = False) -> ColumnElement[bool]:
    """Visibility of a row by its own marking, status, shares and readers (SQL); with
    ``tombstone``, of a withdrawn row's tombstone (only published records are withdrawn)."""
    c = table.c
    # The withdrawn status is written as a literal: it is the condition of the partial index
    # of withdrawn rows (migration 0020), which SQLite uses only for a literal.
    published = (
        c.status == literal_column(f"'{Status.WITHDRAWN.value}'")
        if tombstone
        else c.status == Status.PUBLISHED.value
    )
    # A record staged by an unfinished import is visible to no one but that import's writer
    # (docs/architecture.md, "Staged imports"): import_job is on the covering indexes, and the
    # few jobs done but not yet settled are read once per query.
    done = select(import_jobs.c.id).where(import_jobs.c.state == staging.DONE)
    staged: ColumnElement[bool] = or_(c.import_job.is_(None), c.import_job.in_(done))
    if viewer.staging is not None:
        staged = or_(staged, c.import_job == viewer.staging)
    if not viewer.authenticated:
        return and_(c.marking == Marking.CLEAR.value, published, staged)
    org = viewer.org_id or ""
    shared = exists().where(record_shares.c.record_id == c.id, record_shares.c.org_id == org)
    named = exists().where(
        record_readers.c.record_id == c.id, record_readers.c.user_id == viewer.user_id
    )
    marking_allows = or_(
        c.marking.in_([Marking.CLEAR.value, Marking.GREEN.value]),
        and_(c.marking.in_(_SHARED_MARKINGS), or_(c.owner == org, shared)),
        and_(c.marking == Marking.RED.value, named),
    )
    if tombstone:
        return and_(marking_allows, published, staged)
    # "Published, or a draft of the viewer's organisation", written as a status list and an OR
    # that no longer names the draft status (the two statuses exclude each other): PostgreSQL
    # then reads a scan's sharing columns from the covering index instead of a BitmapOr of two
    # status conditions that fetches every table row (docs/performance.md, "PostgreSQL").
    readable = and_(
        c.status.in_([Status.PUBLISHED.value, Status.DRAFT.value]),
        or_(c.status == Status.PUBLISHED.value, c.owner == org),
    )
    return and_(marking_allows, readable, staged)


class _EndAlias(Alias):
    """``records`` as the end of a reference, looked up by id. On SQLite it is read through
    ``ix_records_id_access`` (id and the sharing columns, migration 0010): the planner prefers
    the unique index on ``id``, which then reads the wide table row for the sharing columns."""

    inherit_cache = True


@compiles(_EndAlias, "sqlite")
def _end_alias_sqlite(element: _EndAlias, compiler: SQLCompiler, **kw: Any) -> str:
    text: str = compiler.visit_alias(element, **kw)  # type: ignore[no-untyped-call]
    return f"{text} INDEXED BY ix_records_id_access" if kw.get("asfrom") else text


@functools.lru_cache(maxsize=1024)
def visible(
    viewer: Viewer, table: FromClause = records, depth: int = HARD_DEPTH
) -> ColumnElement[bool]:
    """SQL filter: rows of ``table`` (the records table or an alias) the viewer may see.

    A row is visible by its own rule, and no hard reference from it leads to a record that is
    not visible (followed ``depth`` levels: evidence → claim → actor).

    The expression is built once per (viewer, table, depth) and reused (it is immutable):
    building it costs several milliseconds, more than the page query it filters.
    """
    own = _own_rule(viewer, table)
    if depth == 0:
        return _marked(own, viewer, table)
    return _marked(and_(own, _ends_visible(viewer, table, depth)), viewer, table)


@functools.lru_cache(maxsize=256)
def visible_tombstones(viewer: Viewer, table: FromClause = records) -> ColumnElement[bool]:
    """SQL filter: withdrawn rows of ``table`` whose tombstone the viewer may see, i.e. rows
    the viewer could see (:func:`visible`) if they were still published."""
    own = _own_rule(viewer, table, tombstone=True)
    return _marked(and_(own, _ends_visible(viewer, table, HARD_DEPTH)), viewer, table)


@functools.lru_cache(maxsize=64)
def visible_but_for_ends(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter on ``records``: rows the viewer may see by their own marking, status, shares
    and readers, whatever they point to (a write's check of records hidden by a withdrawal)."""
    return _marked(_own_rule(viewer, records), viewer, records)


def _ends_visible(viewer: Viewer, table: FromClause, depth: int) -> ColumnElement[bool]:
    """No hard reference from the row leads to a record the viewer may not see."""
    target = _EndAlias._construct(records, name=f"target_{depth}")
    hidden_end = (
        select(record_refs.c.target_id)
        .join(target, target.c.id == record_refs.c.target_id)
        .where(
            record_refs.c.record_id == table.c.id,
            record_refs.c.hard.is_(True),
            not_(visible(viewer, target, depth - 1)),
        )
        .exists()
    )
    # records.ends summarises the ends' markings (see accord.store.ends): when every end is
    # public to this viewer, skip the per-row check of each end.
    return or_(table.c.ends.in_(_public_ends(viewer)), not_(hidden_end))


def _public_ends(viewer: Viewer) -> list[str]:
    """The values of ``records.ends`` that clear a row's ends for this viewer without a check."""
    return [ends.PUBLIC, ends.MEMBERS] if viewer.authenticated else [ends.PUBLIC]


@functools.lru_cache(maxsize=256)
def visible_in_scan(
    viewer: Viewer,
    table: FromClause,
    ends: tuple[tuple[ColumnElement[Any], tuple[Kind, ...]], ...],
) -> ColumnElement[bool]:
    """SQL filter for a scan of many relationship records: the same rows as :func:`visible`.

    ``ends`` names every hard reference of the scanned rows as an integer column holding the
    ``records.pk`` of the end (NULL for none; e.g. ``claim_facts.claimant_pk``) with the kinds
    of record it points at. Where the row's ends summary does not clear it, each end is looked
    up among the visible records of its kinds, which the database reads once for the whole
    query, instead of by id for every row (a few index seeks a row; docs/performance.md has the
    cost at a million claims). Leaving out a hard reference would show rows :func:`visible`
    hides, so callers derive ``ends`` from the payload's ``REFS``.
    """
    cleared = table.c.ends.in_(_public_ends(viewer))
    checks = []
    for n, (column, kinds) in enumerate(ends):
        end = records.alias(f"scan_end_{n}")
        of_kinds = select(end.c.pk).where(
            end.c.kind.in_([kind.value for kind in kinds]), visible(viewer, end)
        )
        checks.append(or_(column.is_(None), column.in_(of_kinds)))
    return _marked(and_(_own_rule(viewer, table), or_(cleared, and_(*checks))), viewer, table)


#: The annotation a sharing filter carries: (viewer, table it filters), for accord.reader.
_MARK = "accord_sharing_filter"


def _marked(rule: ColumnElement[bool], viewer: Viewer, table: FromClause) -> ColumnElement[bool]:
    """The filter, annotated with whom and which table it filters (compiles unchanged)."""
    return rule._annotate({_MARK: (viewer, table)})


def filter_mark(element: Any) -> tuple[Viewer, FromClause] | None:
    """(viewer, table) when ``element`` is a sharing filter built here, else None."""
    annotations = getattr(element, "_annotations", None)
    mark = annotations.get(_MARK) if annotations else None
    return mark if isinstance(mark, tuple) else None


def visible_ids(viewer: Viewer, ids: Iterable[str]) -> ColumnElement[bool]:
    """SQL filter on ``records``: the given ids, restricted to those the viewer may see."""
    id_list = list(ids)
    if not id_list:
        return false()
    return and_(records.c.id.in_(id_list), visible(viewer))


def may_see_envelope(
    viewer: Viewer,
    *,
    marking: Marking,
    owner: str,
    status: Status,
    shares: Iterable[str],
    readers: Iterable[str],
) -> bool:
    """The own-visibility rule for one envelope in memory (e.g. a past revision). A withdrawn
    snapshot (the withdrawal's revision) counts as published: it is shown to those who may
    see the tombstone."""
    if status is Status.DRAFT and viewer.org_id != owner:
        return False
    if marking is Marking.CLEAR:
        return True
    if not viewer.authenticated:
        return False
    if marking is Marking.GREEN:
        return True
    if marking.value in _SHARED_MARKINGS:
        return viewer.org_id == owner or viewer.org_id in set(shares)
    return viewer.user_id in set(readers)


def may_see_share_list(viewer: Viewer, owner: str) -> bool:
    """Share lists, named readers and the users who wrote a record (ids of people of the
    owning organisation) are shown to the owning organisation only."""
    return viewer.org_id == owner


def check_can_create(viewer: Viewer) -> str:
    """Raise unless the viewer may create records; returns the owning organisation."""
    if not viewer.authenticated or viewer.role is None or viewer.org_id is None:
        raise Forbidden("sign in as a contributor to create records")
    if not viewer.role.can_write:
        raise Forbidden(f"role {viewer.role.value} may not create records")
    return viewer.org_id


def is_reviewer_of(viewer: Viewer, owner: str) -> bool:
    """Whether the viewer reviews the owning organisation's records (publishes, loosens)."""
    return viewer.role is not None and viewer.role.can_review and viewer.org_id == owner


def check_status_requested(status: Status, record_id: str) -> None:
    """Raise InvalidInput for a record submitted as withdrawn: withdrawing is its own act
    (:func:`check_can_withdraw`), never a status a record is written with."""
    if status is Status.WITHDRAWN:
        raise InvalidInput(
            "a record is not written as withdrawn: withdraw it with 'accord withdraw' or "
            "POST .../withdraw",
            record=record_id,
            field="status",
        )


def check_can_withdraw(viewer: Viewer, owner: str, record_id: str, status: Status) -> None:
    """Withdrawing is a reviewer's (or instance admin's, who reviews too) act on the owner's
    published record; a draft is not withdrawn (it has never reached anyone outside)."""
    if not is_reviewer_of(viewer, owner):
        raise Forbidden("only reviewers of the owning organisation may withdraw", record=record_id)
    if status is not Status.PUBLISHED:
        raise Conflict(
            "only a published record is withdrawn; a draft is corrected by editing it",
            record=record_id,
        )


def initial_status(viewer: Viewer, owner: str, requested: Status) -> Status:
    """The status a new record starts with: a reviewer's request stands; anyone else's record
    is a draft of its organisation, whatever the request says, until a reviewer publishes it."""
    return requested if is_reviewer_of(viewer, owner) else Status.DRAFT


# -- record ids ------------------------------------------------------------------------------
#
# Ids chosen by callers live in their organisation's namespace, so whether an id is free never
# depends on a record of another organisation: an organisation's ids start with its id and a
# dot (``ministry.claim-1``), and its own actor record has its id; the curators' ids have no
# dot. The check reads only the id and the owner, never the database.

NAMESPACE_SEPARATOR = "."


def id_namespace(owner: str) -> str:
    """The prefix every new id of the owner's records starts with ('' for the curators)."""
    return "" if owner == CURATORS_ORG else f"{owner}{NAMESPACE_SEPARATOR}"


def namespace_owner(record_id: str) -> str:
    """The organisation whose namespace an id is in."""
    head, dot, _ = record_id.partition(NAMESPACE_SEPARATOR)
    return head if dot else CURATORS_ORG


def check_id_namespace(owner: str, record_id: str) -> None:
    """Raise InvalidInput unless a new record of ``owner`` may take this id (an organisation's
    own actor record has the organisation's id)."""
    if record_id == owner or namespace_owner(record_id) == owner:
        return
    prefix = id_namespace(owner)
    wanted = (
        f"start with '{prefix}' (e.g. '{prefix}{record_id.rpartition(NAMESPACE_SEPARATOR)[2]}')"
        if prefix
        else f"have no '{NAMESPACE_SEPARATOR}'"
    )
    raise InvalidInput(
        f"ids of your organisation's records {wanted}; or leave the id out to have one assigned",
        record=record_id,
        field="id",
    )


# -- changes ---------------------------------------------------------------------------------


def check_can_edit(viewer: Viewer, owner: str, record_id: str) -> None:
    """Raise unless the viewer is a contributor (or above) of the owning organisation."""
    if viewer.role is None or not viewer.role.can_write or viewer.org_id != owner:
        raise Forbidden("only contributors of the owning organisation may edit", record=record_id)


def check_can_change_content(viewer: Viewer, owner: str, record_id: str, status: Status) -> None:
    """Contributors of the owner change drafts; a published record's content is changed by a
    reviewer of the owner only (a contributor's change would reach readers unreviewed)."""
    check_can_edit(viewer, owner, record_id)
    if status is Status.PUBLISHED and not is_reviewer_of(viewer, owner):
        raise Forbidden(
            "only reviewers of the owning organisation may change a published record",
            record=record_id,
        )


def check_can_publish(viewer: Viewer, owner: str, record_id: str) -> None:
    """Raise unless the viewer is a reviewer of the owning organisation."""
    if not is_reviewer_of(viewer, owner):
        raise Forbidden("only reviewers of the owning organisation may publish", record=record_id)


def check_can_remark(
    viewer: Viewer, owner: str, record_id: str, old: Marking, new: Marking
) -> None:
    """Tightening needs a contributor of the owner; loosening needs a reviewer of the owner,
    and so does re-marking to RED (it would lock out everyone of the owner not named)."""
    check_can_edit(viewer, owner, record_id)
    if new.rank < old.rank or (new is Marking.RED and old is not Marking.RED):
        _require_reviewer(viewer, owner, record_id, "loosen a marking or re-mark a record RED")


def widens(
    old_shares: Iterable[str],
    new_shares: Iterable[str],
    old_readers: Iterable[str],
    new_readers: Iterable[str],
) -> bool:
    """Whether a change of share list and named readers adds an organisation or a person."""
    return bool(set(new_shares) - set(old_shares) or set(new_readers) - set(old_readers))


def check_can_share(
    viewer: Viewer,
    owner: str,
    record_id: str,
    *,
    old_shares: Iterable[str],
    new_shares: Iterable[str],
    old_readers: Iterable[str],
    new_readers: Iterable[str],
) -> None:
    """Check a change of share list and named readers.

    Narrowing a share list needs a contributor of the owner. Widening it (another organisation)
    or changing who is named on a RED record is a declassification: a reviewer of the owner's
    act. No one removes themselves from a record's named readers (they could then neither see
    the result nor undo it).
    """
    check_can_edit(viewer, owner, record_id)
    old_people, new_people = set(old_readers), set(new_readers)
    if viewer.user_id in old_people and viewer.user_id not in new_people:
        raise BadRequest(
            "you cannot remove yourself from the named readers", record=record_id, field="readers"
        )
    if widens(old_shares, new_shares, old_people, new_people) or old_people - new_people:
        _require_reviewer(viewer, owner, record_id, "widen a share list or change named readers")


def _require_reviewer(viewer: Viewer, owner: str, record_id: str, act: str) -> None:
    if not is_reviewer_of(viewer, owner):
        raise Forbidden(f"only reviewers of the owning organisation may {act}", record=record_id)
