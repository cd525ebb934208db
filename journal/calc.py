"""Pre-trade calculator for a cash-secured put: what a sale would earn and tie up.

Pure arithmetic on what the seller types in (premium per share, strike, days to expiry,
optionally the underlying price, contracts and commission), plus the checklist verdict.
The headline figure is the one sellers quote: premium ÷ strike × 365 ÷ days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from journal import checklist, wheel
from journal.errors import JournalError
from journal.rules.engine import WASH_DAYS, classify_call, term_for

CENT = Decimal("0.01")
MULTIPLIER = Decimal(100)

COLUMNS = ["premium", "strike", "dte", "contracts", "price", "annualized_roi_pct",
           "annualized_roi_net_pct", "premium_gross", "commission", "premium_net",
           "cash_required", "otm_pct", "breakeven", "breakeven_net", "checks", "grade",
           "verdict", "reasons", "ledger_open_puts", "ledger_warnings"]


pct2 = wheel.pct


@dataclass(frozen=True)
class CalcInput:
    premium: Decimal  # per share, as quoted
    strike: Decimal
    dte: int
    price: Decimal | None = None
    contracts: int = 1
    commission: Decimal = Decimal(0)  # total for the trade, a positive cost
    multiplier: Decimal = MULTIPLIER
    cash: Decimal | None = None
    symbol: str | None = None
    sale_date: date | None = None
    open_contracts: int = 0  # puts already open on the underlying
    ledger_warnings: tuple = ()  # from :func:`ledger_checks`, when the CLI read the ledger
    ledger_open_puts: int | None = None  # open puts the ledger holds on the underlying


def check(inp: CalcInput) -> None:
    """Each bad input named on its own (not two options blamed for one mistake)."""
    if inp.premium < 0:
        raise JournalError(f"--premium must not be negative (got {inp.premium})")
    if inp.strike <= 0:
        raise JournalError(f"--strike must be positive (got {inp.strike})")
    if inp.dte <= 0:
        raise JournalError(f"--dte must be at least 1 day (got {inp.dte})")
    if inp.contracts <= 0:
        raise JournalError(f"--contracts must be at least 1 (got {inp.contracts})")


def calculate(inp: CalcInput, settings: checklist.Settings = checklist.Settings(),
              earnings: dict | None = None) -> dict:
    check(inp)
    commission = abs(inp.commission)
    n = Decimal(inp.contracts)
    gross = inp.premium * inp.multiplier * n
    net = gross - commission
    cash_required = wheel.collateral(inp.strike, n, inp.multiplier)
    roi = wheel.premium_yield_pct(inp.premium, inp.strike, inp.dte)
    roi_net = wheel.annualized_return_pct(net, cash_required * inp.dte)
    otm = wheel.otm_pct(inp.price, inp.strike)
    dates = None
    if earnings is not None and inp.symbol:
        dates = earnings.get(inp.symbol.upper(), [])
    g = checklist.grade_put(
        strike=inp.strike, premium=inp.premium, dte=inp.dte, contracts=n,
        open_contracts_after=n + inp.open_contracts, price=inp.price, cash=inp.cash,
        collateral_after=cash_required, earnings_dates=dates,
        sale_date=inp.sale_date or (date.today() if dates is not None else None),
        settings=settings)
    return {
        "premium": inp.premium, "strike": inp.strike, "dte": inp.dte, "contracts": inp.contracts,
        "price": inp.price,
        "annualized_roi_pct": pct2(roi), "annualized_roi_net_pct": pct2(roi_net),
        "premium_gross": gross, "commission": commission, "premium_net": net,
        "cash_required": cash_required, "otm_pct": pct2(otm),
        "breakeven": wheel.breakeven(inp.strike, inp.premium, wheel.PUT),
        # what the shares really cost if assigned, after the commission
        "breakeven_net": wheel.breakeven(
            inp.strike, wheel.premium_per_share(net, n, inp.multiplier), wheel.PUT),
        "checks": " ".join(f"{k}={v}" for k, v in g.checks.items()),
        "grade": g.grade, "verdict": g.verdict, "reasons": "; ".join(g.reasons),
        "ledger_open_puts": inp.ledger_open_puts,
        "ledger_warnings": "; ".join(inp.ledger_warnings),
    }


def ledger_checks(result, symbol: str, sale_date: date, strike: Decimal,
                  price: Decimal | None, *, expiry: date | None = None,
                  scope: str = "identical") -> tuple[int, tuple[str, ...]]:
    """What the ledger says about selling a put on ``symbol`` on ``sale_date``: the puts
    already open on it, and wash-sale traps (tax_rules.md §3). An assignment is a purchase,
    so a put assigned within 30 days after a stock loss disallows that loss; writing the put
    in the money inside the window may itself be a replacement (RR 85-87); and re-selling
    the put just bought back at a loss (the same contract, or any put on the underlying with
    ``option_wash_scope = "underlying"``) washes that loss (§3.4)."""
    sym = symbol.upper()
    open_puts = sum((-p.contracts for p in result.option_positions
                     if p.closed is None and p.put_call == "P" and p.contracts < 0
                     and p.underlying.upper() == sym), Decimal(0))
    warnings = []
    for ev in result.realized:
        if ev.asset_category != "STK" or ev.underlying.upper() != sym or ev.gain >= 0:
            continue
        window_end = date.fromordinal(ev.date_sold.toordinal() + WASH_DAYS)
        if not ev.date_sold <= sale_date <= window_end:
            continue
        warnings.append(
            f"loss of {(-ev.gain).quantize(CENT)} on {ev.description} sold {ev.date_sold}: an "
            f"assignment on or before {window_end} would disallow it (wash sale)")
        if price is not None and strike > price:
            warnings.append(f"strike {strike} is in the money (price {price}) within 30 days "
                            f"of that loss: the put itself may count as a replacement "
                            "(RR 85-87)")
    for p in result.option_positions:
        if (p.put_call != "P" or p.contracts >= 0 or p.outcome != "bought_to_close"
                or p.underlying.upper() != sym or p.closed is None
                or not p.closed <= sale_date <= p.closed + timedelta(days=WASH_DAYS)
                or p.premium_net - p.close_cost >= 0):
            continue
        if scope != "underlying" and (p.strike != strike or p.expiry != expiry):
            continue
        warnings.append(
            f"{p.description} was bought back at a loss of "
            f"{(p.close_cost - p.premium_net).quantize(CENT)} on {p.closed}: selling "
            f"{'the same contract' if scope != 'underlying' else 'a put on it'} again by "
            f"{p.closed + timedelta(days=WASH_DAYS)} disallows that loss (wash sale, §3.4)")
    return int(open_puts), tuple(warnings)


CALL_COLUMNS = ["premium", "strike", "dte", "contracts", "price", "annualized_roi_pct",
                "premium_gross", "commission", "premium_net", "shares_needed", "shares_held",
                "tax_basis_per_share", "economic_basis_per_share", "if_called_proceeds",
                "if_called_tax_gain", "if_called_economic_gain", "if_called_term", "qcc",
                "ledger_warnings"]


def calculate_call(inp: CalcInput, lots=()) -> tuple[dict, tuple]:
    """A covered call before it is written: what it earns, what assignment would realize
    against the shares the ledger holds (tax and economic basis, FIFO by default), and the
    tax traps (tax_rules.md §2): strike under basis, not a qualified covered call.
    Returns the row and the warnings (also joined into the row's ``ledger_warnings``)."""
    check(inp)
    n = Decimal(inp.contracts)
    shares_needed = inp.multiplier * n
    gross = inp.premium * shares_needed
    net = gross - abs(inp.commission)
    base = inp.price or inp.strike  # the shares' value the premium is earned on
    roi = wheel.premium_yield_pct(inp.premium, base, inp.dte)
    day = inp.sale_date or date.today()
    expiry = date.fromordinal(day.toordinal() + inp.dte)
    held = [x for x in lots if x.open and x.remaining > 0]
    held.sort(key=lambda x: (x.acquired, x.lot_id))
    shares_held = sum((x.remaining for x in held), Decimal(0))
    warnings = list(inp.ledger_warnings)
    out = {"premium": inp.premium, "strike": inp.strike, "dte": inp.dte,
           "contracts": inp.contracts, "price": inp.price, "annualized_roi_pct": pct2(roi),
           "premium_gross": gross, "commission": abs(inp.commission), "premium_net": net,
           "shares_needed": shares_needed, "shares_held": shares_held if lots else None,
           "qcc": classify_call(inp.price, inp.dte, inp.strike)}
    if held:
        left, tax, econ, terms = shares_needed, Decimal(0), Decimal(0), set()
        for x in held:
            take = min(left, x.remaining)
            tax += x.tax_basis * take / abs(x.quantity)
            econ += x.economic_basis * take / abs(x.quantity)
            terms.add(term_for(x.holding_period_acquired, expiry))
            left -= take
            if left <= 0:
                break
        covered = shares_needed - max(left, Decimal(0))
        proceeds = inp.strike * covered + net * covered / shares_needed
        out.update({
            "tax_basis_per_share": (tax / covered).quantize(CENT),
            "economic_basis_per_share": (econ / covered).quantize(CENT),
            "if_called_proceeds": proceeds.quantize(CENT),
            "if_called_tax_gain": (proceeds - tax).quantize(CENT),
            "if_called_economic_gain": (proceeds - econ).quantize(CENT),
            "if_called_term": "/".join(sorted(terms)),
        })
        if proceeds < tax:
            warnings.append(f"assignment at {inp.strike} realizes a tax loss of "
                            f"{(tax - proceeds).quantize(CENT)} (premium included), which a "
                            "put on the same stock assigned within 30 days would wash")
        elif proceeds < econ:
            warnings.append(f"assignment at {inp.strike} ends the wheel cycle below its economic "
                            f"basis by {(econ - proceeds).quantize(CENT)}")
        if out["qcc"] == "NON_QCC" and "ST" in terms:
            warnings.append("not a qualified covered call (30 days or less, or deep in the "
                            "money): the straddle rules restart the holding period of shares "
                            "held a year or less (§1092)")
    if lots and shares_held < shares_needed:
        warnings.append(f"the ledger holds {shares_held} shares: "
                        f"{(shares_needed - shares_held) / inp.multiplier} contract(s) would be "
                        "uncovered (naked)")
    if out["qcc"] == "QCC_ITM":
        warnings.append("in the money: the shares' holding period is suspended while the call "
                        "is open (§1092(f))")
    out["ledger_warnings"] = "; ".join(warnings)
    return out, tuple(warnings)
