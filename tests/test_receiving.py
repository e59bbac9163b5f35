"""What a listener accepts and refuses, over real HTTP on 127.0.0.1: bodies and their encodings,
verification, caps, the commit before the ACK, and inputs that must never crash it or make a
refusal look like an acknowledgement."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest
import requests

from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.payloads import encode_callback_multipart
from hsnb.store import EventStore
from tests.conftest import FIXTURES, KEY, SDK_TEST_KEY, post_multipart, sent_payload

SYNTHETIC = "synthetic_callback_test"


def test_multipart_as_dropbox_sign_sends_it_is_acknowledged(listener: Listener) -> None:
    response = post_multipart(listener.url, sent_payload())
    assert response.status_code == 200
    assert response.text == ACK_TEXT
    assert response.headers["Content-Type"].startswith("text/plain")
    assert listener.events()["event_type"].tolist() == ["signature_request_sent"]


def test_byte_exact_captured_shape_is_accepted() -> None:

    body = (FIXTURES / f"{SYNTHETIC}.multipart.bin").read_bytes()
    header_lines = (FIXTURES / f"{SYNTHETIC}.headers.txt").read_text().splitlines()
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


def post_while_locked(url: str, path: Path) -> requests.Response:
    """POST a callback to ``url`` while another connection holds ``path`` (the listener's store)
    in an exclusive transaction: real SQLite locking, no mock."""
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        return post_multipart(url, sent_payload())
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_ack_is_withheld_when_the_commit_fails(tmp_path: Path) -> None:

    path = tmp_path / "events.sqlite"
    with Listener(
        EventStore(path, busy_timeout=0.05), api_keys=KEY, name="test-locked"
    ) as listener:
        refused = post_while_locked(listener.url, path)
        assert refused.status_code == 503
        assert ACK_TEXT not in refused.text and "not stored" in refused.text
        assert listener.events().empty
        retried = post_multipart(listener.url, sent_payload())
        assert (retried.status_code, retried.text) == (200, ACK_TEXT)
        assert listener.events()["deliveries"].tolist() == [1]


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
    path = tmp_path / "secret-folder" / "events.sqlite"
    with Listener(EventStore(path, busy_timeout=0.05), api_keys=KEY, name="test-path") as listener:
        answer = post_while_locked(listener.url, path)
    assert answer.status_code == 503
    assert "secret-folder" not in answer.text and ACK_TEXT not in answer.text


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
