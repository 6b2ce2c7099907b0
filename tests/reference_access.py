"""A small, separate reference model of the sharing rules, used to check accord.access.

Written independently of the implementation: plain Python over an in-memory world, following
hard references to any depth.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RefUser:
    """A user in the reference world."""

    id: str
    org: str


@dataclass
class RefRecord:
    """A record in the reference world."""

    id: str
    kind: str
    owner: str
    marking: str
    published: bool
    shares: set[str] = field(default_factory=set)
    readers: set[str] = field(default_factory=set)
    hard_refs: list[str] = field(default_factory=list)
    soft_refs: list[str] = field(default_factory=list)
    withdrawn: bool = False


def own_visible(record: RefRecord, user: RefUser | None) -> bool:
    """The marking/status rule for one record, ignoring its references."""
    if record.withdrawn:
        return False
    return _marking_allows(record, user)


def _marking_allows(record: RefRecord, user: RefUser | None) -> bool:
    org = user.org if user else None
    if not record.published and org != record.owner:
        return False
    if record.marking == "CLEAR":
        return True
    if user is None:
        return False
    return {
        "GREEN": True,
        "AMBER": org == record.owner or org in record.shares,
        "AMBER+STRICT": org == record.owner or org in record.shares,
        "RED": user.id in record.readers,
    }[record.marking]


def visible_ids(world: dict[str, RefRecord], user: RefUser | None) -> set[str]:
    """Every record the user may see: its own rule holds and all its hard ends are visible."""
    memo: dict[str, bool] = {}

    def check(rid: str) -> bool:
        if rid not in memo:
            record = world[rid]
            memo[rid] = own_visible(record, user) and all(check(t) for t in record.hard_refs)
        return memo[rid]

    return {rid for rid in world if check(rid)}


def tombstone_ids(world: dict[str, RefRecord], user: RefUser | None) -> set[str]:
    """Withdrawn records whose tombstone the user may see: the user could see the record if it
    were still published (its marking allows, every hard end is visible now)."""
    seen = visible_ids(world, user)
    return {
        rid
        for rid, record in world.items()
        if record.withdrawn
        and _marking_allows(record, user)
        and all(t in seen for t in record.hard_refs)
    }
