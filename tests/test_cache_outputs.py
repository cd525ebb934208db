"""What export --xlsx, report --html and review keep in the derived-state cache.

The report's tables (the workbook's too) are a view (``report``) and review's
printed text is a rendered output (:func:`journal.cache.rendered`): each is read back
warm, identical to a cold run, and an import, a config change or a code-version change
makes the next call compute it again (on SQLite and PostgreSQL for the cache API).
"""

from __future__ import annotations

import zipfile

import pytest

import journal.readmodel
from journal import cache as jcache
from journal import db as jdb
from journal.imports import import_file
from journal.views import source

from conftest import SAMPLES

MAIN = SAMPLES / "wheel_2025_U7654321.xml"
MULTI = SAMPLES / "wheel_2025_multi.xml"


@pytest.fixture
def ledger(backend_engine):
    return backend_engine


def _config(tmp_path, body: str) -> None:
    config = tmp_path / "xdg-config" / "csp-journal" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(body)


#### the rendered-output API ####


def test_rendered_text_is_kept_and_each_input_renders_again(ledger, tmp_path, monkeypatch):
    calls: list[str] = []

    def render() -> str:
        calls.append("x")
        return f"rendered é {len(calls)}\n"

    def get(params="a", files=()):
        return jcache.rendered(ledger, "out:t", render, params=params, files=files)

    import_file(ledger, MAIN)
    first = get()
    assert get() == first == "rendered é 1\n" and len(calls) == 1
    assert get(params="b") == "rendered é 2\n"  # another argument: another text
    assert get() == first and len(calls) == 2
    import_file(ledger, MULTI)  # an import
    assert get() == "rendered é 3\n"
    assert get() == "rendered é 3\n" and len(calls) == 3
    _config(tmp_path, '[rules]\nsection_1256 = ["MSFT"]\n')  # a config change
    assert get() == "rendered é 4\n" and len(calls) == 4
    monkeypatch.setattr(jcache, "_CODE", "a different program")  # an upgrade
    assert get() == "rendered é 5\n" and len(calls) == 5
    assert get() == "rendered é 5\n" and len(calls) == 5
    csv = tmp_path / "earnings.csv"
    csv.write_text("symbol,date\n")
    assert get(files=[str(csv)]) == "rendered é 6\n"
    csv.write_text("symbol,date\nMSFT,2025-10-20\n")  # a user file the output read
    assert get(files=[str(csv)]) == "rendered é 7\n" and len(calls) == 7


def test_a_failed_render_keeps_nothing(ledger):
    import_file(ledger, MAIN)

    def fails() -> str:
        raise ValueError("refused")

    with pytest.raises(ValueError):
        jcache.rendered(ledger, "out:t", fails)
    assert jcache.rendered(ledger, "out:t", lambda: "ok") == "ok"


def test_text_of_a_superseded_state_is_not_kept(ledger):
    import_file(ledger, MAIN)

    def import_meanwhile() -> str:
        import_file(ledger, MULTI)  # commits while the output is being made
        return "old"

    assert jcache.rendered(ledger, "out:t", import_meanwhile) == "old"
    assert jcache.rendered(ledger, "out:t", lambda: "new") == "new"


def test_rendered_parts_are_kept_as_they_are_unless_too_large(ledger, monkeypatch):
    made: list[int] = []

    def render() -> dict[str, bytes]:
        made.append(1)
        return {"file": bytes(range(256)) * 4, "line": b"42"}

    import_file(ledger, MAIN)
    first = jcache.rendered_parts(ledger, "out:p", render)
    assert jcache.rendered_parts(ledger, "out:p", render) == first and len(made) == 1
    monkeypatch.setattr(jcache, "MAX_RENDERED", 1000)
    jcache.rendered_parts(ledger, "out:big", render)
    jcache.rendered_parts(ledger, "out:big", render)
    assert len(made) == 3, "an output over the limit was kept"


#### the commands ####


def _cells(path) -> dict:
    """Every sheet's XML, as written (byte for byte)."""
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")}


def _export(run, path, *extra):
    res = run("export", "--xlsx", path, *extra)
    assert res.exit_code == 0, res.output
    return _cells(path)


def _report(run, path):
    res = run("report", "--html", path)
    assert res.exit_code == 0, res.output
    text = path.read_text()
    # the page says when it was generated (to the minute): not part of the comparison
    return text[:text.index("Generated")] + text[text.index("</p>", text.index("Generated")):]


