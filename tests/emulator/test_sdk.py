"""The official dropbox-sign SDK, pointed at the emulator, runs the whole flow unchanged.

Every response is parsed by the SDK's own models, and every callback the emulator sends is
accepted by ``EventCallbackHelper.is_valid``. The account callback goes to hsnb's
:class:`~hsnb.listener.Listener` (used to wait for events); the app callback to a receiver that
checks each delivery with the SDK.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import requests
from dropbox_sign import ApiClient, ApiException, Configuration, EventCallbackHelper, apis, models
from dropbox_sign.models import EventCallbackRequest
from pypdf import PdfReader

from hsnb.emulator import Emulator
from hsnb.emulator.service.documents import pdf_text
from hsnb.listener import Listener
from hsnb.testing import Receiver
from tests.emulator.helpers import DOCUMENTS, FAST

WAIT = 10


@pytest.fixture
def stack() -> Iterator[tuple[Emulator, Listener, Receiver]]:
    """An emulator on manual time (processing 5 s, files 2 s), a listener and a receiver."""
    receiver = Receiver()
    settings = {**FAST, "time_scale": None, "processing_delay": 5, "file_prep_delay": 2}
    with Emulator(**settings, app_callback_url=receiver.url) as emulator:
        with Listener(api_keys=[emulator.api_key], name="emulator-sdk-test") as listener:
            emulator.callback_url = listener.url
            yield emulator, listener, receiver
            assert emulator.clock.errors == []
    receiver.stop()


def sdk(emulator: Emulator) -> ApiClient:
    """An SDK client for the emulator, configured the documented way."""
    return ApiClient(Configuration(host=emulator.api_url, username=emulator.api_key))


def create_nda(client: ApiClient, emulator: Emulator) -> models.SignatureRequestGetResponse:
    """create_embedded with the two-signer NDA (a real PDF with text tags)."""
    with open(DOCUMENTS / "nda-two-signers.pdf", "rb") as pdf:
        request = models.SignatureRequestCreateEmbeddedRequest(
            client_id=emulator.client_id,
            files=[pdf],
            signers=[
                models.SubSignatureRequestSigner(
                    name="Jack", email_address="jack@example.com", order=0
                ),
                models.SubSignatureRequestSigner(
                    name="Jill", email_address="jill@example.com", order=1
                ),
            ],
            title="NDA",
            subject="Please sign",
            metadata={"case": "42"},
            use_text_tags=True,
            test_mode=True,
        )
        return apis.SignatureRequestApi(client).signature_request_create_embedded(request)


def sign_in_browser(sign_url: str) -> None:
    """Open a sign URL and press Sign, as a person does."""
    page = requests.get(sign_url, timeout=WAIT)
    assert page.status_code == 200 and 'value="sign"' in page.text
    session = page.text.split('name="session" value="')[1].split('"')[0]
    base = sign_url.split("/editor/")[0]
    done = requests.post(
        f"{base}/editor/embeddedSign", data={"session": session, "action": "sign"}, timeout=WAIT
    )
    assert done.status_code == 200 and "Signed" in done.text


def files_conflict(api: apis.SignatureRequestApi, request_id: str) -> str:
    """The error name of a files call that must fail."""
    with pytest.raises(ApiException) as info:
        api.signature_request_files(request_id)
    assert info.value.status == 409
    return info.value.data.error.error_name


def test_sdk_runs_the_whole_flow(stack):
    emulator, listener, receiver = stack
    with sdk(emulator) as client:
        api = apis.SignatureRequestApi(client)
        created = create_nda(client, emulator)
        request_id = created.signature_request.signature_request_id
        jack, jill = created.signature_request.signatures
        assert created.signature_request.metadata == {"case": "42"}

        assert files_conflict(api, request_id) == "conflict"
        with pytest.raises(ApiException) as not_yet:
            apis.EmbeddedApi(client).embedded_sign_url(jack.signature_id)
        assert not_yet.value.data.error.error_msg == "This request cannot be signed yet"

        emulator.advance(5)
        listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=WAIT)
        got = api.signature_request_get(request_id)
        assert got.signature_request.signatures[0].status_code == "awaiting_signature"

        sign_url = apis.EmbeddedApi(client).embedded_sign_url(jack.signature_id).embedded.sign_url
        sign_in_browser(sign_url)
        listener.wait_for("signature_request_signed", signature_request_id=request_id, timeout=WAIT)
        assert files_conflict(api, request_id) == "conflict"
        emulator.advance(2)
        partial = api.signature_request_files(request_id).read()
        assert "Status: awaiting_signature" in pdf_text(partial)

        emulator.sign(jill.signature_id)
        listener.wait_for(
            "signature_request_all_signed", signature_request_id=request_id, timeout=WAIT
        )
        assert files_conflict(api, request_id) == "conflict"
        emulator.advance(2)
        listener.wait_for(
            "signature_request_downloadable", signature_request_id=request_id, timeout=WAIT
        )
        final = api.signature_request_files(request_id, file_type="pdf").read()
        reader = PdfReader(io.BytesIO(final))
        assert len(reader.pages) == 2
        assert "Status: completed" in reader.pages[-1].extract_text()
        assert api.signature_request_get(request_id).signature_request.is_complete

        listing = api.signature_request_list(page=1, page_size=10)
        assert [sr.signature_request_id for sr in listing.signature_requests] == [request_id]
        assert listing.list_info.num_results == 1

    assert emulator.wait_settled(WAIT)
    assert set(listener.deliveries()["verdict"]) == {"accepted"}
    assert_every_callback_valid(emulator, receiver, minimum=7)
    assert receiver.types() == [
        "signature_request_sent",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_viewed",
        "signature_request_signed",
        "signature_request_all_signed",
        "signature_request_downloadable",
    ]


def test_sdk_cancel(stack):
    emulator, listener, receiver = stack
    with sdk(emulator) as client:
        api = apis.SignatureRequestApi(client)
        request_id = create_nda(client, emulator).signature_request.signature_request_id
        emulator.advance(5)
        listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=WAIT)
        api.signature_request_cancel(request_id)
        listener.wait_for(
            "signature_request_canceled", signature_request_id=request_id, timeout=WAIT
        )
        with pytest.raises(ApiException) as gone:
            api.signature_request_get(request_id)
        assert (gone.value.status, gone.value.data.error.error_name) == (410, "deleted")
    assert emulator.wait_settled(WAIT)
    assert_every_callback_valid(emulator, receiver, minimum=2)


def test_sdk_file_variants(stack):
    emulator, listener, _ = stack
    with sdk(emulator) as client:
        api = apis.SignatureRequestApi(client)
        request_id = create_nda(client, emulator).signature_request.signature_request_id
        emulator.advance(5)
        assert api.signature_request_files_as_data_uri(request_id).data_uri.startswith(
            "data:application/pdf"
        )
        link = api.signature_request_files_as_file_url(request_id, force_download=0)
        assert requests.get(link.file_url, timeout=WAIT).content.startswith(b"%PDF")
        assert api.signature_request_files(request_id, file_type="zip").read().startswith(b"PK")


def test_sdk_account_and_api_app(stack):
    emulator, listener, _ = stack
    with sdk(emulator) as client:
        account_api = apis.AccountApi(client)
        assert account_api.account_get().account.callback_url == listener.url
        updated = account_api.account_update(
            models.AccountUpdateRequest(callback_url=listener.url + "?x=1")
        )
        assert updated.account.callback_url == listener.url + "?x=1"
        app_api = apis.ApiAppApi(client)
        app = app_api.api_app_create(
            models.ApiAppCreateRequest(name="Mine", domains=["example.com"])
        )
        client_id = app.api_app.client_id
        assert app_api.api_app_get(client_id).api_app.name == "Mine"
        request = models.ApiAppUpdateRequest(callback_url="http://127.0.0.1:9/x")
        assert (
            app_api.api_app_update(client_id, request).api_app.callback_url
            == "http://127.0.0.1:9/x"
        )
        assert client_id in [a.client_id for a in app_api.api_app_list().api_apps]
        app_api.api_app_delete(client_id)
        with pytest.raises(ApiException) as missing:
            app_api.api_app_get(client_id)
        assert missing.value.data.error.error_name == "not_found"


def test_sdk_sees_the_spec_error_for_a_bad_key(stack):
    emulator, _, _ = stack
    config = Configuration(host=emulator.api_url, username="wrong")
    with ApiClient(config) as client, pytest.raises(ApiException) as info:
        apis.AccountApi(client).account_get()
    assert info.value.status == 401
    assert info.value.data.error.error_name == "unauthorized"


def assert_every_callback_valid(emulator: Emulator, receiver: Receiver, minimum: int) -> None:
    """Every app callback parses with the SDK's model and passes ``is_valid``."""
    assert len(receiver.received) >= minimum
    for received in receiver.received:
        callback = EventCallbackRequest.init(received.payload)
        assert EventCallbackHelper.is_valid(emulator.api_key, callback), received.event_type
        assert EventCallbackHelper.get_callback_type(callback) == "app_callback"
