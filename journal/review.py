"""Performance review: the weekly/monthly/yearly progression, results per underlying and
per wheel cycle.

Pure functions over two inputs: the read model's executions
(:class:`journal.readmodel.ExecutionRecord`, amounts in USD where they convert) and the
rules layer's :class:`~journal.rules.types.RuleResult`. The counts and premiums come from
the ledger alone, so they work before (or without) the rules; the fields that need
matched positions, lots and tax gains (realized gain, win rate, collateral-days, capital
in use) are ``None`` when no RuleResult is given.

The period summaries bucket and aggregate with pandas (object columns of exact Decimals:
no float ever touches a figure). Each figure lands in a period by a date: by default the
day it happened (a sale on its trade date, a close on its own, a gain on the day it was
realized); ``by_date="open"`` puts a position's outcome and result in the period its
option was opened, ``by_date="close"`` puts its premium in the period it closed.

How an option ended comes from :func:`journal.vocab.option_outcome` (the rules use the
same), percentages are percent numbers rounded to 2 places.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from journal import vocab, wheel
from journal.views.filters import ALL, Accounts

ZERO = Decimal(0)
CENT = Decimal("0.01")
PERIODS = ("week", "month", "year")
BY_DATES = ("trade", "open", "close")

SUMMARY_FIELDS = [
    "puts_sold_contracts", "calls_sold_contracts", "premium_gross", "premium_net",
    "closed_early", "expired", "assigned", "called_away", "realized_gain", "win_rate",
    "collateral_days", "return_on_collateral_annualized", "capital_in_use",
    "cumulative_premium_net", "cumulative_realized_gain",
]
MONTHLY_COLUMNS = ["month", *SUMMARY_FIELDS]
YEARLY_COLUMNS = ["year", *SUMMARY_FIELDS]
WEEKLY_COLUMNS = ["week", *SUMMARY_FIELDS]
COUNT_FIELDS = ("puts_sold_contracts", "calls_sold_contracts", "premium_gross",
                "premium_net", "closed_early", "expired", "assigned", "called_away")
RULE_FIELDS = ("realized_gain", "win_rate", "collateral_days",
               "return_on_collateral_annualized", "capital_in_use", "cumulative_realized_gain")

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

pct = wheel.pct

PERCENT_FIELDS = frozenset({"win_rate", "return_on_collateral_annualized", "assignment_rate",
                            "otm_pct", "annualized_pct", "premium_captured_pct"})
QUANTITY_FIELDS = frozenset({"puts_sold_contracts", "calls_sold_contracts", "closed_early",
                             "expired", "assigned", "called_away", "closed_puts",
                             "collateral_days", "contracts", "open_after"})


def columns_for(period: str) -> list[str]:
    return {"week": WEEKLY_COLUMNS, "month": MONTHLY_COLUMNS, "year": YEARLY_COLUMNS}[period]


def tidy(row: dict) -> dict:
    """Print exact values the way people read them: drop the trailing zeros multiplication
    leaves (41000.00 × 31 → 1271000), show money with at least cents (1506.70). The value
    is unchanged; percentages keep their two places."""
    out = {}
    for k, v in row.items():
        if isinstance(v, Decimal) and k not in PERCENT_FIELDS:
            v = v.normalize() + ZERO
            exponent = v.as_tuple().exponent
            if k not in QUANTITY_FIELDS and isinstance(exponent, int) and exponent > -2:
                v = v.quantize(CENT)
        out[k] = v
    return out


# --- what the ledger says about short options ----------------------------------------------

@dataclass(frozen=True, slots=True)
class OptionFact:
    """One option execution as the summaries count it: a sale to open (``kind="sold"``)
    or the end of a short position (``vocab.ShortClose`` value)."""

    account: str
    underlying: str
    transaction_id: str
    day: date
    put_call: str | None
    kind: str
    contracts: Decimal
    gross: Decimal = ZERO
    net: Decimal = ZERO


def option_facts(executions: Iterable) -> list[OptionFact]:
    out = []
    parsed: dict = {}  # open/close codes: a handful of distinct strings, parsed once each
    for e in executions:
        if not e.is_option:
            continue
        oc = parsed.get(e.open_close)
        if oc is None:
            oc = parsed[e.open_close] = vocab.codes(e.open_close)
        q = abs(e.quantity)
        if "O" in oc and e.quantity < 0:
            gross = e.proceeds or ZERO
            net = gross + (e.commission or ZERO) + (e.taxes or ZERO)
            out.append(OptionFact(e.account, e.underlying, e.transaction_id, e.trade_date,
                                  e.put_call, "sold", q, gross, net))
        elif "C" in oc and e.quantity > 0:
            ended = vocab.short_close(vocab.option_outcome(e.notes, closing_short=True),
                                      e.put_call)
            out.append(OptionFact(e.account, e.underlying, e.transaction_id, e.trade_date,
                                  e.put_call, ended.value, q))
    return out


# --- rules-derived facts --------------------------------------------------------------------

@dataclass(frozen=True)
class _LotSpan:
    """Shares of one lot held over time: [(from, to_exclusive, shares)]."""

    lot: Any  # rules.types.StockLot
    segments: tuple


def _is_option_event(r) -> bool:
    return vocab.is_option(r.asset_category) and r.kind != "mark_to_market"


# realized lines that dispose of no shares: a merger's cash (the shares became others)
_NO_SHARES = frozenset({"mark_to_market", "merger_boot"})
_AFTER_ITS_ACTION = "cash_in_lieu"  # IB's sale of a fraction, at the action's own moment


def _final_units(lot, r) -> Decimal:
    """Shares a realized line disposed of, in the lot's units after its last action: a
    sale before a 10:1 split counts ten times (the lot's quantity is post-split)."""
    q = r.quantity
    for a in lot.actions:
        if a.shares_before and a.shares_after != a.shares_before and (
                r.date_sold < a.day or r.date_sold == a.day and r.kind != _AFTER_ITS_ACTION):
            q = q * a.shares_after / a.shares_before
    return q


def _lot_spans(result, as_of: date) -> list[_LotSpan]:
    """When each lot's shares were held, in its units after its last corporate action.
    Disposals come from the realized events linked by lot_id; events without a lot_id are
    spread FIFO over that account's lots of the symbol."""
    stock_events = [r for r in result.realized if not vocab.is_option(r.asset_category)
                    and r.kind not in _NO_SHARES]
    by_lot: dict[str, list] = defaultdict(list)
    loose: dict[tuple, list] = defaultdict(list)
    lots = {lot.lot_id: lot for lot in result.lots}
    for r in stock_events:
        lot = lots.get(r.lot_id) if r.lot_id else None
        if lot is not None:
            by_lot[r.lot_id].append((r.date_sold, _final_units(lot, r) if lot.actions
                                     else r.quantity))
        else:
            loose[(r.account, r.underlying)].append((r.date_sold, r.quantity))
    remaining_loose = {k: sorted(v) for k, v in loose.items()}
    spans = []
    for lot in sorted(result.lots, key=lambda x: (x.acquired, x.lot_id)):
        disp = list(by_lot.get(lot.lot_id, []))
        left = lot.quantity - sum((q for _, q in disp), ZERO)
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
        held, start, segs = lot.quantity, lot.acquired, []
        for d, q in disp:
            if d > start and held > 0:
                segs.append((start, d, held))
            start = max(start, d)
            held -= q
        if held > 0 and as_of >= start:
            segs.append((start, as_of + timedelta(days=1), held))  # held through as_of
        spans.append(_LotSpan(lot, tuple(segs)))
    return spans


_RENAMES = ("stock merger", "ISIN/ticker change", "tender")


def _by_ticker(spans: list[_LotSpan]) -> dict[str, list[_LotSpan]]:
    """The spans under the ticker the shares had each day: a lot merged into another
    company (or renamed) was the old ticker's through the action's day, the new one's
    after."""
    out: dict[str, list[_LotSpan]] = defaultdict(list)
    for s in spans:
        moves = [a for a in s.lot.actions if a.kind in _RENAMES and a.old_symbol
                 and a.new_symbol and a.old_symbol != a.new_symbol]
        if not moves:
            out[s.lot.symbol].append(s)
            continue
        cuts = [(a.day + timedelta(days=1), a.old_symbol) for a in moves]
        cuts.append((date.max, s.lot.symbol))
        start = date.min
        for cut, symbol in cuts:
            segs = tuple((max(a, start), min(b, cut), n) for a, b, n in s.segments
                         if a < cut and b > start)
            if segs:
                out[symbol].append(_LotSpan(s.lot, segs))
            start = cut
    return out


def _lot_basis_per_share(lot) -> Decimal:
    return lot.tax_basis / lot.quantity if lot.quantity else ZERO


def _short_puts(result) -> list:
    return [p for p in result.option_positions if p.put_call == "P" and p.contracts < 0]


def _position_interval(p, as_of: date) -> tuple[date, date]:
    end = p.closed or as_of + timedelta(days=1)  # still open: counts through as_of
    # a put opened and closed the same day still tied up its cash for that day
    return p.opened, max(end, p.opened + timedelta(days=1))


def _collateral(p) -> Decimal:
    return wheel.collateral(p.strike, p.contracts, p.multiplier)


def filter_result(result, accounts: Accounts):
    if result is None or not accounts:
        return result
    from dataclasses import replace

    def keep(xs):
        return tuple(x for x in xs if accounts.keep(getattr(x, "account", None)))

    return replace(result, option_positions=keep(result.option_positions), lots=keep(result.lots),
                   realized=keep(result.realized), cycles=keep(result.cycles),
                   flags=keep(result.flags))


@dataclass
class Prepared:
    """The account-filtered executions and rules result, with the whole-ledger passes every
    review table starts from (option facts, short puts, lot spans) made once: the report
    and the workbook build the monthly, yearly, per-underlying and per-cycle tables from
    one of these instead of walking the ledger for each."""

    executions: list
    result: Any  # rules.types.RuleResult | None, already filtered
    facts: list[OptionFact]
    short_puts: list
    _spans: dict[date, list[_LotSpan]] = field(default_factory=dict)
    _bounds: tuple[date, date] | None = None
    _days: dict[tuple[str, date], _Days] = field(default_factory=dict)

    def bounds(self) -> tuple[date, date] | None:
        """The first and last day of any trade, realized gain or option opened."""
        if self._bounds is None:
            dates = [e.trade_date for e in self.executions]
            if self.result is not None:
                dates += [r.date_sold for r in self.result.realized]
                dates += [p.opened for p in self.result.option_positions]
            self._bounds = (min(dates), max(dates)) if dates else None
        return self._bounds

    def spans(self, as_of: date) -> list[_LotSpan]:
        """The lots' holding spans up to ``as_of`` (an open lot is held through it)."""
        if as_of not in self._spans:
            self._spans[as_of] = _lot_spans(self.result, as_of) if self.result is not None \
                else []
        return self._spans[as_of]


    def days(self, by_date: str, as_of: date) -> _Days:
        """What a summary by ``by_date`` at ``as_of`` adds up per period, summed per day
        once for the monthly and the yearly summary alike."""
        key = (by_date, as_of)
        if key not in self._days:
            self._days[key] = _summed_days(self, by_date, as_of)
        return self._days[key]


@dataclass(frozen=True)
class _Days:
    """A summary's figures per day, before pandas adds them up per period: the counts
    (:func:`journal.periods.count_days`) and, with a rules result, the realized figures
    and the levels of put collateral and capital in use. ``first``/``last``: the first
    and last day of any of its facts."""

    counts: dict
    first: date | None
    last: date | None
    realized: dict | None = None
    collateral: tuple[list, list] | None = None
    capital: tuple[list, list] | None = None


def _summed_days(prep: Prepared, by_date: str, as_of: date) -> _Days:
    from journal import periods

    facts, result = prep.facts, prep.result
    if result is None:
        days = [f.day for f in facts]
        return _Days(periods.count_days(facts), min(days, default=None),
                     max(days, default=None))
    if by_date != "trade":
        facts = periods.attribute(facts, result, by_date)
    realized = periods.realized_facts(result, by_date, _is_option_event)
    days = [f.day for f in facts] + [r[0] for r in realized]
    collateral = periods.level([(a, b, _collateral(p)) for p in prep.short_puts
                                for a, b in (_position_interval(p, as_of),)])
    # capital at each period's last day (or as_of, for the running period): puts still
    # open that day (a put opened and closed the same day is not), then shares held
    put_capital = [(p.opened, p.closed, _collateral(p)) for p in prep.short_puts]
    stock = [(a, b, _lot_basis_per_share(s.lot) * shares)
             for s in prep.spans(as_of) for a, b, shares in s.segments]
    return _Days(periods.count_days(facts), min(days, default=None), max(days, default=None),
                 periods.realized_days(realized), collateral,
                 periods.level(put_capital + stock))


def prepare(executions: Iterable, result=None, accounts: Accounts = ALL) -> Prepared:
    execs = accounts.rows(executions)
    result = filter_result(result, accounts)
    return Prepared(execs, result, option_facts(execs),
                    _short_puts(result) if result is not None else [])


# --- weekly / monthly / yearly summary ------------------------------------------------------

def summary(executions: Sequence, result=None, *, period: str = "month",
            by_date: str = "trade", accounts: Accounts = ALL,
            as_of: date | None = None) -> list[dict]:
    """One row per week, month or year, contiguous from the first activity to ``as_of``,
    with exactly the keys of :func:`columns_for`."""
    return summary_of(prepare(executions, result, accounts), period=period, by_date=by_date,
                      as_of=as_of)


def summary_of(prep: Prepared, *, period: str = "month", by_date: str = "trade",
               as_of: date | None = None) -> list[dict]:
    """:func:`summary` of prepared input."""
    from journal import periods

    if period not in PERIODS:
        raise ValueError(period)
    if by_date not in BY_DATES:
        raise ValueError(by_date)
    result, bounds = prep.result, prep.bounds()
    if bounds is None:
        return []
    as_of = as_of or bounds[1]
    summed = prep.days(by_date, as_of)
    first, last = summed.first or bounds[0], summed.last or bounds[1]
    frame = periods.Frame(min(bounds[0], first), max(as_of, bounds[1], last), period)
    counts = frame.sum_days(summed.counts, periods.COUNT_NAMES)
    cum_premium = frame.cumulative(counts["premium_net"])
    rows = []
    if result is None:
        for i, label in enumerate(frame.labels):
            row = {period: label, **{f: counts[f][i] for f in COUNT_FIELDS},
                   "cumulative_premium_net": cum_premium[i], **dict.fromkeys(RULE_FIELDS)}
            rows.append(tidy({c: row[c] for c in columns_for(period)}))
        return rows
    assert summed.realized is not None and summed.collateral is not None \
        and summed.capital is not None
    gains = frame.sum_days(summed.realized, periods.REALIZED_NAMES)
    coll_days = frame.daily_sum_of(*summed.collateral)
    capital = frame.level_at_end_of(*summed.capital, as_of)
    cum_gain = frame.cumulative(gains["gain"])
    for i, label in enumerate(frame.labels):
        closed, won = gains["closed"][i], gains["won"][i]
        row = {period: label, **{f: counts[f][i] for f in COUNT_FIELDS},
               "cumulative_premium_net": cum_premium[i],
               "realized_gain": gains["gain"][i],
               "win_rate": pct(won / closed * wheel.HUNDRED) if closed else None,
               "collateral_days": coll_days[i],
               "return_on_collateral_annualized":
                   pct(wheel.annualized_return_pct(gains["option_gain"][i], coll_days[i])),
               "capital_in_use": capital[i], "cumulative_realized_gain": cum_gain[i]}
        rows.append(tidy({c: row[c] for c in columns_for(period)}))
    return rows


# --- per underlying and per cycle -----------------------------------------------------------

def _days_union(intervals: Iterable[tuple[date, date]]) -> int:
    """Days covered by at least one of the half-open intervals."""
    total = 0
    spans = sorted(intervals)
    if not spans:
        return 0
    cur_a, cur_b = spans[0]
    for a, b in spans[1:]:
        if a > cur_b:
            total += (cur_b - cur_a).days
            cur_a, cur_b = a, b
        else:
            cur_b = max(cur_b, b)
    return total + (cur_b - cur_a).days


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


def by_underlying(executions: Sequence, result=None, *, accounts: Accounts = ALL,
                  as_of: date | None = None) -> list[dict]:
    """Per underlying: premium, realized result, assignment rate, days holding shares and the
    annualized return on the capital tied up (put collateral, then the shares' tax basis)."""
    return by_underlying_of(prepare(executions, result, accounts), as_of=as_of)


def by_underlying_of(prep: Prepared, *, as_of: date | None = None) -> list[dict]:
    """:func:`by_underlying` of prepared input."""
    from journal import periods

    execs, result = prep.executions, prep.result
    counts = periods.counts_by_underlying(prep.facts, periods.Units(result))
    as_of = as_of or max((e.trade_date for e in execs), default=None)
    if as_of is None:
        return []  # no executions: nothing the rules could have made either
    spans = prep.spans(as_of)
    names = set(counts)
    if result is not None:
        names |= {r.underlying for r in result.realized} | set(_by_ticker(spans))
    gains: dict = defaultdict(lambda: ZERO)
    for r in (result.realized if result is not None else ()):
        gains[r.underlying] += r.gain
    spans_of = _by_ticker(spans)
    puts_of: dict = defaultdict(list)
    for p in prep.short_puts:
        puts_of[p.underlying].append(p)
    # capture: of the premium of short options that expired or were bought back, the part
    # kept (assigned ones are left out: their premium moved into basis or proceeds)
    kept: dict = defaultdict(lambda: [ZERO, ZERO])
    for p in (result.option_positions if result is not None else ()):
        if p.contracts < 0 and p.outcome in ("expired", "bought_to_close"):
            k = kept[p.underlying]
            k[0] += p.premium_net - p.close_cost
            k[1] += p.premium_net
    empty = dict.fromkeys(periods.UNDERLYING_COUNTS + periods.RATE_COUNTS, ZERO)
    rows = []
    for u in sorted(names):
        c = counts.get(u, empty)
        row = {"underlying": u, **c}
        # a rate counts each position once, whatever an OCC adjustment made of its contracts
        row["assignment_rate"] = pct(c["assigned_positions"] / c["closed_put_positions"]
                                     * wheel.HUNDRED) if c["closed_put_positions"] else None
        if result is None:
            row.update(realized_gain=None, premium_captured_pct=None, days_in_stock=None,
                       collateral_days=None, return_on_collateral_annualized=None)
        else:
            gain, u_spans = gains[u], spans_of[u]
            coll, stock = _capital_days(puts_of[u], u_spans, as_of)
            captured, received = kept[u]
            row.update(
                realized_gain=gain,
                premium_captured_pct=pct(captured / received * wheel.HUNDRED)
                if received else None,
                days_in_stock=_days_union((a, b) for s in u_spans for a, b, _ in s.segments),
                collateral_days=coll,
                return_on_collateral_annualized=pct(
                    wheel.annualized_return_pct(gain, coll + stock)))
        rows.append(tidy({k: row[k] for k in UNDERLYING_COLUMNS}))
    return rows


def by_cycle(result, *, accounts: Accounts = ALL,
             as_of: date | None = None) -> list[dict]:
    if result is None:
        return []
    return by_cycle_of(prepare((), result, accounts), as_of=as_of)


def by_cycle_of(prep: Prepared, *, as_of: date | None = None) -> list[dict]:
    """:func:`by_cycle` of prepared input."""
    result = prep.result
    if result is None:
        return []
    as_of = as_of or max([c.ended or c.started for c in result.cycles], default=None)
    if as_of is None:
        return []
    spans = prep.spans(as_of)
    spans_of: dict = defaultdict(list)
    for s in spans:
        spans_of[s.lot.cycle_id].append(s)
    puts_of: dict = defaultdict(list)
    for p in prep.short_puts:
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
                pct(wheel.annualized_return_pct(cy.realized, coll + stock)),
        }))
    return rows
