"""The user's own tables (prices, earnings, cash) may be xlsx workbooks as well as CSV:
the same rows, the same checks, the same messages naming file and row."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal as D

import pytest
from openpyxl import Workbook

from journal import checklist
from journal.errors import ConfigError

from conftest import SAMPLES


def _xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_prices_from_a_workbook_equal_the_csv(tmp_path):
    csv_path = tmp_path / "prices.csv"
    csv_path.write_text("date,symbol,close\n2026-01-09,SPY,640.00\n2026-01-09,ko,69.91\n")
    book = _xlsx(tmp_path / "prices.xlsx", [
        ["Date", "Symbol", "Close"],
        [datetime(2026, 1, 9), "SPY", 640],      # a date cell and an integer number
        [date(2026, 1, 9), "ko", 69.91],         # a float must come back as 69.91 exactly
        [None, None, None],                      # the blank rows spreadsheets keep
    ])
    from_csv = checklist.read_prices(str(csv_path))
    from_xlsx = checklist.read_prices(str(book))
    assert from_xlsx == from_csv == {(date(2026, 1, 9), "SPY"): D("640"),
                                     (date(2026, 1, 9), "KO"): D("69.91")}
    assert all(type(v) is D for v in from_xlsx.values())


def test_earnings_and_cash_workbooks(tmp_path):
    earnings = _xlsx(tmp_path / "e.xlsx", [["symbol", "date"], ["KO", "2026-02-10"],
                                           ["KO", datetime(2025, 10, 21)]])
    assert checklist.read_earnings(str(earnings)) == {"KO": [date(2025, 10, 21),
                                                             date(2026, 2, 10)]}
    cash = _xlsx(tmp_path / "c.xlsx", [["date", "account", "cash"],
                                       [datetime(2025, 12, 31), "U7654321", 12345.67]])
    assert checklist.read_cash(str(cash)) == {"U7654321": [(date(2025, 12, 31),
                                                            D("12345.67"))]}


@pytest.mark.parametrize("rows, message", [
    ([["date", "symbol"], ["2026-01-09", "SPY"]], ":1: missing column(s) close (expected date,symbol,close)"),
    ([["date", "symbol", "close"], ["2026-01-09", "SPY", "n/a"]], ":2: not a number: 'n/a'"),
    ([["date", "symbol", "close"], [datetime(2026, 1, 9, 15, 30), "SPY", 1]],
     ":2: not a date (YYYY-MM-DD): '2026-01-09T15:30:00'"),
])
def test_workbook_mistakes_name_the_file_and_row(tmp_path, rows, message):
    book = _xlsx(tmp_path / "prices.xlsx", rows)
    with pytest.raises(ConfigError) as exc:
        checklist.read_prices(str(book))
    assert str(exc.value) == f"{book}{message}"


def test_a_short_csv_row_names_its_line(tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text("date,symbol,close\n2026-01-09,SPY,640\n2026-01-09,KO\n")
    with pytest.raises(ConfigError) as exc:
        checklist.read_prices(str(path))
    assert str(exc.value) == f"{path}:3: not a number: ''"


def test_a_damaged_workbook_is_one_line(tmp_path):
    bad = tmp_path / "prices.xlsx"
    bad.write_text("date,symbol,close\n")  # a CSV renamed .xlsx
    with pytest.raises(ConfigError, match=r"prices\.xlsx: not a readable xlsx workbook"):
        checklist.read_prices(str(bad))


def test_status_reads_marks_from_a_workbook(run, tmp_path):
    assert run("import", "-q", SAMPLES / "wheel_2025_U7654321.xml").exit_code == 0
    book = _xlsx(tmp_path / "prices.xlsx", [["date", "symbol", "close"],
                                            [datetime(2026, 1, 9), "SPY", 640.0]])
    assert run("config", "set", "checklist.prices_csv", book).exit_code == 0
    res = run("status", "--as-of", "2026-01-12", "--format", "json")
    assert res.exit_code == 0, res.output
    [spy] = json.loads(res.stdout)["open_options"]
    assert (spy["otm_pct"], spy["itm"]) == ("-1.56", True)  # 640 < 650 strike
