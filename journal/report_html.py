"""One self-contained HTML page of the review (`journal report --html FILE`).

Charts are drawn by matplotlib as SVG and inlined, tables are plain HTML, the style sheet
is inline: the page opens offline, from a mail attachment or a USB stick, and never loads
anything from the network. The SVG text is cleaned of matplotlib's namespace and metadata
URLs (inline SVG in HTML needs none) and its ids are prefixed so two charts cannot clash.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from journal.render.text import screen_text
from journal.views.table import Table

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#222}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}
th,td{padding:.2rem .5rem;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f4f4f4;position:sticky;top:0}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{max-width:640px}
.note{color:#666;font-size:.85rem}
"""


def _num(v) -> float | None:
    # plotting only: the tables keep the exact Decimal text
    if v is None or v == "":
        return None
    return float(v)


def _clean_svg(svg: str, prefix: str) -> str:
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'url\(#([^)]+)\)', lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)
    return svg


def _figure_svg(fig, prefix: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return _clean_svg(buf.getvalue(), prefix)


def charts(rows: Sequence[Mapping[str, Any]], period_key: str = "month") -> list[str]:
    """Premium per period (bars) and cumulative realized gain (line), as inline SVG."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, selectable
    matplotlib.rcParams["svg.hashsalt"] = "csp-journal"  # same input, same bytes
    labels = [str(r[period_key]) for r in rows]
    x = list(range(len(rows)))
    out = []

    fig, ax = plt.subplots(figsize=(7, 3.2))
    gross = [_num(r.get("premium_gross")) or 0 for r in rows]
    net = [_num(r.get("premium_net")) or 0 for r in rows]
    ax.bar([i - 0.2 for i in x], gross, width=0.4, label="premium gross", color="#4C78A8")
    ax.bar([i + 0.2 for i in x], net, width=0.4, label="premium net", color="#72B7B2")
    ax.set_title(f"Premium per {period_key}")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=.3)
    out.append(_figure_svg(fig, "c1-"))

    fig, ax = plt.subplots(figsize=(7, 3.2))
    cum = [_num(r.get("cumulative_realized_gain")) for r in rows]
    if any(v is not None for v in cum):
        ax.plot(x, [v if v is not None else float("nan") for v in cum], marker="o",
                color="#F58518", label="cumulative realized gain")
        ax.axhline(0, color="#999", lw=.8)
    else:
        ax.text(0.5, 0.5, "realized gains need the rules layer", ha="center",
                transform=ax.transAxes)
    ax.set_title("Cumulative realized gain")
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    ax.grid(alpha=.3)
    out.append(_figure_svg(fig, "c2-"))
    return out


def _table(t: Table) -> str:
    """Every column, human headers, values as the terminal shows them (by kind)."""
    head = "".join(f"<th>{html.escape(c.title)}</th>" for c in t.columns)
    body = []
    for r in t.rows:
        cells = []
        for c in t.columns:
            cls = ' class="n"' if c.kind.numeric else ""
            cells.append(f"<td{cls}>{html.escape(screen_text(r.get(c.key), c.kind))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not t.rows:
        body.append(f'<tr><td colspan="{len(t.columns)}">(no rows)</td></tr>')
    notes = "".join(f'<p class="note">{html.escape(n)}</p>' for n in t.notes)
    return (f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            + notes)


def render(title: str, monthly: Table, sections: Sequence[tuple[str, Table]],
           *, generated: datetime | None = None, note: str = "") -> str:
    rows = monthly.rows
    svgs = charts(rows, monthly.keys[0]) if rows else []
    stamp = (generated or datetime.now()).strftime("%Y-%m-%d %H:%M")
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">Generated {html.escape(stamp)}. {html.escape(note)}</p>',
        '<div class="charts">' + "".join(f'<div class="chart">{s}</div>' for s in svgs) + "</div>",
        "<h2>Monthly</h2>", _table(monthly),
    ]
    for name, t in sections:
        parts += [f"<h2>{html.escape(name)}</h2>", _table(t)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def as_of_text(d: date | None) -> str:
    return f"Open positions measured to {d.isoformat()}." if d else ""
