"""The ids an import writes: what an importer planned, moved into the importer's namespace.

An importer plans ids from its input (``paris-call-…``, a STIX object's id). Written by the
curators, they stay as planned. Written by another organisation, a planned id stays only where
the importer may see a record with it (the import then meets that record: unchanged, an update
or a conflict, as for any write) or where it is already in the organisation's namespace; any
other moves into the namespace (``ministry.`` + the planned id). Which happens depends only on
what the importer may see, so an import reveals nothing of hidden records.
"""

from __future__ import annotations

from collections.abc import Iterable

from accord import access
from accord.access import Viewer
from accord.kb import KnowledgeBase


class ImportIds:
    """Maps planned ids to written ids for one import by one viewer. Reads (visibility)."""

    def __init__(self, kb: KnowledgeBase, viewer: Viewer) -> None:
        self._kb, self._viewer = kb, viewer
        self._owner = viewer.org_id or ""
        self._prefix = access.id_namespace(self._owner)
        self._written: dict[str, str] = {}

    def learn(self, planned: Iterable[str]) -> None:
        """Decide the written ids of many planned ids at once (one visibility query)."""
        if not self._prefix:
            return
        new = {rid for rid in planned if rid not in self._written}
        outside = {rid for rid in new if rid != self._owner}
        outside -= {rid for rid in outside if access.namespace_owner(rid) == self._owner}
        seen = self._kb.visible_ids(outside, self._viewer)
        for rid in new:
            moved = rid in outside and rid not in seen
            self._written[rid] = self._prefix + rid if moved else rid

    def __call__(self, planned: str) -> str:
        """The id written for a planned id."""
        if not self._prefix:
            return planned
        if planned not in self._written:
            self.learn([planned])
        return self._written[planned]
