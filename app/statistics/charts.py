"""Server-side SVG charts: no script, no style attributes (the CSP forbids inline styles),
a title and description for screen readers, and a viewBox 360 units wide so text keeps its
size on a phone and scales up on a laptop. Every chart has its numbers in a table beside it.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 360
PALETTE = ("#1864ab", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#5c940d")
_ids = itertools.count(1)


def _frame(title: str, desc: str, height: float, body: list[str]) -> Markup:
    n = next(_ids)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'aria-labelledby="chart-{n}-title chart-{n}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-{n}-title">{escape(title)}</title>'
        f'<desc id="chart-{n}-desc">{escape(desc)}</desc>{"".join(body)}</svg>')


def _text(x: float, y: float, content, anchor: str = "start", size: int = 12,
          fill: str = "#1f2328") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}">{escape(content)}</text>')


def bars(title: str, desc: str, rows: Sequence[tuple[str, float, str]],
         maximum: float | None = None, colour: str = PALETTE[0]) -> Markup:
    """Horizontal bars, the label above each bar and its value at the bar's end.

    rows: (label, value, value shown as text). Long labels fit a phone this way.
    """
    top = max((value for _, value, _ in rows), default=0)
    scale = maximum if maximum else top or 1
    body, y = [], 4
    usable = WIDTH - 70
    for label, value, shown in rows:
        length = max(0.0, usable * (value / scale)) if scale else 0
        body.append(_text(0, y + 12, label))
        body.append(f'<rect x="0" y="{y + 17}" width="{length:.1f}" height="14" rx="2" '
                    f'fill="{colour}"/>')
        body.append(_text(length + 6, y + 29, shown, size=12))
        y += 38
    if not rows:
        body.append(_text(0, 20, "—"))
        y = 30
    return _frame(title, desc, y + 4, body)


def grouped_bars(title: str, desc: str, groups: Sequence[tuple[str, Sequence[tuple[str, float, str]]]],
                 maximum: float | None = None) -> Markup:
    """Bars in labelled groups (a funnel per module): one colour per position in a group."""
    top = max((v for _, rows in groups for _, v, _ in rows), default=0)
    scale = maximum or top or 1
    usable = WIDTH - 70
    body, y = [], 4
    for heading, rows in groups:
        body.append(_text(0, y + 13, heading, size=13))
        y += 20
        for i, (label, value, shown) in enumerate(rows):
            length = max(0.0, usable * value / scale)
            body.append(_text(0, y + 11, label, size=11, fill="#5b6470"))
            body.append(f'<rect x="0" y="{y + 15}" width="{length:.1f}" height="12" rx="2" '
                        f'fill="{PALETTE[i % len(PALETTE)]}"/>')
            body.append(_text(length + 6, y + 26, shown, size=11))
            y += 32
        y += 6
    return _frame(title, desc, max(y, 30), body)


def columns(title: str, desc: str, points: Sequence[tuple[str, float]],
            label_every: int | None = None, colour: str = PALETTE[0]) -> Markup:
    """Vertical columns over time (per day or week), with a y scale and sparse x labels."""
    height, left, bottom, top_pad = 170, 34, 24, 10
    plot_h = height - bottom - top_pad
    top = max((v for _, v in points), default=0) or 1
    n = max(len(points), 1)
    step = (WIDTH - left - 4) / n
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH}" y2="{height - bottom}" '
            f'stroke="#adb5bd" stroke-width="1"/>']
    for fraction in (0.5, 1.0):
        y = height - bottom - plot_h * fraction
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH}" y2="{y:.1f}" stroke="#e3e6ea" '
                    f'stroke-width="1"/>')
        body.append(_text(left - 4, y + 4, _short(top * fraction), anchor="end", size=10,
                          fill="#5b6470"))
    every = label_every or max(1, round(n / 5))
    for i, (label, value) in enumerate(points):
        h = plot_h * value / top
        x = left + i * step
        body.append(f'<rect x="{x + step * 0.1:.1f}" y="{height - bottom - h:.1f}" '
                    f'width="{max(step * 0.8, 0.5):.1f}" height="{h:.1f}" fill="{colour}">'
                    f'<title>{escape(label)}: {escape(_short(value))}</title></rect>')
        if i % every == 0:
            body.append(_text(x, height - 8, label, size=10, fill="#5b6470"))
    return _frame(title, desc, height, body)


def stacked_columns(title: str, desc: str, labels: Sequence[str], series: Sequence[str],
                    values: Sequence[Sequence[float]], legend: Sequence[str]) -> Markup:
    """Columns split by series (people per tier per week), with a legend above."""
    legend_rows = (len(series) + 1) // 2
    legend_h = legend_rows * 18 + 6
    height, left, bottom = 170 + legend_h, 34, 24
    plot_top = legend_h + 8
    plot_h = height - bottom - plot_top
    top = max((sum(v) for v in values), default=0) or 1
    n = max(len(labels), 1)
    step = (WIDTH - left - 4) / n
    body = []
    for i, name in enumerate(legend):
        x, y = (i % 2) * (WIDTH / 2), (i // 2) * 18
        body.append(f'<rect x="{x:.1f}" y="{y + 4}" width="12" height="12" '
                    f'fill="{PALETTE[i % len(PALETTE)]}"/>')
        body.append(_text(x + 16, y + 14, name, size=11))
    body.append(_text(left - 4, plot_top + 8, _short(top), anchor="end", size=10, fill="#5b6470"))
    body.append(f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH}" y2="{height - bottom}" '
                f'stroke="#adb5bd" stroke-width="1"/>')
    every = max(1, round(n / 4))
    for i, label in enumerate(labels):
        x = left + i * step
        y = height - bottom
        for s, value in enumerate(values[i]):
            h = plot_h * value / top
            y -= h
            body.append(f'<rect x="{x + step * 0.1:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" '
                        f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"/>')
        if i % every == 0:
            body.append(_text(x, height - 8, label, size=10, fill="#5b6470"))
    return _frame(title, desc, height, body)


def _short(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
