"""`journal serve` over HTTP: every route's status codes, escaping, the security headers,
CSRF, the token and host rules, upload errors, read-only mode, the command's refusals."""

from __future__ import annotations

import re
import socket

import pytest

from conftest import SAMPLES
from ledger_helpers import snapshot
from web_helpers import BASE, client, tables

FLEX = SAMPLES / "wheel_2025_U7654321.xml"


@pytest.fixture
def ledger(run, db_path):
    assert run("import", "-q", SAMPLES).exit_code == 0
    return db_path


@pytest.fixture
def web(ledger):
    with client(ledger) as c:
        yield c


def csrf_of(c, path="/import") -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', c.get(path).text)
    assert m, "no CSRF token on the page"
    return m.group(1)


def pages_of(c) -> list[str]:
    """Every page reachable from the overview, the tax years and the underlyings."""
    start = ["/", "/progress", "/progress?period=week&by=open",
             "/progress?period=year&by=close", "/underlyings", "/flags", "/trades", "/tax",
             "/import", "/calc", "/calc?premium=2.10&strike=410&dte=30&price=425&symbol=MSFT"]
    seen: list[str] = []
    todo = list(start)
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.append(path)
        r = c.get(path)
        if r.status_code in (301, 302, 303, 307):
            todo.append(r.headers["location"])
            continue
        for href in re.findall(r'href="(/(?:underlyings|cycles|lots|source|tax|flags)/[^"#]*)"',
                               r.text):
            href = href.replace("&amp;", "&")
            if href not in seen and "?" not in href:
                todo.append(href)
    return seen


def test_every_page_answers_with_the_security_headers(web):
    paths = pages_of(web)
    kinds = {p.split("/")[1] for p in paths}
    assert {"", "progress", "underlyings", "cycles", "lots", "source", "tax", "flags",
            "trades", "import", "calc"} <= kinds
    for path in paths:
        r = web.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src" not in csp  # no script at all
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        # nothing from elsewhere: no absolute URL in any page
        assert not re.search(r'(src|href|action)="(https?:)?//', r.text), path
        assert "<script" not in r.text


def test_static_assets_come_from_the_package(web):
    r = web.get("/static/style.css")
    assert r.status_code == 200 and "text/css" in r.headers["content-type"]
    assert "content-security-policy" in r.headers
    assert "url(" not in r.text and "@import" not in r.text  # nothing fetched from CSS
    assert web.get("/static/nothing.js").status_code == 404


@pytest.mark.parametrize("path,status", [
    ("/cycles/U7654321:NOPE:2025-01-01", 404),
    ("/lots/U7654321:123", 404),
    ("/source/U7654321/999", 404),
    ("/underlyings/ZZZZ", 404),
    ("/flags/NO_SUCH_FLAG", 404),
    ("/trades?account=U0000000", 404),
    ("/tax/1999", 404),
    ("/tax/2025/other.pdf", 404),
    ("/nothing", 404),
    ("/progress?period=day", 400),
    ("/progress?by=settle", 400),
    ("/?as_of=yesterday", 400),
    ("/trades?from=2025-13-01", 400),
])
def test_unknown_things_are_clear_errors(web, path, status):
    r = web.get(path)
    assert r.status_code == status
    assert "content-security-policy" in r.headers
    assert "Traceback" not in r.text
    assert "<h1>" in r.text


def test_methods(web):
    assert web.post("/").status_code == 405
    assert web.get("/cycles-assign").status_code in (404, 405)
    assert web.put("/import").status_code == 405


def test_downloads_are_the_cli_files(web, run, tmp_path):
    csv_path, txf_path = tmp_path / "t.csv", tmp_path / "t.txf"
    assert run("tax", "2025", "--csv", csv_path, "--txf", txf_path).exit_code == 0
    page = web.get("/tax/2025").text
    assert 'href="/tax/2025/form8949-2025.csv"' in page
    r = web.get("/tax/2025/form8949-2025.csv")
    assert r.status_code == 200 and r.text == csv_path.read_text()
    assert "attachment" in r.headers["content-disposition"]
    r = web.get("/tax/2025/tax-2025.txf")
    assert r.status_code == 200 and r.text == txf_path.read_text()
    r = web.get("/tax/2025/tax-2025.xlsx")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    import io

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(r.content), read_only=True)
    assert any("8949" in name for name in book.sheetnames)


#### escaping ################################################################################

