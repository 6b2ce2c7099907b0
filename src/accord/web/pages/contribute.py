"""Signing in and contributing: new claims and disputes, edits, publishing, markings, sharing.

Thin: each POST parses the form (:mod:`forms`), calls the KnowledgeBase as the signed-in
viewer (which checks every permission) and redirects, or re-renders the form with the library's
error next to the field it names. Every POST passes the CSRF check of :func:`page_router`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from accord import accounts
from accord.access import Viewer
from accord.domain.records import Record
from accord.domain.vocab import ClaimKind, Evidence, Kind, Marking, Stance
from accord.errors import AccordError, Forbidden, InvalidInput, NotFound, Unauthenticated
from accord.kb import KnowledgeBase
from accord.web.api.records import PLURALS
from accord.web.deps import KB, CurrentViewer
from accord.web.pages import forms
from accord.web.pages.records import changes
from accord.web.pages.related import drafts
from accord.web.pages.routing import page_router
from accord.web.pages.templating import page, record_url
from accord.web.session import session_of

CHOICES = {
    "stance": [s.value for s in Stance],
    "kind": [k.value for k in ClaimKind],
    "evidence": [e.value for e in Evidence],
    "marking": [m.value for m in Marking],
}


def _local(target: str) -> str:
    """Only redirect to a path on this site."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else "/"


def _signed_in(request: Request, viewer: Viewer) -> None:
    """The contributing pages work in a signed-in browser: their forms carry the session's
    CSRF token. A bearer token is for the API, and is told so instead of a broken page."""
    if not viewer.authenticated:
        raise Unauthenticated("sign in to contribute")
    if request.scope.get("accord.session_user") is None:
        raise Unauthenticated(
            "the contributing pages need a browser session: sign in at /signin "
            "(with an API token, use /api/v1)"
        )


