"""Callback URLs must be HTTPS (Dropbox Sign's events walkthrough: from 1 December 2024): the strict
emulator refuses ``http://`` through the official SDK, and live mode refuses it before it
registers anything, both with a message that says why (one rule, :mod:`hsnb.callback_urls`)."""

from __future__ import annotations

import pytest
from dropbox_sign import ApiClient, ApiException, Configuration, apis, models

from hsnb.callback_urls import NOT_HTTPS
from hsnb.emulator import Emulator
from hsnb.errors import LiveSetupError
from hsnb.live import connect
from tests.emulator.helpers import FAST


@pytest.fixture
def strict():
    with Emulator(**{**FAST, "name": "https"}, strict_callback_urls=True) as running:
        yield running


def account_api(emulator: Emulator) -> apis.AccountApi:
    return apis.AccountApi(
        ApiClient(Configuration(host=emulator.api_url, username=emulator.api_key))
    )


def test_the_strict_emulator_refuses_an_http_account_callback_url_through_the_sdk(strict):
    request = models.AccountUpdateRequest(callback_url="http://hooks.example.com/cb")
    with pytest.raises(ApiException) as refused:
        account_api(strict).account_update(request)
    error = refused.value.data.error
    assert refused.value.status == 400 and error.error_name == "bad_request"
    assert (
        error.error_msg
        == f"Invalid url for callback_url : http://hooks.example.com/cb ({NOT_HTTPS})"
    )
    assert error.error_path == "callback_url"
    assert strict.callback_url is None


def test_the_strict_emulator_accepts_https_through_the_sdk(strict):
    request = models.AccountUpdateRequest(callback_url="https://hooks.example.com/cb")
    answer = account_api(strict).account_update(request)
    assert answer.account.callback_url == "https://hooks.example.com/cb"


def test_the_strict_emulator_refuses_an_http_app_callback_url_through_the_sdk(strict):
    client = ApiClient(Configuration(host=strict.api_url, username=strict.api_key))
    request = models.ApiAppCreateRequest(
        name="Plain", domains=["example.com"], callback_url="http://hooks.example.com/cb"
    )
    with pytest.raises(ApiException) as refused:
        apis.ApiAppApi(client).api_app_create(request)
    assert "HTTPS" in refused.value.data.error.error_msg


def test_the_default_emulator_still_accepts_http_for_a_local_receiver(emulator):
    emulator.callback_url = "http://127.0.0.1:9/cb"
    assert emulator.callback_url == "http://127.0.0.1:9/cb"


def test_live_mode_refuses_an_http_public_url_saying_why():
    with pytest.raises(LiveSetupError) as refused:
        connect(api_key="k", public_url="http://hooks.example.com", env={}, register=False)
    assert str(refused.value) == f"{NOT_HTTPS}, not 'http://hooks.example.com'"
