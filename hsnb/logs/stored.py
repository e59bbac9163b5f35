"""An event store read as columns, in batches: the events and deliveries frames, fast and small.

A store of schema 5 keeps each event's flat fields in columns (:mod:`hsnb.event_fields`), so its
events are read with one query, ``batch_rows`` rows at a time, each batch turned into Arrow
arrays at once and the Python rows let go; no payload is parsed and no value becomes a Python
timestamp. An older store (opened read-only, so not migrated) keeps only payloads: each is then
parsed once, by the same :func:`~hsnb.event_fields.event_fields` the store's writer uses, so
both give the same frame. The batches also feed Parquet (:mod:`hsnb.logs.parquet`) without the
whole log ever being in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hsnb.clock_header import ATTEMPT_HEADER, header
from hsnb.event_fields import FIELD_TYPES, FIELDS, event_fields
from hsnb.events import EVENT_ORDER, KNOWN_EVENT_TYPES, parse_event
from hsnb.frames import (
    CALLBACK_TYPE_DTYPE,
    CLOCK_DTYPE,
    DELIVERY_COLUMNS,
    EVENT_COLUMNS,
    OUTCOME_DTYPE,
    VERDICT_DTYPE,
)
from hsnb.logs.schema import arrow_schema, system_memory, to_pandas
from hsnb.store import EventStore

#: Rows fetched from SQLite at a time: a batch's Python values are the reader's extra memory.
BATCH_ROWS = 32_768

EVENT_SCHEMA = arrow_schema(EVENT_COLUMNS)
DELIVERY_SCHEMA = arrow_schema(DELIVERY_COLUMNS)

_HEAD = ("event_id", "received_at", "event_time", "event_type_raw", "signature_request_id")
_TAIL = ("verified", "deliveries", "received_wall_at")
_EVENT_SQL = (
    "SELECT event_id, received_at, event_time, event_type, signature_request_id, {middle},"
    " verified, delivery_count, {received_wall_at} FROM events ORDER BY event_id"
)
_DELIVERY_NAMES = (
    "delivery_id",
    "received_at",
    "method",
    "path",
    "remote_ip",
    "content_type",
    "body_size",
    "status",
    "verdict",
    "reason",
    "event_type",
    "event_key",
    "verified_by",
    "received_wall_at",
    "scripted",
    "forwarded_status",
    "forwarded_body_excerpt",
    "forwarded_duration",
    "forward_outcome",
)
# the emulator's attempt header as the listener stores it (tornado writes names canonically);
# a row naming it in another case is read in Python
_ATTEMPT = f'$."{ATTEMPT_HEADER}"'
_DELIVERY_SQL = (
    "SELECT {names}, CASE WHEN json_valid(headers) THEN"
    f" json_extract(headers, '{_ATTEMPT}') END,"
    f" CASE WHEN instr(lower(headers), '{ATTEMPT_HEADER.lower()}') THEN headers END"
    " FROM deliveries ORDER BY delivery_id"
)
_TYPES = {
    "TEXT": pa.string(),
    "INTEGER": pa.int64(),
    "NUMERIC": pa.float64(),
}
_KNOWN = pa.array(KNOWN_EVENT_TYPES)
_EVENT_TYPES = pa.array(list(EVENT_ORDER))
_CALLBACK_TYPES = pa.array(list(CALLBACK_TYPE_DTYPE.categories))
_CLOCKS = pa.array(list(CLOCK_DTYPE.categories))
_VERDICTS = pa.array(list(VERDICT_DTYPE.categories))
_OUTCOMES = pa.array(list(OUTCOME_DTYPE.categories))
_FLAGS = {name for name in FIELDS if EVENT_COLUMNS[name] == "boolean"}


def event_batches(store: EventStore, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The store's events as Arrow record batches of :data:`EVENT_SCHEMA`, in arrival order."""
    with store.snapshot() as db:
        present = _columns(db, "events")
        sql = _EVENT_SQL.format(
            middle=", ".join(FIELDS) if store.keeps_fields else "payload",
            received_wall_at=_or_null("received_wall_at", present),
        )
        cursor = db.execute(sql)
        while rows := cursor.fetchmany(batch_rows):
            if not store.keeps_fields:
                rows = [_with_fields(row) for row in rows]
            yield event_batch(rows)


