"""Every command documents itself, and the README's quick start is the real one."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from journal.cli import all_commands as top_level_commands
from journal.cli import cli

from conftest import ROOT


def all_commands(group=cli, prefix=()):
    commands = top_level_commands() if group is cli else group.commands
    for name, cmd in sorted(commands.items()):
        yield (*prefix, name), cmd
        if isinstance(cmd, click.Group):
            yield from all_commands(cmd, (*prefix, name))


@pytest.mark.parametrize("path,cmd", list(all_commands()), ids=lambda x: " ".join(x)
                         if isinstance(x, tuple) else "")
def test_help(path, cmd):
    assert cmd.help and cmd.help.strip()
    res = CliRunner().invoke(cli, [*path, "--help"])
    assert res.exit_code == 0 and "Usage:" in res.output


def test_listing_commands_take_format_choices():
    for path, cmd in all_commands():
        for p in cmd.params:
            if p.name == "fmt" and path != ("import",):
                assert set(p.type.choices) == {"table", "csv", "json"}, path


def test_readme_quick_start_has_two_commands():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"## Quick start\n(.*?)\n## ", readme, re.S).group(1)
    commands = re.findall(r"^```(?:sh|bash)\n(.*?)\n```", block, re.S | re.M)
    assert len(commands) == 2
    assert "journal import sample_statements" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci


def test_readme_mentions_every_top_level_command():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in top_level_commands() if f"journal {name}" not in readme]
    assert not missing, f"document in README.md: {missing}"


FLAG_TABLE = re.compile(r"(<!-- flag table: [^\n]*-->\n)(.*?)(<!-- flag table end -->)", re.S)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def flag_table() -> str:
    from journal.vocab import FLAG_INFO

    rows = ["| Code | Severity | Rule | What it means |", "|---|---|---|---|"]
    rows += [f"| `{code.value}` | {info.severity.value} | {info.spec} | {_cell(info.meaning)} |"
             for code, info in FLAG_INFO.items()]
    return "\n".join(rows) + "\n"


def test_readme_flag_table_is_the_vocabulary(request):
    """The README's table of flags is FLAG_INFO, the same text `journal flags` prints."""
    path = ROOT / "README.md"
    readme = path.read_text()
    found = FLAG_TABLE.search(readme)
    assert found, "README.md lost its flag table markers"
    if request.config.getoption("--regen-golden"):
        path.write_text(readme[:found.start(2)] + flag_table() + readme[found.end(2):])
        return
    assert found.group(2) == flag_table(), (
        "README's flag table differs from journal/vocab.py FLAG_INFO: "
        "pytest tests/test_cli_docs.py --regen-golden")
