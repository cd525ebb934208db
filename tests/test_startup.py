"""`journal --help` and `--version` start fast: no database layer, no pandas, no openpyxl.

Each check runs in a fresh interpreter and looks at ``sys.modules`` afterwards, so a
command module that imports something heavy at its top fails here, whoever wrote it:
import heavy things inside the command's function (or through ``cli.lazy_module``).
"""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from journal.cli import COMMAND_MODULES, FORMATS, all_commands, cli

from conftest import ROOT

HEAVY = (
    "sqlalchemy", "sqlmodel", "alembic", "psycopg", "pandas", "numpy", "openpyxl",
    "matplotlib", "holidays", "tomlkit", "defusedxml", "orjson",
    "journal.db", "journal.models", "journal.ledger", "journal.readmodel", "journal.rules",
    "journal.importers", "journal.imports", "journal.queries", "journal.review",
    "journal.calc", "journal.tax", "journal.reconcile", "journal.exporters",
    "journal.report_html",
)

_PROBE = """
import contextlib, io, json, sys
from journal.cli import cli
for args in json.loads(sys.argv[1]):
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            cli.main(args=args, prog_name="journal")
        except SystemExit as exc:
            assert exc.code in (0, None), (args, exc.code)
print(json.dumps(sorted(sys.modules)))
"""


def _loaded_after(*argvs: list[str]) -> set[str]:
    out = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(list(argvs))],
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or
                  any(m == h or m.startswith(h + ".") for h in HEAVY))


def _command_paths(group=cli, prefix=()):
    commands = all_commands() if group is cli else group.commands
    for name, cmd in sorted(commands.items()):
        yield [*prefix, name]
        if isinstance(cmd, click.Group):
            yield from _command_paths(cmd, (*prefix, name))


@pytest.mark.parametrize("argv", [["--version"], ["--help"]])
def test_version_and_help_load_no_heavy_module(argv):
    assert _heavy(_loaded_after(argv)) == []


def test_version_imports_no_command_module():
    # A command's module is imported when that command runs, not for `--version`.
    loaded = _loaded_after(["--version"])
    assert sorted(m for m in loaded if m.startswith("journal.cli.commands_")) == []
    assert "journal.cli.commands_tax" in _loaded_after(["tax", "--help"])


def test_command_table_names_each_command_module():
    # COMMAND_MODULES is how a command is found without importing every module: a
    # command missing from it, or listed under the wrong module, would not be found.
    modules = {f.stem for f in (ROOT / "journal" / "cli").glob("commands_*.py")}
    assert modules == set(COMMAND_MODULES.values())
    commands = all_commands()
    assert set(commands) == set(COMMAND_MODULES)
    for name, cmd in commands.items():
        assert cmd.callback.__module__ == f"journal.cli.{COMMAND_MODULES[name]}", name


def test_format_choices_are_the_renderers():
    from journal.render import FORMATS as RENDERED

    assert FORMATS == RENDERED


def test_help_of_every_command_loads_no_heavy_module():
    argvs = [[*path, "--help"] for path in _command_paths()]
    assert len(argvs) > 15
    assert _heavy(_loaded_after(*argvs)) == []


def test_the_probe_sees_a_heavy_import():
    # The check must be able to fail: importing the ledger writer pulls SQLAlchemy in.
    code = _PROBE.replace("from journal.cli import cli", "from journal.cli import cli\n"
                          "import journal.ledger")
    out = subprocess.run([sys.executable, "-c", code, json.dumps([["--version"]])],
                         capture_output=True, text=True, check=True).stdout
    assert "sqlalchemy" in _heavy(set(json.loads(out.strip().splitlines()[-1])))
