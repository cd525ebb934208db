"""`journal import`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from journal.cli import cli, lazy_module

queries = lazy_module("journal.queries")
imports = lazy_module("journal.imports")

PROGRESS_MIN_BYTES = 4 << 20  # below this a file imports faster than a bar can draw


def _skipped(counts: dict) -> dict:
    return {k[len("skipped_"):]: v for k, v in sorted(counts.items()) if k.startswith("skipped_")}


def _summary(fr) -> dict:
    r = fr.result
    d = {"file": fr.path, "format": fr.format, "status": fr.status}
    if r is not None:
        d.update({
            "accounts": r.accounts, "new_executions": r.new_executions,
            "duplicates_skipped": r.duplicate_executions, "cancels": r.cancels,
            "corrections": r.corrections, "option_events": r.new_option_events,
            "cash_transactions": r.new_cash_transactions,
            "open_positions": r.new_open_positions, "closed_lots": r.new_closed_lots,
            "corporate_actions": r.new_corporate_actions, "transfers": r.new_transfers,
            "skipped_by_level": _skipped(r.counts), "warnings": list(r.warnings),
            "batch": r.batch_id,
        })
    if fr.status == "unchanged":
        d.update({"new_executions": 0, "previous_batch": fr.previous_batch,
                  "note": f"already imported (batch {fr.previous_batch}); --force re-reads it"})
    if fr.error:
        d["error"] = fr.error
    return d


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format of the per-file summary.")
@click.option("-x", "--exit-first", is_flag=True, help="Stop at the first file that fails.")
@click.option("-f", "--force", is_flag=True,
              help="Re-read files already imported byte for byte (adds nothing new).")
@click.option("--date-order", type=click.Choice(["MDY", "DMY"]), default=None,
              help="Order of slash dates (03/04/2025) when the file itself cannot tell.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_obj
def import_(obj, paths, fmt, exit_first, force, date_order, quiet):
    """Import IB statements (Flex Query XML, Activity Statement CSV) into the ledger.

    PATHS are files or folders (searched recursively for .xml/.csv). Each file is one
    transaction: a file that fails leaves the ledger untouched and the others still
    import; the exit code is then 1. Importing the same or an overlapping statement
    again adds nothing.

    \b
    Example:
      journal import sample_statements/
      journal --db ledger.db import -x 2025/*.xml --format json
    """
    found = imports.find_statements(paths)
    for note in found.notes:
        click.echo(f"note: {note}", err=True)
    failed = False
    for folder in found.empty:
        click.echo(f"Error: {folder}: no statements found there (no .xml or .csv file, "
                   "subfolders included)", err=True)
        failed = True
    if failed and (exit_first or not found.files):
        raise SystemExit(1)
    new_file = _new_sqlite_ledger(obj.db)
    engine = obj.engine()
    results = []
    for path in found.files:
        size = path.stat().st_size if path.exists() else 0
        show_bar = not quiet and size >= PROGRESS_MIN_BYTES
        if show_bar:
            with click.progressbar(length=size, label=path.name, show_pos=False,
                                   file=sys.stderr) as bar:
                fr = imports.import_file(engine, path, force=force, date_order=date_order,
                                 progress=bar.update)
        else:
            fr = imports.import_file(engine, path, force=force, date_order=date_order)
        results.append(fr)
        if fr.status == "failed":
            failed = True
            click.echo(f"Error: {fr.error}", err=True)
            if exit_first:
                break
    summaries = [_summary(fr) for fr in results]
    if fmt == "json":
        click.echo(json.dumps(summaries, indent=2))
    else:
        _print_table(results, summaries)
    _note_gaps(engine, {a for fr in results if fr.status == "imported" and fr.result
                        for a in fr.result.accounts})
    if failed:
        if new_file is not None and not any(fr.status == "imported" for fr in results):
            # a mistyped or wrong first file must not leave an empty ledger that the next
            # read command would take for a real one
            from journal.db import remove_new_ledger

            remove_new_ledger(engine)
        raise SystemExit(1)


def _new_sqlite_ledger(target) -> Path | None:
    """The SQLite file this import would create, or None when it exists (or is not SQLite)."""
    from journal.config import database_url

    url = database_url(target)
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url[len("sqlite:///"):])
    return None if path.exists() else path


def _note_gaps(engine, accounts) -> None:
    """Say right away when the statements of an account just imported leave days out:
    the trades of those days are missing until their statement is imported too."""
    if not accounts:
        return
    for row in queries.accounts(engine):
        if row["account"] in accounts and row["gaps"]:
            click.echo(f"note: account {row['account']}: no statement covers {row['gaps']} "
                       "(journal accounts)", err=True)


def _print_table(results, summaries):
    """The per-file table through the views layer (the dashboard's import page shows the
    same one): file names, not paths, so it fits the terminal."""
    from journal.render import render
    from journal.views import imports as imports_view

    rows = [imports_view.summary(fr, name=Path(fr.path).name) for fr in results]
    click.echo(render(imports_view.results(rows)), nl=False)
    for s in summaries:
        for w in s.get("warnings", []):
            click.echo(f"warning: {Path(s['file']).name}: {w}")
        if s.get("note"):
            click.echo(f"note: {Path(s['file']).name}: {s['note']}")
