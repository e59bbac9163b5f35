"""``strict_callback_urls``: local and private callback URLs refused as the real service does."""

from __future__ import annotations

import pytest
import requests

from hsnb.emulator import Emulator
from hsnb.errors import BadRequest
from tests.emulator.helpers import FAST

LOCAL_URLS = [
    "http://localhost:8000/callback",
    "http://127.0.0.1:8000/callback",
    "http://[::1]:8000/callback",
    "http://10.0.0.5/callback",
    "http://192.168.1.20/callback",
    "http://169.254.0.9/callback",
    "http://0.0.0.0/callback",
    "https://my-laptop.local/callback",
    "https://app.localhost/callback",
]


@pytest.fixture
def strict():
    with Emulator(**FAST, strict_callback_urls=True) as running:
        yield running


def call(emulator, method, path, **kwargs):
    url = f"{emulator.api_url}{path}"
    return requests.request(method, url, auth=(emulator.api_key, ""), timeout=10, **kwargs)


@pytest.mark.parametrize("url", LOCAL_URLS)
def test_local_account_callback_url_is_a_bad_request(strict, url):
    response = call(strict, "PUT", "/account", data={"callback_url": url})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "error_msg": f"Invalid url for callback_url : {url}",
        "error_name": "bad_request",
        "error_path": "callback_url",
    }
    assert strict.callback_url is None


def test_public_account_callback_url_is_accepted(strict):
    response = call(
        strict, "PUT", "/account", data={"callback_url": "https://hooks.example.com/cb"}
    )
    assert response.json()["account"]["callback_url"] == "https://hooks.example.com/cb"


def test_clearing_the_callback_url_still_works(strict):
    call(strict, "PUT", "/account", data={"callback_url": "https://hooks.example.com/cb"})
    response = call(strict, "PUT", "/account", data={"callback_url": ""})
    assert response.json()["account"]["callback_url"] is None


def test_local_app_callback_url_is_refused_on_create_and_update(strict):
    form = {"name": "Mine", "domains[]": "example.com", "callback_url": "http://localhost/cb"}
    created = call(strict, "POST", "/api_app", data=form)
    assert created.status_code == 400
    assert (
        created.json()["error"]["error_msg"] == "Invalid url for callback_url : http://localhost/cb"
    )
    updated = call(
        strict, "PUT", f"/api_app/{strict.client_id}", json={"callback_url": "http://10.1.2.3/cb"}
    )
    assert updated.status_code == 400
    assert strict.app_callback_url is None


def test_setter_raises_the_same_error(strict):
    with pytest.raises(BadRequest, match="Invalid url for callback_url : http://127.0.0.1:9/cb"):
        strict.callback_url = "http://127.0.0.1:9/cb"


def test_constructor_urls_are_not_checked(receiver):
    with Emulator(**FAST, strict_callback_urls=True, callback_url=receiver.url) as emulator:
        assert emulator.callback_url == receiver.url


def test_local_urls_are_accepted_by_default(emulator):
    response = call(emulator, "PUT", "/account", data={"callback_url": "http://localhost:1/cb"})
    assert response.status_code == 200


def test_a_malformed_callback_url_is_400(emulator):
    answer = requests.put(
        f"{emulator.api_url}/account",
        auth=(emulator.api_key, ""),
        json={"callback_url": "http://[::1/cb"},
    )
    assert (answer.status_code, answer.json()["error"]["error_name"]) == (400, "bad_request")
    assert "Invalid url for callback_url" in answer.json()["error"]["error_msg"]
