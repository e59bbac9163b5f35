"""Fixtures for the client tests: an emulator with a recognisable key, a listener, a client."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hsnb.client import Client, Exchange, SignatureRequest
from hsnb.emulator import Emulator
from hsnb.emulator.service.clock import DEFAULT_EPOCH
from hsnb.listener import Listener

DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"
NDA = DOCUMENTS / "nda-two-signers.pdf"
SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]
#: A key easy to search for in outputs (the emulator accepts any key it is given).
SECRET_KEY = "hsnb-test-secret-" + "5eC7e7" * 8
FAST: dict[str, Any] = {
    "name": "client-tests",
    "api_key": SECRET_KEY,
    "start_time": DEFAULT_EPOCH,
    "time_scale": 1e-6,
    "processing_delay": 0,
    "file_prep_delay": 0,
    "rate_limit": None,
    "high_tier_rate_limit": None,
    "test_mode_rate_limit": None,
    "min_callback_timeout": 2.0,
}
WAIT = 10.0


@pytest.fixture
def listener() -> Iterator[Listener]:
    """A listener verifying with the test key."""
    with Listener(api_keys=SECRET_KEY, name="client-tests") as running:
        yield running


@pytest.fixture
def make_emulator(listener: Listener) -> Iterator[Callable[..., Emulator]]:
    """Start an emulator with :data:`FAST` settings overridden; its callbacks go to ``listener``."""
    started: list[Emulator] = []

    def make(**overrides: Any) -> Emulator:
        emulator = Emulator(**{**FAST, "callback_url": listener.url, **overrides})
        started.append(emulator)
        return emulator

    yield make
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    """A fast emulator (no delays, no rate limits) sending callbacks to ``listener``."""
    return make_emulator()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    """A client of ``emulator`` (base URL given explicitly)."""
    with Client(base_url=emulator.api_url) as running:
        yield running


@pytest.fixture
def exchanges(client: Client) -> list[Exchange]:
    """Every exchange ``client`` makes from now on."""
    seen: list[Exchange] = []
    client.add_observer(seen.append)
    return seen


def create(client: Client, **kwargs: Any) -> SignatureRequest:
    """create_embedded with the two-signer NDA."""
    kwargs.setdefault("use_text_tags", True)
    kwargs.setdefault("title", "NDA")
    return client.create_embedded([NDA], SIGNERS, **kwargs)


def sent(client: Client, listener: Listener, **kwargs: Any) -> SignatureRequest:
    """A request that reached ``signature_request_sent``."""
    sr = create(client, **kwargs)
    listener.wait_for(
        "signature_request_sent", signature_request_id=sr.signature_request_id, timeout=WAIT
    )
    return sr


def completed(client: Client, listener: Listener, emulator: Emulator) -> SignatureRequest:
    """A request both signers signed, whose final files are ready."""
    sr = sent(client, listener)
    for signature_id in sr.signature_ids:
        emulator.sign(signature_id)
    listener.wait_for(
        "signature_request_downloadable",
        signature_request_id=sr.signature_request_id,
        timeout=WAIT,
    )
    return sr
