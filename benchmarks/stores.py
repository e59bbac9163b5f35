"""Large event stores for the log benchmarks, written by hsnb's own store writer.

A synthetic log (:mod:`hsnb.logs.synthetic`) becomes payloads shaped as Dropbox Sign sends them
(a signature request with its signatures, about 1.8 KB), each sent as the multipart body of one
delivery and stored by :class:`hsnb.store.EventStore` exactly as a listener stores a callback
(parsed, compressed, committed in groups), with the duplicates the log counts as deliveries of
their own. A store is kept under ``benchmarks/.data/`` and reused while its size and seed match.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pandas as pd

from hsnb.events import parse_event
from hsnb.logs.synthetic import synthetic_batches
from hsnb.payloads import build_event_payload, compact_json, encode_callback_multipart
from hsnb.records import RecordResult, RequestInfo
from hsnb.scenarios import signature_object, signature_request_object
from hsnb.store import EventStore
from hsnb.writer import Write

DATA = Path(__file__).resolve().parent / ".data"
KEY = "benchmark-api-key"
#: Writes handed to the writer before waiting for the last of them (bounds the queue).
_IN_FLIGHT = 2_000


def stored_log(events: int, seed: int = 0) -> Path:
    """The path of a store holding ``events`` synthetic events (written when missing)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"synthetic-{events}-seed{seed}.sqlite"
    if path.exists():
        store = EventStore(path, read_only=True)
        try:
            if len(store) == events:
                return path
        finally:
            store.close()
        for stale in DATA.glob(path.name + "*"):
            stale.unlink()
    building = path.with_suffix(".building.sqlite")
    for stale in DATA.glob(building.name + "*"):
        stale.unlink()
    write_store(building, events, seed)
    building.rename(path)
    return path


def write_store(path: Path, events: int, seed: int) -> None:
    """Store ``events`` synthetic events (and their duplicate deliveries) in ``path``."""
    store = EventStore(path, max_bytes=None)
    try:
        last: Future[RecordResult] | None = None
        for count, (request, event) in enumerate(_deliveries(events, seed), start=1):
            write = Write(request, 200, event=event, verified=True, verified_by="sha256:bench")
            if count % _IN_FLIGHT == 0:
                write.future = last = Future()
            store.submit(write)
            if last is not None and count % (_IN_FLIGHT * 4) == 0:
                last.result(120)
    finally:
        store.close()


def _deliveries(events: int, seed: int) -> Iterator[tuple[RequestInfo, Any]]:
    for batch in synthetic_batches(events, seed=seed):
        frame = batch.to_pandas()
        for row in frame.itertuples(index=False):
            text = compact_json(_payload(row))
            body, content_type = encode_callback_multipart(text)
            headers = {"Content-Type": content_type, "User-Agent": "Dropbox Sign API"}
            received = row.received_at.to_pydatetime()
            event = parse_event(text)
            for _ in range(int(row.deliveries)):
                yield RequestInfo("POST", "/callback", headers, body, "127.0.0.1", received), event


def _payload(row: Any) -> dict[str, Any]:
    """A payload as Dropbox Sign sends it, with the row's fields."""
    signers = int(row.signer_count)
    request_id = row.signature_request_id
    signatures = [
        signature_object(
            f"{request_id[-30:]}{order:02x}",
            f"Signer {order}",
            f"signer{order}@example.com",
            order=order,
            status_code=row.signer_status_code
            if not pd.isna(row.signer_order) and order == row.signer_order
            else "awaiting_signature",
        )
        for order in range(signers)
    ]
    related = None if pd.isna(row.related_signature_id) else row.related_signature_id
    if related is not None:
        signatures[int(row.signer_order)]["signature_id"] = related
    request = signature_request_object(
        request_id,
        title=row.title,
        created_at=int(row.created_at.timestamp()),
        signatures=signatures,
        is_complete=bool(row.is_complete),
        is_declined=bool(row.is_declined),
        has_error=bool(row.has_error),
        test_mode=False,
    )
    return build_event_payload(
        row.event_type_raw,
        int(row.event_time.timestamp()),
        KEY,
        signature_request=request,
        related_signature_id=related,
        reported_for_account_id=row.reported_for_account_id,
        account_guid=row.account_guid,
    )
