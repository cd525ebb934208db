"""config.toml: one reader and writer for every section, comments kept, unknown keys refused."""

from __future__ import annotations

import json
import tomllib
from decimal import Decimal as D

import pytest

from journal import checklist, config, settings
from journal.errors import ConfigError

COMMENTED = '''# my settings, written by hand
[rules]
lot_method = "FIFO"   # what my accountant wants

# the checklist I trade by
[checklist]
min_dte = 25
otm_max_pct = 3.5     # a little tighter than the default

[accounts."U1234567"]
ira = true
'''


@pytest.fixture
def cfg(tmp_path):
    path = config.config_path()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    return path


def test_every_part_reads_the_same_file(cfg):
    rules = settings.load_settings()
    assert rules.lot_method == "FIFO" and rules.ira_accounts == frozenset({"U1234567"})
    grading = checklist.load_settings()
    assert grading.min_dte == 25 and grading.otm_max_pct == D("3.5")
    assert config.section("flex") == {}


def test_set_keeps_comments_layout_and_other_sections(run, cfg):
    res = run("config", "set", "checklist.min_dte", "30")
    assert res.exit_code == 0, res.output
    res = run("config", "set", "accounts.U7654321.lot_method", "hifo")
    assert res.exit_code == 0, res.output
    text = cfg.read_text()
    assert text.startswith("# my settings, written by hand\n[rules]\n")
    assert 'lot_method = "FIFO"   # what my accountant wants' in text
    assert "otm_max_pct = 3.5     # a little tighter than the default" in text
    assert "min_dte = 30" in text and "min_dte = 25" not in text
    doc = tomllib.loads(text)
    assert doc["accounts"] == {"U1234567": {"ira": True}, "U7654321": {"lot_method": "HIFO"}}
    assert settings.load_settings().lot_method_for("U7654321") == "HIFO"


def test_decimals_are_written_as_typed_and_read_exactly(run, cfg):
    assert run("config", "set", "checklist.cash_buffer_pct", "12.10").exit_code == 0
    assert "cash_buffer_pct = 12.10" in cfg.read_text()
    assert checklist.load_settings().cash_buffer_pct == D("12.10")


def test_set_creates_the_file_owner_only(run):
    res = run("config", "set", "rules.option_wash_scope", "same_underlying")
    assert res.exit_code == 0, res.output
    path = config.config_path()
    assert tomllib.loads(path.read_text()) == {"rules": {"option_wash_scope": "underlying"}}
    assert path.stat().st_mode & 0o077 == 0
    assert settings.load_settings().option_wash_scope == "underlying"


@pytest.mark.parametrize("key,value,words", [
    ("nosuch.key", "3", "unknown section [nosuch] (valid: accounts, checklist, flex, rules)"),
    ("checklist.colour", "red",
     "unknown setting checklist.colour (valid: checklist.cash_buffer_pct, checklist.cash_csv"),
    ("rules.lot_methd", "FIFO", "did you mean rules.lot_method?"),
    ("accounts.U1.colour", "red", "(valid: accounts.U1.ira, accounts.U1.lot_method"),
    ("checklist.min_dte", "soon", "checklist.min_dte must be a whole number, not 'soon'"),
    ("checklist.min_dte", "2.5", "must be a whole number"),
    ("checklist.otm_min_pct", "lots", "must be a number"),
    ("rules.lot_method", "AVG", "rules.lot_method 'AVG' is not one of IB, FIFO, LIFO"),
    ("accounts.U1.ira", "maybe", "must be true or false"),
    ("min_dte", "3", "SECTION.KEY"),
    ("flex.token", "887766", "not set from the command line"),
])
def test_set_refuses_with_the_valid_choices(run, key, value, words):
    res = run("config", "set", key, value)
    assert res.exit_code == 1 and words in res.output, res.output
    assert "Traceback" not in res.output and len(res.output.strip().splitlines()) == 1
    assert not config.config_path().exists()  # nothing written


@pytest.mark.parametrize("text,words", [
    ("[checklist]\nmin_dtes = 3\n", "unknown setting 'min_dtes' in [checklist]"),
    ("[rule]\nlot_method = 'FIFO'\n", "unknown section [rule]"),
    ('[accounts."U1"]\nlot_method = "AVG"\n', 'accounts."U1".lot_method \'AVG\' is not one'),
    ("[rules\n", "not valid TOML"),
    ("[flex]\ntoken = 5\ncolour = 1\n", "unknown setting 'colour' in [flex]"),
])
def test_reading_refuses_unknown_keys_and_bad_values(run, tmp_path, text, words):
    path = config.config_path()
    path.parent.mkdir(parents=True)
    path.write_text(text)
    for read in (settings.load_settings, checklist.load_settings, config.load):
        with pytest.raises(ConfigError, match="config.toml"):
            read()
    res = run("config", "show")
    assert res.exit_code == 1 and words in res.output, res.output
    assert len(res.output.strip().splitlines()) == 1
    # a bad file is not rewritten by `config set` either
    assert run("config", "set", "checklist.min_dte", "3").exit_code == 1
    assert path.read_text() == text


def test_show_lists_every_section_and_hides_the_token(run, cfg):
    with cfg.open("a") as fh:
        fh.write('\n[flex]\ntoken = "887766554433"\n')
    res = run("config", "show", "--format", "json")
    assert res.exit_code == 0, res.output
    rows = {r["key"]: r for r in json.loads(res.output)}
    assert rows["rules.lot_method"]["value"] == "FIFO"
    assert rows["rules.lot_method"]["default"] == "IB"
    assert rows["checklist.min_dte"]["value"] == 25
    assert rows['accounts."U1234567".ira']["value"] is True
    assert rows["flex.token"]["value"] == "(set)"
    assert "887766554433" not in res.output
    assert run("config", "path").output.strip() == str(cfg)


def test_defaults_without_a_file():
    assert config.load() == {}
    assert settings.load_settings() == settings.Settings()
    assert checklist.load_settings() == checklist.Settings()
