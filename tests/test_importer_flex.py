"""Flex XML importer: every tolerance of ib_formats.md, tested by mutating a sample."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from journal.errors import StatementError
from journal.events import (
    AccountInfo,
    CashRow,
    OptionEAERow,
    ParseSummary,
    StatementStart,
    TradeRow,
)
from journal.importers import flex

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


def parse(path, **kw):
    return list(flex.parse(path, **kw))


def trades(events):
    return [e for e in events if isinstance(e, TradeRow)]


def summary(events) -> ParseSummary:
    last = events[-1]
    assert isinstance(last, ParseSummary)
    return last


def comparable(events):
    """Trade rows without raw attributes and source (which mutations change)."""
    return [e._replace(raw=None, source=None) for e in trades(events)]


def mutate(tmp_path, text: str, name="mutated.xml", encoding="utf-8", newline="\n") -> Path:
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode(encoding))
    return p


@pytest.fixture(scope="module")
def baseline():
    return parse(MAIN)


@pytest.fixture(scope="module")
def main_text():
    return MAIN.read_text(encoding="utf-8")


def test_sample_counts_match_readme(baseline):
    s = summary(baseline)
    assert s.counts["trades"] == 17
    assert s.counts["skipped_ORDER"] == 1
    assert s.counts["option_events"] == 6
    assert s.counts["cash_transactions"] == 4
    assert s.counts["skipped_cash_SUMMARY"] == 1
    assert s.warnings == ()


def test_classic_put_row_is_typed_exactly(baseline):
    sto = next(t for t in trades(baseline) if t.transaction_id == "3612409871")
    assert sto.account_id == "U7654321"
    assert (sto.put_call, sto.strike, sto.expiry, sto.multiplier) == ("P", Decimal("410"),
                                                                       date(2025, 11, 21),
                                                                       Decimal("100"))
    assert sto.trade_date == date(2025, 10, 21)
    assert sto.date_time == datetime(2025, 10, 21, 10, 31, 7)
    assert (sto.quantity, sto.trade_price, sto.proceeds, sto.commission, sto.net_cash) == (
        Decimal("-1"), Decimal("2.1"), Decimal("210"), Decimal("-1.65"), Decimal("208.35"))
    assert sto.symbol == "MSFT  251121P00410000"  # OCC padding kept
    assert sto.raw["transactionID"] == "3612409871"
    assert sto.source.line > 1 and sto.source.path.endswith("wheel_2025_U7654321.xml")
    leg = next(t for t in trades(baseline) if t.transaction_id == "3718840618")
    assert leg.position_action_id == "99810512" and leg.notes == "A"
    assert not sto.key_synthetic


def test_account_information_and_statement_period(baseline):
    start = next(e for e in baseline if isinstance(e, StatementStart))
    assert (start.account_id, start.period_from, start.period_to) == (
        "U7654321", date(2025, 1, 2), date(2025, 12, 31))
    assert start.when_generated == datetime(2026, 1, 5, 9, 15, 2)
    info = next(e for e in baseline if isinstance(e, AccountInfo))
    assert info.base_currency == "USD"


def test_negative_zero_and_null_tokens(baseline):
    expiry = next(t for t in trades(baseline) if t.transaction_id == "3609870215")
    assert expiry.proceeds == 0 and not expiry.proceeds.is_signed()
    assert expiry.raw["ibExecID"] == "" and expiry.trade_id  # kept as written in raw
    assert expiry.orig_transaction_id is None  # "0" means no original


def test_unknown_attribute_is_kept_and_reported_once(tmp_path, main_text, baseline):
    text = main_text.replace("<Trade ", '<Trade brandNewField="42" ')
    events = parse(mutate(tmp_path, text))
    assert comparable(events) == comparable(baseline)
    warnings = summary(events).warnings
    assert sum("brandNewField" in w for w in warnings) == 1
    assert trades(events)[0].raw["brandNewField"] == "42"


def test_unknown_section_is_skipped_and_reported(tmp_path, main_text, baseline):
    text = main_text.replace(
        "<Trades>", '<BrandNewSection><BrandNewRow amount="1"/></BrandNewSection>\n<Trades>', 1)
    events = parse(mutate(tmp_path, text))
    assert comparable(events) == comparable(baseline)
    assert any("BrandNewSection" in w for w in summary(events).warnings)


def test_unknown_codes_order_types_currencies_kept_as_strings(tmp_path, main_text):
    text = main_text.replace('notes="A"', 'notes="A;IM;Zz"', 1)
    text = text.replace('orderType="LMT"', 'orderType="SNAPMID"', 1)
    text = text.replace('orderType="LMT"', 'orderType="FANCYNEW"')
    text = text.replace('transactionType="ExchTrade"', 'transactionType="ExchTradeV2"', 1)
    events = parse(mutate(tmp_path, text))
    assert len(trades(events)) == 17
    warnings = " | ".join(summary(events).warnings)
    assert "'Zz'" in warnings and "'FANCYNEW'" in warnings and "'ExchTradeV2'" in warnings
    assert "'IM'" not in warnings and "SNAPMID" not in warnings  # known since 2026
    assert any(t.notes == "A;IM;Zz" for t in trades(events))
    assert any(t.raw["orderType"] == "FANCYNEW" for t in trades(events))  # kept in raw


def _redate(text: str, fmt) -> str:
    def repl(m):
        y, mo, d = m.group(1), m.group(2), m.group(3)
        return fmt(y, mo, d)

    return re.sub(r"(?<![\d/])(\d{4})-(\d{2})-(\d{2})(?![\d])", repl, text)


@pytest.mark.parametrize("style,fmt", [
    ("yyyyMMdd", lambda y, m, d: f"{y}{m}{d}"),
    ("yyyy-MM-dd", lambda y, m, d: f"{y}-{m}-{d}"),
    ("MM/dd/yyyy", lambda y, m, d: f"{m}/{d}/{y}"),
    ("dd/MM/yyyy", lambda y, m, d: f"{d}/{m}/{y}"),
])
def test_each_date_style_gives_the_same_rows(tmp_path, main_text, baseline, style, fmt):
    events = parse(mutate(tmp_path, _redate(main_text, fmt)))
    assert comparable(events) == comparable(baseline)
    start = next(e for e in events if isinstance(e, StatementStart))
    assert start.period_to == date(2025, 12, 31)


def test_ambiguous_slash_dates_name_the_query_setting(tmp_path):
    text = """<FlexQueryResponse queryName="q" type="AF"><FlexStatements count="1">
