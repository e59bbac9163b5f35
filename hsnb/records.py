"""What the event store keeps about one request: the request as received, a verdict, a result.

These types are shared by the store (:mod:`hsnb.store`), its writer (:mod:`hsnb.writer`) and
the receiver that judges requests (:mod:`hsnb.receiver`); :mod:`hsnb.store` re-exports them.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache

from hsnb.events import Event

#: Header names kept only as ``<redacted>``: credentials a sender (or a proxy) may add.
REDACTED_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-forwarded-authorization"}
)
#: A header whose name holds one of these words is redacted too (``X-Api-Key``, ``X-Auth-Token``).
REDACTED_WORDS = ("key", "token", "secret", "password", "auth", "session", "credential")


#: How the store keeps the body of a callback it stored (``deliveries.body_codec``): raw DEFLATE
#: (RFC 1951). A refused body (at most 1 KiB) and every body of a store before schema 5 is kept
#: as it came (``body_codec`` missing). :func:`unpack_body` gives back the bytes received.
BODY_CODEC = "deflate"
#: DEFLATE level 1 with a 4 KiB window: a 2.4 KB callback becomes about 0.9 KB in about 10 us,
#: where zlib's defaults (a 32 KiB window) spend most of their time setting up for small inputs.
_DEFLATE = (1, zlib.DEFLATED, -12, 4)


def pack_body(body: bytes) -> bytes:
    """A body as the store keeps it under :data:`BODY_CODEC`."""
    packer = zlib.compressobj(*_DEFLATE)
    return packer.compress(body) + packer.flush()


def unpack_body(stored: bytes, codec: str | None) -> bytes:
    """The bytes received, from a stored body and its ``body_codec``.

    >>> unpack_body(pack_body(b"--b\\r\\n{}"), BODY_CODEC)
    b'--b\\r\\n{}'
    """
    if codec is None:
        return bytes(stored)
    if codec != BODY_CODEC:
        raise ValueError(f"unknown body codec {codec!r}")
    return zlib.decompress(stored, -15)


class Verdict(StrEnum):
    """What the listener decided about one delivery."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RequestInfo:
    """One HTTP request as received, before any judgement."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    remote_ip: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    body_size: int | None = None  # the size sent, when ``body`` was cut at a cap
    #: The wall-clock arrival when ``received_at`` is on an emulator's clock (else ``None``).
    received_wall_at: datetime | None = None

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, if any."""
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return None

    @property
    def size(self) -> int:
        """The size of the body as sent (``body_size``, else the length of ``body``)."""
        return self.body_size if self.body_size is not None else len(self.body)


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: the parsed :class:`Event` plus bookkeeping."""

    event_id: int
    event: Event
    received_at: datetime
    delivery_count: int
    verified: bool | None


@dataclass(frozen=True)
class RecordResult:
    """The outcome of recording one delivery.

    ``delivery_id`` is ``None`` for a refusal that was answered but not stored, because the
    store had grown past its size guard (see :class:`hsnb.store.EventStore`).
    """

    delivery_id: int | None
    verdict: Verdict
    event_id: int | None = None


@dataclass(frozen=True)
class ForwardRecord:
    """A relayed delivery's handler answer, recorded onto that delivery's row (``record``) after
    it was stored (see :mod:`hsnb.relay`): the handler's status (``None``: no answer), the start
    of its text, real seconds, and how Dropbox Sign would count it
    (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`)."""

    record: RecordResult
    status: int | None
    body_excerpt: str
    duration: float
    outcome: str


@lru_cache(maxsize=1024)
def is_redacted_header(name: str) -> bool:
    """Whether a header's value is a credential that the store must not keep."""
    lowered = name.lower()
    return lowered in REDACTED_HEADERS or any(word in lowered for word in REDACTED_WORDS)


def headers_json(headers: Mapping[str, str], limit: int | None = None) -> str:
    """The headers as a JSON object, credentials redacted, at most ``limit`` characters.

    Past the limit, the headers that do not fit are left out and counted under ``"..."``.
    """
    kept = {
        name: ("<redacted>" if is_redacted_header(name) else value)
        for name, value in headers.items()
    }
    text = json.dumps(kept)
    if limit is None or len(text) <= limit:
        return text
    fitted: dict[str, str] = {}
    used = 2
    for name, value in kept.items():
        cost = len(json.dumps(name)) + len(json.dumps(value)) + 4
        if used + cost > limit - 40:
            break
        fitted[name] = value
        used += cost
    fitted["..."] = f"{len(kept) - len(fitted)} more headers not kept"
    return json.dumps(fitted)


def key_fingerprint(api_key: str) -> str:
    """A short name for an API key that does not reveal it: ``sha256:`` and 12 hex digits.

    Stored with each verified delivery (``verified_by``), so a store says which of several
    keys matched without holding any of them.

    >>> key_fingerprint("demo-api-key")
    'sha256:ca6f2e39b2ff'
    """
    return "sha256:" + hashlib.sha256(api_key.encode()).hexdigest()[:12]


def iso_utc(moment: datetime) -> str:
    """A timezone-aware moment as ISO 8601 text in UTC, to the microsecond."""
    if moment.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")
