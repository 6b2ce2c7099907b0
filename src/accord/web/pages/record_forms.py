"""The forms that file new records, one mechanism for every kind a contributor files (claims,
incidents, responses, participations).

A form is a :class:`RecordForm`: the payload fields it offers, in order, with a label and a
hint. How each field is entered (a text box, a list of choices, checkboxes, a yes/no/unknown
choice, a reference by name or id) and whether it is required is read from the domain's payload
model (:data:`accord.domain.records.PAYLOADS`), so a form follows the model when it changes.
Pure: reading a submitted form and writing the record are in :mod:`filing`.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, Union, get_args, get_origin

from annotated_types import MaxLen
from pydantic import BaseModel, HttpUrl

from accord.domain.dates import PartialDate
from accord.domain.records import PAYLOADS, CountryCode, Payload, Source
from accord.domain.vocab import Kind, Marking

Widget = Literal[
    "text", "textarea", "number", "url", "date", "select", "checkboxes", "tristate", "yesno",
    "ref", "refs", "lines", "codes",
]  # fmt: skip
#: Widgets whose value is a list of strings (the others hold one string).
MANY: frozenset[str] = frozenset({"checkboxes", "refs", "lines", "codes"})
#: Free text longer than a line (the domain's LongText) is entered in a text area.
_LINE_LENGTH = 500
_DATE_HINT = "YYYY, YYYY-MM or YYYY-MM-DD: as precise as is known."


@dataclass(frozen=True)
class Field:
    """One field of a form: its name (the model's), how it is entered, and what it accepts."""

    name: str
    label: str
    widget: Widget
    required: bool = False
    hint: str = ""
    #: The values a select or checkboxes offer.
    choices: tuple[str, ...] = ()
    #: The kinds of record a reference may name.
    kinds: tuple[Kind, ...] = ()

    @property
    def many(self) -> bool:
        """Whether the field holds a list of values."""
        return self.widget in MANY

    @property
    def datalist(self) -> str | None:
        """The id of the list of names a reference field suggests (one per kind set)."""
        return "list-" + "-".join(k.value for k in self.kinds) if self.kinds else None


@dataclass(frozen=True)
class Section:
    """A group of fields shown together (a fieldset with a legend)."""

    legend: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class RecordForm:
    """The form that files one kind of record at ``/contribute/{slug}``."""

    kind: Kind
    slug: str
    title: str
    #: What the record is, in a sentence, above the form.
    intro: str
    #: "claim", "incident"...: how the page names what it files.
    noun: str
    #: The payload's fields (the record's own), then the source and sharing sections.
    payload: Section
    #: Payload fields a link may fill in from the query string (``?incident=wannacry``).
    prefill: tuple[str, ...] = ()
    #: Payload fields that name the contributor's own organisation until changed.
    own: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        """Where the form is served and posted."""
        return f"/contribute/{self.slug}"

    @property
    def sections(self) -> tuple[Section, ...]:
        """Every section, the payload first."""
        return (self.payload, SOURCE, SHARING)

    @property
    def fields(self) -> tuple[Field, ...]:
        """Every field of every section, in order."""
        return tuple(f for s in self.sections for f in s.fields)

    @property
    def references(self) -> tuple[Field, ...]:
        """The payload fields that name other records."""
        return tuple(f for f in self.payload.fields if f.kinds)


def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True); anything else → (it, False)."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return annotation, False


def _is_enum(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, Enum)


def _widget(model: type[BaseModel], name: str) -> tuple[Widget, tuple[str, ...], tuple[Kind, ...]]:
    """How a model field is entered: its widget, its choices and the kinds it may reference."""
    refs = getattr(model, "REFS", {}).get(name)
    if refs is not None:
        return ("refs" if refs.many else "ref"), (), refs.kinds
    info = model.model_fields[name]
    inner, optional = _unwrap_optional(info.annotation)
    if get_origin(inner) is tuple:
        item = get_args(inner)[0]
        if _is_enum(item):
            return "checkboxes", tuple(str(v.value) for v in item), ()
        return ("codes" if item == CountryCode else "lines"), (), ()
    if _is_enum(inner):
        return "select", tuple(str(v.value) for v in inner), ()
    if inner is bool:
        return ("tristate" if optional else "yesno"), (), ()
    if inner is PartialDate:
        return "date", (), ()
    if inner is int:
        return "number", (), ()
    if inner is HttpUrl:
        return "url", (), ()
    long = any(isinstance(m, MaxLen) and m.max_length > _LINE_LENGTH for m in info.metadata)
    return ("textarea" if long else "text"), (), ()


def field(
    model: type[BaseModel], name: str, label: str, hint: str = "", *, prefix: str = ""
) -> Field:
    """The form field for the model's field ``name`` (named ``prefix + name`` in the form):
    widget, choices, referenced kinds and whether it is required, all read from the model."""
    widget, choices, kinds = _widget(model, name)
    if not hint:
        hint = {
            "date": _DATE_HINT,
            "refs": "One a line: each a name or an id.",
            "lines": "One a line.",
            "codes": "Two-letter ISO 3166 country codes, e.g. UA, GE.",
            "tristate": "Leave “unknown” when the sources do not say.",
        }.get(widget, "")
    elif widget == "date":
        hint = f"{hint} {_DATE_HINT}"
    return Field(
        name=prefix + name,
        label=label,
        widget=widget,
        required=model.model_fields[name].is_required(),
        hint=hint,
        choices=choices,
        kinds=kinds,
    )


