"""The report and the workbook walk the ledger's options and lots once for all their
review tables (issue 11), and sharing that work changes no figure."""

from __future__ import annotations

import pytest
from test_review_summary import AS_OF, EXECUTIONS, RESULT

from journal import review
from journal.views.filters import Accounts

from conftest import SAMPLES


@pytest.fixture
def counted(run, monkeypatch):
    """The imported samples, and how often the option facts and lot spans are made."""
    res = run("import", SAMPLES / "wheel_2025_U7654321.xml", SAMPLES / "wheel_2025_multi.xml")
    assert res.exit_code == 0, res.output
    calls = {"facts": 0, "spans": 0, "days": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(review, "option_facts", counting("facts", review.option_facts))
    monkeypatch.setattr(review, "_lot_spans", counting("spans", review._lot_spans))
    monkeypatch.setattr(review, "_summed_days", counting("days", review._summed_days))
    return run, calls


@pytest.mark.parametrize("args", [("report", "--html", "r.html"),
                                  ("export", "--xlsx", "x.xlsx")])
def test_one_pass_for_every_review_table(counted, tmp_path, args):
    run, calls = counted
    res = run(*args[:-1], tmp_path / args[-1])
    assert res.exit_code == 0, res.output
    # the monthly and the yearly summary add up the same sums per day
    assert calls == {"facts": 1, "spans": 1, "days": 1}


@pytest.mark.parametrize("accounts", [Accounts(), Accounts.of("A"), Accounts.of("nobody")])
def test_shared_input_gives_the_same_rows(accounts):
    prep = review.prepare(EXECUTIONS, RESULT, accounts)
    for period in review.PERIODS:
        for by_date in review.BY_DATES:
            assert review.summary_of(prep, period=period, by_date=by_date, as_of=AS_OF) == \
                review.summary(EXECUTIONS, RESULT, period=period, by_date=by_date,
                               accounts=accounts, as_of=AS_OF)
    assert review.by_underlying_of(prep, as_of=AS_OF) == \
        review.by_underlying(EXECUTIONS, RESULT, accounts=accounts, as_of=AS_OF)
    assert review.by_cycle_of(prep, as_of=AS_OF) == \
        review.by_cycle(RESULT, accounts=accounts, as_of=AS_OF)
