"""The briefing and its charts: labels that are never clipped, and an executive summary made from
the data the viewer may see."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from accord.web.pages.charts import grouped_hbar, hbar, text_width

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
