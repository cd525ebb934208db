"""`journal config`: where the settings file is, what it holds, and changing one setting."""

from __future__ import annotations

import click

from journal.cli import cli, emit, format_option


@cli.group()
def config():
    """Show or change settings: [rules], [accounts."ID"], [checklist] and [flex] of
    config.toml.

    \b
    Example:
      journal config show
      journal config set checklist.min_dte 30
      journal config set rules.lot_method FIFO
      journal config set accounts.U1234567.ira true
      journal config path
    """


@config.command("path")
def config_path():
    """Print where the config file is (it need not exist yet)."""
    from journal import config as cfg

    click.echo(str(cfg.config_path()))


@config.command("show")
@format_option
def config_show(fmt):
    """List every setting in effect, with its default and meaning (a token shows only
    whether it is set)."""
    from journal import config as cfg

    emit(cfg.setting_rows(), ["key", "value", "default", "meaning"], fmt)


@config.command("set")
@click.argument("key")
@click.argument("value")
def config_set(key, value):
    """Set KEY (SECTION.NAME, e.g. checklist.min_dte, or accounts.ID.NAME) to VALUE.

    The file keeps its comments and layout; an unknown key or a value of the wrong kind
    is refused with the valid ones.
    """
    from journal import config as cfg

    path = cfg.set_value(key, value)
    click.echo(f"{key} = {value}  ({path})")
