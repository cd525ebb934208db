"""IB Flex Query delivered as CSV -> ledger events. Parses only: no database access.

A Flex Query can be delivered as CSV instead of XML (and the Flex Web Service then
returns CSV too). The rows are the same rows as in the XML; only the wrapping differs,
and the query's *Delivery Configuration* decides it:

* **Include column headers?** Each section starts with a row naming its columns, in the
  query editor's words (``ClientAccountID``, ``CurrencyPrimary``, ``Buy/Sell``,
  ``IBCommission``, ``TransactionID`` …). Without them the columns cannot be told apart
  safely, so such a file is refused ("turn on Include column headers").
* **Include header and trailer records?** ``BOF``/``EOF`` around the file, ``BOA``/``EOA``
  around each account, ``BOS``/``EOS`` around each section (``EOS`` counts its rows). The
  ``BOF`` record carries the statement period, so only this shape lets the ledger count
  the period as covered; the trailers also tell a complete file from a truncated one.
* **Include section code and line descriptor?** Each row starts with ``HEADER`` or
  ``DATA`` and the section's code (``TRNT`` trades, ``CTRN`` cash transactions, ``POST``
  open positions, ``CRTT`` cash report, ``ACCT`` account information).
* None ticked but headers: sections follow one another, each with its own header row when
  the column set changes; the section is recognised from its columns.

Column names map onto the XML attribute names through the one field catalogue
(:mod:`journal.importers.fields`) and the rows go through the same converters as the XML
(:class:`journal.importers.flex_rows.FlexRows`): the same keys (``transactionID``), so a
Flex CSV and the XML of the same query import to the same ledger and importing both adds
nothing. The General Configuration (date and time formats and separator, canceled
trades, account alias) reads exactly as in the XML.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from journal.coverage import incomplete_day_warning
from journal.errors import StatementError
from journal.events import AccountInfo, ParseSummary, SourceRef, StatementStart
from journal.importers._convert import (
    SLASH_SCAN_CSV,
    ConversionError,
    detect_slash_order,
    to_text,
)
from journal.importers._io import StatementReader
from journal.importers.fields import (
    LEVEL_TAGS,
    attributes_for_columns,
    known_column,
)
from journal.importers.flex_rows import FlexRows

FORMAT = "flex-csv"
MAX_FIELD_CHARS = 10_000
CONTROL_RECORDS = frozenset({"BOF", "BOA", "BOS", "EOS", "EOA", "EOF"})
DESCRIPTORS = frozenset({"HEADER", "DATA"})

SECTION_CODES = {"TRNT": "Trades", "CTRN": "CashTransactions", "POST": "OpenPositions",
                 "CRTT": "CashReport", "ACCT": "AccountInformation"}
"""Section codes of the "section code and line descriptor" shape (and of BOS records)."""

SECTION_LABELS = {"trades": "Trades", "cash transactions": "CashTransactions",
                  "open positions": "OpenPositions", "cash report": "CashReport",
                  "account information": "AccountInformation",
                  "option exercises, assignments and expirations": "OptionEAE",
                  "corporate actions": "CorporateActions", "transfers": "Transfers"}
"""BOS labels (``"Trades; trade date basis"``: the part before ``;``)."""

ROW_KINDS = {"Trades": "Trade", "OptionEAE": "OptionEAE", "CashTransactions": "CashTransaction",
             "OpenPositions": "OpenPosition", "CashReport": "CashReportCurrency",
             "AccountInformation": "AccountInformation",
             "CorporateActions": "CorporateAction", "Transfers": "Transfer"}

_MARKERS = (  # a section without a code is recognised from its columns, in this order
    ("Trades", {"buySell", "ibCommission", "openCloseIndicator", "ibExecID",
                "ibCommissionCurrency"}),
    ("OptionEAE", {"commisionsAndTax", "commissionsAndTax", "realizedPnl"}),
    ("OpenPositions", {"positionValue", "costBasisMoney", "fifoPnlUnrealized", "percentOfNAV",
                       "costBasisPrice"}),
    ("CashReport", {"startingCash", "endingCash", "endingSettledCash"}),
    ("CorporateActions", {"actionDescription"}),
    ("Transfers", {"deliveringBroker", "transferPrice", "positionAmount"}),
    ("AccountInformation", {"accountType", "customerType", "accountCapabilities",
                            "tradingPermissions", "dateOpened", "dateFunded"}),
)

TRADE_NEEDS = ((("accountId",), "ClientAccountID"), (("symbol", "conid"), "Symbol"),
               (("transactionID",), "TransactionID"), (("tradeDate", "dateTime"), "TradeDate"),
               (("quantity",), "Quantity"), (("tradePrice",), "TradePrice"),
               (("ibCommission",), "IBCommission"))
"""Columns the ledger needs from the Trades section (any one of each group)."""
CASH_NEEDS = ((("accountId",), "ClientAccountID"), (("amount",), "Amount"),
              (("type",), "Type"), (("dateTime", "reportDate", "settleDate"), "DateTime"))

_SIGNATURE = frozenset(["clientaccountid", "accountalias", "currencyprimary", "assetclass", "buysell", "ibcommission", "ibcommissioncurrency", "transactionid", "conid", "tradeid", "ibexecid", "iborderid", "fxratetobase", "levelofdetail", "opencloseindicator", "notescodes", "tradeprice", "tradedate", "datetime", "reportdate", "netcash", "fifopnlrealized", "underlyingsymbol", "underlyingconid", "putcall", "markprice", "positionvalue", "costbasismoney", "startingcash", "endingcash", "transactiontype", "settledatetarget"])
"""Column names only a Flex query writes (normalised): two of them in the first row make a
file a Flex CSV; generic names (Date, Symbol, Quantity) never do."""

_CODE = re.compile(r"^[A-Z]{3,5}$")
_PREFIXED = re.compile(rb'^"?(BOF|HEADER|DATA)"?,')
_CODE_FIRST = re.compile(rb'^"?[A-Z]{3,5}"?,"?(HEADER|DATA)"?,')
_ACCOUNT_LIKE = re.compile(r"^(U|DU|F|DF|I|DI)\d{4,}$")


def identify(head: bytes) -> bool:
    """A Flex CSV: header/trailer or HEADER/DATA records, or a first row of Flex column
    names; also a headerless one (its first field an IB account id), which parse refuses
    with the setting to change."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _PREFIXED.match(text) or _CODE_FIRST.match(text):
        return True
    first = text.split(b"\n", 1)[0].decode("utf-8", "replace")
    try:
        fields = [f.strip() for f in next(csv.reader([first]), [])]
    except csv.Error:  # a lone CR and the like: not a CSV line this importer can read
        return False
    if len(fields) < 3:
        return False
    if _looks_like_header(fields) and sum(
            f.replace("/", "").replace(" ", "").lower() in _SIGNATURE for f in fields) >= 2:
        return True
    return len(fields) >= 6 and _ACCOUNT_LIKE.match(fields[0]) is not None


