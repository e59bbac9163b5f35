"""Requests found by review that once made the emulator answer 500, break its clock, lose
callbacks, or serve a canceled request's document. Each now gets the spec's answer."""

from __future__ import annotations

import re

import pytest
import requests

from hsnb.emulator import Emulator, EmulatorError
from tests.emulator.helpers import FAST, document
from tests.emulator.receiver import Receiver

SEND_BODY = {
    "file_urls": ["data:text/plain,hi"],
    "signers": [{"name": "A", "email_address": "a@example.com"}],
}


@pytest.fixture
def em():
    with Emulator(**{**FAST, "name": "review-fixes"}) as running:
        yield running


def error_name(response: requests.Response) -> str:
    return response.json()["error"]["error_name"]


def test_basic_auth_with_non_ascii_text_is_401(em):
    answer = requests.get(f"{em.api_url}/account", headers={"Authorization": "Basic \xe9=="})
    assert (answer.status_code, error_name(answer)) == (401, "unauthorized")


def test_a_malformed_callback_url_is_400(em):
    answer = requests.put(
        f"{em.api_url}/account", auth=(em.api_key, ""), json={"callback_url": "http://[::1/cb"}
    )
    assert (answer.status_code, error_name(answer)) == (400, "bad_request")
    assert "Invalid url for callback_url" in answer.json()["error"]["error_msg"]


def test_a_unicode_digit_as_a_bracket_index_is_400(em):
    data = {
        "client_id": em.client_id,
        "signers[\u00b2][name]": "A",
        "signers[\u00b2][email_address]": "a@example.com",
    }
    files = {"files[0]": ("one-signer.pdf", document("one-signer.pdf"), "application/pdf")}
    answer = requests.post(
        f"{em.api_url}/signature_request/create_embedded",
        auth=(em.api_key, ""),
        data=data,
        files=files,
    )
    assert (answer.status_code, error_name(answer)) == (400, "bad_request")


@pytest.mark.parametrize("path", ["/_emulator/advance", "/_emulator/faults"])
def test_infinite_seconds_are_refused_and_the_clock_keeps_working(em, path):
    body = {"seconds": "inf", "target": "api", "action": "delay"}
    answer = requests.post(f"{em.base_url}{path}", json=body)
    assert answer.status_code == 400
    assert "finite" in answer.json()["error"]["error_msg"]
    sent = requests.post(
        f"{em.api_url}/signature_request/send", auth=(em.api_key, ""), json=SEND_BODY
    )
    assert sent.status_code == 200


def test_a_person_acting_before_start_is_told_so_and_callbacks_still_flow_after():
    receiver = Receiver()
    emulator = Emulator(
        **{**FAST, "name": "review-lane", "callback_url": receiver.url}, start=False
    )
    try:
        with pytest.raises(EmulatorError, match="not running"):
            emulator.callback_test()
        emulator.start()
        requests.post(
            f"{emulator.api_url}/signature_request/send",
            auth=(emulator.api_key, ""),
            json=SEND_BODY,
        )
        assert emulator.wait_settled(5), f"never settled; the receiver got {receiver.types()}"
        assert "signature_request_sent" in receiver.types()
    finally:
        emulator.stop()
        receiver.stop()


def test_the_sign_page_document_is_gone_after_cancel(em):
    session = requests.Session()
    session.auth = (em.api_key, "")
    body = {
        "client_id": em.client_id,
        "use_text_tags": "1",
        "signers[0][name]": "A",
        "signers[0][email_address]": "a@example.com",
        "signers[1][name]": "B",
        "signers[1][email_address]": "b@example.com",
    }
    files = {"files[0]": ("nda.pdf", document("nda-two-signers.pdf"), "application/pdf")}
    created = session.post(
        f"{em.api_url}/signature_request/create_embedded", data=body, files=files
    ).json()["signature_request"]
    em.wait_idle(5)
    signature_id = created["signatures"][0]["signature_id"]
    url = session.get(f"{em.api_url}/embedded/sign_url/{signature_id}").json()["embedded"][
        "sign_url"
    ]
    page_session = re.search(r"/_emulator/sessions/([0-9a-f]+)/", requests.get(url).text).group(1)
    request_id = created["signature_request_id"]
    assert session.post(f"{em.api_url}/signature_request/cancel/{request_id}").status_code == 200
    document_url = f"{em.base_url}/_emulator/sessions/{page_session}/document.pdf"
    assert requests.get(document_url).status_code == 410
