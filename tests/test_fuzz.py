"""Hostile and broken input: every case imports or fails with one clean line, never more.

Two bounded runs on one shared SQLite ledger (row counts are compared around every
failing case, so a partial write is caught): seeded byte/attribute/structure mutations
of our samples and of the public IB samples (when present), Activity Statement CSVs
and Flex CSVs in every delivery shape, and hypothesis-generated
Trade rows. A failure must be a StatementError whose one-line message names the file;
any other exception is a finding. Plus explicit cases for what the issue names: DOCTYPE,
billion laughs, external entities, absurd numbers and dates, megabyte attributes.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from journal import db as jdb
from journal import models
from journal.errors import StatementError
from journal.importers import IMPORTERS, identify
from journal.imports import import_file

from conftest import FIXTURES, SAMPLES, public_samples

pytestmark = pytest.mark.slow

MUTATION_CASES = 3000
CSV_CASES = 600  # Activity Statement CSVs, when an importer for them is present
HYPOTHESIS_CASES = 1200
MAX_SEED_BYTES = 256 << 10  # bigger public files cost too much per mutated case

_COUNT_SQL = "SELECT " + ", ".join(
    f"(SELECT COUNT(*) FROM {t.name})" for t in models.metadata.sorted_tables)

HOSTILE_VALUES = [
    "1e999", "-1E+400", "9" * 39, "9" * 60, "1" + "0" * 15, "NaN", "sNaN", "-Infinity", "inf",
    "0x1F", "1_000", "1..2", "--1", "+-3", "1,2,3", "\u0661\u0662", "\uff11\uff12",
    "99991231", "00000000", "20251340", "20250230", "2025-02-30", "18991231", "21010101",
    "20250101;250000", "20250101;12:61:00", "2025-06-13;17:00:00 XYZZY", "13/13/2025",
    "31/12/2025", "12/31/2025", "01-FOO-2025", "0" * 30, "\t", " ", "", "--", "MULTI",
    "A" * 5_000, "A" * 10_001, "A" * (1 << 20), "&amp;&lt;&gt;", "&#x1F600;", "&#0;",
    "&undefined;", "\x01", "<", "\"", "Ca;Ca;Ca;" * 50, "ZZ;QQ", "\u202e\u200b",
]


def _counts(engine) -> tuple:
    with engine.connect() as conn:
        return tuple(conn.execute(text(_COUNT_SQL)).one())


def _kind(error: str) -> str:
    """A coarse error class for the report: the reason without file, line and values."""
    reason = error.split(": ", 1)[1] if ": " in error else error
    reason = re.sub(r"^\d+: ", "", reason)
    reason = re.sub(r"^<\w+ [\w/]+=…>: ", "", reason)
    reason = re.sub(r"^<FlexStatement>: ", "", reason)
    reason = re.sub(r"^\[[^\]]*\] ", "", reason)  # CSV section
    reason = re.sub(r"^<\w+> has an attribute of.*", "attribute too long", reason)
    reason = re.split(r"[:(']|\d", reason, maxsplit=1)[0]
    return reason.strip() or "?"


class FuzzLedger:
    """Runs cases against one ledger and keeps the tally."""

    def __init__(self, db_path: Path, workdir: Path):
        self.engine = jdb.open_ledger(str(db_path))
        self.workdir = workdir
        self.outcomes: Counter = Counter()
        self.findings: list[str] = []
        self.n = 0

    def run(self, data: bytes, label: str) -> str:
        self.n += 1
        path = self.workdir / f"case{self.n % 50}.xml"
        path.write_bytes(data)
        before = _counts(self.engine)
        try:
            fr = import_file(self.engine, path)
        except Exception as exc:  # the finding this test exists for
            self.findings.append(f"{label}: {type(exc).__name__}: {str(exc)[:200]}")
            self.outcomes["CRASH"] += 1
            return "crash"
        if fr.status in ("imported", "unchanged"):
            # "unchanged": these exact bytes were imported by an earlier case
            self.outcomes[fr.status] += 1
            return "imported"
        problems = []
        if _counts(self.engine) != before:
            problems.append("partial write")
        if "\n" in fr.error or len(fr.error) > 600:
            problems.append("error is not one short line")
        if not fr.error.startswith(str(path)):
            problems.append("error does not name the file")
        try:  # the failure must come from the parser as a StatementError
            for _ in identify(path).parse(path):
                pass
            problems.append("parser accepted what the import refused")
        except StatementError:
            pass
        except Exception as exc:
            problems.append(f"parser raised {type(exc).__name__}")
        if problems:
            self.findings.append(f"{label}: {', '.join(problems)}: {fr.error[:200]}")
        self.outcomes[f"rejected: {_kind(fr.error)}"] += 1
        return "rejected"

    def close(self):
        self.engine.dispose()


def _seeds(suffix: str = "xml") -> list[tuple[str, bytes]]:
    files = sorted(SAMPLES.glob(f"*.{suffix}")) + [
        p for p in public_samples(f"*.{suffix}") if p.stat().st_size <= MAX_SEED_BYTES]
    if suffix == "csv":  # Flex CSV in its delivery shapes, beside the Activity Statements
        files += sorted((FIXTURES / "flex_csv").glob("*.csv"))
    return [(p.name, p.read_bytes()) for p in files]


def _mutate_csv(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """Replace one cell with a hostile value, or fall back to the byte-level mutations."""
    if rng.random() < 0.5 and data:
        lines = data.split(b"\n")
        i = rng.randrange(len(lines))
        cells = lines[i].split(b",")
        cells[rng.randrange(len(cells))] = rng.choice(HOSTILE_VALUES).encode()
        lines[i] = b",".join(cells)
        return "cell", b"\n".join(lines)
    while True:
        op, out = _mutate(rng, data)
        if op in ("flip", "delete", "duplicate", "insert", "truncate", "empty"):
            return op, out


_ATTR = re.compile(rb'(\w+)="([^"]*)"')


def _mutate(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    op = rng.choice(["flip", "delete", "duplicate", "insert", "truncate", "attr", "attr",
                     "attr", "attr", "drop_attr", "dup_attr", "structure"])
    n = len(data)
    if n == 0:
        return "empty", data
    if op == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(n)] = rng.randrange(256)
        return op, bytes(out)
    if op == "delete":
        i = rng.randrange(n)
        return op, data[:i] + data[i + rng.randint(1, 200):]
    if op == "duplicate":
        i = rng.randrange(n)
        j = min(n, i + rng.randint(1, 3000))
        return op, data[:j] + data[i:j] + data[j:]
    if op == "insert":
        i = rng.randrange(n)
        junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
        return op, data[:i] + junk + data[i:]
    if op == "truncate":
        return op, data[: rng.randrange(n)]
    attrs = list(_ATTR.finditer(data))
    if not attrs:  # an earlier mutation cut them all away
        return "truncate", data[: rng.randrange(n)]
    m = rng.choice(attrs)
    if op == "attr":
        value = rng.choice(HOSTILE_VALUES).replace("&", "&amp;" if rng.random() < 0.5 else "&")
        value = value.replace('"', "&quot;") if rng.random() < 0.7 else value
        raw = value.encode("utf-8")
        return f"attr {m[1].decode()}", data[:m.start(2)] + raw + data[m.end(2):]
    if op == "drop_attr":
        return f"drop {m[1].decode()}", data[:m.start()] + data[m.end():]
    if op == "dup_attr":
        return "dup_attr", data[:m.end()] + b" " + m[0] + data[m.end():]
    # structure: wrap, nest or rename elements
    choice = rng.randrange(5)
    if choice == 0:
        return "rename_root", data.replace(b"FlexQueryResponse", b"FlexQueryResponsf", 1)
    if choice == 1:
        i = data.find(b"<Trade ")
        if i < 0:
            return "noop", data
        return "unclosed_trade", data[:i] + b"<Trade>" + data[i:]
    if choice == 2:
        return "comment_pi", data.replace(b"<FlexStatements", b"<!-- x --><?pi y?><FlexStatements", 1)
    if choice == 3:
        return "cdata", data.replace(b"<Trades>", b"<Trades><![CDATA[<Trade x='1'/>]]>", 1)
    return "second_root", data + b"<FlexQueryResponse/>"


def test_mutated_samples(tmp_path):
    seeds = _seeds()
    rng = random.Random(20250613)
    ledger = FuzzLedger(tmp_path / "fuzz.db", tmp_path)
    t0 = time.monotonic()
    ops: Counter = Counter()
    try:
        for i in range(MUTATION_CASES):
            name, data = seeds[i % len(seeds)]
            op, mutated = _mutate(rng, data)
            if rng.random() < 0.15:  # a second mutation on top
                op2, mutated = _mutate(rng, mutated)
                op = f"{op}+{op2}"
            ops[op.split()[0]] += 1
            ledger.run(mutated, f"case {i} ({name}, {op})")
        xml_outcomes = Counter(ledger.outcomes)
        csv_seeds = _seeds("csv") if any(
            "csv" in imp.name for imp in IMPORTERS) else []
        for i in range(CSV_CASES if csv_seeds else 0):
            name, data = csv_seeds[i % len(csv_seeds)]
            op, mutated = _mutate_csv(rng, data)
            ledger.run(mutated, f"csv case {i} ({name}, {op})")
    finally:
        ledger.close()
    elapsed = time.monotonic() - t0
    csv_outcomes = ledger.outcomes - xml_outcomes
    for label, tally, n_seeds in (("xml", xml_outcomes, len(seeds)),
                                  ("csv", csv_outcomes, len(csv_seeds))):
        report = "\n".join(f"  {n:5d}  {k}" for k, n in tally.most_common())
        print(f"\nfuzz/mutations/{label}: {sum(tally.values())} cases from {n_seeds} seed "
              f"files\n{report}")
    print(f"fuzz/mutations: {ledger.n} cases in {elapsed:.1f}s")
    assert ledger.n == MUTATION_CASES + (CSV_CASES if csv_seeds else 0)
    assert not ledger.findings, "\n".join(ledger.findings[:30])
    # The mix must exercise both paths, or the test proves nothing.
    assert ledger.outcomes["imported"] > 300
    assert sum(n for k, n in ledger.outcomes.items() if k.startswith("rejected")) > 300


#### hypothesis: generated Trade rows ####

_HEAD = ('<FlexQueryResponse queryName="h" type="AF"><FlexStatements count="1">'
         '<FlexStatement accountId="U1234567" fromDate="20250101" toDate="20251231" period="" '
         'whenGenerated="20260101;120000"><Trades>')
_TAIL = "</Trades></FlexStatement></FlexStatements></FlexQueryResponse>"

_xml_text = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3),  # controls
)
_numbers = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.floats().map(repr),
    st.sampled_from(["-0", "0", "1,234.5", "MULTI", "--", "", "1e15", "-999999999999999.9"]),
)
_dates = st.one_of(
    st.dates().map(lambda d: f"{d.year:04d}{d.month:02d}{d.day:02d}"),
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.strftime("%Y%m%d;%H%M%S")),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%d, %H:%M:%S")),
    st.from_regex(r"\A[0-9/;:, -]{0,20}\Z"),
)
_TRADE_ATTRS = {
    "quantity": _numbers, "tradePrice": _numbers, "proceeds": _numbers, "ibCommission": _numbers,
    "netCash": _numbers, "strike": _numbers, "multiplier": _numbers, "fxRateToBase": _numbers,
    "tradeDate": _dates, "dateTime": _dates, "expiry": _dates, "reportDate": _dates,
    "transactionID": st.one_of(st.integers(0, 10**12).map(str), _xml_text),
    "symbol": _xml_text, "notes": _xml_text, "buySell": st.sampled_from(["BUY", "SELL", "X"]),
    "assetCategory": st.sampled_from(["OPT", "STK", "?"]), "putCall": _xml_text,
    "conid": _xml_text, "currency": _xml_text, "levelOfDetail": st.sampled_from(
        ["EXECUTION", "EXECUTION", "ORDER", ""]), "origTransactionID": _xml_text,
    "transactionType": st.sampled_from(["ExchTrade", "TradeCancel", "TradeCorrect", "Zz"]),
}
_trade = st.fixed_dictionaries({"quantity": _numbers},
                               optional={k: v for k, v in _TRADE_ATTRS.items() if k != "quantity"})


def test_generated_trades(tmp_path):
    ledger = FuzzLedger(tmp_path / "fuzz.db", tmp_path)
    t0 = time.monotonic()

    @settings(max_examples=HYPOTHESIS_CASES, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(_trade, min_size=1, max_size=4))
    def case(rows):
        body = "".join(
            "<Trade " + " ".join(f"{k}={quoteattr(v)}" for k, v in r.items()) + " />"
            for r in rows)
        ledger.run((_HEAD + body + _TAIL).encode("utf-8"), f"generated {rows!r}"[:300])

    try:
        case()
    finally:
        ledger.close()
    report = "\n".join(f"  {n:5d}  {k}" for k, n in ledger.outcomes.most_common())
    print(f"\nfuzz/hypothesis: {ledger.n} cases in {time.monotonic() - t0:.1f}s\n{report}")
    assert ledger.n >= HYPOTHESIS_CASES
    assert not ledger.findings, "\n".join(ledger.findings[:30])
    assert ledger.outcomes["imported"] > 20
    assert sum(n for k, n in ledger.outcomes.items() if k.startswith("rejected")) > 20


#### the named attacks ####


def _statement_with(trade_attrs: str = 'quantity="1"', prolog: str = "") -> bytes:
    return (prolog + _HEAD + f'<Trade transactionID="1" tradeDate="20250102" {trade_attrs} />'
            + _TAIL).encode()


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
              for i in range(1, 10))
    + ']>\n')
EXTERNAL = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n')
PARAM = ('<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]>\n')
PLAIN_DOCTYPE = '<?xml version="1.0"?>\n<!DOCTYPE FlexQueryResponse>\n'


@pytest.mark.parametrize("data, expect", [
    (_statement_with(prolog=PLAIN_DOCTYPE), "DOCTYPE"),
    (_statement_with('quantity="&lol9;"', prolog=BILLION_LAUGHS), "DOCTYPE"),
    (_statement_with('quantity="1" symbol="&xxe;"', prolog=EXTERNAL), "DOCTYPE"),
    (_statement_with(prolog=PARAM), "DOCTYPE"),
    (_statement_with('quantity="1e999"'), "quantity"),
    (_statement_with('quantity="' + "9" * 400 + '"'), "quantity"),
    (_statement_with('quantity="1" tradePrice="1000000000000000"'), "out of range"),
    (_statement_with('quantity="NaN"'), "quantity"),
    (_statement_with('quantity="1" expiry="99991231"'), "out of range"),
    (_statement_with('quantity="1" dateTime="00010101;000000"'), "out of range"),
    (_statement_with('quantity="1" expiry="20250230"'), "not a valid date"),
    (_statement_with('quantity="1" symbol="' + "A" * (1 << 20) + '"'), "1,048,576 characters"),
], ids=["doctype", "billion-laughs", "external-entity", "parameter-entity", "exponent",
        "400-digits", "too-large", "nan", "year-9999", "year-1", "feb-30", "megabyte-attr"])
def test_named_attacks_are_refused_cleanly(tmp_path, data, expect):
    path = tmp_path / "hostile.xml"
    path.write_bytes(data)
    ledger = FuzzLedger(tmp_path / "fuzz.db", tmp_path)
    try:
        before = _counts(ledger.engine)
        fr = import_file(ledger.engine, path)
        assert fr.status == "failed"
        assert expect in fr.error
        assert fr.error.startswith(str(path)) and "\n" not in fr.error
        assert _counts(ledger.engine) == before
    finally:
        ledger.close()
    with pytest.raises(StatementError):
        list(identify(path).parse(path))


def test_valid_control_case_imports(tmp_path):
    """The template of the named attacks imports when nothing is hostile."""
    path = tmp_path / "fine.xml"
    path.write_bytes(_statement_with('quantity="1" tradePrice="2.5" symbol="KO"'))
    ledger = FuzzLedger(tmp_path / "fuzz.db", tmp_path)
    try:
        fr = import_file(ledger.engine, path)
        assert fr.status == "imported", fr.error
        assert fr.result.new_executions == 1
    finally:
        ledger.close()
