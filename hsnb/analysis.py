"""Event timings: a life-cycle table per signature request, callback lateness, retry statistics.

Every function takes the frames of :mod:`hsnb.frames` (``listener.events()``,
``listener.deliveries()``, or :func:`read_log` for a stored log) and returns a frame whose schema
is declared once below; an empty input gives an empty frame with the full schema.

Two clocks meet here. ``event_time`` is the service's time of the event (whole seconds, as
Dropbox Sign sends it); ``received_at`` is the listener's clock when the first delivery of the
event was stored. Life-cycle durations use ``event_time`` only; lateness compares the two.

>>> import hsnb.analysis as analysis
>>> analysis.lifecycle(analysis.read_log().events).empty
True

Not done here: per-signer tables (one row per signature), and linking rejected deliveries to
the event they carried (the store keeps no event key for a refused delivery).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from hsnb.events import EVENT_ORDER
from hsnb.frames import (
    CALLBACK_TYPE_DTYPE,
    EVENT_TYPE_DTYPE,
    UTC_TIME,
    conform,
    to_frame,
)
from hsnb.per_request import (
    DURATION,
    ERROR_EVENT_TYPES,
    LIFECYCLE_COLUMNS,
    STATE_DTYPE,
    lifecycle,
    lifecycle_of_steps,
    request_steps,
)
from hsnb.store import EventStore

__all__ = [
    "DURATION",
    "ERROR_EVENT_TYPES",
    "LATENCY_COLUMNS",
    "LATENCY_SUMMARY_COLUMNS",
    "LIFECYCLE_COLUMNS",
    "SIGNER_COLUMNS",
    "STATE_DTYPE",
    "EventLog",
    "latencies",
    "latency_summary",
    "lifecycle",
    "lifecycle_of_steps",
    "read_log",
    "request_steps",
    "signer_times",
]

#: Columns of :func:`signer_times`: one row per signature (signer) of a request.
SIGNER_COLUMNS: dict[str, Any] = {
    "signature_request_id": "string",
    "related_signature_id": "string",
    "signer_name": "string",
    "signer_order": "Int64",
    "outcome": pd.CategoricalDtype(["signed", "declined", "pending"]),
    "sent_at": UTC_TIME,
    "viewed_at": UTC_TIME,
    "signed_at": UTC_TIME,
    "declined_at": UTC_TIME,
    "to_view": DURATION,
    "on_page": DURATION,
    "to_sign": DURATION,
}

#: Columns of :func:`latencies`: one row per event, with ``delay = received_at - event_time``.
LATENCY_COLUMNS: dict[str, Any] = {
    "event_id": "Int64",
    "signature_request_id": "string",
    "title": "string",
    "event_type": EVENT_TYPE_DTYPE,
    "event_type_raw": "string",
    "callback_type": CALLBACK_TYPE_DTYPE,
    "event_time": UTC_TIME,
    "received_at": UTC_TIME,
    "delay": DURATION,
    "deliveries": "Int64",
    "suspect": "string",
}

#: Columns of :func:`latency_summary` (indexed by ``event_type``).
LATENCY_SUMMARY_COLUMNS: dict[str, Any] = {
    "event_type": "string",
    "events": "Int64",
    "min": DURATION,
    "median": DURATION,
    "p90": DURATION,
    "p95": DURATION,
    "p99": DURATION,
    "max": DURATION,
    "suspect": "Int64",
}

#: A delay past this is later than Dropbox Sign's last retry: the clocks must disagree.
LATEST_PLAUSIBLE_DELAY = pd.Timedelta(days=4)
#: ``event_time`` drops the fraction of a second, so a delay may read this much too short.
_ROUNDING = pd.Timedelta(seconds=1)


class EventLog(NamedTuple):
    """The two frames of a listener's log: ``events`` (one row per logical event) and
    ``deliveries`` (one row per HTTP request received). What an emulator sent is its own frame
    (``Emulator.deliveries()``, :mod:`hsnb.retries`)."""

    events: pd.DataFrame
    deliveries: pd.DataFrame


def read_log(source: str | Path | EventStore | Any | None = None) -> EventLog:
    """Read an event log into frames: a path to a store file, an :class:`EventStore`, a
    :class:`~hsnb.listener.Listener` (its store), or ``None`` for an empty log.

    A store file is opened read-only, so the file (e.g. a committed sample) is left byte for
    byte as it was. Raises ``FileNotFoundError`` for a path that does not exist and
    :class:`~hsnb.errors.StoreError` for a file that is not an event store.
    """
    if source is None:
        return _log_of(EventStore())
    if isinstance(source, EventStore):
        return _log_of(source)
    store = getattr(source, "store", None)
    if isinstance(store, EventStore):
        return _log_of(store)
    path = Path(source)
    if not path.is_file():
        raise FileNotFoundError(f"no event store at {path}")
    store = EventStore(path, read_only=True)
    try:
        return _log_of(store)
    finally:
        store.close()


def _log_of(store: EventStore) -> EventLog:
    from hsnb.logs import stored  # pyarrow: loaded when a log is read

    return EventLog(stored.events_frame(store), stored.deliveries_frame(store))


def signer_times(events: pd.DataFrame) -> pd.DataFrame:
    """One row per signer (``related_signature_id``): when their request was sent, when they
    first viewed it, when they signed or declined, and how long that took (:data:`SIGNER_COLUMNS`).

    ``to_view``: sent to first viewed; ``on_page``: viewed to signed (or declined); ``to_sign``:
    sent to signed. Times are first-seen ``event_time`` values, so duplicates and the order of
    arrival do not matter. In a request signed in order, ``to_view`` of a later signer includes
    the wait for the signers before them.
    """
    scoped = events[events["signature_request_id"].notna()]
    types = scoped["event_type_raw"]
    sent = scoped[types == "signature_request_sent"].groupby("signature_request_id")
    per_signer = scoped[scoped["related_signature_id"].notna()]
    key = ["signature_request_id", "related_signature_id"]
    grouped = per_signer.groupby(key, sort=False)
    table = pd.DataFrame(
        {
            "_first": grouped["event_time"].min(),
            "signer_name": grouped["signer_name"].last(),
            "signer_order": grouped["signer_order"].last(),
        }
    )
    for column, event_type in (
        ("viewed_at", "signature_request_viewed"),
        ("signed_at", "signature_request_signed"),
        ("declined_at", "signature_request_declined"),
    ):
        rows = per_signer[per_signer["event_type_raw"] == event_type]
        table[column] = rows.groupby(key)["event_time"].min()
    table = table.reset_index()
    table["sent_at"] = table["signature_request_id"].map(sent["event_time"].min())
    table["outcome"] = np.select(
        [table["signed_at"].notna(), table["declined_at"].notna()],
        ["signed", "declined"],
        "pending",
    )
    table["to_view"] = table["viewed_at"] - table["sent_at"]
    table["on_page"] = table["signed_at"].fillna(table["declined_at"]) - table["viewed_at"]
    table["to_sign"] = table["signed_at"] - table["sent_at"]
    table = table.sort_values(["_first", "signature_request_id", "signer_order"], kind="stable")
    return conform(table, SIGNER_COLUMNS)


def latencies(events: pd.DataFrame) -> pd.DataFrame:
    """How late each event arrived: ``delay = received_at - event_time``, one row per event.

    ``received_at`` is when the first *stored* delivery arrived, so the delay includes every
    retry the sender needed (a refused or lost first attempt shows up as minutes of delay).
    ``event_time`` drops fractions of a second, so a delay reads up to one second longer than
    the callback really took. A delay that cannot be is flagged in ``suspect``, never clipped:
    negative (beyond that rounding) or later than the last retry, which means the two times
    are on different clocks (e.g. a listener's wall clock and an emulator's compressed one).
    """
    delay = events["received_at"] - events["event_time"]
    suspect = pd.Series(pd.NA, index=events.index, dtype="string")
    suspect[delay < -_ROUNDING] = "negative: received before it happened (clocks disagree)"
    suspect[delay > LATEST_PLAUSIBLE_DELAY] = "later than the last retry (clocks disagree)"
    return conform(events.assign(delay=delay, suspect=suspect), LATENCY_COLUMNS)


def latency_summary(events: pd.DataFrame) -> pd.DataFrame:
    """Callback delay by event type: count, min, median, 90th, 95th and 99th percentile, max.

    Indexed by ``event_type`` (as received, so unknown types get their own row), in
    :data:`EVENT_ORDER`. Suspect delays (:func:`latencies`) are left out and counted in
    ``suspect``.
    """
    delays = latencies(events)
    records = []
    for event_type in _ordered(delays["event_type_raw"].dropna().unique()):
        rows = delays[delays["event_type_raw"] == event_type]
        delay = rows.loc[rows["suspect"].isna(), "delay"].dropna()
        found = not delay.empty
        records.append(
            {
                "event_type": event_type,
                "events": len(delay),
                "min": delay.min() if found else None,
                "median": delay.median() if found else None,
                "p90": delay.quantile(0.9) if found else None,
                "p95": delay.quantile(0.95) if found else None,
                "p99": delay.quantile(0.99) if found else None,
                "max": delay.max() if found else None,
                "suspect": int(rows["suspect"].notna().sum()),
            }
        )
    return to_frame(records, LATENCY_SUMMARY_COLUMNS).set_index("event_type")


def _ordered(event_types: Iterable[str]) -> list[str]:
    rank = {t: i for i, t in enumerate(EVENT_ORDER)}
    return sorted(event_types, key=lambda t: (rank.get(t, len(rank)), t))
