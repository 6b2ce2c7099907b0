"""The REST API's contract: the models its OpenAPI document shows for every body and answer.

Answers are the domain's own JSON (:meth:`Record.to_json`, the analyses' ``to_json``) sent as
they are by :class:`JSONAnswer`: these models describe them to clients and do not validate each
answer again (a record stored under older rules is still served rather than failing, and a
page of 500 records is not validated twice). tests/test_api_contract.py holds the answers to
them: every operation, generated requests, each response checked against its schema.

Request bodies are typed per kind, but a body's ``data`` is validated by the domain
(:func:`accord.domain.inputs.parse_payload`), not here: a bad field stays a 422 in the one error
shape naming the record and ``data.<field>``. :class:`SchemaOf` gives ``data`` the payload's
schema in the document only.

Nothing is written twice: record envelopes come from :class:`Record` and :data:`PAYLOADS`,
analysis results from their dataclasses (:func:`mirror`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from types import UnionType
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Union,
    cast,
    get_args,
    get_origin,
    get_type_hints,
)

import pydantic_core
from fastapi import APIRouter, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler, create_model
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema as cs
from typing_extensions import TypedDict

from accord.analysis import consensus, landscape, network, saydo
from accord.domain.records import PAYLOADS, Payload, Record, RecordId, Source
from accord.domain.text import Line
from accord.domain.vocab import Kind, Marking, Status


class JSONAnswer(Response):
    """A JSON answer of already JSON-ready data, written by pydantic's serializer (the bytes
    FastAPI writes for a returned dict), without validating it against the response model."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """The content as compact UTF-8 JSON. Pure."""
        return pydantic_core.to_json(content)


# -- authentication and errors ------------------------------------------------------------------

#: Documents the bearer scheme (the check itself is :func:`accord.web.deps.current_viewer`).
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token ('accord token create'), sent as 'Authorization: Bearer <token>'. "
    "Optional: without it you are anonymous and see published CLEAR records only. A wrong, "
    "expired or revoked token is a 401, never anonymous.",
)


def token_optional(router: APIRouter) -> APIRouter:
    """The router, each of its own operations documented as taking the token optionally: the
    empty requirement beside the ``token`` one that :data:`BEARER` adds (a router it includes
    is marked by a call of its own). Changes the routes."""
    for route in router.routes:
        if isinstance(route, APIRoute):
            route.openapi_extra = {"security": [{}]}
    return router


class ErrorDetail(TypedDict):
    """What went wrong, in words and as a stable code."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    code: Annotated[str, Field(description="Stable machine code: not_found, invalid, ...")]
    message: Annotated[str, Field(description="What went wrong, for a person")]
    record: NotRequired[Annotated[str, Field(description="The record the error is about")]]
    field: NotRequired[
        Annotated[str, Field(description="The parameter or field at fault, dotted: data.start")]
    ]


class ErrorBody(TypedDict):
    """Every error answer of the API: ``{"error": {code, message, record?, field?}}``."""

    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]

    error: ErrorDetail


_ERROR_TEXT = {
    400: "A malformed request: a body that is not JSON text, a search text without a word, "
    "a change the rules refuse whatever its values (removing yourself from a record's named "
    "readers)",
    401: "A token was sent but is wrong, expired or revoked",
    403: "Not allowed: anonymous or reader writes, a contributor publishing or loosening a marking",
    404: "No such record, or one you may not see (existence is never revealed)",
    409: "The id is taken, or the record changed since expected_revision",
    413: "The body is over the server's size limit",
    422: "A parameter or field fails validation; 'field' names it",
    503: "The database cannot be reached",
}


