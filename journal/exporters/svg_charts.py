"""Charts as inline SVG, drawn here (no JavaScript, no chart library): monthly bars and
lines with dollar axes, readable from one month to twenty years of history.

A chart is drawn at a given width in SVG units and scales to its box (``viewBox``), so
the page draws each chart twice, wide and narrow, and the style sheet shows the one that
fits (text stays legible on a phone instead of shrinking with a wide drawing).

Values are plotted as floats; the tables beside the charts carry the exact figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

FONT = 12
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 28, 30
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
          "Dec")


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal | float | None]
    color: str
    kind: str = "bar"  # bar | line | area


def _f(v: Decimal | float | None) -> float | None:
    return None if v is None else float(v)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten) covering lo..hi, zero
    included."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo < 1e-9:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t < hi + step * 0.999:
        ticks.append(round(t, 10))
        t += step
    return ticks


def dollars(v: float) -> str:
    """$12,500 / −$3,000 (an axis label: whole dollars, thousands separated)."""
    sign = "−" if v < 0 else ""
    return f"{sign}${abs(v):,.0f}"


def month_label(label: str, *, with_year: bool) -> str:
    """'2025-03' -> 'Mar 25' (or 'Mar' between year marks)."""
    try:
        year, month = label.split("-")[:2]
        name = MONTHS[int(month) - 1]
    except (ValueError, IndexError):
        return label
    return f"{name} {year[2:]}" if with_year else name


def x_ticks(labels: Sequence[str], width: float) -> list[tuple[int, str]]:
    """Which categories get a label: every month when they fit, else quarters, else one
    per year (January, or the first month shown), else every few years."""
    n = len(labels)
    room = max(1, int(width // 48))  # a label needs about 48 units
    if n <= room:
        return [(i, month_label(s, with_year=i == 0 or s.endswith("-01")))
                for i, s in enumerate(labels)]
    if n <= room * 3:
        quarters = [(i, month_label(s, with_year=True)) for i, s in enumerate(labels)
                    if s[5:7] in ("01", "04", "07", "10") or i == 0]
        if len(quarters) > 1 and quarters[1][0] * width / n < 48:
            quarters = quarters[1:]  # a first month crowding the first quarter
        return quarters
    years = [(i, s[:4]) for i, s in enumerate(labels) if s.endswith("-01") or i == 0]
    if years and years[0][0] == 0 and len(years) > 1 and years[1][0] < 6:
        years = years[1:]  # a first label crowding the first January
    step = max(1, math.ceil(len(years) / room))
    return years[::step]


def chart(title: str, labels: Sequence[str], series: Sequence[Series], *,
          width: int = 720, height: int = 260, ident: str = "c") -> str:
    """One chart as an ``<svg>`` element (no xmlns: it is inline in HTML)."""
    n = len(labels)
    values = [v for s in series for v in map(_f, s.values) if v is not None]
    ticks = nice_ticks(min(values, default=0.0), max(values, default=1.0),
                       5 if height >= 200 else 4)
    lo, hi = ticks[0], ticks[-1]
    # the widest dollar label sets the left margin: $8,000,000 must not be cut
    left = max(LEFT, int(max(len(dollars(t)) for t in ticks) * FONT * 0.62) + 10)
    plot_w, plot_h = width - left - RIGHT, height - TOP - BOTTOM

    def y(v: float) -> float:
        return TOP + plot_h - (v - lo) / (hi - lo) * plot_h

    slot = plot_w / max(n, 1)

    def x(i: int) -> float:
        return left + slot * (i + 0.5)

    parts = [(f'<svg viewBox="0 0 {width} {height}" role="img" '
              f'aria-labelledby="{ident}-t" class="chart-svg" '
              f'font-family="system-ui,sans-serif" font-size="{FONT}">'),
             f'<title id="{ident}-t">{escape(title)}</title>',
             (f'<text x="{left}" y="16" font-weight="600" font-size="{FONT + 1}">'
              f"{escape(title)}</text>")]
    for t in ticks:  # gridlines and dollar labels
        parts.append(f'<line x1="{left}" x2="{width - RIGHT}" y1="{y(t):.1f}" '
                     f'y2="{y(t):.1f}" stroke="{"#999" if t == 0 else "#e3e3e3"}" '
                     'stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end" '
                     f'fill="#555">{dollars(t)}</text>')
    for i, text in x_ticks(labels, plot_w):
        parts.append(f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{TOP + plot_h}" '
                     f'y2="{TOP + plot_h + 4}" stroke="#999"/>')
        parts.append(f'<text x="{x(i):.1f}" y="{TOP + plot_h + 17}" text-anchor="middle" '
                     f'fill="#555">{escape(text)}</text>')
    bars = [s for s in series if s.kind == "bar"]
    for k, s in enumerate(bars):
        parts.append(_bars(s, k, len(bars), slot, x, y))
    for s in series:
        if s.kind != "bar":
            parts.append(_line(s, x, y, base=y(max(lo, 0.0))))
    if len(series) > 1:
        parts.append(_legend(series, width))
    parts.append("</svg>")
    return "".join(parts)


def _bars(s: Series, k: int, of: int, slot: float, x, y) -> str:
    bar_w = max(slot * 0.8 / of, 0.6)
    zero = y(0.0)
    rects = []
    for i, v in enumerate(map(_f, s.values)):
        if not v:
            continue
        left = x(i) - slot * 0.4 + k * bar_w
        top, bottom = sorted((y(v), zero))
        rects.append(f'<rect x="{left:.1f}" y="{top:.1f}" width="{bar_w:.2f}" '
                     f'height="{max(bottom - top, 0.5):.1f}"/>')
    return f'<g fill="#{s.color}">{"".join(rects)}</g>'


def _line(s: Series, x, y, base: float) -> str:
    """A line through the known values (a gap where a value is missing), and for an
    area series the fill down to zero."""
    runs: list[list[tuple[float, float]]] = [[]]
    for i, v in enumerate(map(_f, s.values)):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        runs[-1].append((x(i), y(v)))
    out = []
    for run in (r for r in runs if r):
        pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
        if s.kind == "area":
            poly = f"{run[0][0]:.1f},{base:.1f} {pts} {run[-1][0]:.1f},{base:.1f}"
            out.append(f'<polygon points="{poly}" fill="#{s.color}" fill-opacity=".15"/>')
        out.append(f'<polyline points="{pts}" fill="none" stroke="#{s.color}" '
                   'stroke-width="2" stroke-linejoin="round"/>')
    return "".join(out)


def _legend(series: Sequence[Series], width: int) -> str:
    items = []
    pos = float(width - RIGHT)
    for s in reversed(series):
        text_w = len(s.label) * FONT * 0.55
        pos -= text_w + 22
        items.append(f'<rect x="{pos:.0f}" y="7" width="10" height="10" fill="#{s.color}"/>'
                     f'<text x="{pos + 14:.0f}" y="16" fill="#333">{escape(s.label)}</text>')
    return "".join(items)
