"""The flat fields of one event, taken from its payload once: what the store keeps beside it.

The store writes these values into the ``events`` table when it stores an event (schema 5), so a
frame of a million events is read as columns, without parsing a million JSON payloads again.
The same function reads a payload logged elsewhere (:mod:`hsnb.logs.jsonl`) and an older store
whose rows lack the columns, so every path gives the same values.

Values from the attached objects are taken only when they have the documented kind (a boolean,
a whole number, Unix seconds in range, text); anything else is missing, so one odd payload can
never make a whole frame fail. Nothing here imports pandas: the store's writer uses it.

>>> from hsnb.events import parse_event
>>> event = parse_event('{"event": {"event_type": "callback_test", "event_time": "5",'
...                     ' "event_hash": "x"}, "account_guid": "a1"}')
>>> dict(zip(FIELDS, event_fields(event)))["account_guid"]
'a1'
"""

from __future__ import annotations

from typing import Any

from hsnb.events import Event

#: Unix seconds before the year 2287: what a timestamp column holds.
LATEST_SECONDS = 10**10

#: The fields, in the order :func:`event_fields` gives them, and their SQLite column types.
#: ``created_at`` is Unix seconds (an integer, or a number with a fraction as sent); the flags
#: are 0/1; ``event_type``, ``event_time`` and ``signature_request_id`` have columns of their own.
FIELD_TYPES: dict[str, str] = {
    "title": "TEXT",
    "created_at": "NUMERIC",
    "signer_count": "INTEGER",
    "related_signature_id": "TEXT",
    "signer_name": "TEXT",
    "signer_email_address": "TEXT",
    "signer_status_code": "TEXT",
    "signer_order": "INTEGER",
    "is_complete": "INTEGER",
    "is_declined": "INTEGER",
    "has_error": "INTEGER",
    "test_mode": "INTEGER",
    "reported_for_account_id": "TEXT",
    "reported_for_app_id": "TEXT",
    "account_guid": "TEXT",
    "client_id": "TEXT",
    "event_message": "TEXT",
}
FIELDS: tuple[str, ...] = tuple(FIELD_TYPES)


def event_fields(event: Event) -> tuple[Any, ...]:
    """The values of :data:`FIELDS` for one event, leniently (see the module docstring)."""
    request = event.signature_request or {}
    signer = event.signer or {}
    signatures = request.get("signatures")
    return (
        text(request.get("title")),
        epoch_seconds(request.get("created_at")),
        len(signatures) if isinstance(signatures, list) else None,
        event.related_signature_id,
        text(signer.get("signer_name")),
        text(signer.get("signer_email_address")),
        text(signer.get("status_code")),
        whole(signer.get("order")),
        flag(request.get("is_complete")),
        flag(request.get("is_declined")),
        flag(request.get("has_error")),
        flag(request.get("test_mode")),
        event.reported_for_account_id,
        event.reported_for_app_id,
        event.account_guid,
        event.client_id,
        event.event_message,
    )


def epoch_seconds(value: Any) -> int | float | None:
    """Unix seconds as given, when they are a number in range; anything else is missing."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if 0 <= value < LATEST_SECONDS else None


def flag(value: Any) -> bool | None:
    """A boolean, or missing."""
    return value if isinstance(value, bool) else None


def whole(value: Any) -> int | None:
    """A whole number a float64 holds exactly, or missing."""
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) >= 2**53:
        return None
    return value


def text(value: Any) -> str | None:
    """Text, or missing."""
    return value if isinstance(value, str) else None