def delivery_batches(store: EventStore, batch_rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The store's deliveries as Arrow record batches of :data:`DELIVERY_SCHEMA`."""
    with store.snapshot() as db:
        present = _columns(db, "deliveries")
        names = ", ".join(_or_null(name, present) for name in _DELIVERY_NAMES)
        cursor = db.execute(_DELIVERY_SQL.format(names=names))
        while rows := cursor.fetchmany(batch_rows):
            columns = list(zip(*rows, strict=True))
            del rows
            yield _delivery_batch(columns)


def events_frame(store: EventStore, batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """The events frame (:data:`~hsnb.frames.EVENT_COLUMNS`) of a store, read as columns."""
    with system_memory():
        return to_pandas(_all(event_batches(store, batch_rows), EVENT_SCHEMA), EVENT_COLUMNS)


def deliveries_frame(store: EventStore, batch_rows: int = BATCH_ROWS) -> pd.DataFrame:
    """The deliveries frame (:data:`~hsnb.frames.DELIVERY_COLUMNS`) of a store."""
    with system_memory():
        batches = _all(delivery_batches(store, batch_rows), DELIVERY_SCHEMA)
        return to_pandas(batches, DELIVERY_COLUMNS)


def _columns(db: Any, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _or_null(name: str, present: set[str]) -> str:
    """A column, or ``NULL`` in its place for a store older than the column (read-only)."""
    return name if name in present else f"NULL AS {name}"


def _all(batches: Iterator[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_batches(list(batches), schema=schema)


def _with_fields(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row of an older store (its payload in place of the fields) with the fields filled."""
    head, payload, tail = row[:5], row[5], row[6:]
    return (*head, *event_fields(parse_event(payload)), *tail)


#: The values of one event row, in the order :func:`event_batch` takes them.
EVENT_ROW = (*_HEAD, *FIELDS, *_TAIL)


def event_batch(rows: Sequence[Sequence[Any]]) -> pa.RecordBatch:
    """Event rows (values in :data:`EVENT_ROW` order, as the store keeps them: ISO 8601 receive
    times, Unix seconds, 0/1 or booleans) as an Arrow batch of :data:`EVENT_SCHEMA`."""
    named = dict(zip(EVENT_ROW, zip(*rows, strict=True), strict=True))
    raw = pa.array(named["event_type_raw"], pa.string())
    received = _times(named["received_at"])
    wall = _times(named["received_wall_at"])
    app = pa.array(named["reported_for_app_id"], pa.string())
    arrays: dict[str, pa.Array] = {
        "event_id": pa.array(named["event_id"], pa.int64()),
        "received_at": received,
        "event_time": _seconds(named["event_time"]),
        "event_type": _categories(raw, _EVENT_TYPES),
        "event_type_raw": raw,
        "signature_request_id": pa.array(named["signature_request_id"], pa.string()),
        "known_type": pc.is_in(raw, value_set=_KNOWN),
        "created_at": _seconds(named["created_at"]),
        "callback_type": _choose(pc.is_valid(app), _CALLBACK_TYPES, yes=1, no=0),
        "verified": _flags(named["verified"]),
        "deliveries": pa.array(named["deliveries"], pa.int64()),
        "received_wall_at": pc.coalesce(wall, received),
        "received_clock": _choose(pc.is_valid(wall), _CLOCKS, yes=0, no=1),
    }
    for name in FIELDS:
        if name in arrays:
            continue
        if name in _FLAGS:
            arrays[name] = _flags(named[name])
        else:
            arrays[name] = pa.array(named[name], _TYPES[FIELD_TYPES[name]])
    return pa.RecordBatch.from_arrays(
        [
            arrays[name].cast(field.type)
            for name, field in zip(EVENT_SCHEMA.names, EVENT_SCHEMA, strict=True)
        ],
        schema=EVENT_SCHEMA,
    )


def _delivery_batch(columns: list[tuple[Any, ...]]) -> pa.RecordBatch:
    named = dict(zip((*_DELIVERY_NAMES, "_attempt", "_headers"), columns, strict=True))
    attempts = list(named["_attempt"])
    for at, headers in enumerate(named["_headers"]):
        if headers is not None and attempts[at] is None:
            attempts[at] = _attempt_of(headers)
    received = _times(named["received_at"])
    wall = _times(named["received_wall_at"])
    verdict = pa.array(named["verdict"], pa.string())
    arrays: dict[str, pa.Array] = {
        "received_at": received,
        "verdict": _categories(verdict, _VERDICTS),
        "forward_outcome": _categories(pa.array(named["forward_outcome"], pa.string()), _OUTCOMES),
        "emulator_attempt": pa.array(attempts, pa.string()),
        "received_wall_at": pc.coalesce(wall, received),
        "received_clock": _choose(pc.is_valid(wall), _CLOCKS, yes=0, no=1),
    }
    arrays_in_order = []
    for field in DELIVERY_SCHEMA:
        array = arrays.get(field.name)
        if array is None:
            array = pa.array(named[field.name], field.type)
        arrays_in_order.append(array.cast(field.type))
    return pa.RecordBatch.from_arrays(arrays_in_order, schema=DELIVERY_SCHEMA)


def _attempt_of(headers: str) -> str | None:
    try:
        return header(json.loads(headers), ATTEMPT_HEADER)
    except (ValueError, AttributeError):
        return None


def _times(values: Sequence[str | None]) -> pa.Array:
    """ISO 8601 text (as the store writes it) as UTC microseconds."""
    return pc.cast(pa.array(values, pa.string()), pa.timestamp("us", tz="UTC"))


def _seconds(values: Sequence[int | float | None]) -> pa.Array:
    """Unix seconds (whole, or with a fraction) as UTC microseconds."""
    seconds = pa.array(values, pa.float64())
    micros = pc.round(pc.multiply(seconds, 1_000_000.0)).cast(pa.int64())
    return micros.cast(pa.timestamp("us", tz="UTC"))


def _flags(values: Sequence[int | bool | None]) -> pa.Array:
    """0/1 as the store keeps flags, or booleans as a parsed payload gives them."""
    return pa.array(values).cast(pa.bool_())


def _categories(values: pa.Array, categories: pa.Array) -> pa.DictionaryArray:
    """Values as a dictionary over fixed ``categories`` (a value outside them is missing)."""
    indices = pc.index_in(values, value_set=categories).cast(pa.int32())
    return pa.DictionaryArray.from_arrays(indices, categories)


def _choose(condition: pa.Array, categories: pa.Array, *, yes: int, no: int) -> pa.Array:
    indices = pc.if_else(condition, pa.scalar(yes, pa.int32()), pa.scalar(no, pa.int32()))
    return pa.DictionaryArray.from_arrays(indices, categories)
