"""hsnb.testing, the helpers a user's test suite (and ours) stands on."""

from __future__ import annotations

import pytest
import requests
import tornado.web

from hsnb.events import ACK_TEXT
from hsnb.payloads import encode_callback_multipart
from hsnb.testing import TEST_API_KEY, Receiver, serve_app
from tests.conftest import sent_payload


def post(url: str) -> requests.Response:
    body, content_type = encode_callback_multipart(sent_payload())
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10)


def test_a_receiver_answers_from_its_script_then_with_the_ack() -> None:
    with Receiver(script=[(500, "down", 0.0), (200, "OK", 0.0)]) as receiver:
        answers = [post(receiver.url) for _ in range(3)]
        assert [(a.status_code, a.text) for a in answers] == [
            (500, "down"),
            (200, "OK"),
            (200, ACK_TEXT),
        ]
        assert receiver.types() == ["signature_request_sent"] * 3


def test_a_receiver_waiting_too_long_says_what_came() -> None:
    with Receiver() as receiver:
        post(receiver.url)
        with pytest.raises(TimeoutError, match=r"1 of 2 callbacks: \['signature_request_sent'\]"):
            receiver.wait_for(2, timeout=0.2)


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("hello")


def test_serve_app_serves_until_stopped() -> None:
    server = serve_app([("/hello", Hello)])
    assert requests.get(server.url("/hello"), timeout=10).text == "hello"
    server.stop()
    server.stop()  # idempotent
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url("/hello"), timeout=2)


def test_the_fixtures_wire_an_emulator_to_a_listener(hsnb_emulator, hsnb_listener, hsnb_client):
    assert hsnb_emulator.api_key == TEST_API_KEY
    request = hsnb_client.create_embedded(
        b"Sign: [sig|req|signer1]", [("Ann", "ann@example.com")], use_text_tags=True
    )
    sent = hsnb_listener.wait_for(
        "signature_request_sent", signature_request_id=request.signature_request_id, timeout=10
    )
    assert sent.callback_type == "account_callback"
    assert hsnb_listener.events()["verified"].tolist() == [True]
