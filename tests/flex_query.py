"""One synthetic Activity Flex query, written as XML and as CSV in every delivery shape.

The rows are defined once (XML attribute names, Python dates) and written out the way IB
delivers the same query: Flex XML, and CSV with or without header/trailer records and with
or without the section code and line descriptor. The CSV column names are written here by
hand, as the query editor shows them (``ClientAccountID``, ``Buy/Sell``, ``CostBasis`` …),
independently of the importer's field catalogue, so a test comparing the XML and CSV
imports tests that catalogue rather than repeating it.

``python tests/flex_query.py`` rewrites ``tests/fixtures/flex_csv/`` (the default General
Configuration); tests write the other configurations (date and time formats, separators,
account alias, canceled trades) to their tmp folder. Two accounts: a wheel (put sold and
expired, puts assigned, covered calls called away, a closed lot, dividends, an open put)
and a short put bought back. All ids and amounts are invented.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "flex_csv"

#### THE QUERY'S COLUMNS: (XML attribute, CSV column as the query editor names it) ####

_CONTRACT = [("accountId", "ClientAccountID"), ("acctAlias", "AccountAlias"),
             ("currency", "CurrencyPrimary"), ("fxRateToBase", "FXRateToBase"),
             ("assetCategory", "AssetClass"), ("symbol", "Symbol"),
             ("description", "Description"), ("conid", "Conid"),
             ("underlyingConid", "UnderlyingConid"), ("underlyingSymbol", "UnderlyingSymbol"),
             ("multiplier", "Multiplier"), ("strike", "Strike"), ("expiry", "Expiry"),
             ("putCall", "Put/Call")]
COLUMNS = {
    "AccountInformation": [("accountId", "ClientAccountID"), ("acctAlias", "AccountAlias"),
                           ("currency", "CurrencyPrimary"), ("name", "Name"),
                           ("accountType", "AccountType"), ("customerType", "CustomerType")],
    "Trades": _CONTRACT + [
        ("listingExchange", "ListingExchange"), ("tradeID", "TradeID"),
        ("reportDate", "ReportDate"), ("dateTime", "DateTime"), ("tradeDate", "TradeDate"),
        ("settleDateTarget", "SettleDateTarget"), ("transactionType", "TransactionType"),
        ("exchange", "Exchange"), ("quantity", "Quantity"), ("tradePrice", "TradePrice"),
        ("tradeMoney", "TradeMoney"), ("proceeds", "Proceeds"), ("taxes", "Taxes"),
        ("ibCommission", "IBCommission"), ("ibCommissionCurrency", "IBCommissionCurrency"),
        ("netCash", "NetCash"), ("closePrice", "ClosePrice"),
        ("openCloseIndicator", "Open/CloseIndicator"), ("notes", "Notes/Codes"),
        ("cost", "CostBasis"), ("fifoPnlRealized", "FifoPnlRealized"), ("mtmPnl", "MtmPnl"),
        ("origTradePrice", "OrigTradePrice"), ("origTradeDate", "OrigTradeDate"),
        ("origTradeID", "OrigTradeID"), ("origOrderID", "OrigOrderID"),
        ("origTransactionID", "OrigTransactionID"), ("buySell", "Buy/Sell"),
        ("transactionID", "TransactionID"), ("ibOrderID", "IBOrderID"),
        ("ibExecID", "IBExecID"), ("openDateTime", "OpenDateTime"),
        ("levelOfDetail", "LevelOfDetail"), ("orderType", "OrderType"),
        ("positionActionID", "PositionActionID")],
    "OptionEAE": _CONTRACT + [
        ("date", "Date"), ("transactionType", "TransactionType"), ("quantity", "Quantity"),
        ("tradePrice", "TradePrice"), ("markPrice", "MarkPrice"), ("proceeds", "Proceeds"),
        ("commisionsAndTax", "CommisionsAndTax"), ("costBasis", "CostBasis"),
        ("realizedPnl", "RealizedPnl"), ("mtmPnl", "MtmPnl"), ("tradeID", "TradeID")],
    "CashTransactions": [
        ("accountId", "ClientAccountID"), ("acctAlias", "AccountAlias"),
        ("currency", "CurrencyPrimary"), ("fxRateToBase", "FXRateToBase"),
        ("assetCategory", "AssetClass"), ("symbol", "Symbol"), ("description", "Description"),
        ("conid", "Conid"), ("dateTime", "DateTime"), ("settleDate", "SettleDate"),
        ("amount", "Amount"), ("type", "Type"), ("transactionID", "TransactionID"),
        ("reportDate", "ReportDate"), ("actionID", "ActionID"), ("code", "Code"),
        ("levelOfDetail", "LevelOfDetail")],
    "OpenPositions": _CONTRACT + [
        ("reportDate", "ReportDate"), ("position", "Quantity"), ("markPrice", "MarkPrice"),
        ("positionValue", "PositionValue"), ("openPrice", "OpenPrice"),
        ("costBasisPrice", "CostBasisPrice"), ("costBasisMoney", "CostBasisMoney"),
        ("fifoPnlUnrealized", "FifoPnlUnrealized"), ("side", "Side"),
        ("levelOfDetail", "LevelOfDetail"), ("openDateTime", "OpenDateTime"),
        ("originatingTransactionID", "OriginatingTransactionID")],
    "CashReport": [("accountId", "ClientAccountID"), ("acctAlias", "AccountAlias"),
                   ("currency", "CurrencyPrimary"), ("levelOfDetail", "LevelOfDetail"),
                   ("fromDate", "FromDate"), ("toDate", "ToDate"),
                   ("startingCash", "StartingCash"), ("endingCash", "EndingCash")],
}
SECTIONS = list(COLUMNS)
ROW_TAGS = {"AccountInformation": "AccountInformation", "OptionEAE": "OptionEAE",
            "CashTransactions": "CashTransaction", "OpenPositions": "OpenPosition",
            "CashReport": "CashReportCurrency"}
TRADE_TAGS = {"EXECUTION": "Trade", "ORDER": "Order", "CLOSED_LOT": "Lot"}
CODES = {"AccountInformation": "ACCT", "Trades": "TRNT", "OptionEAE": "OPTE",
         "CashTransactions": "CTRN", "OpenPositions": "POST", "CashReport": "CRTT"}
"""Section codes. IB's code of the OptionEAE section is not in any public source we could
read; the importer recognises that section from its columns, so this one is a stand-in."""
LABELS = {"AccountInformation": "Account Information", "Trades": "Trades; trade date basis",
          "OptionEAE": "Option Exercises, Assignments and Expirations",
          "CashTransactions": "Cash Transactions", "OpenPositions": "Open Positions",
          "CashReport": "Cash Report"}

#### THE ROWS ####

WHEEL, SIDE = "U5550001", "U5550002"
PERIOD = (date(2025, 1, 1), date(2025, 6, 30))
GENERATED = datetime(2025, 7, 1, 8, 30, 0)

_AAPL_P = {"assetCategory": "OPT", "symbol": "AAPL  250321P00200000",
           "description": "AAPL 21MAR25 200 P", "conid": "700000001", "underlyingConid": "265598",
           "underlyingSymbol": "AAPL", "multiplier": "100", "strike": "200",
           "expiry": date(2025, 3, 21), "putCall": "P", "listingExchange": "CBOE"}
_MSFT_P = {"assetCategory": "OPT", "symbol": "MSFT  250417P00380000",
           "description": "MSFT 17APR25 380 P", "conid": "700000002", "underlyingConid": "272093",
           "underlyingSymbol": "MSFT", "multiplier": "100", "strike": "380",
           "expiry": date(2025, 4, 17), "putCall": "P", "listingExchange": "CBOE"}
_MSFT_C = {**_MSFT_P, "symbol": "MSFT  250516C00400000", "description": "MSFT 16MAY25 400 C",
           "conid": "700000003", "strike": "400", "expiry": date(2025, 5, 16), "putCall": "C"}
_MSFT = {"assetCategory": "STK", "symbol": "MSFT", "description": "MICROSOFT CORP",
         "conid": "272093", "underlyingSymbol": "MSFT", "multiplier": "1",
         "listingExchange": "NASDAQ"}
_KO_P = {"assetCategory": "OPT", "symbol": "KO    250718P00065000",
         "description": "KO 18JUL25 65 P", "conid": "700000004", "underlyingConid": "8894",
         "underlyingSymbol": "KO", "multiplier": "100", "strike": "65",
         "expiry": date(2025, 7, 18), "putCall": "P", "listingExchange": "CBOE"}
_SPY_P = {"assetCategory": "OPT", "symbol": "SPY   250620P00550000",
          "description": "SPY 20JUN25 550 P", "conid": "700000005", "underlyingConid": "756733",
          "underlyingSymbol": "SPY", "multiplier": "100", "strike": "550",
          "expiry": date(2025, 6, 20), "putCall": "P", "listingExchange": "CBOE"}


def _trade(contract, tx, when, qty, price, money, proceeds, comm, net, cost, fifo, oc, notes,
           buy_sell, *, kind="ExchTrade", exchange="CBOE", report=None, settle=None,
           action="", order="", exec_id="", level="EXECUTION", trade_id=None, **extra):
    row = {"currency": "USD", "fxRateToBase": "1", **contract,
           "tradeID": trade_id if trade_id is not None else f"42{tx[2:]}",
           "reportDate": report or when.date(), "dateTime": when, "tradeDate": when.date(),
           "settleDateTarget": settle or when.date(), "transactionType": kind,
           "exchange": exchange, "quantity": qty, "tradePrice": price, "tradeMoney": money,
           "proceeds": proceeds, "taxes": "0", "ibCommission": comm,
           "ibCommissionCurrency": "USD", "netCash": net, "closePrice": "",
           "openCloseIndicator": oc,
           "notes": notes, "cost": cost, "fifoPnlRealized": fifo, "mtmPnl": "0",
           "origTradePrice": "0", "origTradeDate": "", "origTradeID": "", "origOrderID": "0",
           "origTransactionID": "0", "buySell": buy_sell, "transactionID": tx,
           "ibOrderID": order or f"43{tx[2:]}", "ibExecID": exec_id, "openDateTime": "",
           "levelOfDetail": level, "orderType": "LMT" if kind == "ExchTrade" else "",
           "positionActionID": action}
    row.update(extra)
    return row


def _wheel_trades(canceled: bool) -> list[dict]:
    t = _trade
    rows = [
        t(_AAPL_P, "4100000001", datetime(2025, 3, 3, 10, 15, 30), "-1", "2.5", "-250", "250",
          "-1.0445", "248.9555", "-248.9555", "0", "O", "", "SELL", exec_id="0000e0d5.0001.01.01",
          settle=date(2025, 3, 4), closePrice="2.45"),
        t(_AAPL_P, "", datetime(2025, 3, 3, 10, 15, 30), "-1", "2.5", "-250", "250", "-1.0445",
          "248.9555", "-248.9555", "0", "O", "", "SELL", level="ORDER", trade_id="",
          order="4300000001", settle=date(2025, 3, 4)),
        t(_AAPL_P, "4100000002", datetime(2025, 3, 21, 16, 20), "1", "0", "0", "-0", "0", "0",
          "248.9555", "248.9555", "C", "Ep", "BUY", kind="BookTrade", exchange="--",
          report=date(2025, 3, 24)),
        t(_MSFT_P, "4100000003", datetime(2025, 4, 1, 11, 2, 10), "-1", "4.1", "-410", "410",
          "-1.05", "408.95", "-408.95", "0", "O", "P", "SELL", order="4300000003",
          exec_id="0000e0d5.0003.01.01"),
        t(_MSFT_P, "4100000004", datetime(2025, 4, 1, 11, 2, 11), "-1", "4.1", "-410", "410",
          "-1.05", "408.95", "-408.95", "0", "O", "P", "SELL", order="4300000003",
          exec_id="0000e0d5.0003.01.02"),
        t(_MSFT_P, "4100000005", datetime(2025, 4, 17, 16, 20), "2", "0", "0", "0", "0", "0",
          "817.9", "0", "C", "A", "BUY", kind="BookTrade", exchange="--", action="990001"),
        t(_MSFT, "4100000006", datetime(2025, 4, 17, 16, 20), "200", "380", "76000", "-76000",
          "0", "-76000", "76000", "0", "O", "A", "BUY", kind="BookTrade", exchange="--",
          action="990001", currency="USD"),
        t(_MSFT_C, "4100000007", datetime(2025, 4, 22, 9, 45), "-2", "3", "-600", "600",
          "-2.1", "597.9", "-597.9", "0", "O", "", "SELL"),
        t(_MSFT_C, "4100000008", datetime(2025, 5, 16, 16, 20), "2", "0", "0", "0", "0", "0",
          "597.9", "0", "C", "A", "BUY", kind="BookTrade", exchange="--", action="990002"),
        t(_MSFT, "4100000009", datetime(2025, 5, 16, 16, 20), "-200", "400", "-80000", "80000",
          "-0.52", "79999.48", "-75182.1", "4817.38", "C", "A", "SELL", kind="BookTrade",
          exchange="--", action="990002"),
        t(_MSFT, "4100000006", datetime(2025, 5, 16, 16, 20), "200", "380", "", "", "", "",
          "75182.1", "4817.38", "", "ST", "SELL", level="CLOSED_LOT", trade_id="",
          order="", kind="", exchange="", openDateTime=datetime(2025, 4, 17, 16, 20)),
        t(_KO_P, "4100000012", datetime(2025, 6, 10, 14, 0), "-1", "0.95", "-95", "95", "-1.05",
          "93.95", "-93.95", "0", "O", "", "SELL"),
    ]
    if canceled:
        rows += [
            t(_KO_P, "4100000010", datetime(2025, 6, 2, 10, 0), "-1", "1.1", "-110", "110",
              "-1.05", "108.95", "-108.95", "0", "O", "", "SELL"),
            t(_KO_P, "4100000011", datetime(2025, 6, 2, 10, 0), "1", "1.1", "110", "-110",
              "1.05", "-108.95", "108.95", "0", "O", "Ca", "SELL (Ca.)", kind="TradeCancel",
              trade_id="", origTransactionID="4100000010", origTradeID="4200000010"),
        ]
    return rows


def _eae(contract, kind, day, qty, price, mark, proceeds, basis, realized, trade_id):
    return {"currency": "USD", "fxRateToBase": "1", **contract, "date": day,
            "transactionType": kind, "quantity": qty, "tradePrice": price, "markPrice": mark,
            "proceeds": proceeds, "commisionsAndTax": "0", "costBasis": basis,
            "realizedPnl": realized, "mtmPnl": "0", "tradeID": trade_id}


def _cash(tx, when, amount, kind, description, *, symbol="", conid="", level="DETAIL",
          action=""):
    return {"currency": "USD", "fxRateToBase": "1", "assetCategory": "STK" if symbol else "",
            "symbol": symbol, "description": description, "conid": conid, "dateTime": when,
            "settleDate": when.date(), "amount": amount, "type": kind, "transactionID": tx,
            "reportDate": when.date(), "actionID": action, "code": "", "levelOfDetail": level}


def statements(*, canceled: bool = False) -> dict[str, dict[str, list[dict]]]:
    """account -> section -> rows (attribute dicts, without the account columns)."""
    wheel = {
        "AccountInformation": [{"currency": "USD", "name": "Synthetic Trader",
                                "accountType": "Individual", "customerType": "Individual"}],
        "Trades": _wheel_trades(canceled),
        "OptionEAE": [
            _eae(_AAPL_P, "Expiration", date(2025, 3, 21), "1", "0", "0", "0", "248.9555",
                 "248.9555", "4200000002"),
            _eae(_MSFT_P, "Assignment", date(2025, 4, 17), "2", "0", "5.2", "0", "817.9", "0",
                 "4200000005"),
            _eae(_MSFT, "Buy", date(2025, 4, 17), "200", "380", "374.8", "-76000", "76000", "0",
                 "4200000006"),
            _eae(_MSFT_C, "Assignment", date(2025, 5, 16), "2", "0", "4.4", "0", "597.9", "0",
                 "4200000008"),
            _eae(_MSFT, "Sell", date(2025, 5, 16), "-200", "400", "404.4", "80000",
                 "-75182.1", "4817.38", "4200000009"),
        ],
        "CashTransactions": [
            _cash("4400000001", datetime(2025, 5, 8, 20, 20), "166", "Dividends",
                  "MSFT(US5949181045) Cash Dividend USD 0.83 per Share (Ordinary Dividend)",
                  symbol="MSFT", conid="272093", action="130000001"),
            _cash("4400000002", datetime(2025, 5, 8, 20, 20), "-24.9", "Withholding Tax",
                  "MSFT(US5949181045) Cash Dividend USD 0.83 per Share - US Tax",
                  symbol="MSFT", conid="272093", action="130000001"),
            _cash("", datetime(2025, 5, 8, 20, 20), "166", "Dividends",
                  "MSFT(US5949181045) Cash Dividend USD 0.83 per Share (Ordinary Dividend)",
                  symbol="MSFT", conid="272093", level="SUMMARY"),
            _cash("4400000003", datetime(2025, 6, 3, 20, 20), "12.34", "Broker Interest Received",
                  "USD Credit Interest for May-2025"),
        ],
        "OpenPositions": [{
            "currency": "USD", "fxRateToBase": "1", **_KO_P, "reportDate": date(2025, 6, 30),
            "position": "-1", "markPrice": "0.8", "positionValue": "-80", "openPrice": "0.95",
            "costBasisPrice": "0.9395", "costBasisMoney": "-93.95", "fifoPnlUnrealized": "13.95",
            "side": "Short", "levelOfDetail": "SUMMARY", "openDateTime": "",
            "originatingTransactionID": ""}],
        "CashReport": [
            {"currency": "BASE_SUMMARY", "levelOfDetail": "Currency", "fromDate": PERIOD[0],
             "toDate": PERIOD[1], "startingCash": "100000", "endingCash": "104371.2"},
            {"currency": "USD", "levelOfDetail": "Currency", "fromDate": PERIOD[0],
             "toDate": PERIOD[1], "startingCash": "100000", "endingCash": "104371.2"},
        ],
    }
    side = {
        "AccountInformation": [{"currency": "USD", "name": "Synthetic Trader",
                                "accountType": "Individual", "customerType": "Individual"}],
        "Trades": [
            _trade(_SPY_P, "4100000101", datetime(2025, 5, 1, 10, 30), "-1", "5", "-500", "500",
                   "-1.05", "498.95", "-498.95", "0", "O", "", "SELL"),
            _trade(_SPY_P, "4100000102", datetime(2025, 5, 20, 13, 0), "1", "2", "200", "-200",
                   "-1.05", "-201.05", "498.95", "297.9", "C", "", "BUY"),
        ],
        "OptionEAE": [], "CashTransactions": [], "OpenPositions": [],
        "CashReport": [{"currency": "BASE_SUMMARY", "levelOfDetail": "Currency",
                        "fromDate": PERIOD[0], "toDate": PERIOD[1], "startingCash": "20000",
                        "endingCash": "20297.9"}],
    }
    return {WHEEL: wheel, SIDE: side}


#### GENERAL CONFIGURATION ####


@dataclass(frozen=True)
class Config:
    """The query's General Configuration."""

    date_format: str = "yyyyMMdd"  # yyyyMMdd | yyyy-MM-dd | MM/dd/yyyy | dd-MMM-yy
    time_format: str = "HHmmss"  # HHmmss | HH:mm:ss | HHmmss zzz
    separator: str = ";"  # ; , " " or ""
    alias: bool = False  # Display Account Alias in Place of Account ID
    canceled: bool = False  # Include Canceled Trades

    def date(self, d: date) -> str:
        return d.strftime({"yyyyMMdd": "%Y%m%d", "yyyy-MM-dd": "%Y-%m-%d",
                           "MM/dd/yyyy": "%m/%d/%Y", "dd-MMM-yy": "%d-%b-%y"}[self.date_format])

    def datetime(self, t: datetime) -> str:
        clock = t.strftime({"HHmmss": "%H%M%S", "HH:mm:ss": "%H:%M:%S",
                            "HHmmss zzz": "%H%M%S"}[self.time_format])
        if self.time_format.endswith("zzz"):
            clock += " EDT" if 3 <= t.month <= 10 else " EST"
        return f"{self.date(t.date())}{self.separator}{clock}"

    def value(self, v) -> str:
        if isinstance(v, datetime):
            return self.datetime(v)
        if isinstance(v, date):
            return self.date(v)
        return v

    def account(self, account: str) -> str:
        return {WHEEL: "WheelMain", SIDE: "WheelSide"}[account] if self.alias else account


