"""Performance review: monthly/yearly progression, results per underlying and per wheel
cycle, and a checklist grade for every put sold.

The tables are computed by pure functions over two inputs: option/stock executions as
plain dicts (:func:`read_executions` is the only place that reads the database, read
only) and the rules layer's :class:`~journal.rules.types.RuleResult`. The counts and
premiums come from the ledger alone, so they work before (or without) the rules; the
fields that need matched positions, lots and tax gains (realized gain, win rate,
collateral-days, capital in use) are ``None`` when no RuleResult is given.

Amounts are in the account's base currency (trade amounts × ``fxRateToBase``) and exact;
percentages are percent numbers rounded to 2 places.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable, Optional, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from journal import checklist, models

OPTION_ASSETS = frozenset({"OPT", "FOP", "FSOPT", "FSFOP"})
ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
DAYS_PER_YEAR = Decimal(365)
CENT = Decimal("0.01")

SUMMARY_FIELDS = [
    "puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
    "closed_early", "expired", "assigned", "called_away", "realized_gain", "win_rate",
    "collateral_days", "return_on_collateral_annualized", "capital_in_use",
    "cumulative_premium_net", "cumulative_realized_gain",
]
MONTHLY_COLUMNS = ["month", *SUMMARY_FIELDS]
YEARLY_COLUMNS = ["year", *SUMMARY_FIELDS]

UNDERLYING_COLUMNS = [
    "underlying", "puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
    "closed_puts", "assigned", "assignment_rate", "called_away", "realized_gain",
    "premium_captured_pct", "days_in_stock", "collateral_days",
    "return_on_collateral_annualized",
]
CYCLE_COLUMNS = [
    "cycle_id", "account", "underlying", "started", "ended", "days", "premium_net",
    "realized_gain", "assigned", "days_in_stock", "collateral_days",
    "return_on_collateral_annualized",
]
GRADE_COLUMNS = [
    "account", "trade_date", "underlying", "contract", "contracts", "strike", "expiry", "dte",
    "premium", "price", "otm_pct", "annualized_pct", "open_after",
    *(f"check_{c}" for c in checklist.CHECKS),
    "score", "grade", "reasons", "transaction_id",
]


def pct(x: Optional[Decimal]) -> Optional[Decimal]:
    return None if x is None else x.quantize(CENT, rounding=ROUND_HALF_UP)


PERCENT_FIELDS = frozenset({"win_rate", "return_on_collateral_annualized", "assignment_rate",
                            "otm_pct", "annualized_pct"})


QUANTITY_FIELDS = frozenset({"puts_sold_contracts", "calls_sold_contracts", "closed_early",
                             "expired", "assigned", "called_away", "closed_puts",
                             "collateral_days", "contracts", "open_after"})


def tidy(row: dict) -> dict:
    """Print exact values the way people read them: drop the trailing zeros multiplication
    leaves (41000.00 × 31 → 1271000), show money with at least cents (1506.70). The value
    is unchanged; percentages keep their two places."""
    out = {}
    for k, v in row.items():
        if isinstance(v, Decimal) and k not in PERCENT_FIELDS:
            v = v.normalize() + ZERO
            if k not in QUANTITY_FIELDS and v.as_tuple().exponent > -2:
                v = v.quantize(CENT)
        out[k] = v
    return out


def codes(text: Optional[str]) -> set[str]:
    return {c.strip() for c in (text or "").replace(",", ";").split(";") if c.strip()}


# --- the one read-only query --------------------------------------------------------------

def read_executions(engine: Engine, account: Optional[str] = None) -> list[dict]:
    """Active executions, oldest first, as plain dicts for the pure functions below."""
    ex = models.Execution.__table__
    # Only the columns used below: the raw attributes alone are ~1.5 KB a row.
    cols = ("account_id", "transaction_id", "ib_order_id", "asset_category", "symbol",
            "description", "underlying_symbol", "conid", "put_call", "strike", "expiry",
            "multiplier", "trade_date", "date_time", "buy_sell", "open_close", "quantity",
            "trade_price", "proceeds", "commission", "taxes", "fx_rate_to_base", "notes",
            "close_price")
    q = select(*(ex.c[c] for c in cols)).where(ex.c.status == "active")
    if account:
        q = q.where(ex.c.account_id == account)
    q = q.order_by(ex.c.trade_date, ex.c.date_time, ex.c.id)
    with engine.connect() as conn:
        rows = conn.execute(q).mappings().all()
    return [{
        "account": r["account_id"], "transaction_id": r["transaction_id"],
        "order_id": r["ib_order_id"], "asset": r["asset_category"],
        "symbol": (r["symbol"] or "").strip(), "description": r["description"],
        "underlying": (r["underlying_symbol"] or r["symbol"] or "").strip(),
        "conid": r["conid"], "put_call": r["put_call"], "strike": r["strike"],
        "expiry": r["expiry"], "multiplier": r["multiplier"], "trade_date": r["trade_date"],
        "date_time": r["date_time"], "buy_sell": r["buy_sell"], "open_close": r["open_close"],
        "quantity": r["quantity"], "price": r["trade_price"], "proceeds": r["proceeds"],
        "commission": r["commission"], "taxes": r["taxes"], "fx": r["fx_rate_to_base"],
        "notes": r["notes"], "close_price": r["close_price"],
    } for r in rows]


def read_statement_cash(engine: Engine) -> dict[str, list[tuple[date, Decimal]]]:
    """Cash in base currency at the start of each day the statements can tell: IB's
    starting cash of a period (CashReport, BASE_SUMMARY) plus the net cash of every
    execution and cash row of the days before, and IB's ending cash after the period.
    account -> sorted [(day, cash at the start of that day)], for the checklist."""
    cb = models.CashBalance.__table__
    ex = models.Execution.__table__
    ct = models.CashTransaction.__table__
    with engine.connect() as conn:
        balances = conn.execute(select(cb.c.account_id, cb.c.from_date, cb.c.to_date,
                                       cb.c.starting_cash, cb.c.ending_cash)
                                .where(cb.c.from_date.is_not(None))).all()
        if not balances:
            return {}
        flows: dict = {}
        for acc, day, net, fx, cat in conn.execute(select(
                ex.c.account_id, ex.c.trade_date, ex.c.net_cash, ex.c.fx_rate_to_base,
                ex.c.asset_category).where(ex.c.status == "active")):
            if day is not None and net is not None and cat != "CASH":
                key = (acc, day)
                flows[key] = flows.get(key, ZERO) + net * (fx or ONE)
        for acc, when, rdate, amount, fx in conn.execute(select(
                ct.c.account_id, ct.c.date_time, ct.c.report_date, ct.c.amount,
                ct.c.fx_rate_to_base)):
            day = when.date() if when else rdate
            if day is not None and amount is not None:
                key = (acc, day)
                flows[key] = flows.get(key, ZERO) + amount * (fx or ONE)
    by_account: dict = {}
    for acc, day, _amount in sorted((a, d, v) for (a, d), v in flows.items()):
        by_account.setdefault(acc, []).append(day)
    points: dict[str, list] = {}
    for acc, start, end, starting, ending in balances:
        out = points.setdefault(acc, [])
        if starting is not None:
            running = starting
            out.append((start, 1, starting))  # IB's own figures win a tie (1 > 0)
            for day in by_account.get(acc, ()):
                if start <= day and (end is None or day <= end):
                    running += flows[(acc, day)]
                    out.append((day + timedelta(days=1), 0, running))
        if ending is not None and end is not None:
            out.append((end + timedelta(days=1), 1, ending))
    return {acc: [(d, c) for d, _p, c in sorted(v, key=lambda t: (t[0], t[1]))]
            for acc, v in points.items()}


def read_statement_prices(engine: Engine) -> dict[tuple[date, str], Decimal]:
    """Underlying closes the statements carry: a stock Trade row's closePrice on its trade
    date, and an OpenPosition's mark on its report date."""
    ex = models.Execution.__table__
    ps = models.PositionSnapshot.__table__
    out: dict[tuple[date, str], Decimal] = {}
    with engine.connect() as conn:
        for d, sym, px in conn.execute(select(ps.c.report_date, ps.c.symbol, ps.c.mark_price)
                                       .where(ps.c.asset_category == "STK")):
            if d and sym and px:
                out[(d, sym.strip().upper())] = px
        for d, sym, px in conn.execute(select(ex.c.trade_date, ex.c.symbol, ex.c.close_price)
                                       .where(ex.c.asset_category == "STK")
                                       .where(ex.c.status == "active")):
            if d and sym and px:
                out[(d, sym.strip().upper())] = px
    return out


