"""hsnb's built-in Dropbox Sign emulator: a local API v3 that behaves like the real service.

>>> from hsnb.emulator import Emulator
>>> with Emulator(seed=0, name="doctest-init") as emulator:
...     len(emulator.api_key)
64

Layout, by its one rule: :mod:`hsnb.emulator.service` is the emulated service, state and rules
with no HTTP (nothing there imports tornado); :mod:`hsnb.emulator.http` is its HTTP edge (the
route table, handlers, the ``/_emulator`` control plane, the pages a person opens, and the
outbound client for callbacks and ``file_urls``); :mod:`hsnb.emulator.server` runs both as
:class:`Emulator` on hsnb's background loop, with its request log and state files
(:mod:`hsnb.emulator.state`); :mod:`hsnb.emulator.command` is ``hsnb emulator``.
Every setting and its default: :class:`EmulatorConfig`. Errors: :mod:`hsnb.errors`.
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
    "page_texts": "hsnb.emulator.service.documents",
    "pdf_text": "hsnb.emulator.service.documents",
    "EmulatorConfig": "hsnb.emulator.service.config",
    "RetryPolicy": "hsnb.emulator.service.config",
    "Emulator": "hsnb.emulator.server",
    "EmulatorError": "hsnb.errors",
    "StateFileError": "hsnb.errors",
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
    "StateFileError",
    "make_app",
    "page_texts",
    "pdf_text",
    "running_emulators",
]

if TYPE_CHECKING:
    from hsnb.emulator.server import Emulator, make_app, running_emulators
    from hsnb.emulator.service.clock import DEFAULT_EPOCH, Delay
    from hsnb.emulator.service.config import EmulatorConfig, RetryPolicy
    from hsnb.emulator.service.dispatcher import Attempt
    from hsnb.emulator.service.documents import page_texts, pdf_text
    from hsnb.errors import EmulatorError, StateFileError


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hsnb.emulator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
