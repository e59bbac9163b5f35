"""``expires_at``: validation on create, and expiry when the emulated clock reaches it."""

from __future__ import annotations

import pytest
import requests

from hsnb import errors as ex
from hsnb.emulator.service.clock import DEFAULT_EPOCH
from hsnb.emulator.service.documents import pdf_text
from hsnb.emulator.service.lifecycle import RequestState, SignerStatus
from tests.emulator.helpers import create_form

DAY = 86400
HOUR = 3600
TIMEOUT = 10


# -- the model ---------------------------------------------------------------------------------


def test_expires_at_is_rounded_down_to_the_hour(harness):
    sr = harness.create(expires_at=DEFAULT_EPOCH + 2 * DAY + 59 * 60)
    assert sr.expires_at == DEFAULT_EPOCH + 2 * DAY


@pytest.mark.parametrize("offset", [DAY - 1, 90 * DAY + 1, -DAY])
def test_expires_at_outside_1_to_90_days_is_a_bad_request(harness, offset):
    with pytest.raises(ex.BadRequest) as caught:
        harness.create(expires_at=DEFAULT_EPOCH + offset)
    assert caught.value.error_path == "expires_at"
    assert caught.value.error_msg == (
        "expires_at must be between 1 and 90 days from now: Unix seconds from"
        f" {DEFAULT_EPOCH + DAY} to {DEFAULT_EPOCH + 90 * DAY} (the emulator's clock says now"
        f" is {DEFAULT_EPOCH}), not {DEFAULT_EPOCH + offset}."
    )


def test_unsigned_signatures_expire_and_the_event_is_sent(harness):
    sr = harness.sent(expires_at=DEFAULT_EPOCH + DAY)
    first, second = sr.signers
    harness.backend.sign(first.signature_id)
    harness.clock.advance(DAY - 61)
    assert sr.state is RequestState.AWAITING_SIGNATURE
    harness.clock.advance(1)
    assert sr.state is RequestState.EXPIRED
    assert (first.status, second.status) == (SignerStatus.SIGNED, SignerStatus.EXPIRED)
    expired = harness.deliveries[-1]
    assert expired.event_type == "signature_request_expired"
    assert expired.event_time == DEFAULT_EPOCH + DAY
    signatures = expired.payload["signature_request"]["signatures"]
    assert [s["status_code"] for s in signatures] == ["signed", "expired"]
    assert not (sr.is_complete or sr.is_declined or sr.has_error)


def test_expired_request_cannot_be_signed_canceled_or_reminded(harness):
    sr = harness.sent(expires_at=DEFAULT_EPOCH + DAY, embedded=False)
    harness.clock.advance(DAY)
    signature_id = sr.signers[0].signature_id
    with pytest.raises(ex.Conflict, match="This request has expired."):
        harness.backend.sign(signature_id)
    with pytest.raises(ex.SignatureRequestCancelFailed, match="it is expired"):
        harness.backend.cancel(harness.account, sr.signature_request_id)
    with pytest.raises(ex.InvalidReminder):
        harness.backend.remind(harness.account, sr.signature_request_id, "jack@example.com")


def test_a_signature_in_progress_at_expiry_does_not_land(make_harness):
    h = make_harness(signing_delay=600)
    sr = h.sent(expires_at=DEFAULT_EPOCH + DAY)
    h.clock.advance(DAY - 60 - 300)
    h.backend.sign(sr.signers[0].signature_id)
    h.clock.advance(3600)
    assert sr.signers[0].status is SignerStatus.EXPIRED
    assert "signature_request_signed" not in h.types()


def test_complete_request_does_not_expire(harness):
    sr = harness.sent(count=1, expires_at=DEFAULT_EPOCH + DAY)
    harness.backend.sign(sr.signers[0].signature_id)
    harness.clock.advance(2 * DAY)
    assert sr.state is RequestState.COMPLETE
    assert "signature_request_expired" not in harness.types()


def test_copy_after_expiry_says_expired_on_the_audit_page(harness):
    sr = harness.sent(expires_at=DEFAULT_EPOCH + DAY)
    harness.clock.advance(DAY)
    data, _, _ = harness.backend.files(harness.account, sr.signature_request_id)
    text = pdf_text(data)
    assert "Status: expired" in text
    assert "2026-01-02 00:00:00 UTC expired Dropbox Sign" in text


# -- over HTTP, on a manual clock ---------------------------------------------------------------


def call(emulator, method, path, **kwargs):
    url = emulator.api_url + path
    return requests.request(method, url, auth=(emulator.api_key, ""), timeout=TIMEOUT, **kwargs)


def create(emulator, **fields):
    form = create_form(emulator.client_id)
    form["data"].update({k: str(v) for k, v in fields.items()})
    return call(emulator, "POST", "/signature_request/create_embedded", **form)


def test_expiry_over_http(manual_emulator, receiver):
    manual_emulator.callback_url = receiver.url
    response = create(manual_emulator, expires_at=DEFAULT_EPOCH + 3 * DAY + 1234)
    sr = response.json()["signature_request"]
    assert sr["expires_at"] == DEFAULT_EPOCH + 3 * DAY
    manual_emulator.advance(5)
    assert manual_emulator.next_deadline() == DEFAULT_EPOCH + 3 * DAY
    manual_emulator.advance(3 * DAY - 5 - HOUR / 2)
    signature_id = sr["signatures"][0]["signature_id"]
    early = call(manual_emulator, "GET", f"/embedded/sign_url/{signature_id}")
    sign_url = early.json()["embedded"]["sign_url"]
    manual_emulator.advance(HOUR / 2)
    assert manual_emulator.wait_idle(5)
    assert receiver.types()[-1] == "signature_request_expired"
    got = call(manual_emulator, "GET", f"/signature_request/{sr['signature_request_id']}")
    assert {s["status_code"] for s in got.json()["signature_request"]["signatures"]} == {"expired"}
    late = call(manual_emulator, "GET", f"/embedded/sign_url/{signature_id}")
    assert (late.status_code, late.json()["error"]) == (
        409,
        {"error_msg": "This request has expired.", "error_name": "conflict"},
    )
    page = requests.get(sign_url, timeout=TIMEOUT)
    assert page.status_code == 409 and "This request has expired." in page.text


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tomorrow", "expires_at must be an integer, not 'tomorrow'"),
        (str(DEFAULT_EPOCH + HOUR), "expires_at must be between 1 and 90 days from now"),
    ],
)
def test_bad_expires_at_over_http(manual_emulator, value, message):
    response = create(manual_emulator, expires_at=value)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["error_name"] == "bad_request" and error["error_path"] == "expires_at"
    assert error["error_msg"].startswith(message)
