"""The durable event store: every delivery kept, every logical event stored once (SQLite, WAL).

Two tables:

* ``deliveries``: every HTTP request the listener received, with its raw body (capped), headers,
  received time (UTC), the status answered and a verdict: ``accepted`` (a new event),
  ``duplicate`` (a retry of an event already stored) or ``rejected`` (with the reason).
* ``events``: one row per logical event, keyed by :attr:`hsnb.events.Event.identity` (Dropbox
  Sign sends no event id; see that property for the definition), with the delivery count.

A delivery and its event are written in one transaction that is committed (``synchronous=FULL``)
before :meth:`EventStore.record_event` returns, so a listener that acknowledges only afterwards
never acknowledges what a crash could lose. The store is safe to share between threads; other
processes may read the same file while a listener writes it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from hsnb.errors import StoreError
from hsnb.events import Event, parse_event

SCHEMA_VERSION = 1
_REDACTED_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    remote_ip TEXT,
    content_type TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    body_size INTEGER NOT NULL,
    status INTEGER NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'duplicate', 'rejected')),
    reason TEXT,
    event_key TEXT,
    event_type TEXT
);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_key TEXT NOT NULL UNIQUE,
    first_delivery_id INTEGER NOT NULL REFERENCES deliveries(delivery_id),
    received_at TEXT NOT NULL,
    event_type TEXT NOT NULL,
    event_time INTEGER NOT NULL,
    signature_request_id TEXT,
    verified INTEGER,
    payload TEXT NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS events_by_request ON events (signature_request_id, event_type);
"""


