"""Activity Statement CSV rows -> ledger events: the row converters of
:mod:`journal.importers.activity_csv` (which reads the file and drives them).

Values are mapped onto Flex conventions here: asset labels (``Equity and Index Options``)
become codes (``OPT``), the ``O``/``C`` letters of ``Code`` become the open/close indicator
while the others (``A``, ``Ep``, ``Ex``, ``P``…) stay in ``notes``, assignment, expiry and
exercise rows are ``BookTrade`` as in Flex, and every row gets a stable synthetic key
(``csv:<hash>:<n>``) since the CSV carries no IB ids.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from journal import corpact, vocab
from journal.errors import StatementError
from journal.events import (
    CashRow,
    ClosedLotRow,
    CorporateActionRow,
    OptionEAERow,
    SourceRef,
    TradeRow,
    TransferRow,
    action_match_key,
)
from journal.importers._convert import MONTHS, ConversionError, DateStyle, to_decimal, to_text

KEY_PREFIX = "csv:"
"""Synthetic keys start with this; journal.ledger relies on it to find CSV rows."""
TRADES = "Trades"
EAE = "Option Exercises, Assignments and Expirations"
CORPORATE_ACTIONS = "Corporate Actions"
TRANSFERS = "Transfers"
CASH_SECTIONS = {
    "Deposits & Withdrawals": "Deposits/Withdrawals",
    "Dividends": "Dividends",
    "Withholding Tax": "Withholding Tax",
    "Interest": "Broker Interest Received",
    "Fees": "Other Fees",
}
"""CSV section -> the Flex CashTransaction ``type`` of the same rows."""

ASSET_CODES = {
    "Stocks": "STK", "Equity and Index Options": "OPT", "Futures": "FUT",
    "Options On Futures": "FOP", "Futures Options": "FOP", "Forex": "CASH", "Bonds": "BOND",
    "Warrants": "WAR", "CFDs": "CFD", "Treasury Bills": "BILL", "Mutual Funds": "FUND",
    "Crypto": "CRYPTO", "Cryptocurrency": "CRYPTO", "Structured Products": "IOPT",
    "Metals": "CMDTY", "Single Stock Futures": "SSF",
}
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
    "report_date": ("Report Date",),
    "value": ("Value",),
    "xfer_type": ("Type",),
    "direction": ("Direction",),
    "xfer_company": ("Xfer Company",),
    "xfer_account": ("Xfer Account",),
    "xfer_qty": ("Qty", "Quantity"),
    "xfer_price": ("Xfer Price",),
    "market_value": ("Market Value",),
    "cash_amount": ("Cash Amount",),
}

_OPT_SYMBOL = re.compile(
    r"^(?P<und>\S+(?:\s\S+)*?)\s+(?P<d>\d{1,2})(?P<mon>[A-Z]{3})(?P<y>\d{2})\s+"
    r"(?P<strike>\d+(?:\.\d+)?)\s+(?P<pc>[PC])$")
_OCC_SYMBOL = re.compile(r"^(?P<root>[A-Z0-9.]{1,6})\s*(?P<y>\d{2})(?P<m>\d{2})(?P<d>\d{2})"
                         r"(?P<pc>[PC])(?P<strike>\d{8})$")
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


@dataclass(slots=True)
class _Instrument:
    """A contract of the Financial Instrument Information section."""

    conid: str | None = None
    symbol: str | None = None
    description: str | None = None
    underlying: str | None = None
    multiplier: Decimal | None = None
    expiry: date | None = None
    strike: Decimal | None = None
    put_call: str | None = None
    listing_exchange: str | None = None
    asset: str | None = None



class ActivityRows:
    """The row converters; the parser (ActivityCsvParser) sets these attributes."""

    path: str
    date_style: DateStyle
    instruments: dict[str, _Instrument]
    base_currency: str | None
    _keyer: _Keyer
    _multipliers: dict[str, Decimal]

    def _warn(self, message: str) -> None:
        raise NotImplementedError

    def _contract(self, asset: str | None, symbol: str | None):
        """(symbol, description, conid, underlying, put_call, strike, expiry, multiplier,
        listing exchange) in Flex's layout: an option's symbol is the OCC form when the
        statement's instrument table gives it, and its description reads like the CSV
        symbol (``MSFT 21NOV25 410 P``)."""
        inst = self.instruments.get(symbol or "")
        if vocab.is_option(asset):
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
        underlying = inst.underlying or (symbol if stock else None)
        return (symbol, inst.description, inst.conid, underlying,
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
        when, _zone = self.date_style.datetime(_get(cols, "datetime"))
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
            ib_order_id=None, asset_category=asset, symbol=symbol, description=desc,
            conid=conid, underlying_symbol=und, put_call=put_call, strike=strike,
            expiry=expiry, multiplier=mult, currency=currency, listing_exchange=listing,
            fx_rate_to_base=fx, trade_date=when.date() if when else None, date_time=when,
            buy_sell="BUY" if quantity > 0 else "SELL", open_close=open_close,
            quantity=quantity, trade_price=price, proceeds=proceeds, commission=comm,
            taxes=None, net_cash=net_cash, cost=basis, fifo_pnl_realized=realized,
            close_price=close_price, notes=notes,
            transaction_type="BookTrade" if booking else "ExchTrade", position_action_id=None,
            orig_transaction_id=None, orig_trade_id=None, raw={"section": TRADES, **cols},
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

    def _action_closed_lot(self, cols, action: CorporateActionRow, line) -> ClosedLotRow:
        """A Corporate Actions ``Closed Lot:`` row: the lot opened on its Date/Time that
        the action row above relieved, its basis in the Description (``Basis: 1138``)."""
        opened, _zone = self.date_style.datetime(_get(cols, "datetime"))
        basis = _dec(_get(cols, "description").split(":", 1)[1])
        key = self._keyer.key("lot", action.account_id, [
            action.action_key, _get(cols, "datetime"), _num_text(_get(cols, "quantity")),
            format(basis, "f") if basis is not None else ""])
        return ClosedLotRow(
            account_id=action.account_id, lot_key=key, conid=action.conid,
            symbol=action.symbol, open_transaction_id=None, open_date_time=opened,
            close_date_time=action.date_time, trade_date=action.action_date,
            quantity=_dec(_get(cols, "quantity")), cost=basis,
            fifo_pnl_realized=_dec(_get(cols, "realized")),
            notes=";".join(_codes(_get(cols, "code"))) or None,
            raw={"section": CORPORATE_ACTIONS, **cols}, source=SourceRef(self.path, line))

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


class ActionRows:
    """The Corporate Actions and Transfers sections (mixed into the parser like
    :class:`ActivityRows`). The CSV names no ids: the row's own security comes from the
    description's last parentheses, its conid from Financial Instrument Information."""

    path: str
    date_style: DateStyle
    instruments: dict[str, _Instrument]
    base_currency: str | None
    _keyer: _Keyer

    def _corporate_action(self, cols, account, line) -> CorporateActionRow:
        label = (_get(cols, "asset") or "").strip()
        asset = ASSET_CODES.get(label, label or None)
        row_account = to_text(_get(cols, "account")) or account
        desc = to_text(_get(cols, "description"))
        terms = corpact.parse_description(desc)
        when, _zone = self.date_style.datetime(_get(cols, "datetime"))
        report = self.date_style.date(_get(cols, "report_date")) if _get(
            cols, "report_date") else None
        quantity = _dec(_get(cols, "quantity"))
        symbol = terms.own_symbol
        inst = self.instruments.get(symbol or "") or self.instruments.get(terms.own_name or "")
        und = put_call = strike = expiry = None
        mult = inst.multiplier if inst else None
        if vocab.is_option(asset):
            und, expiry, strike, put_call = (parse_option_symbol(terms.own_name)
                                             or parse_option_symbol(symbol) or (None,) * 4)
        elif asset == "STK":
            und, mult = symbol, mult or Decimal(1)
        code = ";".join(_codes(_get(cols, "code"))) or None
        currency = to_text(_get(cols, "currency"))
        key = self._keyer.key("ca", row_account, [
            label, _get(cols, "report_date"), _get(cols, "datetime"), desc,
            _num_text(_get(cols, "quantity")), _num_text(_get(cols, "proceeds")), code])
        proceeds = _dec(_get(cols, "proceeds"))
        return CorporateActionRow(
            row_account, key, asset, symbol, desc, inst.conid if inst else None, und, None,
            put_call, strike, expiry, mult, currency, terms.own_isin,
            Decimal(1) if currency and currency == self.base_currency else None, None, None,
            None, None, when, when.date() if when else report, report, quantity,
            -proceeds if proceeds else proceeds, proceeds, _dec(_get(cols, "value")),
            _dec(_get(cols, "realized")), code, "csv",
            action_match_key(row_account, terms.own_isin or symbol, when, quantity),
            {"section": CORPORATE_ACTIONS, **cols}, SourceRef(self.path, line))

    def _transfer(self, cols, account, line) -> TransferRow:
        label = (_get(cols, "asset") or "").strip()
        asset = ASSET_CODES.get(label, label or None)
        row_account = to_text(_get(cols, "account")) or account
        symbol = to_text(_get(cols, "symbol"))
        day = self.date_style.date(_get(cols, "date")) if _get(cols, "date") else None
        quantity = _dec(_get(cols, "xfer_qty"))
        inst = self.instruments.get(symbol or "")
        (sym, desc, conid, und, put_call, strike, expiry, mult,
         _listing) = self._contract(asset, symbol)  # type: ignore[attr-defined]
        currency = to_text(_get(cols, "currency"))
        code = ";".join(_codes(_get(cols, "code"))) or None
        key = self._keyer.key("transfer", row_account, [
            label, symbol, _get(cols, "date"), _get(cols, "xfer_type"), _get(cols, "direction"),
            _get(cols, "xfer_account"), _num_text(_get(cols, "xfer_qty")),
            _num_text(_get(cols, "market_value")), code])
        isin = None
        return TransferRow(
            row_account, key, asset, sym, desc or (inst.description if inst else None), conid,
            und, put_call, strike, expiry, mult, currency, isin,
            Decimal(1) if currency and currency == self.base_currency else None,
            vocab.transfer_type(_get(cols, "xfer_type")),
            (to_text(_get(cols, "direction")) or "").upper() or None, None, day, day, quantity,
            _dec(_get(cols, "xfer_price")), _dec(_get(cols, "market_value")),
            _dec(_get(cols, "realized")), _dec(_get(cols, "cash_amount")),
            to_text(_get(cols, "xfer_account")), None, to_text(_get(cols, "xfer_company")),
            None, code, "csv", action_match_key(row_account, symbol, day, quantity),
            {"section": TRANSFERS, **cols}, SourceRef(self.path, line))


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
    return any(v and v.strip().startswith("Total") for v in list(cols.values())[:2])
