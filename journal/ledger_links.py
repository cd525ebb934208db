"""What the ledger works out after each import: cancels, corrections, cross-format copies.

Part of the ledger's write path (:func:`journal.ledger.ingest` calls these inside the
import's transaction): IB's cancel and correction rows void what they name whatever the
order the statements arrive in, and a fill that arrives both from a Flex file and from
an Activity Statement CSV is stored once.
"""

from __future__ import annotations

from itertools import groupby

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection

from journal import readmodel_tables as tables  # not the SQLModel classes: see ledger._table

ACTIVE = "active"
CANCEL = "cancel"  # the cancelling row itself
CANCELLED = "cancelled"  # an original that a cancel row voids
CORRECTED = "corrected"  # an original that a TradeCorrect row replaces
DUPLICATE = "duplicate"  # an Activity-CSV row whose fill a Flex row already records
CSV_KEY_PREFIX = "csv:"  # synthetic keys of importers/activity_csv.py (Flex ids never start so)


_NORMALIZED: dict = {}


def norm_decimal(d) -> str:
    """A number's plain text without trailing zeros (``410.00`` -> ``410``), for keys."""
    if d is None:
        return ""
    text = _NORMALIZED.get(d)
    if text is None:  # the same few prices and quantities recur row after row
        text = format(d.normalize(), "f")
        if len(_NORMALIZED) < 100_000:
            _NORMALIZED[d] = text
    return text


def match_instrument(symbol, underlying_symbol, put_call, strike, expiry) -> str:
    """The contract as both formats spell it. The CSV often has no conid and names an option
    ``MSFT 21NOV25 410 P`` where Flex says ``MSFT  251121P00410000``, so options are keyed by
    underlying, right, strike and expiry, and everything else by its symbol."""
    if put_call and strike is not None and expiry is not None:
        und = underlying_symbol or (symbol or "").split(" ", 1)[0]
        return f"{und.upper()}:{put_call}:{norm_decimal(strike)}:{expiry.isoformat()}"
    return (symbol or "").strip().upper()


def apply_cancellations(conn: Connection, accounts: list[str]) -> None:
    """Void what cancel rows cancel and what corrections replace, whatever the order in
    which the statements arrived (a cancel may be imported before its original)."""
    ex = tables.table("execution")
    pending = conn.execute(
        select(ex.c.id, ex.c.account_id, ex.c.transaction_id, ex.c.status,
               ex.c.transaction_type, ex.c.orig_transaction_id, ex.c.orig_trade_id,
               ex.c.quantity, ex.c.trade_id)
        .where(ex.c.account_id.in_(accounts))
        .where((ex.c.status == CANCEL) | (ex.c.transaction_type == "TradeCorrect"))
    ).all()
    if not pending:
        return
    for row in pending:
        new_status = CANCELLED if row.status == CANCEL else CORRECTED
        q = (select(ex.c.id).where(ex.c.account_id == row.account_id)
             .where(ex.c.status == ACTIVE).where(ex.c.id != row.id))
        if row.orig_transaction_id:
            q = q.where(ex.c.transaction_id == row.orig_transaction_id)
        elif row.orig_trade_id:
            # No origTransactionID: the original is the earliest still-active row with that
            # tradeID (a rebooked replacement reuses the tradeID and comes later).
            q = (q.where(ex.c.trade_id == row.orig_trade_id)
                 .where(ex.c.transaction_type != "TradeCorrect"))
            candidates = conn.execute(q.add_columns(ex.c.quantity).order_by(ex.c.id)).all()
            qty = row.quantity
            pick = None
            for cand_id, cand_qty in candidates:
                if row.status != CANCEL or qty is None or cand_qty is None or cand_qty == -qty:
                    pick = cand_id
                    break
            if pick is None:
                continue
            q = select(ex.c.id).where(ex.c.id == pick)
        else:
            continue
        target_ids = conn.execute(q).scalars().all()
        if target_ids:
            conn.execute(update(ex).where(ex.c.id.in_(target_ids))
                         .values(status=new_status, replaced_by=row.transaction_id))


#### cross-format dedup (Activity CSV vs Flex) ####


def _csv_key(conn: Connection, key):
    """SQL condition "key is a CSV synthetic key"."""
    if conn.dialect.name == "sqlite":
        # Binary collation: a range on the (account_id, key) unique index, O(log n), so the
        # Flex path pays almost nothing when no CSV was ever imported for the account.
        return (key >= CSV_KEY_PREFIX) & (key < CSV_KEY_PREFIX[:-1] + ";")
    # Locale collations may ignore punctuation when sorting, which breaks a range.
    return key.like(CSV_KEY_PREFIX + "%")


