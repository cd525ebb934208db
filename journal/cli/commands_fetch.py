"""`journal fetch`: download a statement from IB's Flex Web Service, save it, import it."""

from __future__ import annotations

from pathlib import Path

import click

from journal.cli import cli, lazy_module
from journal.errors import JournalError

lib = lazy_module("journal.fetch")

CLIENT_OPTIONS: dict = {}
"""Extra FlexWebClient arguments (tests inject ``sleep``/``delays`` so polling is instant)."""


@cli.command("fetch")
@click.option("--query", "query_id", required=True, metavar="ID",
              help="Flex Query id (Client Portal > Performance & Reports > Flex Queries).")
@click.option("--token-env", metavar="VAR", default=None,
              help="Environment variable holding the token. Default: IB_FLEX_TOKEN, "
                   "then `token` under [flex] in the config file.")
@click.option("--save", "save_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the downloaded statement. "
                                 "Default: $XDG_DATA_HOME/csp-journal/statements.")
@click.option("--no-import", is_flag=True, help="Only download and save the statement.")
@click.option("--url", default=None, metavar="URL",
              help="Flex Web Service base URL (default: `url` under [flex] in the config "
                   "file, else IB's current endpoint).")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@click.pass_obj
def fetch(obj, query_id, token_env, save_dir, no_import, url, quiet):
    """Download a Flex statement from IB, save it, and import it.

    The statement is saved before it is imported, so a failed import can be retried with
    `journal import FILE`. The token never appears in output or saved files. A query set
    to CSV output is saved as .csv, XML as .xml.

    \b
    Example:
      export IB_FLEX_TOKEN=…          # Client Portal > Settings > Flex Web Service
      journal fetch --query 123456
      journal fetch --query 123456 --save ~/statements --no-import
    """
    token = lib.resolve_token(token_env)
    log = None if quiet else (lambda msg: click.echo(msg, err=True))
    statement = lib.download(query_id, token=token, url=lib.service_url(url), log=log,
                             **CLIENT_OPTIONS)
    path = lib.save_statement(statement.content, save_dir or lib.default_save_dir(),
                              query_id, statement.kind)
    click.echo(f"saved: {path} ({len(statement.content):,} bytes)")
    if no_import:
        return
    from journal.cli.commands_import import _print_table, _summary
    from journal.imports import import_file

    fr = import_file(obj.engine(), path)  # the ledger is opened only now, after the download
    _print_table([fr], [_summary(fr)])
    if fr.status == "failed":
        raise JournalError(f"{fr.error} (the statement stays saved at {path})")
