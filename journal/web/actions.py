"""The pages that act: statement upload and cycle regrouping (writes: POST with a CSRF
token, refused under ``--read-only``) and the calculator (a form that reads only).

Writes go through the same code as the command line: ``journal.imports.import_file``
(one transaction per file, idempotent, the ledger's own lock) and
``journal.ledger.set_cycle_override`` (the only writer). The server adds one lock of its
own so its uploads queue instead of racing each other for the database.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from decimal import Decimal, InvalidOperation
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from journal.errors import JournalError
from journal.web import security
from journal.web.app import render, server, view
from journal.web.html import fields_html, table_html, url

WRITE_LOCK = threading.Lock()
MAX_FILES = 50
LABEL_MAX = 80
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _megabytes(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MB"


async def _checked_form(request: Request, *, max_files: int, max_fields: int = 20):
    """The POST's form, after the rules every write obeys (read-only, same site, size,
    CSRF token)."""
    srv = server(request)
    if srv.options.read_only:
        raise HTTPException(403, "this dashboard is read-only (journal serve --read-only): "
                                 "nothing can be written")
    if security.cross_site(request.scope):
        raise HTTPException(403, "a write from another site is refused")
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise HTTPException(411, "the upload must say its size (Content-Length)")
    if int(length) > srv.options.max_upload_bytes:
        raise HTTPException(413, f"the upload is {_megabytes(int(length))}; the limit is "
                                 f"{_megabytes(srv.options.max_upload_bytes)} "
                                 "(journal serve --max-upload-mb)")
    form = await request.form(max_files=max_files, max_fields=max_fields)
    browser = request.cookies.get(security.CSRF_COOKIE)
    if not srv.csrf.valid(browser, str(form.get("csrf") or "")):
        await form.close()
        raise HTTPException(403, "the form has expired or did not come from this "
                                 "dashboard: reload the page and try again")
    return form


def safe_name(name: str | None) -> str:
    """An uploaded file's name as it may be stored and shown: no folders, no control
    characters, nothing a shell or a path would read specially."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE.sub("_", _CONTROL.sub("", base)).strip(" .")
    return base[:120] or "statement"


def import_form(request: Request):
    return render(request, "import.html", title="Import statements", results=None,
                  errors=[], limit=_megabytes(server(request).options.max_upload_bytes))


def _save(uploads: list[UploadFile], folder: Path) -> list[tuple[str, Path]]:
    """Each upload as a file of its own (under its safe name, in a folder of its own so
    two uploads of the same name do not meet)."""
    files = []
    for n, up in enumerate(uploads):
        name = safe_name(up.filename)
        (folder / str(n)).mkdir()
        path = folder / str(n) / name
        up.file.seek(0)
        with open(path, "wb") as out:
            shutil.copyfileobj(up.file, out, 1 << 20)
        files.append((name, path))
    return files


def _import_files(srv, files: list[tuple[str, Path]]) -> list[dict]:
    from journal import imports
    from journal.views import imports as views

    rows = []
    with WRITE_LOCK:
        for name, path in files:
            fr = imports.import_file(srv.engine, path)
            if fr.error:
                fr.error = fr.error.replace(str(path), name)
            rows.append(views.summary(fr, name))
    srv.state.drop()
    return rows


async def import_upload(request: Request):
    """Statement files in, the per-file result table out (400 when a file failed)."""
    from journal.views import imports as views

    srv = server(request)
    form = await _checked_form(request, max_files=MAX_FILES)
    uploads = [f for f in form.getlist("statements")
               if isinstance(f, UploadFile) and f.filename]
    if not uploads:
        await form.close()
        raise HTTPException(400, "choose at least one statement file (Flex XML or "
                                 "Activity Statement CSV)")
    with tempfile.TemporaryDirectory(prefix="journal-upload-") as tmp:
        files = await run_in_threadpool(_save, uploads, Path(tmp))
        await form.close()
        rows = await run_in_threadpool(_import_files, srv, files)
    failed = [r for r in rows if r["status"] == "failed"]
    accounts = sorted({a for r in rows for a in r.get("accounts") or ()})
    return render(request, "import.html", title="Import statements",
                  status=400 if failed else 200,
                  results=table_html(views.results(rows), name="imports", per_page=None),
                  warnings=[(r["file"], w) for r in rows for w in r["warning_texts"]],
                  errors=[r["error"] for r in failed], accounts=accounts,
                  limit=_megabytes(srv.options.max_upload_bytes))


