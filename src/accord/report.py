"""The "state of affairs" briefing: one self-contained HTML file (or PDF) from the data.

Sections follow the source paper's questions: the initiative landscape, the norms and who
endorsed them, the most-attributed states and their say-do gaps, contested attributions, and
the public-private divide. Every figure comes from :mod:`accord.analysis` as the given viewer may
see it (anonymous by default: TLP:CLEAR only), each section has a chart (inline SVG) and the
sources of the records it cites are listed at the end. Read-only, except for the written file.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from accord.access import ANONYMOUS, Viewer
from accord.analysis import consensus as consensus_analysis
from accord.domain.records import Assessment, Norm, Participation, Record, Source
from accord.domain.vocab import Kind
from accord.errors import BadRequest
from accord.kb import KnowledgeBase
from accord.web.pages import analyses, charts
from accord.web.pages.related import referrers
from accord.web.pages.templating import environment

FORMATS = ("html", "pdf")
TOP = 12


@dataclass(frozen=True)
class NormSetter:
    """An initiative that sets norms, its norms and how many actors endorsed them."""

    id: str
    initiative: Record | None
    norms: tuple[Record, ...]
    endorsers: int

    @property
    def name(self) -> str:
        """The initiative's name (never its id: a norm is visible only with its initiative,
        so a missing one is said so in words)."""
        return self.initiative.name if self.initiative else "an initiative not shown"


@dataclass(frozen=True)
class Cited:
    """A source and the records that cite it."""

    source: Source
    records: tuple[str, ...]


def _norm_rows(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
    norms = list(kb.iter_records(viewer, kind=Kind.NORM))
    initiative_ids = sorted({n.data.initiative for n in norms if isinstance(n.data, Norm)})
    initiatives = kb.get_many(initiative_ids, viewer)
    endorsers: dict[str, set[str]] = defaultdict(set)
    for part in referrers(kb, viewer, initiative_ids, Kind.PARTICIPATION, ["initiative"]):
        if isinstance(part.data, Participation) and part.data.role.value != "observer":
            endorsers[part.data.initiative].add(part.data.actor)
    rows = []
    for initiative_id in initiative_ids:
        set_here = [n for n in norms if getattr(n.data, "initiative", None) == initiative_id]
        rows.append(
            NormSetter(
                id=initiative_id,
                initiative=initiatives.get(initiative_id),
                norms=tuple(sorted(set_here, key=lambda n: str(getattr(n.data, "code", "")))),
                endorsers=len(endorsers.get(initiative_id, ())),
            )
        )
    rows.sort(key=lambda r: (-r.endorsers, r.id))
    chart = charts.hbar(
        [(r.name, r.endorsers) for r in rows], title="Endorsers of each norm-setting initiative"
    )
    crosswalked = sum(1 for n in norms if getattr(n.data, "equivalents", ()))
    return {
        "norm_rows": rows,
        "norm_chart": chart,
        "norm_count": len(norms),
        "crosswalked": crosswalked,
    }


def _contested(kb: KnowledgeBase, viewer: Viewer) -> dict[str, Any]:
    overview = consensus_analysis.all_incidents(kb, viewer)
    details = []
    for summary in overview.incidents:
        if not summary.claims:
            continue
        detail = analyses.consensus(kb, viewer, summary.incident)  # reasons name, not ids
        disputed = any(p.dissent or p.denials for p in detail.profiles) or bool(detail.denials)
        if summary.divergent or disputed:
            details.append((summary, detail))
    chart = charts.hbar(
        charts.ranked((s.name, len(d.accused)) for s, d in details)[:TOP],
        title="Contested incidents: number of actors accused",
    )
    return {
        "overview": overview,
        "contested": details,
        "contested_chart": chart,
        "consensus_notes": consensus_analysis.PROFILE_NOTES,
    }


def _of(part: int, whole: int, what: str) -> str:
    """ "N of M <what>" for a coverage caveat."""
    return f"{part} of {whole} {what}"


def _assessed_incidents(kb: KnowledgeBase, viewer: Viewer) -> int:
    """How many visible incidents a visible assessment links to a norm. Read-only."""
    linked = {
        r.data.incident
        for r in kb.iter_records(viewer, kind=Kind.ASSESSMENT)
        if isinstance(r.data, Assessment)
    }
    return len(kb.get_many(sorted(linked), viewer))  # the incidents themselves visible too


def summary(kb: KnowledgeBase, viewer: Viewer, context: dict[str, Any]) -> list[str]:
    """The executive summary: one sentence per section, each with its number and what the
    record covers, from the figures ``context`` already holds for ``viewer``. Read-only."""
    counts: dict[str, int] = context["counts"]
    incidents = counts.get("incident", 0)
    land = context["landscape"]
    dated = land.initiatives - land.by_year.get("undated", 0)
    after = sum(n for year, n in land.by_year.items() if year != "undated" and int(year) > 2017)
    sentences = [
        f"{land.initiatives} initiatives are on record, {after} of them started after 2017, the "
        f"year of Dudding and Ouederni's count; a start year is known for "
        f"{_of(dated, land.initiatives, 'initiatives')}."
    ]
    setters: list[NormSetter] = context["norm_rows"]
    joined = sum(1 for r in setters if r.endorsers)
    if setters and setters[0].endorsers:
        lead = setters[0]
        sentences.append(
            f"{lead.name} has the most endorsers of a norm-setting initiative, {lead.endorsers}; "
            f"participants are known for {_of(joined, len(setters), 'initiatives that set norms')}."
        )
    else:
        sentences.append(
            f"No endorser of a norm is on record: participants are known for "
            f"{_of(joined, len(setters), 'initiatives that set norms')}."
        )
    states = context["say_do"]["table"].states
    assessed = _assessed_incidents(kb, viewer)
    coverage = f"an assessment links a norm to {_of(assessed, incidents, 'incidents')}"
    top = max(states, key=lambda r: (r.breaches, -r.assessed_incidents), default=None)
    if top is not None and top.breaches:
        sentences.append(
            f"{top.name} is the state with the most breaches of norms it had endorsed, "
            f"{top.breaches} in {top.assessed_incidents} attributed incidents assessed; "
            f"{coverage}."
        )
    else:
        sentences.append(f"No breach of an endorsed norm is on record; {coverage}.")
    overview = context["overview"]
    contested = len(context["contested"])
    sentences.append(
        f"{_of(contested, overview.with_claims, 'incidents with attribution claims')} are "
        f"contested; attribution claims are known for "
        f"{_of(overview.with_claims, incidents, 'incidents')}."
    )
    net = context["metrics"]
    share = (
        f"{100 * net.public_private_share:.0f}%" if net.public_private_share is not None else "None"
    )
    sentences.append(
        f"{share} of the initiatives with known participants "
        f"({_of(net.public_private, net.initiatives_with_participants, 'initiatives')}) bring "
        f"governments and companies together; participants are known for "
        f"{_of(net.initiatives_with_participants, land.initiatives, 'initiatives')}."
    )
    return sentences


def _bibliography(records: list[Record]) -> list[Cited]:
    by_url: dict[str, tuple[Source, list[str]]] = {}
    for record in records:
        for source in record.sources:
            entry = by_url.setdefault(str(source.url), (source, []))
            if record.name not in entry[1]:
                entry[1].append(record.name)
    return [
        Cited(source, tuple(names))
        for source, names in sorted(by_url.values(), key=lambda e: e[0].publisher.casefold())
    ]


def _audience(kb: KnowledgeBase, viewer: Viewer) -> str:
    """Whom the briefing is for, by name: the public, or the viewer's organisation. Read-only."""
    if not viewer.authenticated:
        return "public (TLP:CLEAR)"
    own = kb.get_many([viewer.org_id or ""], viewer).get(viewer.org_id or "")
    return own.name if own is not None else "your organisation"


