"""The realism profile: the contested choices, each a switch with a default, and ``strict`` the
reading hardest on a handler; each switch over real HTTP with requests made by the official SDK."""

from __future__ import annotations

import pytest
from dropbox_sign import ApiClient, Configuration, EventCallbackHelper, apis, models
from dropbox_sign.models import EventCallbackRequest

from hsnb.emulator import Emulator
from hsnb.emulator.service.config import EmulatorConfig
from hsnb.emulator.service.dispatcher import retry_delay
from hsnb.events import ACK_TEXT
from hsnb.testing import Receiver
from tests.emulator.helpers import FAST

WAIT = 10


def run(settings: dict, account: Receiver, app: Receiver | None = None) -> Emulator:
    """An emulator calling back ``account`` (and ``app``): create_embedded through the SDK,
    then wait until every delivery settled (30 h of retries take a fraction of a second)."""
    emulator = Emulator(
        **{**FAST, "name": "profiles", **settings},
        callback_url=account.url,
        app_callback_url=app.url if app else None,
    )
    config = Configuration(host=emulator.api_url, username=emulator.api_key)
    request = models.SignatureRequestCreateEmbeddedRequest(
        client_id=emulator.client_id,
        file_urls=["data:text/plain,Please sign."],
        signers=[models.SubSignatureRequestSigner(name="Jack", email_address="jack@example.com")],
    )
    with ApiClient(config) as client:
        apis.SignatureRequestApi(client).signature_request_create_embedded(request)
    assert emulator.wait_settled(WAIT)
    return emulator


def test_the_default_profile_follows_the_sources_named_in_profiles():
    switches = EmulatorConfig().switches
    assert switches == {
        "retry_horizon": "30h",
        "ack_rule": "contains",
        "app_callbacks": "both",
        "app_callback_account_id": False,
    }
    strict = EmulatorConfig(profile="strict", ack_rule="contains").switches
    assert strict["ack_rule"] == "contains" and strict["app_callbacks"] == "app_only"


def test_an_unknown_profile_or_choice_is_a_value_error():
    with pytest.raises(ValueError, match="profile must be one of default, strict, not 'lax'"):
        EmulatorConfig(profile="lax")
    with pytest.raises(ValueError, match="ack_rule must be one of 'contains', 'exact'"):
        EmulatorConfig(ack_rule="loose")


@pytest.mark.parametrize("profile, attempts", [("default", 1), ("strict", 2)])
def test_an_ack_with_a_trailing_newline_counts_only_under_contains(profile, attempts):
    with Receiver(script=[(200, ACK_TEXT + "\n", 0.0)]) as receiver:
        emulator = run({"profile": profile}, receiver)
        with emulator:
            tries = [a for a in emulator.attempts() if a.event_type == "signature_request_sent"]
            assert len(tries) == attempts
            assert tries[0].outcome == ("acknowledged" if profile == "default" else "wrong_answer")


@pytest.mark.parametrize("profile, account_types", [("default", 1), ("strict", 0)])
def test_app_requests_reach_the_account_url_only_when_both(profile, account_types):
    with Receiver() as account, Receiver() as app:
        with run({"profile": profile}, account, app):
            assert app.types() == ["signature_request_sent"]
            assert account.types() == ["signature_request_sent"] * account_types


@pytest.mark.parametrize("profile", ["default", "strict"])
def test_reported_for_account_id_on_app_callbacks(profile):
    with Receiver() as account, Receiver() as app:
        with run({"profile": profile, "app_callbacks": "both"}, account, app) as emulator:
            (delivery,) = app.received
            metadata = delivery.payload["event"]["event_metadata"]
            expected = emulator.account_id if profile == "strict" else None
            assert metadata["reported_for_account_id"] == expected
            assert metadata["reported_for_app_id"] == emulator.client_id
            payload = EventCallbackRequest.init(delivery.payload)
            assert EventCallbackHelper.get_callback_type(payload) == "app_callback"
            assert EventCallbackHelper.is_valid(emulator.api_key, payload)


def test_the_retry_horizons():
    legacy, glossary = EmulatorConfig().retry, EmulatorConfig(retry_horizon="3d").retry
    assert sum(retry_delay(n, legacy) for n in range(1, 7)) / 3600 == pytest.approx(30 + 20 / 60)
    assert sum(retry_delay(n, glossary) for n in range(1, 9)) / 3600 == pytest.approx(78 + 20 / 60)
    assert retry_delay(8, glossary) == 86400


@pytest.mark.parametrize("horizon, attempts", [("30h", 7), ("3d", 9)])
def test_a_dead_receiver_is_tried_until_the_horizon(horizon, attempts):
    with Receiver(script=[(500, "down", 0.0)] * 20) as receiver:
        with run({"retry_horizon": horizon}, receiver) as emulator:
            tries = emulator.attempts()
            assert len(tries) == attempts
            span = tries[-1].sent_at - tries[0].sent_at
            assert span == pytest.approx(
                sum(retry_delay(n, emulator.config.retry) for n in range(1, attempts))
            )
