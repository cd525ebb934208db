"""The seller's own rules for a cash-secured put, and the settings file that holds them.

A put is graded against a short checklist a wheel seller writes for themselves (strike a
little out of the money, enough time to expiry, enough premium, few contracts per name,
cash behind every contract, no earnings surprise). Each check answers ``pass``, ``warn``,
``fail`` or ``unknown`` — unknown when the ledger cannot tell (no underlying price that
day, no cash balance, no earnings calendar), so a missing number never counts as a pass.

Settings live in section ``[checklist]`` of ``config.toml`` in the user's config directory
(other sections of that file belong to other parts of the journal and are kept as they
are when ``journal config set`` rewrites it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from journal import config, wheel
from journal.errors import ConfigError

SECTION = "checklist"
HUNDRED = wheel.HUNDRED

# key -> (default, kind, help). Percentages are percent numbers (3 means 3 %).
# Any: each default has the type its Settings field declares (Decimal, int or str).
DEFAULTS: dict[str, tuple[Any, str, str]] = {
    "otm_min_pct": (Decimal("2"), "decimal", "strike at least this % below the price"),
    "otm_max_pct": (Decimal("4"), "decimal", "strike at most this % below the price"),
    "min_dte": (20, "int", "days to expiry at sale, at least"),
    "min_annualized_pct": (Decimal("2"), "decimal", "annualized premium below this fails"),
    "target_annualized_pct": (Decimal("3"), "decimal", "annualized premium below this warns"),
    "max_contracts_per_underlying": (2, "int", "open short puts per underlying, at most"),
    "cash_buffer_pct": (Decimal("10"), "decimal", "cash above the collateral, in %"),
    "earnings_days": (7, "int", "no sale this many days before an earnings date"),
    "earnings_csv": ("", "path", "CSV or xlsx with columns symbol,date (earnings dates)"),
    "prices_csv": ("", "path", "CSV or xlsx with columns date,symbol,close (underlying prices)"),
    "cash_csv": ("", "path", "CSV or xlsx with columns date,account,cash (cash balances)"),
}

CHECKS = ("otm", "dte", "premium", "size", "cash", "earnings")
PASS, WARN, FAIL, UNKNOWN = "pass", "warn", "fail", "unknown"


@dataclass(frozen=True)
class Settings:
    otm_min_pct: Decimal = DEFAULTS["otm_min_pct"][0]
    otm_max_pct: Decimal = DEFAULTS["otm_max_pct"][0]
    min_dte: int = DEFAULTS["min_dte"][0]
    min_annualized_pct: Decimal = DEFAULTS["min_annualized_pct"][0]
    target_annualized_pct: Decimal = DEFAULTS["target_annualized_pct"][0]
    max_contracts_per_underlying: int = DEFAULTS["max_contracts_per_underlying"][0]
    cash_buffer_pct: Decimal = DEFAULTS["cash_buffer_pct"][0]
    earnings_days: int = DEFAULTS["earnings_days"][0]
    earnings_csv: str = ""
    prices_csv: str = ""
    cash_csv: str = ""

    @classmethod
    def from_mapping(cls, section: Mapping, where: str = "config") -> Settings:
        return cls(**config.validate({SECTION: dict(section)}, where)[SECTION])


def load_settings(path: Path | None = None) -> Settings:
    """The ``[checklist]`` section of config.toml (read and checked by journal.config)."""
    return config.checklist_settings(path)


def settings_rows(settings: Settings) -> list[dict]:
    return [{"key": f"{SECTION}.{k}", "value": getattr(settings, k),
             "default": DEFAULTS[k][0], "meaning": DEFAULTS[k][2]} for k in DEFAULTS]


# --- user-supplied tables ----------------------------------------------------------------

def _read_csv(path_text: str, columns: tuple[str, ...]) -> list[tuple[int, dict]]:
    """The rows of a user's table, a CSV file or an xlsx workbook (journal.tables)."""
    from journal.tables import read_rows

    path = Path(path_text).expanduser()
    if not path.exists():
        raise ConfigError(f"{path}: file not found (set in [{SECTION}] of {config.config_path()})")
    return read_rows(path, columns)


def _csv_date(path, line, text) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{path}:{line}: not a date (YYYY-MM-DD): {text!r}") from None


def _csv_dec(path, line, text) -> Decimal:
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise ConfigError(f"{path}:{line}: not a number: {text!r}") from None


def read_prices(path_text: str) -> dict[tuple[date, str], Decimal]:
    return {(_csv_date(path_text, n, r["date"]), r["symbol"].upper()):
            _csv_dec(path_text, n, r["close"])
            for n, r in _read_csv(path_text, ("date", "symbol", "close"))}


def read_earnings(path_text: str) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for n, r in _read_csv(path_text, ("symbol", "date")):
        out.setdefault(r["symbol"].upper(), []).append(_csv_date(path_text, n, r["date"]))
    return {k: sorted(v) for k, v in out.items()}


def read_cash(path_text: str) -> dict[str, list[tuple[date, Decimal]]]:
    out: dict[str, list[tuple[date, Decimal]]] = {}
    for n, r in _read_csv(path_text, ("date", "account", "cash")):
        out.setdefault(r["account"], []).append(
            (_csv_date(path_text, n, r["date"]), _csv_dec(path_text, n, r["cash"])))
    return {k: sorted(v) for k, v in out.items()}


