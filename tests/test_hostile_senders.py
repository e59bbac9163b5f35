"""Nothing a sender can do stops the listener or fills its disk: odd Unicode and terminal escapes,
idle connections past the descriptor limit, floods of forged megabyte bodies, credentials in
headers, JSON that is not strict. Each over real HTTP, most against ``hsnb listen`` itself.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from hsnb.events import ACK_TEXT
from hsnb.listener import Listener
from hsnb.payloads import encode_callback_multipart
from hsnb.store import EventStore
from hsnb.store_rows import REFUSED_BODY_BYTES
from tests.conftest import KEY, post_multipart, sent_payload

WAIT = 30.0


class Listen:
    """``hsnb listen`` in a child process, verifying with :data:`KEY`."""

    def __init__(self, store: Path, *, env: dict[str, str] | None = None, preexec=None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("DROPBOX_SIGN", "HSNB_"))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hsnb.cli", "listen", "--store", str(store)]
            + ["--api-key", KEY],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**base, "PYTHONUNBUFFERED": "1", **(env or {})},
            preexec_fn=preexec,
        )
        first = self.readline()
        assert first.startswith(b"listening on http://127.0.0.1:"), first
        self.url = first.split()[-1].decode()
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def readline(self) -> bytes:
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(self.process.stdout.readline()))
        reader.start()
        reader.join(WAIT)
        if not got or not got[0]:
            self.process.kill()
            pytest.fail("hsnb listen printed nothing in time")
        return got[0].rstrip(b"\n")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> tuple[int, bytes, bytes]:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=WAIT)
        return self.process.returncode, out, err


@pytest.fixture
def listen(tmp_path: Path) -> Iterator[Listen]:
    process = Listen(tmp_path / "events.sqlite")
    yield process
    if process.alive():
        process.process.kill()
        process.process.wait(WAIT)


def post_text(url: str, payload_text: str) -> requests.Response:
    body, content_type = encode_callback_multipart(payload_text)
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=WAIT)


# -- D2: text that could break printing ----------------------------------------------------------


def test_a_lone_surrogate_is_refused_and_the_listener_keeps_running(listen: Listen) -> None:
    text = json.dumps(sent_payload()).replace("a" * 40, "\\ud800")  # valid JSON, invalid Unicode
    refused = post_text(listen.url, text)
    assert refused.status_code == 400
    assert refused.text == "payload is not valid Unicode: it escapes a lone UTF-16 surrogate"
    assert listen.alive()
    assert post_multipart(listen.url, sent_payload()).text == ACK_TEXT  # still serving
    code, out, _ = listen.stop()
    assert code == 0
    lines = out.decode().splitlines()
    assert lines[0] == "rejected 400 " + refused.text
    assert lines[1].startswith("accepted 200 signature_request_sent")


def test_terminal_escapes_from_a_sender_are_printed_escaped(listen: Listen) -> None:
    payload = sent_payload(event_type="\x1b[2J\x1b[31mred\u202e")  # clear screen, red, RTL
    assert post_multipart(listen.url, payload).text == ACK_TEXT  # an unknown type is kept
    _, out, _ = listen.stop()
    assert b"\x1b" not in out and "\u202e".encode() not in out
    assert "accepted 200 \\x1b[2J\\x1b[31mred\\u202e " in out.decode()


def test_text_an_ascii_terminal_cannot_show_does_not_stop_the_listener(tmp_path: Path) -> None:
    process = Listen(tmp_path / "events.sqlite", env={"PYTHONIOENCODING": "ascii"})
    try:
        payload = sent_payload(event_type="signature_request_signé")
        assert post_multipart(process.url, payload).text == ACK_TEXT
        assert post_multipart(process.url, sent_payload()).text == ACK_TEXT
        code, out, _ = process.stop()
    finally:
        if process.alive():
            process.process.kill()
    assert code == 0
    assert b"accepted 200 signature_request_sign\\xe9 " in out
    assert b"accepted 200 signature_request_sent " in out


# -- D3: idle connections past the descriptor limit ----------------------------------------------


def low_descriptor_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def test_idle_connections_past_the_descriptor_limit_do_not_stop_the_answers(tmp_path) -> None:
    process = Listen(tmp_path / "events.sqlite", preexec=low_descriptor_limit)
    idle: list[socket.socket] = []
    try:
        for _ in range(60):  # more than 64 descriptors allow, a connection each, sending nothing
            idle.append(socket.create_connection(("127.0.0.1", process.port), timeout=WAIT))
        answer = post_multipart(process.url, sent_payload())  # waits while the idle are reaped
        assert (answer.status_code, answer.text) == (200, ACK_TEXT)
        assert idle[0].recv(1) == b""  # the server closed an idle connection itself
        code, _, err = process.stop()
    finally:
        for sock in idle:
            sock.close()
        if process.alive():
            process.process.kill()
    assert code == 0
    assert len(err) < 2000, err[:2000]  # no traceback per failed accept()


def test_a_body_sent_too_slowly_is_cut_off(tmp_path) -> None:
    with Listener(api_keys=KEY, name="test-hostile", body_timeout=0.5) as listener:
        with socket.create_connection(("127.0.0.1", listener.port), timeout=WAIT) as conn:
            conn.sendall(
                b"POST /callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{"
            )
            assert conn.recv(1) == b""  # closed, without an answer, once the body is late
        assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT


def test_at_the_connection_cap_newcomers_wait_and_are_served(tmp_path) -> None:
    with Listener(api_keys=KEY, name="test-hostile", max_connections=4) as listener:
        held = [socket.create_connection(("127.0.0.1", listener.port)) for _ in range(4)]
        result: list[requests.Response] = []
        sender = threading.Thread(
            target=lambda: result.append(post_multipart(listener.url, sent_payload()))
        )
        sender.start()
        sender.join(0.5)
        assert not result  # waiting in the listen queue: the cap is reached
        held[0].close()  # one closes: the newcomer is accepted
        sender.join(WAIT)
        for sock in held[1:]:
            sock.close()
    assert result[0].text == ACK_TEXT


# -- D4: floods of forged bodies ---------------------------------------------------------------


def forged_body(size: int) -> bytes:
    payload = sent_payload(key="not-the-key")
    payload["padding"] = "x" * size
    return json.dumps(payload).encode()


def test_forged_megabyte_requests_keep_only_a_prefix(tmp_path) -> None:
    path = tmp_path / "events.sqlite"
    with Listener(path, api_keys=KEY, name="test-hostile") as listener:
        before = path.stat().st_size
        body = forged_body(900_000)
        for _ in range(30):
            answer = requests.post(
                listener.url, data=body, headers={"Content-Type": "application/json"}, timeout=WAIT
            )
            assert answer.status_code == 403
        rows = listener.store.delivery_rows(with_body=True)
    grown = sum(p.stat().st_size for p in tmp_path.iterdir()) - before
    assert grown < 1_000_000, f"30 forged requests of 0.9 MB grew the store by {grown} bytes"
    assert {(r["body_size"], len(r["body"])) for r in rows} == {(len(body), REFUSED_BODY_BYTES)}


def test_a_forged_callback_claiming_a_huge_event_type_keeps_only_its_start(tmp_path) -> None:
    path = tmp_path / "events.sqlite"
    with Listener(path, api_keys=KEY, name="test-hostile") as listener:
        before = path.stat().st_size
        payload = sent_payload(event_type="x" * 900_000, key="not-the-key")
        for _ in range(10):
            assert post_multipart(listener.url, payload).status_code == 403
        claimed = {r["event_type"] for r in listener.store.delivery_rows()}
    grown = sum(p.stat().st_size for p in tmp_path.iterdir()) - before
    assert claimed == {"x" * 100}
    assert grown < 500_000, f"10 forged requests grew the store by {grown} bytes"


def test_past_the_size_guard_refusals_are_counted_not_stored_and_real_ones_still_are(
    tmp_path,
) -> None:
    path = tmp_path / "events.sqlite"
    EventStore(path).close()
    store = EventStore(path, max_bytes=path.stat().st_size + 64_000)
    with Listener(store, api_keys=KEY, name="test-hostile") as listener:
        body = forged_body(5_000)
        for _ in range(100):
            answer = requests.post(
                listener.url, data=body, headers={"Content-Type": "application/json"}, timeout=WAIT
            )
            assert answer.status_code == 403
        assert post_multipart(listener.url, sent_payload()).text == ACK_TEXT
        refused = [r for r in store.delivery_rows() if r["verdict"] == "rejected"]
        assert 0 < len(refused) < 100 and store.unrecorded == 100 - len(refused)
        assert len(store) == 1


# -- D12 and D13: what is stored ---------------------------------------------------------------


def test_credentials_in_sender_headers_are_not_stored(listener: Listener) -> None:
    body, content_type = encode_callback_multipart(sent_payload())
    secret = "s3cr3t-value-0123456789"
    headers = {
        "Content-Type": content_type,
        "X-Api-Key": secret,
        "X-Auth-Token": secret,
        "Cookie": f"session={secret}",
        "Authorization": f"Bearer {secret}",
        "X-Trace": "kept",
    }
    assert requests.post(listener.url, data=body, headers=headers, timeout=WAIT).text == ACK_TEXT
    stored = json.loads(listener.store.delivery_rows()[0]["headers"])
    assert secret not in json.dumps(stored)
    assert stored["X-Api-Key"] == "<redacted>" and stored["X-Trace"] == "kept"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e999", "1e999 is too large for a number"),
    ],
)
def test_json_that_is_not_strict_is_refused(listener: Listener, number: str, reason: str) -> None:
    text = json.dumps(sent_payload()).replace('"title": "NDA"', f'"title": {number}')
    answer = post_text(listener.url, text)
    assert (answer.status_code, answer.text) == (400, f"payload is not strict JSON: {reason}")
    assert len(listener.store) == 0


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener(api_keys=KEY, name="test-hostile") as running:
        yield running
