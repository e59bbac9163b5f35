"""hsnb's built-in Dropbox Sign emulator: a local API v3 that behaves like the real service.

>>> from hsnb.emulator import Emulator
>>> with Emulator(seed=0, name="doctest-init") as emulator:
...     len(emulator.api_key)
64

Layout (moto-style): :mod:`~hsnb.emulator.models` and :mod:`~hsnb.emulator.backend` (state and
rules, with :mod:`~hsnb.emulator.signing` and :mod:`~hsnb.emulator.lifecycle`),
:mod:`~hsnb.emulator.handlers` + :mod:`~hsnb.emulator.routes` (HTTP),
:mod:`~hsnb.emulator.exceptions` (errors), :mod:`~hsnb.emulator.parsing` (request encodings),
:mod:`~hsnb.emulator.dispatcher` (callbacks), :mod:`~hsnb.emulator.control` (``/_emulator``),
:mod:`~hsnb.emulator.clock` (time and ids), :mod:`~hsnb.emulator.server` (:class:`Emulator`).
"""

from __future__ import annotations

from hsnb.emulator.clock import DEFAULT_EPOCH, Delay
from hsnb.emulator.dispatcher import Attempt, RetryPolicy
from hsnb.emulator.server import Emulator, EmulatorError, make_app, running_emulators

__all__ = [
    "DEFAULT_EPOCH",
    "Attempt",
    "Delay",
    "Emulator",
    "EmulatorError",
    "RetryPolicy",
    "make_app",
    "running_emulators",
]