async def assign(request: Request):
    """``journal cycles assign TRANSACTION LABEL`` (or ``--clear``) from the cycle page."""
    from journal import ledger, readmodel_accounts

    srv = server(request)
    form = await _checked_form(request, max_files=0)
    tx = str(form.get("transaction_id") or "").strip()
    account = str(form.get("account") or "").strip() or None
    label = str(form.get("label") or "").strip()
    clear = bool(form.get("clear"))
    if not tx:
        raise HTTPException(400, "choose the transaction to move")
    if not clear:
        if not label:
            raise HTTPException(400, "give the cycle a label, or clear the manual choice")
        if len(label) > LABEL_MAX or _CONTROL.search(label):
            raise HTTPException(400, f"a cycle label is at most {LABEL_MAX} printable "
                                     "characters")

    def write() -> str:
        holder = readmodel_accounts.holder_of(srv.engine, tx, account, "choose the account")
        with WRITE_LOCK:
            ledger.set_cycle_override(srv.engine, holder, tx, None if clear else label)
        srv.state.drop()
        return holder

    holder = await run_in_threadpool(write)
    if clear:
        return RedirectResponse(url("source", holder, tx, done="cleared"), status_code=303)
    return RedirectResponse(url("cycles", label, done="assigned"), status_code=303)


CALC_FIELDS = ("premium", "strike", "dte", "price", "contracts", "commission", "cash",
               "symbol", "open", "date", "call", "account")


def _number(params, name: str, errors: list[str]) -> Decimal | None:
    text = (params.get(name) or "").strip().replace(",", "")
    if not text:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        d = None
    if d is None or not d.is_finite():
        errors.append(f"{name}: {text!r} is not a number")
        return None
    return d


def _whole(params, name: str, errors: list[str]) -> int | None:
    d = _number(params, name, errors)
    if d is None:
        return None
    if d != d.to_integral_value():
        errors.append(f"{name}: {d} is not a whole number")
        return None
    return int(d)


def calc(request: Request):
    """The pre-trade calculator (``journal calc``), with the ledger checks when a symbol
    is given. A GET form: it writes nothing, and an answer can be bookmarked."""
    from datetime import date

    from journal.views import calculator

    params = request.query_params
    values = {k: params.get(k, "") for k in CALC_FIELDS}
    if not any(params.get(k) for k in ("premium", "strike", "dte")):
        return render(request, "calc.html", title="Calculator", values=values, answer=None,
                      errors=[], warnings=())
    errors: list[str] = []
    premium = _number(params, "premium", errors)
    strike = _number(params, "strike", errors)
    dte = _whole(params, "dte", errors)
    for name, value in (("premium", premium), ("strike", strike), ("dte", dte)):
        if value is None and not any(e.startswith(name + ":") for e in errors):
            errors.append(f"{name} is required")
    day = None
    if params.get("date"):
        try:
            day = date.fromisoformat(params["date"])
        except ValueError:
            errors.append(f"date: {params['date']!r} is not a date (YYYY-MM-DD)")
    price = _number(params, "price", errors)
    contracts = _whole(params, "contracts", errors)
    commission = _number(params, "commission", errors)
    cash = _number(params, "cash", errors)
    open_contracts = _whole(params, "open", errors)
    if errors:
        return render(request, "calc.html", title="Calculator", status=400, values=values,
                      answer=None, errors=errors, warnings=())
    symbol = (params.get("symbol") or "").strip() or None
    if premium is None or strike is None or dte is None:  # reported in errors above
        raise HTTPException(400, "premium, strike and dte are required")
    req = calculator.Request(
        premium=premium, strike=strike, dte=dte, price=price,
        contracts=contracts if contracts is not None else 1,
        commission=commission or Decimal(0), cash=cash, symbol=symbol,
        open_contracts=open_contracts, day=day, call=bool(params.get("call")),
        account=(params.get("account") or "").strip() or None)
    try:
        calculator.check(req)
    except JournalError as exc:
        return render(request, "calc.html", title="Calculator", status=400, values=values,
                      answer=None, errors=[str(exc).replace("--", "")], warnings=())
    today = server(request).options.today()
    result = None
    if symbol:
        v = view(request)
        result = v.result_on(day) if day else v.result
    answer, warnings = calculator.run(req, result, today)
    return render(request, "calc.html", title="Calculator", values=values,
                  answer=fields_html(answer, name="calc"), errors=[], warnings=warnings)
