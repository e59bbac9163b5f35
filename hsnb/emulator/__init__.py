"""hsnb's built-in Dropbox Sign emulator: a local API v3 that behaves like the real service.

>>> from hsnb.emulator import Emulator
>>> with Emulator(seed=0, name="doctest-init") as emulator:
...     len(emulator.api_key)
64

Layout (moto-style): :mod:`~hsnb.emulator.models` and :mod:`~hsnb.emulator.backend` (state and
rules, with :mod:`~hsnb.emulator.accounts`, :mod:`~hsnb.emulator.processing`,
:mod:`~hsnb.emulator.file_urls`, :mod:`~hsnb.emulator.signing`,
:mod:`~hsnb.emulator.templates`, :mod:`~hsnb.emulator.files` and
:mod:`~hsnb.emulator.lifecycle`), :mod:`~hsnb.emulator.handlers` + :mod:`~hsnb.emulator.routes`
(HTTP), :mod:`hsnb.errors` (errors), :mod:`~hsnb.emulator.parsing` (request
encodings), :mod:`~hsnb.emulator.dispatcher` (callbacks) and :mod:`~hsnb.emulator.outbound`
(``file_urls`` downloads), :mod:`~hsnb.emulator.control` (``/_emulator``),
:mod:`~hsnb.emulator.clock` (time and ids), :mod:`~hsnb.emulator.server` (:class:`Emulator`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> defining module; imported on first use, so the model modules can be imported
#: (and tested) without tornado.
_LAZY = {
    "DEFAULT_EPOCH": "hsnb.emulator.clock",
    "Delay": "hsnb.emulator.clock",
    "Attempt": "hsnb.emulator.dispatcher",
    "EmulatorConfig": "hsnb.emulator.config",
    "RetryPolicy": "hsnb.emulator.config",
    "Emulator": "hsnb.emulator.server",
    "EmulatorError": "hsnb.emulator.server",
    "make_app": "hsnb.emulator.server",
    "running_emulators": "hsnb.emulator.server",
}

__all__ = [
    "DEFAULT_EPOCH",
    "Attempt",
    "Delay",
    "Emulator",
    "EmulatorConfig",
    "EmulatorError",
    "RetryPolicy",
    "make_app",
    "running_emulators",
]

if TYPE_CHECKING:
    from hsnb.emulator.clock import DEFAULT_EPOCH, Delay
    from hsnb.emulator.config import EmulatorConfig, RetryPolicy
    from hsnb.emulator.dispatcher import Attempt
    from hsnb.emulator.server import Emulator, EmulatorError, make_app, running_emulators


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hsnb.emulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
