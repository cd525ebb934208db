"""One vocabulary for the whole journal: the closed sets of values and the few facts that
every layer must decide the same way.

Before this module the importers, the rules and the review each kept their own copy of
"which asset categories are options", "which symbol is the underlying", "how did a short
option end" and "how is a foreign amount converted", and the copies disagreed. Each is
defined once here; everything else imports it.

Enums are ``str`` enums whose values are the literal strings stored in the ledger and
printed in JSON, so ``AssetCategory.OPT == "OPT"`` and existing data needs no migration.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum, unique


@unique
class AssetCategory(str, Enum):
    """IB's ``assetCategory`` codes (ib_formats.md §1.4)."""

    STK = "STK"
    OPT = "OPT"
    FOP = "FOP"  # option on a future
    FSOPT = "FSOPT"  # option on a single-stock future
    FSFOP = "FSFOP"  # option on a futures spread
    FUT = "FUT"
    CASH = "CASH"  # FX conversions: never a position
    BOND = "BOND"
    WAR = "WAR"  # warrants: not listed options, no put/call series
    IOPT = "IOPT"  # structured products (turbos, knock-outs): options only with a putCall
    CFD = "CFD"
    FUND = "FUND"
    CRYPTO = "CRYPTO"
    CMDTY = "CMDTY"
    BILL = "BILL"
    FXCFD = "FXCFD"
    IND = "IND"


#: Categories that are listed options whether or not the row names put or call.
OPTION_CATEGORIES = frozenset({AssetCategory.OPT.value, AssetCategory.FOP.value,
                               AssetCategory.FSOPT.value, AssetCategory.FSFOP.value})


def is_option(asset_category: str | None, put_call: str | None = None) -> bool:
    """The one definition of "is an option": a listed option category, or any row that
    names put or call (IB gives IOPT turbos a putCall; they behave like options)."""
    return bool(put_call) or (asset_category or "") in OPTION_CATEGORIES


def is_stock(asset_category: str | None) -> bool:
    """Shares the rules track as lots (rows without a category are the CSV's stocks)."""
    return asset_category in (None, "", AssetCategory.STK.value)


def underlying_of(underlying: str | None, symbol: str | None,
                  description: str | None = None, *, option: bool) -> str:
    """The underlying a row belongs to. For options IB's ``underlyingSymbol`` when given,
    else the first word of the symbol or description (``AAPL  250117P00150000``); for
    shares the symbol itself (``underlyingSymbol`` is empty or repeats it)."""
    if not option:
        return (symbol or underlying or "").strip()
    if underlying and underlying.strip():
        return underlying.strip()
    text = (symbol or description or "").strip()
    return text.split()[0] if text else ""


def to_usd(amount: Decimal | None, currency: str | None,
           fx_rate_to_base: Decimal | None,
           base_currency: str | None) -> tuple[Decimal | None, str | None]:
    """The one FX conversion: an amount in USD where the row allows it, and its currency.

    The journal is a US tax book, so every figure (tax, review, summaries) is in USD at
    each trade date's rate. An amount already in USD is kept. In a USD-base account IB's
    ``fxRateToBase`` on the row is the trade date's rate to USD. In an account whose base
    is not USD a non-USD amount cannot be converted from the statement alone: it is
    returned in its own currency and the rules flag it NON_USD. (Multiplying by
    ``fxRateToBase`` there would give the account's base currency, not USD.)
    """
    cur = (currency or base_currency or "USD").upper()
    if amount is None or cur == "USD":
        return amount, "USD" if amount is not None else currency
    if (base_currency or "").upper() == "USD" and fx_rate_to_base:
        return amount * fx_rate_to_base, "USD"
    return amount, cur


def codes(text: str | None) -> frozenset[str]:
    """IB's code letters (``notes`` on trades, ``code`` elsewhere): ``"A;O"``, ``"C,Ep"``."""
    if not text:
        return frozenset()
    return frozenset(c.strip() for c in text.replace(",", ";").split(";") if c.strip())


