"""hsnb's built-in Dropbox Sign emulator: a local API v3 that behaves like the real service.

>>> from hsnb.emulator import Emulator
>>> with Emulator(seed=0, name="doctest-init") as emulator:
...     len(emulator.api_key)
64

Layout (moto-style): :mod:`~hsnb.emulator.service.models` and :mod:`~hsnb.emulator.service.backend`
(state and rules, with :mod:`~hsnb.emulator.service.accounts`,
:mod:`~hsnb.emulator.service.processing`, :mod:`~hsnb.emulator.service.file_urls`,
:mod:`~hsnb.emulator.service.signing`, :mod:`~hsnb.emulator.service.templates`,
:mod:`~hsnb.emulator.service.files` and :mod:`~hsnb.emulator.service.lifecycle`),
:mod:`~hsnb.emulator.http.handlers` + :mod:`~hsnb.emulator.http.routes` (HTTP), :mod:`hsnb.errors`
(errors), :mod:`~hsnb.emulator.service.parsing` (request encodings),
:mod:`~hsnb.emulator.service.dispatcher` (callbacks) and :mod:`~hsnb.emulator.http.outbound`
(``file_urls`` downloads), :mod:`~hsnb.emulator.http.control` (``/_emulator``),
:mod:`~hsnb.emulator.service.clock` (time and ids), :mod:`~hsnb.emulator.server`
(:class:`Emulator`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> defining module; imported on first use, so the model modules can be imported
#: (and tested) without tornado.
_LAZY = {
    "DEFAULT_EPOCH": "hsnb.emulator.service.clock",
    "Delay": "hsnb.emulator.service.clock",
    "Attempt": "hsnb.emulator.service.dispatcher",
    "EmulatorConfig": "hsnb.emulator.service.config",
    "RetryPolicy": "hsnb.emulator.service.config",
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
    from hsnb.emulator.server import Emulator, EmulatorError, make_app, running_emulators
    from hsnb.emulator.service.clock import DEFAULT_EPOCH, Delay
    from hsnb.emulator.service.config import EmulatorConfig, RetryPolicy
    from hsnb.emulator.service.dispatcher import Attempt


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hsnb.emulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