def ledger_end(engine: Engine) -> Optional[date]:
    """The last day the ledger knows about: the end of the latest statement period or the
    latest trade, whichever is later. Open positions are measured up to this day so the
    numbers do not drift with the wall clock."""
    ex = models.Execution.__table__
    b = models.ImportBatch.__table__
    with engine.connect() as conn:
        last_trade = conn.execute(select(func.max(ex.c.trade_date))).scalar()
        last_period = conn.execute(select(func.max(b.c.period_to))).scalar()
    days = [d for d in (last_trade, last_period) if d]
    return max(days) if days else None


# --- periods --------------------------------------------------------------------------------

def period_key(d: date, period: str):
    return f"{d.year:04d}-{d.month:02d}" if period == "month" else d.year


def period_bounds(key, period: str) -> tuple[date, date]:
    """First day and the day after the last day."""
    if period == "month":
        y, m = int(key[:4]), int(key[5:7])
        start = date(y, m, 1)
        end = date(y + (m == 12), m % 12 + 1, 1)
    else:
        start, end = date(key, 1, 1), date(key + 1, 1, 1)
    return start, end


def period_keys(first: date, last: date, period: str) -> list:
    keys, d = [], first
    while d <= last:
        k = period_key(d, period)
        keys.append(k)
        d = period_bounds(k, period)[1]
    return keys


