"""IB Flex Query XML (Activity Flex) -> ledger events. Parses only: no database access.

Expected query settings: an Activity Flex query with Trades at **Executions** level
(Orders, Symbol Summary, Asset Class and Closed Lots may be ticked: those rows are
recognised and not counted as trades), Option Exercises/Assignments/Expirations, Cash
Transactions at **Detail** level, and optionally Open Positions. Any date format, time
format and date/time separator that IB offers is accepted.

Quirks handled (ib_formats.md): unknown attributes, sections and code letters (kept,
reported once each); ``MULTI``/``--``/empty as no value; thousands separators; ``-0``; a
BOM; CRLF; several FlexStatements (accounts) in one file; time-zone suffixes (``EDT``);
IB's error envelope (``FlexStatementResponse``) delivered instead of a statement;
trimmed queries without ``transactionID`` (a stable key is derived, see ``_Keyer``).

Why pyexpat and not ElementTree.iterparse: iterparse builds an Element for every node and
cannot refuse a DOCTYPE, while defusedxml's iterparse swaps in a pure-Python parser that
is several times slower. Expat's start-element callback hands over each row's attributes
as a dict, which is all a Flex row is (data lives entirely in attributes), and gives the
line number for error messages. Feeding it fixed-size chunks keeps memory flat.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Iterator
from xml.parsers import expat

from journal.coverage import incomplete_day_warning
from journal.errors import StatementError, quote
from journal.events import (
    AccountInfo, CashBalanceRow, CashRow, ClosedLotRow, KnownRow, OpenPositionRow, OptionEAERow,
    ParseSummary, SourceRef, StatementStart, TradeRow, balance_key,
)
from journal.importers._convert import (
    ConversionError, DateStyle, detect_slash_order, to_decimal, to_text,
)

FORMAT = "flex-xml"
CHUNK = 1 << 16
MAX_ATTRIBUTE_CHARS = 10_000
"""No real Flex attribute comes near this; a longer one is a corrupt or hostile file."""

#### VOCABULARY ####

KNOWN_SECTIONS = frozenset("""
AccountInformation CFDCharges CashReport CashTransactions ChangeInDividendAccruals
ChangeInNAV ChangeInPositionValues ClientFees ClientFeesDetail ComplexPositions
ConversionRates CorporateActions DebitCardActivities DepositsOnHold EquitySummaryInBase
FIFOPerformanceSummaryInBase FdicInsuredDepositsByBank FxPositions FxTransactions
GrantActivities HKIPOOpenSubscriptions HKIPOSubscriptionActivity HardToBorrowDetails
IBGNoteTransactions IncentiveCouponAccrualDetails InterestAccruals InterestDetails
LowBalanceFees MTDYTDPerformanceSummary MTMPerformanceSummaryInBase
NetStockPositionSummary OpenDividendAccruals OpenPositions OptionEAE PendingExcercises
PendingExercises PriorPeriodPositions RoutingCommissions SLBActivities SLBCollaterals
SLBFees SLBOpenContracts SalesTaxes SecuritiesInfo SoftDollars StmtFunds TierInterestDetails
TradeConfirms TradeTransfers Trades TransactionTaxes Transfers UnbookedTrades
UnbundledCommissionDetails UnsettledTransfers
""".split())
"""Sections of an Activity Flex statement (ibflex Types.FlexStatement and the samples).
A section not listed here is reported once as unknown and skipped."""

_CONTRACT_ATTRS = """
accountId acctAlias model currency fxRateToBase assetCategory subCategory symbol description
conid securityID securityIDType cusip isin figi listingExchange underlyingConid
underlyingSymbol underlyingSecurityID underlyingListingExchange issuer issuerCountryCode
multiplier strike expiry putCall principalAdjustFactor serialNumber deliveryType
commodityType fineness weight underlyingCategory
"""

KNOWN_ATTRIBUTES = {
    "Trade": frozenset((_CONTRACT_ATTRS + """
    tradeID reportDate dateTime tradeDate tradeTime settleDateTarget transactionType exchange
    quantity tradePrice tradeMoney proceeds taxes ibCommission ibCommissionCurrency netCash
    netCashInBase closePrice openCloseIndicator notes cost fifoPnlRealized capitalGainsPnl
    fxPnl mtmPnl origTradePrice origTradeDate origTradeID origOrderID origTransactionID
    clearingFirmID transactionID buySell ibOrderID ibExecID brokerageOrderID orderReference
    volatilityOrderLink exchOrderId extExecID orderTime openDateTime holdingPeriodDateTime
    whenRealized whenReopened levelOfDetail changeInPrice changeInQuantity orderType traderID
    isAPIOrder accruedInt positionActionID relatedTradeID relatedTransactionID rtn
    initialInvestment orderPlacementTime rfqID
    """).split()),
    "OptionEAE": frozenset((_CONTRACT_ATTRS + """
    date transactionType quantity tradePrice markPrice proceeds commisionsAndTax
    commissionsAndTax costBasis realizedPnl capitalGainsPnl fxPnl mtmPnl tradeID
    relatedTradeID origTransactionID relatedTransactionID levelOfDetail
    """).split()),
    "CashTransaction": frozenset((_CONTRACT_ATTRS + """
    type dateTime reportDate settleDate availableForTradingDate exDate amount description
    transactionID actionID tradeID code clientReference levelOfDetail
    """).split()),
    "OpenPosition": frozenset((_CONTRACT_ATTRS + """
    reportDate position markPrice positionValue openPrice costBasisPrice costBasisMoney
    percentOfNAV fifoPnlUnrealized side levelOfDetail openDateTime holdingPeriodDateTime
    vestingDate code originatingOrderID originatingTransactionID accruedInt
    """).split()),
}

KNOWN_CODES = frozenset("""
A ADR AEx AFx Adj Al Aw B Bo C Ca CD CP Co Cx D ETF Ep Ex FP FPA G GEA HC HFI HFR I IA IM INV
IPO L LD LF LI LT M MEx MEx ML MLG MLL MSG MSL O P PI Po Pr R RED RI RP Re SI SL SO SS ST
SY T
""".split())
"""IB's code letters (ibflex enums.Code plus IM seen in a real CSV legend). Open set:
unknown letters are kept and reported, never fatal."""

KNOWN_TRANSACTION_TYPES = frozenset(
    "ExchTrade BookTrade TradeCancel TradeCorrect FracShare FracShareCancel DvpTrade "
    "FracShareCorrect".split())
KNOWN_BUY_SELL = frozenset({"BUY", "SELL", "BUY (Ca.)", "SELL (Ca.)"})
KNOWN_ASSET_CATEGORIES = frozenset(
    "STK OPT FOP FUT CASH BOND WAR FSFOP FSOPT IOPT CFD FUND CRYPTO CMDTY BILL FXCFD IND "
    "EC".split())
KNOWN_ORDER_TYPES = frozenset(
    "LMT MKT STP STPLMT TRAIL TRAILLMT MOC LOC MIDPX REL LIT MIT PEGMID PEGMKT SNAPMID "
    "SNAPMKT SNAPPRIM VWAP TWAP ADAPTIVE".split())
KNOWN_EAE_TYPES = frozenset(
    {"Assignment", "Exercise", "Expiration", "Buy", "Sell", "Cash Settlement"})

#### FIELD MAPS ####

# (event field, IB attribute, kind). "dt" fills two fields: the datetime and its zone.
_CONTRACT_SPEC = (
    ("asset_category", "assetCategory", "text"),
    ("symbol", "symbol", "raw"),  # whitespace inside OCC symbols is significant
    ("description", "description", "text"),
    ("conid", "conid", "text"),
    ("underlying_symbol", "underlyingSymbol", "text"),
    ("underlying_conid", "underlyingConid", "text"),
    ("put_call", "putCall", "text"),
    ("strike", "strike", "dec"),
    ("expiry", "expiry", "date"),
    ("multiplier", "multiplier", "dec"),
    ("currency", "currency", "text"),
    ("listing_exchange", "listingExchange", "text"),
)

TRADE_SPEC = (
    ("trade_id", "tradeID", "text"),
    ("ib_order_id", "ibOrderID", "text"),
    ("ib_exec_id", "ibExecID", "text"),
    *_CONTRACT_SPEC,
    ("fx_rate_to_base", "fxRateToBase", "dec"),
    ("trade_date", "tradeDate", "date"),
    ("date_time", "dateTime", "dt"),
    ("report_date", "reportDate", "date"),
    ("settle_date", "settleDateTarget", "date"),
    ("buy_sell", "buySell", "text"),
    ("open_close", "openCloseIndicator", "text"),
    ("quantity", "quantity", "dec"),
    ("trade_price", "tradePrice", "dec"),
    ("trade_money", "tradeMoney", "dec"),
    ("proceeds", "proceeds", "dec"),
    ("commission", "ibCommission", "dec"),
    ("commission_currency", "ibCommissionCurrency", "text"),
    ("taxes", "taxes", "dec"),
    ("net_cash", "netCash", "dec"),
    ("cost", "cost", "dec"),
    ("fifo_pnl_realized", "fifoPnlRealized", "dec"),
    ("close_price", "closePrice", "dec"),
    ("notes", "notes", "codes"),
    ("transaction_type", "transactionType", "text"),
    ("exchange", "exchange", "text"),
    ("order_type", "orderType", "text"),
    ("position_action_id", "positionActionID", "text"),
    ("orig_transaction_id", "origTransactionID", "id"),
    ("orig_trade_id", "origTradeID", "id"),
    ("orig_trade_date", "origTradeDate", "date"),
    ("orig_trade_price", "origTradePrice", "dec"),
    ("orig_order_id", "origOrderID", "id"),
    ("related_trade_id", "relatedTradeID", "text"),
    ("related_transaction_id", "relatedTransactionID", "text"),
)

EAE_SPEC = (
    ("transaction_type", "transactionType", "text"),
    ("event_date", "date", "date"),
    *_CONTRACT_SPEC,
    ("fx_rate_to_base", "fxRateToBase", "dec"),
    ("quantity", "quantity", "dec"),
    ("trade_price", "tradePrice", "dec"),
    ("mark_price", "markPrice", "dec"),
    ("proceeds", "proceeds", "dec"),
    ("commissions_and_tax", "commisionsAndTax", "dec"),  # sic: IB's spelling
    ("cost_basis", "costBasis", "dec"),
    ("realized_pnl", "realizedPnl", "dec"),
    ("trade_id", "tradeID", "text"),
    ("related_trade_id", "relatedTradeID", "text"),
    ("orig_transaction_id", "origTransactionID", "id"),
    ("related_transaction_id", "relatedTransactionID", "text"),
)

CASH_SPEC = (
    ("type", "type", "text"),
    ("date_time", "dateTime", "dt"),
    ("report_date", "reportDate", "date"),
    ("settle_date", "settleDate", "date"),
    ("amount", "amount", "dec"),
    ("currency", "currency", "text"),
    ("fx_rate_to_base", "fxRateToBase", "dec"),
    ("description", "description", "text"),
    ("symbol", "symbol", "text"),
    ("conid", "conid", "text"),
    ("action_id", "actionID", "text"),
    ("code", "code", "codes"),
)

POSITION_SPEC = (
    ("report_date", "reportDate", "date"),
    ("level_of_detail", "levelOfDetail", "text"),
    *_CONTRACT_SPEC,
    ("position", "position", "dec"),
    ("mark_price", "markPrice", "dec"),
    ("position_value", "positionValue", "dec"),
    ("cost_basis_money", "costBasisMoney", "dec"),
    ("open_date_time", "openDateTime", "dt"),
    ("originating_transaction_id", "originatingTransactionID", "text"),
)

LOT_SPEC = (
    ("conid", "conid", "text"),
    ("symbol", "symbol", "raw"),
    ("open_transaction_id", "transactionID", "text"),
    ("open_date_time", "openDateTime", "dt"),
    ("close_date_time", "dateTime", "dt"),
    ("trade_date", "tradeDate", "date"),
    ("quantity", "quantity", "dec"),
    ("cost", "cost", "dec"),
    ("fifo_pnl_realized", "fifoPnlRealized", "dec"),
    ("notes", "notes", "codes"),
)

BALANCE_SPEC = (
    ("from_date", "fromDate", "date"),
    ("to_date", "toDate", "date"),
    ("starting_cash", "startingCash", "dec"),
    ("ending_cash", "endingCash", "dec"),
)

# Attributes that identify a Trade row when the query left out transactionID.
_TRADE_IDENTITY = ("conid", "symbol", "dateTime", "tradeDate", "tradeTime", "buySell",
                   "quantity", "tradePrice", "transactionType", "notes", "tradeID",
                   "ibExecID", "ibOrderID", "openCloseIndicator", "proceeds")


def _null_id(text):
    """Reference ids: IB writes 0 or empty for 'no original'."""
    v = to_text(text)
    return None if v in (None, "0") else v


def _raw(text):
    if text is None:
        return None
    return None if text.strip() in ("", "--", "MULTI", "N/A") else text


def _eae_id_key(attrs) -> str | None:
    """OptionEAE key from IB's ids (ib_formats.md §1.9), when the row has a tradeID."""
    if not attrs.get("tradeID"):
        return None
    parts = [attrs.get("tradeID"), attrs.get("transactionType"), attrs.get("conid")]
    return "t:" + "|".join(p or "" for p in parts)


