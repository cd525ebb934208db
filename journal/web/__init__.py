"""``journal serve``: the ledger as a local web dashboard.

Server-rendered pages (Starlette, Jinja2) over the views layer's typed tables, charts as
server-made SVG, every asset served by this package (no CDN, no external request, a
Content-Security-Policy that forbids them). Layout:

* :mod:`journal.web.app`: the application, routes, templates and errors;
* :mod:`journal.web.pages`, :mod:`journal.web.tax_pages`: the read pages;
* :mod:`journal.web.actions`: upload, cycle regrouping (POST + CSRF), the calculator;
* :mod:`journal.web.state`: the per-ledger-version memo that keeps pages fast;
* :mod:`journal.web.security`: host and token rules, CSRF, security headers;
* :mod:`journal.web.html`, :mod:`journal.web.charts`: tables and charts as HTML/SVG;
* :mod:`journal.web.server`: binding a socket and running uvicorn.
"""

from journal.web.app import Options, create_app

__all__ = ["Options", "create_app"]