def overlap_days(a_start: date, a_end: date, b_start: date, b_end: date) -> int:
    """Days shared by two half-open intervals [start, end)."""
    return max(0, (min(a_end, b_end) - max(a_start, b_start)).days)


# --- ledger-only facts ----------------------------------------------------------------------

def _dec(v) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v or 0))


def _fx(e: dict) -> Decimal:
    return _dec(e.get("fx")) if e.get("fx") else ONE


def is_option(e: dict) -> bool:
    return (e.get("asset") or "") in OPTION_ASSETS


def is_sold_to_open(e: dict) -> bool:
    return is_option(e) and "O" in codes(e.get("open_close")) and _dec(e["quantity"]) < 0


def short_close_kind(e: dict) -> Optional[str]:
    """How a short option was closed, from IB's notes: A (assignment), Ep (expiry),
    else a buy to close."""
    if not (is_option(e) and "C" in codes(e.get("open_close")) and _dec(e["quantity"]) > 0):
        return None
    n = codes(e.get("notes"))
    if "A" in n:
        return "called_away" if e.get("put_call") == "C" else "assigned"
    if "Ep" in n:
        return "expired"
    return "closed_early"


def net_premium(e: dict) -> Decimal:
    return (_dec(e["proceeds"]) + _dec(e.get("commission")) + _dec(e.get("taxes"))) * _fx(e)


def _new_counts() -> dict:
    return {"puts_sold_contracts": ZERO, "calls_sold_contracts": ZERO, "premium_gross": ZERO,
            "premium_net": ZERO, "closed_early": ZERO, "expired": ZERO, "assigned": ZERO,
            "called_away": ZERO, "closed_puts": ZERO}


def _add_execution(c: dict, e: dict) -> None:
    q = abs(_dec(e["quantity"]))
    if is_sold_to_open(e):
        c["puts_sold_contracts" if e.get("put_call") == "P" else "calls_sold_contracts"] += q
        c["premium_gross"] += _dec(e["proceeds"]) * _fx(e)
        c["premium_net"] += net_premium(e)
        return
    kind = short_close_kind(e)
    if kind:
        c[kind] += q
        if e.get("put_call") == "P":
            c["closed_puts"] += q


