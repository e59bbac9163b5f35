"""The exception tree of hsnb: one base class, a few meaningful branches.

Every error hsnb raises on purpose derives from :class:`HsnbError`, so ``except HsnbError``
catches them all. Where a built-in exception carries the same meaning, the class mixes it in
(``ValueError``, ``TimeoutError``), so callers can catch by meaning without importing hsnb.
"""

from __future__ import annotations


class HsnbError(Exception):
    """Base class of every error hsnb raises on purpose."""


class PayloadError(HsnbError, ValueError):
    """A callback body or payload is malformed: not JSON, not an object, a field missing."""


class SignatureVerificationError(HsnbError, ValueError):
    """An event's ``event_hash`` does not match, or the event is outside the freshness window."""


class StoreError(HsnbError):
    """The event store could not read or commit (the listener then withholds its ACK)."""


class ListenerError(HsnbError):
    """A listener could not start, or was used after it stopped."""


class EventTimeoutError(HsnbError, TimeoutError):
    """``wait_for`` ran out of time; the message says which events did arrive meanwhile."""
