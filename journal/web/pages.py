"""The read pages: overview, progression, underlyings and cycles, lots, statement rows,
flags, trades. Each asks the views for typed tables (memoised per ledger version) and
renders them; every figure that has something behind it links there."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request

from journal.web import charts
from journal.web.app import not_found, render, server, view
from journal.web.html import fields_html, table_html, url
from journal.web.state import View

PERIODS = {"month": "Monthly", "week": "Weekly", "year": "Yearly"}
BY_DATES = {"trade": "trade date", "open": "open date", "close": "close date"}


def page_number(request: Request, name: str = "page") -> int:
    """The page of rows asked for (1 when absent or not a number)."""
    try:
        return max(1, int(request.query_params.get(name, "1")))
    except ValueError:
        return 1


def _day(request: Request, name: str = "as_of") -> date | None:
    text = request.query_params.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, f"{name}: {text!r} is not a date (YYYY-MM-DD)") from None


def period_days(label: Any, period: str) -> tuple[date, date] | None:
    """The first and last day of a progression period ("2025-W06", "2025-02", 2025)."""
    import calendar

    text = str(label)
    try:
        if period == "week":
            y, w = text.split("-W")
            first = date.fromisocalendar(int(y), int(w), 1)
            return first, date.fromordinal(first.toordinal() + 6)
        if period == "month":
            year, month = map(int, text.split("-"))
            return date(year, month, 1), date(year, month,
                                               calendar.monthrange(year, month)[1])
        return date(int(text), 1, 1), date(int(text), 12, 31)
    except ValueError:
        return None


def trades_link(period: str):
    """A progression period leads to the executions traded in it."""
    def link(r: Mapping[str, Any]) -> str | None:
        days = period_days(r[period], period)
        return url("trades", **{"from": days[0], "to": days[1]}) if days else None

    return link


# --- shared tables, memoised ------------------------------------------------------------

def summary(v: View, period: str = "month", by_date: str = "trade"):
    from journal.views import review

    return v.memo(("summary", period, by_date),
                  lambda: review.summary(v.data, v.result, period=period, by_date=by_date))


def by_cycle(v: View):
    from journal.views import review

    return v.memo("by_cycle", lambda: review.by_cycle(v.data, v.result))


def by_underlying(v: View):
    from journal.views import review

    return v.memo("by_underlying", lambda: review.by_underlying(v.data, v.result))


# --- links -------------------------------------------------------------------------------

def cycle_link(r: Mapping[str, Any]) -> str | None:
    return url("cycles", r["cycle_id"]) if r.get("cycle_id") else None


def lot_linker(v: View):
    """A link to a lot's page for rows whose ``lot_id`` is a stock lot (an option line's
    id names no lot page)."""
    known = v.memo("lot_ids", lambda: frozenset(x.lot_id for x in v.result.lots))

    def link(r: Mapping[str, Any]) -> str | None:
        lot_id = r.get("lot_id")
        return url("lots", lot_id) if lot_id in known else None

    return link


def tx_link(r: Mapping[str, Any], key: str = "transaction_id") -> str | None:
    if not r.get(key) or not r.get("account"):
        return None
    return url("source", r["account"], r[key])


def underlying_link(r: Mapping[str, Any], key: str = "underlying") -> str | None:
    return url("underlyings", r[key]) if r.get(key) else None


def sources_cell(pairs) -> Markup:
    return Markup(", ".join(f'<a href="{escape(url("source", a, t))}">{escape(t)}</a>'
                            for a, t in pairs or ()))


# --- pages -------------------------------------------------------------------------------

def status_parts(v: View, day: date) -> list:
    """``journal status --as-of DAY``'s sections (the rules as of that day)."""
    from journal import checklist
    from journal.views import market, status

    def compute():
        result = v.result_on(day)
        marks = market.Marks(v.data, day, market.user_prices(checklist.load_settings()))
        return status.status(v.data, result, day, marks=marks)

    return v.memo(("status", day), compute)


def warm_up(state, day: date) -> None:
    """Build what the first pages need before anyone asks (``journal serve`` starts this
    in the background: on a large ledger the first read and rules pass take seconds)."""
    v = View(state)
    status_parts(v, day)
    summary(v, "month")
    summary(v, "year")
    by_underlying(v)
    by_cycle(v)


