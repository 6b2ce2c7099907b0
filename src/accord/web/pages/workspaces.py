"""Coordination workspaces on the web (issue 18): the list, the owner's form, the owner's
dashboard, the invitee's envelope and the participant's view, and every act as a form.

Thin, like the other pages: each page calls :mod:`accord.workspaces.service` as the signed-in
viewer, which decides what the viewer sees and may do; a workspace the viewer may not see is
the service's 404, rendered as the same error page as a workspace that does not exist. Every
POST passes the CSRF check of :func:`page_router` and redirects to the workspace, or shows the
page again with each error beside its field and what was typed kept (the record forms'
mechanism: :class:`accord.web.pages.filing.Filing` and the ``_forms.html`` macros).

Times are shown in the reader's time zone and in UTC, always both. The zone is the one the
reader chose (a cookie set by ``POST /workspaces/timezone``, or ``?tz=``), else UTC. A time is
entered either in that zone (``2027-03-01 10:00``) or with its offset (``2027-03-01T09:00Z``);
a local time that does not exist or happens twice in the zone (the clocks change) is refused
with a request for the offset, never guessed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord import accounts
from accord.access import Viewer
from accord.domain.vocab import ClaimKind, Kind, Level, Marking, Stance
from accord.errors import (
    AccordError,
    BadRequest,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthenticated,
)
from accord.kb import KnowledgeBase
from accord.web.deps import KB, CurrentViewer
from accord.web.pages import forms
from accord.web.pages.filing import Filing, resolve
from accord.web.pages.routing import page_router
from accord.web.pages.templating import page
from accord.workspaces import service
from accord.workspaces.model import Position, Wording, parse_instant, zone_named
from accord.workspaces.notify import Mode

#: The cookie that keeps the reader's time zone (a display preference, nothing else).
ZONE_COOKIE = "accord_tz"
UTC = ZoneInfo("UTC")
#: Invitation rows the owner's form shows at first, and the most it accepts.
INVITEE_ROWS = 3
MAX_INVITEE_ROWS = 200
#: The owner's form: its fields in order, with their labels (the error summary's links).
NEW_LABELS = {
    "incident": "Incident",
    "accused": "Accused actor",
    "level": "Level",
    "text": "Draft statement",
    "embargo_end": "Embargo end",
    "title": "Topic",
    "marking": "Marking",
}
WORKSPACE_MARKINGS = [m.value for m in service.WORKSPACE_MARKINGS]
LEVELS = [v.value for v in Level]
POSITIONS = [p.value for p in Position]
STANCES = [s.value for s in Stance]
CLAIM_KINDS = [k.value for k in ClaimKind]
#: The position form's own-wording fields, and the Wording attribute each fills.
WORDING_FIELDS = {
    "w_stance": "stance",
    "w_level": "level",
    "w_kind": "kind",
    "w_confidence_words": "confidence_words",
    "w_source_url": "source_url",
}


# -- time ----------------------------------------------------------------------------------------


def zone_of(request: Request) -> ZoneInfo:
    """The reader's time zone: ``?tz=``, else the cookie, else UTC (an unknown name is UTC)."""
    asked = request.query_params.get("tz") or request.cookies.get(ZONE_COOKIE) or ""
    try:
        return zone_named(asked.strip()) or UTC
    except BadRequest:
        return UTC


@lru_cache(maxsize=1)
def zone_names() -> list[str]:
    """The IANA zone names a reader may choose from, sorted."""
    return sorted(n for n in available_timezones() if "/" in n or n == "UTC")


