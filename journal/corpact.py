"""What a corporate-action row means: IB's description read into terms, the type of a row
that has none, and the legs of one action grouped with their roles.

Pure (no I/O): the ledger stores IB's rows as reported and the read model interprets them
here, so every consumer reads the same meaning and a better reading never needs a
re-import. The grammar of IB's descriptions (ib_formats.md, corpact design §2.1):

``HEAD(ISIN) VERB … (OWN_SYMBOL, OWN NAME, OWN_ISIN)``: the head names the security the
action acts on (the old one); the last parentheses name the row's own security. Verbs:
``SPLIT a FOR b``, ``STOCK DIVIDEND a FOR b``, ``CUSIP/ISIN CHANGE TO (ISIN)``,
``TENDERED TO ISIN a FOR b``, ``MERGED(reason) FOR CUR p PER SHARE``, ``ACQUIRED FOR CUR
p``, ``MERGED(reason) WITH ISIN a FOR b``, ``CASH and STOCK MERGER (reason) ISIN a FOR b
AND CUR p``, ``SPINOFF  a FOR b``, ``DELISTED``, rights (``SUBSCRIBABLE RIGHTS ISSUE``,
``SUBSCRIBES TO``, ``OVER SUBSCRIBE``). Flex writes them in capitals, the Activity CSV
in mixed case (``Split 10 for 1``); IB sometimes prefixes a ticker with a 14-digit stamp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from journal.vocab import ACTION_TYPES, ActionKind

_NUM = r"(\d+(?:\.\d+)?)"
_HEAD = re.compile(r"^\s*(?:\d{14})?(?P<sym>[^\s(]+)\s*\((?P<isin>[A-Z0-9]{9,12})\)", re.IGNORECASE)
_OWN = re.compile(r"\(([^()]*)\)\s*$")
_SPLIT = re.compile(rf"\bSPLIT\s+{_NUM}\s+FOR\s+{_NUM}", re.IGNORECASE)
_STOCK_DIVIDEND = re.compile(rf"\bSTOCK\s+DIVIDEND\s+(?:[A-Z0-9]{{12}}\s+)?{_NUM}\s+FOR\s+{_NUM}",
                             re.IGNORECASE)
_CHANGE = re.compile(r"\bCUSIP/ISIN\s+CHANGE\s+TO\s+\(([A-Z0-9]+)\)", re.IGNORECASE)
_TENDER = re.compile(rf"\bTENDERED\s+TO\s+([A-Z0-9]+)\s+{_NUM}\s+FOR\s+{_NUM}", re.IGNORECASE)
_CASH_STOCK = re.compile(
    rf"\bCASH\s+AND\s+STOCK\s+MERGER\s*(?:\([^)]*\))?\s*([A-Z0-9]+)\s+{_NUM}\s+FOR\s+{_NUM}"
    rf"\s+AND\s+([A-Z]{{3}})\s+{_NUM}", re.IGNORECASE)
_STOCK_MERGER = re.compile(
    rf"\bMERGED\s*(?:\([^)]*\))?\s*WITH\s+([A-Z0-9]+)\s+{_NUM}\s+FOR\s+{_NUM}", re.IGNORECASE)
_CASH_MERGER = re.compile(
    rf"\b(?:MERGED\s*(?:\([^)]*\))?|ACQUIRED)\s+FOR\s+([A-Z]{{3}})\s+{_NUM}", re.IGNORECASE)
_SPINOFF = re.compile(rf"\bSPIN\s*-?OFF\s+{_NUM}\s+FOR\s+{_NUM}", re.IGNORECASE)
_DELISTED = re.compile(r"\bDELISTED\b", re.IGNORECASE)
_RIGHTS = re.compile(r"\b(?:SUBSCRIBABLE\s+RIGHTS\s+ISSUE|RIGHTS\s+ISSUE|SUBSCRIBES\s+TO|"
                     r"OVER\s*SUBSCRIBE)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ActionTerms:
    """What IB's description says. ``ratio_new FOR ratio_old``: new shares for old (a
    1-for-10 reverse split is 1 FOR 10; a merger's 500 FOR 1000 gives 500 new shares for
    1000 old). ``own_*`` is the row's own security (the last parentheses)."""

    verb: str | None = None  # split | stock_dividend | issue_change | tender | cash_merger |
    #                          stock_merger | spinoff | delisted | rights | None (unread)
    head_symbol: str | None = None
    head_isin: str | None = None
    ratio_new: Decimal | None = None
    ratio_old: Decimal | None = None
    cash_currency: str | None = None
    cash_per_share: Decimal | None = None
    to_isin: str | None = None  # the new ISIN (change), the contra or acquirer ISIN
    own_symbol: str | None = None
    own_name: str | None = None
    own_isin: str | None = None

    @property
    def ratio(self) -> Decimal | None:
        """New shares per old share, when the description gives it."""
        if self.ratio_new is None or not self.ratio_old:
            return None
        if self.verb == "stock_dividend":  # a FOR b more: (a + b) / b
            return (self.ratio_new + self.ratio_old) / self.ratio_old
        return self.ratio_new / self.ratio_old