# --- rules-derived facts --------------------------------------------------------------------

@dataclass(frozen=True)
class _LotSpan:
    """Shares of one lot held over time: [(from, to_exclusive, shares)]."""

    lot: object
    segments: tuple


def _lot_spans(result, as_of: date) -> list[_LotSpan]:
    """When each lot's shares were held. Disposals come from the realized events linked by
    lot_id; events without a lot_id are spread FIFO over that account's lots of the symbol."""
    stock_events = [r for r in result.realized if (r.asset_category or "") not in OPTION_ASSETS
                    and r.kind != "mark_to_market"]
    by_lot: dict[str, list] = defaultdict(list)
    loose: dict[tuple, list] = defaultdict(list)
    lot_ids = {lot.lot_id for lot in result.lots}
    for r in stock_events:
        if r.lot_id and r.lot_id in lot_ids:
            by_lot[r.lot_id].append((r.date_sold, _dec(r.quantity)))
        else:
            loose[(r.account, r.underlying)].append((r.date_sold, _dec(r.quantity)))
    remaining_loose = {k: sorted(v) for k, v in loose.items()}
    spans = []
    for lot in sorted(result.lots, key=lambda x: (x.acquired, x.lot_id)):
        disp = list(by_lot.get(lot.lot_id, []))
        left = _dec(lot.quantity) - sum((q for _, q in disp), ZERO)
        queue = remaining_loose.get((lot.account, lot.symbol), [])
        while left > 0 and queue:
            d, q = queue[0]
            take = min(q, left)
            disp.append((d, take))
            left -= take
            if take == q:
                queue.pop(0)
            else:
                queue[0] = (d, q - take)
        disp.sort()
        held, start, segs = _dec(lot.quantity), lot.acquired, []
        for d, q in disp:
            if d > start and held > 0:
                segs.append((start, d, held))
            start = max(start, d)
            held -= q
        if held > 0 and as_of >= start:
            segs.append((start, as_of + timedelta(days=1), held))  # held through as_of
        spans.append(_LotSpan(lot, tuple(segs)))
    return spans


def _lot_basis_per_share(lot) -> Decimal:
    return _dec(lot.tax_basis) / _dec(lot.quantity) if lot.quantity else ZERO


def _put_positions(result) -> list:
    return [p for p in result.option_positions if p.put_call == "P" and _dec(p.contracts) < 0]


def _position_interval(p, as_of: date) -> tuple[date, date]:
    end = p.closed or as_of + timedelta(days=1)  # still open: counts through as_of
    # a put opened and closed the same day still tied up its cash for that day
    return p.opened, max(end, p.opened + timedelta(days=1))


def _collateral(p) -> Decimal:
    return _dec(p.strike) * _dec(p.multiplier or 100) * abs(_dec(p.contracts))


def _is_option_close(r) -> bool:
    return (r.asset_category or "") in OPTION_ASSETS and r.kind != "mark_to_market"


def _filter_result(result, account: Optional[str]):
    if result is None or not account:
        return result
    from dataclasses import replace

    def keep(xs):
        return tuple(x for x in xs if getattr(x, "account", account) == account)

    return replace(result, option_positions=keep(result.option_positions), lots=keep(result.lots),
                   realized=keep(result.realized), cycles=keep(result.cycles),
                   flags=keep(result.flags))


# --- monthly / yearly summary ---------------------------------------------------------------

