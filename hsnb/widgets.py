"""Live views of incoming callbacks for Jupyter (ipywidgets), and an HTML table helper.

:class:`LiveEvents` is an ``ipywidgets.HTML`` whose table refreshes each time the listener
records a delivery. The refresh runs in the listener's delivery hook, on hsnb's server thread,
and only sets the widget's ``value`` (a single trait, which ipywidgets sends from any thread);
it never reads the store there, so a slow notebook cannot slow the listener down.

Its plain-text form (what a notebook saves as ``text/plain`` and nbval compares) holds counts
only, no times, ports or ids, so it is the same on every run that receives the same callbacks.

>>> from hsnb.listener import Listener
>>> with Listener(name="doctest-widgets") as listener:
...     LiveEvents(listener)
LiveEvents: 0 events, 0 deliveries (0 duplicate, 0 refused)
"""

from __future__ import annotations

import html
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import ipywidgets
import pandas as pd
from IPython.display import HTML

from hsnb.events import parse_event
from hsnb.frames import UTC_TIME, VERDICT_DTYPE, event_record, to_frame
from hsnb.receiver import Answer
from hsnb.store import EventStore

#: Columns of the live table (one row per delivery, newest first).
LIVE_COLUMNS: dict[str, Any] = {
    "received_at": UTC_TIME,
    "verdict": VERDICT_DTYPE,
    "status": "Int64",
    "event_type": "string",
    "event_time": UTC_TIME,
    "title": "string",
    "signer_name": "string",
    "note": "string",
}
#: Columns :func:`event_table` shows when none are given.
EVENT_TABLE_COLUMNS: tuple[str, ...] = (
    "event_time",
    "received_at",
    "event_type_raw",
    "title",
    "signer_name",
    "deliveries",
)
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_STYLE = (
    "<style>.hsnb-table{border-collapse:collapse;font-size:12px}"
    ".hsnb-table th,.hsnb-table td{padding:2px 8px;text-align:left;border-bottom:1px solid #ddd}"
    ".hsnb-table .rejected{color:#b00}.hsnb-table .duplicate{color:#888}</style>"
)


class LiveEvents(ipywidgets.HTML):
    """A table of the latest deliveries a :class:`~hsnb.listener.Listener` records, kept up
    to date as callbacks arrive (newest first, at most ``max_rows``), under a line of counts.

    It starts from what the listener's store already holds. :meth:`close` stops the updates
    and removes its hook from the listener. Updates come from the listener's loop thread;
    ipykernel sends widget messages from any thread through its IOPub thread.
    """

    def __init__(self, listener: Any, *, max_rows: int = 10, **kwargs: Any) -> None:
        self._remove_hook: Callable[[], None] = lambda: None
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self._lock = threading.Lock()
        self._rows: deque[dict[str, Any]] = deque(maxlen=max_rows)
        self._counts: Counter[str] = Counter()
        self._active = True
        super().__init__(**kwargs)
        self._load(listener.store)
        self._render()
        self._remove_hook = listener.on_delivery(self._on_delivery)

    def __repr__(self) -> str:
        with self._lock:
            counts = Counter(self._counts)
        total = sum(counts.values())
        return (
            f"LiveEvents: {counts['accepted']} events, {total} deliveries "
            f"({counts['duplicate']} duplicate, {counts['rejected']} refused)"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def rows(self) -> pd.DataFrame:
        """The rows shown, newest first (:data:`LIVE_COLUMNS`)."""
        with self._lock:
            return to_frame(list(self._rows), LIVE_COLUMNS)

    def close(self) -> None:
        """Stop updating and close the widget."""
        self._active = False
        self._remove_hook()
        super().close()

    def _load(self, store: EventStore) -> None:
        events = {row["event_key"]: row for row in store.event_rows()}
        for row in store.delivery_rows():
            self._counts[row["verdict"]] += 1
            event = events.get(row["event_key"]) if row["event_key"] else None
            self._rows.appendleft(
                _row(
                    row["received_at"],
                    row["verdict"],
                    row["status"],
                    event["payload"] if event else None,
                    row["reason"],
                )
            )

    def _on_delivery(self, answer: Answer) -> None:
        if not self._active or answer.record is None:
            return
        verdict = str(answer.record.verdict)
        payload = answer.event.payload if answer.event is not None else None
        reason = None if answer.acknowledged else answer.text
        received_at = answer.received_at or datetime.now(UTC)
        row = _row(received_at, verdict, answer.status, payload, reason)
        with self._lock:
            self._counts[verdict] += 1
            self._rows.appendleft(row)
        self._render()

    def _render(self) -> None:
        frame = self.rows
        summary = html.escape(repr(self))
        self.value = f"{_STYLE}<div><b>{summary}</b></div>{_table_html(frame, frame.columns)}"


def _row(
    received_at: Any,
    verdict: str,
    status: int,
    payload: str | Mapping[str, Any] | None,
    reason: str | None,
) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if payload is not None:
        record = event_record(parse_event(payload))
        record["event_type"] = record["event_type_raw"]
    note = {"duplicate": "retry of an event already stored"}.get(verdict, reason)
    return {
        **record,
        "received_at": pd.Timestamp(received_at),
        "verdict": verdict,
        "status": status,
        "note": note,
    }


def event_table(
    frame: pd.DataFrame, *, columns: Sequence[str] | None = None, max_rows: int = 20
) -> HTML:
    """A compact HTML table of (the last ``max_rows`` rows of) an events or deliveries frame.

    Times are shown in UTC to the second, missing values as blanks, text escaped. The
    ``text/plain`` form is IPython's fixed ``<IPython.core.display.HTML object>``.
    """
    if columns is None:
        columns = [c for c in EVENT_TABLE_COLUMNS if c in frame.columns]
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise KeyError(f"no such columns: {', '.join(unknown)}")
    return HTML(_STYLE + _table_html(frame.tail(max_rows), columns))


def _table_html(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = []
    for record in frame[list(columns)].to_dict("records"):
        verdict = record.get("verdict")
        css = f' class="{verdict}"' if verdict in ("rejected", "duplicate") else ""
        cells = "".join(f"<td>{html.escape(_cell(record[c]))}</td>" for c in columns)
        body.append(f"<tr{css}>{cells}</tr>")
    return f'<table class="hsnb-table"><tr>{head}</tr>{"".join(body)}</table>'


def _cell(value: Any) -> str:
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime(_TIME_FORMAT)
    if isinstance(value, pd.Timedelta):
        return str(value.round("ms"))
    return str(value)
