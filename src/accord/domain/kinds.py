"""One registry of record kinds: what every layer needs to know about a kind, in one place.

Adding a kind means adding its payload model (:mod:`accord.domain.records`) and one line here;
the URL segments, the people's labels, the curated dataset's file keys, Accord's own STIX types
and the order of exports all come from this table. Pure, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.domain.records import PAYLOADS, Payload
from accord.domain.vocab import RELATIONSHIP_KINDS, Kind


@dataclass(frozen=True)
class KindInfo:
    """What the layers need to know about one kind of record."""

    kind: Kind
    #: The URL segment (``/api/v1/incidents``, ``/incidents``) and the dataset files' key.
    plural: str
    #: How a person reads the kind's name.
    label: str
    #: The STIX type Accord declares for the kind, with its extension type, when STIX has none.
    new_stix_type: tuple[str, str] | None = None

    @property
    def payload(self) -> type[Payload]:
        """The kind's payload model."""
        return PAYLOADS[self.kind]

    @property
    def links(self) -> bool:
        """Whether records of this kind are visible only with every record they point to."""
        return self.kind in RELATIONSHIP_KINDS


#: Every kind, each after the kinds it points to (the order of exports and imports).
KINDS: tuple[KindInfo, ...] = (
    KindInfo(Kind.ACTOR, "actors", "Actor"),
    KindInfo(Kind.INCIDENT, "incidents", "Incident"),
    KindInfo(Kind.INITIATIVE, "initiatives", "Initiative", ("x-accord-initiative", "new-sdo")),
    KindInfo(Kind.NORM, "norms", "Norm", ("x-accord-norm", "new-sdo")),
    KindInfo(Kind.RESPONSE, "responses", "Response", ("x-accord-response", "new-sdo")),
    KindInfo(Kind.CLAIM, "claims", "Attribution claim"),
    KindInfo(
        Kind.PARTICIPATION, "participations", "Participation", ("x-accord-participation", "new-sro")
    ),
    KindInfo(
        Kind.ASSESSMENT, "assessments", "Norm assessment", ("x-accord-assessment", "new-sro")
    ),
    KindInfo(Kind.EVIDENCE, "evidence", "Evidence"),
)
BY_KIND: dict[Kind, KindInfo] = {info.kind: info for info in KINDS}
BY_PLURAL: dict[str, KindInfo] = {info.plural: info for info in KINDS}


def _check() -> None:
    """Every kind is registered once, and each comes after the kinds it points to (itself
    aside: a norm's equivalents; evidence, last, is about any kind but evidence)."""
    if set(BY_KIND) != set(Kind) or len(KINDS) != len(Kind):
        raise RuntimeError("every kind of record is registered exactly once in KINDS")
    seen: set[Kind] = set()
    for info in KINDS:
        targets = {t for spec in info.payload.REFS.values() for t in spec.kinds}
        if info.kind is not Kind.EVIDENCE and targets - seen - {info.kind}:
            raise RuntimeError(f"{info.kind.value} is registered before a kind it points to")
        seen.add(info.kind)


_check()
