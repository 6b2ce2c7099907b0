"""REST resources for the analyses under /api/v1/analysis (thin over accord.analysis).

Every result is computed over what the caller may see, and answered as its ``to_json`` writes
it; the models in :mod:`accord.web.api.models` describe it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from accord.analysis import consensus, landscape, network, saydo
from accord.web.api.models import (
    BEARER,
    COMMON_ERRORS,
    GRAPHML,
    Consensus,
    ConsensusOverview,
    JSONAnswer,
    Landscape,
    NetworkMetrics,
    NodeLinkGraph,
    SayDo,
    SayDoState,
    errors,
    token_optional,
)
from accord.web.deps import KB, CurrentViewer

Threshold = Annotated[
    float | None,
    Query(
        gt=0,
        le=1,
        description="Count a breach when the consensus on the state is at least this; "
        "left out: when at least one government attributes it",
    ),
]


def build_router() -> APIRouter:
    """The /analysis routes: consensus, say-do, landscape and network."""
    router = APIRouter(
        prefix="/analysis",
        tags=["analysis"],
        dependencies=[Depends(BEARER)],
        responses=COMMON_ERRORS,
    )

    @router.get("/consensus", response_model=ConsensusOverview)
    def consensus_all(kb: KB, viewer: CurrentViewer, divergent: bool = False) -> Response:
        """Consensus over every incident you may see (``divergent``: only where sectors split)."""
        result = consensus.all_incidents(kb, viewer).to_json()
        if divergent:
            result["incidents"] = [i for i in result["incidents"] if i["divergent"]]
        return JSONAnswer(result)

    @router.get(
        "/consensus/{incident_id}",
        response_model=Consensus,
        responses=errors(404),
    )
    @router.get(
        "/consensus/incidents/{incident_id}",
        response_model=Consensus,
        responses=errors(404),
    )
    def consensus_incident(incident_id: str, kb: KB, viewer: CurrentViewer) -> Response:
        """Per accused state, who attributed one incident and how formally (``profiles``), the
        lead, and the weighted score, with consensus and dissent (one answer, two paths)."""
        return JSONAnswer(consensus.for_incident(kb, viewer, incident_id).to_json())

    @router.get(
        "/consensus/groups/{group_id}",
        response_model=Consensus,
        responses=errors(404),
    )
    def consensus_group(group_id: str, kb: KB, viewer: CurrentViewer) -> Response:
        """Consensus and dissent on who is behind a threat group (or any actor)."""
        return JSONAnswer(consensus.for_group(kb, viewer, group_id).to_json())

    @router.get("/say-do", response_model=SayDo)
    def say_do(kb: KB, viewer: CurrentViewer, threshold: Threshold = None) -> Response:
        """What states endorse beside the norms their attributed incidents breach."""
        return JSONAnswer(saydo.table(kb, viewer, threshold=threshold).to_json())

    @router.get(
        "/say-do/{state_id}",
        response_model=SayDoState,
        responses=errors(404),
    )
    def say_do_state(
        state_id: str, kb: KB, viewer: CurrentViewer, threshold: Threshold = None
    ) -> Response:
        """One state's say-do row, breaches and timeline."""
        return JSONAnswer(saydo.for_state(kb, viewer, state_id, threshold=threshold).to_json())

    @router.get("/landscape", response_model=Landscape)
    def initiative_landscape(kb: KB, viewer: CurrentViewer) -> Response:
        """Counts of the initiatives you may see and of their participants."""
        return JSONAnswer(landscape.landscape(kb, viewer).to_json())

    @router.get("/network", response_model=NetworkMetrics)
    def stakeholder_network(
        kb: KB, viewer: CurrentViewer, top: Annotated[int, Query(ge=1, le=100)] = 10
    ) -> Response:
        """Bridging metrics of the actor-initiative network (``top``: how many bridges)."""
        return JSONAnswer(network.analyse(kb, viewer, top=top).to_json())

    @router.get(
        "/network/graph",
        response_model=NodeLinkGraph,
        responses={
            200: {
                "description": "The graph as node-link JSON, or GraphML with format=graphml",
                "content": {GRAPHML: {"schema": {"type": "string", "title": "GraphML"}}},
            }
        },
    )
    def network_graph(
        kb: KB, viewer: CurrentViewer, format: Literal["json", "graphml"] = "json"
    ) -> Response:
        """The actor-initiative graph, as node-link JSON or as GraphML."""
        g = network.graph(kb, viewer)
        if format == "json":
            return JSONAnswer(network.to_json(g))
        return Response(network.graphml_text(g), media_type=GRAPHML)

    return token_optional(router)
