"""Signing order: with ``order`` given, a signer signs only after every lower order signed."""

from __future__ import annotations

import pytest
import requests

from hsnb import errors as ex
from hsnb.emulator.service.lifecycle import SignerStatus
from tests.emulator.helpers import create_form, signers

TIMEOUT = 10


def ordered(*orders):
    """Signers Jack, Jill, Joe... with the given ``order`` values (``None``: not given)."""
    people = signers(len(orders))
    for person, order in zip(people, orders, strict=True):
        if order is not None:
            person["order"] = order
    return people


def test_later_signer_must_wait_with_a_clear_message(harness):
    sr = harness.sent(signers=ordered(0, 1))
    jack, jill = sr.signers
    with pytest.raises(ex.Conflict) as caught:
        harness.backend.sign(jill.signature_id)
    assert caught.value.error_msg == (
        "This request is signed in order: wait until Jack (order 0) has signed."
    )
    with pytest.raises(ex.Conflict, match="signed in order"):
        harness.backend.view(jill.signature_id)
    harness.backend.sign(jack.signature_id)
    harness.backend.sign(jill.signature_id)
    assert jill.status is SignerStatus.SIGNED and sr.is_complete


def test_without_order_anyone_signs_first(harness):
    sr = harness.sent()
    harness.backend.sign(sr.signers[1].signature_id)
    assert sr.signers[1].status is SignerStatus.SIGNED


def test_order_values_not_positions_decide(harness):
    sr = harness.sent(count=3, document_name="one-signer.pdf", signers=ordered(2, 0, 1))
    jack, jill, joe = sr.signers
    with pytest.raises(ex.Conflict, match=r"Jill \(order 0\) and Joe \(order 1\) have signed"):
        harness.backend.sign(jack.signature_id)
    harness.backend.sign(jill.signature_id)
    harness.backend.sign(joe.signature_id)
    harness.backend.sign(jack.signature_id)
    assert sr.is_complete


def test_equal_orders_sign_in_any_order(harness):
    sr = harness.sent(count=3, document_name="one-signer.pdf", signers=ordered(0, 1, 1))
    _, jill, joe = sr.signers
    harness.backend.sign(sr.signers[0].signature_id)
    harness.backend.sign(joe.signature_id)
    harness.backend.sign(jill.signature_id)
    assert sr.is_complete


def test_a_signer_without_order_takes_its_position(harness):
    sr = harness.sent(count=3, document_name="one-signer.pdf", signers=ordered(None, None, 0))
    assert [s.order for s in sr.signers] == [0, 1, 0]
    with pytest.raises(ex.Conflict, match=r"Jack \(order 0\) and Joe \(order 0\) have signed"):
        harness.backend.sign(sr.signers[1].signature_id)


def test_a_signature_still_in_progress_does_not_count(make_harness):
    h = make_harness(signing_delay=60)
    sr = h.sent(signers=ordered(0, 1))
    h.backend.sign(sr.signers[0].signature_id)
    with pytest.raises(ex.Conflict, match="signed in order"):
        h.backend.sign(sr.signers[1].signature_id)
    h.clock.advance(60)
    h.backend.sign(sr.signers[1].signature_id)


# -- over HTTP -----------------------------------------------------------------------------------


def test_sign_url_and_sign_page_of_a_later_signer_answer_409(emulator):
    form = create_form(emulator.client_id)
    form["data"].update({"signers[0][order]": "0", "signers[1][order]": "1"})
    auth = (emulator.api_key, "")
    created = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded", auth=auth, timeout=TIMEOUT, **form
    )
    jack, jill = (s["signature_id"] for s in created.json()["signature_request"]["signatures"])
    assert emulator.wait_settled(5)
    early = requests.get(f"{emulator.api_url}/embedded/sign_url/{jill}", auth=auth, timeout=TIMEOUT)
    assert (early.status_code, early.json()["error"]) == (
        409,
        {
            "error_msg": "This request is signed in order: wait until Jack (order 0) has signed.",
            "error_name": "conflict",
        },
    )
    page = requests.get(f"{emulator.base_url}/_emulator/sign/{jill}", timeout=TIMEOUT)
    assert page.status_code == 409 and "wait until Jack (order 0) has signed" in page.text
    emulator.sign(jack)
    late = requests.get(f"{emulator.api_url}/embedded/sign_url/{jill}", auth=auth, timeout=TIMEOUT)
    assert late.status_code == 200
