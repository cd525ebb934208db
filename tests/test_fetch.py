"""`journal fetch` and the Flex Web Service client, against a fake service on 127.0.0.1."""

from __future__ import annotations

import json

import pytest

from journal.cli import commands_fetch
from journal.flexws import DEFAULT_URL, USER_AGENT, FlexServiceError, FlexWebClient
from conftest import SAMPLES
from fake_flex_service import FakeFlexService

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