def read_moment(text: str, zone: ZoneInfo, field: str) -> dt.datetime:
    """An instant typed in a form: with an offset (``…Z``, ``…+01:00``) as given, else read in
    ``zone``. A local time the zone skips or repeats (a change of the clocks) is refused: the
    offset must then be given. Pure."""
    value = text.strip()
    if not value:
        raise InvalidInput("required", field=field)
    try:
        moment = dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise InvalidInput(
            f"“{value}” is not a date and time: write it as 2027-03-01 10:00 (in {zone.key}) "
            "or with its offset, as 2027-03-01T09:00Z (UTC)",
            field=field,
        ) from exc
    if moment.tzinfo is not None:
        return parse_instant(moment, field)
    early, late = moment.replace(tzinfo=zone, fold=0), moment.replace(tzinfo=zone, fold=1)
    if early.utcoffset() != late.utcoffset():
        back = early.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
        what = "does not exist" if back != moment else "happens twice"
        raise InvalidInput(
            f"{value} {what} in {zone.key} (the clocks change): give it with its UTC offset, "
            "e.g. 2027-03-28T02:30+01:00",
            field=field,
        )
    return parse_instant(early, field)


def both(moment: dt.datetime, zone: ZoneInfo) -> dict[str, str]:
    """An instant as the templates show it: in UTC and in the reader's zone. Pure."""
    shown = {"utc": moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()}
    shown["utc"] = shown["utc"].replace("+00:00", "Z")
    shown["local"] = moment.astimezone(zone).replace(microsecond=0).isoformat()
    shown["zone"] = zone.key
    return shown


def typed(moment: dict[str, str] | None) -> str:
    """An instant as the forms pre-fill it: the reader's local time, to the minute."""
    if not moment:
        return ""
    local = moment.get("local") or moment["utc"]
    return local[:10] + " " + local[11:16]


# -- helpers -------------------------------------------------------------------------------------


def _signed_in(request: Request, viewer: Viewer) -> None:
    """The workspace pages need a browser session: their forms carry its CSRF token."""
    if not viewer.authenticated or request.scope.get("accord.session_user") is None:
        raise Unauthenticated("sign in to see your workspaces (with an API token, use /api/v1)")


def _back(workspace_id: str, anchor: str = "") -> Response:
    return RedirectResponse(f"/workspaces/{workspace_id}{anchor}", status_code=303)


def _local_path(target: str) -> str:
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/workspaces"


def _values(submitted: Any) -> dict[str, str]:
    """Every text field of a submitted form, as typed."""
    return {k: v for k, v in submitted.items() if isinstance(v, str) and k != "csrf_token"}


async def _submitted(request: Request) -> Filing:
    """The request's submitted form, as typed."""
    return Filing(dict(_values(await request.form())))


def _field(filing: Filing, name: str) -> str:
    """A text field as typed, without its surrounding spaces ("" when absent)."""
    return str(filing.values.get(name) or "").strip()


def _required(filing: Filing, name: str, message: str = "required") -> str:
    """A text field that must be filled in: its text, or "" with ``message`` noted."""
    text = _field(filing, name)
    if not text:
        filing.fail(name, message)
    return text


def _names(filing: Filing, name: str) -> list[str]:
    """The comma-separated names of a field (names may hold spaces)."""
    return [n.strip() for n in _field(filing, name).split(",") if n.strip()]


def _suggestions(kb: KnowledgeBase, viewer: Viewer) -> dict[str, list[tuple[str, str]]]:
    """The names the incident and accused fields suggest: visible records of those kinds (by id
    when two share a name)."""
    lists: dict[str, list[tuple[str, str]]] = {}
    for kind in (Kind.INCIDENT, Kind.ACTOR):
        found = list(kb.iter_records(viewer, kind=kind))
        seen: dict[str, int] = {}
        for r in found:
            seen[r.name.casefold()] = seen.get(r.name.casefold(), 0) + 1
        lists[f"ws-{kind.value}"] = sorted(
            ((r.id if seen[r.name.casefold()] > 1 else r.name, r.name) for r in found),
            key=lambda pair: (pair[1].casefold(), pair[0]),
        )
    return lists


def _reference(
    kb: KnowledgeBase, viewer: Viewer, filing: Filing, name: str, kind: Kind
) -> str | None:
    """The id a reference field names (by name or id, among visible records)."""
    text = _required(filing, name)
    if not text:
        return None
    try:
        return resolve(kb, viewer, text, (kind,))
    except InvalidInput as exc:
        filing.fail(name, exc.message)
        return None


