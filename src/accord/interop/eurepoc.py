"""Import the EuRepoC Global Database and Attribution dataset CSVs (as published, v1.1 layout).

- Global rows → incidents ``eurepoc-<ID>``; ``incident_type`` → effects (:data:`EFFECTS`);
  receiver countries → target countries; receiver categories → target sectors; the political
  and legal responses (``; ``-separated, aligned columns) → responses.
- Attribution rows → claims, one per attribution and accused: claimant from
  ``attribution_it_company`` / ``attributing_actor`` (kind from ``attribution_basis``) or the
  attributing state; accused from ``attributed_initiator`` (a threat group or individual
  ``eurepoc-<name>``) or, for category "State", the initiator's state.

EuRepoC writes an unknown day or month as 01: ``2013-01-01`` is read as the year 2013 and
``2013-05-01`` as May 2013 (a real 1st loses its day; none is invented). Known EuRepoC values
Accord does not model are skipped with the reason; unknown values are invalid rows.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from accord.access import Viewer
from accord.domain.vocab import ActorKind, ClaimKind, Effect, Kind, ResponseKind, Stance
from accord.interop import countries
from accord.interop.importing import (
    DatasetSource,
    ImportReport,
    Plan,
    Progress,
    apply,
    read_csv,
    slug,
)
from accord.kb import KnowledgeBase

URL = "https://eurepoc.eu/database/"
GLOBAL_COLUMNS = (
    "ID", "name", "description", "start_date", "end_date", "incident_type",
    "receiver_country", "receiver_category", "number_of_political_responses",
    "political_response_date", "political_response_type", "political_response_type_subcode",
    "political_response_country", "political_response_actor", "number_of_legal_responses",
    "legal_response_date", "legal_response_type", "legal_response_type_subcode",
    "legal_response_country", "legal_response_actor",
)  # fmt: skip
ATTRIBUTION_COLUMNS = (
    "incident_ID", "attribution_ID", "attribution_date", "attribution_type",
    "attribution_basis", "attributing_actor", "attribution_it_company", "attributing_country",
    "attributed_initiator", "attributed_initiator_country", "attributed_initiator_category",
)  # fmt: skip
_NONE = {"", "not available", "unknown", "none", "nan", "[]"}

#: EuRepoC incident types → effects; None: known, no Accord equivalent.
EFFECTS: dict[str, Effect | None] = {
    "data theft": Effect.DATA_BREACH,
    "data theft & doxing": Effect.DATA_BREACH,
    "disruption": Effect.SABOTAGE,
    "ransomware": Effect.RANSOMWARE,
    "hijacking with misuse": None,
    "hijacking without misuse": None,
}
#: attribution_type → claim kind; None: known, too vague to record as a claim.
CLAIM_KINDS: dict[str, ClaimKind | None] = {
    "domestic legal action": ClaimKind.LEGAL_ACTION,
    "political statement/report and indictment / sanctions": ClaimKind.LEGAL_ACTION,
    "political statement / report": ClaimKind.OFFICIAL_STATEMENT,
    "statement in media report and political statement/technical report": (
        ClaimKind.OFFICIAL_STATEMENT
    ),
    "technical report": ClaimKind.TECHNICAL_REPORT,
    "anonymous statement in media report": ClaimKind.ANONYMOUS_MEDIA,
    "media report": ClaimKind.ANONYMOUS_MEDIA,
    "direct statement in media report": ClaimKind.OFFICIAL_STATEMENT,
    "self-attribution in the course of the attack": ClaimKind.OFFICIAL_STATEMENT,
    "attribution given, type unclear": None,
    "not available": None,
}
#: attribution_basis → the claimant's actor kind (None: the basis names no kind).
CLAIMANT_KINDS: dict[str, ActorKind | None] = {
    "attribution by receiver government / state entity": ActorKind.GOVERNMENT_BODY,
    "receiver attributes attacker": None,
    "it-security community attributes attacker": ActorKind.SECURITY_FIRM,
    "media-based attribution": ActorKind.MEDIA,
    "attribution by third-party": None,
    "attacker confirms": None,
    "contested attribution": None,
}
#: Bases under which an unnamed attributing actor is the attributing country's government.
_STATE_BASES = {
    "attribution by receiver government / state entity",
    "receiver attributes attacker",
    "contested attribution",
}
#: Words in a response type/subcode → response kind (first match wins).
RESPONSE_WORDS: tuple[tuple[str, ResponseKind], ...] = (
    (r"sanction", ResponseKind.SANCTION),
    (r"indict|charge|prosecut|legal action|lawsuit", ResponseKind.INDICTMENT),
    (r"arrest|detain", ResponseKind.ARREST),
    (r"expel|expulsion", ResponseKind.EXPULSION),
    (r"takedown|take-down|seiz", ResponseKind.TAKEDOWN),
    (r"d[ée]marche|summon", ResponseKind.DEMARCHE),
    (r"countermeasure|retorsion|retaliat", ResponseKind.COUNTERMEASURE),
    (r"statement|condemn|awareness|preventive|attribution|diplomatic",
     ResponseKind.PUBLIC_STATEMENT),
)  # fmt: skip


def cells(text: str) -> list[str]:
    """A EuRepoC list cell (``['a', 'b']``, nested lists, or ``a; b``) as flat strings."""
    text = text.strip()
    if text.startswith("["):
        try:
            value: Any = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = [text]
        out: list[str] = []
        stack = [value]
        while stack:
            item = stack.pop(0)
            if isinstance(item, list | tuple):
                stack[0:0] = list(item)
            elif item is not None and str(item).strip():
                out.append(str(item).strip())
        return out
    return [p.strip() for p in text.split(";")] if text else []


def eurepoc_date(text: str) -> str | None:
    """``2013-01-01`` → ``2013``; ``2013-05-01`` → ``2013-05``; other days stay; None if bad."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        return None
    year, month, day = match.groups()
    if month == "01" and day == "01":
        return year
    return f"{year}-{month}" if day == "01" else f"{year}-{month}-{day}"