def _payload(kind: Kind, legend: str, *fields: tuple[str, str, str]) -> Section:
    model: type[Payload] = PAYLOADS[kind]
    return Section(legend, tuple(field(model, name, label, hint) for name, label, hint in fields))


SOURCE = Section(
    "Source",
    tuple(
        field(Source, name, label, hint, prefix="source_")
        for name, label, hint in (
            ("title", "Title", "The document's own title."),
            ("publisher", "Publisher", ""),
            ("url", "URL", "Where a reader can check it."),
            ("date", "Date", ""),
        )
    ),
)
SHARING = Section(
    "Sharing",
    (
        Field(
            "marking",
            "TLP marking",
            "select",
            required=True,
            choices=tuple(m.value for m in Marking),
            hint="CLEAR: anyone. GREEN: every signed-in member. AMBER: your organisation and "
            "those you share with. AMBER+STRICT: your organisation only. RED: the named people "
            "only.",
        ),
        Field(
            "shares",
            "Share with organisations (for AMBER)",
            "text",
            hint="Their names or ids, separated by commas.",
        ),
        Field(
            "readers",
            "Named readers (emails, for RED)",
            "text",
            hint="You are always a reader of what you mark RED.",
        ),
    ),
)

CLAIM = RecordForm(
    kind=Kind.CLAIM,
    slug="claim",
    title="New attribution claim or dispute",
    intro="Record what someone said about who did an incident, with its source.",
    noun="claim",
    prefill=("incident", "subject", "accused"),
    own=("claimant",),
    payload=_payload(
        Kind.CLAIM,
        "The claim",
        ("incident", "Incident", "The incident the claim is about: its name or id."),
        ("subject", "Or: threat group", "Instead of an incident, the group the claim is about."),
        ("claimant", "Claimant", "Who made the claim; your own organisation by default."),
        ("stance", "Stance", "“Disputes” records a dispute of an attribution."),
        ("accused", "Accused actor", "Its name or id."),
        ("level", "Level", "How far the source reaches; “territory” goes with stance “locates”."),
        ("kind", "Kind of claim", ""),
        ("date", "Date of the claim", ""),
        (
            "confidence",
            "Confidence (0 to 100)",
            "STIX scale; leave empty if the claimant gave none.",
        ),
        ("confidence_words", "Confidence in the source's words", ""),
        ("evidence", "Evidence disclosed", ""),
        ("joint_group", "Joint statement group", ""),
        ("summary", "Summary (your own words)", ""),
    ),
)
INCIDENT = RecordForm(
    kind=Kind.INCIDENT,
    slug="incident",
    title="New incident",
    intro="Record a cyber operation: what happened, when, and whom it hit. Who did it is "
    "recorded separately, as attribution claims.",
    noun="incident",
    payload=_payload(
        Kind.INCIDENT,
        "The incident",
        ("name", "Name", "The name it is best known by."),
        ("aliases", "Other names", ""),
        ("start", "Start", "When it began."),
        ("end", "End", "When it ended, if it did."),
        ("effects", "Effects", ""),
        ("target_actors", "Targets (actors)", ""),
        ("target_countries", "Target countries", ""),
        ("target_sectors", "Target sectors", "One a line, e.g. energy."),
        ("critical_infrastructure", "Critical infrastructure hit", ""),
        ("description", "Description (your own words)", ""),
    ),
)
RESPONSE = RecordForm(
    kind=Kind.RESPONSE,
    slug="response",
    title="New response",
    intro="Record a sanction, indictment, expulsion, statement or other answer to an operation.",
    noun="response",
    prefill=("incident", "responder", "targets"),
    payload=_payload(
        Kind.RESPONSE,
        "The response",
        ("responder", "Responder", "Who responded: a name or an id."),
        ("kind", "Kind of response", ""),
        ("incident", "Incident", "The incident it answers, if one: its name or id."),
        ("targets", "Targets", "Whom it is aimed at, one a line: each a name or an id."),
        ("date", "Date", ""),
        ("instrument", "Instrument", "E.g. the legal act or case number."),
        ("summary", "Summary (your own words)", ""),
    ),
)
PARTICIPATION = RecordForm(
    kind=Kind.PARTICIPATION,
    slug="participation",
    title="New participation",
    intro="Record that an actor takes part in an initiative, in which role, and since when.",
    noun="participation",
    prefill=("actor", "initiative"),
    payload=_payload(
        Kind.PARTICIPATION,
        "The participation",
        ("actor", "Actor", "Who takes part: a name or an id."),
        ("initiative", "Initiative", "Its name or id."),
        ("role", "Role", ""),
        ("joined", "Joined", ""),
        ("left", "Left", "Leave empty while it takes part."),
    ),
)

#: Every form, by its slug.
FORMS: dict[str, RecordForm] = {f.slug: f for f in (CLAIM, INCIDENT, RESPONSE, PARTICIPATION)}