def build(kb: KnowledgeBase, viewer: Viewer = ANONYMOUS) -> str:
    """The briefing as one HTML document (inline CSS and SVG, no external assets). Read-only."""
    context: dict[str, Any] = {
        "generated": kb.now().date().isoformat(),
        "audience": _audience(kb, viewer),
        "counts": kb.count(viewer),
        **analyses.landscape(kb, viewer),
        **_norm_rows(kb, viewer),
        "say_do": analyses.say_do_table(kb, viewer),
        **_contested(kb, viewer),
        **analyses.network(kb, viewer),
    }
    context["summary"] = summary(kb, viewer, context)
    cited: list[Record] = [r.initiative for r in context["norm_rows"] if r.initiative is not None]
    incident_ids = [s.incident for s, _ in context["contested"]]
    cited.extend(kb.get_many(incident_ids, viewer).values())
    cited.extend(
        c
        for incident_id in incident_ids
        for c in referrers(kb, viewer, incident_id, Kind.CLAIM, ["incident"])
    )
    context["bibliography"] = _bibliography(cited)
    # Our own stylesheet, not user data: <style> content must not be entity-escaped.
    context["css"] = Markup((Path(__file__).parent / "web" / "static" / "report.css").read_text())  # noqa: S704
    return environment().get_template("report/briefing.html").render(**context)


def write(kb: KnowledgeBase, out: Path, *, fmt: str = "html", viewer: Viewer = ANONYMOUS) -> Path:
    """Write the briefing to ``out`` as HTML or PDF (PDF needs WeasyPrint). Writes one file."""
    if fmt not in FORMATS:
        raise BadRequest(f"unknown report format '{fmt}' (use html or pdf)")
    html = build(kb, viewer)
    if fmt == "html":
        out.write_text(html, encoding="utf-8")
        return out
    try:
        from weasyprint import HTML  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        raise BadRequest(
            "PDF output needs WeasyPrint and its system libraries (pip install 'accord[pdf]')"
        ) from exc
    HTML(string=html).write_pdf(out)
    return out
