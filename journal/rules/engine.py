"""The rules pass: one chronological pass over the ledger that builds option positions,
stock lots, realized events, wash sales and flags (tax_rules.md, US rules).

* **One pass, in trade-date order, over every account.** Wash sales cross accounts
  (§3.7) and the stock leg of an assignment needs its option leg's premium, so options and
  stock are processed together (:mod:`~journal.rules.options`, :mod:`~journal.rules.stock`).
  Within a moment, the option legs of assignments and exercises go first so their premium
  is known when the stock leg arrives.
* Then the post-pass flags (:mod:`~journal.rules.flags`), the Form 8949 codes of each
  line (:mod:`~journal.rules.form8949`) and the frozen result
  (:mod:`~journal.rules.assemble`, with the cycles of :mod:`~journal.rules.cycles`).

The tax-law helpers live in :mod:`journal.rules.law`; a few are re-exported here for the
modules that have always imported them from this one.
"""

from __future__ import annotations

from datetime import date, datetime
from operator import itemgetter

from journal import vocab
from journal.frozen import paused_gc
from journal.readmodel import ExecutionRecord, LedgerData
from journal.rules import assemble, flags, form8949
from journal.rules.indexes import Marks, any_adjusted, closed_lot_index, link_assignments
from journal.rules.law import (  # noqa: F401 - re-exported for calc.py and older callers
    WASH_DAYS,
    anniversary,
    classify_call,
    lowest_qualified_benchmark,
    settles_next_year,
    split_1256,
    term_for,
)
from journal.rules.options import option
from journal.rules.records import ExecInfo
from journal.rules.section1256 import mark_to_market
from journal.rules.state import PassState
from journal.rules.stock import stock
from journal.rules.types import RuleResult
from journal.settings import Settings
from journal.vocab import FlagCode

_DT_MIN = datetime.min
_first = itemgetter(0)


def run_rules(data: LedgerData, settings: Settings, as_of: date | None,
              tax_year: int | None = None) -> RuleResult:
    """``tax_year``: the result holds that year's realized events, wash sales and flags
    only (the rest as :func:`journal.rules.analyze` says)."""
    with paused_gc():  # (journal.frozen: the collector would rescan the pass's records)
        st = start(data, settings, as_of)
        st.flags.year = tax_year
        run_pass(st)
        if st.action_labels or data.cash_in_lieu:
            _actions().label_pieces(st)
        flags.post_pass(st, tax_year)
        form8949.apply(st, tax_year)
        return assemble.result(st, tax_year)


def start(data: LedgerData, settings: Settings, as_of: date | None) -> PassState:
    """The pass state before the first execution: what is in scope as of ``as_of``, and
    the read-only indexes."""
    if as_of is None:
        execs = list(data.executions)
        snaps = list(data.snapshots)
    else:
        execs = [e for e in data.executions if e.trade_date <= as_of]
        snaps = [s for s in data.snapshots if s.report_date <= as_of]
    last = [max((e.trade_date for e in execs), default=None),
            max((s.report_date for s in snaps), default=None)]
    if data.data_through:
        last.append(data.data_through if as_of is None else min(as_of, data.data_through))
    known = [d for d in last if d is not None]
    horizon = as_of or (max(known) if known else date.today())
    # vocab.is_option once per (category, put/call) pair rather than once per execution
    kinds = {(e.asset_category, e.put_call) for e in execs}
    options = {k for k in kinds if vocab.is_option(*k)}
    option_seqs = frozenset(e.seq for e in execs if (e.asset_category, e.put_call) in options)
    return PassState(data, settings, as_of, execs, horizon, Marks(snaps, data.prices),
                     closed_lot_index(data.closed_lots),
                     link_assignments(execs, option_seqs), option_seqs)


def run_pass(st: PassState) -> None:
    links, option_seqs = st.links, st.option_seqs

    def order(e: ExecutionRecord) -> tuple:
        # Chronological; at the same moment an assignment's option leg goes before its
        # stock leg. (Putting linked legs first in the whole day would run a 16:20
        # assignment before that morning's sale of the very calls it assigns.)
        first = 0 if e.seq in links else 1  # only option legs are linked
        return (e.trade_date, e.date_time or _DT_MIN, first, e.seq)

    foreign: dict[tuple, ExecutionRecord] = {}
    info_of, day_state = st.info, st.day_state
    stock_qty, opt_open = st.stock_qty, st.opt_open
    is_stock = vocab.is_stock
    adjusted = any_adjusted(st.execs, option_seqs)

    def book(e: ExecutionRecord) -> None:
        currency = e.currency
        if currency and currency != "USD":
            foreign.setdefault((e.account, currency, e.trade_date.year), e)
        info = info_of[e.seq] = ExecInfo()
        if e.seq in option_seqs:
            if adjusted:
                _actions().infer_option_adjustment(st, e)
            option(st, e, info)
        elif is_stock(e.asset_category):
            stock(st, e)
        else:
            return
        key = (e.account, e.underlying)
        info.shares_after = shares = stock_qty[key]
        info.options_after = options = opt_open[key]
        # the state at the end of a day, in processing order (cycles end on it)
        day_state[(e.account, e.underlying, e.trade_date)] = (shares, options)

    data = st.data
    # corporate actions and transfers, at their moment
    extra = _actions().events(st) if data.corporate_actions or data.transfers else None
    if not extra:
        # the keys built in one comprehension, not by a call per execution
        keyed = [((e.trade_date, e.date_time or _DT_MIN, 0 if e.seq in links else 1, e.seq), e)
                 for e in st.execs]
        keyed.sort(key=_first)
        for _key, e in keyed:
            book(e)
    else:
        stream: list[tuple[tuple, object]] = [(order(e), e) for e in st.execs] + extra
        stream.sort(key=_first)
        for _key, item in stream:
            if isinstance(item, ExecutionRecord):
                book(item)
            else:
                for sale in _actions().apply(st, item):
                    book(sale)
    for (account, currency, year), e in foreign.items():
        st.flags.add(FlagCode.NON_USD, account,
                     f"trades in {currency} in {year} (first: {e.description or e.symbol} on "
                     f"{e.trade_date}): the account's base currency is not USD, so its "
                     "fxRateToBase cannot convert them; their amounts stay in "
                     f"{currency} although Form 8949 needs USD at each trade date's rate",
                     d=e.trade_date, symbol=e.underlying, tx=e.transaction_id)
    _finish_open_lots(st)


def _actions():
    """journal.rules.actions, imported when the ledger has corporate actions, transfers
    or an option adjusted without a row: most ledgers have none."""
    from journal.rules import actions

    return actions


def _finish_open_lots(st: PassState) -> None:
    for queue in st.positions.values():
        for lot in queue:
            if not lot.is_option:
                continue
            if lot.is1256:
                mark_to_market(st, lot, st.horizon, before=False)
            ex = lot.ex
            if ex.expiry and ex.expiry < st.horizon and lot.rem > 0:
                st.flags.add(FlagCode.EXPIRED_NO_CLOSE, lot.account,
                             f"{ex.description or ex.symbol} expired {ex.expiry} but the "
                             "ledger has no expiry, assignment or closing row for it",
                             d=ex.expiry, symbol=ex.underlying, tx=lot.tx)
