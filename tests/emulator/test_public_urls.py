"""``public_base_url``: URLs in payloads and answers without the emulator's port."""

from __future__ import annotations

import pytest
import requests

from hsnb.emulator import Emulator
from tests.emulator.helpers import FAST, create_form

PUBLIC = "https://api.hellosign.test"
TIMEOUT = 10


@pytest.fixture
def public_emulator():
    with Emulator(**FAST, public_base_url=PUBLIC + "/") as running:
        yield running


def call(emulator, method, path, **kwargs):
    url = f"{emulator.api_url}/{path}"
    return requests.request(method, url, auth=(emulator.api_key, ""), timeout=TIMEOUT, **kwargs)


def create(emulator, path="create_embedded"):
    response = call(
        emulator, "POST", f"signature_request/{path}", **create_form(emulator.client_id)
    )
    assert response.status_code == 200, response.text
    emulator.wait_idle(TIMEOUT)  # processing (zero-delay) has ended
    return response.json()["signature_request"]


def test_request_urls_use_the_public_base(public_emulator):
    sr = create(public_emulator, "send")
    request_id = sr["signature_request_id"]
    assert sr["files_url"] == f"{PUBLIC}/v3/signature_request/files/{request_id}"
    assert sr["details_url"] == f"{PUBLIC}/_emulator/requests/{request_id}"
    assert sr["signing_url"] == sr["details_url"]


def test_callback_payloads_carry_no_port(public_emulator, receiver):
    public_emulator.callback_url = receiver.url
    create(public_emulator)
    (received,) = receiver.wait_for(1)
    request = received.payload["signature_request"]
    assert request["files_url"].startswith(PUBLIC + "/v3/")
    assert str(public_emulator.port) not in request["files_url"] + request["details_url"]


def test_sign_url_is_public_and_opens_at_the_real_address(public_emulator):
    sr = create(public_emulator)
    signature_id = sr["signatures"][0]["signature_id"]
    body = call(public_emulator, "GET", f"embedded/sign_url/{signature_id}").json()
    sign_url = body["embedded"]["sign_url"]
    assert sign_url.startswith(f"{PUBLIC}/editor/embeddedSign?signature_id={signature_id}&token=")
    page = requests.get(public_emulator.local_url(sign_url), timeout=TIMEOUT)
    assert page.status_code == 200
    assert 'value="sign"' in page.text


def test_file_link_and_details_page_open_at_the_real_address(public_emulator):
    sr = create(public_emulator)
    request_id = sr["signature_request_id"]
    file_url = call(
        public_emulator, "GET", f"signature_request/files_as_file_url/{request_id}"
    ).json()
    assert file_url["file_url"].startswith(f"{PUBLIC}/_emulator/file_links/")
    download = requests.get(public_emulator.local_url(file_url["file_url"]), timeout=TIMEOUT)
    assert download.content.startswith(b"%PDF")
    details = requests.get(public_emulator.local_url(sr["details_url"]), timeout=TIMEOUT)
    assert details.status_code == 200 and request_id in details.text


def test_local_url_keeps_local_urls_and_refuses_other_hosts(public_emulator):
    local = f"{public_emulator.base_url}/_emulator/"
    assert public_emulator.local_url(local) == local
    with pytest.raises(ValueError, match="not a URL of this emulator"):
        public_emulator.local_url("https://api.hellosign.com/v3/account")


def test_index_names_both_addresses(public_emulator):
    body = requests.get(f"{public_emulator.base_url}/_emulator/", timeout=TIMEOUT).json()
    assert body["api_url"] == public_emulator.api_url
    assert body["public_base_url"] == PUBLIC


def test_without_a_public_base_urls_are_local(emulator):
    sr = create(emulator)
    assert sr["files_url"].startswith(emulator.api_url + "/")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("api.hellosign.test", "http"),
        ("ftp://api.hellosign.test", "http"),
        ("https://api.hellosign.test/v3", "no path"),
    ],
)
def test_public_base_url_must_be_a_plain_origin(url, message):
    with pytest.raises(ValueError, match=message):
        Emulator(**FAST, public_base_url=url, start=False)
