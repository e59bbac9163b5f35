"""Callback delivery over real HTTP: payload, signature, retry schedule, timeouts, faults."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
import requests
import tornado.web
from dropbox_sign import EventCallbackHelper
from dropbox_sign.models import EventCallbackRequest

from hsnb.emulator import Emulator
from hsnb.emulator.service.config import RetryPolicy
from hsnb.emulator.service.dispatcher import retry_delay, should_retry
from hsnb.events import ACK_TEXT, parse_event, verify_event
from hsnb.payloads import classify
from hsnb.runtime import serve_app
from hsnb.testing import Receiver
from tests.emulator.helpers import FAST, create_form

MINUTE = 60


def create(emulator, count=2, document_name=None):
    form = create_form(emulator.client_id, document_name or "nda-two-signers.pdf", count)
    response = requests.post(
        emulator.api_url + "/signature_request/create_embedded",
        auth=(emulator.api_key, ""),
        timeout=10,
        **form,
    )
    assert response.status_code == 200, response.text
    return response.json()["signature_request"]


# -- the policy as pure functions --------------------------------------------------------------


def test_retry_schedule_is_five_minutes_times_three_to_the_n():
    delays = [retry_delay(n) for n in range(1, 7)]
    assert delays == [
        5 * MINUTE,
        15 * MINUTE,
        45 * MINUTE,
        135 * MINUTE,
        405 * MINUTE,
        1215 * MINUTE,
    ]
    assert sum(delays) == 30 * 3600 + 20 * MINUTE


def test_six_retries_after_the_first_attempt():
    assert [should_retry(n) for n in range(1, 9)] == [True] * 6 + [False] * 2


def test_retry_numbers_start_at_one():
    with pytest.raises(ValueError, match="numbered from 1"):
        retry_delay(0)


@pytest.mark.parametrize(
    ("status", "body", "timed_out", "outcome"),
    [
        (200, ACK_TEXT.encode(), False, "acknowledged"),
        (200, b"prefix " + ACK_TEXT.encode() + b" suffix", False, "acknowledged"),
        (200, b"OK", False, "wrong_answer"),
        (500, ACK_TEXT.encode(), False, "http_error"),
        (None, b"", True, "timeout"),
        (None, b"", False, "connection_error"),
    ],
)
def test_classify(status, body, timed_out, outcome):
    assert classify(status, body, timed_out=timed_out) == outcome


# -- deliveries --------------------------------------------------------------------------------


def test_delivery_is_multipart_with_one_json_field_signed_with_the_api_key(emulator, receiver):
    emulator.callback_url = receiver.url
    sr = create(emulator)
    (received,) = receiver.wait_for(1)
    assert received.content_type.startswith("multipart/form-data; boundary=")
    event = parse_event(received.payload)
    assert event.event_type == "signature_request_sent"
    assert event.signature_request_id == sr["signature_request_id"]
    assert verify_event(event, emulator.api_key) == emulator.api_key
    assert event.account_guid == emulator.account_id
    assert event.reported_for_account_id == emulator.account_id


def test_official_sdk_accepts_the_callback(emulator, receiver):
    emulator.callback_url = receiver.url
    create(emulator)
    (received,) = receiver.wait_for(1)
    callback = EventCallbackRequest.init(received.payload)
    assert EventCallbackHelper.is_valid(emulator.api_key, callback)
    assert EventCallbackHelper.get_callback_type(callback) == "account_callback"


def test_app_callback_goes_to_the_app_url_reported_for_the_app(emulator, receiver):
    emulator.app_callback_url = receiver.url
    create(emulator)
    (received,) = receiver.wait_for(1)
    callback = EventCallbackRequest.init(received.payload)
    assert EventCallbackHelper.get_callback_type(callback) == "app_callback"
    assert received.payload["client_id"] == emulator.client_id


def test_wrong_answer_is_retried_on_schedule_until_acknowledged_then_stops(emulator, receiver):
    receiver.script = [(200, "OK", 0.0), (200, "thanks", 0.0), (500, "oops", 0.0)]
    emulator.callback_url = receiver.url
    create(emulator)
    assert emulator.wait_settled(5)
    attempts = emulator.attempts()
    assert [a.outcome for a in attempts] == [
        "wrong_answer",
        "wrong_answer",
        "http_error",
        "acknowledged",
    ]
    gaps = [later.sent_at - earlier.sent_at for earlier, later in itertools.pairwise(attempts)]
    assert gaps == [5 * MINUTE, 15 * MINUTE, 45 * MINUTE]
    assert attempts[-1].next_attempt_at is None
    time.sleep(0.05)
    assert len(receiver.received) == 4


def test_every_attempt_is_logged_with_status_and_body_excerpt(emulator, receiver):
    receiver.script = [(403, "Forbidden by proxy", 0.0)]
    emulator.callback_url = receiver.url
    create(emulator)
    assert emulator.wait_settled(5)
    first = emulator.attempts()[0]
    assert (first.status, first.body_excerpt, first.attempt) == (403, "Forbidden by proxy", 1)
    assert first.next_attempt_at == first.sent_at + 5 * MINUTE
    frame = emulator.deliveries()
    assert list(frame["outcome"]) == ["http_error", "acknowledged"]
    assert str(frame["sent_at"].dt.tz) == "UTC"


def test_unreachable_url_gives_up_after_six_retries_and_dead_letters(emulator):
    emulator.callback_url = "http://127.0.0.1:9/nobody-listens"
    create(emulator)
    assert emulator.wait_settled(10)
    attempts = emulator.attempts()
    assert len(attempts) == 7
    assert {a.outcome for a in attempts} == {"connection_error"}
    assert attempts[-1].sent_at - attempts[0].sent_at == 30 * 3600 + 20 * MINUTE
    assert [d.event_type for d in emulator.dispatcher.dead_letters] == ["signature_request_sent"]


def test_slow_receiver_times_out_and_is_retried():
    receiver = Receiver(script=[(200, ACK_TEXT, 1.0)])
    try:
        with Emulator(**{**FAST, "min_callback_timeout": 0.2}) as emulator:
            emulator.callback_url = receiver.url
            create(emulator)
            assert emulator.wait_settled(5)
            assert [a.outcome for a in emulator.attempts()] == ["timeout", "acknowledged"]
    finally:
        receiver.stop()


def test_slow_receiver_does_not_block_the_api(receiver):
    receiver.script = [(200, ACK_TEXT, 3.0)]
    with Emulator(**{**FAST, "min_callback_timeout": 5}) as emulator:
        emulator.callback_url = receiver.url
        sr = create(emulator)
        receiver.wait_for(1)
        started = time.monotonic()
        response = requests.get(
            f"{emulator.api_url}/signature_request/{sr['signature_request_id']}",
            auth=(emulator.api_key, ""),
            timeout=10,
        )
        assert response.status_code == 200
        assert time.monotonic() - started < 2.0  # the receiver holds its answer for 3 s


def test_one_receiver_gets_events_in_order(emulator, receiver):
    emulator.callback_url = receiver.url
    sr = create(emulator)
    receiver.wait_for(1)
    for signer in sr["signatures"]:
        emulator.sign(signer["signature_id"])
    receiver.wait_for(7)
    assert receiver.types() == [
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]


def test_malformed_tag_gives_file_error_and_no_sent_over_http(emulator, receiver):
    emulator.callback_url = receiver.url
    sr = create(emulator, count=1, document_name="malformed-tag.pdf")
    assert emulator.wait_settled(5)
    assert receiver.types() == ["file_error"]
    payload = receiver.received[0].payload
    assert payload["signature_request"]["has_error"] is True
    assert payload["signature_request"]["signatures"][0]["status_code"] == "error_text_tag"
    assert payload["event"]["event_metadata"]["event_message"]
    got = requests.get(
        f"{emulator.api_url}/signature_request/{sr['signature_request_id']}",
        auth=(emulator.api_key, ""),
        timeout=10,
    ).json()["signature_request"]
    assert got["has_error"] is True


def test_callback_test_on_demand(emulator, receiver):
    emulator.callback_url = receiver.url
    emulator.callback_test()
    (received,) = receiver.wait_for(1)
    assert set(received.payload) == {"event"}
    assert received.event_type == "callback_test"
    assert EventCallbackHelper.is_valid(
        emulator.api_key, EventCallbackRequest.init(received.payload)
    )


def test_dropped_delivery_is_retried(emulator, receiver):
    emulator.inject_fault("callback", "drop")
    emulator.callback_url = receiver.url
    create(emulator)
    assert emulator.wait_settled(5)
    assert [a.outcome for a in emulator.attempts()] == ["dropped", "acknowledged"]
    assert len(receiver.received) == 1


def test_duplicated_delivery_arrives_twice(emulator, receiver):
    emulator.inject_fault("callback", "duplicate", match="signature_request_sent")
    emulator.callback_url = receiver.url
    create(emulator)
    assert emulator.wait_settled(5)
    assert receiver.types() == ["signature_request_sent", "signature_request_sent"]


def test_delayed_delivery_waits_emulated_seconds(receiver):
    with Emulator(**{**FAST, "time_scale": None}) as emulator:
        emulator.inject_fault("callback", "delay", seconds=600)
        emulator.callback_url = receiver.url
        create(emulator)
        time.sleep(0.1)
        assert receiver.received == []
        emulator.advance(600)
        receiver.wait_for(1)


def test_retry_policy_is_configurable(receiver):
    receiver.script = [(500, "no", 0.0)] * 3
    policy = RetryPolicy(base_delay=10, factor=2, max_retries=2)
    with Emulator(**FAST, retry=policy) as emulator:
        emulator.callback_url = receiver.url
        create(emulator)
        assert emulator.wait_settled(5)
        attempts = emulator.attempts()
        assert [a.sent_at - attempts[0].sent_at for a in attempts] == [0, 10, 30]
        assert len(emulator.dispatcher.dead_letters) == 1


# -- timing APIs: in flight, idle, next deadline ------------------------------------------------


def test_manual_clock_walks_from_deadline_to_deadline(manual_emulator, receiver):
    manual_emulator.callback_url = receiver.url
    now = manual_emulator.clock.now()
    create(manual_emulator)
    assert manual_emulator.next_deadline() == now + 5
    manual_emulator.advance(manual_emulator.next_deadline() - now)
    assert manual_emulator.wait_idle(5)
    assert receiver.types() == ["signature_request_sent"]
    assert manual_emulator.dispatcher.in_flight == 0
    assert manual_emulator.next_deadline() is None


def test_wait_idle_does_not_wait_for_a_retry(manual_emulator, receiver):
    receiver.script = [(500, "no", 0.0)]
    manual_emulator.callback_url = receiver.url
    create(manual_emulator)
    manual_emulator.advance(5)
    assert manual_emulator.wait_idle(5)
    (attempt,) = manual_emulator.attempts()
    assert attempt.outcome == "http_error"
    assert manual_emulator.next_deadline() == attempt.sent_at + 5 * MINUTE
    assert (manual_emulator.dispatcher.in_flight, manual_emulator.dispatcher.unsettled) == (0, 1)


def test_delayed_delivery_is_not_in_flight_until_its_time(manual_emulator, receiver):
    manual_emulator.inject_fault("callback", "delay", seconds=30)
    manual_emulator.callback_url = receiver.url
    create(manual_emulator)
    manual_emulator.advance(5)
    assert manual_emulator.wait_idle(5)
    assert receiver.received == []
    assert manual_emulator.next_deadline() == manual_emulator.clock.now() + 30
    manual_emulator.advance(30)
    assert manual_emulator.wait_idle(5)
    assert receiver.types() == ["signature_request_sent"]


def test_a_post_on_the_wire_is_in_flight_and_wait_idle_times_out(manual_emulator, receiver):
    receiver.script = [(200, ACK_TEXT, 0.5)]
    manual_emulator.callback_url = receiver.url
    create(manual_emulator)
    manual_emulator.advance(5)
    receiver.wait_for(1)
    assert manual_emulator.dispatcher.in_flight == 1
    assert manual_emulator.wait_idle(0.05) is False
    assert manual_emulator.wait_idle(5)
    assert [a.outcome for a in manual_emulator.attempts()] == ["acknowledged"]


class _Counting(tornado.web.RequestHandler):
    """ACKs each callback after holding it a moment, counting how many it holds at once."""

    def initialize(self, seen: dict[str, int]) -> None:
        self.seen = seen

    async def post(self) -> None:
        self.seen["now"] += 1
        self.seen["most"] = max(self.seen["most"], self.seen["now"])
        await asyncio.sleep(0.2)
        self.seen["now"] -= 1
        self.finish(ACK_TEXT)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_callback_concurrency_is_how_many_attempts_one_url_has_in_flight(concurrency):
    seen = {"now": 0, "most": 0}
    with serve_app([(r".*", _Counting, {"seen": seen})]) as served:
        settings = {**FAST, "callback_concurrency": concurrency}
        with Emulator(**settings, callback_url=served.url("/callback")) as emulator:
            for _ in range(6):
                emulator.callback_test()
            assert emulator.wait_settled(30)
            outcomes = [a.outcome for a in emulator.attempts()]
    assert outcomes == ["acknowledged"] * 6
    assert seen["most"] == concurrency


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_callback_concurrency_is_a_whole_number_of_at_least_one(bad):
    with pytest.raises(ValueError, match="callback_concurrency must be a whole number >= 1"):
        Emulator(**{**FAST, "callback_concurrency": bad})