@unique
class PutCall(str, Enum):
    PUT = "P"
    CALL = "C"


@unique
class OptionOutcome(str, Enum):
    """How an option position (or the part of it a row closes) ended."""

    BOUGHT_TO_CLOSE = "bought_to_close"
    SOLD_TO_CLOSE = "sold_to_close"
    EXPIRED = "expired"
    ASSIGNED = "assigned"
    EXERCISED = "exercised"
    CASH_SETTLED = "cash_settled"


ASSIGNMENT_CODES = frozenset({"A", "Ex", "AEx", "MEx"})


def option_outcome(notes: frozenset[str], *, closing_short: bool,
                   section_1256: bool = False) -> OptionOutcome:
    """The one definition of how a closing option row ended its position, from IB's code
    letters: ``Ep`` expiry; ``A``/``Ex``/``AEx``/``MEx`` assignment or exercise (cash
    settled for a §1256 index option, or when ``CD`` says cash was delivered); ``CD``
    alone a cash settlement; anything else a trade that bought or sold the option back."""
    if "Ep" in notes:
        return OptionOutcome.EXPIRED
    if notes & ASSIGNMENT_CODES:
        if section_1256 or "CD" in notes:
            return OptionOutcome.CASH_SETTLED
        return OptionOutcome.ASSIGNED if "A" in notes else OptionOutcome.EXERCISED
    if "CD" in notes:
        return OptionOutcome.CASH_SETTLED
    return OptionOutcome.BOUGHT_TO_CLOSE if closing_short else OptionOutcome.SOLD_TO_CLOSE


@unique
class ShortClose(str, Enum):
    """How a *short* option ended, in the wheel seller's words (monthly summary, review)."""

    CLOSED_EARLY = "closed_early"
    EXPIRED = "expired"
    ASSIGNED = "assigned"  # a put: shares delivered to us
    CALLED_AWAY = "called_away"  # a call: our shares delivered


def short_close(outcome: OptionOutcome, put_call: str | None) -> ShortClose:
    """The wheel seller's name for the end of a short option. A cash-settled index option
    at expiry is counted as assigned/called away: it was exercised against the seller."""
    if outcome is OptionOutcome.EXPIRED:
        return ShortClose.EXPIRED
    if outcome in (OptionOutcome.ASSIGNED, OptionOutcome.EXERCISED, OptionOutcome.CASH_SETTLED):
        return ShortClose.CALLED_AWAY if put_call == PutCall.CALL.value else ShortClose.ASSIGNED
    return ShortClose.CLOSED_EARLY


@unique
class LotMethod(str, Enum):
    """Which lots a sale relieves (tax_rules.md §4)."""

    IB = "IB"  # IB's own pairing (closed-lot detail) where the statement has it, else FIFO
    FIFO = "FIFO"
    LIFO = "LIFO"
    HIFO = "HIFO"
    SPECIFIC = "SPECIFIC"  # like IB, but a sale without closed-lot detail is FLAGged


@unique
class Term(str, Enum):
    SHORT = "ST"
    LONG = "LT"
    NEEDS_REVIEW = "NEEDS_REVIEW"


@unique
class Severity(str, Enum):
    """What a flag asks of the user (``journal flags`` groups by it)."""

    CHANGES_NUMBER = "changes a number"  # a figure on a return may be wrong until resolved
    NEEDS_FACT = "needs a fact"  # the ledger lacks something only the user can supply
    INFO = "informational"  # worth knowing; no figure depends on it


@dataclass(frozen=True)
class FlagInfo:
    meaning: str
    spec: str  # section of tax_rules.md (or of our own docs) behind the rule
    severity: Severity