def overview(request: Request):
    """Where the wheel stands today: ``journal status`` plus the all-time totals."""
    from journal.views import overview as overview_views

    v = view(request)
    day = _day(request) or server(request).options.today()
    parts = dict(status_parts(v, day))
    all_time = overview_views.all_time(summary(v, "year"))
    recent = by_cycle(v)
    recent = recent.with_rows(sorted(recent.rows, key=lambda r: (r["started"], r["cycle_id"]),
                                     reverse=True)[:10])
    lot_link = lot_linker(v)
    links = {"description": cycle_link, "lot_id": lot_link, "symbol": lot_link,
             "code": lambda r: url("flags") + f"#flag-{r['code']}", "cycle_id": cycle_link}
    return render(request, "overview.html", title="Overview", day=day,
                  headline=table_html(parts["period"], name="period", links=links),
                  all_time=table_html(all_time, name="all_time", per_page=None),
                  sections=[(key, parts[key].title, table_html(parts[key], name=key,
                                                               links=links))
                            for key in ("open_options", "open_lots", "expiring", "flags",
                                        "statements")],
                  notes={k: t.notes for k, t in parts.items()},
                  recent=table_html(recent, name="recent_cycles", links=links,
                                    keys=["cycle_id", "underlying", "started", "ended",
                                          "premium_net", "realized_gain",
                                          "return_on_collateral_annualized"]))


def progress(request: Request):
    """Weekly, monthly or yearly progression with its charts, by trade, open or close
    date (``journal summary``)."""
    period = request.query_params.get("period", "month")
    by_date = request.query_params.get("by", "trade")
    if period not in PERIODS or by_date not in BY_DATES:
        raise HTTPException(400, "period is week, month or year; by is trade, open or close")
    v = view(request)
    t = summary(v, period, by_date)

    def draw():
        labels = [str(r[period]) for r in t.rows]
        anchors = [f"p-{label}" for label in labels]
        bars = charts.bars(f"Net premium per {period}", labels,
                           [r.get("premium_net") for r in t.rows], name="premium",
                           href=lambda i: "#" + anchors[i])
        realized = charts.bars(f"Realized gain per {period}", labels,
                               [r.get("realized_gain") for r in t.rows], name="realized",
                               href=lambda i: "#" + anchors[i])
        running = charts.line("Cumulative realized gain", labels,
                              [r.get("cumulative_realized_gain") for r in t.rows],
                              name="cumulative")
        return ([(f"Net premium per {period}", bars),
                 (f"Realized gain per {period}", realized),
                 ("Cumulative realized gain", running)],
                table_html(t, name="summary", per_page=None,
                           row_anchor=lambda r: f"p-{r[period]}",
                           # by open or close date a row holds trades of other periods
                           links={period: trades_link(period)} if by_date == "trade"
                           else None))

    drawn, table = v.memo(("progress_html", period, by_date), draw)
    return render(request, "progress.html", title=f"{PERIODS[period]} progression",
                  period=period, by_date=by_date, periods=PERIODS, by_dates=BY_DATES,
                  charts=drawn, notes=t.notes, table=table)


def underlyings(request: Request):
    """Per underlying (``journal review --by underlying``)."""
    t = by_underlying(view(request))
    return render(request, "table_page.html", title="Underlyings", notes=t.notes,
                  intro="Each underlying leads to its wheel cycles.",
                  tables=[table_html(t, name="underlyings", per_page=None,
                                     links={"underlying": underlying_link})])


def underlying(request: Request):
    """One underlying: its cycles and its lots."""
    from journal.views import results, timeline

    symbol = request.path_params["symbol"]
    v = view(request)
    cycles = v.memo(("cycles_of", symbol.upper()),
                    lambda: timeline.cycles_of(by_cycle(v), symbol))
    lots = v.memo(("lots", symbol.upper()),
                  lambda: results.lots(v.result, show_all=True, symbol=symbol))
    if not cycles.rows and not lots.rows and not any(
            r.get("underlying", "").upper() == symbol.upper() for r in by_underlying(v).rows):
        raise not_found(f"no underlying {symbol} in the ledger")
    return render(request, "table_page.html", title=f"{symbol}: wheel cycles",
                  intro="", notes=cycles.notes,
                  tables=[table_html(cycles, name="cycles", links={"cycle_id": cycle_link},
                                     page=page_number(request),
                                     page_url=lambda n: url("underlyings", symbol, page=n)),
                          Markup("<h2>Lots</h2>"),
                          table_html(lots, name="lots", links={"lot_id": lot_linker(v)},
                                     page=page_number(request, "page_lots"),
                                     page_url=lambda n: url("underlyings", symbol,
                                                            page_lots=n))])


