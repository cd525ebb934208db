"""Client for IB's Flex Web Service: download a Flex Query statement by token and query id.

Protocol (ib_formats.md §3): ``SendRequest?t=TOKEN&q=QUERY&v=3`` answers with a reference
code; ``GetStatement?t=TOKEN&q=REFERENCE&v=3`` answers with the statement once IB has
generated it. Both answer HTTP 200 even on errors, with a ``FlexStatementResponse`` that
carries ``Status`` Fail/Warn and an ``ErrorCode``; codes that mean "not ready yet" or
"slow down" are retried with a growing delay, the others become a clear message.

The token is a password: it travels in the query string (IB's design), so no URL is ever
put in a message, log line or exception, exceptions are raised without their urllib cause,
and any echo of the token in a reply (raw, URL-encoded or HTML-escaped) is masked before
the reply is shown or saved. Each request has a deadline for the whole exchange, so a
server that trickles its reply cannot keep the command going; redirects are not followed
(the token would travel to wherever they point).
"""

from __future__ import annotations

import html
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Self

from journal import __version__
from journal.errors import JournalError, quote

DEFAULT_URL = "https://ndcdyn.interactivebrokers.com/AccountManagement/FlexWebService"
"""The endpoint since IB retired ``gdcdyn…/Universal/servlet`` in 2026 (ibflex#107)."""

USER_AGENT = (f"csp-journal/{__version__} "
              f"Python/{sys.version_info.major}.{sys.version_info.minor}")
"""IB rejects requests without a User-Agent and asks for "Technology/Version"."""

DEFAULT_DELAYS = (2, 4, 8, 16, 20, 20, 20, 20)
"""Seconds to wait before each retry: about two minutes in all, as IB generates a
statement in seconds to a minute and asks clients not to hammer the service."""

THROTTLE_MIN_DELAY = 10
"""Error 1018 (too many requests) waits at least this long."""

PROTOCOL_VERSION = "3"
MAX_STATEMENT_BYTES = 1 << 30

ERROR_MESSAGES = {
    1001: "Statement could not be generated at this time. Please try again shortly.",
    1003: "Statement is not available.",
    1004: "Statement is incomplete at this time. Please try again shortly.",
    1005: "Settlement data is not ready at this time. Please try again shortly.",
    1006: "FIFO P/L data is not ready at this time. Please try again shortly.",
    1007: "MTM P/L data is not ready at this time. Please try again shortly.",
    1008: "MTM and FIFO P/L data is not ready at this time. Please try again shortly.",
    1009: "The server is under heavy load. Statement could not be generated at this time. "
          "Please try again shortly.",
    1010: "Legacy Flex Queries are no longer supported. Please convert over to Activity Flex.",
    1011: "Service account is inactive.",
    1012: "Token has expired.",
    1013: "IP restriction.",
    1014: "Query is invalid.",
    1015: "Token is invalid.",
    1016: "Account in invalid.",
    1017: "Reference code is invalid.",
    1018: "Too many requests have been made from this token. Please try again shortly.",
    1019: "Statement generation in progress. Please try again shortly.",
    1020: "Invalid request or unable to validate request.",
    1021: "Statement could not be retrieved at this time. Please try again shortly.",
}
"""IB's own texts (ibflex client.ERRORS, plus 1001 from ibflex#107)."""

RETRY_CODES = frozenset({1001, 1004, 1005, 1006, 1007, 1008, 1009, 1018, 1019, 1021})
TOKEN_CODES = frozenset({1011, 1012, 1013, 1015, 1020})
QUERY_CODES = frozenset({1003, 1010, 1014, 1016})

_ADVICE = {
    1012: "create a new token in Client Portal > Settings > Flex Web Service",
    1015: "check the token (Client Portal > Settings > Flex Web Service); generating a new "
          "token invalidates the old one",
    1013: "the token is restricted to another IP address",
    1011: "activate the Flex Web Service in Client Portal > Settings",
    1014: "check the query id (Client Portal > Performance & Reports > Flex Queries, the "
          "number next to the query)",
    1010: "create the query again as an Activity Flex query",
}


class FlexServiceError(JournalError):
    """The service refused or failed; ``code`` is IB's error code when it sent one."""

    def __init__(self, message: str, code: int | None = None):
        self.code = code
        super().__init__(message)


class Statement(NamedTuple):
    content: bytes
    kind: str  # "xml" or "csv": the format the query was set to produce
    reference_code: str


class _Reply(NamedTuple):
    status: str
    code: int | None
    message: str | None
    reference_code: str | None
    url: str | None


