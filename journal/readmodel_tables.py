"""The ledger tables as the read model reads them, without the table models.

:mod:`journal.models` declares the tables with SQLModel, and importing it (pydantic,
SQLAlchemy's ORM, every model class) costs a cold report about half a second of CPU and
15 MB before the first row is read. The read model writes its queries as plain SQL text
(:func:`select`), checked against :data:`COLUMNS`, and converts the driver's values by
the columns' kinds; the writer builds its SQL on plain SQLAlchemy tables made from the same
names and kinds (:func:`table`, made on first use). ``tests/test_readmodel_tables.py``
holds both equal to the models'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import MetaData, Table

# column kinds: t text, i integer, d Decimal (as text), a date, D datetime, b boolean,
# B bytes
KIND_NAMES = {"t": "Text", "i": "Integer", "d": "DecimalText", "a": "Date", "D": "DateTime",
              "b": "Boolean", "B": "LargeBinary"}
COLUMNS = {
    "account": (
        "id:t alias:t base_currency:t first_seen:D"),
    "cash_balance": (
        "id:i account_id:t batch_id:i source_line:i raw:t balance_key:t from_date:a to_date:a "
        "starting_cash:d ending_cash:d"),
    "cash_transaction": (
        "id:i account_id:t batch_id:i source_line:i raw:t transaction_id:t type:t date_time:D "
        "report_date:a settle_date:a amount:d currency:t fx_rate_to_base:d description:t "
        "symbol:t conid:t action_id:t code:t"),
    "closed_lot": (
        "id:i account_id:t batch_id:i source_line:i raw:t lot_key:t conid:t symbol:t "
        "open_transaction_id:t open_date_time:D close_date_time:D trade_date:a quantity:d "
        "cost:d fifo_pnl_realized:d notes:t"),
    "corporate_action": (
        "id:i account_id:t instrument_id:t asset_category:t symbol:t conid:t "
        "underlying_symbol:t put_call:t strike:d expiry:a multiplier:d currency:t batch_id:i "
        "source_line:i raw:t action_key:t transaction_id:t action_id:t type:t description:t "
        "level_of_detail:t isin:t underlying_conid:t fx_rate_to_base:d date_time:D "
        "action_date:a report_date:a quantity:d amount:d proceeds:d value:d "
        "fifo_pnl_realized:d code:t status:t replaced_by:t origin:t match_key:t"),
    "corporate_action_override": (
        "id:i account_id:t group_key:t field:t value:t created_at:D"),
    "cycle_override": (
        "id:i account_id:t transaction_id:t cycle_label:t created_at:D"),
    "execution": (
        "id:i account_id:t instrument_id:t asset_category:t symbol:t conid:t "
        "underlying_symbol:t put_call:t strike:d expiry:a multiplier:d currency:t batch_id:i "
        "source_line:i raw:t transaction_id:t trade_id:t ib_order_id:t description:t "
        "fx_rate_to_base:d trade_date:a date_time:D buy_sell:t open_close:t quantity:d "
        "trade_price:d proceeds:d commission:d taxes:d net_cash:d cost:d fifo_pnl_realized:d "
        "close_price:d notes:t transaction_type:t position_action_id:t orig_transaction_id:t "
        "orig_trade_id:t status:t replaced_by:t origin:t match_key:t"),
    "import_batch": (
        "id:i file_name:t file_path:t sha256:t format:t accounts:t period_from:a period_to:a "
        "when_generated:D imported_at:D new_executions:i duplicate_executions:i cancels:i "
        "new_option_events:i new_cash_transactions:i counts:t warnings:t"),
    "option_event": (
        "id:i account_id:t instrument_id:t asset_category:t symbol:t conid:t "
        "underlying_symbol:t put_call:t strike:d expiry:a multiplier:d currency:t batch_id:i "
        "source_line:i raw:t event_key:t transaction_type:t event_date:a fx_rate_to_base:d "
        "quantity:d trade_price:d mark_price:d proceeds:d commissions_and_tax:d cost_basis:d "
        "realized_pnl:d trade_id:t related_trade_id:t orig_transaction_id:t "
        "related_transaction_id:t"),
    "position_snapshot": (
        "id:i account_id:t instrument_id:t asset_category:t symbol:t conid:t "
        "underlying_symbol:t put_call:t strike:d expiry:a multiplier:d currency:t batch_id:i "
        "source_line:i raw:t snapshot_key:t report_date:a level_of_detail:t position:d "
        "mark_price:d position_value:d cost_basis_money:d open_date_time:D "
        "originating_transaction_id:t"),
    "transfer": (
        "id:i account_id:t instrument_id:t asset_category:t symbol:t conid:t "
        "underlying_symbol:t put_call:t strike:d expiry:a multiplier:d currency:t batch_id:i "
        "source_line:i raw:t transfer_key:t transaction_id:t type:t direction:t description:t "
        "isin:t fx_rate_to_base:d transfer_date:a report_date:a quantity:d transfer_price:d "
        "position_amount:d pnl_amount:d cash_transfer:d peer_account:t peer_account_name:t "
        "company:t delivering_broker:t code:t status:t replaced_by:t origin:t match_key:t"),
    "transfer_basis": (
        "id:i account_id:t symbol:t quantity:d acquired:a basis:d source_file:t source_line:i "
        "created_at:D"),
}
_TABLES: dict[str, Table] = {}
_metadata: MetaData | None = None
_KINDS: dict[str, dict[str, str]] = {}


def kinds(name: str) -> dict[str, str]:
    """Column name -> kind letter of a ledger table."""
    found = _KINDS.get(name)
    if found is None:
        found = _KINDS[name] = dict(
            (col, kind) for col, _, kind in (spec.partition(":") for spec in COLUMNS[name].split()))
    return found


def select(name: str, columns: str, rest: str = "", *,
           instead: dict[str, str] | None = None) -> str:
    """``SELECT columns FROM name rest``: ``columns`` (space-separated) are checked
    against the table's, so a misspelt one fails here rather than in the database;
    ``instead`` reads an expression in a column's place (its kind stays the column's)."""
    cols = columns.split()
    unknown = [c for c in cols if c not in kinds(name)]
    if unknown:
        raise KeyError(f"{name} has no column {', '.join(unknown)}")
    picked = ", ".join((instead or {}).get(c, c) for c in cols)
    return f"SELECT {picked} FROM {name}" + (f" {rest}" if rest else "")


def kinds_of(name: str, columns: str) -> str:
    """The kind letters of ``columns`` (space-separated) of a table, in order."""
    known = kinds(name)
    return "".join(known[c] for c in columns.split())


def table(name: str) -> Table:
    """A ledger table by name, for the writer's queries (``journal.models.table`` without
    the models)."""
    made = _TABLES.get(name)
    if made is None:
        import sqlalchemy

        from journal.sqltypes import DecimalText

        global _metadata
        if _metadata is None:
            _metadata = sqlalchemy.MetaData()
        types = {k: DecimalText if v == "DecimalText" else getattr(sqlalchemy, v)
                 for k, v in KIND_NAMES.items()}
        made = _TABLES[name] = sqlalchemy.Table(name, _metadata, *(
            sqlalchemy.Column(col, types[kind]()) for col, kind in kinds(name).items()))
    return made
