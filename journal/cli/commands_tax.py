"""`journal tax YEAR`: Form 8949 / Schedule D / Form 6781 rows, totals, files for the
preparer (xlsx, TXF, csv) and the reconciliation with IB's realized P/L."""

from __future__ import annotations

import json
from pathlib import Path

import click

from journal.cli import cli, emit, format_option
from journal.errors import ConfigError, JournalError


def load_closing_executions(engine, accounts=()):
    """Active executions that close something or carry IB realized P/L (read-only)."""
    from sqlalchemy import or_, select

    from journal import models
    from journal.reconcile import ClosingExecution

    ex = models.Execution.__table__
    q = select(ex).where(ex.c.status == "active").where(
        or_(ex.c.open_close.like("%C%"), ex.c.fifo_pnl_realized.is_not(None)))
    if accounts:
        q = q.where(ex.c.account_id.in_(list(accounts)))
    out = []
    with engine.connect() as conn:
        for r in conn.execute(q).mappings():
            if r["trade_date"] is None:
                continue
            out.append(ClosingExecution(
                account=r["account_id"], transaction_id=r["transaction_id"],
                trade_date=r["trade_date"],
                description=r["description"] or (r["symbol"] or "").strip(),
                asset_category=r["asset_category"] or "",
                underlying=r["underlying_symbol"] or (r["symbol"] or "").strip(),
                quantity=r["quantity"] or 0, fifo_pnl=r["fifo_pnl_realized"],
                commission=r["commission"] or 0, cost=r["cost"], notes=r["notes"] or "",
                open_close=r["open_close"] or "", put_call=r["put_call"],
                currency=r["currency"], fx_rate_to_base=r["fx_rate_to_base"],
                date_time=r["date_time"]))
    return out


def _box_map(values):
    out = {}
    for v in values:
        acct, sep, box = v.partition("=")
        if not sep or not acct:
            raise ConfigError(f"--box wants ACCOUNT=LETTER (A, B or C), not {v!r}")
        out[acct] = box.upper()
    return out


@cli.command()
@click.argument("year", type=click.IntRange(1990, 2200))
@click.option("--account", "accounts", multiple=True, help="Only this account (repeatable).")
@format_option
@click.option("--summary", is_flag=True, help="Print the totals instead of the rows.")
@click.option("--flags", "show_flags", is_flag=True, help="Print the flags to review instead "
              "of the rows.")
@click.option("--reconcile", "show_recon", is_flag=True,
              help="Print the reconciliation with IB's fifoPnlRealized instead of the rows.")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the tax workbook (8949, Schedule D, 6781, wash sales, flags, "
                   "reconciliation).")
@click.option("--txf", "txf_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write Form 8949 rows as TurboTax TXF (V042).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the rows as CSV.")
@click.option("--box", "boxes", multiple=True, metavar="ACCOUNT=A|B|C",
              help="Form 8949 box of an account's short-term rows (long-term follows: "
                   "A→D, B→E, C→F). Default: A/D for covered lots, B/E otherwise.")
@click.option("--written-option-dates", type=click.Choice(["chronological", "irs_literal"]),
              default="chronological", show_default=True,
              help="Column (b) of expired written options: open date, or the expiry date "
                   "as the IRS instructions print it.")
@click.pass_obj
def tax(obj, year, accounts, fmt, summary, show_flags, show_recon, xlsx_path, txf_path,
        csv_path, boxes, written_option_dates):
    """Form 8949 / Schedule D / Form 6781 for tax YEAR, with the files a preparer needs.

    Rows are the realized results of YEAR by trade date (expiry date for expirations);
    §1256 index options appear as Form 6781 rows (60/40).

    \b
    Example:
      journal tax 2025 --summary --format json
      journal tax 2025 --xlsx tax2025.xlsx --txf tax2025.txf
    """
    from journal import reconcile, tax
    from journal.exporters import txf, xlsx_tax
    from journal.output import render

    from journal.rules import analyze

    engine = obj.engine()
    result = analyze(engine)
    settings = tax.TaxSettings(box_by_account=_box_map(boxes),
                               written_option_dates=written_option_dates)
    report = tax.build_report(result, year, accounts=accounts, settings=settings)
    if not report.rows and not report.form6781:
        # zeros alone look like a tax year with nothing in it; say what the ledger has
        years = sorted({r.tax_year for r in result.realized})
        known = f"it has {', '.join(map(str, years))}" if years else "it has none yet"
        click.echo(f"note: the ledger has no realized events in {year} ({known})", err=True)
    recon = None
    if xlsx_path or show_recon:
        recon = reconcile.reconcile(result, load_closing_executions(engine, accounts), year,
                                    accounts=accounts)
    rows = tax.row_dicts(report)
    if csv_path:
        _write(csv_path, render(rows, tax.ROW_COLUMNS, "csv"))
    if txf_path:
        if any(r.adjustment and "W" not in r.code for r in report.rows):
            click.echo("warning: adjustments other than wash sales (codes B, E, …) cannot be "
                       "expressed in TXF; enter them by hand", err=True)
        try:
            txf.write(txf_path, report.rows)
        except OSError as exc:
            raise JournalError(f"{txf_path}: cannot write: {exc.strerror}") from exc
    if xlsx_path:
        try:
            xlsx_tax.write(xlsx_path, report, recon)
        except OSError as exc:
            raise JournalError(f"{xlsx_path}: cannot write: {exc.strerror}") from exc
    for path in (csv_path, txf_path, xlsx_path):
        if path:
            click.echo(f"wrote {path}", err=True)

    if summary:
        if fmt == "json":
            click.echo(json.dumps(report.summary(), indent=2))
        else:
            emit(tax.summary_rows(report), tax.SUMMARY_COLUMNS, fmt)
    elif show_flags:
        emit(tax.flag_dicts(report.flags), tax.FLAG_COLUMNS, fmt)
    elif show_recon:
        emit(reconcile.recon_dicts(recon), reconcile.RECON_COLUMNS, fmt)
    else:
        emit(rows, tax.ROW_COLUMNS, fmt)
        if fmt == "table" and report.flags:
            click.echo(f"{len(report.flags)} flag(s) need review: journal tax {year} --flags",
                       err=True)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"{path}: cannot write: {exc.strerror}") from exc
