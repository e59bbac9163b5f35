"""Each error class, rendered from the emulator's official error JSON over real HTTP."""

from __future__ import annotations

import pickle
import socket

import pytest

from hsnb.client import (
    ApiError,
    ApiTimeout,
    BadRequest,
    Client,
    ClientError,
    Conflict,
    Deleted,
    ExceededRate,
    Forbidden,
    InvalidReminder,
    Maintenance,
    MethodNotSupported,
    NotFound,
    PaymentRequired,
    ServerError,
    TransportError,
    Unauthorized,
    UnknownError,
    UnprocessableEntity,
)
from hsnb.emulator import Emulator
from hsnb.errors import API_ERRORS_BY_NAME, HsnbError
from tests.client.conftest import FAST, NDA, WAIT, create


def test_every_api_error_is_an_hsnb_error():
    for cls in (BadRequest, Unauthorized, NotFound, Conflict, Deleted, ExceededRate, ServerError):
        assert issubclass(cls, ApiError) and issubclass(cls, ClientError)
        assert issubclass(cls, HsnbError)


def test_built_ins_are_mixed_in_by_meaning():
    assert issubclass(BadRequest, ValueError)
    assert issubclass(Unauthorized, PermissionError) and issubclass(Forbidden, PermissionError)
    assert issubclass(NotFound, LookupError)
    assert issubclass(TransportError, ConnectionError)
    assert issubclass(ApiTimeout, TimeoutError)


def test_bad_request_names_the_parameter(client):
    with pytest.raises(BadRequest) as caught:
        client.create_embedded([NDA], [{"name": "No Mail"}])
    error = caught.value
    assert (error.status, error.error_name) == (400, "bad_request")
    assert error.error_msg == "signers[0].email_address is required."
    assert error.error_path == "signers[0].email_address"
    assert str(error) == (
        "400 bad_request: signers[0].email_address is required. "
        "[error_path: signers[0].email_address] (POST /signature_request/create_embedded)"
    )


def test_unauthorized_with_a_wrong_key(emulator):
    with Client(api_key="wrong", base_url=emulator.api_url) as client:
        with pytest.raises(Unauthorized) as caught:
            client.get_account()
    assert (caught.value.status, caught.value.error_name) == (401, "unauthorized")
    assert caught.value.error_msg == "Unauthorized api key."


