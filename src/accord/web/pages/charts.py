"""Server-side SVG charts for the pages and the briefing report (pure, no I/O).

Each function takes plain numbers and labels and returns escaped SVG markup: every label passes
through :func:`markupsafe.escape`, so user text in a chart renders as text. Colours come from the
Okabe-Ito palette (distinguishable with colour-vision deficiencies); each chart carries a
``<title>`` and ``role="img"`` with an ``aria-label``, and pages show the numbers in a table too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#8C6D1F",
    "#555555",
    "#F0E442",
    "#000000",
)


def colour(index: int) -> str:
    """The palette colour for a series index."""
    return PALETTE[index % len(PALETTE)]


def _svg(width: int, height: int, title: str, body: str, css_class: str = "chart") -> Markup:
    label = escape(title)
    return Markup(  # noqa: S704 - every label and title is escaped before it gets here
        f'<svg class="{css_class}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}" xmlns="http://www.w3.org/2000/svg" '
        # The font as attributes too: a PDF renderer applies no page CSS inside an SVG, and the
        # label column is measured for this font and size.
        f'font-family="DejaVu Sans, sans-serif" font-size="{FONT_PX}" '
        f'preserveAspectRatio="xMinYMin meet"><title>{label}</title>{body}</svg>'
    )


def _fmt(value: float) -> str:
    return f"{value:g}"


FONT_PX = 11  # the charts' label size (report.css and app.css: svg.chart { font: 11px })
LINE_PX = 13
# Advance widths of DejaVu Sans, in em, by character class: narrow, wide and capital letters;
# everything else gets the average. An estimate that errs wide, so a label never overruns.
_NARROW = frozenset("fijlrtI.,;:'!|()[] ")
_WIDE = frozenset("mwMW@%")


def text_width(text: str, size: float = FONT_PX) -> float:
    """The estimated width of ``text`` in ``size``-pixel DejaVu Sans (the charts' font). Pure."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.36
        elif ch in _WIDE:
            em += 0.95
        elif ch.isupper() or ch.isdigit():
            em += 0.72 if ch.isupper() else 0.64
        else:
            em += 0.62
    return em * size


def fit_lines(text: str, room: float, *, most: int = 2, size: float = FONT_PX) -> list[str]:
    """``text`` wrapped at spaces into at most ``most`` lines each no wider than ``room``
    pixels; the last line ends in "…" when the text does not fit. Pure."""
    lines: list[str] = []
    words = text.split()
    while words and len(lines) < most:
        line = words.pop(0)
        while words and text_width(f"{line} {words[0]}", size) <= room:
            line = f"{line} {words.pop(0)}"
        lines.append(line)
    if not lines:
        return [""]
    last = lines[-1]
    if words or text_width(last, size) > room:
        while last and text_width(last + "…", size) > room:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _label_column(labels: Sequence[str], width: int, label_width: int | None) -> int:
    """The width of the label column: the longest label plus a margin, at most 45% of the chart
    (longer labels wrap), or ``label_width`` when given."""
    if label_width is not None:
        return label_width
    longest = max((text_width(label) for label in labels), default=0.0)
    return int(min(longest + 12, width * 0.45)) + 1


def _label(label: str, right: float, middle: float, room: float) -> tuple[str, int]:
    """A right-aligned label ending at ``right``, vertically centred on ``middle``, wrapped to fit
    ``room`` pixels; with the full text as its ``<title>`` when wrapped or elided. Returns the
    markup and the number of lines."""
    lines = fit_lines(label, room)
    first = middle + 4 - (len(lines) - 1) * LINE_PX / 2
    spans = "".join(
        f'<tspan x="{right:.0f}" y="{first + i * LINE_PX:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    title = f"<title>{escape(label)}</title>" if " ".join(lines) != label else ""
    return f'<text text-anchor="end" class="lbl">{title}{spans}</text>', len(lines)


def ranked(rows: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Bar rows sorted by value, the largest first (ties by label), for a chart whose rows
    have no order of their own. Pure."""
    return sorted(rows, key=lambda row: (-row[1], row[0].casefold()))


def hbar(
    rows: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 640,
    label_width: int | None = None,
) -> Markup:
    """A horizontal bar chart: one bar per (label, value). The label column is as wide as the
    longest label (measured), up to 45% of the chart; longer labels wrap onto a second line."""
    bar_h, gap, top = 20, 6, 6
    label_width = _label_column([label for label, _ in rows], width, label_width)
    room = label_width - 8
    peak = max((v for _, v in rows), default=0) or 1
    span = width - label_width - 50
    parts: list[str] = []
    y = top
    for label, value in rows:
        two = len(fit_lines(label, room)) > 1
        row_h = bar_h + (LINE_PX if two else 0)
        w = max(1.0, span * value / peak) if value else 0.0
        bar_y = y + (row_h - bar_h) / 2
        text, _ = _label(label, label_width - 6, y + row_h / 2, room)
        parts.append(
            text + f'<rect x="{label_width}" y="{bar_y:.1f}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{colour(0)}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text x="{label_width + w + 4:.1f}" y="{bar_y + 15:.1f}" class="val">'
            f"{_fmt(value)}</text>"
        )
        y += row_h + gap
    return _svg(width, max(y + top, 30), title, "".join(parts))


def grouped_hbar(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 640,
    label_width: int | None = None,
) -> Markup:
    """Horizontal bars grouped per label, one bar per series, with a legend on top. Labels are
    measured and wrapped as in :func:`hbar`."""
    bar_h, gap = 12, 10
    label_width = _label_column([label for label, _ in rows], width, label_width)
    legend_h = 8 + ((len(series) + 1) // 2) * 18
    peak = max((v for _, values in rows for v in values.values()), default=0) or 1
    span = width - label_width - 50
    parts = [_legend(series, 0, width, per_row=2)]
    group_h = max(bar_h * len(series), 2 * LINE_PX) + gap
    for i, (label, values) in enumerate(rows):
        y0 = legend_h + i * group_h
        text, _ = _label(label, label_width - 6, y0 + bar_h * len(series) / 2, label_width - 8)
        parts.append(text)
        for j, name in enumerate(series):
            value = values.get(name, 0)
            w = max(1.0, span * value / peak) if value else 0.0
            y = y0 + j * bar_h
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{colour(j)}"><title>{escape(label)} — {escape(name)}: {_fmt(value)}'
                f"</title></rect>"
                f'<text font-size="9" x="{label_width + w + 4:.1f}" y="{y + bar_h - 2}" '
                'class="val small">'
                f"{_fmt(value)}</text>"
            )
    height = legend_h + len(rows) * group_h + 4
    return _svg(width, height, title, "".join(parts))


def ticks(peak: float, most: int = 5) -> list[float]:
    """Round axis values from 0 up to at least ``peak``: steps of 1, 2 or 5 times a power of
    ten, at most ``most`` steps above zero. Pure."""
    if peak <= 0:
        return [0.0, 1.0]
    raw = peak / most
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if peak >= 1:
        step = max(step, 1.0)  # counts: no fractional ticks
    return [round(i * step, 12) for i in range(math.ceil(peak / step - 1e-9) + 1)]


def stacked_columns(
    columns: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 720,
    height: int = 300,
) -> Markup:
    """Vertical stacked columns (e.g. initiatives per year, stacked by kind), with a legend."""
    legend_rows = (len(series) + 3) // 4
    top = 8 + legend_rows * 18
    bottom, left = 34, 30
    plot_h = height - top - bottom
    totals = [sum(values.values()) for _, values in columns]
    axis = ticks(max(totals, default=0))
    peak = axis[-1]
    step = (width - left - 10) / max(len(columns), 1)
    bar_w = max(2.0, step * 0.75)
    parts = [_legend(series, 0, width, per_row=4)]
    for tick in axis:
        y_tick = top + plot_h - plot_h * tick / peak
        parts.append(
            f'<line x1="{left}" y1="{y_tick:.1f}" x2="{width - 5}" y2="{y_tick:.1f}" '
            f'class="{"axis" if tick == 0 else "gridline"}" '
            f'stroke="{"#777" if tick == 0 else "#e3e6ea"}"/>'
            f'<text font-size="9" x="{left - 4}" y="{y_tick + 4:.1f}" '
            'text-anchor="end" class="val small">'
            f"{_fmt(tick)}</text>"
        )
    label_every = max(1, round(len(columns) / 12))
    for i, (label, values) in enumerate(columns):
        x = left + i * step + (step - bar_w) / 2
        y: float = top + plot_h
        for j, name in enumerate(series):
            value = values.get(name, 0)
            if not value:
                continue
            h = plot_h * value / peak
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{colour(j)}"><title>{escape(label)} — {escape(name)}: {_fmt(value)}'
                "</title></rect>"
            )
        if i % label_every == 0:
            parts.append(
                f'<text font-size="9" x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" '
                'text-anchor="middle" '
                f'class="val small">{escape(label)}</text>'
            )
    return _svg(width, height, title, "".join(parts))


@dataclass(frozen=True)
class Node:
    """A node of a network chart, already laid out (x and y in 0..1)."""

    id: str
    label: str
    group: int
    x: float
    y: float
    href: str
    bridge: bool = False
    size: float = 1.0


def network(
    nodes: Sequence[Node],
    edges: Sequence[tuple[str, str]],
    groups: Sequence[str],
    *,
    title: str,
    width: int = 900,
    height: int = 640,
) -> Markup:
    """A node-link diagram; bridge nodes get a thick outline. ``static/graph.js`` adds hover
    and keyboard focus highlighting of a node's neighbours."""
    pad = 30
    legend_h = 8 + ((len(groups) + 5) // 5) * 18

    def px(node: Node) -> tuple[float, float]:
        return (
            pad + node.x * (width - 2 * pad),
            legend_h + pad + node.y * (height - legend_h - 2 * pad),
        )

    where = {n.id: px(n) for n in nodes}
    parts = [_legend(groups, 0, width, per_row=5)]
    cell = width / 5
    slot = len(groups)
    bx, by = (slot % 5) * cell + 4, (slot // 5) * 18
    parts.append(
        f'<circle cx="{bx + 6:.1f}" cy="{by + 9}" r="5" fill="#fff" stroke="#000" '
        f'stroke-width="3"/><text font-size="9" x="{bx + 16:.1f}" y="{by + 13}" class="val small">'
        "bridge (outlined)</text>"
    )
    parts.append('<g class="edges">')
    for a, b in edges:
        if a in where and b in where:
            (x1, y1), (x2, y2) = where[a], where[b]
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                f'data-a="{escape(a)}" data-b="{escape(b)}"/>'
            )
    parts.append('</g><g class="nodes">')
    placed = _place_labels(
        [
            (node.id, *where[node.id], 4 + 3 * node.size, _clip(node.label, 24))
            for node in sorted(nodes, key=lambda n: (not n.bridge, -n.size, n.id))
            if node.bridge or node.size >= 2
        ],
        width,
    )
    # Labelled nodes last, so no other node's circle covers their label.
    for node in sorted(nodes, key=lambda n: n.id in placed):
        x, y = where[node.id]
        r = 4 + 3 * node.size
        ring = ' class="bridge"' if node.bridge else ""
        label = placed.get(node.id)
        parts.append(
            f'<a href="{escape(node.href)}" data-id="{escape(node.id)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour(node.group)}"{ring}/>'
            f"<title>{escape(node.label)}{' — bridge' if node.bridge else ''}</title>"
            + (
                f'<text x="{label[0]:.1f}" y="{label[1]:.1f}" text-anchor="{label[2]}" '
                f'font-size="{NODE_LABEL_PX}" class="nlbl">{escape(_clip(node.label, 24))}</text>'
                if label
                else ""
            )
            + "</a>"
        )
    parts.append("</g>")
    return _svg(width, height, title, "".join(parts), css_class="chart network")


NODE_LABEL_PX = 10


def label_box(x: float, y: float, anchor: str, text: str) -> tuple[float, float, float, float]:
    """The estimated box (left, top, right, bottom) of a node label drawn at baseline ``(x, y)``
    with ``anchor`` (start, middle or end). Pure."""
    w = text_width(text, NODE_LABEL_PX)
    left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
    return (left, y - NODE_LABEL_PX, left + w, y + 3)


def _place_labels(
    candidates: Sequence[tuple[str, float, float, float, str]], width: float
) -> dict[str, tuple[float, float, str]]:
    """Where to draw each candidate (id, x, y, radius, text) label, in the order given (most
    important first): right of its node, else left, above or below, wherever it overlaps no
    label already placed and stays inside the chart; a label with no free place is left out
    (its node keeps its name as a tooltip). Pure."""
    boxes: list[tuple[float, float, float, float]] = []
    placed: dict[str, tuple[float, float, str]] = {}
    for node_id, x, y, r, text in candidates:
        for spot in (
            (x + r + 2, y + 4, "start"),
            (x - r - 2, y + 4, "end"),
            (x, y - r - 3, "middle"),
            (x, y + r + NODE_LABEL_PX + 1, "middle"),
        ):
            box = label_box(*spot, text)
            inside = box[0] >= 0 and box[2] <= width
            if inside and not any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in boxes
            ):
                boxes.append(box)
                placed[node_id] = spot
                break
    return placed


def _legend(series: Sequence[str], y: int, width: int, per_row: int = 4) -> str:
    cell = width / per_row
    parts = []
    for i, name in enumerate(series):
        x = (i % per_row) * cell + 4
        yy = y + (i // per_row) * 18
        parts.append(
            f'<rect x="{x:.1f}" y="{yy + 3}" width="12" height="12" fill="{colour(i)}"/>'
            f'<text font-size="9" x="{x + 16:.1f}" y="{yy + 13}" class="val small">'
            f"{escape(_clip(name, 30))}"
            "</text>"
        )
    return "".join(parts)


def _clip(text: str, size: int = 32) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
