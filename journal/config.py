"""Where the ledger lives, and the one reader and writer of ``config.toml``.

Every part of the journal that has settings reads them through :func:`load`: the rules
(``[rules]``, ``[accounts."<id>"]``), the checklist (``[checklist]``) and ``journal fetch``
(``[flex]``). The file is read with the standard library's ``tomllib`` (floats as
Decimal, so ``0.1`` stays 0.1) and rewritten by :func:`set_value` with tomlkit, which keeps
the user's comments, order and layout. An unknown section or key is refused, naming the
valid ones: a typo must not silently fall back to a default.

Python 3.11 is the floor (``tomllib``): 3.10 leaves security support in October 2026, and
CI, the developers and every test run on 3.11.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal.errors import ConfigError

if TYPE_CHECKING:
    from journal import checklist

APP_NAME = "csp-journal"
ACCOUNTS = "accounts"  # a table of tables, one per account id: [accounts."U1234567"]


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / APP_NAME


def config_path() -> Path:
    return config_dir() / "config.toml"


def default_db_path() -> Path:
    return data_dir() / "journal.db"


def database_url(target: str | os.PathLike | None = None) -> str:
    """Turn ``--db``/``JOURNAL_DB`` into an SQLAlchemy URL.

    A value containing ``://`` is taken as a URL (``postgresql+psycopg://…``,
    ``sqlite:///…``); anything else is a path to an SQLite file.
    """
    if target is None or str(target) == "":
        target = os.environ.get("JOURNAL_DB") or default_db_path()
    text = str(target)
    if "://" in text:
        if text.startswith(("postgresql://", "postgres://")):
            # psycopg 3 is the driver we ship; plain postgresql:// would pick psycopg2.
            text = "postgresql+psycopg://" + text.split("://", 1)[1]
        return text
    path = Path(text).expanduser()
    return f"sqlite:///{path}"


# --- what the file may hold ---------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One setting: its kind (how a value is checked and converted), default and meaning."""

    kind: str  # int | decimal | bool | text | path | secret | choice | symbols
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)


_KIND_WORDS = {"int": "a whole number", "decimal": "a number", "bool": "true or false",
               "text": "text", "path": "a file path", "secret": "text",
               "symbols": "a list of symbols"}


@cache
def schema() -> dict[str, dict[str, Key]]:
    """Every section and key ``config.toml`` may hold (``accounts`` holds one table of
    these keys per account)."""
    from journal.checklist import DEFAULTS
    from journal.vocab import LotMethod

    methods = tuple(m.value for m in LotMethod)
    return {
        "rules": {
            "lot_method": Key("choice", LotMethod.IB.value,
                              "lots a sale relieves: IB's pairing (else FIFO), FIFO, LIFO, "
                              "HIFO, SPECIFIC", methods),
            # tax_rules.md §3 calls the stricter scope "same_underlying": both spellings work
            "option_wash_scope": Key("choice", "identical",
                                     "option wash sales: identical contracts only, or any "
                                     "option on the same underlying",
                                     ("identical", "underlying"),
                                     {"same_underlying": "underlying"}),
            "section_1256": Key("symbols", (), "extra broad-based index roots (§1256)"),
        },
        ACCOUNTS: {
            "lot_method": Key("choice", None, "this account's lot method "
                                              "(default: rules.lot_method)", methods),
            "ira": Key("bool", False, "an IRA: wash-sale replacements here carry no basis"),
        },
        "checklist": {name: Key(kind, default, meaning)
                      for name, (default, kind, meaning) in DEFAULTS.items()},
        "flex": {
            "token": Key("secret", "", "Flex Web Service token (else $IB_FLEX_TOKEN)"),
            "url": Key("text", "", "Flex Web Service base URL (default: IB's)"),
        },
    }


def _valid(names, given: str, prefix: str = "") -> str:
    names = sorted(names)
    near = difflib.get_close_matches(given, names, n=1)
    hint = f"; did you mean {prefix}{near[0]}?" if near else ""
    return f"(valid: {', '.join(prefix + n for n in names)}{hint})"


def coerce(key: Key, name: str, value: Any, where: str) -> Any:
    """``value`` (from the file, or text from the command line) checked and converted to
    the key's kind; ConfigError naming ``where`` and ``name`` when it does not fit."""
    kind = key.kind
    if kind == "choice":
        text = str(value).strip()
        canon = {c.lower(): c for c in key.choices}
        canon.update(key.aliases)
        if text.lower() in canon:
            return canon[text.lower()]
        raise ConfigError(f"{where}: {name} {value!r} is not one of {', '.join(key.choices)}")
    try:
        return _convert(kind, value)
    except (ValueError, TypeError, InvalidOperation):
        raise ConfigError(f"{where}: {name} must be {_KIND_WORDS[kind]}, "
                          f"not {value!r}") from None


def _convert(kind: str, value: Any) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
        if isinstance(value, str) and value.strip().lower() in words:
            return words[value.strip().lower()]
        raise ValueError
    if isinstance(value, bool) or isinstance(value, (list, tuple, dict)) and kind != "symbols":
        raise TypeError
    if kind == "int":
        number = Decimal(str(value).strip())
        if number != number.to_integral_value():
            raise ValueError
        return int(number)
    if kind == "decimal":
        number = Decimal(str(value).strip())
        if not number.is_finite():
            raise ValueError
        return number
    if kind == "symbols":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
            raise TypeError
        return tuple(s.strip().upper() for s in items if s.strip())
    if not isinstance(value, (str, int)) or isinstance(value, Decimal):
        raise TypeError
    return str(value)  # text, path, secret (a token of digits may be written unquoted)


