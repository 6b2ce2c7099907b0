"""Filing a record from a form (:mod:`record_forms`): what was typed, every error at once.

:func:`read` keeps what the user typed, as typed, to show it again. :func:`submit` checks the
whole form before anything is written: each reference resolved by id or name among the records
the viewer may see, the payload and the source validated by the domain's models (pydantic
reports every field), the organisations to share with and the named readers looked up. Only a
form without a problem reaches :meth:`KnowledgeBase.create`, always as a draft request: the
write rules (:mod:`accord.access`) decide who may create and the status a record starts with,
and any error they raise is shown next to its field too.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import func

from accord import accounts
from accord.access import Viewer
from accord.domain.inputs import message_of
from accord.domain.records import PAYLOADS, Record, Source
from accord.domain.vocab import Kind, Marking, Status
from accord.errors import BadRequest, Conflict, Forbidden, InvalidInput, NotFound
from accord.kb import KnowledgeBase
from accord.store.schema import records
from accord.web.pages import forms
from accord.web.pages.record_forms import Field, RecordForm

#: Stands in for a reference that did not resolve, so the model still checks the rest.
_UNRESOLVED = "unresolved"
#: How many names a "did you mean" offers.
_SUGGESTIONS = 3

Values = dict[str, str | list[str]]
#: Plainer words for pydantic's messages a form meets most.
_MESSAGES = {
    "missing": "required",
    "url_parsing": "not a web address: give it in full, starting with https://",
    "url_scheme": "not a web address: give it in full, starting with https://",
}


@dataclass
class Filing:
    """A submitted form: what was typed, the errors by field, and the record once created."""

    values: Values
    errors: dict[str, str] = field(default_factory=dict)
    record: Record | None = None
    #: The HTTP status of the form shown again with its errors.
    status: int = 422

    def fail(self, name: str, message: str) -> None:
        """Note an error on a field (the first one a field gets is the one shown)."""
        self.errors.setdefault(name, message)


def read(form: RecordForm, submitted: Any) -> Values:
    """What the user typed in each field of the form, as typed (lists for the fields that
    hold several values). ``submitted`` is the request's form data (``getlist`` and ``get``)."""
    values: Values = {}
    for f in form.fields:
        if f.widget == "checkboxes":
            values[f.name] = [v for v in submitted.getlist(f.name) if isinstance(v, str)]
        else:
            raw = submitted.get(f.name)
            values[f.name] = raw if isinstance(raw, str) else ""
    return values


def _items(f: Field, value: str | list[str]) -> list[str]:
    """The entries of a field that holds several values."""
    if isinstance(value, list):
        return [v.strip() for v in value if v.strip()]
    if f.widget == "codes":
        return [c.upper() for c in value.replace(",", " ").split()]
    return [line.strip() for line in value.splitlines() if line.strip()]


