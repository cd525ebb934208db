"""Helpers shared by the database tests (not a test module): snapshots of a whole ledger
and generated statements of any size."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from journal import db as jdb
from journal import models


def snapshot(target, *, derived: bool = False) -> tuple[dict, str]:
    """Row counts of every ledger table and one hash over all their contents, so "exactly
    as before" can be checked after a crash or a refused file. The derived-state cache's
    tables only with ``derived``: reports write them, and two ledgers of the same rows
    hold different entries (whatever was read from each)."""
    engine = jdb.make_engine(target)
    counts, h = {}, hashlib.sha256()
    try:
        with engine.connect() as conn:
            existing = set(conn.dialect.get_table_names(conn))
            for table in models.metadata.sorted_tables:
                if table.name in models.DERIVED_TABLES and not derived:
                    continue
                if table.name not in existing:
                    counts[table.name] = None
                    continue
                rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
                counts[table.name] = len(rows)
                h.update(table.name.encode())
                for row in rows:
                    h.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    return counts, h.hexdigest()


_TRADE_TEMPLATE = (
    '<Trade accountId="{acct}" acctAlias="" model="" currency="USD" fxRateToBase="1" '
    'assetCategory="OPT" subCategory="P" symbol="SPY   260220P00{strike}000" '
    'description="SPY 20FEB26 {strike} P" conid="{conid}" securityID="" securityIDType="" '
    'cusip="" isin="" listingExchange="CBOE" underlyingConid="756733" underlyingSymbol="SPY" '
    'underlyingSecurityID="US78462F1030" underlyingListingExchange="ARCA" issuer="" '
    'multiplier="100" strike="{strike}" expiry="20260220" tradeID="{trade_id}" putCall="P" '
    'reportDate="{day}" principalAdjustFactor="" dateTime="{day};{hms}" tradeDate="{day}" '
    'settleDateTarget="{day}" transactionType="ExchTrade" exchange="CBOE" quantity="{qty}" '
    'tradePrice="{price}" tradeMoney="{money}" proceeds="{proceeds}" taxes="0" '
    'ibCommission="-1.05" ibCommissionCurrency="USD" netCash="{net}" closePrice="5.02" '
    'openCloseIndicator="O" notes="" cost="0" fifoPnlRealized="0" fxPnl="0" mtmPnl="0" '
    'origTradePrice="0" origTradeDate="" origTradeID="" origOrderID="0" clearingFirmID="" '
    'transactionID="{txid}" buySell="{side}" ibOrderID="{order_id}" ibExecID="x.{txid}.01" '
    'brokerageOrderID="" orderReference="" volatilityOrderLink="" exchOrderId="N/A" '
    'extExecID="N/A" orderTime="" openDateTime="" holdingPeriodDateTime="" whenRealized="" '
    'whenReopened="" levelOfDetail="EXECUTION" changeInPrice="0" changeInQuantity="0" '
    'orderType="LMT" traderID="" isAPIOrder="N" accruedInt="0" serialNumber="" '
    'deliveryType="" commodityType="" fineness="0.0" weight="0.0" positionActionID="" '
    'origTransactionID="0" relatedTradeID="" relatedTransactionID="" />'
)


def write_statement(path: Path, tx_range: range, account: str = "U9000001") -> Path:
    """A synthetic Flex statement with one ExchTrade per number in ``tx_range``; the
    number is the transactionID, so two ranges that overlap share exactly those trades."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<FlexQueryResponse queryName="generated" type="AF">\n'
                 '  <FlexStatements count="1">\n'
                 f'    <FlexStatement accountId="{account}" fromDate="20250102" '
                 'toDate="20251231" period="" whenGenerated="20260102;080000">\n'
                 '      <Trades>\n')
        for n in tx_range:
            qty = -1 - n % 3
            price = Decimal(100 + n % 400) / 100
            money = qty * price * 100
            day = f"2025{1 + n % 12:02d}{1 + n % 28:02d}"
            hms = f"{9 + n % 7:02d}{n % 60:02d}{(n // 60) % 60:02d}"
            strike = 400 + n % 50
            fh.write("        " + _TRADE_TEMPLATE.format(
                acct=account, strike=strike, conid=800000000 + strike, trade_id=7000000000 + n,
                day=day, hms=hms, qty=qty, price=price, money=money, proceeds=-money,
                net=-money - Decimal("1.05"), txid=3000000000 + n, side="SELL",
                order_id=5000000000 + n) + "\n")
        fh.write("      </Trades>\n    </FlexStatement>\n  </FlexStatements>\n"
                 "</FlexQueryResponse>\n")
    return path


def cli_json(run, *args, db):
    res = run(*args, "--format", "json", db=db)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)
