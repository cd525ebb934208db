"""The tax year: Form 8949 by part and box (each line leading to its lot's explanation
or to its statement rows), Schedule D, Form 6781, wash sales, the reconciliation with
IB's realized P/L, the year's flags, and the files for the preparer (``journal tax``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from journal.web.app import not_found, render, view
from journal.web.html import fields_html, table_html, url
from journal.web.pages import lot_linker, page_number, tx_link, underlying_link
from journal.web.state import View

DOWNLOADS = {"csv": ("form8949-{y}.csv", "text/csv; charset=utf-8"),
             "txf": ("tax-{y}.txf", "text/plain; charset=utf-8"),
             "xlsx": ("tax-{y}.xlsx",
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def years(v: View) -> list[int]:
    return v.memo("tax_years", lambda: sorted({e.tax_year for e in v.result.realized}))


def report(v: View, year: int):
    from journal import tax

    return v.memo(("tax_report", year), lambda: tax.build_report(v.result, year))


def recon(v: View, year: int):
    from journal import reconcile
    from journal.views import tax as views

    def compute():
        return reconcile.reconcile(v.result, views.closing_executions(v.data), year)

    return v.memo(("recon", year), compute)


def index(request: Request):
    """The years with realized events; the latest one is where most people go."""
    v = view(request)
    ys = years(v)
    if len(ys) == 1:
        return RedirectResponse(url("tax", ys[0]), status_code=303)
    return render(request, "tax_index.html", title="Tax years", years=ys)


def line_linker(v: View):
    """A Form 8949 line leads to its lot's explanation, else to its statement rows."""
    lot_link = lot_linker(v)

    def link(r) -> str | None:
        return lot_link(r) or tx_link(r)

    return link


def year(request: Request):
    """The tax year's page. Its tables are rendered once per ledger version and page of
    rows: the 46.5k-trade ledger has thousands of lines a year."""
    from journal.views import flags as flag_views
    from journal.views import tax as views
    from journal.views import trail

    y = request.path_params["year"]
    v = view(request)
    if y not in years(v) and not any(f.tax_year == y for f in v.result.flags):
        raise not_found(f"the ledger has no realized events in {y}"
                        + (f" (it has {', '.join(map(str, years(v)))})" if years(v) else ""))
    rep = report(v, y)
    line_link, lot_link = line_linker(v), lot_linker(v)

    def paged(section: str, param: str, make_table, name: str, **kw):
        page = page_number(request, param)

        def render_table():
            return table_html(make_table(), name=name, page=page,
                              page_url=lambda n: url("tax", y, **{param: n}), **kw)

        return v.memo(("tax_html", y, section, page), render_table)

    parts = v.memo(("tax_8949", y), lambda: trail.form8949(rep))
    f6781, split = trail.form6781(rep)
    flag_keys = [c.key for c in flag_views.DETAIL_COLUMNS]
    return render(
        request, "tax.html", title=f"Tax year {y}", year=y, years=years(v),
        provisional=rep.provisional,
        summary=table_html(views.summary(rep), name="tax_summary", per_page=None),
        parts=[(title, paged(f"8949-{title}", "page", lambda t=t: t,
                             f"f8949-{t.rows[0]['box']}" if t.rows else title,
                             links={"description": line_link, "lot_id": lot_link}))
               for title, t in parts],
        schedule_d=table_html(trail.schedule_d(rep), name="schedule_d", per_page=None),
        f6781=paged("6781", "page_6781", lambda: f6781, "f6781",
                    links={"description": tx_link}),
        split=fields_html(split, name="section_1256"),
        wash=paged("wash", "page_wash", lambda: trail.wash_sales(rep), "wash_sales",
                   links={"description": line_link}),
        recon=paged("recon", "page_recon", lambda: views.reconciliation(recon(v, y)),
                    "reconciliation", links={"description": tx_link}),
        flags=paged("flags", "page_flags", lambda: flag_views.detail(rep.flags), "tax_flags",
                    keys=flag_keys, links={"transaction_id": tx_link,
                                           "symbol": lambda r: underlying_link(r, "symbol")}),
        downloads=[(kind, DOWNLOADS[kind][0].format(y=y)) for kind in ("xlsx", "csv", "txf")])


def download(request: Request):
    """``tax YEAR --xlsx/--csv/--txf`` as a download."""
    from journal.render import to_csv
    from journal.views import tax as views

    y = request.path_params["year"]
    name = request.path_params["name"]
    kind = next((k for k, (pattern, _t) in DOWNLOADS.items()
                 if pattern.format(y=y) == name), None)
    if kind is None:
        raise not_found(f"no file {name}")
    v = view(request)
    if y not in years(v):
        raise not_found(f"the ledger has no realized events in {y}")
    rep = report(v, y)
    if kind == "csv":
        body: bytes = to_csv(views.rows(rep)).encode()
    elif kind == "txf":
        from journal.exporters import txf

        body = txf.render(rep.rows).encode()
    else:
        from journal.exporters import xlsx_tax

        with tempfile.TemporaryDirectory(prefix="journal-serve-") as tmp:
            path = Path(tmp) / name
            xlsx_tax.write(path, rep, recon(v, y))
            body = path.read_bytes()
    if not body:
        raise HTTPException(500, "empty file")
    return Response(body, media_type=DOWNLOADS[kind][1], headers={
        "content-disposition": f'attachment; filename="{name}"', "cache-control": "no-store"})
