"""The figures a dashboard page shows are the CLI's, exactly: one test per page, each on
the bundled samples and on every worked example of tax_rules.md §9
(tests/fixtures/rules). Every table cell carries its exact value (``data-value``), read
back here and compared with ``journal … --format json`` on the same ledger."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from journal.cli import cli

from conftest import FIXTURES, SAMPLES
from web_helpers import client, fields, shown, tables

LEDGERS = {
    "samples": sorted(SAMPLES.glob("*.xml")) + sorted(SAMPLES.glob("*.csv")),
    **{f"rules_{p.stem}": [p] for p in sorted((FIXTURES / "rules").glob("*.xml"))},
}
_BUILT: dict[str, str] = {}
_CLI: dict[tuple, object] = {}


@pytest.fixture(params=sorted(LEDGERS))
def ledger(request, tmp_path_factory):
    """(name, --db path) of a ledger with the files imported (built once per session)."""
    name = request.param
    if name not in _BUILT:
        db = str(tmp_path_factory.mktemp("webfig") / f"{name}.db")
        res = CliRunner().invoke(cli, ["--db", db, "import", "-q", *map(str, LEDGERS[name])])
        assert res.exit_code == 0, res.output
        _BUILT[name] = db
    return name, _BUILT[name]


def cli_json(db: str, *args):
    key = (db, args)
    if key not in _CLI:
        res = CliRunner().invoke(cli, ["--db", db, *map(str, args), "--format", "json"])
        assert res.exit_code == 0, res.output
        _CLI[key] = json.loads(res.stdout)
    return _CLI[key]


def ledger_end(db: str) -> str:
    ends = [a[k] for a in cli_json(db, "accounts") for k in ("statements_to", "last_trade")
            if a[k]]
    return max(ends)


def same(page_rows: list[dict], cli_rows: list[dict]) -> None:
    """Same rows, same exact values in every column both have (a page may add links'
    columns such as the explanation's statement rows)."""
    assert len(page_rows) == len(cli_rows)
    if not page_rows:
        return
    keys = [k for k in page_rows[0] if k in cli_rows[0]]
    assert len(keys) >= min(3, len(page_rows[0])), (list(page_rows[0]), list(cli_rows[0]))
    assert [{k: r[k] for k in keys} for r in page_rows] == shown(
        [{k: r[k] for k in keys} for r in page_rows], cli_rows)


def test_overview(ledger):
    _name, db = ledger
    end = ledger_end(db)
    want = cli_json(db, "status", "--as-of", end)
    with client(db) as c:
        r = c.get(f"/?as_of={end}")
        assert r.status_code == 200
        got = tables(r.text)
    for section in ("period", "open_options", "open_lots", "expiring", "flags",
                    "statements"):
        same(got[section], want[section])
    yearly = cli_json(db, "summary", "--yearly")
    if yearly:
        assert got["all_time"] == [{"period": "All time",
                                    "premium_net": yearly[-1]["cumulative_premium_net"],
                                    "realized_gain": yearly[-1]["cumulative_realized_gain"],
                                    "through": yearly[-1]["year"]}]


def test_progress(ledger):
    _name, db = ledger
    with client(db) as c:
        for period in ("week", "month", "year"):
            for by in ("trade", "open", "close"):
                page = c.get(f"/progress?period={period}&by={by}").text
                want = cli_json(db, "summary", f"--{period}ly", "--by-date", by)
                same(tables(page)["summary"], want)
                if want:  # one bar per period, each leading to its row
                    assert page.count('<rect x=') >= 2 * len(want)
                    assert f'href="#p-{want[-1][period]}"' in page


def test_underlyings_and_their_cycles(ledger):
    _name, db = ledger
    want = cli_json(db, "review", "--by", "underlying")
    cycles = cli_json(db, "review", "--by", "cycle")
    with client(db) as c:
        same(tables(c.get("/underlyings").text)["underlyings"], want)
        for u in {r["underlying"] for r in want}:
            page = c.get(f"/underlyings/{quote(u, safe='')}").text
            same(tables(page)["cycles"], [r for r in cycles if r["underlying"] == u])
            lots = [r for r in cli_json(db, "lots", "--all") if r["symbol"] == u]
            same(tables(page)["lots"], lots)


def test_cycle_pages(ledger):
    _name, db = ledger
    review = {r["cycle_id"]: r for r in cli_json(db, "review", "--by", "cycle")}
    with client(db) as c:
        for cycle in cli_json(db, "cycles"):
            cid = cycle["cycle_id"]
            r = c.get(f"/cycles/{quote(cid, safe='')}")
            assert r.status_code == 200
            same(tables(r.text)["positions"], cli_json(db, "cycles", "show", cid))
            figures = fields(r.text)["cycle"]
            assert figures == {k: review[cid][k] for k in figures}
            # the timeline's option results are those of `cycles show`
            results = sorted(p["result"] for p in cli_json(db, "cycles", "show", cid)
                             if p["result"] is not None)
            timeline = tables(r.text)["timeline"]
            got = sorted(e["result"] for e in timeline
                         if e["result"] is not None and e["event"] not in
                         ("shares sold", "shares called away"))
            assert got == results


def test_lot_pages(ledger):
    _name, db = ledger
    with client(db) as c:
        for lot in cli_json(db, "lots", "--all"):
            r = c.get(f"/lots/{quote(lot['lot_id'], safe='')}")
            assert r.status_code == 200
            page = tables(r.text)
            same(page["explanation"], cli_json(db, "lots", "--explain", lot["lot_id"]))
            assert fields(r.text)["lot"] == {k: lot[k] for k in fields(r.text)["lot"]}
            # every line that stands for executions leads to their statement rows
            for step in page["explanation"]:
                for account, tx in step["sources"]:
                    assert c.get(f"/source/{account}/{tx}").status_code == 200


def test_tax_year_pages(ledger):
    _name, db = ledger
    years = sorted({int(r["date_sold"][:4]) for r in cli_json(db, "realized")})
    with client(db) as c:
        for y in years:
            page = c.get(f"/tax/{y}").text
            got = tables(page)
            rows = cli_json(db, "tax", y)
            f8949 = [r for r in rows if r["form"] == "8949"]
            boxes = sorted({r["box"] for r in f8949})
            for part in ("I", "II"):
                for box in boxes:
                    want = [r for r in f8949 if r["part"] == part and r["box"] == box]
                    if want:
                        same(got[f"f8949-{box}"], want)
            f6781 = [r for r in rows if r["form"] == "6781"]
            assert len(got["f6781"]) == len(f6781)
            assert [x["gain"] for x in got["f6781"]] == [x["gain_loss"] for x in f6781]
            summary = cli_json(db, "tax", y, "--summary")
            by_section = {r["section"]: r for r in got["tax_summary"]}
            for section, key in (("short_term (8949 Part I)", "short_term"),
                                 ("long_term (8949 Part II)", "long_term")):
                for col in ("proceeds", "cost_basis", "adjustments", "gain_loss"):
                    assert Decimal(by_section[section][col]) == Decimal(summary[key][col])
            assert Decimal(by_section["wash_sale_disallowed"]["adjustments"]) == \
                Decimal(summary["wash_sale_disallowed"])
            assert Decimal(by_section["section_1256 (6781)"]["gain_loss"]) == \
                Decimal(summary["section_1256"]["gain_loss"])
            same(got["reconciliation"], cli_json(db, "tax", y, "--reconcile"))
            same(got["tax_flags"], cli_json(db, "tax", y, "--flags"))


def test_flags_page(ledger):
    _name, db = ledger
    want = cli_json(db, "flags")
    with client(db) as c:
        page = c.get("/flags").text
        got = tables(page)
        same(got["flag_groups"], want)
        for g in want:
            detail = cli_json(db, "flags", "--detail", "--code", g["code"])
            same(got[f"flags-{g['code']}"], detail[:20])
            same(tables(c.get(f"/flags/{g['code']}").text)[f"flags-{g['code']}"], detail)


def test_trades_and_statement_rows(ledger):
    _name, db = ledger
    trades = cli_json(db, "trades", "--all")
    with client(db) as c:
        got = tables(c.get("/trades").text)["trades"]
        same(got, list(reversed(trades))[:200])
        for t in trades[:40]:
            r = c.get(f"/source/{t['account']}/{t['transaction_id']}")
            assert r.status_code == 200
            rows = tables(r.text)["sources"]
            mine = [x for x in trades if x["account"] == t["account"]
                    and x["transaction_id"] == t["transaction_id"]]
            keys = ("account", "transaction_id", "trade_date", "quantity", "price",
                    "net_cash", "currency", "open_close", "status")
            assert [{k: x[k] for k in keys} for x in rows] == \
                [{k: x[k] for k in keys} for x in mine]
            assert all(x["file_name"] and x["source_line"] for x in rows)


def test_calculator(ledger):
    _name, db = ledger
    end = ledger_end(db)
    symbol = (cli_json(db, "lots", "--all") or [{"symbol": "MSFT"}])[0]["symbol"]
    args = ["--premium", "2.10", "--strike", "410", "--dte", "30", "--price", "425",
            "--symbol", symbol, "--date", end]
    want = cli_json(db, "calc", *args)[0]
    with client(db) as c:
        r = c.get(f"/calc?premium=2.10&strike=410&dte=30&price=425&symbol={symbol}"
                  f"&date={end}")
    assert r.status_code == 200
    assert fields(r.text)["calc"] == want
    call = cli_json(db, "calc", "--call", *args)[0]
    with client(db) as c:
        r = c.get(f"/calc?premium=2.10&strike=410&dte=30&price=425&symbol={symbol}"
                  f"&date={end}&call=1")
    assert fields(r.text)["calc"] == call


def test_import_page_reports_what_the_cli_reports(tmp_path):
    files = LEDGERS["samples"]
    cli_db, web_db = str(tmp_path / "cli.db"), str(tmp_path / "web.db")
    res = CliRunner().invoke(cli, ["--db", cli_db, "import", "--format", "json",
                                   *map(str, files)])
    want = json.loads(res.stdout)
    CliRunner().invoke(cli, ["--db", web_db, "import", "-q", str(files[0])])  # a ledger
    Path(web_db).chmod(0o644)
    with client(web_db) as c:
        import re

        token = re.search(r'name="csrf" value="([^"]+)"', c.get("/import").text).group(1)
        r = c.post("/import", data={"csrf": token},
                   files=[("statements", (p.name, p.read_bytes(), "text/plain"))
                          for p in files])
    got = tables(r.text)["imports"]
    assert [g["file"] for g in got] == [Path(w["file"]).name for w in want]
    assert got[0]["status"] == "unchanged" and want[0]["status"] == "imported"
    for g, w in list(zip(got, want))[1:]:
        for key in ("status", "new_executions", "duplicates_skipped", "cancels",
                    "option_events", "cash_transactions", "accounts"):
            assert g[key] == w[key], (g["file"], key)