def _a(word: str) -> str:
    """The word with its indefinite article: "an actor", "a claim"."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def resolve(kb: KnowledgeBase, viewer: Viewer, text: str, kinds: tuple[Kind, ...]) -> str:
    """The id of the record of one of ``kinds`` that ``text`` names: its id, else its exact name
    (ignoring case), else one of its aliases. Looks only at records the viewer may see, so the
    answer never depends on a hidden one. Raises InvalidInput for no match or several, with
    suggestions. Read-only."""
    what = " or ".join(k.value for k in kinds)
    by_id = kb.get_many([text], viewer).get(text)
    if by_id is not None:
        if by_id.kind in kinds:
            return by_id.id
        raise InvalidInput(f"“{by_id.name}” ({text}) is {_a(by_id.kind.value)}, not {_a(what)}")
    named, _ = kb.find(
        viewer,
        [records.c.kind.in_([k.value for k in kinds]), func.lower(records.c.name) == text.lower()],
        (records.c.id,),
        10,
    )
    exact = [r for r in named if r.name.casefold() == text.casefold()]
    if len(exact) == 1:
        return exact[0].id
    if exact:
        ids = ", ".join(r.id for r in exact)
        raise InvalidInput(f"“{text}” names {len(exact)} records: give the id of one ({ids})")
    hits = []
    with suppress(BadRequest):  # text without a word to search for
        hits = [h.record for h in kb.search(text, viewer, kinds=list(kinds), limit=10)]
    aliased = [
        r for r in hits if text.casefold() in (a.casefold() for a in getattr(r.data, "aliases", ()))
    ]
    if len(aliased) == 1:
        return aliased[0].id
    near = "; ".join(r.name for r in hits[:_SUGGESTIONS])
    hint = f" Did you mean: {near}?" if near else ""
    raise InvalidInput(f"no {what} you may see is named “{text}” or has it as its id.{hint}")


def validate(
    model: type[BaseModel], data: Mapping[str, Any], filing: Filing, prefix: str = ""
) -> None:
    """Note every error the model finds in ``data`` on the form field it concerns; an error about
    the whole record goes to the first field its message names (else to the form)."""
    try:
        model.model_validate(dict(data))
    except ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc", ())
            message = _MESSAGES.get(str(error.get("type"))) or message_of(error)
            if loc:
                filing.fail(f"{prefix}{loc[0]}", message)
            else:
                filing.fail(_named_in(message, data, model, prefix), message)


def _named_in(message: str, data: Mapping[str, Any], model: type[BaseModel], prefix: str) -> str:
    """The field a whole-record message names first ("end is before start" → end)."""
    words = message.replace("'", " ").replace(",", " ").split()
    for word in words:
        if word in model.model_fields:
            return f"{prefix}{word}"
    return "form"


def _payload(kb: KnowledgeBase, viewer: Viewer, form: RecordForm, filing: Filing) -> dict[str, Any]:
    """The payload the form describes, references resolved; problems noted on ``filing``."""
    data: dict[str, Any] = {}
    for f in form.payload.fields:
        value = filing.values.get(f.name, "")
        if f.many:
            entries = _items(f, value)
            if f.kinds:
                entries = [_reference(kb, viewer, f, e, filing) for e in entries]
            if entries:
                data[f.name] = entries
            continue
        text = value.strip() if isinstance(value, str) else ""
        if not text:
            continue
        if f.kinds:
            data[f.name] = _reference(kb, viewer, f, text, filing)
        elif f.widget in ("tristate", "yesno"):
            if text not in ("yes", "no"):
                filing.fail(f.name, "choose yes or no (or leave it unknown)")
            else:
                data[f.name] = text == "yes"
        elif f.widget == "number":
            data[f.name] = int(text) if text.isdigit() else text
        else:
            data[f.name] = text
    validate(PAYLOADS[form.kind], data, filing)
    return data


def _reference(kb: KnowledgeBase, viewer: Viewer, f: Field, text: str, filing: Filing) -> str:
    try:
        return resolve(kb, viewer, text, f.kinds)
    except InvalidInput as exc:
        filing.fail(f.name, exc.message)
        return _UNRESOLVED


def _source(filing: Filing) -> list[dict[str, str]]:
    """The one source the form cites, validated field by field."""
    source = {
        name.removeprefix("source_"): value.strip()
        for name, value in filing.values.items()
        if name.startswith("source_") and isinstance(value, str) and value.strip()
    }
    validate(Source, source, filing, prefix="source_")
    return [source]


def _sharing(kb: KnowledgeBase, viewer: Viewer, filing: Filing) -> tuple[str, list[str], list[str]]:
    """The marking, the organisations to share with and the named readers' ids."""
    marking = str(filing.values.get("marking") or "").strip() or Marking.AMBER.value
    if marking not in {m.value for m in Marking}:
        filing.fail("marking", f"“{marking}” is not a TLP marking")
    shares: list[str] = []
    unknown: list[str] = []
    for ref in str(filing.values.get("shares") or "").replace("\n", ",").split(","):
        if not ref.strip():
            continue
        try:
            shares.append(accounts.find_org(kb, ref.strip()))
        except NotFound:
            unknown.append(ref.strip())
    if unknown:
        filing.fail(
            "shares", "no organisation has the name or id " + ", ".join(f"“{u}”" for u in unknown)
        )
    readers: list[str] = []
    try:
        names = forms.id_list(str(filing.values.get("readers") or ""))
        readers = accounts.named_readers(kb, viewer, names)
    except InvalidInput as exc:
        filing.fail("readers", exc.message)
    return marking, shares, readers


def submit(kb: KnowledgeBase, viewer: Viewer, form: RecordForm, submitted: Any) -> Filing:
    """Check the submitted form whole and, when nothing is wrong, create the record as a draft
    request (the write rules decide its status). Writes one record (one revision and audit
    entry) or nothing; returns what was typed, every error by field, and the record."""
    filing = Filing(read(form, submitted))
    data = _payload(kb, viewer, form, filing)
    sources = _source(filing)
    marking, shares, readers = _sharing(kb, viewer, filing)
    if filing.errors:
        return filing
    raw = {
        "kind": form.kind.value,
        "data": data,
        "sources": sources,
        "marking": marking,
        "status": Status.DRAFT.value,
        "shares": shares,
        "readers": readers,
    }
    try:
        filing.record = kb.create(raw, viewer)
    except (InvalidInput, Forbidden, NotFound, Conflict) as exc:
        name = forms.field_of(exc)
        filing.fail(name if name in filing.values else "form", exc.message)
        filing.status = exc.status
    return filing


def check_edit(
    kb: KnowledgeBase, viewer: Viewer, record: Record, submitted: Any, patch: Mapping[str, Any]
) -> tuple[Filing, str, list[str]]:
    """Check an edit form whole before anything is written: the record's payload with the
    patch applied (every field pydantic finds wrong), the marking and the organisations to
    share with (names or ids). Returns what was typed with every error by field, the marking
    (the record's own when none was given) and the organisations' ids. Read-only."""
    values: Values = {k: v for k, v in submitted.items() if isinstance(v, str)}
    values["marking"] = str(values.get("marking") or "").strip() or record.marking.value
    filing = Filing(values)
    payload = record.data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    validate(PAYLOADS[record.kind], {**payload, **patch}, filing)
    marking, shares, _ = _sharing(kb, viewer, filing)
    return filing, marking, shares
