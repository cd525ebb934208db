"""`journal serve` in a real Chromium (tests/browser.py): every page at 1280 and 400 px
without console errors, horizontal page overflow or requests elsewhere, and the paths a
person clicks: overview → cycle → lot → statement row, a Form 8949 line → its
explanation, an upload, the calculator. Screenshots go to the test's tmp dir (and to
``$JOURNAL_SCREENSHOTS`` when set: that is how tests/screenshots/ was made)."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from journal.cli import cli

from browser import PageWatch
from conftest import SAMPLES

WIDTHS = (1280, 400)
TODAY = date(2025, 12, 31)
MSFT_CYCLE = "/cycles/U7654321%3AMSFT%3A2025-10-21"
PAGES = [
    "/", "/progress", "/progress?period=week&by=open", "/progress?period=year&by=close",
    "/underlyings", "/underlyings/MSFT", MSFT_CYCLE, "/lots/U7654321%3A3718840618",
    "/source/U7654321/3718840618", "/flags", "/flags/NON_QCC", "/trades", "/tax/2025", "/import", "/calc",
    "/calc?premium=2.10&strike=410&dte=30&price=425&symbol=MSFT",
]


def _ledger(path: Path, *files: Path) -> str:
    res = CliRunner().invoke(cli, ["--db", str(path), "import", "-q", *map(str, files)])
    assert res.exit_code == 0, res.output
    return str(path)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from journal.db import open_ledger
    from journal.web.app import Options
    from journal.web.server import Background

    db = _ledger(tmp_path_factory.mktemp("web") / "ledger.db", SAMPLES)
    with Background(open_ledger(db, create=False),
                    Options(port=0, today=lambda: TODAY)) as base:
        yield base.rstrip("/")


def _open(browser, base: str, path: str, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900})
    watch = PageWatch(page, allowed_prefixes=(base + "/",))
    response = page.goto(base + path)
    page.wait_for_load_state("load")
    return page, watch, response


def _shot(page, tmp_path: Path, name: str) -> Path:
    target = tmp_path / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    keep = os.environ.get("JOURNAL_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(target, Path(keep) / target.name)
    return target


def _clean(watch: PageWatch) -> None:
    assert watch.console_errors == []
    assert watch.external_requests == []
    assert watch.horizontal_overflow() <= 0


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("path", PAGES)
def test_every_page_at_both_widths(browser, served, tmp_path, path, width):
    page, watch, response = _open(browser, served, path, width)
    try:
        assert response.status == 200
        assert page.locator("h1").count() == 1
        name = path.strip("/").replace("/", "_").replace("?", "_").replace("%3A", "-")
        _shot(page, tmp_path, f"serve-{name or 'overview'}-{width}")
        _clean(watch)
    finally:
        page.close()


def test_overview_to_cycle_to_lot_to_statement_row(browser, served, tmp_path):
    page, watch, _ = _open(browser, served, "/", 1280)
    try:
        page.click(f'#recent a[href="{MSFT_CYCLE}"]')
        page.wait_for_url("**/cycles/**")
        assert "MSFT" in page.locator("h1").inner_text()
        assert page.locator('table[data-table="timeline"]').count() == 1
        page.click('table[data-table="timeline"] a[href^="/lots/"]')
        page.wait_for_url("**/lots/**")
        assert page.locator('table[data-table="explanation"] tbody tr').count() >= 3
        page.click('table[data-table="explanation"] a[href^="/source/"]')
        page.wait_for_url("**/source/**")
        rows = page.locator('table[data-table="sources"] tbody tr')
        assert rows.count() >= 1
        text = rows.first.inner_text()
        assert "wheel_2025_U7654321.xml" in text
        assert page.locator("details.raw summary").first.inner_text().startswith(
            "wheel_2025_U7654321.xml, line ")
        _shot(page, tmp_path, "serve-click-source")
        _clean(watch)
    finally:
        page.close()


def test_a_form_8949_line_opens_its_explanation(browser, served, tmp_path):
    page, watch, _ = _open(browser, served, "/tax/2025", 400)
    try:
        line = page.locator('table[data-table="f8949-A"] a[href^="/lots/"]').first
        assert line.inner_text() == "100 MSFT"
        line.click()
        page.wait_for_url("**/lots/**")
        steps = page.locator('table[data-table="explanation"] tbody tr')
        assert steps.count() >= 3
        assert "assigned put" in page.locator('table[data-table="explanation"]').inner_text()
        _shot(page, tmp_path, "serve-8949-explanation-400")
        _clean(watch)
    finally:
        page.close()


def test_upload_a_statement_and_see_the_new_rows(browser, tmp_path):
    from journal.db import open_ledger
    from journal.web.app import Options
    from journal.web.server import Background

    db = _ledger(tmp_path / "upload.db", SAMPLES / "wheel_2025_multi.xml")
    with Background(open_ledger(db, create=False),
                    Options(port=0, today=lambda: TODAY)) as base:
        base = base.rstrip("/")
        page, watch, _ = _open(browser, base, "/trades?account=U7654321", 1280)
        try:
            before = page.locator('table[data-table="trades"] tbody tr').count()
            page.goto(base + "/import")
            page.set_input_files('input[type="file"]', str(SAMPLES / "wheel_2025_U7654321.xml"))
            page.click('form.upload button[type="submit"]')
            page.wait_for_selector('table[data-table="imports"]')
            result = page.locator('table[data-table="imports"] tbody tr').first.inner_text()
            assert "imported" in result
            _shot(page, tmp_path, "serve-upload-result")
            page.click('a[href="/trades?account=U7654321"]')
            page.wait_for_selector('table[data-table="trades"]')
            after = page.locator('table[data-table="trades"] tbody tr').count()
            assert after > before
            assert "MSFT 21NOV25 410 P" in page.locator('table[data-table="trades"]').inner_text()
            _clean(watch)
        finally:
            page.close()


def test_submit_the_calculator(browser, served, tmp_path):
    page, watch, _ = _open(browser, served, "/calc", 400)
    try:
        page.fill('input[name="premium"]', "2.10")
        page.fill('input[name="strike"]', "410")
        page.fill('input[name="dte"]', "30")
        page.fill('input[name="price"]', "425")
        page.fill('input[name="symbol"]', "MSFT")
        page.click('form.calc button[type="submit"]')
        page.wait_for_selector('dl[data-table="calc"]')
        answer = page.locator('dl[data-table="calc"]')
        roi = answer.locator('dd[data-key="annualized_roi_pct"]').inner_text()
        assert roi == "6.23%"  # 2.10 / 410 × 365 / 30
        assert answer.locator('dd[data-key="ledger_open_puts"]').count() == 1
        _shot(page, tmp_path, "serve-calc-400")
        _clean(watch)
    finally:
        page.close()