def cycle(request: Request):
    """One wheel cycle: its figures, timeline, positions and the regrouping form."""
    from journal.views import results, timeline

    cycle_id = request.path_params["cycle_id"]
    v = view(request)
    c = results.find_cycle(v.result, cycle_id)
    if c is None:
        raise not_found(f"no cycle {cycle_id} (the cycles list has them)")
    events = v.memo(("timeline", cycle_id), lambda: timeline.timeline(v.result, c))
    positions = v.memo(("positions", cycle_id), lambda: results.cycle_positions(v.result, c))
    figures = timeline.cycle_row(by_cycle(v), cycle_id)
    txs = sorted({r["open_transaction_id"] for r in positions.rows
                  if r.get("open_transaction_id")}
                 | {r["transaction_id"] for r in events.rows
                    if r.get("transaction_id") and r["event"].startswith("shares ")})
    labels = sorted(x.cycle_id for x in v.result.cycles
                    if x.underlying == c.underlying and x.account == c.account)
    tx = {"transaction_id": lambda r: tx_link(r),
          "open_transaction_id": lambda r: tx_link({**r, "account": c.account},
                                                   "open_transaction_id"),
          "close_transaction_id": lambda r: tx_link({**r, "account": c.account},
                                                    "close_transaction_id"),
          "lot_id": lot_linker(v)}
    timeline_html, positions_html = v.memo(("cycle_html", cycle_id), lambda: (
        table_html(events, name="timeline", links=tx, per_page=None),
        table_html(positions, name="positions", links=tx, per_page=None)))
    return render(request, "cycle.html", title=f"Cycle {cycle_id}", cycle=c,
                  figures=fields_html(figures, name="cycle"),
                  timeline=timeline_html, positions=positions_html,
                  notes=positions.notes, transactions=txs, labels=labels,
                  done=request.query_params.get("done"))


def lot(request: Request):
    """A lot: its figures, why its basis is what it is, what was sold of it."""
    from journal.views import trail

    lot_id = request.path_params["lot_id"]
    v = view(request)
    try:
        figures = trail.lot(v.result, lot_id)
        steps = v.memo(("explain", lot_id),
                       lambda: trail.explanation(v.result, lot_id, v.data))
    except KeyError:
        raise not_found(f"no lot {lot_id}") from None
    sold = trail.realized_of(v.result, lot_id=lot_id)
    return render(request, "lot.html", title=f"Lot {lot_id}", lot_id=lot_id,
                  figures=fields_html(figures, name="lot", links={"cycle_id": cycle_link,
                                                                  "symbol": underlying_link_sym}),
                  explanation=_explanation_html(steps),
                  sold=table_html(sold, name="realized", per_page=None,
                                  links={"description": lambda r: tx_link(
                                      r, "closing_transaction_id")}))


def underlying_link_sym(r: Mapping[str, Any]) -> str | None:
    return underlying_link(r, "symbol")


def _explanation_html(steps) -> Markup:
    from journal.web.html import table_html as render_table

    shown = steps.select(["basis", "step", "description", "date", "amount", "total",
                          "sources"])
    return render_table(shown, name="explanation", keys=shown.keys, per_page=None,
                        cells={"sources": lambda r: sources_cell(r.get("sources"))})


