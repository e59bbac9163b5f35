"""The callback domain: event types, the parsed :class:`Event`, the event hash and its check.

This module is shared by the listener (which verifies) and the emulator (which signs): there is
one :func:`compute_event_hash` in the whole code base.

Dropbox Sign signs an event as ``hex(HMAC-SHA256(key=API key, msg=event_time + event_type))``.
The hash covers only the time and the type, not the body, and is the same for every event of one
type in one second, so it is neither an event id nor a guard against replayed bodies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hsnb.errors import PayloadError, SignatureVerificationError

#: The exact text a receiver must answer (HTTP 200, text/plain) for a delivery to count.
ACK_TEXT = "Hello API Event Received"

#: The 30 event types of the current official SDK (dropbox-sign 2.0.0), in the spec's order.
KNOWN_EVENT_TYPES: tuple[str, ...] = (
    "account_confirmed",
    "unknown_error",
    "file_error",
    "sign_url_invalid",
    "signature_request_viewed",
    "signature_request_signed",
    "signature_request_sent",
    "signature_request_all_signed",
    "signature_request_email_bounce",
    "signature_request_remind",
    "signature_request_incomplete_qes",
    "signature_request_destroyed",
    "signature_request_canceled",
    "signature_request_downloadable",
    "signature_request_declined",
    "signature_request_reassigned",
    "signature_request_invalid",
    "signature_request_prepared",
    "signature_request_expired",
    "template_created",
    "template_error",
    "callback_test",
    "signature_request_signer_removed",
    "fax_received",
    "fax_sent",
    "fax_on_hold",
    "fax_busy",
    "fax_no_answer",
    "fax_disconnected",
    "fax_blacklisted",
)
_LIFE_ORDER = (
    "signature_request_sent",
    "signature_request_viewed",
    "signature_request_signed",
    "signature_request_all_signed",
    "signature_request_downloadable",
    "signature_request_declined",
    "signature_request_canceled",
    "signature_request_remind",
    "signature_request_expired",
    "file_error",
    "unknown_error",
    "signature_request_invalid",
)
#: The known types in the order of a request's life, then the rest in the spec's order: how
#: tables sort and list them (events of one second then read sent, viewed, signed, ...).
EVENT_ORDER: tuple[str, ...] = _LIFE_ORDER + tuple(
    t for t in KNOWN_EVENT_TYPES if t not in _LIFE_ORDER
)

#: Types that carry a ``signature_request`` object.
SIGNATURE_REQUEST_EVENT_TYPES: tuple[str, ...] = tuple(
    t for t in KNOWN_EVENT_TYPES if t.startswith("signature_request_")
) + ("file_error", "unknown_error", "sign_url_invalid")
#: Types that carry a ``template`` object.
TEMPLATE_EVENT_TYPES: tuple[str, ...] = ("template_created", "template_error")

#: ``event_time`` has at most this many digits (Unix seconds up to the year 2286).
MAX_TIME_DIGITS = 10

#: A JSON escape of a UTF-16 surrogate (``\ud800``..``\udfff``): a pair is fine, a lone one is not.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

#: ``EventCallbackHelper.get_callback_type`` values of the official SDK.
ACCOUNT_CALLBACK = "account_callback"
APP_CALLBACK = "app_callback"


def is_known_event_type(event_type: str) -> bool:
    """Whether ``event_type`` is one of the 30 types the current official SDK knows."""
    return event_type in KNOWN_EVENT_TYPES


def compute_event_hash(api_key: str, event_time: str | int, event_type: str) -> str:
    """Return the lowercase hex HMAC-SHA256 Dropbox Sign puts in ``event.event_hash``.

    ``event_time`` is concatenated exactly as received (a number uses its decimal form).

    >>> compute_event_hash("key", "1348177752", "callback_test")[:12]
    '335e2470f864'
    """
    if not api_key:
        raise ValueError("compute_event_hash needs a non-empty API key")
    message = f"{event_time}{event_type}".encode()
    return hmac.new(api_key.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Event:
    """One callback event, parsed leniently from the JSON Dropbox Sign POSTs.

    Unknown event types are kept as received (``is_known_type`` is then false), extra keys are
    kept in ``payload``, and a missing ``event_metadata`` is fine. ``payload`` is the whole
    decoded JSON object.
    """

    event_type: str
    event_time: str
    event_hash: str
    payload: Mapping[str, Any] = field(repr=False, compare=False)
    related_signature_id: str | None = None
    reported_for_account_id: str | None = None
    reported_for_app_id: str | None = None
    event_message: str | None = None
    account_guid: str | None = None
    client_id: str | None = None
    json_text: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_known_type(self) -> bool:
        """Whether the official SDK knows this event type."""
        return is_known_event_type(self.event_type)

    @property
    def event_timestamp(self) -> int:
        """``event_time`` as integer Unix seconds."""
        return int(self.event_time)

    @property
    def callback_type(self) -> str:
        """``"app_callback"`` when reported for an app, else ``"account_callback"`` (as the SDK)."""
        return APP_CALLBACK if self.reported_for_app_id else ACCOUNT_CALLBACK

    @property
    def signature_request(self) -> Mapping[str, Any] | None:
        """The attached ``signature_request`` object, if any."""
        return _object_or_none(self.payload.get("signature_request"))

    @property
    def template(self) -> Mapping[str, Any] | None:
        """The attached ``template`` object, if any."""
        return _object_or_none(self.payload.get("template"))

    @property
    def account(self) -> Mapping[str, Any] | None:
        """The attached ``account`` object, if any."""
        return _object_or_none(self.payload.get("account"))

    @property
    def signature_request_id(self) -> str | None:
        """The id of the attached signature request, if any."""
        sr = self.signature_request
        return _str_or_none(sr.get("signature_request_id")) if sr else None

    @property
    def subject_id(self) -> str | None:
        """The id of whatever the event is about: signature request, template or account."""
        if self.signature_request_id:
            return self.signature_request_id
        if self.template:
            return _str_or_none(self.template.get("template_id"))
        if self.account:
            return _str_or_none(self.account.get("account_id"))
        return None

    @property
    def signer(self) -> Mapping[str, Any] | None:
        """The ``signatures[]`` entry named by ``related_signature_id``, if attached."""
        sr = self.signature_request
        if not sr or not self.related_signature_id:
            return None
        for signature in sr.get("signatures") or ():
            if isinstance(signature, Mapping) and (
                signature.get("signature_id") == self.related_signature_id
            ):
                return signature
        return None

    @cached_property
    def identity(self) -> str:
        """The key under which retries of one logical event collapse into one stored event.

        Dropbox Sign sends no event id, and the hash repeats for every event of one type in one
        second, so identity is the tuple (event_type, event_time, subject id, related signature,
        reported-for account, reported-for app), hashed. Retries of a delivery carry the same
        payload and so the same identity; the account and the app callback of one event are two
        deliveries to two receivers and stay two events.
        """
        parts = [
            self.event_type,
            self.event_time,
            self.subject_id,
            self.related_signature_id,
            self.reported_for_account_id,
            self.reported_for_app_id,
        ]
        return hashlib.sha256(_COMPACT_JSON.encode(parts).encode()).hexdigest()[:32]

    def to_json(self) -> str:
        """The payload as JSON: the text received when parsed from text, else compact JSON."""
        if self.json_text is not None:
            return self.json_text
        return json.dumps(self.payload, separators=(",", ":"))


def parse_event(data: str | bytes | Mapping[str, Any]) -> Event:
    """Parse a callback payload (JSON text or an already decoded object) into an :class:`Event`.

    JSON text must be strict (RFC 8259 with I-JSON's rules): ``NaN``, ``Infinity``, a number
    too large for a double (``1e999``) and a lone UTF-16 surrogate (``"\\ud800"``) are refused,
    so whatever is stored is valid JSON and every stored string can be printed.

    Raises :class:`PayloadError` naming the first problem: not JSON (or not strict), not an
    object, no ``event`` object, or a required field (``event_type``, ``event_time``,
    ``event_hash``) missing or of the wrong kind.
    """
    text = None
    if isinstance(data, (bytes, bytearray)):
        try:
            data = bytes(data).decode("utf-8-sig")  # a leading BOM is allowed (RFC 8259)
        except UnicodeDecodeError as exc:
            raise PayloadError(f"payload is not UTF-8: {exc.reason}") from exc
    elif isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a str may hold what UTF-8 bytes cannot
            raise PayloadError("payload is not valid Unicode (a lone surrogate)") from exc
    if isinstance(data, str):
        text = data.removeprefix("\ufeff")
        data = _strict_loads(text)
    if not isinstance(data, Mapping):
        raise PayloadError(f"payload must be a JSON object, not {type(data).__name__}")
    event = data.get("event")
    if not isinstance(event, Mapping):
        raise PayloadError("payload has no 'event' object")
    event_type = event.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise PayloadError("event.event_type is missing or not a string")
    event_time = event.get("event_time")
    if isinstance(event_time, bool) or not isinstance(event_time, (str, int)):
        raise PayloadError("event.event_time is missing or not a string of Unix seconds")
    event_time = str(event_time)
    if not (event_time.isascii() and event_time.isdigit()) or len(event_time) > MAX_TIME_DIGITS:
        raise PayloadError("event.event_time is not Unix seconds")
    event_hash = event.get("event_hash")
    if not isinstance(event_hash, str):
        raise PayloadError("event.event_hash is missing or not a string")
    metadata = event.get("event_metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    return Event(
        event_type=event_type,
        event_time=event_time,
        event_hash=event_hash,
        payload=data,
        related_signature_id=_str_or_none(metadata.get("related_signature_id")),
        reported_for_account_id=_str_or_none(metadata.get("reported_for_account_id")),
        reported_for_app_id=_str_or_none(metadata.get("reported_for_app_id")),
        event_message=_str_or_none(metadata.get("event_message")),
        account_guid=_str_or_none(data.get("account_guid")),
        client_id=_str_or_none(data.get("client_id")),
        json_text=text,
    )


def _strict_loads(text: str) -> Any:
    """``json.loads`` that refuses what is not strict JSON, with :class:`PayloadError`."""
    try:
        if text.startswith("\ufeff"):  # as json.loads says it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _STRICT_JSON.decode(text)
    except PayloadError:
        raise
    except json.JSONDecodeError as exc:
        raise PayloadError(f"payload is not valid JSON: {exc.msg} at char {exc.pos}") from exc
    except ValueError as exc:  # e.g. a number past Python's digit limit
        raise PayloadError("payload is not valid JSON: a number is too long") from exc
    if _SURROGATE_ESCAPE.search(text):  # rare: only then walk the decoded value
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PayloadError(
                "payload is not valid Unicode: it escapes a lone UTF-16 surrogate"
            ) from exc
    return data


def _no_constant(name: str) -> Any:
    raise PayloadError(f"payload is not strict JSON: {name} is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        shown = literal if len(literal) <= 24 else literal[:21] + "..."
        raise PayloadError(f"payload is not strict JSON: {shown} is too large for a number")
    return value


#: One decoder and one encoder for every payload (``json.loads`` with options, and ``json.dumps``
#: with separators, build a new one per call).
_STRICT_JSON = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def verify_event(
    event: Event,
    api_keys: str | Iterable[str],
    *,
    tolerance: float | None = None,
    now: float | None = None,
) -> str:
    """Check ``event.event_hash`` against each key in constant time; return the key that matched.

    ``tolerance`` (seconds) optionally refuses events whose ``event_time`` is further than that
    from ``now``. Leave it off for real callbacks: retries keep their original ``event_time``
    and arrive up to 30 hours later.

    Raises :class:`SignatureVerificationError` with the reason when no key matches, when no key
    is given, or when the event is outside the window.
    """
    keys = [api_keys] if isinstance(api_keys, str) else [k for k in api_keys if k]
    if not keys:
        raise SignatureVerificationError("no API key to verify the event_hash with")
    if tolerance is not None:
        current = time.time() if now is None else now
        age = current - event.event_timestamp
        if abs(age) > tolerance:
            raise SignatureVerificationError(
                f"event_time is {age:.0f} s from now, outside the {tolerance:.0f} s window"
            )
    received = event.event_hash.lower().encode()
    matched = None
    for key in keys:
        expected = compute_event_hash(key, event.event_time, event.event_type).encode()
        if hmac.compare_digest(expected, received) and matched is None:
            matched = key
    if matched is None:
        raise SignatureVerificationError("event_hash does not match any configured API key")
    return matched


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def _object_or_none(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None
