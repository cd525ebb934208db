"""One self-contained HTML page of the review (``journal report --html FILE``).

Headline figures and the open positions first, then charts of the whole history, then
aggregates a person reads (yearly and recent monthly figures, the top underlyings, the
latest cycles and puts, the flags by code, the statements' coverage): never every row of
the ledger, so the page opens instantly whatever its size (the workbook has every row).

Responsive without JavaScript: a viewport tag, charts drawn twice (wide and narrow, the
style sheet shows the one that fits), wide tables scrolling inside their own box with the
first column held in place, and only the key columns of each view. Nothing is loaded from
anywhere: the style sheet is inline and the charts are inline SVG
(:mod:`journal.exporters.svg_charts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from journal.exporters import svg_charts as svg
from journal.render.text import screen_text
from journal.views import report as views
from journal.views.report import Review
from journal.views.table import Kind, Table

STYLE = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2430;
background:#fafbfc;line-height:1.4}
main{max-width:1180px;margin:0 auto;padding:1rem}
h1{font-size:1.45rem;margin:.5rem 0 .2rem}
h2{font-size:1.1rem;margin:2rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid #d5dbe3}
h3{font-size:.95rem;margin:1.2rem 0 .4rem}
.sub{color:#56606e;margin:0 0 1rem;font-size:.9rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.6rem}
.card{background:#fff;border:1px solid #dfe4ea;border-radius:6px;padding:.55rem .7rem}
.card .k{font-size:.75rem;color:#56606e}
.card .v{font-size:1.15rem;font-variant-numeric:tabular-nums;font-weight:600}
.scroll{overflow-x:auto;max-width:100%;border:1px solid #e3e7ec;border-radius:4px;
background:#fff}
table{border-collapse:separate;border-spacing:0;font-size:.8rem;width:max-content;
min-width:100%}
th,td{padding:.25rem .55rem;border-bottom:1px solid #eef1f4;text-align:left;
white-space:nowrap;vertical-align:top}
th{background:#f1f4f7;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.w{white-space:normal;min-width:14rem;max-width:32rem}
th:first-child,td:first-child{position:sticky;left:0;background:#fff;z-index:1;
box-shadow:1px 0 0 #e3e7ec}
th:first-child{background:#f1f4f7}
.tall{max-height:26rem;overflow-y:auto}
.tall thead th{position:sticky;top:0;z-index:2}
.tall thead th:first-child{z-index:3}
.note{color:#56606e;font-size:.8rem;margin:.35rem 0}
.basis{background:#fff;border-left:3px solid #4c78a8;padding:.4rem .8rem;margin:.6rem 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));
gap:1rem}
.chart{background:#fff;border:1px solid #dfe4ea;border-radius:6px;padding:.4rem;margin:0}
.chart svg{display:block;width:100%;height:auto}
.chart .narrow{display:none}
@media (max-width:600px){.chart .wide{display:none}.chart .narrow{display:block}
main{padding:.6rem}h1{font-size:1.2rem}}
details summary{cursor:pointer;color:#2c5d8f;font-size:.85rem;margin:.4rem 0}
"""

BLUE, ORANGE, GREEN = "4C78A8", "F58518", "54A24B"
WRAP_AT = 40
TALL = 15  # rows beyond which a table scrolls in a box of its own height, header held


def _cell(value, kind: Kind) -> str:
    text = screen_text(value, kind)
    # long free text wraps in a column of its own width; everything else stays on a line
    cls = ' class="n"' if kind.numeric else (
        ' class="w"' if kind in (Kind.TEXT, Kind.LIST) and len(text) > WRAP_AT else "")
    return f"<td{cls}>{escape(text)}</td>"


def table_html(t: Table, label: str, *, all_columns: bool = False) -> str:
    """A view as an HTML table (its key columns), scrolling in its own box, its notes
    under it."""
    t = t if all_columns else views.key_columns(t)
    head = "".join(f'<th{" class=n" if c.kind.numeric else ""} scope="col">'
                   f"{escape(c.title)}</th>" for c in t.columns)
    body = ["<tr>" + "".join(_cell(r.get(c.key), c.kind) for c in t.columns) + "</tr>"
            for r in t.rows]
    if not body:
        body = [f'<tr><td colspan="{len(t.columns)}">(none)</td></tr>']
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in t.notes)
    box = "scroll tall" if len(t.rows) > TALL else "scroll"
    return (f'<div class="{box}" role="region" tabindex="0" aria-label="{escape(label)}">'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"</div>{notes}")


def _cards(headline: Table) -> str:
    cards = []
    for column, value in views.as_columns(headline):
        text = screen_text(value, column.kind) if value is not None else "—"
        cards.append(f'<div class="card"><div class="k">{escape(column.title)}</div>'
                     f'<div class="v">{escape(text)}</div></div>')
    return f'<div class="cards">{"".join(cards)}</div>'