class _Keyer:
    """Stable keys for rows that lack an IB id: a hash of identifying attributes plus an
    ordinal, so two genuinely identical fills in one statement stay two rows and a
    re-import of the same statement gives the same keys."""

    def __init__(self):
        self._seen: Counter = Counter()

    def key(self, kind: str, account: str, parts) -> str:
        base = hashlib.sha1(
            "\x1f".join([kind, account, *("" if p is None else p for p in parts)]).encode()
        ).hexdigest()[:24]
        self._seen[base] += 1
        return f"k:{base}:{self._seen[base]}"


_COMPILED: dict = {}


def _compiled(spec):
    """A converter made for one field map: one straight-line function per row kind instead
    of a loop that dispatches on the kind of every attribute of every row (the loop was
    the largest cost of an import)."""
    fn = _COMPILED.get(id(spec))
    if fn is not None:
        return fn
    exprs = []
    for _field, attr, kind in spec:
        get = f"a.get({attr!r})"
        exprs.append({
            "text": f"to_text({get})", "dec": f"to_decimal({get})", "date": f"date({get})",
            "dt": f"*datetime({get})", "codes": f"codes({get})", "id": f"_null_id({get})",
            "raw": f"_raw({get})",
        }[kind])
    src = "def convert(a, date, datetime, codes):\n    return [" + ", ".join(exprs) + "]\n"
    namespace = {"to_text": to_text, "to_decimal": to_decimal, "_null_id": _null_id,
                 "_raw": _raw}
    exec(compile(src, f"<flex converter {len(spec)} fields>", "exec"), namespace)  # noqa: S102
    fn = _COMPILED[id(spec)] = namespace["convert"]
    return fn


