"""Flex rows -> ledger events, whatever the delivery format (XML or CSV).

Both Flex importers read a row into a dict keyed by the XML attribute names (the CSV one
translates its column names through :mod:`journal.importers.fields`) and hand it here
with the section it came from, so conversion, keys, cancels and the checks at the end are
one code path: a Flex CSV and the XML of the same query give the same events.

Which rows become events (ib_formats.md §1.8): ``Trade`` at EXECUTION level (ledger
rows), ``Lot`` (closed-lot evidence), OptionEAE, CashTransaction at DETAIL level,
OpenPosition, and the base-currency CashReport summary. Orders, symbol and asset
summaries and SUMMARY cash rows repeat what those hold: counted, not imported.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable

from journal.errors import StatementError
from journal.events import (
    CashBalanceRow,
    CashRow,
    ClosedLotRow,
    CorporateActionRow,
    KnownRow,
    OpenPositionRow,
    OptionEAERow,
    SourceRef,
    TradeRow,
    TransferRow,
    action_match_key,
    balance_key,
)
from journal.importers._convert import ConversionError, DateStyle, to_decimal, to_text
from journal.importers.fields import (
    BALANCE_SPEC,
    CASH_SPEC,
    CORPORATE_ACTION_IDENTITY,
    CORPORATE_ACTION_SPEC,
    EAE_SPEC,
    KNOWN_ATTRIBUTES,
    KNOWN_CODES,
    LOT_SPEC,
    POSITION_SPEC,
    TRADE_IDENTITY,
    TRADE_SPEC,
    TRANSFER_IDENTITY,
    TRANSFER_SPEC,
    VOCAB_CHECKS,
    compiled,
    event_fields,
)
from journal.vocab import ACTION_TYPES, transfer_type

SUMMARY_LEVELS = ("ORDER", "SYMBOL_SUMMARY", "ASSET_SUMMARY")
"""Trades levels that repeat executions: a Trades section holding only these means the
query lacks its Executions box."""


def eae_id_key(attrs) -> str | None:
    """OptionEAE key from IB's ids (ib_formats.md §1.9), when the row has a tradeID."""
    if not attrs.get("tradeID"):
        return None
    parts = [attrs.get("tradeID"), attrs.get("transactionType"), attrs.get("conid")]
    return "t:" + "|".join(p or "" for p in parts)


class Keyer:
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


