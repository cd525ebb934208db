"""Flex Queries delivered as CSV (issue 16): every delivery shape imports to the ledger the
XML of the same query gives, importing both adds nothing, and what cannot be read is
refused in one line that names the setting to change."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from journal import models
from journal.db import open_ledger
from journal.errors import StatementError
from journal.events import StatementStart, TradeRow
from journal.importers import flex, flex_csv, identify

from flex_query import FIXTURES, SHAPES, Config, write_all, write_csv, write_xml

CONFIGS = {
    "default": Config(),
    "iso_dates": Config(date_format="yyyy-MM-dd", time_format="HH:mm:ss"),
    "us_dates_comma": Config(date_format="MM/dd/yyyy", time_format="HH:mm:ss", separator=","),
    "named_month_zone": Config(date_format="dd-MMM-yy", time_format="HHmmss zzz",
                               separator=" "),
    "no_separator": Config(separator=""),
    "alias": Config(alias=True),
    "canceled": Config(canceled=True),
}
SKIP_COLUMNS = {"batch_id", "source_line", "first_seen"}


def ledger_rows(db: str) -> dict:
    """Every row the ledger holds but the import batches (whose file names, checksums and
    formats differ by design), without row ids and source lines."""
    engine = open_ledger(db)
    out = {}
    with engine.connect() as conn:
        for table in models.metadata.sorted_tables:
            if table.name == "import_batch" or table.name in models.DERIVED_TABLES:
                continue
            cols = [c for c in table.c if c.name not in SKIP_COLUMNS
                    and not (c.name == "id" and c.autoincrement is True or
                             c.name == "id" and str(c.type) == "INTEGER")]
            rows = [tuple(r) for r in conn.execute(select(*cols))]
            out[table.name] = sorted(rows, key=repr)
        batch = models.ImportBatch.__table__
        out["periods"] = sorted((tuple(r) for r in conn.execute(
            select(batch.c.accounts, batch.c.period_from, batch.c.period_to,
                   batch.c.when_generated))), key=repr)
    engine.dispose()
    return out


def imported(run, *paths, db=None) -> list[dict]:
    res = run("import", *paths, "--format", "json", db=db)
    assert res.exit_code == 0, res.output + res.stderr
    return json.loads(res.stdout)


def test_fixtures_match_the_query_definition(tmp_path):
    written = write_all(tmp_path)
    for name, path in written.items():
        assert path.read_text() == (FIXTURES / path.name).read_text(), (
            f"{name}: tests/fixtures/flex_csv is stale: run python tests/flex_query.py")


@pytest.mark.parametrize("shape", SHAPES)
def test_each_shape_is_recognised_by_content(shape, tmp_path):
    path = tmp_path / "renamed.txt"  # the name says nothing
    path.write_bytes((FIXTURES / f"query_{shape}.csv").read_bytes())
    assert identify(path).name == flex_csv.FORMAT


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("shape", SHAPES)
def test_csv_imports_to_the_same_ledger_as_the_xml(run, tmp_path, shape, config):
    paths = write_all(tmp_path / "q", CONFIGS[config])
    xml_db, csv_db = str(tmp_path / "xml.db"), str(tmp_path / "csv.db")
    [from_xml] = imported(run, paths["xml"], db=xml_db)
    [from_csv] = imported(run, paths[shape], db=csv_db)
    assert from_csv["format"] == "flex-csv" and from_xml["format"] == "flex-xml"
    for key in ("new_executions", "cancels", "option_events", "cash_transactions",
                "open_positions", "closed_lots", "skipped_by_level", "accounts"):
        assert from_csv[key] == from_xml[key], key
    want, got = ledger_rows(xml_db), ledger_rows(csv_db)
    if not shape.startswith("trailers"):  # no BOF record: the period is not in the file
        assert [p[1:] for p in got.pop("periods")] == [(None, None, None)]
        want.pop("periods")
    assert got == want
    assert from_xml["new_executions"] == (14 if config == "canceled" else 12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("first", ["xml", "csv"])
def test_importing_both_adds_nothing(run, tmp_path, db_path, shape, first):
    paths = write_all(tmp_path / "q")
    order = [paths["xml"], paths[shape]] if first == "xml" else [paths[shape], paths["xml"]]
    imported(run, order[0])
    before = ledger_rows(db_path)
    [second] = imported(run, order[1])
    assert second["status"] == "imported"
    assert (second["new_executions"], second["duplicates_skipped"]) == (0, 12)
    assert (second["option_events"], second["cash_transactions"]) == (0, 0)
    after = ledger_rows(db_path)
    if first == "csv" and not shape.startswith("trailers"):
        before.pop("periods"), after.pop("periods")  # the XML adds the period it carries
    else:
        assert len(after.pop("periods")) == 2
        before.pop("periods")
    assert after == before


def test_rules_read_both_alike(run, tmp_path):
    paths = write_all(tmp_path / "q")
    a, b = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    imported(run, paths["xml"], db=a)
    imported(run, paths["trailers"], db=b)
    for command in (["realized"], ["lots", "--all"], ["flags"], ["cycles"]):
        out = [run(*command, "--format", "json", db=db) for db in (a, b)]
        assert out[0].exit_code == out[1].exit_code == 0
        assert json.loads(out[0].stdout) == json.loads(out[1].stdout), command


def test_trailer_records_give_the_statement_period():
    events = list(flex_csv.parse(FIXTURES / "query_trailers.csv"))
    starts = [e for e in events if isinstance(e, StatementStart)]
    assert [(s.account_id, s.period_from, s.period_to) for s in starts] == [
        ("U5550001", date(2025, 1, 1), date(2025, 6, 30)),
        ("U5550002", date(2025, 1, 1), date(2025, 6, 30))]
    xml = [e for e in flex.parse(FIXTURES / "query.xml") if isinstance(e, StatementStart)]
    assert [s._replace(source=None, period=None) for s in starts] == \
        [s._replace(source=None, period=None) for s in xml]


def test_plain_rows_keep_their_own_accounts():
    rows = [e for e in flex_csv.parse(FIXTURES / "query_plain.csv") if isinstance(e, TradeRow)]
    assert {r.account_id for r in rows} == {"U5550001", "U5550002"}
    assert [r.transaction_id for r in rows if r.account_id == "U5550002"] == [
        "4100000101", "4100000102"]


#### refused, in one line ####


def _drop_columns(text: str, names: set[str]) -> str:
    """Remove whole columns (by header name) from every row of the Trades section."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    drop: list[int] = []
    for row in rows:
        if "Buy/Sell" in row:
            drop = [i for i, c in enumerate(row) if c in names]
        elif row and row[0] in ("BOS", "EOS", "BOA", "EOA", "BOF", "EOF") or "Amount" in row \
                or "Name" in row or "CommisionsAndTax" in row or "MarkPrice" in row \
                or "StartingCash" in row:
            drop = []
        w.writerow([v for i, v in enumerate(row) if i not in drop])
    return out.getvalue()


