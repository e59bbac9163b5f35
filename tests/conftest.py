"""Shared test helpers: the SDK's public test key, the shared fact folder, a listener fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from hsnb.listener import Listener
from hsnb.payloads import build_event_payload, encode_callback_multipart

ROOT = Path(__file__).resolve().parents[1]
SHARED_EXAMPLES = ROOT.parent / "shared" / "dropbox-sign" / "examples"
#: The public test key of the official SDK's own tests (its fixtures' hashes validate with it).
SDK_TEST_KEY = "324e3b0840f065eb51f3fd63231d0d33daa35d4ed10d27718839e81737065782"
KEY = "test-key-for-hsnb"


def shared_example(name: str) -> Any:
    """Load a JSON file from ../shared/dropbox-sign/examples, or skip saying why."""
    path = SHARED_EXAMPLES / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the official fixtures live beside the repository")
    return json.loads(path.read_text())


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
def listener() -> Iterator[Listener]:
    """A running listener verifying with :data:`KEY`, in-memory store."""
    with Listener(api_keys=KEY, name="test") as running:
        yield running
