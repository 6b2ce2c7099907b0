"""``accord analyze``: the four analyses (parse → accord.analysis → print).

Every result counts only what the reader (``--as``; anonymous by default) may see.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import orjson
import typer

from accord import render
from accord.access import Viewer
from accord.cli_common import As, Db, Json, existing_folder, hint_missing, open_kb, viewer_for
from accord.domain.vocab import Kind
from accord.kb import KnowledgeBase
from accord.render import Col

if TYPE_CHECKING:  # the analyses (numpy, networkx) load only when a command runs them
    from accord.analysis import consensus, saydo

analyze_app = typer.Typer(
    help="Analyses: attribution consensus, say-do gap, initiative landscape, network.",
    no_args_is_help=True,
)

Threshold = Annotated[
    float | None,
    typer.Option(
        help="Count an incident as attributed when the state's consensus score reaches this "
        "(0-1), instead of the default rule (at least one government claimant).",
        min=0.0,
        max=1.0,
    ),
]


def _session(db: str | None, email: str | None) -> tuple[KnowledgeBase, Viewer]:
    kb = open_kb(db)
    return kb, viewer_for(kb, email)


def _score(value: float) -> str:
    return f"{value:.3f}"


def _days(timing: consensus.Timing | None) -> str:
    if timing is None:
        return ""
    if timing.days_min == timing.days_max:
        return str(timing.days_min)
    return f"{timing.days_min}-{timing.days_max}"


@analyze_app.command("consensus")
def consensus_cmd(
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    incident: Annotated[str | None, typer.Option(help="One incident, in detail.")] = None,
    group: Annotated[
        str | None, typer.Option(help="One threat group: who is said to be behind it.")
    ] = None,
    divergent: Annotated[
        bool, typer.Option("--divergent", help="Only incidents where sectors disagree.")
    ] = False,
) -> None:
    """Attribution consensus and dissent: all incidents, one incident, or one threat group."""
    from accord.analysis import consensus

    kb, viewer = _session(db, as_user)
    with kb:
        if incident:
            with hint_missing(kb, viewer, incident, kind=Kind.INCIDENT):
                detail = consensus.for_incident(kb, viewer, incident)
        elif group:
            with hint_missing(kb, viewer, group, kind=Kind.ACTOR):
                detail = consensus.for_group(kb, viewer, group)
        if incident or group:
            _print_detail(detail, json)
            return
        overview = consensus.all_incidents(kb, viewer)
    rows = [s for s in overview.incidents if s.claims and (s.divergent or not divergent)]
    if json:
        body = overview.to_json()
        body["incidents"] = [s.to_json() for s in rows]
        render.emit_json(body)
        return
    render.table(
        f"Attribution consensus ({overview.with_claims} incidents with claims, "
        f"{overview.divergent} where sectors diverge)",
        [
            Col("incident", key=True),
            Col("name", drop=4),
            Col("lead state", key=True),
            "settledness",
            Col("governments", drop=2),
            Col("most formal step", drop=5),
            "claims",
            Col("divergent", drop=3),
            Col("days to gov. claim", drop=1),
        ],
        [
            (
                s.incident,
                s.name,
                s.lead or "(none or tied)",
                s.settledness,
                s.governments,
                s.formality,
                s.claims,
                "yes" if s.divergent else "",
                _days(s.time_to_attribution) if s.start else "start unknown",
            )
            for s in rows
        ],
    )
    render.line(
        "Lead state: most governments attributing, then the most formal step, other claimants, "
        "level and evidence; none when two states tie or nobody attributed it. Governments "
        "counts states and international organisations, a government's agencies as one."
    )
    if overview.undated_incidents:
        render.line(
            f"Incidents with no start date, left out of the days to attribution: "
            f"{overview.undated_incidents}."
        )


def _print_detail(detail: consensus.Consensus, json: bool) -> None:
    if json:
        render.emit_json(detail.to_json())
        return
    render.table(
        f"{detail.name} ({detail.about}): accused states, lead first",
        [
            Col("state", key=True),
            "settledness",
            Col("governments", drop=1),
            Col("most formal step", drop=2),
            Col("level", drop=3),
            Col("evidence", drop=4),
            Col("dissent", drop=5),
            Col("denials", drop=6),
        ],
        [
            (
                p.state,
                p.settledness,
                len(p.governments),
                p.formality,
                p.level or "",
                p.evidence or "",
                len(p.dissent),
                len(p.denials),
            )
            for p in detail.profiles
        ],
    )
    render.line(f"Lead: {detail.lead or 'none (nobody attributed it, or two states tie)'}")
    for p in detail.profiles:
        render.line(f"{p.name}: " + " ".join(p.sentences(detail.names)))
    for note in detail.notes:
        render.line(note)
    render.table(
        f"{detail.name} ({detail.about}): weighted score per accused actor",
        [
            Col("accused", key=True),
            Col("name", drop=5),
            "score",
            Col("support", drop=2),
            Col("dissent", drop=3),
            Col("voices for", drop=4),
            Col("voices against", drop=4),
            Col("sectors", drop=1),
        ],
        [
            (
                a.actor,
                a.name,
                _score(a.score),
                _score(a.support),
                _score(a.dissent),
                a.supporting_voices,
                a.disputing_voices,
                ", ".join(f"{s.sector}: {s.position}" for s in a.sectors),
            )
            for a in detail.accused
        ],
    )
    render.table(
        "Claims",
        [
            Col("accused", key=True),
            Col("claimant", key=True),
            Col("claimant name", drop=6),
            "stance",
            Col("kind", drop=3),
            "date",
            Col("conf.", drop=4),
            Col("evidence", drop=5),
            Col("weight", drop=2),
            Col("via", drop=1),
        ],
        [
            (
                a.actor,
                c.claimant,
                c.claimant_name,
                c.stance,
                c.kind,
                c.date or "date unknown",
                c.confidence,
                c.evidence,
                _score(c.weight),
                c.via,
            )
            for a in detail.accused
            for c in a.claims
        ],
    )
    render.line(f"Score: {detail.score_meaning}")
    for reason in detail.divergence:
        render.line(f"Divergence: {reason}")
    if detail.time_to_attribution:
        t = detail.time_to_attribution
        render.line(
            f"First dated government attribution: {t.first_claim} ({t.claim_date}), "
            f"{_days(t)} days after the start ({t.start})."
        )
        if t.undated:
            render.line(
                f"Government attributions without a date: {t.undated} (not placed in time; "
                "they may have come earlier)."
            )


@analyze_app.command("say-do")
def say_do_cmd(
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    state: Annotated[
        str | None, typer.Option(help="One state (e.g. state-ru): breaches and timeline.")
    ] = None,
    threshold: Threshold = None,
    every: Annotated[
        bool,
        typer.Option("--all", help="Also list the states whose every count is zero."),
    ] = False,
) -> None:
    """The say-do gap: norms each state endorsed next to attributed incidents breaching them."""
    from accord.analysis import saydo

    kb, viewer = _session(db, as_user)
    with kb:
        if state:
            with hint_missing(kb, viewer, state, state=True):
                detail = saydo.for_state(kb, viewer, state, threshold=threshold)
        else:
            result = saydo.table(kb, viewer, threshold=threshold)
    if state:
        _print_state(detail, json)
        return
    if json:
        render.emit_json(result.to_json())
        return
    shown = [r for r in result.states if every or not _all_zero(r)]
    render.table(
        f"Say-do gap ({result.rule}), ranked",
        [
            Col("state", key=True),
            "name",
            Col("initiatives", drop=2),
            Col("left", drop=1),
            "norms endorsed",
            Col("assessed incidents", drop=3),
            "breaches",
            Col("per norm", drop=4),
        ],
        [
            (
                r.state,
                r.name,
                r.initiatives_joined,
                r.initiatives_left,
                r.norms_endorsed,
                r.assessed_incidents,
                r.breaches,
                "" if r.rate is None else f"{r.rate:.2f}",
            )
            for r in sorted(shown, key=lambda r: (-r.breaches, r.state))
        ],
    )
    hidden = len(result.states) - len(shown)
    if hidden:
        render.line(f"{hidden} states with nothing to count are not shown (--all lists them).")
    if result.undated_incidents:
        render.line(
            f"Assessed incidents with no start date, never counted as breaches: "
            f"{result.undated_incidents}."
        )
    for caveat in result.caveats:
        render.line(f"Caveat: {caveat}")


def _all_zero(row: saydo.StateRow) -> bool:
    return not (
        row.initiatives_joined
        or row.initiatives_left
        or row.undated
        or row.norms_endorsed
        or row.assessed_incidents
        or row.breaches
    )


def _print_state(detail: saydo.StateDetail, json: bool) -> None:
    if json:
        render.emit_json(detail.to_json())
        return
    render.table(
        f"{detail.row.name} ({detail.row.state}): norms endorsed, by route",
        [Col("initiative", key=True), "role (route)", "since", "norms", Col("record", key=True)],
        [
            (e.initiative_name, e.role, e.joined or "undated", e.norms, e.participation)
            for e in detail.endorsements
        ],
    )
    render.table(
        f"{detail.row.name} ({detail.row.state}): timeline ({detail.rule})",
        [Col("date", key=True), "event", Col("record", key=True), "name", Col("breaches", drop=1)],
        [
            (e.date or "date unknown", e.what, e.ref, e.name, ", ".join(e.breaches))
            for e in detail.timeline
        ],
    )


@analyze_app.command("landscape")
def landscape_cmd(db: Db = None, json: Json = False, as_user: As = None) -> None:
    """The initiative landscape, and the paper's 2017 count beside ours."""
    from accord.analysis import landscape

    kb, viewer = _session(db, as_user)
    with kb:
        result = landscape.landscape(kb, viewer)
    if json:
        render.emit_json(result.to_json())
        return
    for title, counts in (
        ("Initiatives by kind", result.by_kind),
        ("by status", result.by_status),
        ("by bindingness", result.by_binding),
        ("by start year", result.by_year),
        ("Participants by sector", result.participants_by_sector),
    ):
        render.table(title, ["", "count"], sorted(counts.items()))
    render.table(
        "The paper's 2017 count beside ours",
        ["category", "paper (2017)", "ours, to 2017", "ours, all"],
        [(c.category, c.paper_2017, c.ours_to_2017, c.ours_all) for c in result.paper_comparison],
    )
    render.line(result.note)


