"""Import the Paris Call supporters list: one ``supporter`` participation per supporter.

Categories map to actor kinds: ``state`` → the state actor ``state-<iso2>`` (the French name is
resolved by :mod:`countries` and must agree with the nationality code when that code is
valid); ``private-sector`` → company; ``civil-society`` → civil_society (academic when the
free-text nature says it is a university or school); ``public-authority`` → government_body.
A non-state supporter reuses the one visible actor of the same sector with exactly its name,
else becomes a new actor ``<name>-<iso3>``. A supporter without a category takes the category
its ``nature`` always goes with in the file (:data:`NATURE_CATEGORY`), else becomes an
``organisation`` (kind not given, no sector), with a note either way.

``joined`` is ``date_signed`` (a day) when given, else left empty: ``repo_first_added`` is when
the supporter appeared in the website's repository, not when it joined (docs/importers.md).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from accord.access import Viewer
from accord.domain.vocab import ActorKind, Kind, Role
from accord.errors import BadRequest
from accord.interop import countries
from accord.interop.importing import (
    DatasetSource,
    ImportReport,
    NameIndex,
    Plan,
    Progress,
    apply,
    local_id,
    read_table,
    slug,
)
from accord.kb import KnowledgeBase

INITIATIVE = "paris-call"
URL = "https://github.com/ambanum/pariscall.international/tree/main/_supporters"
KINDS = {
    "private-sector": ActorKind.COMPANY,
    "civil-society": ActorKind.CIVIL_SOCIETY,
    "public-authority": ActorKind.GOVERNMENT_BODY,
}
_ACADEMIC = re.compile(r"^(universit|ecole|école)", re.IGNORECASE)
REQUIRED = ("name", "category", "nationality")
#: ``nature`` (normalised) → the one category the published file gives it with.
NATURE_CATEGORY: dict[str, str] = {
    **dict.fromkeys(
        ("entreprise", "association professionnelle", "chambre de commerce"), "private-sector"
    ),
    **dict.fromkeys(
        (
            "organisation a but non lucratif", "fondation", "think tank", "association", "ong",
            "centre de recherche", "universite", "ecole", "federation", "forum", "academie",
        ),
        "civil-society",
    ),
    **dict.fromkeys(
        (
            "collectivite locale", "etat federe", "autorite independante", "organisme public",
            "agence", "groupement d interet public", "commission consultative", "operateur",
        ),
        "public-authority",
    ),
}  # fmt: skip


def read_supporters(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    """The supporters of the website's ``_supporters`` folder: each ``*.md`` file's YAML front
    matter, with ``file`` its name. BadRequest when a file cannot be read. Reads the folder."""
    rows: list[tuple[str, dict[str, Any]]] = []
    for path in sorted(folder.glob("*.md")):
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadRequest(f"cannot read {path.name} as UTF-8 text") from exc
        head = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", text, flags=re.S)
        try:
            meta = yaml.safe_load(head.group(1)) if head else None
        except yaml.YAMLError:
            meta = None
        fields = meta if isinstance(meta, dict) else {}
        row = {str(k): "" if v is None else str(v) for k, v in fields.items()}
        rows.append((path.name, {**row, "file": path.name}))
    if not rows:
        raise BadRequest(f"{folder.name} holds no supporter files (*.md)")
    return rows


def plan_import(path: Path, names: NameIndex, progress: Progress | None = None) -> Plan:
    """Read the supporters (the website's ``_supporters`` folder, or a JSON or CSV file of
    its front matter) into a plan. Reads ``path``; no database."""
    rows = read_supporters(path) if path.is_dir() else read_table(path, REQUIRED)
    dates = sorted(
        str(r.get("repo_first_added") or "")[:10] for _, r in rows if r.get("repo_first_added")
    )
    source = DatasetSource(
        title="Paris Call for Trust and Security in Cyberspace: supporters",
        publisher="Paris Call for Trust and Security in Cyberspace",
        url=URL,
        date=dates[-1] if dates else None,
    )
    plan = Plan("paris-call", source)
    plan.anchor(
        INITIATIVE,
        Kind.INITIATIVE,
        {
            "name": "Paris Call for Trust and Security in Cyberspace",
            "kind": "multistakeholder",
            "start": "2018-11-12",
            "status": "active",
            "binding": False,
        },
    )
    if progress:
        progress.phase("reading supporters", len(rows))
    for where, row in rows:
        _plan_row(plan, where, row, names)
        if progress:
            progress.advance()
    return plan


def _plan_row(plan: Plan, where: str, row: dict[str, Any], names: NameIndex) -> None:
    name = str(row.get("name") or "").strip()
    category = str(row.get("category") or "").strip()
    code = str(row.get("nationality") or "").strip()
    where = f"{where} ({name or '?'})"
    if not name:
        plan.invalid(where, "the supporter has no name", Kind.PARTICIPATION)
        return
    if not category:
        category = _inferred(plan, where, str(row.get("nature") or ""))
    if category == "state":
        actor = _state(plan, where, name, code)
    elif category in KINDS or not category:
        actor = _organisation(plan, where, row, name, category, code, names)
    else:
        plan.invalid(where, f"unknown category '{category}'", Kind.PARTICIPATION)
        return
    if actor is None:
        return
    data: dict[str, Any] = {"actor": actor, "initiative": INITIATIVE, "role": Role.SUPPORTER}
    signed = str(row.get("date_signed") or "").strip()
    if signed:
        data["joined"] = signed
    plan.add(f"part-{local_id(actor)}-{INITIATIVE}", Kind.PARTICIPATION, data, where)


def _inferred(plan: Plan, where: str, nature: str) -> str:
    """The category of a supporter the file gives none: the one its nature goes with, else
    "" (unknown). Notes which."""
    category = NATURE_CATEGORY.get(slug(nature, 200).replace("-", " "), "")
    if category:
        plan.note(f"{where}: no category; '{category}' inferred from its nature '{nature}'")
    else:
        plan.note(f"{where}: no category and no known nature; imported as an organisation")
    return category


def _state(plan: Plan, where: str, name: str, code: str) -> str | None:
    by_name = countries.resolve_name(name)
    by_code = countries.resolve_code(code) if code else None
    if by_name is None:
        plan.invalid(where, f"state name '{name}' is not a known country", Kind.PARTICIPATION)
        return None
    if by_code is not None and by_code.alpha2 is not None and by_code.alpha2 != by_name:
        plan.invalid(
            where, f"name '{name}' ({by_name}) and code '{code}' disagree", Kind.PARTICIPATION
        )
        return None
    if by_code is None or by_code.alpha2 is None:
        reason = by_code.note if by_code else "no nationality code"
        plan.note(f"{where}: {reason}; the state is identified by its name as {by_name}")
    elif by_code.note:
        plan.note(f"{where}: {by_code.note}")
    return plan.state(by_name)


def _organisation(
    plan: Plan,
    where: str,
    row: dict[str, Any],
    name: str,
    category: str,
    code: str,
    names: NameIndex,
) -> str | None:
    nature = str(row.get("nature") or "").strip()
    kind = KINDS.get(category, ActorKind.ORGANISATION)
    if kind is ActorKind.CIVIL_SOCIETY and _ACADEMIC.match(nature):
        kind = ActorKind.ACADEMIC
    resolved = countries.resolve_code(code) if code else None
    if resolved is not None and resolved.alpha2 is None:
        plan.invalid(where, resolved.note or f"nationality '{code}' is unknown", Kind.PARTICIPATION)
        return None
    if resolved is not None and resolved.note:
        plan.note(f"{where}: {resolved.note}")
    rid = f"{slug(name)}-{code.lower() or 'xx'}"
    if rid in names.records:
        return rid
    same = [
        other
        for other in names.by_primary(name)
        if getattr(names.records[other].data, "kind", None) is not None
        and names.records[other].data.kind.sector is kind.sector  # type: ignore[attr-defined]
    ]
    if len(same) == 1:
        plan.note(f"{where}: linked to the existing actor '{same[0]}' (same name and sector)")
        return same[0]
    said = ", ".join(filter(None, (category, nature)))
    data: dict[str, Any] = {
        "name": name,
        "kind": kind.value,
        "description": f"Paris Call supporter ({said or 'category not given'}).",
    }
    if resolved is not None and resolved.alpha2:
        data["country"] = resolved.alpha2
    plan.add(rid, Kind.ACTOR, data, where)
    return rid


def import_paris_call(
    kb: KnowledgeBase,
    viewer: Viewer,
    path: Path,
    *,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the supporters as participations in ``paris-call``. Writes in one transaction;
    raises ImportInvalid on bad rows unless ``skip_invalid``."""
    names = NameIndex.load(kb, viewer, [Kind.ACTOR])
    plan = plan_import(path, names, progress)
    return apply(kb, plan, viewer, skip_invalid=skip_invalid, progress=progress)
