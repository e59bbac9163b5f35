"""One rule for "can Dropbox Sign reach this callback URL?": live mode and the strict emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsnb.callback_urls import is_local_host, scheme_and_host
from hsnb.emulator import Emulator
from hsnb.errors import HsnbError
from hsnb.live import LiveSetupError, connect
from tests.emulator.helpers import FAST

URLS = [
    ("https://hooks.example.com/cb", False),
    ("https://8.8.8.8/cb", False),
    ("http://localhost./cb", True),
    ("http://LOCALHOST:8000/cb", True),
    ("http://[fe80::1]/cb", True),
    ("http://172.16.0.3/cb", True),
    ("https://box.local./cb", True),
]


@pytest.mark.parametrize(
    ("host", "local"),
    [("hooks.example.com", False), ("8.8.8.8", False), ("LOCALHOST.", True), ("fe80::1", True)],
)
def test_is_local_host(host: str, local: bool) -> None:
    assert is_local_host(host) is local


def test_scheme_and_host_of_a_url_that_cannot_be_parsed() -> None:
    assert scheme_and_host("http://[::1/cb") == ("", None)
    assert scheme_and_host("HTTPS://Hooks.Example.com/x") == ("https", "hooks.example.com")


@pytest.mark.parametrize(("url", "local"), URLS)
def test_live_mode_and_the_strict_emulator_agree(
    url: str, local: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where live mode's default store file goes
    with Emulator(**{**FAST, "name": "agree"}, strict_callback_urls=True) as strict:
        refused_by_emulator = _refused(lambda: setattr(strict, "callback_url", url))
    refused_live = _refused(
        lambda: connect(api_key="k", public_url=url, env={}, register=False).close()
    )
    assert refused_by_emulator is local
    assert refused_live is local


def test_a_malformed_url_is_a_plain_live_setup_error() -> None:
    with pytest.raises(LiveSetupError, match="not an http"):
        connect(api_key="k", public_url="http://[::1/cb", env={})


def _refused(action) -> bool:
    try:
        action()
    except HsnbError:
        return True
    return False
