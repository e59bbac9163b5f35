"""Send realistic, correctly signed callbacks to any URL and judge each answer.

What ``hsnb trigger`` does: it lets anyone test their own callback handler (production or local)
the way Dropbox Sign would exercise it: a libcurl-style multipart POST with one ``json`` field, a
30 s timeout, and success only on HTTP 200 with ``Hello API Event Received`` in the body.
:func:`sample_payload` builds one event (``overrides`` change any field, then it is signed
again); :func:`scenario` sends a request's whole life (:mod:`hsnb.scenarios`) with optional
duplicates, disorder, loss and pauses, and reports each delivery as Dropbox Sign would judge it.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from hsnb.events import ACK_TEXT, SIGNATURE_REQUEST_EVENT_TYPES, TEMPLATE_EVENT_TYPES
from hsnb.payloads import (
    CALLBACK_TIMEOUT_SECONDS,
    apply_overrides,
    build_event_payload,
    classify,
    encode_callback_multipart,
    is_acknowledged,
    resign,
)
from hsnb.scenarios import (
    DECLINE_REASON,
    PlannedDelivery,
    SampleRequest,
    lifecycle,
    plan,
    random_hex,
)

#: Overrides: dotted path -> value, as a mapping or as pairs (a path may then repeat).
Overrides = Mapping[str, Any] | Iterable[tuple[str, Any]]

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
    #: :func:`hsnb.payloads.classify`'s verdict: acknowledged, wrong_answer, http_error,
    #: timeout or connection_error.
    outcome: str = ""

    def explain(self, *, with_answer: bool = False) -> str:
        """One line saying whether the receiver answered correctly, and if not, why;
        ``with_answer`` adds the start of a refusal's body (a listener says its reason)."""
        if self.error:
            return f"FAILED: {self.error} (Dropbox Sign would retry)"
        if self.acknowledged:
            return f"OK: {self.status} {ACK_TEXT!r} in {self.elapsed * 1000:.0f} ms"
        if self.status != 200:
            why = f"status {self.status}, expected 200"
            if with_answer and self.body_excerpt.strip():
                why += f", answer {self.body_excerpt.strip()[:80]!r}"
        else:
            why = f"body {self.body_excerpt[:60]!r} lacks {ACK_TEXT!r}"
        return f"NOT ACKNOWLEDGED: {why} (Dropbox Sign would retry)"


def sample_payload(
    event_type: str,
    api_key: str,
    *,
    event_time: int | None = None,
    seed: int | None = None,
    signature_request_id: str | None = None,
    client_id: str | None = None,
) -> dict[str, Any]:
    """A realistic payload for ``event_type``, signed with ``api_key``.

    Signature-request events carry a two-signer request (the first signer is the related one),
    template events a template, ``account_confirmed`` an account, ``callback_test`` only the
    event, as the real dashboard test does. ``seed`` makes the ids reproducible. With
    ``client_id`` it is an app callback: ``reported_for_app_id`` and ``client_id`` set,
    ``reported_for_account_id`` null (as the emulator sends app callbacks).
    """
    rng = random.Random(seed)
    account_id = random_hex(rng, 40)
    event_time = int(time.time()) if event_time is None else event_time
    extra: dict[str, Any] = {}
    related = None
    if event_type in SIGNATURE_REQUEST_EVENT_TYPES:
        request = _sample_signature_request(
            rng, event_type, event_time, signature_request_id, client_id
        )
        related = request["signatures"][0]["signature_id"]
        extra["signature_request"] = request
    elif event_type in TEMPLATE_EVENT_TYPES:
        extra["template"] = {
            "template_id": random_hex(rng, 40),
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
        reported_for_account_id=None if client_id else account_id,
        reported_for_app_id=client_id,
        account_guid=account_id,
        client_id=client_id,
        include_top_level_ids=event_type != "callback_test",
        event_message=DECLINE_REASON if event_type.endswith("_declined") else None,
        **extra,
    )


def _sample_signature_request(
    rng: random.Random,
    event_type: str,
    event_time: int,
    request_id: str | None,
    client_id: str | None,
) -> dict[str, Any]:
    request = SampleRequest.draw(
        rng, event_time - 60, signature_request_id=request_id, client_id=client_id
    )
    if event_type in ("signature_request_all_signed", "signature_request_downloadable"):
        request.status = ["signed", "signed"]
        request.signed_at = [event_time, event_time]
    elif event_type == "signature_request_signed":
        request.status[0], request.signed_at[0] = "signed", event_time
    elif event_type == "signature_request_declined":
        request.status[0], request.is_declined = "declined", True
    request.has_error = event_type in ("file_error", "unknown_error", "signature_request_invalid")
    return request.to_json()


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
    except requests.Timeout:
        elapsed = time.monotonic() - started
        reason = f"no answer within {timeout:g} s"
        return TriggerResult(url, event_type, None, "", elapsed, error=reason, outcome="timeout")
    except requests.RequestException as exc:
        elapsed = time.monotonic() - started
        reason = f"{type(exc).__name__}: {exc}"
        outcome = "connection_error"
        return TriggerResult(url, event_type, None, "", elapsed, error=reason, outcome=outcome)
    elapsed = time.monotonic() - started
    excerpt = response.content[:_EXCERPT].decode("utf-8", "replace")
    acknowledged = is_acknowledged(response.status_code, response.content)
    outcome = classify(response.status_code, response.content)
    return TriggerResult(
        url, event_type, response.status_code, excerpt, elapsed, acknowledged, outcome=outcome
    )