def _table(label: str, body: Any, keys: Mapping[str, Key], where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: [{label}] must be a table")
    out = {}
    for name, value in body.items():
        if name not in keys:
            raise ConfigError(f"{where}: unknown setting {name!r} in [{label}] "
                              f"{_valid(keys, name)}")
        out[name] = coerce(keys[name], f"{label}.{name}", value, where)
    return out


def validate(doc: Mapping[str, Any], where: str = "config.toml") -> dict[str, dict[str, Any]]:
    """The whole file checked against :func:`schema`, values converted to their kinds."""
    sections = schema()
    out: dict[str, dict[str, Any]] = {}
    for section, body in doc.items():
        if section not in sections:
            raise ConfigError(f"{where}: unknown section [{section}] {_valid(sections, section)}")
        if section != ACCOUNTS:
            out[section] = _table(section, body, sections[section], where)
            continue
        if not isinstance(body, dict):
            raise ConfigError(f'{where}: [{ACCOUNTS}] must hold one [{ACCOUNTS}."<id>"] table '
                              "per account")
        out[section] = {str(acc): _table(f'{ACCOUNTS}."{acc}"', conf, sections[ACCOUNTS], where)
                        for acc, conf in body.items()}
    return out


# --- reading ------------------------------------------------------------------------------

def load(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """The settings file, checked; {} when it does not exist. Sections absent from the
    file are absent here (their keys take the defaults of :func:`schema`)."""
    path = path or config_path()
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh, parse_float=Decimal)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        # The message names line and column, never a value (the file may hold a token).
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return validate(doc, str(path))


def section(name: str, path: Path | None = None) -> dict[str, Any]:
    """One section of the file ({} when absent)."""
    return load(path).get(name, {})


def checklist_settings(path: Path | None = None) -> checklist.Settings:
    """The ``[checklist]`` section as the checklist's typed settings."""
    from journal.checklist import Settings

    return Settings(**section("checklist", path))


def setting_rows(path: Path | None = None) -> list[dict[str, Any]]:
    """Every setting with its value in effect and its default (``journal config show``).
    A secret shows whether it is set, never its value."""
    doc = load(path)
    rows = []
    for sect, keys in schema().items():
        tables = ([(f'{ACCOUNTS}."{acc}"', conf) for acc, conf in doc.get(ACCOUNTS, {}).items()]
                  if sect == ACCOUNTS else [(sect, doc.get(sect, {}))])
        for label, given in tables:
            for name, key in keys.items():
                value = given.get(name, key.default)
                if key.kind == "secret":
                    value = "(set)" if value else ""
                elif key.kind == "symbols":
                    value = ", ".join(value)
                rows.append({"key": f"{label}.{name}", "value": value,
                             "default": ", ".join(key.default) if key.kind == "symbols"
                             else key.default, "meaning": key.help})
    return rows


# --- writing ------------------------------------------------------------------------------

def _split_key(dotted: str) -> tuple[str, str | None, str]:
    """``checklist.min_dte`` -> (checklist, None, min_dte); ``accounts.U1.ira`` or
    ``accounts."U1".ira`` -> (accounts, U1, ira)."""
    parts = dotted.split(".")
    if parts[0] == ACCOUNTS and len(parts) == 3 and parts[1].strip('"'):
        return ACCOUNTS, parts[1].strip('"'), parts[2]
    if len(parts) != 2 or not all(parts) or parts[0] == ACCOUNTS:
        raise ConfigError(f"config key must be SECTION.KEY (e.g. checklist.min_dte) or "
                          f"accounts.ID.KEY (e.g. accounts.U1234567.lot_method), "
                          f"not {dotted!r}")
    return parts[0], None, parts[1]


def _toml_item(value: Any) -> Any:
    import tomlkit

    if isinstance(value, Decimal):
        return tomlkit.value(format(value, "f"))  # the number as typed, exactly
    return tomlkit.item(list(value) if isinstance(value, tuple) else value)


def set_value(dotted_key: str, text: str, path: Path | None = None) -> Path:
    """``journal config set checklist.min_dte 30``: check the key and the value, then
    rewrite the file keeping its comments and layout. Returns the file's path."""
    import tomlkit

    path = path or config_path()
    sect, account, name = _split_key(dotted_key)
    sections = schema()
    if sect not in sections:
        raise ConfigError(f"unknown section [{sect}] {_valid(sections, sect)}")
    keys = sections[sect]
    if name not in keys:
        raise ConfigError(f"unknown setting {dotted_key} "
                          f"{_valid(keys, name, dotted_key.rsplit('.', 1)[0] + '.')}")
    key = keys[name]
    if key.kind == "secret":
        raise ConfigError(f"{dotted_key} is not set from the command line (other users see "
                          f"it in `ps` and it stays in the shell history): put it in "
                          f"{path} by hand, or in $IB_FLEX_TOKEN")
    value = coerce(key, dotted_key, text, "journal config set")
    if key.kind == "path" and value:
        value = str(Path(value).expanduser().resolve())
    load(path)  # the file as it is must be valid before it is rewritten
    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        doc = tomlkit.document()
    table = doc.setdefault(sect, tomlkit.table(is_super_table=sect == ACCOUNTS))
    if account is not None:
        table = table.setdefault(account, tomlkit.table())
    table[name] = _toml_item(value)
    text_out = tomlkit.dumps(doc)
    validate(tomllib.loads(text_out, parse_float=Decimal), str(path))
    _write_atomically(path, text_out)
    return path


def _write_atomically(path: Path, text: str) -> None:
    """A crash or a full disk leaves the old file whole; a new file is owner-only (it may
    hold the Flex token), an existing one keeps its permissions."""
    from journal.files import write_atomically

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o600
        write_atomically(path, text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
