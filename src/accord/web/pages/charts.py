"""Server-side SVG charts for the pages and the briefing report (pure, no I/O).

Each function takes plain numbers and labels and returns escaped SVG markup: every label passes
through :func:`markupsafe.escape`, so user text in a chart renders as text. Colours come from the
Okabe-Ito palette (distinguishable with colour-vision deficiencies); each chart carries a
``<title>`` and ``role="img"`` with an ``aria-label``, and pages show the numbers in a table too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
        f'preserveAspectRatio="xMinYMin meet"><title>{label}</title>{body}</svg>'
    )


def _fmt(value: float) -> str:
    return f"{value:g}"


def hbar(
    rows: Sequence[tuple[str, float]], *, title: str, width: int = 640, label_width: int = 240
) -> Markup:
    """A horizontal bar chart: one bar per (label, value)."""
    bar_h, gap, top = 20, 6, 6
    peak = max((v for _, v in rows), default=0) or 1
    span = width - label_width - 50
    parts: list[str] = []
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = max(1.0, span * value / peak) if value else 0.0
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" class="lbl">'
            f"{escape(_clip(label, label_width // 8))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h}" '
            f'fill="{colour(0)}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
            f'<text x="{label_width + w + 4:.1f}" y="{y + 15}" class="val">{_fmt(value)}</text>'
        )
    height = top * 2 + len(rows) * (bar_h + gap)
    return _svg(width, max(height, 30), title, "".join(parts))


def grouped_hbar(
    rows: Sequence[tuple[str, Mapping[str, float]]],
    series: Sequence[str],
    *,
    title: str,
    width: int = 640,
    label_width: int = 200,
) -> Markup:
    """Horizontal bars grouped per label, one bar per series, with a legend on top."""
    bar_h, gap = 12, 10
    legend_h = 8 + ((len(series) + 1) // 2) * 18
    peak = max((v for _, values in rows for v in values.values()), default=0) or 1
    span = width - label_width - 50
    parts = [_legend(series, 0, width, per_row=2)]
    group_h = bar_h * len(series) + gap
    for i, (label, values) in enumerate(rows):
        y0 = legend_h + i * group_h
        parts.append(
            f'<text x="{label_width - 6}" y="{y0 + bar_h * len(series) / 2 + 5:.1f}" '
            f'text-anchor="end" class="lbl">{escape(_clip(label, label_width // 8))}</text>'
        )
        for j, name in enumerate(series):
            value = values.get(name, 0)
            w = max(1.0, span * value / peak) if value else 0.0
            y = y0 + j * bar_h
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{colour(j)}"><title>{escape(label)} — {escape(name)}: {_fmt(value)}'
                f"</title></rect>"
                f'<text x="{label_width + w + 4:.1f}" y="{y + bar_h - 2}" class="val small">'
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
            f'class="{"axis" if tick == 0 else "gridline"}"/>'
            f'<text x="{left - 4}" y="{y_tick + 4:.1f}" text-anchor="end" class="val small">'
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
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
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
        f'stroke-width="3"/><text x="{bx + 16:.1f}" y="{by + 13}" class="val small">'
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
    for node in nodes:
        x, y = where[node.id]
        r = 4 + 3 * node.size
        ring = ' class="bridge"' if node.bridge else ""
        parts.append(
            f'<a href="{escape(node.href)}" data-id="{escape(node.id)}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour(node.group)}"{ring}/>'
            f"<title>{escape(node.label)}{' — bridge' if node.bridge else ''}</title>"
            + (
                f'<text x="{x + r + 2:.1f}" y="{y + 4:.1f}" class="nlbl">'
                f"{escape(_clip(node.label, 24))}</text>"
                if node.bridge or node.size >= 2
                else ""
            )
            + "</a>"
        )
    parts.append("</g>")
    return _svg(width, height, title, "".join(parts), css_class="chart network")


def _legend(series: Sequence[str], y: int, width: int, per_row: int = 4) -> str:
    cell = width / per_row
    parts = []
    for i, name in enumerate(series):
        x = (i % per_row) * cell + 4
        yy = y + (i // per_row) * 18
        parts.append(
            f'<rect x="{x:.1f}" y="{yy + 3}" width="12" height="12" fill="{colour(i)}"/>'
            f'<text x="{x + 16:.1f}" y="{yy + 13}" class="val small">{escape(_clip(name, 30))}'
            "</text>"
        )
    return "".join(parts)


def _clip(text: str, size: int = 32) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
