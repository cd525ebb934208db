"""The Flex field catalogue: every Flex field the ledger reads, defined once.

A Flex Query names each field twice. The XML delivery writes it as a camelCase attribute
(``ibCommission``); the CSV delivery heads its column with the name the query editor shows
(``IBCommission``, ``Buy/Sell``, ``ClientAccountID``). Both importers
(:mod:`journal.importers.flex` for XML, :mod:`journal.importers.flex_csv` for CSV) turn a
row into a dict keyed by the *attribute* name and hand it to the same row converters
(:mod:`journal.importers.flex_rows`), so a field, its typed target and its converter exist
once, here, whatever the delivery format.

Each row kind has a spec: ``(event field, XML attribute, kind)`` in the order of the event's
fields. Kinds: ``text`` (stripped, null tokens -> None), ``raw`` (kept as written:
whitespace inside OCC symbols is significant), ``dec`` (Decimal, never float), ``date``,
``dt`` (a date-time as printed, any zone suffix left in ``raw``), ``codes`` (IB's code
letters), ``id`` (a reference id where IB writes 0 for "none").

The CSV column of a field is its attribute with the first letter capitalised, compared
without case, ``/`` or spaces (``Buy/Sell`` is ``buySell``, ``FXRateToBase`` is
``fxRateToBase``); :data:`CSV_COLUMNS` lists the names the query editor spells otherwise
(``ClientAccountID`` is ``accountId``, ``CostBasis`` on a trade is ``cost``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from journal.importers._convert import (
    DECIMALS,
    NULL_TOKENS,
    cached_decimal,
    to_text,
)

#### ROW SPECS ####

_CONTRACT_SPEC = (
    ("asset_category", "assetCategory", "text"),
    ("symbol", "symbol", "raw"),
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
    *(f for f in _CONTRACT_SPEC if f[0] != "underlying_conid"),
    ("fx_rate_to_base", "fxRateToBase", "dec"),
    ("trade_date", "tradeDate", "date"),
    ("date_time", "dateTime", "dt"),
    ("buy_sell", "buySell", "text"),
    ("open_close", "openCloseIndicator", "text"),
    ("quantity", "quantity", "dec"),
    ("trade_price", "tradePrice", "dec"),
    ("proceeds", "proceeds", "dec"),
    ("commission", "ibCommission", "dec"),
    ("taxes", "taxes", "dec"),
    ("net_cash", "netCash", "dec"),
    ("cost", "cost", "dec"),
    ("fifo_pnl_realized", "fifoPnlRealized", "dec"),
    ("close_price", "closePrice", "dec"),
    ("notes", "notes", "codes"),
    ("transaction_type", "transactionType", "text"),
    ("position_action_id", "positionActionID", "text"),
    ("orig_transaction_id", "origTransactionID", "id"),
    ("orig_trade_id", "origTradeID", "id"),
)
"""A ``Trade`` at EXECUTION level -> events.TradeRow (fields after the key ones). Only what
the rules, reports and keys read: the other attributes stay in ``raw`` (converting and
storing them cost a tenth of an import and nothing reads them)."""

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

CORPORATE_ACTION_SPEC = (
    *(f for f in _CONTRACT_SPEC if f[0] != "listing_exchange"),
    ("isin", "isin", "text"),
    ("fx_rate_to_base", "fxRateToBase", "dec"),
    ("type", "type", "text"),
    ("transaction_id", "transactionID", "text"),
    ("action_id", "actionID", "text"),
    ("level_of_detail", "levelOfDetail", "text"),
    ("action_description", "actionDescription", "text"),
    ("date_time", "dateTime", "dt"),
    ("report_date", "reportDate", "date"),
    ("quantity", "quantity", "dec"),
    ("amount", "amount", "dec"),
    ("proceeds", "proceeds", "dec"),
    ("value", "value", "dec"),
    ("fifo_pnl_realized", "fifoPnlRealized", "dec"),
    ("code", "code", "codes"),
)
"""A ``CorporateAction`` row -> the fields of events.CorporateActionRow it fills."""

TRANSFER_SPEC = (
    *(f for f in _CONTRACT_SPEC if f[0] not in ("listing_exchange", "underlying_conid")),
    ("isin", "isin", "text"),
    ("fx_rate_to_base", "fxRateToBase", "dec"),
    ("type", "type", "text"),
    ("direction", "direction", "text"),
    ("transaction_id", "transactionID", "text"),
    ("transfer_date", "date", "date"),
    ("date_time", "dateTime", "dt"),
    ("report_date", "reportDate", "date"),
    ("quantity", "quantity", "dec"),
    ("transfer_price", "transferPrice", "dec"),
    ("position_amount", "positionAmount", "dec"),
    ("pnl_amount", "pnlAmount", "dec"),
    ("cash_transfer", "cashTransfer", "dec"),
    ("peer_account", "account", "text"),
    ("peer_account_name", "accountName", "text"),
    ("company", "company", "text"),
    ("delivering_broker", "deliveringBroker", "text"),
    ("code", "code", "codes"),
)
"""A ``Transfer`` row -> the fields of events.TransferRow it fills."""

CORPORATE_ACTION_IDENTITY = ("actionID", "conid", "symbol", "dateTime", "reportDate", "quantity",
                             "proceeds", "amount", "code", "actionDescription", "description")
"""Attributes that identify a CorporateAction without a transactionID. Not (actionID,
conid) alone: a posting, its cancel and the rebooked row share both."""

TRANSFER_IDENTITY = ("type", "direction", "conid", "symbol", "date", "dateTime", "quantity",
                     "account", "positionAmount", "cashTransfer")

BALANCE_SPEC = (
    ("from_date", "fromDate", "date"),
    ("to_date", "toDate", "date"),
    ("starting_cash", "startingCash", "dec"),
    ("ending_cash", "endingCash", "dec"),
)

TRADE_IDENTITY = ("conid", "symbol", "dateTime", "tradeDate", "tradeTime", "buySell",
                  "quantity", "tradePrice", "transactionType", "notes", "tradeID",
                  "ibExecID", "ibOrderID", "openCloseIndicator", "proceeds")
"""Attributes that identify a Trade row when the query left out transactionID."""

#### THE ATTRIBUTES IB SENDS, BY ROW KIND ####

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
    "CorporateAction": frozenset((_CONTRACT_ATTRS + """
    reportDate dateTime actionDescription amount proceeds value quantity fifoPnlRealized
    mtmPnl code type transactionID actionID levelOfDetail costBasis
    """).split()),
    "Transfer": frozenset((_CONTRACT_ATTRS + """
    reportDate date dateTime settleDate type direction company account accountName
    deliveringBroker quantity transferPrice positionAmount positionAmountInBase pnlAmount
    pnlAmountInBase fxPnl cashTransfer code clientReference transactionID levelOfDetail
    """).split()),
    "CashReportCurrency": frozenset(["accountId", "acctAlias", "model", "currency", "fromDate", "toDate", "startingCash", "endingCash", "endingSettledCash", "commissions", "depositWithdrawals", "deposits", "withdrawals", "dividends", "brokerInterest", "brokerFees", "otherFees", "netTradesSales", "netTradesPurchases", "withholdingTax", "transactionTax", "levelOfDetail"]),
    "AccountInformation": frozenset(["accountId", "acctAlias", "model", "currency", "name", "accountType", "customerType", "accountCapabilities", "tradingPermissions", "dateOpened", "dateFunded", "dateClosed", "ibEntity", "masterName"]),
}
"""Attributes per row kind (ibflex Types and the samples). Others are kept in ``raw`` and
reported once as unknown."""

KNOWN_ATTRIBUTES["Lot"] = KNOWN_ATTRIBUTES["Trade"]
KNOWN_ATTRIBUTES["TransferLot"] = KNOWN_ATTRIBUTES["Transfer"]

CSV_COLUMNS = {
    "*": {"ClientAccountID": "accountId", "AccountAlias": "acctAlias",
          "CurrencyPrimary": "currency", "AssetClass": "assetCategory",
          "AccruedInterest": "accruedInt"},
    "Trade": {"Notes/Codes": "notes", "CostBasis": "cost"},
    "Lot": {"Notes/Codes": "notes", "CostBasis": "cost"},
    "CashTransaction": {"Notes/Codes": "code"},
    "OpenPosition": {"Quantity": "position", "Notes/Codes": "code"},
    "OptionEAE": {"CommissionsAndTax": "commisionsAndTax"},
}
"""Flex CSV column names (as the query editor shows them) whose attribute is not simply
the column name with a lower-case first letter."""

#### VOCABULARY (open sets: unknown values are kept and reported once) ####

KNOWN_CODES = frozenset(["A", "ADR", "AEx", "AFx", "Adj", "Al", "Aw", "B", "Bo", "C", "Ca", "CD", "CP", "Co", "Cx", "D", "ETF", "Ep", "Ex", "FP", "FPA", "G", "GEA", "HC", "HFI", "HFR", "I", "IA", "IM", "INV", "IPO", "L", "LD", "LF", "LI", "LT", "M", "MEx", "ML", "MLG", "MLL", "MSG", "MSL", "O", "P", "PI", "Po", "Pr", "R", "RED", "RI", "RP", "Re", "SI", "SL", "SO", "SS", "ST", "SY", "T"])
"""IB's code letters (ibflex enums.Code plus IM seen in a real CSV legend)."""