@dataclass(frozen=True)
class MarketData:
    """What the checklist may know beyond the put itself; all optional."""

    prices: Mapping | None = None  # (date, SYMBOL) -> close
    earnings: Mapping | None = None  # SYMBOL -> sorted dates
    cash: Mapping | None = None  # account -> sorted (date, cash)

    @classmethod
    def from_settings(cls, s: Settings, statement_prices: Mapping | None = None,
                      statement_cash: Mapping | None = None) -> MarketData:
        prices = dict(statement_prices or {})
        if s.prices_csv:
            prices.update(read_prices(s.prices_csv))  # the user's own prices win
        cash = dict(statement_cash or {})
        if s.cash_csv:
            cash.update(read_cash(s.cash_csv))  # an account in the user's CSV: theirs only
        return cls(prices=prices,
                   earnings=read_earnings(s.earnings_csv) if s.earnings_csv else None,
                   cash=cash or None)

    def price(self, day: date, symbol: str) -> Decimal | None:
        return (self.prices or {}).get((day, symbol.upper()))

    def cash_on(self, account: str, day: date) -> Decimal | None:
        if self.cash is None:
            return None
        known = [c for d, c in self.cash.get(account, []) if d <= day]
        return known[-1] if known else None


# --- the checks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Grade:
    checks: dict  # check name -> pass|warn|fail|unknown
    reasons: tuple  # human text for every non-pass
    score: str  # "4/5" passed of known
    grade: str  # A..F, or "?" when nothing is known
    verdict: str  # OK | CHECK | NO


def grade_put(*, strike: Decimal, premium: Decimal, dte: int, contracts: Decimal,
              open_contracts_after: Decimal, price: Decimal | None,
              cash: Decimal | None, collateral_after: Decimal | None,
              earnings_dates: list | None = None, sale_date: date | None = None,
              settings: Settings = Settings()) -> Grade:
    """Grade one put sale. ``premium`` is per share; ``collateral_after`` is the cash the
    account's open short puts need right after this sale (strike × multiplier × contracts)."""
    s = settings
    checks: dict[str, str] = {}
    why: list[str] = []

    otm = wheel.otm_pct(price, strike)
    if otm is None:
        checks["otm"] = UNKNOWN
        why.append("OTM unknown: no underlying price for that day")
    elif s.otm_min_pct <= otm <= s.otm_max_pct:
        checks["otm"] = PASS
    else:
        checks["otm"] = FAIL
        why.append(f"strike {otm:.2f} % OTM, wanted {s.otm_min_pct}–{s.otm_max_pct} %")

    if dte >= s.min_dte:
        checks["dte"] = PASS
    else:
        checks["dte"] = FAIL
        why.append(f"{dte} days to expiry, wanted ≥ {s.min_dte}")

    ann = wheel.premium_yield_pct(premium, strike, dte)
    if ann is None:
        checks["premium"] = UNKNOWN
        why.append("annualized premium unknown (0 days to expiry)")
    elif ann >= s.target_annualized_pct:
        checks["premium"] = PASS
    elif ann >= s.min_annualized_pct:
        checks["premium"] = WARN
        why.append(f"annualized premium {ann:.2f} % below target {s.target_annualized_pct} %")
    else:
        checks["premium"] = FAIL
        why.append(f"annualized premium {ann:.2f} % below minimum {s.min_annualized_pct} %")

    if open_contracts_after <= s.max_contracts_per_underlying:
        checks["size"] = PASS
    else:
        checks["size"] = FAIL
        why.append(f"{open_contracts_after:f} puts open on the underlying, "
                   f"wanted ≤ {s.max_contracts_per_underlying}")

    if cash is None or collateral_after is None:
        checks["cash"] = UNKNOWN
        why.append("cash unknown: no cash balance for that day")
    else:
        need = collateral_after * (1 + s.cash_buffer_pct / HUNDRED)
        if cash >= need:
            checks["cash"] = PASS
        else:
            checks["cash"] = FAIL
            why.append(f"cash {cash:f} < {need:f} (collateral + {s.cash_buffer_pct} %)")

    if earnings_dates is None or sale_date is None:
        checks["earnings"] = UNKNOWN
        why.append("earnings unknown: no earnings calendar")
    else:
        soon = [d for d in earnings_dates
                if sale_date <= d <= sale_date + timedelta(days=s.earnings_days)]
        if soon:
            checks["earnings"] = FAIL
            why.append(f"earnings on {soon[0].isoformat()}, within {s.earnings_days} days")
        else:
            checks["earnings"] = PASS

    return _grade(checks, tuple(why))


def _grade(checks: dict, reasons: tuple) -> Grade:
    """Score, letter and verdict from the checks' answers (unknown ones left out)."""
    known = [v for v in checks.values() if v != UNKNOWN]
    passed = sum(1 for v in known if v == PASS)
    # A warning is half a pass: the trade is inside the rules but below the target.
    points = passed + Decimal("0.5") * sum(1 for v in known if v == WARN)
    if not known:
        letter = "?"
    else:
        share = points / len(known)
        letter = ("A" if share == 1 else "B" if share >= Decimal("0.8") else
                  "C" if share >= Decimal("0.6") else "D" if share >= Decimal("0.4") else "F")
    fails = sum(1 for v in known if v == FAIL)
    verdict = "NO" if fails else ("CHECK" if len(known) < len(checks) or WARN in known else "OK")
    return Grade(checks=checks, reasons=reasons, score=f"{passed}/{len(known)}",
                 grade=letter, verdict=verdict)