class FlexRows:
    """Converts the rows of one Flex statement file. ``row()`` returns the event of one
    row (or None for rows that are only counted); errors raise StatementError naming the
    file and line. ``counts`` and ``warnings`` feed the ParseSummary."""

    def __init__(self, path: str, *, date_order: str | None = None, known=None,
                 resolve_slash_order: Callable[[], str] | None = None):
        self.path = path
        self.known = known  # KnownKeys: rows the ledger already holds come as KnownRow
        self.date_style = DateStyle(date_order, resolve_slash_order=resolve_slash_order)
        self.counts: Counter = Counter()
        self.warnings: dict[str, None] = {}  # ordered set: each warning once
        self.sections: set[str] = set()  # sections met (for the checks at the end)
        # accounts named only by rows, for a statement that names none (accountId="-")
        self.orphan_accounts: dict[str, None] = {}
        self._keyer = Keyer()
        self._checked_shapes: set[tuple] = set()
        self._codes: dict = {}
        self._date = self.date_style.date  # bound once: the converters get them per row
        self._datetime = self.date_style.datetime
        self._convert_trade = compiled(TRADE_SPEC)
        self._dispatch = {
            "Trades": self._trades, "OptionEAE": self._option_event,
            "CashTransactions": self._cash_transaction, "OpenPositions": self._open_position,
            "CashReport": self._cash_report, "TradeConfirms": self._trade_confirm,
            "CorporateActions": self._corporate_action, "Transfers": self._transfer,
        }

    def warn(self, message: str) -> None:
        self.warnings.setdefault(message, None)

    def row(self, section: str, tag: str, attrs: dict, account: str | None, line: int):
        """The event for one data row of ``section`` (``tag`` is its XML element name)."""
        handler = self._dispatch.get(section)
        return None if handler is None else handler(tag, attrs, account, line)

    def account_of(self, attrs, account, tag, line) -> str:
        acc = to_text(attrs.get("accountId")) or account
        if account is None and acc is not None:
            self.orphan_accounts[acc] = None
        elif acc is None:
            raise StatementError(
                self.path, f"<{tag}> names no account and its statement names none "
                           "(accountId \"-\"): add the Account ID field (ClientAccountID) to "
                           "that section of the Flex query", line)
        return acc

    # -- sections ------------------------------------------------------------------------
    def _trades(self, tag, attrs, account, line):
        level = attrs.get("levelOfDetail") or ("EXECUTION" if tag == "Trade" else tag)
        if tag == "Trade" and level == "EXECUTION":
            self.counts["trades"] += 1
            row_account = self.account_of(attrs, account, tag, line)
            known = self.known
            txid = attrs.get("transactionID")
            if known is not None and txid and (row_account, txid.strip()) in known.trades:
                return KnownRow("trade", row_account, txid.strip(),
                                attrs.get("transactionType") == "TradeCancel"
                                or "(Ca.)" in attrs.get("buySell", ""),
                                SourceRef(self.path, line))
            return self.trade(attrs, row_account, line)
        if tag == "Lot":
            self.counts["closed_lots"] += 1
            return self.lot(attrs, self.account_of(attrs, account, tag, line), line)
        self.counts[f"skipped_{level}"] += 1
        return None

    def _option_event(self, tag, attrs, account, line):
        self.counts["option_events"] += 1
        row_account = self.account_of(attrs, account, tag, line)
        key = eae_id_key(attrs)
        if self.known is not None and key and (row_account, key) in self.known.option_events:
            return KnownRow("option_event", row_account, key, False, SourceRef(self.path, line))
        return self.option_event(attrs, row_account, line)

    def _cash_transaction(self, tag, attrs, account, line):
        level = attrs.get("levelOfDetail") or "DETAIL"
        if level != "DETAIL":
            self.counts[f"skipped_cash_{level}"] += 1
            return None
        self.counts["cash_transactions"] += 1
        row_account = self.account_of(attrs, account, tag, line)
        txid = to_text(attrs.get("transactionID"))
        if self.known is not None and txid and (row_account, txid) in self.known.cash:
            return KnownRow("cash", row_account, txid, False, SourceRef(self.path, line))
        return self.cash(attrs, row_account, line)

    def _open_position(self, tag, attrs, account, line):
        self.counts["open_positions"] += 1
        return self.position(attrs, self.account_of(attrs, account, tag, line), line)

    def _cash_report(self, tag, attrs, account, line):
        # only the base-currency summary: one row per statement period
        if tag == "CashReportCurrency" and attrs.get("currency") == "BASE_SUMMARY":
            self.counts["cash_balances"] += 1
            return self.balance(attrs, self.account_of(attrs, account, tag, line), line)
        return None

    def _trade_confirm(self, tag, attrs, account, line):
        self.counts["skipped_trade_confirms"] += 1
        self.warn("TradeConfirm rows are not imported: use an Activity Flex query")

    def _corporate_action(self, tag, attrs, account, line):
        # SUMMARY rows (accountId "-", a date-only dateTime, no transactionID) repeat the
        # DETAIL rows of the same actionID; layouts before 2010 have no levels at all.
        level = (attrs.get("levelOfDetail") or "DETAIL").strip()
        if level != "DETAIL" or (attrs.get("accountId") or "").strip() == "-":
            self.counts[f"skipped_corporate_action_{level}"] += 1
            return None
        self.counts["corporate_actions"] += 1
        return self.corporate_action(attrs, self.account_of(attrs, account, tag, line), line)

    def _transfer(self, tag, attrs, account, line):
        level = (attrs.get("levelOfDetail") or "TRANSFER").strip()
        if tag != "Transfer" or level != "TRANSFER":
            # TransferLot rows carry neither basis nor acquisition date (only IB's later
            # OpenPositions LOT rows do): counted, not stored.
            self.counts[f"skipped_transfer_{level}"] += 1
            return None
        self.counts["transfers"] += 1
        return self.transfer(attrs, self.account_of(attrs, account, tag, line), line)

    # -- conversion ----------------------------------------------------------------------
    def convert(self, spec, attrs, tag, line) -> list:
        try:
            return compiled(spec)(attrs, self._date, self._datetime, self.codes)
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

    def codes(self, text):
        try:
            return self._codes[text]  # a statement uses a handful of code combinations
        except KeyError:
            pass
        v = to_text(text)
        if v is not None:
            for code in v.replace(",", ";").split(";"):
                code = code.strip()
                if code and code not in KNOWN_CODES:
                    self.warn(f"unknown code {code!r} (kept as is)")
            v = v.rstrip(";") or None
        if len(self._codes) < 10_000:
            self._codes[text] = v
        return v

    def check_vocab(self, attrs, tag):
        # IB writes the same attributes on every row of a kind: a row whose attribute
        # count was already checked for its tag is not checked again.
        shape = (tag, len(attrs))
        if shape not in self._checked_shapes:
            self._checked_shapes.add(shape)
            known = KNOWN_ATTRIBUTES.get(tag)
            if known is not None and not known.issuperset(attrs):
                for name in attrs:
                    if name not in known:
                        self.warn(f"unknown attribute {name!r} on <{tag}> (kept in raw)")
        for attr, vocab, label in VOCAB_CHECKS.get(tag, ()):
            v = attrs.get(attr)
            if v and v not in vocab:
                self.warn(f"unknown {label} {v!r} (kept as is)")

    # -- rows ----------------------------------------------------------------------------
    def trade(self, attrs, account, line) -> TradeRow:
        self.check_vocab(attrs, "Trade")
        try:
            values = self._convert_trade(attrs, self._date, self._datetime, self.codes)
        except ConversionError:
            values = self.convert(TRADE_SPEC, attrs, "Trade", line)  # names the attribute
        if values[TRADE_DATE_TIME] is None and attrs.get("tradeTime"):
            # older layouts: tradeDate and tradeTime in separate attributes
            try:
                values[TRADE_DATE_TIME] = self.date_style.datetime(
                    f"{attrs.get('tradeDate', '')};{attrs['tradeTime']}")[0]
            except ConversionError as exc:
                raise StatementError(self.path, f"<Trade tradeDate/tradeTime=…>: {exc}",
                                     line) from exc
        if values[TRADE_DATE] is None and values[TRADE_DATE_TIME] is not None:
            values[TRADE_DATE] = values[TRADE_DATE_TIME].date()
        txid = to_text(attrs.get("transactionID"))
        synthetic = txid is None
        if txid is None:
            txid = self._keyer.key("trade", account, [attrs.get(a) for a in TRADE_IDENTITY])
        if values[TRADE_QTY] is None:
            raise StatementError(self.path, "<Trade> without a quantity", line)
        return TradeRow._make((account, txid, synthetic, *values, attrs,
                               SourceRef(self.path, line)))

    def option_event(self, attrs, account, line) -> OptionEAERow:
        self.check_vocab(attrs, "OptionEAE")
        values = self.convert(EAE_SPEC, attrs, "OptionEAE", line)
        key = eae_id_key(attrs)
        if key is None:
            key = self._keyer.key("eae", account, [
                attrs.get(a) for a in ("date", "transactionType", "conid", "symbol", "quantity",
                                       "tradePrice")])
        return OptionEAERow._make((account, key, *values, attrs, SourceRef(self.path, line)))

    def cash(self, attrs, account, line) -> CashRow:
        self.check_vocab(attrs, "CashTransaction")
        values = self.convert(CASH_SPEC, attrs, "CashTransaction", line)
        txid = to_text(attrs.get("transactionID"))
        if txid is None:
            txid = self._keyer.key("cash", account, [
                attrs.get(a) for a in ("actionID", "type", "currency", "amount", "dateTime",
                                       "description", "conid")])
        return CashRow._make((account, txid, *values, attrs, SourceRef(self.path, line)))

    def position(self, attrs, account, line) -> OpenPositionRow:
        self.check_vocab(attrs, "OpenPosition")
        values = self.convert(POSITION_SPEC, attrs, "OpenPosition", line)
        key = self._keyer.key("pos", account, [
            attrs.get(a) for a in ("reportDate", "levelOfDetail", "conid", "symbol", "putCall",
                                   "strike", "expiry", "originatingTransactionID",
                                   "openDateTime", "position")])
        return OpenPositionRow._make((account, key, *values, attrs, SourceRef(self.path, line)))

    def balance(self, attrs, account, line) -> CashBalanceRow:
        values = self.convert(BALANCE_SPEC, attrs, "CashReportCurrency", line)
        return CashBalanceRow._make((account, balance_key(values[0], values[1]), *values, attrs,
                                     SourceRef(self.path, line)))

    def lot(self, attrs, account, line) -> ClosedLotRow:
        values = self.convert(LOT_SPEC, attrs, "Lot", line)
        key = self._keyer.key("lot", account, [
            attrs.get(a) for a in ("transactionID", "dateTime", "tradeDate", "openDateTime",
                                   "quantity", "cost", "conid", "symbol")])
        return ClosedLotRow._make((account, key, *values, attrs, SourceRef(self.path, line)))

    def corporate_action(self, attrs, account, line) -> CorporateActionRow:
        self.check_vocab(attrs, "CorporateAction")
        v = dict(zip(_CA_FIELDS, self.convert(CORPORATE_ACTION_SPEC, attrs, "CorporateAction",
                                              line)))
        code = v["type"]
        if code is not None and code not in ACTION_TYPES:
            self.warn(f"corporate action type {code!r} is not one IB has published; kept, "
                      "lots unchanged (journal flags)")
        key = v["transaction_id"] or self._keyer.key(
            "ca", account, [attrs.get(a) for a in CORPORATE_ACTION_IDENTITY])
        isin = v["isin"] or _isin_of(attrs)
        when = v["date_time"]
        day = when.date() if when is not None else None
        if when is not None and _date_only(attrs.get("dateTime")):
            when = None
        return CorporateActionRow(
            account, key, v["asset_category"], v["symbol"],
            v["action_description"] or v["description"], v["conid"], v["underlying_symbol"],
            v["underlying_conid"], v["put_call"], v["strike"], v["expiry"], v["multiplier"],
            v["currency"], isin, v["fx_rate_to_base"], code, v["transaction_id"], v["action_id"],
            v["level_of_detail"], when, day or v["report_date"], v["report_date"], v["quantity"],
            v["amount"], v["proceeds"], v["value"], v["fifo_pnl_realized"], v["code"], "flex",
            action_match_key(account, isin or (v["symbol"] or "").strip(), when or day,
                             v["quantity"]),
            attrs, SourceRef(self.path, line))

    def transfer(self, attrs, account, line) -> TransferRow:
        self.check_vocab(attrs, "Transfer")
        v = dict(zip(_TRANSFER_FIELDS, self.convert(TRANSFER_SPEC, attrs, "Transfer", line)))
        key = v["transaction_id"] or self._keyer.key(
            "transfer", account, [attrs.get(a) for a in TRANSFER_IDENTITY])
        isin = v["isin"] or _isin_of(attrs)
        when = v["date_time"]
        day = v["transfer_date"] or (when.date() if when is not None else v["report_date"])
        direction = (v["direction"] or "").upper() or None
        return TransferRow(
            account, key, v["asset_category"], v["symbol"], v["description"], v["conid"],
            v["underlying_symbol"], v["put_call"], v["strike"], v["expiry"], v["multiplier"],
            v["currency"], isin, v["fx_rate_to_base"], transfer_type(v["type"]), direction,
            v["transaction_id"], day, v["report_date"], v["quantity"], v["transfer_price"],
            v["position_amount"], v["pnl_amount"], v["cash_transfer"], v["peer_account"],
            v["peer_account_name"], v["company"], v["delivering_broker"], v["code"], "flex",
            action_match_key(account, (v["symbol"] or "").strip(), day, v["quantity"]),
            attrs, SourceRef(self.path, line))

    # -- the end -------------------------------------------------------------------------
    def check_found_trades(self, where: str = "") -> None:
        """Say why a statement gave no trades. A Trades section with only order or summary
        rows means the query lacks Executions: the trades are in the file, just not at a
        level the ledger can use, so the file is refused rather than recorded as a period
        without trades. ``where`` names the section in the file's own terms."""
        if self.counts["trades"]:
            return
        summaries = {lvl: self.counts[f"skipped_{lvl}"] for lvl in SUMMARY_LEVELS
                     if self.counts[f"skipped_{lvl}"]}
        if summaries:
            found = ", ".join(f"{n} {lvl}" for lvl, n in summaries.items())
            raise StatementError(
                self.path, f"the Trades section{where} holds only order/summary rows ({found}) "
                           "and no executions: tick Executions in the Trades section of the "
                           "Flex query (Orders and Symbol Summary alone cannot be imported)")
        if "Trades" not in self.sections:
            self.warn("no trades imported: the statement has no Trades section (add Trades "
                      "with Executions to the Flex query); its period is not counted as "
                      "covered")
        elif not self.counts["closed_lots"]:
            self.warn("no trades in the statement period (the Trades section is empty)")


def _isin_of(attrs) -> str | None:
    if (attrs.get("securityIDType") or "").strip().upper() == "ISIN":
        return to_text(attrs.get("securityID"))
    return None


def _date_only(text) -> bool:
    """``20240607`` or ``2024-06-07``: IB gave the day, not the moment."""
    t = (text or "").strip()
    return len(t) in (8, 10) and not any(c in t for c in ";: ,T")


_CA_FIELDS = event_fields(CORPORATE_ACTION_SPEC)
_TRANSFER_FIELDS = event_fields(TRANSFER_SPEC)
_TRADE_FIELDS = event_fields(TRADE_SPEC)
TRADE_DATE_TIME = _TRADE_FIELDS.index("date_time")
TRADE_DATE = _TRADE_FIELDS.index("trade_date")
TRADE_QTY = _TRADE_FIELDS.index("quantity")
if TradeRow._fields[3:-2] != tuple(_TRADE_FIELDS):  # pragma: no cover - developer error
    raise RuntimeError("TRADE_SPEC and events.TradeRow list different fields")
