"""Typed tables as HTML: the one renderer every page uses.

Cells read as in the terminal (money with cents and separators, percentages with ``%``,
ISO dates: :func:`journal.render.text.formatter`) and carry their exact value in
``data-value`` (the JSON the CLI prints for the same cell), so what a page shows can be
checked against ``journal … --format json`` and copied exactly. Everything is escaped
here; templates only place the Markup this returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

from markupsafe import Markup, escape

from journal.render.text import formatter, json_value
from journal.views.table import Kind, Table

Link = Callable[[Mapping[str, Any]], "str | None"]

PER_PAGE = 200
WRAP_AT = 48  # longer text cells (messages, reasons) wrap instead of widening the table


def url(*parts: Any, **query: Any) -> str:
    """A local path from parts (each percent-encoded, ``/`` included) and a query."""
    path = "/" + "/".join(quote(str(p), safe="") for p in parts)
    q = "&".join(f"{quote(k, safe='')}={quote(str(v), safe='')}"
                 for k, v in query.items() if v is not None and v != "")
    return path + ("?" + q if q else "")


def _exact(v: Any) -> str:
    return json.dumps(json_value(v), ensure_ascii=False)


def _negative(v: Any) -> bool:
    try:
        return v is not None and not isinstance(v, bool) and v < 0
    except TypeError:
        return False


def table_html(t: Table, *, name: str, keys: Sequence[str] | None = None,
               links: Mapping[str, Link] | None = None, page: int = 1,
               per_page: int | None = PER_PAGE, page_url: Callable[[int], str] | None = None,
               row_anchor: Callable[[Mapping[str, Any]], str | None] | None = None,
               cells: Mapping[str, Callable[[Mapping[str, Any]], Markup]] | None = None,
               caption: bool = False, empty: str = "Nothing here.") -> Markup:
    """``t`` as an HTML table (its key columns unless ``keys``), ``per_page`` rows at a
    time (None: all), each cell linked where ``links`` has a function for its column
    (``cells``: a column whose cell content is made by a function, already escaped)."""
    shown = t.select(keys) if keys is not None else t.select(t.default_keys())
    links = links or {}
    cells = cells or {}
    cols = shown.columns
    rows = shown.rows
    total = len(rows)
    first = 0
    if per_page is not None and total > per_page:
        pages = (total + per_page - 1) // per_page
        page = min(max(page, 1), pages)
        first = (page - 1) * per_page
        rows = rows[first:first + per_page]
    out = [f'<div class="scroll"><table data-table="{escape(name)}">']
    if caption and t.title:
        out.append(f"<caption>{escape(t.title)}</caption>")
    out.append("<thead><tr>")
    for c in cols:
        cls = ' class="n"' if c.kind.numeric else ""
        out.append(f'<th scope="col" data-key="{escape(c.key)}"{cls}>{escape(c.title)}</th>')
    out.append("</tr></thead><tbody>")
    shows = [(c.key, formatter(c.kind), c.kind.numeric, c.kind, links.get(c.key),
              cells.get(c.key)) for c in cols]
    for r in rows:
        anchor = row_anchor(r) if row_anchor else None
        out.append(f'<tr id="{escape(anchor)}">' if anchor else "<tr>")
        for key, show, numeric, kind, link, make in shows:
            v = r.get(key)
            text = make(r) if make is not None else escape(show(v))
            if link is not None and v not in (None, ""):
                href = link(r)
                if href:
                    text = Markup(f'<a href="{escape(href)}">{text}</a>')
            classes = []
            if numeric:
                classes.append("n")
                if _negative(v):
                    classes.append("neg")
            if kind is Kind.ID:
                classes.append("id")
            elif kind is Kind.TEXT and isinstance(v, str) and len(v) > WRAP_AT:
                classes.append("wrap")
            cls = f' class="{" ".join(classes)}"' if classes else ""
            out.append(f"<td{cls} data-value=\"{escape(_exact(v))}\">{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table></div>")
    if not total:
        out = [f'<p class="empty" data-table="{escape(name)}" data-rows="0">'
               + f"{escape(empty)}</p>"]
    elif per_page is not None and total > per_page:
        out.append(_pager(total, first, len(rows), page, per_page, page_url))
    return Markup("".join(out))


def _pager(total: int, first: int, count: int, page: int, per_page: int,
           page_url: Callable[[int], str] | None) -> str:
    pages = (total + per_page - 1) // per_page
    parts = [f'<nav class="pager">rows {first + 1:,}–{first + count:,} of {total:,}']
    if page_url is None:
        parts.append(" (the downloads and the command line have them all)")
    elif page > 1:
        parts.append(f' · <a href="{escape(page_url(page - 1))}" rel="prev">‹ previous</a>')
    if page_url is not None and page < pages:
        parts.append(f' · <a href="{escape(page_url(page + 1))}" rel="next">next ›</a>')
    parts.append("</nav>")
    return "".join(parts)


def fields_html(t: Table, *, name: str, links: Mapping[str, Link] | None = None) -> Markup:
    """A one-row table as a list of fields (the calculator's answer, a lot's figures)."""
    links = links or {}
    out = [f'<dl class="fields" data-table="{escape(name)}">']
    for r in t.rows[:1]:
        for c in t.columns:
            v = r.get(c.key)
            text = escape(formatter(c.kind)(v))
            link = links.get(c.key)
            if link is not None and v not in (None, ""):
                href = link(r)
                if href:
                    text = Markup(f'<a href="{escape(href)}">{text}</a>')
            cls = ' class="n"' if c.kind.numeric else ""
            out.append(f'<div><dt>{escape(c.title)}</dt><dd{cls} data-key="{escape(c.key)}" '
                       f'data-value="{escape(_exact(v))}">{text}</dd></div>')
    out.append("</dl>")
    return Markup("".join(out))
