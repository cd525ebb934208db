"""Client for IB's Flex Web Service: download a Flex Query statement by token and query id.

Protocol (ib_formats.md §3): ``SendRequest?t=TOKEN&q=QUERY&v=3`` answers with a reference
code; ``GetStatement?t=TOKEN&q=REFERENCE&v=3`` answers with the statement once IB has
generated it. Both answer HTTP 200 even on errors, with a ``FlexStatementResponse`` that
carries ``Status`` Fail/Warn and an ``ErrorCode``; codes that mean "not ready yet" or
"slow down" are retried with a growing delay, the others become a clear message.

The token is a password: it travels in the query string (IB's design), so no URL is ever
put in a message, log line or exception, exceptions are raised without their urllib cause,
and any echo of the token in a reply is masked before the reply is shown or saved.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, NamedTuple, Sequence

from journal import __version__
from journal.errors import JournalError

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
    text = text or message or "no message"
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
                self.log(f"{step}: {ERROR_MESSAGES.get(code, result.message)} "
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
        full = url + "?" + urllib.parse.urlencode({"t": self._token, "q": q,
                                                   "v": PROTOCOL_VERSION})
        req = urllib.request.Request(full, headers={"User-Agent": USER_AGENT,
                                                    "Accept": "*/*"})
        where = urllib.parse.urlsplit(url).netloc
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                body = resp.read(MAX_STATEMENT_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise FlexServiceError(
                f"IB Flex Web Service at {where} answered HTTP {exc.code} "
                f"{self._mask(str(exc.reason))}") from None
        except urllib.error.URLError as exc:
            raise FlexServiceError(
                f"cannot reach the IB Flex Web Service at {where}: "
                f"{self._mask(str(exc.reason))}") from None
        except (TimeoutError, OSError) as exc:
            raise FlexServiceError(
                f"cannot reach the IB Flex Web Service at {where}: "
                f"{self._mask(str(exc))}") from None
        if len(body) > MAX_STATEMENT_BYTES:
            raise FlexServiceError("the statement is larger than 1 GiB; narrow the query")
        return self._mask_bytes(body)

    def _status(self, body: bytes) -> _Reply:
        reply = parse_status(body)
        if reply is None:
            raise FlexServiceError(
                "IB Flex Web Service sent a reply that is neither a statement nor a status "
                f"message (it begins {self._mask(_preview(body))!r})")
        return reply

    def _mask(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text

    def _mask_bytes(self, body: bytes) -> bytes:
        tok = self._token.encode()
        return body.replace(tok, b"***") if tok in body else body


def _preview(body: bytes) -> str:
    return body[:60].decode("utf-8", "replace").replace("\n", " ").replace("\r", " ")


def _statement_kind(body: bytes) -> str | None:
    """"xml" for a Flex statement, "csv" for a Flex query set to CSV output, else None.
    Like ibflex, success is recognised by its root, without parsing the whole body."""
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml" if b"<FlexQueryResponse" in head else None
    if head and b"FlexStatementResponse" not in head and (b"," in head.split(b"\n", 1)[0]):
        return "csv"
    return None


def parse_status(body: bytes) -> _Reply | None:
    """Read a ``FlexStatementResponse``; None when the body is not one."""
    from defusedxml import ElementTree as DET  # refuses entity tricks in a hostile reply

    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<") or b"FlexStatementResponse" not in text[:2048]:
        return None
    try:
        root = DET.fromstring(text)
    except Exception:  # ParseError, or defusedxml's refusals: either way not a status reply
        return None
    if root.tag != "FlexStatementResponse":
        return None

    def child(name):
        el = root.find(name)
        return el.text.strip() if el is not None and el.text else None

    status = child("Status")
    if status is None:
        return None
    raw_code = child("ErrorCode")
    code = int(raw_code) if raw_code and raw_code.isdigit() else None
    if status != "Success" and code is None and raw_code is not None:
        return None
    return _Reply(status, code, child("ErrorMessage"), child("ReferenceCode"), child("Url"))
