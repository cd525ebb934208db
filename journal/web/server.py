"""Running the dashboard: bind the socket first (so a busy port is one clear line and
port 0 gets a free one), then hand it to uvicorn."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import replace

from journal.errors import JournalError
from journal.web.app import Options, create_app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (JournalError when that cannot be)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise JournalError(f"--host {host}: not an address this machine knows "
                           f"({exc.strerror})") from None
    family, kind, proto, _name, addr = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise JournalError(f"cannot listen on {host}:{port}: {exc.strerror or exc} "
                           "(another journal serve? choose another --port)") from None
    sock.set_inheritable(True)
    return sock


def address(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}/"


def make_server(engine, options: Options, sock: socket.socket):
    """A uvicorn server for the dashboard on ``sock`` (its real port in the options)."""
    import uvicorn

    options = replace(options, port=sock.getsockname()[1])
    config = uvicorn.Config(create_app(engine, options), log_level="warning",
                            access_log=False, server_header=False, lifespan="off")
    return uvicorn.Server(config)


class Background:
    """The dashboard served from a thread (tests, benchmarks): ``with Background(...) as
    base_url:``."""

    def __init__(self, engine, options: Options | None = None):
        options = options or Options(port=0)
        self.sock = bind(options.host, options.port)
        self.url = address(self.sock, options.host)
        self.server = make_server(engine, options, self.sock)
        self.thread = threading.Thread(target=self.server.run,
                                       kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the dashboard did not start")
            time.sleep(0.02)
        return self.url

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.sock.close()
