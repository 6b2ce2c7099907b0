"""Record pages: incident, actor, norm, initiative, a generic page for the other kinds, history.

Thin: each route loads what it shows through the KnowledgeBase, :mod:`related` (queries by
reference, filtered by access in SQL) and the analyses, and renders a template. Read-only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord import access
from accord.access import Viewer
from accord.domain.kinds import KINDS
from accord.domain.records import Actor, Claim, Participation, Record
from accord.domain.vocab import Kind, Stance
from accord.errors import NotFound
from accord.federation import origins
from accord.kb import KnowledgeBase, RevisionView
from accord.web.api.records import PLURALS
from accord.web.api.withdrawn import tombstone_of_kind
from accord.web.deps import KB, CurrentViewer
from accord.web.pages import analyses
from accord.web.pages.related import names, referrers
from accord.web.pages.routing import page_router
from accord.web.pages.templating import page, record_url

LABELS = {info.kind: info.label for info in KINDS}


def can_edit(viewer: Viewer, record: Record) -> bool:
    """Whether to offer the edit link (the library still checks on write)."""
    try:
        access.check_can_edit(viewer, record.owner, record.id)
    except Exception:
        return False
    return True


def changes(views: list[RevisionView]) -> list[tuple[RevisionView, list[str]]]:
    """Each revision (newest first) with what changed since the one before it that the viewer
    may see: payload fields, sources, marking, status and share list. Pure."""
    out: list[tuple[RevisionView, list[str]]] = []
    previous: dict[str, Any] | None = None
    for view in views:
        record = view.record
        now = {
            **record.data.model_dump(mode="json", by_alias=True),
            "sources": [s.model_dump(mode="json") for s in record.sources],
            "marking": record.marking.value,
            "status": record.status.value,
            "shared with": list(record.shares),
        }
        changed = ["created"] if previous is None else [k for k in now if now[k] != previous.get(k)]
        out.append((view, changed))
        previous = now
    return list(reversed(out))


def _of_kind(kb: KnowledgeBase, viewer: Viewer, record_id: str, kind: Kind) -> Record:
    record = kb.get(record_id, viewer)
    if record.kind is not kind:
        raise NotFound(f"no {kind.value} with this id", record=record_id)
    return record


def incident_context(kb: KnowledgeBase, viewer: Viewer, record: Record) -> dict[str, Any]:
    """Claims (a timeline, with their evidence notes), responses, assessments. Read-only."""
    claims = referrers(kb, viewer, record.id, Kind.CLAIM, ["incident"])
    responses = referrers(kb, viewer, record.id, Kind.RESPONSE, ["incident"])
    assessments = referrers(kb, viewer, record.id, Kind.ASSESSMENT, ["incident"])
    evidence: dict[str, list[Record]] = defaultdict(list)
    for note in referrers(kb, viewer, [c.id for c in claims], Kind.EVIDENCE, ["about"]):
        evidence[str(getattr(note.data, "about", ""))].append(note)
    return {
        "claims": claims,
        "responses": responses,
        "assessments": assessments,
        "evidence": evidence,
        "consensus": analyses.consensus(kb, viewer, record.id),
        "names": names(kb, viewer, [record, *claims, *responses, *assessments]),
    }


def actor_context(kb: KnowledgeBase, viewer: Viewer, record: Record) -> dict[str, Any]:
    """Participations, claims against and by the actor, responses, sub-units. Read-only."""
    participations = referrers(kb, viewer, record.id, Kind.PARTICIPATION, ["actor"])
    accused = referrers(kb, viewer, record.id, Kind.CLAIM, ["accused"])
    made = referrers(kb, viewer, record.id, Kind.CLAIM, ["claimant"])
    about = referrers(kb, viewer, record.id, Kind.CLAIM, ["subject"])
    responses_made = referrers(kb, viewer, record.id, Kind.RESPONSE, ["responder"])
    responses_received = referrers(kb, viewer, record.id, Kind.RESPONSE, ["targets"])
    children = referrers(kb, viewer, record.id, Kind.ACTOR, ["parent"])
    kind = record.data.kind if isinstance(record.data, Actor) else None
    attributed: dict[str, list[Record]] = defaultdict(list)
    for claim in accused:
        data = claim.data
        if isinstance(data, Claim) and data.incident and data.stance is Stance.ATTRIBUTES:
            attributed[data.incident].append(claim)
    shown = [
        record,
        *participations,
        *accused,
        *made,
        *about,
        *responses_made,
        *responses_received,
        *children,
    ]
    return {
        "participations": participations,
        "accused": accused,
        "made": made,
        "about": about,
        "responses_made": responses_made,
        "responses_received": responses_received,
        "children": children,
        "attributed": dict(attributed),
        "say_do": analyses.say_do(kb, viewer, record.id, kind) if kind else None,
        "consensus": analyses.group_consensus(kb, viewer, record.id) if about else None,
        "names": names(kb, viewer, shown),
    }


def norm_context(kb: KnowledgeBase, viewer: Viewer, record: Record) -> dict[str, Any]:
    """The crosswalk both ways, the setting initiative's endorsers, breaches. Read-only."""
    initiative = str(getattr(record.data, "initiative", ""))
    named_equivalents = set(getattr(record.data, "equivalents", ()))
    pointing_here = referrers(kb, viewer, record.id, Kind.NORM, ["equivalents"])
    equivalent_ids = named_equivalents | {n.id for n in pointing_here}
    equivalents = sorted(kb.get_many(equivalent_ids, viewer).values(), key=lambda r: r.name)
    endorsers = referrers(kb, viewer, initiative, Kind.PARTICIPATION, ["initiative"])
    assessments = referrers(kb, viewer, record.id, Kind.ASSESSMENT, ["norm"])
    return {
        "equivalents": equivalents,
        "endorsers": endorsers,
        "assessments": assessments,
        "names": names(kb, viewer, [record, *equivalents, *endorsers, *assessments]),
    }


