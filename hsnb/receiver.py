"""Judging one callback request: read the body, parse, verify, store, and choose the answer.

This is the listener's logic without the server around it, so every rule can be tested directly.
The one contract: :data:`~hsnb.events.ACK_TEXT` is answered only after the event was committed
to the store; every refusal is recorded with its reason and never carries the ACK text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tornado.httputil import HTTPInputError, parse_body_arguments

from hsnb.errors import PayloadError, SignatureVerificationError, StoreError
from hsnb.events import ACK_TEXT, Event, parse_event, verify_event
from hsnb.store import EventStore, RecordResult, RequestInfo, Verdict

logger = logging.getLogger(__name__)

#: Bodies larger than this are refused with 413 (a real callback is a few kilobytes).
DEFAULT_MAX_BODY_BYTES = 1_000_000
_JSON_TYPES = ("application/json", "text/plain", "text/json", "")
_ACK_PATTERN = re.compile(re.escape(ACK_TEXT), re.IGNORECASE)


@dataclass(frozen=True)
class Answer:
    """What to answer one request: status, plain-text body, and what was recorded."""

    status: int
    text: str
    record: RecordResult | None = None
    event: Event | None = None
    received_at: datetime | None = None
    #: A callback refused because its ``event_hash`` did not verify (403): what it claimed to
    #: be, for display only (never trusted, never stored as an event).
    unverified: Event | None = None

    @property
    def acknowledged(self) -> bool:
        """Whether this answer tells Dropbox Sign the delivery succeeded."""
        return self.status == 200 and self.text == ACK_TEXT


class Refusal(Exception):
    """Internal: a request is refused with this status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class CallbackReceiver:
    """Parses, verifies and stores callback requests for one listener."""

    def __init__(
        self,
        store: EventStore,
        *,
        api_keys: Iterable[str] = (),
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tolerance: float | None = None,
    ) -> None:
        self.store = store
        self.api_keys = tuple(key for key in api_keys if key)
        self.max_body_bytes = max_body_bytes
        self.tolerance = tolerance

    def receive(self, request: RequestInfo) -> Answer:
        """Judge one request and record it; return the answer to send."""
        when = request.received_at
        event: Event | None = None
        try:
            event = self._parse(request)
            verified = self._verify(event)
        except Refusal as refusal:
            return self._refuse(request, refusal.status, refusal.reason, unverified=event)
        except Exception as exc:  # a last resort: never crash, never acknowledge
            logger.warning("unreadable callback", exc_info=True)
            return self._refuse(request, 400, f"unreadable callback ({type(exc).__name__})")
        try:
            record = self.store.record_event(request, event, verified=verified)
        except (StoreError, OverflowError, ValueError) as exc:
            logger.warning("not acknowledging %s: %s", event.event_type, exc)
            return Answer(
                503, "event not stored (store unavailable), retry later", None, event, when
            )
        return Answer(200, ACK_TEXT, record, event, when)

    def _refuse(
        self, request: RequestInfo, status: int, reason: str, *, unverified: Event | None = None
    ) -> Answer:
        reason = _ACK_PATTERN.sub("<ack text>", reason)  # a refusal never carries the ACK text
        try:
            record = self.store.record_rejection(request, status, reason, event=unverified)
        except StoreError as exc:
            logger.warning("could not record a rejected delivery: %s", exc)
            record = None
        return Answer(status, reason, record, None, request.received_at, unverified)

    def _parse(self, request: RequestInfo) -> Event:
        if request.method != "POST":
            raise Refusal(405, f"method {request.method} not allowed: callbacks are POSTed")
        size = request.body_size if request.body_size is not None else len(request.body)
        if size > self.max_body_bytes:
            raise Refusal(413, f"body of {size} bytes is over the {self.max_body_bytes} byte cap")
        text = self._payload_text(request)
        try:
            return parse_event(text)
        except PayloadError as exc:
            raise Refusal(400, str(exc)) from exc

    @staticmethod
    def _payload_text(request: RequestInfo) -> bytes:
        raw_type, _, parameters = (request.content_type or "").strip().partition(";")
        media_type = raw_type.strip().lower()  # media types are case-insensitive; boundaries not
        content_type = f"{media_type};{parameters}" if parameters else media_type
        if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            arguments: dict[str, list[bytes]] = {}
            files: dict = {}
            try:
                parse_body_arguments(content_type, request.body, arguments, files, request.headers)
            except HTTPInputError as exc:  # tornado >= 6.5 raises; older versions log and go on
                raise Refusal(
                    400, str(exc).replace("Invalid multipart/form-data: ", "", 1)
                ) from exc
            fields = arguments.get("json", []) + [f["body"] for f in files.get("json", [])]
            if len(fields) > 1:
                raise Refusal(400, "form body has more than one field named 'json'")
            if fields:
                return fields[0]
            if media_type == "multipart/form-data" and b"boundary=" not in content_type.encode():
                raise Refusal(400, "multipart body without a boundary")
            raise Refusal(400, "form body has no field named 'json'")
        if media_type in _JSON_TYPES:
            if not request.body.strip():
                raise Refusal(400, "empty body: expected a 'json' form field or a JSON object")
            return request.body
        raise Refusal(415, f"unsupported Content-Type {media_type!r}: send a 'json' field or JSON")

    def _verify(self, event: Event) -> bool | None:
        if not self.api_keys:
            return None
        try:
            verify_event(event, self.api_keys, tolerance=self.tolerance)
        except SignatureVerificationError as exc:
            raise Refusal(403, str(exc)) from exc
        return True


__all__ = ["Answer", "CallbackReceiver", "DEFAULT_MAX_BODY_BYTES", "Verdict"]