def _moment(
    filing: Filing, name: str, zone: ZoneInfo, now: dt.datetime, *, required: bool = True
) -> dt.datetime | None:
    """An instant in the future from a time field, or None with the error noted."""
    text = str(filing.values.get(name) or "")
    if not text.strip() and not required:
        return None
    try:
        moment = read_moment(text, zone, name)
    except InvalidInput as exc:
        filing.fail(name, exc.message)
        return None
    if moment <= now:
        filing.fail(name, "the time must be in the future")
        return None
    return moment


def _previews(filing: Filing, names: Sequence[str], zone: ZoneInfo) -> dict[str, dict[str, str]]:
    """For each time field that reads as an instant, the instant in both zones (shown beside
    the field when the form comes back)."""
    shown = {}
    for name in names:
        text = str(filing.values.get(name) or "")
        try:
            shown[name] = both(read_moment(text, zone, name), zone)
        except InvalidInput:
            continue
    return shown


def _fail(filing: Filing, exc: AccordError, fields: Mapping[str, str], fallback: str) -> None:
    """Note a service error on the form field it names (``fields`` maps the service's field
    names to the form's), else on ``fallback``."""
    name = exc.field or ""
    filing.fail(fields.get(name, fallback), exc.message)
    filing.status = exc.status


# -- the owner's form ----------------------------------------------------------------------------


def _rows(values: Mapping[str, object]) -> int:
    """How many invitation rows a submitted form had."""
    found = [
        int(m.group(1)) for k in values if (m := re.fullmatch(r"invitee_(?:org|deadline)_(\d+)", k))
    ]
    return min(max([INVITEE_ROWS, *found]), MAX_INVITEE_ROWS)


def _check_new(
    kb: KnowledgeBase, viewer: Viewer, zone: ZoneInfo, filing: Filing
) -> dict[str, Any] | None:
    """Check the whole owner's form; the service's arguments when nothing is wrong."""
    v = filing.values
    now = kb.now()
    incident = _reference(kb, viewer, filing, "incident", Kind.INCIDENT)
    accused = _reference(kb, viewer, filing, "accused", Kind.ACTOR)
    level = str(v.get("level") or "")
    if level not in LEVELS:
        filing.fail("level", "choose how far the statement reaches")
    marking = str(v.get("marking") or "")
    if marking not in WORKSPACE_MARKINGS:
        filing.fail("marking", "a workspace is AMBER, AMBER+STRICT or RED until it publishes")
    text = _required(filing, "text")
    if len(text) > service.MAX_TEXT:
        filing.fail("text", f"at most {service.MAX_TEXT} characters")
    title = _field(filing, "title")
    if len(title) > 500:
        filing.fail("title", "at most 500 characters")
    end = _moment(filing, "embargo_end", zone, now)
    invitees: list[service.Invitee] = []
    chosen: set[str] = set()
    for i in range(1, _rows(v) + 1):
        org_field, when_field = f"invitee_org_{i}", f"invitee_deadline_{i}"
        ref = _field(filing, org_field)
        if not ref and not _field(filing, when_field):
            continue
        org = None
        if not ref:
            filing.fail(org_field, "name the organisation this deadline is for")
        else:
            try:
                org = accounts.find_org(kb, ref)
            except NotFound:
                filing.fail(org_field, f"no organisation has the name or id “{ref}”")
            if org is not None and org == viewer.org_id:
                filing.fail(
                    org_field, "your organisation owns the workspace: it takes part already"
                )
            elif org is not None and org in chosen:
                filing.fail(org_field, "this organisation is invited on another row already")
            elif org is not None:
                chosen.add(org)
        deadline = _moment(filing, when_field, zone, now)
        if deadline is not None and end is not None and deadline > end:
            filing.fail(when_field, "an answer deadline must not fall after the embargo end")
        if org is not None and deadline is not None:
            invitees.append(service.Invitee(org, deadline))
    if filing.errors:
        return None
    assert incident is not None
    assert accused is not None
    assert end is not None
    return {
        "incident": incident,
        "accused": accused,
        "level": Level(level),
        "text": text,
        "embargo_end": end,
        "title": title or None,
        "marking": Marking(marking),
        "invitees": invitees,
    }


