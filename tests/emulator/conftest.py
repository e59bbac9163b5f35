"""Fixtures of the emulator tests (``emulator``, ``receiver`` and the others: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hsnb.emulator import Emulator
from tests.emulator.helpers import FAST, Harness


@pytest.fixture
def harness() -> Harness:
    """The model layer on a manual clock, with default settings."""
    return Harness()


@pytest.fixture
def make_harness() -> Callable[..., Harness]:
    """Build a harness with other settings."""
    return Harness


@pytest.fixture
def manual_emulator() -> Iterator[Emulator]:
    """An emulator whose timers fire only on ``advance`` (processing takes 5 s, files 2 s)."""
    settings = {**FAST, "time_scale": None, "processing_delay": 5, "file_prep_delay": 2}
    with Emulator(**settings) as running:
        yield running