def _named(text: str) -> bool:
    return text.strip().casefold() not in _NONE


def _actor(plan: Plan, where: str, raw: str, kind: ActorKind, country: str | None) -> str:
    """An actor named by EuRepoC (``A/B/C (Parent) < Group``): first name, others aliases."""
    head = raw.split("<", 1)[0]
    head = re.sub(r"\([^)]*\)", "", head)
    names = [n.strip(" ,") for n in head.split("/") if n.strip(" ,")] or [raw.strip()]
    rid = f"eurepoc-{slug(names[0], 60)}"
    data: dict[str, Any] = {"name": names[0][:500], "kind": kind.value}
    if names[1:]:
        data["aliases"] = [n[:500] for n in dict.fromkeys(names[1:]) if n != names[0]]
    if country and kind is not ActorKind.THREAT_GROUP:
        data["country"] = country
    plan.anchor(rid, Kind.ACTOR, data)
    return rid


def plan_import(global_csv: Path, attributions: Path | None) -> Plan:
    """Read the CSVs into a plan (no database access). Reads the files."""
    rows = read_csv(global_csv, GLOBAL_COLUMNS)
    source = DatasetSource(
        title="EuRepoC Global Database",
        publisher="European Repository of Cyber Incidents (EuRepoC)",
        url=URL,
    )
    plan = Plan("eurepoc", source)
    incidents: set[str] = set()
    for line, row in rows:
        rid = _plan_incident(plan, f"{global_csv.name} line {line} (ID {row['ID']})", row)
        if rid:
            incidents.add(rid)
    if attributions is not None:
        for line, row in read_csv(attributions, ATTRIBUTION_COLUMNS):
            where = f"{attributions.name} line {line} (attribution {row['attribution_ID']})"
            _plan_claim(plan, where, row, incidents)
    return plan


def _plan_incident(plan: Plan, where: str, row: dict[str, str]) -> str | None:
    ident = row["ID"].strip()
    if not re.fullmatch(r"\d+", ident) or not row["name"]:
        plan.invalid(where, "an incident needs a numeric ID and a name")
        return None
    start = eurepoc_date(row["start_date"])
    if start is None:
        plan.invalid(where, f"start_date '{row['start_date']}' is not a date")
        return None
    effects: list[str] = []
    for kind in cells(row["incident_type"]):
        key = kind.casefold()
        if key not in EFFECTS:
            plan.invalid(where, f"unknown incident_type '{kind}'")
            return None
        effect = EFFECTS[key]
        if effect is not None and effect.value not in effects:
            effects.append(effect.value)
    if not effects:
        plan.skip(where, f"incident type '{row['incident_type']}' has no Accord effect")
        return None
    targets: list[str] = []
    for name in cells(row["receiver_country"]):
        code = countries.resolve(name)
        if code is None:
            if _named(name):
                plan.note(f"{where}: receiver '{name}' is not a country (not kept)")
        elif code not in targets:
            targets.append(code)
    rid = f"eurepoc-{ident}"
    data: dict[str, Any] = {
        "name": row["name"][:500],
        "description": row["description"][:20_000],
        "start": start,
        "effects": effects,
        "target_countries": targets,
        "target_sectors": [s[:500] for s in dict.fromkeys(cells(row["receiver_category"]))],
    }
    end = eurepoc_date(row["end_date"])
    if end is not None and end >= start:
        data["end"] = end
    plan.add(rid, Kind.INCIDENT, data, where)
    for prefix in ("political", "legal"):
        _plan_responses(plan, where, row, prefix, rid)
    return rid


