"""Text tag problems give ``file_error`` or ``signature_request_invalid`` "depending on the reason"
(help centre, "Best practices for Dropbox Sign callbacks"): a malformed tag -> ``file_error``, a
tag for a signer the request lacks -> ``signature_request_invalid``; over the official SDK."""

from __future__ import annotations

import pytest
from dropbox_sign import ApiClient, Configuration, apis, models

from hsnb.emulator import Emulator
from hsnb.listener import Listener
from tests.emulator.helpers import DOCUMENTS, FAST

OUTCOMES = ["signature_request_sent", "file_error", "signature_request_invalid"]


def outcome(setting: str | None, document: str) -> tuple[str, str, list[str]]:
    """create_embedded ``document`` with two signers through the SDK; the outcome event, its
    message and the signers' status codes."""
    settings = {**FAST, "name": "tag-events"}
    if setting is not None:
        settings["text_tag_error_event"] = setting
    with Emulator(**settings) as emulator, Listener(api_keys=[emulator.api_key]) as listener:
        emulator.callback_url = listener.url
        config = Configuration(host=emulator.api_url, username=emulator.api_key)
        with ApiClient(config) as client, open(DOCUMENTS / document, "rb") as pdf:
            api = apis.SignatureRequestApi(client)
            request = models.SignatureRequestCreateEmbeddedRequest(
                client_id=emulator.client_id,
                files=[pdf],
                signers=[
                    models.SubSignatureRequestSigner(name="A", email_address="a@example.com"),
                    models.SubSignatureRequestSigner(name="B", email_address="b@example.com"),
                ],
                use_text_tags=True,
            )
            created = api.signature_request_create_embedded(request).signature_request
            event = listener.wait_for(
                OUTCOMES, signature_request_id=created.signature_request_id, timeout=10
            )
            got = api.signature_request_get(created.signature_request_id).signature_request
    return event.event_type, event.event_message, [s.status_code for s in got.signatures]


def test_a_tag_for_a_missing_signer_gives_signature_request_invalid():
    kind, message, statuses = outcome(None, "signer-mismatch.pdf")
    assert kind == "signature_request_invalid"
    assert "signer3" in message
    assert statuses == ["error_text_tag", "error_text_tag"]


def test_a_malformed_tag_gives_file_error():
    kind, message, _ = outcome(None, "malformed-tag.pdf")
    assert kind == "file_error"
    assert "malformed" in message.lower() or "[" in message


@pytest.mark.parametrize("setting", ["file_error", "signature_request_invalid"])
def test_one_event_for_every_tag_problem_when_chosen(setting):
    assert outcome(setting, "signer-mismatch.pdf")[0] == setting
    assert outcome(setting, "malformed-tag.pdf")[0] == setting
