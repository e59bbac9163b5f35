"""A local server a web page can find: the control plane refuses cross-site requests and foreign
``Host`` headers; ``file_urls`` to this machine or a private network are refused unless allowed
(allowed by default only on loopback binds). Each test is the attack, refused."""

from __future__ import annotations

import requests

from hsnb.emulator import Emulator
from hsnb.listener import Listener
from tests.emulator.file_server import FileServer
from tests.emulator.helpers import FAST

TIMEOUT = 10


def plane(emulator: Emulator, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method, f"{emulator.base_url}/_emulator/{path}", timeout=TIMEOUT, **kwargs
    )


def test_a_cross_site_text_plain_post_cannot_reset(emulator):
    before = emulator.clock.now()
    answer = plane(
        emulator,
        "POST",
        "reset",
        data='{"seed": 1}',
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example"},
    )
    assert answer.status_code == 403
    assert answer.json()["error"] == {
        "error_msg": "Cross-site request refused (Origin https://evil.example).",
        "error_name": "forbidden",
    }
    assert emulator.seed == 0 and emulator.clock.now() >= before


def test_a_form_post_without_origin_is_refused_too(emulator):
    answer = plane(emulator, "POST", "callback_test", data={"url": "https://evil.example/x"})
    assert answer.status_code == 403
    assert "JSON bodies only" in answer.json()["error"]["error_msg"]
    assert emulator.attempts() == []  # the emulator POSTed nowhere


def test_sec_fetch_site_cross_site_is_refused(emulator):
    answer = plane(
        emulator,
        "POST",
        "faults",
        json={"target": "api", "action": "unknown"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403
    assert emulator.backend.faults.active() == []


def test_a_rebound_host_name_is_refused(emulator):
    """DNS rebinding: a page at evil.example whose name now resolves to 127.0.0.1."""
    answer = plane(emulator, "GET", "state", headers={"Host": f"evil.example:{emulator.port}"})
    assert answer.status_code == 403
    assert answer.json()["error"]["error_msg"] == (
        "The control plane answers only on a loopback host, not 'evil.example'."
    )


def test_same_origin_json_still_works(emulator):
    origin = emulator.base_url
    answer = plane(emulator, "POST", "seed", json={"seed": 7}, headers={"Origin": origin})
    assert answer.status_code == 200 and emulator.seed == 7
    assert plane(emulator, "GET", "state", headers={"Host": f"localhost:{emulator.port}"}).ok


def create_from_url(emulator: Emulator, url: str) -> str:
    body = {
        "client_id": emulator.client_id,
        "file_urls": [url],
        "signers": [{"name": "Jack", "email_address": "jack@example.com"}],
    }
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        json=body,
        auth=(emulator.api_key, ""),
        timeout=TIMEOUT,
    )
    return answer.json()["signature_request"]["signature_request_id"]


def outcome(emulator: Emulator, listener: Listener, request_id: str):
    return listener.wait_for(
        ["signature_request_sent", "file_error"], signature_request_id=request_id, timeout=TIMEOUT
    )


def test_file_urls_to_this_machine_are_refused_when_not_allowed():
    files = FileServer()
    try:
        settings = {**FAST, "name": "ssrf", "allow_private_file_urls": False}
        with Emulator(**settings) as emulator, Listener(api_keys=[emulator.api_key]) as listener:
            emulator.callback_url = listener.url
            request_id = create_from_url(emulator, files.url("/nda-two-signers.pdf"))
            event = outcome(emulator, listener, request_id)
            assert event.event_type == "file_error"
            assert event.event_message.endswith(
                "127.0.0.1 is a local or private address (allow_private_file_urls is off)"
            )
            assert files.requests == []  # refused before connecting
    finally:
        files.stop()


def test_file_urls_to_this_machine_work_on_a_loopback_bind_by_default(emulator, receiver):
    files = FileServer()
    try:
        with Listener(api_keys=[emulator.api_key]) as listener:
            emulator.callback_url = listener.url
            request_id = create_from_url(emulator, files.url("/nda-two-signers.pdf"))
            assert outcome(emulator, listener, request_id).event_type == "signature_request_sent"
    finally:
        files.stop()


def test_a_non_loopback_bind_refuses_private_file_urls_by_default():
    """Decided when the emulator is made (not started here: tests bind 127.0.0.1 only)."""
    wide = Emulator(**{**FAST, "name": "wide"}, host="0.0.0.0", start=False)
    assert wide.fetcher.allow_private is False
    local = Emulator(**{**FAST, "name": "local"}, start=False)
    assert local.fetcher.allow_private is True
