"""``grouped_signers`` for ``send`` and ``create_embedded``, as the official examples use them: any
one member of a group signs for it, one ``signature_request_signed`` per group, ``all_signed``
once every group signed; through the official SDK, and valid against the spec."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
from dropbox_sign import ApiClient, ApiException, Configuration, apis, models

from hsnb.emulator import Emulator
from hsnb.errors import Conflict
from hsnb.listener import Listener
from tests.emulator import openapi_spec
from tests.emulator.helpers import DOCUMENTS, FAST

WAIT = 10
EXAMPLE = openapi_spec.EXAMPLES / "SignatureRequestCreateEmbeddedRequestGroupedSigners.json"


@pytest.fixture
def stack() -> Iterator[tuple[Emulator, Listener]]:
    with Emulator(**{**FAST, "name": "groups"}) as emulator:
        with Listener(api_keys=[emulator.api_key], name="groups") as listener:
            emulator.callback_url = listener.url
            yield emulator, listener


def sdk(emulator: Emulator) -> apis.SignatureRequestApi:
    config = Configuration(host=emulator.api_url, username=emulator.api_key)
    return apis.SignatureRequestApi(ApiClient(config))


def official_example(emulator: Emulator, pdf) -> models.SignatureRequestCreateEmbeddedRequest:
    """The spec's own grouped_signers example, with ``pdf`` (the NDA: two signature tags)."""
    body = json.loads(EXAMPLE.read_text())
    body.pop("file_urls")
    body["client_id"] = emulator.client_id
    body["use_text_tags"] = True
    request = models.SignatureRequestCreateEmbeddedRequest.from_dict(body)
    request.files = [pdf]
    return request


def test_the_official_example_is_accepted_and_signed_by_one_member_per_group(stack):
    emulator, listener = stack
    api = sdk(emulator)
    with open(DOCUMENTS / "nda-two-signers.pdf", "rb") as pdf:
        created = api.signature_request_create_embedded(
            official_example(emulator, pdf)
        ).signature_request
    request_id = created.signature_request_id
    listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=WAIT)
    signatures = created.signatures
    assert [s.signer_name for s in signatures] == ["Jack", "Jill", "Bob", "Charlie"]
    assert signatures[0].signer_group_guid == signatures[1].signer_group_guid
    assert signatures[1].signer_group_guid != signatures[2].signer_group_guid
    jill, charlie = signatures[1].signature_id, signatures[3].signature_id

    with pytest.raises(Conflict, match=r"wait until group Group #1 \(order 0\) has signed"):
        emulator.sign(charlie)  # group 2 signs after group 1
    emulator.sign(jill)
    with pytest.raises(Conflict, match="Another member of group Group #1 has already signed"):
        emulator.sign(signatures[0].signature_id)
    emulator.sign(charlie)
    listener.wait_for("signature_request_all_signed", signature_request_id=request_id, timeout=WAIT)
    assert emulator.wait_idle()
    events = listener.events()
    signed = events[events["event_type"] == "signature_request_signed"]
    assert list(signed["related_signature_id"]) == [jill, charlie]
    final = api.signature_request_get(request_id).signature_request
    assert final.is_complete is True
    assert [s.status_code for s in final.signatures] == [
        "awaiting_signature",
        "signed",
        "awaiting_signature",
        "signed",
    ]
    body = requests.get(
        f"{emulator.api_url}/signature_request/{request_id}",
        auth=(emulator.api_key, ""),
        timeout=WAIT,
    ).json()
    assert openapi_spec.errors("SignatureRequestGetResponse", body) == []


def test_send_takes_grouped_signers_in_bracket_form(stack):
    emulator, listener = stack
    data = {"title": "Groups", "use_text_tags": "1"}
    for g, members in enumerate((("Ann", "Al"), ("Bea",))):
        data[f"grouped_signers[{g}][group]"] = f"G{g}"
        for m, name in enumerate(members):
            data[f"grouped_signers[{g}][signers][{m}][name]"] = name
            data[f"grouped_signers[{g}][signers][{m}][email_address]"] = f"{name}@example.com"
    pdf = (DOCUMENTS / "nda-two-signers.pdf").read_bytes()
    answer = requests.post(
        f"{emulator.api_url}/signature_request/send",
        data=data,
        files={"files[0]": ("nda.pdf", pdf, "application/pdf")},
        auth=(emulator.api_key, ""),
        timeout=WAIT,
    )
    assert answer.status_code == 200, answer.text
    request_id = answer.json()["signature_request"]["signature_request_id"]
    listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=WAIT)
    assert len(answer.json()["signature_request"]["signatures"]) == 3


def test_a_tag_for_a_group_that_does_not_exist_is_signature_request_invalid(stack):
    emulator, listener = stack
    body = {
        "client_id": emulator.client_id,
        "use_text_tags": True,
        "grouped_signers": [
            {"group": "Only", "signers": [{"name": "A", "email_address": "a@example.com"}]}
        ],
    }
    request = models.SignatureRequestCreateEmbeddedRequest.from_dict(body)
    with open(DOCUMENTS / "nda-two-signers.pdf", "rb") as pdf:
        request.files = [pdf]
        created = sdk(emulator).signature_request_create_embedded(request).signature_request
    event = listener.wait_for(
        ["signature_request_sent", "signature_request_invalid"],
        signature_request_id=created.signature_request_id,
        timeout=WAIT,
    )
    assert event.event_type == "signature_request_invalid"
    assert "signer2" in event.event_message


@pytest.mark.parametrize(
    "grouped, message, path",
    [
        (
            [{"group": "", "signers": [{"name": "A", "email_address": "a@x.com"}]}],
            "grouped_signers[0].group is required.",
            "grouped_signers[0].group",
        ),
        (
            [{"group": "G", "signers": []}],
            "grouped_signers[0].signers must name at least one signer.",
            "grouped_signers[0].signers",
        ),
        (
            [{"group": "G", "signers": [{"name": "A", "email_address": "nope"}]}],
            "Invalid email address: nope",
            "grouped_signers[0].signers[0].email_address",
        ),
    ],
)
def test_a_bad_group_is_a_400_naming_it(stack, grouped, message, path):
    emulator, _ = stack
    body = {
        "client_id": emulator.client_id,
        "file_urls": ["data:text/plain,Hi"],
        "grouped_signers": grouped,
    }
    answer = requests.post(
        f"{emulator.api_url}/signature_request/create_embedded",
        json=body,
        auth=(emulator.api_key, ""),
        timeout=WAIT,
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "error_msg": message,
        "error_name": "bad_request",
        "error_path": path,
    }


def test_signers_and_grouped_signers_together_are_refused(stack):
    emulator, _ = stack
    body = {
        "client_id": emulator.client_id,
        "file_urls": ["data:text/plain,Hi"],
        "signers": [{"name": "A", "email_address": "a@example.com"}],
        "grouped_signers": [
            {"group": "G", "signers": [{"name": "B", "email_address": "b@example.com"}]}
        ],
    }
    with pytest.raises(ApiException) as refused:
        sdk(emulator).signature_request_create_embedded(
            models.SignatureRequestCreateEmbeddedRequest.from_dict(body)
        )
    assert refused.value.status == 400
    assert refused.value.data.error.error_msg == "Specify signers or grouped_signers, not both."