@analyze_app.command("network")
def network_cmd(
    db: Db = None,
    json: Json = False,
    as_user: As = None,
    top: Annotated[int, typer.Option(help="How many bridges to list.", min=1)] = 10,
    graphml: Annotated[
        Path | None,
        typer.Option(
            "--graphml", help="Also write the graph as GraphML here.", callback=existing_folder
        ),
    ] = None,
    graph_json: Annotated[
        Path | None,
        typer.Option(
            "--graph-json", help="Also write the graph as JSON here.", callback=existing_folder
        ),
    ] = None,
) -> None:
    """The stakeholder network: bridging metrics and the internet-governance map."""
    from accord.analysis import network

    kb, viewer = _session(db, as_user)
    with kb:
        result = network.analyse(kb, viewer, top=top)
        g = network.graph(kb, viewer) if graphml or graph_json else None
    if g is not None and graphml:
        network.write_graphml(g, graphml)
    if g is not None and graph_json:
        graph_json.write_bytes(orjson.dumps(network.to_json(g)))
    if json:
        render.emit_json(result.to_json())
        return
    share = result.public_private_share
    render.line(
        f"{result.actors} actors, {result.initiatives} initiatives, {result.participations} "
        f"participations; {result.public_private} of {result.initiatives_with_participants} "
        f"initiatives join government and private participants"
        + (f" ({share:.0%})." if share is not None else ".")
    )
    render.table(
        "Co-participation by sector pair (observed / expected by chance)",
        ["sectors", "observed", "expected", "index"],
        [
            (
                f"{p.a} + {p.b}",
                p.observed,
                f"{p.expected:.1f}",
                "" if p.index is None else f"{p.index:.2f}",
            )
            for p in result.sector_pairs
        ],
    )
    render.table(
        "Bridges (highest betweenness)" + (" (estimated)" if result.betweenness_sampled else ""),
        [Col("actor", key=True), "name", Col("sector", drop=1), "betweenness", "initiatives"],
        [
            (b.actor, b.name, b.sector, f"{b.betweenness:.4f}", b.initiatives)
            for b in result.bridges
        ],
    )
    render.table(
        "Internet governance",
        [
            Col("body", key=True),
            Col("name", drop=1),
            "frame",
            "stakeholder model",
            Col("binding", drop=2),
        ],
        [
            (g.actor, g.name, g.frame, g.stakeholder_model, "yes" if g.binding else "no")
            for g in result.governance
        ],
    )