def _rows(config: Config):
    """(account shown, section, [(tag, {attribute: text})]) in statement order."""
    for account, sections in statements(canceled=config.canceled).items():
        shown = config.account(account)
        for section in SECTIONS:
            out = []
            for row in sections[section]:
                attrs = {"accountId": shown, "acctAlias": shown if config.alias else "", **row}
                attrs = {a: config.value(attrs.get(a, "")) for a, _c in COLUMNS[section]}
                tag = (TRADE_TAGS[row["levelOfDetail"]] if section == "Trades"
                       else ROW_TAGS[section])
                out.append((tag, attrs))
            yield account, shown, section, out


#### WRITERS ####


def write_xml(config: Config = Config()) -> str:
    lines = ['<FlexQueryResponse queryName="Wheel CSV test" type="AF">',
             '<FlexStatements count="2">']
    current = None
    for _account, shown, section, rows in _rows(config):
        if shown != current:
            if current is not None:
                lines.append("</FlexStatement>")
            current = shown
            lines.append(f'<FlexStatement accountId="{shown}" '
                         f'fromDate="{config.date(PERIOD[0])}" toDate="{config.date(PERIOD[1])}" '
                         f'period="" whenGenerated="{config.datetime(GENERATED)}">')
        if section == "AccountInformation":
            tag, attrs = rows[0]
            lines.append(f"<{tag} " + " ".join(f"{a}={quoteattr(v)}" for a, v in attrs.items())
                         + " />")
            continue
        lines.append(f"<{section}>")
        for tag, attrs in rows:
            lines.append(f"<{tag} " + " ".join(f"{a}={quoteattr(v)}" for a, v in attrs.items())
                         + " />")
        lines.append(f"</{section}>")
    lines += ["</FlexStatement>", "</FlexStatements>", "</FlexQueryResponse>"]
    return "\n".join(lines) + "\n"


