"""hsnb: learn, test and analyse Dropbox Sign (HelloSign) callbacks from Jupyter.

Everything runs offline against the built-in emulator by default::

    >>> import hsnb
    >>> with hsnb.Emulator(seed=1, name="doc") as emulator, hsnb.Client() as api:
    ...     with hsnb.Listener(api_keys=emulator.api_key, name="doc") as listener:
    ...         emulator.callback_url = listener.url
    ...         request = api.create_embedded(b"Sign here: [sig|req|signer1]", [("Ann", "a@x.org")])
    ...         sent = listener.wait_for(
    ...             "signature_request_sent", signature_request_id=request.signature_request_id
    ...         )
    >>> sent.event_type
    'signature_request_sent'

``hsnb.Client()`` talks to the emulator running in this process, or with a key and base URL to
the real API; ``hsnb.connect(...)`` (from :mod:`hsnb.live`) wires it to a public callback URL.

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
    "Client": "hsnb.client",
    "connect": "hsnb.live",
    "events_frame": "hsnb.frames",
    "deliveries_frame": "hsnb.frames",
    "read_log": "hsnb.analysis",
    "lifecycle": "hsnb.analysis",
    "latencies": "hsnb.analysis",
    "latency_summary": "hsnb.analysis",
    "signer_times": "hsnb.analysis",
    "retry_stats": "hsnb.retries",
    "attempt_view": "hsnb.retries",
    "simulate": "hsnb.simulation",
    "Workload": "hsnb.simulation",
    "resend": "hsnb.resending",
    "mock_dropbox_sign": "hsnb.mocking",
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
    "Client",
    "connect",
    "live",
    "events_frame",
    "deliveries_frame",
    "read_log",
    "lifecycle",
    "latencies",
    "latency_summary",
    "signer_times",
    "retry_stats",
    "attempt_view",
    "simulate",
    "Workload",
    "resend",
    "mock_dropbox_sign",
]

if TYPE_CHECKING:
    from hsnb import live
    from hsnb.analysis import latencies, latency_summary, lifecycle, read_log, signer_times
    from hsnb.client import Client
    from hsnb.emulator import Emulator
    from hsnb.frames import deliveries_frame, events_frame
    from hsnb.listener import Listener
    from hsnb.live import connect
    from hsnb.mocking import mock_dropbox_sign
    from hsnb.resending import resend
    from hsnb.retries import attempt_view, retry_stats
    from hsnb.simulation import Workload, simulate
    from hsnb.store import EventStore


def __getattr__(name: str) -> Any:
    if name == "live":
        return importlib.import_module("hsnb.live")
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'hsnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


logging.getLogger(__name__).addHandler(logging.NullHandler())
