"""Test helpers for Dropbox Sign integrations: a fast emulator, a listener, a scripted receiver.

hsnb's own test suite uses these, and so can yours (the module needs pytest; it is in hsnb's
``test`` extra). Load the fixtures with ``pytest_plugins = ["hsnb.testing"]`` in a
``conftest.py``; each test gets fresh servers on 127.0.0.1, stopped afterwards:

* ``hsnb_listener``: a :class:`~hsnb.listener.Listener` (in-memory store) that verifies
  ``event_hash`` with :data:`TEST_API_KEY`;
* ``hsnb_emulator``: an :class:`~hsnb.emulator.Emulator` with the :data:`FAST` settings and
  :data:`TEST_API_KEY`, whose account callbacks go to ``hsnb_listener``;
* ``hsnb_client``: a :class:`~hsnb.client.Client` of ``hsnb_emulator``;
* ``hsnb_receiver``: a :class:`Receiver` that answers callbacks from a script.

Without pytest: :func:`serve_app` serves any Tornado app on a free port, and :class:`Receiver`
is a callback receiver whose answers you script (``(status, body, delay)``), e.g. to see
the emulator retry.

>>> with Receiver(script=[(500, "oops", 0.0)]) as receiver:
...     receiver.url.startswith("http://127.0.0.1:")
True
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import tornado.httpserver
import tornado.web

from hsnb.events import ACK_TEXT
from hsnb.runtime import serve_app

#: A recognisable made-up API key (search any output for it to prove it never leaks).
TEST_API_KEY = "hsnb-test-secret-" + "5eC7e7" * 8

#: Emulator settings for fast, reproducible tests: a fixed epoch, no processing or file delays,
#: 30 hours of callback retries in about a tenth of a second, no rate limits.
FAST: dict[str, Any] = {
    "start_time": 1_767_225_600,  # 2026-01-01T00:00:00Z, hsnb.emulator.DEFAULT_EPOCH
    "time_scale": 1e-6,
    "processing_delay": 0,
    "file_prep_delay": 0,
    "rate_limit": None,
    "test_mode_rate_limit": None,
    "min_callback_timeout": 2.0,
}


@dataclass
class Received:
    """One POST a :class:`Receiver` got: the decoded ``json`` field, its headers, when."""

    payload: dict[str, Any]
    content_type: str
    headers: dict[str, str] = field(repr=False)
    at: float = 0.0

    @property
    def event_type(self) -> str:
        """The event's type."""
        return self.payload["event"]["event_type"]


Answer = tuple[int, str, float]


class _ReceiverHandler(tornado.web.RequestHandler):
    def initialize(self, receiver: Receiver) -> None:
        self.receiver = receiver

    async def post(self) -> None:
        self.receiver.received.append(
            Received(
                json.loads(self.get_body_argument("json")),
                self.request.headers.get("Content-Type", ""),
                dict(self.request.headers),
                time.monotonic(),
            )
        )
        status, body, delay = self.receiver.next_answer()
        if delay:
            await asyncio.sleep(delay)
        self.set_status(status)
        self.set_header("Content-Type", "text/plain")
        self.finish(body)


class Receiver:
    """A callback receiver on 127.0.0.1 that answers from ``script`` (``(status, body,
    delay_seconds)`` per POST, in order), then with ``200 Hello API Event Received``."""

    def __init__(self, script: list[Answer] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[Received] = []
        self._served = serve_app([(r".*", _ReceiverHandler, {"receiver": self})])
        self.port = self._served.port
        self.url = self._served.url("/callback")

    def next_answer(self) -> Answer:
        """The next scripted answer, or 200 with the ACK text."""
        return self.script.pop(0) if self.script else (200, ACK_TEXT, 0.0)

    def types(self) -> list[str]:
        """Event types received, in arrival order."""
        return [r.event_type for r in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until ``count`` POSTs arrived; ``TimeoutError`` saying what did, after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} callbacks: {self.types()}")
            time.sleep(0.005)
        return self.received

    def stop(self) -> None:
        """Stop serving."""
        self._served.stop()

    def __enter__(self) -> Receiver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


# -- pytest fixtures -------------------------------------------------------------------------


@pytest.fixture
def hsnb_listener() -> Iterator[Any]:
    """A running listener (in-memory store) verifying ``event_hash`` with TEST_API_KEY."""
    from hsnb.listener import Listener

    with Listener(api_keys=TEST_API_KEY, name="hsnb-testing") as listener:
        yield listener


@pytest.fixture
def hsnb_emulator(hsnb_listener: Any) -> Iterator[Any]:
    """A fast emulator (:data:`FAST`, :data:`TEST_API_KEY`) calling back ``hsnb_listener``;
    the test fails if one of its timers raised."""
    from hsnb.emulator import Emulator

    settings = {**FAST, "api_key": TEST_API_KEY, "callback_url": hsnb_listener.url}
    with Emulator(name="hsnb-testing", **settings) as emulator:
        yield emulator
        assert emulator.clock.errors == [], "an emulator timer raised"


@pytest.fixture
def hsnb_client(hsnb_emulator: Any) -> Iterator[Any]:
    """A client of ``hsnb_emulator``."""
    from hsnb.client import Client

    with Client(base_url=hsnb_emulator.api_url) as client:
        yield client


@pytest.fixture
def hsnb_receiver() -> Iterator[Receiver]:
    """A callback receiver that acknowledges everything (script more answers in the test)."""
    with Receiver() as receiver:
        yield receiver