def test_text_from_a_statement_and_from_a_label_is_escaped(run, db_path, sample_copy):
    path = sample_copy("wheel_2025_U7654321.xml")
    text = path.read_text()
    hostile = "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x"
    text = text.replace('description="MSFT 21NOV25 410 P"', f'description="{hostile}"', 1)
    assert hostile in text
    path.write_text(text)
    assert run("import", "-q", path).exit_code == 0
    with client(db_path) as c:
        body = "".join(c.get(p).text for p in pages_of(c))
        assert "<script>alert(1)" not in body
        assert "&lt;script&gt;alert(1)" in body
        assert '" onmouseover="x' not in body
        # a label typed into the regroup form is data too
        tx = re.search(r'<option>(\d+)</option>', c.get(_a_cycle(c)).text).group(1)
        r = c.post("/cycles-assign", data={"csrf": csrf_of(c), "transaction_id": tx,
                                           "label": "<b>bold</b>"}, follow_redirects=True)
        assert r.status_code == 200
        assert "<b>bold</b>" not in r.text and "&lt;b&gt;bold&lt;/b&gt;" in r.text


def _a_cycle(c) -> str:
    m = re.search(r'href="(/cycles/[^"]+)"', c.get("/underlyings/MSFT").text)
    assert m, "no cycle on the MSFT page"
    return m.group(1)


#### CSRF, token, host ######################################################################

def test_writes_need_the_csrf_token_of_this_browser(web, ledger):
    before = snapshot(ledger)
    files = {"statements": ("x.xml", FLEX.read_bytes(), "text/xml")}
    assert web.post("/import", files=files).status_code == 403
    assert web.post("/import", files=files, data={"csrf": "0" * 64}).status_code == 403
    token = csrf_of(web)
    # another browser (no cookie) cannot replay this browser's token
    with client(ledger) as other:
        assert other.post("/import", files=files, data={"csrf": token}).status_code == 403
    # a page on another site cannot post, even with a token
    r = web.post("/import", files=files, data={"csrf": token},
                 headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    r = web.post("/import", files=files, data={"csrf": token},
                 headers={"sec-fetch-site": "cross-site"})
    assert r.status_code == 403
    assert web.post("/cycles-assign", data={"transaction_id": "1", "label": "x"}
                    ).status_code == 403
    assert snapshot(ledger) == before
    r = web.post("/import", files=files, data={"csrf": token},
                 headers={"origin": BASE, "sec-fetch-site": "same-origin"})
    assert r.status_code == 200  # already imported: unchanged, nothing added
    assert snapshot(ledger) == before


def test_the_csrf_cookie_is_strict_and_http_only(ledger):
    with client(ledger) as c:
        r = c.get("/import")
        cookie = r.headers["set-cookie"]
        assert "journal_csrf=" in cookie and "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert "set-cookie" not in c.get("/import").headers  # set once


def test_a_token_is_required_on_every_request_when_set(ledger):
    token = "t" * 20
    with client(ledger, token=token) as c:
        for path in ("/", "/static/style.css", "/tax/2025", "/nothing"):
            r = c.get(path)
            assert r.status_code == 401, path
            assert token not in r.text
        assert c.get("/", headers={"authorization": "Bearer wrong-token-123456"}
                     ).status_code == 401
        assert c.get("/", headers={"authorization": f"Bearer {token}"}).status_code == 200
        assert c.get("/?token=wrong").status_code == 401
        r = c.get(f"/progress?period=year&token={token}", follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/progress?period=year"  # the token leaves the URL
        assert "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/progress?period=year").status_code == 200  # the cookie carries it
        assert c.get("/static/style.css").status_code == 200


def test_a_loopback_server_answers_only_its_own_host_names(ledger):
    with client(ledger) as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"host": "localhost:8765"}).status_code == 200
        r = c.get("/", headers={"host": "evil.example"})
        assert r.status_code == 400  # DNS rebinding
        assert "content-security-policy" in r.headers
    with client(ledger, host="0.0.0.0", token="s" * 20) as c:  # the token guards instead
        assert c.get("/", headers={"host": "journal.lan:8765",
                                   "authorization": "Bearer " + "s" * 20}).status_code == 200


#### uploads #################################################################################

def test_upload_imports_each_file_like_the_cli(run, tmp_path):
    db = str(tmp_path / "web.db")
    cli_db = str(tmp_path / "cli.db")
    res = run("import", "--format", "json", FLEX, db=cli_db)
    assert res.exit_code == 0
    import json

    expected = json.loads(res.stdout)[0]
    assert run("import", "-q", SAMPLES / "wheel_2025_multi.xml", db=db).exit_code == 0
    assert run("import", "-q", SAMPLES / "wheel_2025_multi.xml", db=cli_db).exit_code == 0
    with client(db) as c:
        r = c.post("/import", data={"csrf": csrf_of(c)},
                   files={"statements": (FLEX.name, FLEX.read_bytes(), "text/xml")})
        assert r.status_code == 200, r.text
        row = tables(r.text)["imports"][0]
        assert row["file"] == FLEX.name and row["status"] == "imported"
        for key in ("new_executions", "duplicates_skipped", "cancels", "option_events",
                    "cash_transactions"):
            assert row[key] == expected[key], key
        assert 'href="/trades?account=U7654321"' in r.text
        trades = tables(c.get("/trades?account=U7654321").text)["trades"]
        cli_trades = json.loads(run("trades", "--all", "--account", "U7654321", "--format",
                                    "json", db=db).stdout)
        assert len(trades) == len(cli_trades) == expected["new_executions"] + 5
        # the same file again adds nothing
        r = c.post("/import", data={"csrf": csrf_of(c)},
                   files={"statements": (FLEX.name, FLEX.read_bytes(), "text/xml")})
        assert tables(r.text)["imports"][0]["status"] == "unchanged"
    assert snapshot(db)[0] == snapshot(cli_db)[0]


