"""The TAXII collections a viewer may read (and write): pure, from the viewer alone."""

from __future__ import annotations

from dataclasses import dataclass

from accord.access import Viewer
from accord.domain.stable_ids import uuid5
from accord.domain.vocab import Marking
from accord.errors import NotFound
from accord.interop.stix_feed import Scope
from accord.web.taxii.media import STIX


@dataclass(frozen=True)
class Collection:
    """A TAXII collection: a named, access-checked slice of the records."""

    key: str
    title: str
    description: str
    scope: Scope
    can_write: bool = False
    default_marking: Marking = Marking.AMBER_STRICT

    @property
    def id(self) -> str:
        """A stable UUID for the collection."""
        return uuid5(f"taxii-collection:{self.key}")

    def resource(self) -> dict[str, object]:
        """The TAXII collection resource."""
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "can_read": True,
            "can_write": self.can_write,
            "media_types": [STIX],
        }


def collections_for(viewer: Viewer) -> list[Collection]:
    """Public (CLEAR) for everyone; community (GREEN) when signed in; the viewer's own
    organisation's records (any marking it may see), writable by its contributors; and the
    records other organisations shared with it. Every collection is also filtered by
    ``access.visible``, so a scope never widens what the viewer may read."""
    out = [
        Collection("public", "Public", "Records marked TLP:CLEAR.", Scope(marking=Marking.CLEAR))
    ]
    if viewer.authenticated:
        out.append(
            Collection(
                "community",
                "Community",
                "Records marked TLP:GREEN, for every signed-in member.",
                Scope(marking=Marking.GREEN),
            )
        )
    if viewer.org_id is not None:
        out.append(
            Collection(
                f"org:{viewer.org_id}",
                viewer.org_id,
                "Records owned by your organisation. Objects added here without a TLP "
                "marking are marked TLP:AMBER+STRICT.",
                Scope(owner=viewer.org_id),
                can_write=bool(viewer.role and viewer.role.can_write),
            )
        )
        out.append(
            Collection(
                f"shared:{viewer.org_id}",
                f"Shared with {viewer.org_id}",
                "TLP:AMBER records other organisations shared with yours.",
                Scope(shared_with=viewer.org_id),
            )
        )
    return out


def find(viewer: Viewer, collection_id: str) -> Collection:
    """The viewer's collection with this id; 404 when there is none (or it is not theirs)."""
    for collection in collections_for(viewer):
        if collection.id == collection_id:
            return collection
    raise NotFound("no such collection")