def summary(executions: Sequence[dict], result=None, *, period: str = "month",
            account: Optional[str] = None, as_of: Optional[date] = None) -> list[dict]:
    """One row per month (``period="month"``) or year, contiguous from the first activity
    to ``as_of``, with exactly the keys of MONTHLY_COLUMNS / YEARLY_COLUMNS."""
    if period not in ("month", "year"):
        raise ValueError(period)
    execs = [e for e in executions if (not account or e["account"] == account)]
    result = _filter_result(result, account)
    dates = [e["trade_date"] for e in execs if e.get("trade_date")]
    if result is not None:
        dates += [r.date_sold for r in result.realized]
        dates += [p.opened for p in result.option_positions]
    if not dates:
        return []
    as_of = as_of or max(dates)
    keys = period_keys(min(dates), max(as_of, max(dates)), period)

    counts = {k: _new_counts() for k in keys}
    for e in execs:
        if e.get("trade_date"):
            _add_execution(counts[period_key(e["trade_date"], period)], e)

    rows, cum_net, cum_gain = [], ZERO, ZERO
    spans = _lot_spans(result, as_of) if result is not None else []
    # Index puts and realized events by the periods they touch, once: scanning every
    # put for every month is quadratic (13k puts x 84 months on a 40k-row ledger).
    puts_in: dict = defaultdict(list)
    realized_in: dict = defaultdict(list)
    if result is not None:
        index = {k: i for i, k in enumerate(keys)}
        for p in _put_positions(result):
            a, b = _position_interval(p, as_of)
            first = index.get(period_key(a, period), 0)
            last_i = index.get(period_key(b - timedelta(days=1), period), len(keys) - 1)
            for k in keys[first:last_i + 1]:
                puts_in[k].append((p, a, b, _collateral(p)))
        for r in result.realized:
            realized_in[period_key(r.date_sold, period)].append(r)
    for k in keys:
        c = counts[k]
        start, end = period_bounds(k, period)
        row = {("month" if period == "month" else "year"): k}
        for f in ("puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
                  "closed_early", "expired", "assigned", "called_away"):
            row[f] = c[f]
        cum_net += c["premium_net"]
        row["cumulative_premium_net"] = cum_net
        if result is None:
            row.update({f: None for f in ("realized_gain", "win_rate", "collateral_days",
                                          "return_on_collateral_annualized", "capital_in_use",
                                          "cumulative_realized_gain")})
        else:
            in_period = realized_in.get(k, ())
            gain = sum((_dec(r.gain) for r in in_period), ZERO)
            cum_gain += gain
            closed = [r for r in in_period if _is_option_close(r)]
            n_closed = sum((_dec(r.quantity) for r in closed), ZERO)
            n_won = sum((_dec(r.quantity) for r in closed
                         if _dec(r.proceeds) - _dec(r.cost) > 0), ZERO)
            option_gain = sum((_dec(r.gain) for r in closed), ZERO)
            coll_days = ZERO
            for _p, a, b, coll in puts_in.get(k, ()):
                coll_days += coll * overlap_days(a, b, start, end)
            # capital at the period's last day (or as_of, for the running period)
            last = min(end - timedelta(days=1), as_of)
            capital = sum((coll for p, _a, _b, coll in puts_in.get(k, ()) if p.opened <= last
                           and (p.closed is None or p.closed > last)), ZERO)
            for s in spans:
                for a, b, shares in s.segments:
                    if a <= last < b:
                        capital += _lot_basis_per_share(s.lot) * shares
            row.update({
                "realized_gain": gain,
                "win_rate": pct(n_won / n_closed * HUNDRED) if n_closed else None,
                "collateral_days": coll_days,
                "return_on_collateral_annualized":
                    pct(option_gain * DAYS_PER_YEAR / coll_days * HUNDRED) if coll_days else None,
                "capital_in_use": capital,
                "cumulative_realized_gain": cum_gain,
            })
        rows.append(tidy({col: row[col] for col in
                          (MONTHLY_COLUMNS if period == "month" else YEARLY_COLUMNS)}))
    return rows


# --- per underlying and per cycle -----------------------------------------------------------

def _days_union(intervals: Iterable[tuple[date, date]]) -> int:
    total, cur_a, cur_b = 0, None, None
    for a, b in sorted(intervals):
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += (cur_b - cur_a).days
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    if cur_b is not None:
        total += (cur_b - cur_a).days
    return total


def _capital_days(puts, spans, as_of) -> tuple[Decimal, Decimal]:
    coll = ZERO
    for p in puts:
        a, b = _position_interval(p, as_of)
        coll += _collateral(p) * (b - a).days
    stock = ZERO
    for s in spans:
        per_share = _lot_basis_per_share(s.lot)
        stock += sum((per_share * sh * (b - a).days for a, b, sh in s.segments), ZERO)
    return coll, stock


