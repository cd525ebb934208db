"""What keeps a local dashboard of someone's trades and taxes private and unforgeable.

* **Who may ask.** Bound to a loopback address the server answers only requests whose
  ``Host`` is that address or ``localhost`` (a web page elsewhere cannot reach it through
  DNS rebinding). Bound to anything else it needs an access token, and then every
  request must carry it: ``Authorization: Bearer …``, or the cookie that opening the
  printed ``?token=…`` address once sets.
* **Writes** (statement upload, cycle regrouping) are POST only, with a CSRF token: an
  HMAC of a per-browser random cookie under a per-process secret, so another site can
  neither read nor guess it; a cross-site ``Origin`` or ``Sec-Fetch-Site`` is refused
  before the body is read.
* **What a page may load**: a Content-Security-Policy that allows this server's own
  style sheet and nothing else (no script, no external image, font or frame).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode

from markupsafe import escape

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make Origin "null"
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
TOKEN_COOKIE = "journal_token"
CSRF_COOKIE = "journal_csrf"
TOKEN_ENV = "JOURNAL_SERVE_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """``Host`` header values a loopback-bound server answers."""
    names = {host, "127.0.0.1", "localhost", "[::1]"}
    if ":" in host and not host.startswith("["):
        names.add(f"[{host}]")
    return frozenset({f"{n}:{port}" for n in names} | names)


def cookies(scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except CookieError:  # a malformed cookie header is as good as none
                return {}
    return {k: m.value for k, m in jar.items()}


def _header(scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


class Csrf:
    """CSRF tokens bound to a browser's random cookie by a secret of this process."""

    def __init__(self, secret: bytes | None = None):
        self.secret = secret or secrets.token_bytes(32)

    def token_for(self, browser_id: str) -> str:
        return hmac.new(self.secret, browser_id.encode(), hashlib.sha256).hexdigest()

    def valid(self, browser_id: str | None, token: str | None) -> bool:
        if not browser_id or not token:
            return False
        return hmac.compare_digest(self.token_for(browser_id), token)


async def _send_text(send, status: int, title: str, message: str,
                     headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    body = (f"<!doctype html><meta charset=utf-8><title>{escape(title)}</title>"
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p>").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store"), *HEADERS, *headers]})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """ASGI middleware: the Host and token rules, then the security headers on every
    response (and a CSRF cookie for browsers that have none)."""

    def __init__(self, app, *, hosts: frozenset[str] | None, token: str | None,
                 on_error=None):
        self.app = app
        self.hosts = hosts  # None: any Host (a token guards the server)
        self.token = token
        self.on_error = on_error  # exception -> (status, message) for an unexpected error

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host") or ""
        if self.hosts is not None and host not in self.hosts:
            await _send_text(send, 400, "Unexpected host",
                             "This dashboard answers only at the address it printed.")
            return
        jar = cookies(scope)
        if self.token is not None:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            given = query.get("token")
            if given is not None and hmac.compare_digest(given.encode(), self.token.encode()):
                rest = urlencode([(k, v) for k, v in parse_qsl(
                    scope.get("query_string", b"").decode("latin-1")) if k != "token"])
                location = scope.get("root_path", "") + scope["path"] + (
                    "?" + rest if rest else "")
                cookie = f"{TOKEN_COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
                await _send_text(send, 303, "Signed in", "Continue to the dashboard.",
                                 [(b"location", location.encode("latin-1")),
                                  (b"set-cookie", cookie.encode("latin-1"))])
                return
            if not self._carries_token(scope, jar):
                await _send_text(send, 401, "Access token needed",
                                 "Open the address journal serve printed (it carries the "
                                 "token), or send Authorization: Bearer TOKEN.")
                return
        new_id = None if jar.get(CSRF_COOKIE) else secrets.token_urlsafe(24)
        if new_id is not None:
            scope.setdefault("state", {})["csrf_browser"] = new_id
        else:
            scope.setdefault("state", {})["csrf_browser"] = jar[CSRF_COOKIE]

        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers.extend(HEADERS)
                if new_id is not None:
                    headers.append((b"set-cookie", f"{CSRF_COOKIE}={new_id}; HttpOnly; "
                                    "SameSite=Strict; Path=/".encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # a bug or a fault of the disk or database: a page without the traceback,
            # with the same headers as every other page
            if started or self.on_error is None:
                raise
            status, message = self.on_error(exc)
            await _send_text(send, status, "Internal error" if status == 500 else
                             "Cannot read the ledger", message)

    def _carries_token(self, scope, jar: dict[str, str]) -> bool:
        want = (self.token or "").encode()
        auth = _header(scope, b"authorization") or ""
        if auth.lower().startswith("bearer ") and hmac.compare_digest(
                auth[7:].strip().encode(), want):
            return True
        cookie = jar.get(TOKEN_COOKIE)
        return cookie is not None and hmac.compare_digest(cookie.encode(), want)


def cross_site(scope) -> bool:
    """True when the browser says the request comes from another site (checked before
    a POST's body is read; the CSRF token is checked after)."""
    fetch_site = _header(scope, b"sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = _header(scope, b"origin")
    if origin is None:
        return False
    host = _header(scope, b"host") or ""
    return origin != f"{scope.get('scheme', 'http')}://{host}"
