"""Fixtures for the emulator tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hsnb.emulator import Emulator
from tests.emulator.helpers import FAST, Harness
from tests.emulator.receiver import Receiver


@pytest.fixture
def harness() -> Harness:
    """A fresh harness with default settings."""
    return Harness()


@pytest.fixture
def make_harness() -> Callable[..., Harness]:
    """Build a harness with other settings."""
    return Harness


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A callback receiver that acknowledges everything (script more answers in the test)."""
    running = Receiver()
    yield running
    running.stop()


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fast emulator: fixed epoch, no delays, retries in microseconds, high rate limits."""
    with Emulator(**FAST) as running:
        yield running
        assert running.clock.errors == []


@pytest.fixture
def manual_emulator() -> Iterator[Emulator]:
    """An emulator whose timers fire only on ``advance`` (processing takes 5 s, files 2 s)."""
    settings = {**FAST, "time_scale": None, "processing_delay": 5, "file_prep_delay": 2}
    with Emulator(**settings) as running:
        yield running
