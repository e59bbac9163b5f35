"""``mock_dropbox_sign``: the official SDK with its default host, and ``requests`` to the real API
host, reach a local emulator; other hosts are untouched; everything is put back on exit.

A guard refuses every connection that is not to 127.0.0.1, so a broken interception fails here
instead of reaching the real service.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import tornado.web
import urllib3.util.connection
from dropbox_sign import ApiClient, ApiException, Configuration, apis, models
from urllib3.connectionpool import HTTPConnectionPool

from hsnb.emulator import running_emulators
from hsnb.errors import MockError
from hsnb.mocking import (
    TEST_API_KEY,
    DropboxSignMock,
    current_mock,
    is_intercepting,
    mock_dropbox_sign,
)
from hsnb.testing import serve_app
from tests.conftest import ROOT

NDA = ROOT / "data" / "documents" / "nda-two-signers.pdf"
ORIGINAL_URLOPEN = HTTPConnectionPool.urlopen


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse any urllib3 connection that is not to 127.0.0.1 (the real API stays untouched)."""
    real = urllib3.util.connection.create_connection

    def guarded(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"test guard: no connection to {address[0]}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", guarded)


@pytest.fixture(autouse=True)
def outer_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A key in the environment before any mock starts (a mock must put it back)."""
    monkeypatch.setenv("DROPBOX_SIGN_API_KEY", "outer-key")
    monkeypatch.delenv("HSNB_API_KEY", raising=False)
    return "outer-key"


def real_account() -> dict[str, Any]:
    """``GET https://api.hellosign.com/v3/account`` with plain requests."""
    url = "https://api.hellosign.com/v3/account"
    return requests.get(url, auth=(TEST_API_KEY, ""), timeout=10).json()["account"]


def production_send(title: str) -> models.SignatureRequestGetResponse:
    """Integration code as written for production: the SDK's default host, the key from the
    environment, no hsnb anywhere."""
    configuration = Configuration(username=os.environ["DROPBOX_SIGN_API_KEY"])
    with ApiClient(configuration) as client, open(NDA, "rb") as pdf:
        request = models.SignatureRequestSendRequest(
            title=title,
            files=[pdf],
            signers=[
                models.SubSignatureRequestSigner(name="Jack", email_address="jack@example.com"),
                models.SubSignatureRequestSigner(name="Jill", email_address="jill@example.com"),
            ],
            use_text_tags=True,
            test_mode=True,
        )
        return apis.SignatureRequestApi(client).signature_request_send(request)


def test_the_sdk_with_its_default_host_reaches_the_emulator_and_callbacks_follow(
    listener: Any,
) -> None:
    assert Configuration().host == "https://api.hellosign.com/v3"
    with mock_dropbox_sign(callback_url=listener.url) as mock:
        sent = production_send("NDA")
        request_id = sent.signature_request.signature_request_id
        event = listener.wait_for("signature_request_sent", signature_request_id=request_id)
        known = mock.emulator.backend.requests
    assert event.payload["signature_request"]["title"] == "NDA"
    assert request_id in known
    assert sent.signature_request.files_url.startswith("https://api.hellosign.com/v3/")
    assert [(c.method, c.url) for c in mock.calls] == [
        ("POST", "https://api.hellosign.com/v3/signature_request/send")
    ]


def test_the_emulator_checks_the_key_as_the_real_api_does() -> None:
    with mock_dropbox_sign():
        client = ApiClient(Configuration(username="not-the-key"))
        with pytest.raises(ApiException) as raised:
            apis.AccountApi(client).account_get()
    assert raised.value.status == 401
    assert "unauthorized" in raised.value.body


def test_requests_to_the_api_host_reach_the_emulator_and_its_urls_work_too(
    listener: Any,
) -> None:
    with mock_dropbox_sign(callback_url=listener.url) as mock:
        sent = production_send("Files")
        request_id = sent.signature_request.signature_request_id
        listener.wait_for("signature_request_sent", signature_request_id=request_id, timeout=10)
        pdf = requests.get(sent.signature_request.files_url, auth=(mock.api_key, ""), timeout=10)
        account = requests.get(
            "https://api.hellosign.com/v3/account", auth=(TEST_API_KEY, ""), timeout=10
        )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert account.json()["account"]["email_address"] == "me@example.com"


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("not the emulator")


