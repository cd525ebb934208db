"""`journal serve`: the ledger as a local web dashboard (journal/web/).

Imports nothing heavy at its top: Starlette, Jinja2 and uvicorn load when the command
runs, never for ``journal --help``.
"""

from __future__ import annotations

import click

from journal.cli import cli
from journal.errors import JournalError

MIN_TOKEN = 16


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on. Anything but a loopback address needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to listen on (0: any free port).")
@click.option("--open", "open_browser", is_flag=True, help="Open the dashboard in the "
                                                           "default browser.")
@click.option("--read-only", is_flag=True, help="No uploads and no cycle regrouping.")
@click.option("--token", envvar="JOURNAL_SERVE_TOKEN", metavar="TOKEN",
              help="Access token every request must carry (at least 16 characters; "
                   "'auto' makes one). Env: JOURNAL_SERVE_TOKEN.")
@click.option("--max-upload-mb", type=click.IntRange(1, 4096), default=256,
              show_default=True, help="Largest statement upload accepted.")
@click.pass_obj
def serve(obj, host, port, open_browser, read_only, token, max_upload_mb):
    """Serve the ledger as a web dashboard: overview, progression, underlyings and wheel
    cycles, the tax year from each Form 8949 line down to the statement row, flags,
    statement upload, the calculator and cycle regrouping.

    Listens on 127.0.0.1 unless --host says otherwise; a non-loopback address is refused
    without an access token. Ctrl+C stops it.

    \b
    Example:
      journal serve --open
      journal serve --read-only --port 9000
      JOURNAL_SERVE_TOKEN=$(openssl rand -hex 16) journal serve --host 0.0.0.0
    """
    import secrets

    from journal.web import security

    if token == "auto":
        token = secrets.token_urlsafe(24)
    if token is not None and len(token) < MIN_TOKEN:
        raise JournalError(f"--token must be at least {MIN_TOKEN} characters ('auto' makes "
                           "one)")
    if not security.is_loopback(host) and not token:
        raise JournalError(f"--host {host} is not a loopback address: anyone who can reach "
                           "it would see the ledger. Set an access token with --token TOKEN "
                           "(or $JOURNAL_SERVE_TOKEN), or keep --host 127.0.0.1")
    engine = obj.engine()
    from journal.web.app import Options
    from journal.web.server import address, bind, make_server

    sock = bind(host, port)
    options = Options(host=host, port=port, token=token, read_only=read_only,
                      max_upload_bytes=max_upload_mb << 20, ledger_label=obj.ledger_label(),
                      warm_up=True)
    server = make_server(engine, options, sock)
    url = address(sock, host) + (f"?token={token}" if token else "")
    click.echo(f"serving {obj.ledger_label()} at {url}"
               + (" (read-only)" if read_only else "") + "; Ctrl+C stops", err=True)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(0.5, webbrowser.open, [url]).start()
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
