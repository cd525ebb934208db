"""The package list in pyproject.toml ships every package directory and the migrations."""

from __future__ import annotations

import tomllib

from conftest import ROOT


def test_every_package_directory_is_listed():
    cfg = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "journal").rglob("__init__.py")}
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"
    assert cfg["package-dir"]["journal.migrations"] == "migrations"
    assert {"journal.migrations", "journal.migrations.versions"} <= listed


def test_console_script_and_extras():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "csp-journal"
    assert project["scripts"]["journal"] == "journal.cli:main"
    assert any(d.startswith("pytest") for d in project["optional-dependencies"]["test"])
