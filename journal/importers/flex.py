"""IB Flex Query XML (Activity Flex) -> ledger events. Parses only: no database access.

Expected query settings: an Activity Flex query with Trades at **Executions** level
(Orders, Symbol Summary, Asset Class and Closed Lots may be ticked: those rows are
recognised and not counted as trades), Option Exercises/Assignments/Expirations, Cash
Transactions at **Detail** level, and optionally Open Positions. Any date format, time
format and date/time separator that IB offers is accepted.

Quirks handled (ib_formats.md): unknown attributes, sections and code letters (kept,
reported once each); ``MULTI``/``--``/empty as no value; thousands separators; ``-0``; a
BOM; CRLF; several FlexStatements (accounts) in one file; a FlexStatement with
``accountId="-"`` (each row's own accountId is used); time-zone suffixes (``EDT``); IB's
error envelope (``FlexStatementResponse``) delivered instead of a statement; trimmed
queries without ``transactionID`` (a stable key is derived, see ``flex_rows.Keyer``).

This module only tokenises: the rows go, as attribute dicts, to
:class:`journal.importers.flex_rows.FlexRows`, which the Flex CSV importer shares.

Why pyexpat and not ElementTree.iterparse: iterparse builds an Element for every node and
cannot refuse a DOCTYPE, while defusedxml's iterparse swaps in a pure-Python parser that
is several times slower. Expat's start-element callback hands over each row's attributes
as a dict, which is all a Flex row is (data lives entirely in attributes), and gives the
line number for error messages. Feeding it fixed-size chunks keeps memory flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from journal.coverage import incomplete_day_warning
from journal.errors import StatementError, quote
from journal.events import AccountInfo, ParseSummary, SourceRef, StatementStart
from journal.importers._convert import ConversionError, detect_slash_order, to_text
from journal.importers._io import StatementReader, may_hold_controls, strip_controls
from journal.importers.flex_rows import FlexRows

FORMAT = "flex-xml"
CHUNK = 1 << 16
MAX_ATTRIBUTE_CHARS = 10_000
"""No real Flex attribute comes near this; a longer one is a corrupt or hostile file."""
MAX_ERROR_TEXT = 300
"""How much of an IB error reply's text a message quotes (the reply may be megabytes)."""

KNOWN_SECTIONS = frozenset(["AccountInformation", "CFDCharges", "CashReport", "CashTransactions", "ChangeInDividendAccruals", "ChangeInNAV", "ChangeInPositionValues", "ClientFees", "ClientFeesDetail", "ComplexPositions", "ConversionRates", "CorporateActions", "DebitCardActivities", "DepositsOnHold", "EquitySummaryInBase", "FIFOPerformanceSummaryInBase", "FdicInsuredDepositsByBank", "FxPositions", "FxTransactions", "GrantActivities", "HKIPOOpenSubscriptions", "HKIPOSubscriptionActivity", "HardToBorrowDetails", "IBGNoteTransactions", "IncentiveCouponAccrualDetails", "InterestAccruals", "InterestDetails", "LowBalanceFees", "MTDYTDPerformanceSummary", "MTMPerformanceSummaryInBase", "NetStockPositionSummary", "OpenDividendAccruals", "OpenPositions", "OptionEAE", "PendingExcercises", "PendingExercises", "PriorPeriodPositions", "RoutingCommissions", "SLBActivities", "SLBCollaterals", "SLBFees", "SLBOpenContracts", "SalesTaxes", "SecuritiesInfo", "SoftDollars", "StmtFunds", "TierInterestDetails", "TradeConfirms", "TradeTransfers", "Trades", "TransactionTaxes", "Transfers", "UnbookedTrades", "UnbundledCommissionDetails", "UnsettledTransfers"])
"""Sections of an Activity Flex statement (ibflex Types.FlexStatement and the samples).
A section not listed here is reported once as unknown and skipped."""


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
        self.progress = progress  # called with the byte count of each chunk read
        self.rows = FlexRows(self.path, date_order=date_order, known=known,
                             resolve_slash_order=self._detect_slash_order)

    @property
    def counts(self):
        return self.rows.counts

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

    def parse(self) -> Iterator:
        reader = StatementReader(self.path)
        with reader:
            head = reader.read_chunk(CHUNK)
            if not head.strip(b"\xef\xbb\xbf \t\r\n"):
                raise StatementError(self.path, "the file is empty")
            if not identify(head):
                hint = ""
                if head.lstrip(b"\xef\xbb\xbf").startswith((b"Statement,", b"Trades,")):
                    hint = " (it looks like an Activity Statement CSV)"
                raise StatementError(self.path, f"not a Flex XML statement{hint}", 1)
            stream = _XmlStream(self, reader)
            yield from stream.run(head)
            sha = reader.finish()
        stream.check_end()
        rows = self.rows
        yield ParseSummary(FORMAT, dict(rows.counts), tuple(rows.warnings),
                           SourceRef(self.path), sha)