def by_underlying(executions: Sequence[dict], result=None, *, account: Optional[str] = None,
                  as_of: Optional[date] = None) -> list[dict]:
    """Per underlying: premium, realized result, assignment rate, days holding shares and the
    annualized return on the capital tied up (put collateral, then the shares' tax basis)."""
    execs = [e for e in executions if (not account or e["account"] == account)]
    result = _filter_result(result, account)
    counts: dict[str, dict] = defaultdict(_new_counts)
    for e in execs:
        if is_option(e):
            _add_execution(counts[e["underlying"]], e)
    as_of = as_of or max([e["trade_date"] for e in execs if e.get("trade_date")], default=None)
    spans = _lot_spans(result, as_of) if result is not None and as_of else []
    names = set(counts)
    if result is not None:
        names |= {r.underlying for r in result.realized} | {s.lot.symbol for s in spans}
    gains: dict = defaultdict(lambda: ZERO)
    for r in (result.realized if result is not None else ()):
        gains[r.underlying] += _dec(r.gain)
    spans_of: dict = defaultdict(list)
    for s in spans:
        spans_of[s.lot.symbol].append(s)
    puts_of: dict = defaultdict(list)
    for p in (_put_positions(result) if result is not None else ()):
        puts_of[p.underlying].append(p)
    # capture: of the premium of short options that expired or were bought back, the part
    # kept (assigned ones are left out: their premium moved into basis or proceeds)
    kept: dict = defaultdict(lambda: [ZERO, ZERO])
    for p in (result.option_positions if result is not None else ()):
        if p.contracts < 0 and p.outcome in ("expired", "bought_to_close"):
            k = kept[p.underlying]
            k[0] += p.premium_net - p.close_cost
            k[1] += p.premium_net
    rows = []
    for u in sorted(names):
        c = counts[u]
        row = {"underlying": u, **{k: c[k] for k in (
            "puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
            "closed_puts", "assigned", "called_away")}}
        row["assignment_rate"] = pct(c["assigned"] / c["closed_puts"] * HUNDRED) \
            if c["closed_puts"] else None
        if result is None:
            row.update(realized_gain=None, premium_captured_pct=None, days_in_stock=None,
                       collateral_days=None, return_on_collateral_annualized=None)
        else:
            gain, u_spans, u_puts = gains[u], spans_of[u], puts_of[u]
            coll, stock = _capital_days(u_puts, u_spans, as_of)
            captured, received = kept[u]
            row.update(
                realized_gain=gain,
                premium_captured_pct=pct(captured / received * HUNDRED) if received else None,
                days_in_stock=_days_union((a, b) for s in u_spans for a, b, _ in s.segments),
                collateral_days=coll,
                return_on_collateral_annualized=pct(gain * DAYS_PER_YEAR / (coll + stock)
                                                    * HUNDRED) if coll + stock else None)
        rows.append(tidy({k: row[k] for k in UNDERLYING_COLUMNS}))
    return rows


def by_cycle(result, *, account: Optional[str] = None, as_of: Optional[date] = None) -> list[dict]:
    if result is None:
        return []
    result = _filter_result(result, account)
    as_of = as_of or max([c.ended or c.started for c in result.cycles], default=None)
    spans = _lot_spans(result, as_of) if as_of else []
    spans_of: dict = defaultdict(list)
    for s in spans:
        spans_of[s.lot.cycle_id].append(s)
    puts_of: dict = defaultdict(list)
    for p in _put_positions(result):
        puts_of[p.cycle_id].append(p)
    rows = []
    for cy in sorted(result.cycles, key=lambda c: (c.started, c.account, c.cycle_id)):
        c_spans, c_puts = spans_of[cy.cycle_id], puts_of[cy.cycle_id]
        coll, stock = _capital_days(c_puts, c_spans, as_of)
        rows.append(tidy({
            "cycle_id": cy.cycle_id, "account": cy.account, "underlying": cy.underlying,
            "started": cy.started, "ended": cy.ended, "days": cy.days,
            "premium_net": cy.premium_net, "realized_gain": cy.realized, "assigned": cy.assigned,
            "days_in_stock": _days_union((a, b) for s in c_spans for a, b, _ in s.segments),
            "collateral_days": coll,
            "return_on_collateral_annualized":
                pct(_dec(cy.realized) * DAYS_PER_YEAR / (coll + stock) * HUNDRED)
                if coll + stock else None,
        }))
    return rows