def _claim_options(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
    """Visible incidents and actors to pick from (datalists)."""
    return {
        "incidents": list(kb.iter_records(viewer, kind=Kind.INCIDENT)),
        "actors": list(kb.iter_records(viewer, kind=Kind.ACTOR)),
    }


def build_router() -> APIRouter:
    """Sign-in/out, the contribute page, the claim form, edit and publish."""
    router = page_router()

    @router.get("/signin", response_class=HTMLResponse)
    def signin_form(request: Request, viewer: CurrentViewer, next: str = "/") -> Response:
        return page(request, "signin.html", viewer=viewer, next=_local(next), errors={}, email="")

    @router.post("/signin", response_class=HTMLResponse)
    async def signin(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        form = await request.form()
        email, target = forms.text(form, "email"), _local(forms.text(form, "next") or "/")
        try:
            user = accounts.check_password(kb, email, forms.text(form, "password"))
        except Unauthenticated as exc:
            return page(
                request,
                "signin.html",
                viewer=viewer,
                status_code=401,
                next=target,
                email=email,
                errors={"form": exc.message},
            )
        session_of(request).sign_in(kb, user)
        return RedirectResponse(target, status_code=303)

    @router.post("/signout")
    def signout(request: Request, kb: KB) -> Response:
        session_of(request).sign_out(kb)
        return RedirectResponse("/", status_code=303)

    @router.get("/contribute", response_class=HTMLResponse)
    def contribute(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        return page(request, "contribute.html", viewer=viewer, drafts=drafts(kb, viewer))

    @router.get("/contribute/claim", response_class=HTMLResponse)
    def claim_form(request: Request, kb: KB, viewer: CurrentViewer, incident: str = "") -> Response:
        _signed_in(request, viewer)
        values = {"incident": incident, "claimant": viewer.org_id or "", "marking": "AMBER"}
        return page(
            request,
            "claim_form.html",
            viewer=viewer,
            values=values,
            errors={},
            choices=CHOICES,
            **_claim_options(kb, viewer),
        )

    @router.post("/contribute/claim", response_class=HTMLResponse)
    async def claim_create(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        form = await request.form()
        try:
            raw = forms.claim_input(
                form,
                accounts.named_readers(kb, viewer, forms.id_list(forms.text(form, "readers"))),
                forms.id_list(forms.text(form, "shares")),
            )
            record = kb.create(raw, viewer)
        except (InvalidInput, Forbidden, NotFound) as exc:
            return _form_error(request, kb, viewer, form, exc)
        return RedirectResponse(record_url(record), status_code=303)

    for kind, plural in PLURALS.items():
        _register_edit(router, kind, plural)
    return router


def _form_error(
    request: Request, kb: KnowledgeBase, viewer: Viewer, form: FormData, exc: AccordError
) -> Response:
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return page(
        request,
        "claim_form.html",
        viewer=viewer,
        status_code=exc.status,
        values=values,
        errors={forms.field_of(exc): exc.message},
        choices=CHOICES,
        **_claim_options(kb, viewer),
    )


def _edit_values(record: Record) -> dict[str, Any]:
    data = record.data.model_dump(mode="json", by_alias=True)
    values = {
        name: (value.get("value") if isinstance(value, dict) else value)
        for name, value in data.items()
        if name in forms.EDITABLE
    }
    values["marking"] = record.marking.value
    values["shares"] = ", ".join(record.shares)
    return {k: "" if v is None else str(v) for k, v in values.items()}


def _register_edit(router: APIRouter, kind: Kind, plural: str) -> None:
    def load(request: Request, kb: KnowledgeBase, viewer: Viewer, record_id: str) -> Record:
        _signed_in(request, viewer)
        record = kb.get(record_id, viewer)
        if record.kind is not kind:
            raise NotFound(f"no {kind.value} with this id", record=record_id)
        return record

    def render(
        request: Request,
        kb: KnowledgeBase,
        viewer: Viewer,
        record: Record,
        values: dict[str, Any],
        errors: dict[str, str],
        status_code: int = 200,
    ) -> Response:
        return page(
            request,
            "edit.html",
            viewer=viewer,
            status_code=status_code,
            record=record,
            values=values,
            errors=errors,
            editable=[f for f in forms.EDITABLE if f in _edit_values(record)],
            choices=CHOICES if kind is Kind.CLAIM else {"marking": CHOICES["marking"]},
            revisions=changes(kb.history(record.id, viewer)),
        )

    @router.get(f"/{plural}/{{record_id}}/edit", response_class=HTMLResponse)
    def edit_form(record_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        record = load(request, kb, viewer, record_id)
        return render(request, kb, viewer, record, _edit_values(record), {})

    @router.post(f"/{plural}/{{record_id}}/edit", response_class=HTMLResponse)
    async def edit(record_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        record = load(request, kb, viewer, record_id)
        form = await request.form()
        before = _edit_values(record)
        editable = [f for f in forms.EDITABLE if f in before]
        patch = {
            name: value
            for name, value in forms.payload_from(form, tuple(editable)).items()
            if str(value) != before.get(name)
        }
        marking = forms.text(form, "marking") or record.marking.value
        shares = forms.id_list(forms.text(form, "shares"))
        revision = forms.text(form, "revision")
        try:
            if marking not in CHOICES["marking"]:
                raise InvalidInput(f"'{marking}' is not a TLP marking", field="marking")
            with kb.transaction():  # one submission, one transaction: all of it or nothing
                if patch:
                    kb.update(
                        record_id,
                        viewer,
                        data=patch,
                        expected_revision=int(revision) if revision.isdigit() else None,
                    )
                if shares != list(record.shares):
                    kb.set_sharing(record_id, viewer, shares=shares)
                if marking != record.marking.value:
                    kb.set_marking(record_id, viewer, Marking(marking))
        except (InvalidInput, Forbidden) as exc:
            values = {k: v for k, v in form.items() if isinstance(v, str)}
            fresh = kb.get(record_id, viewer)
            errors = {forms.field_of(exc): exc.message}
            return render(request, kb, viewer, fresh, values, errors, exc.status)
        return RedirectResponse(f"{record_url(record)}/history", status_code=303)

    @router.post(f"/{plural}/{{record_id}}/publish")
    def publish(record_id: str, request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        record = load(request, kb, viewer, record_id)
        kb.publish(record.id, viewer)
        return RedirectResponse(record_url(record), status_code=303)
