"""The briefing and its charts: labels that are never clipped, and an executive summary made from
the data the viewer may see."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest

from accord import report
from accord.access import ANONYMOUS, SYSTEM, Viewer
from accord.kb import KnowledgeBase
from accord.web.pages.charts import Node, grouped_hbar, hbar, label_box, network, text_width
from tests.conftest import actor, assessment, claim, incident, initiative, norm, participation

SVG = "{http://www.w3.org/2000/svg}"
LONG = "Paris Call for Trust and Security in Cyberspace (Paris 2018)"  # 60 characters


def _labels(svg: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [t for t in root.iter(f"{SVG}text") if t.get("class") == "lbl"]


@pytest.mark.parametrize("chart", ["hbar", "grouped"])
def test_sixty_character_label_starts_inside_the_chart(chart: str) -> None:
    assert len(LONG) == 60
    rows = [(LONG, 85.0), ("Cybersecurity Tech Accord", 34.0)]
    svg = (
        hbar(rows, title="t")
        if chart == "hbar"
        else grouped_hbar([(label, {"a": v}) for label, v in rows], ["a"], title="t")
    )
    shown = []
    for label in _labels(svg):
        for line in label.iter(f"{SVG}tspan"):
            assert float(line.get("x", "0")) - text_width(line.text or "") >= 0, line.text
            shown.append(line.text or "")
    assert " ".join(shown) == f"{LONG} Cybersecurity Tech Accord"  # wrapped, not cut


def test_label_too_long_for_two_lines_is_elided_with_its_full_text_as_title() -> None:
    long = "A very long initiative name " * 6
    (label,) = _labels(hbar([(long, 1.0)], title="t"))
    spans = list(label.iter(f"{SVG}tspan"))
    assert len(spans) == 2
    assert (spans[-1].text or "").endswith("…")
    assert all(float(t.get("x", "0")) - text_width(t.text or "") >= 0 for t in spans)
    title = label.find(f"{SVG}title")
    assert title is not None
    assert title.text == long


def test_label_column_fits_the_longest_short_label() -> None:
    svg = hbar([("government", 3.0), ("private", 1.0)], title="t")
    (first, _) = _labels(svg)
    (line,) = first.iter(f"{SVG}tspan")
    assert 0 <= float(line.get("x", "0")) - text_width("government") < 20  # no wasted margin


def _world(kb: KnowledgeBase) -> None:
    """Two states, three initiatives (one without participants), one incident with a claim
    and an assessed breach."""
    kb.bulk_create(
        [
            actor("state-ru", "Russia"),
            actor("state-fr", "France"),
            actor("acme", "Acme Security", kind="company"),
            initiative("paris-call", "multistakeholder", "2018-11", name="Paris Call"),
            initiative("gge-2015", "un_process", "2015", name="UN GGE 2015"),
            initiative("quiet", "regional", "2010", name="Quiet Forum"),
            norm("gge-13c", "gge-2015"),
            participation("part-ru-gge", "state-ru", "gge-2015", joined="2015-07"),
            participation("part-fr-gge", "state-fr", "gge-2015"),
            participation("part-fr-paris", "state-fr", "paris-call"),
            participation("part-acme-paris", "acme", "paris-call", role="supporter"),
            incident("notpetya", "NotPetya", start="2017-06-27"),
            incident("unclaimed", "Unclaimed", start="2019-01"),
            claim("claim-fr-notpetya", "state-fr", "notpetya", "state-ru", date="2018-02-15"),
            assessment("assess-notpetya", "notpetya", "gge-13c"),
        ],
        SYSTEM,
    )


def _summary(kb: KnowledgeBase, viewer: Viewer = ANONYMOUS) -> list[str]:
    html = report.build(kb, viewer)
    block = html.split('<ul class="summary">', 1)[1].split("</ul>", 1)[0]
    return [unescape(s) for s in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_summary_states_five_figures_with_their_coverage(kb: KnowledgeBase) -> None:
    _world(kb)
    landscape, norms, saydo, contested, divide = _summary(kb)
    assert landscape.startswith("3 initiatives are on record, 1 of them started after 2017")
    assert "a start year is known for 3 of 3 initiatives" in landscape
    assert norms.startswith("UN GGE 2015 has the most endorsers of a norm-setting initiative, 2")
    assert "participants are known for 1 of 1 initiatives that set norms" in norms
    assert saydo.startswith("Russia is the state with the most breaches")
    assert "an assessment links a norm to 1 of 2 incidents" in saydo
    assert "attribution claims are known for 1 of 2 incidents" in contested
    assert divide.startswith("50% of the initiatives with known participants (1 of 2")
    assert "participants are known for 2 of 3 initiatives" in divide


def test_summary_follows_the_data(kb: KnowledgeBase) -> None:
    _world(kb)
    assert _summary(kb)[0].startswith("3 initiatives are on record, 1 of them")
    kb.bulk_create(
        [
            initiative("octopus", "multistakeholder", "2021", name="Octopus"),
            participation("part-acme-octopus", "acme", "octopus"),
            participation("part-ru-octopus", "state-ru", "octopus"),
            claim("claim-ru-unclaimed", "state-ru", "unclaimed", "state-fr"),
        ],
        SYSTEM,
    )
    after = _summary(kb)
    assert after[0].startswith("4 initiatives are on record, 2 of them started after 2017")
    assert "attribution claims are known for 2 of 2 incidents" in after[3]
    assert after[4].startswith("67% of the initiatives with known participants (2 of 3")


def test_summary_counts_only_what_the_viewer_may_see(kb: KnowledgeBase) -> None:
    _world(kb)
    kb.create({**initiative("secret-club", "bilateral", "2022"), "marking": "AMBER"}, SYSTEM)
    assert _summary(kb)[0].startswith("3 initiatives are on record")
    assert _summary(kb, SYSTEM)[0].startswith("4 initiatives are on record")


def test_network_labels_do_not_overlap_in_a_crowded_cluster() -> None:
    crowd = [
        Node(f"n{i}", f"Government of State {i}", 1, 0.5 + i * 0.004, 0.5, "/", bridge=True)
        for i in range(12)
    ]
    svg = network(crowd, [], ["initiative", "government"], title="t", width=900)
    root = ET.fromstring(svg)
    labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "nlbl"]
    boxes = [
        label_box(
            float(t.get("x", 0)), float(t.get("y", 0)), t.get("text-anchor", ""), t.text or ""
        )
        for t in labels
    ]
    assert 2 <= len(boxes) < len(crowd)  # some labelled, the rest left to their tooltips
    for i, a in enumerate(boxes):
        assert a[0] >= 0
        assert a[2] <= 900
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    titles = {t.text for t in root.iter(f"{SVG}title")}
    assert all(f"{n.label} — bridge" in titles for n in crowd)


def test_sources_name_the_source_paper(kb: KnowledgeBase) -> None:
    _world(kb)
    sources = report.build(kb).split('<section id="sources">', 1)[1]
    assert "Cyber Diplomacy: The State of Affairs and Bridging the Public-Private Divide" in sources