# --- checklist grades -----------------------------------------------------------------------

def _sale_groups(execs: Sequence[dict]) -> list[list[dict]]:
    """Fills of one order are one sale: the checklist grades decisions, not fills."""
    groups: dict[tuple, list[dict]] = {}
    for e in execs:
        key = (e["account"], e.get("order_id") or e["transaction_id"], e.get("conid"),
               e.get("trade_date"))
        groups.setdefault(key, []).append(e)
    return list(groups.values())


def grades(executions: Sequence[dict], *, account: Optional[str] = None,
           settings: checklist.Settings = checklist.Settings(),
           market: checklist.MarketData = checklist.MarketData()) -> list[dict]:
    """A checklist grade for every put sold to open, in trade order."""
    execs = [e for e in executions if is_option(e) and (not account or e["account"] == account)]
    # closes before opens at the same moment: a roll frees its old contract first
    execs.sort(key=lambda e: (e.get("trade_date") or date.min, e.get("date_time") or datetime.min,
                              0 if short_close_kind(e) else 1))
    open_by_und: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    collateral: dict[str, Decimal] = defaultdict(lambda: ZERO)
    sale_of: dict[str, tuple] = {}
    for g in _sale_groups([e for e in execs if is_sold_to_open(e) and e.get("put_call") == "P"]):
        for e in g:
            sale_of[e["transaction_id"]] = tuple(g)
    rows, done = [], set()
    for e in execs:
        if e.get("put_call") != "P":
            continue
        q = abs(_dec(e["quantity"]))
        mult = _dec(e.get("multiplier") or 100)
        und = (e["account"], e["underlying"])
        if short_close_kind(e):
            open_by_und[und] = max(ZERO, open_by_und[und] - q)
            collateral[e["account"]] -= _dec(e["strike"]) * mult * q
            continue
        if not is_sold_to_open(e):
            continue
        open_by_und[und] += q
        collateral[e["account"]] += _dec(e["strike"]) * mult * q
        group = sale_of[e["transaction_id"]]
        if group[-1] is not e or id(group) in done:
            continue  # grade once, after the last fill of the order
        done.add(id(group))
        n = sum((abs(_dec(x["quantity"])) for x in group), ZERO)
        gross = sum((_dec(x["proceeds"]) for x in group), ZERO)
        premium = gross / (mult * n) if n else ZERO
        strike = _dec(e["strike"])
        dte = (e["expiry"] - e["trade_date"]).days if e.get("expiry") else 0
        price = market.price(e["trade_date"], e["underlying"])
        earnings = None if market.earnings is None else market.earnings.get(
            e["underlying"].upper(), [])
        g = checklist.grade_put(
            strike=strike, premium=premium, dte=dte, contracts=n,
            open_contracts_after=open_by_und[und], price=price,
            cash=market.cash_on(e["account"], e["trade_date"]),
            collateral_after=collateral[e["account"]], earnings_dates=earnings,
            sale_date=e["trade_date"], settings=settings)
        rows.append({
            "account": e["account"], "trade_date": e["trade_date"], "underlying": e["underlying"],
            "contract": e.get("description") or e.get("symbol"), "contracts": n,
            "strike": strike, "expiry": e.get("expiry"), "dte": dte, "premium": premium,
            "price": price, "otm_pct": pct(checklist.otm_pct(price, strike)),
            "annualized_pct": pct(checklist.annualized_pct(premium, strike, dte)),
            "open_after": open_by_und[und],
            **{f"check_{k}": v for k, v in g.checks.items()}, "score": g.score, "grade": g.grade,
            "reasons": "; ".join(g.reasons), "transaction_id": group[0]["transaction_id"],
        })
    return rows
