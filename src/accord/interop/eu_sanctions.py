"""Import the EU cyber-sanctions listings (Annex I of Council Regulation (EU) 2019/796).

Each listing becomes a ``sanction`` response by ``council-of-the-european-union`` against the
listed person (actor kind ``individual``) or entity, dated by its listing date. A listed entity
reuses the one visible actor whose name or alias equals the listing's name, its part before the
first parenthesis or its first parenthetical ("GTsST" → ``gru-unit-74455``).

The reasons quote the names of operations and groups (NotPetya, APT28, Fancy Bear). Each
quoted name is looked up among the visible incidents and threat groups by exact name or alias
("Operation X" is also tried as "X"): matched groups join the response's targets after the
listed actor, the first matched incident becomes its incident; names that match nothing are
reported as links not made.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from accord.access import Viewer
from accord.domain.vocab import ActorKind, Kind, ResponseKind
from accord.interop.importing import (
    DatasetSource,
    ImportReport,
    NameIndex,
    Plan,
    Progress,
    apply,
    read_table,
    slug,
)
from accord.kb import KnowledgeBase

COUNCIL = "council-of-the-european-union"
URL = "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:02019R0796-{stamp}"
INSTRUMENT = "Council Regulation (EU) 2019/796, Annex I"
REQUIRED = ("part", "entity_type", "entry", "name", "reasons", "date_of_listing_iso")
_KINDS = {"natural_person": ActorKind.INDIVIDUAL, "legal_person_entity_body": None}
_OPEN, _CLOSE = '\u2018\u201c"', '\u2019\u201d"'  # typographic and double quotes
_QUOTED = re.compile(f"[{_OPEN}]([^{_CLOSE}]{{2,80}})[{_CLOSE}]")


def plan_import(
    path: Path, actors: NameIndex, targets: NameIndex, progress: Progress | None = None
) -> Plan:
    """Read the listings (JSON or CSV) into a plan. Reads ``path``; no database access."""
    rows = read_table(path, REQUIRED)
    dates = sorted(str(r.get("date_of_listing_iso") or "") for _, r in rows)
    stamp = dates[-1] if dates and re.fullmatch(r"\d{4}-\d{2}-\d{2}", dates[-1]) else None
    source = DatasetSource(
        title="Council Regulation (EU) 2019/796, Annex I (consolidated text)",
        publisher="Council of the European Union (EUR-Lex)",
        url=URL.format(stamp=(stamp or "").replace("-", "")),
        date=stamp,
    )
    plan = Plan("eu-sanctions", source)
    plan.anchor(COUNCIL, Kind.ACTOR, {"name": "Council of the European Union", "kind": "igo"})
    if progress:
        progress.phase("reading listings", len(rows))
    for where, row in rows:
        _plan_listing(
            plan, f"{where} (entry {row.get('part')}{row.get('entry')})", row, actors, targets
        )
        if progress:
            progress.advance()
    return plan


def _plan_listing(
    plan: Plan, where: str, row: dict[str, Any], actors: NameIndex, targets: NameIndex
) -> None:
    name = str(row.get("name") or "").strip()
    entity_type = str(row.get("entity_type") or "").strip()
    date = str(row.get("date_of_listing_iso") or "").strip()
    reasons = str(row.get("reasons") or "").strip()
    if not name:
        plan.invalid(where, "the listing has no name", Kind.RESPONSE)
        return
    if entity_type not in _KINDS:
        plan.invalid(where, f"unknown entity_type '{entity_type}'", Kind.RESPONSE)
        return
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        plan.invalid(where, f"date_of_listing_iso '{date}' is not a YYYY-MM-DD date", Kind.RESPONSE)
        return
    listed = _listed_actor(plan, where, name, _KINDS[entity_type], actors)
    groups: list[str] = []
    incidents: list[str] = []
    for term in dict.fromkeys(_QUOTED.findall(reasons)):
        found = _match(term, targets)
        if not found:
            plan.note(f"{where}: '{term}' matches no incident or threat group (not linked)")
            continue
        for rid in sorted(found):
            kind = targets.records[rid].kind
            bucket = incidents if kind is Kind.INCIDENT else groups
            if rid not in bucket:
                bucket.append(rid)
        plan.note(f"{where}: '{term}' linked to {', '.join(sorted(found))}")
    if len(incidents) > 1:
        plan.note(
            f"{where}: several incidents named; linked {incidents[0]}, not "
            f"{', '.join(incidents[1:])}"
        )
    data: dict[str, Any] = {
        "responder": COUNCIL,
        "kind": ResponseKind.SANCTION.value,
        "targets": [listed, *[g for g in groups if g != listed]],
        "date": date,
        "instrument": INSTRUMENT,
        "summary": f"Listed in Annex I ({row.get('part')}{row.get('entry')}). Reasons as "
        f"published: {reasons}"[:20_000],
    }
    if incidents:
        data["incident"] = incidents[0]
    head = name.split("(", 1)[0].strip() or name
    plan.add(f"response-eu-sanction-{slug(head, 60)}", Kind.RESPONSE, data, where)


def _listed_actor(
    plan: Plan, where: str, name: str, kind: ActorKind | None, actors: NameIndex
) -> str:
    head = name.split("(", 1)[0].strip()
    inner = re.findall(r"\(([^)]+)\)", name)
    rid = f"eu-listed-{slug(head or name, 60)}"
    candidates = [name, head, *inner[:1]]
    found = set().union(*(actors.lookup(c) for c in candidates if c))
    if found == {rid}:
        found = set()
    if len(found) == 1:
        other = next(iter(found))
        plan.note(f"{where}: listed actor is the existing '{other}'")
        return other
    if len(found) > 1:
        plan.note(f"{where}: several actors match ({', '.join(sorted(found))}); a new one made")
    data: dict[str, Any] = {
        "name": name if len(name) <= 500 else head,
        "kind": (kind or _entity_kind(name)).value,
        "description": "Listed under the EU cyber-sanctions regime (Regulation (EU) 2019/796).",
    }
    if inner:
        data["aliases"] = inner[:1]
    plan.add(rid, Kind.ACTOR, data, where)
    return rid


def _entity_kind(name: str) -> ActorKind:
    """Entities are companies unless the name says they are a state body."""
    if re.search(r"General Staff|Armed Forces|Ministry|Directorate|Centre for Special", name):
        return ActorKind.GOVERNMENT_BODY
    return ActorKind.COMPANY


def _match(term: str, targets: NameIndex) -> set[str]:
    found = targets.lookup(term)
    if not found and term.lower().startswith("operation "):
        found = targets.lookup(term[len("operation ") :])
    return found


def import_eu_sanctions(
    kb: KnowledgeBase,
    viewer: Viewer,
    path: Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the Annex I listings as sanction responses. Writes in one transaction; raises
    ImportInvalid on bad rows unless ``skip_invalid``. The report's notes list links made and
    not made."""
    actors = NameIndex.load(kb, viewer, [Kind.ACTOR])
    targets = NameIndex(
        r
        for r in [*actors.records.values(), *kb.iter_records(viewer, kind=Kind.INCIDENT)]
        if r.kind is Kind.INCIDENT or getattr(r.data, "kind", None) is ActorKind.THREAT_GROUP
    )
    plan = plan_import(path, actors, targets, progress)
    return apply(kb, plan, viewer, skip_invalid=skip_invalid, progress=progress)
