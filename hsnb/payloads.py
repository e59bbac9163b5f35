"""Sending a callback: how Dropbox Sign builds, signs, encodes and judges one delivery.

Shared by the emulator's dispatcher, ``hsnb trigger`` and the tests, so that every callback hsnb
sends looks like a real one: a ``multipart/form-data`` POST with a libcurl-style boundary and one
form field named ``json`` (no filename, no per-part Content-Type, CRLF line ends) holding the
compact JSON payload.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from typing import Any

from hsnb.events import ACK_TEXT, compute_event_hash


def build_event_payload(
    event_type: str,
    event_time: int | str,
    api_key: str,
    *,
    signature_request: Mapping[str, Any] | None = None,
    template: Mapping[str, Any] | None = None,
    account: Mapping[str, Any] | None = None,
    related_signature_id: str | None = None,
    reported_for_account_id: str | None = None,
    reported_for_app_id: str | None = None,
    event_message: str | None = None,
    account_guid: str | None = None,
    client_id: str | None = None,
    include_top_level_ids: bool = True,
) -> dict[str, Any]:
    """Build a callback payload as Dropbox Sign does, with ``event_hash`` signed by ``api_key``.

    ``account_guid`` and ``client_id`` are top-level keys of real deliveries (not in the spec);
    ``include_top_level_ids=False`` leaves them out, as ``callback_test`` deliveries do.
    """
    event_time = str(event_time)
    payload: dict[str, Any] = {
        "event": {
            "event_time": event_time,
            "event_type": event_type,
            "event_hash": compute_event_hash(api_key, event_time, event_type),
            "event_metadata": {
                "related_signature_id": related_signature_id,
                "reported_for_account_id": reported_for_account_id,
                "reported_for_app_id": reported_for_app_id,
                "event_message": event_message,
            },
        }
    }
    if include_top_level_ids:
        payload["account_guid"] = account_guid
        payload["client_id"] = client_id
    if signature_request is not None:
        payload["signature_request"] = dict(signature_request)
    if template is not None:
        payload["template"] = dict(template)
    if account is not None:
        payload["account"] = dict(account)
    return payload


def compact_json(payload: Mapping[str, Any]) -> str:
    """Serialise a payload the way Dropbox Sign does: compact, no spaces."""
    return json.dumps(payload, separators=(",", ":"))


def encode_callback_multipart(
    payload: Mapping[str, Any] | str, boundary: str | None = None
) -> tuple[bytes, str]:
    """Encode a payload as the multipart body of one delivery; return ``(body, content_type)``."""
    text = payload if isinstance(payload, str) else compact_json(payload)
    boundary = boundary or "-" * 24 + secrets.token_hex(8)
    body = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="json"\r\n'
        "\r\n"
        f"{text}\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    return body, f"multipart/form-data; boundary={boundary}"


#: What one delivery attempt came to: acknowledged, or why not (``dropped``: by fault injection).
ATTEMPT_OUTCOMES = (
    "acknowledged",
    "wrong_answer",
    "http_error",
    "timeout",
    "connection_error",
    "dropped",
)


def is_acknowledged(status: int | None, body: bytes | str | None, *, exact: bool = False) -> bool:
    """Whether an answer counts as received: HTTP 200 with the ACK text in its body (``exact``:
    the body is exactly the ACK text, the newer glossary's reading).

    >>> is_acknowledged(200, "Hello API Event Received\\n"), is_acknowledged(200, "x ", exact=True)
    (True, False)
    """
    if status != 200 or body is None:
        return False
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    return text == ACK_TEXT if exact else ACK_TEXT in text


def classify(
    status: int | None, body: bytes | None, *, timed_out: bool = False, exact: bool = False
) -> str:
    """The outcome of one attempt (one of :data:`ATTEMPT_OUTCOMES`): acknowledged or why not.

    >>> classify(200, b"Hello API Event Received"), classify(200, b"OK"), classify(None, None)
    ('acknowledged', 'wrong_answer', 'connection_error')
    """
    if status is None:
        return "timeout" if timed_out else "connection_error"
    if status == 200:
        return "acknowledged" if is_acknowledged(status, body, exact=exact) else "wrong_answer"
    return "http_error"
