"""`journal fetch`: download a statement from IB's Flex Web Service, save it, import it.

The token is read from an environment variable or the config file, never from the command
line (argv is visible to other users in ``ps`` and lands in shell history).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import click

from journal.cli import cli
from journal.config import config_dir, data_dir
from journal.errors import ConfigError, JournalError
from journal.flexws import DEFAULT_URL, FlexWebClient

DEFAULT_TOKEN_ENV = "IB_FLEX_TOKEN"
CLIENT_OPTIONS: dict = {}
"""Extra FlexWebClient arguments (tests inject ``sleep``/``delays`` so polling is instant)."""


def config_path() -> Path:
    return config_dir() / "config.toml"


def read_flex_config() -> dict:
    """The ``[flex]`` table of config.toml (empty when the file does not exist)."""
    path = config_path()
    if not path.is_file():
        return {}
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        return _tiny_toml_flex(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        # The message of a TOML error names line and column, never the values.
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    flex = data.get("flex", {})
    if not isinstance(flex, dict):
        raise ConfigError(f"{path}: [flex] must be a table")
    return flex


def _tiny_toml_flex(path: Path) -> dict:
    out, section = {}, None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[] ")
        elif section == "flex" and (m := re.match(r'^(\w+)\s*=\s*"([^"]*)"', line)):
            out[m[1]] = m[2]
    return out


def resolve_token(token_env: str | None) -> str:
    name = token_env or DEFAULT_TOKEN_ENV
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if token_env:  # the user named a variable: do not silently fall back to another source
        raise ConfigError(f"the environment variable {name} is not set or empty")
    token = str(read_flex_config().get("token", "")).strip()
    if token:
        return token
    raise ConfigError(
        f"no Flex Web Service token: set {DEFAULT_TOKEN_ENV} (or the variable named by "
        f"--token-env), or put token = \"…\" under [flex] in {config_path()}")


def default_save_dir() -> Path:
    return data_dir() / "statements"


def save_statement(content: bytes, folder: Path, query_id: str, kind: str) -> Path:
    """Write atomically, readable by the owner only (statements hold names and amounts)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = folder / f"flex_{query_id}_{stamp}.{kind}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"flex_{query_id}_{stamp}_{n}.{kind}"
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


@cli.command("fetch")
@click.option("--query", "query_id", required=True, metavar="ID",
              help="Flex Query id (Client Portal > Performance & Reports > Flex Queries).")
@click.option("--token-env", metavar="VAR", default=None,
              help=f"Environment variable holding the token. Default: {DEFAULT_TOKEN_ENV}, "
                   "then `token` under [flex] in the config file.")
@click.option("--save", "save_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the downloaded statement. "
                                 "Default: $XDG_DATA_HOME/csp-journal/statements.")
@click.option("--no-import", is_flag=True, help="Only download and save the statement.")
@click.option("--url", default=None, metavar="URL",
              help="Flex Web Service base URL (default: `url` under [flex] in the config "
                   f"file, else {DEFAULT_URL}).")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages.")
@click.pass_obj
def fetch(obj, query_id, token_env, save_dir, no_import, url, quiet):
    """Download a Flex statement from IB, save it, and import it.

    The statement is saved before it is imported, so a failed import can be retried with
    `journal import FILE`. The token never appears in output or saved files.

    \b
    Example:
      export IB_FLEX_TOKEN=…          # Client Portal > Settings > Flex Web Service
      journal fetch --query 123456
      journal fetch --query 123456 --save ~/statements --no-import
    """
    token = resolve_token(token_env)
    base_url = url or read_flex_config().get("url") or DEFAULT_URL
    log = None if quiet else (lambda msg: click.echo(msg, err=True))
    client = FlexWebClient(token, base_url=base_url, log=log, **CLIENT_OPTIONS)
    statement = client.fetch(query_id)
    path = save_statement(statement.content, save_dir or default_save_dir(), query_id,
                          statement.kind)
    click.echo(f"saved: {path} ({len(statement.content):,} bytes)")
    if no_import:
        return
    from journal.cli.commands_import import _print_table, _summary
    from journal.imports import import_file

    fr = import_file(obj.engine(), path)
    _print_table([_summary(fr)])
    if fr.status == "failed":
        raise JournalError(f"{fr.error} (the statement stays saved at {path})")