class _XmlStream:
    """The expat callbacks of one parse and the little state they share: the element
    stack, the current statement, and the events waiting to be yielded."""

    def __init__(self, parser: FlexParser, reader: StatementReader):
        self.parser = parser
        self.reader = reader
        self.rows = parser.rows
        self.path = parser.path
        self.pending: list = []
        self.stack: list[str] = []
        self.root: str | None = None
        self.account: str | None = None  # the current FlexStatement's account
        self.statement: dict | None = None  # the current FlexStatement's attributes
        self.error_text: dict[str, list[str]] = {}  # IB's error reply, element by element
        self.text_tag: str | None = None
        self.dirty = False  # a chunk read so far may carry control characters
        self.last_pos = 0  # byte offset of the last element with attributes
        self.last_attrs: tuple | None = None  # (tag, attributes, line) of that element
        self.controls_removed = 0
        p = self.p = expat.ParserCreate()
        p.buffer_text = True  # text arrives in large pieces, not one call per line
        p.ordered_attributes = False
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self.refuse
        p.EntityDeclHandler = self.refuse
        p.UnparsedEntityDeclHandler = self.refuse
        p.ExternalEntityRefHandler = self.refuse
        p.NotationDeclHandler = self.refuse
        p.StartElementHandler = self.start
        p.EndElementHandler = self.end
        # Text matters only in IB's error reply (start_root sets the handler then): a
        # statement's text is the whitespace between rows, a call per row for nothing.

    def refuse(self, *_args):
        raise StatementError(
            self.path, "refusing XML with a DOCTYPE or entity declarations (IB never sends "
                       "them; such a file may try to expand entities or fetch URLs)",
            self.p.CurrentLineNumber)

    def run(self, head: bytes) -> Iterator:
        p, pending, progress = self.p, self.pending, self.parser.progress
        chunk = head
        try:
            while chunk:
                if not self.dirty and may_hold_controls(chunk):
                    self.dirty = True
                p.Parse(chunk, False)
                if progress is not None:
                    progress(len(chunk))
                if pending:
                    yield from pending
                    pending.clear()
                chunk = self.reader.read_chunk(CHUNK)
            p.Parse(b"", True)
            self.check_lengths()  # the last element has no next one to trigger the check
        except expat.ExpatError as exc:
            reason = expat.ErrorString(exc.code)
            if reason == "no element found" or reason.startswith("unclosed token"):
                reason = f"the XML ends too early ({reason}); the file looks truncated"
            raise StatementError(self.path, f"not valid XML: {reason}", exc.lineno) from exc
        yield from pending
        pending.clear()

    # -- callbacks ----------------------------------------------------------------------
    def start(self, tag, attrs):
        stack = self.stack
        depth = len(stack)
        stack.append(tag)
        p = self.p
        line = p.CurrentLineNumber
        if attrs:
            # An attribute longer than the limit makes its element span more bytes than the
            # limit: only then are the previous element's values measured (measuring every
            # row cost a tenth of the import).
            pos = p.CurrentByteIndex
            if pos - self.last_pos > MAX_ATTRIBUTE_CHARS:
                self.check_lengths()
            self.last_pos, self.last_attrs = pos, (tag, attrs, line)
            if self.dirty:
                attrs = self.clean(attrs)
        if depth == 4:  # a data row: by far the most common case
            if self.statement is not None:
                event = self.rows.row(stack[3], tag, attrs, self.account, line)
                if event is not None:
                    self.pending.append(event)
            return
        if depth == 0:
            self.start_root(tag)
        elif self.root == "FlexStatementResponse":
            self.text_tag = tag
        elif tag == "FlexStatement" and depth == 2:
            self.start_statement(attrs)
        elif depth == 3 and self.statement is not None:
            self.start_section(tag, attrs)

    def check_lengths(self) -> None:
        if self.last_attrs is None:
            return
        tag, attrs, line = self.last_attrs
        longest = max(map(len, attrs.values()))
        if longest > MAX_ATTRIBUTE_CHARS:
            raise StatementError(self.path, f"<{tag}> has an attribute of {longest:,} "
                                            "characters; not a real IB statement", line)

    def clean(self, attrs: dict) -> dict:
        out = {}
        for k, v in attrs.items():
            c = strip_controls(v)
            self.controls_removed += len(v) - len(c)
            out[k] = c
        return out

    def start_root(self, tag):
        self.root = tag
        if tag == "FlexStatementResponse":
            self.p.CharacterDataHandler = self.chardata
        if tag not in ("FlexQueryResponse", "FlexStatementResponse"):
            raise StatementError(self.path, f"not an IB Flex statement (root element <{tag}>, "
                                            "expected <FlexQueryResponse>)",
                                 self.p.CurrentLineNumber)

    def start_statement(self, attrs):
        line = self.p.CurrentLineNumber
        raw = attrs.get("accountId")
        self.account = to_text(raw)
        if raw is None or (self.account is None and raw.strip() not in ("-", "--")):
            raise StatementError(self.path, "<FlexStatement> without accountId", line)
        self.rows.counts["statements"] += 1
        style = self.rows.date_style
        try:
            when, _zone = style.datetime(attrs.get("whenGenerated"))
            self.statement = {
                "from": style.date(attrs.get("fromDate")), "to": style.date(attrs.get("toDate")),
                "period": to_text(attrs.get("period")), "when": when, "line": line,
                "sections": set(),
            }
        except ConversionError as exc:
            raise StatementError(self.path, f"<FlexStatement>: {exc}", line) from exc
        warning = incomplete_day_warning(self.statement["to"], when)
        if warning:
            self.rows.warn(warning)

    def start_section(self, tag, attrs):
        self.statement["sections"].add(tag)
        self.rows.sections.add(tag)
        if tag not in KNOWN_SECTIONS:
            self.rows.warn(f"unknown section <{tag}> skipped")
        elif tag == "AccountInformation":
            account = to_text(attrs.get("accountId")) or self.account
            if account:
                self.pending.append(AccountInfo(
                    account, to_text(attrs.get("acctAlias")), to_text(attrs.get("currency")),
                    SourceRef(self.path, self.p.CurrentLineNumber)))

    def end(self, tag):
        stack = self.stack
        stack.pop()
        if tag == "FlexStatement" and len(stack) == 2 and self.statement is not None:
            self.end_statement()
        self.text_tag = None

    def end_statement(self):
        """One StatementStart per account of the statement (the rows' accounts when the
        statement says ``accountId="-"``). Its period counts as covered only when the
        statement has a Trades section: without one it says nothing about trades."""
        st = self.statement
        accounts = [self.account] if self.account else list(self.rows.orphan_accounts)
        self.rows.orphan_accounts.clear()
        trades = "Trades" in st["sections"]
        src = SourceRef(self.path, st["line"])
        for acc in accounts:
            self.pending.append(StatementStart(
                acc, st["from"] if trades else None, st["to"] if trades else None,
                st["period"], st["when"], src))
        self.statement = None
        self.account = None

    def chardata(self, text):
        if self.root == "FlexStatementResponse" and self.text_tag:
            parts = self.error_text.setdefault(self.text_tag, [])
            if sum(map(len, parts)) < MAX_ERROR_TEXT * 4:  # a list, not a growing string
                parts.append(text)

    def check_end(self) -> None:
        if self.root == "FlexStatementResponse":
            err = {k: quote("".join(v), MAX_ERROR_TEXT) for k, v in self.error_text.items()}
            code = err.get("ErrorCode") or "?"
            message = err.get("ErrorMessage") or err.get("Status") or "no statement"
            raise StatementError(
                self.path, f"this is an IB Flex Web Service error reply, not a statement "
                           f"(error {code}: {message})")
        rows = self.rows
        if rows.counts["statements"] == 0:
            rows.warn("the file holds no <FlexStatement>")
            return
        rows.check_found_trades()
        if self.controls_removed:
            rows.warn(f"{self.controls_removed} control characters (ESC, BEL …) removed")


def parse(path: str | Path, *, date_order: str | None = None, progress=None,
          known=None) -> Iterator:
    """Parse a Flex XML file; yields events, the last one a ParseSummary. Trade rows whose
    key is in ``known`` (a KnownKeys) come as KnownRow, unconverted."""
    return FlexParser(path, date_order=date_order, progress=progress, known=known).parse()
