"""The HTML report as a person sees it: opened in a real Chromium (tests/browser.py)."""

from __future__ import annotations

from browser import PageWatch

from conftest import SAMPLES


def test_report_opens_cleanly_in_a_browser(run, tmp_path, browser):
    assert run("import", "-q", SAMPLES).exit_code == 0
    page_file = tmp_path / "report.html"
    assert run("report", "--html", page_file).exit_code == 0
    url = page_file.as_uri()
    for width in (1280, 400):
        page = browser.new_page(viewport={"width": width, "height": 900})
        watch = PageWatch(page, allowed_prefixes=(url,))
        page.goto(url)
        page.wait_for_load_state("load")
        page.screenshot(path=str(tmp_path / f"report-{width}.png"), full_page=True)
        assert watch.console_errors == []
        assert watch.external_requests == []
        assert page.locator("h1").count() >= 1
        page.close()
