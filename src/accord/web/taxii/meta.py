"""The definitions every TAXII collection serves before its records (pure, no database).

Each object Accord serves references a TLP 2.0 marking definition (``object_marking_refs``),
Accord's property extension and, for the kinds STIX lacks, a new-type extension definition
(``extensions``), and the producer identity (the definitions' ``created_by_ref``). So that a
TAXII-only consumer never meets a dangling reference, every collection holds these objects
(:func:`accord.interop.stix_mapping.meta_objects`) too, first in its order, as added at
:data:`ADDED`. They are public definitions: serving them reveals nothing about any record.
The TLP 2.0 marking definitions name OASIS's TLP extension by its published id, as every
producer does; that definition is OASIS's and is not re-issued here.
"""

from __future__ import annotations

import dataclasses

from accord.access import Viewer
from accord.errors import BadRequest
from accord.interop import stix_feed
from accord.interop import stix_mapping as m
from accord.kb import KnowledgeBase

#: When the definitions count as added to every collection (their own ``modified`` time).
ADDED = m.parse_timestamp(m.META_TIME)
#: A ``next`` token that points into the definitions (never valid base64 from stix_feed).
_CURSOR = "meta."


def version(obj: dict[str, object]) -> str:
    """An object's version: ``modified``, or ``created`` for objects without one (the TLP
    marking definitions)."""
    return str(obj.get("modified", obj["created"]))


def entries(query: stix_feed.Query) -> list[stix_feed.Entry]:
    """The definitions that match a TAXII query's filters (each has one version). Pure."""
    out: list[stix_feed.Entry] = []
    for obj in m.meta_objects():
        if query.types and obj["type"] not in query.types:
            continue
        if query.ids and obj["id"] not in query.ids:
            continue
        if query.spec_versions and m.SPEC not in query.spec_versions:
            continue
        if query.added_after is not None and query.added_after >= ADDED:
            continue
        if not {"first", "last", "all", version(obj)} & set(query.versions):
            continue
        out.append(stix_feed.Entry.of(obj, ADDED))
    return out


def page(
    kb: KnowledgeBase, viewer: Viewer, scope: stix_feed.Scope, query: stix_feed.Query
) -> stix_feed.Page:
    """One page of a collection: the matching definitions first, then its records (through
    :func:`stix_feed.page`, which applies the sharing rules). Read-only."""
    if query.next and not query.next.startswith(_CURSOR):
        return stix_feed.page(kb, viewer, scope, query)
    start = _offset(query.next) if query.next else 0
    meta = entries(query)[start:]
    taken = meta[: query.limit]
    room = query.limit - len(taken)
    if len(meta) > len(taken):
        return stix_feed.Page(taken, f"{_CURSOR}{start + len(taken)}")
    rest = dataclasses.replace(query, next=None, limit=max(room, 1))
    records = stix_feed.page(kb, viewer, scope, rest)
    if room == 0:  # the definitions filled the page: more only if a record follows
        return stix_feed.Page(taken, f"{_CURSOR}{start + len(taken)}" if records.entries else None)
    return stix_feed.Page(taken + records.entries, records.next)


def _offset(token: str) -> int:
    """The position a definitions cursor points at; BadRequest for one not issued here."""
    text = token[len(_CURSOR) :]
    if not text.isdigit() or int(text) > len(m.META_IDS):
        raise BadRequest("the 'next' value is not one this server issued")
    return int(text)


def is_meta(obj: dict[str, object]) -> bool:
    """Whether an object served is one of the definitions (not a record)."""
    return obj.get("id") in m.META_IDS
