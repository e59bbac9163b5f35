"""A listener told to answer badly on purpose: every delivery is still stored (unless a rule says
``store=no``), the sender gets the scripted answer, and a real emulator retries accordingly.
Real listeners and emulators, real HTTP on 127.0.0.1, real SQLite."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests

from hsnb.clock_header import ANSWER_TIME_HEADER, CLOCK_HEADER, clock_header
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.payloads import encode_callback_multipart
from tests.conftest import KEY, post_multipart, sent_payload

#: 2026-01-05 09:00 UTC, an emulated moment.
EMULATED = 1_767_603_600.0


def post(url: str, payload: dict, headers: dict[str, str] | None = None) -> requests.Response:
    body, content_type = encode_callback_multipart(payload)
    return requests.post(
        url, data=body, headers={"Content-Type": content_type, **(headers or {})}, timeout=10
    )


def scripted(listener: Listener) -> list[str]:
    """Each delivery's ``scripted`` rule ("" when the listener answered by itself)."""
    return listener.deliveries()["scripted"].fillna("").tolist()


def test_the_next_deliveries_get_the_scripted_status_and_are_stored_as_usual(
    listener: Listener,
) -> None:
    listener.script("next=2 status=500")
    answers = [post_multipart(listener.url, sent_payload()) for _ in range(3)]
    assert [(a.status_code, a.text) for a in answers] == [
        (500, "scripted answer 500"),
        (500, "scripted answer 500"),
        (200, ACK_TEXT),
    ]
    rows = listener.deliveries()
    # stored before the bad answer: the sender's retries are duplicates of a stored event
    assert rows["verdict"].tolist() == ["accepted", "duplicate", "duplicate"]
    assert rows["status"].tolist() == [200, 200, 200]  # the listener's own judgement
    assert scripted(listener) == ["next=2 status=500 (1 of 2)", "next=2 status=500 (2 of 2)", ""]
    assert len(listener.events()) == 1 and listener.script() == []


def test_a_rule_for_one_event_type_answers_only_those(listener: Listener) -> None:
    listener.script("type=signature_request_signed status=200 body=OK")
    signed = post_multipart(listener.url, sent_payload(event_type="signature_request_signed"))
    sent = post_multipart(listener.url, sent_payload())
    assert (signed.status_code, signed.text) == (200, "OK")
    assert sent.text == ACK_TEXT
    assert scripted(listener) == ["type=signature_request_signed status=200 body=OK", ""]


def test_a_refused_delivery_is_refused_as_usual_and_uses_up_no_rule(listener: Listener) -> None:
    listener.answer_next(1, status=500)
    forged = post_multipart(listener.url, sent_payload(key="forged"))
    genuine = post_multipart(listener.url, sent_payload())
    assert forged.status_code == 403 and ACK_TEXT not in forged.text
    assert genuine.status_code == 500
    assert scripted(listener) == ["", "next=1 status=500 (1 of 1)"]


def test_store_no_leaves_no_row_so_the_retry_is_a_new_accepted_event(listener: Listener) -> None:
    listener.answer_next(1, status=503, store=False)
    first = post_multipart(listener.url, sent_payload())
    retry = post_multipart(listener.url, sent_payload())
    assert (first.status_code, retry.text) == (503, ACK_TEXT)
    rows = listener.deliveries()
    assert rows["verdict"].tolist() == ["accepted"]
    assert rows["scripted"].isna().all()


def test_drop_closes_the_connection_without_an_answer(listener: Listener) -> None:
    listener.script("next=1 drop")
    with pytest.raises(requests.ConnectionError):
        post_multipart(listener.url, sent_payload())
    assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT
    rows = listener.deliveries()  # stored, then dropped: the retry is a duplicate
    assert rows["verdict"].tolist() == ["accepted", "duplicate"]
    assert scripted(listener) == ["next=1 drop (1 of 1)", ""]


def test_a_delay_does_not_hold_the_listener_for_other_deliveries(listener: Listener) -> None:
    listener.answer_next(1, delay=4)
    slow: list[requests.Response] = []
    waiting = threading.Thread(
        target=lambda: slow.append(post_multipart(listener.url, sent_payload("b" * 40)))
    )
    waiting.start()
    deadline = time.monotonic() + 10
    while len(listener.deliveries()) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)  # the slow one is stored (and waits for its answer)
    quick = post_multipart(listener.url, sent_payload("c" * 40))
    assert quick.text == ACK_TEXT
    assert waiting.is_alive() and not slow  # answered while the slow one still waits
    waiting.join(20)
    assert slow[0].text == ACK_TEXT
    assert scripted(listener) == ["next=1 status=200 delay=4 (1 of 1)", ""]


