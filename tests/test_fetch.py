"""`journal fetch` and the Flex Web Service client, against a fake service on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest

from journal.cli import commands_fetch
from journal.errors import JournalError
from journal.flexws import (
    DEFAULT_URL,
    USER_AGENT,
    FlexServiceError,
    FlexWebClient,
    _statement_kind,
)

from conftest import SAMPLES
from fake_flex_service import FakeFlexService, success_body

TOKEN = "887766554433221100998877"
QUERY = "123456"
STATEMENT = (SAMPLES / "wheel_2025_U7654321.xml").read_bytes()


@pytest.fixture
def waits(monkeypatch):
    """Polling without waiting: records the delays the client asked for."""
    slept: list[float] = []
    monkeypatch.setattr(commands_fetch, "CLIENT_OPTIONS",
                        {"sleep": slept.append, "delays": (0.5, 1, 2), "throttle_delay": 3})
    return slept


def client(service, slept, **kw):
    return FlexWebClient(TOKEN, base_url=service.base_url, sleep=slept.append,
                         delays=kw.pop("delays", (0.5, 1, 2)), throttle_delay=3, **kw)


def no_token_anywhere(*texts):
    for t in texts:
        if isinstance(t, bytes):
            t = t.decode("utf-8", "replace")
        assert TOKEN not in t


# -- the client --------------------------------------------------------------------------------

def test_success_after_two_in_progress_replies():
    slept = []
    script = {"SendRequest": [("success", "5551234")],
              "GetStatement": [("status", 1019), ("status", 1019), ("body", STATEMENT)]}
    logs = []
    with FakeFlexService(script, token=TOKEN) as svc:
        st = client(svc, slept, log=logs.append).fetch(QUERY)
    assert st.content == STATEMENT and st.kind == "xml" and st.reference_code == "5551234"
    assert slept == [0.5, 1]
    gets = [r for r in svc.requests if r["endpoint"] == "GetStatement"]
    assert len(gets) == 3 and all(r["query"]["q"] == "5551234" for r in gets)
    send = svc.requests[0]
    assert send["endpoint"] == "SendRequest"
    assert send["query"] == {"t": TOKEN, "q": QUERY, "v": "3"}
    assert send["headers"]["User-Agent"] == USER_AGENT
    assert len(logs) == 2 and "1019" in logs[0]
    no_token_anywhere(*logs)


@pytest.mark.parametrize("code,words", [
    (1015, ["token problem", "1015", "Token is invalid"]),
    (1012, ["token problem", "1012", "Token has expired", "new token"]),
    (1014, ["query problem", "1014", "Query is invalid", "query id"]),
])
def test_refusals_become_clear_messages(code, words):
    slept = []
    with FakeFlexService({"SendRequest": [("status", code)]}) as svc:
        with pytest.raises(FlexServiceError) as err:
            client(svc, slept).fetch(QUERY)
    msg = str(err.value)
    assert err.value.code == code and all(w in msg for w in words), msg
    assert slept == []  # not retried
    assert len(svc.requests) == 1
    no_token_anywhere(msg, repr(err.value))


def test_invalid_token_is_detected_by_the_service():
    with FakeFlexService({"SendRequest": [("success", "1")]}, token="somethingelse") as svc:
        with pytest.raises(FlexServiceError, match="1015"):
            client(svc, []).fetch(QUERY)


def test_throttling_waits_longer_then_succeeds():
    slept = []
    script = {"SendRequest": [("status", 1018), ("success", "777")],
              "GetStatement": [("body", STATEMENT)]}
    with FakeFlexService(script) as svc:
        st = client(svc, slept).fetch(QUERY)
    assert st.content == STATEMENT
    assert slept == [3]  # the first delay (0.5) raised to the throttle minimum
    assert [r["endpoint"] for r in svc.requests] == ["SendRequest", "SendRequest",
                                                     "GetStatement"]


def test_gives_up_after_the_last_delay():
    slept = []
    script = {"SendRequest": [("success", "9")], "GetStatement": [("status", 1019)]}
    with FakeFlexService(script) as svc:
        with pytest.raises(FlexServiceError, match="gave up after 3 retries"):
            client(svc, slept).fetch(QUERY)
    assert slept == [0.5, 1, 2]


@pytest.mark.parametrize("body", [
    b"<html><body>Service temporarily unavailable</body></html>",
    b"",
    b"<FlexStatementResponse><Status>Fail</Status><ErrorCode>12",
    b"<FlexStatementResponse><Foo/></FlexStatementResponse>",
    f"<FlexStatementResponse><Status>Fail</Status><ErrorCode>x</ErrorCode><ErrorMessage>"
    f"bad t={TOKEN}</ErrorMessage></FlexStatementResponse>".encode(),
])
def test_malformed_replies(body):
    script = {"SendRequest": [("body", body)]}
    with FakeFlexService(script) as svc:
        with pytest.raises(FlexServiceError) as err:
            client(svc, []).fetch(QUERY)
    assert "neither a statement nor a status" in str(err.value)
    no_token_anywhere(str(err.value))


def test_malformed_statement_reply():
    script = {"SendRequest": [("success", "42")],
              "GetStatement": [("body", b"<html>login required</html>")]}
    with FakeFlexService(script) as svc:
        with pytest.raises(FlexServiceError, match="neither a statement"):
            client(svc, []).fetch(QUERY)


def test_http_error_does_not_leak_the_url():
    with FakeFlexService({"SendRequest": [("http", 503)]}) as svc:
        with pytest.raises(FlexServiceError) as err:
            client(svc, []).fetch(QUERY)
    assert "HTTP 503" in str(err.value)
    # raised "from None": a traceback under --debug would not print urllib's error either
    assert err.value.__cause__ is None and err.value.__suppress_context__
    no_token_anywhere(str(err.value))


def test_unreachable_service():
    c = FlexWebClient(TOKEN, base_url="http://127.0.0.1:9/FlexWebService", timeout=2,
                      sleep=lambda s: None)
    with pytest.raises(FlexServiceError, match="cannot reach") as err:
        c.fetch(QUERY)
    no_token_anywhere(str(err.value), repr(c))


def test_advertised_url_on_another_host_is_not_followed():
    """The token goes wherever we call: a reply pointing elsewhere must not redirect it."""
    c = FlexWebClient(TOKEN, base_url="https://example.invalid/AccountManagement/FlexWebService")
    assert c._statement_url("https://evil.example/steal") == (
        "https://example.invalid/AccountManagement/FlexWebService/GetStatement")
    assert c._statement_url(
        "https://example.invalid/AccountManagement/FlexWebService/GetStatement?x=1") == (
        "https://example.invalid/AccountManagement/FlexWebService/GetStatement")


def test_default_url_is_the_current_endpoint():
    assert DEFAULT_URL == "https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService"


# -- the command ---------------------------------------------------------------------------------

def test_fetch_saves_then_imports(run, tmp_path, monkeypatch, waits):
    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    save = tmp_path / "statements"
    script = {"SendRequest": [("success", "5551234")],
              "GetStatement": [("status", 1019), ("status", 1019), ("body", STATEMENT)]}
    with FakeFlexService(script, token=TOKEN) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", save)
    assert res.exit_code == 0, res.output
    saved = list(save.iterdir())
    assert len(saved) == 1 and saved[0].suffix == ".xml"
    assert saved[0].read_bytes() == STATEMENT
    assert (saved[0].stat().st_mode & 0o077) == 0  # owner only
    assert waits == [0.5, 1]
    trades = json.loads(run("trades", "--format", "json").output)
    assert len(trades) == 17
    no_token_anywhere(res.output, saved[0].read_bytes())


def test_fetch_no_import_uses_default_folder_and_config_token(run, tmp_path, monkeypatch,
                                                              waits):
    from journal.config import config_dir, data_dir

    monkeypatch.delenv("IB_FLEX_TOKEN", raising=False)
    config_dir().mkdir(parents=True)
    (config_dir() / "config.toml").write_text(f'[flex]\ntoken = "{TOKEN}"\n')
    script = {"SendRequest": [("success", "1")], "GetStatement": [("body", STATEMENT)]}
    with FakeFlexService(script, token=TOKEN) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--no-import")
    assert res.exit_code == 0, res.output
    saved = list((data_dir() / "statements").iterdir())
    assert len(saved) == 1
    assert not (data_dir() / "journal.db").exists()  # --no-import never opens the ledger
    no_token_anywhere(res.output)


def test_fetch_token_env_option(run, monkeypatch, waits):
    monkeypatch.setenv("MY_IB_TOKEN", TOKEN)
    monkeypatch.delenv("IB_FLEX_TOKEN", raising=False)
    script = {"SendRequest": [("success", "1")], "GetStatement": [("body", STATEMENT)]}
    with FakeFlexService(script, token=TOKEN) as svc:
        res = run("fetch", "--token-env", "MY_IB_TOKEN", "--query", QUERY, "--url",
                  svc.base_url, "--no-import")
    assert res.exit_code == 0, res.output
    res = run("fetch", "--token-env", "NOT_SET_ANYWHERE", "--query", QUERY, "--no-import")
    assert res.exit_code == 1 and "NOT_SET_ANYWHERE is not set" in res.output


def test_fetch_without_token_says_where_to_put_it(run, monkeypatch):
    monkeypatch.delenv("IB_FLEX_TOKEN", raising=False)
    res = run("fetch", "--query", QUERY)
    assert res.exit_code == 1
    assert "IB_FLEX_TOKEN" in res.output and "config.toml" in res.output
    assert "Traceback" not in res.output


@pytest.mark.parametrize("code", [1012, 1014, 1015])
def test_fetch_errors_are_one_line_and_secret_free(run, tmp_path, monkeypatch, waits, code):
    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    with FakeFlexService({"SendRequest": [("status", code)]}) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", tmp_path / "s")
    assert res.exit_code == 1
    assert f"error {code}" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "s").exists()  # nothing saved
    no_token_anywhere(res.output)


def test_statement_saved_even_when_import_fails(run, tmp_path, monkeypatch, waits):
    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    broken = STATEMENT.replace(b'tradePrice="2.1"', b'tradePrice="2.1x"', 1)
    script = {"SendRequest": [("success", "1")], "GetStatement": [("body", broken)]}
    with FakeFlexService(script) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", tmp_path / "s")
    assert res.exit_code == 1
    saved = list((tmp_path / "s").iterdir())
    assert len(saved) == 1 and saved[0].read_bytes() == broken
    assert "stays saved" in res.output
    no_token_anywhere(res.output)


# -- hostile or broken replies (issue 15 items 5 and 10) -------------------------------------

def test_a_20_mb_error_reply_is_read_in_linear_time_and_quoted_briefly():
    for where in ("Status", "ErrorMessage"):
        filler = "A\n" * 10_000_000  # 20 MB of text, one line each: many text events
        body = (f"<FlexStatementResponse><Status>{filler if where == 'Status' else 'Fail'}"
                f"</Status><ErrorCode>9999</ErrorCode><ErrorMessage>"
                f"{filler if where == 'ErrorMessage' else 'x'}</ErrorMessage>"
                "</FlexStatementResponse>").encode()
        started = time.monotonic()
        with FakeFlexService({"SendRequest": [("body", body)]}) as svc:
            with pytest.raises(FlexServiceError) as err:
                client(svc, []).fetch(QUERY)
        assert time.monotonic() - started < 20
        assert len(str(err.value)) < 400 and "error 9999" in str(err.value)


def test_a_trickling_server_cannot_outlast_the_timeout():
    script = {"SendRequest": [("trickle", (success_body("1", "x"), 0.3))]}
    with FakeFlexService(script) as svc:
        started = time.monotonic()
        with pytest.raises(FlexServiceError, match="did not finish its reply within 1 s"):
            client(svc, [], timeout=1).fetch(QUERY)
        elapsed = time.monotonic() - started
    assert 0.9 < elapsed < 2.5


def test_a_short_body_is_detected():
    cut = STATEMENT[: len(STATEMENT) // 2]
    script = {"SendRequest": [("success", "1")],
              "GetStatement": [("short", (cut, len(STATEMENT)))]}
    with FakeFlexService(script) as svc:
        with pytest.raises(FlexServiceError, match=rf"cut short \({len(cut):,} of "
                                                   rf"{len(STATEMENT):,} bytes\)"):
            client(svc, []).fetch(QUERY)


def _encodings(token: str) -> list[str]:
    return [token,
            "".join(f"%{b:02X}" for b in token.encode()),        # URL-encoded, every char
            "".join(f"%{b:02x}" for b in token.encode()),
            "".join(f"&#{ord(c)};" for c in token),              # HTML character references
            "".join(f"&#x{ord(c):x};" for c in token),
            token[:5] + "".join(f"%{b:02x}" for b in token[5:].encode())]  # mixed


@pytest.mark.parametrize("echo", _encodings(TOKEN))
def test_the_token_is_masked_in_every_encoding(run, tmp_path, monkeypatch, waits, echo):
    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    statement = STATEMENT.replace(b'queryName="', f'queryName="t={echo} '.encode(), 1)
    script = {"SendRequest": [("success", "1")], "GetStatement": [("body", statement)]}
    with FakeFlexService(script) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", tmp_path / "s",
                  "--no-import")
    assert res.exit_code == 0, res.output
    [saved] = (tmp_path / "s").iterdir()
    assert echo.encode() not in saved.read_bytes() and b"t=*** " in saved.read_bytes()
    # and in an error message quoting the reply
    body = f"<html>bad request t={echo}</html>".encode()
    with FakeFlexService({"SendRequest": [("body", body)]}) as svc:
        with pytest.raises(FlexServiceError) as err:
            client(svc, []).fetch(QUERY)
    assert echo not in str(err.value) and "t=***" in str(err.value)


def test_a_csv_reply_is_saved_as_csv_and_imported(run, tmp_path, monkeypatch, waits):
    """A Flex query set to CSV output: the service answers with the CSV itself."""
    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    flex_csv = (b'"ClientAccountID","CurrencyPrimary","Symbol","TradeDate","Quantity",'
                b'"TradePrice","IBCommission","TransactionID","Buy/Sell"\r\n'
                b'"U7654321","USD","KO","20250203","100","62.4","-1","3290164417","BUY"\r\n')
    script = {"SendRequest": [("success", "1")], "GetStatement": [("body", flex_csv)]}
    imported = []
    from journal import imports

    real = imports.import_file
    monkeypatch.setattr(imports, "import_file",
                        lambda engine, path, **kw: imported.append(path) or real(engine, path))
    with FakeFlexService(script) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", tmp_path / "s")
    [saved] = (tmp_path / "s").iterdir()
    assert saved.suffix == ".csv" and saved.read_bytes() == flex_csv
    assert imported == [saved]  # handed to the normal import, whatever it makes of it
    assert f"saved: {saved}" in res.output


@pytest.mark.parametrize("head", [b"BOF,U7654321,Q,1,20250101,20250131\n",
                                  b'"HEADER","TRNT","ClientAccountID","Symbol"\n',
                                  b"\xef\xbb\xbfClientAccountID,Symbol,TradeDate\n"])
def test_every_flex_csv_shape_is_recognised(head):
    assert _statement_kind(head + b"U1,KO,20250203\n") == "csv"


@pytest.mark.parametrize("body", [b"<html>x</html>", b'{"error": 1}', b"plain text"])
def test_other_replies_are_not_csv(body):
    assert _statement_kind(body) is None


def test_the_ledger_is_not_locked_while_downloading(run, tmp_path, monkeypatch, waits):
    """A concurrent import writes while fetch waits for the service; fetch writes after."""
    from journal.db import open_ledger
    from journal.imports import import_file

    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    db = tmp_path / "ledger.db"
    assert run("import", "-q", SAMPLES / "wheel_2025_multi.xml", db=str(db)).exit_code == 0
    done = []

    def concurrent_import():
        engine = open_ledger(str(db), create=False)
        with engine.connect() as conn:  # would wait for a writer lock held by fetch
            conn.exec_driver_sql("PRAGMA busy_timeout=200")
        done.append(import_file(engine, SAMPLES / "wheel_2025_U7654321.xml").status)
        engine.dispose()

    script = {"SendRequest": [("success", "1")],
              "GetStatement": [("hook", (concurrent_import, ("body", STATEMENT)))]}
    with FakeFlexService(script) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", tmp_path / "s",
                  db=str(db))
    assert done == ["imported"]
    assert res.exit_code == 0, res.output  # then fetch imports: everything is already there
    assert "unchanged" in res.output or " 0 " in res.output


def test_fetch_cannot_save(run, tmp_path, monkeypatch, waits):
    monkeypatch.setenv("IB_FLEX_TOKEN", TOKEN)
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    script = {"SendRequest": [("success", "1")], "GetStatement": [("body", STATEMENT)]}
    with FakeFlexService(script) as svc:
        res = run("fetch", "--query", QUERY, "--url", svc.base_url, "--save", blocker / "s")
    assert res.exit_code == 1
    assert res.output.strip() == (
        f"Error: cannot save the statement in {blocker / 's'}: a part of the path is a file, "
        "not a folder; nothing was imported (--save DIR picks another folder)")
    assert not (tmp_path / "ledger.db").exists()


def test_a_failed_write_leaves_no_part_file(tmp_path, monkeypatch):
    import os as os_

    from journal.fetch import save_statement

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os_, "fsync", full)
    with pytest.raises(JournalError, match="the disk is full"):
        save_statement(STATEMENT, tmp_path, QUERY, "xml")
    assert list(tmp_path.iterdir()) == []


def test_importing_a_20_mb_error_reply_is_linear_and_quoted_briefly(run, tmp_path):
    """Issue 15 item 5: an error reply saved as a file and imported (4 MB once took 87 s,
    20 MB never finished; the write lock was held all along)."""
    reply = tmp_path / "reply.xml"
    reply.write_text("<FlexStatementResponse><Status>" + "A\n" * 10_000_000 +
                     "</Status><ErrorCode>1012</ErrorCode></FlexStatementResponse>")
    started = time.monotonic()
    res = run("import", reply)
    assert time.monotonic() - started < 30
    assert res.exit_code == 1
    [line] = [x for x in res.output.splitlines() if x.startswith("Error:")]
    assert line.endswith("this is an IB Flex Web Service error reply, not a statement "
                         "(error 1012: A)")
