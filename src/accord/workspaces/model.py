"""The coordination workspace's typed, immutable objects and its vocabularies. Pure.

A workspace belongs to one organisation (the owner) and concerns one incident. Its statement is
kept as numbered revisions (text, accused, level and the embargo end, with a content hash);
the invited organisations are its participants, each with a position state.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.domain.vocab import ClaimKind, Level, Marking, Stance
from accord.errors import BadRequest, InvalidInput


class State(StrEnum):
    """A participant's position state (stored; :meth:`Participant.effective` reads silence)."""

    INVITED = "invited"
    EMBARGO_ACCEPTED = "embargo_accepted"
    JOINED = "joined"
    JOINED_WITH_WORDING = "joined_with_wording"
    ABSTAINED = "abstained"
    DECLINED = "declined"


#: The states that publish a claim.
JOINED_STATES = frozenset({State.JOINED, State.JOINED_WITH_WORDING})
#: The states of a participant who has not answered yet: silence at the deadline declines.
UNANSWERED = frozenset({State.INVITED, State.EMBARGO_ACCEPTED})


class Position(StrEnum):
    """What a participant answers."""

    JOIN = "join"
    JOIN_WITH_WORDING = "join_with_wording"
    ABSTAIN = "abstain"
    DECLINE = "decline"

    @property
    def state(self) -> State:
        """The state the answer leads to."""
        return {
            Position.JOIN: State.JOINED,
            Position.JOIN_WITH_WORDING: State.JOINED_WITH_WORDING,
            Position.ABSTAIN: State.ABSTAINED,
            Position.DECLINE: State.DECLINED,
        }[self]


class Status(StrEnum):
    """A workspace is open until its joint attribution is published."""

    OPEN = "open"
    PUBLISHED = "published"


class Access(StrEnum):
    """How much of a workspace a viewer may see (:func:`accord.workspaces.rules.access_of`)."""

    NONE = "none"
    ENVELOPE = "envelope"
    PARTICIPANT = "participant"
    OWNER_MEMBER = "owner_member"
    MANAGER = "manager"

    @property
    def rank(self) -> int:
        """Order: none < envelope < participant < owner member < manager."""
        return list(Access).index(self)


def content_hash(text: str, accused: str, level: Level, embargo_end: dt.datetime) -> str:
    """SHA-256 of a statement revision's content (canonical JSON). Pure."""
    body = {
        "accused": accused,
        "embargo_end": utc_text(embargo_end),
        "level": level.value,
        "text": text,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Statement:
    """One revision of the draft statement and its embargo."""

    revision: int
    text: str
    accused: str
    level: Level
    embargo_end: dt.datetime
    content_hash: str
    created_at: dt.datetime
    created_by: str | None

    def same_terms(self, other: Statement) -> bool:
        """Whether text, accused and level are the same (what a join affirms)."""
        return (self.text, self.accused, self.level) == (other.text, other.accused, other.level)


@dataclass(frozen=True)
class Wording:
    """A joiner's own terms; None fields take the shared statement's."""

    text: str | None = None
    stance: Stance | None = None
    level: Level | None = None
    kind: ClaimKind | None = None
    confidence_words: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class Participant:
    """An organisation invited to a workspace, and its position."""

    org_id: str
    state: State
    deadline: dt.datetime | None
    invited_at: dt.datetime
    invited_by: str | None
    embargo_accepted_at: dt.datetime | None
    position_revision: int | None
    wording: Wording
    changed_at: dt.datetime
    changed_by: str | None
    changed_by_role: str | None
    claim_id: str | None
    members: tuple[str, ...] = ()

    def silent(self, now: dt.datetime) -> bool:
        """Whether the deadline passed without an answer (read as a decline)."""
        return self.state in UNANSWERED and self.deadline is not None and now >= self.deadline

    def effective(self, now: dt.datetime) -> State:
        """The state as of ``now``: silence at the deadline is a decline."""
        return State.DECLINED if self.silent(now) else self.state

    @property
    def accepted(self) -> bool:
        """Whether the organisation accepted the current embargo (and so sees the text)."""
        return self.embargo_accepted_at is not None


@dataclass(frozen=True)
class Workspace:
    """A workspace's envelope and current revision number."""

    id: str
    owner: str
    incident: str
    title: str
    marking: Marking
    embargo_end: dt.datetime
    revision: int
    status: Status
    created_at: dt.datetime
    created_by: str | None
    published_at: dt.datetime | None


@dataclass(frozen=True)
class Event:
    """One audited transition: who, when, which organisation, from and to."""

    seq: int
    at: dt.datetime
    user_id: str | None
    org_id: str | None
    action: str
    from_state: str | None
    to_state: str | None
    revision: int | None

    def to_json(self, zone: ZoneInfo | None = None) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "seq": self.seq,
            "at": instant(self.at, zone),
            "user": self.user_id,
            "org": self.org_id,
            "action": self.action,
            "from": self.from_state,
            "to": self.to_state,
            "revision": self.revision,
        }


# -- time ------------------------------------------------------------------------------------


def utc_text(moment: dt.datetime) -> str:
    """An instant as RFC 3339 in UTC with a ``Z``, to the second."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_instant(value: str | dt.datetime, field: str) -> dt.datetime:
    """An RFC 3339 instant with an explicit offset (``Z`` or ``+02:00``), as aware UTC to the
    second (what is shown and hashed); a time without an offset is refused, never guessed.
    Pure."""
    if isinstance(value, dt.datetime):
        moment = value
    else:
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("z", "Z"))
        except ValueError as exc:
            raise InvalidInput(
                f"'{value}' is not an RFC 3339 time (e.g. 2027-03-01T09:00:00Z)", field=field
            ) from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            "give the time with its UTC offset (e.g. 2027-03-01T09:00:00Z or +01:00)", field=field
        )
    return moment.astimezone(dt.UTC).replace(microsecond=0)


def zone_named(name: str | None) -> ZoneInfo | None:
    """The IANA time zone of that name (None for none); BadRequest for an unknown one."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest(f"unknown time zone '{name}' (e.g. Europe/Paris)", field="tz") from exc


def instant(moment: dt.datetime | None, zone: ZoneInfo | None) -> dict[str, str] | None:
    """An instant shown in UTC and, when the reader's zone is known, in that zone."""
    if moment is None:
        return None
    shown = {"utc": utc_text(moment)}
    if zone is not None:
        shown["local"] = moment.astimezone(zone).replace(microsecond=0).isoformat()
        shown["zone"] = zone.key
    return shown