def describe_error(code: int | None, message: str | None) -> str:
    text = ERROR_MESSAGES.get(code) if code is not None else None
    text = text or (quote(message) if message else "no message")
    if code in TOKEN_CODES:
        kind = "token problem"
    elif code in QUERY_CODES:
        kind = "query problem"
    else:
        kind = "service error"
    out = f"IB Flex Web Service {kind} (error {code if code is not None else '?'}): {text}"
    if code in _ADVICE:
        out += f"; {_ADVICE[code]}"
    return out


class FlexWebClient:
    """Downloads statements. ``sleep`` and ``delays`` are injectable so tests do not wait;
    ``log`` receives one-line progress messages (never a URL or the token)."""

    def __init__(self, token: str, *, base_url: str = DEFAULT_URL, timeout: float = 60,
                 delays: Sequence[float] = DEFAULT_DELAYS,
                 sleep: Callable[[float], None] = time.sleep,
                 throttle_delay: float = THROTTLE_MIN_DELAY,
                 log: Callable[[str], None] | None = None):
        token = (token or "").strip()
        if not token:
            raise FlexServiceError("no Flex Web Service token given")
        self._token = token
        self._token_text = re.compile(_echo_pattern(token), re.IGNORECASE)
        self._token_bytes = re.compile(_echo_pattern(token).encode(), re.IGNORECASE)
        parts = urllib.parse.urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise FlexServiceError(f"not an http(s) URL: {self._mask(base_url)!r}")
        self.base_url = base_url.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)
        self.timeout = timeout
        self.delays = tuple(delays)
        self.sleep = sleep
        self.throttle_delay = throttle_delay
        self.log = log or (lambda _msg: None)

    def __repr__(self) -> str:  # keep the token out of debug output
        return f"FlexWebClient(base_url={self.base_url!r}, token=***)"

    # -- public ----------------------------------------------------------------------------
    def fetch(self, query_id: str) -> Statement:
        """SendRequest, then GetStatement until the statement is ready."""
        query_id = str(query_id).strip()
        if not query_id.isdigit():
            raise FlexServiceError(f"the query id must be a number, got {query_id!r}")
        reply = self._with_retries(
            "SendRequest", lambda: self._status(self._get(f"{self.base_url}/SendRequest",
                                                          query_id)))
        if not reply.reference_code:
            raise FlexServiceError("IB Flex Web Service accepted the request but sent no "
                                   "reference code")
        url = self._statement_url(reply.url)
        ref = reply.reference_code

        def attempt():
            body = self._get(url, ref)
            kind = _statement_kind(body)
            if kind is not None:
                return Statement(body, kind, ref)
            reply = self._status(body)
            if reply.status == "Success":
                raise FlexServiceError("IB Flex Web Service answered GetStatement with a "
                                       "status message instead of the statement")
            return reply

        return self._with_retries("GetStatement", attempt)

    # -- internals -------------------------------------------------------------------------
    def _with_retries(self, step: str, attempt):
        tries = 0
        while True:
            result = attempt()
            if isinstance(result, Statement):
                return result
            if result.status == "Success":
                return result
            code = result.code
            if code in RETRY_CODES and tries < len(self.delays):
                delay = self.delays[tries]
                if code == 1018:
                    delay = max(delay, self.throttle_delay)
                tries += 1
                self.log(f"{step}: {ERROR_MESSAGES.get(code) or quote(result.message or '')} "
                         f"(error {code}); retrying in {delay:g} s")
                self.sleep(delay)
                continue
            if code in RETRY_CODES:
                raise FlexServiceError(
                    f"{describe_error(code, result.message)} (gave up after {tries} retries; "
                    "try again later)", code)
            raise FlexServiceError(describe_error(code, result.message), code)

    def _statement_url(self, advertised: str | None) -> str:
        # The token is sent to whatever URL we call, so only follow IB's advertised
        # GetStatement URL when it is on the host we were configured for.
        if advertised:
            parts = urllib.parse.urlsplit(advertised.strip())
            if (parts.scheme, parts.netloc) == self._origin and parts.path:
                return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        return f"{self.base_url}/GetStatement"

    def _get(self, url: str, q: str) -> bytes:
        import http.client
        import urllib.error

        full = url + "?" + urllib.parse.urlencode({"t": self._token, "q": q,
                                                   "v": PROTOCOL_VERSION})
        where = urllib.parse.urlsplit(url).netloc
        deadline = _Deadline(self.timeout)
        try:
            with deadline, _opener(deadline).open(
                    _request(full), timeout=self.timeout) as resp:
                body = resp.read(MAX_STATEMENT_BYTES + 1)
                expected = resp.headers.get("Content-Length", "")
        except urllib.error.HTTPError as exc:
            raise FlexServiceError(
                f"IB Flex Web Service at {where} answered HTTP {exc.code} "
                f"{self._mask(quote(exc.reason))}") from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            if deadline.expired:
                raise self._too_slow(where) from None
            reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise FlexServiceError(
                f"cannot reach the IB Flex Web Service at {where}: "
                f"{self._mask(quote(reason))}") from None
        if deadline.expired:
            raise self._too_slow(where)
        if len(body) > MAX_STATEMENT_BYTES:
            raise FlexServiceError("the statement is larger than 1 GiB; narrow the query")
        if expected.isdigit() and int(expected) != len(body):
            raise FlexServiceError(
                f"the reply of the IB Flex Web Service at {where} was cut short "
                f"({len(body):,} of {int(expected):,} bytes); try again")
        return self._mask_bytes(body)

    def _too_slow(self, where: str) -> FlexServiceError:
        return FlexServiceError(f"the IB Flex Web Service at {where} did not finish its reply "
                                f"within {self.timeout:g} s; try again later")

    def _status(self, body: bytes) -> _Reply:
        reply = parse_status(body)
        if reply is None:
            raise FlexServiceError(
                "IB Flex Web Service sent a reply that is neither a statement nor a status "
                f"message (it begins {self._mask(_preview(body))!r})")
        return reply

    def _mask(self, text: str) -> str:
        return self._token_text.sub("***", text.replace(self._token, "***"))

    def _mask_bytes(self, body: bytes) -> bytes:
        tok = self._token.encode()
        if tok in body:
            body = body.replace(tok, b"***")
        if b"%" in body or b"&" in body:  # only an encoded echo can remain
            body = self._token_bytes.sub(b"***", body)
        return body


