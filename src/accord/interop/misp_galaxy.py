"""Import the MISP galaxy threat-actor cluster: threat groups and CFR suspected-sponsor claims.

Each value of ``clusters/threat-actor.json`` becomes a threat group (``misp-<name>``, external id
``misp: <uuid>``) with its synonyms as aliases and ``meta.country`` as its country. A
``cfr-suspected-state-sponsor`` becomes an attribution claim by the Council on Foreign Relations
(kind ``technical_report``: CFR is a research body and its Cyber Operations Tracker an analytic
publication, not a government's statement) with ``attribution-confidence`` as its confidence.
CFR's suspected victims, target categories and incident types, and who named the group
(``name-attribution`` resolved through ``producer.json`` when it sits beside the file) are kept
in the description. Read-only on files; writes through :func:`importing.apply`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from accord.access import Viewer
from accord.domain.vocab import ActorKind, ClaimKind, Kind, Stance
from accord.errors import BadRequest
from accord.interop import countries
from accord.interop.importing import (
    DatasetSource,
    ImportReport,
    Plan,
    Progress,
    apply,
    external_index,
    local_id,
    read_json,
    slug,
    text_list,
)
from accord.kb import KnowledgeBase

CFR = "council-on-foreign-relations"
URL = "https://github.com/MISP/misp-galaxy/blob/main/clusters/threat-actor.json"
_UNKNOWN = {"unknown", ""}


def default_path() -> Path:
    """The threat-actor cluster shipped by the ``pymispgalaxies`` package. Read-only."""
    try:
        import pymispgalaxies
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise BadRequest("give the path of threat-actor.json (pymispgalaxies is absent)") from exc
    path = (
        Path(pymispgalaxies.__file__).parent
        / "data"
        / "misp-galaxy"
        / "clusters"
        / "threat-actor.json"
    )
    if not path.is_file():
        raise BadRequest("pymispgalaxies ships no threat-actor.json: give its path")
    return path


def _cluster_file(path: Path) -> Path:
    return path / "clusters" / "threat-actor.json" if path.is_dir() else path


def _producers(cluster: Path) -> dict[str, str]:
    """Producer uuid → name from ``producer.json`` beside the cluster, if present."""
    beside = cluster.parent / "producer.json"
    if not beside.is_file():
        return {}
    content = read_json(beside)
    values = content.get("values", []) if isinstance(content, dict) else []
    return {v["uuid"]: v["value"] for v in values if isinstance(v, dict) and "uuid" in v}


def plan_import(path: Path, existing_misp: dict[str, str], *, date: str | None = None) -> Plan:
    """Read the cluster into a plan (no database access). Reads ``path`` and producer.json."""
    cluster = _cluster_file(path)
    content = read_json(cluster)
    if not isinstance(content, dict) or not isinstance(content.get("values"), list):
        raise BadRequest(f"{cluster.name} is not a MISP galaxy cluster (no 'values' list)")
    stamp = date or dt.datetime.fromtimestamp(cluster.stat().st_mtime, dt.UTC).date().isoformat()
    source = DatasetSource(
        title=f"MISP galaxy cluster: {content.get('name', 'Threat Actor')} "
        f"(version {content.get('version', '?')})",
        publisher="MISP Project",
        url=URL,
        date=stamp,
    )
    plan = Plan("misp-galaxy", source)
    producers = _producers(cluster)
    used: set[str] = set()
    for index, value in enumerate(content["values"], start=1):
        if not isinstance(value, dict) or not isinstance(value.get("value"), str):
            plan.invalid(f"value {index}", "a cluster value needs a 'value' name", Kind.ACTOR)
            continue
        _plan_value(
            plan,
            value,
            f"value {index} ({value.get('uuid', '?')})",
            producers,
            used,
            existing_misp,
            stamp,
        )
    return plan


def _plan_value(
    plan: Plan,
    value: dict[str, Any],
    where: str,
    producers: dict[str, str],
    used: set[str],
    existing_misp: dict[str, str],
    stamp: str,
) -> None:
    name = value["value"].strip()
    uuid = str(value.get("uuid", ""))
    meta = value.get("meta") if isinstance(value.get("meta"), dict) else {}
    assert isinstance(meta, dict)
    rid = existing_misp.get(uuid) or f"misp-{slug(name)}"
    if rid in used:
        rid = f"misp-{slug(name)}-{uuid[:8]}"
    used.add(rid)
    aliases = [s for s in dict.fromkeys(text_list(meta.get("synonyms"))) if s != name]
    data: dict[str, Any] = {
        "name": name,
        "kind": ActorKind.THREAT_GROUP.value,
        "aliases": aliases,
        "external_ids": {"misp": uuid} if uuid else {},
        "description": _description(value, meta, producers),
    }
    code = str(meta.get("country") or "").strip()
    if code:
        alpha2 = countries.resolve_code(code).alpha2
        if alpha2 is None:
            plan.invalid(where, f"meta.country '{code}' is not an ISO 3166 code", Kind.ACTOR)
        else:
            data["country"] = alpha2
    plan.add(rid, Kind.ACTOR, data, where)
    sponsor = meta.get("cfr-suspected-state-sponsor")
    if isinstance(sponsor, str):
        _plan_claim(plan, rid, sponsor, meta, where, stamp)


def _plan_claim(
    plan: Plan, group: str, sponsor: str, meta: dict[str, Any], where: str, stamp: str
) -> None:
    if sponsor.strip().casefold() in _UNKNOWN:
        plan.skip(where, f"CFR suspected state sponsor is '{sponsor}': no claim", Kind.CLAIM)
        return
    alpha2 = countries.resolve(sponsor)
    if alpha2 is None:
        plan.invalid(
            where, f"cfr-suspected-state-sponsor '{sponsor}' is not a known country", Kind.CLAIM
        )
        return
    plan.anchor(
        CFR,
        Kind.ACTOR,
        {"name": "Council on Foreign Relations", "kind": "civil_society", "country": "US"},
    )
    data: dict[str, Any] = {
        "claimant": CFR,
        "subject": group,
        "accused": plan.state(alpha2),
        "stance": Stance.ATTRIBUTES.value,
        "kind": ClaimKind.TECHNICAL_REPORT.value,
        "date": stamp,
        "confidence_words": "suspected state sponsor",
        "summary": (
            f"CFR's Cyber Operations Tracker names {sponsor} as the suspected state sponsor, as "
            f"recorded in the MISP threat-actor galaxy. The date is when the dataset was read, "
            f"not when CFR first published the assessment."
        ),
    }
    confidence = str(meta.get("attribution-confidence") or "").strip()
    if confidence:
        if not re.fullmatch(r"\d{1,3}", confidence) or int(confidence) > 100:
            plan.invalid(where, f"attribution-confidence '{confidence}' is not 0-100", Kind.CLAIM)
            return
        data["confidence"] = int(confidence)
    plan.add(f"claim-cfr-{local_id(group)}", Kind.CLAIM, data, where)


def _description(value: dict[str, Any], meta: dict[str, Any], producers: dict[str, str]) -> str:
    parts = [str(value.get("description") or "").strip()]
    labels = (
        ("cfr-suspected-victims", "Suspected victims (CFR)"),
        ("cfr-target-category", "Target categories (CFR)"),
        ("cfr-type-of-incident", "Type of incident (CFR)"),
        ("targeted-sector", "Targeted sectors"),
        ("motive", "Motive"),
        ("since", "Active since"),
    )
    for key, label in labels:
        items = text_list(meta.get(key))
        if items:
            parts.append(f"{label}: {', '.join(dict.fromkeys(items))}.")
    named = []
    for entry in text_list(meta.get("name-attribution")):
        alias, _, producer = entry.rpartition(":")
        if alias and producer in producers:
            named.append(f"{alias} ({producers[producer]})")
    if named:
        parts.append(f"Named by: {', '.join(named)}.")
    return "\n".join(p for p in parts if p)[:20_000]


def import_misp_galaxy(
    kb: KnowledgeBase,
    viewer: Viewer,
    path: Path | None = None,
    *,
    date: str | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import threat groups and CFR claims from a threat-actor cluster (default: the one
    pymispgalaxies ships). Writes in one transaction; raises ImportInvalid on bad rows."""
    existing = external_index(kb, viewer, "misp")
    plan = plan_import(path or default_path(), existing, date=date)
    return apply(kb, plan, viewer, skip_invalid=skip_invalid, progress=progress)
