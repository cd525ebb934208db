"""Helpers for the dashboard's tests (not a test module): an app on a ledger, and the
tables a page shows read back with their exact values."""

from __future__ import annotations

import json
from datetime import date
from html.parser import HTMLParser

from journal.db import open_ledger
from journal.web import Options, create_app

BASE = "http://127.0.0.1:8765"


def client(db: str, **options):
    """A TestClient of the dashboard of ``db`` (Host as the default bind)."""
    from starlette.testclient import TestClient

    options.setdefault("today", lambda: date(2025, 12, 31))
    app = create_app(open_ledger(db, create=False), Options(**options))
    return TestClient(app, base_url=BASE)


class _Tables(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[dict]] = {}
        self.fields: dict[str, dict] = {}
        self.empty: set[str] = set()
        self._name = None
        self._keys: list[str] = []
        self._row: list | None = None
        self._fields = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and "data-table" in a:
            self._name, self._keys = a["data-table"], []
            self.tables[self._name] = []
        elif tag == "p" and a.get("data-rows") == "0":
            self.empty.add(a["data-table"])
            self.tables.setdefault(a["data-table"], [])
        elif tag == "th" and self._name is not None and "data-key" in a:
            self._keys.append(a["data-key"])
        elif tag == "tr" and self._name is not None:
            self._row = []
        elif tag == "td" and self._row is not None:
            self._row.append(json.loads(a["data-value"]))
        elif tag == "dl" and "data-table" in a:
            self._fields = self.fields.setdefault(a["data-table"], {})
        elif tag == "dd" and self._fields is not None and "data-key" in a:
            self._fields[a["data-key"]] = json.loads(a["data-value"])

    def handle_endtag(self, tag):
        if tag == "tr" and self._row is not None:
            if self._row:
                self.tables[self._name].append(dict(zip(self._keys, self._row)))
            self._row = None
        elif tag == "table":
            self._name = None
        elif tag == "dl":
            self._fields = None


def tables(html: str) -> dict[str, list[dict]]:
    """{table name: [{column key: exact value}]} of every data table on the page."""
    p = _Tables()
    p.feed(html)
    return p.tables


def fields(html: str) -> dict[str, dict]:
    p = _Tables()
    p.feed(html)
    return p.fields


def shown(rows: list[dict], cli_rows: list[dict]) -> list[dict]:
    """The CLI's rows restricted to the columns the page shows."""
    keys = list(rows[0]) if rows else []
    return [{k: r.get(k) for k in keys} for r in cli_rows]
