"""IB Activity Statement CSV (the default statement of the Client Portal) -> ledger events.

Parses only: no database access. Yields the same events as :mod:`journal.importers.flex`
so the ledger treats both formats alike; the differences are absorbed here:

* The CSV is a stack of tables (``Section,Header|Data|SubTotal|Total,…``, ib_formats.md
  §2.1). Columns are resolved by name and re-bound at every Header row, because IB repeats
  the header per asset category and columns come and go (``Account``, ``Exchange``, …).
* Only the ``Trade`` level of the Trades section becomes ledger rows; ``Order`` rows are
  the same fills summed and ``ClosedLot`` rows are lot detail: which opening lot (by its
  date; the CSV names no transaction) the Trade row before them relieved. They are stored
  for the rules' default lot method (IB's own pairing, tax_rules.md §4).
* Rows carry no IB ids, so every row gets a stable synthetic key (``csv:<hash>:<n>``): a
  hash of the fields that identify it plus an ordinal for genuinely identical rows. The
  ledger recognises that prefix and links CSV rows to the Flex rows of the same fills
  (``ledger.link_cross_format``), so importing both formats stores each trade once.
* Values are mapped onto Flex conventions: asset labels (``Equity and Index Options``)
  become codes (``OPT``), the ``O``/``C`` letters of ``Code`` become the open/close
  indicator while the others (``A``, ``Ep``, ``Ex``, ``P``…) stay in ``notes``, and
  assignment, expiry and exercise rows are ``BookTrade`` as in Flex.
* Option contracts come from ``Financial Instrument Information`` when the statement has
  it (the only structured source: conid, strike, expiry, multiplier); otherwise from the
  symbol itself (``MSFT 21NOV25 410 P``, older ``CLOV 16JUL21 20.0 C``, or OCC form).
  That section usually comes *after* Trades, so a first pass reads it (and the account)
  before the rows are streamed; both passes read row by row, so memory stays flat.

Also handled: a BOM, CRLF, quoted thousands (``"1,000"``), ``--`` and ``&nbsp`` noise,
Total rows written as Data rows (``Total``, ``Total in USD``), stray lines without a row
type, ragged rows and spreadsheet padding. Errors name the file, line and section.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from journal.coverage import incomplete_day_warning
from journal.errors import StatementError
from journal.events import (
    AccountInfo, CashBalanceRow, CashRow, ClosedLotRow, OptionEAERow, ParseSummary, SourceRef,
    StatementStart, TradeRow, balance_key,
)
from journal.importers._convert import MONTHS, ConversionError, DateStyle, to_decimal, to_text

FORMAT = "activity-csv"
ORIGIN = "csv"
KEY_PREFIX = "csv:"
"""Synthetic keys start with this; journal.ledger relies on it to find CSV rows."""

UNKNOWN_ACCOUNT = "unknown"
MAX_FIELD_CHARS = 10_000

ROW_TYPES = frozenset({"Header", "Headers", "Data", "SubTotal", "Total"})

TRADES = "Trades"
EAE = "Option Exercises, Assignments and Expirations"
FII = "Financial Instrument Information"
CASH_REPORT = "Cash Report"
CASH_SECTIONS = {
    "Deposits & Withdrawals": "Deposits/Withdrawals",
    "Dividends": "Dividends",
    "Withholding Tax": "Withholding Tax",
    "Interest": "Broker Interest Received",
    "Fees": "Other Fees",
}
"""CSV section -> the Flex CashTransaction ``type`` of the same rows."""

IGNORED_SECTIONS = frozenset("""
Net Asset Value|Change in NAV|Mark-to-Market Performance Summary|Open Positions
|Realized & Unrealized Performance Summary|Codes|Notes/Legal Notes|Month & Year to Date Performance Summary
|Forex Balances|Change in Dividend Accruals|Interest Accruals|Change in Position Value
|Location of Customer Assets, Positions and Money|Base Currency Exchange Rate|Net Stock Position Summary
|Transaction Fees|Corporate Actions|Transfers|Commission Adjustments|Borrow Fee Details
|Stock Yield Enhancement Program Securities Lent|Broker Interest Paid|Broker Interest Received
|Open Dividend Accruals|Complex Position Summary|Trade Confirms
""".replace("\n", "").split("|"))
"""Summaries and reconciliation tables: read past without a warning. Any other section is
reported once as not imported (localised statements rename every section)."""

ASSET_CODES = {
    "Stocks": "STK", "Equity and Index Options": "OPT", "Futures": "FUT",
    "Options On Futures": "FOP", "Futures Options": "FOP", "Forex": "CASH", "Bonds": "BOND",
    "Warrants": "WAR", "CFDs": "CFD", "Treasury Bills": "BILL", "Mutual Funds": "FUND",
    "Crypto": "CRYPTO", "Cryptocurrency": "CRYPTO", "Structured Products": "IOPT",
    "Metals": "CMDTY", "Single Stock Futures": "SSF",
}
OPTION_CODES = frozenset({"OPT", "FOP", "FSOPT", "FSFOP"})
BOOKING_CODES = frozenset({"A", "Ep", "Ex", "AEx", "MEx"})
"""Code letters of rows that Flex reports as ``BookTrade`` (assignment, expiry, exercise)."""

# Column aliases seen across statement vintages (first match wins).
_COL = {
    "disc": ("DataDiscriminator",),
    "asset": ("Asset Category",),
    "currency": ("Currency",),
    "account": ("Account",),
    "symbol": ("Symbol",),
    "datetime": ("Date/Time", "Date"),
    "exchange": ("Exchange",),
    "quantity": ("Quantity",),
    "price": ("T. Price", "Trade Price"),
    "cprice": ("C. Price", "Close Price"),
    "proceeds": ("Proceeds",),
    "comm": ("Comm/Fee", "Comm in USD", "Comm/Tax", "Commission"),
    "basis": ("Basis", "Cost Basis"),
    "realized": ("Realized P/L",),
    "code": ("Code",),
    "eae_type": ("Transaction Type", "Type"),
    "mark": ("Mark Price", "M. Price"),
    "date": ("Date", "Settle Date", "Date/Time"),
    "settle": ("Settle Date",),
    "description": ("Description",),
    "amount": ("Amount",),
}

_OPT_SYMBOL = re.compile(
    r"^(?P<und>\S+(?:\s\S+)*?)\s+(?P<d>\d{1,2})(?P<mon>[A-Z]{3})(?P<y>\d{2})\s+"
    r"(?P<strike>\d+(?:\.\d+)?)\s+(?P<pc>[PC])$")
_OCC_SYMBOL = re.compile(r"^(?P<root>[A-Z0-9.]{1,6})\s*(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})"
                         r"(?P<pc>[PC])(?P<strike>\d{8})$")
_PERIOD = re.compile(r"^(?P<a>[A-Z][a-z]+ \d{1,2}, \d{4})\s*-\s*(?P<b>[A-Z][a-z]+ \d{1,2}, \d{4})$")
_HEADER_LINE = re.compile(rb'^"?[^,\r\n<>]{1,80}"?,"?Headers?"?,')


def identify(head: bytes) -> bool:
    """True for an Activity Statement CSV: the first line is ``<Section>,Header,…``
    (``Statement,Header,Field Name,Field Value`` or ``Trades,Header,…``), BOM allowed."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return _HEADER_LINE.match(text) is not None


