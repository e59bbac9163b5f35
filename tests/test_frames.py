"""hsnb.frames: one declared schema; empty input keeps it; values land typed."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

from hsnb.events import ACK_TEXT, parse_event
from hsnb.frames import (
    DELIVERY_COLUMNS,
    EVENT_COLUMNS,
    EVENT_TYPE_DTYPE,
    deliveries_frame,
    events_frame,
)
from hsnb.listener import Listener
from hsnb.store import EventStore, RequestInfo
from tests.conftest import post_multipart, sent_payload


def expected_dtypes(columns: dict) -> pd.Series:
    return pd.Series({name: pd.api.types.pandas_dtype(dtype) for name, dtype in columns.items()})


def test_empty_frames_have_the_full_schema() -> None:
    for frame, columns in (
        (events_frame([]), EVENT_COLUMNS),
        (deliveries_frame([]), DELIVERY_COLUMNS),
    ):
        assert frame.empty
        pdt.assert_series_equal(frame.dtypes, expected_dtypes(columns), check_names=False)


def test_event_rows_become_typed_columns() -> None:
    store = EventStore()
    info = RequestInfo("POST", "/", {}, b"")
    store.record_event(info, parse_event(sent_payload(event_time=1_700_000_000)), verified=True)
    store.record_event(info, parse_event(sent_payload(event_type="brand_new_event")))
    frame = events_frame(store.event_rows())
    pdt.assert_series_equal(frame.dtypes, expected_dtypes(EVENT_COLUMNS), check_names=False)
    first, second = frame.iloc[0], frame.iloc[1]
    assert first["event_time"] == pd.Timestamp("2023-11-14 22:13:20", tz="UTC")
    assert first["event_type"] == "signature_request_sent"
    assert first["signer_name"] == "Jack" and first["signer_order"] == 0
    assert first["signer_count"] == 1 and pd.isna(first["created_at"])
    assert bool(first["verified"])
    assert pd.isna(second["event_type"])
    assert second["event_type_raw"] == "brand_new_event" and not second["known_type"]
    assert pd.isna(second["verified"])
    assert frame["received_at"].dt.tz is not None
    assert list(frame["event_type"].cat.categories) == list(EVENT_TYPE_DTYPE.categories)


@pytest.mark.parametrize(
    "field, value",
    [
        ("is_complete", "yes"),
        ("created_at", 10**15),
        ("created_at", "2026-01-01"),
        ("title", {"nested": True}),
    ],
)
def test_an_odd_value_in_an_accepted_payload_never_breaks_the_frame(
    listener: Listener, field: str, value: object
) -> None:
    payload = sent_payload()
    payload["signature_request"][field] = value
    assert post_multipart(listener.url, payload).text == ACK_TEXT
    frame = listener.events()
    assert len(frame) == 1
    column = "title" if field == "title" else field
    assert frame[column].isna().all()
