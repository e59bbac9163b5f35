"""API keys: up to four per account, any key authenticates, the primary key signs ``event_hash``;
key rotation rehearsed end to end against listeners given one key and given both.

The official SDK (2.0.0) has no API key endpoints yet, so keys are managed over plain HTTP; the
requests themselves go through the SDK, authenticated with the new key, and every callback is
checked with the SDK's ``EventCallbackHelper``.
"""

from __future__ import annotations

import requests
from dropbox_sign import ApiClient, Configuration, EventCallbackHelper, apis, models
from dropbox_sign.models import EventCallbackRequest

from hsnb.emulator import Emulator
from hsnb.listener import Listener
from tests.emulator.helpers import FAST

WAIT = 10


def keys_call(emulator: Emulator, key: str, method: str, path: str = "", **kwargs):
    url = f"{emulator.api_url}/api_key{path}"
    return requests.request(method, url, auth=(key, ""), timeout=WAIT, **kwargs)


def create_key(emulator: Emulator, name: str) -> dict:
    answer = keys_call(emulator, emulator.api_key, "POST", json={"name": name})
    assert answer.status_code == 200, answer.text
    return answer.json()["api_key"]


def test_the_account_starts_with_one_primary_key(emulator):
    (key,) = keys_call(emulator, emulator.api_key, "GET").json()["api_keys"]
    assert (key["name"], key["is_primary"], len(key["api_key_id"])) == ("Primary key", True, 40)
    assert "secret" not in key


def test_a_new_key_shows_its_secret_once_and_authenticates(emulator):
    created = create_key(emulator, "rotation")
    assert created["is_primary"] is False and len(created["secret"]) == 64
    assert created["last_used_at"] is None
    got = keys_call(emulator, created["secret"], "GET", f"/{created['api_key_id']}").json()
    assert "secret" not in got["api_key"]
    assert got["api_key"]["last_used_at"] is not None  # it was just used to ask


def test_a_fifth_key_is_refused(emulator):
    for n in range(3):
        create_key(emulator, f"key {n}")
    answer = keys_call(emulator, emulator.api_key, "POST", json={"name": "fifth"})
    assert answer.status_code == 400
    assert answer.json()["error"]["error_msg"] == (
        "An account can have at most 4 API keys: delete one first."
    )


def test_names_are_unique_and_short(emulator):
    create_key(emulator, "ci")
    duplicate = keys_call(emulator, emulator.api_key, "POST", json={"name": "ci"})
    assert duplicate.json()["error"]["error_msg"] == "An API key named 'ci' already exists."
    long = keys_call(emulator, emulator.api_key, "POST", json={"name": "x" * 26})
    assert long.json()["error"]["error_msg"] == "name must be at most 25 characters."


def test_the_primary_key_cannot_be_deleted_or_demoted(emulator):
    (primary,) = keys_call(emulator, emulator.api_key, "GET").json()["api_keys"]
    path = f"/{primary['api_key_id']}"
    deleted = keys_call(emulator, emulator.api_key, "DELETE", path)
    assert deleted.status_code == 400
    assert deleted.json()["error"]["error_msg"] == (
        "The primary API key cannot be deleted: promote another key first."
    )
    demoted = keys_call(emulator, emulator.api_key, "PUT", path, json={"is_primary": False})
    assert demoted.json()["error"]["error_msg"] == "is_primary can only be set to true."


def test_an_unknown_key_id_is_not_found(emulator):
    answer = keys_call(emulator, emulator.api_key, "GET", "/" + "0" * 40)
    assert (answer.status_code, answer.json()["error"]["error_name"]) == (404, "not_found")


def sdk_create(emulator: Emulator, key: str, title: str) -> str:
    config = Configuration(host=emulator.api_url, username=key)
    request = models.SignatureRequestCreateEmbeddedRequest(
        client_id=emulator.client_id,
        file_urls=["data:text/plain,Please sign."],
        signers=[models.SubSignatureRequestSigner(name="Jack", email_address="jack@example.com")],
        title=title,
    )
    with ApiClient(config) as client:
        answer = apis.SignatureRequestApi(client).signature_request_create_embedded(request)
    return answer.signature_request.signature_request_id


def test_key_rotation_rehearsed_with_a_listener_given_both_keys():
    """Create a key, move the integration to it, promote it, delete the old one: a listener
    given both keys accepts every callback throughout; one given only the old key starts
    refusing the moment the new key is promoted (where production verification breaks)."""
    settings = {**FAST, "name": "rotation", "processing_delay": 1, "time_scale": None}
    with Emulator(**settings) as emulator:
        old = emulator.api_key
        with (
            Listener(api_keys=[old], name="old-key-only") as stale,
            Listener(api_keys=[old], name="both-keys-later") as ready,
        ):
            emulator.callback_url = ready.url
            emulator.app_callback_url = stale.url
            new = create_key(emulator, "2026 rotation")
            # The integration is redeployed with both keys before anything else changes.
            ready.stop()
            with Listener(api_keys=[old, new["secret"]], name="both-keys") as both:
                emulator.callback_url = both.url
                before = sdk_create(emulator, new["secret"], "before")
                emulator.advance(1)
                sent = both.wait_for("signature_request_sent", signature_request_id=before)
                stale.wait_for("signature_request_sent", signature_request_id=before)
                first = EventCallbackRequest.init(dict(sent.payload))
                assert EventCallbackHelper.is_valid(old, first)

                promoted = keys_call(
                    emulator,
                    new["secret"],
                    "PUT",
                    f"/{new['api_key_id']}",
                    json={"is_primary": True},
                )
                assert promoted.json()["api_key"]["is_primary"] is True
                assert emulator.api_key == new["secret"]
                after = sdk_create(emulator, new["secret"], "after")
                emulator.advance(1)
                event = both.wait_for("signature_request_sent", signature_request_id=after)
                payload = EventCallbackRequest.init(dict(event.payload))
                assert EventCallbackHelper.is_valid(new["secret"], payload)
                assert not EventCallbackHelper.is_valid(old, payload)
                emulator.wait_idle()

                refused = stale.deliveries()
                assert list(refused["status"]) == [200, 403]
                assert "event_hash does not match" in refused["reason"].iloc[-1]

                (old_key,) = [
                    k
                    for k in keys_call(emulator, new["secret"], "GET").json()["api_keys"]
                    if not k["is_primary"]
                ]
                keys_call(emulator, new["secret"], "DELETE", f"/{old_key['api_key_id']}")
                gone = keys_call(emulator, old, "GET")
                assert (gone.status_code, gone.json()["error"]["error_name"]) == (
                    401,
                    "unauthorized",
                )
