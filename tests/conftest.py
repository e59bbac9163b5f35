"""The suite's shared helpers: fixtures from :mod:`hsnb.testing` under short names (one meaning
each), the SDK's public test key, the official fixtures, and callback payloads to POST.

* ``listener``: a listener verifying with :data:`KEY` (``hsnb_listener``);
* ``emulator``: a fast emulator with :data:`KEY` calling back ``listener`` (``hsnb_emulator``);
* ``client``: a client of ``emulator`` (``hsnb_client``);
* ``receiver``: a scripted callback receiver (``hsnb_receiver``).

Other emulators a test needs have names of their own (``manual_emulator``, ``strict``, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests

from hsnb.payloads import build_event_payload, encode_callback_multipart
from hsnb.testing import FAST, TEST_API_KEY, Receiver

# hsnb.testing's fixtures come from hsnb's pytest11 entry point (hsnb.pytest_plugin), as in
# any project that installs hsnb. The example project runs as its own suite
# (tests/test_plugin_install.py), never as part of this one.
collect_ignore = ["example_integration"]

ROOT = Path(__file__).resolve().parents[1]
#: Official Dropbox Sign fixtures copied into the repository (see its SOURCES.md and LICENSE).
FIXTURES = ROOT / "tests" / "fixtures" / "dropbox-sign"
#: The public test key of the official SDK's own tests (its fixtures' hashes validate with it).
SDK_TEST_KEY = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
#: The key every test emulator and listener uses (:data:`hsnb.testing.TEST_API_KEY`).
KEY = TEST_API_KEY


def fixture_json(name: str) -> Any:
    """A JSON file from :data:`FIXTURES`."""
    return json.loads((FIXTURES / name).read_text())


def sent_payload(
    request_id: str = "a" * 40,
    event_type: str = "signature_request_sent",
    event_time: int = 1_700_000_000,
    key: str = KEY,
    **kwargs: Any,
) -> dict[str, Any]:
    """A small signed payload for ``request_id``."""
    request = {
        "signature_request_id": request_id,
        "title": "NDA",
        "signatures": [{"signature_id": "s" * 32, "signer_name": "Jack", "order": 0}],
    }
    return build_event_payload(
        event_type,
        event_time,
        key,
        signature_request=request,
        related_signature_id="s" * 32,
        **kwargs,
    )


def post_multipart(url: str, payload: dict[str, Any] | str) -> requests.Response:
    """POST a payload the way Dropbox Sign does."""
    body, content_type = encode_callback_multipart(payload)
    return requests.post(url, data=body, headers={"Content-Type": content_type}, timeout=10)


@pytest.fixture
def listener(hsnb_listener: Any) -> Any:
    """A running listener verifying with :data:`KEY`, in-memory store."""
    return hsnb_listener


@pytest.fixture
def emulator(hsnb_emulator: Any) -> Any:
    """A fast emulator (:data:`FAST`, :data:`KEY`) whose account callbacks go to ``listener``."""
    return hsnb_emulator


@pytest.fixture
def client(hsnb_client: Any) -> Any:
    """A client of ``emulator``."""
    return hsnb_client


@pytest.fixture
def receiver(hsnb_receiver: Receiver) -> Receiver:
    """A callback receiver that acknowledges everything (script more answers in the test)."""
    return hsnb_receiver


__all__ = ["FAST", "FIXTURES", "KEY", "ROOT", "SDK_TEST_KEY"]
