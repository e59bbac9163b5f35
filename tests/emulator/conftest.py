"""Fixtures for the emulator tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.emulator.helpers import Harness


@pytest.fixture
def harness() -> Harness:
    """A fresh harness with default settings."""
    return Harness()


@pytest.fixture
def make_harness() -> Callable[..., Harness]:
    """Build a harness with other settings."""
    return Harness
