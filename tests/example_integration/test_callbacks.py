"""The handler and the business code, tested with hsnb's pytest plugin alone (no conftest).

``hsnb_mock`` answers ``https://api.hellosign.com`` from a fast emulator, so ``contracts.py``
runs unchanged; ``hsnb_wsgi_server`` serves the handler so the emulator can call it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import contracts
import pytest
from callbacks import CallbackApp
from pypdf import PdfReader

from hsnb.trigger import sample_payload, send_callback

SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not true within {timeout} s")
        time.sleep(0.01)


@pytest.fixture
def handler(tmp_path: Path, hsnb_mock, hsnb_wsgi_server) -> CallbackApp:
    """The handler, served, and registered as the account's callback URL."""
    app = CallbackApp(tmp_path)
    hsnb_mock.emulator.callback_url = hsnb_wsgi_server(app).url("/callback")
    return app


def event_types(app: CallbackApp) -> list[str]:
    return [payload["event"]["event_type"] for payload in app.events]


def test_the_signed_nda_is_downloaded_once_everyone_signed(
    handler: CallbackApp, hsnb_mock, tmp_path: Path
) -> None:
    request_id = contracts.send_nda(SIGNERS)
    wait_until(lambda: "signature_request_sent" in event_types(handler))
    signatures = handler.events[0]["signature_request"]["signatures"]
    for signature in signatures:
        hsnb_mock.emulator.sign(signature["signature_id"])
    signed = tmp_path / f"{request_id}.pdf"
    wait_until(signed.exists)
    wait_until(lambda: "signature_request_downloadable" in event_types(handler))
    text = "".join(page.extract_text() for page in PdfReader(signed).pages)
    assert "Mutual Non-Disclosure Agreement" in text and "completed" in text.lower()
    assert event_types(handler)[:1] == ["signature_request_sent"]
    assert event_types(handler).count("signature_request_signed") == len(SIGNERS)
    assert [call.url for call in hsnb_mock.calls] == [
        "https://api.hellosign.com/v3/signature_request/send",
        f"https://api.hellosign.com/v3/signature_request/files/{request_id}?file_type=pdf",
    ]


def test_duplicate_deliveries_are_handled_once(handler: CallbackApp, hsnb_mock) -> None:
    hsnb_mock.emulator.inject_fault("callback", "duplicate", count=None)
    contracts.send_nda(SIGNERS[:1])
    wait_until(lambda: len(hsnb_mock.emulator.attempts()) >= 2)
    assert hsnb_mock.emulator.wait_settled()
    assert event_types(handler) == ["signature_request_sent"]
    assert [a.outcome for a in hsnb_mock.emulator.attempts()] == ["acknowledged"] * 2


def test_a_forged_callback_is_refused_and_would_be_retried(
    handler: CallbackApp, hsnb_mock, hsnb_wsgi_server
) -> None:
    url = hsnb_wsgi_server(handler).url("/callback")
    forged = send_callback(url, sample_payload("signature_request_sent", "not-the-key"))
    genuine = send_callback(url, sample_payload("signature_request_sent", hsnb_mock.api_key))
    assert (forged.status, forged.acknowledged) == (401, False)
    assert (genuine.status, genuine.acknowledged) == (200, True)
    assert event_types(handler) == ["signature_request_sent"]
