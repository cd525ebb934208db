"""Tax-season report: the rules layer's realized events laid out as the IRS forms want them.

Pure: takes a :class:`journal.rules.types.RuleResult` and returns Form 8949 rows (Part I
short-term, Part II long-term, boxes A–F), Schedule D line totals, Form 6781 Part I (§1256,
60/40), the wash-sale list, the flags a human must review and the summary totals. Every
exporter (csv, json, xlsx, TXF) is fed from the one :class:`TaxReport` built here, so they
cannot disagree on a total. Spec: tax_rules.md §5 (8949/Schedule D/TXF) and §6 (§1256).

Amounts are rounded to cents once, per form line (tax_rules.md §0.5); column (h) is then
(d) − (e) + (g) of the rounded figures, so a line always adds up on paper.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from journal.errors import ConfigError
from journal.rules.types import Flag, RealizedEvent, RuleResult
from journal.vocab import FlagCode, Term

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

ST_BOXES = ("A", "B", "C")
LT_BOX = {"A": "D", "B": "E", "C": "F"}
# Schedule D line per box; box A/D rows without any adjustment go to 1a/8a (the
# "Form 8949 not required" lines), the others to 1b/8b.
SCHED_D_LINE = {"A": "1b", "B": "2", "C": "3", "D": "8b", "E": "9", "F": "10"}
WRITTEN_OPTION_DATES = ("chronological", "irs_literal")


def cents(v: Decimal) -> Decimal:
    return Decimal(v).quantize(CENT, rounding=ROUND_HALF_UP)


def money(v: Decimal) -> str:
    """Money as the summary JSON wants it: a string with exactly two decimals."""
    return format(cents(v), "f")


@dataclass(frozen=True)
class TaxSettings:
    """How the user's 1099-B reports: which box a line goes to, and the date convention
    for expired written options (tax_rules.md §5 "Options on the 8949")."""

    # Part I box letter (A/B/C) per account; Part II follows (A→D, B→E, C→F).
    box_by_account: Mapping[str, str] = field(default_factory=dict)
    noncovered_box: str = "B"  # for events the rules mark covered=False
    written_option_dates: str = "chronological"

    def __post_init__(self):
        for acct, box in self.box_by_account.items():
            if box not in ST_BOXES:
                raise ConfigError(f"box for account {acct} must be A, B or C, not {box!r}")
        if self.noncovered_box not in ST_BOXES:
            raise ConfigError(f"noncovered box must be A, B or C, not {self.noncovered_box!r}")
        if self.written_option_dates not in WRITTEN_OPTION_DATES:
            raise ConfigError("written_option_dates must be one of "
                              + ", ".join(WRITTEN_OPTION_DATES))


@dataclass(frozen=True)
class Form8949Row:
    part: str  # I | II
    box: str  # A..F
    line: str  # Schedule D line the row feeds: 1a 1b 2 3 8a 8b 9 10
    description: str  # (a)
    date_acquired: date | None  # (b); None = VARIOUS
    date_sold: date  # (c)
    proceeds: Decimal  # (d)
    cost: Decimal  # (e)
    code: str  # (f): B, E, T, W in alphabetical order
    adjustment: Decimal  # (g): the wash sale plus the B and E corrections
    gain: Decimal  # (h) = (d) − (e) + (g)
    term: str  # ST | LT | NEEDS_REVIEW (reported in Part I, flagged)
    account: str
    kind: str
    underlying: str
    transaction_id: str | None = None
    lot_id: str | None = None
    wash: Decimal = ZERO  # the wash-sale part of (g) (code W)

    @property
    def wash_sale(self) -> Decimal:
        return self.wash


@dataclass(frozen=True)
class Form6781Row:
    account: str
    description: str
    underlying: str
    date_acquired: date | None
    date_closed: date
    kind: str  # mark_to_market | bought_to_close | expired | cash_settled | ...
    proceeds: Decimal
    cost: Decimal
    gain: Decimal
    transaction_id: str | None = None


@dataclass(frozen=True)
class Totals:
    proceeds: Decimal = ZERO
    cost: Decimal = ZERO
    adjustment: Decimal = ZERO
    gain: Decimal = ZERO

    @classmethod
    def of(cls, rows: Iterable[Form8949Row]) -> Totals:
        p = c = a = g = ZERO
        for r in rows:
            p += r.proceeds
            c += r.cost
            a += r.adjustment
            g += r.gain
        return cls(p, c, a, g)

    def as_json(self) -> dict:
        return {"proceeds": money(self.proceeds), "cost_basis": money(self.cost),
                "adjustments": money(self.adjustment), "gain_loss": money(self.gain)}


@dataclass(frozen=True)
class Section1256:
    gain: Decimal = ZERO
    short_term_40: Decimal = ZERO
    long_term_60: Decimal = ZERO

    @classmethod
    def of(cls, rows: Iterable[Form6781Row]) -> Section1256:
        net = sum((r.gain for r in rows), ZERO)
        # Form 6781 lines 8/9; the 60 % part takes the remainder so the two always add up.
        st = cents(net * Decimal("0.4"))
        return cls(net, st, net - st)


@dataclass(frozen=True)
class TaxReport:
    year: int
    accounts: tuple  # accounts included (empty = all)
    part1: tuple  # Form8949Row, short-term
    part2: tuple  # Form8949Row, long-term
    form6781: tuple  # Form6781Row
    flags: tuple  # Flag
    provisional: bool
    settings: TaxSettings
    wash_sale_records: tuple = ()  # rules' WashSale records of the year (replacement detail)

    def replacements(self, row: Form8949Row) -> list:
        """The rules' wash-sale records behind a W row (same account and loss sale)."""
        return [w for w in self.wash_sale_records
                if getattr(w, "account", None) == row.account
                and getattr(w, "loss_transaction_id", None) == row.transaction_id]

    @property
    def rows(self) -> tuple:
        return self.part1 + self.part2

    @property
    def short_term(self) -> Totals:
        return Totals.of(self.part1)

    @property
    def long_term(self) -> Totals:
        return Totals.of(self.part2)

    @property
    def wash_sales(self) -> tuple:
        return tuple(r for r in self.rows if r.wash)

    @property
    def wash_sale_disallowed(self) -> Decimal:
        return sum((r.wash_sale for r in self.rows), ZERO)

    @property
    def section_1256(self) -> Section1256:
        return Section1256.of(self.form6781)

    def schedule_d(self) -> list[dict]:
        """Schedule D lines 1a–15 (the parts this program knows; carryovers and K-1
        lines are the preparer's)."""
        s = self.section_1256
        out = []

        def line(no, text, rows=None, gain=None):
            t = Totals.of(rows) if rows is not None else None
            out.append({"line": no, "text": text,
                        "proceeds": t.proceeds if t else None,
                        "cost": t.cost if t else None,
                        "adjustment": t.adjustment if t else None,
                        "gain": t.gain if t else gain})

        by_line: dict[str, list[Form8949Row]] = {}
        for r in self.rows:
            by_line.setdefault(r.line, []).append(r)
        line("1a", "Short-term, box A, no adjustments (Form 8949 not required)",
             by_line.get("1a", []))
        line("1b", "Short-term, Form 8949 box A", by_line.get("1b", []))
        line("2", "Short-term, Form 8949 box B", by_line.get("2", []))
        line("3", "Short-term, Form 8949 box C", by_line.get("3", []))
        line("4", "Short-term part of Form 6781 (40 %)", gain=s.short_term_40)
        st_net = sum((x["gain"] for x in out), ZERO)
        line("7", "Net short-term capital gain or (loss)", gain=st_net)
        first_lt = len(out)
        line("8a", "Long-term, box D, no adjustments (Form 8949 not required)",
             by_line.get("8a", []))
        line("8b", "Long-term, Form 8949 box D", by_line.get("8b", []))
        line("9", "Long-term, Form 8949 box E", by_line.get("9", []))
        line("10", "Long-term, Form 8949 box F", by_line.get("10", []))
        line("11", "Long-term part of Form 6781 (60 %)", gain=s.long_term_60)
        lt_net = sum((x["gain"] for x in out[first_lt:]), ZERO)
        line("15", "Net long-term capital gain or (loss)", gain=lt_net)
        return out

    def summary(self) -> dict:
        """Totals in the shape the issue fixes (money as two-decimal strings)."""
        s = self.section_1256
        return {
            "year": self.year,
            "short_term": self.short_term.as_json(),
            "long_term": self.long_term.as_json(),
            "wash_sale_disallowed": money(self.wash_sale_disallowed),
            "section_1256": {"gain_loss": money(s.gain), "long_term_60": money(s.long_term_60),
                             "short_term_40": money(s.short_term_40)},
            "flags": len(self.flags),
            "provisional": self.provisional,
        }


