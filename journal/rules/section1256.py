"""Which options are §1256 contracts (tax_rules.md §6): broad-based index options.

Equity options, including options on ETFs (SPY, QQQ, IWM, DIA), are not §1256 contracts
even when they track the same index. The table lists option roots as IB prints them in
``underlyingSymbol`` or at the start of the OCC symbol; users add roots with
``[rules] section_1256 = [...]`` in config.toml (see journal.settings).
"""

from __future__ import annotations

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
TRACKED_BY: dict = {}
for _root, _etfs in INDEX_TRACKERS.items():
    for _etf in _etfs:
        TRACKED_BY.setdefault(_etf, []).append(_root)


def is_section_1256(underlying: str, symbol: str = "", asset_category: str | None = None,
                    extra: frozenset = frozenset()) -> bool:
    if asset_category in SECTION_1256_CATEGORIES:
        return True
    roots = SECTION_1256_ROOTS | extra
    if underlying.upper() in roots:
        return True
    first = symbol.split()[0].upper() if symbol.strip() else ""
    return first in roots
