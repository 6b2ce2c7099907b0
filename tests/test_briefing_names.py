"""The briefing names what it shows (never a record's or an organisation's id, for an anonymous
reader or a member) and sorts the bars of its unordered charts by value, largest first."""

from __future__ import annotations

import html
import re

from accord import accounts, report
from accord.access import SYSTEM
from accord.domain.vocab import Sector, UserRole
from accord.kb import KnowledgeBase
from accord.web.pages import analyses, charts
from tests.conftest import actor, claim, incident, initiative, participation

_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)
PAIRS_TITLE = "How often two sectors share an initiative, against chance (1 = chance)"
CONTESTED_TITLE = "Contested incidents: number of actors accused"


def _world(kb: KnowledgeBase) -> str:
    """States, companies, a civil-society group and an academic in initiatives of mixed
    sectors; two incidents a government attributes and a security firm disputes (so the
    briefing words a divergence naming the accused). Returns the ministry's organisation id."""
    ministry = accounts.create_org(kb, "Ministry of Test", Sector.GOVERNMENT)
    accounts.create_user(kb, "analyst@mfa.example", ministry, UserRole.CONTRIBUTOR)
    members = {
        "paris-call": ["state-us", "state-gb", "acme-cloud", "open-net", "uni-lab"],
        "tech-accord": ["acme-cloud", "norse-corp", "big-soft"],
        "gge-2015": ["state-us", "state-gb", "state-kp"],
        "civil-pledge": ["open-net", "uni-lab", "big-soft"],
    }
    kb.bulk_create(
        [
            actor("state-kp", "North Korea"),
            actor("state-us", "United States"),
            actor("state-gb", "United Kingdom"),
            actor("norse-corp", "Norse Corporation", kind="security_firm"),
            actor("acme-cloud", "Acme Cloud", kind="company"),
            actor("big-soft", "Big Soft", kind="company"),
            actor("open-net", "Open Net Society", kind="civil_society"),
            actor("uni-lab", "University Cyber Lab", kind="academic"),
            incident("sony-2014", "Sony Pictures hack", start="2014-11-24"),
            incident("bank-heist", "Bank heist", start="2016-02"),
            *(initiative(i, "multistakeholder", "2018", name=i.title()) for i in members),
            *(
                participation(f"part-{a}-{i}", a, i)
                for i, actors in members.items()
                for a in actors
            ),
            claim("claim-us-sony", "state-us", "sony-2014", "state-kp"),
            claim("claim-gb-sony", "state-gb", "sony-2014", "state-kp"),
            claim(
                "claim-norse-sony",
                "norse-corp",
                "sony-2014",
                "state-kp",
                stance="disputes",
                kind="technical_report",
            ),
            claim("claim-us-bank", "state-us", "bank-heist", "state-kp"),
            claim(
                "claim-norse-bank",
                "norse-corp",
                "bank-heist",
                "state-kp",
                stance="disputes",
                kind="technical_report",
            ),
            claim(
                "claim-norse-bank-2",
                "norse-corp",
                "bank-heist",
                "norse-corp",
                stance="self_attributes",
                kind="technical_report",
            ),
        ],
        SYSTEM,
    )
    return ministry


def _ids_shown(kb: KnowledgeBase, page: str) -> list[str]:
    """Every record or organisation id in the text a person reads (tags, styles and URLs out)."""
    ids = {r.id for r in kb.iter_records(SYSTEM)}
    slugs = sorted((i for i in ids if "-" in i or "." in i), key=len, reverse=True)
    raw_id = re.compile(r"(?<![\w./-])(" + "|".join(map(re.escape, slugs)) + r")(?![\w-])")
    text = html.unescape(_TAGS.sub(" ", page))
    return [
        f"{m.group(1)} in “{' '.join(text[max(0, m.start() - 50) : m.end() + 20].split())}”"
        for m in raw_id.finditer(text)
    ]


def _bar_values(page: str, title: str) -> list[float]:
    """The values of the bars of the chart with this title, top to bottom."""
    found = re.search(
        r"<svg[^>]*>\s*<title>" + re.escape(html.escape(title)) + r"</title>(.*?)</svg>",
        page,
        re.S,
    )
    assert found, f"no chart titled {title!r}"
    return [float(v) for v in re.findall(r'class="val">([0-9.]+)<', found.group(1))]


def test_briefing_shows_names_not_ids_to_the_public_and_to_a_member(kb: KnowledgeBase) -> None:
    ministry = _world(kb)
    public = report.build(kb)
    assert "Divergence:" in public  # the sentence that used to name the accused by id
    assert "North Korea" in public
    assert _ids_shown(kb, public) == []
    member = accounts.find_user(kb, "analyst@mfa.example").viewer
    own = report.build(kb, member)
    assert _ids_shown(kb, own) == []
    assert "audience: Ministry of Test" in own
    assert ministry not in html.unescape(_TAGS.sub(" ", own))


def test_sector_pairs_and_contested_bars_are_sorted_by_value(kb: KnowledgeBase) -> None:
    _world(kb)
    page = report.build(kb)
    pairs = _bar_values(page, PAIRS_TITLE)
    assert len(set(pairs)) >= 2  # a real ordering to check
    assert pairs == sorted(pairs, reverse=True)
    contested = _bar_values(page, CONTESTED_TITLE)
    assert len(set(contested)) >= 2
    assert contested == sorted(contested, reverse=True)
    page_chart = str(analyses.network(kb, SYSTEM)["pair_chart"])  # the /network page's too
    assert _bar_values(page_chart, PAIRS_TITLE) == sorted(
        _bar_values(page_chart, PAIRS_TITLE), reverse=True
    )


def test_ranked_sorts_by_value_then_label() -> None:
    rows = [("b", 1.0), ("a", 3.0), ("C", 1.0), ("d", 0.0)]
    assert charts.ranked(rows) == [("a", 3.0), ("b", 1.0), ("C", 1.0), ("d", 0.0)]
