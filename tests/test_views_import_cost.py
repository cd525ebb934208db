"""The views layer and what the listing commands import at their top stay cheap: no
pandas, SQLAlchemy or openpyxl until a command runs (issue 10 §7: `journal --help` and
`--version` must not pay for the database layer)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import journal

HEAVY = ("pandas", "sqlalchemy", "sqlmodel", "openpyxl", "matplotlib", "alembic")
PACKAGE = Path(journal.__file__).parent
VIEW_MODULES = sorted(f"journal.views.{p.stem}" for p in (PACKAGE / "views").glob("*.py")
                      if p.stem != "__init__")
CHEAP = [*VIEW_MODULES, "journal.views", "journal.render", "journal.render.text",
         "journal.render.terminal", "journal.wheel", "journal.review", "journal.grades",
         "journal.checklist", "journal.output", "journal.queries"]
COMMAND_MODULES = ["commands_ledger", "commands_rules", "commands_review", "commands_tax",
                   "commands_status", "options"]


def _loaded_after(modules: list[str]) -> list[str]:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_views_and_renderers_import_nothing_heavy():
    assert _loaded_after(CHEAP) == []


def _top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names
                         if (PACKAGE.parent / node.module.replace(".", "/") / a.name
                             ).with_suffix(".py").exists())
    return names


def test_listing_commands_import_only_cheap_modules_at_their_top():
    wanted = set()
    for name in COMMAND_MODULES:
        imports = _top_level_imports(PACKAGE / "cli" / f"{name}.py")
        # journal.cli itself is the group (helper "platform" makes it lazy); the rest must
        # be cheap whatever journal.cli does
        wanted |= {m for m in imports if m.startswith("journal") and m != "journal.cli"
                   and not m.startswith("journal.cli.")}
    assert wanted, "no journal imports found: the test reads the wrong files"
    assert _loaded_after(sorted(wanted)) == [], sorted(wanted)
