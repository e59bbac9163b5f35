"""hsnb.listener over real HTTP on 127.0.0.1: every rule of receiving callbacks."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from hsnb.errors import EventTimeoutError, ListenerError
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener, running_listeners
from tests.conftest import KEY, post_multipart, sent_payload, shared_example

SYNTHETIC = "synthetic_callback_test"


def test_multipart_as_dropbox_sign_sends_it_is_acknowledged(listener: Listener) -> None:
    response = post_multipart(listener.url, sent_payload())
    assert response.status_code == 200
    assert response.text == ACK_TEXT
    assert response.headers["Content-Type"].startswith("text/plain")
    assert listener.events()["event_type"].tolist() == ["signature_request_sent"]


def test_byte_exact_captured_shape_is_accepted() -> None:
    shared_example("synthetic_hash_vectors.json")  # skips when ../shared is absent
    from tests.conftest import SDK_TEST_KEY, SHARED_EXAMPLES

    body = (SHARED_EXAMPLES / f"{SYNTHETIC}.multipart.bin").read_bytes()
    header_lines = (SHARED_EXAMPLES / f"{SYNTHETIC}.headers.txt").read_text().splitlines()
    content_type = next(h.split(": ", 1)[1] for h in header_lines if h.startswith("Content-Type"))
    with Listener(api_keys=SDK_TEST_KEY, name="test-captured") as listener:
        response = requests.post(listener.url, data=body, headers={"Content-Type": content_type})
        assert (response.status_code, response.text) == (200, ACK_TEXT)
        frame = listener.events()
    assert frame["event_type"].tolist() == ["callback_test"]
    assert frame["verified"].tolist() == [True]


def test_raw_json_body_is_accepted(listener: Listener) -> None:
    response = requests.post(listener.url, json=sent_payload(), timeout=5)
    assert (response.status_code, response.text) == (200, ACK_TEXT)


def test_form_urlencoded_json_field_is_accepted(listener: Listener) -> None:
    import json

    response = requests.post(listener.url, data={"json": json.dumps(sent_payload())}, timeout=5)
    assert (response.status_code, response.text) == (200, ACK_TEXT)


@pytest.mark.parametrize(
    ("send", "status", "reason"),
    [
        (lambda url: requests.get(url), 405, "method GET not allowed"),
        (lambda url: requests.put(url, data=b"{}"), 405, "method PUT not allowed"),
        (lambda url: requests.post(url, data=b""), 400, "empty body"),
        (
            lambda url: requests.post(
                url, data=b"{oops", headers={"Content-Type": "application/json"}
            ),
            400,
            "not valid JSON",
        ),
        (lambda url: requests.post(url, json=[1]), 400, "must be a JSON object"),
        (
            lambda url: requests.post(url, json={"event": {"event_type": "x"}}),
            400,
            "event_time is missing",
        ),
        (
            lambda url: requests.post(url, files={"other": (None, "{}")}),
            400,
            "no field named 'json'",
        ),
        (
            lambda url: requests.post(
                url, data=b"<x/>", headers={"Content-Type": "application/xml"}
            ),
            415,
            "unsupported Content-Type",
        ),
        (
            lambda url: requests.post(
                url, data=b"x" * 2_000_001, headers={"Content-Type": "application/json"}
            ),
            413,
            "over the 1000000 byte cap",
        ),
        (
            lambda url: requests.post(
                url, data=iter([b"x" * 600_000] * 3), headers={"Content-Type": "application/json"}
            ),
            413,
            "over the 1000000 byte cap",
        ),
        (
            lambda url: post_multipart(url, sent_payload(key="forged")),
            403,
            "event_hash does not match",
        ),
    ],
    ids=[
        "get",
        "put",
        "empty",
        "bad-json",
        "not-object",
        "missing-field",
        "no-json-field",
        "xml",
        "oversized",
        "oversized-chunked",
        "forged",
    ],
)
def test_bad_input_is_refused_with_reason_and_recorded(
    listener: Listener, send, status: int, reason: str
) -> None:
    response = send(listener.url)
    assert response.status_code == status
    assert reason in response.text
    assert ACK_TEXT not in response.text
    deliveries = listener.deliveries()
    assert deliveries["verdict"].tolist() == ["rejected"]
    assert deliveries["status"].tolist() == [status]
    assert reason in deliveries["reason"].iloc[0]
    assert listener.events().empty
    assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT  # still serving


def test_unverified_listener_accepts_any_hash_and_says_so() -> None:
    with Listener(api_keys=[], name="test-unverified") as listener:
        assert post_multipart(listener.url, sent_payload(key="whatever")).text == ACK_TEXT
        assert listener.events()["verified"].isna().all()


def test_retries_are_acknowledged_but_stored_once(listener: Listener) -> None:
    for _ in range(3):
        assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT
    events = listener.events()
    assert len(events) == 1
    assert events["deliveries"].tolist() == [3]
    assert listener.deliveries()["verdict"].tolist() == ["accepted", "duplicate", "duplicate"]


def test_ack_is_withheld_when_the_commit_fails(tmp_path: Path) -> None:
    from hsnb.store import EventStore

    path = tmp_path / "events.sqlite"
    with Listener(
        EventStore(path, busy_timeout=0.05), api_keys=KEY, name="test-locked"
    ) as listener:
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        try:
            refused = post_multipart(listener.url, sent_payload())
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert refused.status_code == 503
        assert ACK_TEXT not in refused.text and "not stored" in refused.text
        assert listener.events().empty
        retried = post_multipart(listener.url, sent_payload())
        assert (retried.status_code, retried.text) == (200, ACK_TEXT)
        assert listener.events()["deliveries"].tolist() == [1]


def test_restart_with_the_same_store_file_keeps_events(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    with Listener(path, api_keys=KEY, name="test-restart") as first:
        post_multipart(first.url, sent_payload())
    with Listener(path, api_keys=KEY, name="test-restart") as second:
        assert second.events()["event_type"].tolist() == ["signature_request_sent"]
        post_multipart(second.url, sent_payload())
        assert second.deliveries()["verdict"].tolist() == ["accepted", "duplicate"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_rerunning_a_cell_on_a_fixed_port_replaces_the_old_listener() -> None:
    port = free_port()
    first = Listener(port=port, name="test-cell")
    second = Listener(port=port, name="test-cell")
    try:
        assert not first.running and second.running
        assert second.url == f"http://127.0.0.1:{port}/callback"
        assert requests.post(second.url, json=sent_payload(), timeout=5).text == ACK_TEXT
        assert len(second.events()) == 1 and len(first.events()) == 0
    finally:
        second.stop()


def test_a_new_name_on_a_taken_fixed_port_stops_the_holder() -> None:
    port = free_port()
    holder = Listener(port=port, name="test-holder")
    taker = Listener(port=port, name="test-taker")
    try:
        assert not holder.running and taker.running
    finally:
        taker.stop()


def test_port_held_by_another_program_is_a_clear_error() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(ListenerError, match=f"cannot listen on 127.0.0.1:{port}"):
            Listener(port=port, name="test-busy")


def test_stop_frees_the_port_and_is_idempotent() -> None:
    listener = Listener(name="test-stop")
    port = listener.port
    listener.stop()
    listener.stop()
    assert listener not in running_listeners()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    with pytest.raises(ListenerError, match="not running"):
        _ = listener.url
    assert listener.start().running
    listener.stop()


def test_wait_for_returns_an_event_that_already_arrived(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload())
    event = listener.wait_for("signature_request_sent", signature_request_id="a" * 40, timeout=0)
    assert event.signature_request_id == "a" * 40


def test_wait_for_blocks_until_the_event_arrives(listener: Listener) -> None:
    later = threading.Timer(0.3, post_multipart, (listener.url, sent_payload("c" * 40)))
    later.start()
    started = time.monotonic()
    event = listener.wait_for("signature_request_sent", signature_request_id="c" * 40, timeout=10)
    assert event.signature_request_id == "c" * 40
    assert time.monotonic() - started >= 0.25
    later.join()


def test_wait_for_timeout_says_what_did_arrive(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload(event_type="file_error"))
    with pytest.raises(EventTimeoutError, match="arrived meanwhile: file_error") as info:
        listener.wait_for("signature_request_sent", signature_request_id="a" * 40, timeout=0.2)
    assert isinstance(info.value, TimeoutError)


def test_wait_for_async_twin(listener: Listener) -> None:
    async def scenario() -> str:
        waiter = asyncio.create_task(listener.wait_for_async("signature_request_sent", timeout=10))
        await asyncio.to_thread(post_multipart, listener.url, sent_payload())
        return (await waiter).event_type

    assert asyncio.run(scenario()) == "signature_request_sent"


def test_serves_while_the_caller_thread_is_busy(listener: Listener) -> None:
    results: list[str] = []
    sender = threading.Thread(
        target=lambda: results.append(post_multipart(listener.url, sent_payload()).text)
    )
    sender.start()
    time.sleep(0.5)  # the "cell" is busy; the listener's loop thread is not
    sender.join(5)
    assert results == [ACK_TEXT]


def test_delivery_hooks_see_each_answer_and_a_broken_hook_is_harmless(listener: Listener) -> None:
    seen = []
    listener.on_delivery(lambda answer: 1 / 0)
    listener.on_delivery(lambda answer: seen.append((answer.status, answer.acknowledged)))
    post_multipart(listener.url, sent_payload())
    remove = listener.on_delivery(lambda answer: seen.append(answer.received_at.tzinfo is not None))
    requests.get(listener.url, timeout=5)
    remove()
    remove()
    requests.get(listener.url, timeout=5)
    assert seen == [(200, True), (405, False), True, (405, False)]


def test_malformed_multipart_is_refused_without_tornado_warnings(
    listener: Listener, caplog: pytest.LogCaptureFixture
) -> None:
    body = b'--xyz\r\nContent-Disposition: form-data; name="json"\r\n\r\n{}'  # no final boundary
    response = requests.post(
        listener.url, data=body, headers={"Content-Type": "multipart/form-data; boundary=xyz"}
    )
    assert response.status_code == 400
    assert "no final boundary" in response.text
    assert listener.deliveries()["verdict"].tolist() == ["rejected"]
    assert not [r for r in caplog.records if r.name.startswith("tornado")]


def test_wait_for_any_of_several_types_returns_the_first_that_arrived(listener: Listener) -> None:
    post_multipart(listener.url, sent_payload(event_type="file_error"))
    event = listener.wait_for(
        ["signature_request_sent", "file_error"], signature_request_id="a" * 40, timeout=1
    )
    assert event.event_type == "file_error"


def test_wait_for_several_types_names_them_all_on_timeout(listener: Listener) -> None:
    with pytest.raises(EventTimeoutError, match="no signature_request_sent or file_error for"):
        listener.wait_for(
            ["signature_request_sent", "file_error"], signature_request_id="z", timeout=0
        )
    with pytest.raises(ValueError, match="at least one event type"):
        listener.wait_for([], timeout=0)


def raw_exchange(port: int, head: str, body: bytes | None) -> list[bytes]:
    """Send ``head``; read the first answer; then send ``body`` (if any) and read again."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(head.encode())
        answers.append(conn.recv(4096))
        if body is not None:
            conn.sendall(body)
            answers.append(conn.recv(4096))
    return answers


def test_expect_100_continue_as_libcurl_sends_it(listener: Listener) -> None:
    from hsnb.payloads import encode_callback_multipart

    body, content_type = encode_callback_multipart(sent_payload())
    head = (
        f"POST /callback HTTP/1.1\r\nHost: example\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    )
    interim, final = raw_exchange(listener.port, head, body)
    assert interim.startswith(b"HTTP/1.1 100")
    assert final.startswith(b"HTTP/1.1 200") and final.endswith(ACK_TEXT.encode())


def test_oversized_declared_length_is_refused_before_the_body_is_sent(listener: Listener) -> None:
    head = (
        "POST /callback HTTP/1.1\r\nHost: example\r\nContent-Type: application/json\r\n"
        "Content-Length: 5000000\r\nExpect: 100-continue\r\n\r\n"
    )
    [answer] = raw_exchange(listener.port, head, None)
    assert answer.startswith(b"HTTP/1.1 413")
    assert listener.deliveries()["status"].tolist() == [413]
