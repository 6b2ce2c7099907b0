"""A seeded synthetic world of records for benchmarks: 1k to 1M records, mixed TLP markings.

The world has a public base owned by the curators (states, initiatives, norms) and a dozen
organisations of different sizes (ministries, security firms, companies, NGOs, a university, a
newsroom) that contribute agencies, threat groups, companies, incidents, attribution claims,
responses, participations and norm assessments, each under a mix of CLEAR / GREEN / AMBER
(shared with other organisations) / AMBER+STRICT / RED (named readers) markings, some of them
drafts.

:func:`setup_world` registers the organisations and users (writes); :func:`generate` yields
:class:`Batch` es of record inputs in the dict form ``KnowledgeBase.bulk_create`` accepts, each
batch written by one organisation's reviewer (so its records keep the status generated), kinds
in dependency order, so every reference points at an earlier (or same-batch) record that its
author may see. The same seed gives the
same records (user ids are the ones ``create_user`` issued). :func:`build` does both.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry

from accord import accounts
from accord.access import SYSTEM, Viewer, id_namespace
from accord.domain.vocab import (
    ActorKind,
    ClaimKind,
    Effect,
    InitiativeKind,
    InitiativeStatus,
    Marking,
    NormTheme,
    ResponseKind,
    Role,
    Sector,
    Stance,
    UserRole,
)
from accord.kb import KnowledgeBase

#: (name, sector, weight): how much each organisation contributes. Weight 8 is "mid-size".
ORGS: tuple[tuple[str, Sector, int], ...] = (
    ("Northland Foreign Ministry Cyber Office", Sector.GOVERNMENT, 20),
    ("Southland Cyber Diplomacy Unit", Sector.GOVERNMENT, 12),
    ("Eastmark Foreign Office", Sector.GOVERNMENT, 6),
    ("Aegis Threat Intelligence", Sector.PRIVATE, 15),
    ("Bastion Security Research", Sector.PRIVATE, 8),
    ("Cinder Incident Response", Sector.PRIVATE, 4),
    ("Meridian Cloud Policy Team", Sector.PRIVATE, 10),
    ("Helix Platforms Trust and Safety", Sector.PRIVATE, 5),
    ("Open Rights Watch", Sector.CIVIL_SOCIETY, 4),
    ("Digital Peace Coalition", Sector.CIVIL_SOCIETY, 2),
    ("Institute for Cyber Norms Research", Sector.ACADEMIA, 3),
    ("Ledger Investigations Desk", Sector.MEDIA, 2),
)
#: The organisation whose reader the sharing benchmarks use.
MID_SIZE_ORG = "bastion-security-research"
READERS_PER_ORG = 3

#: Assigned ISO 3166-1 codes, sorted so a seed gives the same world.
_COUNTRIES = sorted(str(c.alpha_2) for c in pycountry.countries)
#: The stances of a claim about an incident's author ('locates' needs a territory level).
_BLAMING = (Stance.ATTRIBUTES, Stance.DISPUTES, Stance.DENIES, Stance.SELF_ATTRIBUTES)

#: Default marking mix of contributed records: (marking, weight).
MARKING_MIX: tuple[tuple[Marking, float], ...] = (
    (Marking.CLEAR, 0.45),
    (Marking.GREEN, 0.25),
    (Marking.AMBER, 0.17),
    (Marking.AMBER_STRICT, 0.08),
    (Marking.RED, 0.05),
)

#: Share of the world per kind (the rest is participations). States are capped at 193.
SHARES: tuple[tuple[str, float], ...] = (
    ("state", 0.01),
    ("initiative", 0.003),
    ("norm", 0.012),
    ("agency", 0.015),
    ("threat_group", 0.01),
    ("company", 0.025),
    ("incident", 0.18),
    ("claim", 0.30),
    ("response", 0.10),
    ("assessment", 0.145),
)

_SYLLABLES = [
    "ka",
    "ri",
    "vo",
    "len",
    "tor",
    "mir",
    "sa",
    "dun",
    "el",
    "bri",
    "gath",
    "ost",
    "vel",
    "nor",
    "pax",
    "qui",
    "zan",
    "hel",
    "ur",
    "ia",
    "mo",
    "tek",
    "lum",
    "ser",
    "ax",
    "dra",
    "fen",
    "gol",
    "har",
    "is",
    "jun",
    "kor",
    "lys",
    "mar",
    "nev",
    "oth",
    "pel",
    "rho",
    "sil",
    "tam",
    "ulv",
    "wyn",
    "yr",
]
_TERMS = [
    "ransomware",
    "espionage",
    "phishing",
    "wiper",
    "supply",
    "chain",
    "destructive",
    "malware",
    "campaign",
    "intrusion",
    "exfiltration",
    "ministry",
    "election",
    "energy",
    "grid",
    "hospital",
    "telecom",
    "satellite",
    "pipeline",
    "bank",
    "exchange",
    "vaccine",
    "research",
    "parliament",
    "defence",
    "contractor",
    "backdoor",
    "credential",
    "spearphishing",
    "botnet",
    "ddos",
    "defacement",
    "leak",
    "influence",
    "operation",
    "zero",
    "day",
    "vulnerability",
    "firmware",
    "router",
    "cloud",
    "tenant",
    "mailbox",
]
_PURPOSES = ("operation", "campaign", "intrusion", "attack", "breach", "incident")


@dataclass(frozen=True)
class Batch:
    """Record inputs written together by one author (their organisation owns them)."""

    author: Viewer
    items: list[dict[str, Any]]


@dataclass
class World:
    """The organisations and users of a synthetic world."""

    orgs: list[str]
    weights: list[int]
    writers: dict[str, Viewer]
    readers: dict[str, list[Viewer]]

    @property
    def all_users(self) -> list[str]:
        """Every user id (writers and readers), in organisation order."""
        out: list[str] = []
        for org in self.orgs:
            out.append(self.writers[org].user_id or "")
            out.extend(v.user_id or "" for v in self.readers[org])
        return out

    def reader_of(self, org: str = MID_SIZE_ORG) -> Viewer:
        """A reader (role reader) of an organisation: the viewer of the sharing benchmarks."""
        return self.readers[org][0]


def setup_world(kb: KnowledgeBase) -> World:
    """Register the organisations (with their actor records) and their users. Writes."""
    orgs, weights = [], []
    writers: dict[str, Viewer] = {}
    readers: dict[str, list[Viewer]] = {}
    for name, sector, weight in ORGS:
        oid = accounts.create_org(kb, name, sector)
        orgs.append(oid)
        weights.append(weight)
        writers[oid] = accounts.create_user(
            kb, f"writer@{oid}.example", oid, UserRole.REVIEWER
        ).viewer
        readers[oid] = [
            accounts.create_user(kb, f"reader{i}@{oid}.example", oid, UserRole.READER).viewer
            for i in range(READERS_PER_ORG)
        ]
    return World(orgs, weights, writers, readers)


def counts_for(size: int) -> dict[str, int]:
    """How many records of each generated kind a world of ``size`` records has."""
    counts = {name: max(3, int(size * share)) for name, share in SHARES}
    counts["state"] = min(193, counts["state"] + 10)
    counts["participation"] = max(3, size - sum(counts.values()))
    return counts


@dataclass
class _Pools:
    """Ids by kind that an author may reference: public ones and each organisation's own."""

    public: dict[str, list[str]] = field(default_factory=dict)
    own: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def add(self, kind: str, rid: str, owner: str, public: bool) -> None:
        if public:
            self.public.setdefault(kind, []).append(rid)
        else:
            self.own.setdefault((kind, owner), []).append(rid)

    def pick(self, rng: random.Random, kinds: tuple[str, ...], owner: str) -> str:
        """A random id of one of the kinds that ``owner`` may see (mostly public ones)."""
        own = [k for k in kinds if self.own.get((k, owner))]
        public = [k for k in kinds if self.public.get(k)]
        if own and (not public or rng.random() < 0.25):
            return rng.choice(self.own[(rng.choice(own), owner)])
        if not public:
            raise ValueError(f"no {' or '.join(kinds)} that {owner} may see yet")
        return rng.choice(self.public[rng.choice(public)])