def test_upload_errors(web, ledger):
    before = snapshot(ledger)
    token = csrf_of(web)
    r = web.post("/import", data={"csrf": token})
    assert r.status_code == 400 and "choose at least one statement file" in r.text
    bad = b'<FlexQueryResponse><FlexStatements count="1"><FlexStatement accountId="U1" ' \
          b'fromDate="20250101" toDate="20250131"><Trades><Trade accountId="U1" ' \
          b'quantity="abc" tradeDate="20250105" transactionID="1"/></Trades>' \
          b'</FlexStatement></FlexStatements></FlexQueryResponse>'
    r = web.post("/import", data={"csrf": token}, files=[
        ("statements", ("broken.xml", bad, "text/xml")),
        ("statements", ("notes.txt", b"hello", "text/plain"))])
    assert r.status_code == 400
    errors = re.findall(r'<p class="error" role="alert">([^<]+)</p>', r.text)
    assert len(errors) == 2
    assert "broken.xml" in errors[0] and "/tmp" not in errors[0]
    assert "notes.txt" in errors[1]
    assert [row["status"] for row in tables(r.text)["imports"]] == ["failed", "failed"]
    assert snapshot(ledger) == before


def test_oversize_uploads_are_refused_before_reading(ledger):
    with client(ledger, max_upload_bytes=1000) as c:
        r = c.post("/import", data={"csrf": csrf_of(c)},
                   files={"statements": (FLEX.name, FLEX.read_bytes(), "text/xml")})
        assert r.status_code == 413
        assert "the limit is" in r.text and "--max-upload-mb" in r.text

        def chunks():  # no Content-Length: refused too
            yield b"x" * 10

        r = c.post("/import", content=chunks(),
                   headers={"content-type": "multipart/form-data; boundary=x"})
        assert r.status_code == 411


def test_upload_names_are_made_safe():
    from journal.web.actions import safe_name

    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\me\\stmt 2025.xml") == "stmt 2025.xml"
    assert safe_name("a\x1b[31mb.xml") == "a_31mb.xml"
    assert safe_name("") == "statement"
    assert safe_name("...") == "statement"


#### read-only, regrouping ###################################################################

def test_read_only_refuses_every_write(ledger):
    before = snapshot(ledger)
    with client(ledger, read_only=True) as c:
        c.get("/")  # sets the browser's cookie; no form shows a token in read-only mode
        token = c.app.state.journal.csrf.token_for(c.cookies["journal_csrf"])
        assert "read-only" in c.get("/import").text
        assert 'action="/import"' not in c.get("/import").text
        r = c.post("/import", data={"csrf": token},
                   files={"statements": (FLEX.name, FLEX.read_bytes(), "text/xml")})
        assert r.status_code == 403 and "read-only" in r.text
        r = c.post("/cycles-assign", data={"csrf": token, "transaction_id": "1",
                                           "label": "x"})
        assert r.status_code == 403
        assert 'action="/cycles-assign"' not in c.get(_a_cycle(c)).text
    assert snapshot(ledger) == before


