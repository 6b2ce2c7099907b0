"""The home page and /search with filters and facets (read-only).

Facet counts are computed over the search hits, which :meth:`KnowledgeBase.search` has already
restricted to what the viewer may see, so a count never reveals a hidden record. Each facet is
counted over the hits that match every *other* active filter (the usual faceted-search rule).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from accord.domain.records import Actor, Record
from accord.domain.vocab import Kind, Marking
from accord.errors import BadRequest
from accord.kb import MAX_PAGE
from accord.web.deps import KB, CurrentViewer
from accord.web.pages.related import names, recent
from accord.web.pages.routing import page_router
from accord.web.pages.templating import page

SHOWN = 50
FACETS = ("kind", "year", "sector", "marking")
#: The kinds whose date is when something happened (an incident began, a claim or a response was
#: made): the year facet counts these only, not founding, joining or assessment dates.
EVENT_KINDS = frozenset({Kind.INCIDENT, Kind.CLAIM, Kind.RESPONSE})
LEGENDS = {"year": "Year of the event", "kind": "Kind", "sector": "Sector", "marking": "Marking"}


def facet_value(record: Record, facet: str) -> str | None:
    """The value a record has for a facet (None when it has none, e.g. an incident's sector)."""
    if facet == "kind":
        return record.kind.value
    if facet == "marking":
        return record.marking.value
    if facet == "year":
        key = record.data.date_key() if record.kind in EVENT_KINDS else None
        return key[:4] if key else None
    if isinstance(record.data, Actor) and record.data.sector:
        return record.data.sector.value
    return None


@dataclass(frozen=True)
class Filters:
    """The active filters of a search, by facet name (None: not filtered)."""

    kind: str | None = None
    year: str | None = None
    sector: str | None = None
    marking: str | None = None

    def get(self, facet: str) -> str | None:
        """The active value of one facet."""
        value: str | None = getattr(self, facet)
        return value

    def url(self, q: str, facet: str | None = None, value: str | None = None) -> str:
        """The /search URL with these filters, one facet set to ``value`` (None clears it)."""
        params = {f: self.get(f) for f in FACETS}
        if facet is not None:
            params[facet] = value
        query = {"q": q, **{k: v for k, v in params.items() if v is not None}}
        return "/search?" + urlencode(query)

    def matches(self, record: Record, skip: str | None = None) -> bool:
        """Whether a record passes every active filter except ``skip``."""
        return all(
            self.get(f) is None or facet_value(record, f) == self.get(f)
            for f in FACETS
            if f != skip
        )


def facet_counts(hits: list[Record], filters: Filters) -> dict[str, list[tuple[str, int]]]:
    """For each facet, its values and counts among the hits matching the other filters."""
    out: dict[str, list[tuple[str, int]]] = {}
    for facet in FACETS:
        counter: Counter[str] = Counter()
        for record in hits:
            value = facet_value(record, facet)
            if value is not None and filters.matches(record, skip=facet):
                counter[value] += 1
        order: Callable[[tuple[str, int]], tuple[object, ...]] = (
            (lambda kv: (kv[0],)) if facet == "year" else (lambda kv: (-kv[1], kv[0]))
        )
        out[facet] = sorted(counter.items(), key=order, reverse=facet == "year")
    return out


def build_router() -> APIRouter:
    """GET / (home) and GET /search."""
    router = page_router()

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request, kb: KB, viewer: CurrentViewer) -> Response:
        incidents = recent(kb, viewer, Kind.INCIDENT, limit=8)
        claims = recent(kb, viewer, Kind.CLAIM, limit=8)
        return page(
            request,
            "home.html",
            viewer=viewer,
            counts=kb.count(viewer),
            markings=kb.count(viewer, by="marking"),
            incidents=incidents,
            claims=claims,
            names=names(kb, viewer, claims),
        )

    @router.get("/search", response_class=HTMLResponse)
    def search(
        request: Request,
        kb: KB,
        viewer: CurrentViewer,
        q: Annotated[str, Query(max_length=500)] = "",
        kind: Kind | None = None,
        year: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
        sector: str | None = None,
        marking: Marking | None = None,
        after: str | None = None,
    ) -> Response:
        filters = Filters(
            kind=kind.value if kind else None,
            year=year,
            sector=sector or None,
            marking=marking.value if marking else None,
        )
        text, problem = q.strip(), None
        hits: list[Record] = []
        if text:
            try:
                hits = [h.record for h in kb.search(text, viewer, limit=MAX_PAGE)]
            except BadRequest as exc:
                problem = exc.message
        matched = [r for r in hits if filters.matches(r)]
        next_url = None
        if not text and kind is not None:
            listed = kb.list_records(viewer, kind=kind, marking=marking, after=after, limit=SHOWN)
            matched = listed.items
            if listed.next_cursor:
                next_url = filters.url("", "kind", kind.value) + f"&after={listed.next_cursor}"
        return page(
            request,
            "search.html",
            viewer=viewer,
            q=text,
            filters=filters,
            facets=facet_counts(hits, filters),
            legends=LEGENDS,
            results=matched[:SHOWN],
            total=len(matched),
            truncated=len(hits) >= MAX_PAGE,
            counts=kb.count(viewer) if not text else {},
            problem=problem,
            next_url=next_url,
        )

    return router
