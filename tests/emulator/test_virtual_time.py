"""Discrete-event time (``time_scale="virtual"``) and CPU work off the loop that keeps time.

Virtual time is checked over real HTTP: a scripted receiver that fails on purpose, a slow one,
holds taken by an actor outside the loop, and the same run twice giving the same log.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict
from typing import Any

import pytest
import tornado.web

from hsnb.clock_header import ANSWER_TIME_HEADER
from hsnb.emulator import DEFAULT_EPOCH, Emulator
from hsnb.emulator.service.clock import Clock
from hsnb.runtime import serve_app
from hsnb.testing import Receiver
from tests.emulator.helpers import FAST, create_form

VIRTUAL: dict[str, Any] = {**FAST, "name": "virtual", "time_scale": "virtual"}
MINUTE = 60


def create(emulator: Emulator, **fields: Any) -> str:
    import requests

    form = create_form(emulator.client_id)
    form["data"].update(fields)
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        auth=(emulator.api_key, ""),
        timeout=10,
        **form,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["signature_request"]["signature_request_id"]


def run(script: list[tuple[int, str, float]], **settings: Any) -> list[dict[str, Any]]:
    """One request under virtual time, a receiver answering from ``script``; the attempt log
    (without the real durations)."""
    with Receiver(script=list(script)) as receiver:
        with Emulator(**{**VIRTUAL, **settings}, callback_url=receiver.url) as emulator:
            create(emulator)
            assert emulator.wait_settled(30)
            attempts = [asdict(a) for a in emulator.attempts()]
            assert emulator.clock.errors == []
    for attempt in attempts:
        attempt.pop("duration")
        attempt.pop("url")
    return attempts


def test_the_clock_jumps_to_each_due_timer_exactly() -> None:
    attempts = run([(500, "no", 0.0), (200, "wrong text", 0.0)], processing_delay=40)
    sent = DEFAULT_EPOCH + 40
    assert [a["event_type"] for a in attempts] == ["signature_request_sent"] * 3
    assert [a["event_time"] for a in attempts] == [sent] * 3
    assert [a["sent_at"] for a in attempts] == [sent, sent + 5 * MINUTE, sent + 20 * MINUTE]
    assert [a["outcome"] for a in attempts] == ["http_error", "wrong_answer", "acknowledged"]


def test_thirty_hours_of_retries_take_no_real_time() -> None:
    started = time.monotonic()
    attempts = run([(500, "no", 0.0)] * 7, processing_delay=2)
    assert len(attempts) == 7
    assert attempts[-1]["sent_at"] - attempts[0]["sent_at"] == 30 * 3600 + 20 * MINUTE
    assert time.monotonic() - started < 20  # bound for a busy machine; it takes well under 1 s


def test_the_same_seed_gives_the_same_run() -> None:
    script = [(500, "no", 0.0), (200, "nope", 0.0)]
    settings = {"processing_delay": "lognormal:40,0.5", "callback_delay": "exponential:2"}
    assert run(script, **settings) == run(script, **settings)


def test_a_slow_receiver_does_not_move_virtual_time() -> None:
    attempts = run([(200, "Hello API Event Received", 0.3)], processing_delay=5)
    assert attempts[0]["sent_at"] == DEFAULT_EPOCH + 5
    assert attempts[0]["outcome"] == "acknowledged"


class _TimedAnswers(tornado.web.RequestHandler):
    """ACKs every callback, saying each answer took the next of ``took`` emulated seconds."""

    def initialize(self, took: list[str]) -> None:
        self.took = took

    def post(self) -> None:
        if self.took:
            self.set_header(ANSWER_TIME_HEADER, self.took.pop(0))
        self.finish("Hello API Event Received")


def timed_run(took: list[str], **settings: Any) -> list[dict[str, Any]]:
    """One request's attempts against a receiver that says how long its answers took."""
    with serve_app([(r".*", _TimedAnswers, {"took": list(took)})]) as served:
        settings = {**VIRTUAL, "processing_delay": 5, **settings}
        with Emulator(**settings, callback_url=served.url("/callback")) as emulator:
            create(emulator)
            assert emulator.wait_settled(30)
            return [asdict(a) for a in emulator.attempts()]