class _Generator:
    def __init__(
        self,
        world: World,
        size: int,
        seed: int,
        mix: tuple[tuple[Marking, float], ...] | None,
        drafts: float,
        batch_size: int,
    ) -> None:
        self.world = world
        self.rng = random.Random(seed)
        self.counts = counts_for(size)
        self.mix = mix
        self.drafts = drafts if mix is not None else 0.0
        self.batch_size = batch_size
        self.pools = _Pools()
        self.users = world.all_users
        self.words = self._vocabulary(4000)
        self.seq = 0

    # -- text ----------------------------------------------------------------------------

    def _vocabulary(self, n: int) -> list[str]:
        seen: dict[str, None] = {}
        while len(seen) < n:
            parts = self.rng.randint(2, 3)
            seen["".join(self.rng.choice(_SYLLABLES) for _ in range(parts))] = None
        return list(seen)

    def word(self) -> str:
        # Zipf-like: a few words are common, most are rare.
        index = int(len(self.words) ** self.rng.random()) - 1
        return self.words[index]

    def text(self, n: int) -> str:
        out = []
        for _ in range(n):
            out.append(self.rng.choice(_TERMS) if self.rng.random() < 0.3 else self.word())
        return " ".join(out).capitalize() + "."

    def date(self, start: int = 2005, end: int = 2025) -> str:
        year = self.rng.randint(start, end)
        precision = self.rng.random()
        if precision < 0.2:
            return str(year)
        month = self.rng.randint(1, 12)
        if precision < 0.5:
            return f"{year}-{month:02d}"
        return f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}"

    def source(self, rid: str) -> list[dict[str, Any]]:
        return [
            {
                "title": f"Report on {rid}",
                "publisher": self.rng.choice(("Agency press office", "Vendor blog", "Newswire")),
                "url": f"https://example.org/reports/{rid}",
                "date": self.date(2010, 2025),
            }
        ]

    # -- envelopes -----------------------------------------------------------------------

    def envelope(self, rid: str, kind: str, data: dict[str, Any], owner: str) -> dict[str, Any]:
        rid = id_namespace(owner) + rid
        item: dict[str, Any] = {"id": rid, "kind": kind, "data": data, "sources": self.source(rid)}
        public = True
        if self.mix is not None and owner != SYSTEM.org_id:
            marks, weights = zip(*self.mix, strict=True)
            marking = self.rng.choices(marks, weights)[0]
            item["marking"] = marking.value
            public = marking in (Marking.CLEAR, Marking.GREEN)
            if marking is Marking.AMBER:
                others = [o for o in self.world.orgs if o != owner]
                item["shares"] = self.rng.sample(others, self.rng.randint(1, 3))
            elif marking is Marking.RED:
                item["readers"] = self.rng.sample(self.users, self.rng.randint(1, 3))
            if self.rng.random() < self.drafts:
                item["status"] = "draft"
                public = False
        self.pools.add(data["kind"] if kind == "actor" else kind, rid, owner, public)
        return item

    def next_id(self, prefix: str) -> str:
        self.seq += 1
        return f"{prefix}-{self.seq:07d}"

    # -- kinds ---------------------------------------------------------------------------

    def state(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("state")
        name = f"Republic of {self.word().capitalize()}"
        code = self.rng.choice(_COUNTRIES)  # an assigned code: the domain refuses any other
        data = {"name": name, "kind": "state", "country": code, "description": self.text(8)}
        return self.envelope(rid, "actor", data, owner)

    def initiative(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("init")
        data = {
            "name": f"{self.word().capitalize()} {self.rng.choice(('Accord', 'Call', 'Process'))}",
            "kind": self.rng.choice(list(InitiativeKind)).value,
            "status": self.rng.choice(list(InitiativeStatus)).value,
            "binding": self.rng.random() < 0.2,
            "start": self.date(1998, 2024),
            "conveners": [self.pools.pick(self.rng, ("state",), owner)],
            "description": self.text(20),
        }
        return self.envelope(rid, "initiative", data, owner)

    def norm(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("norm")
        data: dict[str, Any] = {
            "code": f"N{self.seq}",
            "title": f"States should not {self.word()} {self.rng.choice(_TERMS)}",
            "summary": self.text(25),
            "initiative": self.pools.pick(self.rng, ("initiative",), owner),
            "theme": self.rng.choice(list(NormTheme)).value,
        }
        if self.pools.public.get("norm") and self.rng.random() < 0.3:
            data["equivalents"] = [self.pools.pick(self.rng, ("norm",), owner)]
        return self.envelope(rid, "norm", data, owner)

    def agency(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("agency")
        data = {
            "name": f"{self.word().capitalize()} Signals Directorate",
            "kind": "government_body",
            "parent": self.pools.pick(self.rng, ("state",), owner),
            "description": self.text(10),
        }
        return self.envelope(rid, "actor", data, owner)

    def threat_group(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("apt")
        name = (
            f"{self.word().capitalize()} {self.rng.choice(('Bear', 'Panda', 'Kitten', 'Spider'))}"
        )
        data: dict[str, Any] = {
            "name": name,
            "kind": "threat_group",
            "aliases": [f"APT{self.seq}", self.word().capitalize()],
            "description": self.text(15),
        }
        if self.rng.random() < 0.7:
            data["parent"] = self.pools.pick(self.rng, ("state", "government_body"), owner)
        return self.envelope(rid, "actor", data, owner)

    def company(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("org")
        kind = self.rng.choice(
            (ActorKind.COMPANY, ActorKind.SECURITY_FIRM, ActorKind.CIVIL_SOCIETY, ActorKind.MEDIA)
        )
        data = {
            "name": f"{self.word().capitalize()} {self.rng.choice(('Systems', 'Labs', 'Group'))}",
            "kind": kind.value,
            "description": self.text(10),
        }
        return self.envelope(rid, "actor", data, owner)

    def incident(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("inc")
        targets = ("state", "government_body", "company", "security_firm")
        data = {
            "name": f"{self.word().capitalize()} {self.rng.choice(_PURPOSES)}",
            "start": self.date(),
            "effects": self.rng.sample([e.value for e in Effect], self.rng.randint(1, 3)),
            "target_actors": list(
                dict.fromkeys(
                    self.pools.pick(self.rng, targets, owner) for _ in range(self.rng.randint(1, 3))
                )
            ),
            "critical_infrastructure": self.rng.random() < 0.2,
            "description": self.text(30),
        }
        return self.envelope(rid, "incident", data, owner)

    def claim(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("claim")
        data = {
            "claimant": self.pools.pick(
                self.rng, ("state", "government_body", "security_firm"), owner
            ),
            "incident": self.pools.pick(self.rng, ("incident",), owner),
            "accused": self.pools.pick(self.rng, ("threat_group", "state"), owner),
            "stance": self.rng.choices(_BLAMING, (8, 2, 1, 0.2))[0].value,
            "kind": self.rng.choice(list(ClaimKind)).value,
            "date": self.date(),
            "confidence": self.rng.randint(10, 95),
            "summary": self.text(12),
        }
        return self.envelope(rid, "claim", data, owner)

    def response(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("resp")
        data = {
            "responder": self.pools.pick(self.rng, ("state", "government_body"), owner),
            "kind": self.rng.choice(list(ResponseKind)).value,
            "targets": [self.pools.pick(self.rng, ("threat_group",), owner)],
            "incident": self.pools.pick(self.rng, ("incident",), owner),
            "date": self.date(),
            "summary": self.text(10),
        }
        return self.envelope(rid, "response", data, owner)

    def participation(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("part")
        data = {
            "actor": self.pools.pick(self.rng, ("state", "company", "civil_society"), owner),
            "initiative": self.pools.pick(self.rng, ("initiative",), owner),
            "role": self.rng.choice(list(Role)).value,
            "joined": self.date(2000, 2025),
        }
        return self.envelope(rid, "participation", data, owner)

    def assessment(self, owner: str) -> dict[str, Any]:
        rid = self.next_id("assess")
        data = {
            "assessor": self.pools.pick(self.rng, ("state", "civil_society", "company"), owner),
            "incident": self.pools.pick(self.rng, ("incident",), owner),
            "norm": self.pools.pick(self.rng, ("norm",), owner),
            "rationale": self.text(15),
        }
        return self.envelope(rid, "assessment", data, owner)

    # -- batches -------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        curated = ("state", "initiative", "norm")
        for name, _ in (("state", 0), *SHARES[1:], ("participation", 0)):
            make = getattr(self, name)
            remaining = self.counts[name]
            while remaining > 0:
                n = min(remaining, self.batch_size)
                if name in curated:
                    author = SYSTEM
                else:
                    org = self.rng.choices(self.world.orgs, self.world.weights)[0]
                    author = self.world.writers[org]
                owner = author.org_id or ""
                yield Batch(author, [make(owner) for _ in range(n)])
                remaining -= n


def generate(
    world: World,
    size: int,
    *,
    seed: int = 1,
    mix: tuple[tuple[Marking, float], ...] | None = MARKING_MIX,
    drafts: float = 0.03,
    batch_size: int | None = None,
) -> Iterator[Batch]:
    """Yield batches of record inputs for a world of about ``size`` records. Pure (no I/O).

    ``mix`` is the marking mix of contributed records (None: all CLEAR and published);
    ``drafts`` the share of them left as drafts. Curated records (states, initiatives, norms)
    are CLEAR and published.
    """
    chosen = batch_size or max(50, min(5_000, size // 40))
    yield from _Generator(world, size, seed, mix, drafts, chosen).batches()


@dataclass(frozen=True)
class BuildStats:
    """What :func:`build` wrote and how fast."""

    records: int
    seconds: float

    @property
    def rate(self) -> float:
        """Records written per second."""
        return self.records / self.seconds if self.seconds else math.inf


def build(
    kb: KnowledgeBase,
    size: int,
    *,
    seed: int = 1,
    mix: tuple[tuple[Marking, float], ...] | None = MARKING_MIX,
    drafts: float = 0.03,
    progress: bool = False,
) -> tuple[World, BuildStats]:
    """Set up the world's organisations and write all its records with ``bulk_create``. Writes.

    The timing covers the ``bulk_create`` calls only (generation of the inputs is excluded).
    """
    world = setup_world(kb)
    written, spent = 0, 0.0
    for batch in generate(world, size, seed=seed, mix=mix, drafts=drafts):
        started = time.perf_counter()
        kb.bulk_create(batch.items, batch.author)
        spent += time.perf_counter() - started
        written += len(batch.items)
        if progress and written % 50_000 < len(batch.items):
            print(f"  {written:>9,} records, {written / spent:,.0f}/s", flush=True)
    return world, BuildStats(written, spent)


def load_world(kb: KnowledgeBase) -> World:
    """The World of a database built by :func:`setup_world` (found by the known emails)."""
    orgs = [accounts.slug(name) for name, _, _ in ORGS]
    return World(
        orgs=orgs,
        weights=[weight for _, _, weight in ORGS],
        writers={o: accounts.find_user(kb, f"writer@{o}.example").viewer for o in orgs},
        readers={
            o: [
                accounts.find_user(kb, f"reader{i}@{o}.example").viewer
                for i in range(READERS_PER_ORG)
            ]
            for o in orgs
        },
    )


CACHE_DIR = Path(os.environ.get("ACCORD_BENCH_CACHE", "/tmp/accord-bench"))
GENERATOR_VERSION = 2


def world_db(size: int, *, seed: int = 1, progress: bool = False) -> tuple[Path, dict[str, Any]]:
    """A SQLite file holding the world of ``size`` records, built once per seed and size.

    Returns the path and the build figures (records, seconds, rate, built_at) kept beside it.
    The file is migrated to the current schema each time it is opened by ``initialise``.
    """
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"world-v{GENERATOR_VERSION}-{size}-seed{seed}.db"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        figures: dict[str, Any] = json.loads(meta.read_text())
        return path, figures
    partial = path.with_suffix(".partial")
    for leftover in CACHE_DIR.glob(partial.name + "*"):
        leftover.unlink()
    kb = KnowledgeBase(str(partial))
    try:
        kb.initialise()
        _, stats = build(kb, size, seed=seed, progress=progress)
    finally:
        kb.close()
    partial.rename(path)
    figures = {
        "records": stats.records,
        "seconds": round(stats.seconds, 2),
        "rate": round(stats.rate),
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    meta.write_text(json.dumps(figures))
    return path, figures