def _has_csv_rows(conn: Connection, table: Table, key_col: str, account: str) -> bool:
    return conn.execute(
        select(table.c.id).where(table.c.account_id == account)
        .where(_csv_key(conn, table.c[key_col])).limit(1)
    ).first() is not None


def _is_csv(key: str) -> bool:
    return key.startswith(CSV_KEY_PREFIX)


def link_cross_format(conn: Connection, accounts: list[str], batch_id: int) -> tuple:
    """Store each fill once when it arrives both from a Flex file and an Activity CSV.

    Executions: CSV rows whose match_key equals a Flex row's are set to ``duplicate`` with
    ``replaced_by`` naming the Flex transactionID (Flex stays ``active``: it has IB's ids and
    every field), paired one to one so two identical fills in one format still pair with
    two in the other; runs after every import, so the order of arrival does not matter.
    Cash and option-event rows have no status column, and a CSV copy of a Flex row adds
    nothing the Flex row lacks, so those copies are deleted.
    Returns how many of this batch's executions, option events and cash rows were linked.
    """
    ex = tables.table("execution")
    cash = tables.table("cash_transaction")
    eae = tables.table("option_event")
    dup_ex = dup_eae = dup_cash = 0
    for acc in accounts:
        if _has_csv_rows(conn, ex, "transaction_id", acc):
            dup_ex += _link_executions(conn, acc, batch_id)
        if _has_csv_rows(conn, eae, "event_key", acc):
            dup_eae += _drop_csv_copies(
                conn, eae, "event_key", acc, batch_id,
                lambda r: (r.event_date, match_instrument(r.symbol, r.underlying_symbol,
                                                          r.put_call, r.strike, r.expiry),
                           norm_decimal(r.quantity), (r.transaction_type or "").lower()))
        if _has_csv_rows(conn, cash, "transaction_id", acc):
            dup_cash += _drop_csv_copies(
                conn, cash, "transaction_id", acc, batch_id,
                lambda r: (r.date_time.date() if r.date_time else r.report_date,
                           r.currency, norm_decimal(r.amount), _cash_class(r.type)))
    return dup_ex, dup_eae, dup_cash


def _link_executions(conn: Connection, account: str, batch_id: int) -> int:
    ex = tables.table("execution")
    # Only the match keys of rows this batch inserted can change pairing: earlier groups
    # were settled when their rows arrived, and rows are never deleted.
    batch_keys = select(ex.c.match_key).where(ex.c.batch_id == batch_id)
    rows = conn.execute(
        select(ex.c.id, ex.c.transaction_id, ex.c.match_key, ex.c.status, ex.c.replaced_by,
               ex.c.batch_id)
        .where(ex.c.account_id == account).where(ex.c.match_key.in_(batch_keys))
        .where(ex.c.status != CANCEL).order_by(ex.c.match_key, ex.c.id)
    )
    changes = []
    linked_here = 0
    for _key, group in groupby(rows, key=lambda r: r.match_key):  # streamed, key by key
        flex: list = []
        csv_rows: list = []
        for r in group:
            (csv_rows if _is_csv(r.transaction_id) else flex).append(r)
        if not flex or not csv_rows:
            continue
        for i, r in enumerate(csv_rows):
            want = (DUPLICATE, flex[i].transaction_id) if i < len(flex) else (ACTIVE, None)
            if (r.status, r.replaced_by) != want:
                changes.append((r.id, want))
            if want[0] == DUPLICATE and r.batch_id == batch_id:
                linked_here += 1
    for row_id, (status, replaced_by) in changes:  # after the cursor is drained
        conn.execute(update(ex).where(ex.c.id == row_id)
                     .values(status=status, replaced_by=replaced_by))
    return linked_here


_CASH_CLASSES = {"dividends": "div", "payment in lieu of dividends": "div",
                 "broker interest received": "int", "broker interest paid": "int",
                 "bond interest received": "int", "bond interest paid": "int",
                 "deposits/withdrawals": "dep", "deposits & withdrawals": "dep",
                 "other fees": "fee", "withholding tax": "tax"}


def _cash_class(cash_type) -> str:
    t = (cash_type or "").lower()
    return _CASH_CLASSES.get(t, t)


