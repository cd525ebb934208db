"""Which options are §1256 contracts (tax_rules.md §6): broad-based index options, and
how they are marked to market at each year end they stay open through (§6.3).

Equity options, including options on ETFs (SPY, QQQ, IWM, DIA), are not §1256 contracts
even when they track the same index. The table lists option roots as IB prints them in
``underlyingSymbol`` or at the start of the OCC symbol; users add roots with
``[rules] section_1256 = [...]`` in config.toml (see journal.settings).
"""

from __future__ import annotations

from datetime import date

from journal.rules.money import fmt_qty
from journal.rules.records import Lot, Piece
from journal.rules.state import PassState
from journal.vocab import AssetCategory, FlagCode

TERM_1256 = "60/40"  # the term column of a §1256 line (§6.2)

# Cboe/Nasdaq broad-based index option roots (IRC §1256(g)(3), "nonequity option").
SECTION_1256_ROOTS = frozenset({
    "SPX", "SPXW", "SPXPM", "XSP", "NDX", "NDXP", "XND", "RUT", "RUTW", "MRUT",
    "VIX", "VIXW", "OEX", "XEO", "DJX", "MNX", "NANOS",
})

# Asset categories that are §1256 whatever the root: options on futures.
SECTION_1256_CATEGORIES = frozenset({"FOP", "FSFOP"})


# ETFs that track the index behind §1256 roots (by IB underlying symbol). Index options held
# against these shares may form a mixed straddle (§1092(b)(2)): FLAGged, never decided.
INDEX_TRACKERS = {
    "SPX": ("SPY", "VOO", "IVV", "SPLG"), "SPXW": ("SPY", "VOO", "IVV", "SPLG"),
    "XSP": ("SPY", "VOO", "IVV", "SPLG"),
    "NDX": ("QQQ", "QQQM"), "NDXP": ("QQQ", "QQQM"), "XND": ("QQQ", "QQQM"),
    "RUT": ("IWM", "VTWO"), "RUTW": ("IWM", "VTWO"), "MRUT": ("IWM", "VTWO"),
    "DJX": ("DIA",), "OEX": ("OEF",), "XEO": ("OEF",),
}
TRACKED_BY: dict[str, list[str]] = {}
for _root, _etfs in INDEX_TRACKERS.items():
    for _etf in _etfs:
        TRACKED_BY.setdefault(_etf, []).append(_root)


def is_section_1256(underlying: str, symbol: str = "", asset_category: str | None = None,
                    extra: frozenset[str] = frozenset()) -> bool:
    if asset_category in SECTION_1256_CATEGORIES:
        return True
    roots = SECTION_1256_ROOTS | extra
    if underlying.upper() in roots:
        return True
    first = symbol.split()[0].upper() if symbol.strip() else ""
    return first in roots


def mark_to_market(st: PassState, lot: Lot, upto: date, before: bool) -> None:
    """§1256(a): mark open contracts to market at each year end they live through
    (``before``: year ends strictly before ``upto``, else up to and including it)."""
    if lot.acquired is None:
        return
    year = lot.mtm_year or lot.acquired.year
    ex = lot.ex
    while True:
        ye = date(year, 12, 31)
        if (ye >= upto) if before else (ye > upto):
            break
        year += 1
        lot.mtm_year = year
        if lot.rem <= 0:
            continue
        mark = st.marks.year_end_mark(ex, lot.account, ye.year)
        desc = ex.description or ex.symbol
        if mark is None:
            st.flags.add(FlagCode.MTM_MARK_MISSING, lot.account,
                         f"{desc} was open on {ye} but the ledger has no OpenPositions mark "
                         f"for it in December {ye.year}: import the year-end statement; the "
                         "gain is taken when it closes instead", d=ye, symbol=ex.underlying,
                         tx=lot.tx)
            continue
        close_cash = lot.side * mark * ex.multiplier * lot.rem
        oc = lot.open_cash
        proceeds, cost = (oc, -close_cash) if lot.side < 0 else (close_cash, -oc)
        st.pieces.append(Piece(
            lot.account, f"{fmt_qty(lot.rem)} {desc}", ex.underlying,
            ex.asset_category or AssetCategory.OPT.value, lot.rem, lot.acquired, ye, proceeds,
            cost, TERM_1256, "mark_to_market", True, None, None, None, lot.lot_id, lot.hp,
            lot.side, desc))
        lot.open_cash = -close_cash