def errors(*statuses: int, by_ref: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses, each with the one error body as
    JSON. ``by_ref``: for a route whose own media type is not JSON (FastAPI files a response
    model under the route's media type), the body is named by reference instead."""
    if not by_ref:
        return {s: {"model": ErrorBody, "description": _ERROR_TEXT[s]} for s in statuses}
    json = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ErrorBody.__name__}"}}}
    return {s: {"description": _ERROR_TEXT[s], "content": json} for s in statuses}


#: What any operation may answer: a bad token, a bad parameter, no database.
COMMON_ERRORS = errors(401, 422, 503)


# -- request bodies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchemaOf:
    """Annotation giving a free ``dict`` the JSON schema of a payload model in the OpenAPI
    document (``partial``: every field optional, for patches); validation stays the dict's."""

    model: type[BaseModel]
    partial: bool = False

    def __get_pydantic_json_schema__(
        self, _: cs.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        core = self.model.__pydantic_core_schema__
        if core["type"] != "definitions":  # a model without nested ones: named, not inlined
            core = cs.definitions_schema(cs.definition_reference_schema(core["ref"]), [core])
        schema = handler(core)
        if not self.partial:
            return schema
        whole = handler.resolve_ref_schema(schema)
        partial = {key: value for key, value in whole.items() if key != "required"}
        partial["title"] = f"{whole.get('title', self.model.__name__)} (patch)"
        return partial


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateBody(_Body):
    """A new record: payload fields in ``data``, at least one source, and its sharing."""

    id: RecordId | None = Field(
        default=None,
        description="In your organisation's namespace: '<organisation id>.<name>' (curators: no "
        "dot). Left out, one is assigned.",
    )
    data: dict[str, Any]
    sources: list[Source] = Field(default_factory=list)
    marking: Marking = Marking.CLEAR
    status: Status = Field(
        default=Status.PUBLISHED,
        description="Honoured for reviewers of your organisation only: anyone else's new record "
        "is a draft until a reviewer publishes it.",
    )
    shares: list[RecordId] = Field(default_factory=list)
    readers: list[Line] = Field(default_factory=list)


class UpdateBody(_Body):
    """A patch: payload fields to change and/or new sources, optionally guarded by revision."""

    data: dict[str, Any] | None = None
    sources: list[Source] | None = Field(
        default=None, description="Replaces every source when given"
    )
    expected_revision: int | None = Field(
        default=None, description="Refuse (409) unless this is still the current revision"
    )


class MarkingBody(_Body):
    """A new TLP marking."""

    marking: Marking


class SharingBody(_Body):
    """A new AMBER share list and/or RED named readers."""

    shares: list[RecordId] | None = Field(
        default=None, description="Organisations an AMBER record is shared with"
    )
    readers: list[Line] | None = Field(
        default=None, description="User ids who may read a RED record"
    )


# -- records -------------------------------------------------------------------------------------


class _Envelope(Record):
    # Record.to_json writes every envelope field, defaults included: all are required.
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


_NEXT = "Pass it as 'after' for the next page; null on the last page"


@dataclass(frozen=True)
class KindModels:
    """The models of one kind's resources."""

    record: type[BaseModel]
    page: type[BaseModel]
    history: type[BaseModel]
    create: type[BaseModel]
    update: type[BaseModel]


def _kind_models(kind: Kind, payload: type[Payload]) -> KindModels:
    name = kind.value.capitalize()
    record = create_model(
        f"{name}Record",
        __base__=_Envelope,
        __doc__=f"A {kind.value} record: the envelope every kind shares around its payload.",
        kind=(cast(Any, Literal)[kind], ...),
        data=(
            payload,
            Field(description=f"The {kind.value}'s fields; those at their default are left out"),
        ),
    )
    page = create_model(
        f"{name}Page",
        __base__=_Answer,
        __doc__=f"One page of {kind.value} records, ordered by id.",
        items=(list[record], ...),
        next=(str | None, Field(description=_NEXT)),
    )
    revision = create_model(
        f"{name}Revision",
        __base__=_Answer,
        __doc__="One revision as you may see it today.",
        revision=(int, ...),
        changed_at=(dt.datetime, ...),
        changed_by=(str | None, Field(description="The user id of who made it; null: the system")),
        record=(record, ...),
    )
    history = create_model(
        f"{name}History",
        __base__=_Answer,
        __doc__="The revisions you were entitled to see, oldest first.",
        revisions=(list[revision], ...),
    )
    create = create_model(
        f"{name}Create",
        __base__=CreateBody,
        __doc__=CreateBody.__doc__,
        data=(
            Annotated[dict[str, Any], SchemaOf(payload)],
            Field(description=f"The {kind.value}'s fields (validated as in the schema)"),
        ),
    )
    update = create_model(
        f"{name}Update",
        __base__=UpdateBody,
        __doc__=UpdateBody.__doc__,
        data=(
            Annotated[dict[str, Any], SchemaOf(payload, partial=True)] | None,
            Field(default=None, description="Fields to change; the others keep their value"),
        ),
    )
    return KindModels(record, page, history, create, update)


MODELS: Mapping[Kind, KindModels] = {kind: _kind_models(kind, p) for kind, p in PAYLOADS.items()}

#: A record of any kind, told apart by its ``kind``.
AnyRecord: Any = Annotated[
    Union[tuple(m.record for m in MODELS.values())],  # noqa: UP007 - a runtime tuple of types
    Field(discriminator="kind"),
]


class SearchHit(_Answer):
    """A record matching the query, with its relevance."""

    score: float = Field(
        ge=0,
        le=1,
        description="Relevance in [0, 1], higher is better; computed from the record and the "
        "query alone",
    )
    record: AnyRecord


class SearchResults(_Answer):
    """The records you may see that match, most relevant first."""

    items: list[SearchHit]


CountBy = Literal["kind", "marking", "owner"]


class Counts(_Answer):
    """How many records you may see, by kind, marking or owner."""

    by: CountBy
    counts: dict[str, int] = Field(description="Only values with at least one record appear")


# -- analyses ------------------------------------------------------------------------------------

#: Schema names of results whose class name says too little on its own.
_NAMES: Mapping[type, str] = {
    consensus.Summary: "ConsensusSummary",
    consensus.Overview: "ConsensusOverview",
    consensus.Timing: "TimeToAttribution",
    consensus.StateProfile: "ConsensusProfile",
    consensus.FirstAttribution: "FirstGovernmentAttribution",
    saydo.StateRow: "SayDoRow",
    saydo.Event: "TimelineEvent",
    saydo.StateDetail: "SayDoState",
    landscape.Comparison: "PaperComparison",
    network.Network: "NetworkMetrics",
}
#: Descriptions where the class docstring speaks of the implementation.
_DOCS: Mapping[type, str] = {
    consensus.Summary: "One line of the all-incidents table: the lead state (none on a tie or "
    "without attribution), its settledness, governments and most formal step, and the flags.",
}
#: Values a result's ``to_json`` adds to its fields.
_COMPUTED: Mapping[type, Mapping[str, Any]] = {
    saydo.StateRow: {"rate": (float | None, Field(description="Breaches per norm endorsed"))},
}


def _is_result(tp: Any) -> bool:
    return isinstance(tp, type) and (
        dataclasses.is_dataclass(tp) or (issubclass(tp, tuple) and hasattr(tp, "_fields"))
    )


def _json_type(tp: Any) -> Any:
    """The type a result field has once written as JSON: tuples as lists, results as models."""
    origin, args = get_origin(tp), get_args(tp)
    if origin is tuple:
        return cast(Any, list)[_json_type(args[0])]
    if origin is dict:
        return cast(Any, dict)[args[0], _json_type(args[1])]
    if origin in (Union, UnionType):
        return Union[tuple(_json_type(a) for a in args)]  # noqa: UP007
    return mirror(tp) if _is_result(tp) else tp


@functools.cache
def mirror(result: type) -> type[BaseModel]:
    """The model of an analysis result (a frozen dataclass or named tuple) as its ``to_json``
    writes it: the same fields, all required, nothing else. Pure."""
    hints = get_type_hints(result)
    names = (
        [f.name for f in dataclasses.fields(result)]
        if dataclasses.is_dataclass(result)
        else list(getattr(result, "_fields", ()))
    )
    fields: dict[str, Any] = {name: (_json_type(hints[name]), ...) for name in names}
    fields.update(_COMPUTED.get(result, {}))
    return create_model(
        _NAMES.get(result, result.__name__),
        __base__=_Answer,
        __doc__=_DOCS.get(result) or inspect.cleandoc(result.__doc__ or ""),
        **fields,
    )


ConsensusOverview = mirror(consensus.Overview)
Consensus = mirror(consensus.Consensus)
SayDo = mirror(saydo.SayDo)
SayDoState = mirror(saydo.StateDetail)
Landscape = mirror(landscape.Landscape)
NetworkMetrics = mirror(network.Network)


class _GraphItem(TypedDict):
    __pydantic_config__ = ConfigDict(extra="forbid")  # type: ignore[misc]


class ActorNode(_GraphItem):
    """An actor taking part in at least one initiative."""

    id: str
    node_type: Literal["actor"]
    bipartite: Literal[0]
    name: str
    kind: str
    sector: Annotated[str, Field(description="Its stakeholder sector, or 'none'")]


class InitiativeNode(_GraphItem):
    """An initiative."""

    id: str
    node_type: Literal["initiative"]
    bipartite: Literal[1]
    name: str
    kind: str
    status: str
    binding: bool
    start: NotRequired[str]


class GraphEdge(_GraphItem):
    """An actor's part in an initiative."""

    source: str
    target: str
    roles: Annotated[str, Field(description="Its participation roles, comma-separated")]


class NodeLinkGraph(_Answer):
    """The actor-initiative graph as node-link JSON (networkx ``node_link_data``)."""

    directed: bool
    multigraph: bool
    graph: dict[str, Any] = Field(description="Graph attributes (none)")
    nodes: list[Annotated[ActorNode | InitiativeNode, Field(discriminator="node_type")]]
    edges: list[GraphEdge]


GRAPHML = "application/graphml+xml"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


class StixObject(BaseModel):
    """A STIX 2.1 object (its other properties depend on its type)."""

    model_config = ConfigDict(extra="allow")

    type: str
    id: str = Field(pattern=r"^[a-z0-9-]+--[0-9a-f-]{36}$")
    spec_version: Literal["2.1"]


class StixBundle(_Answer):
    """A STIX 2.1 bundle of everything you may see, entities before the records linking them."""

    type: Literal["bundle"]
    id: str = Field(pattern=r"^bundle--[0-9a-f-]{36}$")
    objects: list[StixObject]
