"""Send one realistic, correctly signed callback to any URL and judge the answer.

What ``hsnb trigger`` does: it lets anyone test their own callback handler (production or local)
the way Dropbox Sign would exercise it: a libcurl-style multipart POST with one ``json`` field, a
30 s timeout, and success only on HTTP 200 with ``Hello API Event Received`` in the body.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import requests

from hsnb.events import ACK_TEXT, SIGNATURE_REQUEST_EVENT_TYPES, TEMPLATE_EVENT_TYPES
from hsnb.payloads import build_event_payload, encode_callback_multipart, is_acknowledged

#: Dropbox Sign gives a receiver this long to answer one attempt.
CALLBACK_TIMEOUT_SECONDS = 30.0
_EXCERPT = 200


@dataclass(frozen=True)
class TriggerResult:
    """How a receiver answered one callback."""

    url: str
    event_type: str
    status: int | None
    body_excerpt: str
    elapsed: float
    acknowledged: bool = False  # whether Dropbox Sign would count the delivery as received
    error: str | None = None

    def explain(self) -> str:
        """One line saying whether the receiver answered correctly, and if not, why."""
        if self.error:
            return f"FAILED: {self.error} (Dropbox Sign would retry)"
        if self.acknowledged:
            return f"OK: {self.status} {ACK_TEXT!r} in {self.elapsed * 1000:.0f} ms"
        if self.status != 200:
            why = f"status {self.status}, expected 200"
        else:
            why = f"body {self.body_excerpt[:60]!r} lacks {ACK_TEXT!r}"
        return f"NOT ACKNOWLEDGED: {why} (Dropbox Sign would retry)"


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def sample_payload(
    event_type: str,
    api_key: str,
    *,
    event_time: int | None = None,
    seed: int | None = None,
    signature_request_id: str | None = None,
) -> dict[str, Any]:
    """A realistic payload for ``event_type``, signed with ``api_key``.

    Signature-request events carry a two-signer request (the first signer is the related one),
    template events a template, ``account_confirmed`` an account, ``callback_test`` only the
    event, as the real dashboard test does. ``seed`` makes the ids reproducible.
    """
    rng = random.Random(seed)
    account_id = _hex(rng, 40)
    event_time = int(time.time()) if event_time is None else event_time
    extra: dict[str, Any] = {}
    related = None
    if event_type in SIGNATURE_REQUEST_EVENT_TYPES:
        request = _sample_signature_request(rng, event_type, event_time, signature_request_id)
        related = request["signatures"][0]["signature_id"]
        extra["signature_request"] = request
    elif event_type in TEMPLATE_EVENT_TYPES:
        extra["template"] = {
            "template_id": _hex(rng, 40),
            "title": "Mutual NDA",
            "message": "",
            "updated_at": event_time,
            "is_embedded": False,
            "metadata": {},
            "signer_roles": [{"name": "Client", "order": 0}],
            "cc_roles": [],
        }
    elif event_type == "account_confirmed":
        extra["account"] = {
            "account_id": account_id,
            "email_address": "new.user@example.com",
            "is_locked": False,
            "is_paid_hs": False,
            "is_paid_hf": False,
            "callback_url": None,
            "role_code": None,
        }
    return build_event_payload(
        event_type,
        event_time,
        api_key,
        related_signature_id=related,
        reported_for_account_id=account_id,
        account_guid=account_id,
        include_top_level_ids=event_type != "callback_test",
        event_message="Not the right contract" if event_type.endswith("_declined") else None,
        **extra,
    )


def _sample_signature_request(
    rng: random.Random, event_type: str, event_time: int, request_id: str | None
) -> dict[str, Any]:
    request_id = request_id or _hex(rng, 40)
    signed = event_type in ("signature_request_all_signed", "signature_request_downloadable")
    signers = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]
    signatures = []
    for order, (name, email) in enumerate(signers):
        first_signed = order == 0 and event_type == "signature_request_signed"
        status = "signed" if signed or first_signed else "awaiting_signature"
        if event_type == "signature_request_declined" and order == 0:
            status = "declined"
        signatures.append(
            {
                "signature_id": _hex(rng, 32),
                "signer_email_address": email,
                "signer_name": name,
                "signer_role": None,
                "order": order,
                "status_code": status,
                "signed_at": event_time if status == "signed" else None,
                "last_viewed_at": None,
                "last_reminded_at": None,
                "has_pin": False,
                "has_sms_auth": False,
                "has_sms_delivery": False,
                "sms_phone_number": None,
                "error": None,
            }
        )
    return {
        "signature_request_id": request_id,
        "test_mode": True,
        "title": "Mutual NDA",
        "original_title": "Mutual NDA",
        "subject": "Mutual NDA",
        "message": "Please sign.",
        "metadata": {},
        "created_at": event_time - 60,
        "is_complete": signed,
        "is_declined": event_type == "signature_request_declined",
        "has_error": event_type in ("file_error", "unknown_error", "signature_request_invalid"),
        "custom_fields": [],
        "response_data": [],
        "signing_url": None,
        "signing_redirect_url": None,
        "files_url": f"https://api.hellosign.com/v3/signature_request/files/{request_id}",
        "details_url": f"https://app.hellosign.com/home/manage?guid={request_id}",
        "requester_email_address": "me@example.com",
        "signatures": signatures,
        "cc_email_addresses": [],
        "template_ids": None,
        "client_id": None,
    }


def send_callback(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float = CALLBACK_TIMEOUT_SECONDS,
    session: requests.Session | None = None,
) -> TriggerResult:
    """POST ``payload`` to ``url`` as Dropbox Sign does and report how the receiver answered."""
    body, content_type = encode_callback_multipart(payload)
    event_type = payload["event"]["event_type"]
    started = time.monotonic()
    poster = session or requests
    try:
        response = poster.post(
            url, data=body, headers={"Content-Type": content_type}, timeout=timeout
        )
    except requests.RequestException as exc:
        elapsed = time.monotonic() - started
        reason = f"{type(exc).__name__}: {exc}"
        return TriggerResult(url, event_type, None, "", elapsed, error=reason)
    elapsed = time.monotonic() - started
    excerpt = response.content[:_EXCERPT].decode("utf-8", "replace")
    acknowledged = is_acknowledged(response.status_code, response.content)
    return TriggerResult(url, event_type, response.status_code, excerpt, elapsed, acknowledged)
