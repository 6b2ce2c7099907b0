"""The index pages: /incidents (filtered by year, state and effect), /actors, /norms (with the
crosswalk as one table) and /initiatives. Read-only; the queries live in :mod:`listing`.

Each page says what it counts and what it misses ("an attribution is known for N of M").
"""

from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from accord.domain.records import Claim, Initiative, Norm, Record
from accord.domain.vocab import ActorKind, Effect, Kind, Stance
from accord.errors import InvalidInput
from accord.web.deps import KB, CurrentViewer
from accord.web.pages import listing
from accord.web.pages.related import names, referrers
from accord.web.pages.routing import page_router
from accord.web.pages.templating import page

E = TypeVar("E", bound=StrEnum)
Year = Annotated[str, Query(pattern=r"^(\d{4})?$")]
Text = Annotated[str, Query(max_length=200)]


def choice(vocabulary: type[E], value: str, field: str) -> E | None:
    """A filter's vocabulary value; "" (the form's "any") is None; anything else is a 422."""
    if not value:
        return None
    try:
        return vocabulary(value)
    except ValueError:
        allowed = ", ".join(v.value for v in vocabulary)
        raise InvalidInput(f"{value!r} is not one of: {allowed}", field=field) from None


def page_url(path: str, after: str | None, **filters: str) -> str:
    """The URL of an index page with the given filters (empty ones left out) and cursor."""
    query = {k: v for k, v in filters.items() if v}
    if after:
        query["after"] = after
    return f"{path}?{urlencode(query)}" if query else path


def build_router() -> APIRouter:
    """GET /incidents, /actors, /norms and /initiatives."""
    router = page_router()

    @router.get("/incidents", response_class=HTMLResponse)
    def incidents(
        request: Request,
        kb: KB,
        viewer: CurrentViewer,
        year: Year = "",
        state: Text = "",
        effect: Text = "",
        after: Text = "",
    ) -> Response:
        chosen = choice(Effect, effect, "effect")
        found = listing.incidents(
            kb,
            viewer,
            year=year or None,
            state=state or None,
            effect=chosen,
            after=after or None,
        )
        claims = referrers(kb, viewer, [r.id for r in found.items], Kind.CLAIM, ["incident"])
        attributed: dict[str, list[str]] = defaultdict(list)
        for c in claims:
            data = c.data
            if (
                isinstance(data, Claim)
                and data.incident
                and data.stance is Stance.ATTRIBUTES
                and data.accused not in attributed[data.incident]
            ):
                attributed[data.incident].append(data.accused)
        filters = {"year": year, "state": state, "effect": effect}
        return page(
            request,
            "incidents.html",
            viewer=viewer,
            listing=found,
            attributed=attributed,
            names=names(kb, viewer, [*found.items, *claims]),
            states=listing.states(kb, viewer),
            effects=[e.value for e in Effect],
            filters=filters,
            next_url=page_url("/incidents", found.next_cursor, **filters)
            if found.next_cursor
            else None,
            first_url=page_url("/incidents", None, **filters) if after else None,
        )

    @router.get("/actors", response_class=HTMLResponse)
    def actors(
        request: Request, kb: KB, viewer: CurrentViewer, kind: Text = "", after: Text = ""
    ) -> Response:
        found = listing.actors(
            kb, viewer, kind=choice(ActorKind, kind, "kind"), after=after or None
        )
        return page(
            request,
            "actors.html",
            viewer=viewer,
            listing=found,
            names=names(kb, viewer, found.items),
            kinds=[k.value for k in ActorKind],
            kind=kind,
            next_url=page_url("/actors", found.next_cursor, kind=kind)
            if found.next_cursor
            else None,
            first_url=page_url("/actors", None, kind=kind) if after else None,
        )

    @router.get("/norms", response_class=HTMLResponse)
    def norms(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        every = list(kb.iter_records(viewer, kind=Kind.NORM))
        known = names(kb, viewer, every)
        groups = listing.crosswalk(every)
        initiatives = sorted(
            {str(n.data.initiative) for g in groups for n in g if isinstance(n.data, Norm)},
            key=lambda i: known[i].name if i in known else i,
        )
        by_initiative: dict[str, list[Record]] = defaultdict(list)
        for n in every:
            if isinstance(n.data, Norm):
                by_initiative[n.data.initiative].append(n)
        in_groups = sum(len(g) for g in groups)
        return page(
            request,
            "norms.html",
            viewer=viewer,
            norms=every,
            groups=groups,
            columns=initiatives,
            by_initiative=sorted(
                by_initiative.items(), key=lambda kv: known[kv[0]].name if kv[0] in known else kv[0]
            ),
            in_groups=in_groups,
            names=known,
        )

    @router.get("/initiatives", response_class=HTMLResponse)
    def initiatives(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        every = list(kb.iter_records(viewer, kind=Kind.INITIATIVE))
        every.sort(
            key=lambda r: (
                str(r.data.start) if isinstance(r.data, Initiative) and r.data.start else "9999",
                r.name,
            )
        )
        participants = listing.participant_counts(kb, viewer)
        return page(
            request,
            "initiatives.html",
            viewer=viewer,
            initiatives=every,
            participants=participants,
            with_participants=sum(1 for r in every if participants.get(r.id)),
            names=names(kb, viewer, every),
        )

    return router