ROW_COLUMNS = ["form", "part", "box", "line", "description", "date_acquired", "date_sold",
               "proceeds", "cost_basis", "code", "adjustment", "gain_loss", "term", "account",
               "kind", "transaction_id", "wash_sale"]


def row_dicts(report: TaxReport) -> list[dict]:
    """The listing rows (8949 then 6781) for ``--format table|csv|json``; money rounded
    to cents as on the forms, VARIOUS for an unknown acquisition date."""
    out = []
    for r in report.rows:
        out.append({"form": "8949", "part": r.part, "box": r.box, "line": r.line,
                    "description": r.description,
                    "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_sold,
                    "proceeds": r.proceeds, "cost_basis": r.cost, "code": r.code,
                    "adjustment": r.adjustment, "gain_loss": r.gain, "term": r.term,
                    "account": r.account, "kind": r.kind, "transaction_id": r.transaction_id,
                    "wash_sale": r.wash_sale})
    for r in report.form6781:
        out.append({"form": "6781", "part": "I", "box": "", "line": "",
                    "description": r.description,
                    "date_acquired": r.date_acquired or "VARIOUS", "date_sold": r.date_closed,
                    "proceeds": r.proceeds, "cost_basis": r.cost, "code": "",
                    "adjustment": ZERO, "gain_loss": r.gain, "term": "60/40",
                    "account": r.account, "kind": r.kind, "transaction_id": r.transaction_id,
                    "wash_sale": ZERO})
    return out