def _drop_csv_copies(conn: Connection, table: Table, key_col: str, account: str,
                     batch_id: int, key_of) -> int:
    rows = conn.execute(select(table).where(table.c.account_id == account)
                        .order_by(table.c.id)).all()
    flex_count: dict = {}
    csv_rows: dict = {}
    for r in rows:
        k = key_of(r)
        if _is_csv(getattr(r, key_col)):
            csv_rows.setdefault(k, []).append(r)
        else:
            flex_count[k] = flex_count.get(k, 0) + 1
    doomed = []
    for k, rs in csv_rows.items():
        doomed.extend(rs[:flex_count.get(k, 0)])
    if doomed:
        conn.execute(table.delete().where(table.c.id.in_([r.id for r in doomed])))
    return sum(1 for r in doomed if r.batch_id == batch_id)


#### corporate actions and transfers ####

_ACTION_TABLES = (("corporate_action", "action_key", "date_time"),
                  ("transfer", "transfer_key", "transfer_date"))


def apply_action_cancels(conn: Connection, accounts: list[str]) -> None:
    """IB reverses a corporate action (or transfer) with a row coded ``Ca``: the opposite
    quantity, the same security, description and moment. Each such row voids the earliest
    still-active row it mirrors, whichever statement arrived first; a rebooked row (other
    quantity or description) stays active."""
    for name, key_col, when_col in _ACTION_TABLES:
        t = tables.table(name)
        key, when = t.c[key_col], t.c[when_col]
        cancels = conn.execute(
            select(t.c.id, t.c.account_id, key, t.c.conid, t.c.symbol, t.c.description, when,
                   t.c.quantity)
            .where(t.c.account_id.in_(accounts)).where(t.c.status == CANCEL)
            .order_by(t.c.id)).all()
        for c in cancels:
            paired = conn.execute(select(t.c.id).where(t.c.account_id == c.account_id)
                                  .where(t.c.replaced_by == c[2]).limit(1)).first()
            if paired is not None:
                continue
            q = (select(t.c.id, t.c.quantity).where(t.c.account_id == c.account_id)
                 .where(t.c.status == ACTIVE).where(_same(t.c.description, c.description))
                 .where(_same(when, c[6])).order_by(t.c.id))
            q = q.where(t.c.conid == c.conid) if c.conid else q.where(_same(t.c.symbol,
                                                                             c.symbol))
            for row_id, qty in conn.execute(q).all():
                if qty is not None and c.quantity is not None and qty == -c.quantity:
                    conn.execute(update(t).where(t.c.id == row_id)
                                 .values(status=CANCELLED, replaced_by=c[2]))
                    break


def _same(column, value):
    return column.is_(None) if value is None else column == value


def link_action_copies(conn: Connection, accounts: list[str], batch_id: int) -> tuple:
    """An Activity CSV row that repeats a Flex corporate action or transfer (same account,
    security, moment and quantity: ``match_key``) is stored ``duplicate`` of it, paired one
    to one. Returns how many of this batch's rows of each table were linked."""
    out = []
    for name, key_col, _when in _ACTION_TABLES:
        t = tables.table(name)
        linked = 0
        for acc in accounts:
            if conn.execute(select(t.c.id).where(t.c.account_id == acc)
                            .where(t.c.origin == "csv").limit(1)).first() is None:
                continue
            rows = conn.execute(
                select(t.c.id, t.c[key_col], t.c.match_key, t.c.status, t.c.replaced_by,
                       t.c.batch_id, t.c.origin)
                .where(t.c.account_id == acc).where(t.c.match_key.is_not(None))
                .where(t.c.status.in_((ACTIVE, DUPLICATE)))
                .order_by(t.c.match_key, t.c.id)).all()
            for _k, group in groupby(rows, key=lambda r: r.match_key):
                members = list(group)
                flex = [r for r in members if r.origin != "csv"]
                for i, r in enumerate(x for x in members if x.origin == "csv"):
                    want = (DUPLICATE, flex[i][1]) if i < len(flex) else (ACTIVE, None)
                    if (r.status, r.replaced_by) != want:
                        conn.execute(update(t).where(t.c.id == r.id)
                                     .values(status=want[0], replaced_by=want[1]))
                    if want[0] == DUPLICATE and r.batch_id == batch_id:
                        linked += 1
        out.append(linked)
    return tuple(out)