def _dec(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text is not None else None
    except InvalidOperation:
        return None


def parse_description(text: str | None) -> ActionTerms:
    """The terms IB's description states (fields it does not state are None)."""
    if not text:
        return ActionTerms()
    own_symbol = own_name = own_isin = None
    body = text
    m = _OWN.search(text)
    if m is not None:
        parts = [p.strip() for p in m[1].split(",")]
        if len(parts) >= 2:  # (SYMBOL, NAME, ISIN): not the "(Acquisition)" of a verb
            own_symbol = parts[0] or None
            own_name = ", ".join(parts[1:-1]) or None if len(parts) > 2 else parts[1] or None
            own_isin = parts[-1] if len(parts) > 2 and parts[-1] else None
            body = text[:m.start()]
    head = _HEAD.match(body)
    found: dict = {"head_symbol": head["sym"] if head else None,
                   "head_isin": head["isin"].upper() if head else None,
                   "own_symbol": own_symbol, "own_name": own_name, "own_isin": own_isin}
    return ActionTerms(**_verb(body), **found)


def _verb(body: str) -> dict:
    """The verb and its numbers; order matters (a contra name may say SPINOFF, a cash and
    stock merger also says MERGER)."""
    if (m := _CASH_STOCK.search(body)) is not None:
        return {"verb": "stock_merger", "to_isin": m[1].upper(), "ratio_new": _dec(m[2]),
                "ratio_old": _dec(m[3]), "cash_currency": m[4].upper(),
                "cash_per_share": _dec(m[5])}
    if (m := _STOCK_MERGER.search(body)) is not None:
        return {"verb": "stock_merger", "to_isin": m[1].upper(), "ratio_new": _dec(m[2]),
                "ratio_old": _dec(m[3])}
    if (m := _CASH_MERGER.search(body)) is not None:
        return {"verb": "cash_merger", "cash_currency": m[1].upper(),
                "cash_per_share": _dec(m[2])}
    if (m := _CHANGE.search(body)) is not None:
        return {"verb": "issue_change", "to_isin": m[1].upper()}
    if (m := _TENDER.search(body)) is not None:
        return {"verb": "tender", "to_isin": m[1].upper(), "ratio_new": _dec(m[2]),
                "ratio_old": _dec(m[3])}
    if (m := _STOCK_DIVIDEND.search(body)) is not None:
        return {"verb": "stock_dividend", "ratio_new": _dec(m[1]), "ratio_old": _dec(m[2])}
    if (m := _SPLIT.search(body)) is not None:
        return {"verb": "split", "ratio_new": _dec(m[1]), "ratio_old": _dec(m[2])}
    if _RIGHTS.search(body):
        return {"verb": "rights"}
    if (m := _SPINOFF.search(body)) is not None:
        return {"verb": "spinoff", "ratio_new": _dec(m[1]), "ratio_old": _dec(m[2])}
    if _DELISTED.search(body):
        return {"verb": "delisted"}
    return {}


def infer_type(terms: ActionTerms) -> str | None:
    """IB's type code for a row of a layout without ``type`` (before 2010), from its
    description; None when the description names no verb the journal knows."""
    verb = terms.verb
    if verb == "split":
        ratio = terms.ratio
        if ratio is None or ratio == 1:
            return None
        return "FS" if ratio > 1 else "RS"
    return {"stock_dividend": "SD", "issue_change": "IC", "tender": "TO",
            "cash_merger": "TC", "stock_merger": "TC", "spinoff": "SO", "delisted": "DW",
            "rights": "RI"}.get(verb or "")


def kind_of(type_code: str | None, terms: ActionTerms) -> ActionKind:
    """The journal's kind of one row: IB's code, else the description's verb. A merger
    (TC) is refined into cash or stock by its legs (:func:`merger_kind`)."""
    code = (type_code or "").strip().upper() or infer_type(terms)
    if not code:
        return ActionKind.UNKNOWN
    kind = ACTION_TYPES.get(code, ActionKind.UNKNOWN)
    if kind is ActionKind.STOCK_MERGER and terms.verb == "cash_merger":
        return ActionKind.CASH_MERGER
    return kind


def merger_kind(quantities: list[Decimal], stock_legs: list[bool]) -> ActionKind:
    """A merger with a leg that receives shares is a stock merger (with or without cash);
    one whose legs only give shares up is a cash merger."""
    if any(q > 0 and stock for q, stock in zip(quantities, stock_legs)):
        return ActionKind.STOCK_MERGER
    return ActionKind.CASH_MERGER


def group_key(action_id: str | None, description: str | None, when: object) -> str:
    """The legs of one action share IB's ``actionID``; rows of older layouts (and of the
    Activity CSV) have none, and share their description up to the row's own security
    and their moment instead."""
    if action_id:
        return action_id
    text = description or ""
    m = _OWN.search(text)
    if m is not None and "," in m[1]:
        text = text[:m.start()]
    return f"{' '.join(text.upper().split())}@{when}"


def base_symbol(symbol: str | None) -> str:
    """A stock symbol without IB's ``.OLD``/``.NEW`` suffix of the legs of a change."""
    s = (symbol or "").strip().upper()
    for suffix in (".OLD", ".NEW"):
        if s.endswith(suffix):
            return s[: -len(suffix)]
    return s