KNOWN_TRANSACTION_TYPES = frozenset(
    ["ExchTrade", "BookTrade", "TradeCancel", "TradeCorrect", "FracShare", "FracShareCancel", "DvpTrade", "FracShareCorrect"])
KNOWN_BUY_SELL = frozenset({"BUY", "SELL", "BUY (Ca.)", "SELL (Ca.)"})
KNOWN_ASSET_CATEGORIES = frozenset(
    ["STK", "OPT", "FOP", "FUT", "CASH", "BOND", "WAR", "FSFOP", "FSOPT", "IOPT", "CFD", "FUND", "CRYPTO", "CMDTY", "BILL", "FXCFD", "IND", "EC"])
KNOWN_ORDER_TYPES = frozenset(
    ["LMT", "MKT", "STP", "STPLMT", "TRAIL", "TRAILLMT", "MOC", "LOC", "MIDPX", "REL", "LIT", "MIT", "PEGMID", "PEGMKT", "SNAPMID", "SNAPMKT", "SNAPPRIM", "VWAP", "TWAP", "ADAPTIVE"])
KNOWN_EAE_TYPES = frozenset(
    {"Assignment", "Exercise", "Expiration", "Buy", "Sell", "Cash Settlement"})

VOCAB_CHECKS = {
    "Trade": (
        ("transactionType", KNOWN_TRANSACTION_TYPES, "transaction type"),
        ("buySell", KNOWN_BUY_SELL, "buy/sell value"),
        ("assetCategory", KNOWN_ASSET_CATEGORIES, "asset category"),
        ("orderType", KNOWN_ORDER_TYPES, "order type"),
    ),
    "OptionEAE": (("transactionType", KNOWN_EAE_TYPES, "option event type"),),
}

