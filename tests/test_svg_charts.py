"""The report's charts from one month to twenty years of history: labels that fit, dollar
axes, and the values drawn where they belong."""

from __future__ import annotations

import re
from decimal import Decimal as D
from itertools import pairwise

import pytest

from journal.exporters import svg_charts as svg


def months(n: int, first: tuple[int, int] = (2006, 1)) -> list[str]:
    y, m = first
    out = []
    for _ in range(n):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@pytest.mark.parametrize("n", [1, 2, 11, 12, 13, 36, 84, 240])
@pytest.mark.parametrize("width", [270, 640])  # the narrow and the wide plot
def test_axis_labels_fit_from_one_month_to_twenty_years(n, width):
    labels = months(n, (2006, 3))
    ticks = svg.x_ticks(labels, width)
    assert ticks, "at least one label"
    slot = width / n
    # labels never closer than the ~48 units one needs
    gaps = [(b - a) * slot for (a, _), (b, _) in pairwise(ticks)]
    assert all(g >= 40 for g in gaps), (n, width, ticks)
    assert [i for i, _ in ticks] == sorted({i for i, _ in ticks})
    if n > width // 48 * 3:  # too many for quarters: one label a year (or every few)
        assert all(re.fullmatch(r"\d{4}", text) for _, text in ticks), ticks
        assert all(labels[i].endswith("-01") for i, _ in ticks[1:])


def test_one_month_is_labelled_with_its_year():
    assert svg.x_ticks(["2025-11"], 640) == [(0, "Nov 25")]


def test_dollar_axis_labels():
    assert svg.dollars(0) == "$0"
    assert svg.dollars(12500) == "$12,500"
    assert svg.dollars(-3000) == "−$3,000"
    assert svg.dollars(8_000_000) == "$8,000,000"
    for lo, hi in ((-120, 980), (0, 37), (5, 8_300_000), (-2000, -10), (0, 0)):
        ticks = svg.nice_ticks(lo, hi)
        assert ticks[0] <= min(lo, 0) and ticks[-1] >= max(hi, 0) and 0 in ticks
        steps = {round(b - a, 6) for a, b in pairwise(ticks)}
        assert len(steps) == 1 and 2 <= len(ticks) <= 7, ticks
        mantissa = f"{steps.pop():e}".split("e")[0]
        assert float(mantissa) in (1, 2, 2.5, 5), ticks  # round steps only


def test_chart_draws_every_value_and_the_axis_covers_them():
    values = [D(100), D("-50.5"), None, D(2500)]
    out = svg.chart("Net premium", months(4), [svg.Series("net", values, "4C78A8")],
                    width=400, height=200, ident="t")
    assert out.startswith("<svg") and out.endswith("</svg>")
    assert len(re.findall(r"<rect ", out)) == 3  # None and zero draw nothing
    axis = re.findall(r'text-anchor="end" fill="#555">([^<]+)<', out)
    assert axis[0].startswith("−$") and axis[-1] == "$3,000"  # covers 2,500
    assert '<title id="t-t">Net premium</title>' in out
    # a line with a missing month breaks instead of drawing through it
    line = svg.chart("Cum.", months(4), [svg.Series("c", values, "F58518", "line")],
                     width=400, height=200, ident="l")
    assert line.count("<polyline") == 2
