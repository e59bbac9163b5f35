"""Callbacks logged elsewhere: JSON lines of raw payloads, read in a stream into the events frame.

A production handler often logs each callback it received as one line of JSON. Each line is
either the payload itself (``{"event": {...}, "signature_request": {...}}``), or an object that
holds it under ``payload`` (as an object or as the JSON text received) with, optionally:

* ``received_at``: when it arrived (ISO 8601 with a zone, or Unix seconds);
* ``deliveries``: how many deliveries the line stands for (1 when absent);
* ``event_id``: a number for the event (the line number when absent).

Lines may repeat an event (a handler logs every retry): they collapse into one event, as in a
store, by :attr:`hsnb.events.Event.identity`; its ``deliveries`` adds up the lines' counts and
it keeps the first line's receive time and number. Blank lines are skipped; any other line that
is not a callback raises :class:`~hsnb.errors.LogFormatError` naming the file and line.

The file is read twice, line by line, and never held in memory: first the identity of each line
(8 bytes a line are kept), then the first line of each event, ``batch_rows`` at a time, into
Arrow batches (:func:`jsonl_batches`) for Parquet or a frame (:func:`read_jsonl`).
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hsnb.errors import LogFormatError, PayloadError
from hsnb.event_fields import event_fields
from hsnb.events import Event, parse_event
from hsnb.frames import EVENT_COLUMNS
from hsnb.logs.schema import to_pandas
from hsnb.logs.stored import BATCH_ROWS, EVENT_SCHEMA, event_batch


def read_jsonl(path: str | Path, *, batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """The events frame (:data:`~hsnb.frames.EVENT_COLUMNS`) of a JSON-lines log."""
    table = pa.Table.from_batches(list(jsonl_batches(path, batch_rows=batch_rows)), EVENT_SCHEMA)
    return to_pandas(table, EVENT_COLUMNS)


def jsonl_batches(path: str | Path, *, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """A JSON-lines log's events as Arrow batches of the events schema, one row per event."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no log at {path}")
    keys = array("Q")
    counts = array("q")
    for _, _, event, record in _lines(path):
        keys.append(int(event.identity[:16], 16))
        counts.append(_deliveries(record))
    found = np.frombuffer(keys, dtype=np.uint64) if keys else np.zeros(0, np.uint64)
    _, first, which = np.unique(found, return_index=True, return_inverse=True)
    weights = np.frombuffer(counts, dtype=np.int64) if counts else np.zeros(0, np.int64)
    total = np.bincount(which, weights=weights, minlength=len(first)).astype(np.int64)
    # the total of each event, written against its first line
    per_line = np.zeros(len(found), dtype=np.int64)
    per_line[first] = total
    del keys, counts, found, which, weights
    rows: list[tuple[Any, ...]] = []
    for index, number, event, record in _lines(path):
        if not per_line[index]:
            continue
        rows.append(_row(event, record, number, int(per_line[index])))
        if len(rows) == batch_rows:
            yield event_batch(rows)
            rows = []
    if rows:
        yield event_batch(rows)


def _lines(path: Path) -> Iterator[tuple[int, int, Event, dict[str, Any]]]:
    """(index among payload lines, line number, event, the line's object), blank lines skipped."""
    index = 0
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event, record = _parse(line)
            except (PayloadError, ValueError) as exc:
                raise LogFormatError(f"{path}, line {number}: {exc}") from None
            yield index, number, event, record
            index += 1


def _parse(line: bytes) -> tuple[Event, dict[str, Any]]:
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    if "event" in record:
        return parse_event(line), {}
    payload = record.get("payload")
    if payload is None:
        raise ValueError("neither a payload (no 'event') nor an object holding one ('payload')")
    _received(record.get("received_at"))
    _deliveries(record)
    return parse_event(payload), record


def _deliveries(record: dict[str, Any]) -> int:
    count = record.get("deliveries", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"'deliveries' must be a whole number from 1, not {count!r}")
    return count


def _received(value: Any) -> str | None:
    """A receive time as the store writes it (ISO 8601, UTC), from text or Unix seconds."""
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).isoformat(timespec="microseconds")
    if isinstance(value, str):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError(f"'received_at' {value!r} has no time zone")
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    raise ValueError(f"'received_at' must be ISO 8601 text or Unix seconds, not {value!r}")


def _row(event: Event, record: dict[str, Any], number: int, deliveries: int) -> tuple[Any, ...]:
    event_id = record.get("event_id", number)
    return (
        event_id,
        _received(record.get("received_at")),
        event.event_timestamp,
        event.event_type,
        event.signature_request_id,
        *event_fields(event),
        None,  # verified: a log of another handler does not say
        deliveries,
        None,  # received_wall_at: its receive time is the only one
    )
