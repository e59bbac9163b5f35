"""A signature request's whole life as callbacks, and how a network might deliver it.

:func:`lifecycle` builds the payloads Dropbox Sign sends for one request, in their true order,
each carrying the request as it stood then (signers' status, ``signed_at``, ``is_complete``):

* ``happy``: ``sent``, then per signer ``viewed`` and ``signed``, then ``all_signed`` and
  ``downloadable``;
* ``declined``: ``sent``, the first signer ``viewed`` and ``declined`` (with a reason);
* ``file_error``: ``file_error`` alone (processing failed; never ``sent``).

:func:`plan` then decides, from one seeded random source, which deliveries are lost, which are
sent twice, which arrive out of order and how long to pause before each: the things a handler
must survive. Nothing here sends anything (see :func:`hsnb.trigger.scenario`).

>>> [p["event"]["event_type"] for p in lifecycle("declined", "key", seed=1, start_time=0)]
['signature_request_sent', 'signature_request_viewed', 'signature_request_declined']
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hsnb.errors import TriggerError
from hsnb.payloads import build_event_payload

#: The scenarios :func:`lifecycle` knows.
SCENARIOS: tuple[str, ...] = ("happy", "declined", "file_error")
DECLINE_REASON = "Not the right contract"
_SIGNERS = (
    ("Jack Doe", "jack@example.com"),
    ("Jill Doe", "jill@example.com"),
    ("Joan Doe", "joan@example.com"),
    ("John Doe", "john@example.com"),
)


def random_hex(rng: random.Random, length: int) -> str:
    """``length`` lowercase hex digits from ``rng`` (ids look like Dropbox Sign's)."""
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


@dataclass
class SampleRequest:
    """A made-up signature request whose state moves as its events are built."""

    signature_request_id: str
    signature_ids: list[str]
    created_at: int
    signers: Sequence[tuple[str, str]] = _SIGNERS[:2]
    client_id: str | None = None
    title: str = "Mutual NDA"
    status: list[str] = field(default_factory=list)
    signed_at: list[int | None] = field(default_factory=list)
    viewed_at: list[int | None] = field(default_factory=list)
    is_declined: bool = False
    has_error: bool = False

    @classmethod
    def draw(
        cls,
        rng: random.Random,
        created_at: int,
        *,
        signers: int = 2,
        signature_request_id: str | None = None,
        client_id: str | None = None,
    ) -> SampleRequest:
        """A request with ``signers`` signers (1 to 4) and ids drawn from ``rng``."""
        if not 1 <= signers <= len(_SIGNERS):
            raise TriggerError(f"signers must be 1 to {len(_SIGNERS)}, not {signers}")
        request_id = signature_request_id or random_hex(rng, 40)
        ids = [random_hex(rng, 32) for _ in range(signers)]
        return cls(request_id, ids, created_at, _SIGNERS[:signers], client_id)

    def __post_init__(self) -> None:
        count = len(self.signature_ids)
        self.status = self.status or ["awaiting_signature"] * count
        self.signed_at = self.signed_at or [None] * count
        self.viewed_at = self.viewed_at or [None] * count

    def to_json(self) -> dict[str, Any]:
        """The ``signature_request`` object of a payload, as the request stands now."""
        return signature_request_object(
            self.signature_request_id,
            title=self.title,
            created_at=self.created_at,
            signatures=[self._signature(i) for i in range(len(self.signature_ids))],
            is_complete=all(s == "signed" for s in self.status),
            is_declined=self.is_declined,
            has_error=self.has_error,
            client_id=self.client_id,
        )

    def _signature(self, i: int) -> dict[str, Any]:
        name, email = self.signers[i]
        return signature_object(
            self.signature_ids[i],
            name,
            email,
            order=i,
            status_code=self.status[i],
            decline_reason=DECLINE_REASON if self.status[i] == "declined" else None,
            signed_at=self.signed_at[i],
            last_viewed_at=self.viewed_at[i],
        )


def signature_request_object(
    request_id: str,
    *,
    title: str,
    created_at: int,
    signatures: list[dict[str, Any]],
    is_complete: bool,
    is_declined: bool,
    has_error: bool,
    client_id: str | None = None,
    test_mode: bool = True,
) -> dict[str, Any]:
    """A payload's ``signature_request`` object with every field Dropbox Sign sends, the ones
    a scenario does not vary at their usual values."""
    return {
        "signature_request_id": request_id,
        "test_mode": test_mode,
        "title": title,
        "original_title": title,
        "subject": title,
        "message": "Please sign.",
        "metadata": {},
        "created_at": created_at,
        "is_complete": is_complete,
        "is_declined": is_declined,
        "has_error": has_error,
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
        "client_id": client_id,
    }


def signature_object(
    signature_id: str,
    name: str,
    email: str,
    *,
    order: int,
    status_code: str,
    decline_reason: str | None = None,
    signed_at: int | None = None,
    last_viewed_at: int | None = None,
) -> dict[str, Any]:
    """One signer's entry in ``signature_request.signatures``."""
    return {
        "signature_id": signature_id,
        "signer_email_address": email,
        "signer_name": name,
        "signer_role": None,
        "order": order,
        "status_code": status_code,
        "decline_reason": decline_reason,
        "signed_at": signed_at,
        "last_viewed_at": last_viewed_at,
        "last_reminded_at": None,
        "has_pin": False,
        "has_sms_auth": False,
        "has_sms_delivery": False,
        "sms_phone_number": None,
        "error": None,
    }


def lifecycle(
    name: str,
    api_key: str,
    *,
    signers: int = 2,
    start_time: int,
    spacing: int = 1,
    seed: int | None = None,
    client_id: str | None = None,
    signature_request_id: str | None = None,
) -> list[dict[str, Any]]:
    """The payloads of scenario ``name`` in their true order, signed with ``api_key``.

    The first event is at ``start_time`` (Unix seconds), each next one ``spacing`` seconds
    later. With ``client_id`` they are app callbacks (``reported_for_app_id`` set,
    ``reported_for_account_id`` null, as the emulator sends them).
    """
    if name not in SCENARIOS:
        raise TriggerError(f"unknown scenario {name!r}; choose one of {', '.join(SCENARIOS)}")
    rng = random.Random(seed)
    account_id = random_hex(rng, 40)
    request = SampleRequest.draw(
        rng,
        start_time - 60,
        signers=signers,
        signature_request_id=signature_request_id,
        client_id=client_id,
    )
    payloads: list[dict[str, Any]] = []

    def emit(event_type: str, related: int | None = None, message: str | None = None) -> None:
        event_time = start_time + spacing * len(payloads)
        if event_type == "signature_request_viewed" and related is not None:
            request.viewed_at[related] = event_time
        elif event_type == "signature_request_signed" and related is not None:
            request.status[related], request.signed_at[related] = "signed", event_time
        elif event_type == "signature_request_declined" and related is not None:
            request.status[related], request.is_declined = "declined", True
        payload = build_event_payload(
            event_type,
            event_time,
            api_key,
            signature_request=request.to_json(),
            related_signature_id=None if related is None else request.signature_ids[related],
            reported_for_account_id=None if client_id else account_id,
            reported_for_app_id=client_id,
            event_message=message,
            account_guid=account_id,
            client_id=client_id,
        )
        payloads.append(payload)

    if name == "file_error":
        request.has_error = True
        emit("file_error")
        return payloads
    emit("signature_request_sent")
    if name == "declined":
        emit("signature_request_viewed", 0)
        emit("signature_request_declined", 0, DECLINE_REASON)
        return payloads
    for index in range(signers):
        emit("signature_request_viewed", index)
        emit("signature_request_signed", index)
    emit("signature_request_all_signed")
    emit("signature_request_downloadable")
    return payloads


@dataclass(frozen=True)
class PlannedDelivery:
    """One POST a scenario makes (or would have made, when ``lost``).

    ``position``: the event's place in the true order (0 = first); ``copy``: 0 for the first
    delivery of the event, 1 for its duplicate; ``pause``: seconds to wait before sending.
    """

    position: int
    payload: Mapping[str, Any] = field(repr=False)
    copy: int = 0
    lost: bool = False
    pause: float = 0.0

    @property
    def event_type(self) -> str:
        """The event's type."""
        return self.payload["event"]["event_type"]


def _probability(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise TriggerError(f"{name} is a probability from 0 to 1, not {value}")
    return value


def plan(
    payloads: Sequence[Mapping[str, Any]],
    *,
    duplicates: float = 0.0,
    disorder: float = 0.0,
    loss: float = 0.0,
    delay: tuple[float, float] = (0.0, 0.0),
    seed: int | None = None,
) -> list[PlannedDelivery]:
    """The deliveries of ``payloads`` in sending order, each event independently:

    * lost with probability ``loss`` (listed, never sent);
    * sent twice with probability ``duplicates`` (the copy up to two places later);
    * moved one to three places later with probability ``disorder`` (a late delivery);
    * preceded by a pause drawn uniformly from ``delay`` (seconds: low, high).

    The same ``seed`` gives the same plan.
    """
    for name, value in (("duplicates", duplicates), ("disorder", disorder), ("loss", loss)):
        _probability(name, value)
    low, high = delay
    if not 0 <= low <= high:
        raise TriggerError(f"delay is low,high seconds with 0 <= low <= high, not {delay}")
    rng = random.Random(seed)
    keyed: list[tuple[float, PlannedDelivery]] = []
    for position, payload in enumerate(payloads):
        lost = rng.random() < loss
        late = rng.uniform(1.0, 3.5) if rng.random() < disorder else 0.0
        twice = rng.random() < duplicates
        keyed.append((position + late, PlannedDelivery(position, payload, lost=lost)))
        if twice and not lost:
            again = PlannedDelivery(position, payload, copy=1)
            keyed.append((position + late + rng.uniform(0.5, 2.5), again))
    keyed.sort(key=lambda item: item[0])
    return [
        PlannedDelivery(
            d.position, d.payload, d.copy, d.lost, 0.0 if d.lost else rng.uniform(low, high)
        )
        for _, d in keyed
    ]
