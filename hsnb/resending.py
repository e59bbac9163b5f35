"""Re-send a stored event log to any URL: as stored, or re-signed, with fresh times, filtered
and paced. What ``hsnb replay STORE --url URL`` does, and :func:`hsnb.resend` from Python.

(Not to be confused with :mod:`hsnb.replay`, which replays a *recording of API exchanges*
against the emulator.)

* Each logical event is sent once, in arrival order (duplicates were collapsed when stored),
  as Dropbox Sign sends it, and judged as Dropbox Sign judges the answer
  (:func:`hsnb.trigger.send_callback`).
* ``api_key`` re-signs every ``event_hash`` with that key (a log recorded under one account,
  re-sent to a handler that verifies with another).
* ``fresh_times`` shifts every ``event_time`` by one offset, so that the latest selected event
  happens now and the spacing between events is kept; the hash is then signed again. A
  receiver with a freshness window accepts what the window covers: the newest events of a log
  that spans longer than the window are fresh, the oldest are not (filter with ``since`` or
  ``signature_request_id`` to narrow it). Other times in the payload are left as stored.
* Filters: ``event_types``, ``signature_request_id``, and ``since <= event_time < until``.
* ``rate``: at most that many deliveries per second.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hsnb.errors import TriggerError
from hsnb.payloads import resign
from hsnb.store import EventStore, StoredEvent
from hsnb.trigger import CALLBACK_TIMEOUT_SECONDS, TriggerResult, send_callback


def parse_time(value: str | int | float | datetime) -> int:
    """Unix seconds from a number, digits, an ISO 8601 text (``2026-01-05T09:00:00Z``; no zone
    means UTC) or a datetime.

    >>> parse_time("2026-01-05T09:00:00Z"), parse_time("1767603600")
    (1767603600, 1767603600)
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float):
        return int(value)
    elif value.strip().isdigit():
        return int(value)
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise TriggerError(f"not a time: {value!r} (Unix seconds or ISO 8601)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def select_events(
    store: EventStore,
    *,
    event_types: str | Iterable[str] | None = None,
    signature_request_id: str | None = None,
    since: str | int | datetime | None = None,
    until: str | int | datetime | None = None,
) -> list[StoredEvent]:
    """The stored events that pass the filters, in arrival order."""
    types = None if event_types is None else list(_as_list(event_types))
    found = store.stored_events(types, signature_request_id=signature_request_id)
    low = None if since is None else parse_time(since)
    high = None if until is None else parse_time(until)
    return [
        item
        for item in found
        if (low is None or item.event.event_timestamp >= low)
        and (high is None or item.event.event_timestamp < high)
    ]


def _as_list(value: str | Iterable[str]) -> Iterable[str]:
    return [value] if isinstance(value, str) else value


class Pacer:
    """Spaces calls to at most ``rate`` per second (``None``: no pacing), from the first."""

    def __init__(
        self,
        rate: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate is not None and rate <= 0:
            raise TriggerError(f"rate must be positive, not {rate}")
        self.rate, self.clock, self.sleep = rate, clock, sleep
        self._start: float | None = None
        self._count = 0

    def wait(self) -> None:
        """Sleep until the next call is due, then count it."""
        if self.rate is not None:
            now = self.clock()
            if self._start is None:
                self._start = now
            due = self._start + self._count / self.rate
            if due > now:
                self.sleep(due - now)
        self._count += 1


@dataclass(frozen=True)
class Resent:
    """One stored event as re-sent, and how it was answered."""

    stored: StoredEvent
    payload: dict[str, Any] = field(repr=False)
    result: TriggerResult

    def describe(self) -> str:
        """One line: type, subject, the time sent, the verdict."""
        event = self.stored.event
        subject = event.subject_id or "-"
        sent_time = self.payload["event"]["event_time"]
        verdict = self.result.explain(with_answer=True)
        return f"{event.event_type} {subject} at {sent_time}: {verdict}"


@dataclass(frozen=True)
class ResendReport:
    """What was re-sent to ``url``, how, and how each delivery was answered."""

    url: str
    resigned: bool
    shift: int
    span: int
    resent: list[Resent] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        """How many deliveries were acknowledged."""
        return sum(item.result.acknowledged for item in self.resent)

    @property
    def ok(self) -> bool:
        """Whether every event re-sent was acknowledged."""
        return self.acknowledged == len(self.resent)

    def summary(self) -> str:
        """One line: how many were acknowledged, and what was changed on the way."""
        how = []
        if self.resigned:
            how.append("re-signed")
        if self.shift:
            how.append(f"times shifted by {self.shift:+d} s, the events span {self.span} s")
        done = f"{self.acknowledged} of {len(self.resent)} acknowledged"
        return f"{done} ({'; '.join(how)})" if how else done

    def explain(self) -> str:
        """One line per event, then the summary."""
        return "\n".join([*(item.describe() for item in self.resent), self.summary()])


def resend(
    store: EventStore | str | Path,
    url: str,
    *,
    api_key: str | None = None,
    fresh_times: bool = False,
    now: float | None = None,
    event_types: str | Iterable[str] | None = None,
    signature_request_id: str | None = None,
    since: str | int | datetime | None = None,
    until: str | int | datetime | None = None,
    rate: float | None = None,
    timeout: float = CALLBACK_TIMEOUT_SECONDS,
    on_result: Callable[[Resent], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ResendReport:
    """POST a stored log's events to ``url`` again and report each answer (see the module).

    ``store`` is an :class:`~hsnb.store.EventStore` or the path of one (opened read-only).
    ``fresh_times`` needs ``api_key`` (a shifted time needs a new hash): without one it raises
    :class:`~hsnb.errors.TriggerError`. ``now`` (Unix seconds) is the moment the latest event
    is moved to (default: the time of the call). ``on_result`` sees each delivery as it is
    judged.
    """
    if fresh_times and not api_key:
        raise TriggerError("fresh times change event_time, so event_hash must be signed again: "
                           "give the API key to sign with")  # fmt: skip
    opened = not isinstance(store, EventStore)
    source = EventStore(store, read_only=True) if opened else store
    try:
        selected = select_events(
            source,
            event_types=event_types,
            signature_request_id=signature_request_id,
            since=since,
            until=until,
        )
    finally:
        if opened:
            source.close()
    times = [item.event.event_timestamp for item in selected]
    span = max(times) - min(times) if times else 0
    shift = 0
    if fresh_times and times:
        shift = int(time.time() if now is None else now) - max(times)
    report = ResendReport(url, resigned=api_key is not None, shift=shift, span=span)
    pacer = Pacer(rate, sleep=sleep)
    for item in selected:
        payload = _prepared(item, api_key, shift)
        pacer.wait()
        resent = Resent(item, payload, send_callback(url, payload, timeout=timeout))
        report.resent.append(resent)
        if on_result is not None:
            on_result(resent)
    return report


def _prepared(item: StoredEvent, api_key: str | None, shift: int) -> dict[str, Any]:
    payload = copy.deepcopy(dict(item.event.payload))
    if shift:
        stored = payload["event"]["event_time"]
        moved = int(stored) + shift
        payload["event"]["event_time"] = str(moved) if isinstance(stored, str) else moved
    return resign(payload, api_key) if api_key else payload