SHAPES = ("plain", "headers", "trailers", "codes", "trailers_codes")
"""plain: no option ticked but column headers, sections grouped across accounts with a
header row only where the column set changes; headers: a header row for every section;
trailers: BOF/BOA/BOS/EOS/EOA/EOF records too; codes: each row prefixed by HEADER/DATA and
the section code; trailers_codes: both."""


def write_csv(shape: str, config: Config = Config()) -> str:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    trailers = shape.startswith("trailers")
    coded = shape.endswith("codes")
    blocks = list(_rows(config))
    if shape == "plain":  # section-major: every account's rows of a section together
        blocks.sort(key=lambda b: SECTIONS.index(b[2]))
    if trailers:
        w.writerow(["BOF", config.account(WHEEL), "Wheel CSV test", "2",
                    config.date(PERIOD[0]), config.date(PERIOD[1]), config.datetime(GENERATED)])
    previous_header = None
    current = None
    for _account, shown, section, rows in blocks:
        if trailers and shown != current:
            if current is not None:
                w.writerow(["EOA", current])
            w.writerow(["BOA", shown])
            current = shown
        if not rows and not trailers:
            continue
        header = [c for _a, c in COLUMNS[section]]
        code = CODES[section]
        if trailers:
            w.writerow(["BOS", code, LABELS[section]])
        if shape != "plain" or header != previous_header:
            w.writerow(["HEADER", code, *header] if coded else header)
            previous_header = header
        for _tag, attrs in rows:
            values = list(attrs.values())
            w.writerow(["DATA", code, *values] if coded else values)
        if trailers:
            w.writerow(["EOS", code, str(len(rows)), "0"])
    if trailers:
        w.writerow(["EOA", current])
        w.writerow(["EOF", config.account(WHEEL)])
    return out.getvalue()


def write_all(folder: Path, config: Config = Config()) -> dict[str, Path]:
    """The query as XML and in every CSV shape; name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"xml": folder / "query.xml"}
    paths["xml"].write_text(write_xml(config))
    for shape in SHAPES:
        paths[shape] = folder / f"query_{shape}.csv"
        paths[shape].write_text(write_csv(shape, config))
    return paths


if __name__ == "__main__":
    written = write_all(FIXTURES)
    print("\n".join(str(p) for p in written.values()), file=sys.stderr)
