"""Inputs and situations found by review: none may crash the listener, corrupt a frame, or
make a refusal look like an acknowledgement."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading

import pytest
import requests

from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.payloads import encode_callback_multipart
from hsnb.terminal import print_until_signal
from tests.conftest import KEY, post_multipart, sent_payload


def raw_payload(event_time: str, extra: str = "") -> bytes:
    event = '{"event_type":"callback_test","event_time":"' + event_time + '","event_hash":"x"}'
    return ('{"event":' + event + extra + "}").encode()


@pytest.mark.parametrize(
    "body",
    [
        raw_payload("²"),  # a Unicode digit that int() refuses
        raw_payload("1" * 30),  # too large for SQLite and for a timestamp
        raw_payload("1" * 5000),  # past Python's digit limit
        raw_payload("1", ',"n":' + "9" * 5000),  # a huge number elsewhere in the body
    ],
    ids=["unicode-digit", "30-digits", "5000-digits", "huge-number"],
)
def test_odd_numbers_are_refused_and_recorded_never_a_crash(
    listener: Listener, body: bytes
) -> None:
    response = requests.post(listener.url, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert ACK_TEXT not in response.text
    assert listener.deliveries()["verdict"].tolist() == ["rejected"]


def test_a_refusal_never_echoes_the_ack_text(listener: Listener) -> None:
    body = raw_payload(ACK_TEXT)
    answers = [
        requests.post(listener.url, data=body, headers={"Content-Type": "application/json"}),
        requests.post(listener.url, data=b"x", headers={"Content-Type": ACK_TEXT}),
    ]
    assert [a.status_code for a in answers] == [400, 415]
    for answer in answers:
        assert ACK_TEXT.lower() not in answer.text.lower()
    assert not listener.deliveries()["reason"].str.contains(ACK_TEXT, case=False).any()


def test_the_store_unavailable_answer_does_not_reveal_the_store_path(tmp_path) -> None:
    import sqlite3

    from hsnb.store import EventStore

    path = tmp_path / "secret-folder" / "events.sqlite"
    with Listener(EventStore(path, busy_timeout=0.05), api_keys=KEY, name="test-path") as listener:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            answer = post_multipart(listener.url, sent_payload())
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
    assert answer.status_code == 503
    assert "secret-folder" not in answer.text and ACK_TEXT not in answer.text


@pytest.mark.parametrize(
    "field, value",
    [
        ("is_complete", "yes"),
        ("created_at", 10**15),
        ("created_at", "2026-01-01"),
        ("title", {"nested": True}),
    ],
)
def test_an_odd_value_in_an_accepted_payload_never_breaks_the_frame(
    listener: Listener, field: str, value: object
) -> None:
    payload = sent_payload()
    payload["signature_request"][field] = value
    assert post_multipart(listener.url, payload).text == ACK_TEXT
    frame = listener.events()
    assert len(frame) == 1
    column = "title" if field == "title" else field
    assert frame[column].isna().all()


def test_a_bom_before_a_json_body_is_accepted(listener: Listener) -> None:
    body = b"\xef\xbb\xbf" + json.dumps(sent_payload()).encode()
    answer = requests.post(listener.url, data=body, headers={"Content-Type": "application/json"})
    assert (answer.status_code, answer.text) == (200, ACK_TEXT)


def test_two_json_fields_are_refused(listener: Listener) -> None:
    one = json.dumps(sent_payload())
    answer = requests.post(listener.url, files=[("json", (None, one)), ("json", (None, one))])
    assert answer.status_code == 400
    assert "more than one field named 'json'" in answer.text


def test_media_types_are_case_insensitive(listener: Listener) -> None:
    body, content_type = encode_callback_multipart(sent_payload())
    shouted = content_type.replace("multipart/form-data", "Multipart/Form-Data")
    answer = requests.post(listener.url, data=body, headers={"Content-Type": shouted})
    assert (answer.status_code, answer.text) == (200, ACK_TEXT)


def test_a_repeated_header_is_kept_with_all_its_values(listener: Listener) -> None:
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as conn:
        body = json.dumps(sent_payload()).encode()
        conn.sendall(
            b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"X-Trace: one\r\nX-Trace: two\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
    headers = json.loads(listener.store.delivery_rows()[0]["headers"])
    assert headers["X-Trace"] == "one, two"


def test_405_says_which_method_is_allowed(listener: Listener) -> None:
    answer = requests.get(listener.url)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"


def test_a_hook_that_removes_itself_does_not_hide_the_delivery_from_the_next(
    listener: Listener,
) -> None:
    seen: list[str] = []
    remove_once = None

    def once(answer: object) -> None:
        seen.append("once")
        remove_once()

    remove_once = listener.on_delivery(once)
    listener.on_delivery(lambda answer: seen.append("always"))
    post_multipart(listener.url, sent_payload())
    post_multipart(listener.url, sent_payload(event_type="signature_request_viewed"))
    assert seen == ["once", "always", "always"]


def test_a_listener_stopped_from_its_own_hook_really_stops() -> None:
    listener = Listener(api_keys=KEY, name="test-self-stop")
    port = listener.port
    listener.on_delivery(lambda answer: listener.stop())
    assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT
    assert not listener.running
    with pytest.raises(requests.ConnectionError):
        for _ in range(50):  # the shutdown finishes on the loop; the port closes at once
            requests.post(f"http://127.0.0.1:{port}/callback", json=sent_payload(), timeout=2)
            threading.Event().wait(0.05)


def test_print_until_signal_puts_the_previous_handlers_back() -> None:
    import queue

    before = signal.getsignal(signal.SIGINT)
    lines: queue.Queue[str] = queue.Queue()
    pump = print_until_signal(lines)
    threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
    pump()
    assert signal.getsignal(signal.SIGINT) is before


def test_cli_on_a_taken_port_says_so_in_one_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "hsnb.cli",
                "listen",
                "--port",
                str(port),
                "--store",
                str(tmp_path / "e.sqlite"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr.strip() == f"hsnb: cannot listen on 127.0.0.1:{port}: Address already in use"