def _chart_pair(title: str, labels: Sequence[str], series: Sequence[svg.Series],
                ident: str) -> str:
    wide = svg.chart(title, labels, series, width=720, height=260, ident=ident + "w")
    narrow = svg.chart(title, labels, series, width=360, height=230, ident=ident + "n")
    return (f'<figure class="chart"><div class="wide">{wide}</div>'
            f'<div class="narrow">{narrow}</div></figure>')


def charts(monthly: Table) -> str:
    t = views.from_first_activity(monthly)
    if not t.rows:
        return '<p class="note">No trades yet: nothing to chart.</p>'
    labels = [str(r[t.keys[0]]) for r in t.rows]

    def values(key: str) -> list:
        return [r.get(key) for r in t.rows]

    return '<div class="charts">' + "".join([
        _chart_pair("Net premium per month", labels,
                    [svg.Series("net premium", values("premium_net"), BLUE)], "c1"),
        _chart_pair("Cumulative realized gain", labels,
                    [svg.Series("realized", values("cumulative_realized_gain"), ORANGE,
                                "area")], "c2"),
        _chart_pair("Capital in use (end of month)", labels,
                    [svg.Series("capital", values("capital_in_use"), GREEN, "area")], "c3"),
    ]) + "</div>"


def subtitle(review: Review, accounts: Sequence[str]) -> str:
    """Only what the page shows: whose statements, which span, measured when."""
    spans = [(r.get("statements_from"), r.get("statements_to"))
             for r in review.coverage.rows]
    first = min((a for a, _ in spans if a), default=None)
    last = max((b for _, b in spans if b), default=None)
    who = ", ".join(accounts)
    span = f"statements {first} to {last}" if first and last else "no statements yet"
    return (f"Account{'s' if len(accounts) != 1 else ''} {who}; {span}. Open positions and "
            f"this year's figures are at {review.as_of.isoformat()}.")


def render(review: Review, title: str, accounts: Sequence[str], *,
           generated: datetime | None = None) -> str:
    stamp = (generated or datetime.now()).strftime("%Y-%m-%d %H:%M")
    as_of = review.as_of.isoformat()
    sections = [
        (f"At {as_of}", _cards(review.headline)
         + f'<p class="note basis">{escape(views.BASIS["summary"])}</p>'),
        (f"Open positions at {as_of}",
         "<h3>Short options</h3>" + table_html(review.status["open_options"],
                                                "Open short options")
         + "<h3>Stock lots</h3>" + table_html(review.status["open_lots"], "Open stock lots")
         + _expiring(review)),
        ("Premium, realized gain and capital in use", charts(review.monthly)),
        ("Per year", table_html(review.yearly, "Per year")),
        ("Per month", _monthly(review.monthly)),
        ("Top underlyings", table_html(
            views.top(review.underlying, "realized_gain", views.TOP_UNDERLYINGS,
                      what="underlyings"), "Per underlying")),
        ("Recent wheel cycles", table_html(
            views.recent(review.cycle, "started", views.RECENT_CYCLES, what="cycles"),
            "Recent wheel cycles")),
        ("Recent puts sold, graded", table_html(
            views.recent(review.grades, "trade_date", views.RECENT_PUTS, what="puts sold"),
            "Recent puts sold")),
        ("Flags to review", table_html(review.status["flags"], "Flags to review")),
        ("Statement coverage", table_html(review.coverage, "Statement coverage")),
        ("How the annualized figures are measured", _bases()),
    ]
    body = "".join(f"<section><h2>{escape(h)}</h2>{content}</section>"
                   for h, content in sections)
    return ("<!DOCTYPE html>\n"
            '<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>"
            f"<h1>{escape(title)}</h1>"
            f'<p class="sub">{escape(subtitle(review, accounts))} Generated {stamp}.</p>'
            f"{body}</main></body></html>\n")


def _expiring(review: Review) -> str:
    t = review.status["expiring"]
    if not t.rows:
        return f'<p class="note">{escape(t.title)}: none.</p>'
    return f"<h3>{escape(t.title)}</h3>" + table_html(t, t.title)


def _monthly(monthly: Table) -> str:
    recent = views.last_months(monthly)
    page = table_html(recent, "Per month")
    if len(recent.rows) < len(monthly.rows):
        page += (f"<details><summary>All {len(monthly.rows)} months</summary>"
                 + table_html(monthly, "Every month") + "</details>")
    return page


def _bases() -> str:
    return "".join(f'<p class="note basis">{escape(text)}</p>'
                   for text in views.BASIS.values())
