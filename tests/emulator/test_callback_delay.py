"""``callback_delay``: the service's queueing lag between an event and its first delivery."""

from __future__ import annotations

import pytest
import requests

from hsnb.emulator import Emulator
from tests.emulator.helpers import FAST, create_form


def create(emulator: Emulator) -> dict:
    response = requests.post(
        emulator.api_url + "/signature_request/create_embedded",
        auth=(emulator.api_key, ""),
        timeout=10,
        **create_form(emulator.client_id),
    )
    assert response.status_code == 200, response.text
    return response.json()["signature_request"]


def test_no_delay_by_default_and_no_draw_from_the_random_source(make_harness):
    plain, delayed = make_harness(seed=3), make_harness(seed=3, callback_delay=0)
    for h in (plain, delayed):
        h.sent()
    assert [d.delay for d in plain.deliveries] == [0.0]
    first, second = (h.backend.random.request_id() for h in (plain, delayed))
    assert first == second


def test_each_delivery_draws_its_own_delay_from_the_seed(make_harness):
    runs = []
    for _ in range(2):
        h = make_harness(seed=5, callback_delay="uniform:1,10")
        h.backend.update_app(
            h.account, h.backend.default_app.client_id, {"callback_url": "http://127.0.0.1:9/app"}
        )
        h.sent()
        runs.append([d.delay for d in h.deliveries])
    assert runs[0] == runs[1]
    account, app = runs[0]
    assert 1 <= account <= 10 and 1 <= app <= 10 and account != app


def test_callback_test_is_delayed_too(make_harness):
    h = make_harness(callback_delay=4)
    delivery = h.backend.callback_test(h.account)
    assert h.deliveries == [delivery]
    assert delivery.delay == 4


@pytest.mark.parametrize("spec", [12, "12", "fixed:12"])
def test_first_attempt_waits_the_delay_in_emulated_time(receiver, spec):
    settings = {**FAST, "time_scale": None, "processing_delay": 5, "callback_delay": spec}
    with Emulator(**settings) as emulator:
        emulator.callback_url = receiver.url
        create(emulator)
        emulator.advance(5)
        assert emulator.wait_idle(5)
        assert receiver.received == []
        assert emulator.next_deadline() == emulator.clock.now() + 12
        emulator.advance(12)
        assert emulator.wait_idle(5)
        (attempt,) = emulator.attempts()
        assert attempt.sent_at - attempt.event_time == 12
        assert receiver.types() == ["signature_request_sent"]


def test_delay_fault_adds_to_the_callback_delay(receiver):
    settings = {**FAST, "time_scale": None, "processing_delay": 0, "callback_delay": 10}
    with Emulator(**settings) as emulator:
        emulator.inject_fault("callback", "delay", seconds=5)
        emulator.callback_url = receiver.url
        create(emulator)
        emulator.advance(0)
        assert emulator.wait_idle(5)
        assert emulator.next_deadline() == emulator.clock.now() + 15


def test_retries_keep_their_schedule_after_the_delay(receiver):
    receiver.script = [(500, "no", 0.0)]
    with Emulator(**{**FAST, "callback_delay": 30}) as emulator:
        emulator.callback_url = receiver.url
        create(emulator)
        assert emulator.wait_settled(5)
        first, second = emulator.attempts()
        assert first.sent_at - first.event_time == 30
        assert second.sent_at - first.sent_at == 300