def test_a_warm_export_and_report_read_no_ledger_and_write_the_same(run, reads, tmp_path):
    assert run("import", MAIN, MULTI).exit_code == 0
    cold_page = _report(run, tmp_path / "cold.html")
    assert reads == {"ledger": 1, "rules": 1}
    cold = _export(run, tmp_path / "cold.xlsx")  # the report's tables and the rules' result
    assert reads == {"ledger": 1, "rules": 1}
    assert _export(run, tmp_path / "warm.xlsx") == cold
    assert _report(run, tmp_path / "warm.html") == cold_page
    assert reads == {"ledger": 1, "rules": 1}, "a warm export or report read the ledger"
    one = _export(run, tmp_path / "one.xlsx", "--account", "U7654321")
    assert one != cold and reads["ledger"] == 2  # the account filter is its own entry


@pytest.mark.parametrize("change", ["import", "config", "code"])
def test_each_input_makes_the_next_export_and_report_compute(run, reads, tmp_path,
                                                            monkeypatch, change):
    assert run("import", MAIN).exit_code == 0
    before = _export(run, tmp_path / "a.xlsx")
    page = _report(run, tmp_path / "a.html")
    assert reads["ledger"] == 1
    if change == "import":
        assert run("import", MULTI).exit_code == 0
    elif change == "config":
        _config(tmp_path, '[rules]\nsection_1256 = ["MSFT"]\n')
    else:
        monkeypatch.setattr(jcache, "_CODE", "a different program")
    after = _export(run, tmp_path / "b.xlsx")
    after_page = _report(run, tmp_path / "b.html")
    assert reads["ledger"] == 2, f"{change}: the next export/report did not recompute"
    if change != "code":
        assert after != before and after_page != page
    # and what they wrote is what a cold run writes
    engine = jdb.open_ledger(str(tmp_path / "ledger.db"))
    jcache.clear(engine)
    engine.dispose()
    assert _export(run, tmp_path / "c.xlsx") == after
    assert _report(run, tmp_path / "c.html") == after_page


def test_a_checklist_file_edited_changes_the_next_export(run, tmp_path):
    earnings = tmp_path / "earnings.csv"
    earnings.write_text("symbol,date\n")
    _config(tmp_path, f'[checklist]\nearnings_csv = "{earnings}"\n')
    assert run("import", MAIN).exit_code == 0
    before = _export(run, tmp_path / "a.xlsx")
    assert _export(run, tmp_path / "b.xlsx") == before
    earnings.write_text("symbol,date\nAAPL,2025-09-25\nAMD,2025-09-25\nMSFT,2025-10-20\n")
    assert _export(run, tmp_path / "c.xlsx") != before


REVIEWS = [("review",), ("review", "--format", "json"), ("review", "--format", "csv"),
           ("review", "--by", "put", "--format", "json"), ("review", "--columns", "underlying"),
           ("review", "--by", "cycle", "--columns", "account,underlying"),
           ("review", "--all-columns")]


@pytest.mark.parametrize("args", REVIEWS, ids=" ".join)
def test_review_prints_the_same_warm_without_rendering_again(run, reads, monkeypatch, args):
    from journal.cli import options

    assert run("import", MAIN, MULTI).exit_code == 0
    cold = run(*args)
    assert cold.exit_code == 0, cold.output
    renders = []
    real_text, real_sections = options.Output.text, options.Output.sections_text
    monkeypatch.setattr(options.Output, "text",
                        lambda self, t: renders.append(1) or real_text(self, t))
    monkeypatch.setattr(options.Output, "sections_text",
                        lambda self, p: renders.append(1) or real_sections(self, p))
    warm = run(*args)
    assert warm.output == cold.output
    assert renders == [] and reads == {"ledger": 1, "rules": 1}


def test_review_is_rendered_again_at_another_width(run, monkeypatch):
    assert run("import", MAIN, MULTI).exit_code == 0
    wide = run("review").output
    monkeypatch.setenv("COLUMNS", "70")
    narrow = run("review").output
    assert narrow != wide
    monkeypatch.delenv("COLUMNS")
    assert run("review").output == wide


def test_review_refuses_an_unknown_account_or_column_warm_too(run):
    assert run("import", MAIN).exit_code == 0
    for _ in range(2):
        res = run("review", "--account", "U0000000")
        assert res.exit_code != 0 and "U0000000 is not in the ledger" in res.output
        res = run("review", "--columns", "nope")
        assert res.exit_code != 0 and "unknown column nope" in res.output


