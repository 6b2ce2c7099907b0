"""Import the EuRepoC Global Database and Attribution dataset CSVs (as published, v1.1 layout).

- Global rows → incidents ``eurepoc-<ID>``; ``incident_type`` (``;``-separated) → effects
  (:data:`EFFECTS`), the type kept as EuRepoC wrote it in ``extra["eurepoc"]``; receiver
  countries → target countries; receiver categories → target sectors; the political and legal
  responses (``; ``-separated, aligned columns) → responses.
- Attribution rows → claims, one per attribution, claimant and accused (several rows of one
  ``attribution_ID`` are one attribution naming several initiators). The claimant is the
  attacker itself ("Attacker confirms"), the company in ``attribution_it_company``, the named
  ``attributing_actor``, the attributing state (a receiver government), or an unnamed media
  source or third party (one explicit actor each); the accused is the named initiator (packed
  aliases ``A/B/G0006 (Parent)`` → one actor with aliases, matched to a visible actor with the
  same ATT&CK id, else the same name) or, for category "State", the state.

EuRepoC writes an unknown day or month as 01: ``2013-01-01`` is read as the year 2013 and
``2013-05-01`` as May 2013 (a real 1st loses its day; none is invented). An empty date stays
unknown: an incident without ``start_date`` has no start, an attribution without
``attribution_date`` is a claim with no date. A row Accord cannot represent is skipped with the
modelling gap as its reason; a value EuRepoC does not use is an invalid row.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.access import Viewer
from accord.domain.vocab import ActorKind, ClaimKind, Effect, Kind, ResponseKind, Stance
from accord.interop import countries
from accord.interop.importing import (
    DatasetSource,
    ImportReport,
    NameIndex,
    Plan,
    Progress,
    apply,
    external_index,
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
_NONE = {"", "not available", "unknown", "none", "nan", "[]", "n/a"}

#: EuRepoC incident types → effects; None: a type Accord has no effect for (kept as written).
EFFECTS: dict[str, Effect | None] = {
    "data theft": Effect.DATA_BREACH,
    "data theft & doxing": Effect.DATA_BREACH,
    "disruption": Effect.SABOTAGE,
    "ransomware": Effect.RANSOMWARE,
    "hijacking with misuse": None,
    "hijacking without misuse": None,
    "not available": None,
}
#: attribution_type (before "(e.g."), normalised → claim kind; None: the type does not say
#: (the kind then comes from the basis, :data:`BASES`).
CLAIM_KINDS: dict[str, ClaimKind | None] = {
    "domestic legal action": ClaimKind.LEGAL_ACTION,
    "political statement/report and indictment/sanctions": ClaimKind.LEGAL_ACTION,
    "political statement/report": ClaimKind.OFFICIAL_STATEMENT,
    "statement in media report and political statement/technical report": (
        ClaimKind.OFFICIAL_STATEMENT
    ),
    "technical report": ClaimKind.TECHNICAL_REPORT,
    "anonymous statement in media report": ClaimKind.ANONYMOUS_MEDIA,
    "media report": ClaimKind.ANONYMOUS_MEDIA,
    "direct statement in media report": ClaimKind.OFFICIAL_STATEMENT,
    "self-attribution in the course of the attack": ClaimKind.OFFICIAL_STATEMENT,
    "attribution given, type unclear": None,
    "contested attribution": None,
    "not available": None,
}


@dataclass(frozen=True)
class Basis:
    """What an ``attribution_basis`` says: the claimant's actor kind when named (None: the
    basis does not say, and a named claimant is an ``organisation``, a kind without a sector),
    the claim's kind when ``attribution_type`` does not say, whether a named attributing
    country is the claimant (a government's own attribution), and the explicit actor standing
    for a claimant EuRepoC does not name (:data:`UNNAMED`)."""

    claimant: ActorKind | None
    claim: ClaimKind | None
    state: bool = False
    unnamed: str | None = None


#: attribution_basis, normalised → what it says (see :class:`Basis`).
BASES: dict[str, Basis] = {
    "attribution by receiver government/state entity": Basis(
        ActorKind.GOVERNMENT_BODY, ClaimKind.OFFICIAL_STATEMENT, state=True
    ),
    "receiver attributes attacker": Basis(None, ClaimKind.OFFICIAL_STATEMENT, state=True),
    "it-security community attributes attacker": Basis(
        ActorKind.SECURITY_FIRM, ClaimKind.TECHNICAL_REPORT
    ),
    "media-based attribution": Basis(
        ActorKind.MEDIA, ClaimKind.ANONYMOUS_MEDIA, unnamed="eurepoc-unnamed-media"
    ),
    "attribution by third-party": Basis(None, None, unnamed="eurepoc-unnamed-third-party"),
    "attacker confirms": Basis(None, ClaimKind.OFFICIAL_STATEMENT),
    "contested attribution": Basis(None, None, state=True),
    "attribution given, type unclear": Basis(None, None),
    "not available": Basis(None, None),
}
#: The claimants EuRepoC does not name, one explicit actor per kind of source: a media report
#: whose outlet is not named (kind media) and a third party that is not named (kind
#: organisation: EuRepoC does not say whether it is a government, a firm or a researcher, so
#: it has no sector). One actor each, so their claims about an incident count as one voice,
#: never as several independent sources.
UNNAMED: dict[str, tuple[str, ActorKind, str]] = {
    "eurepoc-unnamed-media": (
        "Unnamed media source (EuRepoC)",
        ActorKind.MEDIA,
        "Stands for media reports whose outlet EuRepoC does not name.",
    ),
    "eurepoc-unnamed-third-party": (
        "Unnamed third party (EuRepoC)",
        ActorKind.ORGANISATION,
        "Stands for third parties whose attribution EuRepoC records without naming them "
        "(basis 'Attribution by third-party'); their kind and sector are unknown.",
    ),
}
UNNAMED_MEDIA, UNNAMED_THIRD_PARTY = UNNAMED
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
_ATTACK_ID = re.compile(r"^G\d{4}$")
_ACCUSED_KINDS = (ActorKind.THREAT_GROUP, ActorKind.INDIVIDUAL)


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
    return [p.strip() for p in text.split(";") if p.strip()] if text else []


def eurepoc_date(text: str) -> str | None:
    """``2013-01-01`` → ``2013``; ``2013-05-01`` → ``2013-05``; other days stay; None if bad."""
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text.strip())
    if not match:
        return None
    year, month, day = match.groups()
    if month == "01" and day == "01":
        return year
    return f"{year}-{month}" if day == "01" else f"{year}-{month}-{day}"


def _key(text: str) -> str:
    """A vocabulary value as looked up: before "(e.g.", casefolded, spaces around '/' gone."""
    text = re.sub(r"\s*\(e\.g\..*", "", text, flags=re.S).strip().casefold()
    return re.sub(r"\s+", " ", re.sub(r"\s*/\s*", "/", text))


def _named(text: str) -> bool:
    return text.strip().casefold() not in _NONE


@dataclass(frozen=True)
class Packed:
    """An initiator cell ``APT1/Comment Crew/G0006 (PLA, Unit 61398) < Group`` read apart."""

    names: tuple[str, ...]
    attack_id: str | None
    notes: tuple[str, ...]


def unpack(raw: str) -> Packed:
    """Names, the ATT&CK id among them and the parenthesised remarks of a packed cell. Pure."""
    head, _, parent = raw.partition("<")
    notes = [n.strip() for n in re.findall(r"\(([^)]*)\)", head) if n.strip()]
    if parent.strip():
        notes.append(f"part of {parent.strip()}")
    names, attack_id = [], None
    for part in re.sub(r"\([^)]*\)", "", head).split("/"):
        name = part.strip(" ,;")
        if _ATTACK_ID.fullmatch(name):
            attack_id = attack_id or name
        elif name and name not in names:
            names.append(name[:500])
    if not names:
        names = [attack_id or raw.strip()[:500]]
    return Packed(tuple(names), attack_id, tuple(notes))


@dataclass(frozen=True)
class Known:
    """Visible actors an import may reuse: by ATT&CK id, and threat groups by exact name."""

    by_attack: dict[str, str]
    groups: NameIndex | None = None

    def match(self, packed: Packed) -> str | None:
        """The one visible actor this initiator is: same ATT&CK id first, else the one threat
        group whose own name is the initiator's first name."""
        if packed.attack_id and packed.attack_id in self.by_attack:
            return self.by_attack[packed.attack_id]
        if self.groups is None:
            return None
        found = {
            rid
            for rid in self.groups.by_primary(packed.names[0])
            if getattr(self.groups.records[rid].data, "kind", None) in _ACCUSED_KINDS
        }
        return next(iter(found)) if len(found) == 1 else None


class _Planner:
    """Turns rows into the plan (no database access: what exists comes in as :class:`Known`)."""

    def __init__(self, plan: Plan, known: Known) -> None:
        self.plan, self.known = plan, known
        self.incidents: dict[str, str | None] = {}  # EuRepoC ID → record id, or why not
        self.why_not: dict[str, str] = {}
        self.claims: dict[str, dict[str, Any]] = {}
        #: A reused actor's id → the id EuRepoC's name plans: claim ids are built from the
        #: latter, so they stay the same whichever visible actor a name is matched to.
        self.keys: dict[str, str] = {}

    # -- actors ---------------------------------------------------------------------------

    def actor(self, raw: str, kind: ActorKind, country: str | None) -> str:
        """The actor a EuRepoC name cell stands for, planned as an anchor (aliases merged)."""
        packed = unpack(raw)
        rid = f"eurepoc-{slug(packed.names[0], 60)}"
        if kind in _ACCUSED_KINDS:
            found = self.known.match(packed)
            if found is not None:
                self.keys[found] = rid
                return found
        data: dict[str, Any] = {"name": packed.names[0], "kind": kind.value}
        if country and kind not in _ACCUSED_KINDS:
            data["country"] = country
        if packed.attack_id:
            data["external_ids"] = {"attack": packed.attack_id}
        if packed.notes:
            data["description"] = "EuRepoC: " + "; ".join(packed.notes)
        self.plan.anchor(rid, Kind.ACTOR, data)
        planned = self.plan.records[rid].data
        aliases = [*planned.get("aliases", []), *packed.names]
        aliases = [a for a in dict.fromkeys(aliases) if a != planned["name"]]
        if aliases:
            planned["aliases"] = aliases
        return rid

    def unnamed(self, rid: str) -> str:
        """The one actor standing for claimants of one kind EuRepoC does not name."""
        name, kind, description = UNNAMED[rid]
        data = {"name": name, "kind": kind.value, "description": description}
        self.plan.anchor(rid, Kind.ACTOR, data)
        return rid

    def _date(
        self, where: str, row: dict[str, str], column: str, kind: Kind
    ) -> tuple[bool, str | None]:
        """(valid, date) of a date cell: an empty cell is valid and unknown (None); a cell that
        is not a date is an invalid row (reported here)."""
        date = eurepoc_date(row[column])
        if date is None and row[column].strip():
            self.plan.invalid(where, f"{column} '{row[column][:40]}' is not a date", kind)
            return False, None
        return True, date

    # -- incidents ------------------------------------------------------------------------

    def incident(self, where: str, row: dict[str, str]) -> None:
        """Plan one Global Database row: the incident and its responses."""
        ident = row["ID"].strip()
        if not re.fullmatch(r"\d+", ident) or not row["name"]:
            self.plan.invalid(where, "an incident needs a numeric ID and a name", Kind.INCIDENT)
            return
        self.why_not[ident] = "its Global Database row is invalid"
        valid, start = self._date(where, row, "start_date", Kind.INCIDENT)
        if not valid:
            return
        effects: list[str] = []
        for kind in cells(row["incident_type"]):
            key = kind.casefold()
            if key not in EFFECTS:
                self.plan.invalid(where, f"unknown incident_type '{kind}'", Kind.INCIDENT)
                return
            effect = EFFECTS[key]
            if effect is not None and effect.value not in effects:
                effects.append(effect.value)
        rid = f"eurepoc-{ident}"
        data: dict[str, Any] = {
            "name": row["name"][:500],
            "description": row["description"][:20_000],
            "effects": effects,
            "target_countries": self._targets(where, row),
            "target_sectors": [s[:500] for s in dict.fromkeys(cells(row["receiver_category"]))],
            "extra": {"eurepoc": {"incident_type": row["incident_type"]}},
        }
        end = eurepoc_date(row["end_date"])
        if start is None:
            self.plan.note(f"{where}: no start_date, kept without a start (none is guessed)")
        else:
            data["start"] = start
        if end is not None and (start is None or end >= start):
            data["end"] = end
        self.plan.add(rid, Kind.INCIDENT, data, where)
        self.incidents[ident] = rid
        del self.why_not[ident]
        for prefix in ("political", "legal"):
            self._responses(where, row, prefix, rid)

    def _targets(self, where: str, row: dict[str, str]) -> list[str]:
        targets: list[str] = []
        for name in cells(row["receiver_country"]):
            code = countries.resolve(name)
            if code is None:
                if _named(name):
                    self.plan.note(f"{where}: receiver '{name}' is not a country (not kept)")
            elif code not in targets:
                targets.append(code)
        return targets

    def _responses(self, where: str, row: dict[str, str], prefix: str, rid: str) -> None:
        dates = cells(row[f"{prefix}_response_date"])
        types = cells(row[f"{prefix}_response_type"])
        subcodes = cells(row[f"{prefix}_response_type_subcode"])
        states = cells(row[f"{prefix}_response_country"])
        actors = cells(row[f"{prefix}_response_actor"])
        for n, raw_date in enumerate(dates):
            here = f"{where} {prefix} response {n + 1}"
            date = eurepoc_date(raw_date)
            text = " ".join(v[n] for v in (types, subcodes) if n < len(v)).lower()
            kind = next((k for pattern, k in RESPONSE_WORDS if re.search(pattern, text)), None)
            if date is None:
                self.plan.skip(here, "no date: Accord's response needs one", Kind.RESPONSE)
                continue
            if kind is None:
                reason = "the response type is none of Accord's response kinds"
                self.plan.skip(here + f" ('{text}')", reason, Kind.RESPONSE)
                continue
            code = countries.resolve(states[n]) if n < len(states) else None
            if n < len(actors) and _named(actors[n]):
                responder = self.actor(actors[n], ActorKind.GOVERNMENT_BODY, code)
            elif code is not None:
                responder = self.plan.state(code)
            else:
                reason = "the responder is not named: Accord's response needs one"
                self.plan.skip(here, reason, Kind.RESPONSE)
                continue
            data = {
                "responder": responder,
                "kind": kind.value,
                "incident": rid,
                "date": date,
                "summary": f"EuRepoC {prefix} response: {text}"[:20_000],
            }
            self.plan.add(f"response-{rid}-{prefix}-{n + 1}", Kind.RESPONSE, data, here)

    # -- attributions ---------------------------------------------------------------------

    def claim(self, where: str, row: dict[str, str]) -> None:
        """Plan one attribution row as a claim, or say why it cannot be one."""
        ident = row["incident_ID"].strip()
        incident = self.incidents.get(ident)
        if incident is None:
            why = self.why_not.get(ident, "it is not in the Global Database file")
            self.plan.skip(where, f"its incident is not imported: {why}", Kind.CLAIM)
            return
        type_key, basis_key = _key(row["attribution_type"]), _key(row["attribution_basis"])
        if type_key not in CLAIM_KINDS or basis_key not in BASES:
            self.plan.invalid(
                where,
                f"unknown attribution_type '{row['attribution_type'][:80]}' or "
                f"attribution_basis '{row['attribution_basis'][:80]}'",
                Kind.CLAIM,
            )
            return
        if not self._names_initiator(row):
            self.plan.skip(where, "no initiator is named: a claim needs an accused", Kind.CLAIM)
            return
        basis = BASES[basis_key]
        kind = CLAIM_KINDS[type_key] or basis.claim
        if kind is None:
            reason = (
                "neither attribution_type nor attribution_basis says what form the claim "
                "took: Accord's claim needs a kind"
            )
            self.plan.skip(where, reason, Kind.CLAIM)
            return
        valid, date = self._date(where, row, "attribution_date", Kind.CLAIM)
        if not valid:
            return
        accused = self._accused(row)
        contested = "contested attribution" in (type_key, basis_key)
        stance = Stance.DISPUTES if contested else Stance.ATTRIBUTES
        claimants: list[str] | str = [accused]
        if basis_key == "attacker confirms":
            stance = Stance.SELF_ATTRIBUTES
        else:
            claimants = self._claimants(row, basis)
        if isinstance(claimants, str):
            self.plan.skip(where, claimants, Kind.CLAIM)
            return
        summary = f"EuRepoC: {row['attribution_type']} ({row['attribution_basis']})."
        if date is None:
            summary += " EuRepoC gives no attribution date."
        for claimant in claimants:
            own = stance
            if claimant == accused and stance is Stance.DISPUTES:
                own = Stance.DENIES
            elif claimant == accused and stance is not Stance.SELF_ATTRIBUTES:
                reason = "the claimant is the accused without a self-attribution basis"
                self.plan.skip(where, reason, Kind.CLAIM)
                continue
            data = {
                "claimant": claimant,
                "incident": incident,
                "accused": accused,
                "stance": own.value,
                "kind": kind.value,
                "summary": summary[:20_000],
            }
            if date is not None:
                data["date"] = date
            self._add_claim(where, row, data)

    def _add_claim(self, where: str, row: dict[str, str], data: dict[str, Any]) -> None:
        """One claim per attribution, claimant and accused; a row repeating one already
        planned (the same initiator under another category) is noted as part of it."""
        attribution = re.sub(r"\.0$", "", row["attribution_ID"].strip())
        base = f"claim-eurepoc-{slug(attribution) if attribution else 'i' + row['incident_ID']}"
        accused, claimant = (self.keys.get(data[k], data[k]) for k in ("accused", "claimant"))
        rid = f"{base}-{accused}"[:128]
        first = self.claims.get(rid)
        if first is not None and first["claimant"] != data["claimant"]:
            rid = f"{rid}-by-{claimant}"[:128]
            first = self.claims.get(rid)
        if first is not None:
            kept = "" if first == data else " (its date, kind or stance differ: the first kept)"
            self.plan.note(f"{where}: the same claim as an earlier row, {rid}{kept}")
            return
        self.claims[rid] = data
        self.plan.add(rid, Kind.CLAIM, data, where)

    @staticmethod
    def _names_initiator(row: dict[str, str]) -> bool:
        """Whether the row names its initiator, or a state as the initiator. Pure."""
        category = row["attributed_initiator_category"].strip().casefold()
        code = countries.resolve(row["attributed_initiator_country"])
        return _named(row["attributed_initiator"]) or (category == "state" and code is not None)

    def _accused(self, row: dict[str, str]) -> str:
        """The accused of a row that names its initiator (planned as an anchor)."""
        initiator = row["attributed_initiator"]
        category = row["attributed_initiator_category"].strip().casefold()
        code = countries.resolve(row["attributed_initiator_country"])
        if _named(initiator):
            kind = ActorKind.INDIVIDUAL if "individual" in category else ActorKind.THREAT_GROUP
            return self.actor(initiator, kind, code)
        return self.plan.state(str(code))

    def _claimants(self, row: dict[str, str], basis: Basis) -> list[str] | str:
        """The claimants of a row, or why there is none Accord can represent."""
        code = countries.resolve(row["attributing_country"])
        companies = [c for c in cells(row["attribution_it_company"]) if _named(c)]
        if companies:
            return [self.actor(c, ActorKind.SECURITY_FIRM, code) for c in companies]
        actor = row["attributing_actor"]
        if _named(actor):
            named = countries.resolve(actor)
            if named is not None:
                return [self.plan.state(named)]
            return [self.actor(actor, basis.claimant or ActorKind.ORGANISATION, code)]
        if code is not None and basis.state:
            return [self.plan.state(code)]
        if basis.unnamed is not None:
            return [self.unnamed(basis.unnamed)]
        return (
            "the claimant is not named (no attributing_actor, company or attributing "
            "government) and its basis does not say what kind of source attributed it"
        )


def plan_import(global_csv: Path, attributions: Path | None, known: Known | None = None) -> Plan:
    """Read the CSVs into a plan (no database access: ``known`` holds the visible actors to
    reuse). Reads the files."""
    rows = read_csv(global_csv, GLOBAL_COLUMNS)
    source = DatasetSource(
        title="EuRepoC Global Database",
        publisher="European Repository of Cyber Incidents (EuRepoC)",
        url=URL,
    )
    planner = _Planner(Plan("eurepoc", source), known or Known({}))
    for line, row in rows:
        planner.incident(f"{global_csv.name} line {line} (ID {row['ID']})", row)
    if attributions is not None:
        for line, row in read_csv(attributions, ATTRIBUTION_COLUMNS):
            where = f"{attributions.name} line {line} (attribution {row['attribution_ID']})"
            planner.claim(where, row)
    return planner.plan


def import_eurepoc(
    kb: KnowledgeBase,
    viewer: Viewer,
    path: Path,
    *,
    attributions: Path | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import EuRepoC incidents and responses (and claims from the attribution CSV). Reads
    the visible actors once, writes in one transaction; raises ImportInvalid on bad rows
    unless ``skip_invalid``."""
    known = Known(external_index(kb, viewer, "attack"), NameIndex.load(kb, viewer, [Kind.ACTOR]))
    plan = plan_import(path, attributions, known)
    return apply(kb, plan, viewer, skip_invalid=skip_invalid, progress=progress)