def _plan_responses(plan: Plan, where: str, row: dict[str, str], prefix: str, rid: str) -> None:
    dates = cells(row[f"{prefix}_response_date"])
    if not dates:
        return
    types = cells(row[f"{prefix}_response_type"])
    subcodes = cells(row[f"{prefix}_response_type_subcode"])
    states = cells(row[f"{prefix}_response_country"])
    actors = cells(row[f"{prefix}_response_actor"])
    for n, raw_date in enumerate(dates):
        here = f"{where} {prefix} response {n + 1}"
        date = eurepoc_date(raw_date)
        text = " ".join(v[n] for v in (types, subcodes) if n < len(v)).lower()
        kind = next((k for pattern, k in RESPONSE_WORDS if re.search(pattern, text)), None)
        if date is None or kind is None:
            plan.skip(here, f"no date or no response kind Accord models in '{text}'")
            continue
        code = countries.resolve(states[n]) if n < len(states) else None
        if n < len(actors) and _named(actors[n]):
            responder = _actor(plan, here, actors[n], ActorKind.GOVERNMENT_BODY, code)
        elif code is not None:
            responder = plan.state(code)
        else:
            plan.skip(here, "the responder is not named")
            continue
        data = {
            "responder": responder,
            "kind": kind.value,
            "incident": rid,
            "date": date,
            "summary": f"EuRepoC {prefix} response: {text}"[:20_000],
        }
        plan.add(f"response-{rid}-{prefix}-{n + 1}", Kind.RESPONSE, data, here)


def _plan_claim(plan: Plan, where: str, row: dict[str, str], incidents: set[str]) -> None:
    incident = f"eurepoc-{row['incident_ID'].strip()}"
    if incident not in incidents:
        plan.skip(where, f"incident {row['incident_ID']} is not imported")
        return
    kind_text = re.sub(r"\s*\(e\.g\..*", "", row["attribution_type"]).strip().casefold()
    basis = row["attribution_basis"].strip().casefold()
    if kind_text not in CLAIM_KINDS or basis not in CLAIMANT_KINDS:
        plan.invalid(
            where,
            f"unknown attribution_type '{row['attribution_type']}' or "
            f"attribution_basis '{row['attribution_basis']}'",
        )
        return
    kind = CLAIM_KINDS[kind_text]
    date = eurepoc_date(row["attribution_date"])
    if kind is None or date is None:
        plan.skip(where, "the attribution has no date or no type Accord models")
        return
    accused = _accused(plan, where, row)
    if accused is None:
        plan.skip(where, "no attributed initiator is named")
        return
    stance = {
        "attacker confirms": Stance.SELF_ATTRIBUTES,
        "contested attribution": Stance.DISPUTES,
    }.get(basis, Stance.ATTRIBUTES)
    claimant = accused if stance is Stance.SELF_ATTRIBUTES else _claimant(plan, where, row, basis)
    if claimant is None:
        plan.skip(where, "the attributing actor is not named")
        return
    if claimant == accused and stance is Stance.DISPUTES:
        stance = Stance.DENIES
    elif claimant == accused and stance is not Stance.SELF_ATTRIBUTES:
        plan.skip(where, "the claimant and the accused are the same")
        return
    data = {
        "claimant": claimant,
        "incident": incident,
        "accused": accused,
        "stance": stance.value,
        "kind": kind.value,
        "date": date,
        "summary": f"EuRepoC: {row['attribution_type']} ({row['attribution_basis']}).",
    }
    ident = slug(row["attribution_ID"].split(".")[0] or "x")
    plan.add(f"claim-eurepoc-{ident}-{accused}"[:128], Kind.CLAIM, data, where)


def _accused(plan: Plan, where: str, row: dict[str, str]) -> str | None:
    initiator = row["attributed_initiator"]
    category = row["attributed_initiator_category"].strip().casefold()
    code = countries.resolve(row["attributed_initiator_country"])
    if _named(initiator):
        kind = ActorKind.INDIVIDUAL if "individual" in category else ActorKind.THREAT_GROUP
        return _actor(plan, where, initiator, kind, code)
    if category == "state" and code is not None:
        return plan.state(code)
    return None


def _claimant(plan: Plan, where: str, row: dict[str, str], basis: str) -> str | None:
    code = countries.resolve(row["attributing_country"])
    if _named(row["attribution_it_company"]):
        return _actor(plan, where, row["attribution_it_company"], ActorKind.SECURITY_FIRM, code)
    kind = CLAIMANT_KINDS[basis]
    if _named(row["attributing_actor"]) and kind is not None:
        return _actor(plan, where, row["attributing_actor"], kind, code)
    if code is not None and basis in _STATE_BASES:
        return plan.state(code)
    return None


def import_eurepoc(
    kb: KnowledgeBase,
    viewer: Viewer,
    path: Path,
    *,
    attributions: Path | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import EuRepoC incidents and responses (and claims from the attribution CSV). Writes in
    one transaction; raises ImportInvalid on bad rows unless ``skip_invalid``."""
    plan = plan_import(path, attributions)
    return apply(kb, plan, viewer, skip_invalid=skip_invalid, progress=progress)