def _echo_pattern(token: str) -> str:
    """A regular expression for ``token`` with any of its characters written as itself,
    %-encoded or as an HTML character reference (how a server may echo a query string)."""
    parts = []
    for ch in token:
        forms = [re.escape(ch)]
        forms += ["%" + f"{b:02x}" for b in ch.encode()] if len(ch.encode()) == 1 else []
        forms += [f"&#0*{ord(ch)};", f"&#x0*{ord(ch):x};"]
        if html.escape(ch) != ch:
            forms.append(re.escape(html.escape(ch)))
        if ch == " ":
            forms.append(r"\+")
        parts.append("(?:" + "|".join(forms) + ")")
    return "".join(parts)


class _Deadline:
    """One request's time limit: when it passes, the request's sockets are shut down, which
    ends any read that is waiting (a server trickling a byte now and then included)."""

    def __init__(self, seconds: float):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def _request(url: str) -> Any:
    import urllib.request

    return urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "*/*"})


def _opener(deadline: _Deadline) -> Any:
    """urllib with proxies as usual, but no redirects, and every connection's socket handed
    to ``deadline``."""
    import http.client
    import urllib.request

    def watched(base):
        class Conn(base):  # type: ignore[misc, valid-type]
            def connect(self):
                super().connect()
                deadline.watch(self.sock)
        return Conn

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(watched(http.client.HTTPConnection), req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(watched(http.client.HTTPSConnection), req,
                                context=self._context)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None  # urllib then raises HTTPError for the 3xx reply

    return urllib.request.build_opener(Http, Https, NoRedirect)


def _preview(body: bytes) -> str:
    return body[:60].decode("utf-8", "replace").replace("\n", " ").replace("\r", " ")


def _statement_kind(body: bytes) -> str | None:
    """"xml" for a Flex statement, "csv" for a Flex query set to CSV output, else None.
    Like ibflex, success is recognised by its root, without parsing the whole body."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml" if b"<FlexQueryResponse" in head else None
    first = head.split(b"\n", 1)[0]
    # A Flex query set to CSV: a header row, a BOF record or a HEADER/DATA-prefixed row;
    # its first line is comma-separated text and never markup.
    if b"," in first and not any(c in first for c in b"<>{}") and b"\x00" not in head:
        return "csv"
    return None


def parse_status(body: bytes) -> _Reply | None:
    """Read a ``FlexStatementResponse``; None when the body is not one."""
    from defusedxml import ElementTree as DET  # refuses entity tricks in a hostile reply

    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<") or b"FlexStatementResponse" not in text[:2048]:
        return None
    from defusedxml import DefusedXmlException

    try:
        root = DET.fromstring(text)
    except (DET.ParseError, DefusedXmlException):  # either way not a status reply
        return None
    if root.tag != "FlexStatementResponse":
        return None

    def child(name):
        # quoted: a hostile or broken reply may put megabytes into one element
        el = root.find(name)
        return quote(el.text) if el is not None and el.text and el.text.strip() else None

    status = child("Status")
    if status is None:
        return None
    raw_code = child("ErrorCode")
    code = int(raw_code) if raw_code and raw_code.isdigit() else None
    if status != "Success" and code is None and raw_code is not None:
        return None
    return _Reply(status, code, child("ErrorMessage"), child("ReferenceCode"), child("Url"))