def initiative_context(kb: KnowledgeBase, viewer: Viewer, record: Record) -> dict[str, Any]:
    """Participants grouped by sector, and the norms the initiative sets. Read-only."""
    participations = referrers(kb, viewer, record.id, Kind.PARTICIPATION, ["initiative"])
    norms = referrers(kb, viewer, record.id, Kind.NORM, ["initiative"])
    known = names(kb, viewer, [record, *participations, *norms])
    by_sector: dict[str, list[Record]] = defaultdict(list)
    for part in participations:
        data = part.data
        actor = known.get(data.actor) if isinstance(data, Participation) else None
        sector = (
            actor.data.sector.value
            if actor is not None and isinstance(actor.data, Actor) and actor.data.sector
            else "other"
        )
        by_sector[sector].append(part)
    return {
        "by_sector": dict(sorted(by_sector.items(), key=lambda kv: (-len(kv[1]), kv[0]))),
        "participations": participations,
        "norms": sorted(norms, key=lambda n: str(getattr(n.data, "code", ""))),
        "names": known,
    }


def generic_context(kb: KnowledgeBase, viewer: Viewer, record: Record) -> dict[str, Any]:
    """The fields of a relationship record, its referenced records and evidence notes."""
    notes = referrers(kb, viewer, record.id, Kind.EVIDENCE, ["about"])
    fields = record.data.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(record.data, Claim) and record.data.date is None:
        fields["date"] = "date unknown"  # said, never an empty or missing row
    return {
        "fields": fields,
        "refs": dict(record.data.refs()),
        "ref_fields": set(record.data.REFS),
        "evidence_notes": notes,
        "names": names(kb, viewer, [record, *notes]),
    }


CONTEXTS = {
    Kind.INCIDENT: ("incident.html", incident_context),
    Kind.ACTOR: ("actor.html", actor_context),
    Kind.NORM: ("norm.html", norm_context),
    Kind.INITIATIVE: ("initiative.html", initiative_context),
}


def _register(router: APIRouter, kind: Kind, plural: str) -> None:
    template, build = CONTEXTS.get(kind, ("record.html", generic_context))

    @router.get(f"/{plural}/{{record_id}}", response_class=HTMLResponse, name=f"page_{kind}")
    def show(record_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        try:
            record = _of_kind(kb, viewer, record_id, kind)
        except NotFound:
            found = tombstone_of_kind(kb, record_id, viewer, kind)
            if found is None:
                raise
            return page(
                request,
                "withdrawn.html",
                status_code=410,
                viewer=viewer,
                tombstone=found,
                label=LABELS[kind],
            )
        return page(
            request,
            template,
            viewer=viewer,
            record=record,
            label=LABELS[kind],
            can_edit=can_edit(viewer, record),
            origin=origins.shown_to(kb, viewer, record.id),
            **build(kb, viewer, record),
        )

    @router.get(f"/{plural}/{{record_id}}/history", response_class=HTMLResponse)
    def history(record_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        try:
            record = _of_kind(kb, viewer, record_id, kind)
        except NotFound:
            found = tombstone_of_kind(kb, record_id, viewer, kind)
            if found is None:
                raise
            record = found.record
        views = kb.history(record_id, viewer)
        return page(
            request,
            "history.html",
            viewer=viewer,
            record=record,
            label=LABELS[kind],
            revisions=changes(views),
            names=kb.get_many({org for v in views for org in v.record.shares}, viewer),
            origin=origins.shown_to(kb, viewer, record.id),
        )


def build_router() -> APIRouter:
    """Routes for every kind's page and history, and /records/{id} (redirects by kind)."""
    router = page_router()
    for kind, plural in PLURALS.items():
        _register(router, kind, plural)

    @router.get("/records/{record_id}")
    def any_record(record_id: str, kb: KB, viewer: CurrentViewer) -> Response:
        return RedirectResponse(record_url(kb.get(record_id, viewer)), status_code=303)

    return router