def _new_form(
    request: Request,
    kb: KnowledgeBase,
    viewer: Viewer,
    filing: Filing,
    rows: int,
    status_code: int = 200,
) -> Response:
    zone = zone_of(request)
    times = ["embargo_end", *(f"invitee_deadline_{i}" for i in range(1, rows + 1))]
    return page(
        request,
        "workspace_new.html",
        viewer=viewer,
        status_code=status_code,
        values=filing.values,
        errors=filing.errors,
        rows=rows,
        labels={
            **NEW_LABELS,
            **{f"invitee_org_{i}": f"Organisation {i}" for i in range(1, rows + 1)},
            **{f"invitee_deadline_{i}": f"Answer deadline {i}" for i in range(1, rows + 1)},
        },
        levels=LEVELS,
        markings=WORKSPACE_MARKINGS,
        lists=_suggestions(kb, viewer),
        previews=_previews(filing, times, zone) if filing.errors else {},
        zone=zone.key,
        zones=zone_names(),
    )


def _check_reviewer(viewer: Viewer) -> None:
    if viewer.role is None or not viewer.role.can_review:
        raise Forbidden("only reviewers of an organisation may open a workspace")


# -- the workspace page --------------------------------------------------------------------------


def _diff(old: str, new: str) -> list[tuple[str, str]]:
    """A word-level diff of two texts: ("same" | "del" | "ins", text) pieces. Pure."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("del", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


def _revisions(revisions: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> list[Any]:
    """Each revision, newest first, with what changed since the one before. Pure."""
    shown = []
    previous: Mapping[str, Any] | None = None
    for rev in revisions:
        changes: list[dict[str, Any]] = []
        if previous is not None:
            if rev["text"] != previous["text"]:
                changes.append({"what": "text", "diff": _diff(previous["text"], rev["text"])})
            if rev["accused"] != previous["accused"]:
                changes.append(
                    {
                        "what": "accused",
                        "old": names.get(previous["accused"], "an actor you may not see"),
                        "new": names.get(rev["accused"], "an actor you may not see"),
                    }
                )
            if rev["level"] != previous["level"]:
                changes.append({"what": "level", "old": previous["level"], "new": rev["level"]})
            if rev["embargo_end"] != previous["embargo_end"]:
                changes.append(
                    {
                        "what": "embargo end",
                        "old_when": previous["embargo_end"],
                        "new_when": rev["embargo_end"],
                    }
                )
        shown.append({**rev, "changes": changes})
        previous = rev
    return list(reversed(shown))


def _render(
    request: Request,
    kb: KnowledgeBase,
    viewer: Viewer,
    workspace_id: str,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
    visit: bool = False,
) -> Response:
    """The workspace as the viewer may see it: the envelope, or the statement and the
    viewer's forms (the owner's dashboard too). The service's 404 for anyone else."""
    zone = zone_of(request)
    view = service.show(kb, viewer, workspace_id, zone)
    if visit:
        service.visit(kb, viewer, workspace_id)
    common: dict[str, Any] = {
        "viewer": viewer,
        "status_code": status_code,
        "ws": view,
        "errors": dict(errors or {}),
        "zone": zone.key,
        "zones": zone_names(),
    }
    if view["access"] == "envelope":
        return page(request, "workspace_envelope.html", **common)
    owner_side = view["access"] in ("manager", "owner_member")
    refs = {view["incident"], *(r["accused"] for r in view["revisions"])}
    lag = view.get("lag") or {}
    first = (lag.get("first_public_claim") or {}).get("id")
    if first:
        refs.add(first)
    records = kb.get_many(refs, viewer)
    names = {rid: r.name for rid, r in records.items()}
    statement = view["statement"]
    own = view.get("position") or {}
    wording = own.get("wording") or {}
    filled = {
        "rev_text": statement["text"],
        "rev_accused": names.get(statement["accused"], statement["accused"]),
        "rev_level": statement["level"],
        "rev_embargo_end": typed(statement["embargo_end"]),
        "position": "",
        "wording": wording.get("text") or "",
        "ev_marking": view["marking"],
        **{name: wording.get(attr) or "" for name, attr in WORDING_FIELDS.items()},
    }
    dashboard = service.dashboard(kb, viewer, workspace_id, zone) if owner_side else None
    evidence = service.list_evidence(kb, viewer, workspace_id, zone)
    threads = service.list_threads(kb, viewer, workspace_id, zone)
    org_names = {p["org"]: p["name"] for p in (dashboard or {}).get("participants", [])}
    return page(
        request,
        "workspace.html",
        **common,
        values={**filled, **(values or {})},
        names=names,
        incident=records.get(view["incident"]),
        first_claim=records.get(first) if first else None,
        revisions=_revisions(view["revisions"], names),
        dashboard=dashboard,
        evidence=evidence,
        threads=threads,
        evidence_markings=WORKSPACE_MARKINGS,
        org_names=org_names,
        owner_side=owner_side,
        manager=view["access"] == "manager",
        reviewer=viewer.role is not None and viewer.role.can_review,
        writer=viewer.role is not None and viewer.role.can_write,
        levels=LEVELS,
        positions=POSITIONS,
        stances=STANCES,
        claim_kinds=CLAIM_KINDS,
        lists=_suggestions(kb, viewer) if view["access"] == "manager" else {},
        notifications=service.notification_settings(kb, viewer, workspace_id),
        notification_modes=[m.value for m in Mode],
    )


