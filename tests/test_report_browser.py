"""The HTML report as a person sees it: opened in a real Chromium (tests/browser.py), at a
desktop width and a phone width, on the bundled samples and on seven years of history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from browser import PageWatch
from conftest import SAMPLES

WIDTHS = (1280, 400)

# Overlapping axis labels of the charts on show: [(chart title, label, label)].
OVERLAPS_JS = """() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart-svg')) {
    if (svg.getBoundingClientRect().width === 0) continue;  // the other drawing
    const base = svg.getBoundingClientRect().bottom;
    const labels = [...svg.querySelectorAll('text[text-anchor="middle"]')]
      .map(t => [t.textContent, t.getBoundingClientRect()])
      .filter(([, r]) => base - r.bottom < 30);
    for (let i = 1; i < labels.length; i++) {
      if (labels[i][1].left < labels[i - 1][1].right + 2)
        out.push([svg.querySelector('title').textContent, labels[i - 1][0], labels[i][0]]);
    }
  }
  return out;
}"""

# Each chart on show must fit its box (no drawing cut off at the right edge).
CHARTS_JS = """() => [...document.querySelectorAll('svg.chart-svg')]
  .filter(s => s.getBoundingClientRect().width > 0)
  .map(s => [s.getBoundingClientRect().right <= document.documentElement.clientWidth + 0.5,
             Math.round(s.getBoundingClientRect().width)])"""

# A wide table scrolls inside its own box, its first column held in place.
STICKY_JS = """() => {
  const box = [...document.querySelectorAll('.scroll')]
    .find(b => b.scrollWidth > b.clientWidth + 20 && b.querySelector('tbody td + td'));
  if (!box) return null;
  const first = box.querySelector('tbody td');
  const before = first.getBoundingClientRect().left;
  box.scrollLeft = 300;
  const moved = box.scrollLeft;
  const after = first.getBoundingClientRect().left;
  const second = box.querySelector('tbody td:nth-child(2)');
  return {moved, before, after, second: second.getBoundingClientRect().left};
}"""


def _look(browser, page_file: Path, shots: Path, name: str) -> dict:
    """Open the page at each width; return what was seen per width."""
    url = page_file.as_uri()
    seen = {}
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 900})
        watch = PageWatch(page, allowed_prefixes=(url,))
        page.goto(url)
        page.wait_for_load_state("load")
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
        page.screenshot(path=str(shots / f"{name}-{width}-top.png"))
        seen[width] = {
            "errors": watch.console_errors, "external": watch.external_requests,
            "overflow": watch.horizontal_overflow(), "h1": page.locator("h1").count(),
            "overlaps": page.evaluate(OVERLAPS_JS), "charts": page.evaluate(CHARTS_JS),
            "sticky": page.evaluate(STICKY_JS),
        }
        page.close()
    return seen


def _check(seen: dict) -> None:
    for width, s in seen.items():
        assert s["errors"] == [], (width, s["errors"])
        assert s["external"] == [], (width, s["external"])
        assert s["overflow"] == 0, (width, s["overflow"])  # no sideways scrolling
        assert s["h1"] == 1
        assert len(s["charts"]) == 3 and all(fits for fits, _ in s["charts"]), (width, s)
        assert s["overlaps"] == [], (width, s["overlaps"])
    # the narrow drawing on a phone, the wide one on a desktop
    assert all(w <= 400 for _, w in seen[400]["charts"])
    assert all(w > 400 for _, w in seen[1280]["charts"])
    sticky = seen[400]["sticky"]
    assert sticky is not None and sticky["moved"] > 0, sticky
    assert abs(sticky["after"] - sticky["before"]) < 1  # the first column stays
    assert sticky["second"] < sticky["before"] + 200  # while the others scroll under it


def test_report_opens_cleanly_in_a_browser(run, tmp_path, browser):
    assert run("import", "-q", SAMPLES).exit_code == 0
    page_file = tmp_path / "report.html"
    assert run("report", "--html", page_file).exit_code == 0
    _check(_look(browser, page_file, tmp_path, "samples"))


@pytest.fixture(scope="module")
def seven_years(tmp_path_factory) -> Path:
    """A generated statement of a wheel trader, January 2019 to December 2025."""
    out = tmp_path_factory.mktemp("gen") / "seven_years.xml"
    subprocess.run([sys.executable, str(Path(__file__).parents[1] / "benchmarks" /
                                        "gen_statement.py"), "--trades", "600", "--out",
                    str(out)], check=True, capture_output=True)
    return out


def test_seven_years_of_history_read_at_both_widths(run, tmp_path, browser, seven_years):
    assert run("import", "-q", seven_years).exit_code == 0
    page_file = tmp_path / "report.html"
    assert run("report", "--html", page_file).exit_code == 0
    html = page_file.read_text(encoding="utf-8")
    # the monthly table shows the last 24 months, every month sits behind a <details>
    assert "The last 24 of 84 months" in html and "All 84 months" in html
    assert len(html) < 400_000  # aggregates, not every row
    # yearly ticks: the wide chart labels years, not 84 months
    assert ">2020</text>" in html and ">2025</text>" in html
    _check(_look(browser, page_file, tmp_path, "seven-years"))
