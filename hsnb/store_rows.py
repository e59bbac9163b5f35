"""What the event store writes: a :class:`Write` (one delivery to record), and the SQL rows it
becomes (:func:`delivery_row`, :func:`event_row`, :func:`forward_row`, for the statements
beside them). :mod:`hsnb.writer` commits them; nothing here touches a connection.

A refused request keeps a bounded prefix of what it was sent (forged floods cannot fill the
disk); a callback is kept whole, compressed, and its event's payload is read back from it.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from hsnb.event_fields import FIELDS, event_fields
from hsnb.events import Event
from hsnb.records import (
    BODY_CODEC,
    ForwardRecord,
    RecordResult,
    RequestInfo,
    Verdict,
    headers_json,
    iso_utc,
    pack_body,
)

#: A refused request keeps at most this much of its body (its full size is kept in body_size).
REFUSED_BODY_BYTES = 1024
#: ... and of its headers (as JSON text), its reason and the event type it claimed.
REFUSED_HEADERS_CHARS = 4096
REASON_CHARS = 500
CLAIMED_TYPE_CHARS = 100

#: The statements :mod:`hsnb.writer` runs, each with the values of its row function below.
INSERT_DELIVERY = (
    "INSERT INTO deliveries (delivery_id, received_at, method, path, remote_ip, content_type,"
    " headers, body, body_size, status, verdict, reason, event_key, event_type, verified_by,"
    " received_wall_at, body_codec, scripted)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
RECORD_FORWARD = (
    "UPDATE deliveries SET forwarded_status = ?, forwarded_body_excerpt = ?,"
    " forwarded_duration = ?, forward_outcome = ? WHERE delivery_id = ?"
)
INSERT_EVENT = (
    "INSERT INTO events (event_id, event_key, first_delivery_id, received_at, event_type,"
    " event_time, signature_request_id, verified, payload, received_wall_at, payload_start,"
    f" payload_length, {', '.join(FIELDS)})"
    f" VALUES ({', '.join('?' * (12 + len(FIELDS)))})"
)
COUNT_DELIVERY = "UPDATE events SET delivery_count = delivery_count + 1 WHERE event_id = ?"


@dataclass(eq=False)
class Write:
    """One delivery to record: an event to store (``event`` given), or a refusal; or, with
    ``forwarded``, a relayed delivery's handler answer, recorded onto its stored row.

    ``future`` (if any: nobody may wait) resolves to the :class:`RecordResult` once the
    transaction holding the write committed, or fails with :class:`~hsnb.errors.StoreError`.
    It may be an ``asyncio`` future: it is then resolved on its own loop (one wake-up per batch
    and loop).
    """

    request: RequestInfo
    status: int
    reason: str | None = None
    event: Event | None = None
    verified: bool | None = None
    verified_by: str | None = None
    #: For a refusal: the event the body claimed to be (its hash did not verify), whose type
    #: the delivery row keeps; never stored as an event.
    claimed: Event | None = None
    #: The scripted answer rule that answered in the listener's place (:mod:`hsnb.answers`).
    scripted: str | None = None
    #: Where the event's JSON text lies in ``request.body``: (start, length) in bytes, when the
    #: parser knew it; else the writer looks for it there.
    payload_span: tuple[int, int] | None = None
    forwarded: ForwardRecord | None = None
    future: Future[RecordResult] | asyncio.Future[RecordResult] | None = field(
        default=None, repr=False
    )

    @cached_property
    def received_at(self) -> str:
        """When the request arrived, as stored (ISO 8601, UTC; on an emulator's clock when the
        request carried it signed, see :mod:`hsnb.clock_header`)."""
        return iso_utc(self.request.received_at)

    @cached_property
    def received_wall_at(self) -> str | None:
        """The wall-clock arrival when ``received_at`` is on an emulator's clock, else ``None``."""
        wall = self.request.received_wall_at
        return None if wall is None else iso_utc(wall)


def delivery_row(
    delivery_id: int, write: Write, verdict: Verdict, key: str | None = None
) -> tuple[Any, ...]:
    """The values of :data:`INSERT_DELIVERY` for ``write`` (``key``: its event's, if any)."""
    request = write.request
    refused = verdict is Verdict.REJECTED
    # a refusal keeps a prefix of what it was sent: forged floods cannot fill the disk; a
    # callback is kept whole, compressed (its event's payload is read back from it)
    if refused:
        body, codec = bytes(request.body[:REFUSED_BODY_BYTES]), None
    else:
        body, codec = pack_body(request.body), BODY_CODEC
    event_type = write.event.event_type if write.event is not None else None
    if write.claimed is not None:  # what a refused body claimed: kept short, never trusted
        event_type = write.claimed.event_type[:CLAIMED_TYPE_CHARS]
    return (
        delivery_id,
        write.received_at,
        request.method,
        request.path,
        request.remote_ip,
        request.content_type,
        headers_json(request.headers, REFUSED_HEADERS_CHARS if refused else None),
        body,
        request.size,
        write.status,
        verdict.value,
        write.reason[:REASON_CHARS] if write.reason else None,
        key,
        event_type,
        write.verified_by,
        write.received_wall_at,
        codec,
        write.scripted,
    )


def forward_row(forwarded: ForwardRecord) -> tuple[Any, ...]:
    """The values of :data:`RECORD_FORWARD` for a relayed delivery's handler answer."""
    return (
        forwarded.status,
        forwarded.body_excerpt,
        forwarded.duration,
        forwarded.outcome,
        forwarded.record.delivery_id,
    )


def event_row(event_id: int, key: str, delivery_id: int, write: Write) -> tuple[Any, ...]:
    """The values of :data:`INSERT_EVENT` for the new event that ``write`` holds."""
    event = write.event
    assert event is not None
    # the payload is kept once: as where it lies in the delivery's body when it is there
    # verbatim (Dropbox Sign's multipart, a JSON body), else as text
    span = write.payload_span or find_payload(event, write.request.body)
    return (
        event_id,
        key,
        delivery_id,
        write.received_at,
        event.event_type,
        event.event_timestamp,
        event.signature_request_id,
        None if write.verified is None else int(write.verified),
        "" if span else event.to_json(),
        write.received_wall_at,
        *(span or (None, None)),
        *event_fields(event),
    )


def find_payload(event: Event, body: bytes) -> tuple[int, int] | None:
    """Where ``event``'s JSON text lies verbatim in ``body`` (start, length), if it does."""
    encoded = event.to_json().encode()
    start = body.find(encoded)
    return (start, len(encoded)) if start >= 0 else None