SUMMARY_COLUMNS = ["section", "proceeds", "cost_basis", "adjustments", "gain_loss"]


def summary_rows(report: TaxReport) -> list[dict]:
    """The summary as listing rows (for table/csv)."""
    st, lt, s = report.short_term, report.long_term, report.section_1256
    rows: list[dict] = [
        {"section": "short_term (8949 Part I)", "proceeds": st.proceeds, "cost_basis": st.cost,
         "adjustments": st.adjustment, "gain_loss": st.gain},
        {"section": "long_term (8949 Part II)", "proceeds": lt.proceeds, "cost_basis": lt.cost,
         "adjustments": lt.adjustment, "gain_loss": lt.gain},
        {"section": "wash_sale_disallowed", "adjustments": report.wash_sale_disallowed},
        {"section": "section_1256 (6781)", "gain_loss": s.gain},
        {"section": "section_1256 short_term_40", "gain_loss": s.short_term_40},
        {"section": "section_1256 long_term_60", "gain_loss": s.long_term_60},
        {"section": f"flags to review: {len(report.flags)}"},
        {"section": f"provisional: {'yes' if report.provisional else 'no'}"},
    ]
    return rows


def _box(ev: RealizedEvent, settings: TaxSettings) -> str:
    st = settings.box_by_account.get(ev.account)
    if st is None:
        st = "A" if ev.covered else settings.noncovered_box
    return st


def _flag_year(f: Flag) -> int | None:
    if f.tax_year is not None:
        return f.tax_year
    if f.date is not None:
        return f.date.year
    return None


_LONG, _SHORT = Term.LONG.value, Term.SHORT.value