class Verdict(StrEnum):
    """What the listener decided about one delivery."""

    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class RequestInfo:
    """One HTTP request as received, before any judgement."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    remote_ip: str | None = None
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    body_size: int | None = None  # the size sent, when ``body`` was cut at a cap

    @property
    def content_type(self) -> str | None:
        """The Content-Type header, if any."""
        for name, value in self.headers.items():
            if name.lower() == "content-type":
                return value
        return None


@dataclass(frozen=True)
class StoredEvent:
    """An event as stored: the parsed :class:`Event` plus bookkeeping."""

    event_id: int
    event: Event
    received_at: datetime
    delivery_count: int
    verified: bool | None


@dataclass(frozen=True)
class RecordResult:
    """The outcome of recording one delivery."""

    delivery_id: int
    verdict: Verdict
    event_id: int | None = None


class EventStore:
    """SQLite-backed store of deliveries and events (``":memory:"`` for a throwaway one).

    ``read_only=True`` opens an existing file for reading only (nothing is written to it, not
    even the schema); recording then raises :class:`StoreError`.

    >>> store = EventStore()
    >>> len(store)
    0
    """

    def __init__(
        self, path: str | Path = ":memory:", *, busy_timeout: float = 5.0, read_only: bool = False
    ) -> None:
        self.path = str(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        try:
            self._db = self._connect(busy_timeout)
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in ((SCHEMA_VERSION,) if read_only else (0, SCHEMA_VERSION)):
                expected = SCHEMA_VERSION
                raise StoreError(f"{self.path}: schema version {version}, expected {expected}")
            if not read_only:
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open event store {self.path}: {exc}") from exc

    def _connect(self, busy_timeout: float) -> sqlite3.Connection:
        """Open the database; a writable one gets WAL, FULL sync and the schema."""
        if self.read_only:
            if self.path == ":memory:" or not Path(self.path).exists():
                raise StoreError(f"cannot open event store {self.path} read-only: no such file")
            uri = Path(self.path).resolve().as_uri() + "?mode=ro"
            db = sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False)
            db.row_factory = sqlite3.Row
            return db
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            self.path, timeout=busy_timeout, check_same_thread=False, isolation_level=None
        )
        db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
        return db

    def __repr__(self) -> str:
        return f"EventStore({self.path!r}, events={len(self)})"

    def __len__(self) -> int:
        """The number of logical events stored."""
        with self._lock:
            return self._db.execute("SELECT count(*) FROM events").fetchone()[0]

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:  # SQLite may have rolled back already
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"event store {self.path}: {exc}") from exc
            self._changed.notify_all()

    def record_event(
        self, request: RequestInfo, event: Event, *, verified: bool | None = None
    ) -> RecordResult:
        """Store a well-formed delivery and its event (once); commit before returning.

        A delivery whose event identity is already stored is recorded as a duplicate and the
        event's delivery count goes up. Raises :class:`StoreError` when the commit fails.
        """
        key = event.identity
        with self._transaction() as db:
            row = db.execute("SELECT event_id FROM events WHERE event_key = ?", (key,)).fetchone()
            verdict = Verdict.DUPLICATE if row else Verdict.ACCEPTED
            delivery_id = self._insert_delivery(db, request, 200, verdict, None, key, event)
            if row:
                event_id = row["event_id"]
                db.execute(
                    "UPDATE events SET delivery_count = delivery_count + 1 WHERE event_id = ?",
                    (event_id,),
                )
            else:
                event_id = db.execute(
                    "INSERT INTO events (event_key, first_delivery_id, received_at, event_type,"
                    " event_time, signature_request_id, verified, payload)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        key,
                        delivery_id,
                        _iso(request.received_at),
                        event.event_type,
                        event.event_timestamp,
                        event.signature_request_id,
                        None if verified is None else int(verified),
                        event.to_json(),
                    ),
                ).lastrowid
        return RecordResult(delivery_id, verdict, event_id)

    def record_rejection(
        self, request: RequestInfo, status: int, reason: str, *, event: Event | None = None
    ) -> RecordResult:
        """Store a delivery that was refused, with the status answered and the reason (and the
        ``event_type`` it claimed, when its body could be read: ``event``)."""
        with self._transaction() as db:
            delivery_id = self._insert_delivery(
                db, request, status, Verdict.REJECTED, reason, event=event
            )
        return RecordResult(delivery_id, Verdict.REJECTED)

    @staticmethod
    def _insert_delivery(
        db: sqlite3.Connection,
        request: RequestInfo,
        status: int,
        verdict: Verdict,
        reason: str | None,
        event_key: str | None = None,
        event: Event | None = None,
    ) -> int:
        headers = {
            name: ("<redacted>" if name.lower() in _REDACTED_HEADERS else value)
            for name, value in request.headers.items()
        }
        size = request.body_size if request.body_size is not None else len(request.body)
        cursor = db.execute(
            "INSERT INTO deliveries (received_at, method, path, remote_ip, content_type, headers,"
            " body, body_size, status, verdict, reason, event_key, event_type)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _iso(request.received_at),
                request.method,
                request.path,
                request.remote_ip,
                request.content_type,
                json.dumps(headers),
                bytes(request.body),
                size,
                status,
                str(verdict),
                reason,
                event_key,
                event.event_type if event else None,
            ),
        )
        return int(cursor.lastrowid)

    def event_rows(self) -> list[dict[str, Any]]:
        """Every stored event as a plain dict, in arrival order."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM events ORDER BY event_id").fetchall()
        return [dict(row) for row in rows]

    def delivery_rows(self, *, with_body: bool = False) -> list[dict[str, Any]]:
        """Every delivery as a plain dict, in arrival order (raw body only on request)."""
        columns = (
            "*"
            if with_body
            else "delivery_id, received_at, method, path, remote_ip, "
            + ("content_type, headers, body_size, status, verdict, reason, event_key, event_type")
        )
        with self._lock:
            rows = self._db.execute(
                f"SELECT {columns} FROM deliveries ORDER BY delivery_id"
            ).fetchall()
        return [dict(row) for row in rows]

    def stored_events(
        self,
        event_type: str | Iterable[str] | None = None,
        *,
        signature_request_id: str | None = None,
        after_id: int = 0,
    ) -> list[StoredEvent]:
        """Stored events, optionally of some types and/or one signature request, in arrival order.

        ``event_type`` is one type or several (any of them matches).
        """
        sql = "SELECT * FROM events WHERE event_id > ?"
        params: list[Any] = [after_id]
        if event_type is not None:
            types = [event_type] if isinstance(event_type, str) else list(event_type)
            sql += f" AND event_type IN ({', '.join('?' * len(types))})"
            params.extend(types)
        if signature_request_id is not None:
            sql += " AND signature_request_id = ?"
            params.append(signature_request_id)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY event_id", params).fetchall()
        return [_stored_event(row) for row in rows]

    def wait_for_change(self, timeout: float) -> None:
        """Block until a commit in this process, or ``timeout`` seconds (other writers: poll)."""
        with self._changed:
            self._changed.wait(timeout)


def _stored_event(row: sqlite3.Row) -> StoredEvent:
    verified = row["verified"]
    return StoredEvent(
        event_id=row["event_id"],
        event=parse_event(row["payload"]),
        received_at=datetime.fromisoformat(row["received_at"]),
        delivery_count=row["delivery_count"],
        verified=None if verified is None else bool(verified),
    )


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
