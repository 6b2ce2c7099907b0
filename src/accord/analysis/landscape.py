"""The initiative landscape: counts by kind, year, status and bindingness, participants by
sector, and the paper's 2017 count set beside our own classification (read-only).

Everything is read under ``access.visible(viewer)``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from accord.access import Viewer
from accord.analysis import load
from accord.domain.vocab import InitiativeKind
from accord.kb import KnowledgeBase

#: The 2017 count quoted by the source paper ("Cyber Diplomacy: The State of Affairs and
#: Bridging the Public-Private Divide"): 84 initiatives, of which these categories.
PAPER_2017_TOTAL = 84
PAPER_2017 = {
    "multilateral treaties": 5,
    "regional organisations": 24,
    "private sector": 8,
    "academic": 7,
}
#: Our kinds that correspond to the paper's categories; every other kind of ours falls in the
#: paper's unnamed remainder (84 - 44 = 40).
PAPER_CATEGORY_OF_KIND = {
    InitiativeKind.MULTILATERAL_TREATY.value: "multilateral treaties",
    InitiativeKind.REGIONAL.value: "regional organisations",
    InitiativeKind.PRIVATE_SECTOR.value: "private sector",
    InitiativeKind.ACADEMIC.value: "academic",
}
OTHER = "other (not broken out by the paper)"
COMPARISON_NOTE = (
    "The source paper (Dudding and Ouederni, 'Cyber Diplomacy: The State of Affairs and "
    "Bridging the Public-Private Divide') quotes a 2017 count of 84 initiatives and names four "
    "categories (44 of them); "
    "the other 40 are not broken out. Our classification is finer (UN processes, bilateral and "
    "plurilateral agreements, multistakeholder initiatives and national strategies are kinds of "
    "their own) and our record is curated, not exhaustive: it keeps the initiatives that "
    "matter to the norms and incidents we record, counts an initiative once however many "
    "meetings or reports it produced, and includes initiatives launched after 2017. 'ours, to "
    "2017' counts those that started in or before 2017 (undated ones are left out)."
)


@dataclass(frozen=True)
class Comparison:
    """One category of the paper's 2017 count beside ours."""

    category: str
    paper_2017: int | None
    ours_to_2017: int
    ours_all: int


@dataclass(frozen=True)
class Landscape:
    """Counts of the visible initiatives and their participants."""

    initiatives: int
    by_kind: dict[str, int]
    by_year: dict[str, int]
    by_status: dict[str, int]
    by_binding: dict[str, int]
    participants_by_sector: dict[str, int]
    participations_by_kind_and_sector: dict[str, dict[str, int]]
    paper_comparison: tuple[Comparison, ...]
    note: str = COMPARISON_NOTE

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dict(self.__dict__)
        out["paper_comparison"] = [dict(c.__dict__) for c in self.paper_comparison]
        return out


def _sorted(counter: Counter[str]) -> dict[str, int]:
    return dict(sorted(counter.items()))


def _comparison(initiatives: dict[str, load.InitiativeRow]) -> tuple[Comparison, ...]:
    ours_all: Counter[str] = Counter()
    ours_2017: Counter[str] = Counter()
    for row in initiatives.values():
        category = PAPER_CATEGORY_OF_KIND.get(row.kind, OTHER)
        ours_all[category] += 1
        if row.start is not None and load.span(row.start)[0].year <= 2017:
            ours_2017[category] += 1
    rows = [
        Comparison(category, paper, ours_2017[category], ours_all[category])
        for category, paper in PAPER_2017.items()
    ]
    rows.append(
        Comparison(
            OTHER, PAPER_2017_TOTAL - sum(PAPER_2017.values()), ours_2017[OTHER], ours_all[OTHER]
        )
    )
    rows.append(
        Comparison("total", PAPER_2017_TOTAL, sum(ours_2017.values()), sum(ours_all.values()))
    )
    return tuple(rows)


def landscape(kb: KnowledgeBase, viewer: Viewer) -> Landscape:
    """The landscape of the initiatives the viewer may see. Read-only."""
    with kb.reader(viewer) as reader:
        initiatives = load.initiatives(reader)
        participations = load.participations(reader)
        actors = load.actors(reader, sorted({p.actor for p in participations}))
    by_year = Counter(
        str(load.span(i.start)[0].year) if i.start else "undated" for i in initiatives.values()
    )
    participants: dict[str, set[str]] = defaultdict(set)
    by_kind_sector: dict[str, Counter[str]] = defaultdict(Counter)
    for p in participations:
        actor, initiative = actors.get(p.actor), initiatives.get(p.initiative)
        if actor is None or initiative is None:
            continue
        sector = load.sector_of(actor.kind)
        label = sector.value if sector else "none"
        participants[label].add(p.actor)
        by_kind_sector[initiative.kind][label] += 1
    return Landscape(
        initiatives=len(initiatives),
        by_kind=_sorted(Counter(i.kind for i in initiatives.values())),
        by_year=_sorted(by_year),
        by_status=_sorted(Counter(i.status for i in initiatives.values())),
        by_binding=_sorted(
            Counter("binding" if i.binding else "non-binding" for i in initiatives.values())
        ),
        participants_by_sector={s: len(a) for s, a in sorted(participants.items())},
        participations_by_kind_and_sector={
            k: _sorted(c) for k, c in sorted(by_kind_sector.items())
        },
        paper_comparison=_comparison(initiatives),
    )