def _looks_like_header(fields: list[str]) -> bool:
    names = [f for f in fields if f]
    known = sum(1 for f in names if known_column(f))
    return known >= 2 and known * 2 >= len(names)


def _natural(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class _Section:
    name: str | None  # Trades, CashTransactions … or None: not imported
    label: str  # how messages name it
    columns: list[str]
    attrs: list[str]
    line: int
    code: str | None = None
    rows: int = 0
    has_level: bool = False
    txids: set = field(default_factory=set)


class FlexCsvParser:
    """Parses one Flex CSV file. ``parse()`` is a generator whose last event is a
    :class:`ParseSummary`; errors raise :class:`StatementError` (file, line)."""

    def __init__(self, path: str | Path, *, date_order: str | None = None, progress=None,
                 known=None):
        self.path = str(path)
        self.progress = progress
        self.rows = FlexRows(self.path, date_order=date_order, known=known,
                             resolve_slash_order=self._detect_slash_order)
        self.pending: list = []
        self.section: _Section | None = None
        self.by_code: dict[str, _Section] = {}
        self.expect_header = True  # the next record must be a header row
        self.bof: dict | None = None
        self.statement: dict | None = None  # BOA … EOA
        self.account: str | None = None  # the BOA account
        self.bos: tuple | None = None  # (code, label) of the open BOS record
        self.open_records: dict[str, int] = {}  # BOF/BOA/BOS not closed yet -> line
        self.eof = False

    def _detect_slash_order(self) -> str:
        def chunks():
            with open(self.path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk

        order = detect_slash_order(chunks(), SLASH_SCAN_CSV)
        if order is None:
            raise ConversionError(
                "dates like 03/04/2025 could be MM/dd/yyyy or dd/MM/yyyy and no date in the "
                "file decides it; set the Flex query's General Configuration > Date Format "
                "to yyyyMMdd or yyyy-MM-dd (or pass --date-order MDY|DMY)")
        return order

    # -- reading -------------------------------------------------------------------------
    def parse(self) -> Iterator:
        reader = StatementReader(self.path, text=True, progress=self.progress)
        with reader:
            stream = reader.text_stream()
            records = csv.reader(stream)
            line = 1
            try:
                for fields in records:
                    if fields and any(fields):
                        self._record(fields, line)
                        if self.pending:
                            yield from self.pending
                            self.pending.clear()
                    line = records.line_num + 1
            except UnicodeDecodeError as exc:
                raise StatementError(self.path, "not UTF-8 text; run the Flex query again "
                                                "and save it as CSV", line) from exc
            except csv.Error as exc:
                raise StatementError(self.path, f"not valid CSV: {exc}", line) from exc
            sha = reader.finish()
        self._check_end(line - 1, reader.removed)
        yield from self.pending
        rows = self.rows
        yield ParseSummary(FORMAT, dict(rows.counts), tuple(rows.warnings),
                           SourceRef(self.path), sha)

    def _record(self, fields: list[str], line: int) -> None:
        first = fields[0].strip()
        if first in CONTROL_RECORDS:
            self._control(first, fields, line)
        elif first in DESCRIPTORS and len(fields) > 1:
            self._prefixed(first, fields[1].strip(), fields[2:], line)
        elif len(fields) > 1 and fields[1].strip() in DESCRIPTORS and _CODE.match(first):
            self._prefixed(fields[1].strip(), first, fields[2:], line)
        else:
            self._plain(fields, line)

    def _prefixed(self, descriptor: str, code: str, values: list[str], line: int) -> None:
        if descriptor == "HEADER":
            self.by_code[code] = self._bind(values, line, code=code)
            return
        section = self.by_code.get(code)
        if section is None:
            raise StatementError(self.path, f"a DATA row of section {code} without its HEADER "
                                            "row: turn on Include column headers in the Flex "
                                            "query's delivery settings", line)
        self._data(section, values, line)

    def _plain(self, fields: list[str], line: int) -> None:
        section = self.section
        if section is None or self.expect_header:
            if not _looks_like_header([f.strip() for f in fields]):
                raise StatementError(self.path, "the file has no column headers, so its "
                                                "columns cannot be told apart: turn on Include "
                                                "column headers in the Flex query's delivery "
                                                "settings", line)
            self.section = self._bind(fields, line)
            return
        head = fields[0].strip()
        if (known_column(head) or len(fields) != len(section.columns)) and \
                _looks_like_header([f.strip() for f in fields]):
            self.section = self._bind(fields, line)  # a new section (the columns changed)
            return
        self._data(section, fields, line)

    # -- sections ------------------------------------------------------------------------
    def _bind(self, values: list[str], line: int, *, code: str | None = None) -> _Section:
        columns = [v.strip() for v in values]
        while columns and not columns[-1]:
            columns.pop()
        self.expect_header = False
        name, label = self._section_name(columns, code)
        kind = ROW_KINDS.get(name or "", "Trade")
        attrs = attributes_for_columns(kind, columns)
        section = _Section(name, label, columns, attrs, line, code,
                           has_level="levelOfDetail" in attrs)
        if name is None:
            self.rows.warn(f"section {label} is not imported")
            return section
        self.rows.sections.add(name)
        if self.statement is not None:
            self.statement["sections"].add(name)
        if name == "Trades":
            self._require(section, TRADE_NEEDS)
        elif name == "CashTransactions":
            self._require(section, CASH_NEEDS)
        return section

    def _section_name(self, columns: list[str], code: str | None) -> tuple:
        """(section, how messages name it): from the section code, else the BOS label,
        else the columns. Another code with trade columns (trade confirmations …) is not
        the Trades section: the file names that one TRNT."""
        label_text = None
        if code is None and self.bos is not None:
            code, label_text = self.bos
        if code in SECTION_CODES:
            return SECTION_CODES[code], code
        if label_text:
            name = SECTION_LABELS.get(label_text.split(";")[0].strip().lower())
            if name is not None:
                return name, repr(label_text)
        attrs = set(attributes_for_columns("Trade", columns))
        for name, markers in _MARKERS:
            if attrs & markers:
                if name == "Trades" and code:
                    break
                return name, code or name
        else:
            if {"amount", "type"} <= attrs:
                return "CashTransactions", code or "CashTransactions"
        shown = ", ".join(columns[:4]) + ("…" if len(columns) > 4 else "")
        return None, code or f"with columns {shown}"

    def _require(self, section: _Section, needs) -> None:
        have = set(section.attrs)
        missing = []
        for attrs, column in needs:
            if attrs == ("accountId",) and (self.account or self.bof):
                continue  # the BOA/BOF record names the account
            if not have.intersection(attrs):
                missing.append(column)
        if missing:
            where = {"Trades": "Trades", "CashTransactions": "Cash Transactions"}.get(
                section.name or "", section.label)
            raise StatementError(
                self.path, f"the {where} section lacks column{'s' if len(missing) > 1 else ''} "
                           f"{', '.join(missing)}: add {_natural(missing)} to the {where} "
                           "section of the Flex query", section.line)

    # -- rows ----------------------------------------------------------------------------
    def _data(self, section: _Section, values: list[str], line: int) -> None:
        section.rows += 1
        if len(values) > len(section.columns):
            if any(v.strip() for v in values[len(section.columns):]):
                raise StatementError(self.path, f"a row of {len(values)} fields under a header "
                                                f"of {len(section.columns)}", line)
            values = values[:len(section.columns)]
        if values and len(max(values, key=len)) > MAX_FIELD_CHARS:
            raise StatementError(self.path, f"a field of {len(max(values, key=len)):,} "
                                            "characters; not a real IB statement", line)
        name = section.name
        if name is None:
            self.rows.counts["skipped_other_sections"] += 1
            return
        attrs = dict(zip(section.attrs, values))
        if name == "AccountInformation":
            self._account_information(attrs, line)
            return
        tag = ROW_KINDS[name]
        if name == "Trades":
            tag = self._trade_tag(section, attrs, line)
        event = self.rows.row(name, tag, attrs, self.account, line)
        if event is not None:
            self.pending.append(event)

    def _trade_tag(self, section: _Section, attrs: dict, line: int) -> str:
        """The XML element a Trades row would be: from LevelOfDetail, or, when the query
        left that column out, from the transaction id (orders and summaries have none;
        a closed lot repeats its opening trade's, which cannot be told from a trade)."""
        if section.has_level:
            level = (attrs.get("levelOfDetail") or "EXECUTION").strip()
            return LEVEL_TAGS.get(level, level)
        txid = (attrs.get("transactionID") or "").strip()
        if not txid:
            return "Order"
        if txid in section.txids:
            raise StatementError(self.path, f"transaction {txid} appears twice in the Trades "
                                            "section, which has no LevelOfDetail column to tell "
                                            "executions from closed lots: add LevelOfDetail to "
                                            "the Trades section of the Flex query", line)
        section.txids.add(txid)
        return "Trade"

    def _account_information(self, attrs: dict, line: int) -> None:
        account = to_text(attrs.get("accountId")) or self.account
        if account:
            self.pending.append(AccountInfo(account, to_text(attrs.get("acctAlias")),
                                            to_text(attrs.get("currency")),
                                            SourceRef(self.path, line)))

    # -- header and trailer records --------------------------------------------------------
    def _control(self, kind: str, fields: list[str], line: int) -> None:
        if self.eof:
            raise StatementError(self.path, f"a {kind} record after the EOF record", line)
        opens = {"EOF": "BOF", "EOA": "BOA", "EOS": "BOS"}
        if kind in opens:
            if opens[kind] not in self.open_records:
                raise StatementError(self.path, f"an {kind} record without its {opens[kind]}",
                                     line)
            del self.open_records[opens[kind]]
        else:
            if kind in self.open_records:
                raise StatementError(self.path, f"a {kind} record inside another {kind} "
                                                f"(opened on line {self.open_records[kind]})",
                                     line)
            self.open_records[kind] = line
        handler = {"BOF": self._bof, "BOA": self._boa, "BOS": self._bos, "EOS": self._eos,
                   "EOA": self._eoa, "EOF": self._eof}[kind]
        handler(fields, line)

    def _dates(self, texts: list[str], line: int) -> list:
        style = self.rows.date_style
        out = []
        for t in texts:
            try:
                out.append(style.date(t) if t.strip() else None)
            except ConversionError:
                self.rows.warn(f"line {line}: header record date {t!r} not understood")
                out.append(None)
        return out

    def _bof(self, fields: list[str], line: int) -> None:
        # BOF, account, query name, accounts, from date, to date, generated, …
        padded = [f.strip() for f in fields] + [""] * 8
        when = None
        try:
            when, _zone = self.rows.date_style.datetime(padded[6] or None)
        except ConversionError:
            self.rows.warn(f"line {line}: generation time {padded[6]!r} not understood")
        start, end = self._dates(padded[4:6], line)
        self.bof = {"account": to_text(padded[1]), "from": start, "to": end, "when": when,
                    "line": line}
        warning = incomplete_day_warning(end, when)
        if warning:
            self.rows.warn(warning)

    def _boa(self, fields: list[str], line: int) -> None:
        padded = [f.strip() for f in fields] + [""] * 4
        self.account = to_text(padded[1])
        bof = self.bof or {}
        start, end = self._dates(padded[2:4], line)
        self.statement = {"from": start or bof.get("from"), "to": end or bof.get("to"),
                          "when": bof.get("when"), "line": line, "sections": set()}
        self.rows.counts["statements"] += 1

    def _bos(self, fields: list[str], line: int) -> None:
        padded = [f.strip() for f in fields] + ["", ""]
        self.bos = (padded[1] or None, padded[2] or None)
        self.section = None
        self.expect_header = True

    def _eos(self, fields: list[str], line: int) -> None:
        declared = fields[2].strip() if len(fields) > 2 else ""
        section = self.section
        if section is None and self.bos and self.bos[0] in self.by_code:
            section = self.by_code[self.bos[0]]
        seen = section.rows if section is not None else 0
        if declared.isdigit() and int(declared) != seen:
            raise StatementError(self.path, f"section {self.bos[0] if self.bos else '?'} ends "
                                            f"after {seen} rows but its EOS record counts "
                                            f"{declared}: the file is damaged or truncated",
                                 line)
        if section is not None:
            self.by_code.pop(section.code or "", None)
        self.bos = None
        self.section = None
        self.expect_header = True

    def _eoa(self, fields: list[str], line: int) -> None:
        self._close_statement()

    def _eof(self, fields: list[str], line: int) -> None:
        self.eof = True

    def _close_statement(self) -> None:
        """One StatementStart per account, as the XML importer makes them: the period
        counts as covered only when the statement has a Trades section."""
        st = self.statement
        if st is None:
            return
        accounts = [self.account] if self.account else list(self.rows.orphan_accounts)
        self.rows.orphan_accounts.clear()
        trades = "Trades" in st["sections"]
        src = SourceRef(self.path, st["line"])
        for acc in accounts:
            self.pending.append(StatementStart(acc, st["from"] if trades else None,
                                               st["to"] if trades else None, None, st["when"],
                                               src))
        self.statement = None
        self.account = None

    def _check_end(self, last_line: int, removed: int) -> None:
        if self.open_records:
            kind, line = max(self.open_records.items(), key=lambda kv: kv[1])
            closing = {"BOF": "EOF", "BOA": "EOA", "BOS": "EOS"}[kind]
            raise StatementError(self.path, f"the file ends (line {last_line}) before the "
                                            f"{closing} record that closes the {kind} of line "
                                            f"{line}: it looks truncated; download it again",
                                 last_line)
        rows = self.rows
        if self.bof is None:
            if rows.counts["trades"]:
                rows.warn("no header and trailer records: the statement period is unknown, so "
                          "it does not count as covered (turn on Include header and trailer "
                          "records in the Flex query's delivery settings)")
        elif self.statement is None and not rows.counts["statements"]:
            # a BOF without BOA records: one statement for the whole file
            self.statement = {"from": self.bof["from"], "to": self.bof["to"],
                              "when": self.bof["when"], "line": self.bof["line"],
                              "sections": set(rows.sections)}
            self.account = self.bof["account"] if not rows.orphan_accounts else None
            rows.counts["statements"] += 1
            self._close_statement()
        rows.check_found_trades()
        if removed:
            rows.warn(f"{removed} control characters (ESC, BEL …) removed")


def parse(path: str | Path, *, date_order: str | None = None, progress=None,
          known=None) -> Iterator:
    """Parse a Flex CSV file; yields events, the last one a ParseSummary."""
    return FlexCsvParser(path, date_order=date_order, progress=progress, known=known).parse()
