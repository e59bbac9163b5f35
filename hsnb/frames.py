"""The DataFrame schemas of hsnb, declared once, and the one function that builds every frame.

Times are tz-aware UTC, ids are pandas strings, ``event_type`` is a categorical over the 30 known
types (an unknown type leaves it missing; ``event_type_raw`` always holds what was received and
``known_type`` says which). An empty input still gives every column with its dtype.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from hsnb.clock_header import ATTEMPT_HEADER, header
from hsnb.event_fields import FIELDS, epoch_seconds, event_fields
from hsnb.events import EVENT_ORDER, Event, parse_event
from hsnb.payloads import ATTEMPT_OUTCOMES

#: Categorical dtype of ``event_type`` columns: the 30 known types, ordered as a request's life
#: (:data:`hsnb.events.EVENT_ORDER`), so sorting by it reads sent, viewed, signed, all_signed...
EVENT_TYPE_DTYPE = pd.CategoricalDtype(list(EVENT_ORDER))
#: Categorical dtype of delivery verdicts.
VERDICT_DTYPE = pd.CategoricalDtype(["accepted", "duplicate", "rejected"])
#: Categorical dtype of the callback kind, as the SDK's ``get_callback_type`` names it.
CALLBACK_TYPE_DTYPE = pd.CategoricalDtype(["account_callback", "app_callback"])
#: Categorical dtype of a callback attempt's outcome (:data:`hsnb.payloads.ATTEMPT_OUTCOMES`).
OUTCOME_DTYPE = pd.CategoricalDtype(list(ATTEMPT_OUTCOMES))
UTC_TIME = pd.DatetimeTZDtype(unit="us", tz="UTC")
#: Which clock a ``received_at`` is on: an emulator's (signed into the callback, see
#: :mod:`hsnb.clock_header`) or the listener's wall clock. ``received_wall_at`` is always wall.
CLOCK_DTYPE = pd.CategoricalDtype(["emulated", "wall"])

#: Columns of :func:`events_frame`: one row per logical event.
EVENT_COLUMNS: dict[str, Any] = {
    "event_id": "Int64",
    "received_at": UTC_TIME,
    "event_time": UTC_TIME,
    "event_type": EVENT_TYPE_DTYPE,
    "event_type_raw": "string",
    "known_type": "boolean",
    "signature_request_id": "string",
    "title": "string",
    "created_at": UTC_TIME,
    "signer_count": "Int64",
    "related_signature_id": "string",
    "signer_name": "string",
    "signer_email_address": "string",
    "signer_status_code": "string",
    "signer_order": "Int64",
    "is_complete": "boolean",
    "is_declined": "boolean",
    "has_error": "boolean",
    "test_mode": "boolean",
    "callback_type": CALLBACK_TYPE_DTYPE,
    "reported_for_account_id": "string",
    "reported_for_app_id": "string",
    "account_guid": "string",
    "client_id": "string",
    "event_message": "string",
    "verified": "boolean",
    "deliveries": "Int64",
    "received_wall_at": UTC_TIME,
    "received_clock": CLOCK_DTYPE,
}

#: Columns of :func:`deliveries_frame`: one row per HTTP request received. ``event_type`` is the
#: event's type, or for a callback refused because its ``event_hash`` did not verify the type it
#: claimed (untrusted); missing when the body could not be read. ``status`` and ``verdict`` are
#: the listener's own judgement; ``scripted`` is the answer rule that answered instead
#: (:mod:`hsnb.answers`); ``forwarded_status``, ``forwarded_body_excerpt``,
#: ``forwarded_duration`` (real seconds) and ``forward_outcome`` are a relayed delivery's
#: handler answer and how Dropbox Sign would count it (:mod:`hsnb.relay`).
DELIVERY_COLUMNS: dict[str, Any] = {
    "delivery_id": "Int64",
    "received_at": UTC_TIME,
    "method": "string",
    "path": "string",
    "remote_ip": "string",
    "content_type": "string",
    "body_size": "Int64",
    "status": "Int64",
    "verdict": VERDICT_DTYPE,
    "reason": "string",
    "event_type": "string",
    "event_key": "string",
    "emulator_attempt": "string",
    "verified_by": "string",
    "received_wall_at": UTC_TIME,
    "received_clock": CLOCK_DTYPE,
    "scripted": "string",
    "forwarded_status": "Int64",
    "forwarded_body_excerpt": "string",
    "forwarded_duration": "Float64",
    "forward_outcome": OUTCOME_DTYPE,
}


#: Columns of :func:`attempts_frame` (``Emulator.deliveries()``): one row per callback POST the
#: emulator made. Times are on the emulator's clock; ``raised_at`` is when the event was raised
#: (``event_time`` without its fraction), so ``sent_at - raised_at`` of a first attempt is the
#: service's queueing lag; ``duration`` is real seconds on the wire.
ATTEMPT_COLUMNS: dict[str, Any] = {
    "delivery_id": "Int64",
    "attempt": "Int64",
    "url": "string",
    "event_type": EVENT_TYPE_DTYPE,
    "event_time": UTC_TIME,
    "raised_at": UTC_TIME,
    "callback_type": CALLBACK_TYPE_DTYPE,
    "signature_request_id": "string",
    "related_signature_id": "string",
    "sent_at": UTC_TIME,
    "outcome": OUTCOME_DTYPE,
    "status": "Int64",
    "body_excerpt": "string",
    "error": "string",
    "duration": "Float64",
    "next_attempt_at": UTC_TIME,
}


def to_frame(records: Iterable[Mapping[str, Any]], columns: Mapping[str, Any]) -> pd.DataFrame:
    """Build a frame with exactly ``columns`` (name -> dtype) from dict-like records.

    Missing keys become missing values; extra keys are dropped. Times may be ISO 8601 text,
    datetimes or Unix seconds. Conversion errors are not swallowed: a value that does not fit
    its declared dtype raises.
    """
    rows = [{name: record.get(name) for name in columns} for record in records]
    frame = pd.DataFrame(rows, columns=list(columns))
    for name, dtype in columns.items():
        if isinstance(dtype, pd.DatetimeTZDtype):
            column = frame[name]
            if pd.api.types.is_numeric_dtype(column) and not column.empty:
                times = pd.to_datetime(column, unit="s", utc=True)
            else:
                times = pd.to_datetime(column, utc=True, format="ISO8601")
            frame[name] = times.astype(dtype)
        elif dtype == "Int64" or dtype == "boolean":
            frame[name] = frame[name].astype("object").where(frame[name].notna(), None)
            frame[name] = frame[name].astype(dtype)
        else:
            frame[name] = frame[name].astype(dtype)
    return frame


def conform(frame: pd.DataFrame, columns: Mapping[str, Any]) -> pd.DataFrame:
    """A frame with exactly ``columns`` (name -> dtype), in that order, from a frame's columns.

    The column-wise twin of :func:`to_frame`, for frames built by vectorised code (Arrow, DuckDB,
    Dask partitions): a missing column becomes all missing, extra columns are dropped, the index
    is reset, and each column is cast to its declared dtype (a column that already has it is
    kept as it is). Times may be tz-aware, naive UTC, ISO 8601 text or Unix seconds.
    Conversion errors are not swallowed.
    """
    index = pd.RangeIndex(len(frame))
    built = {}
    for name, dtype in columns.items():
        if name not in frame:
            built[name] = pd.Series(pd.NA, index=index, dtype=_empty_dtype(dtype)).astype(dtype)
            continue
        column = frame[name].reset_index(drop=True)
        built[name] = column if column.dtype == dtype else _cast(column, dtype)
    return pd.DataFrame(built, index=index, columns=list(columns))


def _empty_dtype(dtype: Any) -> Any:
    return "datetime64[us, UTC]" if isinstance(dtype, pd.DatetimeTZDtype) else "object"


def _cast(column: pd.Series, dtype: Any) -> pd.Series:
    if isinstance(dtype, pd.DatetimeTZDtype):
        if isinstance(column.dtype, pd.DatetimeTZDtype):
            return column.dt.tz_convert("UTC").astype(dtype)
        if pd.api.types.is_datetime64_dtype(column.dtype):
            return column.dt.tz_localize("UTC").astype(dtype)
        if pd.api.types.is_numeric_dtype(column.dtype) and not column.empty:
            return pd.to_datetime(column, unit="s", utc=True).astype(dtype)
        return pd.to_datetime(column, utc=True, format="ISO8601").astype(dtype)
    if (dtype == "Int64" or dtype == "boolean") and column.dtype == object:
        column = column.where(column.notna(), None)
    return column.astype(dtype)


def event_record(event: Event) -> dict[str, Any]:
    """The flat columns of one event (everything but the store's bookkeeping).

    Values from the attached objects are taken leniently (:mod:`hsnb.event_fields`): anything
    not of the documented kind becomes missing, so one odd payload can never make a whole frame
    fail.
    """
    record = dict(zip(FIELDS, event_fields(event), strict=True))
    record.update(
        event_time=_epoch(event.event_timestamp),
        created_at=_epoch(record["created_at"]),
        event_type=event.event_type if event.is_known_type else None,
        event_type_raw=event.event_type,
        known_type=event.is_known_type,
        signature_request_id=event.signature_request_id,
        callback_type=event.callback_type,
    )
    return record


def events_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The events frame from :meth:`hsnb.store.EventStore.event_rows` rows."""
    records = []
    for row in rows:
        record = event_record(parse_event(row["payload"]))
        verified = row.get("verified")
        record.update(
            event_id=row["event_id"],
            received_at=row["received_at"],
            verified=None if verified is None else bool(verified),
            deliveries=row["delivery_count"],
            **_clock_of(row),
        )
        records.append(record)
    return to_frame(records, EVENT_COLUMNS)


def deliveries_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The deliveries frame from :meth:`hsnb.store.EventStore.delivery_rows` rows.

    ``emulator_attempt`` is the emulator's ``delivery_id.attempt`` of a callback the emulator
    sent (its ``X-Hsnb-Attempt`` header, :mod:`hsnb.clock_header`); missing for any other.
    """
    return to_frame((_with_attempt(row) for row in rows), DELIVERY_COLUMNS)


def _clock_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """``received_wall_at`` and ``received_clock`` of a stored row (its wall time is its
    ``received_at`` unless it was stamped on an emulator's clock)."""
    wall = row.get("received_wall_at")
    if wall is None:
        return {"received_wall_at": row.get("received_at"), "received_clock": "wall"}
    return {"received_wall_at": wall, "received_clock": "emulated"}


def _with_attempt(row: Mapping[str, Any]) -> Mapping[str, Any]:
    row = {**row, **_clock_of(row)}
    headers = row.get("headers")
    if not headers or ATTEMPT_HEADER.lower() not in headers.lower():
        return row
    try:
        found = header(json.loads(headers), ATTEMPT_HEADER)
    except (ValueError, AttributeError):
        return row
    return {**row, "emulator_attempt": found}


def attempts_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The attempts frame from the emulator's attempt log (dicts of
    :class:`hsnb.emulator.service.dispatcher.Attempt`; times in Unix seconds)."""
    return to_frame(records, ATTEMPT_COLUMNS)


#: Categorical dtype of the request log's ``plane`` (:data:`hsnb.emulator.service.api_log.PLANES`).
PLANE_DTYPE = pd.CategoricalDtype(["api", "control", "page", "other"])

#: Columns of :func:`api_log_frame` (``Emulator.api_log()``): one row per HTTP request the
#: emulator answered, redacted (:mod:`hsnb.emulator.service.api_log` says what is kept and what
#: never is). ``received_at`` is on the emulator's clock; ``duration`` is real seconds;
#: ``params`` and ``response`` are JSON text; ``key_fingerprint`` names the credential presented
#: (``sha256:`` and 12 hex digits), never the key.
API_LOG_COLUMNS: dict[str, Any] = {
    "call_id": "Int64",
    "received_at": UTC_TIME,
    "plane": PLANE_DTYPE,
    "method": "string",
    "path": "string",
    "query": "string",
    "params": "string",
    "status": "Int64",
    "error_name": "string",
    "error_message": "string",
    "auth": "string",
    "key_fingerprint": "string",
    "account_id": "string",
    "signature_request_id": "string",
    "response": "string",
    "duration": "Float64",
}


def api_log_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """The request log frame from the emulator's calls (dicts of
    :class:`hsnb.emulator.service.api_log.ApiCall`; times in Unix seconds)."""
    return to_frame(records, API_LOG_COLUMNS)


def _epoch(value: Any) -> pd.Timestamp | None:
    """Unix seconds as a UTC timestamp; anything else (or out of range) is missing."""
    seconds = epoch_seconds(value)
    return None if seconds is None else pd.Timestamp(seconds, unit="s", tz="UTC")
