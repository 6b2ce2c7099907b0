"""Sort a page of remote objects into what a pull does with each (read-only).

- ``create``: new here; ``update``: a newer remote version of a record pulled before and not
  changed here since; ``unchanged``: the version written already (or an older one);
- ``conflict``: a newer remote version of a record changed here since the last pull (an edit,
  a publication, a re-marking): nothing is overwritten;
- ``withdraw``: the origin revoked (withdrew) an object pulled before: the local copy becomes
  a tombstone (even when it was changed here: the origin retracted it);
- ``skip``: never synced, with the reason: TLP:RED, an object that originated on this
  instance (its STIX id is one of this instance's own records: no copies back, no loops),
  a revoked object never pulled before, a malformed object;
- ``definition``: marking and extension definitions (read from the objects' own references,
  never stored).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from accord.access import Viewer
from accord.domain.vocab import Marking
from accord.federation import origins
from accord.interop import stix_convert as sc
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase

ACTIONS = ("create", "update", "unchanged", "conflict", "withdraw", "skip", "definition")
_DEFINITIONS = frozenset({"marking-definition", "extension-definition", "language-content"})


@dataclass(frozen=True)
class Decision:
    """What happens to one remote object, and why; ``record`` is the local copy's id (for an
    update, a conflict or an unchanged object)."""

    action: str
    remote_id: str
    obj: Mapping[str, Any]
    reason: str = ""
    record: str | None = None
    origin: origins.Origin | None = None


def remote_version(obj: Mapping[str, Any]) -> str:
    """The object's version: ``modified`` (``created`` for objects without one)."""
    return str(obj.get("modified") or obj.get("created") or "")


def _when(text: str) -> dt.datetime | None:
    try:
        return m.parse_timestamp(text)
    except ValueError:
        return None


def _uuid(stix_id: str) -> str:
    return stix_id.rsplit("--", 1)[-1].lower()


def _newer(obj: Mapping[str, Any], origin: origins.Origin) -> bool:
    """Whether the object is a later version than the one the pull wrote."""
    remote = _when(remote_version(obj))
    stored = _when(origin.remote_modified)
    return remote is not None and (stored is None or remote > stored)


def decide(
    kb: KnowledgeBase, viewer: Viewer, objects: Sequence[Mapping[str, Any]]
) -> list[Decision]:
    """A decision for each object of a page, in page order. Read-only."""
    org = viewer.org_id or ""
    ids = [str(o["id"]) for o in objects if isinstance(o.get("id"), str) and "--" in o["id"]]
    known = origins.by_remote(kb, org, ids)
    own = kb.originals((_uuid(i) for i in ids if i not in m.META_IDS), viewer)
    # only copies that may change are read: a newer remote version, or a revoked object
    moving = [
        o.record_id
        for obj in objects
        if isinstance(obj.get("id"), str) and (o := known.get(obj["id"].lower())) is not None
        if obj.get("revoked") is True or _newer(obj, o)
    ]
    local = kb.get_many(moving, viewer)
    revoked = {
        o.record_id
        for obj in objects
        if obj.get("revoked") is True
        and isinstance(obj.get("id"), str)
        and (o := known.get(obj["id"].lower())) is not None
        and o.record_id not in local
    }
    withdrawn = {rid for rid in revoked if kb.tombstone(rid, viewer) is not None}
    out: list[Decision] = []
    for obj in objects:
        sid = obj.get("id")
        if not isinstance(sid, str) or "--" not in sid or not isinstance(obj.get("type"), str):
            out.append(Decision("skip", str(sid)[:300], obj, "malformed: no type or STIX id"))
            continue
        if obj["type"] in _DEFINITIONS or sid in m.META_IDS:
            out.append(Decision("definition", sid, obj))
            continue
        origin = known.get(sid.lower())
        out.append(_one(obj, sid, origin, own, local, withdrawn))
    return out


def _revoked(
    obj: Mapping[str, Any],
    sid: str,
    origin: origins.Origin | None,
    local: Mapping[str, Any],
    withdrawn: set[str],
) -> Decision:
    if origin is None:
        return Decision("skip", sid, obj, "revoked at the origin: there is no copy here")
    if origin.record_id in withdrawn:
        return Decision("unchanged", sid, obj, "withdrawn here already", origin.record_id, origin)
    if origin.record_id not in local:
        reason = "revoked at the origin, but the local copy is not visible to the feed's user"
        return Decision("conflict", sid, obj, reason, origin.record_id, origin)
    return Decision("withdraw", sid, obj, "revoked at the origin", origin.record_id, origin)


def _one(
    obj: Mapping[str, Any],
    sid: str,
    origin: origins.Origin | None,
    own: Mapping[str, str],
    local: Mapping[str, Any],
    withdrawn: set[str],
) -> Decision:
    if sc.marking_of(obj, Marking.AMBER_STRICT, []) is Marking.RED:
        return Decision("skip", sid, obj, "TLP:RED never syncs")
    if origin is None and _uuid(sid) in own:
        return Decision("skip", sid, obj, "originated on this instance: never copied back")
    if obj.get("revoked") is True:
        return _revoked(obj, sid, origin, local, withdrawn)
    if origin is None:
        return Decision("create", sid, obj)
    if not _newer(obj, origin):
        return Decision("unchanged", sid, obj, record=origin.record_id, origin=origin)
    current = local.get(origin.record_id)
    if current is None:
        reason = "the local copy is no longer visible to the feed's user"
        return Decision("conflict", sid, obj, reason, origin.record_id, origin)
    if current.updated_at != origin.local_updated_at:
        reason = "changed here since the last pull: not overwritten"
        return Decision("conflict", sid, obj, reason, origin.record_id, origin)
    return Decision("update", sid, obj, record=origin.record_id, origin=origin)