def customise(
    payload: Mapping[str, Any], api_key: str, overrides: Overrides = ()
) -> dict[str, Any]:
    """``payload`` with ``overrides`` (dotted path -> value, see
    :func:`hsnb.payloads.apply_overrides`) applied, then signed again with ``api_key`` so a
    changed ``event_time`` or ``event_type`` still verifies; overriding ``event.event_hash``
    itself keeps the value given (to test a forgery)."""
    items = list(overrides.items() if isinstance(overrides, Mapping) else overrides)
    changed = apply_overrides(payload, items)
    if any(path == "event.event_hash" for path, _ in items):
        return changed
    return resign(changed, api_key)


@dataclass(frozen=True)
class ScenarioDelivery:
    """One planned delivery of a scenario and, unless it was lost, how it was answered."""

    planned: PlannedDelivery
    result: TriggerResult | None

    @property
    def outcome(self) -> str:
        """``lost``, or the answer's outcome (see :attr:`TriggerResult.outcome`)."""
        return "lost" if self.result is None else self.result.outcome

    def describe(self) -> str:
        """One line: the event, its place in the true order, duplicate or lost, the verdict."""
        planned = self.planned
        label = f"#{planned.position + 1} {planned.event_type}"
        related = planned.payload["event"].get("event_metadata", {}).get("related_signature_id")
        if related:
            label += f" ({related[:8]})"
        if planned.copy:
            label += " [duplicate]"
        if self.result is None:
            return f"{label}: LOST (not sent)"
        return f"{label}: {self.result.explain(with_answer=True)}"


@dataclass(frozen=True)
class ScenarioReport:
    """What a scenario sent to ``url`` and how each delivery was judged."""

    scenario: str
    url: str
    deliveries: list[ScenarioDelivery] = field(default_factory=list)

    @property
    def sent(self) -> list[ScenarioDelivery]:
        """The deliveries actually POSTed (lost ones left out)."""
        return [d for d in self.deliveries if d.result is not None]

    @property
    def ok(self) -> bool:
        """Whether every delivery sent was acknowledged."""
        return all(d.outcome == "acknowledged" for d in self.sent)

    @property
    def in_order(self) -> bool:
        """Whether the deliveries sent kept the events' true order."""
        positions = [d.planned.position for d in self.sent]
        return positions == sorted(positions)

    def outcomes(self) -> Counter[str]:
        """How many deliveries came to each outcome (``lost`` included)."""
        return Counter(d.outcome for d in self.deliveries)

    def summary(self) -> str:
        """One line: events, deliveries, duplicates, losses, order, and the outcomes."""
        events = len({d.planned.position for d in self.deliveries})
        duplicates = sum(1 for d in self.sent if d.planned.copy)
        lost = sum(1 for d in self.deliveries if d.result is None)
        order = "in order" if self.in_order else "out of order"
        counts = ", ".join(f"{n} {name}" for name, n in sorted(self.outcomes().items()))
        return (
            f"{self.scenario}: {events} events, {len(self.sent)} deliveries sent "
            f"({duplicates} duplicate, {lost} lost, {order}); {counts}"
        )

    def explain(self) -> str:
        """One line per delivery, then the summary."""
        return "\n".join([*(d.describe() for d in self.deliveries), self.summary()])


def scenario(
    name: str,
    url: str,
    api_key: str,
    *,
    signers: int = 2,
    duplicates: float = 0.0,
    disorder: float = 0.0,
    loss: float = 0.0,
    delay: float | tuple[float, float] = 0.0,
    seed: int | None = None,
    app: str | None = None,
    overrides: Overrides = (),
    start_time: int | None = None,
    signature_request_id: str | None = None,
    timeout: float = CALLBACK_TIMEOUT_SECONDS,
    on_delivery: Callable[[ScenarioDelivery], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ScenarioReport:
    """Send scenario ``name`` (``happy``, ``declined``, ``file_error``) to ``url`` and judge
    each delivery as Dropbox Sign would.

    The events are one request's life (:func:`hsnb.scenarios.lifecycle`) signed with
    ``api_key``, ending now unless ``start_time`` is given, as app callbacks of ``app`` (a
    ``client_id``) when given, with ``overrides`` applied to each. ``duplicates``,
    ``disorder`` and ``loss`` are probabilities per event and ``delay`` the pause before each
    POST (seconds, or a ``(low, high)`` range): see :func:`hsnb.scenarios.plan`. The same
    ``seed`` gives the same ids and the same plan. ``on_delivery`` sees each delivery as it
    is judged (the CLI prints it). Deliveries are sent one at a time and never retried.

    >>> report = scenario("happy", "http://127.0.0.1:9/", "key", loss=1.0, seed=1)
    >>> report.summary()
    'happy: 7 events, 0 deliveries sent (0 duplicate, 7 lost, in order); 7 lost'
    """
    span = signers * 2 + 2
    first = int(time.time()) - span if start_time is None else start_time
    payloads = lifecycle(
        name,
        api_key,
        signers=signers,
        start_time=first,
        seed=seed,
        client_id=app,
        signature_request_id=signature_request_id,
    )
    if overrides:
        payloads = [customise(payload, api_key, overrides) for payload in payloads]
    pauses = (delay, delay) if isinstance(delay, int | float) else tuple(delay)
    planned = plan(
        payloads, duplicates=duplicates, disorder=disorder, loss=loss, delay=pauses, seed=seed
    )
    report = ScenarioReport(name, url)
    with requests.Session() as session:
        for item in planned:
            result = None
            if not item.lost:
                if item.pause:
                    sleep(item.pause)
                result = send_callback(url, dict(item.payload), timeout=timeout, session=session)
            delivery = ScenarioDelivery(item, result)
            report.deliveries.append(delivery)
            if on_delivery is not None:
                on_delivery(delivery)
    return report
