"""`journal import`, `journal trades`, `journal accounts` end to end on a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from journal.db import open_ledger, table_counts

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


def counts(db_path):
    return table_counts(open_ledger(db_path))


def trades_json(run, *args):
    res = run("trades", "--format", "json", *args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_import_samples_and_list(run, db_path):
    res = run("import", SAMPLES, "--format", "json")
    assert res.exit_code == 0, res.output
    files = {Path(f["file"]).name: f for f in json.loads(res.output)}
    assert files["wheel_2025_U7654321.xml"]["new_executions"] == 17
    assert files["wheel_2025_U7654321.xml"]["skipped_by_level"] == {"ORDER": 1, "cash_SUMMARY": 1}
    assert files["wheel_2025_multi.xml"]["new_executions"] == 9
    assert files["wheel_2025_multi.xml"]["accounts"] == ["U7654321", "U7654322"]
    rows = trades_json(run)
    assert len(rows) == 26
    sto = next(r for r in rows if r["transaction_id"] == "3612409871")
    assert sto["proceeds"] == "210" and sto["commission"] == "-1.65" and sto["strike"] == "410"
    assert sto["trade_date"] == "2025-10-21" and sto["symbol"] == "MSFT 21NOV25 410 P"
    accts = json.loads(run("accounts", "--format", "json").output)
    assert [(a["account"], a["executions"], a["base_currency"]) for a in accts] == [
        ("U7654321", 22, "USD"), ("U7654322", 4, "USD")]


def test_money_is_stored_exactly_as_text(db_path, run):
    run("import", MAIN)
    import sqlite3

    con = sqlite3.connect(db_path)
    val, typ = con.execute("SELECT commission, typeof(commission) FROM execution "
                           "WHERE transaction_id='3512877104'").fetchone()
    assert (val, typ) == ("-1.04755", "text")


def test_reimport_same_file_adds_nothing(run, db_path):
    assert run("import", MAIN).exit_code == 0
    before = counts(db_path)
    again = run("import", MAIN, "--format", "json")
    assert json.loads(again.output)[0]["status"] == "unchanged"
    forced = json.loads(run("import", "--force", MAIN, "--format", "json").output)[0]
    assert (forced["new_executions"], forced["duplicates_skipped"]) == (0, 17)
    after = counts(db_path)
    after["import_batch"] -= 1  # the forced re-read is recorded as a batch
    assert after == before


def _split_statement(text: str, keep) -> str:
    """Keep only the Trade rows whose index satisfies keep(i)."""
    out, i = [], 0
    for line in text.splitlines(keepends=True):
        if line.lstrip().startswith("<Trade "):
            i += 1
            if not keep(i):
                continue
        out.append(line)
    return "".join(out)


def test_overlapping_statements_add_each_fill_once(run, tmp_path):
    text = MAIN.read_text()
    a = tmp_path / "jan-oct.xml"
    b = tmp_path / "sep-dec.xml"
    a.write_text(_split_statement(text, lambda i: i <= 12))
    b.write_text(_split_statement(text, lambda i: i >= 6))
    ra = json.loads(run("import", a, "--format", "json").output)[0]
    rb = json.loads(run("import", b, "--format", "json").output)[0]
    assert ra["new_executions"] == 12
    assert (rb["new_executions"], rb["duplicates_skipped"]) == (5, 7)
    assert len(trades_json(run)) == 17


def _cancel_row(text: str, txid: str, new_txid: str, kind="cancel") -> str:
    line = next(l for l in text.splitlines() if f'transactionID="{txid}"' in l)
    qty = re.search(r' quantity="([^"]+)"', line).group(1)
    row = line.replace(f'transactionID="{txid}"', f'transactionID="{new_txid}"')
    row = re.sub(r' origTransactionID="[^"]*"', f' origTransactionID="{txid}"', row)
    if kind == "cancel":
        neg = str(-Decimal(qty))
        row = re.sub(r' quantity="[^"]+"', f' quantity="{neg}"', row)
        row = re.sub(r' transactionType="[^"]+"', ' transactionType="TradeCancel"', row)
        row = re.sub(r' buySell="(\w+)"', r' buySell="\1 (Ca.)"', row)
        row = re.sub(r' notes="[^"]*"', ' notes="Ca"', row)
        row = re.sub(r' tradeID="[^"]*"', ' tradeID=""', row)
    else:
        row = re.sub(r' transactionType="[^"]+"', ' transactionType="TradeCorrect"', row)
        row = re.sub(r' tradePrice="[^"]+"', ' tradePrice="0.96"', row)
    return row


def _statement_with(rows: list[str]) -> str:
    head = MAIN.read_text().split("<Trades>")[0]
    return head + "<Trades>\n" + "\n".join(rows) + "\n</Trades></FlexStatement></FlexStatements></FlexQueryResponse>\n"


@pytest.mark.parametrize("order", ["original-first", "cancel-first"])
def test_cancel_voids_the_original_in_any_order(run, tmp_path, order):
    text = MAIN.read_text()
    cancel = tmp_path / "cancel.xml"
    cancel.write_text(_statement_with([_cancel_row(text, "3571039926", "3999999901")]))
    files = [MAIN, cancel] if order == "original-first" else [cancel, MAIN]
    for f in files:
        assert run("import", f).exit_code == 0
    active = trades_json(run)
    ids = {r["transaction_id"] for r in active}
    assert "3571039926" not in ids and "3999999901" not in ids
    assert len(active) == 16
    voided = {r["transaction_id"]: r["status"] for r in trades_json(run, "--all")}
    assert voided["3571039926"] == "cancelled" and voided["3999999901"] == "cancel"
    out = json.loads(run("import", "--force", cancel, "--format", "json").output)[0]
    assert out["cancels"] == 1 and out["new_executions"] == 0


def test_correction_replaces_what_it_corrects(run, tmp_path):
    text = MAIN.read_text()
    corr = tmp_path / "correct.xml"
    corr.write_text(_statement_with([_cancel_row(text, "3571039926", "3999999902", "correct")]))
    run("import", MAIN)
    run("import", corr)
    rows = {r["transaction_id"]: r for r in trades_json(run)}
    assert "3571039926" not in rows and rows["3999999902"]["price"] == "0.96"
    assert len(rows) == 17


BAD_INPUTS = {
    "not_xml.xml": b"this is not a statement\n",
    "truncated.xml": None,  # filled from the sample below
    "empty.xml": b"",
    # a CSV export of some other tool, saved with an .xml name
    "csv_as.xml": b"Date,Symbol,Quantity,Price\n2025-01-02,MSFT,100,410.00\n",
    "envelope.xml": (b'<FlexStatementResponse timestamp="x"><Status>Fail</Status>'
                     b"<ErrorCode>1019</ErrorCode><ErrorMessage>Statement generation in progress."
                     b"</ErrorMessage></FlexStatementResponse>"),
    "doctype.xml": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
                    b'<!ENTITY b "&a;&a;&a;&a;&a;">]><FlexQueryResponse>&b;</FlexQueryResponse>'),
    "external.xml": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM '
                     b'"http://127.0.0.1:9/x">]><FlexQueryResponse>&x;</FlexQueryResponse>'),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_fails_cleanly_and_writes_nothing(run, db_path, tmp_path, name):
    run("import", MULTI)
    before = counts(db_path)
    data = BAD_INPUTS[name]
    if data is None:
        raw = MAIN.read_bytes()
        data = raw[: len(raw) * 2 // 3]  # cut mid-file: rows were already parsed
    path = tmp_path / name
    path.write_bytes(data)
    res = run("import", path)
    assert res.exit_code == 1
    errors = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {path}")
    assert "Traceback" not in res.output + res.stderr
    assert counts(db_path) == before


def test_truncated_file_error_names_the_line(run, tmp_path):
    raw = MAIN.read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(raw[: len(raw) // 2])
    res = run("import", path)
    assert re.search(rf"Error: {re.escape(str(path))}:\d+: .*truncated", res.stderr)


def test_one_bad_file_does_not_stop_the_others(run, tmp_path):
    folder = tmp_path / "stmts"
    folder.mkdir()
    (folder / "a_bad.xml").write_text("garbage")
    (folder / "b_good.xml").write_bytes(MAIN.read_bytes())
    res = run("import", folder, "--format", "json")
    assert res.exit_code == 1
    out = {Path(f["file"]).name: f for f in json.loads(res.stdout)}
    assert out["a_bad.xml"]["status"] == "failed"
    assert out["b_good.xml"]["new_executions"] == 17


def test_exit_first_stops_at_the_first_failure(run, tmp_path):
    folder = tmp_path / "stmts"
    folder.mkdir()
    (folder / "a_bad.xml").write_text("garbage")
    (folder / "b_good.xml").write_bytes(MAIN.read_bytes())
    res = run("import", "-x", folder, "--format", "json")
    assert res.exit_code == 1
    assert [Path(f["file"]).name for f in json.loads(res.stdout)] == ["a_bad.xml"]
    assert "no ledger at" in run("trades").stderr  # nothing stored, no empty ledger left


def test_table_output_names_warnings_once(run, tmp_path):
    text = MAIN.read_text().replace("<Trade ", '<Trade newAttr="1" ')
    path = tmp_path / "new.xml"
    path.write_text(text)
    res = run("import", path)
    assert res.exit_code == 0
    assert res.output.count("unknown attribute 'newAttr'") == 1
    assert re.search(r"new\.xml\s+imported\s+17\s+0\s+0\s+6\s+4", res.output)


def test_trades_filters_and_formats(run):
    run("import", SAMPLES)
    msft = trades_json(run, "--symbol", "msft")
    assert {r["underlying"] for r in msft} == {"MSFT"} and len(msft) == 6
    window = trades_json(run, "--from", "2025-10-01", "--to", "2025-10-31")
    assert window and all("2025-10-01" <= r["trade_date"] <= "2025-10-31" for r in window)
    only = trades_json(run, "--account", "U7654322")
    assert len(only) == 4
    res = run("trades", "--format", "csv", "--account", "U7654322")
    rows = list(csv.DictReader(io.StringIO(res.output)))
    assert len(rows) == 4 and set(rows[0]) >= {"account", "quantity", "price", "net_cash"}
    table = run("trades", "--account", "U7654322").output
    assert table.splitlines()[0].split()[:3] == ["Account", "Date", "Symbol"]
    assert len(table.splitlines()) == 2 + 4


def test_default_database_location_and_env(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from journal.cli import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["import", str(MAIN)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "xdg-data" / "csp-journal" / "journal.db").exists()
    other = tmp_path / "env.db"
    monkeypatch.setenv("JOURNAL_DB", str(other))
    runner.invoke(cli, ["import", str(MULTI)])
    assert other.exists()
    assert len(json.loads(runner.invoke(cli, ["trades", "--format", "json"]).output)) == 9


def test_sqlite_pragmas(db_path):
    from sqlalchemy import text

    engine = open_ledger(db_path)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_raw_attributes_are_kept_for_audit(run, db_path):
    run("import", MAIN)
    import sqlite3

    raw = sqlite3.connect(db_path).execute(
        "SELECT raw FROM execution WHERE transaction_id='3718840618'").fetchone()[0]
    attrs = json.loads(raw)
    assert attrs["positionActionID"] == "99810512" and attrs["exchange"] == "--"
    assert len(attrs) > 70


def test_first_import_builds_secondary_indexes_after_its_rows(run, db_path, tmp_path):
    """An empty ledger gets its secondary indexes rebuilt after the bulk insert (faster);
    they must exist afterwards, and a first import that fails leaves no ledger at all."""
    import sqlite3

    def indexes():
        con = sqlite3.connect(db_path)
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        con.close()
        return names

    bad = tmp_path / "bad.xml"
    raw = MAIN.read_text()
    bad.write_text(raw.replace('tradePrice="2.1"', 'tradePrice="2.1x"', 1))
    assert run("import", bad).exit_code == 1
    assert not Path(db_path).exists()
    want = {"ix_execution_match_key", "ix_instrument_conid", "ix_instrument_underlying_symbol"}
    assert run("import", MAIN).exit_code == 0
    assert want <= indexes()
    con = sqlite3.connect(db_path)
    plan = " ".join(str(r) for r in con.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM execution WHERE match_key = 'x'"))
    con.close()
    assert "ix_execution_match_key" in plan