class FlagCode(str, Enum):
    """Every case the rules show instead of deciding (tax_rules.md: FLAG). The README's
    table and ``journal flags`` are generated from :data:`FLAG_INFO`."""

    MISSING_STOCK_LEG = "MISSING_STOCK_LEG"
    MISSING_OPENING_LOT = "MISSING_OPENING_LOT"
    EXPIRED_NO_CLOSE = "EXPIRED_NO_CLOSE"
    EARLY_ASSIGNMENT = "EARLY_ASSIGNMENT"
    NON_QCC = "NON_QCC"
    QCC_ITM = "QCC_ITM"
    ASP_UNKNOWN = "ASP_UNKNOWN"
    STRADDLE_LOSS_DEFERRAL = "STRADDLE_LOSS_DEFERRAL"
    QCC_YEAR_END = "QCC_YEAR_END"
    CONSTRUCTIVE_SALE = "CONSTRUCTIVE_SALE"
    DIVIDEND_HOLDING_PERIOD = "DIVIDEND_HOLDING_PERIOD"
    WASH_SALE_CALL = "WASH_SALE_CALL"
    RR_85_87 = "RR_85_87"
    WASH_SALE_OPTION = "WASH_SALE_OPTION"
    WASH_SALE_IRA = "WASH_SALE_IRA"
    WASH_TACKING_LT_EDGE = "WASH_TACKING_LT_EDGE"
    YEAR_END_SHORT_LOSS = "YEAR_END_SHORT_LOSS"
    MTM_MARK_MISSING = "MTM_MARK_MISSING"
    INDEX_ROOT_UNKNOWN = "INDEX_ROOT_UNKNOWN"
    MIXED_STRADDLE = "MIXED_STRADDLE"
    STATEMENT_GAP = "STATEMENT_GAP"
    SPECIFIC_LOT_MISSING = "SPECIFIC_LOT_MISSING"
    NON_USD = "NON_USD"
    TERM_NEEDS_REVIEW = "TERM_NEEDS_REVIEW"
    NEGATIVE_PROCEEDS = "NEGATIVE_PROCEEDS"
    PROVISIONAL_YEAR = "PROVISIONAL_YEAR"
    CORPORATE_ACTION_UNKNOWN = "CORPORATE_ACTION_UNKNOWN"
    CORPORATE_ACTION_UNHANDLED = "CORPORATE_ACTION_UNHANDLED"
    CORPORATE_ACTION_TERMS = "CORPORATE_ACTION_TERMS"
    CORPORATE_ACTION_NO_LOT = "CORPORATE_ACTION_NO_LOT"
    CORPORATE_ACTION_MISMATCH = "CORPORATE_ACTION_MISMATCH"
    SPINOFF_ALLOCATION = "SPINOFF_ALLOCATION"
    DELISTED_WORTHLESS = "DELISTED_WORTHLESS"
    MERGER_TREATMENT = "MERGER_TREATMENT"
    OPTION_ADJUSTED = "OPTION_ADJUSTED"
    OPTION_ADJUSTMENT_UNKNOWN = "OPTION_ADJUSTMENT_UNKNOWN"
    TRANSFER_BASIS_MISSING = "TRANSFER_BASIS_MISSING"
    TRANSFER_BASIS_CONFLICT = "TRANSFER_BASIS_CONFLICT"
    TRANSFER_NO_LOT = "TRANSFER_NO_LOT"
    TRANSFER_PAIR_AMBIGUOUS = "TRANSFER_PAIR_AMBIGUOUS"
    WASH_SALE_TRANSFER = "WASH_SALE_TRANSFER"

    @property
    def info(self) -> FlagInfo:
        return FLAG_INFO[self]

    @property
    def meaning(self) -> str:
        return FLAG_INFO[self].meaning

    @property
    def spec(self) -> str:
        return FLAG_INFO[self].spec

    @property
    def severity(self) -> Severity:
        return FLAG_INFO[self].severity


_C, _F, _I = Severity.CHANGES_NUMBER, Severity.NEEDS_FACT, Severity.INFO