def test_other_hosts_are_left_alone() -> None:
    with serve_app([(r"/.*", Hello)]) as other, mock_dropbox_sign() as mock:
        answer = requests.get(other.url("/v3/account"), timeout=10)
    assert answer.text == "not the emulator"
    assert mock.calls == []


def test_everything_is_put_back_on_exit_even_after_an_error(outer_key: str) -> None:
    with pytest.raises(RuntimeError), mock_dropbox_sign() as mock:
        assert is_intercepting()
        assert os.environ["DROPBOX_SIGN_API_KEY"] == os.environ["HSNB_API_KEY"] == TEST_API_KEY
        emulator = mock.emulator
        raise RuntimeError("the test failed")
    assert not is_intercepting() and HTTPConnectionPool.urlopen is ORIGINAL_URLOPEN
    assert os.environ["DROPBOX_SIGN_API_KEY"] == outer_key
    assert "HSNB_API_KEY" not in os.environ
    assert not emulator.running and emulator not in running_emulators()
    with pytest.raises(requests.ConnectionError, match="test guard"):
        requests.get("https://api.hellosign.com/v3/account", timeout=10)


def test_mocks_nest_and_the_innermost_answers() -> None:
    with mock_dropbox_sign(account_email="outer@example.com") as outer:
        with mock_dropbox_sign(account_email="inner@example.com") as inner:
            inside = real_account()
            assert current_mock() is inner
        after = real_account()
        assert is_intercepting() and current_mock() is outer
    assert inside["email_address"] == "inner@example.com"
    assert after["email_address"] == "outer@example.com"
    assert not is_intercepting()


def test_a_running_emulator_can_answer_and_is_left_running(emulator: Any, listener: Any) -> None:
    with DropboxSignMock(emulator) as mock:
        sent = production_send("Given")
        assert os.environ["DROPBOX_SIGN_API_KEY"] == emulator.api_key
    request_id = sent.signature_request.signature_request_id
    assert mock.emulator is emulator and emulator.running
    assert listener.wait_for("signature_request_sent", signature_request_id=request_id)


@mock_dropbox_sign
def account_email() -> tuple[str, Any]:
    answer = requests.get(
        "https://api.hellosign.com/v3/account", auth=(TEST_API_KEY, ""), timeout=10
    )
    return answer.json()["account"]["email_address"], current_mock().emulator


def test_the_bare_decorator_gives_each_call_a_fresh_emulator() -> None:
    first_email, first = account_email()
    second_email, second = account_email()
    assert first_email == second_email == "me@example.com"
    assert first is not second and not first.running and not second.running
    assert not is_intercepting()


@mock_dropbox_sign(account_email="configured@example.com")
async def async_account_email() -> str:
    answer = requests.get(
        "https://api.hellosign.com/v3/account", auth=(TEST_API_KEY, ""), timeout=10
    )
    return answer.json()["account"]["email_address"]


def test_the_decorator_takes_settings_and_wraps_coroutines() -> None:
    assert asyncio.run(async_account_email()) == "configured@example.com"
    assert not is_intercepting()


def test_a_decorated_class_mocks_each_test_method() -> None:
    @mock_dropbox_sign(seed=3)
    class Suite:
        def test_one(self) -> int | None:
            return current_mock().emulator.seed

        def helper(self) -> bool:
            return is_intercepting()

    assert Suite().test_one() == 3
    assert Suite().helper() is False


def test_misuse_raises_mock_errors(emulator: Any) -> None:
    mock = mock_dropbox_sign()
    with pytest.raises(MockError, match="not active"):
        mock.stop()
    with mock, pytest.raises(MockError, match="already active"):
        mock.start()
    with pytest.raises(MockError, match="no mock_dropbox_sign is active"):
        current_mock()
    with pytest.raises(MockError, match="either a running emulator or settings"):
        DropboxSignMock(emulator, seed=1)


@pytest.fixture
def sdk_client() -> Iterator[ApiClient]:
    with ApiClient(Configuration(username=TEST_API_KEY)) as client:
        yield client


def test_the_hsnb_mock_fixture_serves_the_test_emulator(
    hsnb_mock: DropboxSignMock, sdk_client: ApiClient, emulator: Any
) -> None:
    account = apis.AccountApi(sdk_client).account_get().account
    assert hsnb_mock.emulator is emulator
    assert account.account_id == emulator.account_id
