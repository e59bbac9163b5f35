"""Sending a callback: how Dropbox Sign builds, signs, encodes and judges one delivery.

Shared by the emulator's dispatcher, ``hsnb trigger`` and the tests, so that every callback hsnb
sends looks like a real one: a ``multipart/form-data`` POST with a libcurl-style boundary and one
form field named ``json`` (no filename, no per-part Content-Type, CRLF line ends) holding the
compact JSON payload.
"""

from __future__ import annotations

import copy
import json
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

from hsnb.errors import TriggerError
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


def resign(payload: Mapping[str, Any], api_key: str) -> dict[str, Any]:
    """A copy of ``payload`` whose ``event_hash`` is signed again with ``api_key`` (after its
    ``event_time`` or ``event_type`` changed, or to re-send it under another account's key)."""
    signed = copy.deepcopy(dict(payload))
    event = signed["event"]
    event["event_hash"] = compute_event_hash(api_key, event["event_time"], event["event_type"])
    return signed


def parse_override(text: str) -> tuple[str, Any]:
    """``"signature_request.title=NDA"`` -> ``("signature_request.title", "NDA")``.

    The value is read as JSON when it is JSON (``true``, ``3``, ``null``, ``{"a": 1}``,
    ``'"7"'`` for the string 7), else taken as text.

    >>> parse_override('signature_request.metadata={"case": 7}')
    ('signature_request.metadata', {'case': 7})
    >>> parse_override("signature_request.title=NDA v2")
    ('signature_request.title', 'NDA v2')
    """
    path, sep, raw = text.partition("=")
    if not sep or not path.strip():
        raise TriggerError(
            f"an override is PATH=VALUE (e.g. signature_request.title=NDA): {text!r}"
        )
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return path.strip(), value


def apply_overrides(
    payload: Mapping[str, Any], overrides: Mapping[str, Any] | Iterable[tuple[str, Any]]
) -> dict[str, Any]:
    """A copy of ``payload`` with each dotted ``path`` set to its value, in order.

    Dots separate keys from the payload's root (``event.event_metadata.event_message``); a
    whole number indexes a list (``signature_request.signatures.1.status_code``). Missing keys
    are created; a path through a value that is neither an object nor a list, or past a
    list's end, raises :class:`~hsnb.errors.TriggerError`. ``event_hash`` is not re-signed here
    (see :func:`resign`).

    >>> apply_overrides({"event": {"event_type": "x"}}, {"event.event_metadata.reason": "hi"})
    {'event': {'event_type': 'x', 'event_metadata': {'reason': 'hi'}}}
    """
    result = copy.deepcopy(dict(payload))
    items = overrides.items() if isinstance(overrides, Mapping) else overrides
    for path, value in items:
        *parents, last = path.split(".")
        node: Any = result
        for depth, key in enumerate(parents):
            if isinstance(node, list):
                node = node[_index(node, key, path)]
            else:
                if node.get(key) is None:
                    node[key] = {}
                node = node[key]
            if not isinstance(node, dict | list):
                where = ".".join(parents[: depth + 1])
                raise TriggerError(f"override {path!r}: {where} is {node!r}, not an object")
        if isinstance(node, list):
            node[_index(node, last, path)] = value
        else:
            node[last] = value
    return result


def _index(items: list[Any], key: str, path: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        size = len(items)
        raise TriggerError(f"override {path!r}: {key!r} is not an index of a {size}-item list")
    return int(key)


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


#: Dropbox Sign gives a receiver this long (seconds) to answer one attempt.
CALLBACK_TIMEOUT_SECONDS = 30.0

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