LEVEL_TAGS = {"EXECUTION": "Trade", "ORDER": "Order", "SYMBOL_SUMMARY": "SymbolSummary",
              "ASSET_SUMMARY": "AssetSummary", "CLOSED_LOT": "Lot", "WASH_SALE": "WashSale"}
"""The Trades section's ``levelOfDetail`` -> the XML element that carries that level."""

#### CSV COLUMN NAMES ####


def _norm(name: str) -> str:
    return name.replace("/", "").replace(" ", "").replace("_", "").lower()


def csv_column(attr: str) -> str:
    """The query editor's name of an attribute (for messages): ``accountId`` ->
    ``ClientAccountID``, ``ibCommission`` -> ``IBCommission``."""
    for table in CSV_COLUMNS.values():
        for column, a in table.items():
            if a == attr:
                return column
    return _EDITOR_NAMES.get(attr, attr[:1].upper() + attr[1:])


_EDITOR_NAMES = {"ibCommission": "IBCommission", "ibCommissionCurrency": "IBCommissionCurrency",
                 "fxRateToBase": "FXRateToBase", "ibExecID": "IBExecID",
                 "ibOrderID": "IBOrderID", "buySell": "Buy/Sell", "putCall": "Put/Call",
                 "openCloseIndicator": "Open/CloseIndicator", "isin": "ISIN",
                 "cusip": "CUSIP", "figi": "FIGI"}

