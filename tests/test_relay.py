"""Relay mode: a listener stores each delivery, forwards it unchanged to a real handler, records
the handler's answer and whether Dropbox Sign would count it, and gives the sender that answer.
Real listeners, real handlers (Tornado on 127.0.0.1), a real emulator, real SQLite."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
import requests

from hsnb.clock_header import ANSWER_TIME_HEADER, ATTEMPT_HEADER, CLOCK_HEADER, clock_header
from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.payloads import encode_callback_multipart
from hsnb.relay import MAX_ANSWER_BYTES
from hsnb.testing import serve_app
from tests.conftest import KEY, post_multipart, sent_payload
from tests.handlers import Handler, Reply, Seen, send

EMULATED = 1_767_603_600.0


@dataclass
class Relayed:
    """A handler and a listener relaying to it."""

    listener: Listener
    replies: list[Reply]
    seen: list[Seen]
    handler_url: str

    def rows(self) -> pd.DataFrame:
        return self.listener.deliveries()


@pytest.fixture
def relayed() -> Iterator[Relayed]:
    replies: list[Reply] = []
    seen: list[Seen] = []
    with serve_app([(r"/.*", Handler, {"replies": replies, "seen": seen})]) as handler:
        url = handler.url("/hooks/dropbox-sign")
        with Listener(api_keys=KEY, name="test-relay", forward_to=url) as listener:
            yield Relayed(listener, replies, seen, url)


def test_a_delivery_reaches_the_handler_unchanged_and_its_ack_goes_back(
    relayed: Relayed,
) -> None:
    body, content_type = encode_callback_multipart(sent_payload())
    headers = {
        "Content-Type": content_type,
        ATTEMPT_HEADER: "7.2",
        "X-Custom": "kept",
        "User-Agent": "curl/8.0",
        "Authorization": "Bearer s3cret-token",
    }
    answer = requests.post(relayed.listener.url, data=body, headers=headers, timeout=10)
    assert (answer.status_code, answer.text) == (200, ACK_TEXT)
    (seen,) = relayed.seen
    assert seen.body == body
    for name, value in headers.items():
        assert seen.headers[name] == value
    port = relayed.handler_url.split(":")[2].split("/")[0]
    assert seen.headers["Host"] == f"127.0.0.1:{port}"  # the handler's own host
    row = relayed.rows().iloc[0]
    assert (row["verdict"], row["status"], row["forwarded_status"]) == ("accepted", 200, 200)
    assert row["forwarded_body_excerpt"] == ACK_TEXT
    assert row["forward_outcome"] == "acknowledged" and row["forwarded_duration"] > 0
    # the credential went to the handler, and nowhere into the store
    stored = json.dumps(relayed.listener.store.delivery_rows(with_body=True), default=str)
    assert "s3cret" not in stored and "<redacted>" in stored


@pytest.mark.parametrize(
    ("reply", "outcome"),
    [
        (Reply(200, "OK"), "wrong_answer"),
        (Reply(500, "database is down"), "http_error"),
        (Reply(201, ACK_TEXT), "http_error"),
    ],
)
def test_a_wrong_answer_goes_back_to_the_sender_and_is_judged(
    relayed: Relayed, reply: Reply, outcome: str
) -> None:
    relayed.replies.append(reply)
    answer = send(relayed.listener.url)
    assert (answer.status_code, answer.text) == (reply.status, reply.body)
    assert post_multipart(relayed.listener.url, sent_payload()).text == ACK_TEXT  # the retry
    rows = relayed.rows()
    assert rows["verdict"].tolist() == ["accepted", "duplicate"]  # stored before forwarding
    assert rows["forward_outcome"].astype(str).tolist() == [outcome, "acknowledged"]
    assert rows["forwarded_status"].tolist() == [reply.status, 200]
    assert rows["forwarded_body_excerpt"].tolist() == [reply.body, ACK_TEXT]


def test_the_handlers_answer_headers_go_back(relayed: Relayed) -> None:
    relayed.replies.append(Reply(headers={ANSWER_TIME_HEADER: "45", "X-Trace": "abc"}))
    answer = send(relayed.listener.url)
    assert answer.headers[ANSWER_TIME_HEADER] == "45"
    assert answer.headers["X-Trace"] == "abc"
    # said by a handler to a sender that is not on virtual time: real time decides
    assert relayed.rows()["forward_outcome"].tolist() == ["acknowledged"]


def test_under_a_virtual_clock_a_handler_that_says_it_took_45_s_is_too_slow(
    relayed: Relayed,
) -> None:
    relayed.replies.append(Reply(headers={ANSWER_TIME_HEADER: "45"}))
    clock = clock_header(KEY, EMULATED, "virtual", time.time())
    answer = send(relayed.listener.url, **{CLOCK_HEADER: clock})
    assert answer.headers[ANSWER_TIME_HEADER] == "45"
    assert relayed.seen[0].headers[CLOCK_HEADER] == clock  # forwarded unchanged
    assert relayed.rows()["forward_outcome"].tolist() == ["timeout"]


def test_a_handler_that_is_down_gets_502_and_the_delivery_is_still_stored() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/cb"
    with Listener(api_keys=KEY, name="test-relay-down", forward_to=url) as listener:
        answer = send(listener.url)
        assert answer.status_code == 502
        assert "connection refused" in answer.text and ACK_TEXT not in answer.text
        row = listener.deliveries().iloc[0]
        assert row["verdict"] == "accepted" and len(listener.events()) == 1
        assert row["forward_outcome"] == "connection_error"
        assert pd.isna(row["forwarded_status"])


def test_a_handler_slower_than_the_forward_timeout_gets_504() -> None:
    replies, seen = [Reply(delay=3)], []
    with (
        serve_app([(r"/.*", Handler, {"replies": replies, "seen": seen})]) as handler,
        Listener(
            api_keys=KEY, name="test-relay-slow", forward_to=handler.url("/"), forward_timeout=0.5
        ) as listener,
    ):
        answer = send(listener.url)
        assert answer.status_code == 504 and "no answer within 0.5 s" in answer.text
        row = listener.deliveries().iloc[0]
        assert row["forward_outcome"] == "timeout" and pd.isna(row["forwarded_status"])
        assert row["forwarded_duration"] >= 0.5


def test_a_redirect_is_passed_back_not_followed(relayed: Relayed) -> None:
    relayed.replies.append(Reply(302, "", headers={"Location": "/elsewhere"}))
    answer = send(relayed.listener.url)
    assert answer.status_code == 302 and answer.headers["Location"] == "/elsewhere"
    assert len(relayed.seen) == 1  # the relay did not go to /elsewhere
    assert relayed.rows()["forward_outcome"].tolist() == ["http_error"]


def test_a_compressed_answer_is_judged_by_its_text_and_passed_back_as_it_came(
    relayed: Relayed,
) -> None:
    packed = gzip.compress(ACK_TEXT.encode())
    relayed.replies.append(Reply(body=packed, headers={"Content-Encoding": "gzip"}))
    answer = send(relayed.listener.url)
    assert answer.text == ACK_TEXT  # requests undoes the gzip the handler applied
    assert answer.headers["Content-Encoding"] == "gzip"
    row = relayed.rows().iloc[0]
    assert row["forward_outcome"] == "acknowledged" and row["forwarded_body_excerpt"] == ACK_TEXT


def test_an_answer_over_the_cap_is_not_passed_back(relayed: Relayed) -> None:
    relayed.replies.append(Reply(body=b"x" * (MAX_ANSWER_BYTES + 1)))
    answer = send(relayed.listener.url)
    assert answer.status_code == 502
    assert relayed.rows()["forward_outcome"].tolist() == ["connection_error"]


def test_what_the_listener_refuses_is_never_forwarded() -> None:
    replies, seen = [], []
    with (
        serve_app([(r"/.*", Handler, {"replies": replies, "seen": seen})]) as handler,
        Listener(
            api_keys=KEY, name="test-relay-refuse", forward_to=handler.url("/"), max_body_bytes=4000
        ) as listener,
    ):
        assert send(listener.url, sent_payload(key="forged")).status_code == 403
        big = sent_payload()
        big["signature_request"]["message"] = "x" * 5000
        assert send(listener.url, big).status_code == 413
        assert requests.get(listener.url, timeout=10).status_code == 405
        assert seen == []
        assert listener.deliveries()["forward_outcome"].isna().all()


def test_a_slow_handler_does_not_hold_the_listener(relayed: Relayed) -> None:
    relayed.replies.append(Reply(delay=4))
    slow: list[requests.Response] = []
    waiting = threading.Thread(target=lambda: slow.append(send(relayed.listener.url)))
    waiting.start()
    deadline = time.monotonic() + 10
    while not relayed.seen and time.monotonic() < deadline:
        time.sleep(0.02)
    quick = send(relayed.listener.url, sent_payload("b" * 40))
    assert quick.text == ACK_TEXT
    assert waiting.is_alive() and not slow
    waiting.join(20)
    assert slow[0].text == ACK_TEXT
    assert relayed.rows()["forward_outcome"].tolist() == ["acknowledged", "acknowledged"]


def test_a_sender_that_gives_up_still_leaves_the_handlers_answer_recorded(
    relayed: Relayed,
) -> None:
    relayed.replies.append(Reply(500, "late and wrong", delay=1))
    body, content_type = encode_callback_multipart(sent_payload())
    with socket.create_connection(("127.0.0.1", relayed.listener.port), timeout=10) as sock:
        sock.sendall(
            f"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        deadline = time.monotonic() + 10
        while not relayed.seen and time.monotonic() < deadline:
            time.sleep(0.02)
    # the sender hung up before the handler answered
    deadline = time.monotonic() + 10
    while relayed.rows()["forward_outcome"].isna().all() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert relayed.rows()["forward_outcome"].tolist() == ["http_error"]
    assert send(relayed.listener.url).text == ACK_TEXT  # and it serves on


def test_a_scripted_answer_stands_in_for_the_handler(relayed: Relayed) -> None:
    relayed.listener.answer_next(1, status=500)
    assert send(relayed.listener.url).status_code == 500
    assert relayed.seen == []  # not forwarded
    assert send(relayed.listener.url).text == ACK_TEXT
    assert len(relayed.seen) == 1


def test_the_emulator_retries_what_the_handler_did_not_acknowledge(
    hsnb_emulator_factory: Any, relayed: Relayed
) -> None:
    relayed.replies.extend([Reply(500, "down"), Reply(200, "OK")])
    emulator = hsnb_emulator_factory(callback_url=relayed.listener.url)
    emulator.callback_test()
    assert emulator.wait_settled(20)
    attempts = emulator.deliveries()
    expected = ["http_error", "wrong_answer", "acknowledged"]
    assert attempts["outcome"].astype(str).tolist() == expected
    assert attempts["status"].tolist() == [500, 200, 200]
    rows = relayed.rows()
    assert rows["forward_outcome"].astype(str).tolist() == expected  # the same words
    assert rows["verdict"].tolist() == ["accepted", "duplicate", "duplicate"]
    stored = [json.loads(r["headers"]) for r in relayed.listener.store.delivery_rows()]
    for seen, headers in zip(relayed.seen, stored, strict=True):
        for name in (CLOCK_HEADER, ATTEMPT_HEADER):  # the emulator's signed headers, unchanged
            assert seen.headers[name] == headers[name]
