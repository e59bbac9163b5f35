"""hsnb.store: deliveries and events in SQLite, durable across reopening, honest about failure."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hsnb.errors import StoreError
from hsnb.events import parse_event
from hsnb.store import EventStore, RequestInfo, Verdict
from tests.conftest import sent_payload


def request(body: bytes = b"{}", **headers: str) -> RequestInfo:
    return RequestInfo("POST", "/callback", headers or {"Content-Type": "application/json"}, body)


def test_first_delivery_is_accepted_and_retry_is_a_duplicate() -> None:
    store = EventStore()
    event = parse_event(sent_payload())
    first = store.record_event(request(), event, verified=True)
    retry = store.record_event(request(), parse_event(sent_payload()), verified=True)
    assert (first.verdict, retry.verdict) == (Verdict.ACCEPTED, Verdict.DUPLICATE)
    assert first.event_id == retry.event_id
    assert len(store) == 1
    [stored] = store.stored_events()
    assert stored.delivery_count == 2
    assert stored.verified is True
    assert [row["verdict"] for row in store.delivery_rows()] == ["accepted", "duplicate"]


def test_rejection_is_recorded_with_status_and_reason() -> None:
    store = EventStore()
    store.record_rejection(request(b"junk"), 400, "payload is not valid JSON")
    [row] = store.delivery_rows(with_body=True)
    assert (row["status"], row["verdict"], row["reason"]) == (
        400,
        "rejected",
        "payload is not valid JSON",
    )
    assert row["body"] == b"junk"
    assert len(store) == 0


def test_authorization_headers_are_redacted() -> None:
    store = EventStore()
    store.record_rejection(request(Authorization="Basic c2VjcmV0Og=="), 400, "x")
    assert "c2VjcmV0" not in store.delivery_rows()[0]["headers"]


def test_reopening_the_file_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    store = EventStore(path)
    store.record_event(request(), parse_event(sent_payload()))
    store.record_event(request(), parse_event(sent_payload(event_type="signature_request_viewed")))
    store.close()
    reopened = EventStore(path)
    assert [s.event.event_type for s in reopened.stored_events()] == [
        "signature_request_sent",
        "signature_request_viewed",
    ]
    again = reopened.record_event(request(), parse_event(sent_payload()))
    assert again.verdict == Verdict.DUPLICATE


def test_file_store_uses_wal(tmp_path: Path) -> None:
    EventStore(tmp_path / "e.sqlite")
    mode = sqlite3.connect(tmp_path / "e.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_commit_failure_raises_store_error_and_stores_nothing(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    store = EventStore(path, busy_timeout=0.05)
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.record_event(request(), parse_event(sent_payload()))
    finally:
        blocker.execute("ROLLBACK")
    assert len(store) == 0
    assert store.delivery_rows() == []


def test_stored_events_filter_by_type_and_request() -> None:
    store = EventStore()
    store.record_event(request(), parse_event(sent_payload("a" * 40)))
    store.record_event(request(), parse_event(sent_payload("b" * 40)))
    store.record_event(request(), parse_event(sent_payload("b" * 40, "signature_request_viewed")))
    found = store.stored_events("signature_request_sent", signature_request_id="b" * 40)
    assert [s.event.signature_request_id for s in found] == ["b" * 40]
    assert len(store.stored_events(signature_request_id="b" * 40)) == 2


def test_unreadable_file_is_a_store_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open event store"):
        EventStore(bad)


def test_read_only_store_reads_and_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "events.sqlite"
    writer = EventStore(path)
    writer.record_event(request(), parse_event(sent_payload()))
    writer.close()
    before = path.read_bytes()
    reader = EventStore(path, read_only=True)
    assert [s.event.event_type for s in reader.stored_events()] == ["signature_request_sent"]
    with pytest.raises(StoreError, match="readonly"):
        reader.record_event(request(), parse_event(sent_payload(event_type="file_error")))
    reader.close()
    assert path.read_bytes() == before


def test_read_only_store_needs_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such file"):
        EventStore(tmp_path / "missing.sqlite", read_only=True)
    assert not (tmp_path / "missing.sqlite").exists()
