"""The user's basis file for shares transferred in (IB's Transfer rows carry none):
``account,symbol,quantity,acquired,basis``, one lot a line, basis the total for the line.

Parses only; :func:`journal.ledger.set_transfer_basis` stores it. Any bad line is one
error naming the file and line, and nothing is stored."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from journal.errors import StatementError

COLUMNS = ("account", "symbol", "quantity", "acquired", "basis")


class BasisRow(NamedTuple):
    account: str
    symbol: str
    quantity: Decimal
    acquired: date
    basis: Decimal
    line: int


def read_basis_file(path: str) -> list[BasisRow]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            lines = list(csv.reader(fh))
    except OSError as exc:
        raise StatementError(path, f"cannot read it ({exc.strerror or exc})") from None
    if not lines or [c.strip().lower() for c in lines[0]] != list(COLUMNS):
        raise StatementError(path, "the first line must be " + ",".join(COLUMNS), 1)
    rows: list[BasisRow] = []
    for n, cols in enumerate(lines[1:], start=2):
        if not any(c.strip() for c in cols):
            continue
        if len(cols) != len(COLUMNS):
            raise StatementError(path, f"{len(cols)} columns, expected {len(COLUMNS)}", n)
        account, symbol, qty, acquired, basis = (c.strip() for c in cols)
        try:
            q, b = Decimal(qty.replace(",", "")), Decimal(basis.replace(",", ""))
            day = date.fromisoformat(acquired)
        except (InvalidOperation, ValueError):
            raise StatementError(path, "quantity and basis must be numbers and acquired a "
                                 "date YYYY-MM-DD", n) from None
        if not account or not symbol or q <= 0 or b < 0:
            raise StatementError(path, "account and symbol are required, quantity above "
                                 "zero, basis zero or more", n)
        row = BasisRow(account, symbol.upper(), q, day, b, n)
        if any(r[:5] == row[:5] for r in rows):
            raise StatementError(path, "the same lot twice", n)
        rows.append(row)
    if not rows:
        raise StatementError(path, "no lots in the file")
    return rows