def test_regrouping_from_the_cycle_page_is_the_cycles_assign_override(web, run):
    page = web.get(_a_cycle(web)).text
    tx = re.search(r"<option>(\d+)</option>", page).group(1)
    r = web.post("/cycles-assign", data={"csrf": csrf_of(web), "transaction_id": tx,
                                         "label": "MSFT-by-hand"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/cycles/MSFT-by-hand")
    r = web.get(r.headers["location"])
    assert r.status_code == 200 and "Moved into this cycle" in r.text
    import json

    cycles = json.loads(run("cycles", "--format", "json").stdout)
    assert "MSFT-by-hand" in {c["cycle_id"] for c in cycles}
    r = web.post("/cycles-assign", data={"csrf": csrf_of(web), "transaction_id": tx,
                                         "clear": "1"}, follow_redirects=False)
    assert r.status_code == 303 and "/source/" in r.headers["location"]
    cycles = json.loads(run("cycles", "--format", "json").stdout)
    assert "MSFT-by-hand" not in {c["cycle_id"] for c in cycles}


@pytest.mark.parametrize("data,message", [
    ({"transaction_id": "", "label": "x"}, "choose the transaction"),
    ({"transaction_id": "42", "label": ""}, "give the cycle a label"),
    ({"transaction_id": "42", "label": "x" * 81}, "at most 80"),
    ({"transaction_id": "42", "label": "a\x1bb"}, "at most 80"),
    ({"transaction_id": "42", "label": "x"}, "no execution with transaction id 42"),
])
def test_regrouping_errors(web, ledger, data, message):
    before = snapshot(ledger)
    r = web.post("/cycles-assign", data={"csrf": csrf_of(web), **data})
    assert r.status_code == 400 and message in r.text
    assert snapshot(ledger) == before


#### calculator ###############################################################################

@pytest.mark.parametrize("query,message", [
    ("premium=abc&strike=410&dte=30", "premium: &#39;abc&#39; is not a number"),
    ("premium=2&strike=410", "dte is required"),
    ("premium=2&strike=410&dte=3.5", "dte: 3.5 is not a whole number"),
    ("premium=-1&strike=410&dte=30", "premium must not be negative"),
    ("premium=2&strike=410&dte=30&date=tomorrow", "date: &#39;tomorrow&#39; is not a date"),
])
def test_calculator_errors(web, query, message):
    r = web.get("/calc?" + query)
    assert r.status_code == 400 and message in r.text, r.text[-1500:]


#### the command ##############################################################################

def test_serve_refuses_what_it_cannot_do_safely(run, ledger, tmp_path, monkeypatch):
    r = run("serve", "--host", "0.0.0.0")
    assert r.exit_code == 1 and "not a loopback address" in r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1
    r = run("serve", "--host", "0.0.0.0", "--token", "short")
    assert r.exit_code == 1 and "at least 16 characters" in r.output
    r = run("serve", db=str(tmp_path / "missing.db"))
    assert r.exit_code == 1 and "no ledger" in r.output
    assert not (tmp_path / "missing.db").exists()
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    try:
        r = run("serve", "--port", busy.getsockname()[1])
        assert r.exit_code == 1 and "cannot listen on 127.0.0.1" in r.output
    finally:
        busy.close()


def test_the_help_does_not_load_the_web_stack():
    import subprocess
    import sys

    code = ("import contextlib, io, sys\n"
            "from journal.cli import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n"
            "        cli.main(args=['serve', '--help'], prog_name='journal')\n"
            "    except SystemExit:\n"
            "        pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'jinja2', 'uvicorn', 'multipart') or m.startswith('journal.web')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_long_tables_page_through_every_row(run, db_path, tmp_path):
    import json

    from ledger_helpers import write_statement

    assert run("import", "-q", write_statement(tmp_path / "big.xml", range(450))
               ).exit_code == 0
    cli_rows = json.loads(run("trades", "--all", "--format", "json").stdout)
    with client(db_path) as c:
        got, page = [], 1
        while True:
            r = c.get(f"/trades?page={page}")
            got += tables(r.text)["trades"]
            if 'rel="next"' not in r.text:
                break
            page += 1
    assert page == 3
    assert "rows 401–450 of 450" in r.text
    assert [g["transaction_id"] for g in got] == \
        [t["transaction_id"] for t in reversed(cli_rows)]


def test_serve_builds_the_first_pages_in_the_background(ledger):
    import time
    from datetime import date

    with client(ledger, warm_up=True) as c:
        state = c.app.state.journal.state
        deadline = time.monotonic() + 60
        while "by_cycle" not in state._gen.values:  # the last thing it builds
            assert time.monotonic() < deadline, "no warm-up"
            time.sleep(0.05)
        assert {"source", ("status", date(2025, 12, 31)), ("summary", "month", "trade")} <= \
            set(state._gen.values)
        assert c.get("/").status_code == 200


@pytest.mark.parametrize("period", ["week", "month", "year"])
def test_a_progression_period_leads_to_its_trades(web, run, period):
    import json

    page = web.get(f"/progress?period={period}").text
    links = re.findall(r'href="(/trades\?from=([\d-]+)&amp;to=([\d-]+))"', page)
    assert len(links) == len(tables(page)["summary"]) > 0
    href, first, last = next(x for x in links if x[1] >= "2025-10-01")
    got = tables(web.get(href.replace("&amp;", "&")).text)["trades"]
    cli_rows = json.loads(run("trades", "--all", "--from", first, "--to", last, "--format",
                              "json").stdout)
    assert got and [g["transaction_id"] for g in got] == \
        [t["transaction_id"] for t in reversed(cli_rows)]
    # by open or close date a period holds trades of other periods: no such link
    assert "/trades?from=" not in web.get(f"/progress?period={period}&by=close").text