<FlexStatement accountId="U1" fromDate="01/02/2025" toDate="03/04/2025" period="" whenGenerated="03/04/2025;101010">
<Trades>
<Trade accountId="U1" transactionID="11" assetCategory="STK" symbol="X" tradeDate="02/03/2025" dateTime="02/03/2025;101010" quantity="1" tradePrice="1" levelOfDetail="EXECUTION"/>
</Trades></FlexStatement></FlexStatements></FlexQueryResponse>"""
    path = mutate(tmp_path, text)
    with pytest.raises(StatementError) as err:
        parse(path)
    msg = str(err.value)
    assert "Date Format" in msg and "yyyyMMdd" in msg and str(path) in msg
    assert "\n" not in msg
    # the user can settle it
    rows = trades(parse(path, date_order="DMY"))
    assert rows[0].trade_date == date(2025, 3, 2)
    assert trades(parse(path, date_order="MDY"))[0].trade_date == date(2025, 2, 3)


@pytest.mark.parametrize("sep", [";", ",", " "])
def test_date_time_separators(tmp_path, main_text, baseline, sep):
    text = re.sub(r'(dateTime="\d{4}-\d{2}-\d{2});', lambda m: m.group(1) + sep, main_text)
    events = parse(mutate(tmp_path, text))
    assert comparable(events) == comparable(baseline)


def test_time_zone_suffix_and_times_without_seconds(tmp_path, main_text):
    text = main_text.replace('dateTime="2025-10-21;10:31:07"', 'dateTime="2025-10-21;10:31 EDT"')
    text = text.replace('whenGenerated="2026-01-05;09:15:02"',
                        'whenGenerated="2026-01-05 09:15:02 EST"')
    events = parse(mutate(tmp_path, text))
    sto = next(t for t in trades(events) if t.transaction_id == "3612409871")
    assert sto.date_time == datetime(2025, 10, 21, 10, 31)  # local time, zone in raw
    assert sto.raw["dateTime"] == "2025-10-21;10:31 EDT"
    start = next(e for e in events if isinstance(e, StatementStart))
    assert start.when_generated == datetime(2026, 1, 5, 9, 15, 2)


def test_compact_times_with_zone(tmp_path, main_text):
    text = main_text.replace('dateTime="2025-10-21;10:31:07"', 'dateTime="20251021;103107 EDT"')
    sto = next(t for t in trades(parse(mutate(tmp_path, text)))
               if t.transaction_id == "3612409871")
    assert sto.date_time == datetime(2025, 10, 21, 10, 31, 7)


def test_multi_and_dashes_are_no_value(tmp_path, main_text):
    text = main_text.replace('expiry=""', 'expiry="MULTI"', 1)
    text = text.replace('openDateTime=""', 'openDateTime="--"', 1)
    text = text.replace('closePrice="62.55"', 'closePrice="--"', 1)
    rows = trades(parse(mutate(tmp_path, text)))
    assert rows[0].expiry is None and rows[0].close_price is None


def test_bom_and_crlf(tmp_path, main_text, baseline):
    path = tmp_path / "bom.xml"
    path.write_bytes(b"\xef\xbb\xbf" + main_text.replace("\n", "\r\n").encode())
    events = parse(path)
    assert comparable(events) == comparable(baseline)
    # line numbers still count lines, not carriage returns
    assert [t.source.line for t in trades(events)] == [t.source.line for t in trades(baseline)]


def test_thousands_separators(tmp_path, main_text):
    text = main_text.replace('proceeds="-41000"', 'proceeds="-41,000"', 1)
    leg = next(t for t in trades(parse(mutate(tmp_path, text)))
               if t.transaction_id == "3718840618")
    assert leg.proceeds == Decimal("-41000")


def test_several_statements_in_one_file():
    events = parse(MULTI)
    rows = trades(events)
    assert {t.account_id for t in rows} == {"U7654321", "U7654322"}
    assert sum(t.account_id == "U7654321" for t in rows) == 5
    assert sum(t.account_id == "U7654322" for t in rows) == 4
    assert len([e for e in events if isinstance(e, OptionEAERow)]) == 4
    assert len([e for e in events if isinstance(e, CashRow)]) == 2
    # yyyyMMdd;HHmmss in this file
    assert all(t.date_time is not None and t.trade_date == t.date_time.date() for t in rows)


def test_missing_transaction_id_gets_a_stable_key(tmp_path, main_text):
    text = re.sub(r' transactionID="\d+"', "", main_text)
    first = trades(parse(mutate(tmp_path, text, "a.xml")))
    second = trades(parse(mutate(tmp_path, text, "b.xml")))
    assert len(first) == 17 and len({t.transaction_id for t in first}) == 17
    assert all(t.key_synthetic and t.transaction_id.startswith("k:") for t in first)
    assert [t.transaction_id for t in first] == [t.transaction_id for t in second]


def test_identical_fills_without_ids_stay_distinct(tmp_path, main_text):
    text = re.sub(r' (transactionID|ibExecID|tradeID)="[^"]*"', "", main_text)
    # the two AAPL partial fills differ only in time: make them identical
    text = text.replace("2025-09-18;10:02:16", "2025-09-18;10:02:15")
    rows = trades(parse(mutate(tmp_path, text)))
    assert len({t.transaction_id for t in rows}) == 17


def test_trade_at_other_levels_is_counted_not_imported(tmp_path, main_text):
    extra = ('<SymbolSummary accountId="U7654321" symbol="KO" levelOfDetail="SYMBOL_SUMMARY" '
             'tradeDate="MULTI" quantity="100"/>\n'
             '<Lot accountId="U7654321" symbol="KO" conid="8894" levelOfDetail="CLOSED_LOT" '
             'transactionID="3290164417" tradeDate="2025-03-01" dateTime="2025-03-01;10:00:00" '
             'openDateTime="2025-02-03;09:48:21" quantity="100" cost="6241" notes="ST"/>\n'
             '<Trade accountId="U7654321" symbol="KO" levelOfDetail="ORDER" quantity="1"/>\n')
    text = main_text.replace("</Trades>", extra + "</Trades>", 1)
    events = parse(mutate(tmp_path, text))
    s = summary(events)
    assert s.counts["trades"] == 17
    assert s.counts["skipped_SYMBOL_SUMMARY"] == 1
    assert s.counts["skipped_ORDER"] == 2
    assert s.counts["closed_lots"] == 1


def test_error_envelope_is_reported_as_such(tmp_path):
    text = ('<FlexStatementResponse timestamp="28 August, 2012 10:37 AM EDT">'
            "<Status>Fail</Status><ErrorCode>1012</ErrorCode>"
            "<ErrorMessage>Token has expired.</ErrorMessage></FlexStatementResponse>")
    with pytest.raises(StatementError) as err:
        parse(mutate(tmp_path, text))
    assert "1012" in str(err.value) and "Token has expired" in str(err.value)
    assert "error reply" in str(err.value)


@pytest.mark.parametrize("text,expect", [
    ("", "empty"),
    ("hello, world\n", "not a Flex XML"),
    ("Statement,Header,Field Name,Field Value\n", "Activity Statement CSV"),
    ("<FlexQueryResponse><FlexStatements>", "truncated"),
    ("<html><body>login</body></html>", "root element <html>"),
    ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     "<FlexQueryResponse>&lol2;</FlexQueryResponse>", "DOCTYPE"),
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
     "<FlexQueryResponse>&e;</FlexQueryResponse>", "DOCTYPE"),
])
def test_bad_input_one_line_errors(tmp_path, text, expect):
    path = mutate(tmp_path, text)
    with pytest.raises(StatementError) as err:
        parse(path)
    msg = str(err.value)
    assert expect in msg and msg.startswith(str(path)) and "\n" not in msg


def test_bad_number_names_line_and_attribute(tmp_path, main_text):
    text = main_text.replace('tradePrice="2.1"', 'tradePrice="2.1x"', 1)
    path = mutate(tmp_path, text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if 'tradePrice="2.1x"' in l)
    with pytest.raises(StatementError) as err:
        parse(path)
    assert str(err.value).startswith(f"{path}:{line}:") and "tradePrice" in str(err.value)


def test_memory_stays_flat_parser_is_a_generator(tmp_path, main_text):
    # The parser yields rows as it reads: the first trade arrives before the file ends.
    gen = flex.parse(MAIN)
    first = next(e for e in gen if isinstance(e, TradeRow))
    assert first.transaction_id == "3290164417"
    gen.close()


def test_rows_the_ledger_already_holds_are_not_converted(baseline):
    from journal.events import KnownKeys, KnownRow

    held = {("U7654321", t.transaction_id) for t in trades(baseline)[:10]}
    eae = {("U7654321", e.event_key) for e in baseline if isinstance(e, OptionEAERow)}
    cash = {("U7654321", c.transaction_id) for c in baseline if isinstance(c, CashRow)}
    events = parse(MAIN, known=KnownKeys(frozenset(held), frozenset(eae), frozenset(cash)))
    known = [e for e in events if isinstance(e, KnownRow)]
    assert {(k.account_id, k.key) for k in known if k.kind == "trade"} == held
    assert sum(k.kind == "option_event" for k in known) == 6
    assert sum(k.kind == "cash" for k in known) == 4
    assert len(trades(events)) == 7  # only the rows not held are converted
    assert summary(events).counts["trades"] == 17
