"""hsnb: learn, test and analyse Dropbox Sign (HelloSign) callbacks from Jupyter.

Everything runs offline against the built-in emulator by default::

    >>> import hsnb
    >>> with hsnb.Listener(api_keys="demo-key", name="doc") as listener:
    ...     with hsnb.Emulator(seed=1, api_key="demo-key", callback_url=listener.url, name="doc"):
    ...         pass
    >>> listener.events().empty
    True

The names below are the public API; heavier parts (pandas, Tornado, the emulator) are imported on
first use, so ``import hsnb`` stays quick.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from hsnb.errors import (
    EventTimeoutError,
    HsnbError,
    ListenerError,
    PayloadError,
    SignatureVerificationError,
    StoreError,
)
from hsnb.events import (
    ACK_TEXT,
    KNOWN_EVENT_TYPES,
    Event,
    compute_event_hash,
    parse_event,
    verify_event,
)

__version__ = "0.1.0"

#: Public name -> module that defines it (imported lazily by ``__getattr__``).
_LAZY = {
    "Listener": "hsnb.listener",
    "EventStore": "hsnb.store",
    "Emulator": "hsnb.emulator",
    "events_frame": "hsnb.frames",
    "deliveries_frame": "hsnb.frames",
    "read_log": "hsnb.analysis",
    "lifecycle": "hsnb.analysis",
    "latencies": "hsnb.analysis",
    "latency_summary": "hsnb.analysis",
    "retry_stats": "hsnb.analysis",
}

__all__ = [
    "ACK_TEXT",
    "KNOWN_EVENT_TYPES",
    "Event",
    "EventTimeoutError",
    "HsnbError",
    "ListenerError",
    "PayloadError",
    "SignatureVerificationError",
    "StoreError",
    "compute_event_hash",
    "parse_event",
    "verify_event",
    "Listener",
    "EventStore",
    "Emulator",
    "events_frame",
    "deliveries_frame",
    "read_log",
    "lifecycle",
    "latencies",
    "latency_summary",
    "retry_stats",
]

if TYPE_CHECKING:
    from hsnb.analysis import latencies, latency_summary, lifecycle, read_log, retry_stats
    from hsnb.emulator import Emulator
    from hsnb.frames import deliveries_frame, events_frame
    from hsnb.listener import Listener
    from hsnb.store import EventStore


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hsnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


logging.getLogger(__name__).addHandler(logging.NullHandler())