def test_unauthorized_without_a_key_says_how_to_set_one(emulator, monkeypatch):
    for name in ("DROPBOX_SIGN_API_KEY", "HSNB_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    client = Client(base_url=emulator.api_url + "/")  # not matched to the emulator: no key
    client._auth = None
    with pytest.raises(Unauthorized) as caught:
        client.get_account()
    assert caught.value.error_msg == "Unauthorized user. No credentials supplied."
    assert "set DROPBOX_SIGN_API_KEY" in str(caught.value)
    assert repr(client).endswith("api_key=<missing>>")


@pytest.mark.parametrize(
    ("fault", "cls", "status"),
    [
        ("payment_required", PaymentRequired, 402),
        ("forbidden", Forbidden, 403),
        ("unprocessable_entity", UnprocessableEntity, 422),
        ("maintenance", Maintenance, 503),
        ("unknown", UnknownError, 500),
        ("invalid_reminder", InvalidReminder, 400),
    ],
)
def test_injected_errors_map_to_their_class(client, emulator, fault, cls, status):
    emulator.inject_fault("api", fault, match="/account")
    with pytest.raises(cls) as caught:
        client.get_account()
    assert (caught.value.status, caught.value.error_name) == (status, fault)
    assert caught.value.error_msg == "Injected fault."


def test_not_found(client):
    with pytest.raises(NotFound) as caught:
        client.get("0" * 40)
    assert (caught.value.status, caught.value.error_name, caught.value.error_msg) == (
        404,
        "not_found",
        "Not found.",
    )
    assert caught.value.path == "/signature_request/" + "0" * 40


def test_method_not_supported(client):
    with pytest.raises(MethodNotSupported) as caught:
        client.request("DELETE", "/account")
    assert (caught.value.status, caught.value.error_name) == (405, "method_not_supported")


def test_conflict_sign_url_before_sent(make_emulator):
    emulator = make_emulator(time_scale=None, processing_delay=5)
    with Client(base_url=emulator.api_url) as client:
        sr = create(client)
        with pytest.raises(Conflict) as caught:
            client.sign_url(sr.signatures[0].signature_id)
    assert (caught.value.status, caught.value.error_name) == (409, "conflict")
    assert caught.value.error_msg == "This request cannot be signed yet"


def test_gone_after_cancel(client, listener):
    sr = create(client)
    listener.wait_for(
        "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    client.cancel(sr.signature_request_id)
    with pytest.raises(Deleted) as caught:
        client.files(sr.signature_request_id)
    assert (caught.value.status, caught.value.error_name) == (410, "deleted")
    assert caught.value.error_msg == "This resource has been deleted."


def test_rate_limited_carries_the_reset_time(make_emulator):
    emulator = make_emulator(rate_limit=1)
    with Client(base_url=emulator.api_url) as client:
        client.get_account()
        with pytest.raises(ExceededRate) as caught:
            client.get_account()
    error = caught.value
    assert (error.status, error.error_name) == (429, "exceeded_rate")
    assert error.error_msg == "Too many requests: the limit is 1 per 60 s."
    assert (error.limit, error.remaining) == (1, 0)
    assert isinstance(error.reset_at, int) and error.retry_after >= 1.0


def test_the_response_is_kept_without_its_authorization_header(client):
    with pytest.raises(NotFound) as caught:
        client.get("nope")
    response = caught.value.response
    assert response.status_code == 404
    assert "Authorization" not in response.request.headers


def test_a_non_json_error_body_still_gives_an_api_error(client, emulator):
    client.base_url = emulator.base_url + "/_emulator"  # its HTML pages answer HTML errors
    with pytest.raises(NotFound) as caught:
        client.request("GET", "/sign/nope")
    assert caught.value.error_name == "not_found"
    assert caught.value.error_msg.startswith("unexpected answer: '<!")


def test_connection_refused_is_a_transport_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Client(api_key="k", base_url=f"http://127.0.0.1:{port}/v3") as client:
        with pytest.raises(TransportError) as caught:
            client.get_account()
    assert str(caught.value).startswith("GET /account: ConnectionError:")


def test_no_answer_is_an_api_timeout():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        port = sock.getsockname()[1]
        with Client(api_key="k", base_url=f"http://127.0.0.1:{port}/v3", timeout=0.2) as client:
            with pytest.raises(ApiTimeout) as caught:
                client.get_account()
    assert str(caught.value) == "GET /account: no answer within 0.2 s"


def test_errors_pickle_without_the_response(client):
    with pytest.raises(NotFound) as caught:
        client.get("nope")
    copy = pickle.loads(pickle.dumps(caught.value))
    assert type(copy) is NotFound and str(copy) == str(caught.value)
    assert copy.response is None


@pytest.mark.parametrize("name", sorted(API_ERRORS_BY_NAME))
def test_an_error_the_emulator_renders_comes_back_as_the_same_class(client, emulator, name):
    emulator.inject_fault("api", name, match="/account")
    with pytest.raises(API_ERRORS_BY_NAME[name]) as caught:
        client.get_account()
    raised = API_ERRORS_BY_NAME[name]("Injected fault.")
    assert type(caught.value) is type(raised)
    assert caught.value.to_json() == raised.to_json()
    assert caught.value.status == raised.status


def test_the_emulator_and_the_client_raise_the_same_conflict(client, emulator, listener):
    with Emulator(**{**FAST, "name": "slow", "time_scale": None, "processing_delay": 60}) as slow:
        with Client(base_url=slow.api_url) as api:
            sr = create(api)
            with pytest.raises(Conflict) as from_client:
                api.sign_url(sr.signatures[0].signature_id)
            with pytest.raises(Conflict) as from_emulator:
                slow.sign(sr.signatures[0].signature_id)
    assert from_client.value.error_msg == from_emulator.value.error_msg
