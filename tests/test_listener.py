"""hsnb.listener as a server in a kernel: restarts, ports and names, wait_for, delivery hooks.

What it accepts and refuses is tests/test_receiving.py's."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from hsnb.errors import EventTimeoutError, ListenerError
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener, running_listeners
from tests.conftest import KEY, post_multipart, sent_payload


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