def test_an_export_never_mixes_two_states_of_the_ledger(ledger, monkeypatch):
    """An import committing between the review's lookup and the rules' result's: the
    export asks again, and both come from the state after the import."""
    from journal import checklist
    from journal.views import workbook
    from journal.views.filters import ALL

    import_file(ledger, MAIN)
    settings = checklist.load_settings()
    workbook.cached(ledger, settings)  # both kept for the state before
    real = jcache.rules_result
    landed: list[int] = []

    def import_first(engine, *args, **kwargs):
        if not landed:
            landed.append(1)
            import_file(ledger, MULTI)
        return real(engine, *args, **kwargs)

    monkeypatch.setattr(jcache, "rules_result", import_first)
    known, review, result = workbook.cached(ledger, settings, ALL)
    assert landed and len(known) == 2
    data = journal.readmodel.load_ledger(ledger)
    src = source.Source(data, source.rules_for(data))
    assert result == src.result
    from journal.views import report

    assert review == report.build(src, settings, ALL)


def _tax_workbook(run, path):
    res = run("tax", "2025", "--xlsx", path, "--format", "json")
    assert res.exit_code == 0, res.output
    return _cells(path), res.stdout


@pytest.mark.parametrize("change", ["none", "import", "config", "code"])
def test_tax_xlsx_keeps_its_report_and_reconciliation(run, reads, tmp_path, monkeypatch,
                                                       change):
    assert run("import", MAIN).exit_code == 0
    before = _tax_workbook(run, tmp_path / "a.xlsx")
    recon = run("tax", "2025", "--reconcile", "--format", "json").stdout
    assert reads["ledger"] == 1, "--reconcile did not read the kept reconciliation"
    if change == "import":
        assert run("import", MULTI).exit_code == 0
    elif change == "config":
        _config(tmp_path, '[rules]\nsection_1256 = ["MSFT"]\n')
    elif change == "code":
        monkeypatch.setattr(jcache, "_CODE", "a different program")
    after = _tax_workbook(run, tmp_path / "b.xlsx")
    assert reads["ledger"] == (1 if change == "none" else 2)
    if change in ("import", "config"):
        assert after != before
    engine = jdb.open_ledger(str(tmp_path / "ledger.db"))
    jcache.clear(engine)
    engine.dispose()
    assert _tax_workbook(run, tmp_path / "c.xlsx") == after  # what a cold run writes
    if change == "none":
        assert run("tax", "2025", "--reconcile", "--format", "json").stdout == recon


def test_a_warm_export_writes_the_kept_workbook_byte_for_byte(run, monkeypatch, tmp_path):
    from journal.exporters import xlsx_journal

    assert run("import", MAIN, MULTI).exit_code == 0
    cold = run("export", "--xlsx", tmp_path / "cold.xlsx")
    written: list[int] = []
    real = xlsx_journal.write_workbook
    monkeypatch.setattr(xlsx_journal, "write_workbook",
                        lambda *a, **k: written.append(1) or real(*a, **k))
    warm = run("export", "--xlsx", tmp_path / "sub" / "warm.xlsx")
    assert warm.exit_code == 0, warm.output
    assert written == [], "a warm export wrote its sheets again"
    assert (tmp_path / "sub" / "warm.xlsx").read_bytes() == (tmp_path / "cold.xlsx").read_bytes()
    assert warm.output.replace("sub/warm", "cold") == cold.output  # the same rows counted
    assert run("import", MAIN, "--force").exit_code == 0  # a --force re-import: made again
    assert run("export", "--xlsx", tmp_path / "again.xlsx").exit_code == 0
    assert written == [1]


def test_a_warm_export_where_it_cannot_be_written(run, tmp_path, db_path):
    """Kept or not, one clean line and nothing left behind."""
    import subprocess
    import sys

    assert run("import", MAIN).exit_code == 0
    assert run("export", "--xlsx", tmp_path / "first.xlsx").exit_code == 0
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for target in (blocker / "sub" / "j.xlsx", blocker / "j.xlsx"):
        before = _files(tmp_path)
        proc = subprocess.run([sys.executable, "-m", "journal", "--db", str(db_path),
                               "export", "--xlsx", str(target)], capture_output=True,
                              text=True, check=False)
        assert proc.returncode == 1, proc
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and str(target) in lines[0] and "cannot write" in lines[0]
        assert _files(tmp_path) == before  # no half-written or temporary file


def _files(folder):
    return sorted(p for p in folder.rglob("*") if not p.name.startswith("ledger.db"))


def test_an_export_refused_keeps_nothing(run, tmp_path):
    assert run("import", MAIN).exit_code == 0
    for _ in range(2):
        res = run("export", "--xlsx", tmp_path / "x.xlsx", "--account", "U0000000")
        assert res.exit_code != 0 and "U0000000 is not in the ledger" in res.output
        assert not (tmp_path / "x.xlsx").exists()