def _refused(tmp_path, text: str, name="q.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(StatementError) as err:
        list(identify(path).parse(path))
    msg = str(err.value)
    assert msg.startswith(str(path)) and "\n" not in msg
    return msg


MISSING = {
    "account_and_id": ({"ClientAccountID", "TransactionID"}, "headers",
                       ("the Trades section lacks columns ClientAccountID, TransactionID: add "
                       "ClientAccountID and TransactionID to the Trades section of the Flex "
                       "query")),
    "commission": ({"IBCommission"}, "headers",
                   ("the Trades section lacks column IBCommission: add IBCommission to the "
                   "Trades section of the Flex query")),
    "dates_prices_qty": ({"TradeDate", "DateTime", "TradePrice", "Quantity"}, "plain",
                         ("the Trades section lacks columns TradeDate, Quantity, TradePrice: add "
                         "TradeDate, Quantity and TradePrice to the Trades section of the Flex "
                         "query")),
    "symbol_and_conid": ({"Symbol", "Conid"}, "headers",
                         "lacks column Symbol: add Symbol to the Trades section"),
}


@pytest.mark.parametrize("case", sorted(MISSING))
def test_missing_columns_are_named_with_the_query_setting(tmp_path, case):
    drop, shape, expect = MISSING[case]
    text = _drop_columns(write_csv(shape), drop)
    assert expect in _refused(tmp_path, text)


def test_account_column_not_needed_when_trailer_records_name_it(tmp_path, run):
    text = _drop_columns(write_csv("trailers"), {"ClientAccountID"})
    path = tmp_path / "q.csv"
    path.write_text(text)
    [out] = imported(run, path)
    assert out["new_executions"] == 12 and out["accounts"] == ["U5550001", "U5550002"]


@pytest.mark.parametrize("shape", ["plain", "trailers"])
def test_no_column_headers(tmp_path, shape):
    lines = write_csv(shape).splitlines(keepends=True)
    text = "".join(line for line in lines if '"ClientAccountID"' not in line)
    msg = _refused(tmp_path, text)
    assert "turn on Include column headers" in msg


def test_no_column_headers_with_section_codes(tmp_path):
    text = "".join(line for line in write_csv("codes").splitlines(keepends=True)
                   if not line.startswith('"HEADER"'))
    assert "turn on Include column headers" in _refused(tmp_path, text)


def test_truncated_at_a_line_boundary(tmp_path):
    lines = write_csv("trailers").splitlines(keepends=True)
    cut = next(i for i, line in enumerate(lines) if line.startswith('"EOS","TRNT"'))
    msg = _refused(tmp_path, "".join(lines[:cut]))
    assert "truncated" in msg and "EOS" in msg
    msg = _refused(tmp_path, "".join(lines[:-1]))  # only the EOF record missing
    assert "before the EOF record" in msg


def test_section_row_count_must_match_its_trailer(tmp_path):
    text = write_csv("trailers").replace('"EOS","TRNT","12"', '"EOS","TRNT","13"')
    assert "EOS record counts 13" in _refused(tmp_path, text)


def test_closed_lots_without_level_of_detail(tmp_path):
    text = _drop_columns(write_csv("headers"), {"LevelOfDetail"})
    assert "add LevelOfDetail to the Trades section" in _refused(tmp_path, text)


#### imports that find nothing say why ####


def _only_orders_xml() -> str:
    text = write_xml()
    head, rest = text.split("<Trades>", 1)
    trades, tail = rest.split("</Trades>", 1)
    kept = "\n".join(line for line in trades.splitlines() if line.startswith("<Order"))
    return head + "<Trades>\n" + kept + "\n</Trades>" + tail.split("</FlexStatement>", 1)[0] \
        + "</FlexStatement></FlexStatements></FlexQueryResponse>\n"


def test_orders_only_say_tick_executions(tmp_path, run, db_path):
    msg = _refused(tmp_path, _only_orders_xml(), "orders.xml")
    assert "tick Executions in the Trades section" in msg
    csv_text = "".join(line for line in write_csv("headers").splitlines(keepends=True)
                       if '"EXECUTION"' not in line and '"CLOSED_LOT"' not in line)
    assert "tick Executions in the Trades section" in _refused(tmp_path, csv_text)
    res = run("import", tmp_path / "orders.xml")
    assert res.exit_code == 1 and "tick Executions" in res.stderr


def test_no_trades_section_is_explained_and_not_covered(tmp_path, run, db_path):
    text = write_xml()
    while "<Trades>" in text:
        a, b = text.split("<Trades>", 1)
        text = a + b.split("</Trades>", 1)[1]
    path = tmp_path / "cash_only.xml"
    path.write_text(text)
    res = run("import", path, "--format", "json")
    assert res.exit_code == 0
    [out] = json.loads(res.stdout)
    assert out["new_executions"] == 0 and out["cash_transactions"] == 3
    assert any("no Trades section" in w for w in out["warnings"])
    accounts = json.loads(run("accounts", "--format", "json").stdout)
    assert all(a["statements_from"] is None for a in accounts)


def test_empty_trades_section_is_a_covered_quiet_period(tmp_path, run):
    parts = write_xml().split("<Trades>")
    text = parts[0] + "".join("<Trades>\n</Trades>" + p.split("</Trades>", 1)[1]
                              for p in parts[1:])
    path = tmp_path / "quiet.xml"
    path.write_text(text)
    [out] = imported(run, path)
    assert out["new_executions"] == 0
    assert "no trades in the statement period (the Trades section is empty)" in out["warnings"]
    accounts = {a["account"]: a for a in json.loads(run("accounts", "--format", "json").stdout)}
    assert accounts["U5550001"]["statements_from"] == "2025-01-01"


def test_statement_without_account_takes_it_from_the_rows(tmp_path, run):
    text = write_xml().replace('<FlexStatement accountId="U5550001"',
                               '<FlexStatement accountId="-"')
    path = tmp_path / "dash.xml"
    path.write_text(text)
    [out] = imported(run, path)
    assert out["new_executions"] == 12 and out["accounts"] == ["U5550001", "U5550002"]
    accounts = {a["account"]: a for a in json.loads(run("accounts", "--format", "json").stdout)}
    assert accounts["U5550001"]["statements_from"] == "2025-01-01"


def test_statement_without_account_and_rows_without_one_is_refused(tmp_path):
    text = write_xml().replace('<FlexStatement accountId="U5550001"',
                               '<FlexStatement accountId="-"')
    text = text.replace(' accountId="U5550001"', ' accountId=""')
    msg = _refused(tmp_path, text, "dash.xml")
    assert "names no account" in msg and "ClientAccountID" in msg


def test_identify_heads():
    def ident(head: bytes) -> bool:
        return flex_csv.identify(head)

    assert ident(b'"BOF","U1","q","1","20250101","20250131","20250201;010203"\n')
    assert ident(b'BOF,U1,q\n')
    assert ident(b'"HEADER","TRNT","ClientAccountID","Symbol"\n')
    assert ident(b'"TRNT","HEADER","ClientAccountID","Symbol"\n')
    assert ident(b'\xef\xbb\xbf"ClientAccountID","CurrencyPrimary","Symbol","Quantity"\n')
    assert ident(b'"U1234567","USD","STK","AAPL","APPLE INC","20250101","10","150"\n')
    assert not ident(b"Date,Symbol,Quantity,Price\n2025-01-02,MSFT,100,410.00\n")
    assert not ident(b"Statement,Header,Field Name,Field Value\n")
    assert not ident(b"<FlexQueryResponse>")


def test_minimal_csv_reply_of_the_flex_web_service_imports(tmp_path, run):
    """`journal fetch` saves a CSV reply as it came and hands it to the import: the
    minimal query (the ledger's required Trades fields) imports by content."""
    path = tmp_path / "fetched.csv"
    path.write_bytes(b'"ClientAccountID","CurrencyPrimary","Symbol","TradeDate","Quantity",'
                     b'"TradePrice","IBCommission","TransactionID","Buy/Sell"\r\n'
                     b'"U7654321","USD","KO","20250203","100","62.4","-1","3290164417","BUY"\r\n')
    [out] = imported(run, path)
    assert (out["format"], out["new_executions"]) == ("flex-csv", 1)
    [row] = json.loads(run("trades", "--format", "json").stdout)
    assert (row["transaction_id"], row["quantity"], row["price"], row["commission"]) == (
        "3290164417", "100", "62.4", "-1")