def test_a_delay_under_a_verified_virtual_clock_is_said_not_waited(listener: Listener) -> None:
    listener.script("next=1 delay=45")
    signed = clock_header(KEY, EMULATED, "virtual", time.time())
    answer = post(listener.url, sent_payload(), {CLOCK_HEADER: signed})  # 10 s timeout
    assert answer.headers[ANSWER_TIME_HEADER] == "45"
    assert answer.text == ACK_TEXT


def test_a_clock_header_that_does_not_verify_gets_a_real_delay(listener: Listener) -> None:
    listener.script("next=2 delay=0.3")
    forged = clock_header("another key", EMULATED, "virtual", time.time())
    scaled = clock_header(KEY, EMULATED, 0.01, time.time())
    for clock in (forged, scaled):
        answer = post(listener.url, sent_payload(), {CLOCK_HEADER: clock})
        assert ANSWER_TIME_HEADER not in answer.headers
        assert answer.elapsed.total_seconds() >= 0.3


def test_rules_given_at_start_and_a_policy_from_python() -> None:
    seen: list[str] = []

    def policy(request, event):
        seen.append(event.event_type)
        return None

    with Listener(api_keys=KEY, name="test-answers", answers=["next=1 status=502"]) as listener:
        listener.answer_policy = policy
        assert post_multipart(listener.url, sent_payload()).status_code == 502
        assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT
        assert seen == ["signature_request_sent"]


# -- with the emulator as the sender ---------------------------------------------------------


def outcomes(emulator) -> list[str]:
    assert emulator.wait_settled(20)
    return emulator.deliveries()["outcome"].astype(str).tolist()


def test_the_emulator_retries_scripted_failures_and_the_retries_are_duplicates(
    emulator, listener: Listener
) -> None:
    listener.script("next=2 status=500")
    emulator.callback_test()
    assert outcomes(emulator) == ["http_error", "http_error", "acknowledged"]
    rows = listener.deliveries()
    assert rows["verdict"].tolist() == ["accepted", "duplicate", "duplicate"]
    assert rows["emulator_attempt"].tolist() == ["1.1", "1.2", "1.3"]
    assert rows["scripted"].notna().tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("rule", "first"),
    [("next=1 drop store=no", "connection_error"), ("next=1 status=500 store=no", "http_error")],
)
def test_a_crash_before_the_commit_leaves_only_the_retry(
    emulator, listener: Listener, rule: str, first: str
) -> None:
    listener.script(rule)
    emulator.callback_test()
    assert outcomes(emulator) == [first, "acknowledged"]
    rows = listener.deliveries()
    assert rows["verdict"].tolist() == ["accepted"]
    assert rows["emulator_attempt"].tolist() == ["1.2"]


@pytest.mark.hsnb(time_scale="virtual")
def test_a_slow_answer_under_virtual_time_is_a_timeout_that_costs_no_real_time(
    emulator, listener: Listener
) -> None:
    listener.script("next=1 delay=45")
    emulator.callback_test()
    assert outcomes(emulator) == ["timeout", "acknowledged"]
    assert "took 45 s" in emulator.deliveries()["error"].iloc[0]
    assert listener.deliveries()["verdict"].tolist() == ["accepted", "duplicate"]


def test_a_slow_answer_on_a_scaled_clock_is_really_slow_and_times_out(
    emulator, listener: Listener
) -> None:
    # FAST gives an attempt min_callback_timeout (2 s) of real time: 3 s is too slow
    listener.script("next=1 delay=3")
    emulator.callback_test()
    assert outcomes(emulator) == ["timeout", "acknowledged"]
    assert listener.deliveries()["verdict"].tolist() == ["accepted", "duplicate"]


def test_a_dropped_connection_frees_its_slot(listener: Listener) -> None:
    listener.script("drop")
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
            body, content_type = encode_callback_multipart(sent_payload())
            head = (
                f"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            sock.sendall(head + body)
            assert sock.recv(100) == b""  # closed, no answer
    listener.clear_script()
    assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT
