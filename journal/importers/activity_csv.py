"""IB Activity Statement CSV (the default statement of the Client Portal) -> ledger events.

Parses only: no database access. Yields the same events as :mod:`journal.importers.flex`
so the ledger treats both formats alike; the differences are absorbed here and in
:mod:`journal.importers.activity_rows` (the row converters):

* The CSV is a stack of tables (``Section,Header|Data|SubTotal|Total,…``, ib_formats.md
  §2.1). Columns are resolved by name and re-bound at every Header row, because IB repeats
  the header per asset category and columns come and go (``Account``, ``Exchange``, …).
* Only the ``Trade`` level of the Trades section becomes ledger rows; ``Order`` rows are
  the same fills summed and ``ClosedLot`` rows are lot detail: which opening lot (by its
  date; the CSV names no transaction) the Trade row before them relieved. They are stored
  for the rules' default lot method (IB's own pairing, tax_rules.md §4). The ``Closed
  Lot:`` rows under Corporate Actions are the same for the action row above them (a cash
  merger or liquidation: open date, ``Basis: …`` in the Description, IB's realized P/L).
* Rows carry no IB ids, so every row gets a stable synthetic key (``csv:<hash>:<n>``): a
  hash of the fields that identify it plus an ordinal for genuinely identical rows. The
  ledger recognises that prefix and links CSV rows to the Flex rows of the same fills
  (``ledger.link_cross_format``), so importing both formats stores each trade once.
* Option contracts come from ``Financial Instrument Information`` when the statement has
  it (the only structured source: conid, strike, expiry, multiplier); otherwise from the
  symbol itself (``MSFT 21NOV25 410 P``, older ``CLOV 16JUL21 20.0 C``, or OCC form).
  That section usually comes *after* Trades, so a first pass reads it (and the account)
  before the rows are streamed; both passes read row by row, so memory stays flat, and
  both must read the same bytes (a file rewritten in between is refused).
* A complete statement (one with its ``Statement`` section) closes every Trades table
  with a Total row and ends with the Codes and Notes/Legal Notes sections. A file cut
  short lacks them and is refused: its rows are ordered by asset class and symbol, not by
  date, so no "complete up to day X" can be salvaged from it.

Also handled: a BOM, CRLF, quoted thousands (``"1,000"``), ``--`` and ``&nbsp`` noise,
Total rows written as Data rows (``Total``, ``Total in USD``), stray lines without a row
type, ragged rows, spreadsheet padding and control characters (dropped). Errors name the
file, line and section.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from journal.coverage import incomplete_day_warning
from journal.errors import StatementError
from journal.events import (
    AccountInfo,
    CashBalanceRow,
    CorporateActionRow,
    ParseSummary,
    SourceRef,
    StatementStart,
    TradeRow,
    balance_key,
)
from journal.importers._convert import ConversionError, DateStyle, to_text
from journal.importers._io import StatementReader
from journal.importers.activity_rows import (  # noqa: F401 - re-exported names
    ASSET_CODES,
    CASH_SECTIONS,
    CORPORATE_ACTIONS,
    EAE,
    KEY_PREFIX,
    TRADES,
    TRANSFERS,
    ActionRows,
    ActivityRows,
    _dec,
    _field_pair,
    _get,
    _Instrument,
    _is_total,
    _Keyer,
    _plain,
    parse_option_symbol,
)

FORMAT = "activity-csv"
ORIGIN = "csv"

UNKNOWN_ACCOUNT = "unknown"
MAX_FIELD_CHARS = 10_000

ROW_TYPES = frozenset({"Header", "Headers", "Data", "SubTotal", "Total"})

FII = "Financial Instrument Information"
CASH_REPORT = "Cash Report"
LAST_SECTION = "Notes/Legal Notes"
"""The section a complete (English) Activity Statement ends with."""

IGNORED_SECTIONS = frozenset("""
Net Asset Value|Change in NAV|Mark-to-Market Performance Summary|Open Positions
|Realized & Unrealized Performance Summary|Codes|Notes/Legal Notes
|Month & Year to Date Performance Summary
|Forex Balances|Change in Dividend Accruals|Interest Accruals|Change in Position Value
|Location of Customer Assets, Positions and Money|Base Currency Exchange Rate
|Net Stock Position Summary
|Transaction Fees|Commission Adjustments|Borrow Fee Details
|Stock Yield Enhancement Program Securities Lent|Broker Interest Paid|Broker Interest Received
|Open Dividend Accruals|Complex Position Summary|Trade Confirms
""".replace("\n", "").split("|"))
"""Summaries and reconciliation tables: read past without a warning. Any other section is
reported once as not imported (localised statements rename every section)."""

_PERIOD = re.compile(r"^(?P<a>[A-Z][a-z]+ \d{1,2}, \d{4})\s*-\s*(?P<b>[A-Z][a-z]+ \d{1,2}, \d{4})$")
_HEADER_LINE = re.compile(rb'^"?[^,\r\n<>]{1,80}"?,"?Headers?"?,')


def identify(head: bytes) -> bool:
    """True for an Activity Statement CSV: the first line is ``<Section>,Header,…``
    (``Statement,Header,Field Name,Field Value`` or ``Trades,Header,…``), BOM allowed."""
    text = head.lstrip(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return _HEADER_LINE.match(text) is not None


class _Shape:
    """What a pass saw of the file's structure, to tell a complete statement from a cut one:
    the sections in order, and whether the last Trades table was closed by its Total."""

    def __init__(self):
        self.sections: list[str] = []
        self.last_line = 0
        self.last_section: str | None = None
        self.section_data = 0  # Data rows of the last section
        self.trades_open_line: int | None = None  # a Trades table's rows not yet totalled
        self.unclosed: int | None = None  # the first Trades table left without its Total

    def row(self, section: str, kind: str, line: int) -> None:
        self.last_line = line
        if section != self.last_section:
            self.close_trades()
            self.sections.append(section)
            self.last_section = section
            self.section_data = 0
        if kind == "Data":
            self.section_data += 1
            if section == TRADES:
                self.trades_open_line = line
        elif kind == "Header":
            self.close_trades()
        elif kind == "Total" and section == TRADES:
            self.trades_open_line = None

    def close_trades(self) -> None:
        if self.unclosed is None:
            self.unclosed = self.trades_open_line
        self.trades_open_line = None


class ActivityCsvParser(ActivityRows, ActionRows):
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
        self.has_statement = False  # a full statement, not an excerpt (a Trades table alone)

    def _warn(self, message: str) -> None:
        self.warnings.setdefault(message, None)

    # -- reading -------------------------------------------------------------------------
    def _rows(self, reader: StatementReader) -> Iterator[tuple[int, list[str]]]:
        """(line number, fields) for every CSV record; the BOM is dropped by utf-8-sig."""
        records = csv.reader(reader.text_stream())
        line = 1
        try:
            for fields in records:
                yield line, fields
                line = records.line_num + 1
        except UnicodeDecodeError as exc:
            raise StatementError(self.path, "not UTF-8 text; export the statement again "
                                            "as CSV", line) from exc
        except csv.Error as exc:
            raise StatementError(self.path, f"not valid CSV: {exc}", line) from exc

    def _tables(self, reader: StatementReader, counts=None, shape: _Shape | None = None):
        """(line, section, row type, columns dict) for every Data row, headers re-bound at
        each Header row. Yields Header rows too (columns None) so callers can count them.
        ``counts`` receives the rows skipped here (only the second pass passes it)."""
        headers: dict[str, list[str]] = {}
        counts = Counter() if counts is None else counts
        for line, fields in self._rows(reader):
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
            if kind == "Headers":
                kind = "Header"
            if shape is not None:
                shape.row(section, kind, line)
            if kind == "Header":
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
    def _prescan(self) -> str:
        """Read the account, period, base currency and instruments; returns the checksum
        of the bytes read."""
        accounts: set[str] = set()
        with StatementReader(self.path, text=True) as reader:
            for line, section, kind, cols in self._tables(reader):
                if section == "Statement":
                    self.has_statement = True
                if kind != "Data":
                    continue
                if section == "Account Information":
                    name, value = _field_pair(cols)
                    if name == "Account" and value and self.account is None:
                        self.account = value.split()[0]
                    elif name == "Base Currency" and value:
                        self.base_currency = value.strip()
                elif section == "Statement":
                    self._statement_field(cols, line)
                elif section == FII:
                    self._instrument(cols, line)
                elif section == TRADES:
                    acc = to_text(_get(cols, "account"))
                    if acc:
                        accounts.add(acc)
            sha = reader.finish()
        self._choose_account(accounts)
        return sha

    def _statement_field(self, cols, line) -> None:
        name, value = _field_pair(cols)
        if name == "Period" and value:
            self.period = self._period(value, line)
        elif name == "WhenGenerated" and value:
            try:
                self.when_generated, _zone = self.date_style.datetime(value)
            except ConversionError as exc:
                raise StatementError(self.path, f"[Statement] WhenGenerated: {exc}",
                                     line) from exc

    def _choose_account(self, accounts: set[str]) -> None:
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
        for name in (symbol, desc):
            if name and len(self.instruments) < 200_000:
                self.instruments.setdefault(name.strip(), inst)

    # -- second pass ---------------------------------------------------------------------
    def parse(self) -> Iterator:
        first_sha = self._prescan()
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
        self._unknown: set[str] = set()
        self._closing: TradeRow | None = None  # the fill the ClosedLot rows after it relieve
        self._action: CorporateActionRow | None = None  # the action its Closed Lot rows follow
        self._cash_report: dict = {}  # Starting/Ending Cash of the base-currency summary
        shape = _Shape()
        with StatementReader(self.path, text=True, progress=self.progress) as reader:
            for line, section, kind, cols in self._tables(reader, self.counts, shape):
                if kind == "Header":
                    continue
                try:
                    event = self._row(section, cols, account, line)
                except ConversionError as exc:
                    raise StatementError(self.path, f"[{section}] {exc}", line) from exc
                if event is not None:
                    yield event
            sha = reader.finish()
        if sha != first_sha:
            raise StatementError(self.path, "the file changed while it was being read; "
                                            "import it again once it is complete")
        self._check_complete(shape)
        balance = self._balance(account)
        if balance is not None:
            yield balance
        if self.counts["trades"] == 0 and not self.counts["cash_transactions"]:
            self._warn("the file holds no Trade rows and no cash rows")
        if reader.removed:
            self._warn(f"{reader.removed} control characters (ESC, BEL …) removed")
        yield ParseSummary(FORMAT, dict(self.counts), tuple(self.warnings), SourceRef(self.path),
                           sha)

    def _row(self, section: str, cols: dict, account: str, line: int):
        """The event of one Data row, or None."""
        if section == TRADES:
            disc = (cols.get("DataDiscriminator") or "Trade").strip()
            if disc == "Trade":
                self.counts["trades"] += 1
                self._closing = self._trade(cols, account, line)
                return self._closing
            if disc == "ClosedLot" and self._closing is not None:
                self.counts["closed_lots"] += 1
                return self._closed_lot(cols, self._closing, line)
            self.counts[f"skipped_{disc}"] += 1
        elif section == EAE:
            if not _is_total(cols):
                self.counts["option_events"] += 1
                return self._eae(cols, account, line)
        elif section in CASH_SECTIONS:
            if _is_total(cols):
                self.counts["skipped_totals"] += 1
                return None
            row = self._cash(section, cols, account, line)
            if row is not None:
                self.counts["cash_transactions"] += 1
            return row
        elif section in (CORPORATE_ACTIONS, TRANSFERS):
            return self._action_row(section, cols, account, line)
        elif section == CASH_REPORT:
            what = (cols.get("Currency Summary") or "").strip()
            if what in ("Starting Cash", "Ending Cash") and \
                    (cols.get("Currency") or "").strip() == "Base Currency Summary":
                self._cash_report[what] = (_dec(cols.get("Total")), line)
        elif section not in (FII, "Statement", "Account Information", *IGNORED_SECTIONS) \
                and section not in self._unknown:
            self._unknown.add(section)
            self._warn(f"section {section!r} is not imported")
        return None

    def _action_row(self, section: str, cols: dict, account: str, line: int):
        if _is_total(cols):
            self.counts["skipped_totals"] += 1
            self._action = None
            return None
        if section == TRANSFERS:
            if not (cols.get("Symbol") or "").strip():
                return None
            self.counts["transfers"] += 1
            return self._transfer(cols, account, line)
        if not (cols.get("Description") or "").strip() or \
                (cols.get("Report Date") or "").strip().startswith("Closed Lot"):
            # IB's lot relief of the shares the action row above gave up (a liquidation or
            # cash merger), in the columns of the rows around it: kept as IB's closed lots
            # of that row, as the Trades section's ClosedLot rows are for a sale
            action = self._action
            if action is not None and (action.quantity or 0) < 0 and \
                    (cols.get("Description") or "").strip().startswith("Basis"):
                self.counts["corporate_action_closed_lots"] += 1
                return self._action_closed_lot(cols, action, line)
            self.counts["skipped_corporate_action_closed_lot"] += 1
            return None
        self.counts["corporate_actions"] += 1
        self._action = self._corporate_action(cols, account, line)
        return self._action

    def _balance(self, account: str):
        pfrom, pto, _period = self.period
        if not self._cash_report or self.account is None or not (pfrom and pto):
            return None
        self.counts["cash_balances"] += 1
        start, line = self._cash_report.get("Starting Cash", (None, 1))
        end, _line = self._cash_report.get("Ending Cash", (None, line))
        return CashBalanceRow(account, balance_key(pfrom, pto), pfrom, pto, start, end,
                              {"section": CASH_REPORT, "starting": str(start),
                               "ending": str(end)}, SourceRef(self.path, line))

    def _check_complete(self, shape: _Shape) -> None:
        """Refuse a full statement that was cut short (see the module docstring). Files
        without a Statement section are excerpts (a Trades table alone): they claim no
        period, so nothing can be taken as covered that they lack."""
        if not self.has_statement:
            return
        shape.close_trades()
        reason = None
        if shape.unclosed:
            reason = f"its Trades table of line {shape.unclosed} has no Total row"
        elif shape.last_section != LAST_SECTION or not shape.section_data:
            reason = (f"it ends in section {shape.last_section!r}, and a complete Activity "
                      f"Statement ends with the {LAST_SECTION} section")
        if reason:
            raise StatementError(self.path, f"the statement looks truncated: {reason}; nothing "
                                            "was imported: download it again",
                                 shape.last_line or None)

def parse(path: str | Path, *, date_order: str | None = None, progress=None,
          account: str | None = None) -> Iterator:
    """Parse an Activity Statement CSV; yields events, the last one a ParseSummary."""
    return ActivityCsvParser(path, date_order=date_order, progress=progress,
                             account=account).parse()
