"""Controlled vocabularies of the domain model (pure, no I/O)."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """The kinds of record Accord stores."""

    ACTOR = "actor"
    INCIDENT = "incident"
    CLAIM = "claim"
    RESPONSE = "response"
    NORM = "norm"
    INITIATIVE = "initiative"
    PARTICIPATION = "participation"
    ASSESSMENT = "assessment"
    EVIDENCE = "evidence"


#: Kinds that link other records. Such a record is visible only when every record it points to
#: is visible too (a claim must not reveal a hidden incident or accused actor).
RELATIONSHIP_KINDS = frozenset(
    {Kind.CLAIM, Kind.RESPONSE, Kind.PARTICIPATION, Kind.ASSESSMENT, Kind.EVIDENCE}
)


class Marking(StrEnum):
    """TLP 2.0 markings, from least to most restrictive."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER+STRICT"
    RED = "RED"

    @property
    def rank(self) -> int:
        """0 for CLEAR up to 4 for RED: a higher rank is more restrictive."""
        return _MARKING_RANK[self]


_MARKING_RANK = {marking: rank for rank, marking in enumerate(Marking)}


class Status(StrEnum):
    """Publication state: a draft is visible to its organisation only; a withdrawn record is a
    tombstone (docs/withdrawals.md): no one sees it as a record any more."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class Sector(StrEnum):
    """Stakeholder sectors used by the divide metrics."""

    GOVERNMENT = "government"
    PRIVATE = "private"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIA = "academia"
    MEDIA = "media"


class ActorKind(StrEnum):
    """Kinds of actor; each maps to a sector (threat groups and individuals have none)."""

    STATE = "state"
    IGO = "igo"
    GOVERNMENT_BODY = "government_body"
    COMPANY = "company"
    SECURITY_FIRM = "security_firm"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIC = "academic"
    MEDIA = "media"
    GOVERNANCE_BODY = "governance_body"
    THREAT_GROUP = "threat_group"
    INDIVIDUAL = "individual"
    #: An organisation whose kind its source does not give (no sector: never guessed).
    ORGANISATION = "organisation"

    @property
    def sector(self) -> Sector | None:
        """The stakeholder sector of this kind of actor, or None."""
        return _SECTOR_OF_KIND.get(self)


_SECTOR_OF_KIND = {
    ActorKind.STATE: Sector.GOVERNMENT,
    ActorKind.IGO: Sector.GOVERNMENT,
    ActorKind.GOVERNMENT_BODY: Sector.GOVERNMENT,
    ActorKind.COMPANY: Sector.PRIVATE,
    ActorKind.SECURITY_FIRM: Sector.PRIVATE,
    ActorKind.CIVIL_SOCIETY: Sector.CIVIL_SOCIETY,
    # The technical community (ICANN, IETF, W3C, RIRs) is counted with civil society.
    ActorKind.GOVERNANCE_BODY: Sector.CIVIL_SOCIETY,
    ActorKind.ACADEMIC: Sector.ACADEMIA,
    ActorKind.MEDIA: Sector.MEDIA,
}


class Effect(StrEnum):
    """Effect types of an incident."""

    ESPIONAGE = "espionage"
    IP_THEFT = "ip_theft"
    SABOTAGE = "sabotage"
    DESTRUCTION = "destruction"
    RANSOMWARE = "ransomware"
    DDOS = "ddos"
    ELECTION_INTERFERENCE = "election_interference"
    DISINFORMATION = "disinformation"
    FINANCIAL_THEFT = "financial_theft"
    DATA_BREACH = "data_breach"
    DEFACEMENT = "defacement"
    WIPER = "wiper"
    SUPPLY_CHAIN = "supply_chain"


class Stance(StrEnum):
    """What an attribution claim says about the accused."""

    ATTRIBUTES = "attributes"
    DISPUTES = "disputes"
    DENIES = "denies"
    SELF_ATTRIBUTES = "self_attributes"
    #: Traces the activity to the accused state's territory without blaming the state ("from
    #: the territory of China", "originated in China"); always at :attr:`Level.TERRITORY`.
    LOCATES = "locates"


class Level(StrEnum):
    """How far a claim's source reaches: from where it came up to who, precisely, did it.

    ``territory``: the activity came from a state's territory; ``state``: the state (its
    government) is responsible; ``agency``: a named or unnamed state organisation ("the Russian
    intelligence services", "the GRU"); ``unit``: a unit within one (GRU unit 74455);
    ``individuals``: named people; ``threat_group``: a tracked group, without saying who runs it.
    """

    TERRITORY = "territory"
    STATE = "state"
    AGENCY = "agency"
    UNIT = "unit"
    INDIVIDUALS = "individuals"
    THREAT_GROUP = "threat_group"


class ClaimKind(StrEnum):
    """The form an attribution claim takes."""

    OFFICIAL_STATEMENT = "official_statement"
    LEGAL_ACTION = "legal_action"
    TECHNICAL_REPORT = "technical_report"
    ANONYMOUS_MEDIA = "anonymous_media"


class Evidence(StrEnum):
    """How much evidence a claim disclosed."""

    NONE = "none"
    SUMMARY = "summary"
    TECHNICAL = "technical"


class ResponseKind(StrEnum):
    """Kinds of response to an incident or actor."""

    SANCTION = "sanction"
    INDICTMENT = "indictment"
    EXPULSION = "expulsion"
    PUBLIC_STATEMENT = "public_statement"
    DEMARCHE = "demarche"
    COUNTERMEASURE = "countermeasure"
    TAKEDOWN = "takedown"
    ARREST = "arrest"


class NormTheme(StrEnum):
    """Themes used to group norms."""

    RESTRAINT = "restraint"
    PROTECTION = "protection"
    COOPERATION = "cooperation"
    HUMAN_RIGHTS = "human_rights"
    SUPPLY_CHAIN = "supply_chain"
    VULNERABILITIES = "vulnerabilities"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    IP_THEFT = "ip_theft"
    INCIDENT_RESPONSE = "incident_response"
    ELECTION_INTEGRITY = "election_integrity"
    CAPACITY_BUILDING = "capacity_building"
    STABILITY = "stability"
    OTHER = "other"


class InitiativeKind(StrEnum):
    """Kinds of cyber-diplomacy initiative."""

    MULTILATERAL_TREATY = "multilateral_treaty"
    UN_PROCESS = "un_process"
    REGIONAL = "regional"
    BILATERAL = "bilateral"
    PLURILATERAL = "plurilateral"
    PRIVATE_SECTOR = "private_sector"
    ACADEMIC = "academic"
    MULTISTAKEHOLDER = "multistakeholder"
    NATIONAL_STRATEGY = "national_strategy"


class InitiativeStatus(StrEnum):
    """Life-cycle state of an initiative."""

    PROPOSED = "proposed"
    ACTIVE = "active"
    CONCLUDED = "concluded"
    FAILED = "failed"
    LAPSED = "lapsed"
    BROKEN_DOWN = "broken_down"


class Role(StrEnum):
    """An actor's role in an initiative."""

    PARTY = "party"
    SIGNATORY = "signatory"
    SUPPORTER = "supporter"
    MEMBER = "member"
    FOUNDER = "founder"
    CONVENER = "convener"
    AUTHOR = "author"
    OBSERVER = "observer"
    #: Adopted the initiative's outcome without being one of its members: a UN member state
    #: through a General Assembly resolution adopted without a vote.
    ENDORSER = "endorser"


class Frame(StrEnum):
    """Whether an internet-governance body works on the technical or the policy layer."""

    TECHNICAL = "technical"
    POLICY = "policy"


class StakeholderModel(StrEnum):
    """How an internet-governance body admits stakeholders."""

    MULTISTAKEHOLDER = "multistakeholder"
    MULTILATERAL = "multilateral"
    MEMBERSHIP = "membership"
    OPEN_PARTICIPATION = "open_participation"


class UserRole(StrEnum):
    """Roles of a user within their organisation and the instance."""

    READER = "reader"
    CONTRIBUTOR = "contributor"
    REVIEWER = "reviewer"
    ORG_ADMIN = "org_admin"
    INSTANCE_ADMIN = "instance_admin"

    @property
    def can_write(self) -> bool:
        """Whether the role may create and edit its organisation's records."""
        return self is not UserRole.READER

    @property
    def can_review(self) -> bool:
        """Whether the role may publish drafts and loosen markings of its organisation."""
        return self in (UserRole.REVIEWER, UserRole.ORG_ADMIN, UserRole.INSTANCE_ADMIN)
