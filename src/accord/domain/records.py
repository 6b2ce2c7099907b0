"""Typed, immutable domain records (pure, no I/O).

A record is an envelope (id, kind, marking, owner, status, revision, sources, timestamps) around
a kind-specific payload. Payload models forbid unknown fields and declare which of their fields
reference other records (:attr:`Payload.REFS`), so storage can enforce referential integrity and
the sharing rules can hide a link whose other end the reader may not see.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from accord.domain.dates import PartialDate
from accord.domain.text import Line, Text, check_json, check_line, visible
from accord.domain.vocab import (
    RELATIONSHIP_KINDS,
    ActorKind,
    ClaimKind,
    Effect,
    Evidence,
    Frame,
    InitiativeKind,
    InitiativeStatus,
    Kind,
    Level,
    Marking,
    NormTheme,
    ResponseKind,
    Role,
    Sector,
    StakeholderModel,
    Stance,
    Status,
)

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")


def _check_id(value: str) -> str:
    if not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f"'{visible(value)}' is not a valid id (lowercase letters, digits, '.', '_', '-')"
        )
    return value


#: User-assigned alpha-2 codes that real data uses for a country ISO 3166-1 does not list:
#: Kosovo's XK (EU, IMF, Unicode CLDR). Every other user-assigned code (AA, QM-QZ, XA-XZ, ZZ)
#: and exceptional reservation (EU, UK, EL...) is refused.
USER_ASSIGNED_COUNTRIES: Mapping[str, str] = {"XK": "Kosovo"}


@functools.cache
def _assigned_countries() -> frozenset[str]:
    return frozenset(str(c.alpha_2) for c in pycountry.countries) | set(USER_ASSIGNED_COUNTRIES)


def check_country(value: str) -> str:
    """Refuse anything but an assigned ISO 3166-1 alpha-2 code (or :data:`USER_ASSIGNED_COUNTRIES`).
    Pure (reads pycountry's bundled list once)."""
    if value not in _assigned_countries():
        raise ValueError(f"'{visible(value)}' is not an assigned ISO 3166-1 alpha-2 country code")
    return value


RecordId = Annotated[str, AfterValidator(_check_id)]
CountryCode = Annotated[str, AfterValidator(check_country)]
#: A name, title, alias or code: one line of 1 to 500 characters, no control character.
ShortText = Annotated[Line, Field(min_length=1, max_length=500)]
#: A description, summary or rationale: free text without control characters but line breaks.
LongText = Annotated[Text, Field(max_length=20_000)]
#: A web address; control characters are refused before the URL parser drops or escapes them.
WebUrl = Annotated[HttpUrl, BeforeValidator(check_line)]
#: A finite amount (JSON's ``1e400`` reads as infinity; it is refused, not stored as null).
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
#: Free JSON kept from an import: keys are lines, strings are text, numbers finite.
FreeData = Annotated[dict[str, Any], AfterValidator(check_json)]


_NO_NAMES: Mapping[str, str] = {}


def _n(names: Mapping[str, str], record_id: str) -> str:
    """The display name of a referenced record, or its id when unknown."""
    return names.get(record_id, record_id)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Source(_Frozen):
    """A citation: who published what, where and when."""

    title: ShortText
    publisher: ShortText
    url: WebUrl
    date: PartialDate | None = None
    reliability: Annotated[str, Field(pattern=r"^[A-F]$")] | None = None


class RefSpec(_Frozen):
    """A payload field that points at other records of the given kinds."""

    kinds: tuple[Kind, ...]
    many: bool = False


class Payload(_Frozen):
    """Base of the kind-specific part of a record."""

    KIND: ClassVar[Kind]
    REFS: ClassVar[dict[str, RefSpec]] = {}

    #: Opaque data kept from an import, by format (e.g. ``{"stix": {...}}``: a STIX object's
    #: custom ``x_`` and unmodelled properties), never interpreted and exported again unchanged.
    extra: FreeData = Field(default_factory=dict)

    def refs(self) -> list[tuple[str, str]]:
        """Every (field, target id) pair this payload points at."""
        pairs: list[tuple[str, str]] = []
        for name, spec in self.REFS.items():
            value = getattr(self, name)
            if value is None:
                continue
            for target in value if spec.many else (value,):
                pairs.append((name, target))
        return pairs

    def remap_refs(self, mapping: Mapping[str, str | None]) -> Payload:
        """The payload with each reference found in ``mapping`` replaced by its value, or
        removed where the value is None (a required single reference cannot be removed)."""
        changes: dict[str, Any] = {}
        for name, spec in self.REFS.items():
            value = getattr(self, name)
            if spec.many and value:
                kept = (mapping.get(v, v) for v in value)
                changes[name] = tuple(v for v in kept if v is not None)
            elif value is not None and value in mapping:
                changes[name] = mapping[value]
        return self.model_copy(update=changes) if changes else self

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """A short display name; relationship kinds name their ends by ``names`` (id → name)."""
        return str(getattr(self, "name", self.KIND.value))

    def search_text(self) -> str:
        """Text indexed by full-text search besides the title."""
        parts: list[str] = []
        for field in _present(type(self), _TEXT_FIELDS):
            value = getattr(self, field)
            if isinstance(value, tuple):
                parts.extend(value)
            elif isinstance(value, str):
                parts.append(value)
        return " ".join(parts)

    def date_key(self) -> str | None:
        """The date the record is ordered by in timelines, or None."""
        for field in _present(type(self), _DATE_FIELDS):
            value = getattr(self, field)
            if isinstance(value, PartialDate):
                return value.value
        return None


_TEXT_FIELDS = ("description", "summary", "rationale", "code", "content")
_DATE_FIELDS = ("start", "date", "joined", "founded")


@functools.cache
def _present(model: type[Payload], fields: tuple[str, ...]) -> tuple[str, ...]:
    """Those of ``fields`` the payload model has, in order (asking a pydantic model for an
    attribute it lacks is slow: it raises inside ``__getattr__``)."""
    return tuple(f for f in fields if f in model.model_fields)


class Governance(_Frozen):
    """How an internet-governance body works."""

    frame: Frame
    stakeholder_model: StakeholderModel
    binding: bool


class Actor(Payload):
    """Anyone who acts: a state, an agency, a company, a group, a person."""

    KIND = Kind.ACTOR
    REFS = {"parent": RefSpec(kinds=(Kind.ACTOR,))}

    name: ShortText
    kind: ActorKind
    aliases: tuple[ShortText, ...] = ()
    country: CountryCode | None = None
    parent: RecordId | None = None
    external_ids: dict[ShortText, ShortText] = Field(default_factory=dict)
    description: LongText = ""
    founded: PartialDate | None = None
    governance: Governance | None = None

    @property
    def sector(self) -> Sector | None:
        """The stakeholder sector the actor's kind belongs to."""
        return self.kind.sector


class Damage(_Frozen):
    """A damage estimate and who made it."""

    estimate: ShortText
    amount_usd: FiniteFloat | None = Field(default=None, ge=0)
    source_url: WebUrl | None = None


class Incident(Payload):
    """A cyber operation, with dates at their known precision."""

    KIND = Kind.INCIDENT
    REFS = {"target_actors": RefSpec(kinds=(Kind.ACTOR,), many=True)}

    name: ShortText
    aliases: tuple[ShortText, ...] = ()
    description: LongText = ""
    #: None: the source does not say when it began (an imported record; the curated dataset
    #: always dates it). Such an incident is left out of every time-based figure.
    start: PartialDate | None = None
    end: PartialDate | None = None
    #: Empty when the source's incident type has no Accord effect (e.g. EuRepoC's hijacking).
    effects: tuple[Effect, ...] = ()
    target_actors: tuple[RecordId, ...] = ()
    target_countries: tuple[CountryCode, ...] = ()
    target_sectors: tuple[ShortText, ...] = ()
    #: None: not recorded (the source does not say), which is not the same as False.
    critical_infrastructure: bool | None = None
    damage: tuple[Damage, ...] = ()

    @model_validator(mode="after")
    def _end_after_start(self) -> Incident:
        if self.end is None or self.start is None:
            return self
        if self.end.earliest < self.start.earliest:
            raise ValueError("end is before start")
        return self


class Claim(Payload):
    """A claimant says an incident (or a threat group) was done by the accused actor."""

    KIND = Kind.CLAIM
    REFS = {
        "claimant": RefSpec(kinds=(Kind.ACTOR,)),
        "incident": RefSpec(kinds=(Kind.INCIDENT,)),
        "subject": RefSpec(kinds=(Kind.ACTOR,)),
        "accused": RefSpec(kinds=(Kind.ACTOR,)),
    }

    claimant: RecordId
    incident: RecordId | None = None
    subject: RecordId | None = None
    accused: RecordId
    stance: Stance
    kind: ClaimKind
    #: When the claim was made; None: its source does not say (an imported record; the curated
    #: dataset always dates it). Never a guessed day: the analyses never place it in time.
    date: PartialDate | None = None
    confidence: int | None = Field(default=None, ge=0, le=100)
    confidence_words: ShortText | None = None
    evidence: Evidence = Evidence.NONE
    joint_group: ShortText | None = None
    withdrawn: PartialDate | None = None
    summary: LongText = ""
    #: How far the source reaches (territory, state, agency...). None: as far as the accused
    #: actor itself, read from its kind by :func:`level_of` (data recorded before the field).
    level: Level | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> Claim:
        if (self.incident is None) == (self.subject is None):
            raise ValueError("exactly one of incident or subject must be given")
        if (self.stance is Stance.LOCATES) != (self.level is Level.TERRITORY):
            raise ValueError(
                "a claim that traces an operation to a territory ('from the territory of') does "
                "not attribute it: level 'territory' goes with stance 'locates', and only it"
            )
        return self

    def level_reached(self, accused_kind: ActorKind | None) -> Level | None:
        """The level the claim reaches: its own, else the one its accused's kind implies."""
        return self.level if self.level is not None else level_of(accused_kind)

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """E.g. "FBI attributes Sony Pictures hack to North Korea"."""
        who, about = _n(names, self.claimant), _n(names, self.incident or self.subject or "")
        accused = _n(names, self.accused)
        if self.stance is Stance.DENIES:
            return f"{who} denies involvement in {about}"
        if self.stance is Stance.DISPUTES:
            return f"{who} disputes that {accused} was behind {about}"
        if self.stance is Stance.SELF_ATTRIBUTES:
            return f"{who} claims {about}"
        if self.stance is Stance.LOCATES:
            return f"{who} traces {about} to the territory of {accused}"
        return f"{who} attributes {about} to {accused}"


_LEVEL_OF_KIND = {
    ActorKind.STATE: Level.STATE,
    ActorKind.GOVERNMENT_BODY: Level.AGENCY,
    ActorKind.THREAT_GROUP: Level.THREAT_GROUP,
    ActorKind.INDIVIDUAL: Level.INDIVIDUALS,
}


def level_of(kind: ActorKind | str | None) -> Level | None:
    """The level a claim naming an actor of this kind reaches when it states none (a government
    body counts as an agency; a unit says so explicitly), or None for other kinds. Pure."""
    if kind is None:
        return None
    return _LEVEL_OF_KIND.get(ActorKind(kind))


class Response(Payload):
    """A sanction, indictment, expulsion, statement or other answer to an operation."""

    KIND = Kind.RESPONSE
    REFS = {
        "responder": RefSpec(kinds=(Kind.ACTOR,)),
        "targets": RefSpec(kinds=(Kind.ACTOR,), many=True),
        "incident": RefSpec(kinds=(Kind.INCIDENT,)),
    }

    responder: RecordId
    kind: ResponseKind
    targets: tuple[RecordId, ...] = ()
    incident: RecordId | None = None
    date: PartialDate
    instrument: ShortText | None = None
    summary: LongText = ""

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """E.g. "Council of the EU sanction (Council Decision ...)"."""
        suffix = f" ({self.instrument})" if self.instrument else ""
        return f"{_n(names, self.responder)} {self.kind.value}{suffix}"


class Norm(Payload):
    """A norm of state (or industry) behaviour, set by an initiative."""

    KIND = Kind.NORM
    REFS = {
        "initiative": RefSpec(kinds=(Kind.INITIATIVE,)),
        "equivalents": RefSpec(kinds=(Kind.NORM,), many=True),
    }

    code: ShortText
    title_: ShortText = Field(alias="title")
    summary: LongText = ""
    initiative: RecordId
    theme: NormTheme = NormTheme.OTHER
    equivalents: tuple[RecordId, ...] = ()

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """The norm's short title."""
        return self.title_


class Initiative(Payload):
    """A treaty, process, agreement, proposal or strategy of cyber diplomacy."""

    KIND = Kind.INITIATIVE
    REFS = {"conveners": RefSpec(kinds=(Kind.ACTOR,), many=True)}

    name: ShortText
    aliases: tuple[ShortText, ...] = ()
    kind: InitiativeKind
    start: PartialDate | None = None
    end: PartialDate | None = None
    status: InitiativeStatus
    binding: bool
    conveners: tuple[RecordId, ...] = ()
    description: LongText = ""


class Participation(Payload):
    """An actor's part in an initiative, with when it joined and left."""

    KIND = Kind.PARTICIPATION
    REFS = {
        "actor": RefSpec(kinds=(Kind.ACTOR,)),
        "initiative": RefSpec(kinds=(Kind.INITIATIVE,)),
    }

    actor: RecordId
    initiative: RecordId
    role: Role
    joined: PartialDate | None = None
    left: PartialDate | None = None

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """E.g. "United States supporter of Paris Call"."""
        return f"{_n(names, self.actor)} {self.role.value} of {_n(names, self.initiative)}"


class Assessment(Payload):
    """An assessor's judgement that an incident breaches a norm."""

    KIND = Kind.ASSESSMENT
    REFS = {
        "assessor": RefSpec(kinds=(Kind.ACTOR,)),
        "incident": RefSpec(kinds=(Kind.INCIDENT,)),
        "norm": RefSpec(kinds=(Kind.NORM,)),
    }

    assessor: RecordId
    incident: RecordId
    norm: RecordId
    rationale: LongText = Field(min_length=1)
    date: PartialDate | None = None

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """E.g. "NotPetya breaches Critical infrastructure"."""
        return f"{_n(names, self.incident)} breaches {_n(names, self.norm)}"


class EvidenceNote(Payload):
    """Evidence behind another record, marked separately (split disclosure)."""

    KIND = Kind.EVIDENCE
    # Evidence is about any record but other evidence, so a hard-reference chain is at most
    # two links long (evidence → claim → actor): access.visible follows exactly two.
    REFS = {"about": RefSpec(kinds=tuple(k for k in Kind if k is not Kind.EVIDENCE))}

    about: RecordId
    content: LongText = Field(min_length=1)
    kind: Evidence = Evidence.SUMMARY

    def title(self, names: Mapping[str, str] = _NO_NAMES) -> str:
        """E.g. "evidence on FBI attributes ..."."""
        return f"evidence on {_n(names, self.about)}"


PAYLOADS: dict[Kind, type[Payload]] = {
    model.KIND: model
    for model in (
        Actor,
        Incident,
        Claim,
        Response,
        Norm,
        Initiative,
        Participation,
        Assessment,
        EvidenceNote,
    )
}


def hard_depth(kind: Kind) -> int:
    """How many levels of hard references lead from a record of this kind to an entity."""
    if kind not in RELATIONSHIP_KINDS:
        return 0
    targets = {t for spec in PAYLOADS[kind].REFS.values() for t in spec.kinds}
    return 1 + max((hard_depth(t) for t in targets), default=0)


#: The longest chain of hard references (evidence -> claim -> actor: 2), from the payloads'
#: declared references: how deep visibility and the link-end summary must look.
HARD_DEPTH = max(hard_depth(kind) for kind in PAYLOADS)


class Record(_Frozen):
    """A stored record: the envelope every kind shares, around its payload."""

    id: RecordId
    kind: Kind
    marking: Marking
    owner: RecordId
    status: Status
    revision: int = Field(ge=1)
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: Line | None = None
    updated_by: Line | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    shares: tuple[RecordId, ...] = ()
    readers: tuple[Line, ...] = ()
    data: Payload
    name: Line = ""

    @model_validator(mode="after")
    def _default_name(self) -> Record:
        if not self.name:
            object.__setattr__(self, "name", self.data.title()[:500])
        return self

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: envelope fields plus ``data`` (payload) and ``name``."""
        out = self.model_dump(mode="json", exclude={"data"}, by_alias=True)
        out["data"] = self.data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        return out