def parse_option_symbol(symbol: str | None):
    """``MSFT 21NOV25 410 P`` / ``CLOV 16JUL21 20.0 C`` / OCC ``V     200821C00207500``
    -> (underlying, expiry, strike, put_call), or None when the symbol is not an option."""
    if not symbol:
        return None
    s = symbol.strip()
    m = _OPT_SYMBOL.match(s)
    if m is not None:
        month = MONTHS.get(m["mon"])
        if month is None:
            return None
        try:
            expiry = date(2000 + int(m["y"]), month, int(m["d"]))
        except ValueError:
            return None
        return m["und"], expiry, _plain(Decimal(m["strike"])), m["pc"]
    m = _OCC_SYMBOL.match(s)
    if m is not None:
        try:
            expiry = date(2000 + int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
        return m["root"], expiry, _plain(Decimal(m["strike"]) / 1000), m["pc"]
    return None


def _plain(d: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent form (``20.0`` -> ``20``, never
    ``2E+1``), so values compare and print like the Flex ones."""
    d = d.normalize()
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d


def _num_text(text):
    """Normalised number text for keys: ``"1,000"`` and ``1000.0`` hash alike."""
    try:
        v = _dec(text)
    except ConversionError:
        return (text or "").strip()
    return "" if v is None else format(_plain(v), "f")


def _dec(text):
    if text is None:
        return None
    if "&nbsp" in text:  # HTML residue seen inside numbers of some exports
        text = text.replace("&nbsp;", "").replace("&nbsp", "")
    return to_decimal(text)


def _codes(text) -> list[str]:
    v = to_text(text)
    if not v:
        return []
    return [c.strip() for c in v.replace(",", ";").split(";") if c.strip()]


class _Keyer:
    """Stable synthetic keys: a hash of the identifying fields plus an ordinal, so two
    identical rows in one statement stay two rows and re-importing (or importing an
    overlapping statement) gives the same keys."""

    def __init__(self):
        self._seen: Counter = Counter()

    def key(self, kind: str, account: str, parts) -> str:
        base = hashlib.sha1("\x1f".join(
            [kind, account, *("" if p is None else str(p) for p in parts)]).encode()
        ).hexdigest()[:24]
        self._seen[base] += 1
        return f"{KEY_PREFIX}{base}:{self._seen[base]}"


class _Instrument:
    __slots__ = ("conid", "symbol", "description", "underlying", "multiplier", "expiry",
                 "strike", "put_call", "listing_exchange", "asset")

    def __init__(self, **kw):
        for name in self.__slots__:
            setattr(self, name, kw.get(name))


class ActivityCsvParser:
    """Parses one Activity Statement CSV. ``parse()`` is a generator whose last event is a
    :class:`ParseSummary`; errors raise :class:`StatementError` (file, line, section)."""

    def __init__(self, path: str | Path, *, date_order: str | None = None, progress=None,
                 account: str | None = None):
        self.path = str(path)
        self.progress = progress
        self.date_style = DateStyle(date_order)  # CSV dates are ISO; slash dates if asked
        self.counts: Counter = Counter()
        self.warnings: dict[str, None] = {}
        self._keyer = _Keyer()
        self.account = account
        self.base_currency: str | None = None
        self.period: tuple = (None, None, None)
        self.when_generated: datetime | None = None
        self.instruments: dict[str, _Instrument] = {}
        self._multipliers: dict[str, Decimal] = {}

    def _warn(self, message: str) -> None:
        self.warnings.setdefault(message, None)

    # -- reading -------------------------------------------------------------------------
    def _rows(self, progress=None) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) for every CSV record; the BOM is dropped by utf-8-sig."""
        try:
            fh = open(self.path, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise StatementError(self.path, f"cannot read file: {exc.strerror}") from exc
        with fh:
            reader = csv.reader(fh)
            line = 1
            try:
                for fields in reader:
                    if progress is not None:  # characters approximate bytes well enough
                        progress(sum(map(len, fields)) + len(fields) + 1)
                    yield line, fields
                    line = reader.line_num + 1
            except UnicodeDecodeError as exc:
                raise StatementError(self.path, "not UTF-8 text; export the statement again "
                                                "as CSV", line) from exc
            except csv.Error as exc:
                raise StatementError(self.path, f"not valid CSV: {exc}", line) from exc

    def _tables(self, progress=None, counts=None):
        """(line, section, row type, columns dict) for every Data row, headers re-bound at
        each Header row. Yields Header rows too (columns None) so callers can count them.
        ``counts`` receives the rows skipped here (only the second pass passes it)."""
        headers: dict[str, list[str]] = {}
        counts = Counter() if counts is None else counts
        for line, fields in self._rows(progress):
            if not fields or not any(f.strip() for f in fields):
                continue
            for f in fields:
                if len(f) > MAX_FIELD_CHARS:
                    raise StatementError(self.path, f"a field of {len(f):,} characters; not a "
                                                    "real IB statement", line)
            section = fields[0].strip()
            kind = fields[1].strip() if len(fields) > 1 else ""
            if kind not in ROW_TYPES:
                counts["skipped_stray_lines"] += 1
                continue
            values = fields[2:]
            while values and values[-1] == "":  # spreadsheet padding
                values.pop()
            if kind in ("Header", "Headers"):
                headers[section] = [v.strip() for v in values]
                yield line, section, "Header", None
                continue
            if kind != "Data":
                counts["skipped_totals"] += 1
                continue
            header = headers.get(section)
            if header is None:
                raise StatementError(self.path, f"[{section}] Data row before any Header row "
                                                "of that section", line)
            if len(values) > len(header):
                raise StatementError(
                    self.path, f"[{section}] row has {len(values)} fields but the section's "
                               f"Header has {len(header)}", line)
            yield line, section, "Data", dict(zip(header, values))

    # -- first pass ----------------------------------------------------------------------
    def _prescan(self) -> None:
        accounts: set[str] = set()
        for line, section, kind, cols in self._tables():
            if kind != "Data":
                continue
            if section == "Account Information":
                name, value = _field_pair(cols)
                if name == "Account" and value and self.account is None:
                    self.account = value.split()[0]
                elif name == "Base Currency" and value:
                    self.base_currency = value.strip()
            elif section == "Statement":
                name, value = _field_pair(cols)
                if name == "Period" and value:
                    self.period = self._period(value, line)
                elif name == "WhenGenerated" and value:
                    try:
                        self.when_generated, _zone = self.date_style.datetime(value)
                    except ConversionError as exc:
                        raise StatementError(self.path, f"[Statement] WhenGenerated: {exc}",
                                             line) from exc
            elif section == FII:
                self._instrument(cols, line)
            elif section == TRADES:
                acc = to_text(_get(cols, "account"))
                if acc:
                    accounts.add(acc)
        if self.account is None:
            if len(accounts) == 1:
                self.account = accounts.pop()
            else:
                m = re.match(r"^(U\d{5,9}|DU\d{5,9})_", Path(self.path).name)
                if m:
                    self.account = m[1]
        if self.account is None:
            self._warn(f"no account id in the file (no Account Information section); rows "
                       f"without an Account column are stored under account "
                       f"{UNKNOWN_ACCOUNT!r}")

    def _period(self, text, line):
        m = _PERIOD.match(text.strip())
        if m is None:  # a one-day statement reads "September 19, 2025"
            try:
                d = datetime.strptime(text.strip(), "%B %d, %Y").date()
                return d, d, None
            except ValueError:
                self._warn(f"statement period {text!r} not understood (kept out of the batch)")
                return None, None, None
        try:
            a = datetime.strptime(m["a"], "%B %d, %Y").date()
            b = datetime.strptime(m["b"], "%B %d, %Y").date()
        except ValueError:
            self._warn(f"statement period {text!r} not understood")
            return None, None, None
        return a, b, None

    def _instrument(self, cols, line) -> None:
        symbol = to_text(_get(cols, "symbol"))
        if not symbol:
            return
        try:
            strike = _dec(cols.get("Strike"))
            mult = _dec(cols.get("Multiplier"))
            expiry = self.date_style.date(cols.get("Expiry"))
        except ConversionError as exc:
            raise StatementError(self.path, f"[{FII}] {exc}", line) from exc
        if strike is not None:
            strike = _plain(strike)
        asset = ASSET_CODES.get((cols.get("Asset Category") or "").strip())
        desc = to_text(cols.get("Description"))
        parsed = parse_option_symbol(desc) or parse_option_symbol(symbol)
        put_call = None
        underlying = to_text(cols.get("Underlying"))
        if parsed is not None:
            underlying = underlying or parsed[0]
            expiry = expiry or parsed[1]
            strike = strike if strike is not None else parsed[2]
            put_call = parsed[3]
        inst = _Instrument(conid=to_text(cols.get("Conid")), symbol=symbol, description=desc,
                           underlying=underlying, multiplier=mult, expiry=expiry,
                           strike=strike, put_call=put_call,
                           listing_exchange=to_text(cols.get("Listing Exch")), asset=asset)
        # Trades name an option by its description form and a stock by its symbol; index
        # both so either spelling finds the contract.
        for name in {symbol, desc} - {None}:
            if len(self.instruments) < 200_000:
                self.instruments.setdefault(name.strip(), inst)

    # -- second pass ---------------------------------------------------------------------
    def parse(self) -> Iterator:
        self._prescan()
        account = self.account or UNKNOWN_ACCOUNT
        src = SourceRef(self.path, 1)
        pfrom, pto, period = self.period
        if self.account is not None:
            yield StatementStart(account, pfrom, pto, period, self.when_generated, src)
            warning = incomplete_day_warning(pto, self.when_generated)
            if warning:
                self._warn(warning)
            yield AccountInfo(account, None, self.base_currency, src)
        self.counts["statements"] = 1
        unknown: set[str] = set()
        closing = None  # the last Trade row: the fill the ClosedLot rows after it belong to
        cash_report: dict = {}  # "Starting Cash"/"Ending Cash" of the base-currency summary
        for line, section, kind, cols in self._tables(self.progress, self.counts):
            if kind == "Header":
                continue
            try:
                if section == TRADES:
                    disc = (cols.get("DataDiscriminator") or "Trade").strip()
                    if disc == "Trade":
                        self.counts["trades"] += 1
                        closing = self._trade(cols, account, line)
                        yield closing
                    elif disc == "ClosedLot" and closing is not None:
                        self.counts["closed_lots"] += 1
                        yield self._closed_lot(cols, closing, line)
                    else:
                        self.counts[f"skipped_{disc}"] += 1
                elif section == EAE:
                    if _is_total(cols):
                        continue
                    self.counts["option_events"] += 1
                    yield self._eae(cols, account, line)
                elif section in CASH_SECTIONS:
                    if _is_total(cols):
                        self.counts["skipped_totals"] += 1
                        continue
                    row = self._cash(section, cols, account, line)
                    if row is not None:
                        self.counts["cash_transactions"] += 1
                        yield row
                elif section == CASH_REPORT:
                    what = (cols.get("Currency Summary") or "").strip()
                    if what in ("Starting Cash", "Ending Cash") and \
                            (cols.get("Currency") or "").strip() == "Base Currency Summary":
                        cash_report[what] = (_dec(cols.get("Total")), line)
                elif section in (FII, "Statement", "Account Information"):
                    continue
                elif section not in IGNORED_SECTIONS and section not in unknown:
                    unknown.add(section)
                    self._warn(f"section {section!r} is not imported")
            except ConversionError as exc:
                raise StatementError(self.path, f"[{section}] {exc}", line) from exc
        if cash_report and self.account is not None and pfrom and pto:
            self.counts["cash_balances"] += 1
            start, line = cash_report.get("Starting Cash", (None, 1))
            end, _line = cash_report.get("Ending Cash", (None, line))
            yield CashBalanceRow(account, balance_key(pfrom, pto), pfrom, pto, start, end,
                                 {"section": CASH_REPORT, "starting": str(start),
                                  "ending": str(end)}, SourceRef(self.path, line))
        if self.counts["trades"] == 0 and not self.counts["cash_transactions"]:
            self._warn("the file holds no Trade rows and no cash rows")
        yield ParseSummary(FORMAT, dict(self.counts), tuple(self.warnings), SourceRef(self.path))

    def _contract(self, asset: str | None, symbol: str | None):
        """(symbol, description, conid, underlying, put_call, strike, expiry, multiplier,
        listing exchange) in Flex's layout: an option's symbol is the OCC form when the
        statement's instrument table gives it, and its description reads like the CSV
        symbol (``MSFT 21NOV25 410 P``)."""
        inst = self.instruments.get(symbol or "")
        if asset in OPTION_CODES:
            und, expiry, strike, put_call = parse_option_symbol(symbol) or (None,) * 4
            if inst is None:
                return symbol, symbol, None, und, put_call, strike, expiry, None, None
            return (inst.symbol or symbol, symbol, inst.conid, inst.underlying or und,
                    inst.put_call or put_call, inst.strike if inst.strike is not None else strike,
                    inst.expiry or expiry, inst.multiplier, inst.listing_exchange)
        stock = asset == "STK"
        if inst is None:
            return (symbol, None, None, symbol if stock else None, None, None, None,
                    Decimal(1) if stock else None, None)
        return (symbol, inst.description, inst.conid, inst.underlying or (symbol if stock else None),
                None, None, None, inst.multiplier or (Decimal(1) if stock else None),
                inst.listing_exchange)

    def _trade(self, cols, account, line) -> TradeRow:
        label = (_get(cols, "asset") or "").strip()
        asset = ASSET_CODES.get(label)
        if asset is None and label:
            asset = label
            self._warn(f"unknown asset category {label!r} (kept as is)")
        row_account = to_text(_get(cols, "account")) or account
        sym_text = (_get(cols, "symbol") or "").strip() or None
        currency = to_text(_get(cols, "currency"))
        when, zone = self.date_style.datetime(_get(cols, "datetime"))
        quantity = _dec(_get(cols, "quantity"))
        if quantity is None:
            raise StatementError(self.path, f"[{TRADES}] Trade row without a Quantity", line)
        price = _dec(_get(cols, "price"))
        proceeds = _dec(_get(cols, "proceeds"))
        comm = _dec(_get(cols, "comm"))
        basis = _dec(_get(cols, "basis"))
        realized = _dec(_get(cols, "realized"))
        close_price = _dec(_get(cols, "cprice"))
        codes = _codes(_get(cols, "code"))
        (symbol, desc, conid, und, put_call, strike, expiry, mult,
         listing) = self._contract(asset, sym_text)
        if mult is None:
            mult = self._multiplier(sym_text, asset, quantity, price, proceeds)
        oc = [c for c in codes if c in ("O", "C")]
        open_close = ";".join(sorted(oc, reverse=True)) if len(oc) > 1 else (oc[0] if oc else None)
        notes = ";".join(c for c in codes if c not in ("O", "C")) or None
        booking = any(c in BOOKING_CODES for c in codes)
        net_cash = None
        if proceeds is not None:
            net_cash = proceeds + (comm or 0)
        txid = self._keyer.key("trade", row_account, [
            label, sym_text, _get(cols, "datetime"), _num_text(_get(cols, "quantity")),
            _num_text(_get(cols, "price")), _num_text(_get(cols, "proceeds")),
            ";".join(codes)])
        fx = Decimal(1) if currency and currency == self.base_currency else None
        return TradeRow(
            account_id=row_account, transaction_id=txid, key_synthetic=True, trade_id=None,
            ib_order_id=None, ib_exec_id=None, asset_category=asset, symbol=symbol,
            description=desc, conid=conid, underlying_symbol=und, underlying_conid=None,
            put_call=put_call, strike=strike, expiry=expiry, multiplier=mult, currency=currency,
            listing_exchange=listing, fx_rate_to_base=fx,
            trade_date=when.date() if when else None, date_time=when, time_zone=zone,
            report_date=None, settle_date=None,
            buy_sell="BUY" if quantity > 0 else "SELL", open_close=open_close,
            quantity=quantity, trade_price=price,
            trade_money=-proceeds if proceeds is not None else None, proceeds=proceeds,
            commission=comm, commission_currency=currency if comm is not None else None,
            taxes=None, net_cash=net_cash, cost=basis, fifo_pnl_realized=realized,
            close_price=close_price, notes=notes,
            transaction_type="BookTrade" if booking else "ExchTrade",
            exchange=to_text(_get(cols, "exchange")), order_type=None, position_action_id=None,
            orig_transaction_id=None, orig_trade_id=None, orig_trade_date=None,
            orig_trade_price=None, orig_order_id=None, related_trade_id=None,
            related_transaction_id=None, raw={"section": TRADES, **cols},
            source=SourceRef(self.path, line))

    def _closed_lot(self, cols, closing: TradeRow, line) -> ClosedLotRow:
        opened, _zone = self.date_style.datetime(_get(cols, "datetime"))  # the opening date
        key = self._keyer.key("lot", closing.account_id, [
            closing.transaction_id, _get(cols, "symbol"), _get(cols, "datetime"),
            _num_text(_get(cols, "quantity")), _num_text(_get(cols, "basis"))])
        return ClosedLotRow(
            account_id=closing.account_id, lot_key=key, conid=closing.conid,
            symbol=closing.symbol, open_transaction_id=None, open_date_time=opened,
            close_date_time=closing.date_time, trade_date=closing.trade_date,
            quantity=_dec(_get(cols, "quantity")), cost=_dec(_get(cols, "basis")),
            fifo_pnl_realized=_dec(_get(cols, "realized")),
            notes=";".join(_codes(_get(cols, "code"))) or None,
            raw={"section": TRADES, **cols}, source=SourceRef(self.path, line))

    def _multiplier(self, symbol, asset, quantity, price, proceeds):
        """Without Financial Instrument Information: |proceeds| / (|qty| × price) of this
        or an earlier fill of the contract; 100 for an equity option as a last resort."""
        if price and quantity and proceeds:
            m = (abs(proceeds) / (abs(quantity) * price))
            if m == m.to_integral_value() and m > 0:
                m = _plain(m)
                self._multipliers[symbol or ""] = m
                return m
        if symbol in self._multipliers:
            return self._multipliers[symbol]
        if asset == "OPT":
            self._warn(f"multiplier of {symbol} assumed to be 100 (the statement has no "
                       "Financial Instrument Information and no priced fill of it)")
            return Decimal(100)
        return None

    def _eae(self, cols, account, line) -> OptionEAERow:
        label = (_get(cols, "asset") or "").strip()
        asset = ASSET_CODES.get(label, label or None)
        row_account = to_text(_get(cols, "account")) or account
        sym_text = (_get(cols, "symbol") or "").strip() or None
        currency = to_text(_get(cols, "currency"))
        when, _zone = self.date_style.datetime(_get(cols, "datetime"))
        ttype = to_text(_get(cols, "eae_type"))
        if ttype and ttype.endswith("s") and ttype[:-1] in (
                "Assignment", "Exercise", "Expiration"):
            ttype = ttype[:-1]  # the CSV groups rows under plural headings
        (symbol, desc, conid, und, put_call, strike, expiry, mult,
         listing) = self._contract(asset, sym_text)
        quantity = _dec(_get(cols, "quantity"))
        key = self._keyer.key("eae", row_account, [
            label, sym_text, _get(cols, "datetime"), ttype,
            _num_text(_get(cols, "quantity")), _num_text(_get(cols, "price"))])
        return OptionEAERow(
            account_id=row_account, event_key=key, transaction_type=ttype,
            event_date=when.date() if when else None, asset_category=asset, symbol=symbol,
            description=desc, conid=conid, underlying_symbol=und, underlying_conid=None,
            put_call=put_call, strike=strike, expiry=expiry, multiplier=mult, currency=currency,
            listing_exchange=listing,
            fx_rate_to_base=Decimal(1) if currency and currency == self.base_currency else None,
            quantity=quantity, trade_price=_dec(_get(cols, "price")),
            mark_price=_dec(_get(cols, "mark")), proceeds=_dec(_get(cols, "proceeds")),
            commissions_and_tax=_dec(_get(cols, "comm")), cost_basis=_dec(_get(cols, "basis")),
            realized_pnl=_dec(_get(cols, "realized")), trade_id=None, related_trade_id=None,
            orig_transaction_id=None, related_transaction_id=None,
            raw={"section": EAE, **cols}, source=SourceRef(self.path, line))

    def _cash(self, section, cols, account, line) -> CashRow | None:
        amount = _dec(_get(cols, "amount"))
        if amount is None:
            return None
        row_account = to_text(_get(cols, "account")) or account
        currency = to_text(_get(cols, "currency"))
        day = self.date_style.date(_get(cols, "date")) if _get(cols, "date") else None
        settle = self.date_style.date(_get(cols, "settle")) if _get(cols, "settle") else None
        desc = to_text(_get(cols, "description"))
        ctype = CASH_SECTIONS[section]
        if section == "Interest" and amount < 0:
            ctype = "Broker Interest Paid"
        elif section == "Dividends" and desc and "in lieu" in desc.lower():
            ctype = "Payment In Lieu Of Dividends"
        symbol = None
        if section in ("Dividends", "Withholding Tax") and desc:
            m = re.match(r"^\s*([A-Za-z0-9.\- ]+?)\s*\(", desc)
            symbol = m[1] if m else None
        txid = self._keyer.key("cash", row_account, [
            section, currency, _get(cols, "date"), desc, _num_text(_get(cols, "amount")),
            cols.get("Subtitle")])
        when = datetime.combine(day, datetime.min.time()) if day else None
        inst = self.instruments.get(symbol or "") if symbol else None
        return CashRow(
            account_id=row_account, transaction_id=txid, type=ctype, date_time=when,
            report_date=day, settle_date=settle or day, amount=amount, currency=currency,
            fx_rate_to_base=Decimal(1) if currency and currency == self.base_currency else None,
            description=desc, symbol=symbol, conid=inst.conid if inst else None, action_id=None,
            code=to_text(_get(cols, "code")), raw={"section": section, **cols},
            source=SourceRef(self.path, line))


def _get(cols: dict, name: str):
    for alias in _COL[name]:
        if alias in cols:
            return cols[alias]
    return None


def _field_pair(cols: dict):
    name = (cols.get("Field Name") or "").strip()
    return name, (cols.get("Field Value") or "").strip()


def _is_total(cols: dict) -> bool:
    """Totals that IB writes as Data rows: ``Total``, ``Total in USD``, ``Total … in USD``."""
    for v in list(cols.values())[:2]:
        if v and v.strip().startswith("Total"):
            return True
    return False


def parse(path: str | Path, *, date_order: str | None = None, progress=None,
          account: str | None = None) -> Iterator:
    """Parse an Activity Statement CSV; yields events, the last one a ParseSummary."""
    return ActivityCsvParser(path, date_order=date_order, progress=progress,
                             account=account).parse()