FLAG_INFO: dict[FlagCode, FlagInfo] = {
    FlagCode.MISSING_STOCK_LEG: FlagInfo(
        "An assignment/exercise without its stock row: the premium stays deferred "
        "(never income).", "§1, §2", _F),
    FlagCode.MISSING_OPENING_LOT: FlagInfo(
        "A closing trade whose opening is not in the ledger: IB's cost is used, date "
        "acquired VARIOUS.", "§4", _F),
    FlagCode.EXPIRED_NO_CLOSE: FlagInfo(
        "An option past its expiry with no expiry, assignment or close row.", "§1", _F),
    FlagCode.EARLY_ASSIGNMENT: FlagInfo(
        "Assigned before expiry: IB dates it the day after OCC's exercise; the flag says "
        "whether the two days straddle a year end, an LT anniversary or a wash window. "
        "IB's date is used.", "§7", _I),
    FlagCode.NON_QCC: FlagInfo(
        "Call written against shares that is not a qualified covered call: straddle "
        "rules may suspend the shares' holding period.", "§2.2", _C),
    FlagCode.QCC_ITM: FlagInfo(
        "In-the-money qualified covered call: the shares' holding period is suspended "
        "while it is open.", "§2.2", _C),
    FlagCode.ASP_UNKNOWN: FlagInfo(
        "Covered call with no prior close within 5 days to classify it (add a prices "
        "CSV).", "§2.2", _F),
    FlagCode.STRADDLE_LOSS_DEFERRAL: FlagInfo(
        "A loss on one leg of a non-qualified covered call while the other leg is open "
        "at year end.", "§2.2 (§1092(a))", _C),
    FlagCode.QCC_YEAR_END: FlagInfo(
        "Loss leg closed in December, the other leg's gain in January less than 30 days "
        "later: the call loses QCC status.", "§2.2 (§1092(c)(4)(E))", _C),
    FlagCode.CONSTRUCTIVE_SALE: FlagInfo(
        "Deep in-the-money call written against appreciated shares.", "§2.2 (§1259)", _C),
    FlagCode.DIVIDEND_HOLDING_PERIOD: FlagInfo(
        "Dividend paid while an in-the-money or non-qualified call was open: it may not "
        "be qualified.", "§2.2 (§246(c)(4))", _I),
    FlagCode.WASH_SALE_CALL: FlagInfo(
        "Stock loss with a call bought within 30 days: applied only on confirmation.",
        "§3", _C),
    FlagCode.RR_85_87: FlagInfo(
        "Stock loss with an in-the-money put written within 30 days: it may be a "
        "replacement.", "§3 (Rev. Rul. 85-87)", _C),
    FlagCode.WASH_SALE_OPTION: FlagInfo(
        "Option loss with another option on the same underlying opened within 30 days: "
        "it may be substantially identical.", "§3.4", _C),
    FlagCode.WASH_SALE_IRA: FlagInfo(
        "Replacement bought in an IRA: the disallowed loss is lost, not carried to "
        "basis.", "§3.7", _C),
    FlagCode.WASH_TACKING_LT_EDGE: FlagInfo(
        "Sale within 30 days of the long-term boundary of a tacked holding period.",
        "§3.5", _I),
    FlagCode.YEAR_END_SHORT_LOSS: FlagInfo(
        "A short position closed at a loss on a day that settles in the next year.",
        "§7", _I),
    FlagCode.MTM_MARK_MISSING: FlagInfo(
        "A §1256 contract open at year end without a December mark.", "§6.3", _F),
    FlagCode.INDEX_ROOT_UNKNOWN: FlagInfo(
        "A cash-settled option whose root is not in the §1256 list: add it under [rules] "
        "section_1256 if it is broad-based.", "§6", _F),
    FlagCode.MIXED_STRADDLE: FlagInfo(
        "§1256 index options and shares of an ETF tracking the same index open "
        "together.", "§6 (§1092(b)(2))", _C),
    FlagCode.STATEMENT_GAP: FlagInfo(
        "Days between imported statements that no statement covers: their trades, "
        "expiries and assignments are missing.", "§0", _F),
    FlagCode.SPECIFIC_LOT_MISSING: FlagInfo(
        'lot_method = "SPECIFIC" and a sale without IB closed-lot detail: FIFO used.',
        "§4", _F),
    FlagCode.NON_USD: FlagInfo(
        "Trades in another currency in an account whose base currency is not USD: their "
        "amounts stay unconverted.", "§0", _C),
    FlagCode.TERM_NEEDS_REVIEW: FlagInfo(
        "Holding period under review (straddle rules): reported as short-term.", "§2.2",
        _C),
    FlagCode.NEGATIVE_PROCEEDS: FlagInfo(
        "Negative proceeds on a Form 8949 line: TurboTax rejects these.", "§5", _I),
    FlagCode.PROVISIONAL_YEAR: FlagInfo(
        "A year still open to January wash sales: a December loss can still be "
        "disallowed.", "§3", _I),
    FlagCode.CORPORATE_ACTION_UNKNOWN: FlagInfo(
        "A corporate action of a type IB has not published, or one the journal does not "
        "handle (rights, bonds, choice dividends): kept, lots unchanged, so IB's position "
        "may differ.", "§10", _C),
    FlagCode.CORPORATE_ACTION_UNHANDLED: FlagInfo(
        "A corporate action or transfer the journal does not apply yet (tender, rights, a "
        "split that changes the ticker, options moved by transfer …): stored, lots "
        "unchanged, so the lots and the tax year may be wrong until you adjust them.",
        "§10", _C),
    FlagCode.CORPORATE_ACTION_TERMS: FlagInfo(
        "A corporate action whose ratio or cash cannot be read from IB's description, or "
        "whose rows disagree with it: the rows are used.", "§10", _F),
    FlagCode.CORPORATE_ACTION_NO_LOT: FlagInfo(
        "A corporate action on shares the ledger never held: import the statements from "
        "before it.", "§10", _F),
    FlagCode.CORPORATE_ACTION_MISMATCH: FlagInfo(
        "The ledger's shares times the action's ratio differ from IB's quantities beyond "
        "rounding: IB's quantities are used.", "§10", _C),
    FlagCode.SPINOFF_ALLOCATION: FlagInfo(
        "Spun-off shares whose basis needs the issuer's fair-market-value split (Form "
        "8937): basis 0.00, the parent keeping all of it, until you give the parent's "
        "share (journal actions set ACTION --parent-fraction F).", "§10", _C),
    FlagCode.DELISTED_WORTHLESS: FlagInfo(
        "Shares delisted as worthless: booked as sold for 0.00 on December 31 of that year "
        "(§165(g)); the year is a question of fact (journal actions set ACTION "
        "--worthless-year YEAR).", "§10", _C),
    FlagCode.MERGER_TREATMENT: FlagInfo(
        "Stock merger with cash: treated as a tax-free reorganization (gain up to the "
        "cash, §356); if the issuer's Form 8937 says taxable: journal actions set ACTION "
        "--treat-as taxable.", "§10", _I),
    FlagCode.OPTION_ADJUSTED: FlagInfo(
        "An option adjusted by OCC without a corporate-action row (renamed contract, new "
        "strike or deliverable): the adjustment was inferred.", "§10", _I),
    FlagCode.OPTION_ADJUSTMENT_UNKNOWN: FlagInfo(
        "An adjusted option whose new terms (contracts, deliverable) cannot be inferred.",
        "§10", _C),
    FlagCode.TRANSFER_BASIS_MISSING: FlagInfo(
        "Shares transferred in without basis or acquisition date: supply them with "
        "journal transfers basis FILE; a sale uses IB's cost meanwhile.", "§10", _C),
    FlagCode.TRANSFER_BASIS_CONFLICT: FlagInfo(
        "Your transfer basis file and IB's lot records disagree: your file is used.",
        "§10", _I),
    FlagCode.TRANSFER_NO_LOT: FlagInfo(
        "Shares transferred out that the ledger does not hold.", "§10", _F),
    FlagCode.TRANSFER_PAIR_AMBIGUOUS: FlagInfo(
        "A transfer between accounts of the ledger matches more than one transfer on the "
        "other side: not paired, so the lots do not move with their basis; each side is "
        "handled on its own.", "§10", _F),
    FlagCode.WASH_SALE_TRANSFER: FlagInfo(
        "Shares transferred in that were bought within 30 days of a loss sale of the same "
        "security: a wash sale if confirmed (journal transfers set TRANSFER --wash-sale "
        "yes); not applied until then.", "§3, §10", _C),
}


