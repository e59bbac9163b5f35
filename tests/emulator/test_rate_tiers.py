"""Rate limits in the help centre's three tiers: 100 a minute standard, 25 a minute high tier
(send, create, files), 10 a minute test-mode creates; over the official SDK and real HTTP."""

from __future__ import annotations

import pytest
from dropbox_sign import ApiClient, ApiException, Configuration, apis
from requests.structures import CaseInsensitiveDict

from hsnb.emulator import Emulator
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.ratelimit import is_high_tier
from tests.emulator.helpers import FAST


@pytest.fixture
def tiered():
    """An emulator with the real service's limits (the defaults)."""
    settings = {k: v for k, v in FAST.items() if not k.endswith("rate_limit")}
    with Emulator(**{**settings, "name": "tiers"}) as running:
        yield running


def sdk(emulator: Emulator) -> ApiClient:
    """The official SDK without urllib3's retries: by default urllib3 honours the 429's
    ``Retry-After`` by sleeping until the window ends and retrying, silently."""
    config = Configuration(host=emulator.api_url, username=emulator.api_key, retries=0)
    return ApiClient(config)


def test_the_defaults_are_the_help_centres_numbers():
    config = EmulatorConfig()
    assert (config.rate_limit, config.high_tier_rate_limit, config.test_mode_rate_limit) == (
        100,
        25,
        10,
    )


@pytest.mark.parametrize(
    "path, high",
    [
        ("/v3/signature_request/send", True),
        ("/v3/signature_request/create_embedded", True),
        ("/v3/signature_request/send_with_template", True),
        ("/v3/signature_request/create_embedded_with_template", True),
        ("/v3/signature_request/bulk_send_with_template", True),
        ("/v3/signature_request/files/abc", True),
        ("/v3/signature_request/files_as_data_uri/abc", True),
        ("/v3/signature_request/files_as_file_url/abc", True),
        ("/v3/template/files/abc", True),
        ("/v3/unclaimed_draft/create_embedded", True),
        ("/v3/signature_request/abc", False),
        ("/v3/signature_request/list", False),
        ("/v3/embedded/sign_url/abc", False),
        ("/v3/account", False),
    ],
)
def test_which_calls_are_high_tier(path, high):
    assert is_high_tier(path) is high


def test_the_26th_files_call_in_a_minute_is_refused_through_the_sdk(tiered):
    api = apis.SignatureRequestApi(sdk(tiered))
    for n in range(25):
        with pytest.raises(ApiException) as missing:
            api.signature_request_files_as_data_uri("0" * 40)
        assert missing.value.status == 404
        assert missing.value.headers["X-RateLimit-Limit"] == "25"
        assert missing.value.headers["X-RateLimit-Remaining"] == str(24 - n)
    with pytest.raises(ApiException) as refused:
        api.signature_request_files_as_data_uri("0" * 40)
    assert refused.value.status == 429
    error = refused.value.data.error
    assert error.error_name == "exceeded_rate"
    assert error.error_msg == "Too many requests for this endpoint: the limit is 25 per 60 s."
    assert refused.value.headers["X-RateLimit-Remaining"] == "0"
    assert int(refused.value.headers["Retry-After"]) >= 1


def test_standard_calls_go_on_when_the_high_tier_is_spent(tiered):
    client = sdk(tiered)
    files = apis.SignatureRequestApi(client)
    for _ in range(26):
        with pytest.raises(ApiException):
            files.signature_request_files("0" * 40)
    answer = apis.AccountApi(client).account_get_with_http_info()
    headers = CaseInsensitiveDict(answer.headers)
    assert answer.status_code == 200
    assert headers["X-RateLimit-Limit"] == "100"
    assert headers["X-RateLimit-Remaining"] == str(100 - 27)  # every call counts
