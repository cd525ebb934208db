"""A real browser for the tests of what a person sees (the HTML report, `journal serve`).

Playwright drives Debian's ``chromium`` through ``executable_path``: Playwright's own
browser download needs the network, which neither this machine nor CI has. ``.ci/run``
installs ``chromium`` with apt when it is missing and sets ``JOURNAL_REQUIRE_BROWSER=1``,
so in CI a missing browser fails the run instead of skipping the tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")

# Without these Chromium phones home at start (component updates, sync, field trials):
# on a closed network those requests fail noisily, and a test must see none but ours.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-default-apps",
                 "--disable-quic"]


def chromium_path() -> str | None:
    env = os.environ.get("JOURNAL_CHROMIUM")
    if env:
        return env
    for p in CHROMIUM_CANDIDATES:
        if os.path.exists(p):
            return p
    return shutil.which("chromium")


def _unavailable(reason: str):
    if os.environ.get("JOURNAL_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests required but {reason}")
    pytest.skip(reason)


@contextmanager
def launch() -> Iterator[object]:
    """A headless Chromium (a Playwright ``Browser``), closed afterwards."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    path = chromium_path()
    if not path:
        _unavailable("no chromium executable (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class PageWatch:
    """Records what a page did that a person would not want: console errors, page
    errors, and requests to anything but the local server."""

    def __init__(self, page, allowed_prefixes: tuple[str, ...]):
        self.page = page
        self.console_errors: list[str] = []
        self.external_requests: list[str] = []
        allowed = allowed_prefixes + ("data:", "about:", "blob:")
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        page.on("request", lambda r: None if r.url.startswith(allowed)
                else self.external_requests.append(r.url))

    def horizontal_overflow(self) -> int:
        """Pixels the page is wider than its viewport (0 = no horizontal scrolling)."""
        return int(self.page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - window.innerWidth"))
