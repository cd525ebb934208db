"""`journal tax YEAR`: Form 8949 / Schedule D / Form 6781 rows, totals, files for the
preparer (xlsx, TXF, csv) and the reconciliation with IB's realized P/L."""

from __future__ import annotations

import json
from pathlib import Path

import click

from journal.cli import cli, keep_until_exit
from journal.cli.options import account_option, one_of, output_options
from journal.errors import ConfigError, JournalError


def _box_map(values):
    out = {}
    for v in values:
        acct, sep, box = v.partition("=")
        if not sep or not acct:
            raise ConfigError(f"--box wants ACCOUNT=LETTER (A, B or C), not {v!r}")
        out[acct] = box.upper()
    return out


def _read(obj, accounts, year: int, settings, reconciled: bool):
    """The year's tax report, its reconciliation with IB's figures (``reconciled``: from
    the same read of the ledger, else None), the years still provisional and the ledger's
    end (None when not read).

    With the reconciliation, all four are kept in the derived-state cache as one view: a
    warm ``tax YEAR --xlsx`` reads neither the ledger nor the rules' result. Without it,
    only ``year``'s part of the rules' result is read (decoded from the cache when kept).
    """
    from journal import tax

    engine = obj.ledger()
    if reconciled:
        from journal import reconcile
        from journal.views import tax as views
        from journal.views.source import view

        def build(src):
            report = tax.build_report(src.result, year, accounts=accounts.sorted,
                                      settings=settings)
            recon = reconcile.reconcile(src.result, views.closing_executions(src.data, accounts),
                                        year, accounts=accounts.sorted)
            return report, recon, src.result.provisional_years, src.data.ledger_end

        known, (report, recon, provisional, end) = view(
            engine, "tax-reconciled", build, params=(year, accounts, settings))
        accounts.check(known)
        return report, recon, provisional, end
    from journal.rules import analyze

    if accounts:
        from journal import (  # SQLModel: only when an account filter is checked
            readmodel_accounts,
        )

        accounts.check(readmodel_accounts.load_account_ids(engine))
    result = analyze(engine, tax_year=year)
    report = tax.build_report(result, year, accounts=accounts.sorted, settings=settings)
    keep_until_exit(result)  # computed cold, it holds the whole pass (0.17 s to free)
    return report, None, result.provisional_years, None


@cli.command()
@click.argument("year", type=click.IntRange(1990, 2200))
@account_option
@output_options
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
def tax(obj, year, accounts, out, summary, show_flags, show_recon,  # noqa: C901
        xlsx_path, txf_path, csv_path, boxes, written_option_dates):
    # C901: one branch per output the command offers (files, summary, flags,
    # reconciliation); each branch only renders.
    """Form 8949 / Schedule D / Form 6781 for tax YEAR, with the files a preparer needs.

    Rows are the realized results of YEAR by trade date (expiry date for expirations);
    §1256 index options appear as Form 6781 rows (60/40).

    \b
    Example:
      journal tax 2025 --summary --format json
      journal tax 2025 --xlsx tax2025.xlsx --txf tax2025.txf
    """
    one_of(summary=summary, flags=show_flags, reconcile=show_recon)
    from journal import tax
    from journal.views import tax as views

    settings = tax.TaxSettings(box_by_account=_box_map(boxes),
                               written_option_dates=written_option_dates)
    report, recon, provisional, end = _read(obj, accounts, year, settings,
                                            reconciled=bool(xlsx_path or show_recon))
    if not report.rows and not report.form6781:
        # zeros alone look like a tax year with nothing in it; say what the ledger has
        from journal.rules import analyze

        # the year view has no other year's events: ask for all of them to name the years
        click.echo(views.year_note(analyze(obj.ledger()).realized, year), err=True)
    if csv_path:  # (each output imports what it renders with)
        from journal.render import to_csv

        _write(csv_path, to_csv(views.rows(report)))
    if txf_path:
        from journal.exporters import txf

        if any(r.adjustment != r.wash_sale for r in report.rows):  # B/E besides W too
            click.echo("warning: adjustments other than wash sales (codes B, E, …) cannot be "
                       "expressed in TXF; enter them by hand", err=True)
        try:
            txf.write(txf_path, report.rows)
        except OSError as exc:
            raise JournalError(f"{txf_path}: cannot write: {exc.strerror}") from exc
    if xlsx_path:
        from journal.exporters import xlsx_tax

        try:
            xlsx_tax.write(xlsx_path, report, recon)
        except OSError as exc:
            raise JournalError(f"{xlsx_path}: cannot write: {exc.strerror}") from exc
    for path in (csv_path, txf_path, xlsx_path):
        if path:
            click.echo(f"wrote {path}", err=True)

    if summary:
        if out.fmt == "json":
            click.echo(json.dumps(report.summary(), indent=2))
        else:
            out.emit(views.summary(report))
    elif show_flags:
        from journal.views import flags as flag_views

        out.emit(flag_views.detail(report.flags))
    elif show_recon:
        out.emit(views.reconciliation(recon))
    else:
        out.emit(views.rows(report))
        if out.is_table and report.flags:
            click.echo(f"{len(report.flags)} flag(s) need review: journal tax {year} --flags",
                       err=True)
    if report.provisional and out.is_table:
        from journal import readmodel_accounts
        from journal.cli.commands_rules import provisional_note
        from journal.rules.types import RuleResult

        if end is None:
            end = readmodel_accounts.load_ledger_end(obj.ledger())
        click.echo(provisional_note(RuleResult(provisional_years=provisional), year, end),
                   err=True)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"{path}: cannot write: {exc.strerror}") from exc
