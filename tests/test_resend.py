"""Re-sending a stored log for real work: ``hsnb.resend`` and ``hsnb replay STORE --url``, with
re-signing, fresh times, filters and pacing, over real HTTP to listeners and wrong handlers.

The log is the committed sample (``data/events/sample-log.sqlite``, opened read-only): a
simulated working day of 40 requests, signed with a key that is not :data:`KEY`, in January 2026.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

import hsnb
from hsnb.cli import main
from hsnb.errors import TriggerError
from hsnb.events import verify_event
from hsnb.listener import Listener
from hsnb.resending import Pacer, parse_time, select_events
from hsnb.store import EventStore
from hsnb.testing import Receiver
from tests.conftest import KEY
from tests.test_cli import SAMPLE_LOG

#: A three-signer request of the sample log: 9 events (3 viewed) over 1349 s.
REQUEST = "c5b1ca234f51e9aee60b56be8fa03cb77e7af8ac"
EVENTS = 9
#: A window wide enough for that request's events once their times are fresh (2 hours).
WINDOW = 7200


@pytest.fixture
def sample() -> Any:
    store = EventStore(SAMPLE_LOG, read_only=True)
    yield store
    store.close()


@pytest.fixture
def fresh_listener() -> Any:
    """A listener verifying with KEY that refuses events outside a two-hour window."""
    with Listener(api_keys=KEY, tolerance=WINDOW, name="test-resend") as listener:
        yield listener


def test_as_stored_no_event_passes_a_listener_with_another_key_and_a_window(
    fresh_listener: Any,
) -> None:
    report = hsnb.resend(SAMPLE_LOG, fresh_listener.url, signature_request_id=REQUEST)
    assert (report.acknowledged, len(report.resent)) == (0, EVENTS)
    assert report.summary() == f"0 of {EVENTS} acknowledged"
    assert "outside the 7200 s window" in report.resent[0].describe()


def test_re_signed_with_fresh_times_every_event_passes_in_its_order(
    fresh_listener: Any, sample: Any
) -> None:
    now = time.time()
    report = hsnb.resend(
        SAMPLE_LOG,
        fresh_listener.url,
        api_key=KEY,
        fresh_times=True,
        now=now,
        signature_request_id=REQUEST,
    )
    assert report.ok and len(report.resent) == EVENTS
    stored = [item.event for item in select_events(sample, signature_request_id=REQUEST)]
    received = [item.event for item in fresh_listener.store.stored_events()]
    assert [e.event_type for e in received] == [e.event_type for e in stored]
    shifts = {r.event_timestamp - s.event_timestamp for r, s in zip(received, stored, strict=True)}
    assert shifts == {report.shift} and max(e.event_timestamp for e in received) == int(now)
    assert all(verify_event(event, KEY) == KEY for event in received)
    assert report.summary() == (
        f"{EVENTS} of {EVENTS} acknowledged (re-signed; times shifted by {report.shift:+d} s, "
        "the events span 1349 s)"
    )


def test_re_signing_alone_keeps_the_times(listener: Any, sample: Any) -> None:
    report = hsnb.resend(sample, listener.url, api_key=KEY, event_types="file_error")
    assert report.ok and report.shift == 0
    resent = [item.event for item in listener.store.stored_events()]
    originals = [item.event for item in sample.stored_events("file_error")]
    assert len(resent) == len(originals) == 3
    for event, original in zip(resent, originals, strict=True):
        assert event.event_time == original.event_time
        assert event.event_hash != original.event_hash


def test_fresh_times_need_a_key_to_sign_with() -> None:
    with pytest.raises(TriggerError, match="event_hash must be signed again"):
        hsnb.resend(SAMPLE_LOG, "http://127.0.0.1:9/", fresh_times=True)


def test_filters_select_types_a_request_and_a_half_open_time_range(sample: Any) -> None:
    everything = sample.stored_events()
    times = sorted(item.event.event_timestamp for item in everything)
    middle = times[len(times) // 2]
    since = select_events(sample, since=middle)
    until = select_events(sample, until=middle)
    assert len(since) + len(until) == len(everything)
    assert min(i.event.event_timestamp for i in since) == middle
    assert max(i.event.event_timestamp for i in until) < middle
    kinds = ["signature_request_sent", "file_error"]
    assert {i.event.event_type for i in select_events(sample, event_types=kinds)} == set(kinds)
    ours = select_events(
        sample, signature_request_id=REQUEST, event_types="signature_request_viewed"
    )
    assert len(ours) == 3 and {i.event.signature_request_id for i in ours} == {REQUEST}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05T09:00:00Z", 1_767_603_600),
        ("2026-01-05T09:00:00", 1_767_603_600),  # no zone: UTC
        ("2026-01-05T10:00:00+01:00", 1_767_603_600),
        ("1767603600", 1_767_603_600),
        (1_767_603_600, 1_767_603_600),
        (datetime(2026, 1, 5, 9, tzinfo=UTC), 1_767_603_600),
    ],
)
def test_times_are_unix_seconds_or_iso_8601(value: Any, expected: int) -> None:
    assert parse_time(value) == expected


def test_a_time_that_is_not_a_time_is_refused() -> None:
    with pytest.raises(TriggerError, match="not a time: 'yesterday'"):
        parse_time("yesterday")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_a_pacer_spaces_calls_to_the_rate_counting_time_already_spent() -> None:
    clock = FakeClock()
    pacer = Pacer(4, clock=lambda: clock.now, sleep=clock.sleep)
    pacer.wait()  # the first goes at once
    pacer.wait()
    clock.now += 0.1  # the delivery took 0.1 s
    pacer.wait()
    clock.now += 1.0  # a slow delivery: the next one is already late
    pacer.wait()
    assert clock.slept == [0.25, 0.15]


def test_without_a_rate_a_pacer_never_sleeps_and_a_rate_must_be_positive() -> None:
    clock = FakeClock()
    pacer = Pacer(None, clock=lambda: clock.now, sleep=clock.sleep)
    for _ in range(3):
        pacer.wait()
    assert clock.slept == []
    with pytest.raises(TriggerError, match="rate must be positive"):
        Pacer(0)


def test_resend_paces_through_the_sleep_it_is_given(receiver: Receiver) -> None:
    """This sleep returns at once, so the k-th delivery is due k seconds after the first."""
    slept: list[float] = []
    report = hsnb.resend(
        SAMPLE_LOG, receiver.url, signature_request_id=REQUEST, rate=1.0, sleep=slept.append
    )
    assert report.ok and len(slept) == EVENTS - 1
    assert all(k - 1 < seconds <= k for k, seconds in enumerate(slept, 1))


# -- the command line, over real HTTP ------------------------------------------------------


def test_cli_replay_re_signs_and_refreshes_one_request_for_a_listener_with_a_window(
    fresh_listener: Any, capsys
) -> None:
    argv = ["replay", str(SAMPLE_LOG), "--url", fresh_listener.url, "--request", REQUEST]
    assert main(argv) == 1  # as stored: another key, and 11 months old
    assert main([*argv, "--api-key", KEY, "--fresh-times", "--rate", "1000"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[EVENTS] == f"0 of {EVENTS} acknowledged"
    assert out[-1].startswith(f"{EVENTS} of {EVENTS} acknowledged (re-signed; times shifted by +")
    assert len(fresh_listener.store) == EVENTS
    assert KEY not in "\n".join(out)


def test_cli_replay_takes_the_key_for_fresh_times_from_the_environment(
    fresh_listener: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DROPBOX_SIGN_API_KEY", KEY)
    argv = ["replay", str(SAMPLE_LOG), "--url", fresh_listener.url, "--fresh-times"]
    assert main([*argv, "--request", REQUEST]) == 0


def test_cli_replay_filters_by_types_and_time(listener: Any, capsys) -> None:
    argv = ["replay", str(SAMPLE_LOG), "--url", listener.url, "--api-key", KEY]
    kinds = ["--event-type", "signature_request_sent", "--event-type", "file_error"]
    window = ["--since", "2026-01-05T09:00:00Z", "--until", "2026-01-05T12:00:00Z"]
    assert main([*argv, *kinds, *window]) == 0
    stored = EventStore(SAMPLE_LOG, read_only=True)
    expected = select_events(
        stored,
        event_types=["signature_request_sent", "file_error"],
        since=window[1],
        until=window[3],
    )
    stored.close()
    assert len(listener.store) == len(expected) > 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"{len(expected)} of {len(expected)} acknowledged (re-signed)"
    )


def test_cli_replay_reports_a_handler_that_answers_wrongly(capsys) -> None:
    script = [(500, "down for maintenance", 0.0), (200, "OK", 0.0), (200, "fine", 3.0)]
    with Receiver(script=script) as handler:
        argv = ["replay", str(SAMPLE_LOG), "--url", handler.url, "--request", REQUEST]
        assert main([*argv, "--timeout", "0.5"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "status 500, expected 200, answer 'down for maintenance'" in lines[0]
    assert "body 'OK' lacks 'Hello API Event Received'" in lines[1]
    assert "FAILED: no answer within 0.5 s" in lines[2]
    assert lines[-1] == f"{EVENTS - 3} of {EVENTS} acknowledged"


def test_cli_replay_refuses_fresh_times_without_a_key_and_a_bad_time(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.delenv("DROPBOX_SIGN_API_KEY", raising=False)
    monkeypatch.delenv("HSNB_API_KEY", raising=False)
    argv = ["replay", str(SAMPLE_LOG), "--url", "http://127.0.0.1:9/"]
    assert main([*argv, "--fresh-times"]) == 2
    assert main([*argv, "--since", "yesterday"]) == 2
    err = capsys.readouterr().err
    assert "--fresh-times re-signs each event: give --api-key" in err
    assert "hsnb: not a time: 'yesterday'" in err
