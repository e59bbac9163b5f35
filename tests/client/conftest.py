"""Helpers of the client tests (``emulator``, ``listener``, ``client``: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hsnb import testing
from hsnb.client import Client, Exchange, SignatureRequest
from hsnb.emulator import Emulator
from hsnb.listener import Listener
from tests.conftest import KEY

DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"
NDA = DOCUMENTS / "nda-two-signers.pdf"
SIGNERS = [("Jack Doe", "jack@example.com"), ("Jill Doe", "jill@example.com")]
#: The key of the client tests' emulators (searched for in every output: it must never leak).
SECRET_KEY = KEY
#: Settings of the emulators :func:`make_emulator` starts.
FAST: dict[str, Any] = {**testing.FAST, "name": "client-tests", "api_key": SECRET_KEY}
WAIT = 10.0


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