def test_an_answer_that_says_it_took_longer_than_30_s_is_a_timeout_under_virtual_time() -> None:
    attempts = timed_run(["45", "29.5"])
    assert [a["outcome"] for a in attempts] == ["timeout", "acknowledged"]
    assert "the receiver took 45 s" in attempts[0]["error"]
    assert attempts[1]["sent_at"] - attempts[0]["sent_at"] == 5 * MINUTE


def test_the_answer_time_is_ignored_on_a_clock_that_runs() -> None:
    attempts = timed_run(["45"], time_scale=1e-4)
    assert [a["outcome"] for a in attempts] == ["acknowledged"]


@pytest.mark.parametrize("took", ["soon", "-5", "nan", ""])
def test_an_answer_time_that_is_not_a_duration_is_ignored(took: str) -> None:
    assert [a["outcome"] for a in timed_run([took])] == ["acknowledged"]


def test_a_hold_keeps_the_clock_still_until_released() -> None:
    with Emulator(**{**VIRTUAL, "processing_delay": 1}) as emulator:
        assert emulator.virtual_time is not None
        emulator.virtual_time.acquire()
        create(emulator, title="held")  # its processing timer is 1 emulated second away
        time.sleep(0.2)
        assert emulator.clock.now() == DEFAULT_EPOCH
        emulator.virtual_time.release()
        deadline = time.monotonic() + 10
        while emulator.clock.now() == DEFAULT_EPOCH and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emulator.clock.now() > DEFAULT_EPOCH


def test_fire_next_moves_to_the_earliest_deadline() -> None:
    clock = Clock(DEFAULT_EPOCH, time_scale="virtual")
    fired: list[str] = []
    clock.call_later(10, lambda: fired.append("b"))
    clock.call_later(3, lambda: fired.append("a"))
    clock.call_later(10, lambda: fired.append("c"))
    assert clock.fire_next() == 1 and clock.now() == DEFAULT_EPOCH + 3
    assert clock.fire_next() == 2 and clock.now() == DEFAULT_EPOCH + 10
    assert fired == ["a", "b", "c"] and clock.fire_next() == 0


def test_a_bad_time_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="time_scale must be"):
        Clock(0, time_scale="fast")


def big_text(kib: int) -> bytes:
    line = b"The quick brown fox jumps over the lazy dog, again and again. " * 2 + b"\n"
    return line * (kib * 1024 // len(line))


def test_reading_a_large_document_does_not_hold_other_requests_back() -> None:
    # Scaled time that follows the wall: every real millisecond the loop is held would be a
    # second of emulated time. A large text takes real seconds to read, on the worker thread.
    settings = {**FAST, "name": "cpu", "start_time": None, "time_scale": 1e-3}
    settings["processing_delay"] = 10
    with Receiver() as receiver:
        with Emulator(**settings, callback_url=receiver.url) as emulator:
            import requests

            auth = (emulator.api_key, "")
            api = emulator.api_url
            big = {
                "client_id": emulator.client_id,
                "signers[0][name]": "A",
                "signers[0][email_address]": "a@example.com",
            }
            heavy = requests.post(
                f"{api}/signature_request/create_embedded",
                auth=auth,
                data=big,
                files={"files[0]": ("big.txt", big_text(600), "text/plain")},
                timeout=30,
            )
            assert heavy.status_code == 200
            light_id = create(emulator)
            assert emulator.wait_settled(60)
            light = [
                e
                for e in emulator.emitted()
                if e.signature_request_id == light_id and e.event_type == "signature_request_sent"
            ]
            created = emulator.backend.requests[light_id].created_at
    assert len(light) == 1
    # 10 emulated seconds of processing, plus scheduling on a busy machine (300 emulated seconds
    # are 0.3 real s here); not the heavy read's time, which is seconds of real time: thousands
    # of emulated seconds if it held the loop that keeps time.
    assert light[0].event_time - created < 300


def test_holds_from_other_threads_are_safe() -> None:
    with Emulator(**VIRTUAL) as emulator:
        clock_hold = emulator.virtual_time
        assert clock_hold is not None
        threads = [threading.Thread(target=clock_hold.acquire) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert clock_hold.busy() >= 5
        for _ in range(5):
            clock_hold.release()
        assert clock_hold.busy() == 0