def source(request: Request):
    """The statement rows of one IB transaction, and what the rules made of it."""
    from journal import provenance
    from journal.views import trail

    account = request.path_params["account"]
    tx = request.path_params["transaction_id"]
    v = view(request)
    records = provenance.load_sources(v.state.engine, account, [tx])
    positions = trail.positions_of(v.result, account, tx)
    lots = trail.lots_of(v.result, account, tx)
    realized = trail.realized_of(v.result, account=account, transaction_id=tx)
    if not records and not positions.rows and not lots:
        raise not_found(f"no execution {tx} in account {account}")
    links = {"cycle_id": cycle_link,
             "open_transaction_id": lambda r: tx_link(r, "open_transaction_id"),
             "close_transaction_id": lambda r: tx_link(r, "close_transaction_id")}
    return render(request, "source.html", title=f"Transaction {tx}", account=account, tx=tx,
                  rows=table_html(trail.sources(records), name="sources", per_page=None),
                  raws=[(r, trail.raw_attributes(r)) for r in records],
                  positions=table_html(positions, name="positions", links=links,
                                       per_page=None),
                  lots=lots,
                  realized=table_html(realized, name="realized", per_page=None,
                                      links={"lot_id": lot_linker(v)}),
                  done=request.query_params.get("done"))


FLAG_PREVIEW = 20  # rows per code on the flags page; /flags/CODE has them all


def _flag_links():
    return {"transaction_id": tx_link, "symbol": lambda r: underlying_link(r, "symbol"),
            "tax_year": lambda r: url("tax", r["tax_year"])}


def _flags_by_code(v: View) -> dict[str, list]:
    def compute():
        out: dict[str, list] = {}
        for f in v.result.flags:
            out.setdefault(f.code, []).append(f)
        return out

    return v.memo("flags_by_code", compute)


def flags(request: Request):
    """Flags grouped by code with their meaning and rule, each with the rows concerned."""
    from journal.views import flags as flag_views

    v = view(request)
    groups = v.memo("flag_groups", lambda: flag_views.groups(v.result.flags))
    by_code = _flags_by_code(v)
    sections = []
    for g in groups.rows:
        detail = flag_views.detail(by_code.get(g["code"], ())[:FLAG_PREVIEW])
        sections.append((g, table_html(detail, name=f"flags-{g['code']}",
                                       links=_flag_links(), keys=detail.keys,
                                       per_page=None)))
    return render(request, "flags.html", title="Flags to review", preview=FLAG_PREVIEW,
                  groups=table_html(groups, name="flag_groups", keys=groups.keys,
                                    per_page=None,
                                    links={"code": lambda r: f"#flag-{r['code']}"}),
                  sections=sections)


def flag_code(request: Request):
    """Every flag of one code (``journal flags --detail --code CODE``)."""
    from journal import vocab
    from journal.views import flags as flag_views

    code = request.path_params["code"]
    v = view(request)
    rows = _flags_by_code(v).get(code)
    if rows is None:
        raise not_found(f"no flag {code} in the ledger")
    detail = flag_views.detail(rows)
    info = vocab.flag_info(code)
    return render(request, "flag.html", title=f"Flag {code}", code=code, info=info,
                  count=len(rows),
                  table=table_html(detail, name=f"flags-{code}", links=_flag_links(),
                                   keys=detail.keys, page=page_number(request),
                                   page_url=lambda n: url("flags", code, page=n)))


def trades(request: Request):
    """The executions as IB reported them (``journal trades --all``), newest first."""
    from journal import readmodel
    from journal.views import ledger

    account = request.query_params.get("account") or None
    symbol = (request.query_params.get("symbol") or "").upper() or None
    first, last = _day(request, "from"), _day(request, "to")
    v = view(request)
    if account is not None and account not in v.source.account_ids:
        raise not_found(f"account {account} is not in the ledger (it has "
                        f"{', '.join(v.source.account_ids) or 'none yet'})")

    def compute():
        records = readmodel.load_trades(v.state.engine, accounts=[account] if account else (),
                                        date_from=first, date_to=last, include_voided=True)
        t = ledger.trades(records, symbol=symbol)
        return t.with_rows(list(reversed(t.rows)))

    newest = v.memo(("trades", account, symbol, first, last), compute)

    def page_url(n: int) -> str:
        return url("trades", account=account, symbol=symbol, page=n,
                   **{"from": first, "to": last})

    span = (f" traded from {first or 'the start'} to {last or 'the end'}"
            if first or last else "")
    return render(request, "table_page.html", title="Trades", notes=(),
                  intro=f"Every execution the ledger holds{span}, newest first "
                        "(cancelled and duplicate rows included).",
                  tables=[table_html(newest, name="trades", page=page_number(request),
                                     page_url=page_url,
                                     links={"transaction_id": tx_link})])