#### PARSER ####


def identify(head: bytes) -> bool:
    """True if the file's first bytes look like XML (Flex or an IB error envelope)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"<")


class FlexParser:
    """Parses one Flex XML file into events. ``parse()`` is a generator; the last event is
    a :class:`ParseSummary`. Errors raise :class:`StatementError` naming file and line."""

    def __init__(self, path: str | Path, *, date_order: str | None = None, progress=None,
                 known=None):
        self.path = str(path)
        self.known = known  # KnownKeys: rows the ledger already holds come as KnownRow
        self.progress = progress  # called with the byte count of each chunk read
        self.date_style = DateStyle(date_order, resolve_slash_order=self._detect_slash_order)
        self.counts: Counter = Counter()
        self.warnings: dict[str, None] = {}  # ordered set: each warning once
        self._keyer = _Keyer()

    # -- helpers -------------------------------------------------------------------------
    def _warn(self, message: str) -> None:
        self.warnings.setdefault(message, None)

    def _detect_slash_order(self) -> str:
        def chunks():
            with open(self.path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

        order = detect_slash_order(chunks())
        if order is None:
            raise ConversionError(
                "dates like 03/04/2025 could be MM/dd/yyyy or dd/MM/yyyy and no date in the "
                "file decides it; set the Flex query's General Configuration > Date Format "
                "to yyyyMMdd or yyyy-MM-dd (or pass --date-order MDY|DMY)")
        return order

    def _convert(self, spec, attrs, tag, line) -> list:
        try:
            return _compiled(spec)(attrs, self.date_style.date, self.date_style.datetime,
                                   self._codes)
        except ConversionError:
            pass
        # Error path only: convert field by field again to name the attribute at fault.
        style = self.date_style
        for _field, attr, kind in spec:
            value = attrs.get(attr)
            try:
                if kind == "dec":
                    to_decimal(value)
                elif kind == "date":
                    style.date(value)
                elif kind == "dt":
                    style.datetime(value)
            except ConversionError as exc:
                raise StatementError(self.path, f"<{tag} {attr}=…>: {exc}", line) from exc
        raise StatementError(self.path, f"<{tag}>: cannot convert the row", line)

    def _codes(self, text):
        v = to_text(text)
        if v is None:
            return None
        for code in v.replace(",", ";").split(";"):
            code = code.strip()
            if code and code not in KNOWN_CODES:
                self._warn(f"unknown code {code!r} (kept as is)")
        return v.rstrip(";") or None

    def _check_vocab(self, attrs, tag):
        known = KNOWN_ATTRIBUTES.get(tag)
        if known is not None and not known.issuperset(attrs):  # C-speed common case
            for name in attrs:
                if name not in known:
                    self._warn(f"unknown attribute {name!r} on <{tag}> (kept in raw)")
        for attr, vocab, label in _VOCAB_CHECKS.get(tag, ()):
            v = attrs.get(attr)
            if v and v not in vocab:
                self._warn(f"unknown {label} {v!r} (kept as is)")

    # -- rows ----------------------------------------------------------------------------
    def _trade(self, attrs, account, line) -> TradeRow:
        self._check_vocab(attrs, "Trade")
        values = self._convert(TRADE_SPEC, attrs, "Trade", line)
        if values[TRADE_DATE_TIME] is None and attrs.get("tradeTime"):
            # older layouts: tradeDate and tradeTime in separate attributes
            try:
                dt, zone = self.date_style.datetime(
                    f"{attrs.get('tradeDate', '')};{attrs['tradeTime']}")
            except ConversionError as exc:
                raise StatementError(self.path, f"<Trade tradeDate/tradeTime=…>: {exc}",
                                     line) from exc
            values[TRADE_DATE_TIME], values[TRADE_DATE_TIME + 1] = dt, zone
        if values[TRADE_DATE] is None and values[TRADE_DATE_TIME] is not None:
            values[TRADE_DATE] = values[TRADE_DATE_TIME].date()
        txid = to_text(attrs.get("transactionID"))
        synthetic = txid is None
        if synthetic:
            txid = self._keyer.key("trade", account, [attrs.get(a) for a in _TRADE_IDENTITY])
        if values[TRADE_QTY] is None:
            raise StatementError(self.path, "<Trade> without a quantity", line)
        return TradeRow(account, txid, synthetic, *values, attrs, SourceRef(self.path, line))

    def _eae(self, attrs, account, line) -> OptionEAERow:
        self._check_vocab(attrs, "OptionEAE")
        values = self._convert(EAE_SPEC, attrs, "OptionEAE", line)
        key = _eae_id_key(attrs)
        if key is None:
            key = self._keyer.key("eae", account, [
                attrs.get(a) for a in ("date", "transactionType", "conid", "symbol", "quantity",
                                       "tradePrice")])
        return OptionEAERow(account, key, *values, attrs, SourceRef(self.path, line))

    def _cash(self, attrs, account, line) -> CashRow:
        self._check_vocab(attrs, "CashTransaction")
        values = self._convert(CASH_SPEC, attrs, "CashTransaction", line)
        values[1:2] = []  # drop the zone of dateTime: cash rows keep the local time only
        txid = to_text(attrs.get("transactionID"))
        if txid is None:
            txid = self._keyer.key("cash", account, [
                attrs.get(a) for a in ("actionID", "type", "currency", "amount", "dateTime",
                                       "description", "conid")])
        return CashRow(account, txid, *values, attrs, SourceRef(self.path, line))

    def _position(self, attrs, account, line) -> OpenPositionRow:
        self._check_vocab(attrs, "OpenPosition")
        values = self._convert(POSITION_SPEC, attrs, "OpenPosition", line)
        values.pop()  # zone of openDateTime
        key = self._keyer.key("pos", account, [
            attrs.get(a) for a in ("reportDate", "levelOfDetail", "conid", "symbol", "putCall",
                                   "strike", "expiry", "originatingTransactionID",
                                   "openDateTime", "position")])
        return OpenPositionRow(account, key, *values, attrs, SourceRef(self.path, line))

    def _balance(self, attrs, account, line) -> CashBalanceRow:
        values = self._convert(BALANCE_SPEC, attrs, "CashReportCurrency", line)
        return CashBalanceRow(account, balance_key(values[0], values[1]), *values, attrs,
                              SourceRef(self.path, line))

    def _lot(self, attrs, account, line) -> ClosedLotRow:
        values = self._convert(LOT_SPEC, attrs, "Lot", line)
        del values[4]  # zone of openDateTime
        del values[5]  # zone of dateTime
        key = self._keyer.key("lot", account, [
            attrs.get(a) for a in ("transactionID", "dateTime", "tradeDate", "openDateTime",
                                   "quantity", "cost", "conid", "symbol")])
        return ClosedLotRow(account, key, *values, attrs, SourceRef(self.path, line))

    # -- driver --------------------------------------------------------------------------
    def parse(self) -> Iterator:
        try:
            fh = open(self.path, "rb")
        except OSError as exc:
            raise StatementError(self.path, f"cannot read file: {exc.strerror}") from exc
        with fh:
            head = fh.read(CHUNK)
            if not head.strip(b"\xef\xbb\xbf \t\r\n"):
                raise StatementError(self.path, "the file is empty")
            if not identify(head):
                hint = ""
                if head.lstrip(b"\xef\xbb\xbf").startswith((b"Statement,", b"Trades,")):
                    hint = " (it looks like an Activity Statement CSV)"
                raise StatementError(self.path, f"not a Flex XML statement{hint}", 1)
            yield from self._stream(fh, head)

    def _stream(self, fh, head: bytes) -> Iterator:
        p = expat.ParserCreate()
        p.buffer_text = True  # text arrives in large pieces, not one call per line
        p.ordered_attributes = False
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        pending: list = []
        stack: list[str] = []
        state = {"account": None, "root": None, "error": {}, "text_tag": None}
        path = self.path
        counts = self.counts
        known = self.known

        def refuse(*_args):
            raise StatementError(
                path, "refusing XML with a DOCTYPE or entity declarations (IB never sends "
                      "them; such a file may try to expand entities or fetch URLs)",
                p.CurrentLineNumber)

        p.StartDoctypeDeclHandler = refuse
        p.EntityDeclHandler = refuse
        p.UnparsedEntityDeclHandler = refuse
        p.ExternalEntityRefHandler = refuse
        p.NotationDeclHandler = refuse

        def start(tag, attrs):
            depth = len(stack)
            stack.append(tag)
            line = p.CurrentLineNumber
            if attrs and max(map(len, attrs.values())) > MAX_ATTRIBUTE_CHARS:
                longest = max(map(len, attrs.values()))
                raise StatementError(path, f"<{tag}> has an attribute of {longest:,} "
                                           "characters; not a real IB statement", line)
            if depth == 0:
                state["root"] = tag
                if tag == "FlexStatementResponse":
                    return
                if tag != "FlexQueryResponse":
                    raise StatementError(path, f"not an IB Flex statement (root element "
                                               f"<{tag}>, expected <FlexQueryResponse>)", line)
                return
            if state["root"] == "FlexStatementResponse":
                state["text_tag"] = tag
                return
            if tag == "FlexStatement":
                account = to_text(attrs.get("accountId"))
                if account is None:
                    raise StatementError(path, "<FlexStatement> without accountId", line)
                state["account"] = account
                counts["statements"] += 1
                style = self.date_style
                try:
                    when, _zone = style.datetime(attrs.get("whenGenerated"))
                    to_date = style.date(attrs.get("toDate"))
                    pending.append(StatementStart(
                        account, style.date(attrs.get("fromDate")), to_date,
                        to_text(attrs.get("period")), when, SourceRef(path, line)))
                    warning = incomplete_day_warning(to_date, when)
                    if warning:
                        self._warn(warning)
                except ConversionError as exc:
                    raise StatementError(path, f"<FlexStatement>: {exc}", line) from exc
                return
            if depth == 2 and stack[1] == "FlexStatements":
                return
            account = state["account"]
            if depth == 3:  # a section container, or a one-element section
                if tag not in KNOWN_SECTIONS:
                    self._warn(f"unknown section <{tag}> skipped")
                elif tag == "AccountInformation" and account:
                    pending.append(AccountInfo(
                        to_text(attrs.get("accountId")) or account, to_text(attrs.get("acctAlias")),
                        to_text(attrs.get("currency")), SourceRef(path, line)))
                return
            if depth != 4 or account is None:
                return
            section = stack[3]
            if section == "Trades":
                level = attrs.get("levelOfDetail") or ("EXECUTION" if tag == "Trade" else tag)
                if tag == "Trade" and level == "EXECUTION":
                    counts["trades"] += 1
                    row_account = to_text(attrs.get("accountId")) or account
                    txid = attrs.get("transactionID")
                    if known is not None and txid and (row_account, txid.strip()) in known.trades:
                        pending.append(KnownRow(
                            "trade", row_account, txid.strip(),
                            attrs.get("transactionType") == "TradeCancel"
                            or "(Ca.)" in attrs.get("buySell", ""), SourceRef(path, line)))
                    else:
                        pending.append(self._trade(attrs, row_account, line))
                elif tag == "Lot":
                    counts["closed_lots"] += 1
                    pending.append(self._lot(attrs, to_text(attrs.get("accountId")) or account,
                                             line))
                else:
                    counts[f"skipped_{level}"] += 1
            elif section == "OptionEAE":
                counts["option_events"] += 1
                row_account = to_text(attrs.get("accountId")) or account
                key = _eae_id_key(attrs)
                if known is not None and key and (row_account, key) in known.option_events:
                    pending.append(KnownRow("option_event", row_account, key, False,
                                            SourceRef(path, line)))
                else:
                    pending.append(self._eae(attrs, row_account, line))
            elif section == "CashTransactions":
                level = attrs.get("levelOfDetail") or "DETAIL"
                if level == "DETAIL":
                    counts["cash_transactions"] += 1
                    row_account = to_text(attrs.get("accountId")) or account
                    txid = to_text(attrs.get("transactionID"))
                    if known is not None and txid and (row_account, txid) in known.cash:
                        pending.append(KnownRow("cash", row_account, txid, False,
                                                SourceRef(path, line)))
                    else:
                        pending.append(self._cash(attrs, row_account, line))
                else:
                    counts[f"skipped_cash_{level}"] += 1
            elif section == "OpenPositions":
                counts["open_positions"] += 1
                pending.append(self._position(attrs, to_text(attrs.get("accountId")) or account,
                                              line))
            elif section == "CashReport":
                # only the base-currency summary: one row per statement period
                if tag == "CashReportCurrency" and attrs.get("currency") == "BASE_SUMMARY":
                    counts["cash_balances"] += 1
                    pending.append(self._balance(
                        attrs, to_text(attrs.get("accountId")) or account, line))
            elif section == "TradeConfirms":
                counts["skipped_trade_confirms"] += 1
                self._warn("TradeConfirm rows are not imported: use an Activity Flex query")

        def end(tag):
            stack.pop()
            if tag == "FlexStatement":
                state["account"] = None
            state["text_tag"] = None

        def chardata(text):
            if state["root"] == "FlexStatementResponse" and state["text_tag"]:
                # a list, joined once: += on a str is quadratic over a huge element
                state["error"].setdefault(state["text_tag"], []).append(text)

        p.StartElementHandler = start
        p.EndElementHandler = end
        p.CharacterDataHandler = chardata

        chunk = head
        try:
            while chunk:
                p.Parse(chunk, False)
                if self.progress is not None:
                    self.progress(len(chunk))
                if pending:
                    yield from pending
                    pending.clear()
                chunk = fh.read(CHUNK)
            p.Parse(b"", True)
        except expat.ExpatError as exc:
            reason = expat.ErrorString(exc.code)
            if reason == "no element found" or reason.startswith("unclosed token"):
                reason = f"the XML ends too early ({reason}); the file looks truncated"
            raise StatementError(path, f"not valid XML: {reason}", exc.lineno) from exc
        yield from pending
        if state["root"] == "FlexStatementResponse":
            err = {k: quote("".join(v)) for k, v in state["error"].items()}
            code = err.get("ErrorCode") or "?"
            message = err.get("ErrorMessage") or err.get("Status") or "no statement"
            raise StatementError(
                path, f"this is an IB Flex Web Service error reply, not a statement "
                      f"(error {code}: {message})")
        if counts["statements"] == 0:
            self._warn("the file holds no <FlexStatement>")
        yield ParseSummary(FORMAT, dict(counts), tuple(self.warnings), SourceRef(path))


_VOCAB_CHECKS = {
    "Trade": (
        ("transactionType", KNOWN_TRANSACTION_TYPES, "transaction type"),
        ("buySell", KNOWN_BUY_SELL, "buy/sell value"),
        ("assetCategory", KNOWN_ASSET_CATEGORIES, "asset category"),
        ("orderType", KNOWN_ORDER_TYPES, "order type"),
    ),
    "OptionEAE": (("transactionType", KNOWN_EAE_TYPES, "option event type"),),
}

_TRADE_FIELDS = [name for name, _a, kind in TRADE_SPEC for name in
                 ((name, "time_zone") if kind == "dt" else (name,))]
TRADE_DATE_TIME = _TRADE_FIELDS.index("date_time")
TRADE_DATE = _TRADE_FIELDS.index("trade_date")
TRADE_QTY = _TRADE_FIELDS.index("quantity")
if TradeRow._fields[3:-2] != tuple(_TRADE_FIELDS):  # pragma: no cover - developer error
    raise RuntimeError("TRADE_SPEC and events.TradeRow list different fields")


def parse(path: str | Path, *, date_order: str | None = None, progress=None,
          known=None) -> Iterator:
    """Parse a Flex XML file; yields events, the last one a ParseSummary. Trade rows whose
    key is in ``known`` (a KnownKeys) come as KnownRow, unconverted."""
    return FlexParser(path, date_order=date_order, progress=progress, known=known).parse()
