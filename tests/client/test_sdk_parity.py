"""The official SDK (dropbox-sign) and hsnb.Client give the same answers for the same calls."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest

dropbox_sign = pytest.importorskip("dropbox_sign")
from dropbox_sign import models  # noqa: E402

from hsnb.client import ApiError, Client  # noqa: E402
from tests.client.conftest import NDA, WAIT, completed, create, sent  # noqa: E402


def without_none(value: Any) -> Any:
    """``value`` with ``None`` entries dropped (the SDK's ``to_dict`` leaves them out)."""
    if isinstance(value, dict):
        return {k: without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_none(v) for v in value]
    return value


def same(sdk_model: Any, raw: dict[str, Any]) -> None:
    """The SDK model's fields equal the client's raw JSON (on the fields the SDK knows)."""
    sdk = sdk_model.to_dict()
    mine = without_none(raw)
    assert {k: mine.get(k) for k in sdk} == sdk


@pytest.fixture
def sdk(emulator) -> Iterator[Any]:
    """An SDK ``ApiClient`` pointed at the emulator."""
    config = dropbox_sign.Configuration(host=emulator.api_url, username=emulator.api_key)
    with dropbox_sign.ApiClient(config) as api:
        yield api


def sdk_error(call: Any) -> tuple[int, str, str]:
    with pytest.raises(dropbox_sign.ApiException) as caught:
        call()
    error = caught.value.data.error
    return caught.value.status, error.error_name, error.error_msg


def client_error(call: Any) -> tuple[int, str, str]:
    with pytest.raises(ApiError) as caught:
        call()
    return caught.value.status, caught.value.error_name, caught.value.error_msg


def test_create_embedded(sdk, client, emulator):
    request = models.SignatureRequestCreateEmbeddedRequest(
        client_id=emulator.client_id,
        files=[NDA.open("rb")],
        signers=[
            models.SubSignatureRequestSigner(name="Jack Doe", email_address="jack@example.com"),
            models.SubSignatureRequestSigner(name="Jill Doe", email_address="jill@example.com"),
        ],
        test_mode=True,
        use_text_tags=True,
        title="NDA",
        metadata={"case": "42"},
    )
    theirs = dropbox_sign.SignatureRequestApi(sdk).signature_request_create_embedded(request)
    mine = create(client, metadata={"case": "42"})
    strip = ("signature_request_id", "signature_id", "files_url", "details_url")

    def comparable(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: comparable(v) for k, v in value.items() if k not in strip}
        if isinstance(value, list):
            return [comparable(v) for v in value]
        return value

    sdk_dict = comparable(theirs.signature_request.to_dict())
    assert comparable({k: without_none(mine.raw).get(k) for k in sdk_dict}) == sdk_dict


def test_get_and_list(sdk, client, listener, emulator):
    sr = completed(client, listener, emulator)
    api = dropbox_sign.SignatureRequestApi(sdk)
    same(
        api.signature_request_get(sr.signature_request_id).signature_request,
        client.get(sr.signature_request_id).raw,
    )
    theirs = api.signature_request_list(page=1, page_size=5)
    mine = client.list_page(1, 5)
    same(theirs.list_info, mine.raw["list_info"])
    for their_sr, my_sr in zip(theirs.signature_requests, mine.items, strict=True):
        same(their_sr, my_sr.raw)


def test_files(sdk, client, listener, emulator):
    sr = completed(client, listener, emulator)
    api = dropbox_sign.SignatureRequestApi(sdk)
    request_id = sr.signature_request_id
    assert api.signature_request_files(request_id).read() == client.files(request_id)
    their_uri = api.signature_request_files_as_data_uri(request_id).data_uri
    assert their_uri == client.files_as_data_uri(request_id)
    their_link = api.signature_request_files_as_file_url(request_id, force_download=1)
    my_link = client.file_url(request_id)
    assert their_link.expires_at == my_link.expires_at
    decoded = base64.b64decode(their_uri.split(",", 1)[1])
    assert decoded.startswith(b"%PDF")


def test_sign_url(sdk, client, listener):
    sr = sent(client, listener)
    signature_id = sr.signatures[0].signature_id
    theirs = dropbox_sign.EmbeddedApi(sdk).embedded_sign_url(signature_id).embedded
    mine = client.sign_url(signature_id)
    assert theirs.expires_at == mine.expires_at
    assert theirs.sign_url.split("&token=")[0] == mine.sign_url.split("&token=")[0]


def test_cancel(sdk, client, listener):
    first, second = sent(client, listener), sent(client, listener)
    api = dropbox_sign.SignatureRequestApi(sdk)
    assert api.signature_request_cancel(first.signature_request_id) is None
    assert client.cancel(second.signature_request_id) is None
    assert sdk_error(lambda: api.signature_request_get(first.signature_request_id)) == (
        client_error(lambda: client.get(second.signature_request_id))
    )


def test_account_get_and_update(sdk, client):
    api = dropbox_sign.AccountApi(sdk)
    same(api.account_get().account, client.get_account().raw)
    update = models.AccountUpdateRequest(callback_url="https://example.com/sdk")
    theirs = api.account_update(update).account
    mine = client.update_account(callback_url="https://example.com/sdk")
    same(theirs, mine.raw)


def test_api_app_create_get_update_delete(sdk, client):
    api = dropbox_sign.ApiAppApi(sdk)
    created = api.api_app_create(
        models.ApiAppCreateRequest(name="SDK app", domains=["example.com"])
    ).api_app
    mine = client.get_api_app(created.client_id)
    same(created, mine.raw)
    updated = api.api_app_update(created.client_id, models.ApiAppUpdateRequest(name="Renamed"))
    same(updated.api_app, client.get_api_app(created.client_id).raw)
    api.api_app_delete(created.client_id)
    assert sdk_error(lambda: api.api_app_get(created.client_id)) == client_error(
        lambda: client.get_api_app(created.client_id)
    )


@pytest.mark.parametrize(
    ("sdk_call", "client_call"),
    [
        (
            lambda api, sr: api.signature_request_get("0" * 40),
            lambda client, sr: client.get("0" * 40),
        ),
        (
            lambda api, sr: api.signature_request_remind(
                sr.signature_request_id,
                models.SignatureRequestRemindRequest(email_address="jack@example.com"),
            ),
            lambda client, sr: client.remind(sr.signature_request_id, "jack@example.com"),
        ),
        (
            lambda api, sr: api.signature_request_list(page_size=0),
            lambda client, sr: client.list_page(page_size=0),
        ),
    ],
    ids=["not_found", "invalid_reminder", "bad_request"],
)
def test_the_same_errors(sdk, client, listener, sdk_call, client_call):
    sr = sent(client, listener)
    api = dropbox_sign.SignatureRequestApi(sdk)
    assert sdk_error(lambda: sdk_call(api, sr)) == client_error(lambda: client_call(client, sr))


def test_the_same_409_while_processing(make_emulator):
    emulator = make_emulator(time_scale=None, processing_delay=5)
    config = dropbox_sign.Configuration(host=emulator.api_url, username=emulator.api_key)
    with dropbox_sign.ApiClient(config) as api, Client(base_url=emulator.api_url) as client:
        sr = create(client)
        files_api = dropbox_sign.SignatureRequestApi(api)
        theirs = sdk_error(lambda: files_api.signature_request_files(sr.signature_request_id))
        assert theirs == client_error(lambda: client.files(sr.signature_request_id))
        assert theirs[:2] == (409, "conflict")


def test_template_get(sdk, client, listener):
    created = client.create_template([NDA], ["Client", "Witness"], title="NDA", cc_roles=["CC"])
    listener.wait_for("template_created", timeout=WAIT)
    theirs = dropbox_sign.TemplateApi(sdk).template_get(created.template_id).template
    mine = client.get_template(created.template_id)
    assert (theirs.template_id, theirs.title) == (mine.template_id, mine.title)
    assert tuple(role.name for role in theirs.signer_roles) == mine.signer_roles
    assert tuple(role.name for role in theirs.cc_roles) == mine.cc_roles
    same(theirs, mine.raw)
