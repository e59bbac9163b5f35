"""hsnb.environment: each variable means the same to every reader (client, listener, CLI, live)."""

from __future__ import annotations

import pytest
import requests

from hsnb import environment
from hsnb.cli import main
from hsnb.client import Client
from hsnb.listener import Listener
from tests.conftest import KEY, post_multipart, sent_payload

VARIABLES = (
    *environment.API_KEY_VARIABLES,
    *environment.BASE_URL_VARIABLES,
    *environment.CLIENT_ID_VARIABLES,
    *environment.PUBLIC_URL_VARIABLES,
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No hsnb variable set."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("reader", "names"),
    [
        (environment.api_key, environment.API_KEY_VARIABLES),
        (environment.base_url, environment.BASE_URL_VARIABLES),
        (environment.client_id, environment.CLIENT_ID_VARIABLES),
        (environment.public_url, environment.PUBLIC_URL_VARIABLES),
    ],
)
def test_the_first_variable_set_wins_and_empty_counts_as_unset(reader, names) -> None:
    assert reader({}) is None
    assert reader({names[-1]: "last"}) == "last"
    if reader is not environment.api_key:  # an empty key variable is an error (issue 9, D5)
        assert reader({names[0]: "", names[-1]: "last"}) == "last"
    assert reader({name: f"value-{i}" for i, name in enumerate(names)}) == "value-0"


def test_base_url_loses_its_trailing_slash() -> None:
    assert environment.base_url({"HSNB_BASE_URL": "http://127.0.0.1:1/v3/"}) == (
        "http://127.0.0.1:1/v3"
    )


def test_the_os_environment_is_read_when_no_mapping_is_given(clean_env) -> None:
    clean_env.setenv("HSNB_CLIENT_ID", "from-os")
    assert environment.client_id() == "from-os"


def test_a_listener_verifies_with_the_second_key_variable(clean_env) -> None:
    clean_env.setenv("HSNB_API_KEY", KEY)
    with Listener(name="env-test") as listener:
        assert listener.receiver.api_keys == (KEY,)
        forged = post_multipart(listener.url, sent_payload(key="another-key"))
        assert forged.status_code == 403
        assert post_multipart(listener.url, sent_payload()).status_code == 200


def test_the_client_and_the_listener_read_the_same_key(clean_env) -> None:
    clean_env.setenv("HSNB_API_KEY", KEY)
    with Client(base_url="http://127.0.0.1:1/v3") as client, Listener(name="env-test") as listener:
        assert client.has_api_key
        assert listener.receiver.api_keys == (KEY,)


def test_hsnb_trigger_signs_with_the_second_key_variable(clean_env, capsys) -> None:
    clean_env.setenv("HSNB_API_KEY", KEY)
    with Listener(api_keys=KEY, name="env-test") as listener:
        assert main(["trigger", "signature_request_sent", "--url", listener.url]) == 0
        assert len(listener.store) == 1
    assert "OK: 200" in capsys.readouterr().out


def test_nothing_set_means_no_verification_and_no_key(clean_env) -> None:
    with Listener(name="env-test") as listener:
        assert listener.receiver.api_keys == ()
        answer = requests.post(listener.url, json=sent_payload(key="any"), timeout=10)
        assert answer.status_code == 200
