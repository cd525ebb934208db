#!/usr/bin/env python3
"""Generate a large synthetic IB Activity Flex XML statement of a wheel trader.

Used by ``benchmarks/run.py`` to time ``journal import`` on files the size real users
have after years of selling puts (tens of thousands of executions, ~60 MB). The rows copy
the attribute set of ``sample_statements/wheel_2025_U7654321.xml`` (82 attributes per
``Trade``) so the parser does the same work per row as on a real file.

What is in it: ~60 underlyings, 2019-01-02..2025-12-31, two accounts as two
``FlexStatement``s. Each account runs many independent wheel "lanes": sell puts (some
orders filled in several executions, code ``P``, a few with their ``Order`` row), buy
them back, roll them (BTC + STO under one ``orderReference``), let them expire
(``BookTrade`` ``Ep`` at 16:20:00) or get assigned (option leg ``A`` + stock leg BUY 100×n
at the strike, sharing a ``positionActionID``), sell covered calls that expire or get
called away, and now and then sell the stock. Every assignment/expiry also has its
``OptionEAE`` rows; dividends, interest and fees are DETAIL ``CashTransaction``s.

Numbers are consistent the way IB's are: ``tradeMoney = quantity × tradePrice ×
multiplier``, ``proceeds = −tradeMoney``, ``netCash = proceeds + ibCommission``; opening
rows have ``cost = −netCash``; closing rows carry the opening premium in ``cost`` and
``fifoPnlRealized = netCash + cost`` (assignments follow the sample: the put premium goes
into the share basis, the call premium into the gain on the called-away shares).
Transaction ids are unique 10-digit numbers. The output is deterministic for a seed and
written as it is simulated: only the OptionEAE and cash rows of the current account wait
in a temporary file until the ``Trades`` section is closed.

    python benchmarks/gen_statement.py --trades 40000 --out benchmarks/out/wheel_40k.xml
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

#### ATTRIBUTE SETS (order as in sample_statements/wheel_2025_U7654321.xml) ####

CONTRACT_ATTRS = ["accountId", "acctAlias", "model", "currency", "fxRateToBase", "assetCategory", "subCategory", "symbol", "description", "conid", "securityID", "securityIDType", "cusip", "isin", "listingExchange", "underlyingConid", "underlyingSymbol", "underlyingSecurityID", "underlyingListingExchange", "issuer", "multiplier", "strike", "expiry"]

TRADE_ATTRS = CONTRACT_ATTRS + ["tradeID", "putCall", "reportDate", "principalAdjustFactor", "dateTime", "tradeDate", "settleDateTarget", "transactionType", "exchange", "quantity", "tradePrice", "tradeMoney", "proceeds", "taxes", "ibCommission", "ibCommissionCurrency", "netCash", "closePrice", "openCloseIndicator", "notes", "cost", "fifoPnlRealized", "fxPnl", "mtmPnl", "origTradePrice", "origTradeDate", "origTradeID", "origOrderID", "clearingFirmID", "transactionID", "buySell", "ibOrderID", "ibExecID", "brokerageOrderID", "orderReference", "volatilityOrderLink", "exchOrderId", "extExecID", "orderTime", "openDateTime", "holdingPeriodDateTime", "whenRealized", "whenReopened", "levelOfDetail", "changeInPrice", "changeInQuantity", "orderType", "traderID", "isAPIOrder", "accruedInt", "serialNumber", "deliveryType", "commodityType", "fineness", "weight", "positionActionID", "origTransactionID", "relatedTradeID", "relatedTransactionID"]
assert len(TRADE_ATTRS) == 82

EAE_ATTRS = CONTRACT_ATTRS + ["putCall", "principalAdjustFactor", "date", "transactionType", "quantity", "tradePrice", "markPrice", "proceeds", "commisionsAndTax", "costBasis", "realizedPnl", "fxPnl", "mtmPnl", "tradeID"]

CASH_ATTRS = CONTRACT_ATTRS + ["putCall", "principalAdjustFactor", "dateTime", "settleDate", "amount", "type", "tradeID", "code", "transactionID", "reportDate", "exDate", "clientReference", "actionID", "levelOfDetail"]

POSITION_ATTRS = CONTRACT_ATTRS + ["putCall", "principalAdjustFactor", "reportDate", "position", "markPrice", "positionValue", "openPrice", "costBasisPrice", "costBasisMoney", "percentOfNAV", "fifoPnlUnrealized", "side", "levelOfDetail", "openDateTime", "holdingPeriodDateTime", "vestingDate", "code", "originatingOrderID", "originatingTransactionID", "accruedInt"]

SECINFO_ATTRS = ["currency", "assetCategory", "subCategory", "symbol", "description", "conid", "securityID", "securityIDType", "cusip", "isin", "listingExchange", "underlyingConid", "underlyingSymbol", "underlyingSecurityID", "underlyingListingExchange", "issuer", "multiplier", "strike", "expiry", "putCall", "principalAdjustFactor", "maturity", "issueDate", "underlyingCategory", "settlementPolicyMethod", "code"]

TRADE_DEFAULTS = dict.fromkeys(TRADE_ATTRS, "")
TRADE_DEFAULTS.update({
    "currency": "USD", "fxRateToBase": "1", "taxes": "0", "ibCommissionCurrency": "USD",
    "fxPnl": "0", "origTradePrice": "0", "origOrderID": "0", "exchOrderId": "N/A",
    "levelOfDetail": "EXECUTION", "changeInPrice": "0", "changeInQuantity": "0",
    "isAPIOrder": "N", "accruedInt": "0", "fineness": "0.0", "weight": "0.0",
    "origTransactionID": "0",
})

#### UNDERLYINGS ####
# symbol, description, listing exchange, price on 2019-01-02, annual volatility,
# quarterly dividend per share (0 = none), subCategory. The five conids/ISINs also used in
# sample_statements are the public ones; the others are made up (valid check digits).
TICKERS = [
    ("AAPL", "APPLE INC", "NASDAQ", 39.5, 0.30, "0.19", "COMMON"),
    ("MSFT", "MICROSOFT CORP", "NASDAQ", 101.1, 0.27, "0.46", "COMMON"),
    ("KO", "COCA-COLA CO/THE", "NYSE", 47.1, 0.17, "0.40", "COMMON"),
    ("AMD", "ADVANCED MICRO DEVICES", "NASDAQ", 18.8, 0.50, "0", "COMMON"),
    ("SPY", "SPDR S&P 500 ETF TRUST", "ARCA", 250.2, 0.18, "1.40", "ETF"),
    ("QQQ", "INVESCO QQQ TRUST SERIES 1", "NASDAQ", 154.9, 0.22, "0.40", "ETF"),
    ("IWM", "ISHARES RUSSELL 2000 ETF", "ARCA", 133.9, 0.24, "0.45", "ETF"),
    ("AMZN", "AMAZON.COM INC", "NASDAQ", 76.9, 0.32, "0", "COMMON"),
    ("GOOGL", "ALPHABET INC-CL A", "NASDAQ", 52.7, 0.28, "0", "COMMON"),
    ("META", "META PLATFORMS INC-CLASS A", "NASDAQ", 135.7, 0.38, "0", "COMMON"),
    ("NVDA", "NVIDIA CORP", "NASDAQ", 3.4, 0.50, "0", "COMMON"),
    ("TSLA", "TESLA INC", "NASDAQ", 20.7, 0.60, "0", "COMMON"),
    ("INTC", "INTEL CORP", "NASDAQ", 47.1, 0.33, "0.32", "COMMON"),
    ("CSCO", "CISCO SYSTEMS INC", "NASDAQ", 43.3, 0.24, "0.35", "COMMON"),
    ("ORCL", "ORACLE CORP", "NYSE", 45.2, 0.28, "0.24", "COMMON"),
    ("IBM", "INTL BUSINESS MACHINES CORP", "NYSE", 110.0, 0.24, "1.57", "COMMON"),
    ("T", "AT&T INC", "NYSE", 21.5, 0.22, "0.28", "COMMON"),
    ("VZ", "VERIZON COMMUNICATIONS INC", "NYSE", 56.0, 0.18, "0.62", "COMMON"),
    ("PFE", "PFIZER INC", "NYSE", 41.3, 0.22, "0.40", "COMMON"),
    ("JNJ", "JOHNSON & JOHNSON", "NYSE", 127.6, 0.17, "1.10", "COMMON"),
    ("MRK", "MERCK & CO. INC.", "NYSE", 75.0, 0.20, "0.62", "COMMON"),
    ("ABBV", "ABBVIE INC", "NYSE", 91.0, 0.26, "1.30", "COMMON"),
    ("PG", "PROCTER & GAMBLE CO/THE", "NYSE", 91.3, 0.16, "0.86", "COMMON"),
    ("PEP", "PEPSICO INC", "NASDAQ", 108.9, 0.16, "1.10", "COMMON"),
    ("WMT", "WALMART INC", "NYSE", 31.0, 0.20, "0.18", "COMMON"),
    ("TGT", "TARGET CORP", "NYSE", 66.0, 0.32, "0.66", "COMMON"),
    ("HD", "HOME DEPOT INC", "NYSE", 170.0, 0.24, "1.70", "COMMON"),
    ("LOW", "LOWE'S COS INC", "NYSE", 92.0, 0.28, "0.80", "COMMON"),
    ("MCD", "MCDONALD'S CORP", "NYSE", 176.0, 0.18, "1.35", "COMMON"),
    ("SBUX", "STARBUCKS CORP", "NASDAQ", 64.0, 0.27, "0.45", "COMMON"),
    ("NKE", "NIKE INC -CL B", "NYSE", 74.0, 0.28, "0.30", "COMMON"),
    ("DIS", "WALT DISNEY CO/THE", "NYSE", 108.0, 0.28, "0.44", "COMMON"),
    ("NFLX", "NETFLIX INC", "NASDAQ", 267.0, 0.42, "0", "COMMON"),
    ("JPM", "JPMORGAN CHASE & CO", "NYSE", 97.0, 0.25, "1.00", "COMMON"),
    ("BAC", "BANK OF AMERICA CORP", "NYSE", 24.6, 0.30, "0.20", "COMMON"),
    ("WFC", "WELLS FARGO & CO", "NYSE", 46.0, 0.30, "0.35", "COMMON"),
    ("C", "CITIGROUP INC", "NYSE", 52.0, 0.32, "0.51", "COMMON"),
    ("GS", "GOLDMAN SACHS GROUP INC", "NYSE", 167.0, 0.28, "2.00", "COMMON"),
    ("V", "VISA INC-CLASS A SHARES", "NYSE", 132.0, 0.22, "0.45", "COMMON"),
    ("MA", "MASTERCARD INC - A", "NYSE", 188.0, 0.24, "0.50", "COMMON"),
    ("PYPL", "PAYPAL HOLDINGS INC", "NASDAQ", 84.0, 0.42, "0", "COMMON"),
    ("XOM", "EXXON MOBIL CORP", "NYSE", 68.0, 0.28, "0.88", "COMMON"),
    ("CVX", "CHEVRON CORP", "NYSE", 108.0, 0.27, "1.30", "COMMON"),
    ("OXY", "OCCIDENTAL PETROLEUM CORP", "NYSE", 61.0, 0.45, "0.22", "COMMON"),
    ("F", "FORD MOTOR CO", "NYSE", 7.9, 0.38, "0.15", "COMMON"),
    ("GM", "GENERAL MOTORS CO", "NYSE", 33.6, 0.35, "0.12", "COMMON"),
    ("BA", "BOEING CO/THE", "NYSE", 317.0, 0.40, "0", "COMMON"),
    ("CAT", "CATERPILLAR INC", "NYSE", 126.0, 0.28, "1.10", "COMMON"),
    ("DE", "DEERE & CO", "NYSE", 148.0, 0.28, "1.30", "COMMON"),
    ("MMM", "3M CO", "NYSE", 190.0, 0.24, "1.50", "COMMON"),
    ("UPS", "UNITED PARCEL SERVICE-CL B", "NYSE", 97.0, 0.26, "1.62", "COMMON"),
    ("COST", "COSTCO WHOLESALE CORP", "NASDAQ", 203.0, 0.20, "1.16", "COMMON"),
    ("CRM", "SALESFORCE INC", "NYSE", 136.0, 0.33, "0.40", "COMMON"),
    ("ADBE", "ADOBE INC", "NASDAQ", 224.0, 0.32, "0", "COMMON"),
    ("QCOM", "QUALCOMM INC", "NASDAQ", 56.0, 0.35, "0.80", "COMMON"),
    ("MU", "MICRON TECHNOLOGY INC", "NASDAQ", 31.8, 0.45, "0.115", "COMMON"),
    ("UBER", "UBER TECHNOLOGIES INC", "NYSE", 42.0, 0.45, "0", "COMMON"),
    ("SOFI", "SOFI TECHNOLOGIES INC", "NASDAQ", 12.0, 0.60, "0", "COMMON"),
    ("PLTR", "PALANTIR TECHNOLOGIES INC-A", "NASDAQ", 10.0, 0.65, "0", "COMMON"),
    ("TSM", "TAIWAN SEMICONDUCTOR-SP ADR", "NYSE", 36.8, 0.33, "0.38", "ADR"),
]
KNOWN_IDS = {  # public identifiers, as in sample_statements/
    "AAPL": ("265598", "037833100"), "MSFT": ("272093", "594918104"),
    "KO": ("8894", "191216100"), "AMD": ("4391", "007903107"), "SPY": ("756733", "78462F103"),
}
FOREIGN_WITHHOLDING = {"TSM": Decimal("0.21")}  # ADR dividends arrive net of Taiwan tax

OPTION_EXCHANGES = ["CBOE", "PHLX", "ISE", "AMEX", "BOX", "MIAX", "PSE", "NASDAQOM", "BATS",
                    "EDGX", "CBOE2", "GEMINI", "MERCURY", "PEARL", "EMERALD"]
STOCK_EXCHANGES = ["NYSE", "NASDAQ", "ARCA", "IEX", "DARK", "ISLAND", "BATS", "EDGX", "DRCTEDGE"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
HOLIDAYS = {(1, 1), (7, 4), (12, 25)}
T1_SETTLEMENT = date(2024, 5, 28)  # US equities moved from T+2 to T+1
CENT = Decimal("0.01")
ZERO = Decimal(0)
EPOCH = datetime(1970, 1, 1)


def fmt(d) -> str:
    """IB's number style: no exponent, no trailing zeros, "0" for zero."""
    if isinstance(d, int):
        return str(d)
    if d == 0:
        return "0"
    s = format(d, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def esc(s: str) -> str:
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _luhn_digit(payload: str) -> str:
    """Check digit of a CUSIP or ISIN (letters as 10..35, doubling from the right)."""
    digits = "".join(str(int(c, 36)) for c in payload)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
        total += n // 10 + n % 10
    return str((10 - total % 10) % 10)


def _cusip_check(base8: str) -> str:
    total = 0
    for i, c in enumerate(base8):
        v = int(c, 36)
        if i % 2:
            v *= 2
        total += v // 10 + v % 10
    return str((10 - total % 10) % 10)


class Ticker:
    def __init__(self, rng, row, conid_pool):
        sym, desc, exch, price, vol, div, subcat = row
        self.symbol, self.description, self.exchange = sym, desc, exch
        self.price, self.vol, self.subcat = price, vol, subcat
        self.div = Decimal(div)
        self.div_months = (rng.choice([(2, 5, 8, 11), (3, 6, 9, 12), (1, 4, 7, 10)])
                           if self.div else ())
        self.div_day = rng.randint(8, 26)
        if sym in KNOWN_IDS:
            self.conid, self.cusip = KNOWN_IDS[sym]
        else:
            self.conid = str(conid_pool.pop())
            base = "".join(rng.choice("0123456789") for _ in range(6)) + rng.choice(
                ["10", "20", "30", "40", "50", "60", "70", "80", "1B", "2E"])
            self.cusip = base + _cusip_check(base)
        self.isin = "US" + self.cusip + _luhn_digit("US" + self.cusip)
        self.attrs = {
            "assetCategory": "STK", "subCategory": subcat, "symbol": sym,
            "description": esc(desc), "conid": self.conid, "securityID": self.isin,
            "securityIDType": "ISIN", "cusip": self.cusip, "isin": self.isin,
            "listingExchange": exch, "underlyingConid": "", "underlyingSymbol": sym,
            "underlyingSecurityID": "", "underlyingListingExchange": "", "issuer": "",
            "multiplier": "1", "strike": "", "expiry": "", "putCall": "",
            "principalAdjustFactor": "",
        }

    def strike_step(self, s: float) -> Decimal:
        if s < 25:
            return Decimal("0.5")
        if s < 100:
            return Decimal("1")
        if s < 250:
            return Decimal("2.5")
        return Decimal("5")

    def strike(self, target: float, up: bool) -> Decimal:
        step = self.strike_step(target)
        n = Decimal(str(target)) / step
        n = n.to_integral_value(rounding="ROUND_CEILING" if up else "ROUND_FLOOR")
        return max(step, n * step)


def option_value(s: float, k: float, days: int, vol: float, right: str) -> float:
    """A rough premium: intrinsic value plus ~0.4·σ·S·√t damped away from the money."""
    t = max(days, 1) / 365.0
    sd = s * vol * math.sqrt(t)
    intrinsic = max(k - s, 0.0) if right == "P" else max(s - k, 0.0)
    return intrinsic + 0.4 * sd * math.exp(-0.5 * ((s - k) / sd) ** 2)


def money(x: float) -> Decimal:
    """Option prices tick in cents; below 0.05 IB still fills at 0.01-0.04."""
    return max(Decimal("0.01"), Decimal(str(x)).quantize(CENT, ROUND_HALF_UP))


#### CALENDAR ####


class Calendar:
    def __init__(self, start: date, end: date):
        days = []
        d = start
        while d <= end:
            if d.weekday() < 5 and (d.month, d.day) not in HOLIDAYS:
                days.append(d)
            d += timedelta(days=1)
        self.days = days
        self.index = {d: i for i, d in enumerate(days)}
        # expiry = last trading day of each week (the Friday, or Thursday before a holiday)
        self.expiries = []
        for i, d in enumerate(days):
            nxt = days[i + 1] if i + 1 < len(days) else None
            if nxt is None or nxt.isocalendar()[:2] != d.isocalendar()[:2]:
                self.expiries.append(d)
        self._exp_index = {d: i for i, d in enumerate(self.expiries)}

    def next_day(self, d: date) -> date:
        i = self.index[d] + 1
        return self.days[i] if i < len(self.days) else d + timedelta(days=1 if d.weekday() < 4
                                                                       else 7 - d.weekday())

    def expiry_after(self, d: date, weeks: int) -> date | None:
        """The weekly expiry ``weeks`` weeks out (1 = this week's if still ahead)."""
        for e in self.expiries:
            if e > d:
                i = self._exp_index[e] + weeks - 1
                return self.expiries[i] if i < len(self.expiries) else None
        return None


#### THE WRITER ####


class Ids:
    """Monotonic id streams with gaps, like IB's (shared across both accounts)."""

    def __init__(self, rng):
        self.rng = rng
        self.tx = 2_803_517_406
        self.trade = 6_104_228_930
        self.order = 3_512_004_118
        self.action = 83_004_117
        self.opt_conid = 340_118_207

    def next(self, name: str, lo=3, hi=47) -> str:
        v = getattr(self, name) + self.rng.randint(lo, hi)
        setattr(self, name, v)
        return str(v)


class Lane:
    """One independent wheel on one underlying: idle -> put -> (stock -> call ->)* idle."""

    __slots__ = ("ticker", "state", "opt", "n", "premium", "shares", "basis", "opened",
                 "open_txid", "open_price")

    def __init__(self, ticker):
        self.ticker = ticker
        self.state = "idle"
        self.opt = None  # option instrument dict (with _strike, _expiry, _right)
        self.n = 0
        self.premium = ZERO  # net cash received for the open option position
        self.shares = 0
        self.basis = ZERO  # share basis net of the put premium, positive
        self.opened = None
        self.open_txid = ""
        self.open_price = ZERO


class AccountSim:
    def __init__(self, gen, account: str, tickers, n_rows: int, out, comm_rate: Decimal):
        self.g = gen
        self.rng = gen.rng
        self.cal = gen.cal
        self.ids = gen.ids
        self.account = account
        self.out = out
        self.budget = n_rows
        self.n_target = n_rows
        self.comm_rate = comm_rate
        self.count = 0
        self.stats = {"exec_rows": 0, "order_rows": 0, "eae_rows": 0, "cash_rows": 0,
                      "cash_summary_rows": 0, "puts_sold": 0, "partial_fill_orders": 0,
                      "bought_back": 0, "rolls": 0, "expired": 0, "put_assignments": 0,
                      "calls_sold": 0, "called_away": 0, "stock_sales": 0}
        self.eae = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.cash = tempfile.TemporaryFile("w+", encoding="utf-8")
        self.acct = {"accountId": account, "acctAlias": "", "model": ""}
        self.exec_hex = f"{self.rng.randrange(1 << 16):04x}"
        days = len(self.cal.days)
        # capacity: enough lanes that the row-rate controller can always keep up
        lanes_per_ticker = max(1, math.ceil(n_rows / days / 0.10 / len(tickers)))
        self.lanes = [Lane(t) for t in tickers for _ in range(lanes_per_ticker)]
        self.tickers = tickers
        self.months_done: set = set()

    # -- row writers -------------------------------------------------------------------
    def fits(self, k: int) -> bool:
        return self.count + k <= self.budget

    def opt_instrument(self, t: Ticker, strike: Decimal, expiry: date, right: str) -> dict:
        occ = f"{t.symbol:<6}{expiry:%y%m%d}{right}{int(strike * 1000):08d}"
        conid = self.g.opt_conids.get(occ)
        if conid is None:
            conid = self.g.opt_conids[occ] = self.ids.next("opt_conid", 11, 4000)
        return {
            "assetCategory": "OPT", "subCategory": right, "symbol": occ,
            "description": f"{t.symbol} {expiry.day:02d}{MONTHS[expiry.month - 1]}"
                           f"{expiry:%y} {fmt(strike)} {right}",
            "conid": conid, "securityID": "", "securityIDType": "", "cusip": "", "isin": "",
            "listingExchange": "CBOE", "underlyingConid": t.conid, "underlyingSymbol": t.symbol,
            "underlyingSecurityID": t.isin, "underlyingListingExchange": t.exchange,
            "issuer": "", "multiplier": "100", "strike": fmt(strike),
            "expiry": expiry.isoformat(), "putCall": right, "principalAdjustFactor": "",
            "_strike": strike, "_expiry": expiry, "_right": right,
        }

    def settle(self, d: date, stock: bool) -> date:
        nd = self.cal.next_day(d)
        if stock and d < T1_SETTLEMENT:
            nd = self.cal.next_day(nd)
        return nd

    def write_trade(self, inst: dict, vals: dict) -> dict:
        row = dict(TRADE_DEFAULTS)
        row.update(self.acct)
        row.update(inst)
        row.update(vals)
        self.out.write('        <Trade ' + " ".join(f'{k}="{row[k]}"' for k in TRADE_ATTRS)
                       + " />\n")
        self.count += 1
        self.stats["exec_rows"] += 1
        return row

    def write_order(self, inst: dict, vals: dict) -> None:
        row = dict(TRADE_DEFAULTS)
        row.update(self.acct)
        row.update(inst)
        row.update(vals)
        for k in ("tradeID", "transactionID", "transactionType", "exchange", "ibExecID",
                  "brokerageOrderID", "exchOrderId", "extExecID", "origTradePrice",
                  "origOrderID", "changeInPrice", "changeInQuantity", "isAPIOrder",
                  "origTransactionID"):
            row[k] = ""
        row["levelOfDetail"] = "ORDER"
        self.out.write('        <Order ' + " ".join(f'{k}="{row[k]}"' for k in TRADE_ATTRS)
                       + " />\n")
        self.stats["order_rows"] += 1

    def write_eae(self, inst: dict, d: date, kind: str, qty, price, mark, proceeds, cost,
                  pnl, mtm, trade_id: str) -> None:
        row = {**self.acct, "currency": "USD", "fxRateToBase": "1", **inst,
               "date": d.isoformat(), "transactionType": kind, "quantity": fmt(qty),
               "tradePrice": fmt(price), "markPrice": fmt(mark), "proceeds": proceeds,
               "commisionsAndTax": "0", "costBasis": fmt(cost), "realizedPnl": fmt(pnl),
               "fxPnl": "0", "mtmPnl": fmt(mtm), "tradeID": trade_id}
        self.eae.write('        <OptionEAE ' + " ".join(f'{k}="{row[k]}"' for k in EAE_ATTRS)
                       + " />\n")
        self.stats["eae_rows"] += 1

    def write_cash(self, inst: dict | None, when: str, d: date, amount: Decimal, kind: str,
                   description: str | None = None, action_id: str = "",
                   level: str = "DETAIL") -> None:
        base = inst or {k: "" for k in CONTRACT_ATTRS[5:]} | {"multiplier": "0", "putCall": "",
                                                               "principalAdjustFactor": ""}
        row = {**self.acct, "currency": "USD", "fxRateToBase": "1", **base,
               "dateTime": when, "settleDate": d.isoformat(), "amount": fmt(amount),
               "type": kind, "tradeID": "", "code": "", "reportDate": d.isoformat(),
               "exDate": "", "clientReference": "", "actionID": action_id,
               "levelOfDetail": level}
        if description is not None:
            row["description"] = esc(description)
        if level == "DETAIL":
            row["transactionID"] = self.ids.next("tx")
            self.stats["cash_rows"] += 1
        else:  # IB's SUMMARY repeats: no transactionID, accountId "-"
            row.update({"transactionID": "", "accountId": "-", "acctAlias": "-",
                        "dateTime": d.isoformat()})
            self.stats["cash_summary_rows"] += 1
        self.cash.write('        <CashTransaction '
                        + " ".join(f'{k}="{row[k]}"' for k in CASH_ATTRS) + " />\n")

    # -- trade helpers -----------------------------------------------------------------
    def clock(self, d: date) -> tuple[str, str, float]:
        """A random execution time in the session, the order time a little before, epoch."""
        secs = self.rng.randint(9 * 3600 + 30 * 60 + 5, 15 * 3600 + 59 * 60 + 50)
        osecs = secs - self.rng.randint(1, 240)
        base = datetime(d.year, d.month, d.day)
        t = base + timedelta(seconds=secs)
        ot = base + timedelta(seconds=max(osecs, 9 * 3600 + 30 * 60))
        # epoch of the wall-clock time as if UTC: only feeds ids, and stays independent of
        # the machine's time zone so the output is the same everywhere
        return (f"{d.isoformat()};{t:%H:%M:%S}", f"{d.isoformat()};{ot:%H:%M:%S}",
                (t - EPOCH).total_seconds())

    def exch_trade(self, inst: dict, d: date, when: str, order_time: str, epoch: float,
                   qty: int, price: Decimal, mult: int, oc: str, cost: Decimal | None,
                   close_price: Decimal, order_id: str, seq: int, notes: str = "",
                   order_ref: str = "", stock: bool = False) -> tuple[dict, Decimal]:
        tm = qty * price * mult
        proceeds = -tm
        if stock:
            comm = -min(max(Decimal(1), Decimal("0.005") * abs(qty)),
                        (abs(tm) * Decimal("0.01")).quantize(CENT))
        else:
            comm = -(self.comm_rate * abs(qty))
        net = proceeds + comm
        if oc == "O":
            cost_v, fifo = -net, ZERO
        else:
            cost_v, fifo = cost, net + cost
        row = self.write_trade(inst, {
            "tradeID": self.ids.next("trade"), "reportDate": d.isoformat(), "dateTime": when,
            "tradeDate": d.isoformat(), "settleDateTarget": self.settle(d, stock).isoformat(),
            "transactionType": "ExchTrade",
            "exchange": self.rng.choice(STOCK_EXCHANGES if stock else OPTION_EXCHANGES),
            "quantity": fmt(qty), "tradePrice": fmt(price), "tradeMoney": fmt(tm),
            "proceeds": fmt(proceeds), "ibCommission": fmt(comm), "netCash": fmt(net),
            "closePrice": fmt(close_price), "openCloseIndicator": oc, "notes": notes,
            "cost": fmt(cost_v), "fifoPnlRealized": fmt(fifo),
            "mtmPnl": fmt((close_price - price) * qty * mult),
            "transactionID": self.ids.next("tx"), "buySell": "BUY" if qty > 0 else "SELL",
            "ibOrderID": order_id,
            "ibExecID": f"0000{self.exec_hex}.{int(epoch):08x}.{seq:02d}.01",
            "brokerageOrderID": f"003d7758.0001cc04.{int(epoch) - 20:08x}.0001",
            "orderReference": order_ref,
            "extExecID": "".join(self.rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
                                 for _ in range(self.rng.randint(8, 10))),
            "orderTime": order_time, "orderType": "LMT",
        })
        return row, net

    def book_trade(self, inst: dict, d: date, report: date, qty: int, price: Decimal,
                   mult: int, oc: str, notes: str, cost: Decimal, fifo: Decimal,
                   close_price: Decimal, action_id: str, stock: bool,
                   zero_proceeds: str | None = None) -> dict:
        tm = qty * price * mult
        txid = self.ids.next("tx")
        return self.write_trade(inst, {
            "tradeID": self.ids.next("trade"), "reportDate": report.isoformat(),
            "dateTime": f"{d.isoformat()};16:20:00", "tradeDate": d.isoformat(),
            "settleDateTarget": self.settle(d, stock).isoformat(),
            "transactionType": "BookTrade", "exchange": "--", "quantity": fmt(qty),
            "tradePrice": fmt(price), "tradeMoney": fmt(tm),
            "proceeds": zero_proceeds if zero_proceeds and tm == 0 else fmt(-tm),
            "ibCommission": "0", "netCash": fmt(-tm), "closePrice": fmt(close_price),
            "openCloseIndicator": oc, "notes": notes, "cost": fmt(cost),
            "fifoPnlRealized": fmt(fifo), "mtmPnl": fmt((close_price - price) * qty * mult),
            "transactionID": txid, "buySell": "BUY" if qty > 0 else "SELL",
            "ibOrderID": txid, "extExecID": "N/A", "positionActionID": action_id,
        })

    # -- wheel actions -------------------------------------------------------------------
    def sell_option(self, lane: Lane, d: date, right: str, n: int, expiry: date,
                    strike: Decimal, order_ref: str = "", when=None) -> bool:
        """Sell to open n contracts, sometimes in several executions (code P)."""
        t = lane.ticker
        s = t.price
        days = (expiry - d).days
        price = money(option_value(s, float(strike), days, t.vol, right))
        split = 1
        if n >= 2 and self.rng.random() < 0.35:
            split = self.rng.randint(2, min(n, 3))
        with_order = split > 1 and self.rng.random() < 0.2
        if not self.fits(split):
            return False
        inst = self.opt_instrument(t, strike, expiry, right)
        if when is None:
            when, order_time, epoch = self.clock(d)
        else:
            when, order_time, epoch = when
        order_id = self.ids.next("order", 1, 9)
        sizes = [n // split + (1 if i < n % split else 0) for i in range(split)]
        close_price = money(float(price) * self.rng.uniform(0.93, 1.07))
        notes = "P" if split > 1 else ""
        if with_order:
            tm = -n * price * 100
            comm = -(self.comm_rate * n)
            self.write_order(inst, {
                "reportDate": d.isoformat(), "dateTime": when, "tradeDate": d.isoformat(),
                "settleDateTarget": self.settle(d, False).isoformat(), "quantity": fmt(-n),
                "tradePrice": fmt(price), "tradeMoney": fmt(tm), "proceeds": fmt(-tm),
                "ibCommission": fmt(comm), "netCash": fmt(-tm + comm),
                "closePrice": fmt(close_price), "openCloseIndicator": "O", "notes": "P",
                "cost": fmt(tm - comm), "fifoPnlRealized": "0",
                "mtmPnl": fmt((close_price - price) * -n * 100), "buySell": "SELL",
                "ibOrderID": order_id, "orderTime": order_time, "orderType": "LMT"})
        premium = ZERO
        first_tx = ""
        for seq, q in enumerate(sizes, 1):
            row, net = self.exch_trade(inst, d, when, order_time, epoch, -q, price,
                                       100, "O", None, close_price, order_id, seq, notes,
                                       order_ref)
            premium += net
            first_tx = first_tx or row["transactionID"]
            if seq < split:  # the next fill a moment later
                epoch += self.rng.randint(1, 3)
                when = when[:11] + (EPOCH + timedelta(seconds=epoch)).strftime("%H:%M:%S")
        lane.opt, lane.n, lane.premium = inst, n, premium
        lane.opened, lane.open_txid, lane.open_price = d, first_tx, price
        lane.state = "put" if right == "P" else "call"
        self.stats["partial_fill_orders"] += split > 1
        self.stats["puts_sold" if right == "P" else "calls_sold"] += 1
        return True

    def buy_to_close(self, lane: Lane, d: date, price: Decimal, clock=None,
                     order_ref: str = "") -> bool:
        if not self.fits(1):
            return False
        when, order_time, epoch = clock or self.clock(d)
        close_price = money(float(price) * self.rng.uniform(0.93, 1.07))
        self.exch_trade(lane.opt, d, when, order_time, epoch, lane.n, price, 100, "C",
                        lane.premium, close_price, self.ids.next("order", 1, 9), 1,
                        order_ref=order_ref)
        return True

    def open_put(self, lane: Lane, d: date) -> bool:
        t = lane.ticker
        expiry = self.cal.expiry_after(d, self.rng.choice([1, 2, 3, 4, 4, 5, 6]))
        if expiry is None:
            return False
        strike = t.strike(t.price * self.rng.uniform(0.86, 0.98), up=False)
        n = self.rng.choices([1, 2, 3, 4, 5, 10], [40, 25, 12, 10, 8, 5])[0]
        if float(strike) * 100 * n > 250_000:  # cash-secured: keep each lane's cash sane
            n = max(1, int(250_000 // (float(strike) * 100)))
        return self.sell_option(lane, d, "P", n, expiry, strike)

    def step_lane(self, lane: Lane, d: date, q_open: float) -> None:
        rng = self.rng
        t = lane.ticker
        if lane.state == "idle":
            if rng.random() < q_open:
                self.open_put(lane, d)
            return
        if lane.state == "stock":
            r = rng.random()
            if r < 0.004:
                self.sell_stock(lane, d)
            elif r < 0.25:
                expiry = self.cal.expiry_after(d, rng.choice([1, 2, 3, 4]))
                if expiry is not None:
                    per_share = float(lane.basis) / lane.shares
                    strike = t.strike(max(t.price * rng.uniform(1.01, 1.08),
                                          per_share * rng.uniform(0.97, 1.03)), up=True)
                    self.sell_option(lane, d, "C", lane.shares // 100, expiry, strike)
            return
        opt = lane.opt
        expiry = opt["_expiry"]
        if expiry <= d:
            return  # settled at the close by expire_lane
        days = (expiry - d).days
        value = option_value(t.price, float(opt["_strike"]), days, t.vol, opt["_right"])
        price = money(value)
        if price <= lane.open_price * Decimal("0.4") and rng.random() < 0.15:
            if self.buy_to_close(lane, d, price):
                lane.state = "idle" if opt["_right"] == "P" else "stock"
                self.stats["bought_back"] += 1
        elif (opt["_right"] == "P" and days <= 6 and t.price < float(opt["_strike"]) * 1.01
              and rng.random() < 0.25):
            self.roll(lane, d, price)

    def roll(self, lane: Lane, d: date, price: Decimal) -> None:
        """Buy to close and sell to open a later put, one combo ticket, one reference."""
        if not self.fits(2 + 2):  # BTC + up to 3 fills of the new leg
            return
        t = lane.ticker
        new_expiry = self.cal.expiry_after(d, self.rng.choice([2, 3, 4, 5]))
        if new_expiry is None:
            return
        old = lane.opt
        step = t.strike_step(t.price)
        strike = old["_strike"] - (step if self.rng.random() < 0.6 else 0)
        clock = self.clock(d)
        ref = f"ROLL-{t.symbol}-{d:%Y%m%d}"
        self.buy_to_close(lane, d, price, clock, ref)
        self.sell_option(lane, d, "P", lane.n, new_expiry, max(step, strike), ref, clock)
        self.stats["rolls"] += 1

    def expire_lane(self, lane: Lane, d: date) -> None:
        """At the close of expiry day: assignment if in the money, else expiry worthless."""
        opt = lane.opt
        t = lane.ticker
        strike = opt["_strike"]
        right = opt["_right"]
        s = t.price
        itm = s < float(strike) if right == "P" else s > float(strike)
        n = lane.n
        if not itm:
            if not self.fits(1):
                return
            row = self.book_trade(opt, d, self.cal.next_day(d), n, ZERO, 100, "C", "Ep",
                                  lane.premium, lane.premium, ZERO, self.ids.next("action"),
                                  stock=False, zero_proceeds="-0" if self.rng.random() < 0.5
                                  else None)
            self.write_eae(opt, d, "Expiration", n, ZERO, ZERO, "-0" if row["proceeds"] == "-0"
                           else "0", lane.premium, lane.premium, ZERO, row["tradeID"])
            lane.state = "idle" if right == "P" else "stock"
            self.stats["expired"] += 1
            return
        if not self.fits(2):
            return
        action = self.ids.next("action")
        spx = Decimal(str(s)).quantize(CENT, ROUND_HALF_UP)
        mark = abs(spx - strike)
        shares = 100 * n
        orow = self.book_trade(opt, d, d, n, ZERO, 100, "C", "A", lane.premium, ZERO, mark,
                               action, stock=False)
        self.write_eae(opt, d, "Assignment", n, ZERO, mark, "0", lane.premium, ZERO,
                       mark * n * 100, orow["tradeID"])
        stk = t.attrs
        if right == "P":
            gross = strike * shares
            srow = self.book_trade(stk, d, d, shares, strike, 1, "O", "A", gross, ZERO, spx,
                                   action, stock=True)
            self.write_eae(stk, d, "Buy", shares, strike, spx, fmt(-gross), gross, ZERO,
                           (spx - strike) * shares, srow["tradeID"])
            lane.state, lane.shares = "stock", shares
            lane.basis = gross - lane.premium
            self.stats["put_assignments"] += 1
        else:
            proceeds = strike * shares
            cost = -lane.basis
            pnl = proceeds + cost + lane.premium
            srow = self.book_trade(stk, d, d, -shares, strike, 1, "C", "A", cost, pnl, spx,
                                   action, stock=True)
            self.write_eae(stk, d, "Sell", -shares, strike, spx, fmt(proceeds), cost, pnl,
                           (spx - strike) * -shares, srow["tradeID"])
            lane.state, lane.shares, lane.basis = "idle", 0, ZERO
            self.stats["called_away"] += 1

    def sell_stock(self, lane: Lane, d: date) -> None:
        if not self.fits(1):
            return
        t = lane.ticker
        when, order_time, epoch = self.clock(d)
        price = Decimal(str(t.price)).quantize(CENT, ROUND_HALF_UP)
        close = Decimal(str(t.price * self.rng.uniform(0.99, 1.01))).quantize(CENT)
        self.exch_trade(t.attrs, d, when, order_time, epoch, -lane.shares, price, 1, "C",
                        -lane.basis, close, self.ids.next("order", 1, 9), 1, stock=True)
        lane.state, lane.shares, lane.basis = "idle", 0, ZERO
        self.stats["stock_sales"] += 1

    # -- cash ----------------------------------------------------------------------------
    def cash_day(self, d: date) -> None:
        rng = self.rng
        month_key = (d.year, d.month)
        if d.day >= 3 and (month_key, "fees") not in self.months_done:
            self.months_done.add((month_key, "fees"))
            label = f"{MONTHS[d.month - 1]} {d.year}"
            self.write_cash(None, f"{d.isoformat()};20:20:00", d, Decimal("-1.5"), "Other Fees",
                            f"OPRA TOP OF BOOK NP L1 FOR {label}")
        if d.day >= 5 and (month_key, "int") not in self.months_done:
            self.months_done.add((month_key, "int"))
            prev = (d.replace(day=1) - timedelta(days=1))
            amount = Decimal(rng.randint(300, 25000)) / 100
            self.write_cash(None, d.isoformat(), d, amount, "Broker Interest Received",
                            f"USD CREDIT INT FOR {MONTHS[prev.month - 1]}-{prev.year}")
        for t in self.tickers:
            if d.month not in t.div_months or d.day < t.div_day:
                continue
            key = (month_key, "div", t.symbol)
            if key in self.months_done:
                continue
            self.months_done.add(key)
            shares = sum(lane.shares for lane in self.lanes
                         if lane.ticker is t and lane.state in ("stock", "call"))
            if not shares:
                continue
            gross = t.div * shares
            action = self.ids.next("action")
            desc = f"{t.symbol}({t.isin}) CASH DIVIDEND USD {fmt(t.div)} PER SHARE (Ordinary Dividend)"
            when = f"{d.isoformat()};20:20:00"
            self.write_cash(t.attrs, when, d, gross, "Dividends", desc, action)
            tax_rate = FOREIGN_WITHHOLDING.get(t.symbol)
            if tax_rate:
                self.write_cash(t.attrs, when, d, -(gross * tax_rate).quantize(CENT),
                                "Withholding Tax", f"{t.symbol}({t.isin}) CASH DIVIDEND USD "
                                f"{fmt(t.div)} PER SHARE - TW TAX", action)
            if rng.random() < 0.1:  # SUMMARY duplicate: not a ledger row
                self.write_cash(t.attrs, when, d, gross, "Dividends", desc, action, "SUMMARY")

    # -- driver --------------------------------------------------------------------------
    def run(self) -> None:
        cal = self.cal
        days = cal.days
        n_days = len(days)
        expiry_set = set(cal.expiries)
        for i, d in enumerate(days):
            if self.count >= self.budget:
                break
            # the controller keeps the cumulative row count on a straight line to the target;
            # open option positions count as the (about one) closing row they will still add
            target = self.n_target * (i + 1) / n_days
            pending = sum(1 for lane in self.lanes if lane.state in ("put", "call"))
            q_open = 0.5 if self.count + pending < target else 0.0
            self.cash_day(d)
            for lane in self.lanes:
                self.step_lane(lane, d, q_open)
            if d in expiry_set:
                for lane in self.lanes:
                    if lane.state in ("put", "call") and lane.opt["_expiry"] == d:
                        self.expire_lane(lane, d)
            self.g.advance_prices(d)
        # whatever the controller left short is opened on the last day and stays open
        d = days[-1]
        while self.count < self.budget:
            lane = Lane(self.rng.choice(self.tickers))
            self.lanes.append(lane)
            t = lane.ticker
            expiry = cal.expiry_after(d, 3) or d + timedelta(days=21 + (4 - d.weekday()) % 7)
            self.sell_option(lane, d, "P", 1, expiry, t.strike(t.price * 0.92, up=False))
            self.stats["end_fill"] = self.stats.get("end_fill", 0) + 1

    def write_tail(self, report_date: date) -> None:
        """OptionEAE, CashTransactions (copied from the spools), OpenPositions, SecuritiesInfo."""
        out = self.out
        out.write("      </Trades>\n      <OptionEAE>\n")
        self.eae.seek(0)
        shutil.copyfileobj(self.eae, out)
        out.write("      </OptionEAE>\n      <CashTransactions>\n")
        self.cash.seek(0)
        shutil.copyfileobj(self.cash, out)
        out.write("      </CashTransactions>\n      <OpenPositions>\n")
        self.eae.close()
        self.cash.close()
        for lane in self.lanes:
            positions = []
            if lane.state in ("stock", "call"):
                t = lane.ticker
                mark = Decimal(str(t.price)).quantize(CENT, ROUND_HALF_UP)
                positions.append((t.attrs, lane.shares, mark, lane.basis, 1))
            if lane.state in ("put", "call"):
                opt = lane.opt
                days = max((opt["_expiry"] - report_date).days, 0)
                mark = money(option_value(lane.ticker.price, float(opt["_strike"]), days,
                                          lane.ticker.vol, opt["_right"]))
                positions.append((opt, -lane.n, mark, -lane.premium, 100))
            for inst, pos, mark, basis, mult in positions:
                value = pos * mark * mult
                row = {**self.acct, "currency": "USD", "fxRateToBase": "1", **inst,
                       "reportDate": report_date.isoformat(), "position": fmt(pos),
                       "markPrice": fmt(mark), "positionValue": fmt(value),
                       "openPrice": fmt((basis / (pos * mult)).quantize(Decimal("0.0001"))),
                       "costBasisPrice": fmt((basis / (pos * mult)).quantize(Decimal("0.0001"))),
                       "costBasisMoney": fmt(basis), "percentOfNAV": "",
                       "fifoPnlUnrealized": fmt(value - basis),
                       "side": "Long" if pos > 0 else "Short", "levelOfDetail": "SUMMARY",
                       "openDateTime": "", "holdingPeriodDateTime": "", "vestingDate": "",
                       "code": "", "originatingOrderID": "", "originatingTransactionID": "",
                       "accruedInt": ""}
                out.write('        <OpenPosition '
                          + " ".join(f'{k}="{row[k]}"' for k in POSITION_ATTRS) + " />\n")
        out.write("      </OpenPositions>\n      <SecuritiesInfo>\n")
        for t in self.tickers:
            row = {"currency": "USD", **t.attrs, "maturity": "", "issueDate": "",
                   "underlyingCategory": "", "settlementPolicyMethod": "", "code": ""}
            out.write('        <SecurityInfo '
                      + " ".join(f'{k}="{row[k]}"' for k in SECINFO_ATTRS) + " />\n")
        out.write("      </SecuritiesInfo>\n")


def ticker_rows(n: int, seed: int) -> list:
    """The first ``n`` of TICKERS, then made-up names (``ZAB``, ``ZAC``, …) to reach ``n``.

    The made-up ones draw from their own random stream, so the default file (the 60 real
    names) is byte-for-byte what it was before this option existed."""
    if n <= len(TICKERS):
        return TICKERS[:n]
    rng = random.Random(seed ^ 0x5EED)
    taken = {row[0] for row in TICKERS}
    rows = list(TICKERS)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXY"
    i = 0
    while len(rows) < n:
        sym = "Z" + letters[i // len(letters) % len(letters)] + letters[i % len(letters)]
        if i >= len(letters) ** 2:
            sym += letters[i // len(letters) ** 2 - 1]
        i += 1
        if sym in taken:
            continue
        taken.add(sym)
        div = rng.choice(["0", "0", "0.15", "0.25", "0.40", "0.62"])
        rows.append((sym, f"SYNTHETIC HOLDINGS {sym} INC", rng.choice(["NYSE", "NASDAQ"]),
                     round(rng.uniform(8, 300), 1), round(rng.uniform(0.18, 0.6), 2), div,
                     "COMMON"))
    return rows


class Generator:
    def __init__(self, seed: int, start: date, end: date, underlyings: int = len(TICKERS)):
        self.rng = random.Random(seed)
        self.cal = Calendar(start, end)
        self.ids = Ids(self.rng)
        self.rows = ticker_rows(underlyings, seed)
        conids = self.rng.sample(range(10_000, 600_000_000), len(self.rows))
        self.tickers = [Ticker(self.rng, row, conids) for row in self.rows]
        self.opt_conids: dict[str, str] = {}
        self._last_price_day = None

    def advance_prices(self, d: date) -> None:
        """Geometric random walk, one step per trading day, shared by both accounts."""
        if self._last_price_day is not None and d <= self._last_price_day:
            return
        self._last_price_day = d
        g = self.rng.gauss
        for t in self.tickers:
            t.price = max(1.0, t.price * math.exp(0.0003 + t.vol / 15.87 * g(0, 1)))

    def reset_prices(self) -> None:
        for t, row in zip(self.tickers, self.rows):
            t.price = row[3]
        self._last_price_day = None


def generate(n_trades: int, out_path: Path, seed: int = 20251125,
             start: date = date(2019, 1, 2), end: date = date(2025, 12, 31),
             underlyings: int = len(TICKERS)) -> dict:
    gen = Generator(seed, start, end, underlyings)
    accounts = [
        ("U9200417", 0.6, gen.tickers, Decimal("1.05")),
        # the second account trades 60 % of the names (36 of the default 60)
        ("U9200418", 0.4, gen.rng.sample(gen.tickers, round(len(gen.tickers) * 0.6)),
         Decimal("0.70255")),
    ]
    n_first = round(n_trades * accounts[0][1])
    budgets = [n_first, n_trades - n_first]
    stats = {}
    out_path.parent.mkdir(parents=True, exist_ok=True)
    generated = datetime(end.year + 1, 1, 5, 9, 15, 2)
    with open(out_path, "w", encoding="utf-8", newline="\n") as out:
        out.write('<FlexQueryResponse queryName="csp-journal benchmark" type="AF">\n')
        out.write(f'  <FlexStatements count="{len(accounts)}">\n')
        for (account, _share, tickers, rate), budget in zip(accounts, budgets):
            gen.reset_prices()  # every account starts from the 2019 prices
            out.write(f'    <FlexStatement accountId="{account}" fromDate="{start.isoformat()}" '
                      f'toDate="{end.isoformat()}" period="" '
                      f'whenGenerated="{generated:%Y-%m-%d;%H:%M:%S}">\n')
            out.write(f'      <AccountInformation accountId="{account}" acctAlias="" model="" '
                      'currency="USD" name="Benchmark Trader" accountType="Individual" '
                      'customerType="Individual" accountCapabilities="Margin" '
                      'tradingPermissions="Stocks,Options" dateOpened="2018-11-20" '
                      'dateFunded="2018-11-21" dateClosed="" street="" city="" state="" '
                      'country="" postalCode="" masterName="" ibEntity="IBLLC-US" '
                      'primaryEmail="" />\n')
            out.write("      <Trades>\n")
            sim = AccountSim(gen, account, tickers, budget, out, rate)
            sim.run()
            sim.write_tail(end)
            out.write("    </FlexStatement>\n")
            stats[account] = sim.stats
        out.write("  </FlexStatements>\n</FlexQueryResponse>\n")
    total = {k: sum(s.get(k, 0) for s in stats.values())
             for k in sorted({k for s in stats.values() for k in s})}
    return {"file": str(out_path), "bytes": out_path.stat().st_size, "seed": seed,
            "execution_trade_rows": total["exec_rows"], "accounts": stats, "total": total}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trades", type=int, default=40_000,
                    help="EXECUTION-level Trade rows in the file (default 40000)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=20251125)
    ap.add_argument("--underlyings", type=int, default=len(TICKERS),
                    help=f"names traded (default {len(TICKERS)}; beyond that, made-up ones)")
    ap.add_argument("--start", type=date.fromisoformat, default=date(2019, 1, 2),
                    help="first trading day (default 2019-01-02)")
    ap.add_argument("--years", type=int, default=None,
                    help="years of trading from --start (default: through 2025-12-31)")
    args = ap.parse_args(argv)
    if args.trades < 100:
        ap.error("--trades must be at least 100")
    if args.underlyings < 2:
        ap.error("--underlyings must be at least 2")
    end = (date(2025, 12, 31) if args.years is None
           else date(args.start.year + args.years - 1, 12, 31))
    if end <= args.start:
        ap.error("--years must cover at least part of a year after --start")
    t0 = time.perf_counter()
    meta = generate(args.trades, args.out, args.seed, args.start, end, args.underlyings)
    meta["seconds"] = round(time.perf_counter() - t0, 2)
    meta_path = args.out.with_name(args.out.name + ".meta.json")
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{args.out}: {meta['execution_trade_rows']} Trade rows, "
          f"{meta['bytes'] / 1e6:.1f} MB in {meta['seconds']} s; counts in {meta_path.name}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
