"""Flags to review, triaged: one row per code (how many, which years, how serious, what
it means), or every flag with its message. ``journal flags``, the tax workbook and the
HTML report use the same grouping."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from journal import vocab
from journal.views.filters import ALL, Accounts
from journal.views.table import Kind, Table, col, extra, table

SEVERITY_ORDER = {vocab.Severity.CHANGES_NUMBER.value: 0, vocab.Severity.NEEDS_FACT.value: 1,
                  vocab.Severity.INFO.value: 2}

GROUP_COLUMNS = (
    col("code", "Code", Kind.ID),
    col("severity", "Severity", Kind.TEXT),
    col("count", "Count", Kind.COUNT),
    col("years", "Years", Kind.LIST),
    col("meaning", "Meaning", Kind.TEXT),
    extra("spec", "Spec", Kind.TEXT),
    extra("accounts", "Accounts", Kind.LIST),
)

DETAIL_COLUMNS = (
    col("code", "Code", Kind.ID),
    col("account", "Account", Kind.ID),
    col("date", "Date", Kind.DATE),
    col("symbol", "Symbol", Kind.TEXT),
    extra("tax_year", "Tax year", Kind.ID),
    extra("transaction_id", "Transaction", Kind.ID),
    col("message", "Message", Kind.TEXT),
)


def flag_year(f) -> int | None:
    """The tax year a flag belongs to (its own, else its date's)."""
    if f.tax_year is not None:
        return f.tax_year
    return f.date.year if f.date is not None else None


def select(flags: Iterable, *, year: int | None = None, accounts: Accounts = ALL,
           codes: Sequence[str] = ()) -> list:
    """The one flag filter (``journal flags``, the realized note, the report)."""
    wanted = {c.upper() for c in codes}
    return [f for f in flags if (year is None or f.tax_year == year)
            and accounts.keep(f.account) and (not wanted or f.code in wanted)]


def groups(flags: Iterable) -> Table:
    """One row per flag code, the most serious first."""
    by_code: dict[str, list] = defaultdict(list)
    for f in flags:
        by_code[f.code].append(f)
    rows = []
    for code, fs in by_code.items():
        info = vocab.flag_info(code)
        rows.append({
            "code": code, "severity": info.severity.value if info else "unknown",
            "count": len(fs),
            "years": sorted({y for y in map(flag_year, fs) if y is not None}),
            "meaning": info.meaning if info else "",
            "spec": info.spec if info else "",
            "accounts": sorted({f.account for f in fs}),
        })
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(str(r["severity"]), 3), str(r["code"])))
    hint = ("journal flags --detail lists every flag with its message (--code CODE for "
            "one kind).")
    notes = (hint,) if rows else ()
    return table(GROUP_COLUMNS, rows, notes=notes)


def detail(flags: Iterable) -> Table:
    return table(DETAIL_COLUMNS, ({"code": f.code, "account": f.account, "date": f.date,
                                   "symbol": f.symbol, "tax_year": f.tax_year,
                                   "transaction_id": f.transaction_id, "message": f.message}
                                  for f in flags))
