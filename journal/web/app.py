"""The ASGI application: routes, templates, errors, and what every page shares.

Pages are server-rendered (Jinja2) from the views layer's typed tables through
:mod:`journal.web.html`; they do no arithmetic. Read pages are plain functions that
Starlette runs in its thread pool; the heavy first computation of a ledger state is
shared through :class:`journal.web.state.LedgerState`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from journal.errors import JournalError
from journal.web import security
from journal.web.html import url
from journal.web.state import LedgerState, View

log = logging.getLogger("journal.web")
HERE = Path(__file__).resolve().parent
MAX_UPLOAD_BYTES = 256 << 20  # a 46.5k-trade Flex statement is ~85 MB

NAV = (("/", "Overview"), ("/progress", "Progress"), ("/underlyings", "Underlyings"),
       ("/tax", "Tax"), ("/flags", "Flags"), ("/trades", "Trades"), ("/import", "Import"),
       ("/calc", "Calculator"))


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    read_only: bool = False
    max_upload_bytes: int = MAX_UPLOAD_BYTES
    ledger_label: str = ""
    today: Callable[[], date] = date.today
    warm_up: bool = False  # build the first pages' tables in the background at start


@dataclass
class Server:
    engine: Any
    options: Options
    state: LedgerState
    templates: Environment
    csrf: security.Csrf = field(default_factory=security.Csrf)


def server(request: Request) -> Server:
    return request.app.state.journal


def view(request: Request) -> View:
    """The request's window on the ledger (its version read once)."""
    v = getattr(request.state, "ledger_view", None)
    if v is None:
        v = request.state.ledger_view = View(server(request).state)
    return v


def csrf_token(request: Request) -> str:
    browser = request.scope.get("state", {}).get("csrf_browser", "")
    return server(request).csrf.token_for(browser)


def render(request: Request, template: str, *, status: int = 200, title: str = "",
           **context: Any) -> HTMLResponse:
    srv = server(request)
    path = request.url.path
    nav = [(href, label, path == href or (href != "/" and path.startswith(href)))
           for href, label in NAV]
    body = srv.templates.get_template(template).render(
        title=title, nav=nav, csrf=csrf_token(request), read_only=srv.options.read_only,
        ledger_label=srv.options.ledger_label, url=url, **context)
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


def not_found(what: str) -> HTTPException:
    return HTTPException(404, what)


def _error_page(request: Request, status: int, message: str) -> Response:
    titles = {400: "Not understood", 401: "Access token needed", 403: "Not allowed",
              404: "Not found", 405: "Not allowed", 413: "Too large", 500: "Internal error"}
    try:
        return render(request, "error.html", status=status,
                      title=titles.get(status, "Error"), message=message)
    except Exception:  # the error page itself failed: plain text, never a traceback
        log.exception("error page failed")
        return Response(message, status_code=status, media_type="text/plain")


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", "") or ""
    return _error_page(request, status, str(detail))


async def _journal_error(request: Request, exc: Exception) -> Response:
    return _error_page(request, 400, str(exc))


def _fault(label: str) -> Callable[[Exception], tuple[int, str]]:
    def on_error(exc: Exception) -> tuple[int, str]:
        from journal.errors import describe_fault

        line = describe_fault(exc, label)
        if line is not None:  # the disk, a lock, a lost server: say what to do
            return 503, line
        log.error("internal error", exc_info=exc)
        return 500, "Internal error: the server's log has the details; please report it."

    return on_error


def templates() -> Environment:
    env = Environment(loader=FileSystemLoader(str(HERE / "templates")),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def routes() -> list:
    from journal.web import actions, pages, tax_pages

    return [
        Route("/", pages.overview),
        Route("/progress", pages.progress),
        Route("/underlyings", pages.underlyings),
        Route("/underlyings/{symbol}", pages.underlying),
        Route("/cycles/{cycle_id:path}", pages.cycle),
        Route("/lots/{lot_id:path}", pages.lot),
        Route("/source/{account}/{transaction_id}", pages.source),
        Route("/flags", pages.flags),
        Route("/flags/{code}", pages.flag_code),
        Route("/trades", pages.trades),
        Route("/tax", tax_pages.index),
        Route("/tax/{year:int}", tax_pages.year),
        Route("/tax/{year:int}/{name}", tax_pages.download),
        Route("/import", actions.import_form, methods=["GET"]),
        Route("/import", actions.import_upload, methods=["POST"]),
        Route("/cycles-assign", actions.assign, methods=["POST"]),
        Route("/calc", actions.calc, methods=["GET"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]


def create_app(engine, options: Options | None = None) -> Starlette:
    """The dashboard of the ledger behind ``engine``."""
    options = options or Options()
    if options.read_only:
        from journal.cache.store import never_write

        never_write(engine)  # not even the derived-state cache is written
    hosts = None if options.token else security.allowed_hosts(options.host, options.port)
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(security.Guard, hosts=hosts, token=options.token,
                               on_error=_fault(options.ledger_label))],
        exception_handlers={HTTPException: _http_error, JournalError: _journal_error})
    app.state.journal = srv = Server(engine, options, LedgerState(engine), templates())
    if options.warm_up:
        import threading

        from journal.web.pages import warm_up

        def warm() -> None:
            try:
                warm_up(srv.state, options.today())
            except Exception:  # the page that needs it will say what went wrong
                log.debug("warm-up failed", exc_info=True)

        threading.Thread(target=warm, name="journal-warm-up", daemon=True).start()
    return app