_COLUMN_TABLES: dict[str, dict[str, str]] = {}
_KNOWN_COLUMNS = frozenset(
    [_norm(a) for kind in KNOWN_ATTRIBUTES.values() for a in kind]
    + [_norm(c) for table in CSV_COLUMNS.values() for c in table])


def known_column(name: str) -> bool:
    """True if ``name`` is a Flex column (header) the catalogue knows, in any spelling."""
    return _norm(name) in _KNOWN_COLUMNS


def _column_table(row_kind: str) -> dict[str, str]:
    table = _COLUMN_TABLES.get(row_kind)
    if table is None:
        table = {}
        for kind in KNOWN_ATTRIBUTES.values():
            for attr in kind:
                table.setdefault(_norm(attr), attr)
        for attr in KNOWN_ATTRIBUTES.get(row_kind, ()):  # this kind's own spelling wins
            table[_norm(attr)] = attr
        for column, attr in {**CSV_COLUMNS["*"], **CSV_COLUMNS.get(row_kind, {})}.items():
            table[_norm(column)] = attr
        _COLUMN_TABLES[row_kind] = table
    return table


def attributes_for_columns(row_kind: str, columns: list[str]) -> list[str]:
    """The attribute name of each CSV column of a row kind's section; a column the
    catalogue does not know keeps its own name (it is stored in ``raw`` as written)."""
    table = _column_table(row_kind)
    return [table.get(_norm(c), c) for c in columns]


#### COMPILED CONVERTERS ####


def null_id(text):
    """Reference ids: IB writes 0 or empty for 'no original'."""
    v = to_text(text)
    return None if v in (None, "0") else v


RAW_NULLS = frozenset({"", "--", "MULTI", "N/A"})


def keep_raw(text):
    if text is None:
        return None
    return None if text.strip() in RAW_NULLS else text


_COMPILED: dict = {}


def compiled(spec) -> Callable:
    """A converter made for one spec: ``convert(attrs, date, datetime, codes) -> list``.

    One straight-line function per row kind instead of a loop that dispatches on the kind
    of every attribute of every row (the loop was the largest cost of an import)."""
    fn = _COMPILED.get(id(spec))
    if fn is not None:
        return fn
    exprs = []
    for _field, attr, kind in spec:
        get = f"a.get({attr!r})"
        # text, raw and id are inlined (a call per value cost more than the work); they
        # mean exactly to_text, keep_raw and null_id. Decimals come from the cache of
        # spellings already seen, converted by to_decimal on a miss.
        exprs.append({
            "text": f"(None if not (v := {get}) or (v := v.strip()) in NULLS else v)",
            "dec": f"(d if (d := DEC(v := {get})) is not None else cached_decimal(v))",
            "date": f"date({get})",
            "dt": f"datetime({get})[0]", "codes": f"codes({get})",
            "id": f"(None if not (v := {get}) or (v := v.strip()) in NULLS or v == '0' else v)",
            "raw": f"(None if not (v := {get}) or v.strip() in RAW_NULLS else v)",
        }[kind])
    src = "def convert(a, date, datetime, codes):\n    return [" + ", ".join(exprs) + "]\n"
    namespace = {"cached_decimal": cached_decimal, "DEC": DECIMALS.get, "NULLS": NULL_TOKENS,
                 "RAW_NULLS": RAW_NULLS}
    exec(compile(src, f"<flex converter {len(spec)} fields>", "exec"), namespace)
    fn = _COMPILED[id(spec)] = cast(Callable, namespace["convert"])
    return fn


def event_fields(spec) -> list[str]:
    """The event fields a spec fills, in order."""
    return [name for name, _a, _kind in spec]
