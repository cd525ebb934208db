"""Charts as server-made SVG: no script, no library, nothing fetched, and they scale
with the page (a ``viewBox`` and ``width: 100%``).

Floats are used for the drawing coordinates only; the figures a chart shows in its
tooltips are the exact values, formatted like the tables. Each bar links to its row in
the table under the chart, so a figure always leads to what it is made of.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from journal.render.text import formatter
from journal.views.table import Kind

WIDTH, HEIGHT = 800, 240
LEFT, RIGHT, TOP, BOTTOM = 86, 12, 14, 36
MAX_LABELS = 8
_money = formatter(Kind.MONEY)


def _nice_step(span: float, ticks: int = 5) -> float:
    raw = span / max(ticks, 1)
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power


def _scale(values: Sequence[float]) -> tuple[float, float, float]:
    lo = min([0.0, *values])
    hi = max([0.0, *values])
    if hi == lo:
        hi = lo + 1
    step = _nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step, step


def _axis_text(v: float) -> str:
    whole = round(v)
    if abs(v - whole) < 1e-9:
        return f"${whole:,}" if whole >= 0 else f"−${-whole:,}"
    return f"${v:,.2f}"


class _Plot:
    def __init__(self, values: Sequence[float], n: int):
        self.lo, self.hi, self.step = _scale(values)
        self.n = max(n, 1)
        self.inner_w = WIDTH - LEFT - RIGHT
        self.inner_h = HEIGHT - TOP - BOTTOM

    def y(self, v: float) -> float:
        return TOP + (self.hi - v) / (self.hi - self.lo) * self.inner_h

    def slot(self) -> float:
        return self.inner_w / self.n

    def x(self, i: int) -> float:
        return LEFT + (i + 0.5) * self.slot()

    def axes(self, labels: Sequence[str]) -> list[str]:
        out = []
        v = self.lo
        while v <= self.hi + self.step / 2:
            y = self.y(v)
            out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                       f'stroke="{"#888" if abs(v) < 1e-9 else "#e3e3e3"}" stroke-width="1"/>')
            out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" '
                       f'font-size="14" fill="#555">{escape(_axis_text(v))}</text>')
            v += self.step
        every = max(1, math.ceil(len(labels) / MAX_LABELS))
        for i, label in enumerate(labels):
            if i % every and i != len(labels) - 1:
                continue
            if i != len(labels) - 1 and len(labels) - 1 - i < every:
                continue  # keep the last label clear of its neighbour
            out.append(f'<text x="{self.x(i):.1f}" y="{HEIGHT - BOTTOM + 20}" '
                       f'text-anchor="middle" font-size="14" fill="#555">'
                       f"{escape(label)}</text>")
        return out


def _svg(title: str, body: list[str], name: str) -> Markup:
    return Markup(
        f'<svg class="chart" data-chart="{escape(name)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _floats(values: Sequence[Decimal | None]) -> list[float]:
    return [float(v) if v is not None else 0.0 for v in values]


def bars(title: str, labels: Sequence[str], values: Sequence[Decimal | None], *,
         name: str, href: Callable[[int], str] | None = None) -> Markup:
    """One bar per label (negative bars below the zero line, in another colour)."""
    if not labels:
        return Markup("")
    nums = _floats(values)
    plot = _Plot(nums, len(labels))
    body = plot.axes(labels)
    width = max(plot.slot() * 0.7, 1.0)
    zero = plot.y(0)
    for i, (label, v, exact) in enumerate(zip(labels, nums, values)):
        top = min(plot.y(v), zero)
        h = max(abs(plot.y(v) - zero), 0.5 if exact else 0)
        fill = "#c8553d" if v < 0 else "#3b73b9"
        tip = f"{label}: {_money(exact) if exact is not None else '—'}"
        rect = (f'<rect x="{plot.x(i) - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" '
                f'height="{h:.1f}" fill="{fill}"><title>{escape(tip)}</title></rect>')
        if href is not None:
            rect = f'<a href="{escape(href(i))}">{rect}</a>'
        body.append(rect)
    return _svg(title, body, name)


def line(title: str, labels: Sequence[str], values: Sequence[Decimal | None], *,
         name: str) -> Markup:
    """A line through the values (a running total)."""
    if not labels:
        return Markup("")
    nums = _floats(values)
    plot = _Plot(nums, len(labels))
    body = plot.axes(labels)
    points = " ".join(f"{plot.x(i):.1f},{plot.y(v):.1f}" for i, v in enumerate(nums))
    body.append(f'<polyline points="{points}" fill="none" stroke="#2a8f7f" '
                f'stroke-width="2.5" stroke-linejoin="round"/>')
    if len(labels) <= 60:
        for i, (label, v, exact) in enumerate(zip(labels, nums, values)):
            tip = f"{label}: {_money(exact) if exact is not None else '—'}"
            body.append(f'<circle cx="{plot.x(i):.1f}" cy="{plot.y(v):.1f}" r="3.5" '
                        f'fill="#2a8f7f"><title>{escape(tip)}</title></circle>')
    return _svg(title, body, name)
