"""Relay mode: a listener passes each delivery on to your own handler and judges its answer.

Like ``stripe listen --forward-to``: ``hsnb listen --forward-to URL`` (or
``Listener(forward_to=URL)``) stores each callback, POSTs it unchanged to your handler, records
the handler's answer, how long it took and whether Dropbox Sign would count it as received, and
gives the sender the handler's answer. So a real account (through a tunnel) or the emulator
exercises your handler while hsnb keeps the log and says what went wrong.

**What is stored when.**

1. The delivery is judged and committed exactly as without a relay (its row, its event, a
   ``duplicate`` when it is a retry). A request the listener refuses (malformed, forged with
   keys set, oversized, not a POST) is answered by the listener and never forwarded: the relay
   passes on only what the listener would store, so the handler's own verification is not
   exercised here (``hsnb trigger`` with another key does that).
2. The request is forwarded: the same method, body and headers, except the hop-by-hop ones
   (``Connection`` and the headers it names, ``Keep-Alive``, ``Proxy-*``, ``TE``,
   ``Trailer``, ``Transfer-Encoding``, ``Upgrade``), ``Expect`` (the listener already took the
   body) and ``Host``, which names the handler. Nothing is added (no ``X-Forwarded-*``) but
   what the relay's own connection needs (``Connection: close``; a ``User-Agent`` only when the
   sender sent none); the emulator's signed ``X-Hsnb-Emulated-Time`` and ``X-Hsnb-Attempt``
   go through unchanged.
   Redirects are not followed (libcurl's default; what Dropbox Sign does is UNCONFIRMED): a 3xx
   goes back to the sender as it is and counts as ``http_error``. The handler's answer is read
   up to :data:`MAX_ANSWER_BYTES`.
3. The handler's answer is recorded onto the same delivery row, in one more commit:
   ``forwarded_status``, ``forwarded_body_excerpt`` (its first 200 characters),
   ``forwarded_duration`` (real seconds) and ``forward_outcome``, in the emulator's attempt
   vocabulary (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`): ``acknowledged``, ``wrong_answer``
   (200 without the ACK text), ``http_error`` (any other status), ``timeout`` (no answer in
   30 s, even if a late one came; or, from an emulator on virtual time, an answer whose
   ``X-Hsnb-Answer-Time`` says it took longer), ``connection_error`` (refused, reset, an
   answer over the size cap). The row's ``status`` and ``verdict`` stay the listener's own.
4. Then the sender gets the handler's answer: its status, body and headers (less the
   hop-by-hop ones, ``Content-Length``, ``Date`` and ``Server``), so an emulator under virtual
   time sees the handler's ``X-Hsnb-Answer-Time``. Without an answer it gets **502** (the
   handler could not be reached) or **504** (no answer within ``forward_timeout``), with a
   line saying so. A status, rather than a dropped connection, because the sender's own log
   (the emulator's attempt log, Dropbox Sign's API dashboard) then says that the relay worked
   and the handler did not; either way the delivery is not acknowledged, so the sender retries
   and reaches the handler once it is back, as it would have without the relay.

A slow handler never holds the listener: the forward is awaited on its loop, which answers
other deliveries meanwhile. The relay waits ``forward_timeout`` (60 s by default, twice Dropbox
Sign's 30) so that a late answer is still measured and reported as too slow. A forwarded row
with no ``forward_outcome`` is one whose answer was never recorded: the listener stopped while
the handler worked (the sender got no answer, so it retries).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.simple_httpclient import HTTPTimeoutError

from hsnb.clock_header import ANSWER_TIME_HEADER, answer_time, header
from hsnb.durations import readable_seconds
from hsnb.errors import RelayError
from hsnb.events import ACK_TEXT
from hsnb.payloads import CALLBACK_TIMEOUT_SECONDS, classify
from hsnb.records import RequestInfo

#: How long the relay waits for the handler by default (seconds): past Dropbox Sign's 30, so a
#: late answer is measured and reported as too slow rather than cut off.
DEFAULT_FORWARD_TIMEOUT = 60.0
#: The largest handler answer read (bytes); a longer one is a ``connection_error``.
MAX_ANSWER_BYTES = 1_048_576
#: Characters of the handler's answer kept in ``forwarded_body_excerpt``.
EXCERPT_CHARS = 200
#: Headers that belong to one connection, not to the message (RFC 9110, 7.6.1).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_NOT_FORWARDED = HOP_BY_HOP | {"host", "content-length", "expect"}
_NOT_PASSED_BACK = HOP_BY_HOP | {"content-length", "date", "server"}
_MAX_CLIENTS = 256


@dataclass(frozen=True)
class Forwarded:
    """What the handler made of one forwarded delivery.

    ``url`` is the handler's (a password in it shown as ``***``). ``status`` is ``None`` when
    no answer came (``error`` says why); ``excerpt`` is the start of the answer's text (decoded
    when it came compressed); ``headers`` are the ones passed back to the sender; ``duration``
    is real seconds; ``outcome`` is how Dropbox Sign would count the answer
    (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`).
    """

    url: str
    status: int | None
    body: bytes
    excerpt: str
    headers: tuple[tuple[str, str], ...]
    duration: float
    outcome: str
    error: str | None = None
    answer_time: float | None = None

    @property
    def sender_status(self) -> int:
        """The status the sender gets: the handler's, else 504 (no answer in time) or 502."""
        if self.status is not None:
            return self.status
        return 504 if self.outcome == "timeout" else 502

    @property
    def sender_body(self) -> bytes:
        """The body the sender gets: the handler's, else a line saying what went wrong."""
        if self.status is not None:
            return self.body
        why = self.error or "no answer"
        return f"hsnb relay: the handler did not answer ({why})".encode()

    def explain(self) -> str:
        """One line: the handler's answer, its time, and why it does not count (if it does not).

        >>> Forwarded("u", 200, b"OK", "OK", (), 0.012, "wrong_answer").explain()
        "handler 200 'OK' in 12 ms: wrong_answer (no 'Hello API Event Received' in the body)"
        """
        took = readable_seconds(self.duration)
        if self.status is None:
            when = "" if self.outcome == "timeout" else f" after {took}"
            return (
                f"handler: {self.error}{when}: {self.outcome} (the sender got {self.sender_status})"
            )
        answer = f"handler {self.status} {self.excerpt[:60]!r} in {took}: {self.outcome}"
        if self.outcome == "wrong_answer":
            return f"{answer} (no {ACK_TEXT!r} in the body)"
        if self.outcome == "http_error":
            location = header(dict(self.headers), "Location")
            moved = f", redirected to {location!r} (not followed)" if location else ""
            return f"{answer} (expected 200{moved})"
        if self.outcome == "timeout":
            if self.answer_time is not None and self.answer_time > CALLBACK_TIMEOUT_SECONDS:
                said = f"it said it took {self.answer_time:g} s"
            else:
                said = f"it took {took}"
            return f"{answer} (Dropbox Sign waits {CALLBACK_TIMEOUT_SECONDS:g} s; {said})"
        return answer


class Relay:
    """Forwards deliveries to ``url`` (an http or https URL) and judges the answers.

    ``timeout``: seconds to wait for the handler's whole answer (see the module docstring).
    Raises :class:`~hsnb.errors.RelayError` for a URL that is not http(s) with a host.
    """

    def __init__(self, url: str, *, timeout: float = DEFAULT_FORWARD_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = url if parts.password is None else "<a URL with a password>"
            raise RelayError(f"forward_to must be an http(s) URL with a host, not {shown!r}")
        if not timeout > 0:
            raise RelayError(f"forward_timeout must be above 0 seconds, not {timeout!r}")
        self.url = url
        self.timeout = float(timeout)
        self._client: AsyncHTTPClient | None = None

    def __repr__(self) -> str:
        return f"<Relay to {self.shown_url!r} timeout={self.timeout:g}s>"

    @property
    def shown_url(self) -> str:
        """The handler's URL for printing: a password in it is shown as ``***``.

        >>> Relay("http://me:secret@127.0.0.1:5000/cb").shown_url
        'http://me:***@127.0.0.1:5000/cb'
        """
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        host = parts.netloc.rpartition("@")[2]
        return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()

    def forward_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The request headers the handler gets (see the module docstring).

        >>> Relay("http://h/cb").forward_headers({"Host": "a", "Connection": "x-y", "X-Y": "1",
        ...                                       "Content-Type": "text/plain"})
        {'Content-Type': 'text/plain'}
        """
        named = {
            name.strip().lower()
            for value in _values(headers, "connection")
            for name in value.split(",")
        }
        return {
            name: value
            for name, value in headers.items()
            if name.lower() not in _NOT_FORWARDED and name.lower() not in named
        }

    async def forward(self, request: RequestInfo, *, virtual: bool = False) -> Forwarded:
        """POST ``request`` to the handler on the running loop; what came of it (never raises
        for the handler's failures). ``virtual``: the sender's clock is virtual, so the
        handler's ``X-Hsnb-Answer-Time`` decides a timeout."""
        if self._client is None:
            self._client = AsyncHTTPClient(
                force_instance=True, max_clients=_MAX_CLIENTS, max_body_size=MAX_ANSWER_BYTES
            )
        outgoing = HTTPRequest(
            self.url,
            method=request.method,
            headers=self.forward_headers(request.headers),
            body=request.body,
            connect_timeout=self.timeout,
            request_timeout=self.timeout,
            follow_redirects=False,
            decompress_response=False,
            allow_nonstandard_methods=True,
        )
        started = time.monotonic()
        try:
            answer = await self._client.fetch(outgoing, raise_error=False)
        except HTTPTimeoutError:
            return self._failed(started, "timeout", f"no answer within {self.timeout:g} s")
        except (OSError, ValueError, HTTPClientError) as exc:
            return self._failed(started, "connection_error", _reason(exc))
        took = time.monotonic() - started
        if answer.code == 599:
            error = answer.error
            if isinstance(error, HTTPTimeoutError):
                return self._failed(started, "timeout", f"no answer within {self.timeout:g} s")
            return self._failed(started, "connection_error", _reason(error))
        raw = answer.body or b""
        text = _decoded(raw, answer.headers.get("Content-Encoding"))
        said = answer_time(answer.headers.get(ANSWER_TIME_HEADER))
        outcome = judge(answer.code, text, took, said if virtual else None)
        passed = tuple(
            (name, value)
            for name, value in answer.headers.get_all()
            if name.lower() not in _NOT_PASSED_BACK
        )
        excerpt = text[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[:EXCERPT_CHARS]
        return Forwarded(
            self.shown_url, answer.code, raw, excerpt, passed, took, outcome, None, said
        )

    def _failed(self, started: float, outcome: str, error: str) -> Forwarded:
        took = time.monotonic() - started
        return Forwarded(self.shown_url, None, b"", "", (), took, outcome, error)

    def close(self) -> None:
        """Release the HTTP client (call on the loop that forwarded)."""
        if self._client is not None:
            self._client.close()
            self._client = None


def judge(status: int, text: bytes, took: float, said: float | None = None) -> str:
    """How Dropbox Sign counts a handler's answer (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`):
    ``took`` real seconds, or ``said`` emulated ones (its ``X-Hsnb-Answer-Time``, when the
    sender's clock is virtual), past 30 is a ``timeout`` whatever came; else by status and
    text.

    >>> ok = b"Hello API Event Received"
    >>> judge(200, ok, 0.1), judge(200, ok, 31.0), judge(200, ok, 0.1, 45.0), judge(302, b"", 0.1)
    ('acknowledged', 'timeout', 'timeout', 'http_error')
    """
    slowest = max(took, said or 0.0)
    return "timeout" if slowest > CALLBACK_TIMEOUT_SECONDS else classify(status, text)


def _values(headers: Mapping[str, str], name: str) -> list[str]:
    return [value for key, value in headers.items() if key.lower() == name]


def _reason(error: BaseException | None) -> str:
    """A short reason for a failed forward: ``connection refused``, ``answer over ...``."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    text = str(error) if error is not None else ""
    if "max_body_size" in text or "too long" in text.lower():
        return f"answer over {MAX_ANSWER_BYTES} bytes"
    return f"{type(error).__name__}: {text}" if error is not None else "no answer"


def _decoded(body: bytes, encoding: str | None) -> bytes:
    """The answer's text for judging: gzip or deflate undone (at most the size cap)."""
    if not encoding or encoding.strip().lower() not in ("gzip", "x-gzip", "deflate"):
        return body
    wbits = 47 if "gzip" in encoding.lower() else 15
    try:
        return zlib.decompressobj(wbits).decompress(body, MAX_ANSWER_BYTES)
    except zlib.error:
        return body


__all__ = [
    "DEFAULT_FORWARD_TIMEOUT",
    "Forwarded",
    "HOP_BY_HOP",
    "MAX_ANSWER_BYTES",
    "Relay",
    "judge",
]
