"""REST resources for the analyses under /api/v1/analysis (thin over accord.analysis).

Every result is computed over what the caller may see.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from accord.analysis import consensus, landscape, network, saydo
from accord.web.deps import KB, CurrentViewer

Threshold = Annotated[float | None, Query(gt=0, le=1)]


def build_router() -> APIRouter:
    """The /analysis routes: consensus, say-do, landscape and network."""
    router = APIRouter(prefix="/analysis", tags=["analysis"])

    @router.get("/consensus")
    def consensus_all(kb: KB, viewer: CurrentViewer, divergent: bool = False) -> dict[str, Any]:
        result = consensus.all_incidents(kb, viewer).to_json()
        if divergent:
            result["incidents"] = [i for i in result["incidents"] if i["divergent"]]
        return result

    @router.get("/consensus/incidents/{incident_id}")
    def consensus_incident(incident_id: str, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        return consensus.for_incident(kb, viewer, incident_id).to_json()

    @router.get("/consensus/groups/{group_id}")
    def consensus_group(group_id: str, kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        return consensus.for_group(kb, viewer, group_id).to_json()

    @router.get("/say-do")
    def say_do(kb: KB, viewer: CurrentViewer, threshold: Threshold = None) -> dict[str, Any]:
        return saydo.table(kb, viewer, threshold=threshold).to_json()

    @router.get("/say-do/{state_id}")
    def say_do_state(
        state_id: str, kb: KB, viewer: CurrentViewer, threshold: Threshold = None
    ) -> dict[str, Any]:
        return saydo.for_state(kb, viewer, state_id, threshold=threshold).to_json()

    @router.get("/landscape")
    def initiative_landscape(kb: KB, viewer: CurrentViewer) -> dict[str, Any]:
        return landscape.landscape(kb, viewer).to_json()

    @router.get("/network")
    def stakeholder_network(
        kb: KB, viewer: CurrentViewer, top: Annotated[int, Query(ge=1, le=100)] = 10
    ) -> dict[str, Any]:
        return network.analyse(kb, viewer, top=top).to_json()

    @router.get("/network/graph", response_model=None)
    def network_graph(
        kb: KB, viewer: CurrentViewer, format: Literal["json", "graphml"] = "json"
    ) -> dict[str, Any] | Response:
        g = network.graph(kb, viewer)
        if format == "json":
            return network.to_json(g)
        return Response(network.graphml_text(g), media_type="application/graphml+xml")

    return router
