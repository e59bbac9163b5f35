"""Judging one callback request: read the body, parse, verify, store, and choose the answer.

This is the listener's logic without the server around it, so every rule can be tested directly.
The one contract: :data:`~hsnb.events.ACK_TEXT` is answered only after the event was committed
to the store; every refusal is recorded with its reason and never carries the ACK text.

Judging (parse and verify) is quick and runs where the request is served; storing is handed to
the store's writer thread (:mod:`hsnb.writer`) and awaited, so the serving loop never waits on
SQLite. The wait is bounded (``commit_timeout``, 20 s by default, below Dropbox Sign's 30 s
timeout): a write still queued then is withdrawn and answered 503, so the sender retries.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tornado.httputil import HTTPInputError, parse_body_arguments

from hsnb.clock_header import CLOCK_HEADER, emulated_receive_time, header
from hsnb.errors import PayloadError, SignatureVerificationError, StoreBusyError, StoreError
from hsnb.events import ACK_TEXT, Event, parse_event, verify_event
from hsnb.records import RecordResult, RequestInfo, Verdict, key_fingerprint
from hsnb.store import EventStore
from hsnb.writer import Write

if TYPE_CHECKING:
    from hsnb.relay import Forwarded

logger = logging.getLogger(__name__)

#: Bodies larger than this are refused with 413 (a real callback is a few kilobytes).
DEFAULT_MAX_BODY_BYTES = 1_000_000
#: How long an answer waits for its commit before it is 503 (Dropbox Sign waits 30 s).
DEFAULT_COMMIT_TIMEOUT = 20.0
#: The 503 texts: the store failed, or it did not get to the write in time.
UNAVAILABLE_TEXT = "event not stored (store unavailable), retry later"
BUSY_TEXT = "event not stored (store busy), retry later"
_JSON_TYPES = ("application/json", "text/plain", "text/json", "")
_ACK_PATTERN = re.compile(re.escape(ACK_TEXT), re.IGNORECASE)
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class Answer:
    """What to answer one request: status, plain-text body, and what was recorded.

    When a script or a relayed handler answers in the listener's place (:mod:`hsnb.answering`),
    ``status`` and ``text`` are what the sender gets (``body``, when set, is sent instead of
    ``text``: a handler's answer as it came), ``headers`` any more headers, ``delay``
    the real seconds to wait first, ``dropped`` that the connection is closed instead;
    ``scripted`` is the rule that answered, ``forwarded`` the handler's answer, and ``outcome``
    how Dropbox Sign counts the answer (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`).
    """

    status: int
    text: str
    record: RecordResult | None = None
    event: Event | None = None
    received_at: datetime | None = None
    #: A callback refused because its ``event_hash`` did not verify (403): what it claimed to
    #: be, for display only (never trusted, never stored as an event).
    unverified: Event | None = None
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    dropped: bool = False
    scripted: str | None = None
    forwarded: Forwarded | None = None
    outcome: str | None = None

    @property
    def acknowledged(self) -> bool:
        """Whether this answer tells Dropbox Sign the delivery succeeded."""
        if self.outcome is not None:
            return self.outcome == "acknowledged"
        return self.status == 200 and self.text == ACK_TEXT


class Refusal(Exception):
    """Internal: a request is refused with this status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CallbackReceiver:
    """Parses, verifies and stores callback requests for one listener.

    ``api_keys``: verify ``event_hash`` against these (none: no verification; an empty key is
    a :class:`ValueError`, never a silent "verification off"). ``tolerance``: also refuse
    events whose ``event_time`` is further than this many seconds from now. ``commit_timeout``:
    the longest an answer waits for the store before it is 503.
    """

    def __init__(
        self,
        store: EventStore,
        *,
        api_keys: Iterable[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tolerance: float | None = None,
        commit_timeout: float = DEFAULT_COMMIT_TIMEOUT,
    ) -> None:
        keys = tuple(api_keys)
        if any(not isinstance(key, str) or not key.strip() for key in keys):
            raise ValueError("an API key to verify with is empty; pass [] to verify nothing")
        self.store = store
        self.api_keys = keys
        self.max_body_bytes = max_body_bytes
        self.tolerance = tolerance
        self.commit_timeout = commit_timeout
        self._fingerprints = {key: key_fingerprint(key) for key in keys}

    def judge(self, request: RequestInfo) -> Write:
        """Parse and verify one request; return what to record (an event, or a refusal).

        A callback refused for its ``event_hash`` keeps the event it claimed to be
        (``Write.claimed``: its type is recorded, it is never stored as an event). A request
        that carries an emulator's clock signed with one of this receiver's keys
        (:mod:`hsnb.clock_header`) is stamped on that clock, its wall-clock arrival kept beside.
        """
        request = self.on_world_clock(request)
        event: Event | None = None
        try:
            event, span = self._parse(request)
            matched = self._verify(event)
        except Refusal as refusal:
            return self._refusal(request, refusal.status, refusal.reason, claimed=event)
        except Exception as exc:  # a last resort: never crash, never acknowledge
            logger.warning("unreadable callback", exc_info=True)
            return self._refusal(request, 400, f"unreadable callback ({type(exc).__name__})")
        verified = None if matched is None else True
        return Write(
            request, 200, event=event, verified=verified, verified_by=matched, payload_span=span
        )

    def on_world_clock(self, request: RequestInfo) -> RequestInfo:
        """``request`` with ``received_at`` on the sender's emulated clock when its signed clock
        header verifies with a key of this receiver (else as it is: wall time)."""
        if not self.api_keys:
            return request
        value = header(request.headers, CLOCK_HEADER)
        if value is None:
            return request
        wall = request.received_at
        emulated = emulated_receive_time(value, self.api_keys, wall.timestamp())
        if emulated is None or not _plausible(emulated):
            return request
        moment = datetime.fromtimestamp(emulated, UTC)
        return dataclasses.replace(request, received_at=moment, received_wall_at=wall)

    async def receive(self, request: RequestInfo) -> Answer:
        """Judge one request, have it recorded, and return the answer to send.

        Call it on the loop that serves the request: it awaits the commit without blocking.
        """
        return await self.answer(self.judge(request))

    async def answer(self, write: Write) -> Answer:
        """Record what :meth:`judge` decided and return the answer: the ACK only once committed."""
        request = write.request
        when = request.received_at
        if write.event is None:  # a refusal is answered whether or not it could be recorded
            try:
                record = await self.commit(write)
            except StoreError as exc:
                logger.warning("could not record a refused delivery: %s", exc)
                record = None
            return Answer(write.status, write.reason or "", record, None, when, write.claimed)
        try:
            record = await self.commit(write)
        except StoreBusyError:
            self.store.submit(Write(request, 503, BUSY_TEXT))  # recorded if the store recovers
            return Answer(503, BUSY_TEXT, None, write.event, when)
        except StoreError as exc:
            logger.warning("not acknowledging %s: %s", write.event.event_type, exc)
            record = getattr(exc, "record", None)
            return Answer(503, UNAVAILABLE_TEXT, record, write.event, when)
        return Answer(200, ACK_TEXT, record, write.event, when)

    async def commit(self, write: Write) -> RecordResult:
        """Submit a write and wait for its commit, at most ``commit_timeout`` while queued.

        A write still queued then is withdrawn (nothing of it is stored) and this raises
        :class:`StoreBusyError`; one whose transaction already runs is awaited, since that
        transaction ends within the store's busy timeout.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RecordResult] = loop.create_future()
        write.future = future
        self.store.submit(write)
        timer = loop.call_later(self.commit_timeout, self._give_up, write, future)
        try:
            return await future
        finally:
            timer.cancel()

    def _give_up(self, write: Write, future: asyncio.Future[RecordResult]) -> None:
        if not future.done() and self.store.withdraw(write):
            future.set_exception(StoreBusyError(f"no commit within {self.commit_timeout:g} s"))

    def _refusal(
        self, request: RequestInfo, status: int, reason: str, *, claimed: Event | None = None
    ) -> Write:
        reason = _ACK_PATTERN.sub("<ack text>", reason)  # a refusal never carries the ACK text
        return Write(request, status, reason, claimed=claimed)

    def _parse(self, request: RequestInfo) -> tuple[Event, tuple[int, int] | None]:
        """The event a request carries, and where its JSON text lies in the body (see
        :attr:`Write.payload_span`; ``None`` when unknown)."""
        if request.method != "POST":
            raise Refusal(405, f"method {request.method} not allowed: callbacks are POSTed")
        size = request.size
        if size > self.max_body_bytes:
            raise Refusal(413, f"body of {size} bytes is over the {self.max_body_bytes} byte cap")
        text, start = self._payload_text(request)
        try:
            event = parse_event(text)
        except PayloadError as exc:
            raise Refusal(400, str(exc)) from exc
        return event, None if start is None else _text_span(event, start, len(text))

    @staticmethod
    def _payload_text(request: RequestInfo) -> tuple[bytes, int | None]:
        """The JSON text to parse, and its offset in the body when it is a slice of it."""
        raw_type, _, parameters = (request.content_type or "").strip().partition(";")
        media_type = raw_type.strip().lower()  # media types are case-insensitive; boundaries not
        if media_type == "multipart/form-data":
            span = json_part_span(parameters, request.body)
            if span is not None:
                start, end = span
                return request.body[start:end], start
        if media_type in _FORM_TYPES:
            return _form_field(media_type, parameters, request), None
        if media_type in _JSON_TYPES:
            if not request.body.strip():
                raise Refusal(400, "empty body: expected a 'json' form field or a JSON object")
            return request.body, 0
        raise Refusal(415, f"unsupported Content-Type {media_type!r}: send a 'json' field or JSON")

    def _verify(self, event: Event) -> str | None:
        """The fingerprint of the key that matched; ``None`` when not verifying."""
        if not self.api_keys:
            return None
        try:
            key = verify_event(event, self.api_keys, tolerance=self.tolerance)
        except SignatureVerificationError as exc:
            raise Refusal(403, str(exc)) from exc
        return self._fingerprints[key]


def single_json_part(parameters: str, body: bytes) -> bytes | None:
    """The ``json`` field of a multipart body shaped exactly as Dropbox Sign sends it, or ``None``.

    That shape is one part, ``Content-Disposition: form-data; name="json"``, no filename, no
    part headers, CRLF line ends. Reading it takes a few byte comparisons; any other shape
    (``None``) goes through the general multipart parser.

    >>> single_json_part("boundary=b", b'--b\\r\\nContent-Disposition: form-data; name="json"'
    ...                  b'\\r\\n\\r\\n{}\\r\\n--b--\\r\\n')
    b'{}'
    """
    span = json_part_span(parameters, body)
    return None if span is None else body[span[0] : span[1]]


def json_part_span(parameters: str, body: bytes) -> tuple[int, int] | None:
    """Where :func:`single_json_part` finds the ``json`` field: its start and end offsets in
    ``body`` (``None``: not that shape)."""
    _, found, boundary = parameters.partition("boundary=")
    boundary = boundary.split(";", 1)[0].strip().strip('"')
    if not found or not boundary:
        return None
    delimiter = b"--" + boundary.encode("latin-1", "replace")
    head = delimiter + b'\r\nContent-Disposition: form-data; name="json"\r\n\r\n'
    if not body.startswith(head):
        return None
    end = body.find(b"\r\n" + delimiter, len(head))
    if end < 0 or body[end + 2 + len(delimiter) :] not in (b"--\r\n", b"--"):
        return None
    return len(head), end


def _text_span(event: Event, start: int, size: int) -> tuple[int, int]:
    """Where ``event``'s JSON text lies in a body, given the slice it was parsed from
    (``start``, ``size`` bytes): that slice less any byte order marks the parser skipped."""
    text = event.to_json()
    length = len(text) if text.isascii() else len(text.encode())
    return start + size - length, length


def _form_field(media_type: str, parameters: str, request: RequestInfo) -> bytes:
    content_type = f"{media_type};{parameters}" if parameters else media_type
    arguments: dict[str, list[bytes]] = {}
    files: dict = {}
    try:
        parse_body_arguments(content_type, request.body, arguments, files, request.headers)
    except HTTPInputError as exc:  # tornado >= 6.5 raises; older versions log and go on
        raise Refusal(400, str(exc).replace("Invalid multipart/form-data: ", "", 1)) from exc
    fields = arguments.get("json", []) + [f["body"] for f in files.get("json", [])]
    if len(fields) > 1:
        raise Refusal(400, "form body has more than one field named 'json'")
    if fields:
        return fields[0]
    if media_type == "multipart/form-data" and b"boundary=" not in content_type.encode():
        raise Refusal(400, "multipart body without a boundary")
    raise Refusal(400, "form body has no field named 'json'")


def _plausible(seconds: float) -> bool:
    """Unix seconds a timestamp column can hold (years 1970 to 2286)."""
    return 0 <= seconds < 10**10


__all__ = [
    "Answer",
    "CallbackReceiver",
    "DEFAULT_COMMIT_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "Verdict",
    "json_part_span",
    "single_json_part",
]