def _wording(filing: Filing) -> Wording:
    """A joiner's own terms from the position form; bad choices noted on their fields."""
    chosen: dict[str, Any] = {}
    for name, attr, enum in (
        ("w_stance", "stance", Stance),
        ("w_level", "level", Level),
        ("w_kind", "kind", ClaimKind),
    ):
        value = _field(filing, name)
        if not value:
            continue
        try:
            chosen[attr] = enum(value)
        except ValueError:
            filing.fail(name, f"“{value}” is not one of the choices")
    for name, attr in (("w_confidence_words", "confidence_words"), ("w_source_url", "source_url")):
        value = _field(filing, name)
        if value:
            chosen[attr] = value
    return Wording(text=_field(filing, "wording") or None, **chosen)


# -- routes --------------------------------------------------------------------------------------


def build_router() -> APIRouter:
    """GET /workspaces, /workspaces/new, /workspaces/{id}; POST the acts on a workspace."""
    router = page_router()

    @router.get("/workspaces", response_class=HTMLResponse)
    def listing(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        zone = zone_of(request)
        items = service.list_for(kb, viewer, zone)
        return page(
            request,
            "workspaces.html",
            viewer=viewer,
            items=items,
            zone=zone.key,
            zones=zone_names(),
            reviewer=viewer.role is not None and viewer.role.can_review,
        )

    @router.post("/workspaces/timezone")
    async def choose_zone(request: Request, viewer: CurrentViewer) -> Response:
        form = await request.form()
        name = forms.text(form, "tz")
        zone = zone_named(name) or UTC
        answer = RedirectResponse(_local_path(forms.text(form, "next")), status_code=303)
        answer.set_cookie(
            ZONE_COOKIE,
            zone.key,
            max_age=365 * 86_400,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
        return answer

    @router.get("/workspaces/new", response_class=HTMLResponse)
    def new_form(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        _check_reviewer(viewer)
        blank = Filing({"marking": Marking.AMBER_STRICT.value, "level": ""})
        blank.values["incident"] = request.query_params.get("incident", "").strip()
        return _new_form(request, kb, viewer, blank, INVITEE_ROWS)

    @router.post("/workspaces/new", response_class=HTMLResponse)
    async def create(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        _check_reviewer(viewer)
        filing = await _submitted(request)
        rows = _rows(filing.values)
        if "more" in filing.values:  # more invitation rows, nothing checked yet
            return _new_form(request, kb, viewer, filing, min(rows + 3, MAX_INVITEE_ROWS))
        zone = zone_of(request)
        arguments = _check_new(kb, viewer, zone, filing)
        if arguments is not None:
            try:
                view = service.create(kb, viewer, zone=zone, **arguments)
            except (InvalidInput, Forbidden, BadRequest) as exc:
                _fail(filing, exc, {f: f for f in NEW_LABELS}, "form")
            else:
                return _back(str(view["id"]))
        return _new_form(request, kb, viewer, filing, rows, filing.status)

    @router.get("/workspaces/{workspace_id}", response_class=HTMLResponse)
    def show(workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        return _render(request, kb, viewer, workspace_id, visit=True)

    def act(
        request: Request,
        kb: KnowledgeBase,
        viewer: Viewer,
        workspace_id: str,
        filing: Filing,
        anchor: str,
    ) -> Response:
        """Redirect after an act, or show the page again with the errors noted."""
        if filing.errors:
            return _render(
                request,
                kb,
                viewer,
                workspace_id,
                values={k: str(v) for k, v in filing.values.items()},
                errors=filing.errors,
                status_code=filing.status,
            )
        return _back(workspace_id, anchor)

    def attempt(
        filing: Filing, key: str, fields: Mapping[str, str], call: Callable[[], object]
    ) -> None:
        """Run a service call; note its error (a 404 propagates: the one error page)."""
        try:
            call()
        except NotFound:
            raise
        except AccordError as exc:
            _fail(filing, exc, fields, key)

    @router.post("/workspaces/{workspace_id}/accept-embargo", response_class=HTMLResponse)
    def accept(workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        filing = Filing({})
        attempt(filing, "accept", {}, lambda: service.accept_embargo(kb, viewer, workspace_id))
        return act(request, kb, viewer, workspace_id, filing, "#statement")

    @router.post("/workspaces/{workspace_id}/position", response_class=HTMLResponse)
    async def position(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        chosen = str(filing.values.get("position") or "")
        wording = _wording(filing)
        if chosen not in POSITIONS:
            filing.fail("position", "choose your organisation's position")
        elif Position(chosen) is not Position.JOIN_WITH_WORDING:
            wording = Wording()  # only a join with wording takes the organisation's own terms
        if not filing.errors:
            fields = {"wording": "wording", "position": "position", "text": "wording"}
            fields |= {f"data.{attr}": name for name, attr in WORDING_FIELDS.items()}
            fields |= {attr: name for name, attr in WORDING_FIELDS.items()}
            attempt(
                filing,
                "position",
                fields,
                lambda: service.answer(kb, viewer, workspace_id, Position(chosen), wording),
            )
        return act(request, kb, viewer, workspace_id, filing, "#position")

    @router.post("/workspaces/{workspace_id}/revise", response_class=HTMLResponse)
    async def revise(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        zone = zone_of(request)
        current = service.show(kb, viewer, workspace_id, zone)  # the 404 first
        statement = current.get("statement") or {}
        changes: dict[str, Any] = {}
        text = _required(filing, "rev_text")
        if text and text != statement.get("text"):
            changes["text"] = text
        accused = _reference(kb, viewer, filing, "rev_accused", Kind.ACTOR)
        if accused is not None and accused != statement.get("accused"):
            changes["accused"] = accused
        level = str(filing.values.get("rev_level") or "")
        if level not in LEVELS:
            filing.fail("rev_level", "choose how far the statement reaches")
        elif level != statement.get("level"):
            changes["level"] = Level(level)
        typed_end = _field(filing, "rev_embargo_end")
        if typed_end != typed(statement.get("embargo_end")):  # as shown: unchanged
            end = _moment(filing, "rev_embargo_end", zone, kb.now())
            if end is not None and both(end, zone)["utc"] != statement["embargo_end"]["utc"]:
                changes["embargo_end"] = end
        if not filing.errors and not changes:
            filing.fail("rev_text", "nothing changed: give a new text, accused, level or end")
        if not filing.errors:
            fields = {
                "text": "rev_text",
                "accused": "rev_accused",
                "level": "rev_level",
                "embargo_end": "rev_embargo_end",
            }
            attempt(
                filing,
                "revise",
                fields,
                lambda: service.revise(kb, viewer, workspace_id, **changes),
            )
        return act(request, kb, viewer, workspace_id, filing, "#statement")

    @router.post("/workspaces/{workspace_id}/invite", response_class=HTMLResponse)
    async def invite(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        zone = zone_of(request)
        service.show(kb, viewer, workspace_id, zone)  # the 404 first
        ref = _required(filing, "inv_org")
        deadline = _moment(filing, "inv_deadline", zone, kb.now())
        if not filing.errors and deadline is not None:
            invitee = service.Invitee(ref, deadline)
            attempt(
                filing,
                "inv_org",
                {"org": "inv_org", "deadline": "inv_deadline"},
                lambda: service.invite(kb, viewer, workspace_id, invitee),
            )
        return act(request, kb, viewer, workspace_id, filing, "#dashboard")

    @router.post("/workspaces/{workspace_id}/publish", response_class=HTMLResponse)
    def publish(workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        filing = Filing({})
        attempt(filing, "publish", {}, lambda: service.publish(kb, viewer, workspace_id))
        return act(request, kb, viewer, workspace_id, filing, "")

    @router.post("/workspaces/{workspace_id}/end-embargo", response_class=HTMLResponse)
    async def end_embargo(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        zone = zone_of(request)
        service.show(kb, viewer, workspace_id, zone)  # the 404 first
        reason = _required(filing, "early_reason", "required: a leak, a prior attribution…")
        window = _moment(filing, "early_confirm_by", zone, kb.now())
        if not filing.errors and window is not None:
            attempt(
                filing,
                "early_reason",
                {"reason": "early_reason", "confirm_by": "early_confirm_by"},
                lambda: service.end_embargo(
                    kb, viewer, workspace_id, reason=reason, confirm_by=window
                ),
            )
        return act(request, kb, viewer, workspace_id, filing, "")

    @router.post("/workspaces/{workspace_id}/early-answer", response_class=HTMLResponse)
    async def early_answer(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        confirm = filing.values.get("answer") == "confirm"
        attempt(
            filing,
            "early",
            {},
            lambda: service.answer_early_end(kb, viewer, workspace_id, confirm),
        )
        return act(request, kb, viewer, workspace_id, filing, "#position")

    @router.post("/workspaces/{workspace_id}/users", response_class=HTMLResponse)
    async def name_users(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        emails = forms.id_list(str(filing.values.get("users") or ""))
        if not emails:
            filing.fail("users", "give the emails of colleagues in your organisation")
        else:
            attempt(
                filing,
                "users",
                {"users": "users"},
                lambda: service.name_users(kb, viewer, workspace_id, emails),
            )
        return act(request, kb, viewer, workspace_id, filing, "#people")

    @router.post("/workspaces/{workspace_id}/settings", response_class=HTMLResponse)
    async def settings(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        v = filing.values
        if "show_invitees" in v:
            shown = v.get("show_invitees") == "yes"
            attempt(
                filing,
                "settings",
                {},
                lambda: service.set_show_invitees(kb, viewer, workspace_id, shown),
            )
        if "show_position" in v:
            mine = v.get("show_position") == "yes"
            attempt(
                filing,
                "settings",
                {},
                lambda: service.set_show_position(kb, viewer, workspace_id, mine),
            )
        return act(request, kb, viewer, workspace_id, filing, "#people")

    @router.post("/workspaces/{workspace_id}/notifications", response_class=HTMLResponse)
    async def notifications(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        mode = _field(filing, "mode")
        if mode not in {m.value for m in Mode}:
            filing.fail("mode", "choose immediate, digest or mute")
            return act(request, kb, viewer, workspace_id, filing, "#notifications")
        webhook = _field(filing, "webhook") == "yes"
        url = _field(filing, "webhook_url") or None
        secret = _field(filing, "webhook_secret") or None
        if webhook and url is not None and secret is None:
            current = service.notification_settings(kb, viewer, workspace_id)["webhook_url"]
            webhook = url != current  # an unchanged URL keeps its secret
        attempt(
            filing,
            "notifications",
            {"webhook_url": "webhook_url", "webhook_secret": "webhook_secret"},
            lambda: service.set_notifications(
                kb,
                viewer,
                workspace_id,
                Mode(mode),
                webhook_url=url,
                webhook_secret=secret,
                webhook=webhook,
            ),
        )
        filing.values.pop("webhook_secret", None)  # never shown again
        return act(request, kb, viewer, workspace_id, filing, "#notifications")

    @router.post("/workspaces/{workspace_id}/evidence", response_class=HTMLResponse)
    async def evidence(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        title = _required(filing, "ev_title")
        marking = _field(filing, "ev_marking")
        if marking not in WORKSPACE_MARKINGS:
            filing.fail("ev_marking", "evidence is AMBER, AMBER+STRICT or RED")
        names = _names(filing, "ev_shared_with")
        if not filing.errors:
            attempt(
                filing,
                "ev_title",
                {
                    "title": "ev_title",
                    "text": "ev_text",
                    "url": "ev_url",
                    "marking": "ev_marking",
                    "shared_with": "ev_shared_with",
                },
                lambda: service.add_evidence(
                    kb,
                    viewer,
                    workspace_id,
                    title=title,
                    text=_field(filing, "ev_text") or None,
                    url=_field(filing, "ev_url") or None,
                    marking=Marking(marking),
                    shared_with=names or None,
                ),
            )
        return act(request, kb, viewer, workspace_id, filing, "#evidence")

    @router.post("/workspaces/{workspace_id}/comments", response_class=HTMLResponse)
    async def comment(
        workspace_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        v = filing.values
        limited = "t_body" in v  # opening a thread with some participants
        body_field = "t_body" if limited else "c_body"
        body = _required(filing, body_field)
        orgs = _names(filing, "t_orgs")
        title = _field(filing, "t_title")
        if limited and not title:
            filing.fail("t_title", "required")
        if limited and not orgs:
            filing.fail("t_orgs", "name the participants the thread is for")
        if not filing.errors:
            attempt(
                filing,
                body_field,
                {"body": body_field, "title": "t_title", "orgs": "t_orgs"},
                lambda: service.post_comment(
                    kb,
                    viewer,
                    workspace_id,
                    body,
                    title=title if limited else None,
                    orgs=orgs if limited else None,
                ),
            )
        return act(request, kb, viewer, workspace_id, filing, "#discussion")

    def thread_page(
        request: Request,
        kb: KnowledgeBase,
        viewer: Viewer,
        workspace_id: str,
        thread_id: str,
        values: Mapping[str, str],
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Response:
        zone = zone_of(request)
        view = service.show(kb, viewer, workspace_id, zone)
        thread = service.read_thread(kb, viewer, workspace_id, thread_id, zone)
        return page(
            request,
            "workspace_thread.html",
            viewer=viewer,
            status_code=status_code,
            ws=view,
            thread=thread,
            values=values,
            errors=errors,
            zone=zone.key,
            zones=zone_names(),
        )

    @router.get("/workspaces/{workspace_id}/threads/{thread_id}", response_class=HTMLResponse)
    def thread(
        workspace_id: str, thread_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        return thread_page(request, kb, viewer, workspace_id, thread_id, {}, {})

    @router.post("/workspaces/{workspace_id}/threads/{thread_id}", response_class=HTMLResponse)
    async def reply(
        workspace_id: str, thread_id: str, request: Request, kb: KB, viewer: CurrentViewer
    ) -> Response:
        filing = await _submitted(request)
        body = _required(filing, "c_body")
        if body:
            attempt(
                filing,
                "c_body",
                {"body": "c_body"},
                lambda: service.post_comment(kb, viewer, workspace_id, body, thread=thread_id),
            )
        if filing.errors:
            values = {k: str(v) for k, v in filing.values.items()}
            return thread_page(
                request, kb, viewer, workspace_id, thread_id, values, filing.errors, filing.status
            )
        return RedirectResponse(
            f"/workspaces/{workspace_id}/threads/{thread_id}#latest", status_code=303
        )

    return router