def _form8949_row(ev: RealizedEvent, settings: TaxSettings, year: int,
                  extra_flags: list[Flag]) -> Form8949Row:
    """One Form 8949 line. Where the 1099-B differs (codes B, E), (d) and (e) show its
    figures and (g) carries the corrections with the wash sale (W), so (h) is our gain:
    (h) = (d) − (e) + (g), in cents as the line is rounded."""
    proceeds, cost, wash = cents(ev.proceeds), cents(ev.cost), cents(ev.adjustment_amount)
    gain = proceeds - cost + wash
    code = "".join(sorted(set(ev.adjustment_code.replace(",", "").replace(" ", ""))))
    if "E" in code and ev.broker_proceeds is not None:
        proceeds = cents(ev.broker_proceeds)
    if "B" in code and ev.broker_cost is not None:
        cost = cents(ev.broker_cost)
    if "B" not in code and "E" not in code and ev.broker_proceeds is not None and \
            ev.broker_cost is not None and \
            (ev.broker_proceeds != ev.proceeds or ev.broker_cost != ev.cost) and \
            cents(ev.broker_proceeds) - cents(ev.broker_cost) == proceeds - cost:
        # the 1099-B's figures differ but give our gain: the line shows them as they are
        proceeds, cost = cents(ev.broker_proceeds), cents(ev.broker_cost)
    adj = gain - proceeds + cost
    acquired = ev.date_acquired
    if (settings.written_option_dates == "irs_literal" and ev.kind == "expired"
            and ev.asset_category in ("OPT", "FOP")):
        acquired = ev.date_sold
    st_box = _box(ev, settings)
    if ev.term == _LONG:
        part, box = "II", LT_BOX[st_box]
    else:
        part, box = "I", st_box
        if ev.term != _SHORT:
            extra_flags.append(Flag(
                FlagCode.TERM_NEEDS_REVIEW.value, ev.account,
                f"{ev.description} sold {ev.date_sold.isoformat()}: holding period needs "
                "review (straddle rules, tax_rules.md §2.2); reported as short-term",
                date=ev.date_sold, symbol=ev.underlying,
                transaction_id=ev.closing_transaction_id, tax_year=year))
    line = SCHED_D_LINE[box]
    if box in ("A", "D") and not code and adj == 0:
        line = "1a" if box == "A" else "8a"
    if proceeds < 0:
        extra_flags.append(Flag(
            FlagCode.NEGATIVE_PROCEEDS.value, ev.account,
            f"{ev.description}: negative proceeds {proceeds}; TurboTax rejects these",
            date=ev.date_sold, symbol=ev.underlying,
            transaction_id=ev.closing_transaction_id, tax_year=year))
    return Form8949Row(part, box, line, ev.description, acquired, ev.date_sold, proceeds,
                       cost, code, adj, gain, ev.term, ev.account, ev.kind, ev.underlying,
                       ev.closing_transaction_id, ev.lot_id, wash)


def build_report(result: RuleResult, year: int, *, accounts: Sequence[str] = (),
                 settings: TaxSettings | None = None) -> TaxReport:
    """Lay out ``result``'s realized events of tax year ``year`` (optionally only some
    accounts) as Form 8949 / Schedule D / Form 6781, with the flags to review."""
    settings = settings or TaxSettings()
    wanted = set(accounts)

    def included(acct: str) -> bool:
        return not wanted or acct in wanted

    part1: list[Form8949Row] = []
    part2: list[Form8949Row] = []
    f6781: list[Form6781Row] = []
    extra_flags: list[Flag] = []
    for ev in result.realized:
        if ev.tax_year != year or not included(ev.account):
            continue
        if ev.section_1256:
            proceeds, cost = cents(ev.proceeds), cents(ev.cost)
            f6781.append(Form6781Row(ev.account, ev.description, ev.underlying,
                                     ev.date_acquired, ev.date_sold, ev.kind, proceeds, cost,
                                     proceeds - cost + cents(ev.adjustment_amount),
                                     ev.closing_transaction_id))
            continue
        row = _form8949_row(ev, settings, year, extra_flags)
        (part2 if row.part == "II" else part1).append(row)

    def order(r):
        return (r.date_sold, r.description, r.account, r.transaction_id or "", r.lot_id or "")

    part1.sort(key=order)
    part2.sort(key=order)
    f6781.sort(key=lambda r: (r.date_closed, r.description, r.account, r.transaction_id or ""))
    flags = [f for f in result.flags
             if included(f.account) and _flag_year(f) in (year, None)]
    provisional = year in result.provisional_years
    if provisional:
        extra_flags.append(Flag(
            FlagCode.PROVISIONAL_YEAR.value, ",".join(sorted(wanted)) or "*",
            f"{year} is provisional until 30 days into {year + 1}: a January replacement "
            "can still disallow a December loss (tax_rules.md §3)", tax_year=year))
    washes = tuple(w for w in result.wash_sales
                   if getattr(w, "tax_year", year) == year
                   and included(getattr(w, "account", "")))
    return TaxReport(year, tuple(sorted(wanted)), tuple(part1), tuple(part2), tuple(f6781),
                     tuple(flags) + tuple(extra_flags), provisional, settings, washes)


FLAG_COLUMNS = ["code", "account", "date", "symbol", "tax_year", "transaction_id", "message"]


def flag_dicts(flags: Iterable[Flag]) -> list[dict]:
    return [{"code": f.code, "account": f.account, "date": f.date, "symbol": f.symbol,
             "tax_year": f.tax_year, "transaction_id": f.transaction_id, "message": f.message}
            for f in flags]
