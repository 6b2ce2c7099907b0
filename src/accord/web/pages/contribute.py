"""Signing in and contributing: new records (claims and disputes, incidents, responses,
participations), edits, publishing, markings, sharing.

Thin: each POST reads the form (:mod:`filing` for new records, :mod:`forms` for edits), calls
the KnowledgeBase as the signed-in viewer (which checks every permission) and redirects, or
shows the form again with what was typed and each error next to the field it names. Every POST
passes the CSRF check of :func:`page_router`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accord import accounts
from accord.access import Viewer, check_can_create
from accord.domain.records import Record
from accord.domain.vocab import ClaimKind, Evidence, Kind, Marking, Stance
from accord.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from accord.kb import KnowledgeBase
from accord.web.api.records import PLURALS
from accord.web.deps import KB, CurrentViewer
from accord.web.pages import filing, forms
from accord.web.pages.record_forms import FORMS, RecordForm
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


def _suggestions(kb: KnowledgeBase, viewer: Viewer, form: RecordForm) -> dict[str, list[Any]]:
    """For each list of names the form's reference fields suggest: (value, label) pairs of the
    visible records of those kinds, by name; a name two records share is offered by id."""
    lists: dict[str, list[Any]] = {}
    for f in form.references:
        if f.datalist is None or f.datalist in lists:
            continue
        found = [r for kind in f.kinds for r in kb.iter_records(viewer, kind=kind)]
        shared = Counter(r.name.casefold() for r in found)
        lists[f.datalist] = sorted(
            ((r.id if shared[r.name.casefold()] > 1 else r.name, r.name) for r in found),
            key=lambda pair: (pair[1].casefold(), pair[0]),
        )
    return lists


def _blank(request: Request, kb: KnowledgeBase, viewer: Viewer, form: RecordForm) -> filing.Values:
    """A new form's values: the viewer's organisation where the form says so, and what a link
    filled in (``?incident=wannacry``), a visible record shown by its name."""
    values: filing.Values = {f.name: [] if f.widget == "checkboxes" else "" for f in form.fields}
    values["marking"] = Marking.AMBER.value
    asked = {n: request.query_params.get(n, "").strip() for n in form.prefill}
    own = {n: viewer.org_id or "" for n in form.own}
    wanted = {n: v for n, v in {**own, **asked}.items() if v}
    names = kb.get_many(wanted.values(), viewer)
    for name, value in wanted.items():
        found = names.get(value)
        values[name] = found.name if found is not None else value
    return values


def _show(
    request: Request,
    kb: KnowledgeBase,
    viewer: Viewer,
    form: RecordForm,
    values: filing.Values,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "record_form.html",
        viewer=viewer,
        status_code=status_code,
        form=form,
        values=values,
        errors=errors,
        lists=_suggestions(kb, viewer, form),
    )


def _register_form(router: APIRouter, form: RecordForm) -> None:
    """GET and POST ``/contribute/{slug}`` for one kind of record."""

    @router.get(form.path, response_class=HTMLResponse, name=f"new_{form.slug}")
    def new(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        check_can_create(viewer)
        return _show(request, kb, viewer, form, _blank(request, kb, viewer, form), {})

    @router.post(form.path, response_class=HTMLResponse, name=f"create_{form.slug}")
    async def create(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        _signed_in(request, viewer)
        check_can_create(viewer)
        submitted = filing.submit(kb, viewer, form, await request.form())
        if submitted.record is None:
            return _show(
                request, kb, viewer, form, submitted.values, submitted.errors, submitted.status
            )
        return RedirectResponse(record_url(submitted.record), status_code=303)


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
        return page(
            request, "contribute.html", viewer=viewer, drafts=drafts(kb, viewer), forms=FORMS
        )

    for form in FORMS.values():
        _register_form(router, form)
    for kind, plural in PLURALS.items():
        _register_edit(router, kind, plural)
    return router


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
        checked, marking, shares = filing.check_edit(kb, viewer, record, form, patch)
        if checked.errors:
            return render(request, kb, viewer, record, checked.values, checked.errors, 422)
        revision = forms.text(form, "revision")
        try:
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
