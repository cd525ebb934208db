"""A local stand-in for IB's Flex Web Service (127.0.0.1 only), driven by a script.

``FakeFlexService(script)`` serves ``…/SendRequest`` and ``…/GetStatement``; each request
pops the next reply for its endpoint from ``script`` (a dict endpoint -> list of replies,
the last one repeating). A reply is ``("status", code)`` for an IB error envelope,
``("success", ref)`` for a SendRequest success, ``("body", bytes)`` for a raw body,
``("http", status)`` for an HTTP error, ``("trickle", (bytes, seconds))`` for a body sent
one byte every ``seconds``, ``("short", (bytes, n))`` for a body that announces ``n``
bytes in Content-Length, or ``("hook", (callable, reply))`` to call ``callable()`` (say, a
concurrent import) before sending ``reply``. Every request is recorded (path, query,
headers) so tests can check what the client sent.
"""

from __future__ import annotations

import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from journal.flexws import ERROR_MESSAGES

PREFIX = "/AccountManagement/FlexWebService"


def status_body(code: int, status: str = "Fail") -> bytes:
    return (f'<FlexStatementResponse timestamp="28 August, 2012 10:37 AM EDT">'
            f"<Status>{status}</Status><ErrorCode>{code}</ErrorCode>"
            f"<ErrorMessage>{ERROR_MESSAGES.get(code, 'Unknown')}</ErrorMessage>"
            f"</FlexStatementResponse>").encode()


def success_body(ref: str, url: str) -> bytes:
    return (f'<FlexStatementResponse timestamp="28 August, 2012 10:37 AM EDT">'
            f"<Status>Success</Status><ReferenceCode>{ref}</ReferenceCode>"
            f"<Url>{url}</Url></FlexStatementResponse>").encode()


class FakeFlexService:
    def __init__(self, script: dict, *, token: str | None = None):
        self.script = {k: list(v) for k, v in script.items()}
        self.token = token
        self.requests: list[dict] = []
        self.stopping = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(parts.query))
                endpoint = parts.path.rsplit("/", 1)[-1]
                service.requests.append({"path": parts.path, "endpoint": endpoint,
                                         "query": query, "headers": dict(self.headers)})
                if not parts.path.startswith(PREFIX):
                    return self._send(404, b"not found")
                if service.token is not None and query.get("t") != service.token:
                    return self._send(200, status_body(1015))
                replies = service.script.get(endpoint)
                if not replies:
                    return self._send(404, b"no such endpoint")
                kind, value = replies.pop(0) if len(replies) > 1 else replies[0]
                if kind == "hook":
                    hook, (kind, value) = value
                    hook()
                if kind == "trickle":
                    return self._trickle(*value)
                if kind == "short":
                    body, announced = value
                    return self._send(200, body, length=announced)
                if kind == "status":
                    body = status_body(value)
                elif kind == "success":
                    body = success_body(value, f"{service.base_url}/GetStatement")
                elif kind == "http":
                    return self._send(value, b"<html>server error</html>")
                else:
                    body = value
                self._send(200, body)

            def _send(self, code, body, length=None):
                self.send_response(code)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)

            def _trickle(self, body, seconds):
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                for i in range(len(body)):
                    if service.stopping.wait(seconds):
                        return
                    try:
                        self.wfile.write(body[i:i + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up: as it should
                        return

            def log_message(self, *_args):  # keep test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{PREFIX}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
