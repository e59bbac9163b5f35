"""Every response and callback of a full happy path validates against the official spec.

The spec is the copy in ``tests/fixtures/openapi/`` (hellosign-openapi, Apache-2.0). The flow runs
over real HTTP on 127.0.0.1: account, API apps, a template, requests from it and without it
(``create_embedded`` with no title, ``send``), sign URLs, signing, every files endpoint, remind,
cancel and the deletes; the callbacks go to a real receiver. Each answer is checked by
:class:`~tests.emulator.spec_client.SpecSession` (status documented, body valid, rate-limit
headers present) and each callback against ``EventCallbackRequest``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from hsnb.emulator import Emulator
from hsnb.emulator.service.serializers import SPEC_CONTRADICTIONS
from hsnb.testing import Receiver
from tests.emulator import openapi_spec
from tests.emulator.helpers import FAST, document
from tests.emulator.spec_client import SpecSession

PDF = ("nda.pdf", b"", "application/pdf")


@pytest.fixture
def world() -> Iterator[tuple[Emulator, Receiver, SpecSession]]:
    """An emulator on manual time whose account and default app call back one receiver."""
    receiver = Receiver()
    settings = {**FAST, "time_scale": None, "processing_delay": 5, "file_prep_delay": 2}
    settings["rate_limit"] = 10_000  # the spec documents the rate-limit headers on every 2xx
    with Emulator(**settings, callback_url=receiver.url, app_callback_url=receiver.url) as emu:
        yield emu, receiver, SpecSession(emu.api_url, emu.api_key)
        assert emu.clock.errors == []
    receiver.stop()


def settle(emulator: Emulator) -> None:
    """Fire every timer and wait until the deliveries are done."""
    while (deadline := emulator.next_deadline()) is not None:
        emulator.advance(max(0.0, deadline - emulator.clock.now()))
        emulator.wait_idle()
    assert emulator.wait_idle()


def nda_files() -> dict:
    return {"files[0]": ("nda.pdf", document("nda-two-signers.pdf"), "application/pdf")}


def run_happy_path(emulator: Emulator, api: SpecSession) -> None:
    """Every emulated operation once, in the order an integration calls them."""
    api.call("GET", "/account")
    api.call("PUT", "/account", json={"locale": "en-US"})
    app = api.call(
        "POST", "/api_app", json={"name": "Conformance", "domains": ["example.com"]}
    ).json()["api_app"]
    api.call("GET", f"/api_app/{app['client_id']}")
    api.call("PUT", f"/api_app/{app['client_id']}", json={"name": "Renamed"})
    api.call("GET", "/api_app/list", params={"page_size": 5})

    template_id = api.call(
        "POST",
        "/template/create",
        data={"signer_roles[0][name]": "Client", "signer_roles[1][name]": "Witness"},
        files=nda_files(),
    ).json()["template"]["template_id"]
    settle(emulator)
    api.call("GET", f"/template/{template_id}")
    api.call("GET", "/template/list")
    from_template = api.call(
        "POST",
        "/signature_request/send_with_template",
        json={
            "template_ids": [template_id],
            "signers": [
                {"role": "Client", "name": "Jack", "email_address": "jack@example.com"},
                {"role": "Witness", "name": "Jill", "email_address": "jill@example.com"},
            ],
        },
    ).json()["signature_request"]

    data = {"client_id": emulator.client_id, "use_text_tags": "1"}  # no title: spec says string
    for i, name in enumerate(("Jack", "Jill")):
        data[f"signers[{i}][name]"] = name
        data[f"signers[{i}][email_address]"] = f"{name.lower()}@example.com"
    embedded = api.call(
        "POST", "/signature_request/create_embedded", data=data, files=nda_files()
    ).json()["signature_request"]
    request_id = embedded["signature_request_id"]
    api.call("GET", f"/signature_request/files/{request_id}")  # 409 while processing
    settle(emulator)
    for signature in embedded["signatures"]:
        api.call("GET", f"/embedded/sign_url/{signature['signature_id']}")
        emulator.sign(signature["signature_id"])
        settle(emulator)
    api.call("GET", f"/signature_request/{request_id}")
    api.call("GET", "/signature_request/list", params={"page": 1, "page_size": 10})
    api.call("GET", f"/signature_request/files/{request_id}")
    api.call("GET", f"/signature_request/files/{request_id}", params={"file_type": "zip"})
    api.call("GET", f"/signature_request/files_as_data_uri/{request_id}")
    api.call("GET", f"/signature_request/files_as_file_url/{request_id}")

    sent = api.call(
        "POST",
        "/signature_request/send",
        data={
            "title": "Send",
            "signers[0][name]": "Joe",
            "signers[0][email_address]": "joe@example.com",
        },
        files=nda_files(),
    ).json()["signature_request"]
    settle(emulator)
    api.call(
        "POST",
        f"/signature_request/remind/{sent['signature_request_id']}",
        json={"email_address": "joe@example.com"},
    )
    api.call("POST", f"/signature_request/cancel/{from_template['signature_request_id']}")
    settle(emulator)
    api.call("GET", f"/signature_request/{from_template['signature_request_id']}")  # 410
    api.call("POST", f"/template/delete/{template_id}")
    api.call("DELETE", f"/api_app/{app['client_id']}")


def test_every_answer_of_a_happy_path_is_valid_against_the_spec(world):
    emulator, _, api = world
    run_happy_path(emulator, api)
    assert api.problems == []
    statuses = {label.rsplit(" ", 1)[-1] for label in api.checked}
    assert {"200", "201", "204", "409", "410"} <= statuses  # errors were checked too
    assert len(api.checked) >= 25


def test_every_callback_of_a_happy_path_is_valid_against_the_spec(world):
    emulator, receiver, api = world
    run_happy_path(emulator, api)
    kinds = {r.event_type for r in receiver.received}
    assert {
        "template_created",
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
        "signature_request_remind",
        "signature_request_canceled",
    } <= kinds
    problems = [
        f"{r.event_type}: {error}"
        for r in receiver.received
        for error in openapi_spec.errors("EventCallbackRequest", r.payload)
    ]
    assert problems == []


def test_the_validator_catches_what_the_spec_forbids():
    """The check can fail: a null title and an unknown event type are both reported."""
    path = openapi_spec.EXAMPLES / "EventCallbackAccountSignatureRequestSent.json"
    example = json.loads(path.read_text())
    assert openapi_spec.errors("EventCallbackRequest", example) == []
    example["signature_request"]["title"] = None
    example["event"]["event_type"] = "signature_request_teleported"
    found = openapi_spec.errors("EventCallbackRequest", example)
    assert any(line.startswith("signature_request/title") for line in found)
    assert any(line.startswith("event/event_type") for line in found)


@pytest.mark.parametrize("contradiction", SPEC_CONTRADICTIONS, ids=lambda c: c[0])
def test_each_spec_contradiction_followed_is_real(contradiction):
    """The spec as published rejects the named examples; with the override they validate."""
    name, _, _, files = contradiction
    for file_name in files.split(", "):
        example = json.loads((openapi_spec.EXAMPLES / file_name).read_text())
        schema = "EventCallbackRequest" if file_name.startswith("EventCallback") else file_name[:-5]
        prop = name.split(".")[1]
        raw = openapi_spec.errors(schema, example, follow_examples=False)
        assert any(prop in line for line in raw), (file_name, raw)
        assert openapi_spec.errors(schema, example) == []


def test_the_overrides_are_exactly_the_contradictions_listed():
    assert sorted(openapi_spec.EXAMPLE_OVERRIDES) == sorted(c[0] for c in SPEC_CONTRADICTIONS)