def flag_info(code: str) -> FlagInfo | None:
    """Meaning, spec section and severity of a flag code (None for a code this version
    does not know, e.g. one written by a newer program)."""
    try:
        return FLAG_INFO[FlagCode(code)]
    except ValueError:
        return None


@unique
class ActionKind(str, Enum):
    """What a corporate action does to the lots (tax_rules.md §10), whatever IB's code."""

    FORWARD_SPLIT = "forward_split"
    REVERSE_SPLIT = "reverse_split"
    STOCK_DIVIDEND = "stock_dividend"
    ISSUE_CHANGE = "issue_change"  # CUSIP/ISIN/ticker change
    TENDER = "tender"  # tendered to a contra CUSIP: the same security
    CASH_MERGER = "cash_merger"
    STOCK_MERGER = "stock_merger"  # stock, or stock and cash
    SPINOFF = "spinoff"
    WORTHLESS = "worthless"
    UNHANDLED = "unhandled"  # a published type the journal does not apply (rights, bonds)
    UNKNOWN = "unknown"  # not a type IB has published


#: IB's corporate-action ``type`` codes. TC (merger) is split into cash or stock by its
#: rows (journal.corpact); every other published code is kept but not applied.
ACTION_TYPES: dict[str, ActionKind] = {
    "FS": ActionKind.FORWARD_SPLIT, "FI": ActionKind.FORWARD_SPLIT,
    "RS": ActionKind.REVERSE_SPLIT, "SD": ActionKind.STOCK_DIVIDEND,
    "IC": ActionKind.ISSUE_CHANGE, "TO": ActionKind.TENDER, "TI": ActionKind.TENDER,
    "TC": ActionKind.STOCK_MERGER, "SO": ActionKind.SPINOFF, "DW": ActionKind.WORTHLESS,
    **dict.fromkeys(("BM", "OR", "RI", "SR", "DI", "ED", "PI", "CH", "HD", "HI", "CI", "CO",
                     "CS", "CC", "CA", "CT", "CD", "CP", "FA", "GV", "BC", "PV"),
                    ActionKind.UNHANDLED),
}

#: Kinds that keep the security: its lots carry over and its wash-sale identity too.
IDENTITY_KINDS = frozenset({ActionKind.FORWARD_SPLIT, ActionKind.REVERSE_SPLIT,
                            ActionKind.STOCK_DIVIDEND, ActionKind.ISSUE_CHANGE,
                            ActionKind.TENDER})


@unique
class TransferType(str, Enum):
    """IB's ``Transfer`` types in Flex spelling (the Activity CSV writes some otherwise)."""

    INTERNAL = "INTERNAL"
    INTERCOMPANY = "INTERCOMPANY"
    ACATS = "ACATS"
    ATON = "ATON"
    FOP = "FOP"
    OTC = "OTC"


def transfer_type(text: str | None) -> str | None:
    """A transfer type in Flex spelling: ``Internal`` -> INTERNAL, ``Inter-Company`` ->
    INTERCOMPANY; an unknown one is kept as written (upper case)."""
    if not text or not text.strip():
        return None
    t = text.strip().upper().replace("-", "").replace(" ", "")
    return t
